"""An item's take, named as the model now is; the column keeps its name, so no data moves."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("generation", "0007_clip_is_take"),
        ("playlists", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="playlistitem",
                    name="clip",
                    field=models.ForeignKey(
                        db_column="clip_id",
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="playlist_items",
                        to="generation.take",
                    ),
                ),
                migrations.RenameField(model_name="playlistitem", old_name="clip", new_name="take"),
            ],
            database_operations=[],
        ),
    ]
