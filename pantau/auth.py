"""Users, roles, password sign-in, expiring sessions and an optional OpenID Connect sign-in.

Four roles, each with its own :class:`~pantau.stores.base.Scope` (see :mod:`pantau.access`):

- ``commission``: sees and decides everything;
- ``party_officer``: a party's compliance officer, sees only that party's incidents and alerts;
- ``journalist``: sees confirmed incidents only, with victims' personal data redacted.
- ``fact_checker``: sees the fact-check queue only (no incident) and gives verdicts there.

Users live in one JSON file (``settings.dashboard.users_file``, default ``<data_dir>/users.json``)
with bcrypt password hashes; the file is written atomically and readable by its owner only.
A user with no password hash can only sign in through the identity provider (OIDC), which
proves who they are; the users file still says what role they have.

Example Snippet::

    users = UserDirectory(users_path(settings))
    users.add("siti", "a long passphrase", role="party_officer", party="pbn")
    user = users.authenticate("siti", "a long passphrase")
    session = Session.start(user, minutes=settings.dashboard.session_minutes)

The ``pantau users`` commands are in :mod:`cli.users`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pantau.errors import ConfigError, PantauError
from pantau.schemas import utcnow

if TYPE_CHECKING:
    from pantau.settings import DashboardSettings, Settings

__all__ = [
    "ROLES",
    "AuthError",
    "OIDCClient",
    "Role",
    "Session",
    "User",
    "UserDirectory",
    "hash_password",
    "users_path",
    "verify_password",
]

Role = Literal["commission", "party_officer", "journalist", "fact_checker"]
ROLES: tuple[Role, ...] = ("commission", "party_officer", "journalist", "fact_checker")

MIN_PASSWORD_LENGTH = 10
# bcrypt reads at most 72 bytes; refusing longer passwords beats silently ignoring their tail.
MAX_PASSWORD_BYTES = 72
# A valid hash to check against when the user is unknown, so that a failed sign-in takes the
# same time whether or not the user exists (no user enumeration by timing).
_DUMMY_HASH = "$2b$12$QtMlhsyhgW7u3IDq1yzvD.F5QlQ42O1dd9TPaOoXgSirfgkKzEPSS"


class AuthError(PantauError):
    """A user, password, session or identity-provider answer was refused."""


def hash_password(password: str, rounds: int = 12) -> str:
    """Return the bcrypt hash of a password.

    :param password: at least :data:`MIN_PASSWORD_LENGTH` characters, at most 72 bytes.
    :param rounds: bcrypt cost (tests use 4 to stay fast).
    :raises AuthError: when the password is too short or too long.
    """
    import bcrypt

    raw = password.encode("utf-8")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(f"password too short: use at least {MIN_PASSWORD_LENGTH} characters")
    if len(raw) > MAX_PASSWORD_BYTES:
        raise AuthError(f"password too long: bcrypt reads at most {MAX_PASSWORD_BYTES} bytes")
    return bcrypt.hashpw(raw, bcrypt.gensalt(rounds=rounds)).decode("ascii")


def verify_password(password: str, password_hash: str | None) -> bool:
    """Return whether a password matches a bcrypt hash (``False`` for no hash or a broken one)."""
    import bcrypt

    raw = password.encode("utf-8")
    if not password_hash or len(raw) > MAX_PASSWORD_BYTES:
        bcrypt.checkpw(b"x", _DUMMY_HASH.encode("ascii"))
        return False
    try:
        return bcrypt.checkpw(raw, password_hash.encode("ascii"))
    except ValueError:
        return False


class User(BaseModel):
    """A dashboard user and what they may see."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    username: str = Field(
        min_length=1, max_length=200, description="Sign-in name, or the e-mail the IdP asserts."
    )
    role: Role
    party: str | None = Field(None, description="Party id (party officers only).")
    name: str = ""
    password_hash: str | None = Field(None, description="bcrypt hash; none for identity-provider users.")
    disabled: bool = False
    created_at: datetime = Field(default_factory=utcnow)

    @model_validator(mode="after")
    def _party_matches_role(self) -> User:
        if self.role == "party_officer" and not self.party:
            raise ValueError("a party officer needs a party")
        if self.role != "party_officer" and self.party:
            raise ValueError(f"only party officers have a party, not {self.role}")
        return self

    @property
    def display(self) -> str:
        """Name to show, with the party for officers."""
        who = self.name or self.username
        return f"{who} ({self.party})" if self.party else who


