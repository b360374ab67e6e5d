"""A local HTTP server that replays platform answers, for connector tests (no network)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["Recorded", "ReplayServer", "Reply"]


@dataclass
class Reply:
    """One canned answer."""

    json: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None


@dataclass
class Recorded:
    """One request the server received."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass
class _Route:
    method: str
    path: str
    match: dict[str, str | None]
    replies: list[Reply]


class ReplayServer:
    """Serve canned replies by method, path and (optionally) query parameters.

    A route's replies are served in order; the last one repeats. ``match`` values of None
    require the parameter to be absent.
    """

    def __init__(self) -> None:
        self.routes: list[_Route] = []
        self.requests: list[Recorded] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                server.requests.append(Recorded(self.command, parts.path, query, dict(self.headers), body))
                reply = server._reply(self.command, parts.path, query)
                data = reply.body if reply.body is not None else json.dumps(reply.json).encode()
                self.send_response(reply.status)
                if reply.body is None:
                    self.send_header("Content-Type", "application/json")
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _serve  # noqa: N815 - http.server's naming

            def log_message(self, *_args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def add(self, method: str, path: str, *replies: Reply, **match: str | None) -> None:
        """Add a route; ``match`` restricts it to requests with these query parameters."""
        self.routes.append(_Route(method, path, match, list(replies)))

    def _reply(self, method: str, path: str, query: dict[str, str]) -> Reply:
        for route in self.routes:
            if route.method != method or route.path != path:
                continue
            if all(
                (query.get(k) is None) if v is None else query.get(k) == v for k, v in route.match.items()
            ):
                return route.replies.pop(0) if len(route.replies) > 1 else route.replies[0]
        return Reply({"error": f"no route for {method} {path} {query}"}, status=404)

    def calls(self, path: str) -> list[Recorded]:
        """Requests received on ``path``."""
        return [r for r in self.requests if r.path == path]

    def __enter__(self) -> ReplayServer:
        self.thread.start()
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
