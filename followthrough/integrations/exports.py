"""CSV exports. Every cell goes through followthrough.csvsafe, the one rule every CSV
export shares: text a spreadsheet would read as a formula (it starts with =, +, -, @, a tab
or a carriage return) gets a leading apostrophe, so opening an export can never run
something a customer typed into a form."""

import csv

from django.http import StreamingHttpResponse
from django.utils import timezone

from followthrough import csvsafe
from followthrough.customers.models import ConsentEvent, Customer, Engagement
from followthrough.feedback.models import SurveyResponse
from followthrough.touchpoints.models import Touchpoint

neutralise = csvsafe.cell


def _when(value):
    return value.isoformat() if value else ""


def customers(business):
    yield ["id", "external_id", "name", "email", "phone", "postal_address",
           "preferred_channel", "tags", "notes", "created_at"]
    for c in Customer.objects.filter(business=business).order_by("id").iterator(2000):
        yield [c.public_id, c.external_id or "", c.name, c.email, c.phone, c.postal_address,
               c.preferred_channel, c.tags, c.notes, _when(c.created_at)]


def engagements(business):
    yield ["id", "external_id", "customer", "customer_name", "playbook", "kind", "description",
           "value", "status", "won_at", "started_at", "delivered_at", "closed_at",
           "cancelled_at"]
    rows = Engagement.objects.filter(business=business).select_related("customer", "playbook")
    for e in rows.order_by("id").iterator(2000):
        yield [e.public_id, e.external_id or "", e.customer.public_id, e.customer.name,
               e.playbook.slug if e.playbook else "", e.kind, e.description,
               e.value if e.value is not None else "", e.status_label.lower(),
               _when(e.won_at), _when(e.started_at), _when(e.delivered_at),
               _when(e.closed_at), _when(e.cancelled_at)]


def touchpoints(business):
    yield ["id", "engagement", "customer", "step", "channel", "stage", "element", "purpose",
           "status", "due_at", "completed_at", "outcome_note"]
    rows = Touchpoint.objects.filter(business=business).select_related("engagement", "customer")
    for t in rows.order_by("id").iterator(2000):
        job = t.engagement.public_id if t.engagement_id else ""  # a reply touch may have none
        yield [t.public_id, job, t.customer.public_id, t.name, t.channel, t.stage, t.element,
               t.purpose, t.status, _when(t.due_at), _when(t.completed_at), t.outcome_note]


def feedback(business):
    yield ["id", "customer", "customer_name", "engagement", "nps", "csat", "went_well",
           "improve", "anything_else", "quote_as", "testimonial_status", "created_at",
           "updated_at"]
    rows = SurveyResponse.objects.filter(business=business).select_related("customer",
                                                                             "engagement")
    for r in rows.order_by("id").iterator(2000):
        yield [r.public_id, r.customer.public_id, r.customer.name, r.engagement.public_id,
               "" if r.nps is None else r.nps, "" if r.csat is None else r.csat,
               r.went_well, r.improve, r.anything_else, r.quote_as, r.testimonial_status,
               _when(r.created_at), _when(r.updated_at)]


def consent(business):
    yield ["customer", "customer_name", "channel", "purpose", "granted", "source", "note",
           "proof", "at"]
    rows = ConsentEvent.objects.filter(business=business).select_related("customer")
    for e in rows.order_by("id").iterator(2000):
        yield [e.customer.public_id, e.customer.name, e.channel, e.purpose,
               "yes" if e.granted else "no", e.source, e.note, e.proof, _when(e.at)]


EXPORTS = {
    "customers": ("Customers", customers),
    "engagements": ("Sales and jobs", engagements),
    "touchpoints": ("Touchpoints", touchpoints),
    "feedback": ("Feedback (survey answers)", feedback),
    "consent": ("Consent ledger", consent),
}


class _Echo:
    def write(self, value):
        return value


def rows_as_csv(rows):
    writer = csv.writer(_Echo())
    yield "\ufeff"  # so Excel reads the file as UTF-8
    for row in rows:
        yield writer.writerow(csvsafe.row(row))


def response(business, kind: str) -> StreamingHttpResponse:
    _label, rows = EXPORTS[kind]
    stamp = timezone.now().strftime("%Y%m%d")
    result = StreamingHttpResponse(rows_as_csv(rows(business)),
                                   content_type="text/csv; charset=utf-8")
    result["Content-Disposition"] = f'attachment; filename="{business.slug}-{kind}-{stamp}.csv"'
    return result
