import re

from django import forms
from django.core.exceptions import ValidationError
from django.template import Variable
from django.template.defaulttags import ForNode, WithNode
from django.utils.text import slugify

from followthrough import vocabulary as v
from followthrough.channels import rendering
from followthrough.channels.rendering import MERGE_FIELDS, TemplateProblem, check_template
from followthrough.channels.sandbox import OverBudget, _parts
from followthrough.playbooks.models import Playbook, Step


def _check(source: str) -> str:
    """Compiles the template and test-renders it for a sample customer and for one with
    the longest values, so a template that breaks a limit is refused here, not in the
    worker; and refuses a name that is not a merge field ({{ firstname }}), which would
    otherwise go out as nothing at all."""
    try:
        check_template(source)
    except OverBudget as problem:
        where = f" (line {problem.line})" if problem.line else ""
        raise ValidationError(f"This template asks for too much work{where}: "
                              f"{problem.message}. Make it simpler and try again.") from None
    except TemplateProblem as problem:
        where = f"line {problem.line}: " if problem.line else ""
        raise ValidationError(f"The template has a mistake on {where}{problem.message}") from None
    unknown = unknown_fields(source)
    if unknown:
        raise ValidationError(_unknown_message(source, unknown))
    return source


# Names a template may use that are not merge fields: the loop's own, and Django's literals.
TEMPLATE_NAMES = frozenset({"forloop", "True", "False", "None"})


def unknown_fields(source: str) -> list[str]:
    """The names `source` looks up that are neither merge fields (channels.rendering's
    registry) nor made by the template itself ({% for x in … %}, {% with x=… %}, … as x)."""
    used, made = set(), set()
    stack, seen = [rendering._compile(source).nodelist], set()
    while stack:
        thing = stack.pop()
        if id(thing) in seen:
            continue
        seen.add(id(thing))
        if isinstance(thing, Variable):
            used.update(thing.lookups[:1] if thing.lookups else ())
            continue
        made.update(_names_made(thing))
        stack.extend(_parts(thing))
    return sorted(used - made - MERGE_FIELDS.keys() - TEMPLATE_NAMES)


def _names_made(node) -> set[str]:
    if isinstance(node, ForNode):
        return set(node.loopvars)
    if isinstance(node, WithNode):
        return set(node.extra_context)
    # {% cycle … as x %}, {% firstof … as x %}, {% now … as x %}, {% widthratio … as x %}
    return {value for value in (getattr(node, "asvar", None), getattr(node, "variable_name", None))
            if isinstance(value, str)}


def _unknown_message(source: str, unknown: list[str]) -> str:
    names = ", ".join(f"{{{{ {name} }}}}{_line_of(source, name)}" for name in unknown)
    fields = ", ".join(MERGE_FIELDS)
    one = len(unknown) == 1
    return (f"{names} {'is not a merge field' if one else 'are not merge fields'}, so "
            f"{'it' if one else 'they'} would come out empty. The fields you can use: "
            f"{fields}.")


def _line_of(source: str, name: str) -> str:
    word = re.compile(rf"(?<![\w.]){re.escape(name)}(?!\w)")
    for number, line in enumerate(source.splitlines(), start=1):
        if "{" in line and word.search(line):
            return f" (line {number})"
    return ""


# The glossary's stages and purposes, said the way an owner would say them.
STAGE_WORDS = [
    (1, "1 · Just won: they said yes"),
    (2, "2 · Getting to know them"),
    (3, "3 · While you do the work"),
    (4, "4 · After the job"),
]
PURPOSE_WORDS = [
    (v.TRANSACTIONAL, "About their job (times, receipts)"),
    (v.RELATIONSHIP, "Keeping in touch (thanks, check-ins)"),
    (v.MARKETING, "Offers and news"),
]
# Fields most steps never need; the editor folds them away.
ADVANCED_FIELDS = ("offset_hours", "position", "window_days", "priority")


