"""The tipline's WhatsApp front end: WhatsApp Business Cloud API webhooks.

WhatsApp has no API to read groups or channels, so what circulates there reaches the
commission the way fact-checkers' tiplines receive it: people forward it to the commission's
WhatsApp Business number. Meta then calls this webhook:

* ``GET /whatsapp/webhook?hub.mode=subscribe&hub.verify_token=...&hub.challenge=...`` once, to
  verify the URL: the challenge is echoed when the verify token matches (403 otherwise).
* ``POST /whatsapp/webhook`` with ``{"object": "whatsapp_business_account", "entry": [{"changes":
  [{"field": "messages", "value": {"metadata": {"phone_number_id"}, "contacts": [...],
  "messages": [...]}}]}]}``, signed in ``X-Hub-Signature-256`` (HMAC-SHA256 of the raw body with
  the app secret; unsigned or wrongly signed bodies are refused with 403).

Each text, image, video, audio, voice note or document message becomes a tip: media are fetched
through ``GET /{version}/{media-id}`` (which gives a short-lived URL) and that URL, both with the
access token, within the tipline's file limit. Meta retries a webhook until it gets a 200, so the
message id (``wamid``) de-duplicates; the work runs after the 200 is sent. The sender's WhatsApp
id goes to the private contacts table only. The reply with the acknowledgement id is sent with
``POST /{version}/{phone-number-id}/messages``.

Credentials of the ``tipline`` source: ``whatsapp_token`` (system-user access token),
``whatsapp_app_secret`` and ``whatsapp_verify_token``; without the app secret the routes are
not mounted.
"""

# No ``from __future__ import annotations``: FastAPI reads the endpoints' annotations at runtime.
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from ingest.connectors.base import ApiClient, ConnectorError, ConnectorOptions
from ingest.tipline.intake import TipIntake, TiplineOptions, TipRejected

__all__ = ["WhatsAppFrontEnd", "mount_whatsapp", "signature_ok"]

log = logging.getLogger(__name__)

_MEDIA_TYPES = ("image", "video", "audio", "voice", "document", "sticker")


def signature_ok(body: bytes, header: str | None, app_secret: str) -> bool:
    """Check Meta's ``X-Hub-Signature-256: sha256=<hex>`` against the raw body.

    >>> body = b"{}"
    >>> sig = "sha256=" + hmac.new(b"s", body, hashlib.sha256).hexdigest()
    >>> signature_ok(body, sig, "s"), signature_ok(body, sig, "t"), signature_ok(body, None, "s")
    (True, False, False)
    """
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header[len("sha256=") :].strip().lower())


