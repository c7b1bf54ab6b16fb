import copy
import functools
import html
from typing import NamedTuple

from django import forms
from django.utils.safestring import SafeString, mark_safe

from followthrough.feedback.models import FeedbackSettings, Quote
from followthrough.phones import parse_phone, phone_hint
from followthrough.text import ControlFreeForm

ANSWER_LIMIT = 2000
NPS_CHOICES = [(str(n), str(n)) for n in range(11)]
CSAT_CHOICES = [("1", "1 · Very unhappy"), ("2", "2"), ("3", "3"), ("4", "4"),
                ("5", "5 · Very happy")]


class AnswerField(forms.CharField):
    """Free text from a customer: kept (cut to a safe length), never rejected for length;
    templates escape it when shown."""

    widget = forms.Textarea(attrs={"rows": 3})

    def clean(self, value):
        return super().clean(value or "")[:ANSWER_LIMIT]


class FixedChoiceField(forms.TypedChoiceField):
    """A choice field whose choices are constants: every form shares them instead of
    deep-copying them (Django copies each form's fields; for the survey's 20 choices that
    was a third of building the form on every page load)."""

    def __deepcopy__(self, memo):
        return forms.Field.__deepcopy__(self, memo)


# One choice of the survey's radio groups, as RadioSelect writes it (see SurveyForm.radios).
SCALE_RADIO = ('<label class="scale-option"><input type="radio" name="{name}" value="{value}" '
               'id="{id}"{state}><span>{text}</span></label>')
CHECK_RADIO = ('<label class="check"><input type="radio" name="{name}" value="{value}" '
               'id="{id}"{state}> {text}</label>')


class RadioOption(NamedTuple):
    """One choice of a radio group, for HTML that writes the <input> itself."""

    value: str
    label: str
    id: str
    checked: bool
    invalid: bool

    @property
    def state(self) -> str:
        """The attributes after the id (RadioSelect writes the same ones)."""
        return (' aria-invalid="true"' if self.invalid else "") + (
            " checked" if self.checked else "")


# The survey's radio groups hold constants (the scores, the quoting choices), so a group is
# the same HTML for every customer who chose the same thing: each is written once per
# process, not on every page load.
@functools.lru_cache(maxsize=512)
def _radio_options(choices: tuple, selected: frozenset, invalid: bool,
                   auto_id: str) -> tuple[RadioOption, ...]:
    return tuple(RadioOption(str(value), str(label), f"{auto_id}_{index}" if auto_id else "",
                             str(value) in selected, invalid)
                 for index, (value, label) in enumerate(choices))


@functools.lru_cache(maxsize=512)
def _radio_group(name: str, pattern: str, show_value: bool,
                 options: tuple[RadioOption, ...]) -> SafeString:
    """Escaped as a template would: the choices are plain text, and Django's escape() is
    html.escape() behind a wrapper that cost more than the escaping."""
    return mark_safe("".join(  # noqa: S308 (every value is escaped here)
        pattern.format(name=name, value=html.escape(o.value), id=html.escape(o.id),
                       state=o.state, text=html.escape(o.value if show_value else o.label))
        for o in options))


