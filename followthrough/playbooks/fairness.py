"""Fair reviews: the review link is never offered conditionally or for a reward, on any step.

Asking only happy customers for reviews ("review gating") is against Google's review policy,
and the US FTC rule on consumer reviews (16 CFR 465) bans suppressing or buying reviews.
Followthrough refuses a step that does either, says why, and quotes the words it objects to.

A step is checked when it asks for something a reward could buy: a review, testimonial or
referral step, or any step that carries `{{ review_link }}` or asks for a review in words.
Thank-yous and offers that ask for nothing (a loyalty discount, "feel free to call") are
left alone.

The wording tables are per language. The built-in library ships English only; German,
French and Spanish words are here because owners write their own steps, and a few words
cost nothing. Each row is (pattern, why it is there). Patterns are case-insensitive
regular expressions; keep them anchored on word boundaries so "offer" or "freedom" in an
honest ask doesn't trip them (tests/playbooks/test_fairness_*.py run every built-in step).
"""

import re

from followthrough import vocabulary as v

ASKING_ELEMENTS = frozenset({v.REVIEW, v.TESTIMONIAL, v.REFERRAL})

# Merge fields a condition could use to sort happy customers from unhappy ones. A merge
# field such as score_links or feedback_link does not match: "_" is part of the word.
SENTIMENT_NAMES = (r"nps|scores?|csat|ratings?|stars?|sentiment|happy|unhappy|satisf\w*|"
                   r"promoters?|detractors?|passives?|mood|feedback")

# ---- Money, gifts and chances to win: a reward for the review ----------------------------
INCENTIVES: dict[str, list[tuple[str, str]]] = {
    "any": [
        (r"[$€£¥₹]\s?\d+(?:[.,]\d+)?|\b\d+(?:[.,]\d+)?\s?[$€£¥₹]", "an amount of money"),
        (r"\b\d+(?:[.,]\d+)?\s?(?:usd|eur|gbp|cad|aud|chf)\b", "an amount of money"),
        # "100% satisfied" is not a reward; "10% off" and "save 10%" are.
        (r"\b\d+\s?(?:%|per ?cent|prozent|pour ?cent|por ?ciento)\s+(?:\w+\s+)?(?:off|discount|"
         r"rabatt|nachlass|de\s+(?:r[ée]duction|remise|rabais|descuento))\b", "a percentage off"),
        (r"\b(?:save|get|take|enjoy|receive|sparen|obtenez|ahorra|ahorre)\s+(?:an?\s+)?"
         r"(?:extra\s+)?\d+\s?(?:%|per ?cent|prozent|pour ?cent|por ?ciento)",
         "a percentage off"),
    ],
    "en": [
        (r"\b(?:dollars?|bucks|euros?|quid|cents?)\b|\b\d+\s?pounds?\b", "money"),
        # "free" but not "feel free", "free to", "toll-free", "hassle-free", "free time".
        (r"(?<![-\w])(?<!feel )(?<!toll )free\b(?!-)(?!\s+(?:to|time|of\s+(?:mess|stress)))",
         "something for free"),
        (r"\bgifts?\b|\bgift ?cards?\b|\bpresent for you\b|\bcomplimentary\b|"
         r"\b(?:is|are|'s|be)\s+on\s+(?:us|the house)\b", "a gift"),
        (r"\bprizes?\b|\braffles?\b|\bgive-?aways?\b|\bsweepstakes?\b|\blotter(?:y|ies)\b|"
         r"\b(?:a|the|our|prize|lucky|monthly|weekly|free)\s+draw\b|\bchance to win\b|"
         r"\bwin\s+(?:a|an|one|our)\b|\bentered into\b", "a prize or a draw"),
        (r"\bdiscount(?:s|ed)?\b|\bvouchers?\b|\bcoupons?\b|\bpromo(?:tion(?:al)?)? codes?\b|"
         r"\brebates?\b|\bcash ?back\b|\bmoney off\b|\bhalf[- ]price\b|\boff (?:your|the|our|"
         r"any) next\b|\brewards?\b|\bbonus\b|\bloyalty points\b|"
         r"\b(?:account|store|shop|service)\s+credit\b|\bcredit(?:ed)?\s+(?:to\s+)?(?:your|"
         r"you|towards?)\b|\bcredit\s+(?:of|worth)\b|"
         r"\bin (?:exchange|return) for\b|\bbuy one,? get one\b|\b2 for 1\b",
         "a discount, voucher, credit or reward"),
    ],
    "de": [
        (r"\bgratis\b|\bkostenlos\w*\b|\bumsonst\b|\bgeschenk\w*\b|\bgutschein\w*\b|"
         r"\brabatt\w*\b|\bpreisnachlass\b|\bverlosung\w*\b|\bgewinnspiel\w*\b|"
         r"\bgewinnen\b|\bpr[äa]mie\w*\b|\bbelohnung\w*\b", "a German word for a reward"),
    ],
    "fr": [
        (r"\bgratuit\w*\b|\boffert\w*\b|\bcadeaux?\b|\bbons? d'achat\b|\br[ée]duction\w*\b|"
         r"\bremises?\b|\brabais\b|\btirage au sort\b|\bconcours\b|\bgagner\b|"
         r"\br[ée]compense\w*\b", "a French word for a reward"),
    ],
    "es": [
        (r"\bgratis\b|\bgratuit[oa]s?\b|\bregalos?\b|\bcup[óo]n\w*\b|"
         r"\bdescuentos?\b|\bsorteos?\b|\brifas?\b|\bpremios?\b|\bganar\b|"
         r"\brecompensas?\b", "a Spanish word for a reward"),
    ],
}

