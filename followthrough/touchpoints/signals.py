"""Signals the touchpoints app sends; apps to its right connect to them."""

from django.dispatch import Signal

# Sent by the worker at most once a minute across the whole install (a database lease picks
# one worker of many), with `now`. Apps hang their periodic work on it (the agenda's digest
# and reminder top-up). Sent with send_robust: a failing receiver is logged, never fatal.
worker_tick = Signal()
