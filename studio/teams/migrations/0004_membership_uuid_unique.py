import uuid

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("teams", "0003_membership_uuid_values")]

    operations = [
        migrations.AlterField(
            model_name="membership",
            name="uuid",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
    ]
