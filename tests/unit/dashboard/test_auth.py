"""Users, passwords, sessions, OIDC state and the ``pantau users`` commands."""

from __future__ import annotations

import json
import stat
import time
from datetime import timedelta
from pathlib import Path

import pytest
from joserfc import jwt as jose_jwt
from joserfc.jwk import ECKey, KeySet, OctKey
from typer.testing import CliRunner

from cli.users import users_app
from pantau.auth import AuthError, Session, User, UserDirectory, hash_password, verify_password
from pantau.errors import ConfigError
from pantau.oidc import OIDCClient, decode_jwt_payload, user_for_claims
from tests.unit.dashboard.conftest import OIDC_ISSUER, OIDC_REDIRECT, PASSWORD


def test_password_hash_is_bcrypt_and_verifies() -> None:
    hashed = hash_password(PASSWORD, rounds=4)
    assert hashed.startswith("$2b$04$") and PASSWORD not in hashed
    assert verify_password(PASSWORD, hashed)
    assert not verify_password("wrong password!", hashed)


@pytest.mark.parametrize("password", ["short", "x" * 73, "é" * 40])
def test_passwords_too_short_or_too_long_are_refused(password: str) -> None:
    with pytest.raises(AuthError):
        hash_password(password, rounds=4)


def test_users_file_is_private_and_has_no_plain_passwords(users: UserDirectory) -> None:
    assert stat.S_IMODE(users.path.stat().st_mode) == 0o600
    assert PASSWORD not in users.path.read_text()


@pytest.mark.parametrize(
    ("username", "password", "ok"),
    [
        ("ana", PASSWORD, True),
        ("ana", "wrong password", False),
        ("nobody", PASSWORD, False),
        (" ana ", PASSWORD, True),
    ],
)
def test_authenticate(users: UserDirectory, username: str, password: str, ok: bool) -> None:
    assert (users.authenticate(username, password) is not None) is ok


def test_disabled_user_cannot_sign_in(users: UserDirectory) -> None:
    users.set_disabled("ana", True)
    assert users.authenticate("ana", PASSWORD) is None


def test_party_officer_needs_a_party_and_only_officers_have_one(users: UserDirectory) -> None:
    with pytest.raises(AuthError, match="party"):
        users.add("joko", PASSWORD, "party_officer", rounds=4)
    with pytest.raises(AuthError, match="party"):
        users.add("jo", PASSWORD, "journalist", party="pbn", rounds=4)


def test_duplicate_user_needs_replace(users: UserDirectory) -> None:
    with pytest.raises(AuthError, match="exists"):
        users.add("ana", PASSWORD, "journalist", rounds=4)
    assert users.add("ana", PASSWORD, "journalist", replace=True, rounds=4).role == "journalist"


def test_broken_users_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "users.json"
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="users file"):
        UserDirectory(path).load()


def test_session_expires() -> None:
    user = User(username="ana", role="commission")
    session = Session.start(user, minutes=30)
    assert not session.expired()
    assert session.expired(session.issued_at + timedelta(minutes=30))


def test_oidc_state_round_trip_and_forgery(oidc: OIDCClient) -> None:
    state, nonce = oidc.make_state(now=1000)
    assert oidc.check_state(state, now=1100) == nonce
    with pytest.raises(AuthError, match="expired"):
        oidc.check_state(state, now=1000 + 601)
    other = OIDCClient(OIDC_ISSUER, "pantau", "other-secret", OIDC_REDIRECT)
    with pytest.raises(AuthError, match="not issued here"):
        other.check_state(state, now=1100)


IDP_KEY = ECKey.generate_key("P-256", parameters={"kid": "idp-1"}, private=True)


def _jwt(claims: dict[str, object], secret: str | None = "secret") -> str:  # noqa: S107 - the test client's
    """An ID token signed as a provider would: HS256 with the client secret, or ES256 with IDP_KEY."""
    if secret is not None:
        return jose_jwt.encode({"alg": "HS256"}, claims, OctKey.import_key(secret))
    return jose_jwt.encode({"alg": "ES256", "kid": "idp-1"}, claims, IDP_KEY)


