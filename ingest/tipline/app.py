"""The tipline's HTTP endpoint (FastAPI): citizens and partners submit a link, a text or a file.

``POST /tips`` takes ``multipart/form-data`` (fields ``text``, ``url``, ``contact``,
``language`` and one ``file``), ``application/x-www-form-urlencoded`` or JSON, and answers
``202 {"ack_id": "TIP-XXXX-XXXX", "received_at": ...}``. Limits are checked before parsing:
``Content-Length`` and the bytes actually read (413), tips per client IP, or per partner key
when one is presented (429 with ``Retry-After``). A key is sent as ``X-API-Key`` or
``Authorization: Bearer``; a wrong key is refused (401), never downgraded to anonymous. A client
that may retry sends an ``Idempotency-Key`` header (8-200 characters): a retry with the same key
answers the first ack id and files nothing. Text that is not valid Unicode (a lone surrogate in
JSON) and JSON nested too deeply are refused with 400 before anything is written.
``GET /`` serves a plain form for people without an app; ``GET /health`` and ``GET /healthz`` answer
that the process is alive, ``GET /readyz`` whether a tip can be filed now (503 when the spool or the
contacts database cannot be written). Metrics are not on this public port: with ``metrics.port``
set, :func:`serve` starts :func:`pantau.metrics.serve` on it (``/metrics``, ``/healthz``, ``/readyz``).

Run it with ``pantau tipline`` (the lead's CLI calls :func:`serve`) or
``uvicorn --factory ingest.tipline.app:app_from_env``.
"""

# No ``from __future__ import annotations`` here: FastAPI reads the endpoints' annotations at
# runtime, and ``Request`` is imported inside create_app() so that importing this module is cheap.
import ipaddress
import json
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ingest.tipline.intake import TipIntake, TiplineOptions, TipRejected, tipline_options
from pantau import metrics
from pantau.errors import ConfigError
from pantau.ratelimit import RateLimiter

__all__ = ["client_key", "create_app", "readiness", "serve"]

