"""Pages a customer reaches from a message, without signing in."""

from django.core import signing
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from followthrough import events
from followthrough import vocabulary as v
from followthrough.channels import kinds
from followthrough.customers.consent import read_unsubscribe_token, record_consent, suppress
from followthrough.customers.models import Customer

# Withdrawing relationship mail withdraws marketing too: nobody who asked us to stop
# writing wants to keep getting offers.
WITHDRAWS = {v.RELATIONSHIP: (v.RELATIONSHIP, v.MARKETING), v.MARKETING: (v.MARKETING,)}
# What the preferences page offers: choice → (channels, purposes, add to suppression list).
CHOICES = {
    "marketing": ((kinds.EMAIL,), (v.MARKETING,), False),
    "relationship": ((kinds.EMAIL,), (v.RELATIONSHIP, v.MARKETING), False),
    "everything": ((kinds.EMAIL, kinds.SMS), (v.RELATIONSHIP, v.MARKETING), True),
}


def _customer_for(token: str) -> tuple[Customer, str]:
    try:
        public_id, purpose = read_unsubscribe_token(token)
    except signing.BadSignature:
        raise Http404("Unknown link") from None
    customer = Customer.objects.select_related("business").filter(public_id=public_id).first()
    if customer is None or purpose not in WITHDRAWS:
        raise Http404("Unknown link")
    return customer, purpose


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _stop(request, customer: Customer, choice: str, source: str) -> None:
    channels, purposes, suppressed = CHOICES[choice]
    proof = f"IP {client_ip(request)}; {source}; {request.headers.get('User-Agent', '')[:200]}"
    for channel in channels:
        for purpose in purposes:
            record_consent(customer, channel, purpose, granted=False, source=source, proof=proof)
        if suppressed:
            suppress(customer, channel)
    events.publish(customer.business, events.CUSTOMER_UNSUBSCRIBED, {
        "customer": customer.public_id, "channels": list(channels), "purposes": list(purposes),
    })


# RFC 8058: mail providers POST the one-click unsubscribe with no cookies and no CSRF
# token, so this POST must work without them (and so must the preferences form, which posts
# to the same address). A GET only shows the preferences, so a link scanner that follows
# every URL unsubscribes nobody.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    customer, purpose = _customer_for(token)
    context = {"customer": customer, "shop": customer.business, "purpose": purpose}
    if request.method == "GET":
        return render(request, "customers/unsubscribe.html", context)
    choice = request.POST.get("choice", "")
    if choice in CHOICES:
        _stop(request, customer, choice, "preferences page")
    elif choice:
        context["error"] = "Please choose what to stop."
        return render(request, "customers/unsubscribe.html", context, status=400)
    else:
        _stop(request, customer, purpose, "one-click unsubscribe")
        choice = purpose
    context["choice"] = choice
    return render(request, "customers/unsubscribed.html", context)
