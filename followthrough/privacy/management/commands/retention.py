from django.core.management.base import BaseCommand

from followthrough.privacy.services import apply_retention
from followthrough.tenants.models import Business


class Command(BaseCommand):
    help = ("Clear the personal text of old messages and feedback, per each business's "
            "retention settings (Settings → Privacy). Run it daily, e.g. from cron.")

    def add_arguments(self, parser):
        parser.add_argument("--business", help="Only this business (its slug).")

    def handle(self, *args, **options):
        businesses = Business.objects.all()
        if options["business"]:
            businesses = businesses.filter(slug=options["business"])
        for business in businesses:
            cleared = apply_retention(business)
            self.stdout.write(f"{business.slug}: cleared {cleared['touchpoints']} messages, "
                              f"{cleared['feedback']} feedback answers")