def test_oidc_finish_checks_issuer_audience_and_nonce(
    oidc: OIDCClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = oidc
    client._metadata = {
        "token_endpoint": "https://idp.example/token",
        "authorization_endpoint": "https://idp.example/a",
    }
    state, nonce = client.make_state()
    good = {
        "iss": "https://idp.example",
        "aud": "pantau",
        "exp": time.time() + 60,
        "nonce": nonce,
        "email": "ana@ec.example",
    }
    answers = {"claims": good}
    monkeypatch.setattr(client, "_get_json", lambda url, data=None: {"id_token": _jwt(answers["claims"])})
    assert client.finish("code", state)["email"] == "ana@ec.example"
    for bad in ({"aud": "someone-else"}, {"iss": "https://evil.example"}, {"nonce": "other"}, {"exp": 1}):
        answers["claims"] = {**good, **bad}
        with pytest.raises(AuthError):
            client.finish("code", state)


def test_oidc_user_must_be_in_the_users_file(users: UserDirectory) -> None:
    users.add("ana@ec.example", None, "commission")
    assert user_for_claims(users, {"email": "ana@ec.example"}).role == "commission"
    assert user_for_claims(users, {"email": "ana@ec.example", "email_verified": False}) is None
    assert user_for_claims(users, {"email": "stranger@ec.example"}) is None
    assert users.authenticate("ana@ec.example", "") is None  # no password sign-in for IdP users


def test_decode_jwt_payload_rejects_garbage() -> None:
    with pytest.raises(AuthError):
        decode_jwt_payload("not-a-jwt")


def test_users_cli_add_list_remove(users_cli: CliRunner, tmp_path: Path) -> None:
    runner = users_cli
    result = runner.invoke(
        users_app, ["add", "siti", "--role", "party_officer", "--party", "pbn", "--password", PASSWORD]
    )
    assert result.exit_code == 0, result.output
    listed = runner.invoke(users_app, ["list"])
    assert "siti\tparty_officer\tpbn\tpassword" in listed.output
    bad = runner.invoke(users_app, ["add", "x", "--role", "king", "--password", PASSWORD])
    assert bad.exit_code != 0
    assert runner.invoke(users_app, ["remove", "siti"]).exit_code == 0
    assert json.loads((tmp_path / "users.json").read_text())["users"] == []


def test_users_demo_adds_one_user_per_role_and_party_once(
    users_cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bcrypt

    gensalt = bcrypt.gensalt
    monkeypatch.setattr(bcrypt, "gensalt", lambda rounds=12, prefix=b"2b": gensalt(4, prefix))  # fast test
    runner = users_cli
    result = runner.invoke(users_app, ["demo"])
    assert result.exit_code == 0, result.output
    users = UserDirectory(tmp_path / "users.json")
    assert users.authenticate("officer-pbn", "officer-pbn-demo-pass").party == "pbn"
    assert users.get("commission").role == "commission" and users.get("journalist").role == "journalist"
    assert runner.invoke(users_app, ["demo"]).exit_code == 1  # never over real users


def test_oidc_code_flow_against_a_local_identity_provider() -> None:
    import threading
    import urllib.parse
    from http.server import BaseHTTPRequestHandler, HTTPServer

    issued: dict[str, str] = {}  # code -> nonce the browser brought to the IdP

    class IdP(BaseHTTPRequestHandler):
        def _json(self, doc: dict[str, object]) -> None:
            body = json.dumps(doc).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 - http.server API
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            if self.path == "/jwks":
                self._json(KeySet([IDP_KEY]).as_dict(private=False))
                return
            self._json({"issuer": base, "authorization_endpoint": f"{base}/auth", "token_endpoint": f"{base}/token",
                        "jwks_uri": f"{base}/jwks"})

        def do_POST(self) -> None:  # noqa: N802
            form = urllib.parse.parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
            assert form["client_secret"] == ["s3cret"] and form["grant_type"] == ["authorization_code"]
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            claims = {
                "iss": base,
                "aud": "pantau",
                "exp": time.time() + 60,
                "nonce": issued[form["code"][0]],
                "email": "ana@ec.example",
                "email_verified": True,
            }
            self._json({"id_token": _jwt(claims, secret=None), "access_token": "x", "token_type": "Bearer"})

        def log_message(self, *args: object) -> None:
            return

    server = HTTPServer(("127.0.0.1", 0), IdP)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = OIDCClient(
            f"http://127.0.0.1:{server.server_address[1]}", "pantau", "s3cret", "http://127.0.0.1:8501/"
        )
        url = client.authorization_url()
        query = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)
        assert query["client_id"] == ["pantau"] and query["response_type"] == ["code"]
        issued["code-1"] = query["nonce"][0]
        claims = client.finish("code-1", query["state"][0])
        assert claims["email"] == "ana@ec.example"
        issued["code-2"] = "a-different-nonce"  # a code minted for another sign-in request
        with pytest.raises(AuthError, match="nonce"):
            client.finish("code-2", query["state"][0])
    finally:
        server.shutdown()
        server.server_close()
