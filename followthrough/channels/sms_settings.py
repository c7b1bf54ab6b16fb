"""Settings → Text messages: a business's own Twilio account, and "Send me a test text".

The auth token is stored encrypted (followthrough/crypto.py) and never shown again: the
page says only that one is saved and how it ends. A TWILIO_* environment variable, when
set, overrides the matching box for every business, and the page says so."""

import logging
import re

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db import transaction
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from followthrough.channels.transports import (
    SMS_PARTS,
    OutgoingSms,
    SmsTransport,
    TransportError,
    sms_account,
)
from followthrough.phones import parse_phone, phone_hint
from followthrough.tenants import audit
from followthrough.tenants.access import owner_required
from followthrough.tenants.views import render
from followthrough.text import refuse_controls

log = logging.getLogger("followthrough.channels")
ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
AUTH_TOKEN = re.compile(r"^[0-9A-Za-z]{16,64}$")
# A test text costs the owner money: one per business in this many seconds.
TEST_PAUSE_SECONDS = 20


def token_ending(token: str) -> str:
    return token[-4:] if len(token) >= 12 else ""


class SmsSettingsForm(forms.Form):
    sms_account_sid = forms.CharField(
        label="Account SID", max_length=64, required=False,
        help_text="Starts with AC. It is on the home page of your Twilio console.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false",
                                      "autocapitalize": "none"}),
    )
    sms_auth_token = forms.CharField(
        label="Auth token", max_length=64, required=False, strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password",
                                          "spellcheck": "false"}),
    )
    forget_token = forms.BooleanField(label="Remove the saved auth token", required=False)
    sms_from_number = forms.CharField(
        label="Sending number", max_length=32, required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )

    def __init__(self, *args, business, **kwargs):
        super().__init__(*args, **kwargs)
        self.business = business
        self.region = business.phone_region
        saved = business.sms_auth_token
        ending = token_ending(saved)
        self.fields["sms_auth_token"].help_text = (
            f"Saved, ends in …{ending}. Type a new one only to replace it." if ending else
            "Saved. Type a new one only to replace it." if saved else
            "Next to the Account SID in your Twilio console. It is kept encrypted and never "
            "shown again.")
        self.fields["sms_from_number"].help_text = (
            "The Twilio number your texts come from. " + phone_hint(self.region))
        self.overridden = sms_account(None).overridden
        for part, (variable, name) in SMS_PARTS.items():
            if part in self.overridden:
                field = self.fields[name]
                field.disabled = True
                field.help_text = (f"Set for the whole install by whoever runs it "
                                   f"({variable}), so this box is not used.")
        self.initial.update(sms_account_sid=business.sms_account_sid,
                            sms_from_number=business.sms_from_number)
        refuse_controls(self)

    def _shaped(self, name: str, shape: re.Pattern, problem: str) -> str:
        value = self.cleaned_data.get(name) or ""
        if value and not shape.match(value):
            raise forms.ValidationError(problem)
        return value

    def clean_sms_account_sid(self):
        return self._shaped("sms_account_sid", ACCOUNT_SID, "An account SID is AC followed "
                            "by 32 letters and digits. Copy it from your Twilio console.")

    def clean_sms_auth_token(self):
        return self._shaped("sms_auth_token", AUTH_TOKEN, "An auth token is 32 letters and "
                            "digits, with no spaces. Copy it again from your Twilio console.")

    def clean_sms_from_number(self):
        return parse_phone(self.cleaned_data.get("sms_from_number") or "", self.region)

    def save(self) -> dict:
        """Store what changed; returns the audit log's changes (never the token itself)."""
        business, data, changes = self.business, self.cleaned_data, {}
        for name in ("sms_account_sid", "sms_from_number"):
            if name in self.changed_data and getattr(business, name) != data[name]:
                changes[name] = [getattr(business, name), data[name]]
                setattr(business, name, data[name])
        if data["sms_auth_token"]:
            business.sms_auth_token = data["sms_auth_token"]
            changes["sms_auth_token"] = ["", "replaced"]
        elif data["forget_token"] and business.sms_auth_token:
            business.sms_auth_token = ""
            changes["sms_auth_token"] = ["", "removed"]
        business.save()
        return changes


