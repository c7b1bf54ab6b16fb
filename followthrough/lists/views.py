from urllib.parse import urlencode

from django.utils import timezone
from django.views.decorators.http import require_http_methods

from followthrough.customers.models import Customer, Engagement
from followthrough.lists import customers, jobs, keyset
from followthrough.tenants.access import business_required
from followthrough.tenants.views import in_business_zone, render

CURSORS = ("after", "before")


def query_string(params: dict, **changes) -> str:
    merged = {k: v for k, v in {**params, **changes}.items() if v not in (None, "")}
    return urlencode(merged)


def sort_choice(data: dict, sorts: dict, default: str) -> tuple[str, bool]:
    """(sort word, descending); each column has its natural direction."""
    key = data.get("sort") or default
    key = key if key in sorts else default
    direction = data.get("dir")
    descending = sorts[key][2] if not direction else direction == "desc"
    return key, descending


def headings(params: dict, sorts: dict, key: str, descending: bool) -> list[dict]:
    """Each sortable column with the link that sorts by it (again: the other way)."""
    out = []
    for word, (label, _, natural_desc) in sorts.items():
        current = word == key
        wants_desc = (not descending) if current else natural_desc
        out.append({
            "word": word, "label": label, "current": current,
            "aria": ("descending" if descending else "ascending") if current else None,
            "query": query_string(params, sort=word, dir="desc" if wants_desc else "asc",
                                  after="", before=""),
        })
    return out


def sections(params: dict, chosen: str, field: str, choices: list) -> list[dict]:
    """The links above a list that pick one filter value; each keeps the other filters."""
    return [{"label": label, "current": chosen == value,
             "query": query_string(params, **{field: value}, after="", before="")}
            for value, label in choices]


def bound_form(request, form_class, names, default_sort, *args):
    params = {name: request.GET.get(name, "").strip() for name in names}
    # The sort menu shows the order in use, not its first choice.
    form = form_class(*args, {**params, "sort": params["sort"] or default_sort})
    form.is_valid()
    return params, form


def page_context(request, params, form, sorts, key, descending, queryset, filter_names):
    page = keyset.paginate(queryset, sorts[key][1], descending,
                           after=request.GET.get("after", ""),
                           before=request.GET.get("before", ""))
    return page, {
        "page": page, "form": form, "page_size": keyset.PAGE_SIZE,
        "filtering": any(params[k] for k in filter_names),
        "filter_fields": [form[name] for name in form.fields],
        "headings": headings(params, sorts, key, descending),
        "sort_label": f"sorted by {sorts[key][0].lower()}",
        "next_query": query_string(params, after=page.last, before=""),
        "previous_query": query_string(params, before=page.first, after=""),
    }


@business_required
@in_business_zone
@require_http_methods(["GET", "HEAD"])
def job_list(request):
    business, now = request.business, timezone.now()
    statuses = jobs.status_filters(now)
    params, form = bound_form(
        request, jobs.JobFilterForm,
        ("status", "playbook", "won_from", "won_to", "sort", "dir"), jobs.DEFAULT_SORT,
        business, statuses)
    key, descending = sort_choice(form.cleaned_data, jobs.SORTS, jobs.DEFAULT_SORT)
    page, context = page_context(request, params, form, jobs.SORTS, key, descending,
                                 jobs.filtered(business, form, statuses, now),
                                 ("status", "playbook", "won_from", "won_to"))
    jobs.attach_next_and_delta(page.rows, now)
    context.update({
        "sections": sections(params, form.cleaned_data.get("status", ""), "status",
                             [("", "All"), *((k, v[0]) for k, v in statuses.items())]),
        "has_any": bool(page.rows) or Engagement.objects.filter(business=business).exists(),
    })
    return render(request, "lists/job_list.html", context, nav="jobs")


@business_required
@in_business_zone
@require_http_methods(["GET", "HEAD"])
def customer_list(request):
    business, now = request.business, timezone.now()
    params, form = bound_form(request, customers.CustomerFilterForm,
                              ("q", "show", "tag", "sort", "dir"), customers.DEFAULT_SORT)
    data = dict(form.cleaned_data)
    key, descending = sort_choice(data, customers.SORTS, customers.DEFAULT_SORT)
    wants_health = data.get("show") in customers.SHOW or key in customers.NEEDS_ROLLUP
    health_waiting = wants_health and not customers.health_ready(business)
    if health_waiting:  # answer without the health parts rather than wait for the build
        data["show"] = ""
        if key in customers.NEEDS_ROLLUP:
            key, descending = customers.DEFAULT_SORT, False
    page, context = page_context(
        request, params, form, customers.SORTS, key, descending,
        customers.filtered(business, data, now, wants_health and not health_waiting),
        ("q", "show", "tag"))
    customers.attach_jobs_and_health(business, page.rows, now)
    context.update({
        "sections": sections(params, data.get("show", ""), "show",
                             [("", "Everyone"), *customers.SHOW.items()]),
        "health_waiting": health_waiting,
        # A tag on a row filters by it; the template appends the tag, URL-encoded.
        "tag_query": "&".join(filter(None, [
            query_string(params, tag="", after="", before=""), "tag="])),
        "query": params["q"],
        "has_any": bool(page.rows) or Customer.objects.filter(business=business).exists(),
    })
    return render(request, "customers/customer_list.html", context, nav="customers")
