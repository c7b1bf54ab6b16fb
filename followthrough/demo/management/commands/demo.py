from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from followthrough.demo.loader import DEMO_SLUG, OWNER_EMAIL, load_demo


class Command(BaseCommand):
    help = "Load the demo business (once) and print the owner's sign-in."

    def add_arguments(self, parser):
        parser.add_argument(
            "--address", default="",
            help="Where the demo is served, for the sign-in line (default: SITE_URL).",
        )

    def handle(self, *args, **options):
        address = (options["address"] or settings.SITE_URL).rstrip("/")
        login_file = settings.VAR_DIR / "demo-login.txt"
        try:
            result = load_demo()
        except ImproperlyConfigured as exc:  # a backend that would mail the made-up people
            raise CommandError(str(exc)) from exc
        if result is not None:
            business, password = result
            login_file.parent.mkdir(parents=True, exist_ok=True)
            login_file.write_text(f"{OWNER_EMAIL}\n{password}\n")
            login_file.chmod(0o600)
            self.stdout.write(self.style.SUCCESS(f"Loaded the demo business: {business.name}."))
        elif not login_file.exists():
            self.stdout.write(
                f"The demo business ({DEMO_SLUG}) is loaded but its sign-in file is gone; "
                "delete var/ to start again."
            )
            return
        email, password = login_file.read_text().split()
        self.stdout.write(f"Sign in at {address}/login/ as {email}")
        self.stdout.write(f"Password: {password}")
