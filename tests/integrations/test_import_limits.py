"""Imports are bounded: size, rows, columns, cells, what an XLSX unpacks to, and no
csv.Sniffer. Each test counts work (parser calls, rows produced), never time."""

import csv
import io
import re
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from followthrough.integrations import imports
from followthrough.integrations.imports import ImportFileError, import_file, read_table
from followthrough.integrations.models import ImportJob

SHEET_HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')


@pytest.fixture
def openpyxl_opens(monkeypatch):
    """Counts every workbook openpyxl is asked to open."""
    calls = []
    real = openpyxl.load_workbook

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(openpyxl, "load_workbook", counted)
    return calls


def workbook(*rows) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def rewrite_sheet(data: bytes, change) -> bytes:
    """The same workbook with its first sheet's XML passed through `change`."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for part in source.infolist():
            body = source.read(part)
            if part.filename == "xl/worksheets/sheet1.xml":
                body = change(body)
            target.writestr(part, body, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def declare(ref: bytes):
    """A sheet rewrite that declares `ref` as its used range (b"" drops the declaration)."""
    return lambda xml: re.sub(rb'<dimension ref="[^"]*" ?/>',
                              ref and b'<dimension ref="' + ref + b'"/>', xml)


def bomb(megabytes: int = 20) -> bytes:
    """A small zip whose one sheet is megabytes of identical rows: it packs about a
    thousand times, as the 486 KB bomb that unpacked to 800 MB did."""
    rows = '<row><c t="inlineStr"><is><t>x</t></is></c></row>' * (megabytes * 20_000)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml",
                         f"{SHEET_HEAD}<sheetData>{rows}</sheetData></worksheet>",
                         compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return out.getvalue()


def test_it_refuses_an_xlsx_bomb_without_unpacking_it(openpyxl_opens):
    data = bomb()
    assert len(data) < 200_000

    with pytest.raises(ImportFileError, match="packed far tighter") as refused:
        read_table(data, "bomb.xlsx")

    assert refused.value.status == 413
    assert openpyxl_opens == []


def test_it_refuses_an_xlsx_that_unpacks_past_the_limit(settings, openpyxl_opens):
    settings.IMPORT_MAX_XLSX_UNPACKED = 4096

    with pytest.raises(ImportFileError, match="unpacks to"):
        read_table(workbook(["Name"], ["Ada"]), "list.xlsx")

    assert openpyxl_opens == []


def test_it_refuses_a_sheet_that_declares_a_million_rows(openpyxl_opens):
    data = rewrite_sheet(workbook(["Name"], ["Ada"]), declare(b"A1:A1048576"))

    with pytest.raises(ImportFileError, match="more than 200,000 rows"):
        read_table(data, "list.xlsx")

    assert openpyxl_opens == []


def test_it_cuts_xlsx_rows_to_the_header_whatever_the_sheet_declares():
    book = openpyxl.Workbook()
    book.active.append(["Name", "Email"])
    book.active.append(["Ada", "ada@example.com"])
    book.active.cell(row=3, column=16_000, value="far away")
    # Without its <dimension>, openpyxl would pad each row to its last cell's column.
    buffer = io.BytesIO()
    book.save(buffer)
    data = rewrite_sheet(buffer.getvalue(), declare(b""))
    assert b"<dimension" not in zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")

    table = read_table(data, "list.xlsx")

    assert {len(row) for row in table.rows} == {2}


def test_it_stops_reading_xlsx_rows_at_the_limit(settings, monkeypatch):
    settings.IMPORT_MAX_ROWS = 5
    # One cell in row 1,000,000 and no <dimension>: openpyxl fills every row in between.
    data = rewrite_sheet(workbook(["Name"], ["Ada"]), lambda xml: declare(b"")(xml).replace(
        b"</sheetData>", b'<row r="1000000"><c r="A1000000" t="inlineStr"><is><t>x</t>'
                         b'</is></c></row></sheetData>'))
    cells = []
    real = imports._cell_text
    monkeypatch.setattr(imports, "_cell_text", lambda value: cells.append(1) or real(value))

    with pytest.raises(ImportFileError, match="more than 5 rows"):
        read_table(data, "list.xlsx")

    assert len(cells) == 6  # the header and five rows, not a million


def test_it_never_calls_csv_sniffer(monkeypatch):
    class Forbidden:
        def __init__(self):
            raise AssertionError("csv.Sniffer must not be used")

    monkeypatch.setattr(csv, "Sniffer", Forbidden)
    # The shape of a 60 KB file that keeps the sniffer's regular expression busy for
    # minutes: every ",'" starts a match that scans to the end of the line.
    crafted = b"Name,Email\n" + b"a,'" * 20_000 + b"\n"

    table = read_table(crafted)

    assert table.headers == ["Name", "Email"] and len(table.rows) == 1


@pytest.mark.parametrize(("data", "headers"), [
    (b"Name;Email\nAda;ada@example.com\nBob;bob@example.com\n", ["Name", "Email"]),
    (b"Name\tEmail\nAda\tada@example.com\n", ["Name", "Email"]),
    (b"Name|Email|Phone\nAda|a@example.com|\n", ["Name", "Email", "Phone"]),
    (b"Name,Note\n\"Smith; Ada\",\"a; b; c\"\n", ["Name", "Note"]),
    (b"Name\nAda\n", ["Name"]),
])
def test_it_chooses_the_delimiter_by_consistent_columns(data, headers):
    assert read_table(data).headers == headers


def test_it_refuses_more_rows_than_the_limit(settings):
    settings.IMPORT_MAX_ROWS = 3

    with pytest.raises(ImportFileError, match="more than 3 rows") as refused:
        read_table(b"Name\nA\nB\nC\nD\n")

    assert refused.value.status == 413


def test_it_refuses_more_columns_than_the_limit(settings):
    settings.IMPORT_MAX_COLUMNS = 3

    with pytest.raises(ImportFileError, match="4 columns; the limit is 3"):
        read_table(b"a,b,c,d\n1,2,3,4\n")


def test_it_leaves_out_a_row_with_an_overlong_cell_and_imports_the_rest(business, settings):
    settings.IMPORT_MAX_CELL_CHARS = 20

    result = import_file(business, b"Name,Email,Notes\nAda,ada@example.com,short\n"
                                   b"Bob,bob@example.com," + b"x" * 21 + b"\n")

    assert result.created == 1
    assert [e.as_dict() for e in result.errors] == [
        {"row": 3, "column": "Notes", "reason": "This cell holds 21 characters; the limit "
                                                 "is 20.", "kept": False}]


def test_it_says_which_field_is_over_the_size_limit(owner_client, business, settings):
    settings.IMPORT_MAX_BYTES = 1024

    response = owner_client.post(reverse("import_upload"), {
        "file": SimpleUploadedFile("big.csv", b"Name\n" + b"a" * 4096), "kind": "customers"})

    assert response.status_code == 413
    assert "The file is larger than" in response.context["form"].errors["file"][0]
    assert not ImportJob.objects.exists()


def test_it_refuses_an_xlsx_bomb_at_upload_with_a_field_error(owner_client, business,
                                                             openpyxl_opens):
    response = owner_client.post(reverse("import_upload"), {
        "file": SimpleUploadedFile("bomb.xlsx", bomb()), "kind": "customers"})

    assert response.status_code == 413
    assert "packed far tighter" in response.context["form"].errors["file"][0]
    assert openpyxl_opens == [] and not ImportJob.objects.exists()


def test_it_reports_too_many_rows_on_the_job_page(owner_client, business, settings,
                                                  read_inline):
    settings.IMPORT_MAX_ROWS = 2

    response = read_inline(owner_client, b"Name\nA\nB\nC\n")

    job = ImportJob.objects.get(business=business)
    assert (job.status, bytes(job.data)) == (ImportJob.FAILED, b"")
    assert "more than 2 rows" in owner_client.get(response.url).content.decode()


def test_it_refuses_a_sheet_with_an_entity_expansion_bomb():
    # "Billion laughs": ten levels of ten entities. Python's expat (2.4 and later) stops
    # the amplification; openpyxl's error becomes our message.
    entities = '<!ENTITY a0 "lol">' + "".join(
        f'<!ENTITY a{n} "{("&a" + str(n - 1) + ";") * 10}">' for n in range(1, 10))
    laughs = (f'<?xml version="1.0"?><!DOCTYPE worksheet [{entities}]>'
              '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&a9;</t></is></c></row>'
              '</sheetData></worksheet>').encode()
    data = rewrite_sheet(workbook(["Name"], ["Ada"]), lambda xml: laughs)

    with pytest.raises(ImportFileError, match="not a readable XLSX"):
        read_table(data, "list.xlsx")
