import time

from django.core.management.base import BaseCommand

from followthrough.insights import rollup
from followthrough.tenants.models import Business


class Command(BaseCommand):
    help = (
        "Bring the Insights rollups up to date for every business (or one, by --business "
        "slug). The first run for a business reads all its rows; later runs only what "
        "changed. --rebuild reads everything again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--business", help="Only this business (its slug).")
        parser.add_argument("--rebuild", action="store_true",
                            help="Recompute every customer, not only the changed ones.")

    def handle(self, *args, business=None, rebuild=False, **options):
        businesses = Business.objects.order_by("pk")
        if business:
            businesses = businesses.filter(slug=business)
            if not businesses.exists():
                self.stderr.write(f"No business with the slug {business!r}.")
                return
        for b in businesses:
            started = time.perf_counter()
            count = rollup.refresh(b, rebuild=rebuild)
            self.stdout.write(f"{b.slug}: {count} customers recomputed in "
                              f"{time.perf_counter() - started:.1f} s")
