"""The one way every REST route reads a request body.

Size first (413 ``PAYLOAD_TOO_LARGE``, counted while reading, so a body without Content-Length
cannot get past it), then the input rule of :mod:`pagerline.engine.core.input_rules`: a body that is
not JSON pagerline accepts (invalid UTF-8 or syntax, ``NaN``/``Infinity``, a number out of range,
nesting past the limit) is a 400 ``INVALID_JSON``; a string (or key) holding text the database
cannot store is a 400 ``INVALID_TEXT`` naming the field. Forms (Twilio callbacks, the e-mail
action page) go through the same size limit and text rule.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request

from pagerline.api.errors import ApiError
from pagerline.engine.core.input_rules import InvalidJson, UnstorableText, check_text, decode_json

#: Forms here are a few short fields (Twilio's callbacks, the action page's token).
MAX_FORM_BYTES = 64 * 1024


def too_large(max_bytes: int) -> ApiError:
    return ApiError(413, "PAYLOAD_TOO_LARGE", f"The body is larger than {max_bytes} bytes")


def unstorable(exc: UnstorableText) -> ApiError:
    return ApiError(400, "INVALID_TEXT", exc.message)


async def read_bytes(request: Request, max_bytes: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isascii() and declared.isdigit() and int(declared) > max_bytes:
        raise too_large(max_bytes)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise too_large(max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: Request, max_bytes: int) -> Any:
    raw = await read_bytes(request, max_bytes)
    try:
        return decode_json(raw)
    except UnstorableText as exc:
        raise unstorable(exc) from exc
    except InvalidJson as exc:
        raise ApiError(400, "INVALID_JSON", exc.message) from exc


async def read_json_object(request: Request, max_bytes: int) -> dict[str, Any]:
    raw = await read_json(request, max_bytes)
    if not isinstance(raw, dict):
        raise ApiError(400, "INVALID_BODY", "The body must be a JSON object")
    return raw


async def read_form(request: Request, max_bytes: int = MAX_FORM_BYTES) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body as a dict (a repeated field keeps its last
    value), every name and value checked by the text rule."""
    return parse_form(await read_bytes(request, max_bytes))


def parse_form(raw: bytes) -> dict[str, str]:
    """A form body already read (one whose signature covers its bytes), by the rules of :func:`read_form`."""
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        raise ApiError(400, "INVALID_FORM", "The form is not URL-encoded UTF-8") from exc
    try:
        for name, value in pairs:
            check_text(name, "a form field name")
            check_text(value, f"the form field {name}")
    except UnstorableText as exc:
        raise unstorable(exc) from exc
    return dict(pairs)
