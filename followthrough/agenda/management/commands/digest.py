from django.core.management.base import BaseCommand

from followthrough.agenda.digest import send_due_digests
from followthrough.agenda.services import plan_all_reminders


class Command(BaseCommand):
    help = "Send the morning digests that are due and top up maintenance reminders."

    def handle(self, *args, **options):
        reminders = plan_all_reminders()
        sent = send_due_digests()
        self.stdout.write(f"Sent {sent} digest(s); planned {reminders} reminder(s).")
