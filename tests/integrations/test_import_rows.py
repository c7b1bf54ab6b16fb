"""One bad row never stops an import, and control characters are stripped at the door."""

from django.db import DataError

from followthrough.customers.models import Customer
from followthrough.integrations import imports
from followthrough.integrations.imports import import_file

FIVE = (b"Name,Email\nAda,ada@example.com\nBob,bob@example.com\nPoison,poison@example.com\n"
        b"Cy,cy@example.com\nDee,dee@example.com\n")


def test_it_reports_a_row_the_reader_chokes_on_and_imports_the_rest(business, monkeypatch):
    real = imports.RowReader.read

    def read(self, number, cells):
        if cells[0] == "Poison":
            raise ValueError("a bug this row found")
        return real(self, number, cells)

    monkeypatch.setattr(imports.RowReader, "read", read)

    result = import_file(business, FIVE)

    assert result.created == 4
    assert [(e.row, e.reason) for e in result.errors] == [(4, imports.UNREADABLE_ROW)]


def test_it_reports_a_row_the_database_refuses_and_imports_the_rest(business, monkeypatch):
    real = imports.Writer._customers

    def customers(self, chunk, result):
        if any(values["name"] == "Poison" for values in chunk):
            raise DataError("value too long for this database")
        return real(self, chunk, result)

    monkeypatch.setattr(imports.Writer, "_customers", customers)

    result = import_file(business, FIVE)

    assert sorted(Customer.objects.values_list("name", flat=True)) == [
        "Ada", "Bob", "Cy", "Dee"]
    assert (result.created, result.updated, result.unchanged) == (4, 0, 0)
    assert [(e.row, e.reason) for e in result.errors] == [(4, imports.UNSAVED_ROW)]


def test_it_strips_control_characters_from_imported_text(business):
    data = (b'Name,Email,Phone,City,Tags,Notes\n'
            b'"Sam\r\nBcc: x@example.com\x1b[2J",sam@example.com,,"Hud\x1fson","vip\x07",'
            b'"first line\r\nsecond\x1b line\x7f"\n')
    result = import_file(business, data)

    customer = Customer.objects.get(business=business)
    assert result.errors == []
    assert customer.name == "Sam Bcc: x@example.com[2J"
    assert customer.tags == "vip"
    assert customer.notes == "first line\nsecond line"
    assert customer.postal_address == "Hudson"


def test_it_strips_nul_and_line_breaks_from_every_one_line_cell(business):
    # A CSV with NUL is refused as binary; an XLSX cell can still carry one.
    reader = imports.RowReader(business, ["Name", "Email", "Notes"],
                               {"name": "Name", "email": "Email", "notes": "Notes"},
                               "customers")

    values, errors = reader.read(2, ["A\x00da\nLovelace", "ada@example.com\r", "x\x00\ny"])

    assert errors == []
    assert (values["name"], values["email"], values["notes"]) == (
        "Ada Lovelace", "ada@example.com", "x\ny")
