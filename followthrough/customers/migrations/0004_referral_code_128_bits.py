"""Issue 12: referral codes carry 128 bits (26 letters); the 8-letter codes made before
still fit and keep working."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_clean_control_characters")]

    operations = [
        migrations.AlterField(
            model_name="customer",
            name="referral_code",
            field=models.CharField(blank=True, max_length=32, null=True),
        ),
    ]
