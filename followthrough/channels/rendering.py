"""Rendering message templates written by a business.

Templates use Django's syntax in an engine of their own: no loaders, no template libraries,
no context processors, and only the built-in tags and filters that cannot reach outside the
context (the `debug`, `url`, `csrf_token`, `load` and loader tags are left out). The context
is a plain dict of strings from `touchpoints.merge`, so a template cannot reach models,
settings or the ORM. Templates also run within the limits in `channels.sandbox` (size,
loops, value and message length, safe attributes only), counted per render, so one cannot
pin the worker or a web process; `check_template` test-renders a template when it is saved.

Message bodies are plain text, so the text is rendered without autoescaping (an apostrophe
in O'Brien stays an apostrophe). What comes out is therefore plain text, never HTML: each
output context escapes it for itself, with one function each:
- pages: `render_text`, then Django's autoescaping, because the result is a plain `str`
  and never a SafeString (Django marks a template's output safe, which is wrong here: the
  text holds customer names and notes);
- HTML email: `render_html` (escaped paragraphs and links, then sanitised);
- the text part and SMS: `render_text` and `render_subject` (one line);
- PDFs and the calendar feed: agenda.printables and agenda.feed escape for themselves.
"""

import re
from functools import lru_cache

import nh3
from django.template import (
    Context,
    Engine,
    Library,
    TemplateSyntaxError,
    defaultfilters,
    defaulttags,
)
from django.utils.html import escape, linebreaks

from followthrough.channels import sandbox
from followthrough.channels.sandbox import TemplateProblem

MERGE_FIELDS: dict[str, str] = {
    "customer_first_name": "The customer's first name",
    "customer_name": "The customer's full name",
    "business_name": "Your business's name",
    "sender_name": "The name your messages are signed with",
    "business_phone": "Your business's phone number",
    "engagement_description": "What the job, order or project was",
    "engagement_kind": "Job, order, project…",
    "review_link": "Where to leave a review (a tracked link to your review pages)",
    "feedback_link": "The customer's feedback survey",
    "social_link": "A page with your social profiles",
    "subscribe_link": "Where to confirm they want your updates (double opt-in)",
    "site_url": "The address of this Followthrough install",
    "unsubscribe_link": "One-click unsubscribe for this customer",
    "preferences_link": "Where the customer chooses what to stop (same page as unsubscribe)",
    "score_links": "One-tap 0–10 answers, one link per line, each opening the survey",
    "referral_link": "The customer's own referral link for friends",
}

SAMPLE_CONTEXT: dict[str, str] = {
    "customer_first_name": "Jamie",
    "customer_name": "Jamie Rivera",
    "business_name": "Riverside Plumbing",
    "sender_name": "Sam at Riverside",
    "business_phone": "+1 518 555 0142",
    "engagement_description": "Replaced the kitchen water heater",
    "engagement_kind": "Job",
    "review_link": "https://followthrough.example/r/sample",
    "feedback_link": "https://followthrough.example/s/sample",
    "social_link": "https://followthrough.example/social/sample",
    "subscribe_link": "https://followthrough.example/n/sample",
    "site_url": "https://followthrough.example",
    "unsubscribe_link": "https://followthrough.example/u/sample",
    "preferences_link": "https://followthrough.example/u/sample",
    "score_links": "\n".join(
        f"{n} https://followthrough.example/s/sample?nps={n}" for n in range(10, -1, -1)
    ),
    "referral_link": "https://followthrough.example/ref/SAMPLE23",
}

# A customer as long as the models allow, for the save-time check: a template that only
# blows its budget for a long name is refused when saved, not at 3 a.m. in the worker.
_LONG = "Ab & <Cd> 'Ef' " * 100
WORST_CASE_CONTEXT: dict[str, str] = {
    key: _LONG[:length] for key, length in {
        "customer_first_name": 150, "customer_name": 150, "business_name": 120,
        "sender_name": 120, "business_phone": 40, "engagement_description": 300,
        "engagement_kind": 60,
    }.items()
} | {
    key: value + "/" + "x" * 200 for key, value in SAMPLE_CONTEXT.items()
    if key.endswith("_link") or key == "site_url"
} | {
    "score_links": "\n".join(
        f"{n} https://followthrough.example/s/{'x' * 200}?nps={n}" for n in range(10, -1, -1)
    ),
}

# Tags that could show the process's state or the project's URLs, or load code, and tags
# that make work out of nothing (lorem) or walk objects (regroup, querystring).
_HIDDEN_TAGS = frozenset({"debug", "url", "csrf_token", "load", "lorem", "regroup",
                          "querystring"})

# Engine(builtins=[...]) wants module paths, each with a `register` Library: this module is one.
register = Library()
register.filters.update({name: sandbox.metered_filter(name, function)
                         for name, function in defaultfilters.register.filters.items()})
register.tags.update(
    {name: tag for name, tag in defaulttags.register.tags.items() if name not in _HIDDEN_TAGS}
)
register.tags["for"] = sandbox.counted_for


class _IsolatedEngine(Engine):
    default_builtins = []


_ENGINE = _IsolatedEngine(
    dirs=[], app_dirs=False, loaders=[], context_processors=[], debug=True,
    libraries={}, builtins=[__name__], autoescape=False, string_if_invalid="",
)


def _line(exc: Exception) -> int | None:
    return (getattr(exc, "template_debug", None) or {}).get("line")


