"""Checks every operation's input once, before any resolver runs, so no resolver has to.

Variables are checked where a request is decoded (``view.py``: the JSON rule of
``engine/core/input_rules``, and the list cap). What is left is inside the document itself:

- every literal argument value: of the right type (graphql-core's rule) with the error naming
  the argument (``at: '2026-11-02T06:30:00' has no UTC offset ...``), and every string in it
  storable (a ``"\\u0000"`` escape in a literal decodes to a NUL the database cannot store);
- the operation type: a subscription over plain HTTP would run its generator as a field and
  fail inside; subscriptions are for the WebSocket, so HTTP refuses them up front.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import ArgumentNode, GraphQLError, GraphQLInputType, ListValueNode, ObjectValueNode, StringValueNode, ValueNode
from graphql.language import SKIP, VisitorAction
from graphql.utilities.validate_input_value import validate_input_literal
from graphql.validation import ValuesOfCorrectTypeRule
from starlette.requests import Request
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from pagerline.engine.core.input_rules import unstorable_reason


def _where(argument: str | None, path: list[str | int]) -> str:
    where = argument or "value"
    for step in path:
        where += f"[{step}]" if isinstance(step, int) else f".{step}"
    return where


def _strings(node: ValueNode) -> Iterator[tuple[StringValueNode, list[str | int]]]:
    """Every string literal inside a value, with its path (no recursion: literals can nest deep)."""
    stack: list[tuple[ValueNode, list[str | int]]] = [(node, [])]
    while stack:
        current, path = stack.pop()
        if isinstance(current, StringValueNode):
            yield current, path
        elif isinstance(current, ListValueNode):
            stack.extend((item, [*path, index]) for index, item in enumerate(current.values))
        elif isinstance(current, ObjectValueNode):
            stack.extend((field.value, [*path, field.name.value]) for field in current.fields)


class ArgumentValuesRule(ValuesOfCorrectTypeRule):
    """graphql-core's "values of correct type" rule, with errors that name the argument and a
    check that every string literal can be stored."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._argument: str | None = None

    def enter_argument(self, node: ArgumentNode, *_args: Any) -> None:
        self._argument = node.name.value

    def leave_argument(self, node: ArgumentNode, *_args: Any) -> None:
        self._argument = None

    def is_valid_value_node(self, node: ValueNode, input_type: GraphQLInputType | None) -> VisitorAction:
        argument = self._argument

        def on_error(error: GraphQLError, path: list[str | int]) -> None:
            self.report_error(GraphQLError(
                f"{_where(argument, path)}: {error.message}", error.nodes or node,
                original_error=error.original_error, extensions=error.extensions,
            ))

        for string, path in _strings(node):
            reason = unstorable_reason(string.value)
            if reason is not None:
                self.report_error(GraphQLError(
                    f"{_where(argument, path)} contains {reason}, which cannot be stored", string,
                    extensions={"code": "BAD_USER_INPUT"},
                ))
                return SKIP
        if input_type:
            validate_input_literal(node, input_type, on_error, None, None, self.context.hide_suggestions)
        return SKIP  # the literal was checked whole


class InputChecks(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.validation_rules = tuple(
            ArgumentValuesRule if rule is ValuesOfCorrectTypeRule else rule for rule in context.validation_rules
        )
        request = context.context.get("request") if isinstance(context.context, dict) else None
        if isinstance(request, Request):  # plain HTTP, not the WebSocket
            context.allowed_operations = frozenset(context.allowed_operations) - {OperationType.SUBSCRIPTION}
        yield
