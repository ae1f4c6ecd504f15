"""A stored file as a path on this machine, for the tools that need one (ffmpeg reads its inputs
by path). On the local disk that is the file itself; in object storage, which has no paths, it
is a copy streamed into the run's work folder, gone with that folder."""

from pathlib import Path

from django.db.models.fields.files import FieldFile

from studio.object_storage import is_object_storage


def local_copy(file: FieldFile, workdir: Path) -> Path:
    """The file's path on this machine. A file named twice in one run (a take used twice in a
    playlist) is copied once."""
    if not file:  # as FieldFile.path says it: an export of a take with no video fails
        raise ValueError(f"The '{file.field.name}' attribute has no file associated with it.")
    name = file.name or ""
    storage = file.storage
    if not is_object_storage(storage):
        return Path(storage.path(name))
    # Storage names are relative and never climb (Django refuses ".." in them).
    target = workdir / "stored" / name
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".part")
        storage.download(name, partial)
        partial.rename(target)
    return target
