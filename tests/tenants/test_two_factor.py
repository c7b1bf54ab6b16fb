from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from followthrough.tenants.models import AuditEntry
from tests.conftest import PASSWORD


def _code(device):
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def _enrol(client, owner):
    client.get("/account/")
    device = TOTPDevice.objects.get(user=owner)
    client.post("/account/", {"code": _code(device)})
    device.refresh_from_db()
    return device


def test_it_shows_a_qr_code_as_inline_svg(owner_client):
    text = owner_client.get("/account/").text
    assert "<svg" in text and "style=" not in text.split("<svg", 1)[1].split("</svg>")[0]


def test_it_turns_on_with_a_good_code(owner_client, owner, business):
    device = _enrol(owner_client, owner)
    assert device.confirmed
    assert AuditEntry.objects.filter(business=business, action="account.2fa_on").exists()


def test_it_stays_off_with_a_wrong_code(owner_client, owner):
    owner_client.get("/account/")
    response = owner_client.post("/account/", {"code": "000000"})
    assert response.status_code == 400
    assert "Six-digit code: That code didn&#x27;t match" in response.text
    assert not TOTPDevice.objects.filter(user=owner, confirmed=True).exists()


def test_it_asks_for_a_code_after_the_password(owner_client, owner, client):
    device = _enrol(owner_client, owner)
    owner_client.logout()
    response = client.post("/login/", {"username": owner.username, "password": PASSWORD})
    assert response.url == "/login/code/"
    assert "_auth_user_id" not in client.session
    assert client.get("/customers/").status_code == 302

    device.refresh_from_db()
    device.last_t = -1
    device.save()
    response = client.post("/login/code/", {"code": _code(device)})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(owner.pk)


def test_it_refuses_a_wrong_code_at_sign_in(owner_client, owner, client):
    _enrol(owner_client, owner)
    owner_client.logout()
    client.post("/login/", {"username": owner.username, "password": PASSWORD})
    response = client.post("/login/code/", {"code": "123456"})
    assert "didn&#x27;t match" in response.text
    assert "_auth_user_id" not in client.session


def test_it_starts_again_after_too_many_wrong_codes(owner_client, owner, client):
    _enrol(owner_client, owner)
    owner_client.logout()
    client.post("/login/", {"username": owner.username, "password": PASSWORD})
    for _ in range(5):
        response = client.post("/login/code/", {"code": "123456"})
    assert response.url == "/login/"
    assert client.get("/login/code/").url == "/login/"


def test_it_signs_in_without_a_code_when_off(client, owner):
    response = client.post("/login/", {"username": owner.username, "password": PASSWORD})
    assert response.status_code == 302 and response.url != "/login/code/"


def test_it_turns_off_with_a_current_code(owner_client, owner):
    device = _enrol(owner_client, owner)
    device.last_t = -1
    device.save()
    owner_client.post("/account/two-step/off/", {"code": _code(device)})
    assert not TOTPDevice.objects.filter(user=owner).exists()
