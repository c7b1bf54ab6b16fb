import functools

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

# The header's links, by the name base.html uses. Reversed once per process (and script
# prefix and URLconf): sixteen reverses were a tenth of a signed-in page's server time.
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
        "site_links": _links(get_script_prefix(), get_urlconf()),
    }


@functools.lru_cache(maxsize=16)
def _links(prefix: str, urlconf) -> dict[str, str]:
    """Each layout link's path; "" for a page whose app is not installed."""
    found = {}
    for key, route in LAYOUT_ROUTES.items():
        try:
            found[key] = reverse(route, urlconf=urlconf)
        except NoReverseMatch:
            found[key] = ""
    return found