@lru_cache(maxsize=1024)
def _compile(source: str):
    if len(source) > sandbox.MAX_SOURCE_CHARS:
        raise TemplateProblem(f"the template is {len(source):,} characters long; the most "
                              f"is {sandbox.MAX_SOURCE_CHARS:,}")
    try:
        template = _ENGINE.from_string(source)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(str(exc), _line(exc)) from None
    except RecursionError:
        raise TemplateProblem("the tags are nested too deeply") from None
    sandbox.limit(template.nodelist)
    return template


def _render(source: str, context: dict[str, str]) -> str:
    """Render within a fresh budget. Any failure while rendering (a broken limit, or a
    tag that fails, such as {% for a, b in name %}) is a TemplateProblem with its line."""
    template = _compile(source)
    try:
        with sandbox.budget():
            return template.render(Context(dict(context), autoescape=False))
    except TemplateProblem as problem:
        problem.line = problem.line or _line(problem)
        raise
    except Exception as exc:
        raise TemplateProblem(str(exc).strip() or type(exc).__name__, _line(exc)) from None


def check_template(source: str) -> None:
    """Raise TemplateProblem (with the 1-based line number) if `source` does not compile,
    or breaks a limit for the sample customer or for one with the longest values."""
    _compile(source)
    _render(source, SAMPLE_CONTEXT)
    _render(source, WORST_CASE_CONTEXT)


def plain(text: str) -> str:
    """`text` as a plain str: a SafeString (what Django's templates return) would reach a
    page unescaped."""
    return str.__str__(text)


def render_text(source: str, context: dict[str, str]) -> str:
    """Render a plain-text template; raises TemplateProblem if it is broken.

    The result is plain text made from customer data: a page must escape it, so it is
    returned as a plain str."""
    return plain(_render(source, context))


def render_subject(source: str, context: dict[str, str]) -> str:
    """One line of plain text, for a subject or an SMS: line breaks from a template or a
    value would break an email header."""
    return " ".join(render_text(source, context).split())


def render_html(source: str, context: dict[str, str]) -> str:
    """The HTML alternative of an email: the text, escaped, with paragraphs and links."""
    return text_to_html(render_text(source, context))


# An http(s) address, without trailing punctuation. Simpler than Django's urlize, which cost
# more than the rest of a message's rendering together.
_LINK = re.compile(r"https?://[^\s<>\"']+?(?=[.,;:!?)\]]*(?:\s|$))")


# One line of one-tap answers: "10 https://…/s/<token>?nps=10" (the score_links merge
# field) or "10: …?nps=10" (older built-in templates), the number matching the link's.
SCORE_LINE = re.compile(
    r"^[ \t]*(?P<n>\d{1,2}):?[ \t]+(?P<url>https?://[^\s<>\"']+[?&]nps=(?P<m>\d{1,2}))[ \t]*$",
    re.MULTILINE,
)
SCORES = tuple(range(11))


def _score_blocks(text: str) -> list[tuple[int, int, dict[int, str]]]:
    """Runs of consecutive one-tap lines that hold each score 0–10 once: (start, end,
    {score: url}). Anything less (a lone line, a partial list) stays text."""
    blocks, run = [], []

    def close():
        links = {int(m["n"]): m["url"] for m in run}
        if sorted(links) == list(SCORES) and len(run) == len(SCORES):
            blocks.append((run[0].start(), run[-1].end(), links))

    for match in SCORE_LINE.finditer(text):
        if match["n"] != match["m"] or int(match["n"]) > 10:
            continue
        if run and text[run[-1].end():match.start()] != "\n":
            close()
            run = []
        run.append(match)
    if run:
        close()
    return blocks


def score_buttons(links: dict[int, str]) -> str:
    """A row of 0–10 buttons, each a link (escaped) that opens the survey with its score.
    A table with a cell per button: the one layout every mail client keeps in a row."""
    cells = "".join(
        f'<td class="score"><a class="score-link" href="{escape(links[n])}" '
        f'aria-label="{n} out of 10">{n}</a></td>' for n in SCORES)
    ends = ('<table role="presentation" class="score-ends" width="100%" cellpadding="0" '
            'cellspacing="0" border="0"><tr><td class="score-end">0 · Not likely</td>'
            '<td class="score-end score-end-high">10 · Certainly</td></tr></table>')
    return ('<table role="presentation" class="scores" width="100%" cellpadding="0" '
            f'cellspacing="2" border="0"><tr>{cells}</tr></table>{ends}')


def text_to_html(text: str) -> str:
    """Escaped paragraphs and line breaks, with web addresses made into links, and a list
    of one-tap survey answers (0–10) made into a row of buttons."""
    text = text.strip()
    parts, done = [], 0
    for start, end, links in _score_blocks(text):
        parts += [_paragraphs(text[done:start]), score_buttons(links)]
        done = end
    parts.append(_paragraphs(text[done:]))
    return plain("".join(part for part in parts if part))


def _paragraphs(text: str) -> str:
    text, parts, done = text.strip(), [], 0
    if not text:
        return ""
    for match in _LINK.finditer(text):
        url = escape(match[0])
        parts += [escape(text[done:match.start()]), f'<a href="{url}">{url}</a>']
        done = match.end()
    parts.append(escape(text[done:]))
    # nh3 (ammonia) as a second line of defence: only p, br and http(s) links survive.
    html = linebreaks("".join(parts), autoescape=False)
    return nh3.clean(html, tags={"p", "br", "a"}, attributes={"a": {"href"}},
                     url_schemes={"http", "https"}, link_rel=None)
