"""When each take was first seen done, and whether a webhook said so: with last_seen_running_at,
the interval render times are fitted to. Takes finished before keep none and are read as they
were learned before (render_history.observation)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("generation", "0007_clip_is_take"),
    ]

    operations = [
        migrations.AddField(
            model_name="take",
            name="done_seen_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="take",
            name="done_seen_by_webhook",
            field=models.BooleanField(default=False),
        ),
    ]
