from urllib.parse import urlsplit

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm

from followthrough.phones import parse_phone, phone_hint
from followthrough.tenants import places
from followthrough.tenants.models import Business, Membership
from followthrough.text import refuse_controls

PROFILE_FIELDS = [
    "name", "country", "timezone", "sender_name", "sender_email", "reply_to_email",
    "postal_address", "phone", "website",
]
CALENDAR_FIELDS = [
    "business_days", "business_hours_start", "business_hours_end",
    "quiet_hours_start", "quiet_hours_end", "catch_up_days", "frequency_cap_days",
    "cap_includes_personal", "call_window_start", "call_window_end",
]
# Left blank, these keep their saved value (older forms and scripts don't send them).
KEEP_IF_BLANK = ["call_window_start", "call_window_end", "brand_colour"]


PRIVACY_FIELDS = ["retention_touchpoint_days", "retention_feedback_days"]
BRAND_FIELDS = ["logo_url", "brand_colour"]


WEEKDAYS = [("1", "Monday"), ("2", "Tuesday"), ("3", "Wednesday"), ("4", "Thursday"),
            ("5", "Friday"), ("6", "Saturday"), ("7", "Sunday")]
ZONE_LIST_ID = "time-zone-places"


class WeekdaysField(forms.MultipleChoiceField):
    """Ticked boxes, one value a day; "12345" in one value (the stored form, which older
    scripts post) still works."""

    def to_python(self, value):
        days = super().to_python(value)
        if len(days) == 1 and days[0].isdigit():
            return list(days[0])
        return days


class BusinessForm(forms.ModelForm):
    country = forms.ChoiceField(
        label="Country", required=False,
        help_text="Phone numbers written without + are read as numbers from here.",
    )
    # Typed or picked from a list of places; stored as the IANA name (Europe/London).
    timezone = forms.CharField(
        label="Time zone", max_length=80, required=False,
        widget=forms.TextInput(attrs={"list": ZONE_LIST_ID, "autocomplete": "off",
                                      "spellcheck": "false"}),
    )
    # Stored as digits ("12345", 1 is Monday); shown as seven boxes to tick.
    business_days = WeekdaysField(
        label="Business days", choices=WEEKDAYS, widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one business day.",
                        "invalid_choice": "Tick days from Monday to Sunday."},
        help_text="The days you make calls and visits.",
    )
    website = forms.URLField(required=False, assume_scheme="https", max_length=200,
                             label="Website")
    logo_url = forms.URLField(required=False, assume_scheme="https", max_length=500,
                              label="Logo address",
                              help_text=Business._meta.get_field("logo_url").help_text)

    class Meta:
        model = Business
        fields = PROFILE_FIELDS + BRAND_FIELDS + CALENDAR_FIELDS + PRIVACY_FIELDS
        labels = {
            "name": "Business name",
            "timezone": "Time zone",
            "sender_email": "Sender email",
            "reply_to_email": "Reply-to email",
            "business_hours_start": "Business hours start",
            "business_hours_end": "Business hours end",
            "quiet_hours_start": "Quiet hours start",
            "quiet_hours_end": "Quiet hours end",
            "catch_up_days": "Catch-up window (days)",
            "frequency_cap_days": "Frequency cap (days)",
            "cap_includes_personal": "Count calls, cards and visits in the cap",
            "call_window_start": "Calls and texts from",
            "call_window_end": "Calls and texts until",
            "retention_touchpoint_days": "Keep message text for (days)",
            "retention_feedback_days": "Keep written feedback for (days)",
            "logo_url": "Logo address",
            "brand_colour": "Brand colour",
        }
        widgets = {
            "business_hours_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "business_hours_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "quiet_hours_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "quiet_hours_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "call_window_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "call_window_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "postal_address": forms.Textarea(attrs={"rows": 3}),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
            "brand_colour": forms.TextInput(attrs={"type": "color"}),
        }

    def profile_fields(self):
        return [self[name] for name in PROFILE_FIELDS]

    def calendar_fields(self):
        return [self[name] for name in CALENDAR_FIELDS]

    def brand_fields(self):
        return [self[name] for name in BRAND_FIELDS]

    def clean_logo_url(self):
        """An image that mail clients will load: https only (Gmail and Apple Mail block
        or warn about plain http), and no credentials in the address."""
        url = self.cleaned_data.get("logo_url") or ""
        if not url:
            return ""
        parts = urlsplit(url)
        if parts.scheme != "https":
            raise forms.ValidationError("Use an https:// address for your logo.")
        if parts.username or parts.password:
            raise forms.ValidationError("Leave the user name and password out of the address.")
        return url

    def clean_brand_colour(self):
        return self._keep("brand_colour").lower()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in PRIVACY_FIELDS + KEEP_IF_BLANK:
            self.fields[name].required = False
        business = self.instance
        region = business.phone_region
        self.fields["country"].choices = [("", "Choose your country")] + places.countries()
        self.initial["country"] = region
        self.initial["timezone"] = places.zone_label(business.timezone)
        self.initial["business_days"] = list(business.business_days)
        self.fields["timezone"].help_text = (
            "Start typing a city near you, such as London or Chicago, and pick it from the "
            "list. Left empty, it is your country's main time zone.")
        self.fields["phone"].help_text = phone_hint(region)
        refuse_controls(self)

    def zone_options(self):
        """The places the time zone box offers, the chosen country's first."""
        country = self["country"].value() or self.instance.phone_region
        return places.zone_options(country)

    def clean_country(self):
        return (self.cleaned_data.get("country") or "").upper()

    def clean_timezone(self):
        typed = self.cleaned_data.get("timezone", "")
        if not typed:
            country = self.cleaned_data.get("country") or self.instance.phone_region
            return places.main_zone(country) or self.instance.timezone
        zone = places.zone_from_words(typed)
        if not zone:
            raise forms.ValidationError(
                f"We can't find a place called {typed!r}. Type the name of a big city near "
                "you, such as London or New York, and pick it from the list.")
        return zone

    def clean_business_days(self):
        return "".join(sorted(set(self.cleaned_data["business_days"])))

    def clean_phone(self):
        """Checked with the same parser as customers' numbers, but kept as typed: it is
        printed for customers (postcards, emails), who read "020 7946 0999" best."""
        typed = self.cleaned_data.get("phone", "")
        parse_phone(typed, self.cleaned_data.get("country") or self.instance.phone_region)
        return typed

    def _keep(self, name):
        return self.cleaned_data.get(name) or getattr(self.instance, name)

    def clean_call_window_start(self):
        return self._keep("call_window_start")

    def clean_call_window_end(self):
        return self._keep("call_window_end")

    def _clean_days(self, name):
        return self.cleaned_data.get(name) or 0

    def clean_retention_touchpoint_days(self):
        return self._clean_days("retention_touchpoint_days")

    def clean_retention_feedback_days(self):
        return self._clean_days("retention_feedback_days")

    def privacy_fields(self):
        return [self[name] for name in PRIVACY_FIELDS]


