"""CSV and XLSX import of customers and sales: read, map, check, then write in chunks.

Reading refuses what it cannot read, or what is over a limit (size, rows, columns, what an
XLSX unpacks to), with a message (ImportFileError) before anything is saved. On the web the
file is read and checked once, in the background, and the review page shows what that
stored. Rows are checked one by one, and a row with a problem is reported (row, column,
reason) and left out; the valid rows go in, in chunks of CHUNK rows, each chunk in its own
transaction. Re-importing the same file changes nothing: customers are matched by your id
for them or by email, sales by their order id (or, without one, by a hash of the row)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import itertools
import logging
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from types import MappingProxyType

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    connection,
    transaction,
)
from django.db.models import Q
from django.utils import timezone

from followthrough import vocabulary as v
from followthrough.channels import kinds
from followthrough.customers import consent
from followthrough.customers.models import ConsentEvent, Customer, Engagement
from followthrough.integrations.formats import auto_mapping, detect, targets
from followthrough.integrations.models import ImportJob
from followthrough.phones import parse_phone, phone_hint
from followthrough.playbooks.models import Playbook
from followthrough.text import clean_line, clean_text, has_controls
from followthrough.tokens import new_public_ids
from followthrough.touchpoints.planning import plan_new_engagements

log = logging.getLogger("followthrough.integrations")

CHUNK = 10_000
# Small files still get about twenty progress steps; big ones get the big, fast chunks.
PROGRESS_STEPS, MIN_CHUNK = 20, 200
PREVIEW_ERRORS = 200
BOM = b"\xef\xbb\xbf"
MAX_LENGTHS = {"name": 150, "email": 254, "external_id": 100, "tags": 300, "notes": 5000,
               "postal_address": 500, "order_id": 100, "description": 300, "kind": 60}
YES = {"yes", "y", "true", "1", "subscribed", "opted in", "opted_in", "marketing contact",
       "accepts", "confirmed"}
NO = {"no", "n", "false", "0", "unsubscribed", "opted out", "opted_out",
      "non-marketing contact", "not subscribed"}
DATE_FORMATS = ("%m/%d/%Y", "%m/%d/%Y %H:%M", "%m/%d/%Y %I:%M %p", "%d.%m.%Y", "%Y/%m/%d",
                "%Y-%m-%d %H:%M:%S %z", "%b %d, %Y", "%d %b %Y")


class ImportFileError(Exception):
    """The file cannot be read at all. `status` is the HTTP status it deserves."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    # Rows left out while reading (a cell over the limit), by row number.
    set_aside: dict[int, RowError] = field(default_factory=dict)


@dataclass
class RowError:
    """A problem with one cell. `kept`: the row was imported all the same, without that
    value (a phone number we cannot use, say); otherwise the whole row was left out."""

    row: int
    column: str
    reason: str
    kept: bool = False

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "reason": self.reason,
                "kept": self.kept}


@dataclass
class Result:
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    engagements: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def left_out(self) -> int:
        """Rows left out, however many problems each had."""
        return rows_left_out(self.errors)

    @property
    def kept_with_problems(self) -> int:
        return len({error.row for error in self.errors if error.kept})


def rows_left_out(errors: list[RowError]) -> int:
    return len({error.row for error in errors if not error.kept})


# Reading ------------------------------------------------------------------------------------
#
# Every limit is checked before the work it protects: the size before anything is read, an
# XLSX file's zip directory before openpyxl unpacks a byte, rows and columns while reading.
# The delimiter is chosen by trying the four real ones, never with csv.Sniffer, whose
# regular expressions take quadratic time on crafted input.

DELIMITERS = (",", ";", "\t", "|")
SAMPLE_CHARS, SAMPLE_ROWS = 65_536, 20
# A real workbook's XML packs 5 to 20 times smaller; a bomb packs a thousand times. Small
# parts may pack as tightly as they like: they cannot cost much.
XLSX_MAX_RATIO, XLSX_RATIO_FROM, XLSX_MAX_PARTS = 200, 1024 * 1024, 1000
DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"([A-Z]{1,3})?(\d+)?(?::([A-Z]{1,3})(\d+))?\"")


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.3g} MB"  # 10 MB, 10.5 MB, 0.00391 MB


def screen(data: bytes, filename: str = "") -> None:
    """The checks that cost almost nothing, made before a file is accepted at all."""
    limit = settings.IMPORT_MAX_BYTES
    if len(data) > limit:
        raise ImportFileError(f"The file is {_mb(len(data))}; the limit is {_mb(limit)}. "
                              "Split it into smaller files.", status=413)
    if not data.strip():
        raise ImportFileError("The file is empty.")
    if _is_xlsx(data, filename):
        _inspect_xlsx(data)
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError("The file is in UTF-16. Save it as CSV UTF-8 and upload it again.")


def _is_xlsx(data: bytes, filename: str) -> bool:
    return data[:4] == b"PK\x03\x04" or filename.lower().endswith(".xlsx")


def read_table(data: bytes, filename: str = "") -> Table:
    screen(data, filename)
    if _is_xlsx(data, filename):
        headers, rows = _read_xlsx(data)
    else:
        headers, rows = _read_csv(_decode(data))
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    if not any(h.strip() for h in headers):
        raise ImportFileError("The first row must name the columns, and it is empty.")
    return _table(headers, rows)


