"""Text messages: the composer's segment counter, Twilio's inbound and status webhooks.

Inbound texts arrive at one install-wide URL and are checked against Twilio's
X-Twilio-Signature, made with the auth token of the account named in AccountSid (the
install's TWILIO_AUTH_TOKEN, or a business's own from its settings). STOP and its
synonyms withdraw SMS consent for every customer with that number, for every purpose (only
the receiving business's customers when the text came to a business's own number);
START restores it. Each keyword gets exactly one confirmation text, as the TwiML answer
to the message itself, and only when it changed something, so a repeated STOP is not
answered twice. Every other text is kept as an inbound message of the customer's
conversation (conversations/services.py); a text without From or Body is refused with a
400 that says which."""

import math
from xml.sax.saxutils import escape

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from followthrough import vocabulary as v
from followthrough.channels import kinds
from followthrough.conversations import services as conversations
from followthrough.conversations.matching import business_for_text
from followthrough.customers import consent
from followthrough.customers.models import ConsentEvent, Customer
from followthrough.customers.services import normalise_phone
from followthrough.tenants.models import Business
from followthrough.touchpoints.models import Touchpoint

STOP_WORDS = frozenset({"STOP", "QUIT", "END", "REVOKE", "OPT OUT", "OPTOUT", "CANCEL",
                        "UNSUBSCRIBE", "STOPALL"})
START_WORDS = frozenset({"START", "UNSTOP", "YES"})
STOPPED_REPLY = "You're unsubscribed and won't get more texts from us. Reply START to undo."
STARTED_REPLY = "Welcome back: you'll get our texts again. Reply STOP to opt out."
PURPOSES = (v.TRANSACTIONAL, v.RELATIONSHIP, v.MARKETING)

# GSM 03.38: the basic set, and the extension set whose characters take two septets.
GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ ÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = set("^{}\\[~]|€\f")


def segment_info(text: str) -> dict:
    """How many SMS segments `text` takes, and the characters that force UCS-2."""
    non_gsm = sorted({ch for ch in text if ch not in GSM_BASIC and ch not in GSM_EXTENDED})
    if non_gsm:
        length = sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)
        single, multi, encoding = 70, 67, "UCS-2"
    else:
        length = sum(2 if ch in GSM_EXTENDED else 1 for ch in text)
        single, multi, encoding = 160, 153, "GSM-7"
    segments = 0 if not text else (1 if length <= single else math.ceil(length / multi))
    return {"length": length, "segments": segments, "encoding": encoding,
            "non_gsm": non_gsm, "per_segment": single if segments <= 1 else multi}


def _auth_tokens(account_sid: str) -> list[str]:
    """The tokens that may have signed a request from this Twilio account: the install's
    (TWILIO_AUTH_TOKEN overrides every business's), else those of the businesses that set
    this account up in their settings."""
    if settings.TWILIO_AUTH_TOKEN:
        return [settings.TWILIO_AUTH_TOKEN]
    if not account_sid:
        return []
    businesses = Business.objects.filter(sms_account_sid=account_sid).exclude(
        sms_auth_token="").only("sms_auth_token")[:20]
    return [business.sms_auth_token for business in businesses if business.sms_auth_token]


def _valid_signature(request) -> bool:
    from twilio.request_validator import RequestValidator

    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        return False
    url = settings.SITE_URL + request.get_full_path()
    params = {key: request.POST.get(key) for key in request.POST}
    return any(RequestValidator(token).validate(url, params, signature)
               for token in _auth_tokens(request.POST.get("AccountSid", "")))


def _twiml(message: str = "") -> HttpResponse:
    inner = f"<Message>{escape(message)}</Message>" if message else ""
    return HttpResponse(f'<?xml version="1.0" encoding="UTF-8"?><Response>{inner}</Response>',
                        content_type="text/xml")


def set_sms_consent(phone: str, granted: bool, source: str, proof: str,
                    business: Business | None = None) -> int:
    """Record the keyword for every customer with this number whose state it changes (of
    `business` only, when the text came to its own number); returns how many changed."""
    changed = 0
    customers = Customer.objects.filter(phone=phone).select_related("business")
    if business is not None:
        customers = customers.filter(business=business)
    with transaction.atomic():
        for customer in customers:
            stopped = consent.newest(customer, kinds.SMS, v.TRANSACTIONAL) is False
            if stopped == (not granted):
                continue
            ConsentEvent.objects.bulk_create([
                ConsentEvent(business=customer.business, customer=customer, channel=kinds.SMS,
                             purpose=purpose, granted=granted, source=source, proof=proof)
                for purpose in PURPOSES
            ])
            changed += 1
    return changed


@csrf_exempt  # Twilio posts without cookies; X-Twilio-Signature is the check.
@require_POST
def inbound(request):
    if not _valid_signature(request):
        return HttpResponseForbidden("Invalid X-Twilio-Signature.")
    sender, body = request.POST.get("From", "").strip(), request.POST.get("Body")
    if not sender or body is None:
        return HttpResponseBadRequest("A text needs From and Body: this one lacks "
                                      f"{'From' if not sender else 'Body'}.")
    try:
        phone = normalise_phone(sender)
    except Exception:  # a sender we cannot read (a short code, a name) is nobody we know
        phone = ""
    word = " ".join(body.upper().split()).strip(".! ")
    sid, to = request.POST.get("MessageSid", "")[:64], request.POST.get("To", "")
    receiver = business_for_text(to)
    if phone and word in STOP_WORDS:
        if set_sms_consent(phone, False, "sms STOP", f"Texted {word!r}, message {sid}",
                           receiver):
            return _twiml(STOPPED_REPLY)
    elif phone and word in START_WORDS:
        if set_sms_consent(phone, True, "sms START", f"Texted {word!r}, message {sid}",
                           receiver):
            return _twiml(STARTED_REPLY)
    else:
        conversations.receive_text(sender, phone, body, sid, to,
                                   _count(request.POST.get("NumMedia", "")))
    return _twiml()


def _count(value: str) -> int:
    return int(value) if value.isdigit() else 0


@csrf_exempt  # Twilio posts without cookies; X-Twilio-Signature is the check.
@require_POST
def status(request):
    """Twilio's delivery status callback: a text that could not be delivered is noted on
    its touchpoint."""
    if not _valid_signature(request):
        return HttpResponseForbidden("Invalid X-Twilio-Signature.")
    sid = request.POST.get("MessageSid", "")[:200]
    state = request.POST.get("MessageStatus", "")[:20]
    if sid and state in ("failed", "undelivered"):
        code = request.POST.get("ErrorCode", "")[:10]
        Touchpoint.objects.filter(channel=kinds.SMS, message_id=sid).update(
            last_error=f"Twilio reports the text {state} (error {code or 'unknown'}).")
    elif sid and state == "delivered":
        Touchpoint.objects.filter(channel=kinds.SMS, message_id=sid).update(last_error="")
    return HttpResponse(status=204)