# ---- Wording that offers the review to some customers only -------------------------------
_YOU = r"(?:you|you've|you have|you were|you are|you're|u)"
_LIKED = (r"(?:loved|liked|enjoyed|appreciated|(?:love|like|enjoy|appreciate)[ds]?\s+"
          r"(?:it|us|our|the|what|working|your))")
CONDITIONS: dict[str, list[tuple[str, str]]] = {
    "en": [
        (rf"\bif\s+{_YOU}\s+(?:\w+\s+)?{_LIKED}", "only if they liked it"),
        (rf"\bif\s+{_YOU}\s+(?:\w+\s+)?(?:happy|pleased|satisfied|delighted|thrilled|"
         r"impressed)\b", "only if they are happy"),
        (rf"\bif\s+{_YOU}\s+(?:\w+\s+)?had\s+(?:an?|the)\s+(?:[\w-]+\s+)?"
         r"(?:great|good|positive|wonderful|excellent|lovely|fantastic|amazing|pleasant|"
         r"(?:5|five)[- ]star)\b", "only if it went well"),
        (r"\bif\s+(?:everything|all|it|the job|the work)\s+went\s+(?:well|smoothly|great)\b|"
         r"\bif\s+we\s+(?:did\s+(?:a\s+)?(?:good|great)|got it right|exceeded)\b",
         "only if it went well"),
        (r"\b(?:happ(?:y|ier|iest)|satisfied|delighted|pleased)\s+(?:customers?|clients?)\b",
         "happy customers only"),
        (r"\b(?:not\s+)?(?:happy|satisfied|pleased|unhappy|disappointed)\s*\?",
         "sorting happy from unhappy customers"),
        (rf"\bonly if\b|\bunless\s+{_YOU}\s+(?:\w+\s+)?(?:unhappy|disappointed|not happy|"
         r"dissatisfied)\b", "a condition"),
    ],
    "de": [
        (r"\bwenn\s+sie\s+(?:\w+\s+)?zufrieden\b|\bzufriedene\s+kunden\b|\bnur\s+wenn\b",
         "a German condition on being happy"),
    ],
    "fr": [
        (r"\bsi\s+vous\s+(?:avez\s+)?(?:[ée]t(?:es|iez)\s+)?(?:satisfaits?|content(?:e|s)?|"
         r"aim[ée])\b|\bclients?\s+satisfaits\b|\bseulement\s+si\b",
         "a French condition on being happy"),
    ],
    "es": [
        (r"\bsi\s+(?:usted\s+)?(?:qued[óo]|est[áa]|te\s+gust[óo]|le\s+gust[óo])\s*"
         r"(?:satisfech[oa]|content[oa])?\b|\bclientes\s+satisfechos\b|\bs[óo]lo\s+si\b",
         "a Spanish condition on being happy"),
    ],
}

# ---- Asking for a good review rather than an honest one ----------------------------------
POSITIVE_WORDING: list[tuple[str, str]] = [
    (r"\b(?:5|five)[- ]stars?\b", "a five-star review"),
    (r"\b(?:positive|good|great|glowing|nice)\s+(?:reviews?|ratings?)\b",
     "a good review"),
]

# ---- A step that asks for a review in words, without the merge field ---------------------
_ASKS_IN_WORDS = re.compile(
    r"\b(?:leave|write|post|give|share|add|drop)\s+(?:\w+\s+){0,3}?(?:reviews?|ratings?|"
    r"testimonials?)\b|\breview\s+us\b|\brate\s+us\b|\b(?:google|yelp|trustpilot|"
    r"tripadvisor|facebook|houzz|checkatrade|feefo)\s+reviews?\b|\bbewertung\w*\b|"
    r"\bbewerten\b|\brezension\w*\b|\blaiss\w*(?:-nous)?\s+(?:un\s+)?avis\b|\bavis\s+google\b|"
    r"\brese[ñn]as?\b|\bval[óo]ranos\b",
    re.IGNORECASE,
)

