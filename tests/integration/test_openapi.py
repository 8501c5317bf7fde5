"""``GET /api/openapi.json``: a valid OpenAPI 3.1 document that describes every REST route of the
app (compared with the app's own routes, so a new route cannot go undescribed), and the app's
own answers for no such route or method are JSON ``{status, message, code}`` too."""

from __future__ import annotations

import re

import httpx
from openapi_spec_validator import OpenAPIV31SpecValidator
from starlette.routing import Mount, Route

from pagerline.api.openapi import openapi_document
from pagerline.app import create_app
from pagerline.web import routes as web_routes
from pagerline.settings import Settings

# Not REST: GraphQL describes itself (schema.graphql), and the dashboard is a page and its files.
# GraphQL, and the web app's pages and files (served for browsers, not a REST API).
NOT_REST = {"/graphql", *(route.path for route in web_routes.routes if isinstance(route, Route))}


SETTINGS = Settings(database_url="sqlite://:memory:", secret_key="test-secret")


def app_without_lifespan() -> httpx.AsyncClient:
    """Serving the description needs no database, so the app is used without its lifespan."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(SETTINGS)), base_url="http://pagerline.test")


def rest_operations() -> set[tuple[str, str]]:
    """(path, method) of every REST route, paths in OpenAPI's template form."""
    found: set[tuple[str, str]] = set()
    for route in create_app(SETTINGS).routes:
        if isinstance(route, Mount) or not isinstance(route, Route) or route.path in NOT_REST:
            continue
        path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)  # {token:str} -> {token}
        methods = route.methods or set()
        # Starlette answers HEAD wherever it answers GET; only an explicit HEAD is described.
        found |= {(path, method.lower()) for method in methods if method != "HEAD"}
    return found


def described_operations() -> set[tuple[str, str]]:
    return {
        (path, method)
        for path, item in openapi_document()["paths"].items()
        for method in item
        if method != "head"
    }


def test_the_description_is_valid_openapi_3_1() -> None:
    document = openapi_document()
    assert document["openapi"].startswith("3.1.")
    OpenAPIV31SpecValidator(document).validate()


def test_every_rest_route_is_described_and_nothing_else() -> None:
    assert described_operations() == rest_operations()


def _error_schema(path: str) -> str:
    """The routes that stand in for PagerDuty's and Opsgenie's APIs answer errors in the shape
    those services use, so their clients understand them; every other route uses pagerline's."""
    if path in ("/v2/enqueue", "/v2/change/enqueue"):
        return "PagerDutyError"
    if path.startswith("/v2/alerts"):
        return "OpsgenieError"
    return "Error"


def test_every_described_error_answer_is_the_error_object() -> None:
    for path, item in openapi_document()["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if int(status) < 400 or path == "/readyz":  # not ready is a report of the checks, not an error
                    continue
                content = response.get("content", {})
                if "application/json" in content:
                    assert content["application/json"]["schema"] == {"$ref": f"#/components/schemas/{_error_schema(path)}"}, (path, method, status)
                else:  # the e-mail action page answers its own mistakes as a page
                    assert path == "/api/actions/confirm" and set(content) == {"text/html"}, (path, method, status)


async def test_served_at_api_openapi_json() -> None:
    async with app_without_lifespan() as client:
        response = await client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == openapi_document()


async def test_no_such_route_and_no_such_method_answer_the_error_object() -> None:
    async with app_without_lifespan() as client:
        missing = await client.get("/api/no-such-route")
        wrong_method = await client.delete("/api/events")
    assert (missing.status_code, missing.json()) == (
        404, {"status": 404, "message": "Not Found", "code": "NOT_FOUND"}
    )
    assert (wrong_method.status_code, wrong_method.json()["code"]) == (405, "METHOD_NOT_ALLOWED")
    assert wrong_method.headers["allow"] == "POST"
