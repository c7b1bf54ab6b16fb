"""A step template naming a field that does not exist ({{ firstname }}) cannot be saved:
the error lists the merge fields there are."""

from followthrough.channels.rendering import MERGE_FIELDS
from followthrough.playbooks.forms import StepForm, unknown_fields


def _form(body, subject="Hello"):
    return StepForm({"name": "Check-in", "anchor": "won", "offset_days": 0, "offset_hours": 0,
                     "local_time": "10:00", "channel": "email", "stage": 1,
                     "element": "check_in", "purpose": "relationship", "priority": 0,
                     "subject": subject, "body": body})


def test_it_refuses_an_unknown_merge_field_and_lists_the_real_ones(db):
    form = _form("Hi {{ firstname }},\nHow is it going?")
    assert not form.is_valid()
    error = form.errors["body"][0]
    assert "{{ firstname }} (line 1) is not a merge field" in error
    assert all(name in error for name in MERGE_FIELDS)


def test_it_refuses_an_unknown_field_in_the_subject(db):
    form = _form("Hi", subject="Thanks, {{ first_name }}")
    assert not form.is_valid()
    assert "{{ first_name }}" in form.errors["subject"][0]


def test_it_saves_a_template_with_merge_fields_filters_and_loops(db):
    form = _form("Hi {{ customer_first_name|default:'there' }},\n"
                 "{% for line in score_links.splitlines %}{{ forloop.counter }} {{ line }}\n"
                 "{% endfor %}{% with who=sender_name %}{{ who }}{% endwith %}")
    assert form.is_valid(), form.errors


def test_it_finds_names_inside_conditions_and_filter_arguments():
    assert unknown_fields("{% if vip %}{{ customer_name|default:nickname }}{% endif %}") == [
        "nickname", "vip"]
