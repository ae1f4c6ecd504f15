"""The model Clip is called Take, as the studio's pages and URLs say. Only names in Django's
state change: the table, its columns and its indexes keep their names, so no data moves."""

import django.db.models.deletion
from django.contrib.contenttypes.management import RenameContentType
from django.db import migrations, models

# Permissions and admin history follow the model to its new name.
content_type = RenameContentType("generation", "clip", "take")


def rename_content_type(apps, schema_editor):
    content_type.rename_forward(apps, schema_editor)


def restore_content_type(apps, schema_editor):
    content_type.rename_backward(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("generation", "0006_render_history_index"),
        # After every migration that points at the model by its old name, so the rename
        # carries them along.
        ("playlists", "0001_initial"),
        ("projects", "0003_shot_sessions"),
        ("review", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RenameModel(old_name="Clip", new_name="Take"),
                migrations.AlterModelTable(name="take", table="generation_clip"),
                migrations.AlterField(
                    model_name="webhookevent",
                    name="clip",
                    field=models.ForeignKey(
                        db_column="clip_id",
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="webhook_events",
                        to="generation.take",
                    ),
                ),
                migrations.RenameField(model_name="webhookevent", old_name="clip", new_name="take"),
            ],
            database_operations=[],
        ),
        migrations.RunPython(rename_content_type, restore_content_type),
    ]