def _table(headers: list[str], rows: list[list[str]]) -> Table:
    """Every row cut or padded to the header's width; a row with an over-long cell is
    set aside with its reason (and left out), so one bad cell never stops the import."""
    headers = [clean_line(h) for h in headers]
    width = len(headers)
    longest = settings.IMPORT_MAX_CELL_CHARS
    table = Table(headers, [])
    for number, cells in enumerate(rows, start=2):
        if len(cells) != width:
            cells = cells[:width] if len(cells) > width else cells + [""] * (width - len(cells))
        if max(map(len, cells), default=0) > longest:
            column = next(i for i, c in enumerate(cells) if len(c) > longest)
            table.set_aside[number] = RowError(
                number, headers[column], f"This cell holds {len(cells[column]):,} characters; "
                f"the limit is {longest:,}.")
            cells = [""] * width
        table.rows.append(cells)
    return table


def _too_many_rows() -> ImportFileError:
    return ImportFileError(f"The file has more than {settings.IMPORT_MAX_ROWS:,} rows. Split "
                           "it into smaller files and import them one by one.", status=413)


def _check_width(headers: list) -> None:
    while headers and headers[-1] in ("", None):
        headers.pop()
    if len(headers) > settings.IMPORT_MAX_COLUMNS:
        raise _too_many_columns(len(headers))


def _too_many_columns(count: int) -> ImportFileError:
    return ImportFileError(f"The file has {count:,} columns; the limit is "
                           f"{settings.IMPORT_MAX_COLUMNS:,}. Remove the columns you do not "
                           "need and upload it again.", status=413)


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError("The file is in UTF-16. Save it as CSV UTF-8 and upload it again.")
    if data.startswith(BOM):
        data = data[len(BOM):]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise ImportFileError("The file is neither UTF-8 nor Windows-1252 text. Save it as "
                                  "CSV UTF-8 and upload it again.") from None
    if "\x00" in text:
        raise ImportFileError("The file contains binary data; upload a CSV or XLSX file.")
    return text


