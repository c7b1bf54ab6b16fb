"""Stage 2 pages: industry news to share, and the year plan of visits to new customers."""

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from followthrough.agenda import news, visits
from followthrough.agenda.forms import NewsForm, NewsTagForm, VisitForm
from followthrough.agenda.services import local_today
from followthrough.customers.models import Customer
from followthrough.tenants.access import business_required, get_scoped_or_404
from followthrough.tenants.views import in_business_zone, render


def _tags(business) -> list[str]:
    found = set()
    for tags in Customer.objects.filter(business=business).exclude(tags="").values_list(
            "tags", flat=True):
        found.update(t.strip() for t in tags.split(",") if t.strip())
    return sorted(found, key=str.lower)


def _shared_message(request, shared: news.Shared) -> None:
    count = len(shared.sent)
    if count:
        who = shared.sent[0].customer.name if count == 1 else f"{count} customers"
        messages.success(request, f"Shared with {who}. It goes out at the next good moment.")
    for customer, reason in shared.skipped:
        messages.warning(request, f"Not sent to {customer.name}: {reason}.")


def _share(request, form, customers):
    try:
        shared = news.share_news(request.business, customers, form.cleaned_data["link"],
                                 form.cleaned_data["note"], form.cleaned_data["subject"])
    except ValidationError as error:
        for name, problems in error.message_dict.items():
            form.add_error(name if name in form.fields else None, problems)
        return None
    _shared_message(request, shared)
    return redirect("today")


@business_required
@in_business_zone
@require_http_methods(["GET", "POST"])
def news_share(request):
    form = NewsTagForm(_tags(request.business), request.POST or None)
    if request.method == "POST" and form.is_valid():
        tagged = news.customers_tagged(request.business, form.cleaned_data["tag"])
        done = _share(request, form, tagged)
        if done:
            return done
    return render(request, "agenda/news.html", {"form": form, "customer": None}, nav="today")


@business_required
@in_business_zone
@require_http_methods(["GET", "POST"])
def customer_news(request, public_id):
    customer = get_scoped_or_404(Customer.objects, request.business, public_id=public_id)
    form = NewsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = _share(request, form, [customer])
        if done:
            return done
    return render(request, "agenda/news.html", {"form": form, "customer": customer},
                  nav="today")


def _year(request, today: dt.date) -> int:
    try:
        year = int(request.GET.get("year", today.year))
    except ValueError:
        return today.year
    return year if 2000 <= year <= 2100 else today.year


@business_required
@in_business_zone
@require_GET
def visit_plan(request):
    today = local_today(request.business, timezone.now())
    year = _year(request, today)
    context = {
        "year": year, "months": visits.year_plan(request.business, year),
        "this_month": today.replace(day=1), "today": today, "no_area": visits.NO_AREA,
    }
    return render(request, "agenda/visits.html", context, nav="today")


@business_required
@in_business_zone
@require_POST
def customer_visit(request, public_id):
    customer = get_scoped_or_404(Customer.objects, request.business, public_id=public_id)
    form = VisitForm(request.POST)
    year = request.POST.get("year", "")
    plan_url = reverse("visit_plan")
    back = redirect(f"{plan_url}?year={year}" if year.isdigit() else plan_url)
    if not form.is_valid():
        messages.error(request, "Visit on: choose a date for the visit.")
        return back
    try:
        visit = visits.plan_visit(request.business, customer, form.cleaned_data["on"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return back
    when = timezone.localtime(visit.due_at, request.business.zone)
    messages.success(request, f"Visit to {customer.name} planned for {when:%A %-d %B, %H:%M}.")
    return back
