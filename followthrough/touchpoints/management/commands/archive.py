import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from followthrough.touchpoints import archive


class Command(BaseCommand):
    help = (
        "Archive finished touchpoints (sent, done, skipped, missed, failed, cancelled) older "
        "than DAYS: clear their stored message text, or with --delete remove the rows. "
        "Planned rows are never touched. See docs/operations.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, required=True, metavar="DAYS",
                            help="Only rows finished more than DAYS days ago.")
        parser.add_argument("--delete", action="store_true",
                            help="Delete the rows instead of clearing their text. History, "
                                 "insights and the delta lose them.")
        parser.add_argument("--dry-run", action="store_true",
                            help="Count what would change, change nothing.")

    def handle(self, *args, older_than: int, delete: bool, dry_run: bool, **options):
        if older_than < 1:
            raise CommandError("--older-than must be at least 1 day.")
        age = dt.timedelta(days=older_than)
        if delete:
            count = archive.delete_finished(age, dry_run=dry_run)
            what = "deleted"
        else:
            count = archive.clear_text(age, dry_run=dry_run)
            what = "cleared the text of"
        prefix = "Would have " if dry_run else ""
        self.stdout.write(f"{prefix}{what} {count} touchpoint(s) finished more than "
                          f"{older_than} day(s) ago.")
