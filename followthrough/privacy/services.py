"""GDPR: a customer's data as JSON, erasure, and retention.

The models that hold a customer's data are found by walking the reverse foreign keys from
Customer (engagements, touchpoints, consent, feedback, promises, …), so an app added later
is exported and erased without changes here. Erasure anonymises rather than deletes: the
rows that feed the counts and the delta stay, their personal text goes, and a hashed
suppression entry keeps the address from ever being messaged again."""

import base64
import datetime as dt
import re

from django.apps import apps
from django.db import models, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from followthrough.channels import kinds, mailqueue
from followthrough.channels.models import OutboxMessage
from followthrough.customers.consent import address_hash
from followthrough.customers.models import ConsentEvent, Customer, Engagement, Suppression
from followthrough.insights.rollup import forget_in_rollup
from followthrough.playbooks.models import Step
from followthrough.privacy.models import Erasure
from followthrough.tenants import audit
from followthrough.tokens import new_public_id
from followthrough.touchpoints import lifecycle
from followthrough.touchpoints.models import Reason, Status, Touchpoint

ERASED_NAME = "Erased customer"
# Fields never exported: secrets and internal plumbing, not the customer's data.
_SECRET = re.compile(r"token|hash|idempotency|lease|claimed_by|password|secret")
# Short text fields that may hold personal details when a model is found by the walk.
_PERSONAL = re.compile(
    r"name|email|phone|address|note|comment|text|quote|subject|body|recipient|description|"
    r"summary|title|what|author|answer|detail|reason|message|to$|^ip$"
)
# Finished touchpoints: retention clears their text; planned ones are still to come.
FINISHED = [Status.SENT, Status.DONE, Status.SKIPPED, Status.MISSED, Status.FAILED,
            Status.CANCELLED]
_OURS = "followthrough."


def _related_rows(customer: Customer) -> dict[type[models.Model], set[int]]:
    """Every row in our apps reachable from the customer through reverse foreign keys."""
    found: dict[type[models.Model], set[int]] = {Customer: {customer.pk}}
    queue = [Customer]
    while queue:
        model = queue.pop()
        pks = found[model]
        for rel in model._meta.related_objects:
            related = rel.related_model
            if (related is Customer or not related.__module__.startswith(_OURS)
                    or rel.many_to_many):
                continue
            new = set(related._default_manager.filter(**{f"{rel.field.name}__in": pks})
                      .values_list("pk", flat=True))
            if not new - found.get(related, set()):
                continue
            found[related] = found.get(related, set()) | new
            queue.append(related)
    return found


def _value(obj, field):
    if field.is_relation:
        target = getattr(obj, field.name, None)
        return getattr(target, "public_id", None) if target is not None else None
    value = getattr(obj, field.attname)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, int | float | bool | str | list | dict) or value is None:
        return value
    if isinstance(value, bytes | memoryview):  # a file they sent us: theirs to take away
        return base64.b64encode(bytes(value)).decode("ascii")
    return str(value)


def _exportable(field) -> bool:
    if field.primary_key or _SECRET.search(field.name):
        return False
    if field.is_relation:
        return field.many_to_one or field.one_to_one
    return True


def export_customer(customer: Customer) -> dict:
    """The customer's data as a JSON-ready dict, grouped by kind of record."""
    data = {"exported_at": timezone.now().isoformat(), "business": customer.business.name,
            "records": {}}
    for model, pks in sorted(_related_rows(customer).items(), key=lambda i: i[0]._meta.label):
        fields = [f for f in model._meta.concrete_fields if _exportable(f)]
        rows = model._default_manager.filter(pk__in=pks).order_by("pk")
        related = [f.name for f in fields if f.is_relation]
        if related:
            rows = rows.select_related(*related)
        key = model._meta.label_lower.replace(".", "_")
        data["records"][key] = [{f.name: _value(obj, f) for f in fields} for obj in rows]
    data["customer"] = data["records"].pop("customers_customer")[0]
    return data


def _blank(field):
    if field.null:
        return None
    if isinstance(field, models.BinaryField):
        return b""
    return field.get_default() if field.has_default() else ""


def _personal_fields(model) -> list:
    out = []
    for field in model._meta.concrete_fields:
        if field.is_relation or field.primary_key or field.unique or field.choices:
            continue
        if isinstance(field, models.TextField | models.EmailField | models.JSONField |
                      models.GenericIPAddressField | models.BinaryField):
            out.append(field)
        elif isinstance(field, models.CharField) and _PERSONAL.search(field.name):
            out.append(field)
    return out


def _clear(model, pks, fields) -> None:
    if pks and fields:
        model._default_manager.filter(pk__in=pks).update(**{f.name: _blank(f) for f in fields})


