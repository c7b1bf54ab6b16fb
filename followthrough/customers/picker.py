"""A customer field you type into instead of one long list of every customer.

With JavaScript, htmx asks the search app for matches as you type and a choice fills a
hidden input with the customer's public id. Without it, the typed text is sent and looked
up here: one match is taken, several are offered as a short list to choose from. Either
way the id is only ever looked up inside the form's business, so an id from another
business is a field error.

customers may not import search (it sits to the right), so search registers its finder
here when it starts (search/apps.py)."""

from django import forms
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string

from followthrough.customers.models import Customer
from followthrough.text import has_controls

SHOWN = 8
_finders = []


def register_finder(finder) -> None:
    """finder(business, text, limit) -> list of that business's matching customers."""
    _finders[:] = [finder]


def find(business, text: str, limit: int = SHOWN) -> list[Customer]:
    if _finders:
        return _finders[0](business, text, limit)
    # Only when the search app is not installed: a plain scan, good for small lists.
    return list(Customer.objects.filter(business=business, name__icontains=text)[:limit])


class CustomerPicker(forms.Widget):
    """Renders templates/search/_picker.html: a search box, a hidden id and, after a
    search without JavaScript found several, those customers as radio buttons."""

    template = "search/_picker.html"

    def __init__(self, attrs=None, empty_hint=""):
        super().__init__(attrs)
        self.empty_hint = empty_hint
        self.business = None
        self.offered = []

    def value_from_datadict(self, data, files, name):
        # The radio buttons come after the hidden input; the last id given wins.
        ids = [v for v in data.getlist(name) if v] if hasattr(data, "getlist") else [
            data.get(name)]
        return {"id": ids[-1] if ids else "", "text": data.get(f"{name}_q", "")}

    def value_omitted_from_data(self, data, files, name):
        return name not in data and f"{name}_q" not in data

    def render(self, name, value, attrs=None, renderer=None):
        chosen, text = None, ""
        if isinstance(value, dict):
            text = value.get("text", "")
            value = value.get("id")
        elif isinstance(value, Customer):
            chosen = value
        if chosen is None and value and self.business is not None:
            chosen = Customer.objects.filter(business=self.business, public_id=value).first()
        attrs = self.build_attrs(self.attrs, attrs)
        context = {
            "name": name, "id": attrs.get("id", f"id_{name}"), "chosen": chosen,
            "text": chosen.name if chosen and not text else text,
            "offered": self.offered, "hint": self.empty_hint,
            "describedby": attrs.get("aria-describedby", ""),
        }
        return render_to_string(self.template, context)


class CustomerPickerField(forms.Field):
    widget = CustomerPicker
    default_error_messages = {
        "required": "Choose a customer.",
        "invalid_choice": "Choose a customer of this business.",
        "no_match": "No customer matches “%(text)s”. Check the spelling, or search by "
                    "email or phone.",
        "several": "Several customers match “%(text)s”: choose one below.",
        "controls": "Type the name on one line, without invisible characters.",
    }

    def __init__(self, *, empty_hint="", **kwargs):
        kwargs.setdefault("widget", CustomerPicker(empty_hint=empty_hint))
        super().__init__(**kwargs)
        self.business = None

    def bind_business(self, business) -> None:
        self.business = business
        self.widget.business = business

    def prepare_value(self, value):
        return value.public_id if isinstance(value, Customer) else value

    def clean(self, value):
        value = value if isinstance(value, dict) else {"id": value or "", "text": ""}
        public_id = str(value.get("id") or "").strip()
        text = str(value.get("text") or "").strip()
        if has_controls(public_id) or has_controls(text):
            raise ValidationError(self.error_messages["controls"], code="controls")
        customer = self._by_id(public_id) if public_id else None
        if public_id and customer is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        # A name typed over an earlier choice means they changed their mind.
        if customer is not None and (not text or text == customer.name):
            return customer
        if not text:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return None
        return self._by_text(text)

    def _by_id(self, public_id: str):
        if self.business is None:
            return None
        return Customer.objects.filter(business=self.business, public_id=public_id).first()

    def _by_text(self, text: str) -> Customer:
        found = find(self.business, text, SHOWN) if self.business is not None else []
        if len(found) == 1:
            return found[0]
        exact = [c for c in found if c.name.casefold() == text.casefold()]
        if len(exact) == 1:
            return exact[0]
        self.widget.offered = found
        key = "several" if found else "no_match"
        raise ValidationError(self.error_messages[key], code=key, params={"text": text})
