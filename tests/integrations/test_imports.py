import datetime as dt
import io

import openpyxl
import pytest
from django.utils import timezone

from followthrough.customers.models import ConsentEvent, Customer, Engagement
from followthrough.integrations.imports import ImportFileError, import_file, read_table
from followthrough.touchpoints.models import Status, Touchpoint

SHOPIFY = (
    "Customer ID,First Name,Last Name,Email,Accepts Email Marketing,Phone,Tags,Note\n"
    "101,Ada,Lovelace,ada@Example.com,yes,+12125550123,vip,\"Likes tea,\nand biscuits\"\n"
    "102,Alan,Turing,alan@example.com,no,,,\n"
)


def test_it_imports_a_shopify_export(business):
    result = import_file(business, SHOPIFY.encode(), "customers_export.csv")

    assert (result.created, result.errors) == (2, [])
    ada = Customer.objects.get(business=business, external_id="101")
    assert (ada.name, ada.email, ada.phone) == ("Ada Lovelace", "ada@example.com",
                                                "+12125550123")
    assert ada.notes == "Likes tea,\nand biscuits"
    event = ConsentEvent.objects.get(customer=ada)
    assert (event.purpose, event.granted, event.source) == ("marketing", True, "import")
    assert "customers_export.csv" in event.proof


def test_it_creates_nothing_new_on_reimport(business):
    import_file(business, SHOPIFY.encode(), "c.csv")
    result = import_file(business, SHOPIFY.encode(), "c.csv")

    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)
    assert Customer.objects.filter(business=business).count() == 2
    assert ConsentEvent.objects.count() == 2


def test_it_matches_by_email_when_there_is_no_id(business):
    Customer.objects.create(business=business, name="Ada", email="ada@example.com")
    result = import_file(business, b"Name,Email,Phone\nAda L,ada@example.com,+12125550123\n")

    assert (result.created, result.updated) == (0, 1)
    assert Customer.objects.get(business=business).phone == "+12125550123"


def test_it_reads_utf8_with_a_bom_and_windows_1252(business):
    import_file(business, b"\xef\xbb\xbfName,Email\nZo\xc3\xab,zoe@example.com\n")
    import_file(business, b"Name,Email\nRen\xe9e,renee@example.com\n")

    names = set(Customer.objects.values_list("name", flat=True))
    assert names == {"Zoë", "Renée"}


def test_it_sniffs_semicolons_and_tabs():
    assert read_table(b"Name;Email\nAda;ada@example.com\n").rows == [["Ada", "ada@example.com"]]
    assert read_table(b"Name\tEmail\nAda\tada@example.com\n").headers == ["Name", "Email"]


def test_it_refuses_malformed_csv_and_saves_nothing(business):
    with pytest.raises(ImportFileError, match="malformed"):
        import_file(business, b'Name,Email\n"Ada,ada@example.com\n"x"y,z\n')
    assert not Customer.objects.exists()


def test_it_refuses_utf16_and_binary():
    with pytest.raises(ImportFileError, match="UTF-16"):
        read_table("Name\n".encode("utf-16"))
    with pytest.raises(ImportFileError, match="binary"):
        read_table(b"Name\x00,Email\n")


def test_it_refuses_a_file_over_50_mb():
    with pytest.raises(ImportFileError) as caught:
        read_table(b"x" * (50 * 1024 * 1024 + 1))
    assert caught.value.status == 413


def test_it_reports_each_bad_row_and_imports_the_rest(business):
    data = b"Name,Email,Phone\nAda,ada@example.com,\nBob,not-an-email,\n,,\nCy,cy@example.com,12\n"
    result = import_file(business, data)

    assert result.created == 3
    assert [(e.row, e.column, e.kept) for e in result.errors] == [
        (3, "Email", True), (4, "Name", False), (5, "Phone", True)]
    assert "not an email" in result.errors[0].reason