class SurveyForm(ControlFreeForm, forms.Form):
    """The customer's survey. The radio groups are written out by `*_radios` (no per-choice
    widget template, no template loop): the survey is the page customers load most, and
    Django's template-based widget rendering, then a template loop over the 20 choices, was
    most of its cost. The inputs have the same attributes as RadioSelect's."""

    nps = FixedChoiceField(choices=NPS_CHOICES, coerce=int, required=False,
                           empty_value=None, widget=forms.RadioSelect)
    csat = FixedChoiceField(choices=CSAT_CHOICES, coerce=int, required=False,
                            empty_value=None, widget=forms.RadioSelect)
    went_well = AnswerField(required=False, strip=True)
    improve = AnswerField(required=False, strip=True)
    anything_else = AnswerField(required=False, strip=True)
    quote_as = FixedChoiceField(choices=Quote.CHOICES, required=False,
                                widget=forms.RadioSelect)

    def __init__(self, *args, questions: FeedbackSettings, **kwargs):
        super().__init__(*args, **kwargs)
        labels = {"nps": questions.q_nps, "csat": questions.q_csat,
                  "went_well": questions.q_went_well, "improve": questions.q_improve,
                  "anything_else": questions.q_anything_else, "quote_as": questions.q_testimonial}
        for name, label in labels.items():
            self.fields[name].label = label
        self.fields["quote_as"].help_text = (
            "Only if you want to: it makes no difference to anything else, ever.")

    def clean(self):
        data = super().clean()
        if not any(data.get(name) not in (None, "") for name in
                   ("nps", "csat", "went_well", "improve", "anything_else")):
            raise forms.ValidationError("Please answer at least one question before sending.")
        return data

    def radio_options(self, name: str) -> tuple[RadioOption, ...]:
        """What RadioSelect would render for `name`: the same values, ids, `checked` and
        `aria-invalid`, computed without a template per choice."""
        field = self.fields[name]
        value, invalid = self._shown(name)
        return _radio_options(tuple(field.choices), frozenset(field.widget.format_value(value)),
                              invalid, self._auto_id(name))

    def _shown(self, name: str) -> tuple:
        """The value field `name` shows and whether it is in error, as its BoundField gives
        them. A survey GET has an unbound form, and there BoundField's machinery cost more
        than the rest of the form: the value is the initial one, and nothing is in error."""
        if self.is_bound:
            bound = self[name]
            return bound.value(), bool(bound.errors)
        field = self.fields[name]
        return field.prepare_value(self.get_initial_for_field(field, name)), False

    def _auto_id(self, name: str) -> str:
        """BoundField.auto_id without a BoundField."""
        if self.auto_id and "%s" in str(self.auto_id):
            return str(self.auto_id) % self.add_prefix(name)
        return self.add_prefix(name) if self.auto_id else ""

    def radios(self, name: str, pattern: str, show_value: bool = False) -> SafeString:
        """The radio group `name`, one `pattern` per choice, escaped as a template would."""
        return _radio_group(name, pattern, show_value, self.radio_options(name))

    def answer_text(self, name: str) -> str:
        """What the Textarea for `name` would show: the posted or earlier text, or ""."""
        value = self.fields[name].widget.format_value(self._shown(name)[0])
        return "" if value is None else value

    def parts(self) -> dict:
        """What survey.html shows, by name: each label, radio group and answer text. The
        template reads them from this dict: a name looked up on a form is tried as a field
        first, and each miss builds an error message listing every field, which for the
        page's thirteen values cost more than the rest of its lookups together."""
        return {
            **{f"{name}_label": field.label for name, field in self.fields.items()},
            "quote_help": self.fields["quote_as"].help_text,
            "nps_radios": self.radios("nps", SCALE_RADIO),
            "csat_radios": self.radios("csat", SCALE_RADIO, show_value=True),
            "quote_radios": self.radios("quote_as", CHECK_RADIO),
            **{f"{name}_text": self.answer_text(name)
               for name in ("went_well", "improve", "anything_else")},
            "has_errors": bool(self.errors),
        }




class _SharedWidgets(dict):
    """SurveyForm's base fields. A form copies its base fields deeply, widgets, choices and
    error messages too, on every request; that was a tenth of the survey page's CPU. The
    survey only sets each copy's label and help text, and nothing changes a widget or the
    choices, so a shallow copy of each field is enough."""

    def __deepcopy__(self, memo):
        return {name: copy.copy(field) for name, field in self.items()}


SurveyForm.base_fields = _SharedWidgets(SurveyForm.base_fields)

class FeedbackSettingsForm(ControlFreeForm, forms.ModelForm):
    review_fields = ("google_review_url", "facebook_review_url", "yelp_review_url",
                     "other_review_url")
    social_fields = ("facebook_url", "instagram_url", "linkedin_url", "other_social_url")
    question_fields = ("q_nps", "q_csat", "q_went_well", "q_improve", "q_anything_else",
                       "q_testimonial")

    class Meta:
        model = FeedbackSettings
        exclude = ["business"]
        labels = {
            "q_nps": "Recommend question (0–10)", "q_csat": "Satisfaction question (1–5)",
            "q_went_well": "What went well", "q_improve": "What to improve",
            "q_anything_else": "What else can we do", "q_testimonial": "Permission to quote",
        }

    def _group(self, names):
        return [self[name] for name in names]

    def reviews(self):
        return self._group(self.review_fields)

    def socials(self):
        return self._group(self.social_fields)

    def questions(self):
        return self._group(self.question_fields)


class ResolveForm(ControlFreeForm, forms.Form):
    note = forms.CharField(label="What did you do to put it right?", max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3}))


class ComplaintForm(ControlFreeForm, forms.Form):
    summary = forms.CharField(label="What are they unhappy about?", max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 3}))


class ReferralForm(ControlFreeForm, forms.Form):
    name = forms.CharField(label="Your name", max_length=150)
    email = forms.EmailField(label="Your email", required=False)
    phone = forms.CharField(label="Your phone", max_length=32, required=False)
    message = forms.CharField(label="What can we help with?", max_length=1000, required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))
    # A honeypot: hidden from people (and screen readers) by the page, filled in by bots
    # that fill in every box. See filled_by_a_bot.
    website = forms.CharField(label="Leave this empty", required=False, widget=forms.TextInput(
        attrs={"autocomplete": "off", "tabindex": "-1"}))

    HONEYPOT = "website"

    @property
    def filled_by_a_bot(self) -> bool:
        return bool(self.data.get(self.HONEYPOT, "").strip())

    def visible_fields(self):
        return [f for f in super().visible_fields() if f.name != self.HONEYPOT]

    def __init__(self, *args, region: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.region = region
        self.fields["phone"].help_text = phone_hint(region)

    def clean_phone(self):
        return parse_phone(self.cleaned_data["phone"], self.region)

    def clean(self):
        data = super().clean()
        if not data.get("email") and not data.get("phone"):
            raise forms.ValidationError("Leave an email or a phone number so we can reach you.")
        return data