_FORM = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Report election content</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head><body>
<h1>Report a post, video or message</h1>
<p>Send a link, a description or a file. Leave a contact only if you agree to be contacted; it is kept
apart from your report and never published.</p>
<form method="post" action="tips" enctype="multipart/form-data">
<p><label>Link <input name="url" type="url" size="60"></label></p>
<p><label>What did you see? <textarea name="text" rows="6" cols="60"></textarea></label></p>
<p><label>File (image, video, audio) <input name="file" type="file"></label></p>
<p><label>Contact (optional) <input name="contact" size="40"></label></p>
<p><button type="submit">Send</button></p></form></body></html>"""


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [2001:db8::1]:443
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # 203.0.113.9:443
        text = text.split(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def client_key(
    peer: str, forwarded_for: str | None, trusted: list[ipaddress.IPv4Network | ipaddress.IPv6Network]
) -> str:
    """The rate-limit key of a client: its address (IPv4) or its /64 (IPv6).

    With ``forwarded_for`` (``trust_forwarded_for`` on), hops are read from the right: the left
    entries are whatever the client wrote, only the right ones were added by proxies. The first hop
    that is not a trusted proxy is the client; with no proxies listed, the right-most entry (what
    the one proxy in front saw). A peer that is not one of the listed proxies is the client itself.

    >>> client_key("10.0.0.2", "1.2.3.4, 198.51.100.7", [])
    '198.51.100.7'
    >>> proxy = [ipaddress.ip_network("10.0.0.0/8")]
    >>> client_key("10.0.0.2", "1.2.3.4, 198.51.100.7, 10.0.0.5", proxy)
    '198.51.100.7'
    >>> client_key("203.0.113.1", "1.2.3.4", proxy)
    '203.0.113.1'
    >>> client_key("2001:db8:1:2:aaaa::1", None, [])
    '2001:db8:1:2::/64'
    """
    hop = _address(peer)
    if forwarded_for and (not trusted or (hop is not None and any(hop in n for n in trusted))):
        for entry in reversed(forwarded_for.split(",")[-32:]):
            address = _address(entry)
            if address is None:
                break  # not an address: our proxy did not write it; keep the last good hop
            hop = address
            if not any(address in n for n in trusted):
                break
    if hop is None:
        return peer[:64]
    if isinstance(hop, ipaddress.IPv6Address):
        if hop.ipv4_mapped is not None:
            return str(hop.ipv4_mapped)
        return str(ipaddress.ip_network(f"{hop}/64", strict=False))
    return str(hop)


def create_app(
    settings: Any,
    options: TiplineOptions | None = None,
    *,
    intake: TipIntake | None = None,
    credentials: dict[str, str] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Any:
    """Build the FastAPI application of the tipline.

    :param settings: Pantau settings (``data_dir``, ``media.max_bytes``, the tipline source's options).
    :param options: tipline options; default: those of the ``kind = "tipline"`` source.
    :param intake: where tips go; default: a :class:`TipIntake` under ``settings.data_dir``.
    :param credentials: the tipline source's secrets (WhatsApp webhook); default: from settings.
    :param clock: monotonic clock of the rate limiters (tests pass their own).
    """
    from fastapi import FastAPI, Request
    from fastapi.responses import HTMLResponse, JSONResponse
    from starlette.concurrency import run_in_threadpool

    if options is None or credentials is None:
        configured, configured_credentials = tipline_options(settings)
        options = options or configured
        credentials = configured_credentials if credentials is None else credentials
    if intake is None:
        intake = TipIntake(Path(settings.data_dir), options, settings.media.max_bytes)
    ip_limits = RateLimiter(options.ip_limit, options.window_s, clock)
    key_limits = RateLimiter(options.key_limit, options.window_s, clock)
    # Text fields and multipart framing on top of the largest file; JSON and forms carry no file.
    max_request = intake.max_file_bytes + options.max_text_chars * 4 + 64 * 1024
    max_small = options.max_text_chars * 4 + 64 * 1024
    # Uploads at once: each holds at most a block in memory (the file spools to disk), so memory is
    # bounded by this count, not by how many clients send 25 MB at the same time.
    upload_slots = threading.BoundedSemaphore(options.max_concurrent_uploads)

    app = FastAPI(title="Pantau tipline", version="1", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.intake = intake
    app.state.upload_slots = upload_slots

    def refuse(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
        metrics.TIPS_REFUSED.labels(str(status)).inc()
        return JSONResponse({"error": message}, status_code=status, headers=headers)

    try:
        proxies = [ipaddress.ip_network(n, strict=False) for n in options.trusted_proxies]
    except ValueError as exc:
        raise ConfigError(f"tipline trusted_proxies: {exc}") from exc

    def client_ip(request: Request) -> str:
        peer = request.client.host if request.client else "unknown"
        forwarded = request.headers.get("x-forwarded-for") if options.trust_forwarded_for else None
        return client_key(peer, forwarded, proxies)

    def presented_key(request: Request) -> str | None:
        key = request.headers.get("x-api-key")
        auth = request.headers.get("authorization", "")
        if not key and auth.lower().startswith("bearer "):
            key = auth[7:].strip()
        return key or None

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "alive"}

    @app.get("/readyz")
    def readyz() -> Any:
        ok, details = readiness(intake)
        return JSONResponse({"ready": ok, **details}, status_code=200 if ok else 503)

    @app.get("/", response_class=HTMLResponse)
    def form() -> str:
        return _FORM

    @app.post("/tips", status_code=202)
    async def submit(request: Request) -> Any:
        key = presented_key(request)
        partner = intake.partner(key)
        if key is not None and partner is None:
            return refuse(401, "unknown API key")
        if partner is None and options.require_api_key:
            return refuse(401, "this tipline accepts tips from partners with an API key only")
        wait = key_limits.hit(f"key:{partner}") if partner else ip_limits.hit(f"ip:{client_ip(request)}")
        if wait is not None:
            return refuse(429, "too many tips; try again later", {"Retry-After": str(int(wait) + 1)})
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > max_request:
            return refuse(413, f"request over {max_request} bytes")
        upload = _content_type(request) == "multipart/form-data"
        if upload and not upload_slots.acquire(blocking=False):
            return refuse(503, "the tipline is busy; try again shortly", {"Retry-After": "5"})
        form = None
        try:
            try:
                fields, file, form = await _parse(request, max_request if upload else max_small)
            except TipRejected as exc:
                return refuse(exc.status, str(exc))
            return await _file_tip(request, fields, file, partner)
        finally:
            if form is not None:
                await form.close()
            if upload:
                upload_slots.release()

    async def _file_tip(
        request: Request, fields: dict[str, str | None], file: Any, partner: str | None
    ) -> Any:
        """Hand the parsed tip to the intake (in a worker thread: it hashes and writes the file)."""
        retry_key = request.headers.get("idempotency-key")
        if retry_key is not None and not 8 <= len(retry_key) <= 200:
            return refuse(400, "Idempotency-Key must be 8 to 200 characters")
        try:
            ack = await run_in_threadpool(
                intake.submit,
                text=fields.get("text"),
                url=fields.get("url"),
                file=file,
                contact=fields.get("contact"),
                language=fields.get("language"),
                channel="api" if partner else "web",
                partner=partner,
                # A retry with the same key gets the first ack id and files nothing; a key is the
                # sender's own (per partner, or per client address when anonymous).
                dedupe_key=None if retry_key is None else (
                    f"http:{f'key:{partner}' if partner else f'ip:{client_ip(request)}'}:{retry_key}"
                ),
            )
        except TipRejected as exc:
            return refuse(exc.status, str(exc))
        except (OSError, sqlite3.Error):  # disk full, read-only: nothing was filed, the sender may retry
            return refuse(503, "the tip could not be stored; please try again later", {"Retry-After": "60"})
        return {**ack, "message": "Thank you. Keep this id if you want to follow up on your tip."}

    from ingest.tipline.whatsapp import mount_whatsapp

    mount_whatsapp(app, intake, options, credentials)
    return app


_FIELDS = ("text", "url", "contact", "language")


class _TooLarge(Exception):
    """The request body went past its limit while it streamed in."""


def _content_type(request: Any) -> str:
    return str(request.headers.get("content-type", "")).split(";")[0].strip().lower()


async def _read_capped(request: Any, limit: int) -> bytes:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise TipRejected(f"request over {limit} bytes", status=413)
    return bytes(body)


async def _parse(request: Any, limit: int) -> tuple[dict[str, str | None], Any, Any]:
    """Fields, the uploaded file (a file object spooled to disk, or None) and the form to close.

    JSON and URL-encoded forms are small and read into memory (capped); a multipart body is parsed
    as it streams in, its file part spooled to disk past 1 MiB by Starlette, and the bytes are
    counted on the way: past ``limit`` the parse stops with 413.
    """
    from starlette.requests import Request

    content_type = _content_type(request)
    if content_type == "application/json":
        body = await _read_capped(request, limit)
        try:
            data = json.loads(body or b"{}")
        except ValueError as exc:
            raise TipRejected("body is not valid JSON") from exc
        except RecursionError:  # [[[[... 2,000 deep: the parser's own limit
            raise TipRejected("JSON nested too deeply; send an object of text fields") from None
        if not isinstance(data, dict):
            raise TipRejected("JSON body must be an object")
        return {k: v if isinstance(v := data.get(k), str) else None for k in _FIELDS}, None, None
    if content_type not in ("multipart/form-data", "application/x-www-form-urlencoded"):
        raise TipRejected("send multipart/form-data, a form or JSON", status=415)
    if content_type == "application/x-www-form-urlencoded":
        request._body = await _read_capped(request, limit)  # noqa: SLF001 - form() reads _body when set
        source = request
    else:
        seen = 0
        receive = request.receive

        async def counted() -> Any:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _TooLarge
            return message

        source = Request(request.scope, counted)
    try:
        form = await source.form(max_files=1, max_fields=10)
    except _TooLarge:
        raise TipRejected(f"request over {limit} bytes", status=413) from None
    except Exception as exc:  # noqa: BLE001 - the multipart parser raises several types
        raise TipRejected(f"malformed form: {type(exc).__name__}") from exc
    fields: dict[str, str | None] = {}
    for key in _FIELDS:
        value = form.get(key)
        fields[key] = value if isinstance(value, str) else None
    upload = form.get("file")
    file = upload.file if upload is not None and not isinstance(upload, str) else None
    return fields, file, form


def readiness(intake: TipIntake) -> tuple[bool, dict[str, Any]]:
    """Whether ``intake`` can file a tip now, with the error class when it cannot (no paths shown)."""
    try:
        intake.check()
    except (OSError, sqlite3.Error) as exc:
        return False, {"spool": type(exc).__name__}
    return True, {"spool": "writable"}


def serve(settings: Any, host: str = "127.0.0.1", port: int = 8780) -> None:
    """Run the tipline HTTP server (and its Telegram bot, when a ``bot_token`` is configured).

    :param settings: Pantau settings; the tipline reads the ``kind = "tipline"`` source's options.
    :param host: address to listen on.
    :param port: port to listen on.
    """
    import uvicorn

    from ingest.tipline.bot import TiplineBot

    options, credentials = tipline_options(settings)
    stop = threading.Event()
    bot_thread = None
    if credentials.get("bot_token"):
        bot = TiplineBot(settings, options, credentials["bot_token"])
        bot_thread = threading.Thread(target=bot.run_forever, args=(stop,), name="tipline-bot", daemon=True)
        bot_thread.start()
    application = create_app(settings, options, credentials=credentials)
    server = None
    if settings.metrics.port is not None:
        server = metrics.serve(
            settings.metrics.port, settings.metrics.address,
            ready=lambda: readiness(application.state.intake),
        )
    try:
        uvicorn.run(
            application,
            host=host,
            port=port,
            log_level="info",
            server_header=False,
            proxy_headers=options.trust_forwarded_for,
        )
    finally:
        stop.set()
        if server is not None:
            server.close()
        if bot_thread is not None:
            bot_thread.join(timeout=options.bot_poll_timeout_s + 5)


def app_from_env() -> Any:
    """Application factory for ``uvicorn --factory`` (settings from the usual layers)."""
    from pantau.settings import Settings

    return create_app(Settings.load())
