from decimal import Decimal

from django.db import migrations

VEO_3_1 = {
    "slug": "google/veo-3.1",
    "name": "Veo 3.1",
    "price_per_second": Decimal("0.40"),
    "min_duration": 1,
    "max_duration": 60,
    # Veo accepts only these; a 1:1 request was seen to fail after credits were reserved.
    "aspect_ratios": ["16:9", "9:16"],
    "typical_render_seconds": 90,
}


def add_veo(apps, schema_editor):
    VideoModel = apps.get_model("catalog", "VideoModel")
    VideoModel.objects.update_or_create(slug=VEO_3_1["slug"], defaults=VEO_3_1)


def remove_veo(apps, schema_editor):
    apps.get_model("catalog", "VideoModel").objects.filter(slug=VEO_3_1["slug"]).delete()


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]
    operations = [migrations.RunPython(add_veo, remove_veo)]
