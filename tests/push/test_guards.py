"""Fails loudly if a private library detail the push transports (and the fakes) rely on changes.

See STACK_NOTES.md: firebase-admin has no public option for the FCM URL, aioapns none for the
APNs host and port, and pagerline hardens aioapns's response handling by overriding protocol
methods. If one of these tests fails after an upgrade, re-read that library's code before
widening the pin.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
from importlib.metadata import version

import firebase_admin
import pytest
from google.auth.credentials import AnonymousCredentials


def _major(package: str) -> int:
    return int(version(package).split(".")[0])


def test_pinned_majors() -> None:
    assert _major("firebase-admin") == 7
    assert _major("aioapns") == 4
    assert _major("h2") == 4
    assert _major("twilio") == 9


# --------------------------------------------------------------------------- firebase-admin


def test_fcm_url_hook_is_where_fcm_transport_sets_it() -> None:
    from firebase_admin import messaging

    assert messaging._MessagingService.FCM_URL == "https://fcm.googleapis.com/v1/projects/{0}/messages:send"
    app = firebase_admin.initialize_app(AnonymousCredentials(), {"projectId": "guard-project"}, name="pagerline-guard")
    try:
        service = messaging._get_messaging_service(app)
        assert service._fcm_url == "https://fcm.googleapis.com/v1/projects/guard-project/messages:send"
        # The async send reads the instance attribute on every request (so setting it works)...
        source = inspect.getsource(messaging._MessagingService.send_each_async)
        assert "url=self._fcm_url" in source
        assert "self._async_client.request(" in source
        # ...and FcmTransport.close() closes this client itself (delete_app uses asyncio.run).
        assert callable(service._async_client.aclose)
        assert "asyncio.run(self._async_client.aclose())" in inspect.getsource(messaging._MessagingService.close)
    finally:
        firebase_admin.delete_app(app)


def test_point_app_at_refuses_an_unexpected_service() -> None:
    from firebase_admin import messaging

    from pagerline.push.fcm import point_app_at

    app = firebase_admin.initialize_app(AnonymousCredentials(), {"projectId": "guard-project"}, name="pagerline-guard-2")
    try:
        assert point_app_at(app, "http://127.0.0.1:9/") == "http://127.0.0.1:9/v1/projects/guard-project/messages:send"
        messaging._get_messaging_service(app)._fcm_url = "https://elsewhere.example/send"
        with pytest.raises(RuntimeError, match="firebase-admin changed"):
            point_app_at(app, "http://127.0.0.1:9")
    finally:
        firebase_admin.delete_app(app)


def test_firebase_error_types_we_map_still_exist() -> None:
    from firebase_admin import exceptions, messaging

    for name in ("UnregisteredError", "SenderIdMismatchError", "QuotaExceededError", "ThirdPartyAuthError"):
        assert issubclass(getattr(messaging, name), exceptions.FirebaseError)
    assert messaging._MessagingService.FCM_ERROR_TYPES["UNREGISTERED"] is messaging.UnregisteredError
    # "503 retried by the library" in test_fcm.py relies on this default.
    assert "max_retries=4, status_forcelist=[500, 503]" in inspect.getsource(importlib.import_module("firebase_admin._http_client"))


# --------------------------------------------------------------------------- aioapns


def test_aioapns_host_and_port_come_from_the_protocol_class() -> None:
    from aioapns.connection import APNsKeyConnectionPool, APNsProductionClientProtocol, APNsTLSClientProtocol

    assert APNsProductionClientProtocol.APNS_SERVER == "api.push.apple.com"
    assert APNsTLSClientProtocol.APNS_PORT == 443
    source = inspect.getsource(APNsKeyConnectionPool._create_connection)
    assert "host=self.protocol_class.APNS_SERVER" in source
    assert "port=self.protocol_class.APNS_PORT" in source
    assert "ssl=self.ssl_context" in source


def test_aioapns_pool_exposes_protocol_class_when_built_in_a_loop() -> None:
    from aioapns import APNs
    from aioapns.connection import APNsTLSClientProtocol

    from tests.fakes.apns import make_apns_key

    async def build() -> type:
        client = APNs(key=make_apns_key()[0], key_id="K", team_id="T", topic="com.example", use_sandbox=True)
        return client.pool.protocol_class  # type: ignore[no-any-return]

    protocol_class = asyncio.run(build())
    assert issubclass(protocol_class, APNsTLSClientProtocol)
    assert protocol_class.APNS_SERVER == "api.development.push.apple.com"


def test_aioapns_response_handling_we_override_is_still_shaped_the_same() -> None:
    """Our mixin replaces on_response_received / on_data_received / on_stream_ended and
    relies on these attributes; aioapns's dispatcher must still call those hooks."""
    from aioapns.connection import APNsBaseClientProtocol, H2Protocol

    dispatch = inspect.getsource(H2Protocol.data_received)
    for hook in ("self.on_response_received(headers)", "self.on_data_received(", "self.on_stream_ended(event.stream_id)"):
        assert hook in dispatch
    assert "self.free_channels.release()" in inspect.getsource(H2Protocol.on_stream_ended)
    send = inspect.getsource(APNsBaseClientProtocol.send_notification)
    assert "self.requests[request.notification_id] = future_response" in send
    assert "self.request_streams[stream_id] = request.notification_id" in send
    init = inspect.getsource(APNsBaseClientProtocol.__init__)
    for attribute in ("self.requests", "self.request_streams", "self.request_statuses"):
        assert attribute in init
    assert "request.set_exception(closed_connection)" in inspect.getsource(APNsBaseClientProtocol.connection_lost)


def test_our_protocol_class_overrides_host_port_and_keeps_the_base() -> None:
    from aioapns.connection import APNsDevelopmentClientProtocol

    from pagerline.push.apns import _HardenedProtocolMixin, make_protocol_class

    cls = make_protocol_class(APNsDevelopmentClientProtocol, "127.0.0.1", 8443)
    assert (cls.APNS_SERVER, cls.APNS_PORT) == ("127.0.0.1", 8443)
    assert cls.__mro__[1:3] == (_HardenedProtocolMixin, APNsDevelopmentClientProtocol)
    plain = make_protocol_class(APNsDevelopmentClientProtocol)
    assert (plain.APNS_SERVER, plain.APNS_PORT) == ("api.development.push.apple.com", 443)


# --------------------------------------------------------------------------- twilio, h2 (used by the fakes)


def test_twilio_helpers_we_use_exist() -> None:
    from twilio.request_validator import RequestValidator
    from twilio.twiml.voice_response import Gather, VoiceResponse

    assert callable(RequestValidator("t").compute_signature)
    assert callable(VoiceResponse().append) and callable(Gather().say)


def test_h2_server_api_used_by_the_fake_apns() -> None:
    from h2.config import H2Configuration
    from h2.connection import H2Connection

    conn = H2Connection(H2Configuration(client_side=False))
    for name in ("initiate_connection", "update_settings", "receive_data", "send_headers", "send_data", "acknowledge_received_data"):
        assert callable(getattr(conn, name))
