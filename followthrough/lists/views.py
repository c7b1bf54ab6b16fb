from urllib.parse import urlencode

from django.utils import timezone
from django.views.decorators.http import require_http_methods

from followthrough.customers.models import Engagement
from followthrough.lists import jobs, keyset
from followthrough.tenants.access import business_required
from followthrough.tenants.views import in_business_zone, render


def sort_choice(form, sorts: dict, default: str) -> tuple[str, bool]:
    """(sort word, descending) from the form; each column has its natural direction."""
    data = form.cleaned_data if form.is_bound else {}
    key = data.get("sort") or default
    key = key if key in sorts else default
    direction = data.get("dir")
    descending = sorts[key][2] if not direction else direction == "desc"
    return key, descending


def query_string(params: dict, **changes) -> str:
    merged = {k: v for k, v in {**params, **changes}.items() if v not in (None, "")}
    return urlencode(merged)


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


def list_params(request, names) -> dict:
    return {name: request.GET.get(name, "") for name in names}


def sections(params: dict, form, statuses: dict) -> list[dict]:
    """The status links above the list; each keeps the other filters."""
    chosen = form.cleaned_data.get("status", "")
    return [{"label": label, "current": chosen == key,
             "query": query_string(params, status=key, after="", before="")}
            for key, label in [("", "All"), *((k, lbl) for k, (lbl, _) in statuses.items())]]


@business_required
@in_business_zone
@require_http_methods(["GET", "HEAD"])
def job_list(request):
    business = request.business
    statuses = jobs.status_filters(timezone.now())
    params = list_params(request, ("status", "playbook", "won_from", "won_to", "sort", "dir"))
    # The sort menu shows the order in use, not its first choice.
    form = jobs.JobFilterForm(business, statuses,
                              {**params, "sort": params["sort"] or jobs.DEFAULT_SORT})
    form.is_valid()
    key, descending = sort_choice(form, jobs.SORTS, jobs.DEFAULT_SORT)
    page = keyset.paginate(jobs.filtered(business, form, statuses), jobs.SORTS[key][1],
                           descending, after=request.GET.get("after", ""),
                           before=request.GET.get("before", ""))
    jobs.attach_next_and_delta(page.rows)
    filtering = any(params[k] for k in ("status", "playbook", "won_from", "won_to"))
    context = {
        "page": page, "form": form, "filtering": filtering,
        "sections": sections(params, form, statuses),
        "headings": headings(params, jobs.SORTS, key, descending),
        "next_query": query_string(params, after=page.last, before=""),
        "previous_query": query_string(params, before=page.first, after=""),
        "total": len(jobs.metrics.ELEMENTS),
        "filter_fields": [form[name] for name in form.fields],
        "sort_label": f"sorted by {jobs.SORTS[key][0].lower()}",
        "page_size": keyset.PAGE_SIZE,
        "has_any": bool(page.rows) or Engagement.objects.filter(business=business).exists(),
    }
    return render(request, "lists/job_list.html", context, nav="jobs")
