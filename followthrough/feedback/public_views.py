"""Pages customers reach from a message or a friend's link, without signing in.

Every GET only shows; answers, subscriptions and referrals are recorded on POST. The one
exception, documented in docs/feedback.md, is the review redirect: a GET there adds one to a
click counter (never anything the customer sees), because a redirect cannot be a POST.

The forms here are csrf_exempt (documented in docs/feedback.md): the 128-bit token in the
address is the credential, so a forged cross-site POST would need the token it lacks; and
these pages are sent with `Referrer-Policy: no-referrer`, under which browsers send
`Origin: null` on POST, which Django's CSRF check refuses."""

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from followthrough import events
from followthrough import vocabulary as v
from followthrough.channels import kinds
from followthrough.customers.consent import record_consent
from followthrough.customers.models import Customer
from followthrough.customers.public_views import client_ip
from followthrough.feedback import clicks, newsletter, referrals, services
from followthrough.feedback.forms import ReferralForm, SurveyForm
from followthrough.feedback.models import ReviewClick


def _gone(request, why="unknown"):
    """A kind page for an old or mistyped link: 404 for unknown, 200 for expired."""
    return render(request, "feedback/public_gone.html", {"why": why},
                  status=404 if why == "unknown" else 200)


def _touch(request, token):
    touchpoint = services.touchpoint_for_link(token)
    if touchpoint is None:
        return None, _gone(request)
    if services.is_expired(touchpoint):
        return None, _gone(request, "expired")
    return touchpoint, None


@csrf_exempt
@require_http_methods(["GET", "POST"])
def survey(request, token):
    """GET shows the questions, with an answer that may still be edited; POST records it.
    The GET is the page customers load most, so it reads everything in one statement.

    A score button in the email opens this page with ?nps=N: the GET only shows it chosen,
    and the page's script (survey.js) records it with a one-tap POST, so a mail scanner that
    opens every link records nothing. Without script, the page's button does the same."""
    if request.method == "POST":
        if ONE_TAP_FIELD in request.POST:
            return _one_tap(request, token)
        return _answer(request, token)
    page = services.survey_page(token)
    if page is None:
        return _gone(request)
    if services.is_expired(page.touchpoint):
        return _gone(request, "expired")
    # A business's first survey creates its default wording, as settings_for() always has.
    questions = page.questions or services.settings_for(page.touchpoint.business)
    form = SurveyForm(initial=_initial(request, page.earlier), questions=questions)
    return _survey_form(request, form, page.touchpoint, editing=page.earlier is not None,
                        one_tap=_score(request.GET.get("nps")),
                        saved=_score(request.GET.get("saved")))


# The one-tap form's only field: the score (not "nps", which is the full form's radio group).
ONE_TAP_FIELD = "one_tap"
# survey.js asks for a bare 204 (it stays on the page); the no-script button gets the page.
ONE_TAP_HEADER = "X-Survey-One-Tap"


def _score(value) -> int | None:
    value = value or ""
    return int(value) if value.isdigit() and len(value) <= 2 and int(value) <= 10 else None


def _one_tap(request, token):
    """Record only the score, keeping whatever else the customer wrote earlier (an edit
    within 24 hours updates the same answer, so a repeated tap never duplicates)."""
    touchpoint, refusal = _touch(request, token)
    if refusal:
        return refusal
    score = _score(request.POST.get(ONE_TAP_FIELD))
    if score is None:
        return HttpResponseBadRequest("Choose a score from 0 to 10.")
    services.submit_response(touchpoint, {"nps": score})
    if request.headers.get(ONE_TAP_HEADER) == "fetch":
        return HttpResponse(status=204)
    return HttpResponseRedirect(f"{reverse('survey', args=[token])}?saved={score}", status=303)


def _answer(request, token):
    touchpoint, refusal = _touch(request, token)
    if refusal:
        return refusal
    form = SurveyForm(request.POST, questions=services.settings_for(touchpoint.business))
    if form.is_valid():
        response = services.submit_response(touchpoint, form.cleaned_data)
        return render(request, "feedback/survey_thanks.html",
                      {"shop": touchpoint.business, "response": response, "token": token})
    editing = services.editable_response(touchpoint) is not None
    return _survey_form(request, form, touchpoint, editing)


