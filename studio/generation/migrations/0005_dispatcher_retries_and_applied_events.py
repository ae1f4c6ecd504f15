from django.db import migrations, models


def mark_existing_events_applied(apps, schema_editor):
    # Events stored before this migration were applied by the task their arrival queued.
    WebhookEvent = apps.get_model("generation", "WebhookEvent")
    WebhookEvent.objects.filter(applied_at__isnull=True).update(applied_at=models.F("received_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("generation", "0004_gateway_done_times"),
    ]

    operations = [
        migrations.AddField(
            model_name="clip",
            name="retries",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="webhookevent",
            name="applied_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="webhookevent",
            index=models.Index(
                fields=["applied_at", "received_at"], name="webhook_event_unapplied"
            ),
        ),
        migrations.RunPython(mark_existing_events_applied, migrations.RunPython.noop),
    ]