class StepForm(forms.ModelForm):
    class Meta:
        model = Step
        fields = [
            "name", "position", "anchor", "offset_days", "offset_hours", "local_time",
            "repeat_every_days", "repeat_until", "channel", "stage", "element", "purpose",
            "window_days", "priority", "subject", "body", "requires_approval",
        ]
        labels = {
            "stage": "When in the relationship",
            "element": "What it is for",
            "purpose": "Kind of message",
            "anchor": "Counted from",
            "offset_days": "Days after",
            "offset_hours": "Hours after",
            "local_time": "Local time",
            "repeat_every_days": "Repeat every (days)",
            "repeat_until": "Repeat until",
            "body": "Message or script",
            "position": "Position",
        }
        help_texts = {
            "stage": "Which of the four moments with a customer this step belongs to.",
            "element": "The job this step does. Five of them (check-in, feedback, thank-you, "
                       "social invite, subscribe invite) are the follow-ups every finished "
                       "job should get.",
            "purpose": "This decides whose permission you need: job messages go to "
                       "everyone, keeping in touch stops when they say no, offers only go "
                       "to people who said yes.",
            "offset_days": "Negative for before (e.g. -1 is the day before).",
            "body": "For calls, cards and visits this is your script. Merge fields look like "
                    "{{ customer_first_name }}.",
        }
        widgets = {
            "local_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "body": forms.Textarea(attrs={"rows": 10}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].choices = STAGE_WORDS
        self.fields["purpose"].choices = PURPOSE_WORDS
        self.fields["position"].required = False
        self.fields["position"].help_text = "Order in the list; leave empty to add it at the end."
        self.fields["offset_hours"].help_text = (
            "Added to the days, for a step that must land a few hours after the event.")
        until = self.fields["repeat_until"]
        until.choices = [("", "Doesn't repeat")] + [c for c in until.choices if c[0]]

    def advanced_fields(self):
        return [self[name] for name in ADVANCED_FIELDS]

    def advanced_errors(self) -> bool:
        return any(self[name].errors for name in ADVANCED_FIELDS)

    def clean_position(self):
        position = self.cleaned_data.get("position")
        return self.instance.position if position is None else position

    def clean_subject(self):
        subject = self.cleaned_data["subject"]
        if "\n" in subject or "\r" in subject:
            raise ValidationError("A subject is one line.")
        return _check(subject)

    def clean_body(self):
        return _check(self.cleaned_data["body"])


class PreviewForm(forms.Form):
    """An unsaved subject and body to preview; saves nothing."""

    subject = forms.CharField(required=False, max_length=200)
    body = forms.CharField(required=False, max_length=10000)


class PlaybookForm(forms.ModelForm):
    """A new playbook: blank, or a copy of one the business already has."""

    copy_from = forms.ModelChoiceField(
        queryset=Playbook.objects.none(), required=False, to_field_name="public_id",
        label="Start from", empty_label="A blank playbook (no steps)",
        help_text="A copy gets all the steps of that playbook; the two are independent "
                  "afterwards.",
    )

    class Meta:
        model = Playbook
        fields = ["copy_from", "name", "slug", "description"]
        labels = {"slug": "Short name"}
        help_texts = {
            "slug": "How the API and imports pick this playbook: lowercase letters, numbers "
                    "and hyphens. Leave it empty to make it from the name.",
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, business, **kwargs):
        super().__init__(*args, **kwargs)
        self.business = business
        self.fields["slug"].required = False
        self.fields["copy_from"].queryset = Playbook.objects.filter(business=business)

    def clean(self):
        cleaned = super().clean()
        name = cleaned.get("name")
        if "slug" in self.errors or not name:
            return cleaned
        typed = (cleaned.get("slug") or "").lower()
        slug = typed or slugify(name)[:60].strip("-")
        if not slug:
            self.add_error("slug", "Type a short name with letters or numbers: the name has "
                                   "none to make one from.")
        elif Playbook.objects.filter(business=self.business, slug=slug).exists():
            made = "" if typed else " (made from the name)"
            self.add_error("slug", f"Another of your playbooks already uses “{slug}”{made}. "
                                   "Choose a different short name.")
        else:
            cleaned["slug"] = slug
        return cleaned


class PlaybookDetailsForm(forms.ModelForm):
    class Meta:
        model = Playbook
        fields = ["name", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}
