"""What every page needs: settings, the store, the registry, the signed-in user and their scope.

Pages read and write only through :class:`Context`: the store methods take the user's scope
(the store filters), and :meth:`Context.audit` appends to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from pantau.access import scope_for
from pantau.auth import Session, User, UserDirectory, users_path
from pantau.registry import Registry, load_registry
from pantau.sessions import SessionBook
from pantau.settings import Settings
from pantau.stores.base import AuditEvent, IncidentStore, Scope

__all__ = ["SESSION_KEY", "Context", "load_context"]

SESSION_KEY = "pantau_session"


@st.cache_resource(show_spinner=False)
def _store(url: str, _settings: Settings) -> IncidentStore:
    from pantau.stores import by_url

    store = by_url(url, _settings)
    store.open()
    return store


@st.cache_resource(show_spinner=False)
def _registry(path: str | None, _mtime: float) -> Registry:
    return load_registry(Path(path) if path else None)


@dataclass
class Context:
    """The request context of one script run."""

    settings: Settings
    store: IncidentStore
    registry: Registry
    users: UserDirectory
    sessions: SessionBook
    session: Session | None = None

    @property
    def user(self) -> User:
        """The signed-in user (pages behind the sign-in only)."""
        if self.session is None:
            raise RuntimeError("no signed-in user")
        return self.session.user

    @property
    def scope(self) -> Scope:
        """What the signed-in user may see."""
        return scope_for(self.user)

    def audit(
        self,
        event: str,
        target: str = "",
        detail: str = "",
        actor: str | None = None,
        role: str | None = None,
    ) -> None:
        """Append an audit event for the signed-in user (or the given actor)."""
        who = self.session.user if self.session is not None else None
        self.store.audit(
            AuditEvent(
                actor=actor or (who.username if who else "anonymous"),
                role=role or (who.role if who else "-"),
                event=event,
                target=target,
                detail=detail[:500],
            )
        )

    def party_name(self, party_id: str | None) -> str:
        """A party's short name, or its id."""
        party = self.registry.party(party_id)
        return (party.short_name or party.name) if party else (party_id or "-")


def load_context() -> Context:
    """Build the context from the settings (``PANTAU_*`` environment, ``PANTAU_CONFIG``)."""
    settings = Settings.load()
    reg_path = settings.registry_file
    mtime = reg_path.stat().st_mtime if reg_path and reg_path.exists() else 0.0
    return Context(
        settings=settings,
        store=_store(settings.store_url, settings),
        registry=_registry(str(reg_path) if reg_path else None, mtime),
        users=UserDirectory(users_path(settings)),
        sessions=SessionBook(users_path(settings).parent),
        session=st.session_state.get(SESSION_KEY),
    )
