"""A small, safe template language for mapping any JSON payload to alert fields.

Templates are compiled once (when a source's settings are saved) and rendered per event. The
language only reads the payload: there are no assignments, no attribute access on Python
objects, no calls other than the fixed functions below, so rendering never executes code.

Syntax (Handlebars-like, so it reads the same as Grafana's or Slack's templates):

- ``{{ path.to.field }}``: a value from the payload. Paths use dots, list indexes (``items.0``
  or ``items[0]``) and quoted keys for names with odd characters (``labels["app.kubernetes.io/name"]``).
  A missing value renders as nothing. Objects and lists render as compact JSON.
- ``{{ value | function(arg, ...) }}``: functions applied left to right (pipe syntax only):
  ``lower``, ``upper``, ``trim``, ``substring(start[, length])``, ``join([separator])``,
  ``default(fallback)``, ``json``, ``eq(other)``. Arguments are strings (``"x"`` or ``'x'``),
  integers or paths.
- ``{{#each path}} ... {{/each}}``: repeats its body for each item of a list (or each value of
  an object). Inside, names resolve against the item first, then outwards; ``this`` is the item,
  ``@index`` its position (from 0), ``@key`` its key for objects, ``@root`` the whole payload.
- ``{{#if expression}} ... {{else}} ... {{/if}}``: the body when the value is truthy (not
  missing, empty, false or 0). ``{{#if action | eq("resolved")}}`` compares.
- A literal ``{{`` is written ``{{ "{{" }}``.

Limits keep a hostile payload or template harmless: at most :data:`MAX_TEMPLATE_CHARS`
characters of template, :data:`MAX_DEPTH` nested sections, :data:`MAX_ITERATIONS` loop
iterations and :data:`MAX_OUTPUT_CHARS` characters of output per render (the rest is cut).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MAX_TEMPLATE_CHARS = 10_000
MAX_DEPTH = 8
MAX_ITERATIONS = 1_000
MAX_OUTPUT_CHARS = 65_536


class TemplateError(ValueError):
    """A template that cannot be compiled, with the 1-based line and column of the problem."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(f"line {line}, column {column}: {message}")
        self.message = message
        self.line = line
        self.column = column


# --------------------------------------------------------------------------- the compiled form


@dataclass(frozen=True, slots=True)
class Literal:
    value: str | int


@dataclass(frozen=True, slots=True)
class Path:
    head: str  # a name, "this", "@index", "@key" or "@root"
    rest: tuple[str | int, ...]


Operand = Literal | Path


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: tuple[Operand, ...]


@dataclass(frozen=True, slots=True)
class Expression:
    operand: Operand
    calls: tuple[Call, ...]


@dataclass(frozen=True, slots=True)
class Text:
    text: str


@dataclass(frozen=True, slots=True)
class Output:
    expression: Expression


@dataclass(frozen=True, slots=True)
class Each:
    expression: Expression
    body: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class If:
    expression: Expression
    body: tuple[Node, ...]
    otherwise: tuple[Node, ...]


Node = Text | Output | Each | If


@dataclass(frozen=True, slots=True)
class Template:
    source: str
    nodes: tuple[Node, ...]

    def render(self, payload: Any) -> str:
        return render(self, payload)


# --------------------------------------------------------------------------- functions


