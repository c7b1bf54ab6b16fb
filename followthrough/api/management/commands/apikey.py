"""`followthrough apikey create|list|revoke --business SLUG`: manage a business's API keys.

`create` prints the key once, alone on its last line, so a script can take it with
`tail -n 1`. Only its hash is stored."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from followthrough.api.models import ApiKey
from followthrough.tenants.models import Business


class Command(BaseCommand):
    help = "Create, list or revoke the API keys of a business."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        create = actions.add_parser("create", help="Issue a new key and print it once.")
        create.add_argument("--business", required=True, metavar="SLUG")
        create.add_argument("--name", default="API key", help="What the key is for.")

        listing = actions.add_parser("list", help="List keys (prefixes only).")
        listing.add_argument("--business", required=True, metavar="SLUG")

        revoke = actions.add_parser("revoke", help="Revoke the key with this prefix.")
        revoke.add_argument("--business", required=True, metavar="SLUG")
        revoke.add_argument("prefix", help="The key's prefix, as shown by `apikey list`.")

    def handle(self, *args, action, business, **options):
        found = Business.objects.filter(slug=business).first()
        if found is None:
            raise CommandError(f"No business with the slug '{business}'.")
        getattr(self, f"do_{action}")(found, **options)

    def do_create(self, business, name, **options):
        name = name.strip()
        if not name or len(name) > ApiKey._meta.get_field("name").max_length:
            raise CommandError("--name must be 1 to 100 characters.")
        key, raw = ApiKey.issue(business, name)
        self.stdout.write(
            f"Created API key '{key.name}' for {business.name} (prefix {key.prefix}).\n"
            "It is shown once; store it now. Send it as 'Authorization: Bearer <key>'."
        )
        self.stdout.write(raw)

    def do_list(self, business, **options):
        keys = ApiKey.objects.filter(business=business).order_by("-created_at")
        if not keys:
            self.stdout.write(f"{business.name} has no API keys.")
            return
        for key in keys:
            used = f"{key.last_used_at:%Y-%m-%d %H:%M}Z" if key.last_used_at else "never"
            state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
            self.stdout.write(
                f"{key.prefix}  {state:<18}  last used {used:<17}  {key.name}"
            )

    def do_revoke(self, business, prefix, **options):
        keys = ApiKey.objects.filter(business=business, prefix=prefix, revoked_at__isnull=True)
        count = keys.count()
        if count == 0:
            raise CommandError(f"{business.name} has no active key with the prefix '{prefix}'.")
        if count > 1:
            raise CommandError(f"More than one active key has the prefix '{prefix}'.")
        keys.update(revoked_at=timezone.now())
        self.stdout.write(f"Revoked the key {prefix}… of {business.name}.")
