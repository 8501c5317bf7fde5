"""How a GraphQL answer reports a database outage: a 503 to retry only when nothing was changed."""

from __future__ import annotations

from pagerline.graphql.core.outage import CODE, mentions_outage, service_unavailable


def _answer(error_extensions: dict[str, object], data: object = None) -> dict[str, object]:
    return {"data": data, "errors": [{"message": "x", "extensions": error_extensions}]}


def test_an_outage_before_any_change_is_a_retryable_answer() -> None:
    error = service_unavailable([], ["login"], ConnectionError("refused"))
    assert error.extensions == {"code": CODE}
    assert mentions_outage(_answer(error.extensions))


def test_an_outage_inside_a_mutations_answer_says_the_change_was_made_and_is_not_retryable() -> None:
    error = service_unavailable([], ["escalateAlert", "logEntries"], ConnectionError("refused"), after_change=True)
    assert error.extensions == {"code": CODE, "changed": True}
    assert "Do not repeat the change" in error.message
    assert not mentions_outage(_answer(error.extensions, data={"escalateAlert": None}))
    # A batch with one retryable outage among them is still a 503.
    assert mentions_outage([_answer(error.extensions), _answer({"code": CODE})])
