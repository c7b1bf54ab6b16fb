"""Fair reviews: a review ask never depends on how happy the customer is, and no reward is
ever offered for a review or a testimonial.

Asking only happy customers for reviews ("review gating") is against Google's review policy,
and the US FTC rule on consumer reviews (16 CFR 465) bans suppressing or buying reviews.
Followthrough refuses a setup that does either, and says why."""

import re

from followthrough.playbooks import vocabulary as v

ASKING_ELEMENTS = frozenset({v.REVIEW, v.TESTIMONIAL, v.REFERRAL})
_SENTIMENT_CONDITION = re.compile(
    r"{%-?\s*(?:if|elif)\b[^%]*\b(?:nps|score|csat|rating|stars?|sentiment|happy|unhappy|"
    r"satisf\w*|promoter|detractor|mood|feedback)\b", re.IGNORECASE,
)
_INCENTIVE = re.compile(
    r"\b(?:discount|voucher|coupon|gift ?card|reward|prize|free \w+|\d+ ?% off|cash ?back|"
    r"in exchange for|prize draw|entered into|credit towards?)\b", re.IGNORECASE,
)
_POSITIVE_ONLY = re.compile(r"\b(?:5|five)[- ]stars?\b|\b(?:positive|good|great) reviews?\b",
                            re.IGNORECASE)

WHY = ("Every customer whose job is done gets the same review ask, whatever they thought of "
       "us: asking only happy customers breaks Google's review policy and the US FTC rule "
       "16 CFR 465.")
CONDITION = "This step can't depend on the customer's score or mood. " + WHY
INCENTIVE = ("This step can't offer a reward for a review, testimonial or referral. Rewarding "
             "reviews is banned by the US FTC rule 16 CFR 465 and by Google's review policy.")
POSITIVE = "Ask for an honest review, not a good one. " + WHY


def is_asking(element: str, subject: str, body: str) -> bool:
    return element in ASKING_ELEMENTS or "review_link" in subject + body


def problems(element: str, subject: str, body: str) -> dict[str, str]:
    """Field → why it is refused; empty when the step is fair."""
    if not is_asking(element, subject, body):
        return {}
    found = {}
    for field, text in (("subject", subject), ("body", body)):
        if _SENTIMENT_CONDITION.search(text):
            found[field] = CONDITION
        elif _INCENTIVE.search(text):
            found[field] = INCENTIVE
        elif element == v.REVIEW and _POSITIVE_ONLY.search(text):
            found[field] = POSITIVE
    return found
