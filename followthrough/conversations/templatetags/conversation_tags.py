from django import template
from django.db.models import Prefetch

from followthrough.conversations.models import Attachment, Message

register = template.Library()

SHOWN = 50


# The timeline lists the files by name: their bytes stay in the database.
FILES = Prefetch("attachments", queryset=Attachment.objects.defer("data"))


@register.simple_tag
def customer_conversation(customer) -> dict:
    """What the customer page shows of the conversation; the page's view lives in
    touchpoints, which may not import conversations, so the template asks for it here."""
    rows = list(Message.objects.filter(customer=customer)
                .select_related("touchpoint").prefetch_related(FILES)
                .order_by("-received_at", "-id")[:SHOWN])
    rows.reverse()
    answering = next((m for m in reversed(rows)
                      if m.direction == Message.IN and not m.is_automatic), None)
    return {
        "messages": rows,
        "answering": answering,
        "unmatched": Message.objects.filter(business_id=customer.business_id,
                                            direction=Message.IN, customer=None).count(),
        "channel": "sms" if answering and answering.channel == "sms" else "email",
    }
