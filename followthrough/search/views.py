"""The search pages: results as you type in the header, the full results page (which
works without JavaScript), and the customer picker's choices."""

from django.views.decorators.http import require_GET

from followthrough.customers import picker
from followthrough.search import backend
from followthrough.search.query import MAX_CHARS
from followthrough.tenants.access import business_required
from followthrough.tenants.views import in_business_zone, render

SUGGESTED = 4
LISTED = 50


def _typed(request, key="q") -> str:
    return request.GET.get(key, "")[:MAX_CHARS]


@business_required
@in_business_zone
@require_GET
def search_page(request):
    text = _typed(request).strip()
    results = backend.search(request.business, text, limit=LISTED)
    return render(request, "search/results.html", {"results": results, "q": text},
                  nav="search")


@business_required
@in_business_zone
@require_GET
def suggestions(request):
    """The header's answers as you type (htmx): a few of each kind and a link to all."""
    text = _typed(request).strip()
    results = backend.search(request.business, text, limit=SUGGESTED)
    return render(request, "search/_suggestions.html", {"results": results, "q": text})


@business_required
@require_GET
def customer_choices(request):
    """The customer picker's choices (htmx). Its search box is named <field>_q, so the
    form sends the typed text under that name when there is no JavaScript."""
    text = next((value for key, value in request.GET.items() if key.endswith("_q")), "")
    text = text[:MAX_CHARS].strip()
    found = picker.find(request.business, text) if text else []
    return render(request, "search/_choices.html",
                  {"customers": found, "q": text})
