"""Fails loudly if a library detail the shared subscription fan-out relies on changes.

:mod:`pagerline.graphql.core.fanout` executes a subscription event once per group of alike
subscriptions by overriding graphql-core's per-event executor, and writes one serialization to
every socket by recognising the result's ``data`` in Strawberry's ``next`` message. Neither
library promises those details: if a test here fails after an upgrade, re-read that code
(graphql-core's ``map_source_to_response_event``, Strawberry's graphql-transport-ws
``Operation.send_next`` and ``Schema._handle_execution_result``) before widening the pins in
pyproject.toml.
"""

from __future__ import annotations

import importlib
import inspect
from importlib.metadata import version

from graphql.execution.async_iterables import map_async_iterable
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.base import BaseView
from strawberry.schema.schema import Schema
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import Operation

from pagerline.graphql.core.execution import PagerlineExecutionContext

graphql_execute = importlib.import_module("graphql.execution.execute")  # the module, not the function


def test_pinned_versions() -> None:
    assert version("strawberry-graphql").startswith("0.341."), version("strawberry-graphql")
    assert version("graphql-core").startswith("3.3."), version("graphql-core")


def test_each_event_runs_on_a_per_event_copy_of_the_executor_in_the_subscribers_task() -> None:
    # The copy is made, and executed, right after the generator returned the value: the
    # delivery the generator set in a context variable is still the current one.
    mapping = inspect.getsource(graphql_execute.map_source_to_response_event)
    assert "build_executor = executor.build_per_event_executor" in mapping
    assert "root_selection_set_executor(build_executor(payload))" in mapping
    assert "map_async_iterable(" in mapping
    assert "yield await callback(item)" in inspect.getsource(map_async_iterable)  # no await in between
    assert "executor.execute_operation(False)" in inspect.getsource(graphql_execute.execute_subscription_event)
    assert "build_per_event_executor" in vars(PagerlineExecutionContext) and "execute_operation" in vars(PagerlineExecutionContext)


def test_the_next_message_carries_the_results_data_object_itself() -> None:
    # The shared serialization is found by the identity of the result's data: Strawberry must
    # pass that dict on, not a copy.
    handled = inspect.getsource(Schema._handle_execution_result)
    assert "result = ExecutionResult(data=result.data, errors=result.errors)" in handled
    sent = inspect.getsource(Operation.send_next)
    assert 'next_payload: NextMessagePayload = {"data": execution_result.data}' in sent
    assert '{"id": self.id, "type": "next", "payload": next_payload}' in sent


def test_the_websocket_adapter_writes_text_on_its_starlette_socket() -> None:
    adapter = inspect.getsource(ASGIWebSocketAdapter.send_json)
    assert "self.view.encode_json(message)" in adapter and "await self.ws.send_text(encoded_data)" in adapter
    # The spliced message is compact JSON, as Strawberry's own encoding is.
    assert 'json.dumps(data, separators=(",", ":"))' in inspect.getsource(BaseView.encode_json)
