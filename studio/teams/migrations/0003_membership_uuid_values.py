import uuid

from django.db import migrations


def give_each_membership_a_uuid(apps, schema_editor):
    # A callable default gives every existing row the same value when the column is added.
    Membership = apps.get_model("teams", "Membership")
    for membership in Membership.objects.all().only("pk"):
        membership.uuid = uuid.uuid4()
        membership.save(update_fields=["uuid"])


# Its own migration, between adding the column and making it unique: PostgreSQL refuses to
# alter a table with pending trigger events in the same transaction.
class Migration(migrations.Migration):
    dependencies = [("teams", "0002_invitations_membership_uuid")]

    operations = [migrations.RunPython(give_each_membership_a_uuid, migrations.RunPython.noop)]
