"""An HTTP shim that lets the Elasticsearch 8 client talk to the real OpenSearch node.

No Elasticsearch server can be had on these machines (its jars are not on Maven Central), so the
Elasticsearch adapter would otherwise go untested wherever ``PANTAU_TEST_ELASTICSEARCH_URL`` is not
set. The request bodies are the same for both engines (that is the point of
:mod:`pantau.stores.search_index`); what differs is the client: compatibility media types
(``application/vnd.elasticsearch+json; compatible-with=8``), which OpenSearch refuses, and the
``X-Elastic-Product`` answer header, which the client insists on. The shim translates exactly those
two and forwards everything else untouched, so the whole client path (headers, NDJSON bulk bodies,
response decoding, error mapping) runs against a real engine. It does not replace a run against
real Elasticsearch.
"""

from __future__ import annotations

import http.client
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["ElasticsearchShim"]

_COMPAT = re.compile(r"application/vnd\.elasticsearch\+([a-z\-]+)\s*;\s*compatible-with=\d+")


class _Handler(BaseHTTPRequestHandler):
    upstream: tuple[str, int]
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature of the base class
        """Stay quiet."""

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {}
        for name in ("Content-Type", "Accept", "Authorization"):
            if self.headers.get(name):
                headers[name] = _COMPAT.sub(r"application/\1", self.headers[name])
        conn = http.client.HTTPConnection(*self.upstream, timeout=30)
        try:
            conn.request(self.command, self.path, body=body, headers=headers)
            answer = conn.getresponse()
            data = answer.read()
        finally:
            conn.close()
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.getheader("Content-Type") or "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Elastic-Product", "Elasticsearch")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _forward  # noqa: N815 - http.server's names


class ElasticsearchShim:
    """Serve the shim on a free loopback port in front of ``upstream_host:upstream_port``."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        handler = type("Handler", (_Handler,), {"upstream": (upstream_host, upstream_port)})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> str:
        """Start serving; return the shim's URL."""
        self._thread.start()
        return self.url

    def stop(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()
