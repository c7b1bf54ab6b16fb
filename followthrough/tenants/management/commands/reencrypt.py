"""`followthrough reencrypt`: encrypt every stored secret again under the current SECRET_KEY.

Run it after rotating SECRET_KEY (the old key in SECRET_KEY_FALLBACKS); once it reports
nothing unreadable, the old key can leave SECRET_KEY_FALLBACKS (docs/operations.md)."""

from django.core.management.base import BaseCommand
from django.db import transaction

from followthrough.crypto import UnreadableSecret, encrypted_fields


class Command(BaseCommand):
    help = "Encrypt every stored secret again with the current SECRET_KEY."

    def handle(self, *args, **options):
        done = unreadable = 0
        for model, name in encrypted_fields():
            rows = model._default_manager.exclude(**{name: ""}).values_list("pk", name)
            for pk, value in rows.iterator():
                if isinstance(value, UnreadableSecret):
                    unreadable += 1
                    self.stderr.write(f"{model._meta.label} {pk} {name}: no key opens it; "
                                      "left as it is.")
                    continue
                # Saving the plain value makes the field encrypt it with the current key.
                with transaction.atomic():
                    model._default_manager.filter(pk=pk).update(**{name: value})
                done += 1
        self.stdout.write(f"Encrypted {done} secret(s) again; {unreadable} unreadable.")
        if unreadable:
            raise SystemExit(1)