def erase_customer(request_or_actor, customer: Customer) -> Erasure:
    """Remove the customer's personal data everywhere; keep the counts; never message the
    address again. Runs in one transaction, and saves the customer through the model so
    every receiver runs (Insights notes the change); the rollup row is rebuilt at once."""
    business = customer.business
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        for channel, address in ((kinds.EMAIL, customer.email), (kinds.SMS, customer.phone)):
            if address:
                Suppression.objects.get_or_create(
                    business=business, channel=channel,
                    address_hash=address_hash(channel, address),
                )
        if customer.email:
            OutboxMessage.objects.filter(business_slug=business.slug,
                                         to__icontains=customer.email).delete()
        mailqueue.forget(business, customer.email, customer.name)
        rows = _related_rows(customer)
        lifecycle.transition(Touchpoint.objects.filter(customer=customer), Status.CANCELLED,
                             from_=(Status.PLANNED, Status.DRAFT, Status.PAUSED),
                             reason_code=Reason.CUSTOMER_ERASED, moved_reason="")
        handled = {
            Customer: None, Touchpoint: ["rendered_subject", "rendered_body", "recipient",
                                         "outcome_note", "last_error"],
            Engagement: ["description"], ConsentEvent: ["note", "proof"],
        }
        for model, pks in rows.items():
            if model is Customer or model is Erasure:
                continue
            if model in handled:
                fields = [model._meta.get_field(n) for n in handled[model]]
            else:
                fields = _personal_fields(model)
            _clear(model, pks, fields)
        _scrub_touchpoints(customer)
        Engagement.objects.filter(customer=customer).update(external_id=None)
        _anonymise(customer)
        erasure, _ = Erasure.objects.get_or_create(
            customer=customer, defaults={"business": business,
                                         "erased_by": _user(request_or_actor)},
        )
        audit.record(request_or_actor, business, "customer.erase", target=customer)
        forget_in_rollup(business, customer.pk)
    return erasure


ANONYMOUS = {"name": ERASED_NAME, "email": "", "phone": "", "postal_address": "",
             "notes": "", "defining_moment": "", "tags": "", "timezone": "",
             "external_id": None, "referral_code": None}
# A touch made outside any playbook (a follow-up, a recovery call) may be named after what
# the customer wrote; after an erasure it keeps only this.
ERASED_TOUCH_NAME = "Personal touch"


def _anonymise(customer: Customer) -> None:
    for name, value in ANONYMOUS.items():
        setattr(customer, name, value)
    customer.save(update_fields=[*ANONYMOUS, "updated_at"])


def _scrub_touchpoints(customer: Customer) -> None:
    """Names of playbook rows go back to their step's name (the owner's words); other rows
    get a neutral one. Every link token is replaced, so an old survey, review or subscribe
    link finds nothing and can take no new text."""
    touchpoints = Touchpoint.objects.filter(customer=customer)
    touchpoints.filter(step__isnull=True).update(name=ERASED_TOUCH_NAME)
    touchpoints.filter(step__isnull=False).update(
        name=Subquery(Step.objects.filter(pk=OuterRef("step_id")).values("name")[:1]))
    for pk in touchpoints.values_list("pk", flat=True):
        Touchpoint.objects.filter(pk=pk).update(link_token=new_public_id())


def _user(request_or_actor):
    user = getattr(request_or_actor, "user", request_or_actor)
    return user if getattr(user, "is_authenticated", False) else None


def feedback_models() -> list[type[models.Model]]:
    """Models of the feedback app that hold what customers wrote (a customer foreign key and
    free text); empty while the feedback app has none."""
    if not apps.is_installed("followthrough.feedback"):
        return []
    out = []
    for model in apps.get_app_config("feedback").get_models():
        has_customer = any(f.is_relation and f.related_model is Customer
                           for f in model._meta.concrete_fields)
        has_time = any(f.name == "created_at" for f in model._meta.concrete_fields)
        if has_customer and has_time and _personal_fields(model):
            out.append(model)
    return out


def apply_retention(business, now=None) -> dict[str, int]:
    """Clear the personal text of old finished touchpoints and old feedback, per the
    business's retention settings. Rows stay, so counts and the delta don't change."""
    now = now or timezone.now()
    cleared = {"touchpoints": 0, "feedback": 0}
    with transaction.atomic():
        if business.retention_touchpoint_days:
            cutoff = now - dt.timedelta(days=business.retention_touchpoint_days)
            old = Touchpoint.objects.filter(business=business, status__in=FINISHED,
                                            due_at__lt=cutoff).exclude(rendered_body="",
                                                                       rendered_subject="",
                                                                       recipient="",
                                                                       outcome_note="")
            cleared["touchpoints"] = old.update(rendered_subject="", rendered_body="",
                                                recipient="", outcome_note="", last_error="")
        if business.retention_feedback_days:
            cutoff = now - dt.timedelta(days=business.retention_feedback_days)
            for model in feedback_models():
                fields = _personal_fields(model)
                rows = model._default_manager.filter(business=business, created_at__lt=cutoff)
                cleared["feedback"] += rows.update(**{f.name: _blank(f) for f in fields})
        if cleared["touchpoints"] or cleared["feedback"]:
            audit.record(None, business, "retention.run", changes=cleared)
    return cleared
