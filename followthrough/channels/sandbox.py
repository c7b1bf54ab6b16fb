"""Limits for templates a business writes: they run in the worker and in previews, so one
must not be able to pin a process (issue #12: four nested {% for %} loops stalled all
delivery).

Every limit counts work, never time, so a render stops at the same point on a busy machine
as on an idle one, and tests are deterministic:
- the source is at most MAX_SOURCE_CHARS;
- all {% for %} loops of one render together run at most MAX_ITERATIONS times (a loop
  is charged its length before it starts, so nested loops are refused early);
- a filter may not make a value longer than MAX_VALUE_CHARS, nor pad or format to more
  than MAX_WIDTH characters, and everything filters and the template print in one render
  is at most MAX_CHARS;
- after a dot, only a few attributes that cannot grow a value are looked up (digits,
  forloop's, and upper/lower/title/strip/split...): `.encode.hex` doubled a value each
  time. Any other attribute renders as nothing, like a name that isn't a merge field.
"""

import contextvars
import functools
import re
from contextlib import contextmanager
from dataclasses import dataclass

from django.template import Node, NodeList, Variable, defaulttags
from django.template.base import FilterExpression

MAX_SOURCE_CHARS = 20_000
MAX_ITERATIONS = 5_000
MAX_VALUE_CHARS = 50_000
MAX_CHARS = 500_000
MAX_WIDTH = 200

SAFE_ATTRIBUTES = frozenset({
    "counter", "counter0", "revcounter", "revcounter0", "first", "last", "parentloop",
    "upper", "lower", "title", "capitalize", "strip", "lstrip", "rstrip", "split",
    "splitlines",
})
# Their argument is a width or a number of digits to produce.
WIDTH_FILTERS = frozenset({"ljust", "rjust", "center", "floatformat", "stringformat"})


@dataclass
class TemplateProblem(Exception):
    message: str
    line: int | None = None

    def __str__(self) -> str:
        return f"Line {self.line}: {self.message}" if self.line else self.message


class OverBudget(TemplateProblem):
    """A template asked for more work than one message may take."""


@dataclass
class Budget:
    iterations: int = 0
    chars: int = 0

    def loop(self, count: int) -> None:
        self.iterations += count
        if self.iterations > MAX_ITERATIONS:
            raise OverBudget(f"too many repetitions: the loops here would run more than "
                             f"{MAX_ITERATIONS:,} times in one message")

    def made(self, count: int) -> None:
        self.chars += count
        if self.chars > MAX_CHARS:
            raise OverBudget(f"the message grows too long (over {MAX_CHARS:,} characters)")


_current: contextvars.ContextVar[Budget | None] = contextvars.ContextVar(
    "template_budget", default=None)


@contextmanager
def budget():
    """A fresh budget for one render."""
    token = _current.set(Budget())
    try:
        yield
    finally:
        _current.reset(token)


def _spend() -> Budget:
    spending = _current.get()
    if spending is None:  # rendering without a budget would have no limits at all
        raise TemplateProblem("a template was rendered outside its budget")
    return spending


# Loops ---------------------------------------------------------------------------------

class _CountedSequence:
    """A {% for %} loop's sequence, charged its length before the loop starts."""

    def __init__(self, expression: FilterExpression):
        self.expression = expression

    def __str__(self) -> str:
        return str(self.expression)

    def resolve(self, context, ignore_failures=False):
        values = self.expression.resolve(context, ignore_failures=ignore_failures)
        if values is not None and not hasattr(values, "__len__"):
            values = list(values)
        _spend().loop(len(values) if values is not None else 0)
        return values


def counted_for(parser, token):
    node = defaulttags.do_for(parser, token)
    node.sequence = _CountedSequence(node.sequence)
    return node


# Filters -------------------------------------------------------------------------------

def _size(value) -> int:
    return len(value) if isinstance(value, str | list | tuple) else 0


def _check_width(name: str, args) -> None:
    for arg in args:
        for number in re.findall(r"\d+", str(arg)):
            if len(number) > 6 or int(number) > MAX_WIDTH:
                raise OverBudget(f"“{name}” can make at most {MAX_WIDTH} characters")


def metered_filter(name: str, function):
    """`function`, refusing to make a value that is too long and charging what it makes."""

    @functools.wraps(function)
    def metered(value, *args, **kwargs):
        if name in WIDTH_FILTERS:
            _check_width(name, args)
        if name == "join" and args and _size(value) * len(str(args[0])) > MAX_VALUE_CHARS:
            raise OverBudget(f"“join” would make a value over {MAX_VALUE_CHARS:,} characters")
        result = function(value, *args, **kwargs)
        size = _size(result)
        if size > MAX_VALUE_CHARS:
            raise OverBudget(f"“{name}” made a value over {MAX_VALUE_CHARS:,} characters")
        _spend().made(size)
        return result

    return metered


# The compiled tree ---------------------------------------------------------------------

class _Metered(Node):
    """A node that prints text itself (text, a variable, {% cycle %}...): what it prints is
    charged. Nodes that hold other nodes are not, so nothing is counted twice."""

    def __init__(self, node: Node):
        self.node, self.token, self.origin = node, node.token, node.origin

    def render(self, context):
        text = self.node.render_annotated(context)
        _spend().made(len(text))
        return text


def _parts(thing):
    """The values inside one piece of a compiled template."""
    if isinstance(thing, list | tuple | set):
        return list(thing)
    if isinstance(thing, dict):
        return list(thing.values())
    module = type(thing).__module__
    if not (module.startswith("django.template") or module == __name__):
        return []
    slots = [slot for cls in type(thing).__mro__ for slot in getattr(cls, "__slots__", ())]
    values = [getattr(thing, slot, None) for slot in slots]
    return values + list(getattr(thing, "__dict__", {}).values())


def _holds_nodes(node: Node) -> bool:
    return any(isinstance(part, NodeList) or (isinstance(part, list) and any(
        isinstance(item, tuple) and any(isinstance(x, NodeList) for x in item) for item in part
    )) for part in _parts(node))


def _neutralise(variable: Variable) -> None:
    bits = variable.lookups or ()
    if any(not (bit.isdigit() or bit in SAFE_ATTRIBUTES) for bit in bits[1:]):
        # Like a name outside the context: it renders as nothing.
        variable.lookups = ("\x00",)


def limit(nodelist: NodeList) -> None:
    """Meter the nodes that print, and neutralise unsafe attribute lookups, in place.
    Walks the tree with a stack: a deeply nested template must not exhaust recursion."""
    stack, seen = [nodelist], set()
    while stack:
        thing = stack.pop()
        if id(thing) in seen:
            continue
        seen.add(id(thing))
        if isinstance(thing, Variable):
            _neutralise(thing)
            continue
        if isinstance(thing, NodeList):
            for index, node in enumerate(thing):
                if not isinstance(node, _Metered) and not _holds_nodes(node):
                    thing[index] = _Metered(node)
        stack.extend(_parts(thing))
