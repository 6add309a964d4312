"""The dashboard's Host/Origin guard at the ASGI level: no server, no browser (the live check is
tests/dashboard/test_page.py::test_requests_from_other_sites_or_names_are_refused)."""

from __future__ import annotations

import asyncio

import pytest

from sim.dashboard.server import guarded

PORT = 8765
HOME = f"127.0.0.1:{PORT}".encode()
LOCAL = f"http://127.0.0.1:{PORT}".encode()
FOREIGN = b"http://evil.example"


def answer(kind: str, headers: list[tuple[bytes, bytes]]) -> tuple[bool, list[dict]]:
    """(whether the app behind the guard was reached, the messages the guard sent) for one request."""
    reached = []

    async def app(scope, receive, send):
        reached.append(scope)

    async def receive():
        return {"type": "websocket.connect"} if kind == "websocket" else {"type": "http.request", "body": b""}

    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    scope = {"type": kind, "path": "/", "headers": headers}
    asyncio.run(guarded(app, PORT)(scope, receive, send))
    return bool(reached), sent


def refused(kind: str, headers: list[tuple[bytes, bytes]]) -> bool:
    reached, sent = answer(kind, headers)
    if kind == "websocket":
        closed = sent == [{"type": "websocket.close", "code": 1008}]
    else:
        closed = bool(sent) and sent[0]["type"] == "http.response.start" and sent[0]["status"] == 403
    assert closed != reached, (reached, sent)
    return closed


KINDS = ["http", "websocket"]


@pytest.mark.parametrize("kind", KINDS)
def test_the_pages_own_requests_pass(kind):
    assert not refused(kind, [(b"host", HOME)])
    assert not refused(kind, [(b"host", HOME), (b"origin", LOCAL)])
    assert not refused(kind, [(b"host", f"localhost:{PORT}".encode()), (b"origin", f"http://localhost:{PORT}".encode())])


@pytest.mark.parametrize("kind", KINDS)
def test_a_foreign_host_or_origin_is_refused(kind):
    assert refused(kind, [])
    assert refused(kind, [(b"host", b"evil.example")])
    assert refused(kind, [(b"host", HOME), (b"origin", FOREIGN)])


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("origins", [[FOREIGN, LOCAL], [LOCAL, FOREIGN], [LOCAL, LOCAL]],
                         ids=["foreign first", "foreign last", "both local"])
def test_two_origin_headers_are_refused_in_any_order(kind, origins):
    """Which copy of a repeated header counts differs between servers and frameworks (a dict of the
    headers keeps the last): a foreign Origin placed first must not pass as the local one."""
    assert refused(kind, [(b"host", HOME), *[(b"origin", o) for o in origins]])


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("hosts", [[b"evil.example", HOME], [HOME, b"evil.example"], [HOME, HOME]],
                         ids=["foreign first", "foreign last", "both local"])
def test_two_host_headers_are_refused_in_any_order(kind, hosts):
    assert refused(kind, [*[(b"host", h) for h in hosts], (b"origin", LOCAL)])


def test_other_scopes_pass_untouched():
    """Lifespan messages carry no headers: the guard leaves them to the app."""

    reached = []

    async def app(scope, receive, send):
        reached.append(scope["type"])

    async def nothing(*_):
        return {}

    asyncio.run(guarded(app, PORT)({"type": "lifespan"}, nothing, nothing))
    assert reached == ["lifespan"]