class WhatsAppFrontEnd:
    """Turn WhatsApp Cloud API message notifications into tips and answer with the ack id.

    :param intake: where tips go.
    :param options: tipline options (``whatsapp_api_base``, ``whatsapp_api_version``, ``chat_limit``).
    :param token: the access token for media downloads and replies.
    :param sleep: sleep of the API client's backoff (tests pass a recorder).
    """

    def __init__(
        self,
        intake: TipIntake,
        options: TiplineOptions,
        token: str,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        from pantau.ratelimit import RateLimiter

        self.intake = intake
        self.base = f"{options.whatsapp_api_base.rstrip('/')}/{options.whatsapp_api_version}"
        self._token = token
        self.client = ApiClient(ConnectorOptions(max_retries=3, timeout_s=20.0), auth=self._auth, sleep=sleep)
        self.senders = RateLimiter(options.chat_limit, options.window_s, clock)

    def _auth(self, headers: dict[str, str], _params: dict[str, Any]) -> None:
        headers["Authorization"] = f"Bearer {self._token}"

    def handle(self, payload: Any) -> int:
        """File every message of a notification; return how many tips were filed."""
        filed = 0
        if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
            return 0
        for entry in payload.get("entry") or []:
            for change in (entry or {}).get("changes") or []:
                value = (change or {}).get("value") or {}
                if (change or {}).get("field") != "messages" or not isinstance(value, dict):
                    continue
                phone_id = (value.get("metadata") or {}).get("phone_number_id")
                for message in value.get("messages") or []:  # "statuses" (delivery receipts) are ignored
                    if isinstance(message, dict):
                        filed += self._message(message, phone_id)
        return filed

    def _message(self, message: dict[str, Any], phone_id: str | None) -> int:
        sender = str(message.get("from") or "")
        kind = message.get("type")
        if self.senders.hit(sender) is not None:
            self._reply(phone_id, sender, "You have sent many tips in a short time; please try again later.")
            return 0
        text, file = "", None
        try:
            if kind == "text":
                text = (message.get("text") or {}).get("body") or ""
            elif kind in _MEDIA_TYPES:
                media = message.get(kind) or {}
                text = media.get("caption") or ""
                file = self._download(str(media.get("id") or ""))
            elif kind in ("reaction", "unsupported", "system", "ephemeral"):
                return 0
            else:
                raise TipRejected("send a text, a link, a photo, a video, a voice note or a document")
            links = [w for w in text.split() if w.startswith(("http://", "https://"))]
            ack = self.intake.submit(
                text=text,
                url=links[0] if links else None,
                file=file,
                contact=f"whatsapp:{sender}",
                channel="whatsapp",
                dedupe_key=f"whatsapp:{message.get('id')}" if message.get("id") else None,
            )
        except TipRejected as exc:
            self._reply(phone_id, sender, f"Sorry, this tip was not accepted: {exc}")
            return 0
        self._reply(phone_id, sender, f"Thank you. Your tip id is {ack['ack_id']}.")
        return 1

    def _download(self, media_id: str) -> bytes:
        if not media_id:
            raise TipRejected("the message has no media id")
        try:
            info = self.client.get_json(f"{self.base}/{media_id}")
            if int(info.get("file_size") or 0) > self.intake.max_file_bytes:
                raise TipRejected(
                    f"the file is over {self.intake.max_file_bytes // (1024 * 1024)} MB", status=413
                )
            return self.client.get_bytes(str(info["url"]), self.intake.max_file_bytes, authenticated=True)
        except (ConnectorError, KeyError, TypeError, AttributeError, ValueError) as exc:
            raise TipRejected("the file could not be downloaded; send a link instead") from exc

    def _reply(self, phone_id: str | None, to: str, text: str) -> None:
        if not phone_id or not to:
            return
        body = {"messaging_product": "whatsapp", "to": to, "type": "text", "text": {"body": text}}
        try:
            self.client.request_json("POST", f"{self.base}/{phone_id}/messages", json_body=body)
        except ConnectorError as exc:  # the tip is filed; a lost answer must not lose the next ones
            log.warning("whatsapp reply failed: %s", type(exc).__name__)


def mount_whatsapp(app: Any, intake: TipIntake, options: TiplineOptions, credentials: dict[str, str]) -> bool:
    """Add the webhook routes to the tipline app when the WhatsApp credentials are configured.

    :returns: whether the routes were mounted.
    """
    from fastapi import BackgroundTasks, Request
    from fastapi.responses import JSONResponse, PlainTextResponse

    secret = credentials.get("whatsapp_app_secret")
    verify = credentials.get("whatsapp_verify_token")
    token = credentials.get("whatsapp_token")
    if not (secret and verify and token):
        return False
    front = WhatsAppFrontEnd(intake, options, token)
    app.state.whatsapp = front
    max_body = 1024 * 1024  # notifications are small JSON; media come by id

    @app.get("/whatsapp/webhook")
    def verify_webhook(request: Request) -> Any:
        params = request.query_params
        if params.get("hub.mode") == "subscribe" and hmac.compare_digest(
            params.get("hub.verify_token", ""), verify
        ):
            return PlainTextResponse(params.get("hub.challenge", ""))
        return PlainTextResponse("forbidden", status_code=403)

    @app.post("/whatsapp/webhook")
    async def notification(request: Request, tasks: BackgroundTasks) -> Any:
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > max_body:
                return JSONResponse({"error": "body too large"}, status_code=413)
        if not signature_ok(bytes(body), request.headers.get("x-hub-signature-256"), secret):
            return JSONResponse({"error": "bad signature"}, status_code=403)
        try:
            payload = json.loads(body)
        except ValueError:
            return JSONResponse({"error": "not JSON"}, status_code=400)
        # Answer at once (Meta retries slow webhooks); download and file after the response.
        tasks.add_task(front.handle, payload)
        return {"status": "received"}

    return True
