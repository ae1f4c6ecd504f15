"""An export's heartbeat, so that the sweep can fail a run whose worker was lost."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("playlists", "0002_item_take"),
    ]

    operations = [
        migrations.AddField(
            model_name="export",
            name="heartbeat_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="export",
            index=models.Index(fields=["status", "heartbeat_at"], name="export_sweep"),
        ),
    ]
