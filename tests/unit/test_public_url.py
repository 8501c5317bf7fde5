"""Links follow `serve --host/--port` unless PAGERLINE_PUBLIC_URL says otherwise."""

from __future__ import annotations

import pytest

from pagerline.settings import Settings


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        ("127.0.0.1", 9000, "http://127.0.0.1:9000"),
        ("0.0.0.0", 8080, "http://127.0.0.1:8080"),  # every interface: loopback is one that surely works
        ("::", 8080, "http://[::1]:8080"),
        ("::1", 8000, "http://[::1]:8000"),
        ("pager.lan", 8000, "http://pager.lan:8000"),
    ],
)
def test_without_a_public_url_links_name_the_served_address(host: str, port: int, expected: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAGERLINE_PUBLIC_URL", raising=False)
    assert Settings().public_url_for(host, port) == expected


def test_a_public_url_that_is_set_wins_over_the_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAGERLINE_PUBLIC_URL", "https://pagerline.example.com")
    assert Settings().public_url_for("0.0.0.0", 9000) == "https://pagerline.example.com"
    assert Settings(public_url="http://10.0.0.5:8000").public_url_for("127.0.0.1", 9000) == "http://10.0.0.5:8000"
