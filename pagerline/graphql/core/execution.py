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

Fields that only read attributes (of built-in scalars and enums, and objects and lists of
them) are answered directly, without graphql-core's per-field machinery
(:mod:`pagerline.graphql.core.plain_fields`): lists of hundreds of small objects ("on call now",
many on-call lookups) spent most of their time there.

It also turns a resolver's failure to reach the database into a SERVICE_UNAVAILABLE error
(:mod:`pagerline.graphql.core.outage`), and gives each operation over a WebSocket its own request
id for the log (:mod:`pagerline.logs`).
"""

from __future__ import annotations

from typing import Any

from graphql import ExecutionResult, OperationType, GraphQLError, GraphQLObjectType, GraphQLOutputType
from graphql.execution.collect_fields import CollectedFields, FieldDetailsList, GroupedFieldSet, collect_subfields
from graphql.pyutils import AwaitableOrValue, Path, Undefined, gather_with_cancel
from starlette.requests import Request
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from pagerline.api.errors import is_database_outage
from pagerline.graphql.core import fanout
from pagerline.graphql.core.loaders import Loaders
from pagerline.graphql.core.outage import service_unavailable
from pagerline.graphql.core.plain_fields import Completion, PlainField, answer, plan_completion, plan_field
from pagerline.logs import begin_operation


class PagerlineExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Shared with the per-event copies (a shallow copy keeps the same dict).
        self._subfields_by_nodes: dict[tuple[Any, ...], CollectedFields] = {}
        # id(grouped field set) -> (that set, each field's plain answer or None); the set is
        # held so that its id is not reused. Shared with the per-event copies, like the above.
        self._plans: dict[int, tuple[GroupedFieldSet, list[tuple[str, FieldDetailsList, PlainField | None]]]] = {}
        # (id(type), id(field details)) -> (both, how to complete a value of it or None), held alike.
        self._completions: dict[tuple[int, int], tuple[Any, FieldDetailsList, Completion | None]] = {}
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

    def _plan(self, parent_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet) -> list[tuple[str, FieldDetailsList, PlainField | None]]:
        held = self._plans.get(id(grouped_field_set))
        if held is not None and held[0] is grouped_field_set:
            return held[1]
        plan = [
            (response_name, field_details_list, plan_field(parent_type, field_details_list, self.collect_subfields))
            for response_name, field_details_list in grouped_field_set.items()
        ]
        self._plans[id(grouped_field_set)] = (grouped_field_set, plan)
        return plan

    def complete_value(
        self,
        return_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        info: Any,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> AwaitableOrValue[Any]:
        """graphql-core's ``complete_value``, answering directly when the value's type and
        selection are plain (a resolver's list of small objects); anything unusual, an error to
        report included, takes graphql-core's path instead."""
        key = (id(return_type), id(field_details_list))
        held = self._completions.get(key)
        if held is None or held[0] is not return_type or held[1] is not field_details_list:
            completion = None if self._has_middleware() else plan_completion(return_type, field_details_list, self.collect_subfields)
            held = self._completions[key] = (return_type, field_details_list, completion)
        if held[2] is not None:
            try:
                return answer(held[2], result)
            except Exception:  # noqa: BLE001 - graphql-core's path below answers it (or reports it)
                pass
        return super().complete_value(return_type, field_details_list, info, path, result, position_context)

    def _has_middleware(self) -> bool:
        """Middleware wraps every resolver, so no field may be answered around it."""
        middleware = self.middleware_manager
        return middleware is not None and bool(middleware.middlewares)

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        """graphql-core's ``execute_fields``, with plain fields answered directly (see the
        module's docstring). A plain field whose value is anything unusual (an error to report
        included) takes graphql-core's path instead."""
        if self._has_middleware():
            return super().execute_fields(parent_type, source_value, path, grouped_field_set, position_context)
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        try:
            for response_name, field_details_list, plain in self._plan(parent_type, grouped_field_set):
                if plain is not None:
                    try:
                        results[response_name] = answer(plain.completion, getattr(source_value, plain.attribute))
                        continue
                    except Exception:  # noqa: BLE001 - graphql-core's path below answers it (or reports it)
                        pass
                result = self.execute_field(
                    parent_type, source_value, field_details_list, Path(path, response_name, parent_type.name), position_context
                )
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                # As graphql-core does: awaitables of other fields are settled, as they may fail too.
                self.settle_in_background([results[field] for field in awaitable_fields])
            raise
        if not awaitable_fields:
            return results

        async def get_results() -> dict[str, Any]:
            if len(awaitable_fields) == 1:
                field = awaitable_fields[0]
                results[field] = await results[field]
            else:
                awaited = await gather_with_cancel(*(results[field] for field in awaitable_fields))
                results.update(zip(awaitable_fields, awaited, strict=True))
            return results

        return get_results()

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