def _survey_form(request, form, touchpoint, editing: bool, one_tap: int | None = None,
                 saved: int | None = None):
    # The survey shows nothing of the signed-in app (no user, messages or CSRF token: its
    # forms are csrf_exempt), so it is rendered without the app's context processors.
    return HttpResponse(render_to_string("feedback/survey.html", {
        "form": form, "parts": form.parts(), "shop": touchpoint.business,
        "customer": touchpoint.customer, "editing": editing, "one_tap": one_tap,
        "saved": saved, "one_tap_field": ONE_TAP_FIELD,
    }), status=400 if form.errors else 200)


def _initial(request, earlier: dict | None) -> dict:
    """The earlier answer (if it may still be edited) and a one-tap score from the link."""
    initial = dict(earlier or {})
    score = _score(request.GET.get("nps"))
    if score is not None:
        initial["nps"] = score
    return initial


@require_http_methods(["GET", "HEAD"])
def review(request, token, site=""):
    touchpoint, refusal = _touch(request, token)
    if refusal:
        return refusal
    links = services.settings_for(touchpoint.business).review_links()
    if not site and len(links) != 1:
        return render(request, "feedback/review_choose.html",
                      {"shop": touchpoint.business, "links": links, "token": token})
    site = site or next(iter(links))
    if site not in links:
        return _gone(request)
    if not clicks.is_scanner(request, touchpoint.completed_at):
        ReviewClick.objects.create(business_id=touchpoint.business_id, touchpoint=touchpoint,
                                   site=site)
    return HttpResponseRedirect(links[site][1])


@require_GET
def social(request, token):
    touchpoint, refusal = _touch(request, token)
    if refusal:
        return refusal
    links = services.settings_for(touchpoint.business).social_links()
    return render(request, "feedback/social.html", {"shop": touchpoint.business,
                                                    "links": links})


@csrf_exempt
@require_http_methods(["GET", "POST"])
def subscribe(request, token):
    """Step one of double opt-in: the customer asks, and we email a confirmation link."""
    touchpoint, refusal = _touch(request, token)
    if refusal:
        return refusal
    customer = touchpoint.customer
    context = {"shop": touchpoint.business, "customer": customer}
    if request.method == "POST" and customer.email:
        newsletter.send_confirmation(customer)
        return render(request, "feedback/subscribe_sent.html", context)
    return render(request, "feedback/subscribe.html", context)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def subscribe_confirm(request, token):
    """Step two: the press on the confirmation page records the marketing consent."""
    try:
        customer = newsletter.customer_for(token)
    except signing.BadSignature:
        return _gone(request)
    context = {"shop": customer.business, "customer": customer}
    if request.method == "GET":
        return render(request, "feedback/subscribe_confirm.html", context)
    # The consent is recorded, but an address on the do-not-contact list stays on it: only
    # the owner lifts a suppression (customers/consent.py).
    with transaction.atomic():
        record_consent(customer, kinds.EMAIL, v.MARKETING, granted=True,
                       source="newsletter double opt-in",
                       proof=f"IP {client_ip(request)}; confirmation link emailed to "
                             f"{customer.email}; confirmed on the subscribe page")
        events.publish(customer.business, events.CUSTOMER_SUBSCRIBED,
                       {"customer": customer.public_id, "channel": kinds.EMAIL})
        newsletter.replan(customer)
    return render(request, "feedback/subscribe_done.html", context)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def referral_landing(request, code):
    referrer = Customer.objects.select_related("business").filter(
        referral_code=(code or "").upper()).first()
    if referrer is None:
        return _gone(request)
    shop = referrer.business
    form = ReferralForm(request.POST or None, region=shop.phone_region)
    context = {"shop": shop, "referrer": referrer, "form": form}
    if request.method == "POST" and form.filled_by_a_bot:
        # The page a person sees, so the bot learns nothing; nothing is saved.
        return render(request, "feedback/referral_done.html", context)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                referrals.receive_lead(referrer, form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        except referrals.TooManyLeads:
            form.add_error(None, f"This link has had a lot of visitors today. Please get in "
                                 f"touch with {shop.name} directly.")
            return render(request, "feedback/referral_landing.html", context, status=429)
        else:
            return render(request, "feedback/referral_done.html", context)
    return render(request, "feedback/referral_landing.html", context,
                  status=400 if form.errors else 200)