def users_path(settings: Settings) -> Path:
    """The users file the settings name (default ``<data_dir>/users.json``)."""
    configured = settings.dashboard.users_file
    return Path(configured) if configured else settings.data_dir / "users.json"


class UserDirectory:
    """The users file: read on every look-up (so ``pantau users add`` takes effect at once)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def load(self) -> dict[str, User]:
        """Return users by username; an absent file is an empty directory.

        :raises ConfigError: when the file is not valid JSON or holds invalid users.
        """
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{self.path}: cannot read users file: {exc}") from exc
        try:
            users = [User.model_validate(u) for u in raw.get("users", [])]
        except (ValidationError, AttributeError) as exc:
            raise ConfigError(f"{self.path}: invalid users file: {exc}") from exc
        return {u.username: u for u in users}

    def save(self, users: dict[str, User]) -> None:
        """Write the file atomically, readable by its owner only."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        doc = {"users": [u.model_dump(mode="json") for u in sorted(users.values(), key=lambda u: u.username)]}
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".users-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(doc, fh, indent=2)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, username: str) -> User | None:
        """Return a user by name."""
        return self.load().get(username)

    def add(
        self,
        username: str,
        password: str | None,
        role: Role,
        party: str | None = None,
        name: str = "",
        replace: bool = False,
        rounds: int = 12,
    ) -> User:
        """Add a user (``password=None``: identity-provider sign-in only).

        :raises AuthError: when the user exists (and ``replace`` is false) or the password is refused.
        """
        users = self.load()
        if username in users and not replace:
            raise AuthError(f"user {username!r} exists; use --replace to change it")
        try:
            user = User(
                username=username,
                role=role,
                party=party,
                name=name,
                password_hash=hash_password(password, rounds) if password is not None else None,
            )
        except ValidationError as exc:
            raise AuthError(f"invalid user {username!r}: {exc.errors()[0]['msg']}") from exc
        users[username] = user
        self.save(users)
        return user

    def set_password(self, username: str, password: str, rounds: int = 12) -> User:
        """Replace a user's password."""
        users = self.load()
        if username not in users:
            raise AuthError(f"no user {username!r}")
        users[username] = users[username].model_copy(
            update={"password_hash": hash_password(password, rounds)}
        )
        self.save(users)
        return users[username]

    def set_disabled(self, username: str, disabled: bool) -> User:
        """Disable (or enable again) a user; disabled users cannot sign in."""
        users = self.load()
        if username not in users:
            raise AuthError(f"no user {username!r}")
        users[username] = users[username].model_copy(update={"disabled": disabled})
        self.save(users)
        return users[username]

    def remove(self, username: str) -> None:
        """Delete a user."""
        users = self.load()
        if users.pop(username, None) is None:
            raise AuthError(f"no user {username!r}")
        self.save(users)

    def authenticate(self, username: str, password: str) -> User | None:
        """Return the user when the password matches and the user is enabled, else ``None``."""
        user = self.load().get(username.strip())
        ok = verify_password(password, user.password_hash if user else None)
        if user is None or not ok or user.disabled:
            return None
        return user


class Session(BaseModel):
    """A signed-in user until ``expires_at``; kept server-side in the dashboard's session state."""

    model_config = ConfigDict(frozen=True)

    token: str
    user: User
    method: Literal["password", "oidc"] = "password"
    issued_at: datetime
    expires_at: datetime

    @classmethod
    def start(
        cls,
        user: User,
        minutes: int,
        method: Literal["password", "oidc"] = "password",
        now: datetime | None = None,
    ) -> Session:
        """Open a session that expires ``minutes`` from now."""
        now = now or utcnow()
        return cls(
            token=secrets.token_urlsafe(24),
            user=user,
            method=method,
            issued_at=now,
            expires_at=now + timedelta(minutes=minutes),
        )

    def expired(self, now: datetime | None = None) -> bool:
        """Return whether the session has run out."""
        return (now or utcnow()) >= self.expires_at


# -- OpenID Connect (authorisation code flow) ---------------------------------------------------
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
