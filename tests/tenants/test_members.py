import re
import time

from django.contrib.auth import get_user_model
from django.core import mail

from followthrough.channels.mailqueue import deliver_due
from followthrough.tenants.members import invitation_token
from followthrough.tenants.models import AuditEntry, Invitation, Membership
from tests.conftest import PASSWORD


def _invite(client, email="alex@example.com", role="staff"):
    return client.post("/settings/members/", {"email": email, "role": role})


def _link():
    deliver_due()  # invitations leave through the mail queue
    return re.search(r"https?://\S+/invite/\S+/", mail.outbox[-1].body)[0]


def test_it_lists_the_team_for_owners(owner_client, staff):
    text = owner_client.get("/settings/members/").text
    assert "staff@riverside.example" in text and "owner@riverside.example" in text


def test_it_hides_the_team_page_from_staff(client, staff):
    client.force_login(staff)
    assert client.get("/settings/members/").status_code == 404


def test_it_emails_an_invitation_link(owner_client, business):
    response = _invite(owner_client)
    assert response.status_code == 302
    deliver_due()
    assert mail.outbox[-1].to == ["alex@example.com"]
    assert "Riverside Plumbing" in mail.outbox[-1].subject
    assert Invitation.objects.get(business=business).role == "staff"
    assert AuditEntry.objects.filter(business=business, action="member.invite").exists()


def test_it_refuses_to_invite_someone_already_on_the_team(owner_client, staff):
    response = _invite(owner_client, email="staff@riverside.example")
    assert response.status_code == 400
    assert "Email address: Someone with this email is already on your team." in response.text


def test_it_names_the_field_of_a_bad_email(owner_client):
    response = _invite(owner_client, email="not an email")
    assert response.status_code == 400
    assert "Email address: Enter a valid email address." in response.text


def test_it_creates_the_account_when_a_new_person_accepts(owner_client, business, client):
    _invite(owner_client)
    link = _link().split("testserver", 1)[-1]
    owner_client.logout()
    response = client.post(link, {"name": "Alex Kim", "password1": PASSWORD,
                                  "password2": PASSWORD})
    assert response.status_code == 302
    user = get_user_model().objects.get(email="alex@example.com")
    assert Membership.objects.get(business=business, user=user).role == "staff"
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.post(link, {"name": "Alex", "password1": PASSWORD,
                              "password2": PASSWORD}).status_code == 404


def test_it_adds_a_membership_to_an_existing_account(owner_client, business, outsider,
                                                     client):
    _invite(owner_client, email="owner@bright.example", role="owner")
    link = _link().split("testserver", 1)[-1]
    client.force_login(outsider)
    assert client.post(link).status_code == 302
    assert Membership.objects.get(business=business, user=outsider).role == "owner"


def test_it_asks_an_existing_account_to_sign_in_first(owner_client, outsider, client):
    _invite(owner_client, email="owner@bright.example")
    link = _link().split("testserver", 1)[-1]
    client.logout()
    response = client.get(link)
    assert "Sign in" in response.text
    assert not Membership.objects.filter(user=outsider, business__slug="riverside-plumbing")


def test_it_refuses_an_expired_invitation(business, owner, client, monkeypatch, settings):
    invitation = Invitation.objects.create(business=business, email="late@example.com")
    real_time = time.time
    monkeypatch.setattr(time, "time",
                        lambda: real_time() - settings.INVITATION_MAX_AGE_DAYS * 86400 - 60)
    token = invitation_token(invitation)
    monkeypatch.setattr(time, "time", real_time)
    assert client.get(f"/invite/{token}/").status_code == 404


def test_it_refuses_a_forged_invitation(client, db):
    assert client.get("/invite/forged-token/").status_code == 404
    assert client.post("/invite/forged-token/").status_code == 404


def test_it_refuses_a_withdrawn_invitation(owner_client, business):
    _invite(owner_client)
    invitation = Invitation.objects.get(business=business)
    owner_client.post(f"/settings/invitations/{invitation.public_id}/revoke/")
    assert owner_client.get(f"/invite/{invitation_token(invitation)}/").status_code == 404


def test_it_changes_a_role(owner_client, business, staff):
    membership = Membership.objects.get(user=staff)
    owner_client.post(f"/settings/members/{membership.public_id}/role/", {"role": "owner"})
    membership.refresh_from_db()
    assert membership.role == "owner"
    entry = AuditEntry.objects.get(action="member.role")
    assert entry.changes["role"] == ["staff", "owner"]
    assert entry.actor_label == "owner@riverside.example"


def test_it_never_demotes_the_last_owner(owner_client, owner):
    membership = Membership.objects.get(user=owner)
    response = owner_client.post(f"/settings/members/{membership.public_id}/role/",
                                 {"role": "staff"}, follow=True)
    membership.refresh_from_db()
    assert membership.role == "owner"
    assert "at least one owner" in response.text


def test_it_never_removes_the_last_owner(owner_client, owner):
    membership = Membership.objects.get(user=owner)
    response = owner_client.post(f"/settings/members/{membership.public_id}/remove/",
                                 follow=True)
    assert Membership.objects.filter(pk=membership.pk).exists()
    assert "last owner" in response.text


def test_it_removes_a_member(owner_client, staff):
    membership = Membership.objects.get(user=staff)
    owner_client.post(f"/settings/members/{membership.public_id}/remove/")
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert AuditEntry.objects.filter(action="member.remove").exists()


def test_it_lets_staff_work_customers_but_not_settings(client, staff):
    client.force_login(staff)
    assert client.get("/customers/").status_code == 200
    assert client.get("/settings/").status_code == 404
    assert client.get("/settings/audit/").status_code == 404
