"""Firebase Cloud Messaging (HTTP v1) through firebase-admin's async batch API.

Why it looks the way it does:

* ``messaging.send_each_async`` is the async path (``send_each`` starts a thread per message);
  it sends over firebase-admin's own httpx client, which retries HTTP 500/503 itself (up to 4
  times with backoff). We send one message per call: the engine hands us one destination at a
  time and a "batch" is only a ``gather`` of single requests anyway.
* Each transport has its **own named firebase App**, so pagerline never touches (or depends on)
  the process's default app, and two transports (tests, several projects) do not collide.
* httpx connections belong to the event loop that opened them, so the App is created lazily in
  the running loop and re-created if a different loop calls (tests; a worker restart).
* ``PAGERLINE_FCM_ENDPOINT`` points the messaging service at another base URL. firebase-admin
  has no public option for it: we set the service's private ``_fcm_url`` (see STACK_NOTES.md),
  check it is there first, pin firebase-admin, and ``tests/push/test_guards.py`` fails if it
  changes. A TLS endpoint with a private CA is trusted through ``SSL_CERT_FILE``, which
  firebase-admin's httpx client reads when the App is made.
* The access token of a service account is refreshed with a blocking ``requests`` call inside
  google-auth. We refresh it in a thread *before* it expires, so the event loop never blocks.
* Error mapping (STACK_NOTES): UNREGISTERED / SENDER_ID_MISMATCH -> failed, destination dead;
  quota, 5xx, timeouts, network -> retry later; INVALID_ARGUMENT and everything else -> failed
  without touching the token (a 400 may be our payload's fault).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import firebase_admin
import google.auth.credentials
import google.auth.exceptions
from firebase_admin import credentials as fb_credentials
from firebase_admin import exceptions as fb_exceptions
from firebase_admin import messaging

from pagerline.push.base import DeliveryResult, OutgoingMessage, Outcome
from pagerline.push.payloads import build_fcm_message

if TYPE_CHECKING:
    from pagerline.settings import Settings

log = logging.getLogger(__name__)

GOOGLE_FCM_BASE = "https://fcm.googleapis.com"
DEFAULT_CONCURRENCY = 64
DEFAULT_TIMEOUT = 10.0

# Error classes whose failure says nothing about the token and will likely pass later.
_RETRYABLE = (
    messaging.QuotaExceededError,
    fb_exceptions.ResourceExhaustedError,
    fb_exceptions.UnavailableError,
    fb_exceptions.InternalError,
    fb_exceptions.DeadlineExceededError,
    fb_exceptions.UnknownError,
)
_DEAD = (messaging.UnregisteredError, messaging.SenderIdMismatchError)
_LABELS: dict[type[Exception], str] = {
    messaging.UnregisteredError: "UNREGISTERED",
    messaging.SenderIdMismatchError: "SENDER_ID_MISMATCH",
    messaging.QuotaExceededError: "QUOTA_EXCEEDED",
    messaging.ThirdPartyAuthError: "THIRD_PARTY_AUTH_ERROR",
}

Credential = fb_credentials.Base | google.auth.credentials.Credentials


def fcm_send_url(endpoint: str, project_id: str) -> str:
    """The HTTP v1 send URL under a base URL (``https://fcm.googleapis.com`` or a fake's)."""
    return f"{endpoint.rstrip('/')}/v1/projects/{project_id}/messages:send"


def map_fcm_error(exc: Exception) -> DeliveryResult:
    """One FCM failure as a delivery outcome."""
    label = _LABELS.get(type(exc)) or getattr(exc, "code", "") or type(exc).__name__
    reason = f"FCM {label}: {exc}"[:300]
    if isinstance(exc, _DEAD):
        return DeliveryResult(Outcome.FAILED, reason, destination_dead=True)
    if isinstance(exc, _RETRYABLE):
        return DeliveryResult(Outcome.RETRY, reason)
    return DeliveryResult(Outcome.FAILED, reason)


@dataclass
class _LoopState:
    loop: asyncio.AbstractEventLoop
    app: firebase_admin.App
    semaphore: asyncio.Semaphore
    refresh_lock: asyncio.Lock


class FcmTransport:
    """Sends PUSH notifications to FCM registration tokens (Android, and iOS apps using FCM).

    ``credential``: a path to a service-account JSON file, a ``firebase_admin.credentials``
    object, or any ``google.auth`` credentials (tests use ``AnonymousCredentials()``).
    ``project_id``: required unless the service account names it. ``endpoint``: base URL
    replacing ``https://fcm.googleapis.com``. ``concurrency``: requests in flight at once.
    ``timeout``: seconds for one send including firebase-admin's own 5xx retries.
    """

    name = "fcm"

    def __init__(
        self,
        *,
        credential: str | Credential,
        project_id: str | None = None,
        endpoint: str | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if isinstance(credential, str):
            credential = fb_credentials.Certificate(credential)
        self._credential: Credential = credential
        self._project_id = project_id
        self._endpoint = endpoint.rstrip("/") if endpoint else None
        self.concurrency = concurrency
        self.timeout = timeout
        self._state: _LoopState | None = None
        self._init_lock: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None
        self._closed = False

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> FcmTransport:
        if not settings.fcm_credentials and not settings.fcm_project_id:
            raise ValueError("FCM is not configured: set PAGERLINE_FCM_CREDENTIALS and/or PAGERLINE_FCM_PROJECT_ID")
        kwargs: dict[str, Any] = {
            # No file: Google's application-default credentials (GOOGLE_APPLICATION_CREDENTIALS,
            # workload identity, the metadata server).
            "credential": settings.fcm_credentials or fb_credentials.ApplicationDefault(),
            "project_id": settings.fcm_project_id,
            "endpoint": settings.fcm_endpoint,
        }
        kwargs.update(overrides)
        return cls(**kwargs)

    @property
    def project_id(self) -> str | None:
        if self._state is not None:
            return self._state.app.project_id
        return self._project_id

    # ------------------------------------------------------------------ sending

    async def send(self, message: OutgoingMessage) -> DeliveryResult:
        if self._closed:
            raise RuntimeError("FcmTransport is closed")
        try:
            state = await self._loop_state()
        except Exception as exc:  # no project id, unreadable credentials, a changed firebase-admin
            log.error("FCM transport cannot start", exc_info=True)
            return DeliveryResult(Outcome.FAILED, f"FCM setup failed: {type(exc).__name__}: {exc}"[:300])
        try:
            built = build_fcm_message(message)
        except (ValueError, TypeError) as exc:
            return DeliveryResult(Outcome.FAILED, f"invalid FCM message: {exc}"[:300])
        async with state.semaphore:
            problem = await self._ensure_token(state)
            if problem is not None:
                return problem
            try:
                async with asyncio.timeout(self.timeout):  # no extra task, unlike wait_for
                    batch = await messaging.send_each_async([built], dry_run=False, app=state.app)
            except TimeoutError:
                return DeliveryResult(Outcome.RETRY, f"FCM timed out after {self.timeout:g}s")
            except ValueError as exc:  # the encoder refused a field
                return DeliveryResult(Outcome.FAILED, f"invalid FCM message: {exc}"[:300])
            except fb_exceptions.FirebaseError as exc:
                return map_fcm_error(exc)
        response = batch.responses[0]
        if response.success:
            return DeliveryResult(Outcome.DELIVERED, provider_id=response.message_id or "")
        return map_fcm_error(response.exception)

    async def send_many(self, messages: list[OutgoingMessage]) -> list[DeliveryResult]:
        """Several messages at once, in order. Each takes one concurrency slot; firebase-admin's
        "batch" is itself a ``gather`` of single HTTP/2 requests, so this loses nothing."""
        return list(await asyncio.gather(*(self.send(m) for m in messages)))

    async def _ensure_token(self, state: _LoopState) -> DeliveryResult | None:
        """Refresh an expiring access token in a thread (google-auth would do it blocking,
        inside the event loop, on the next request)."""
        cred = state.app.credential.get_credential()
        if getattr(cred, "valid", True):
            return None
        async with state.refresh_lock:
            if getattr(cred, "valid", True):
                return None
            import google.auth.transport.requests

            try:
                await asyncio.to_thread(cred.refresh, google.auth.transport.requests.Request())
            except google.auth.exceptions.RefreshError as exc:
                outcome = Outcome.RETRY if getattr(exc, "retryable", False) else Outcome.FAILED
                return DeliveryResult(outcome, f"FCM credentials: {exc}"[:300])
            except google.auth.exceptions.TransportError as exc:
                return DeliveryResult(Outcome.RETRY, f"FCM credentials: {exc}"[:300])
        return None

    # ------------------------------------------------------------------ app per event loop

    async def _loop_state(self) -> _LoopState:
        loop = asyncio.get_running_loop()
        state = self._state
        if state is not None and state.loop is loop:
            return state
        if self._init_lock is None or self._init_lock[0] is not loop:
            self._init_lock = (loop, asyncio.Lock())
        async with self._init_lock[1]:  # the first sends arrive together: make one App
            state = self._state
            if state is not None and state.loop is loop:
                return state
            if state is not None:
                # Connections of the old loop cannot be closed from this one; drop the App.
                self._state = None
                await asyncio.to_thread(_delete_app_quietly, state.app)
            # In a thread: loading credentials may read files or ask a metadata server.
            app = await asyncio.to_thread(self._make_app)
            self._state = _LoopState(loop, app, asyncio.Semaphore(self.concurrency), asyncio.Lock())
            return self._state

    def _make_app(self) -> firebase_admin.App:
        options: dict[str, Any] = {"httpTimeout": self.timeout}
        if self._project_id:
            options["projectId"] = self._project_id
        app = firebase_admin.initialize_app(
            self._credential, options=options, name=f"pagerline-fcm-{uuid.uuid4().hex[:12]}"
        )
        try:
            if self._endpoint:
                point_app_at(app, self._endpoint)
            else:
                _messaging_service(app)  # fails here, not on the first page, without a project id
        except Exception:
            _delete_app_quietly(app)
            raise
        return app

    async def close(self) -> None:
        self._closed = True
        state, self._state = self._state, None
        if state is None:
            return
        if state.loop is asyncio.get_running_loop():
            with contextlib.suppress(Exception):
                await _messaging_service(state.app)._async_client.aclose()
        await asyncio.to_thread(_delete_app_quietly, state.app)


def _messaging_service(app: firebase_admin.App) -> Any:
    return messaging._get_messaging_service(app)


def point_app_at(app: firebase_admin.App, endpoint: str) -> str:
    """Make ``app``'s messaging service send to ``endpoint`` instead of Google. Private hook
    (STACK_NOTES.md): the service keeps the formatted send URL in ``_fcm_url``. Refuses loudly
    if that attribute is not what firebase-admin 7.x had, rather than silently sending to
    Google. Returns the URL now used."""
    service = _messaging_service(app)
    current = getattr(service, "_fcm_url", None)
    expected = messaging._MessagingService.FCM_URL.format(app.project_id)
    if not isinstance(current, str) or current != expected:
        raise RuntimeError(
            "firebase-admin changed its messaging service (no _fcm_url equal to "
            f"{expected!r}); PAGERLINE_FCM_ENDPOINT cannot be applied to firebase-admin "
            f"{firebase_admin.__version__}"
        )
    service._fcm_url = fcm_send_url(endpoint, app.project_id)
    return str(service._fcm_url)


def _delete_app_quietly(app: firebase_admin.App) -> None:
    """``delete_app`` closes the service's httpx client with ``asyncio.run``, so it must run
    outside any event loop (a thread); a client already closed, or one whose loop is gone, is
    not worth an error at shutdown."""
    with contextlib.suppress(Exception):
        firebase_admin.delete_app(app)
