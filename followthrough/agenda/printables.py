"""PDFs to print with WeasyPrint: cards to write, address labels, maintenance postcards.

The HTML holds customer text (escaped by the templates), and WeasyPrint would fetch any URL
in it: a file:// attachment link once put the server's environment and database into a
PDF. So it fetches through `static_only_fetcher`, which serves the app's own static files
and refuses everything else."""

import functools
import mimetypes
import posixpath
from dataclasses import dataclass
from importlib import resources
from urllib.parse import unquote, urlsplit

import phonenumbers
from django import forms
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.template.loader import render_to_string
from weasyprint import HTML

from followthrough import vocabulary as v
from followthrough.touchpoints.models import Origin

OCCASIONS = {
    v.THANK_YOU: "A thank-you",
    v.CHECK_IN: "Checking in",
    v.REFERRAL: "A thank-you for a referral",
    v.MAINTENANCE: "A friendly reminder",
    v.ONBOARDING: "Welcome",
}


@dataclass(frozen=True)
class Paper:
    """A paper size and the label sheet that goes with it, measured from the makers' specs.
    Lengths are CSS lengths for the templates; none of them comes from a user."""

    key: str
    name: str
    labels: str
    page: str
    columns: int
    rows: int
    label_width: str
    label_height: str
    margin_top: str
    margin_left: str
    column_gap: str
    label_font: str
    card_page: str  # a card's worth: half the sheet, landscape
    postcard_page: str

    @property
    def per_sheet(self) -> int:
        return self.columns * self.rows

    @property
    def choice(self) -> str:
        return f"{self.name}, {self.labels} labels"


# Avery 5160: Letter, 3 × 10 labels of 2.625 × 1 in, 0.5 in top, 3/16 in sides, 1/8 in gutters.
LETTER = Paper("letter", "US Letter", "Avery 5160", "letter", 3, 10, "2.625in", "1in", "0.5in",
               "0.1875in", "0.125in", "8.5pt", "8.5in 5.5in", "6in 4in")
# Avery L7163: A4, 2 × 7 labels of 99.1 × 38.1 mm, 15.1 mm top, 4.65 mm sides, 2.5 mm gutter.
A4 = Paper("a4", "A4", "Avery L7163", "A4", 2, 7, "99.1mm", "38.1mm", "15.1mm", "4.65mm",
           "2.5mm", "10pt", "A5 landscape", "148mm 105mm")
PAPERS = {paper.key: paper for paper in (LETTER, A4)}
# The United States (with its territories) and Canada print on Letter; elsewhere A4.
LETTER_COUNTRIES = frozenset({"US", "CA", "PR", "GU", "VI", "AS", "MP"})


@functools.cache
def _zone_countries() -> dict[str, str]:
    """IANA zone → ISO country, from the zone.tab that the tzdata package ships."""
    text = (resources.files("tzdata") / "zoneinfo" / "zone.tab").read_text(encoding="utf-8")
    rows = (line.split("\t") for line in text.splitlines() if line and line[0] != "#")
    return {row[2]: row[0] for row in rows if len(row) >= 3}


def business_country(business) -> str:
    """Where the business is, as far as we know it: the country chosen in Settings, else its
    time zone's (old aliases such as US/Pacific included), else its phone number's."""
    if business.country:
        return business.country
    zone = business.timezone or ""
    country = _zone_countries().get(zone) or {"US": "US", "Canada": "CA"}.get(
        zone.partition("/")[0], "")
    if country or not business.phone:
        return country
    try:
        number = phonenumbers.parse(business.phone, None)
    except phonenumbers.NumberParseException:
        return ""
    return phonenumbers.region_code_for_number(number) or ""


def default_paper(business) -> Paper:
    return LETTER if business_country(business) in LETTER_COUNTRIES else A4


class PaperForm(forms.Form):
    paper = forms.ChoiceField(label="Paper", widget=forms.RadioSelect,
                              choices=[(p.key, p.choice) for p in PAPERS.values()],
                              error_messages={"invalid_choice": "Choose US Letter or A4."})


def paper_form(business, query) -> PaperForm:
    """The choice from the query string, or the business's usual paper when none was made."""
    if "paper" in query:
        return PaperForm(query)
    return PaperForm(initial={"paper": default_paper(business).key})


