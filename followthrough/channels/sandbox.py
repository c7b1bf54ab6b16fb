"""Limits for templates a business writes: they run in the worker and in previews, so one
must not be able to pin a process (issue #12: four nested {% for %} loops stalled all
delivery).

Every limit counts work, never time, so a render stops at the same point on a busy machine
as on an idle one, and tests are deterministic:
- the source is at most MAX_SOURCE_CHARS;
- all {% for %} loops of one render together run at most MAX_ITERATIONS times (a loop
  is charged its length before it starts, so nested loops are refused early), and at most
  MAX_STEPS steps are rendered (a step is a tag, a variable or a piece of text, or each
  STEP_CHARS characters of it);
- a filter may not make a value longer than MAX_VALUE_CHARS, nor pad or format to more
  than MAX_WIDTH characters;
- the characters of every value looked up, made by a filter or printed add up to at most
  MAX_CHARS per render, so comparing or searching long values costs budget too;
- a variable is looked up by our own resolver: keys of the context and of forloop, an
  index, or one of a few string methods, each charged (Django's would call any method, and
  `.encode.hex` doubled a value each time). Anything else renders as nothing, like a name
  that isn't a merge field.
"""

import contextvars
import functools
import re
from contextlib import contextmanager
from dataclasses import dataclass

from django.template import Node, NodeList, Variable, VariableDoesNotExist, defaulttags
from django.template.base import FilterExpression

MAX_SOURCE_CHARS = 20_000
MAX_ITERATIONS = 5_000
MAX_VALUE_CHARS = 50_000
MAX_CHARS = 500_000
MAX_STEPS = 20_000  # each step is a node, or STEP_CHARS characters of its tag
STEP_CHARS = 16
MAX_WIDTH = 200

# String methods a template may call with a dot, as {{ customer_name.upper }} did.
STRING_METHODS = frozenset({"upper", "lower", "title", "capitalize", "strip", "split",
                            "splitlines"})
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
    """The work one render may still do. A broken limit stays broken: Django's {% if %}
    swallows exceptions from its operators, so the render is refused at the next node and
    at its end, whatever caught the first refusal."""

    iterations: int = 0
    chars: int = 0
    steps: int = 0
    broken: OverBudget | None = None

    def refuse(self, message: str):
        self.broken = self.broken or OverBudget(message)
        raise self.broken

    def step(self, cost: int) -> None:
        self.steps += cost
        if self.broken or self.steps > MAX_STEPS:
            self.refuse("the template does too much work for one message")

    def loop(self, count: int) -> None:
        self.iterations += count
        if self.iterations > MAX_ITERATIONS:
            self.refuse(f"too many repetitions: the loops here would run more than "
                        f"{MAX_ITERATIONS:,} times in one message")

    def made(self, count: int) -> None:
        self.chars += count
        if self.chars > MAX_CHARS:
            self.refuse(f"the message grows too long (over {MAX_CHARS:,} characters)")


_current: contextvars.ContextVar[Budget | None] = contextvars.ContextVar(
    "template_budget", default=None)


@contextmanager
def budget():
    """A fresh budget for one render; raises if the render broke a limit, even if a tag
    caught the refusal."""
    spending = Budget()
    token = _current.set(spending)
    try:
        yield spending
    finally:
        _current.reset(token)
    if spending.broken:
        raise spending.broken


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
    if isinstance(value, str):
        return len(value)
    if isinstance(value, list | tuple):
        return len(value) + sum(len(item) for item in value if isinstance(item, str))
    return 0


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
    """Every node costs steps each time it renders, by the length of its tag: the work a
    tag does ({% if %} conditions, filter chains) grows with it. A node that prints text
    itself (text, a variable, {% cycle %}...) is also charged what it prints; one that holds
    other nodes is not, so nothing is counted twice."""

    def __init__(self, node: Node, leaf: bool):
        self.node, self.leaf, self.token, self.origin = node, leaf, node.token, node.origin
        self.cost = 1 + len(getattr(node.token, "contents", "")) // STEP_CHARS

    def render(self, context):
        spending = _spend()
        spending.step(self.cost)
        text = self.node.render_annotated(context)
        if self.leaf:
            spending.made(len(text))
        return text


class _SandboxVariable(Variable):
    """A variable looked up by `_step` alone, and charged the size of what it finds."""

    __slots__ = ()

    def resolve(self, context):
        value = super().resolve(context)
        _spend().made(_size(value))
        return value

    def _resolve_lookup(self, context):
        current = context
        for bit in self.lookups:
            current = _step(current, bit)
        return current


def _step(current, bit: str):
    """One part of a dotted name: a key of the context or of forloop, an index, or one of
    STRING_METHODS (charged what it makes). Never an attribute or any other method."""
    if isinstance(current, str | list | tuple):
        if bit.isascii() and bit.isdigit() and len(bit) < 7 and int(bit) < len(current):
            return current[int(bit)]
        if isinstance(current, str) and bit in STRING_METHODS:
            result = getattr(current, bit)()
            _spend().made(_size(result))
            return result
    elif isinstance(current, dict) or hasattr(current, "dicts"):  # forloop, or the Context
        try:
            return current[bit]
        except (KeyError, TypeError):
            pass
    raise VariableDoesNotExist("Nothing called “%s” here", (bit,))


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


def limit(nodelist: NodeList) -> None:
    """Meter every node and give every variable our resolver, in place. Walks the tree
    with a stack: a deeply nested template must not exhaust recursion."""
    stack, seen = [nodelist], set()
    while stack:
        thing = stack.pop()
        if id(thing) in seen:
            continue
        seen.add(id(thing))
        if isinstance(thing, Variable):
            thing.__class__ = _SandboxVariable  # same slots: only the methods change
            continue
        if isinstance(thing, NodeList):
            for index, node in enumerate(thing):
                if not isinstance(node, _Metered):
                    thing[index] = _Metered(node, leaf=not _holds_nodes(node))
        stack.extend(_parts(thing))
