"""Issue 12: text is clean at the door. Clean the control characters out of the business
settings saved before (a CR/LF in the sender's name broke every email's From header)."""

from django.db import migrations

from followthrough.text import clean_rows


def clean(apps, schema_editor):
    clean_rows(apps.get_model("tenants", "Business"),
               lines=("name", "timezone", "sender_name", "sender_email", "reply_to_email",
                      "phone", "website", "business_days"),
               texts=("postal_address",))
    clean_rows(apps.get_model("tenants", "Invitation"), lines=("email",))


class Migration(migrations.Migration):
    dependencies = [("tenants", "0003_agenda_contact_pressure")]

    operations = [migrations.RunPython(clean, migrations.RunPython.noop, elidable=True)]
