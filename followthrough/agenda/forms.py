from django import forms

from followthrough.agenda.models import Preference, ServiceInterval
from followthrough.customers.models import Engagement
from followthrough.customers.picker import CustomerPickerField
from followthrough.text import ControlFreeForm


class PromiseForm(ControlFreeForm, forms.Form):
    customer = CustomerPickerField(
        label="To whom",
        error_messages={"required": "Choose the customer you made the promise to.",
                        "invalid_choice": "Choose a customer of this business."},
    )
    what = forms.CharField(label="What you promised", max_length=300,
                           error_messages={"required": "Say what you promised."})
    due_on = forms.DateField(label="By when", widget=forms.DateInput(attrs={"type": "date"}),
                             error_messages={"required": "Give the date you promised it by.",
                                             "invalid": "Give the date as YYYY-MM-DD."})

    def __init__(self, business, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].bind_business(business)


class ApproveForm(ControlFreeForm, forms.Form):
    subject = forms.CharField(required=False, max_length=300)
    body = forms.CharField(label="Message", widget=forms.Textarea(attrs={"rows": 10}),
                           max_length=10000,
                           error_messages={"required": "Write the message, or skip it instead."})


class IntervalForm(ControlFreeForm, forms.ModelForm):
    class Meta:
        model = ServiceInterval
        fields = ["name", "every", "unit", "lead_days", "channel"]
        labels = {"name": "Product or service", "every": "Every", "unit": "Unit",
                  "channel": "Remind by"}


class ServicePlanForm(ControlFreeForm, forms.Form):
    engagement = forms.ModelChoiceField(
        queryset=Engagement.objects.none(), to_field_name="public_id", label="Delivered job",
        empty_label="Choose a delivered job",
        error_messages={"required": "Choose the job the reminders are for.",
                        "invalid_choice": "Choose a delivered job of this business."},
    )
    interval = forms.ModelChoiceField(
        queryset=ServiceInterval.objects.none(), to_field_name="public_id", label="Reminder",
        empty_label="Choose a reminder",
        error_messages={"required": "Choose which reminder to start.",
                        "invalid_choice": "Choose a reminder of this business."},
    )

    def __init__(self, business, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["engagement"].queryset = (
            Engagement.objects.filter(business=business, delivered_at__isnull=False,
                                      closed_at__isnull=True, cancelled_at__isnull=True)
            .select_related("customer").order_by("-delivered_at")
        )
        self.fields["engagement"].label_from_instance = (
            lambda e: f"{e.customer.name}: {e} ({e.delivered_at:%d %b %Y})"
        )
        self.fields["interval"].queryset = ServiceInterval.objects.filter(business=business)


class DigestForm(ControlFreeForm, forms.ModelForm):
    class Meta:
        model = Preference
        fields = ["digest_enabled", "digest_time"]
        widgets = {"digest_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}
        help_texts = {"digest_time": "In the business's time zone."}


class NewsForm(ControlFreeForm, forms.Form):
    """Industry news to share: a link and a personal note."""

    link = forms.URLField(assume_scheme="https", max_length=500, label="Link",
                          help_text="The article, video or page you want to pass on.")
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=2000,
                           label="Your note",
                           help_text="A line or two on why it made you think of them.")
    subject = forms.CharField(max_length=200, required=False, label="Subject",
                              help_text="Leave blank for “Thought you'd find this useful”.")


class NewsTagForm(NewsForm):
    tag = forms.ChoiceField(label="Send to customers tagged")

    field_order = ["tag", "link", "note", "subject"]

    def __init__(self, tags, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tag"].choices = [("", "Choose a tag")] + [(t, t) for t in tags]


class VisitForm(ControlFreeForm, forms.Form):
    on = forms.DateField(label="Visit on", widget=forms.DateInput(attrs={"type": "date"}))
