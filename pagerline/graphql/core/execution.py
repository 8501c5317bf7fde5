"""The GraphQL execution context: Strawberry's, with subfield collection memoized by the query.

graphql-core 3.3 memoizes the collected subfields of a field by the identity of a list it
builds afresh on every execution. A subscription executes once per event with a copy of one
executor that shares that memo, so every event misses it and adds an entry that is never freed:
CPU spent collecting the same selection again for every event and every subscriber (a third of
the fan-out cost with 1,000 subscribers), and memory that grows with every event delivered.
Here the memo is keyed by the field nodes of the parsed query instead, which stay the same for
the subscription's whole life, so it fills once and stays small.

Each subscription event is executed once per group of alike subscriptions, not once per
subscriber (:mod:`pagerline.graphql.core.fanout`): a per-event copy made for a value that
:func:`~pagerline.graphql.core.bus_events.visible_changes` yielded carries that delivery, and
its execution is shared with the other subscriptions of the group.

An HTTP request's loaders are let go of as soon as its response is built: graphql-core's
execution context refers to itself (through its resolve-info helpers' bound methods), so the
context dict, and with it everything the request loaded (schedules, users, timeline pages),
would otherwise live until the cyclic garbage collector ran, which then had a whole request's
objects to walk and free in one pause (up to ~170 ms after the dashboard's "on call now"
query, landing on whichever request came next).

It also turns a resolver's failure to reach the database into a SERVICE_UNAVAILABLE error
(:mod:`pagerline.graphql.core.outage`), and gives each operation over a WebSocket its own request
id for the log (:mod:`pagerline.logs`).
"""

from __future__ import annotations

from typing import Any

from graphql import ExecutionResult, OperationType, GraphQLError, GraphQLObjectType, GraphQLOutputType
from graphql.execution.collect_fields import CollectedFields, FieldDetailsList, collect_subfields
from graphql.pyutils import Path
from starlette.requests import Request
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from pagerline.api.errors import is_database_outage
from pagerline.graphql.core import fanout
from pagerline.graphql.core.loaders import Loaders
from pagerline.graphql.core.outage import service_unavailable
from pagerline.logs import begin_operation


class PagerlineExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Shared with the per-event copies (a shallow copy keeps the same dict).
        self._subfields_by_nodes: dict[tuple[Any, ...], CollectedFields] = {}
        self._delivery: fanout.Delivery | None = None  # set on a per-event copy (see build_per_event_executor)
        context = self.context_value
        if isinstance(context, dict) and "operations" in context:
            # An operation over a WebSocket runs in its own task: give it its own request id.
            begin_operation(context["connection_id"], context["operations"])
            # The connection's context outlives its operations: fresh loaders (and "now") for each.
            context["loaders"] = Loaders()

    def build_per_event_executor(self, payload: Any) -> PagerlineExecutionContext:
        executor: PagerlineExecutionContext = super().build_per_event_executor(payload)  # type: ignore[assignment]
        # The generator that yielded ``payload`` has just said which delivery it is for.
        executor._delivery = fanout.current_delivery.get()
        return executor

    def execute_operation(self, serially: bool | None = None) -> Any:
        delivery = self._delivery
        if delivery is None:
            return super().execute_operation(serially)
        key = fanout.operation_key(self.operation, self.variable_values.coerced)
        return fanout.shared_execution(delivery, key, self.context_value, lambda: super(PagerlineExecutionContext, self).execute_operation(serially))

    def build_response(self, data: dict[str, Any] | None) -> Any:
        response = super().build_response(data)
        context = self.context_value
        # Over HTTP the execution is over once its (non-incremental) result is built; over a
        # WebSocket the context is the connection's, shared by its operations: left alone.
        if isinstance(response, ExecutionResult) and isinstance(context, dict) and isinstance(context.get("request"), Request):
            context.pop("loaders", None)
        return response

    def handle_field_error(
        self, raw_error: Exception, return_type: GraphQLOutputType, field_details_list: FieldDetailsList, path: Path
    ) -> None:
        """A resolver that could not reach the database answers SERVICE_UNAVAILABLE, which
        the client can retry, instead of being masked as an internal error."""
        if not isinstance(raw_error, GraphQLError) and is_database_outage(raw_error):  # not one made here already
            where = path.as_list()
            # Below a mutation's root field, the mutation itself has already returned: changed.
            after_change = self.operation.operation is OperationType.MUTATION and len(where) > 1
            raw_error = service_unavailable([d.node for d in field_details_list], where, raw_error, after_change)
        super().handle_field_error(raw_error, return_type, field_details_list, path)

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
