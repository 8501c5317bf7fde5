"""Plain fields: attribute reads answered without graphql-core's per-field machinery.

graphql-core executes every field the same way: a path, a resolve-info object, the resolver
(for Strawberry's resolver-less fields a wrapper around ``getattr``), awaitable checks, then
value completion. For a list of hundreds of small objects (the dashboard's "on call now": ~5,000
fields) that machinery cost more than everything else the request did.

A plain field is one that graphql-core would answer by reading an attribute and nothing else:
a Strawberry field without resolver, arguments, directives or field extensions, read with the
default ``getattr``, whose type is a built-in scalar or an enum, a (non-abstract) object type
whose selected fields are all plain, or a list of those. :func:`plan_field` says how to answer
one; :func:`answer` does, and raises :class:`NotPlain` at anything graphql-core would treat
specially (null where the type says non-null, a value the type refuses, an awaitable, an object
of the wrong type, a list that is not a list or tuple). The execution context (execution.py) then leaves
that field to graphql-core, which reports it as it always does: answers and errors are the same
either way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple, TypeAlias

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLID,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLString,
    is_specified_scalar_type,
)
from graphql.execution.collect_fields import CollectedFields, FieldDetailsList
from graphql.pyutils import Undefined
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField


class NotPlain(Exception):
    """This value needs graphql-core's own path (an error to report, or an unusual value)."""


class Leaf(NamedTuple):
    coerce: Callable[[Any], Any]
    non_null: bool
    keeps_str: bool = False  # String and ID: a str is shown as it is (what their coercion does)


class Object(NamedTuple):
    is_type_of: Callable[[Any, Any], Any] | None
    fields: tuple[tuple[str, str, Completion], ...]  # (response name, attribute, completion)
    non_null: bool


class List(NamedTuple):
    item: Completion
    non_null: bool


Completion: TypeAlias = Leaf | Object | List
# What a plan needs from the execution context: the selection of an object field, as
# graphql-core collects it (memoized there).
CollectSubfields: TypeAlias = Callable[[GraphQLObjectType, FieldDetailsList], CollectedFields]


class PlainField(NamedTuple):
    attribute: str
    completion: Completion


def _attribute(field_def: GraphQLField) -> str | None:
    """The attribute graphql-core would read for this field, when reading it is all it does."""
    resolve = field_def.resolve
    # Strawberry marks the resolver it makes for a field without resolver or extensions.
    if resolve is None or not getattr(resolve, "_is_default", False) or field_def.args:
        return None
    definition = field_def.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(definition, StrawberryField) or not definition.is_basic_field or definition.default_resolver is not getattr:
        return None
    return definition.python_name


def plan_completion(output_type: GraphQLOutputType, field_details_list: FieldDetailsList, collect: CollectSubfields) -> Completion | None:
    """How to complete a value of ``output_type`` for these field nodes directly (whatever
    gave the value: an attribute or a resolver), or None when graphql-core must."""
    # A directive (@stream, @defer below it, or anything graphql-core may learn) and fragment
    # variables: graphql-core's path.
    if any(d.node.directives or d.defer_usage is not None or d.fragment_variable_values is not None for d in field_details_list):
        return None
    return _completion(output_type, field_details_list, collect)


def _completion(output_type: GraphQLOutputType, field_details_list: FieldDetailsList, collect: CollectSubfields) -> Completion | None:
    non_null = isinstance(output_type, GraphQLNonNull)
    named = output_type.of_type if isinstance(output_type, GraphQLNonNull) else output_type
    if isinstance(named, GraphQLList):
        item = _completion(named.of_type, field_details_list, collect)
        return List(item, non_null) if item is not None else None
    # Built-in scalars and enums: their output coercion is all graphql-core does with a value
    # (once it is not an awaitable, see answer); a custom scalar keeps graphql-core's path.
    if isinstance(named, GraphQLEnumType) or (isinstance(named, GraphQLScalarType) and is_specified_scalar_type(named)):
        return Leaf(named.coerce_output_value, non_null, named is GraphQLString or named is GraphQLID)
    if isinstance(named, GraphQLObjectType):
        grouped, new_defer_usages, _ = collect(named, field_details_list)
        if new_defer_usages:
            return None
        fields = []
        for response_name, details in grouped.items():
            plain = plan_field(named, details, collect)
            if plain is None:
                return None
            fields.append((response_name, plain.attribute, plain.completion))
        return Object(named.is_type_of, tuple(fields), non_null)
    return None


def plan_field(parent_type: GraphQLObjectType, field_details_list: FieldDetailsList, collect: CollectSubfields) -> PlainField | None:
    """How to answer this field of ``parent_type`` directly, or None when it is not plain."""
    field_def = parent_type.fields.get(field_details_list[0].node.name.value)
    if field_def is None:
        return None
    attribute = _attribute(field_def)
    if attribute is None:
        return None
    completion = plan_completion(field_def.type, field_details_list, collect)
    return PlainField(attribute, completion) if completion is not None else None


_SIMPLE = frozenset({str, int, float, bool})


def answer(completion: Completion, value: Any) -> Any:
    """The field's answer for ``value``, exactly as graphql-core would give it; NotPlain when
    graphql-core would do more than that (then nothing of this answer is used)."""
    if value is None:
        if completion.non_null:
            raise NotPlain
        return None
    if type(value) is str and type(completion) is Leaf and completion.keeps_str:  # most leaves
        return value
    # graphql-core awaits an awaitable and raises an exception given as a value (String would
    # show either through str()).
    if type(value) not in _SIMPLE and (isinstance(value, Exception) or hasattr(value, "__await__")):
        raise NotPlain
    if isinstance(completion, Leaf):
        coerced = completion.coerce(value)
        if coerced is None or coerced is Undefined:
            raise NotPlain
        return coerced
    if isinstance(completion, Object):
        # Strawberry's own check (an isinstance); one that wants the resolve info raises.
        if completion.is_type_of is not None and completion.is_type_of(value, None) is not True:
            raise NotPlain
        return {name: answer(sub, getattr(value, attribute)) for name, attribute, sub in completion.fields}
    if type(value) is not list and type(value) is not tuple:  # iterators, async iterables: graphql-core's path
        raise NotPlain
    item = completion.item
    return [answer(item, v) for v in value]
