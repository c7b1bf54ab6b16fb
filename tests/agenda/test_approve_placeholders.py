"""A draft that still holds a [placeholder] cannot be approved: the error quotes the line
to fill in. Filled in, it goes."""

import pytest
from django.core.exceptions import ValidationError

from followthrough.agenda import services
from followthrough.channels import kinds
from followthrough.touchpoints.models import Status

UNFINISHED = "Hi {{ customer_first_name }},\n\nThis week: [one or two lines]\n\nSam"


@pytest.fixture
def draft(touch, call_step):
    call_step.subject = "Progress update"
    call_step.body = UNFINISHED
    call_step.save()
    return touch(channel=kinds.EMAIL, status=Status.DRAFT)


def test_it_refuses_to_approve_a_draft_with_a_placeholder_as_it_is(draft):
    with pytest.raises(ValidationError) as caught:
        services.approve(draft)
    message = caught.value.message_dict["body"][0]
    assert "line 3" in message and "“This week: [one or two lines]”" in message
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_it_refuses_an_edit_that_still_holds_a_placeholder(draft):
    with pytest.raises(ValidationError) as caught:
        services.approve(draft, "Progress update", "Hi Jamie,\nNext: [what's next]")
    assert "line 2" in caught.value.message_dict["body"][0]


def test_it_names_a_placeholder_in_the_subject(draft):
    with pytest.raises(ValidationError) as caught:
        services.approve(draft, "Update on [job]", "All done.")
    assert "the subject" in caught.value.message_dict["subject"][0]


def test_it_approves_once_the_line_is_filled_in(draft):
    services.approve(draft, "Progress update", "Hi Jamie,\nThis week: the pipes are in.")
    draft.refresh_from_db()
    assert draft.status == Status.PLANNED


def test_it_leaves_a_link_in_brackets_alone():
    assert services.placeholder_problem("Hi", "See [] and (https://example.com)") == {}


def test_it_shows_the_line_to_fill_in_on_the_approve_page(owner_client, draft):
    text = owner_client.get(f"/touches/{draft.public_id}/approve/").text
    assert "Fill in line 3 before approving" in text


def test_it_keeps_the_draft_and_says_which_line_when_the_form_is_saved(owner_client, draft):
    response = owner_client.post(f"/touches/{draft.public_id}/approve/",
                                 {"subject": "Progress update", "body": UNFINISHED})
    assert "Fill in line 3 before approving" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_it_sends_the_quick_approve_back_to_the_draft_with_the_reason(owner_client, draft):
    response = owner_client.post(f"/touches/{draft.public_id}/approve/",
                                 {"action": "approve"}, follow=True)
    assert response.redirect_chain[-1][0] == f"/touches/{draft.public_id}/approve/"
    assert "Fill in line 3" in response.content.decode()
