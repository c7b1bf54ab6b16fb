"""Reading a reply: does it read as a complaint? A small rule set, so that every verdict
can be explained in one line ("said “still leaking”"), on the customer's own words only:
what they quoted of our message is cut first.

The rules, in order:
1. A few phrases that say the same thing the other way round are taken out first
   ("no complaints", "not unhappy", "stopped leaking"), so they don't trigger rule 2.
2. Phrases of unhappiness: not happy / pleased / satisfied, disappointed, upset; the
   problem is still there or back again ("still leaking", "broken again"); money back
   (refund, chargeback); it doesn't work; strong words (terrible, awful, rip-off); nobody
   came; damage; overcharged; "never again".
3. A low score typed as a number: a message that is only a number from 0 to 6 (the
   survey's 0–10 scale, where 6 or less is a detractor), "4/10" or "4 out of 10" up to 6,
   "2/5" or "2 stars" up to 2.

docs/integrations.md has its measured precision and recall over tests/conversations'
labelled replies."""

import re
from dataclasses import dataclass

QUOTE_STARTS = re.compile(
    r"^\s*(On .{0,300}wrote:|-{2,}\s*Original Message\s*-{2,}|_{10,}|From:\s.+@.+)\s*$",
    re.IGNORECASE | re.MULTILINE)

NEGATIONS = re.compile(
    r"\b(no|zero|not any) complaints?\b|\bnothing to complain\b|\bcan'?t complain\b|"
    r"\bnot (unhappy|disappointed|upset|angry|terrible|bad)\b|"
    r"\b(stopped|no longer|not|isn'?t|is not) leaking\b|\bno (more )?leaks?\b|"
    r"\bno (problems?|issues?)\b|\bnever been (happier|better)\b|"
    r"\bno need (for|of) a refund\b|\bdon'?t (want|need) a refund\b",
    re.IGNORECASE)

COMPLAINTS = [
    (r"\bnot (very |at all |really |too |that |entirely |completely )?"
     r"(happy|pleased|satisfied|impressed|good enough)\b", "not happy"),
    (r"\b(unhappy|disappointed|disappointing|dissatisfied|upset|furious|angry|fuming)\b",
     "unhappy"),
    (r"\bstill (leak\w*|drip\w*|broken|blocked|clogged|not (working|fixed|draining)|"
     r"doesn'?t work|won'?t (start|drain|work)|(very |really )?slow|making (a|that|the) "
     r"noise|cold|no hot water|smells?)\b", "the problem is still there"),
    (r"\b(leak\w*|broken|blocked|clogged|flooding|dripping|slow|faulty) again\b",
     "the problem is back"),
    (r"\b(refund|money back|chargeback|compensation|reimburse\w*)\b", "asks for money back"),
    (r"\b(doesn'?t|does not|didn'?t|did not|won'?t|isn'?t|is not|not|stopped) "
     r"work(ing|ed)?\b(?! out)", "it doesn't work"),
    (r"\b(terrible|awful|horrible|appalling|dreadful|worst|useless|shoddy|sloppy|"
     r"unacceptable|unprofessional|rip[- ]?off|ripped off|poor (service|job|work|quality))\b",
     "strong words"),
    (r"\b(complain\w*)\b", "complains"),
    (r"\b(no[- ]show|never (showed|turned) up|didn'?t (show|turn) up|nobody came|"
     r"no ?one (came|showed))\b", "nobody came"),
    (r"\b(damaged|ruined|scratched|made (it|things|everything) worse)\b", "damage"),
    (r"\b(overcharged|charged (me )?twice|double[- ]charged)\b", "overcharged"),
    (r"\b(never again|won'?t (be )?(using|use|recommend\w*)|will not (use|recommend))\b",
     "won't come back"),
]
COMPLAINTS = [(re.compile(pattern, re.IGNORECASE), why) for pattern, why in COMPLAINTS]

ONLY_A_NUMBER = re.compile(r"^\W*(\d{1,2})\W*$")
SCORE_OF = re.compile(r"\b(\d{1,2})\s*(?:/|out of)\s*(10|5)\b", re.IGNORECASE)
STARS = re.compile(r"\b([0-5]|zero|one|two|three|four|five)\s*stars?\b", re.IGNORECASE)
WORD_NUMBERS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
NPS_ALARM, FIVE_ALARM = 6, 2


@dataclass(frozen=True)
class Reading:
    complaint: bool
    why: str = ""


def own_words(body: str) -> str:
    """The customer's words: the quoted message under their reply is cut."""
    match = QUOTE_STARTS.search(body)
    text = body[:match.start()] if match else body
    lines = [line for line in text.splitlines() if not line.lstrip().startswith(">")]
    return "\n".join(lines).replace("\u2019", "'").strip()


def read(body: str) -> Reading:
    text = own_words(body)
    score = low_score(text)
    if score:
        return Reading(True, score)
    text = NEGATIONS.sub(" ", text)
    for pattern, why in COMPLAINTS:
        found = pattern.search(text)
        if found:
            return Reading(True, f"{why}: “{found.group(0)}”")
    return Reading(False)


def low_score(text: str) -> str:
    only = ONLY_A_NUMBER.match(text)
    if only and int(only.group(1)) <= NPS_ALARM:
        return f"a low score: {only.group(1)}"
    for number, scale in SCORE_OF.findall(text):
        if int(number) <= int(scale) and int(number) <= (NPS_ALARM if scale == "10"
                                                         else FIVE_ALARM):
            return f"a low score: {number}/{scale}"
    for stars in STARS.findall(text):
        value = WORD_NUMBERS.get(stars.lower(), None)
        value = int(stars) if value is None else value
        if value <= FIVE_ALARM:
            return f"a low score: {stars} stars"
    return ""