def chosen_paper(form: PaperForm) -> Paper | None:
    """The form's paper; None when the choice was not one we know."""
    if not form.is_bound:
        return PAPERS[form.initial["paper"]]
    return PAPERS[form.cleaned_data["paper"]] if form.is_valid() else None


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


# What the card says, by the step's element: our words in the business's voice. A card
# step's own body is a note to the owner ("post it today"), so it is never printed as the
# message. {for_job} is " for <the job>", {with_job} " with <the job>", or both empty.
MESSAGES = {
    v.THANK_YOU: "Thank you so much for choosing us{for_job}. It was a real pleasure, and we "
                 "hope you are delighted. If there is ever anything else we can do, just ask.",
    v.CHECK_IN: "We wanted to check that everything is just as it should be. If anything is "
                "not quite right, tell us and we will put it right.",
    v.REFERRAL: "Thank you for recommending us. A kind word from a customer means more to "
                "us than any advert, and we are very grateful.",
    v.ONBOARDING: "Welcome, and thank you for choosing us{for_job}. We are here whenever you "
                  "need us, so never hesitate to get in touch.",
    v.MAINTENANCE: "It is nearly time for a check-up again. Get in touch and we will find a "
                   "time that suits you.",
}
THANKS = ("Thank you for trusting us{with_job}. It was a pleasure. If there is ever anything "
          "else we can do, just ask.")


def _job(touchpoint) -> str:
    what = (touchpoint.engagement.description or "").strip().splitlines()
    what = what[0].strip().rstrip(".") if what else ""
    # "A new boiler" reads "for a new boiler"; "NHS clinic" keeps its capitals.
    first = what.split(" ", 1)[0]
    if first[:1].isupper() and (first[1:] == "" or first[1:].islower()):
        what = what[0].lower() + what[1:]
    return what


def suggested_message(touchpoint, business) -> str:
    """A short, warm note to copy by hand, never the step's instructions to the owner. A
    maintenance reminder's text is already written to the customer, so it is used as is."""
    if touchpoint.origin == Origin.MAINTENANCE and touchpoint.rendered_body.strip():
        return touchpoint.rendered_body.strip()
    job = _job(touchpoint)
    body = MESSAGES.get(touchpoint.element, THANKS).format(
        for_job=f" for {job}" if job else "", with_job=f" with {job}" if job else "")
    sender = business.sender_name or business.name
    return f"Dear {touchpoint.customer.first_name},\n\n{body}\n\nWith warm wishes,\n{sender}"


def address_lines(customer) -> list[str]:
    return [line.strip() for line in customer.postal_address.splitlines() if line.strip()]


def _customers(touchpoints) -> list:
    """Each touchpoint's customer once, in order."""
    return list({t.customer_id: t.customer for t in touchpoints}.values())


def needing_address(touchpoints) -> list:
    """The customers who get no label: there is no postal address to print."""
    return [c for c in _customers(touchpoints) if not address_lines(c)]


def cards_pdf(business, touchpoints, paper: Paper | None = None) -> bytes:
    cards = [{
        "touch": t, "occasion": OCCASIONS.get(t.element, t.name),
        "message": suggested_message(t, business), "points": talking_points(t),
    } for t in touchpoints]
    return _pdf("agenda/print/cards.html", {"business": business, "cards": cards,
                                            "paper": paper or default_paper(business)})


def labels_pdf(business, touchpoints, paper: Paper | None = None) -> bytes:
    paper = paper or default_paper(business)
    labels = [{"name": c.name, "lines": address_lines(c)}
              for c in _customers(touchpoints) if address_lines(c)]
    step = paper.per_sheet
    sheets = [labels[i:i + step] for i in range(0, len(labels), step)]
    return _pdf("agenda/print/labels.html", {"business": business, "sheets": sheets,
                                             "paper": paper})


def postcards_pdf(business, touchpoints, paper: Paper | None = None) -> bytes:
    cards = [{"touch": t, "message": suggested_message(t, business),
              "lines": address_lines(t.customer)} for t in touchpoints]
    return _pdf("agenda/print/postcards.html", {"business": business, "cards": cards,
                                                "paper": paper or default_paper(business)})
