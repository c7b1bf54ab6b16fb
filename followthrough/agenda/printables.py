"""PDFs to print with WeasyPrint: cards to write, address labels, maintenance postcards."""

from django.template.loader import render_to_string
from weasyprint import HTML

from followthrough.playbooks import vocabulary as v
from followthrough.touchpoints.views import render_touch

OCCASIONS = {
    v.THANK_YOU: "A thank-you",
    v.CHECK_IN: "Checking in",
    v.REFERRAL: "A thank-you for a referral",
    v.MAINTENANCE: "A friendly reminder",
    v.ONBOARDING: "Welcome",
}
# Avery L7163: A4, 2 × 7 labels of 99.1 × 38.1 mm.
LABELS_PER_SHEET = 14


def _pdf(template: str, context: dict) -> bytes:
    html = render_to_string(template, context)
    return HTML(string=html).write_pdf()


def talking_points(touchpoint) -> list[str]:
    customer, engagement = touchpoint.customer, touchpoint.engagement
    points = []
    if engagement.description:
        points.append(f"Name the work: {engagement.description}.")
    if customer.defining_moment:
        points.append(f"Why they chose you: {customer.defining_moment}")
    if customer.notes:
        points.append(f"Something personal: {customer.notes.splitlines()[0]}")
    points.append("Sign it yourself, and add one line only you could write.")
    return points


def suggested_message(touchpoint, business) -> str:
    _, script, _ = render_touch(touchpoint)
    if script:
        return script
    customer = touchpoint.customer
    what = touchpoint.engagement.description or "the work"
    return (f"Dear {customer.first_name}, thank you for trusting us with {what.lower()}. "
            f"It was a pleasure. If there is ever anything else we can do, just ask. "
            f"With warm wishes, {business.sender_name or business.name}")


def cards_pdf(business, touchpoints) -> bytes:
    cards = [{
        "touch": t, "occasion": OCCASIONS.get(t.element, t.name),
        "message": suggested_message(t, business), "points": talking_points(t),
    } for t in touchpoints]
    return _pdf("agenda/print/cards.html", {"business": business, "cards": cards})


def labels_pdf(business, touchpoints) -> bytes:
    seen, labels = set(), []
    for t in touchpoints:
        if t.customer_id in seen:
            continue
        seen.add(t.customer_id)
        labels.append({"name": t.customer.name,
                       "lines": [line.strip() for line in t.customer.postal_address.splitlines()
                                 if line.strip()]})
    sheets = [labels[i:i + LABELS_PER_SHEET] for i in range(0, len(labels), LABELS_PER_SHEET)]
    return _pdf("agenda/print/labels.html", {"business": business, "sheets": sheets or [[]]})


def postcards_pdf(business, touchpoints) -> bytes:
    cards = [{"touch": t, "message": suggested_message(t, business),
              "lines": [line.strip() for line in t.customer.postal_address.splitlines()
                        if line.strip()]} for t in touchpoints]
    return _pdf("agenda/print/postcards.html", {"business": business, "cards": cards})
