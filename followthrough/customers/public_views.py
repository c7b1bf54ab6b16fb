"""Pages a customer reaches from a message, without signing in."""

from django.core import signing
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from followthrough.channels import kinds
from followthrough.customers.consent import read_unsubscribe_token, record_consent
from followthrough.customers.models import Customer
from followthrough.playbooks import vocabulary as v

# Withdrawing relationship mail withdraws marketing too: nobody who asked us to stop
# writing wants to keep getting offers.
WITHDRAWS = {v.RELATIONSHIP: (v.RELATIONSHIP, v.MARKETING), v.MARKETING: (v.MARKETING,)}


def _customer_for(token: str) -> tuple[Customer, str]:
    try:
        public_id, purpose = read_unsubscribe_token(token)
    except signing.BadSignature:
        raise Http404("Unknown link") from None
    customer = Customer.objects.select_related("business").filter(public_id=public_id).first()
    if customer is None or purpose not in WITHDRAWS:
        raise Http404("Unknown link")
    return customer, purpose


# RFC 8058: mail providers POST the one-click unsubscribe with no cookies and no CSRF
# token, so this POST must work without them. A GET only shows the button, so a link
# scanner that follows every URL unsubscribes nobody.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    customer, purpose = _customer_for(token)
    context = {"customer": customer, "shop": customer.business, "purpose": purpose}
    if request.method == "GET":
        return render(request, "customers/unsubscribe.html", context)
    for withdrawn in WITHDRAWS[purpose]:
        record_consent(customer, kinds.EMAIL, withdrawn, granted=False, source="unsubscribe link")
    return render(request, "customers/unsubscribed.html", context)
