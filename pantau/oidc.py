"""OpenID Connect sign-in for the dashboard (authorisation code flow).

The identity provider says who a user is; the users file (:mod:`pantau.auth`) still says what
role they have. :class:`OIDCClient` runs the flow and checks the ID token;
:func:`user_for_claims` finds the user its claims name.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import urllib.parse
import urllib.request
from typing import TYPE_CHECKING, Any

from pantau.auth import AuthError, User, UserDirectory
from pantau.errors import ConfigError

if TYPE_CHECKING:
    from pantau.settings import DashboardSettings

__all__ = ["OIDCClient", "decode_jwt_payload", "user_for_claims"]

DISCOVERY_TTL_S = 3600.0
# The dashboard rebuilds its client on every rerun; keep the discovery document across them.
_DISCOVERY: dict[str, tuple[float, dict[str, Any]]] = {}
_JWKS: dict[str, tuple[float, Any]] = {}  # jwks_uri -> (fetched at, joserfc KeySet)


class OIDCClient:
    """A confidential OIDC client for the dashboard: authorisation code flow, no extra library.

    The ``state`` parameter is signed with a key derived from the client secret, so it survives
    the browser's round trip through the identity provider without server-side storage. The ID
    token's signature is verified (joserfc) with the provider's published keys (``jwks_uri``,
    fetched again once when a token names a key not yet seen) or, for HS256/384/512, the client
    secret; ``alg: none`` and any other algorithm are refused. Issuer, audience, expiry and nonce
    are checked too. Identity-provider URLs must be https, or http to a loopback host (tests),
    judged on the parsed host: ``http://127.0.0.1.evil.example`` is not local.
    The user must also be in the users file (any role): the provider says who, Pantau says what.

    Example Snippet::

        client = OIDCClient.from_settings(settings.dashboard, redirect_uri="https://pantau.example/")
        url = client.authorization_url()          # send the browser there
        claims = client.finish(code, state)       # on return, with the query parameters
    """

    def __init__(
        self,
        issuer: str,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        timeout: float = 10.0,
        scope: str = "openid email profile",
    ) -> None:
        if not _idp_url_ok(issuer):
            raise ConfigError(
                f"OIDC issuer must be an https URL (or http to 127.0.0.1, ::1, localhost), got {issuer!r}"
            )
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.timeout = timeout
        self.scope = scope
        self._metadata: dict[str, Any] | None = None

    @classmethod
    def from_settings(cls, dashboard: DashboardSettings, redirect_uri: str) -> OIDCClient | None:
        """Return a client when issuer, client id and secret are all configured, else ``None``."""
        if not (dashboard.oidc_issuer and dashboard.oidc_client_id and dashboard.oidc_client_secret):
            return None
        return cls(
            dashboard.oidc_issuer,
            dashboard.oidc_client_id,
            dashboard.oidc_client_secret.get_secret_value(),
            redirect_uri,
        )

    def _get_json(self, url: str, data: dict[str, str] | None = None) -> dict[str, Any]:
        if not _idp_url_ok(url):
            raise AuthError(f"refusing non-https identity-provider URL {url!r}")
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(url, data=body, headers={"Accept": "application/json"})  # noqa: S310
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310 - scheme checked above
                return json.loads(resp.read())
        except (OSError, ValueError) as exc:
            raise AuthError(f"identity provider at {url} failed: {exc}") from exc

    @property
    def metadata(self) -> dict[str, Any]:
        """The provider's discovery document (fetched once an hour per issuer, shared by all clients)."""
        if self._metadata is None:
            cached = _DISCOVERY.get(self.issuer)
            if cached is None or time.monotonic() - cached[0] > DISCOVERY_TTL_S:
                cached = (time.monotonic(), self._get_json(f"{self.issuer}/.well-known/openid-configuration"))
                _DISCOVERY[self.issuer] = cached
            self._metadata = cached[1]
        return self._metadata

    def _key_set(self, refresh: bool = False) -> Any:
        """The provider's signing keys (``jwks_uri``), cached with the discovery document."""
        from joserfc.errors import JoseError
        from joserfc.jwk import KeySet

        uri = self.metadata.get("jwks_uri")
        if not isinstance(uri, str):
            raise AuthError("the identity provider publishes no jwks_uri: its ID tokens cannot be verified")
        cached = _JWKS.get(uri)
        if refresh or cached is None or time.monotonic() - cached[0] > DISCOVERY_TTL_S:
            try:
                cached = (time.monotonic(), KeySet.import_key_set(self._get_json(uri)))  # type: ignore[arg-type]
            except (JoseError, ValueError, TypeError, KeyError) as exc:
                raise AuthError(f"the identity provider's keys at {uri} cannot be read: {exc}") from exc
            _JWKS[uri] = cached
        return cached[1]

    def verified_claims(self, id_token: str) -> dict[str, Any]:
        """The claims of an ID token whose signature holds (see the class text); :class:`AuthError` if not."""
        from joserfc import jwt
        from joserfc.errors import InvalidKeyIdError, JoseError
        from joserfc.jwk import OctKey

        try:
            header = json.loads(base64.urlsafe_b64decode(id_token.split(".")[0] + "=="))
            alg = header.get("alg") if isinstance(header, dict) else None
        except (ValueError, IndexError) as exc:
            raise AuthError("malformed id_token") from exc
        try:
            if alg in _SYMMETRIC:
                token = jwt.decode(id_token, OctKey.import_key(self.client_secret), algorithms=_SYMMETRIC)
            elif alg in _ASYMMETRIC:
                try:
                    token = jwt.decode(id_token, self._key_set(), algorithms=_ASYMMETRIC)
                except InvalidKeyIdError:  # the provider rotated its keys: read them again, once
                    token = jwt.decode(id_token, self._key_set(refresh=True), algorithms=_ASYMMETRIC)
            else:
                raise AuthError(f"id_token algorithm {alg!r} is not accepted")
        except JoseError as exc:
            raise AuthError(f"id_token signature does not verify: {exc}") from exc
        except ValueError as exc:
            raise AuthError(f"malformed id_token: {exc}") from exc
        if not isinstance(token.claims, dict):
            raise AuthError("malformed id_token")
        return dict(token.claims)

    def _sign(self, payload: str) -> str:
        key = hashlib.sha256(b"pantau-oidc-state\x1f" + self.client_secret.encode()).digest()
        return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()[:32]

    def make_state(self, now: float | None = None) -> tuple[str, str]:
        """Return a signed ``(state, nonce)`` pair."""
        nonce = secrets.token_urlsafe(16)
        payload = f"{int(now or time.time())}.{nonce}"
        return f"{payload}.{self._sign(payload)}", nonce

    def check_state(self, state: str, max_age_s: int = 600, now: float | None = None) -> str:
        """Return the nonce of a state this client signed and that is still fresh.

        :raises AuthError: when the state is forged, malformed or too old.
        """
        try:
            issued, nonce, sig = state.split(".")
            age = (now or time.time()) - int(issued)
        except ValueError as exc:
            raise AuthError("malformed sign-in state") from exc
        if not hmac.compare_digest(sig, self._sign(f"{issued}.{nonce}")):
            raise AuthError("sign-in state was not issued here")
        if not 0 <= age <= max_age_s:
            raise AuthError("sign-in state expired; start again")
        return nonce

    def authorization_url(self) -> str:
        """Return where to send the browser to sign in."""
        state, nonce = self.make_state()
        query = urllib.parse.urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": self.redirect_uri,
                "scope": self.scope,
                "state": state,
                "nonce": nonce,
            }
        )
        return f"{self.metadata['authorization_endpoint']}?{query}"

    def finish(self, code: str, state: str) -> dict[str, Any]:
        """Exchange the code for tokens and return the checked ID-token claims."""
        nonce = self.check_state(state)
        tokens = self._get_json(
            self.metadata["token_endpoint"],
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self.redirect_uri,
                "client_id": self.client_id,
                "client_secret": self.client_secret,
            },
        )
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise AuthError("identity provider returned no id_token")
        claims = self.verified_claims(id_token)
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if claims.get("iss", "").rstrip("/") != self.issuer:
            raise AuthError(f"id_token issuer {claims.get('iss')!r} is not {self.issuer!r}")
        if self.client_id not in audiences:
            raise AuthError("id_token is not for this client")
        if float(claims.get("exp", 0)) < time.time():
            raise AuthError("id_token expired")
        if claims.get("nonce") != nonce:
            raise AuthError("id_token nonce does not match the sign-in request")
        return claims


