import functools

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

# The header's links, by the name _site_header.html uses.
LAYOUT_ROUTES = {
    "today": "today", "login": "login", "search": "search",
    "search_suggestions": "search_suggestions", "week": "week", "customers": "customer_list",
    "jobs": "customers:job_list", "feedback": "feedback_list", "playbooks": "playbook_list",
    "insights": "insights", "outbox": "outbox_list", "settings": "settings",
    "switch_business": "switch_business", "account": "account", "logout": "logout",
}


def business(request):
    return {
        "business": getattr(request, "business", None),
        "membership": getattr(request, "membership", None),
        "outbox_enabled": settings.OUTBOX_ENABLED,
        "demo_mode": settings.DEMO_MODE,
        "site_links": paths(LAYOUT_ROUTES),
    }


def paths(routes: dict[str, str]) -> dict[str, str]:
    """Each name's path ({name: route}, routes without arguments), reversed once per process
    (and script prefix and URLconf): a page's sixteen reverses were a tenth of its server
    time. "" for a route whose app is not installed."""
    return _paths(tuple(routes.items()), get_script_prefix(), get_urlconf())


@functools.lru_cache(maxsize=64)
def _paths(routes: tuple, prefix: str, urlconf) -> dict[str, str]:
    found = {}
    for name, route in routes:
        try:
            found[name] = reverse(route, urlconf=urlconf)
        except NoReverseMatch:
            found[name] = ""
    return found
