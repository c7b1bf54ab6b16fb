"""Mail from the customer pages leaves through the queue: a refusing mail server never
costs the customer their page, and the owner's alert still arrives once it recovers."""

from followthrough import vocabulary as v
from followthrough.channels import kinds, mailqueue
from followthrough.channels.models import QueuedMail
from followthrough.customers import consent
from followthrough.touchpoints import worker
from tests.feedback.conftest import make_touch
from tests.smtp import free_port


def test_it_thanks_an_unhappy_customer_while_the_server_answers_451(client, survey_touch,
                                                                    owner, sink):
    sink.answer("451 4.3.0 Try again later")
    response = client.post(f"/s/{survey_touch.link_token}",
                           {"nps": "2", "improve": "Left a mess"})
    assert response.status_code == 200
    assert "feedback/survey_thanks.html" in [t.name for t in response.templates]
    alert = QueuedMail.objects.get(kind="incident_alert")
    worker.run_once()  # the worker's pass tries it; the server still refuses
    alert.refresh_from_db()
    assert (alert.status, alert.attempts, sink.messages) == (QueuedMail.QUEUED, 1, [])
    assert "451" in alert.last_error
    mailqueue.deliver_due(alert.next_attempt_at)  # a later pass, the server is back
    [message] = sink.messages
    assert message["To"] == owner.email
    assert "is unhappy" in message["Subject"]


def test_it_thanks_the_customer_when_the_server_is_down(client, survey_touch, owner,
                                                        settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    response = client.post(f"/s/{survey_touch.link_token}", {"nps": "1"})
    assert response.status_code == 200
    assert QueuedMail.objects.filter(kind="incident_alert", status=QueuedMail.QUEUED).exists()


def test_it_queues_the_subscribe_confirmation(client, engagement, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    touch = make_touch(engagement, element=v.SUBSCRIBE_INVITE)
    assert client.post(f"/n/{touch.link_token}").status_code == 200
    row = QueuedMail.objects.get(kind="subscribe_confirmation")
    assert row.recipients == [engagement.customer.email]
    assert "/n/confirm/" in row.text_body


def test_it_sends_no_confirmation_to_a_suppressed_address(client, engagement):
    consent.suppress(engagement.customer, kinds.EMAIL)
    touch = make_touch(engagement, element=v.SUBSCRIBE_INVITE)
    assert client.post(f"/n/{touch.link_token}").status_code == 200
    assert not QueuedMail.objects.exists()


def test_it_keeps_the_suppression_when_an_old_confirmation_is_used(client, engagement):
    touch = make_touch(engagement, element=v.SUBSCRIBE_INVITE)
    client.post(f"/n/{touch.link_token}")
    link = QueuedMail.objects.get().text_body.split("http://testserver", 1)[1].split()[0]
    consent.suppress(engagement.customer, kinds.EMAIL)
    client.post(link)
    assert not consent.may_contact(engagement.customer, kinds.EMAIL, v.MARKETING)


def test_it_queues_one_confirmation_an_hour_however_often_the_button_is_pressed(
        client, engagement):
    touch = make_touch(engagement, element=v.SUBSCRIBE_INVITE)
    for _ in range(5):
        assert client.post(f"/n/{touch.link_token}").status_code == 200
    assert QueuedMail.objects.filter(kind="subscribe_confirmation").count() == 1
