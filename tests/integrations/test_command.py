import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from followthrough.customers.models import Customer


def test_it_imports_from_the_command_line(business, tmp_path):
    path = tmp_path / "clients.csv"
    path.write_bytes(b"J-ID,Display Name,E-mails\n7,Ada Lovelace,ada@example.com\n8,Bob,bad\n")
    out = io.StringIO()

    call_command("import", str(path), "--business", business.slug, stdout=out)

    text = out.getvalue()
    assert "Jobber clients export" in text
    assert "2 customers added" in text and "0 rows left out" in text
    assert "1 imported without a value" in text
    assert Customer.objects.get(business=business, name="Bob").email == ""


def test_it_names_an_unknown_business(db, tmp_path):
    path = tmp_path / "c.csv"
    path.write_bytes(b"Name\nAda\n")
    with pytest.raises(CommandError, match="No business"):
        call_command("import", str(path), "--business", "nope")
