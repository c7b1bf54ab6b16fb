import json

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_POST

from followthrough.customers import consent
from followthrough.customers.models import Customer
from followthrough.privacy import services
from followthrough.tenants import audit
from followthrough.tenants.access import get_scoped_or_404, owner_required
from followthrough.tenants.views import render


def _customer(request, public_id):
    return get_scoped_or_404(Customer.objects.select_related("business"), request.business,
                             public_id=public_id)


@owner_required
@require_POST
def customer_export(request, public_id):
    """A download, so it is a POST: it writes an audit entry."""
    customer = _customer(request, public_id)
    data = services.export_customer(customer)
    audit.record(request, request.business, "customer.export", target=customer,
                 changes={"via": "web"})
    response = HttpResponse(json.dumps(data, indent=2, ensure_ascii=False),
                            content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="customer-{customer.public_id}.json"'
    )
    return response


@owner_required
@require_http_methods(["GET", "HEAD", "POST"])
def customer_erase(request, public_id):
    customer = _customer(request, public_id)
    if request.method == "POST":
        if request.POST.get("confirm") != "erase":
            messages.error(request, "Tick the box to confirm the erasure.")
            return redirect("customer_erase", public_id=public_id)
        services.erase_customer(request, customer)
        messages.success(request, "Erased. Their personal details are gone and they won't be "
                                  "messaged again; your counts stay as they were.")
        return redirect("customer_detail", public_id=public_id)
    return render(request, "privacy/customer_erase.html", {"customer": customer},
                  nav="customers")


@owner_required
@require_http_methods(["GET", "HEAD", "POST"])
def customer_suppression(request, public_id):
    """Lifting a suppression is a deliberate owner's choice, confirmed and audited."""
    customer = _customer(request, public_id)
    channels = consent.suppressed_channels(customer)
    if request.method == "POST":
        channel = request.POST.get("channel", "")
        if channel not in channels:
            messages.error(request, "That address isn't on your do-not-contact list.")
        elif request.POST.get("confirm") != "lift":
            messages.error(request, "Tick the box to confirm.")
        else:
            consent.lift_suppression(request, customer, channel)
            messages.success(request, f"{customer.name} can be messaged by {channel} again, "
                                      "as far as their consent allows.")
            return redirect("customer_detail", public_id=public_id)
        return redirect("customer_suppression", public_id=public_id)
    return render(request, "privacy/customer_suppression.html",
                  {"customer": customer, "channels": channels}, nav="customers")
