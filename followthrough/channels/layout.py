"""The one HTML layout of every email, and the business's identity in mail headers.

Every email (a playbook step from the worker, a queued alert, confirmation, invitation or
test) is its plain text plus this layout around the text's HTML twin: the business's logo
or name, its brand colour, the message, and a footer with its website, postal address and
unsubscribe link. The layout is a template (templates/emails/layout.html) with a
stylesheet, and css_inline writes the styles onto the elements, since mail clients ignore
or strip <style>. The template is rendered and inlined once per brand; each message then
fills its markers, so a message costs one small css_inline pass over its own body.

What goes into the markers is already safe HTML: the body is rendering.text_to_html's
escaped and sanitised paragraphs, the footer is built here with escaping, and the title
and preheader are escaped here.
"""

import ipaddress
import logging
import re
import threading
import time
from dataclasses import dataclass
from email.header import Header
from email.utils import parseaddr
from functools import lru_cache
from urllib.parse import quote, urlsplit

import css_inline
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.html import escape, format_html

from followthrough.channels.rendering import SCORE_LINE
from followthrough.tenants.models import DEFAULT_BRAND_COLOUR, Business, safe_brand_colour

# Used when neither the business nor the install names a real domain (a demo on
# localhost): .invalid is reserved (RFC 2606), so it can never be someone else's.
FALLBACK_DOMAIN = "followthrough.invalid"
PREHEADER_CHARS = 110
log = logging.getLogger("followthrough.email")
LOCAL_SUFFIXES = (".localhost", ".local", ".localdomain", ".internal", ".lan")


def real_domain(name: str | None) -> str:
    """`name` lowercased if it is a public-looking domain, else "": no localhost, no bare
    host name, no IP address (a Message-ID @localhost marks mail as sloppy or spam)."""
    name = (name or "").strip().strip(".").lower()
    if not name.isascii() or "." not in name or name.endswith(LOCAL_SUFFIXES):
        return ""
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return name if all(part.replace("-", "").isalnum() for part in name.split(".")) else ""
    return ""


# The worker asks for the same few senders' addresses and domains for every message, and
# parsing an address costs more than the rest of a Message-ID: both are kept per string.
@lru_cache(maxsize=4096)
def bare_address(address: str) -> str:
    """The address in `Name <address>` (or in a bare address)."""
    return parseaddr(address or "")[1]


def address_domain(address: str) -> str:
    return bare_address(address).rpartition("@")[2]


def install_domain() -> str:
    """The install's own mail domain, for mail that belongs to no business."""
    return mail_domain()


def mail_domain(*candidates: str) -> str:
    """The first real domain among `candidates`, then the install's sender address and
    public address, then FALLBACK_DOMAIN."""
    return _mail_domain(candidates, settings.DEFAULT_FROM_EMAIL, settings.SITE_URL)


@lru_cache(maxsize=1024)
def _mail_domain(candidates: tuple[str, ...], default_from: str, site_url: str) -> str:
    for name in (*candidates, address_domain(default_from), urlsplit(site_url).hostname):
        domain = real_domain(name)
        if domain:
            return domain
    return FALLBACK_DOMAIN


@dataclass(frozen=True)
class Brand:
    """What the layout shows of a business, as plain strings (it crosses threads)."""

    name: str
    colour: str = DEFAULT_BRAND_COLOUR
    logo_url: str = ""
    website: str = ""
    domain: str = FALLBACK_DOMAIN
    slug: str = ""

    def __post_init__(self):
        # css_inline re-serialises the page and writes < and > in attribute values back
        # unescaped (valid HTML, but a trap for anything that reads the mail naively), so
        # the two addresses are percent-encoded down to URL characters first.
        object.__setattr__(self, "website", safe_url(self.website))
        object.__setattr__(self, "logo_url", safe_url(self.logo_url, https_only=True))

    @classmethod
    def of(cls, business: Business | None) -> "Brand":
        if business is None:
            return cls(name="Followthrough", domain=install_domain())
        return cls(
            name=business.name, colour=safe_brand_colour(business.brand_colour),
            logo_url=business.logo_url, website=business.website,
            domain=mail_domain(address_domain(business.sender_email),
                               urlsplit(business.website or "").hostname),
            slug=business.slug,
        )


_URL_SAFE = ":/?#[]@!$&'()*+,;=%-._~"


def safe_url(url: str, https_only: bool = False) -> str:
    """An http(s) address with every character outside a URL's own percent-encoded
    (quotes, angle brackets, spaces), or "" for any other scheme."""
    url = (url or "").strip()
    schemes = ("https://",) if https_only else ("https://", "http://")
    if not url.lower().startswith(schemes):
        return ""
    return quote(url, safe=_URL_SAFE)


# Brands by business slug, for mail that names its business only by slug (the worker's
# OutgoingEmail). Kept a minute, and dropped in this process when a business is saved.
BRAND_TTL = 60.0
_brands: dict[str, tuple[float, Brand]] = {}
_brands_lock = threading.Lock()