_LOOPBACK = {"127.0.0.1", "::1", "localhost"}
_ASYMMETRIC = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
_SYMMETRIC = ("HS256", "HS384", "HS512")


def _idp_url_ok(url: str) -> bool:
    """https with a host, or http to a loopback host; by the parsed host, never a string prefix.

    >>> [_idp_url_ok(u) for u in ("https://idp.example", "http://127.0.0.1:8080/x", "http://[::1]/")]
    [True, True, True]
    >>> [_idp_url_ok(u) for u in ("http://127.0.0.1.evil.example", "http://127.0.0.1@evil.example",
    ...                           "http://idp.example", "https://", "ftp://127.0.0.1")]
    [False, False, False, False, False]
    """
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname
    except ValueError:
        return False
    if not host or parts.username is not None or parts.password is not None:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and host in _LOOPBACK)


def decode_jwt_payload(token: str) -> dict[str, Any]:
    """Return the claims of a compact JWT without checking its signature (see :class:`OIDCClient`)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError) as exc:
        raise AuthError("malformed id_token") from exc
    if not isinstance(claims, dict):
        raise AuthError("malformed id_token")
    return claims


def user_for_claims(users: UserDirectory, claims: dict[str, Any]) -> User | None:
    """Return the enabled user named by the verified e-mail or preferred username in the claims."""
    table = users.load()
    names = [
        claims.get("email") if claims.get("email_verified", True) else None,
        claims.get("preferred_username"),
    ]
    for name in names:
        if isinstance(name, str) and name in table and not table[name].disabled:
            return table[name]
    return None
