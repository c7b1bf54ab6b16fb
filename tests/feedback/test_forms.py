import re

import pytest

from followthrough.feedback.forms import SurveyForm
from followthrough.feedback.models import FeedbackSettings

INPUT = re.compile(r"<input ([^>]*)>")
ATTRIBUTE = re.compile(r'[\w-]+(?:="[^"]*")?')


def radio_inputs(html: str) -> list[set[str]]:
    return [set(ATTRIBUTE.findall(attrs)) for attrs in INPUT.findall(html)]


@pytest.mark.parametrize("data", [None, {"nps": "12", "csat": "3", "quote_as": "initials"}])
def test_it_writes_the_radio_inputs_radioselect_would(data):
    form = SurveyForm(data, questions=FeedbackSettings())
    if data:
        form.is_valid()
    ours = radio_inputs(form.nps_radios + form.csat_radios + form.quote_radios)
    djangos = radio_inputs(str(form["nps"]) + str(form["csat"]) + str(form["quote_as"]))
    assert ours == djangos
