"""The GraphQL execution context: Strawberry's, with subfield collection memoized by the query.

graphql-core 3.3 memoizes the collected subfields of a field by the identity of a list it
builds afresh on every execution. A subscription executes once per event with a copy of one
executor that shares that memo, so every event misses it and adds an entry that is never freed:
CPU spent collecting the same selection again for every event and every subscriber (a third of
the fan-out cost with 1,000 subscribers), and memory that grows with every event delivered.
Here the memo is keyed by the field nodes of the parsed query instead, which stay the same for
the subscription's whole life, so it fills once and stays small.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLObjectType
from graphql.execution.collect_fields import CollectedFields, FieldDetailsList, collect_subfields
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext


class PagerlineExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Shared with the per-event copies (a shallow copy keeps the same dict).
        self._subfields_by_nodes: dict[tuple[Any, ...], CollectedFields] = {}

    def collect_subfields(self, return_type: GraphQLObjectType, field_details_list: FieldDetailsList) -> CollectedFields:
        if any(d.defer_usage is not None or d.fragment_variable_values is not None for d in field_details_list):
            # Built per execution: no stable key. Rare (@defer, fragment arguments); not memoized.
            return self._collect(return_type, field_details_list)
        key = (return_type, *(id(d.node) for d in field_details_list))
        collected = self._subfields_by_nodes.get(key)
        if collected is None:
            collected = self._subfields_by_nodes[key] = self._collect(return_type, field_details_list)
        return collected

    def _collect(self, return_type: GraphQLObjectType, field_details_list: FieldDetailsList) -> CollectedFields:
        return collect_subfields(
            self.schema,
            self.fragments,
            self.variable_values,
            self.operation,
            return_type,
            field_details_list,
            self.hide_suggestions,
        )
