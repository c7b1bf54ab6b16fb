import re

import pytest

from followthrough.feedback.forms import SurveyForm
from followthrough.feedback.models import FeedbackSettings

INPUT = re.compile(r"<input ([^>]*)>")
ATTRIBUTE = re.compile(r'[\w-]+(?:="[^"]*")?')


def radio_inputs(html: str) -> list[set[str]]:
    return [set(ATTRIBUTE.findall(attrs)) for attrs in INPUT.findall(html)]


@pytest.mark.parametrize(("data", "initial"), [
    (None, None), (None, {"nps": 7, "quote_as": "initials"}),
    ({"nps": "12", "csat": "3", "quote_as": "initials"}, None)])
def test_it_writes_the_radio_inputs_radioselect_would(data, initial):
    form = SurveyForm(data, initial=initial, questions=FeedbackSettings())
    if data:
        form.is_valid()
    parts = form.parts()
    ours = radio_inputs(parts["nps_radios"] + parts["csat_radios"] + parts["quote_radios"])
    djangos = radio_inputs(str(form["nps"]) + str(form["csat"]) + str(form["quote_as"]))
    assert ours == djangos


def test_it_keeps_each_survey_forms_wording_to_itself():
    """The fields are copied shallowly (forms._SharedWidgets): one business's question
    must still never show on another's form, nor on the class."""
    ours = SurveyForm(questions=FeedbackSettings(q_nps="Ours <b>?"))
    theirs = SurveyForm(questions=FeedbackSettings(q_nps="Theirs?"))
    assert ours.fields["nps"].label == "Ours <b>?"
    assert theirs.fields["nps"].label == "Theirs?"
    assert SurveyForm.base_fields["nps"].label != "Ours <b>?"
    assert ours.fields["nps"] is not SurveyForm.base_fields["nps"]


@pytest.mark.parametrize("data", [None, {"went_well": "Tidy <b>work</b>"}])
def test_it_shows_the_text_a_textarea_would(data):
    form = SurveyForm(data, initial={"improve": "Earlier & kept"}, questions=FeedbackSettings())
    for name in ("went_well", "improve"):
        assert form.answer_text(name) == (form[name].value() or "")


def test_it_gives_the_page_each_fields_label_and_help():
    form = SurveyForm(questions=FeedbackSettings(q_nps="Would you <b>recommend</b> us?"))
    parts = form.parts()
    assert parts["nps_label"] == form["nps"].label == "Would you <b>recommend</b> us?"
    assert parts["quote_help"] == form["quote_as"].help_text
    assert parts["has_errors"] is False