class TestTextForm(forms.Form):
    mobile = forms.CharField(label="Your mobile", max_length=32,
                             widget=forms.TextInput(attrs={"type": "tel",
                                                           "autocomplete": "tel"}))

    def __init__(self, *args, region: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.region = region
        self.fields["mobile"].help_text = ("The test text goes here. " + phone_hint(region))
        refuse_controls(self)

    def clean_mobile(self):
        return parse_phone(self.cleaned_data["mobile"], self.region)


# Twilio's error codes that an owner setting up can meet, in words that say what to do.
TWILIO_WORDS = {
    20003: "Twilio did not accept the account SID and auth token together. Copy both "
           "again from your Twilio console.",
    20404: "Twilio has no account with this account SID. Copy it again from your Twilio "
           "console.",
    21211: "Twilio says your mobile number is not a valid number.",
    21212: "Twilio says the sending number is not a valid number.",
    21408: "Your Twilio account may not text this country yet. Turn it on under Messaging "
           "→ Geo permissions in your Twilio console.",
    21606: "The sending number is not one of this Twilio account's numbers, or it cannot "
           "send texts.",
    21608: "A Twilio trial account can only text numbers verified in Twilio. Verify your "
           "mobile in your Twilio console first, or upgrade the account.",
    21610: "Your mobile once texted STOP to this number. Text START to it, then try again.",
    21614: "Twilio says your mobile number cannot receive texts (it may be a landline).",
    21659: "The sending number is not one of this Twilio account's numbers.",
}


def twilio_in_words(error: TransportError) -> str:
    """What went wrong, for the owner: a known Twilio error in plain words, any other
    with Twilio's own message."""
    from twilio.base.exceptions import TwilioRestException

    cause = error.__cause__
    if isinstance(cause, TwilioRestException):
        known = TWILIO_WORDS.get(cause.code)
        if known:
            return known
        # The client puts "Unable to create record: " before Twilio's own words.
        reason = (cause.msg or "").removeprefix("Unable to create record:").strip().rstrip(".")
        return f"Twilio refused the text: {reason} (Twilio error {cause.code or cause.status})."
    if str(error).startswith("Twilio unreachable"):
        return ("We could not reach Twilio. Check this server's internet connection and try "
                "again in a minute.")
    return str(error)


def send_test_text(business, to: str) -> str:
    """Send the test text; returns Twilio's message id or raises TransportError."""
    account = sms_account(business)
    text = (f"{business.name}: this is your test text from Followthrough. Texts to your "
            "customers will come from this number.")
    return SmsTransport().send(OutgoingSms(to=to, body=text, from_number=account.from_number,
                                           account=account))


def _page(request, form, test_form, status=None):
    business = request.business
    account = sms_account(business)
    return render(request, "channels/sms_settings.html", {
        "form": form, "test_form": test_form, "account": account,
        "overridden_all": len(account.overridden) == len(SMS_PARTS),
        "site_url": settings.SITE_URL,
    }, status=status, nav="settings")


@owner_required
def sms_settings(request):
    business = request.business
    test_form = TestTextForm(initial={"mobile": request.membership.mobile},
                             region=business.phone_region)
    if request.method != "POST":
        return _page(request, SmsSettingsForm(business=business), test_form)
    form = SmsSettingsForm(request.POST, business=business)
    if not form.is_valid():
        return _page(request, form, test_form, status=400)
    with transaction.atomic():
        changes = form.save()
        if changes:
            audit.record(request, business, "settings.sms", target=None, changes=changes)
    messages.success(request, "Saved your text message settings.")
    return redirect("settings_sms")


@owner_required
@require_POST
def sms_test(request):
    business = request.business
    form = TestTextForm(request.POST, region=business.phone_region)
    if not form.is_valid():
        return _page(request, SmsSettingsForm(business=business), form, status=400)
    mobile = form.cleaned_data["mobile"]
    if request.membership.mobile != mobile:
        request.membership.mobile = mobile
        request.membership.save(update_fields=["mobile"])
    if not sms_account(business).complete:
        messages.error(request, "Save your account SID, auth token and sending number first.")
    elif not cache.add(f"sms-test:{business.pk}", 1, TEST_PAUSE_SECONDS):
        messages.error(request, "A test text went out a moment ago. Wait a few seconds "
                                "before sending another.")
    else:
        try:
            sid = send_test_text(business, mobile)
        except TransportError as exc:
            messages.error(request, f"The test text was not sent. {twilio_in_words(exc)}")
        else:
            log.info("test text for business %s accepted by Twilio as %s", business.slug, sid)
            messages.success(request, f"Sent. Twilio accepted the text to {mobile}; it "
                                      "should arrive in a few seconds.")
    return redirect("settings_sms")
