"""The latest finished takes of one model and duration, for a submit's plan and the polling
page's row of that duration, without walking the model's whole history when the duration is
rare."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("generation", "0008_done_seen"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="take",
            index=models.Index(
                fields=["video_model", "status", "duration", "-finished_at"],
                name="clip_render_history_duration",
            ),
        ),
    ]
