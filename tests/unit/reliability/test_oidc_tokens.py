"""OIDC (issue 19, row 16): the issuer's host is parsed, not matched as a string prefix, and ID tokens
are verified (joserfc): unsigned, alg none, a foreign key or a wrong secret are refused."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, OctKey

from pantau.auth import AuthError
from pantau.errors import ConfigError
from pantau.oidc import OIDCClient

ISSUER = "https://idp.example"


@pytest.mark.parametrize(
    "issuer",
    ["http://127.0.0.1.evil.example", "http://127.0.0.1@evil.example", "http://127.0.0.1.nip.io:80",
     "http://idp.example", "https://user:pw@idp.example"],
)
def test_an_issuer_that_only_looks_local_is_refused(issuer: str) -> None:
    with pytest.raises(ConfigError, match="https URL"):
        OIDCClient(issuer, "pantau", "secret", "https://pantau.example/")


def test_loopback_issuers_stay_allowed_for_tests() -> None:
    for issuer in ("http://127.0.0.1:8080", "http://[::1]:9000", "http://localhost:8080", ISSUER):
        OIDCClient(issuer, "pantau", "secret", "https://pantau.example/")


class Provider:
    """A fake provider's discovery document and keys, served through OIDCClient._get_json."""

    def __init__(self, *keys: ECKey) -> None:
        self.keys = list(keys)
        self.jwks_reads = 0

    def __call__(self, url: str, data: dict[str, str] | None = None) -> dict[str, Any]:
        if url.endswith("/jwks"):
            self.jwks_reads += 1
            return KeySet(self.keys).as_dict(private=False)
        return {"issuer": ISSUER, "token_endpoint": f"{ISSUER}/token", "jwks_uri": f"{ISSUER}/jwks",
                "authorization_endpoint": f"{ISSUER}/auth"}


def _client(monkeypatch: pytest.MonkeyPatch, provider: Provider) -> OIDCClient:
    import pantau.oidc

    monkeypatch.setattr(pantau.oidc, "_DISCOVERY", {})
    monkeypatch.setattr(pantau.oidc, "_JWKS", {})
    client = OIDCClient(ISSUER, "pantau", "secret", "https://pantau.example/")
    monkeypatch.setattr(client, "_get_json", provider)
    return client


CLAIMS = {"iss": ISSUER, "aud": "pantau", "exp": time.time() + 3600, "email": "ana@ec.example"}


def _b64(doc: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(doc).encode()).rstrip(b"=").decode()


def test_tokens_signed_by_the_providers_keys_verify_and_a_rotated_key_is_fetched(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = ECKey.generate_key("P-256", parameters={"kid": "k1"}, private=True)
    provider = Provider(first)
    client = _client(monkeypatch, provider)
    token = jwt.encode({"alg": "ES256", "kid": "k1"}, CLAIMS, first)
    assert client.verified_claims(token)["email"] == "ana@ec.example"
    rotated = ECKey.generate_key("P-256", parameters={"kid": "k2"}, private=True)
    provider.keys.append(rotated)
    token = jwt.encode({"alg": "ES256", "kid": "k2"}, CLAIMS, rotated)
    assert client.verified_claims(token)["email"] == "ana@ec.example"
    assert provider.jwks_reads == 2


def test_unsigned_alg_none_foreign_key_and_wrong_secret_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    real = ECKey.generate_key("P-256", parameters={"kid": "k1"}, private=True)
    forger = ECKey.generate_key("P-256", parameters={"kid": "k1"}, private=True)  # same kid, other key
    client = _client(monkeypatch, Provider(real))
    forged = [
        f"e30.{_b64(CLAIMS)}.sig",  # what the old client accepted: no signature check at all
        f"{_b64({'alg': 'none'})}.{_b64(CLAIMS)}.",
        jwt.encode({"alg": "ES256", "kid": "k1"}, CLAIMS, forger),
        jwt.encode({"alg": "HS256"}, CLAIMS, OctKey.import_key("not-the-client-secret")),
    ]
    for token in forged:
        with pytest.raises(AuthError):
            client.verified_claims(token)
    good = jwt.encode({"alg": "HS256"}, CLAIMS, OctKey.import_key("secret"))
    assert client.verified_claims(good)["aud"] == "pantau"


def test_finish_refuses_an_unsigned_token(monkeypatch: pytest.MonkeyPatch) -> None:
    provider = Provider(ECKey.generate_key("P-256", parameters={"kid": "k1"}, private=True))
    client = _client(monkeypatch, provider)
    state, nonce = client.make_state()

    def answer(url: str, data: dict[str, str] | None = None) -> dict[str, Any]:
        if url.endswith("/token"):
            return {"id_token": f"e30.{_b64({**CLAIMS, 'nonce': nonce})}.sig"}
        return provider(url, data)

    monkeypatch.setattr(client, "_get_json", answer)
    with pytest.raises(AuthError, match="does not verify|algorithm"):
        client.finish("code", state)
