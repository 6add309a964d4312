"""Serve the what-if page: Solara's Starlette app on 127.0.0.1, behind a guard that admits this
machine's own pages only.

Binding to loopback is not enough: any web site the user visits could script the page's
websocket (cross-site websocket hijacking) or reach it through a DNS name that resolves to
127.0.0.1 (DNS rebinding). So every request must carry ``Host: 127.0.0.1:PORT`` or
``localhost:PORT``, and a request that says where it comes from (``Origin``) must come from
there too. Run as ``python -m sim.dashboard.server PORT PARENT_PID`` by ``sim dashboard``.
"""

from __future__ import annotations

import os
import sys

from sim.engine.watchdog import watch_driver


def guarded(app, port: int):
    """``app`` behind the Host and Origin check (an ASGI middleware)."""
    hosts = {f"127.0.0.1:{port}", f"localhost:{port}"}
    origins = {f"http://{host}" for host in hosts}

    async def guard(scope, receive, send):
        if scope["type"] in ("http", "websocket") and not admitted(scope["headers"], hosts, origins):
            if scope["type"] == "websocket":
                await receive()  # the connect message, then refuse it (the client sees 403)
                await send({"type": "websocket.close", "code": 1008})
                return
            await send({"type": "http.response.start", "status": 403,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
            await send({"type": "http.response.body",
                        "body": b"forbidden: the dashboard only answers pages of 127.0.0.1 itself\n"})
            return
        await app(scope, receive, send)

    return guard


def admitted(headers: list[tuple[bytes, bytes]], hosts: set[str], origins: set[str]) -> bool:
    """Exactly one Host, one of ``hosts``, and at most one Origin, one of ``origins``.

    A repeated header is refused whatever its values: servers, proxies and frameworks disagree on
    which copy counts (a dict of the headers keeps the last), so a foreign Origin placed before a
    local one must not slip past a check that reads the other copy."""
    host = [value for name, value in headers if name.lower() == b"host"]
    origin = [value for name, value in headers if name.lower() == b"origin"]
    return (len(host) == 1 and host[0].decode("latin-1") in hosts
            and len(origin) <= 1 and all(value.decode("latin-1") in origins for value in origin))


def main(port: int, parent: int) -> None:
    import warnings

    import uvicorn  # deferred, as solara below: importing this module for its guard should not load a server

    watch_driver(parent)  # the server goes when `sim dashboard` goes, even on SIGKILL
    # plain http is right on loopback; Solara warns about its session cookie on every first visit
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")
    os.environ["SOLARA_APP"] = "sim.dashboard.app"
    os.environ["SOLARA_THEME_SHOW_BANNER"] = "false"  # the "runs on Solara" badge sat over the results
    os.environ["SERVER_NAME"], os.environ["SERVER_PORT"] = "127.0.0.1", str(port)
    from solara.server.starlette import app  # after the environment above, which Solara reads on import

    uvicorn.run(guarded(app, port), host="127.0.0.1", port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