class SignInForm(AuthenticationForm):
    """Django's sign-in with the words people use: the username is their email, and a
    wrong email or password gets one friendly message that never says which was wrong (so
    the page can't be used to find out who has an account)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That email and password don't match. Check them and try again, "
                         "or choose \u201cForgotten your password?\u201d below.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        username.label = "Email"
        username.widget.input_type = "email"
        username.widget.attrs.update({"autocomplete": "email", "autocapitalize": "none",
                                      "spellcheck": "false", "inputmode": "email"})

    def clean_username(self):
        """Accounts are named by their email; a phone keyboard's capital first letter
        should not stop anyone signing in."""
        typed = self.cleaned_data["username"].strip()
        found = list(get_user_model().objects.filter(username__iexact=typed)
                     .values_list("username", flat=True)[:2])
        return found[0] if len(found) == 1 else typed


def lockout_username(request, credentials) -> str:
    """The name django-axes counts failures under: the email as SignInForm reads it, so
    typing it in other capitals does not buy more tries (AXES_USERNAME_CALLABLE)."""
    source = credentials or getattr(request, "POST", None) or {}
    return (source.get("username") or "").strip().lower()


# ---- security (issue 8) ----


class InviteForm(forms.Form):
    email = forms.EmailField(label="Email address", max_length=254)
    role = forms.ChoiceField(label="Role", choices=Membership.ROLES, initial=Membership.STAFF)

    def __init__(self, *args, business=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.business = business
        refuse_controls(self)

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if Membership.objects.filter(business=self.business, user__email__iexact=email).exists():
            raise forms.ValidationError("Someone with this email is already on your team.")
        return email


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=Membership.ROLES)


class NewAccountForm(forms.Form):
    """Accepting an invitation without an account: a name and a password."""

    name = forms.CharField(label="Your name", max_length=150)
    password1 = forms.CharField(label="Choose a password", widget=forms.PasswordInput,
                                strip=False)
    password2 = forms.CharField(label="The password again", widget=forms.PasswordInput,
                                strip=False)

    def __init__(self, *args, email="", **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email
        refuse_controls(self)

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords don't match.")
        elif first:
            from django.contrib.auth import get_user_model

            probe = get_user_model()(username=self.email, email=self.email)
            try:
                password_validation.validate_password(first, probe)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Six-digit code", max_length=8, min_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split())
        if not code.isdigit():
            raise forms.ValidationError("The code is the six digits your app shows.")
        return code


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label="What", required=False)
    actor = forms.ChoiceField(label="Who", required=False)
    since = forms.DateField(label="From", required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label="To", required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, actions=(), actors=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", "Everything")] + list(actions)
        self.fields["actor"].choices = [("", "Everyone")] + list(actors)
