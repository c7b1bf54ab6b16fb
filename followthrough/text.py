"""Clean text at the door.

Every string from a customer, buyer, job or owner is hostile. Control characters in a
one-line field (a name, an address, a subject) break email headers, CSV cells, iCalendar
lines and log lines, so they are removed or refused wherever text comes in: forms and the
API refuse them with a field error (`has_controls`), and models, imports and webhooks
strip them (`clean_line`, `clean_text`) as the last line of defence.

- `clean_line` is for one-line fields: every control character goes; tabs and line
  breaks become one space, so "Sam\\r\\nBcc: x" stays readable as "Sam Bcc: x".
- `clean_text` is for multi-line fields (notes, a postal address): line breaks are kept
  as "\\n", every other control character goes.
"""

import re

# C0 controls, DEL and C1 controls, plus Unicode's own line and paragraph separators
# (U+2028, U+2029), which some mail and log readers also treat as line breaks.
_BREAKS = "\r\n\t\v\f\x85\u2028\u2029\x1c\x1d\x1e"
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_BREAK_RUN = re.compile("[" + re.escape(_BREAKS) + "]+")
# Multi-line text: normalise every kind of line break to "\n" first.
_LINE_BREAK = re.compile("\r\n|\r|\x85|\u2028|\u2029|\v|\f")
_CONTROLS_BUT_NEWLINE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def has_controls(value, *, multiline: bool = False) -> bool:
    """True when `value` holds a character a field of its kind must not hold.

    For a one-line field that is any control character (CR, LF, TAB and NUL included);
    for a multi-line field line breaks and tabs are allowed, other controls are not.
    """
    if not isinstance(value, str) or value.isprintable():  # the common case, at C speed
        return False
    if multiline:
        return bool(_CONTROLS_BUT_NEWLINE.search(_LINE_BREAK.sub("\n", value).replace("\t", " ")))
    return bool(_CONTROLS.search(value))


def clean_line(value):
    """One-line text with every control character removed, on one line, stripped.

    A run of line breaks and tabs becomes one space (so words stay apart); other controls
    (NUL, ESC, DEL, C1) are dropped. Anything that is not a string comes back unchanged,
    so it is safe to call on optional fields.
    """
    if not isinstance(value, str):
        return value
    if not value.isprintable():  # most text has nothing to clean: skip the regexes
        value = _CONTROLS.sub("", _BREAK_RUN.sub(" ", value))
    return value.strip()


def clean_text(value):
    """Multi-line text with "\\n" line breaks and no other control characters.

    "\\r\\n", lone "\\r" and Unicode line separators become "\\n"; a tab becomes a space;
    NUL and every other control is dropped. Leading and trailing whitespace is stripped.
    """
    if not isinstance(value, str):
        return value
    if not value.isprintable():
        value = _LINE_BREAK.sub("\n", value).replace("\t", " ")
        value = _CONTROLS_BUT_NEWLINE.sub("", value)
    return value.strip()


def clean_fields(instance, lines=(), texts=()) -> None:
    """Clean a model instance's one-line (`lines`) and multi-line (`texts`) fields in
    place: the models call it in save(), the last line of defence for every entrance."""
    for name in lines:
        setattr(instance, name, clean_line(getattr(instance, name)))
    for name in texts:
        setattr(instance, name, clean_text(getattr(instance, name)))


def clean_rows(model, lines=(), texts=(), chunk_size: int = 2000) -> int:
    """Clean the stored rows of `model` (the data migrations use it); returns how many
    changed. Reads in chunks and writes only the rows that change."""
    fields = [*lines, *texts]
    changed = []
    rows = model._default_manager.order_by("pk").values_list("pk", *fields)
    for pk, *values in rows.iterator(chunk_size=chunk_size):
        cleaned = [clean_line(value) for value in values[:len(lines)]]
        cleaned += [clean_text(value) for value in values[len(lines):]]
        if cleaned != values:
            changed.append(model(pk=pk, **dict(zip(fields, cleaned, strict=True))))
    model._default_manager.bulk_update(changed, fields, batch_size=500)
    return len(changed)


class ControlCharacterValidator:
    """A form field validator: refuses control characters, with a message naming the field.
    One-line fields refuse line breaks and tabs too; multi-line fields keep them."""

    def __init__(self, label: str, multiline: bool = False):
        self.label, self.multiline = label, multiline

    def __call__(self, value) -> None:
        from django.core.exceptions import ValidationError

        if not has_controls(value, multiline=self.multiline):
            return
        if self.multiline:
            message = (f"{self.label} has an invisible control character in it. "
                       "Please remove it and try again.")
        else:
            message = (f"{self.label} needs to fit on one line: please remove the line "
                       "breaks, tabs or other invisible characters.")
        raise ValidationError(message, code="control_characters")


def refuse_controls(form) -> None:
    """Give every text field of `form` a ControlCharacterValidator (call it at the end of
    the form's __init__). A textarea is multi-line; a password is left alone."""
    from django import forms

    for name, field in form.fields.items():
        if not isinstance(field, forms.CharField) or isinstance(field.widget,
                                                                forms.PasswordInput):
            continue
        label = str(field.label or name.replace("_", " ").capitalize())
        multiline = isinstance(field.widget, forms.Textarea)
        field.validators.append(ControlCharacterValidator(label, multiline))


class ControlFreeForm:
    """Mixin for a form whose every text field refuses control characters, naming the field
    (for forms with no __init__ of their own to call refuse_controls from)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        refuse_controls(self)
