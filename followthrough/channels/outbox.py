"""The demo outbox: a real Django email backend that keeps each message as an OutboxMessage
row instead of delivering it, so a demo install sends nothing to real people."""

from django.core.mail.backends.base import BaseEmailBackend

from followthrough.channels.models import OutboxMessage

BUSINESS_HEADER = "X-Followthrough-Business"


def _html_alternative(message) -> str:
    for content, mimetype in getattr(message, "alternatives", []):
        if mimetype == "text/html":
            return content
    return ""


def outbox_message(message) -> OutboxMessage:
    mime = message.message()
    headers = {name: str(value) for name, value in mime.items()}
    return OutboxMessage(
        business_slug=headers.get(BUSINESS_HEADER, "")[:50],
        message_id=headers.get("Message-ID", "")[:200],
        from_email=message.from_email[:300],
        to=", ".join(message.recipients()),
        subject=str(message.subject)[:300],
        text_body=message.body,
        html_body=_html_alternative(message),
        headers=headers,
        raw=mime.as_string(),
    )


class OutboxEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        rows = []
        for message in email_messages:
            if not message.recipients():
                continue
            try:
                rows.append(outbox_message(message))
            except Exception:
                if not self.fail_silently:
                    raise
        OutboxMessage.objects.bulk_create(rows)
        return len(rows)