def to_text(value: Any) -> str:
    """How a value appears in output: missing is empty, structures are compact JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _substring(value: Any, start: Any, length: Any = None) -> str:
    text = to_text(value)
    begin = _as_int(start)
    if length is None:
        return text[begin:]
    count = max(0, _as_int(length))
    if begin < 0:
        begin = max(0, len(text) + begin)
    return text[begin : begin + count]


def _as_int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _join(value: Any, separator: Any = ", ") -> str:
    if isinstance(value, Mapping):
        value = list(value.values())
    if isinstance(value, list):
        return to_text(separator).join(to_text(item) for item in value[:MAX_ITERATIONS])
    return to_text(value)


def _equals(value: Any, other: Any) -> bool:
    if isinstance(value, str) or isinstance(other, str):
        return to_text(value) == to_text(other)
    return bool(value == other)


# name -> (function, minimum extra arguments, maximum extra arguments)
FUNCTIONS: dict[str, tuple[Callable[..., Any], int, int]] = {
    "lower": (lambda v: to_text(v).lower(), 0, 0),
    "upper": (lambda v: to_text(v).upper(), 0, 0),
    "trim": (lambda v: to_text(v).strip(), 0, 0),
    "substring": (_substring, 1, 2),
    "join": (_join, 0, 1),
    "default": (lambda v, fallback: fallback if _is_empty(v) else v, 1, 1),
    "json": (lambda v: json.dumps(v, separators=(",", ":"), ensure_ascii=False, default=str), 0, 0),
    "eq": (_equals, 1, 1),
}


# --------------------------------------------------------------------------- compiling


# int() takes other scripts' digits ("²" passes isdigit() and fails int()) and no more than
# 4,300 of them; template numbers are ASCII and short.
ASCII_DIGITS = "0123456789"
MAX_DIGITS = 18


def _is_index(segment: str) -> bool:
    return 0 < len(segment) <= MAX_DIGITS and all(c in ASCII_DIGITS for c in segment)


def _position(source: str, offset: int) -> tuple[int, int]:
    line = source.count("\n", 0, offset) + 1
    column = offset - (source.rfind("\n", 0, offset) + 1) + 1
    return line, column


class _ExpressionParser:
    """Parses the inside of one ``{{ }}`` tag; errors point into the whole template."""

    def __init__(self, source: str, start: int, end: int) -> None:
        self.source = source
        self.pos = start
        self.end = end

    def fail(self, message: str, at: int | None = None) -> TemplateError:
        line, column = _position(self.source, self.pos if at is None else at)
        return TemplateError(message, line, column)

    def skip_space(self) -> None:
        while self.pos < self.end and self.source[self.pos].isspace():
            self.pos += 1

    def peek(self) -> str:
        self.skip_space()
        return self.source[self.pos] if self.pos < self.end else ""

    def expect(self, char: str) -> None:
        if self.peek() != char:
            found = repr(self.source[self.pos]) if self.pos < self.end else "the end of the tag"
            raise self.fail(f"expected '{char}' but found {found}")
        self.pos += 1

    def at_end(self) -> bool:
        return self.peek() == ""

    def expression(self) -> Expression:
        operand = self.operand()
        calls: list[Call] = []
        while self.peek() == "|":
            self.pos += 1
            calls.append(self.call())
        if not self.at_end():
            raise self.fail(f"unexpected {self.source[self.pos]!r}; use '|' to apply a function")
        return Expression(operand, tuple(calls))

    def call(self) -> Call:
        self.skip_space()
        start = self.pos
        name = self.name()
        if name not in FUNCTIONS:
            raise self.fail(f"unknown function '{name}' (known: {', '.join(sorted(FUNCTIONS))})", start)
        args: list[Operand] = []
        if self.peek() == "(":
            self.pos += 1
            if self.peek() != ")":
                args.append(self.operand())
                while self.peek() == ",":
                    self.pos += 1
                    args.append(self.operand())
            self.expect(")")
        _, least, most = FUNCTIONS[name]
        if not least <= len(args) <= most:
            wanted = str(least) if least == most else f"{least} to {most}"
            raise self.fail(f"{name} takes {wanted} argument(s), got {len(args)}", start)
        return Call(name, tuple(args))

    def operand(self) -> Operand:
        char = self.peek()
        if char in ("'", '"'):
            return Literal(self.string())
        if char == "-" or (char != "" and char in ASCII_DIGITS):
            return Literal(self.integer())
        if char == "":
            raise self.fail("expected a value (a path, a string or a number)")
        return self.path()

    def string(self) -> str:
        quote = self.source[self.pos]
        start = self.pos
        self.pos += 1
        out: list[str] = []
        while self.pos < self.end:
            char = self.source[self.pos]
            if char == "\\" and self.pos + 1 < self.end:
                out.append(self.source[self.pos + 1])
                self.pos += 2
                continue
            if char == quote:
                self.pos += 1
                return "".join(out)
            out.append(char)
            self.pos += 1
        raise self.fail("unterminated string", start)

    def integer(self) -> int:
        start = self.pos
        if self.source[self.pos] == "-":
            self.pos += 1
        while self.pos < self.end and self.source[self.pos] in ASCII_DIGITS:
            self.pos += 1
        digits = self.source[start : self.pos]
        if digits in ("-", ""):
            raise self.fail("expected a number", start)
        if len(digits) > MAX_DIGITS:
            raise self.fail(f"a number of more than {MAX_DIGITS} digits", start)
        return int(digits)

    def name(self) -> str:
        start = self.pos
        if self.pos < self.end and self.source[self.pos] == "@":
            self.pos += 1
        while self.pos < self.end and (self.source[self.pos].isalnum() or self.source[self.pos] in "_-"):
            self.pos += 1
        if self.pos == start or self.source[start:self.pos] == "@":
            found = repr(self.source[start]) if start < self.end else "the end of the tag"
            raise self.fail(f"expected a name but found {found}", start)
        return self.source[start : self.pos]

    def path(self) -> Path:
        start = self.pos
        head = self.name()
        if head.startswith("@") and head not in ("@index", "@key", "@root"):
            raise self.fail(f"unknown variable '{head}' (known: @index, @key, @root)", start)
        rest: list[str | int] = []
        while self.pos < self.end and self.source[self.pos] in ".[":
            if self.source[self.pos] == ".":
                self.pos += 1
                segment = self.name()
                rest.append(int(segment) if _is_index(segment) else segment)
            else:
                self.pos += 1
                char = self.peek()
                if char in ("'", '"'):
                    rest.append(self.string())
                elif (char != "" and char in ASCII_DIGITS) or char == "-":
                    rest.append(self.integer())
                else:
                    raise self.fail("expected a quoted key or an index inside [ ]")
                self.expect("]")
        return Path(head, tuple(rest))


def _tag_end(source: str, start: int) -> int:
    """Offset of the ``}}`` closing the tag that starts at ``start`` (after ``{{``), skipping
    quoted strings so that ``{{ "}}" }}`` works. -1 when there is none."""
    pos = start
    quote = ""
    while pos < len(source) - 1:
        char = source[pos]
        if quote:
            if char == "\\":
                pos += 2
                continue
            if char == quote:
                quote = ""
        elif char in ("'", '"'):
            quote = char
        elif char == "}" and source[pos + 1] == "}":
            return pos
        pos += 1
    return -1


@dataclass
class _Open:
    kind: str  # "each" or "if"
    expression: Expression
    at: int
    body: list[Node]
    otherwise: list[Node] | None = None


def compile_template(source: str) -> Template:
    """Compile ``source`` or raise :class:`TemplateError` naming where it went wrong."""
    if not isinstance(source, str):
        raise TemplateError("a template must be a string", 1, 1)
    if len(source) > MAX_TEMPLATE_CHARS:
        line, column = _position(source, MAX_TEMPLATE_CHARS)
        raise TemplateError(f"the template is longer than {MAX_TEMPLATE_CHARS} characters", line, column)
    root: list[Node] = []
    stack: list[_Open] = []

    def current() -> list[Node]:
        if not stack:
            return root
        top = stack[-1]
        return top.otherwise if top.otherwise is not None else top.body

    pos = 0
    while pos < len(source):
        opening = source.find("{{", pos)
        if opening < 0:
            current().append(Text(source[pos:]))
            break
        if opening > pos:
            current().append(Text(source[pos:opening]))
        inner = opening + 2
        closing = _tag_end(source, inner)
        if closing < 0:
            raise TemplateError("'{{' is never closed with '}}'", *_position(source, opening))
        _tag(source, inner, closing, opening, stack, current)
        pos = closing + 2
    if stack:
        top = stack[-1]
        raise TemplateError(f"'{{{{#{top.kind}}}}}' is never closed with '{{{{/{top.kind}}}}}'", *_position(source, top.at))
    return Template(source, tuple(root))


def _tag(
    source: str, inner: int, closing: int, opening: int, stack: list[_Open], current: Callable[[], list[Node]]
) -> None:
    parser = _ExpressionParser(source, inner, closing)
    first = parser.peek()
    if first == "#":
        parser.pos += 1
        kind = parser.name()
        if kind not in ("each", "if"):
            raise parser.fail(f"unknown section '#{kind}' (known: #each, #if)", parser.pos - len(kind))
        if len(stack) >= MAX_DEPTH:
            raise TemplateError(f"sections are nested more than {MAX_DEPTH} deep", *_position(source, opening))
        expression = parser.expression()
        if kind == "each" and not isinstance(expression.operand, Path):
            raise TemplateError("#each needs a path to a list", *_position(source, opening))
        stack.append(_Open(kind, expression, opening, []))
        return
    if first == "/":
        parser.pos += 1
        kind = parser.name()
        if not parser.at_end():
            raise parser.fail("a closing tag takes nothing after its name")
        if not stack:
            raise TemplateError(f"'{{{{/{kind}}}}}' closes nothing", *_position(source, opening))
        top = stack.pop()
        if top.kind != kind:
            raise TemplateError(
                f"'{{{{/{kind}}}}}' does not match the open '{{{{#{top.kind}}}}}' (line {_position(source, top.at)[0]})",
                *_position(source, opening),
            )
        node: Node = (
            Each(top.expression, tuple(top.body))
            if kind == "each"
            else If(top.expression, tuple(top.body), tuple(top.otherwise or ()))
        )
        current().append(node)
        return
    if source[inner:closing].strip() == "else":
        if not stack or stack[-1].kind != "if" or stack[-1].otherwise is not None:
            raise TemplateError("'{{else}}' belongs inside one '{{#if}}'", *_position(source, opening))
        stack[-1].otherwise = []
        return
    current().append(Output(parser.expression()))


# --------------------------------------------------------------------------- rendering


@dataclass
class _Scope:
    value: Any
    index: int | None = None
    key: str | None = None


class _Budget:
    def __init__(self) -> None:
        self.iterations = 0
        self.chars = 0
        self.full = False


def _lookup(path: Path, scopes: Sequence[_Scope], root: Any) -> Any:
    head = path.head
    if head == "@root":
        value = root
    elif head == "this":
        value = scopes[-1].value
    elif head == "@index":
        value = scopes[-1].index
    elif head == "@key":
        value = scopes[-1].key
    else:
        value = None
        for scope in reversed(scopes):
            if isinstance(scope.value, Mapping) and head in scope.value:
                value = scope.value[head]
                break
    for segment in path.rest:
        value = _step(value, segment)
        if value is None:
            return None
    return value


def _step(value: Any, segment: str | int) -> Any:
    if isinstance(value, Mapping):
        found = value.get(segment if isinstance(segment, str) else str(segment))
        return found
    if isinstance(value, list) and isinstance(segment, int) and -len(value) <= segment < len(value):
        return value[segment]
    return None


def _evaluate(expression: Expression, scopes: Sequence[_Scope], root: Any) -> Any:
    value = _operand(expression.operand, scopes, root)
    for call in expression.calls:
        function, _, _ = FUNCTIONS[call.name]
        value = function(value, *(_operand(arg, scopes, root) for arg in call.args))
    return value


def _operand(operand: Operand, scopes: Sequence[_Scope], root: Any) -> Any:
    return operand.value if isinstance(operand, Literal) else _lookup(operand, scopes, root)


def _truthy(value: Any) -> bool:
    return not (_is_empty(value) or value is False or value == 0)


def _emit(out: list[str], text: str, budget: _Budget) -> None:
    room = MAX_OUTPUT_CHARS - budget.chars
    if len(text) >= room:
        text = text[:room]
        budget.full = True
    budget.chars += len(text)
    out.append(text)


def _render_nodes(nodes: Sequence[Node], scopes: list[_Scope], root: Any, out: list[str], budget: _Budget) -> None:
    for node in nodes:
        if budget.full:
            return
        if isinstance(node, Text):
            _emit(out, node.text, budget)
        elif isinstance(node, Output):
            _emit(out, to_text(_evaluate(node.expression, scopes, root)), budget)
        elif isinstance(node, If):
            branch = node.body if _truthy(_evaluate(node.expression, scopes, root)) else node.otherwise
            _render_nodes(branch, scopes, root, out, budget)
        else:
            _render_each(node, scopes, root, out, budget)


def _render_each(node: Each, scopes: list[_Scope], root: Any, out: list[str], budget: _Budget) -> None:
    items = _evaluate(node.expression, scopes, root)
    if isinstance(items, Mapping):
        pairs: list[tuple[str | None, Any]] = [(str(k), v) for k, v in items.items()]
    elif isinstance(items, list):
        pairs = [(None, v) for v in items]
    else:
        return
    for index, (key, item) in enumerate(pairs):
        if budget.iterations >= MAX_ITERATIONS or budget.full:
            return
        budget.iterations += 1
        scopes.append(_Scope(item, index, key))
        try:
            _render_nodes(node.body, scopes, root, out, budget)
        finally:
            scopes.pop()


def render(template: Template, payload: Any) -> str:
    """Render against ``payload`` (any JSON value). Never raises for odd data: a missing or
    mistyped value renders as nothing."""
    out: list[str] = []
    _render_nodes(template.nodes, [_Scope(payload)], payload, out, _Budget())
    return "".join(out)