def choose_delimiter(text: str) -> str:
    """The delimiter that splits the first rows into the same number of columns (more
    columns wins a tie); a comma when none splits the header."""
    sample = text[:SAMPLE_CHARS]
    if len(text) > SAMPLE_CHARS and "\n" in sample:
        sample = sample[:sample.rindex("\n")]  # whole lines only
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        widths = []
        try:
            reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
            widths.extend(len(row) for row in itertools.islice(reader, SAMPLE_ROWS))
        except csv.Error:
            pass  # the sample ends inside a quoted cell: judge by the rows read so far
        if not widths or widths[0] < 2:
            continue
        score = (sum(width == widths[0] for width in widths), widths[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _read_csv(text: str) -> tuple[list[str], list[list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=choose_delimiter(text),
                        strict=True)
    limit = settings.IMPORT_MAX_ROWS
    rows: list[list[str]] = []
    try:
        headers = next(reader, [])
        _check_width(headers)
        for row in reader:
            if len(rows) >= limit:
                raise _too_many_rows()
            rows.append(row)
    except csv.Error as exc:
        raise ImportFileError(f"The CSV is malformed near line {reader.line_num}: {exc}. "
                              "Check the quotes on that line.") from None
    return headers, rows


def _inspect_xlsx(data: bytes) -> None:
    """Refuse a workbook that would unpack to too much, before anything is unpacked: the
    zip directory declares every part's size, and zipfile refuses to read past it."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
            if len(parts) > XLSX_MAX_PARTS:
                raise _not_a_workbook()
            _check_unpacked(parts)
            for part in parts:
                if part.filename.startswith("xl/worksheets/") and part.filename.endswith(".xml"):
                    with archive.open(part) as sheet:
                        _check_dimension(sheet.read(4096))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError,
            EOFError, ValueError):
        raise _not_a_workbook() from None


def _not_a_workbook() -> ImportFileError:
    return ImportFileError("This is not a readable XLSX workbook. Save it again as XLSX or CSV.")


def _check_unpacked(parts: list[zipfile.ZipInfo]) -> None:
    limit = settings.IMPORT_MAX_XLSX_UNPACKED
    unpacked = sum(part.file_size for part in parts)
    packed_too_tight = any(part.file_size > XLSX_RATIO_FROM
                           and part.file_size > XLSX_MAX_RATIO * max(part.compress_size, 1)
                           for part in parts)
    if unpacked > limit or packed_too_tight:
        raise ImportFileError(
            f"This workbook unpacks to {_mb(unpacked)} (the limit is {_mb(limit)}), or is "
            "packed far tighter than a real spreadsheet. Save it as CSV, or remove what "
            "you do not need, and upload it again.", status=413)


def _check_dimension(head: bytes) -> None:
    """A sheet declares its used range near its start (<dimension ref="A1:Z500"/>)."""
    found = DIMENSION.search(head)
    if not found or not found.group(4):
        return
    rows, columns = int(found.group(4)), _column_number(found.group(3))
    if rows > settings.IMPORT_MAX_ROWS + 1:
        raise _too_many_rows()
    if columns > settings.IMPORT_MAX_COLUMNS:
        raise _too_many_columns(columns)


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - ord("A") + 1
    return number


def _read_xlsx(data: bytes) -> tuple[list[str], list[list[str]]]:
    import openpyxl  # noqa: PLC0415 - only XLSX imports pay for loading it

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for a damaged or foreign file
        raise _not_a_workbook() from None
    try:
        sheet = book.worksheets[0]
        # Forget the declared used range: openpyxl pads every row to it, so a stray cell
        # in column XFD would make each row 16,384 cells wide. Rows are cut to the header.
        sheet.reset_dimensions()
        header_row = next(sheet.iter_rows(max_row=1, values_only=True), ())
        headers = [_cell_text(value) for value in header_row]
        _check_width(headers)
        width, limit = max(len(headers), 1), settings.IMPORT_MAX_ROWS
        rows = []
        for values in sheet.iter_rows(min_row=2, max_col=width, values_only=True):
            if len(rows) >= limit:
                raise _too_many_rows()
            rows.append([_cell_text(value) for value in values])
    except ImportFileError:
        raise
    except Exception:  # a damaged part only shows while its rows are read
        raise _not_a_workbook() from None
    finally:
        book.close()
    return headers, rows


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# Checking rows ------------------------------------------------------------------------------

SEPARATORS = re.compile(r"[,;]")
ADDRESS_TARGETS = ("address1", "address2", "city", "region", "postcode", "country")
# Unmapped consent columns: shared and only ever read.
NO_CONSENT = MappingProxyType({kinds.EMAIL: None, kinds.SMS: None})

FAST_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)


class RowReader:
    """Turns mapped cells into customer (and sale) values for one business."""

    def __init__(self, business, headers: list[str], mapping: dict, kind: str,
                 playbook: Playbook | None = None):
        self.business = business
        self.kind = kind
        self.playbook = playbook
        self.width = len(headers)
        index = {h: i for i, h in reversed(list(enumerate(headers)))}
        self.columns = {t: (h, index[h]) for t, h in mapping.items() if h in index}
        # Unmapped targets read the empty cell appended after the last column.
        self.ix = {t: self.columns[t][1] if t in self.columns else self.width
                   for t, _label in targets(ImportJob.SALES)}
        self.region = business.phone_region
        self.playbooks = {p.slug: p for p in Playbook.objects.filter(business=business)}
        self.phones: dict[str, str | None] = {}
        ix = self.ix
        self.i_email, self.i_name, self.i_phone = ix["email"], ix["name"], ix["phone"]
        self.i_first, self.i_last, self.i_company = (ix["first_name"], ix["last_name"],
                                                     ix["company"])
        self.i_external_id, self.i_tags, self.i_notes = (ix["external_id"], ix["tags"],
                                                         ix["notes"])
        self.has_address = any(t in self.columns for t in ADDRESS_TARGETS)
        self.has_consent = any(t in self.columns for t in ("email_marketing", "sms_marketing"))
        # Notes keep their line breaks; every other cell is one line.
        self.i_multiline = self.i_notes

    def cell(self, cells: list[str], target: str) -> str:
        spec = self.columns.get(target)
        return cells[spec[1]].strip() if spec and spec[1] < len(cells) else ""

    def value(self, cells: list[str], target: str) -> str:
        """A cell holding a date, an amount or an id: without a spreadsheet's text marker."""
        return unmark(self.cell(cells, target))

    def column(self, target: str) -> str:
        spec = self.columns.get(target)
        return spec[0] if spec else target

    def read(self, number: int, cells: list[str]) -> tuple[dict | None, list[RowError]]:
        # The hot loop of an import: every index is looked up once in __init__, not per row.
        errors: list[RowError] = []
        width = self.width
        if len(cells) == width:
            cells = [*cells, ""]
        else:
            cells = [*cells[:width], *[""] * (width + 1 - min(len(cells), width))]
        if has_controls("".join(cells)):  # one scan per row; cleaning only when needed
            cells = self.clean(cells)

        def fail(target: str, reason: str) -> None:
            errors.append(RowError(number, self.column(target), reason))

        def drop(target: str, reason: str) -> None:
            errors.append(RowError(number, self.column(target), reason, kept=True))

        email = unmark(cells[self.i_email].strip())
        if email:
            email = self.email(email, drop)
        phone = unmark(cells[self.i_phone].strip())
        if phone:
            phone = self.phone(phone, drop)
        name = cells[self.i_name].strip()
        if not name:
            first, last = cells[self.i_first].strip(), cells[self.i_last].strip()
            name = (f"{first} {last}".strip() or cells[self.i_company].strip() or email
                    or phone)
            if not name:
                fail("name", "Nothing identifies this customer: no name, no company, and no "
                             "usable email or phone number.")
        address = ""
        if self.has_address:
            ix = self.ix
            city = " ".join(p for p in (cells[ix["city"]].strip(), cells[ix["region"]].strip(),
                                        unmark(cells[ix["postcode"]].strip())) if p)
            address = "\n".join(p for p in (cells[ix["address1"]].strip(),
                                             cells[ix["address2"]].strip(), city,
                                             cells[ix["country"]].strip()) if p)
        external_id = unmark(cells[self.i_external_id].strip()) or None
        tags = cells[self.i_tags].strip()
        notes = cells[self.i_notes].strip()
        values = {"external_id": external_id, "email": email, "name": name, "phone": phone,
                  "postal_address": address, "tags": tags, "notes": notes}
        self.check_lengths(values, fail, drop)
        if self.has_consent:
            values["_consent"] = {
                kinds.EMAIL: _yes_no(cells[self.ix["email_marketing"]]),
                kinds.SMS: _yes_no(cells[self.ix["sms_marketing"]]),
            }
        else:
            values["_consent"] = NO_CONSENT
        if self.kind == ImportJob.SALES:
            values["_sale"] = self.sale(cells, fail, values)
        left_out = any(not error.kept for error in errors)
        return (None if left_out else values), errors

    def email(self, email: str, drop) -> str:
        """The first address of the cell, or "" (with a warning) when it is not one."""
        if "," in email or ";" in email:
            email = SEPARATORS.split(email)[0].strip()
        local, _, domain = email.rpartition("@")
        email = f"{local}@{domain.lower()}" if local else email
        if not FAST_EMAIL.fullmatch(email):
            try:
                validate_email(email)
            except ValidationError:
                drop("email", f"{email!r} is not an email address; imported without it.")
                return ""
        return email

    # Too long to keep: the identifying fields leave the row out, the optional ones are
    # left empty. Same order as MAX_LENGTHS.
    LENGTH_CHECKS = (("name", "name", False), ("email", "email", False),
                     ("external_id", "external_id", False), ("tags", "tags", True),
                     ("notes", "notes", True), ("address1", "postal_address", True))

    def check_lengths(self, values: dict, fail, drop) -> None:
        for target, key, optional in self.LENGTH_CHECKS:
            value = values[key]
            if value and len(value) > MAX_LENGTHS[key]:
                if optional:
                    values[key] = ""
                    drop(target, f"Longer than {MAX_LENGTHS[key]} characters; imported "
                                 "without it.")
                else:
                    fail(target, f"Longer than {MAX_LENGTHS[key]} characters.")

    def clean(self, cells: list[str]) -> list[str]:
        """Control characters out (CR, LF, NUL, ESC…): they break email headers, CSV cells
        and log lines. Only notes keep their line breaks."""
        multiline = self.i_multiline
        return [clean_text(cell) if i == multiline else clean_line(cell)
                for i, cell in enumerate(cells)]

    def phone(self, raw: str, drop) -> str:
        # Numbers repeat in real lists (households, a company's switchboard): check each once.
        if raw in self.phones:
            cleaned = self.phones[raw]
        else:
            cleaned = self.phones[raw] = self._phone(raw)
        if cleaned is None:
            drop("phone", f"{raw!r} is not a phone number we can use; imported without it. "
                          f"{phone_hint(self.region)}")
            return ""
        return cleaned

    def _phone(self, raw: str) -> str | None:
        try:
            return parse_phone(raw.split(",")[0], self.region)
        except ValidationError:
            return None

    def sale(self, cells: list[str], fail, values: dict) -> dict:
        sale = {"description": get_text(self, cells, "description"),
                "kind": get_text(self, cells, "kind")}
        won = self.value(cells, "won_at")
        sale["won_at"] = self.when(won, "won_at", fail) if won else None
        if not won:
            fail("won_at", "A sale needs its date.")
        delivered = self.value(cells, "delivered_at")
        sale["delivered_at"] = self.when(delivered, "delivered_at", fail) if delivered else None
        if sale["won_at"] and sale["delivered_at"] and sale["delivered_at"] < sale["won_at"]:
            fail("delivered_at", "Delivered before it was sold.")
        raw_value = self.value(cells, "value")
        sale["value"] = None
        if raw_value:
            cleaned = re.sub(r"[^\d.\-]", "", raw_value.replace(",", ""))
            try:
                sale["value"] = Decimal(cleaned).quantize(Decimal("0.01"))
                if sale["value"] < 0 or sale["value"] >= Decimal("1e10"):
                    raise InvalidOperation
            except (InvalidOperation, ValueError):
                fail("value", f"{raw_value!r} is not an amount.")
        slug = self.value(cells, "playbook")
        playbook = self.playbooks.get(slug) if slug else self.playbook
        if slug and playbook is None:
            fail("playbook", f"No playbook with the slug {slug!r}.")
        elif playbook is None:
            fail("playbook", "Choose the playbook these sales follow.")
        sale["playbook"] = playbook
        order_id = self.value(cells, "order_id")
        if not order_id:
            basis = "\x1f".join([values.get("external_id") or "", values["email"],
                                 values["name"], self.value(cells, "won_at"),
                                 sale["description"], raw_value])
            order_id = "import:" + hashlib.sha256(basis.encode()).hexdigest()[:24]
        sale["external_id"] = order_id
        return sale

    def when(self, raw: str, target: str, fail) -> dt.datetime | None:
        parsed = parse_when(raw, self.business.zone)
        if parsed is None:
            fail(target, f"{raw!r} is not a date; use 2025-03-01 or 2025-03-01 14:30.")
        return parsed


def unmark(cell: str) -> str:
    """Without the leading apostrophe that spreadsheet exports (Shopify's among them) put
    before phone numbers, ZIP codes and ids to keep them as text. Only a lone marker goes:
    "''quoted" and a bare "'" stay as they are."""
    if cell[:1] == "'" and cell[1:2] not in ("", "'"):
        return cell[1:].lstrip()
    return cell


def get_text(reader: RowReader, cells: list[str], target: str) -> str:
    return reader.cell(cells, target)[: MAX_LENGTHS.get(target, 300)]


def parse_when(raw: str, zone) -> dt.datetime | None:
    raw = raw.strip()
    value = None
    try:
        value = dt.datetime.fromisoformat(raw.replace(" UTC", "+00:00"))
    except ValueError:
        for pattern in DATE_FORMATS:
            try:
                value = dt.datetime.strptime(raw, pattern)
                break
            except ValueError:
                continue
    if value is None or not 1900 <= value.year < 2200:
        return None
    if len(raw) <= 10 and value.hour == value.minute == 0:
        value = value.replace(hour=12)  # a bare date: midday, so no zone moves it a day
    if timezone.is_naive(value):
        value = value.replace(tzinfo=zone)
    return value


def _yes_no(raw: str) -> bool | None:
    lowered = raw.strip().lower()
    if lowered in YES:
        return True
    if lowered in NO:
        return False
    return None


def _day(when: dt.datetime | None, zone) -> str:
    if when is None:
        return ""
    local = when.astimezone(zone)
    return f"{local.day} {local:%b %Y}"


UNREADABLE_ROW = "We could not read this row. Check it, then import the file again."
UNSAVED_ROW = "We could not save this row. Check it, then import the file again."
# The database itself is gone: no row is to blame, so the import stops and says so.
DATABASE_DOWN = (OperationalError, InterfaceError)


def checked_rows(reader: RowReader, table: Table):
    """(row number, values or None, problems) for every row. A row that breaks the
    reader is reported like any other bad row, and the rest go on."""
    set_aside = table.set_aside
    for number, cells in enumerate(table.rows, start=2):
        if number in set_aside:
            yield number, None, [set_aside[number]]
            continue
        try:
            values, problems = reader.read(number, cells)
        except Exception:
            log.exception("import row %d could not be read", number)
            values, problems = None, [RowError(number, "", UNREADABLE_ROW)]
        if values is not None:
            values["_row"] = number
        yield number, values, problems


def check(business, table: Table, mapping: dict, kind: str,
          playbook: Playbook | None = None) -> tuple[int, list[RowError], list[dict]]:
    """(valid rows, errors, a sample of the valid rows) without saving anything."""
    reader = RowReader(business, table.headers, mapping, kind, playbook)
    valid, errors, sample = 0, [], []
    for number, values, problems in checked_rows(reader, table):
        errors.extend(problems)
        if values is not None:
            valid += 1
            if len(sample) < 10:
                sample.append({"row": number, **values, "sale": values.get("_sale")})
    return valid, errors, sample


def preview(business, table: Table, mapping: dict, kind: str,
            playbook: Playbook | None = None) -> dict:
    """What the review page shows, as JSON to store on the job: it is worked out once,
    in the background, and the page only reads it."""
    valid, errors, sample = check(business, table, mapping, kind, playbook)
    zone = business.zone
    return {
        "valid": valid, "error_count": rows_left_out(errors),
        "kept_count": len({error.row for error in errors if error.kept}),
        "errors": [error.as_dict() for error in errors[:PREVIEW_ERRORS]],
        "sample": [{
            "row": s["row"], "name": s["name"], "email": s["email"], "phone": s["phone"],
            "sale": s["sale"] and {
                "won_at": _day(s["sale"]["won_at"], zone),
                "description": s["sale"]["description"]},
        } for s in sample],
    }


# Writing ------------------------------------------------------------------------------------

CUSTOMER_UPDATE_FIELDS = ("name", "email", "phone", "postal_address", "tags", "notes")


class Writer:
    """Writes checked rows for one business; remembers customers across chunks so a file
    that names the same customer twice updates one customer."""

    def __init__(self, business, source: str):
        self.business = business
        self.source = source[:2000]
        self.by_ext: dict[str, int] = {}
        self.by_email: dict[str, int] = {}
        self.prefetched = False
        self.columns, self.defaults = _customer_columns()
        quote = connection.ops.quote_name
        names = ", ".join(quote(c) for c in (*INSERT_COLUMNS, *self.columns))
        marks = ", ".join(["%s"] * (len(INSERT_COLUMNS) + len(self.columns)))
        self.sql = f"INSERT INTO {quote(Customer._meta.db_table)} ({names}) VALUES ({marks})"  # noqa: S608

    def write(self, chunk: list[dict], result: Result) -> None:
        before = _counts(result)
        try:
            self._write(chunk, result)
        except DATABASE_DOWN:
            raise
        except Exception as exc:
            self._undo(result, before)
            # An IntegrityError means someone else created one of these customers (or
            # sales) since we looked: the chunk is written again against what is there
            # now. Anything else, or a second clash, is one bad row: find it.
            if not (isinstance(exc, IntegrityError) and self._retry(chunk, result)):
                self._write_each(chunk, result)

    def _retry(self, chunk: list[dict], result: Result) -> bool:
        before = _counts(result)
        try:
            self._write(chunk, result)
        except DATABASE_DOWN:
            raise
        except Exception:
            self._undo(result, before)
            return False
        return True

    def _write_each(self, chunk: list[dict], result: Result) -> None:
        """Write the rows one by one: each row the database refuses is reported with its
        row number, and every other row goes in."""
        for values in chunk:
            before = _counts(result)
            try:
                self._write([values], result)
            except DATABASE_DOWN:
                raise
            except Exception:
                log.exception("import row %s could not be saved", values.get("_row"))
                self._undo(result, before)
                result.errors.append(RowError(values.get("_row", 0), "", UNSAVED_ROW))

    def _undo(self, result: Result, before: tuple) -> None:
        """Forget a write that was rolled back: its counts, and the ids it remembered."""
        result.created, result.updated, result.unchanged, result.engagements = before
        self._prefetch()

    def _write(self, chunk: list[dict], result: Result) -> None:
        with transaction.atomic():
            ids = self._customers(chunk, result)
            self._consent(chunk, ids)
            if any("_sale" in values for values in chunk):
                self._sales(chunk, ids, result)

    def _insert(self, rows: list[tuple]) -> dict[str, int]:
        """Insert the rows; returns public_id → id."""
        with connection.cursor() as cursor:
            cursor.executemany(self.sql, rows)
            if connection.vendor == "sqlite":
                # SQLite has one writer, and this transaction holds the write lock, so an
                # AUTOINCREMENT table numbers the rows one after another.
                cursor.execute("SELECT last_insert_rowid()")
                last = cursor.fetchone()[0]
                first = last - len(rows) + 1
                return {row[1]: first + n for n, row in enumerate(rows)}
        return {public_id: pk for pk, public_id in
                self._select("public_id", [row[1] for row in rows], "public_id")}

    def _select(self, column: str, keys, wanted: str = "external_id, email") -> list[tuple]:
        """Raw lookup by one column: the ORM's IN-list compiling costs more than the query."""
        keys = list(keys)
        table = connection.ops.quote_name(Customer._meta.db_table)
        marks = ", ".join(["%s"] * len(keys))
        # The column names are ours, never input; every value is a parameter.
        sql = (f"SELECT id, {wanted} FROM {table} "  # noqa: S608
               f"WHERE business_id = %s AND {column} IN ({marks})")
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.business.pk, *keys])
            return cursor.fetchall()

    def _lookup(self, values: dict):
        if values["external_id"] and values["external_id"] in self.by_ext:
            return self.by_ext[values["external_id"]]
        if values["email"] and values["email"] in self.by_email:
            return self.by_email[values["email"]]
        return None

    def _remember(self, values: dict, key) -> None:
        if values["external_id"]:
            self.by_ext.setdefault(values["external_id"], key)
        if values["email"]:
            self.by_email.setdefault(values["email"], key)

    def _prefetch(self) -> None:
        """Every existing customer's external id and email, in one query. Email has no
        index, so looking emails up chunk by chunk would scan the table once per chunk."""
        self.by_ext.clear()
        self.by_email.clear()
        rows = (Customer.objects.filter(business=self.business).order_by("id")
                .values_list("id", "external_id", "email"))
        for pk, external_id, email in rows.iterator(10_000):
            self._remember({"external_id": external_id, "email": email}, pk)
        self.prefetched = True

    def _customers(self, chunk: list[dict], result: Result) -> list[int]:
        business = self.business
        if not self.prefetched:
            self._prefetch()
        by_ext, by_email = self.by_ext, self.by_email
        lookup = self._lookup
        known_ids = [pk for pk in map(lookup, chunk) if isinstance(pk, int)]
        loaded = (Customer.objects.filter(business=business).in_bulk(known_ids)
                  if known_ids else {})
        ids: list = []
        inserts: list[tuple] = []
        fresh: list[tuple[dict, str]] = []  # (mapping, name) pointing at a row not yet inserted
        changed: dict[int, Customer] = {}
        stamp = connection.ops.adapt_datetimefield_value(timezone.now())
        head = (business.pk,)
        tail = (stamp, stamp, *self.defaults)
        public_ids = new_public_ids(len(chunk))
        for values in chunk:
            key = lookup(values)
            if key is None:
                external_id, email = values["external_id"], values["email"]
                key = ("new", len(inserts), public_ids[len(inserts)])
                inserts.append((*head, key[2], external_id, values["name"], email,
                                values["phone"], values["postal_address"], values["tags"],
                                values["notes"], *tail))
                # As _remember, noting which entries must learn the real id after the insert.
                if external_id and external_id not in by_ext:
                    by_ext[external_id] = key
                    fresh.append((by_ext, external_id))
                if email and email not in by_email:
                    by_email[email] = key
                    fresh.append((by_email, email))
            elif isinstance(key, int) and key in loaded and _apply(loaded[key], values):
                changed[key] = loaded[key]
            ids.append(key)
        if inserts:
            new_ids = self._insert(inserts)
            ids = [new_ids[key[2]] if isinstance(key, tuple) else key for key in ids]
            for mapping, name in fresh:
                mapping[name] = new_ids[mapping[name][2]]
        if changed:
            Customer.objects.bulk_update(list(changed.values()),
                                         [*CUSTOMER_UPDATE_FIELDS, "external_id", "updated_at"])
        result.created += len(inserts)
        result.updated += len(changed)
        result.unchanged += len(chunk) - len(inserts) - len(changed)
        return ids

    def _consent(self, chunk: list[dict], ids: list[int]) -> None:
        wanted = {}
        for values, pk in zip(chunk, ids, strict=True):
            for channel, granted in values["_consent"].items():
                if granted is not None:
                    wanted[(pk, channel)] = granted
        if not wanted:
            return
        newest = consent.newest_many(ConsentEvent.objects.filter(
            customer_id__in={pk for pk, _ in wanted}, purpose=v.MARKETING))
        latest = {(pk, channel): granted for (pk, channel, _), granted in newest.items()}
        now = timezone.now()
        ConsentEvent.objects.bulk_create([
            ConsentEvent(business=self.business, customer_id=pk, channel=channel,
                         purpose=v.MARKETING, granted=granted, source="import",
                         proof=self.source, at=now)
            for (pk, channel), granted in wanted.items() if latest.get((pk, channel)) != granted
        ])

    def _sales(self, chunk: list[dict], ids: list[int], result: Result) -> None:
        sales = [(values["_sale"], pk) for values, pk in zip(chunk, ids, strict=True)]
        keys = {sale["external_id"] for sale, _ in sales}
        existing = set(Engagement.objects.filter(
            business=self.business, external_id__in=keys).values_list("external_id", flat=True))
        new, seen = [], set()
        for sale, pk in sales:
            key = sale["external_id"]
            if key in existing or key in seen:
                continue
            seen.add(key)
            new.append(Engagement(
                business=self.business, customer_id=pk, playbook=sale["playbook"],
                external_id=key, kind=sale["kind"], description=sale["description"],
                value=sale["value"], won_at=sale["won_at"], delivered_at=sale["delivered_at"],
            ))
        if not new:
            return
        Engagement.objects.bulk_create(new)
        if any(e.pk is None for e in new):  # a database that returns no ids
            by_key = dict(Engagement.objects.filter(
                business=self.business, external_id__in=[e.external_id for e in new]
            ).values_list("external_id", "id"))
            for engagement in new:
                engagement.pk = engagement.id = by_key[engagement.external_id]
        # The planner marks every step already past the catch-up window as missed, so an
        # import of old sales plans the future and never sends a burst of stale messages.
        plan_new_engagements(new)
        result.engagements += len(new)


def _counts(result: Result) -> tuple:
    return result.created, result.updated, result.unchanged, result.engagements


INSERT_COLUMNS = ("business_id", "public_id", "external_id", "name", "email", "phone",
                  "postal_address", "tags", "notes", "created_at", "updated_at")


def _customer_columns() -> tuple[list[str], tuple]:
    columns, values = [], []
    for field_ in Customer._meta.concrete_fields:
        if field_.primary_key or field_.column in INSERT_COLUMNS:
            continue
        columns.append(field_.column)
        values.append(field_.get_db_prep_save(field_.get_default(), connection))
    return columns, tuple(values)


def _apply(customer: Customer, values: dict) -> bool:
    changed = False
    for name in CUSTOMER_UPDATE_FIELDS:
        value = values[name]
        if value and getattr(customer, name) != value:
            setattr(customer, name, value)
            changed = True
    if values["external_id"] and not customer.external_id:
        customer.external_id = values["external_id"]
        changed = True
    if changed:
        customer.updated_at = timezone.now()
    return changed


# Running ------------------------------------------------------------------------------------

def import_table(business, table: Table, mapping: dict, kind: str,
                 playbook: Playbook | None = None, source: str = "", progress=None) -> Result:
    """Check every row and write the valid ones; `progress(done, total)` after each chunk."""
    reader = RowReader(business, table.headers, mapping, kind, playbook)
    writer = Writer(business, source)
    result = Result(total=len(table.rows))
    chunk: list[dict] = []
    done = 0
    size = min(CHUNK, max(MIN_CHUNK, len(table.rows) // PROGRESS_STEPS))
    for _number, values, problems in checked_rows(reader, table):
        result.errors.extend(problems)
        done += 1
        if values is not None:
            chunk.append(values)
        if len(chunk) >= size:
            writer.write(chunk, result)
            chunk = []
            if progress:
                progress(done, result)
    if chunk:
        writer.write(chunk, result)
    result.errors.sort(key=lambda error: error.row)  # rows the writer refused come last
    if progress:
        progress(done, result)
    return result


def import_file(business, data: bytes, filename: str = "", kind: str = ImportJob.CUSTOMERS,
                playbook: Playbook | None = None, mapping: dict | None = None,
                progress=None) -> Result:
    table = read_table(data, filename)
    mapping = mapping or auto_mapping(table.headers, kind, detect(table.headers))
    return import_table(business, table, mapping, kind, playbook,
                        source=f"import of {filename}" if filename else "import",
                        progress=progress)


def read_job(job: ImportJob) -> None:
    """Read the uploaded file once and check every row against the job's mapping, storing
    what the review page shows; the page itself never reads the file."""
    try:
        table = read_table(bytes(job.data), job.filename)
        first_read = not job.headers
        if first_read:
            job.detected_format = detect(table.headers)
            job.mapping = auto_mapping(table.headers, job.kind, job.detected_format)
        found = preview(job.business, table, job.mapping, job.kind, job.playbook)
    except Exception as exc:
        if not isinstance(exc, ImportFileError):
            log.exception("import %s could not be read", job.public_id)
        ImportJob.objects.filter(pk=job.pk, status=ImportJob.READING).update(
            status=ImportJob.FAILED, message=_failure(exc, saved=False)[:300],
            finished_at=timezone.now(), data=b"")
        return
    ImportJob.objects.filter(pk=job.pk, status=ImportJob.READING).update(
        status=ImportJob.MAPPING, headers=table.headers, total=len(table.rows),
        detected_format=job.detected_format, mapping=job.mapping, preview=found)


def _failure(exc: Exception, saved: bool) -> str:
    if isinstance(exc, ImportFileError):
        return exc.message
    if saved:
        return ("Something went wrong; the rows imported so far are saved. Import the file "
                "again to finish: nothing is duplicated.")
    return "Something went wrong while reading the file; nothing was saved. Try again."


# Running: the worker owns import jobs ----------------------------------------------------
#
# The web request only marks a job (reading or queued); the worker takes it after its pass,
# with a lease it renews after every chunk. A worker that dies mid-import leaves the lease to
# run out: the next pass takes the job again and imports the file from the top, which writes
# nothing twice (customers match by id or email, sales by order id). After
# MAX_IMPORT_ATTEMPTS interruptions the job fails with a message that says so.

IMPORT_LEASE = dt.timedelta(minutes=2)
MAX_IMPORT_ATTEMPTS = 3
INTERRUPTED = ("The import was interrupted {n} times and stopped. The rows imported so far "
               "are saved; import the file again to finish: nothing is duplicated.")


def run_due_jobs(now: dt.datetime | None = None) -> int:
    """The worker's share, after each pass: take the oldest waiting job (or one whose
    worker died) and run it. One job a pass, so the worker's sending is not held up long
    and several workers spread the jobs between them. Returns how many it ran."""
    now = now or timezone.now()
    job_id = _claim(now)
    if job_id is None:
        return 0
    run_job(job_id)
    return 1


def _waiting(now: dt.datetime) -> Q:
    fresh = Q(status__in=[ImportJob.READING, ImportJob.QUEUED], lease_until__isnull=True)
    orphaned = Q(status__in=[ImportJob.READING, ImportJob.QUEUED, ImportJob.RUNNING],
                 lease_until__lt=now)
    return fresh | orphaned


def _claim(now: dt.datetime) -> int | None:
    candidates = (ImportJob.objects.filter(_waiting(now)).order_by("created_at", "id")
                  .values_list("pk", "status", "attempts")[:5])
    for pk, status, attempts in candidates:
        if attempts >= MAX_IMPORT_ATTEMPTS:
            _give_up(pk, status, attempts, now)
            continue
        # An interrupted import starts again from the top; the lease is what makes it ours.
        claimed = ImportJob.objects.filter(_waiting(now), pk=pk, attempts=attempts).update(
            status=ImportJob.QUEUED if status == ImportJob.RUNNING else status,
            lease_until=now + IMPORT_LEASE, attempts=attempts + 1)
        if claimed:
            return pk
    return None


def _give_up(pk: int, status: str, attempts: int, now: dt.datetime) -> None:
    ImportJob.objects.filter(_waiting(now), pk=pk, status=status).update(
        status=ImportJob.FAILED, message=INTERRUPTED.format(n=attempts)[:300],
        finished_at=now, lease_until=None, data=b"")


def run_job(job_id: int) -> None:
    """Read a job's file (status reading), or import a queued job, updating its progress
    and renewing its lease after every chunk."""
    job = ImportJob.objects.select_related("business", "playbook").get(pk=job_id)
    if job.status == ImportJob.READING:
        read_job(job)
        return
    if job.status != ImportJob.QUEUED:
        return
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.RUNNING)
    before = (job.created, job.updated, job.engagements) if job.attempts > 1 else (0, 0, 0)
    try:
        table = read_table(bytes(job.data), job.filename)

        def progress(done: int, result: Result) -> None:
            ImportJob.objects.filter(pk=job.pk).update(
                processed=done, **_totals(before, result), error_count=result.left_out,
                lease_until=timezone.now() + IMPORT_LEASE)

        result = import_table(job.business, table, job.mapping, job.kind, job.playbook,
                              source=f"import of {job.filename}", progress=progress)
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.DONE, processed=result.total, total=result.total,
            **_totals(before, result), error_count=result.left_out,
            kept_count=result.kept_with_problems,
            errors=[e.as_dict() for e in result.errors[:500]], finished_at=timezone.now(),
            data=b"", lease_until=None,
        )
    except Exception as exc:
        log.exception("import %s failed", job.public_id)
        ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.FAILED,
                                                   message=_failure(exc, saved=True)[:300],
                                                   finished_at=timezone.now(), lease_until=None)


def _totals(before: tuple[int, int, int], result: Result) -> dict:
    """Counts across attempts: rows an interrupted attempt wrote are found unchanged by the
    next one, so its counts are added to what that one saved."""
    created, updated, engagements = before
    return {"created": created + result.created, "updated": updated + result.updated,
            "engagements": engagements + result.engagements}


def start_reading(job: ImportJob) -> None:
    """Mark the job for reading; the worker reads and checks the file after its next pass,
    and the job's page polls until the preview is stored."""
    ImportJob.objects.filter(pk=job.pk, status__in=[ImportJob.MAPPING, ImportJob.READING]
                             ).update(status=ImportJob.READING, lease_until=None, attempts=0)
    job.status = ImportJob.READING


def start(job: ImportJob) -> None:
    """Queue the job for the worker."""
    ImportJob.objects.filter(pk=job.pk, status=ImportJob.MAPPING).update(
        status=ImportJob.QUEUED, lease_until=None, attempts=0)