def test_it_keeps_a_customer_whose_phone_number_is_unusable(business):
    result = import_file(business, b"Name,Email,Phone\nAda,ada@example.com,not a number\n")

    customer = Customer.objects.get(business=business)
    assert (customer.email, customer.phone) == ("ada@example.com", "")
    assert (result.left_out, result.kept_with_problems) == (0, 1)
    assert "imported without it" in result.errors[0].reason


def test_it_leaves_out_only_a_row_that_nothing_identifies(business):
    result = import_file(business, b"Name,Email,Phone,Notes\n,,,just a note\n,,+442079460999,\n")

    assert list(Customer.objects.values_list("name", "phone")) == [
        ("+442079460999", "+442079460999")]
    assert [(e.row, e.column) for e in result.errors] == [(2, "Name")]
    assert "Nothing identifies this customer" in result.errors[0].reason


def test_it_counts_rows_left_out_not_problems(business):
    data = (b"Name,Email,Won,Value\n,,,x\n,,,y\nAda,ada@example.com,,\n")
    result = import_file(business, data, kind="sales")

    assert len(result.errors) > result.left_out == 3


def test_it_strips_a_spreadsheets_text_marker_from_phones_zip_codes_and_ids(business):
    data = (b"Customer ID,Name,Email,Phone,Zip,City\n"
            b"'8812,Lucia,lucia@example.com,'+34612345678,'28013,Madrid\n")
    result = import_file(business, data)

    customer = Customer.objects.get(business=business)
    assert result.errors == []
    assert (customer.external_id, customer.phone) == ("8812", "+34612345678")
    assert "Madrid 28013" in customer.postal_address and "'" not in customer.postal_address


def test_it_keeps_an_apostrophe_that_is_part_of_the_text(business):
    import_file(business, b"Name,Email\n'Tis Bakery,tis@example.com\n")

    assert Customer.objects.get(business=business).name == "'Tis Bakery"


def test_it_reads_xlsx(business):
    book = openpyxl.Workbook()
    book.active.append(["Name", "Email", "Signed up"])
    book.active.append(["Ada", "ada@example.com", dt.datetime(2024, 1, 2)])
    buffer = io.BytesIO()
    book.save(buffer)

    result = import_file(business, buffer.getvalue(), "list.xlsx")

    assert result.created == 1


def test_it_marks_old_sales_missed_instead_of_sending_them(business, playbooks):
    long_ago = (timezone.now() - dt.timedelta(days=90)).date().isoformat()
    data = f"Order ID,Name,Email,Date,Total\nA-1,Ada,ada@example.com,{long_ago},\"$1,200.50\"\n"

    result = import_file(business, data.encode(), kind="sales", playbook=playbooks[0])

    assert result.engagements == 1
    engagement = Engagement.objects.get(business=business, external_id="A-1")
    assert str(engagement.value) == "1200.50"
    rows = Touchpoint.objects.filter(engagement=engagement)
    assert rows.exists()
    assert not rows.filter(status=Status.PLANNED, due_at__lt=timezone.now()).exists()
    assert rows.filter(status=Status.MISSED).exists()


def test_it_does_not_duplicate_sales_on_reimport(business, playbooks):
    data = b"Name,Email,Date,Item\nAda,ada@example.com,2025-01-05,Boiler service\n"
    import_file(business, data, kind="sales", playbook=playbooks[0])
    result = import_file(business, data, kind="sales", playbook=playbooks[0])

    assert result.engagements == 0
    assert Engagement.objects.filter(business=business).count() == 1


def test_it_writes_one_customer_for_a_row_repeated_across_chunks(business, monkeypatch):
    from followthrough.integrations import imports

    monkeypatch.setattr(imports, "CHUNK", 2)
    rows = "".join(f"{n},Name {n},n{n}@example.com\n" for n in range(5))
    data = ("Customer ID,Name,Email\n" + rows + "9,Again,n0@example.com\n"
            "3,Three again,other@example.com\n").encode()

    result = import_file(business, data, "customers.csv")

    assert (result.created, result.updated) == (5, 2)
    first = Customer.objects.get(business=business, email="n0@example.com")
    assert first.name == "Again"
    assert Customer.objects.get(business=business, external_id="3").name == "Three again"
