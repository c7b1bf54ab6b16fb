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
_SPACES = re.compile(" {2,}")
# Multi-line text: normalise every kind of line break to "\n" first.
_LINE_BREAK = re.compile("\r\n|\r|\x85|\u2028|\u2029|\v|\f")
_CONTROLS_BUT_NEWLINE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def has_controls(value, *, multiline: bool = False) -> bool:
    """True when `value` holds a character a field of its kind must not hold.

    For a one-line field that is any control character (CR, LF, TAB and NUL included);
    for a multi-line field line breaks and tabs are allowed, other controls are not.
    """
    if not isinstance(value, str) or not value:
        return False
    if multiline:
        return bool(_CONTROLS_BUT_NEWLINE.search(_LINE_BREAK.sub("\n", value).replace("\t", " ")))
    return bool(_CONTROLS.search(value))


def clean_line(value):
    """One-line text with every control character removed, on one line, stripped.

    Line breaks and tabs become a single space (so words stay apart); other controls
    (NUL, ESC, DEL, C1) are dropped. Anything that is not a string comes back unchanged,
    so it is safe to call on optional fields.
    """
    if not isinstance(value, str):
        return value
    value = _BREAK_RUN.sub(" ", value)
    value = _CONTROLS.sub("", value)
    if "  " in value:
        value = _SPACES.sub(" ", value)
    return value.strip()


def clean_text(value):
    """Multi-line text with "\\n" line breaks and no other control characters.

    "\\r\\n", lone "\\r" and Unicode line separators become "\\n"; a tab becomes a space;
    NUL and every other control is dropped. Leading and trailing whitespace is stripped.
    """
    if not isinstance(value, str):
        return value
    value = _LINE_BREAK.sub("\n", value).replace("\t", " ")
    value = _CONTROLS_BUT_NEWLINE.sub("", value)
    return value.strip()
