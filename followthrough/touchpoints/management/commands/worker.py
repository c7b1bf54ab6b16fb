import signal
import threading

from django.core.management.base import BaseCommand

from followthrough.touchpoints.worker import run_forever, run_once

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Command(BaseCommand):
    help = (
        "Send due automated touchpoints. Runs until SIGTERM or SIGINT, which let the current "
        "batch finish; --once runs a single pass and prints its report."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run one pass, then exit.")

    def handle(self, *args, once: bool = False, **options):
        stop = threading.Event()
        # Stop between batches, never mid-send: see the worker's docstring.
        previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in STOP_SIGNALS}
        try:
            if once:
                self.stdout.write(str(run_once(stop=stop)))
            else:
                run_forever(stop)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
