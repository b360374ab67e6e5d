"""The tipline's WhatsApp webhook: verification, signatures, messages and media in Cloud API format."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from fastapi.testclient import TestClient

from ingest.tipline.app import create_app
from ingest.tipline.intake import TipIntake, TiplineOptions
from pantau.settings import Settings
from tests.unit.connectors.replay import Reply
from tests.unit.connectors.test_tipline import PNG

SECRET = "app-secret"
CREDENTIALS = {
    "whatsapp_app_secret": SECRET,
    "whatsapp_verify_token": "verify-me",
    "whatsapp_token": "EAAG-secret",
}


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path, registry_file=None)


def _client(settings, server) -> TestClient:
    options = TiplineOptions(whatsapp_api_base=server.url)
    return TestClient(create_app(settings, options, credentials=CREDENTIALS))


def _notification(*messages: dict) -> dict:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "WABA",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"display_phone_number": "60300000000", "phone_number_id": "PN1"},
                            "contacts": [{"profile": {"name": "Warga"}, "wa_id": "60123456789"}],
                            "messages": list(messages),
                        },
                    }
                ],
            }
        ],
    }


def _post(client, payload, secret=SECRET):
    body = json.dumps(payload).encode()
    sig = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return client.post(
        "/whatsapp/webhook",
        content=body,
        headers={"X-Hub-Signature-256": sig, "Content-Type": "application/json"},
    )


def _spool(settings) -> list[dict]:
    path = settings.data_dir / "tipline" / "spool.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.mark.parametrize(("token", "status"), [("verify-me", 200), ("wrong", 403)])
def test_webhook_verification_echoes_the_challenge_only_with_the_token(settings, server, token, status):
    answer = _client(settings, server).get(
        "/whatsapp/webhook",
        params={"hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "1158201444"},
    )
    assert answer.status_code == status
    assert (answer.text == "1158201444") == (status == 200)


def test_unsigned_or_wrongly_signed_notifications_are_refused(settings, server):
    client = _client(settings, server)
    payload = _notification({"from": "60123456789", "id": "wamid.1", "type": "text", "text": {"body": "x"}})
    assert _post(client, payload, secret="not-the-secret").status_code == 403
    assert client.post("/whatsapp/webhook", json=payload).status_code == 403
    assert _spool(settings) == []


def test_text_and_image_messages_become_tips_and_are_answered(settings, server):
    server.add(
        "GET",
        "/v23.0/MEDIA1",
        Reply(
            {
                "url": f"{server.url}/lookaside/MEDIA1",
                "mime_type": "image/png",
                "file_size": len(PNG),
                "id": "MEDIA1",
            }
        ),
    )
    server.add("GET", "/lookaside/MEDIA1", Reply(body=PNG))
    server.add("POST", "/v23.0/PN1/messages", Reply({"messages": [{"id": "wamid.out"}]}))
    client = _client(settings, server)
    payload = _notification(
        {
            "from": "60123456789",
            "id": "wamid.1",
            "timestamp": "1714557600",
            "type": "text",
            "text": {"body": "forwarded to me: https://wa.me/channel/x fake audio"},
        },
        {
            "from": "60123456789",
            "id": "wamid.2",
            "timestamp": "1714557601",
            "type": "image",
            "image": {"id": "MEDIA1", "mime_type": "image/png", "caption": "poster"},
        },
    )

    assert _post(client, payload).status_code == 200
    assert _post(client, payload).status_code == 200  # Meta retried: nothing filed twice

    tips = _spool(settings)
    assert len(tips) == 2 and all(t["channel"] == "whatsapp" for t in tips)
    assert tips[0]["url"] == "https://wa.me/channel/x" and tips[1]["media"][0]["mime"] == "image/png"
    assert "60123456789" not in json.dumps(tips)
    assert TipIntake(settings.data_dir, TiplineOptions()).contact(tips[0]["id"]) == "whatsapp:60123456789"
    media_calls = server.calls("/v23.0/MEDIA1") + server.calls("/lookaside/MEDIA1")
    assert all(c.headers["Authorization"] == "Bearer EAAG-secret" for c in media_calls)
    replies = [json.loads(r.body) for r in server.calls("/v23.0/PN1/messages")]
    assert replies[0]["to"] == "60123456789" and tips[0]["id"] in replies[0]["text"]["body"]


def test_media_that_cannot_be_fetched_is_refused_with_an_answer(settings, server):
    server.add("GET", "/v23.0/GONE", Reply({"error": {"message": "not found", "code": 100}}, status=404))
    server.add("POST", "/v23.0/PN1/messages", Reply({"messages": [{"id": "wamid.out"}]}))
    client = _client(settings, server)
    payload = _notification({"from": "601", "id": "wamid.9", "type": "video", "video": {"id": "GONE"}})
    assert _post(client, payload).status_code == 200
    assert _spool(settings) == []
    assert "not accepted" in json.loads(server.calls("/v23.0/PN1/messages")[0].body)["text"]["body"]


def test_routes_are_absent_without_credentials(settings):
    client = TestClient(create_app(settings, TiplineOptions(), credentials={}))
    assert client.get("/whatsapp/webhook").status_code == 404