def brand_for_slug(slug: str) -> Brand:
    """The business's brand, or a plain one when it cannot be read: the brand dresses a
    message, and a message must never fail for want of it."""
    if not slug:
        return Brand.of(None)
    now = time.monotonic()
    with _brands_lock:
        cached = _brands.get(slug)
    if cached and now - cached[0] < BRAND_TTL:
        return cached[1]
    try:
        business = Business.objects.filter(slug=slug).first()
    except Exception:
        log.warning("email layout: cannot read the brand of %s; using a plain one", slug,
                    exc_info=True)
        return Brand(name=slug, domain=install_domain(), slug=slug)
    brand = Brand.of(business) if business else Brand(name=slug, domain=install_domain(),
                                                       slug=slug)
    with _brands_lock:
        _brands[slug] = (now, brand)
    return brand


def forget_brands(**kwargs) -> None:
    with _brands_lock:
        _brands.clear()


def list_id(brand: Brand) -> str:
    """RFC 2919 List-Id: the business's name as the phrase, `<slug.domain>` as the id. A
    name outside ASCII is encoded on its own (RFC 2047), so the id stays readable."""
    phrase = " ".join(brand.name.replace("\\", "").replace('"', "").split())[:60]
    if not phrase.isascii():
        phrase = Header(phrase, "utf-8").encode(maxlinelen=998)
    else:
        phrase = f'"{phrase}"'
    return f"{phrase} <{brand.slug or 'mail'}.{brand.domain}>"


_MARKERS = ("title", "preheader", "body", "footer")
_INLINER = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)


@lru_cache(maxsize=512)
def _skeleton(brand: Brand) -> tuple[str, ...]:
    """The layout for `brand`, inlined, split at its markers: 5 pieces around 4 holes."""
    markers = {name: f"@@ft-{name}@@" for name in _MARKERS}
    document = _INLINER.inline(render_to_string("emails/layout.html",
                                                {"brand": brand, "marker": markers}))
    pieces = []
    for name in _MARKERS:
        before, found, document = document.partition(markers[name])
        if not found:
            raise RuntimeError(f"the email layout lost its {name} marker")
        pieces.append(before)
    return (*pieces, document)


@lru_cache(maxsize=512)
def _body_css(brand: Brand) -> str:
    """Paragraphs keep every client's default margins (1em), which the content cell's
    padding allows for, so the body's <p> tags stay bare."""
    colour = brand.colour
    return (
        f"a {{ color: {colour}; text-decoration: underline; }} "
        ".scores { width: 100%; margin: 4px 0 4px; border-collapse: separate; } "
        f".score {{ width: 9%; padding: 0; text-align: center; background: {colour}; "
        "border-radius: 4px; } "
        f".score-link {{ display: block; padding: 12px 0; background: {colour}; "
        "color: #ffffff; font-size: 16px; font-weight: 700; line-height: 20px; "
        "text-align: center; text-decoration: none; border-radius: 4px; } "
        ".score-ends { width: 100%; margin: 0 0 16px; } "
        ".score-end { font-size: 13px; color: #5f5750; } "
        ".score-end-high { text-align: right; }"
    )


_FOOTER_CSS = "p { margin: 0 0 8px; } a { color: #5f5750; text-decoration: underline; }"


def footer_html(brand: Brand, postal_address: str = "", unsubscribe_url: str = "") -> str:
    """Who sent it and how to leave: the business's name and website, its postal address
    and the unsubscribe link for relationship and marketing mail (CAN-SPAM)."""
    parts = []
    if brand.website:
        parts.append(format_html('<p>{} · <a href="{}">{}</a></p>', brand.name, brand.website,
                                 urlsplit(brand.website).netloc or brand.website))
    else:
        parts.append(format_html("<p>{}</p>", brand.name))
    if postal_address.strip():
        lines = [escape(line.strip()) for line in postal_address.splitlines() if line.strip()]
        parts.append(f"<p>{'<br>'.join(lines)}</p>")
    if unsubscribe_url:
        parts.append(format_html('<p><a href="{}">Unsubscribe</a> from these emails.</p>',
                                 unsubscribe_url))
    return "".join(parts)


_ADDRESS = re.compile(r"\S*https?://\S+")


def preheader(text: str) -> str:
    """The first words of the message, which inbox lists show beside the subject (web
    addresses and one-tap answers left out)."""
    words = " ".join(_ADDRESS.sub(" ", SCORE_LINE.sub("", text)).split())
    return words if len(words) <= PREHEADER_CHARS else words[:PREHEADER_CHARS - 1] + "…"


def email_html(body_html: str, brand: Brand, *, subject: str = "", text: str = "",
               postal_address: str = "", unsubscribe_url: str = "") -> str:
    """The whole HTML document of an email: `body_html` (already safe: text_to_html's
    output) inside the brand's layout, with every style inline."""
    pieces = _skeleton(brand)
    body = css_inline.inline_fragment(body_html, _body_css(brand))
    footer = css_inline.inline_fragment(footer_html(brand, postal_address, unsubscribe_url),
                                        _FOOTER_CSS)
    holes = (escape(subject), escape(preheader(text)), body, footer)
    return "".join(piece + hole for piece, hole in zip(pieces, holes, strict=False)) + pieces[-1]
