"""The web view's HTTP server, on 127.0.0.1 only, as notebook servers do it: a token made at start,
printed in the page's URL; the page, once opened with it, holds it in a cookie; every request for
data without it is refused (403).

    GET /?token=T            the page (sets the cookie)
    GET /static/app.js|style.css
    GET /api/snapshot        everything the page starts from (`Journal.snapshot`)
    GET /api/changes?since=N what changed after N, waiting up to 20 s for a change
    GET /api/pod?uid=U       one pod's timeline, Events, explanations, diagnosis

The server reads the journal only: nothing a request sends changes the cluster.
"""

from __future__ import annotations

import functools
import http.cookies
import ipaddress
import json
import secrets
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from listwatch import errors
from listwatch.web import page
from listwatch.web.journal import Journal

COOKIE = "listwatch-token"
#: How long a request for changes waits for one before it answers "nothing new".
LONG_POLL_SECONDS = 20.0


class UIServer:
    """Serves `journal` as the web view until `stop`."""

    def __init__(self, journal: Journal, *, port: int = 0, host: str = "127.0.0.1") -> None:
        if not ipaddress.ip_address(host).is_loopback:
            raise errors.ListwatchError(
                f"the web view is served on a loopback address only (127.0.0.1), not {host}"
            )
        self.journal = journal
        self.token = secrets.token_hex(24)
        handler = type("Handler", (_Handler,), {"ui": self})
        try:
            self._httpd = _Listener((host, port), handler)
        except OSError as exc:
            raise errors.ListwatchError(
                f"cannot serve the web view on {host}:{port}: {exc.strerror or exc}"
            ) from exc
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="listwatch-ui", daemon=True
        )

    @functools.cached_property
    def html(self) -> str:
        """The page, drawn (Graphviz's `dot` runs) when first asked for, not at start."""
        return page.document(self.journal.spec, boot={"mode": self.journal.mode}, inline=False)

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """The page's address, with the token: what to open in a browser."""
        return f"http://127.0.0.1:{self.port}/?token={self.token}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop serving; a request waiting for changes is answered at once."""
        self.journal.close()
        if self._thread.is_alive():
            self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> UIServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Listener(ThreadingHTTPServer):
    """The standard threading server, quiet about a browser that went away and, for anything
    else one request raised, one line on stderr instead of a traceback."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if not isinstance(error, ConnectionError | TimeoutError):
            sys.stderr.write(f"listwatch: the web view failed a request: {error!r}\n")


class _Handler(BaseHTTPRequestHandler):
    ui: UIServer
    server_version = "listwatch"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Requests are not logged: the terminal is the cluster's."""

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        try:
            if url.path == "/":
                self._page(query)
            elif url.path.startswith("/static/"):
                self._asset(url.path.removeprefix("/static/"))
            elif url.path.startswith("/api/"):
                if not self._authorised(query):
                    self._json(HTTPStatus.FORBIDDEN, {"message": "no token: open the URL printed"})
                else:
                    self._api(url.path.removeprefix("/api/"), query)
            else:
                self._json(HTTPStatus.NOT_FOUND, {"message": f"no such page: {url.path}"})
        except (BrokenPipeError, ConnectionResetError):
            pass  # the browser went away

    def _authorised(self, query: dict[str, list[str]]) -> bool:
        given = query.get("token", [""])[0]
        if not given:
            cookies = http.cookies.SimpleCookie()
            try:
                cookies.load(self.headers.get("Cookie", ""))
            except http.cookies.CookieError:
                return False
            morsel = cookies.get(COOKIE)
            given = morsel.value if morsel is not None else ""
        return bool(given) and secrets.compare_digest(given, self.ui.token)

    def _page(self, query: dict[str, list[str]]) -> None:
        if not self._authorised(query):
            body = (
                "<!doctype html><title>listwatch: token needed</title><p>This page needs the "
                "token: open the URL that <code>listwatch serve</code> (or <code>listwatch "
                "view</code>) printed, with its <code>?token=</code>.</p>"
            )
            self._send(HTTPStatus.FORBIDDEN, body.encode(), "text/html; charset=utf-8")
            return
        cookie = f"{COOKIE}={self.ui.token}; Path=/; HttpOnly; SameSite=Strict"
        self._send(
            HTTPStatus.OK,
            self.ui.html.encode("utf-8"),
            "text/html; charset=utf-8",
            {"Set-Cookie": cookie},
        )

    def _asset(self, name: str) -> None:
        kind = page.ASSETS.get(name)
        if kind is None:
            self._json(HTTPStatus.NOT_FOUND, {"message": f"no such file: {name}"})
            return
        self._send(HTTPStatus.OK, page.asset(name).encode("utf-8"), f"{kind}; charset=utf-8")

    def _api(self, name: str, query: dict[str, list[str]]) -> None:
        journal = self.ui.journal
        if name == "snapshot":
            self._json(HTTPStatus.OK, journal.snapshot())
        elif name == "changes":
            raw = query.get("since", ["0"])[0]
            if not raw.isdigit():
                self._json(HTTPStatus.BAD_REQUEST, {"message": f"since={raw!r}: not a number"})
                return
            self._json(HTTPStatus.OK, journal.since(int(raw), timeout=LONG_POLL_SECONDS))
        elif name == "pod":
            uid = query.get("uid", [""])[0]
            detail = journal.pod(uid)
            if detail is None:
                self._json(HTTPStatus.NOT_FOUND, {"message": f"no pod with uid {uid!r}"})
            else:
                self._json(HTTPStatus.OK, detail)
        else:
            self._json(HTTPStatus.NOT_FOUND, {"message": f"no such data: {name}"})

    def _json(self, status: HTTPStatus, value: Any) -> None:
        body = json.dumps(value, separators=(",", ":"), default=str).encode("utf-8")
        self._send(status, body, "application/json")

    def _send(
        self,
        status: HTTPStatus,
        body: bytes,
        kind: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)