# ---- Template code: conditions on sentiment, and a review link inside any condition -------
_TAG = re.compile(r"{%-?\s*(\w+)(.*?)-?%}|{{(.*?)}}", re.DOTALL)
_SENTIMENT_NAME = re.compile(rf"\b(?:{SENTIMENT_NAMES})\b", re.IGNORECASE)
_INLINE_CONDITION = re.compile(r"\bif\b|\band\b|\bor\b|\byesno\b|\bdefault_if_none\b",
                               re.IGNORECASE)
_OPENS = frozenset({"if", "ifchanged"})
# "{% if review_link %}" only checks that there is a link to show: it picks no one.
_LINK_PRESENT = re.compile(r"^\s*review_link\s*$")


def _compile(rows: list[tuple[str, str]]) -> list[tuple[re.Pattern, str]]:
    return [(re.compile(pattern, re.IGNORECASE), why) for pattern, why in rows]


_INCENTIVES = _compile([row for rows in INCENTIVES.values() for row in rows])
_CONDITIONS = _compile([row for rows in CONDITIONS.values() for row in rows])
_POSITIVE = _compile(POSITIVE_WORDING)

WHY = ("Every customer whose job is done gets the same review ask, whatever they thought of "
       "us: asking only happy customers breaks Google's review policy and the US FTC rule "
       "16 CFR 465.")
CONDITION = "This step can't offer the review link only to some customers. " + WHY
INCENTIVE = ("This step can't offer a reward for a review, testimonial or referral. Rewarding "
             "reviews is banned by the US FTC rule 16 CFR 465 and by Google's review policy.")
POSITIVE = "Ask for an honest review, not a good one. " + WHY


def is_asking(element: str, subject: str, body: str) -> bool:
    text = subject + "\n" + body
    return (element in ASKING_ELEMENTS or "review_link" in text
            or bool(_ASKS_IN_WORDS.search(text)))


def check_step(element: str, subject: str, body: str) -> dict[str, str]:
    """Field → why it is refused, quoting the words; empty when the step is fair.

    Applies to every step: a step that asks for nothing is left alone."""
    if not is_asking(element, subject or "", body or ""):
        return {}
    found = {}
    for field, text in (("subject", subject or ""), ("body", body or "")):
        reasons = _reasons(text)
        if reasons:
            found[field] = " ".join(reasons)
    return found


# The name the step model has always called.
problems = check_step


def _reasons(text: str) -> list[str]:
    conditional = _template_conditions(text) + _matches(_CONDITIONS, _prose(text))
    incentive = _matches(_INCENTIVES, _prose(text))
    positive = _matches(_POSITIVE, _prose(text))
    reasons = []
    for words, message in ((conditional, CONDITION), (incentive, INCENTIVE),
                           (positive, POSITIVE)):
        if words:
            reasons.append(f"{message} You wrote: {_quote(words)}.")
    return reasons


def _prose(text: str) -> str:
    """The owner's words without template code, so "{% if %}" is not read as "if"."""
    return _TAG.sub(" ", text)


def _matches(table, text: str) -> list[str]:
    return [match.group(0).strip() for pattern, _ in table for match in pattern.finditer(text)]


def _template_conditions(text: str) -> list[str]:
    """Template code that picks customers: a condition on their score or mood anywhere, and
    the review link inside any {% if %} (or an inline if/yesno) at all."""
    found, picking = [], []  # picking: one entry per open {% if %}, True if it picks people
    for match in _TAG.finditer(text):
        tag, args, expression, code = match.group(1), match.group(2), match.group(3), match[0]
        if tag is None:  # {{ … }}
            if _SENTIMENT_NAME.search(expression) or ("review_link" in expression and (
                    any(picking) or _INLINE_CONDITION.search(expression))):
                found.append(code)
            continue
        tag = tag.lower()
        if _SENTIMENT_NAME.search(args):
            found.append(code)
        if tag in _OPENS:
            picking.append(not _LINK_PRESENT.match(args))
        elif tag == "elif" and picking:
            picking[-1] = True
        elif tag.startswith("end") and tag[3:] in _OPENS and picking:
            picking.pop()
        elif "review_link" in args:
            found.append(code)  # {% firstof %}, {% cycle %}, {% with %}: the link chosen by code
    return found


def _quote(words: list[str]) -> str:
    unique = list(dict.fromkeys(" ".join(w.split()) for w in words))
    shown = ", ".join(f"“{w[:60]}”" for w in unique[:4])
    return shown + (" and more" if len(unique) > 4 else "")
