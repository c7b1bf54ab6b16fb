from django import forms

from followthrough.tenants.models import Business

PROFILE_FIELDS = [
    "name", "timezone", "sender_name", "sender_email", "reply_to_email",
    "postal_address", "phone", "website",
]
CALENDAR_FIELDS = [
    "business_days", "business_hours_start", "business_hours_end",
    "quiet_hours_start", "quiet_hours_end", "catch_up_days", "frequency_cap_days",
]


class BusinessForm(forms.ModelForm):
    website = forms.URLField(required=False, assume_scheme="https", max_length=200,
                             label="Website")

    class Meta:
        model = Business
        fields = PROFILE_FIELDS + CALENDAR_FIELDS
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
        }
        help_texts = {"timezone": "An IANA name such as America/New_York or Europe/London."}
        widgets = {
            "business_hours_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "business_hours_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "quiet_hours_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "quiet_hours_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "postal_address": forms.Textarea(attrs={"rows": 3}),
            "business_days": forms.TextInput(attrs={"inputmode": "numeric"}),
        }

    def profile_fields(self):
        return [self[name] for name in PROFILE_FIELDS]

    def calendar_fields(self):
        return [self[name] for name in CALENDAR_FIELDS]
