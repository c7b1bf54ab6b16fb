"""Signals the playbooks app sends, so apps to its right can react without being imported.

playbook_changed(sender=Playbook, playbook=<Playbook>)
    Sent after a transaction that added, edited, deleted or moved a step of `playbook` has
    committed (never inside it, never after a rollback). Receivers should replan the open
    engagements of that playbook, so planned touchpoints follow the steps as they are now:
    touchpoints.planning.plan_engagement cancels planned rows whose step is gone and moves
    rows whose time changed. Sent once per change, with the playbook as it was saved; a
    receiver reloads what it needs. Sent through `send`, so a failing receiver is loud.
"""

from django.dispatch import Signal

playbook_changed = Signal()
