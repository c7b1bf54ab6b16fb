import django.db.models.deletion  # noqa: F401
from django.db import migrations, models

import followthrough.tokens


def fill_public_ids(apps, schema_editor):
    ApiKey = apps.get_model("api", "ApiKey")
    for key in ApiKey.objects.all():
        key.public_id = followthrough.tokens.new_public_id()
        key.save(update_fields=["public_id"])


class Migration(migrations.Migration):

    dependencies = [
        ("api", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="apikey",
            name="public_id",
            field=models.CharField(max_length=32, null=True, editable=False),
        ),
        migrations.RunPython(fill_public_ids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="apikey",
            name="public_id",
            field=models.CharField(default=followthrough.tokens.new_public_id, editable=False,
                                   max_length=32, unique=True),
        ),
        migrations.AddField(
            model_name="apikey",
            name="rate_limit",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
    ]
