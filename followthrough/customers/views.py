from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods

from followthrough.customers.forms import CustomerForm
from followthrough.customers.models import Customer, Engagement
from followthrough.tenants.access import business_required, get_scoped_or_404
from followthrough.tenants.views import in_business_zone, render


def get_customer_or_404(request, public_id):
    return get_scoped_or_404(Customer.objects.all(), request.business, public_id=public_id)


def get_engagement_or_404(request, public_id):
    queryset = Engagement.objects.select_related("customer", "playbook")
    return get_scoped_or_404(queryset, request.business, public_id=public_id)


def apply_validation_error(form, exc: ValidationError, field_map=None):
    """Put a model or service ValidationError on the form fields it names."""
    field_map = field_map or {}
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            field = field_map.get(field, field)
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _save_customer_form(request, form, verb):
    try:
        with transaction.atomic():
            customer = form.save(commit=False)
            customer.business = request.business
            customer.save()
    except ValidationError as exc:
        apply_validation_error(form, exc)
        return None
    messages.success(request, f"{verb} {customer.name}.")
    return customer


@business_required
@in_business_zone
@require_http_methods(["GET", "HEAD", "POST"])
def customer_new(request):
    form = CustomerForm(request.POST or None, instance=Customer(business=request.business))
    if request.method == "POST" and form.is_valid():
        customer = _save_customer_form(request, form, "Added")
        if customer:
            return redirect("customer_detail", customer.public_id)
    context = {"form": form, "title": "New customer"}
    return render(request, "customers/customer_form.html", context, nav="customers")


@business_required
@in_business_zone
@require_http_methods(["GET", "HEAD", "POST"])
def customer_edit(request, public_id):
    customer = get_customer_or_404(request, public_id)
    form = CustomerForm(request.POST or None, instance=customer)
    if request.method == "POST" and form.is_valid():
        if _save_customer_form(request, form, "Saved changes to"):
            return redirect("customer_detail", customer.public_id)
    context = {"form": form, "customer": customer, "title": f"Edit {customer.name}"}
    return render(request, "customers/customer_form.html", context, nav="customers")
