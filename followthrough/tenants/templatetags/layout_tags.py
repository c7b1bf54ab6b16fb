"""The layout's header (the search box, the menu, the business switcher), rendered once per
process for the same inputs (followthrough/fragments.py): it was about a third of a signed-in
page's template work, and it changes only when the person, their business or the page does."""

from django import template
from django.template.loader import render_to_string

from followthrough.fragments import render_fragment

register = template.Library()

HEADER = "_site_header.html"
# Everything the header shows, from the page's context (tenants.context_processors and the
# view: `nav`, and `q` on the search page).
INPUTS = ("business", "membership", "other_memberships", "nav", "q", "outbox_enabled",
          "site_links")


@register.simple_tag(takes_context=True)
def site_header(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    values = {name: context.get(name) for name in INPUTS}
    values["signed_in"] = bool(user is not None and user.is_authenticated)
    if request is None:  # rendered outside a request: no CSRF token to give its forms
        return render_to_string(HEADER, values)
    return render_fragment(HEADER, values, request)
