"""PDFs to print with WeasyPrint: cards to write, address labels, maintenance postcards.

The HTML holds customer text (escaped by the templates), and WeasyPrint would fetch any URL
in it: a file:// attachment link once put the server's environment and database into a
PDF. So it fetches through `static_only_fetcher`, which serves the app's own static files
and refuses everything else."""

import mimetypes
import posixpath
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.template.loader import render_to_string
from weasyprint import HTML

from followthrough import vocabulary as v
from followthrough.touchpoints.views import render_touch

OCCASIONS = {
    v.THANK_YOU: "A thank-you",
    v.CHECK_IN: "Checking in",
    v.REFERRAL: "A thank-you for a referral",
    v.MAINTENANCE: "A friendly reminder",
    v.ONBOARDING: "Welcome",
}
# Avery L7163: A4, 2 × 7 labels of 99.1 × 38.1 mm.
LABELS_PER_SHEET = 14


class Refused(ValueError):
    pass


def static_path(url: str) -> str | None:
    """The file behind one of the app's own static URLs, or None for any other URL."""
    prefix = settings.SITE_URL + settings.STATIC_URL
    if not url.startswith(prefix):
        return None
    name = unquote(urlsplit(url[len(prefix):]).path)
    parts = name.split("/")
    if "\\" in name or "\x00" in name or any(part in ("", ".", "..") for part in parts):
        return None
    try:
        found = finders.find(posixpath.join(*parts))
    except SuspiciousFileOperation:
        return None
    return found if isinstance(found, str) else None


def static_only_fetcher(url: str) -> dict:
    """WeasyPrint's url_fetcher: the app's static files, and nothing else (no file://,
    http(s)://, data: or attachments). WeasyPrint logs the refusal and leaves it out."""
    path = static_path(url)
    if path is None:
        raise Refused(f"PDFs load only the app's own static files, not {url[:60]!r}")
    return {"file_obj": open(path, "rb"),  # noqa: SIM115 - WeasyPrint closes it
            "mime_type": mimetypes.guess_type(path)[0], "redirected_url": url}


def render_pdf(html: str) -> bytes:
    # Relative URLs such as {% static %} resolve against the site, then to static files.
    return HTML(string=html, base_url=settings.SITE_URL + "/",
                url_fetcher=static_only_fetcher).write_pdf()


def _pdf(template: str, context: dict) -> bytes:
    return render_pdf(render_to_string(template, context))


def talking_points(touchpoint) -> list[str]:
    customer, engagement = touchpoint.customer, touchpoint.engagement
    points = []
    if engagement.description:
        points.append(f"Name the work: {engagement.description}.")
    if customer.defining_moment:
        points.append(f"Why they chose you: {customer.defining_moment}")
    if customer.notes:
        points.append(f"Something personal: {customer.notes.splitlines()[0]}")
    points.append("Sign it yourself, and add one line only you could write.")
    return points


def suggested_message(touchpoint, business) -> str:
    _, script, _ = render_touch(touchpoint)
    if script:
        return script
    customer = touchpoint.customer
    what = touchpoint.engagement.description or "the work"
    return (f"Dear {customer.first_name}, thank you for trusting us with {what.lower()}. "
            f"It was a pleasure. If there is ever anything else we can do, just ask. "
            f"With warm wishes, {business.sender_name or business.name}")


def cards_pdf(business, touchpoints) -> bytes:
    cards = [{
        "touch": t, "occasion": OCCASIONS.get(t.element, t.name),
        "message": suggested_message(t, business), "points": talking_points(t),
    } for t in touchpoints]
    return _pdf("agenda/print/cards.html", {"business": business, "cards": cards})


def labels_pdf(business, touchpoints) -> bytes:
    seen, labels = set(), []
    for t in touchpoints:
        if t.customer_id in seen:
            continue
        seen.add(t.customer_id)
        labels.append({"name": t.customer.name,
                       "lines": [line.strip() for line in t.customer.postal_address.splitlines()
                                 if line.strip()]})
    sheets = [labels[i:i + LABELS_PER_SHEET] for i in range(0, len(labels), LABELS_PER_SHEET)]
    return _pdf("agenda/print/labels.html", {"business": business, "sheets": sheets or [[]]})


def postcards_pdf(business, touchpoints) -> bytes:
    cards = [{"touch": t, "message": suggested_message(t, business),
              "lines": [line.strip() for line in t.customer.postal_address.splitlines()
                        if line.strip()]} for t in touchpoints]
    return _pdf("agenda/print/postcards.html", {"business": business, "cards": cards})
