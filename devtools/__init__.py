"""Developer tooling, outside the deployable package (the image copies studio/ only): `make
run`'s launcher and supervisor, the process helpers that it, the tests and the bench share, and
the gateway simulator. None of it needs Django."""
