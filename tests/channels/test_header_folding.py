"""The worker's short cut for headers writes exactly what the standard library's compat32
folding (Django's) writes."""

import random
import string
from email.policy import compat32

import pytest

from followthrough.channels.transports import FAST_COMPAT32

AWKWARD = [
    "", " ", "a", " leading", "trailing ", "two  spaces", "tab\there", "line\nbreak",
    "cr\rreturn", "form\x0cfeed", "vertical\x0btab", "sep\x1crator", "Zoë", "line\u2028sep",
    "nul\x00", "del\x7f", "x" * 64, "x" * 65, "x" * 66, "x" * 200, "word " * 20,
    "<54b9072f96ddde3d79a24ae3e995ae67@riverside.example>",
    '"Riverside Plumbing" <riverside.riverside.example>',
    "=?utf-8?q?Thanks=2C_Zo=C3=AB!?=", "a: b\nc: d",
]


def _fold(policy, method: str, name: str, value: str):
    try:
        return getattr(policy, method)(name, value)
    except Exception as exc:  # the same failure counts as the same output
        return type(exc)


@pytest.mark.parametrize("linesep", ["\n", "\r\n"])
@pytest.mark.parametrize("name", ["Subject", "Message-ID", "X-Followthrough-Business"])
def test_it_folds_awkward_values_as_compat32_does(linesep, name):
    standard, fast = compat32.clone(linesep=linesep), FAST_COMPAT32.clone(linesep=linesep)
    for value in AWKWARD:
        for method in ("fold", "fold_binary"):
            assert _fold(fast, method, name, value) == _fold(standard, method, name, value), value


def test_it_folds_random_values_as_compat32_does():
    rng = random.Random(13)
    alphabet = string.ascii_letters + " \t\n<>@,;:\"'=?_-./é\x0b"
    standard = compat32.clone(linesep="\r\n")
    fast = FAST_COMPAT32.clone(linesep="\r\n")
    for _ in range(3000):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 90)))
        assert _fold(fast, "fold_binary", "To", value) == _fold(standard, "fold_binary", "To",
                                                                value), value
