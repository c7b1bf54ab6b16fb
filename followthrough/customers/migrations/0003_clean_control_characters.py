"""Issue 12: text is clean at the door. Rows saved before the door was there may hold control
characters (a CR/LF in a name broke every email header it reached); clean them once."""

from django.db import migrations

from followthrough.text import clean_rows


def clean(apps, schema_editor):
    clean_rows(apps.get_model("customers", "Customer"),
               lines=("external_id", "name", "email", "phone", "tags", "timezone",
                      "referral_code"),
               texts=("postal_address", "notes", "defining_moment"))
    clean_rows(apps.get_model("customers", "Engagement"),
               lines=("external_id", "kind", "description"))
    clean_rows(apps.get_model("customers", "ConsentEvent"),
               lines=("source", "note"), texts=("proof",))


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_feedback_suppression")]

    operations = [migrations.RunPython(clean, migrations.RunPython.noop, elidable=True)]
