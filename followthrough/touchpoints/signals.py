"""Signals the touchpoints app sends; apps to its right connect to them."""

from django.dispatch import Signal

# Sent by the worker at most once a minute across the whole install (a database lease picks
# one worker of many), with `now`. Apps hang their periodic work on it (the agenda's digest
# and reminder top-up). Sent with send_robust: a failing receiver is logged, never fatal.
worker_tick = Signal()

# Sent before a person cancels or skips a review ask, with `touchpoint`. A receiver that
# knows the customer was unhappy answers with a short phrase saying so ("their latest
# recommend score was 3"); then the person must give a reason, and the stop is counted on
# Insights. Sent with send(): a failing receiver stops the cancel rather than waving it
# through. (feedback.sentiment connects to it.)
review_ask_stopping = Signal()
