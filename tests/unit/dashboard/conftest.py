"""A seeded store, users, an AppTest factory and the helpers the dashboard tests share."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pantau.alerting import Alerter
from pantau.auth import Session, UserDirectory
from pantau.oidc import OIDCClient
from pantau.registry import load_registry
from pantau.schemas import Family, Incident, IncidentStatus, Severity, Signal, utcnow
from pantau.sessions import SessionBook
from pantau.settings import DEFAULT_REGISTRY
from pantau.stores.sqlite import SQLiteStore
from tests.mocks.incidents import make_incident

APP = str(Path(__file__).resolve().parents[3] / "dashboard" / "app.py")
PASSWORD = "correct horse battery"


def make_signal(detector: str, family: Family, score: float, label: str, **fields: Any) -> Signal:
    """A signal of item ``x``, detector version ``1``: what the tests vary, plus any other ``fields``.

    A plain function, not a fixture: ``pytest.mark.parametrize`` lists build signals too.
    """
    return Signal(
        item_id="x", detector=detector, version="1", family=family, score=score, label=label, **fields
    )


def go_to(at: Any, page: str) -> Any:
    """Pick ``page`` in the navigation of a running AppTest and run it again."""
    return next(r for r in at.radio if r.key == "nav").set_value(page).run()


@dataclass
class Seeded:
    """What the dashboard tests work on."""

    data_dir: Path
    store: SQLiteStore
    users: UserDirectory
    pbn_new: Incident
    pbn_confirmed: Incident
    pkr2_new: Incident
    pkr2_confirmed: Incident


def seed(data: Path) -> Seeded:
    """Write users, four incidents (two parties, two confirmed) and their alerts under ``data``."""
    users = UserDirectory(data / "users.json")
    users.add("ana", PASSWORD, "commission", name="Ana Commissioner", rounds=4)
    users.add("siti", PASSWORD, "party_officer", party="pbn", name="Siti Rahman", rounds=4)
    users.add("joko", PASSWORD, "party_officer", party="pkr2", rounds=4)
    users.add("jo", PASSWORD, "journalist", rounds=4)
    now = utcnow()
    pbn_new = make_incident(
        "pbn-1",
        party="pbn",
        account="pbn.official",
        severity=Severity.CRITICAL,
        text="Perempuan tak layak memimpin. Rina Kusuma tinggal di Jalan Mawar 12, +60 12-345 6789",
        created_at=now - timedelta(hours=3),
        deadline_hours=1,
    )
    pbn_confirmed = make_incident(
        "pbn-2",
        party="pbn",
        account="pbn.official",
        family=Family.DISINFO,
        status=IncidentStatus.CONFIRMED,
        text="Undi boleh dibuat melalui SMS pilihan raya",
        created_at=now - timedelta(hours=30),
    )
    pkr2_new = make_incident(
        "pkr2-1",
        party="pkr2",
        account="pkr2.rasmi",
        family=Family.SYNTHETIC,
        text="Video rahsia calon PKR2 pilihan raya",
        created_at=now - timedelta(hours=2),
    )
    pkr2_confirmed = make_incident(
        "pkr2-2",
        party="pkr2",
        account="pkr2.rasmi",
        status=IncidentStatus.CONFIRMED,
        text="Pilihan raya: hubungi Rina di 012-3456789",
        created_at=now - timedelta(hours=5),
    )
    # Detectors that find a targeted private person name them in details["private_names"].
    pkr2_confirmed.signals[0].details["private_names"] = ["Rina"]
    pbn_new.signals[0].details["private_names"] = ["Rina Kusuma"]
    store = SQLiteStore(data / "pantau.db")
    store.open()
    incidents = [pbn_new, pbn_confirmed, pkr2_new, pkr2_confirmed]
    store.upsert_incidents(incidents)
    for inc in incidents:  # the store keeps the status of existing ids; set it as a decision would
        if inc.status == IncidentStatus.CONFIRMED:
            from pantau.stores.base import ReviewAction

            store.record_action(
                ReviewAction(incident_id=inc.id, action="confirm", actor="seed", role="commission")
            )
    Alerter(store, load_registry(DEFAULT_REGISTRY), []).send(incidents)
    return Seeded(data, store, users, pbn_new, pbn_confirmed, pkr2_new, pkr2_confirmed)


@pytest.fixture
def seeded(_isolated_data_dir: Path) -> Iterator[Seeded]:
    data = seed(_isolated_data_dir)
    yield data
    data.store.close()


@pytest.fixture
def app(seeded: Seeded) -> Callable[..., object]:
    """Return a factory of AppTests signed in as a user (or not signed in)."""
    from streamlit.testing.v1 import AppTest

    from dashboard.context import SESSION_KEY

    def make(
        username: str | None = None,
        incident: str | None = None,
        minutes: int = 60,
        page: str | None = None,
        params: dict[str, str] | None = None,
    ) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=60)
        if username is not None:
            user = seeded.users.get(username)
            assert user is not None
            session = Session.start(user, minutes)
            SessionBook(seeded.data_dir).cookie_for(session)  # the server-side record sign-in makes
            at.session_state[SESSION_KEY] = session
        if incident is not None:
            at.query_params["incident"] = incident
        for name, value in (params or {}).items():  # the URL the browser opened
            at.query_params[name] = value
        at.run()
        return go_to(at, page) if page is not None else at

    return make


@pytest.fixture
def sign_in(app: Callable[..., Any]) -> Callable[..., Any]:
    """Return a function that fills and submits the sign-in form (of ``at``, else of a fresh AppTest)."""

    def submit(username: str, password: str = PASSWORD, at: Any = None) -> Any:
        at = app() if at is None else at
        at.text_input(key="signin_user").input(username)
        at.text_input(key="signin_password").input(password)
        at.button[0].click().run()
        return at

    return submit


OIDC_ISSUER, OIDC_REDIRECT = "https://idp.example", "https://pantau.example/"


@pytest.fixture
def users(tmp_path: Path) -> UserDirectory:
    """A user directory of its own: ana (commission) and siti (party officer of pbn)."""
    directory = UserDirectory(tmp_path / "users.json")
    directory.add("ana", PASSWORD, "commission", rounds=4)
    directory.add("siti", PASSWORD, "party_officer", party="pbn", rounds=4)
    return directory


@pytest.fixture
def oidc() -> OIDCClient:
    """An OIDC client of client id ``pantau`` and secret ``secret`` at ``OIDC_ISSUER``."""
    return OIDCClient(OIDC_ISSUER, "pantau", "secret", OIDC_REDIRECT)


@pytest.fixture
def users_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A runner for ``pantau users`` commands whose data folder (``users.json``) is ``tmp_path``."""
    monkeypatch.setenv("PANTAU_DATA_DIR", str(tmp_path))
    return CliRunner()
