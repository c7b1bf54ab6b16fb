"""'Send me a test' on a step: the step as the sample customer gets it, to my own address,
through the mail queue, marked as a test; and the preview shows the tracked links."""

import pytest

from followthrough.channels import mailqueue
from followthrough.channels.models import QueuedMail
from followthrough.playbooks.library import install_builtin_playbooks
from tests.smtp import running_sink


@pytest.fixture
def playbook(business):
    return install_builtin_playbooks(business)[0]


def step_named(playbook, name):
    return playbook.steps.get(name=name)


@pytest.fixture
def sink(settings):
    with running_sink(settings) as sink:
        yield sink


def send_test(client, step):
    return client.post(f"/playbooks/steps/{step.public_id}/test/", follow=True)


def test_it_queues_the_step_for_my_address_and_the_worker_sends_it(owner_client, owner,
                                                                    playbook, sink):
    step = step_named(playbook, "How did we do?")
    response = send_test(owner_client, step)
    assert f"Sent a test to {owner.email}" in response.text
    assert sink.messages == []  # nothing talks to the mail server inside the request
    assert mailqueue.deliver_due()["sent"] == 1
    [message] = sink.messages
    assert message["To"] == owner.email
    assert message["Subject"] == "[Test] Two minutes to tell us how we did?"
    assert message["X-Followthrough-Test"] == "yes"
    assert message["Message-ID"].endswith("@riverside.example>")


def test_it_sends_the_layout_with_score_buttons_and_the_footer(owner_client, playbook, sink):
    send_test(owner_client, step_named(playbook, "How did we do?"))
    mailqueue.deliver_due()
    text, html = [part.get_payload(decode=True).decode() for part in
                  sink.messages[0].get_payload()]
    assert "Hi Jamie," in text
    assert html.count('class="score-link"') == 11
    assert "http://testserver/s/sample-link?nps=10" in html
    assert "12 Mill Lane, Hudson, NY 12534" in html and ">Unsubscribe</a>" in html


def test_it_refuses_a_get(owner_client, playbook):
    step = step_named(playbook, "Thank you")
    assert owner_client.get(f"/playbooks/steps/{step.public_id}/test/").status_code == 405
    assert not QueuedMail.objects.exists()


def test_it_sends_no_test_of_a_call(owner_client, playbook):
    response = send_test(owner_client, step_named(playbook, "Thank-you call"))
    assert "Only email steps can be sent as a test." in response.text
    assert not QueuedMail.objects.exists()


def test_it_says_when_my_account_has_no_email_address(owner_client, owner, playbook):
    owner.email = ""
    owner.save()
    response = send_test(owner_client, step_named(playbook, "Thank you"))
    assert "Your account has no email address" in response.text
    assert not QueuedMail.objects.exists()


def test_it_stops_after_the_limit_of_tests_in_the_window(owner_client, playbook):
    step = step_named(playbook, "Thank you")
    for _ in range(mailqueue.TEST_LIMIT):
        send_test(owner_client, step)
    response = send_test(owner_client, step)
    assert f"{mailqueue.TEST_LIMIT} tests in 10 minutes" in response.text
    assert QueuedMail.objects.filter(kind=mailqueue.TEST_KIND).count() == mailqueue.TEST_LIMIT


def test_it_lets_staff_send_a_test_to_themselves(client, staff, playbook):
    client.force_login(staff)
    send_test(client, step_named(playbook, "Thank you"))
    assert QueuedMail.objects.get().to == staff.email


def test_it_offers_the_button_on_an_email_steps_preview_only(owner_client, playbook):
    email = step_named(playbook, "Thank you")
    call = step_named(playbook, "Thank-you call")
    assert "Send me a test" in owner_client.get(
        f"/playbooks/steps/{email.public_id}/preview/").text
    assert "Send me a test" not in owner_client.get(
        f"/playbooks/steps/{call.public_id}/preview/").text


def test_it_previews_the_tracked_review_link_not_the_website(owner_client, business,
                                                             playbook):
    business.website = "https://riverside.example/"
    business.save()
    step = step_named(playbook, "Review request")
    text = owner_client.get(f"/playbooks/steps/{step.public_id}/preview/").text
    assert "http://testserver/r/sample-link" in text
    assert "https://riverside.example/" not in text


def test_it_frames_the_email_as_the_customer_sees_it_in_the_preview(owner_client, playbook):
    step = step_named(playbook, "How did we do?")
    page = owner_client.get(f"/playbooks/steps/{step.public_id}/preview/").text
    assert f'src="/playbooks/steps/{step.public_id}/preview/email/"' in page
    response = owner_client.get(f"/playbooks/steps/{step.public_id}/preview/email/")
    assert response["Content-Security-Policy"].startswith("default-src 'none'")
    assert response.text.count('class="score-link"') == 11
