"""Tell the Insights page that a row it reads changed:

- bump the per-business version, so the cached figures (dashboard.py) are recomputed on the
  next view;
- note the customer as stale, so their rollup (rollup.py) is recomputed then.

Touchpoints need no save receiver: the cache key and the rollups already follow their
updated_at, which bulk updates also move. A deleted touchpoint (the archive, a customer's
delete) leaves no stamp, so its delete notes the customer: the per-stage day buckets must
lose it. After each busy worker pass, businesses whose
rollups exist are brought up to date, so a page view finds little left to do; after every
pass, a business whose rollups were never built gets the next chunk of its first build."""

import logging

from django.db.models.signals import post_delete, post_save

from followthrough.insights.dashboard import bump
from followthrough.insights.metrics import optional_model
from followthrough.insights.models import StaleCustomer

log = logging.getLogger("followthrough.insights")
BUILD_SECONDS = 1.0  # of a first rollup build, after each idle worker pass
BUSY_CHUNK = 200  # customers of a first build after each busy pass

WATCHED = [
    ("customers", "Customer"), ("customers", "Engagement"), ("playbooks", "Playbook"),
    ("playbooks", "Step"), ("agenda", "Promise"), ("feedback", "SurveyResponse"),
    ("feedback", "Incident"), ("feedback", "ReviewClick"),
]
# Rows whose change can move a customer's health or an engagement's delta.
PER_CUSTOMER = {"Engagement", "Promise", "SurveyResponse", "Incident", "Touchpoint"}


def business_id_of(instance) -> int | None:
    if hasattr(instance, "business_id"):
        return instance.business_id
    playbook = getattr(instance, "playbook", None)  # a Step belongs through its playbook
    return getattr(playbook, "business_id", None)


def customer_id_of(instance, deleted: bool) -> int | None:
    name = type(instance).__name__
    if name == "Customer":
        return None if deleted else instance.pk  # a deleted customer's rollup goes with it
    if name in PER_CUSTOMER:
        return getattr(instance, "customer_id", None)
    return None


def changed(sender, instance, **kwargs) -> None:
    business_id = business_id_of(instance)
    if business_id is None:
        return
    bump(business_id)
    customer_id = customer_id_of(instance, deleted="created" not in kwargs)
    if customer_id is not None:
        StaleCustomer.objects.bulk_create(
            [StaleCustomer(business_id=business_id, customer_id=customer_id)],
            ignore_conflicts=True)


def after_worker_pass(sender, report=None, **kwargs) -> None:
    """Keep built rollups in step after a busy pass, and advance any first build (about
    a second of it per pass, busy or idle), so no page view has to build them."""
    from followthrough.insights.rollup import build_pending, refresh_built

    if report is not None and getattr(report, "busy", True):
        refresh_built()
        build_pending(0, BUSY_CHUNK)  # a small step: sending comes first
    else:
        build_pending(BUILD_SECONDS)


def connect() -> None:
    for app_label, name in WATCHED:
        model = optional_model(app_label, name)
        if model is not None:
            post_save.connect(changed, sender=model, dispatch_uid=f"insights-save-{name}")
            post_delete.connect(changed, sender=model, dispatch_uid=f"insights-delete-{name}")
    from followthrough.touchpoints.models import Touchpoint
    from followthrough.touchpoints.worker import pass_finished

    post_delete.connect(changed, sender=Touchpoint, dispatch_uid="insights-delete-Touchpoint")

    pass_finished.connect(after_worker_pass, dispatch_uid="insights.refresh_rollups",
                          weak=False)
