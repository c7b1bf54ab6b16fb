"""A saved step whose template breaks a limit (written before the limits, or through the
API) still leaves Today and the approve form working: the template is shown with why."""

from followthrough.channels import kinds
from followthrough.playbooks.models import Step
from followthrough.touchpoints.models import Status

NESTED = ("{% for a in customer_name %}{% for b in customer_name %}"
          "{% for c in customer_name %}{% for d in customer_name %}x"
          "{% endfor %}{% endfor %}{% endfor %}{% endfor %}")


def test_it_shows_today_with_a_runaway_script(owner_client, touch, call_step):
    Step.objects.filter(pk=call_step.pk).update(body=NESTED)
    touch()
    response = owner_client.get("/today/")
    assert response.status_code == 200
    assert "too many repetitions" in response.text


def test_it_shows_the_approve_form_with_a_runaway_draft(owner_client, touch, call_step):
    Step.objects.filter(pk=call_step.pk).update(body=NESTED)
    row = touch(channel=kinds.EMAIL, status=Status.DRAFT)
    response = owner_client.get(f"/touches/{row.public_id}/approve/")
    assert response.status_code == 200
    assert "too many repetitions" in response.text
