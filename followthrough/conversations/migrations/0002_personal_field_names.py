from django.db import migrations


class Migration(migrations.Migration):
    """Fields that hold the customer's words are named like personal data, so that a
    customer's erasure (privacy.services) clears them with the rest of the message."""

    dependencies = [("conversations", "0001_initial")]

    operations = [
        migrations.RenameField(model_name="message", old_name="sender", new_name="from_address"),
        migrations.RenameField(model_name="message", old_name="complaint_rule",
                               new_name="complaint_reason"),
    ]
