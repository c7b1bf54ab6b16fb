"""Changing playbooks and their steps: each change in one transaction, and every change to
the steps announced with `signals.playbook_changed` once it has committed, so the apps to
our right can replan without this app importing them."""

from django.db import transaction
from django.db.models import Max

from followthrough.playbooks.models import Playbook, Step
from followthrough.playbooks.signals import playbook_changed
from followthrough.tenants import audit
from followthrough.tenants.models import Business

UP, DOWN = "up", "down"
# Step fields a copy takes over; public_id and playbook are always new.
STEP_COPY_FIELDS = [
    f.name for f in Step._meta.concrete_fields
    if f.name not in {"id", "public_id", "playbook"}
]


def announce(playbook: Playbook) -> None:
    """Send playbook_changed after the current transaction commits (at once outside one)."""
    transaction.on_commit(
        lambda: playbook_changed.send(sender=Playbook, playbook=playbook)
    )


def create_playbook(business: Business, *, name: str, slug: str, description: str = "",
                    copy_from: Playbook | None = None) -> Playbook:
    """A new playbook, blank or with copies of all the steps of `copy_from` (fresh ids).

    The caller checks that the slug is free; the database constraint is the last word."""
    if copy_from is not None and copy_from.business_id != business.pk:
        raise ValueError("A playbook can only be copied within its business.")
    with transaction.atomic():
        playbook = Playbook.objects.create(
            business=business, name=name, slug=slug, description=description
        )
        if copy_from is not None:
            Step.objects.bulk_create(
                Step(playbook=playbook, **{f: getattr(s, f) for f in STEP_COPY_FIELDS})
                for s in copy_from.steps.all()
            )
        audit.record(None, business, "playbook.create", target=playbook,
                     changes={"name": name, "copied_from": getattr(copy_from, "name", None)})
    return playbook


def update_playbook(playbook: Playbook, *, name: str, description: str) -> Playbook:
    changes = audit.diff({"name": playbook.name, "description": playbook.description},
                         {"name": name, "description": description})
    playbook.name, playbook.description = name, description
    with transaction.atomic():
        playbook.save(update_fields=["name", "description"])
        audit.record(None, playbook.business, "playbook.update", target=playbook,
                     changes=changes)
    return playbook


def next_position(playbook: Playbook) -> int:
    return (playbook.steps.aggregate(m=Max("position"))["m"] or 0) + 1


def save_step(step: Step) -> Step:
    """Save a new or edited step (already validated) and announce the change."""
    with transaction.atomic():
        step.save()
        audit.record(None, step.playbook.business, "step.save", target=step,
                     changes={"playbook": step.playbook.name, "step": str(step)})
        announce(step.playbook)
    return step


def delete_step(step: Step) -> None:
    """Delete a step. Touchpoints keep their history (Touchpoint.step is SET_NULL); the
    replan that playbook_changed triggers cancels the planned ones."""
    playbook = step.playbook
    with transaction.atomic():
        audit.record(None, playbook.business, "step.delete", target=step,
                     changes={"playbook": playbook.name, "step": str(step)})
        step.delete()
        announce(playbook)


def move_step(step: Step, direction: str) -> bool:
    """Swap the step with its neighbour above or below; False when it is already at that end.

    Positions are renumbered 1..n in the shown order first, so duplicate or gappy positions
    (typed into the step form) still move one place at a time."""
    if direction not in (UP, DOWN):
        raise ValueError(f"direction must be {UP!r} or {DOWN!r}")
    playbook = step.playbook
    with transaction.atomic():
        # Serialise reorders of one playbook (PostgreSQL; SQLite writers queue anyway).
        list(Playbook.objects.select_for_update().filter(pk=playbook.pk).values("pk"))
        steps = list(playbook.steps.order_by("position", "id"))
        index = next(i for i, s in enumerate(steps) if s.pk == step.pk)
        other = index - 1 if direction == UP else index + 1
        if not 0 <= other < len(steps):
            return False
        steps[index], steps[other] = steps[other], steps[index]
        changed = []
        for position, s in enumerate(steps, start=1):
            if s.position != position:
                s.position = position
                changed.append(s)
        Step.objects.bulk_update(changed, ["position"])
        audit.record(None, playbook.business, "step.move", target=step,
                     changes={"playbook": playbook.name, "step": str(step),
                              "direction": direction})
        announce(playbook)
    step.refresh_from_db(fields=["position"])
    return True
