from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from followthrough.api.models import ApiKey

from .conftest import JsonClient


def run(*args) -> str:
    out = StringIO()
    call_command("apikey", *args, stdout=out)
    return out.getvalue()


def test_it_prints_the_new_key_alone_on_the_last_line(client, business):
    output = run("create", "--business", business.slug, "--name", "Shop")

    key = output.strip().splitlines()[-1]
    assert key.startswith("ft_") and " " not in key
    assert JsonClient(client, key).get("/customers").status_code == 200
    assert ApiKey.objects.get(business=business).name == "Shop"


def test_it_lists_keys_without_revealing_them(business):
    key = run("create", "--business", business.slug).strip().splitlines()[-1]

    output = run("list", "--business", business.slug)

    assert key[:10] in output
    assert key not in output


def test_it_revokes_a_key_by_prefix(client, business):
    key = run("create", "--business", business.slug).strip().splitlines()[-1]

    run("revoke", "--business", business.slug, key[:10])

    assert JsonClient(client, key).get("/customers").status_code == 401


def test_it_refuses_an_unknown_business(db):
    with pytest.raises(CommandError, match="No business with the slug 'nope'"):
        run("create", "--business", "nope")


def test_it_refuses_to_revoke_an_unknown_prefix(business):
    with pytest.raises(CommandError, match="no active key"):
        run("revoke", "--business", business.slug, "ft_nothing")
