"""Cells for CSV exports that a spreadsheet can never run as a formula.

Spreadsheets read a cell that starts with =, +, -, @, a tab or a carriage return as a
formula (OWASP "CSV injection"), so a customer who types `=HYPERLINK(...)` into a form
could run it on the owner's computer when the owner opens an export. Every CSV export goes
through `cell` (or `row`), so the rule lives in one place:

- text that starts with one of those characters gets a leading apostrophe, which the
  spreadsheet shows as plain text;
- an empty cell (or None) stays empty;
- a real number (an int, a float or a Decimal, not text that looks like one) is written as
  it is: `-12.50` from a money column is a number to the spreadsheet, never a formula. Text
  is judged by its first character only, whatever it looks like, because its author may
  be anyone.
"""

from decimal import Decimal

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value):
    """One cell, safe to write with csv.writer."""
    if value is None:
        return ""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def row(values) -> list:
    return [cell(value) for value in values]
