from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from followthrough import vocabulary as v
from followthrough.customers.models import Customer
from followthrough.customers.picker import CustomerPickerField
from followthrough.customers.signals import customer_referred
from followthrough.phones import parse_phone, phone_hint
from followthrough.playbooks.models import Playbook
from followthrough.text import refuse_controls

DATETIME_LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format=DATETIME_LOCAL_FORMAT)


def local_datetime_field(label, required=False, help_text=""):
    # The view runs inside timezone.override(business.zone), so the form reads and shows
    # these in the business's local time.
    return forms.DateTimeField(
        label=label, required=required, help_text=help_text, widget=LocalDateTimeInput(),
        input_formats=[DATETIME_LOCAL_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
    )


def now_local_minutes():
    return timezone.localtime().replace(second=0, microsecond=0)


REFERRAL_HELP = "The code of the customer who sent them your way, if they mentioned one."


def referral_code_field(label="Referral code"):
    return forms.CharField(
        label=label, max_length=32, required=False, help_text=REFERRAL_HELP,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters",
                                      "spellcheck": "false"}),
    )


def clean_referral_code(business, raw: str) -> tuple[str, Customer | None]:
    """(code, referrer) for a typed code, or ValidationError. The code lives on Customer, so
    it is checked here; feedback (which customers may not import) plans the thank-you."""
    code = (raw or "").strip().upper()
    if not code:
        return "", None
    referrer = Customer.objects.filter(business=business, referral_code=code).first()
    if referrer is None:
        raise ValidationError(f"No customer has the referral code {code}. Check it with them, "
                              "or leave it empty.")
    return code, referrer


def record_referral(customer: Customer, referrer: Customer, code: str) -> None:
    """Credit `referrer` with the saved new `customer` and tell feedback, which plans the
    thank-you. Call it inside the transaction that created the customer."""
    Customer.objects.filter(pk=customer.pk, referred_by=None).update(referred_by=referrer)
    customer.referred_by = referrer
    customer_referred.send(sender=Customer, customer=customer, code=code)


class CustomerForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = [
            "name", "email", "phone", "preferred_channel", "postal_address",
            "defining_moment", "notes", "tags",
        ]
        labels = {"preferred_channel": "Preferred channel", "defining_moment": "Defining moment"}
        widgets = {
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
            "postal_address": forms.Textarea(attrs={"rows": 3}),
            "defining_moment": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.referrer = None
        # Only a new customer can arrive through a referral.
        if self.instance._state.adding:
            self.fields["referral_code"] = referral_code_field()
        self.fields["phone"].help_text = phone_hint(self.instance.business.phone_region)
        refuse_controls(self)

    def clean_referral_code(self):
        code, self.referrer = clean_referral_code(self.instance.business,
                                                  self.cleaned_data["referral_code"])
        return code

    def save(self, commit=True):
        if self.referrer is not None:
            self.instance.referred_by = self.referrer
        customer = super().save(commit=commit)
        if self.referrer is not None:
            code, referrer = self.cleaned_data["referral_code"], self.referrer

            def referred():
                # With commit=False the caller saves the customer; by commit it has an id.
                if customer.pk is not None:
                    record_referral(customer, referrer, code)

            if commit:
                referred()
            else:
                transaction.on_commit(referred, robust=True)
        return customer

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError("Enter the customer's name.")
        return name

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

    def clean_phone(self):
        return parse_phone(self.cleaned_data["phone"], self.instance.business.phone_region)

    def clean(self):
        cleaned = super().clean()
        channel = cleaned.get("preferred_channel")
        if channel == "sms" and not cleaned.get("phone") and "phone" not in self.errors:
            self.add_error("phone", "Add a phone number to reach them by text.")
        return cleaned


class SaleForm(forms.Form):
    """A new sale or job: an existing customer or a new one, and the plan to follow."""

    customer = CustomerPickerField(
        required=False, label="Customer",
        empty_hint="Leave it empty for a new customer, and fill in their details below.",
    )
    new_name = forms.CharField(label="New customer's name", max_length=150, required=False)
    new_email = forms.CharField(label="New customer's email", max_length=254, required=False,
                                widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    new_phone = forms.CharField(label="New customer's phone", max_length=32, required=False,
                                widget=forms.TextInput(attrs={"type": "tel"}))
    new_referral_code = referral_code_field("New customer's referral code")
    playbook = forms.ModelChoiceField(
        queryset=Playbook.objects.none(), to_field_name="public_id", label="Playbook",
        empty_label=None, help_text="The follow-up plan for this sale.",
    )
    kind = forms.CharField(label="Kind", max_length=60, required=False, initial="Job",
                           help_text="Job, order, project…")
    description = forms.CharField(label="Description", max_length=300, required=False,
                                  help_text="What you did or sold, in the customer's words.")
    value = forms.DecimalField(label="Value", max_digits=12, decimal_places=2, min_value=0,
                               required=False)
    won_at = local_datetime_field("Won", required=True, help_text="When they said yes.")
    started_at = local_datetime_field("Started")
    delivered_at = local_datetime_field("Delivered")

    def __init__(self, business, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.business = business
        self.referrer = None
        self.fields["customer"].bind_business(business)
        self.fields["playbook"].queryset = Playbook.objects.filter(
            business=business, is_active=True
        )
        if not self.is_bound:
            self.fields["won_at"].initial = now_local_minutes()
        self.fields["new_phone"].help_text = phone_hint(business.phone_region)
        refuse_controls(self)

    def clean_new_name(self):
        return self.cleaned_data["new_name"].strip()

    def clean_new_email(self):
        email = self.cleaned_data["new_email"].strip().lower()
        if email:
            validate_email(email)
        return email

    def clean_new_phone(self):
        return parse_phone(self.cleaned_data["new_phone"], self.business.phone_region)

    def clean_new_referral_code(self):
        code, self.referrer = clean_referral_code(self.business,
                                                  self.cleaned_data["new_referral_code"])
        return code

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("customer") is not None and cleaned.get("new_referral_code"):
            self.add_error("new_referral_code", "A referral code is for a new customer. "
                           "Leave it empty when you choose someone from the list.")
        if cleaned.get("customer") is None and "customer" not in self.errors:
            if not cleaned.get("new_name") and "new_name" not in self.errors:
                self.add_error("new_name", "Choose a customer above, or enter a new one's name.")
            has_contact = cleaned.get("new_email") or cleaned.get("new_phone")
            contact_errors = "new_email" in self.errors or "new_phone" in self.errors
            if not has_contact and not contact_errors:
                self.add_error("new_email", "Add an email or a phone number so you can reach them.")
        return cleaned

    def new_customer_data(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["new_name"], "email": data["new_email"], "phone": data["new_phone"],
            "preferred_channel": "email" if data["new_email"] else "sms",
        }


EVENT_CHOICES = [
    (v.STARTED, "Started"),
    (v.DELIVERED, "Delivered"),
    (v.CLOSED, "Closed"),
    (v.CANCELLED, "Cancelled"),
]


class EventForm(forms.Form):
    event = forms.ChoiceField(label="What happened", choices=EVENT_CHOICES)
    at = local_datetime_field("When", required=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["at"].initial = now_local_minutes()
