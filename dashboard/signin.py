"""Sign-in (password or identity provider), sessions that survive a reload, expiry and sign-out.

A signed-in browser keeps a signed, expiring cookie (:mod:`pantau.sessions`); a new Streamlit
session (a reload, a permalink opened in another tab) resumes from it while the server still
holds the session's record. Signing out removes the record (and clears the cookie); "sign out
everywhere" removes every record of the user, so their other browsers are signed out at their
next click.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import streamlit as st
import streamlit.components.v1 as components

from dashboard.context import SESSION_KEY, Context
from pantau.auth import AuthError, Session
from pantau.errors import ConfigError
from pantau.lockout import SignInLockout
from pantau.oidc import OIDCClient, user_for_claims
from pantau.schemas import utcnow
from pantau.sessions import COOKIE_NAME

__all__ = [
    "check_session",
    "cookie_script",
    "restore_session",
    "session_problem",
    "sign_in_page",
    "sign_out",
    "sign_out_everywhere",
]
_COOKIE_PENDING = "pantau_cookie_pending"
_RESUMED = "pantau_resume_tried"

MAX_FAILURES = 5
LOCKOUT_S = 60.0
# Per user name, counted in the audit log so that opening new browser sessions does not reset it.
MAX_FAILURES_PER_USER = 10
USER_LOCKOUT_MIN = 15
_FAILURES_KEY = "pantau_signin_failures"


def _lockout(ctx: Context) -> SignInLockout:
    """Failed sign-ins per user name and time, in their own table (pantau/lockout.py)."""
    return SignInLockout(
        Path(ctx.settings.data_dir) / "signin_failures.sqlite", MAX_FAILURES_PER_USER, USER_LOCKOUT_MIN * 60
    )


def _recent_failures(ctx: Context, username: str) -> int:
    """Failed sign-ins for this user in the last minutes (across browser sessions; no other event counts)."""
    return _lockout(ctx).failures(username)


def session_problem(ctx: Context) -> str | None:
    """Why the context's session may not act (``None`` when it may): none, expired, user changed."""
    session = ctx.session
    if session is None:
        return "not signed in"
    current = ctx.users.get(session.user.username)
    if session.expired():
        return "expired"
    if (
        current is None
        or current.disabled
        or current.role != session.user.role
        or current.party != session.user.party
    ):
        return "user changed or disabled"
    if not ctx.sessions.active(session.token):
        return "signed out"
    return None


def check_session(ctx: Context) -> Session | None:
    """Return the live session, ending it (and auditing) when it has expired or the user was disabled."""
    session = ctx.session
    if session is None:
        return None
    reason = session_problem(ctx)
    if reason is not None:
        ctx.audit("session_end", detail=reason)
        st.session_state.pop(SESSION_KEY, None)
        ctx.sessions.revoke(session.token)
        st.session_state[_COOKIE_PENDING] = ""  # clear the browser's cookie too
        ctx.session = None
        st.warning(f"Your session ended ({reason}). Please sign in again.")
        return None
    return session


def sign_out(ctx: Context) -> None:
    """End the session (its server-side record too, so its cookie opens nothing) and audit it."""
    ctx.audit("sign_out")
    if ctx.session is not None:
        ctx.sessions.revoke(ctx.session.token)
    st.session_state.pop(SESSION_KEY, None)
    st.session_state[_COOKIE_PENDING] = ""
    ctx.session = None


def sign_out_everywhere(ctx: Context) -> int:
    """End every session of the signed-in user, in every browser; return how many ended."""
    if ctx.session is None:
        return 0
    ended = ctx.sessions.revoke_user(ctx.session.user.username)
    ctx.audit("sign_out", detail=f"everywhere: {ended} sessions")
    st.session_state.pop(SESSION_KEY, None)
    st.session_state[_COOKIE_PENDING] = ""
    ctx.session = None
    return ended


def restore_session(ctx: Context) -> None:
    """Resume the session the browser's cookie names (once per Streamlit session, when none is open)."""
    if ctx.session is not None or st.session_state.get(_RESUMED):
        return
    st.session_state[_RESUMED] = True
    cookie = (getattr(st.context, "cookies", None) or {}).get(COOKIE_NAME)
    if not cookie:
        return
    session = ctx.sessions.resume(cookie, ctx.users, ctx.settings.dashboard.session_minutes * 60)
    if session is None:
        st.session_state[_COOKIE_PENDING] = ""  # a cookie that opens nothing is cleared
        return
    st.session_state[SESSION_KEY] = session
    ctx.session = session
    ctx.audit("session_resume", detail=session.method)


