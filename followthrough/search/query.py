"""What a person typed, made into words the text index can answer, on either database.

Nothing typed ever reaches the query as syntax. The text is cut into runs of letters and
digits, and each run is quoted, so FTS5's operators (`"`, `*`, `NEAR`, `-`, `:`, `^`,
parentheses) and tsquery's (`&`, `|`, `!`, `<->`, `:*`) are only ever words or nothing."""

import re
from dataclasses import dataclass

MAX_CHARS = 200
MAX_WORDS = 8
_WORD = re.compile(r"[^\W_]+")
# Digits with the punctuation people write phone numbers with, and nothing else.
_PHONE_LIKE = re.compile(r"^\+?[\d\s().\-/]+$")
MIN_PHONE_DIGITS = 3


@dataclass(frozen=True)
class Terms:
    """Prefixes every match must have, as one list of words. Empty: nothing to search."""

    words: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.words)

    def fts5(self) -> str:
        # Quoted, with the prefix star outside the quotes: '"mar"* "lop"*' (implicit AND).
        return " ".join(f'"{word}"*' for word in self.words)

    def tsquery(self) -> str:
        # Quoted lexemes with a prefix mark: "'mar':* & 'lop':*".
        return " & ".join(f"'{word}':*" for word in self.words)


def terms(text: str) -> Terms:
    """The words of `text`. A phone number, however it is written, becomes one run of
    digits without its leading zeros, which matches the tail of the stored number: "020 7946
    0958" and "(0)20-7946" both find +44 20 7946 0958."""
    text = (text or "")[:MAX_CHARS].strip().casefold()
    if _PHONE_LIKE.match(text):
        digits = re.sub(r"\D", "", text).lstrip("0")
        if len(digits) >= MIN_PHONE_DIGITS:
            return Terms((digits,))
    words = _WORD.findall(text)
    return Terms(tuple(dict.fromkeys(words))[:MAX_WORDS])
