"""The pages where a customer's engagements and their touchpoints meet: the customer's
timeline, the new sale or job form, and the engagement with its plan. They live here, not
in customers, because they drive the engagement lifecycle that touchpoints.services owns."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from followthrough.customers.forms import EventForm, SaleForm, record_referral
from followthrough.customers.models import ConsentEvent
from followthrough.customers.services import upsert_customer
from followthrough.customers.views import (
    apply_validation_error,
    get_customer_or_404,
    get_engagement_or_404,
)
from followthrough.tenants.access import business_required
from followthrough.tenants.views import in_business_zone, render
from followthrough.touchpoints import planning, services
from followthrough.touchpoints.models import Status, Touchpoint


@business_required
@in_business_zone
@require_http_methods(["GET", "HEAD"])
def customer_detail(request, public_id):
    customer = get_customer_or_404(request, public_id)
    now = timezone.now()
    touchpoints = list(
        Touchpoint.objects.filter(business=request.business, customer=customer)
        .select_related("engagement")
        .order_by("due_at", "id")
    )
    context = {
        "customer": customer,
        "past": [t for t in touchpoints if t.status != Status.PLANNED],
        "planned": [t for t in touchpoints if t.status == Status.PLANNED],
        "engagements": customer.engagements.select_related("playbook").order_by("-won_at"),
        "consent": ConsentEvent.objects.filter(business=request.business, customer=customer),
        "now": now,
    }
    return render(request, "customers/customer_detail.html", context, nav="customers")


@business_required
@in_business_zone
@require_http_methods(["GET", "HEAD", "POST"])
def sale_new(request):
    business = request.business
    initial = {}
    wanted = request.GET.get("customer")
    if wanted:
        initial["customer"] = get_customer_or_404(request, wanted).public_id
    form = SaleForm(business, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                customer = data["customer"]
                if customer is None:
                    try:
                        customer, _ = upsert_customer(business, form.new_customer_data())
                    except ValidationError as exc:
                        raise ValidationError(
                            {f"new_{k}": val for k, val in exc.message_dict.items()}
                        ) from None
                    if form.referrer is not None:
                        record_referral(customer, form.referrer, data["new_referral_code"])
                engagement = services.create_engagement(
                    business, customer, data["playbook"],
                    kind=data["kind"], description=data["description"], value=data["value"],
                    won_at=data["won_at"], started_at=data["started_at"],
                    delivered_at=data["delivered_at"],
                )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(
                request,
                f"Saved the {(engagement.kind or 'sale').lower()} for {customer.name}. "
                f"{planning.plan_summary(engagement)}",
            )
            return redirect("engagement_detail", engagement.public_id)
    context = {"form": form, "has_playbooks": form.fields["playbook"].queryset.exists()}
    return render(request, "customers/sale_form.html", context, nav="customers")


def _engagement_page(request, engagement, event_form, status=None):
    touchpoints = engagement.touchpoints.select_related("step").order_by("due_at", "id")
    context = {
        "engagement": engagement,
        "customer": engagement.customer,
        "touchpoints": touchpoints,
        "event_form": event_form,
        "dates": [
            ("Won", engagement.won_at), ("Started", engagement.started_at),
            ("Delivered", engagement.delivered_at), ("Closed", engagement.closed_at),
            ("Cancelled", engagement.cancelled_at),
        ],
    }
    return render(request, "customers/engagement_detail.html", context, status=status,
                  nav="customers")


@business_required
@in_business_zone
@require_http_methods(["GET", "HEAD"])
def engagement_detail(request, public_id):
    engagement = get_engagement_or_404(request, public_id)
    return _engagement_page(request, engagement, EventForm())


EVENT_FIELDS = {"started": "started_at", "delivered": "delivered_at", "closed": "closed_at",
                "cancelled": "cancelled_at"}


@business_required
@in_business_zone
@require_POST
def engagement_event(request, public_id):
    engagement = get_engagement_or_404(request, public_id)
    form = EventForm(request.POST)
    if form.is_valid():
        event, at = form.cleaned_data["event"], form.cleaned_data["at"]
        try:
            with transaction.atomic():
                services.record_event(engagement, event, at)
        except ValidationError as exc:
            # The service names model fields (delivered_at); on this form they are all "When".
            mapped = {name: "at" for name in EVENT_FIELDS.values()}
            mapped["event"] = "event"
            apply_validation_error(form, exc, field_map=mapped)
        else:
            label = dict(form.fields["event"].choices)[event].lower()
            messages.success(
                request, f"Recorded: {label} on {timezone.localtime(at):%-d %b %Y, %H:%M}. "
                "The plan has been updated to match."
            )
            return redirect("engagement_detail", engagement.public_id)
    engagement.refresh_from_db()
    return _engagement_page(request, engagement, form, status=400)