def cookie_script() -> None:
    """Set (after sign-in) or clear (after sign-out) the session cookie in the browser, if pending."""
    value = st.session_state.pop(_COOKIE_PENDING, None)
    if value is None:
        return
    max_age = 0
    session = st.session_state.get(SESSION_KEY)
    if value and session is not None:
        max_age = max(0, int((session.expires_at - utcnow()).total_seconds()))
    cookie = f"{COOKIE_NAME}={value}; Path=/; Max-Age={max_age}; SameSite=Strict"
    # The component's frame has the dashboard's origin; the cookie is the dashboard's.
    components.html(
        "<script>(function(){var c=" + json.dumps(cookie) + ";"
        "if(window.parent.location.protocol==='https:'){c+='; Secure';}"
        "window.parent.document.cookie=c;})();</script>",
        height=0,
    )


def _start(ctx: Context, session: Session) -> None:
    st.session_state[SESSION_KEY] = session
    st.session_state[_COOKIE_PENDING] = ctx.sessions.cookie_for(session)
    st.session_state[_RESUMED] = True
    ctx.session = session
    ctx.audit("sign_in", detail=session.method)


def _redirect_uri() -> str:
    url = getattr(getattr(st, "context", None), "url", None) or ""
    return url.split("?", 1)[0] or "http://127.0.0.1:8501/"


def _oidc(ctx: Context) -> OIDCClient | None:
    try:
        return OIDCClient.from_settings(ctx.settings.dashboard, _redirect_uri())
    except Exception as exc:  # noqa: BLE001 - a misconfigured IdP must not hide the password form
        st.error(f"Identity provider misconfigured: {exc}")
        return None


def _oidc_callback(ctx: Context, client: OIDCClient) -> None:
    code, state = st.query_params.get("code"), st.query_params.get("state")
    if not code or not state:
        return
    for key in ("code", "state", "session_state", "iss"):
        st.query_params.pop(key, None)
    try:
        claims = client.finish(code, state)
    except AuthError as exc:
        ctx.audit("sign_in_failed", actor="oidc", role="-", detail=str(exc))
        st.error(f"Sign-in through the identity provider failed: {exc}")
        return
    user = user_for_claims(ctx.users, claims)
    who = str(claims.get("email") or claims.get("preferred_username") or claims.get("sub"))
    if user is None:
        ctx.audit("sign_in_failed", actor=who, role="-", detail="oidc: not in the users file")
        st.error(
            "Your identity was confirmed, but you have no Pantau role. Ask the commission's administrator."
        )
        return
    _start(ctx, Session.start(user, ctx.settings.dashboard.session_minutes, method="oidc"))
    st.rerun()


def sign_in_page(ctx: Context) -> None:
    """The sign-in form; on success the session is stored and the app reruns."""
    st.markdown("## Pantau · AI code of conduct monitor")
    st.caption("Election commission, party compliance officers and accredited journalists.")
    if "incident" in st.query_params:
        st.info("Sign in to open the incident you were sent.")
    try:
        nobody = not ctx.users.load()
    except ConfigError as exc:
        st.error(f"The users file cannot be read: {exc}")
        nobody = False
    if nobody:
        st.warning(
            f"No user exists yet ({ctx.users.path}). Create one with "
            "`pantau users add NAME --role commission`, or demo users with `pantau users demo`."
        )
    client = _oidc(ctx)
    if client is not None:
        _oidc_callback(ctx, client)
    failures: list[float] = [
        t for t in st.session_state.get(_FAILURES_KEY, []) if time.time() - t < LOCKOUT_S
    ]
    st.session_state[_FAILURES_KEY] = failures
    locked = len(failures) >= MAX_FAILURES
    left, _ = st.columns([2, 3])
    with left:
        with st.form("signin"):
            username = st.text_input("User name", key="signin_user")
            password = st.text_input("Password", type="password", key="signin_password")
            submitted = st.form_submit_button("Sign in", type="primary", disabled=locked)
        if locked:
            st.error(f"Too many failed attempts. Wait {int(LOCKOUT_S)} seconds.")
        if client is not None:
            try:
                st.link_button("Sign in with the identity provider", client.authorization_url())
            except AuthError as exc:
                st.error(str(exc))
    if submitted and not locked:
        if _recent_failures(ctx, username.strip()) >= MAX_FAILURES_PER_USER:
            ctx.audit("sign_in_failed", actor=username.strip()[:200], role="-", detail="locked")
            st.error(f"Too many failed attempts for this user. Try again in {USER_LOCKOUT_MIN} minutes.")
            return
        user = ctx.users.authenticate(username, password)
        if user is None:
            _lockout(ctx).fail(username.strip())
            failures.append(time.time())
            st.session_state[_FAILURES_KEY] = failures
            ctx.audit(
                "sign_in_failed", actor=username.strip()[:200] or "(empty)", role="-", detail="password"
            )
            st.error("Unknown user name or wrong password.")
            return
        st.session_state[_FAILURES_KEY] = []
        _lockout(ctx).clear(username.strip())
        _start(ctx, Session.start(user, ctx.settings.dashboard.session_minutes))
        st.rerun()
