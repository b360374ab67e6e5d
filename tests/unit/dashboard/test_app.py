"""The dashboard, run with Streamlit's AppTest: sign-in, every view of every role, RBAC, audit."""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from datetime import timedelta

import pytest

from dashboard.context import SESSION_KEY
from dashboard.evidence import verify_pack
from dashboard.views.incident import NOT_FOUND
from pantau.auth import Session
from tests.unit.dashboard.conftest import Seeded, go_to, make_signal

AppFactory = Callable[..., object]
SignIn = Callable[..., object]


def _text(at: object) -> str:
    """Everything rendered as markdown, text, captions, errors and metrics, in one string."""
    parts = []
    for kind in ("markdown", "caption", "text", "error", "success", "info", "warning", "title", "header"):
        parts += [str(getattr(e, "value", "")) for e in at.get(kind)]
    parts += [f"{m.label}={m.value}" for m in at.get("metric")]
    return html.unescape("\n".join(parts))  # as the browser shows it (pages escape untrusted text)


def _events(seeded: Seeded) -> list[tuple[str, str, str]]:
    return [(e.event, e.actor, e.target) for e in seeded.store.audit_log()]


def test_sign_in_with_password_opens_the_commission_overview(
    app: AppFactory, sign_in: SignIn, seeded: Seeded
) -> None:
    at = app()
    assert "Sign in" in [b.label for b in at.button]
    sign_in("ana", at=at)
    assert not at.exception
    assert at.session_state[SESSION_KEY].user.username == "ana"
    assert [r.value for r in at.radio if r.key == "nav"] == ["Overview"]
    assert ("sign_in", "ana", "") in _events(seeded)


def test_wrong_password_is_refused_and_audited(sign_in: SignIn, seeded: Seeded) -> None:
    at = sign_in("ana", "wrong password")
    assert SESSION_KEY not in at.session_state
    assert "wrong password" in _text(at)
    assert ("sign_in_failed", "ana", "") in _events(seeded)


def test_expired_session_returns_to_sign_in(app: AppFactory, seeded: Seeded) -> None:
    at = app("ana", minutes=0)
    assert "session ended" in _text(at)
    assert "Sign in" in [b.label for b in at.button]
    assert ("session_end", "ana", "") in _events(seeded)


def test_disabled_user_session_ends_at_next_run(app: AppFactory, seeded: Seeded) -> None:
    at = app("siti")
    seeded.users.set_disabled("siti", True)
    at.run()
    assert SESSION_KEY not in at.session_state


@pytest.mark.parametrize(
    ("user", "pages"),
    [
        ("ana", ["Overview", "Review queue", "Overdue answers", "Search", "Audit log", "Dead letters", "Monitoring",
                 "Fact-check queue"]),
        ("siti", ["Inbox", "Our incidents"]),
        ("jo", ["Search"]),
    ],
)
def test_each_role_sees_its_pages_and_each_page_renders(app: AppFactory, user: str, pages: list[str]) -> None:
    at = app(user)
    nav = next(r for r in at.radio if r.key == "nav")
    assert list(nav.options) == pages
    for page in pages:
        go_to(at, page)
        assert not at.exception, (page, at.exception)
        assert f"## {page}" in _text(at)


def test_commission_overview_shows_kpis_and_charts(app: AppFactory) -> None:
    at = app("ana")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Incidents"] == "4"
    assert metrics["Awaiting review"] == "2"
    assert metrics["Critical"] == "1"
    assert metrics["Late answers"] == "2"  # pbn-1 (1 h deadline, 3 h ago) and pbn-2 (24 h, 30 h ago)
    assert len(at.get("plotly_chart")) == 5


def test_review_queue_confirm_and_dismiss_need_reason(app: AppFactory, seeded: Seeded) -> None:
    at = app("ana", page="Review queue")
    pick = at.selectbox(key="review-pick")
    assert [o.split(" · ")[-1] for o in pick.options] == [
        seeded.pbn_new.id[:8],
        seeded.pkr2_new.id[:8],
    ]  # critical first
    pick.set_value(seeded.pkr2_new.id).run()
    form = f"decide-queue-{seeded.pkr2_new.id}"
    at.radio(key=f"{form}-action-new").set_value("dismiss")
    at.button(key=f"FormSubmitter:{form}-Record decision").click().run()
    assert "Give a reason" in _text(at)
    assert seeded.store.get_incident(seeded.pkr2_new.id, _everything()).status.value == "new"
    at.radio(key=f"{form}-action-new").set_value("confirm")
    at.button(key=f"FormSubmitter:{form}-Record decision").click().run()
    assert seeded.store.get_incident(seeded.pkr2_new.id, _everything()).status.value == "confirmed"
    assert "Confirmed SIM-1 on @pkr2.rasmi (now confirmed)." in _text(at)
    # The page re-read after the write: the decided incident left the queue and the count.
    assert "Review queue · 1 waiting" in _text(at)
    assert at.selectbox(key="review-pick").options[0].endswith(seeded.pbn_new.id[:8])
    history = seeded.store.actions(seeded.pkr2_new.id)
    assert [(a.action, a.actor) for a in history] == [("confirm", "ana")]
    assert ("decide", "ana", seeded.pkr2_new.id) in _events(seeded)


def _everything():  # noqa: ANN202 - tiny helper
    from pantau.stores.base import Scope

    return Scope.everything()


def test_incident_page_shows_item_signals_clause_history_and_pack(app: AppFactory, seeded: Seeded) -> None:
    at = app("ana", incident=seeded.pbn_new.id)
    text = _text(at)
    assert "GBV-1" in text and "Perempuan tak layak" in text and "The clause GBV-1 as signed." in text
    assert len(at.dataframe) >= 1
    download = at.get("download_button")[0]
    assert download.label.startswith("Download evidence pack")
    assert ("view_incident", "ana", seeded.pbn_new.id) in _events(seeded)


@pytest.mark.parametrize(
    ("user", "incident_attr", "visible"),
    [
        ("ana", "pkr2_new", True),
        ("siti", "pbn_new", True),
        ("siti", "pkr2_new", False),  # another party's incident
        ("siti", "pkr2_confirmed", False),
        ("joko", "pbn_confirmed", False),
        ("jo", "pbn_confirmed", True),
        ("jo", "pbn_new", False),  # journalists see confirmed incidents only
    ],
)
def test_permalink_respects_scope(
    app: AppFactory, seeded: Seeded, user: str, incident_attr: str, visible: bool
) -> None:
    incident = getattr(seeded, incident_attr)
    at = app(user, incident=incident.id)
    text = _text(at)
    assert (NOT_FOUND not in text) is visible
    assert (incident.item.text[:12] in text) is visible
    if not visible:
        assert ("view_incident_denied", user, incident.id) in _events(seeded)


@pytest.mark.parametrize("probe", ["", "' OR 1=1 --", "%", "*", "../pkr2"])
def test_party_officer_cannot_reach_other_party_by_crafted_ids(
    app: AppFactory, seeded: Seeded, probe: str
) -> None:
    at = app("siti", incident=probe or seeded.pkr2_new.id[:8])
    assert NOT_FOUND in _text(at)
    assert seeded.pkr2_new.item.text not in _text(at)


def test_party_officer_search_and_inbox_hold_only_their_party(app: AppFactory, seeded: Seeded) -> None:
    at = app("siti")
    inbox = at.selectbox(key="inbox-pick")
    assert len(inbox.options) == 2 and all("pbn.official" in o for o in inbox.options)  # pbn-1 and pbn-2
    go_to(at, "Our incidents")
    at.text_input(key="search-text").input("pilihan raya").run()
    text = _text(at)
    assert "pkr2.rasmi" not in text
    assert "1 incident" in text


def test_party_officer_acknowledges_and_responds(app: AppFactory, seeded: Seeded) -> None:
    at = app("siti", incident=seeded.pbn_confirmed.id)
    form = f"answer-page-{seeded.pbn_confirmed.id}"
    at.radio(key=f"{form}-kind").set_value("respond")
    at.text_area(key=f"{form}-text").input("Post removed at 10:02.")
    at.button(key=f"FormSubmitter:{form}-Send answer").click().run()
    assert not at.exception
    history = seeded.store.actions(seeded.pbn_confirmed.id)
    assert history[-1].action == "respond" and history[-1].actor == "siti"
    # The form is drawn afresh: nothing chosen, nothing written, so a second click records nothing.
    assert at.radio(key=f"{form}-kind").value is None and at.text_area(key=f"{form}-text").value == ""
    at.button(key=f"FormSubmitter:{form}-Send answer").click().run()
    assert len(seeded.store.actions(seeded.pbn_confirmed.id)) == len(history)
    mine = [
        a
        for a in seeded.store.alerts(_everything())
        if a.alert.incident_id == seeded.pbn_confirmed.id and a.alert.recipient == "officer-pbn"
    ]
    assert mine[0].responded_at is not None and mine[0].acknowledged_at is not None


def test_appeal_after_deadline_is_refused(app: AppFactory, seeded: Seeded) -> None:
    at = app("siti", incident=seeded.pbn_new.id)  # one-hour deadline, three hours ago
    form = f"answer-page-{seeded.pbn_new.id}"
    at.radio(key=f"{form}-kind").set_value("appeal")
    at.text_area(key=f"{form}-text").input("Not ours.")
    at.button(key=f"FormSubmitter:{form}-Send answer").click().run()
    assert "Appeals close" in _text(at)
    assert seeded.store.actions(seeded.pbn_new.id) == []


def test_party_officer_and_journalist_cannot_decide(app: AppFactory, seeded: Seeded) -> None:
    for user, incident in (("siti", seeded.pbn_new), ("jo", seeded.pbn_confirmed)):
        at = app(user, incident=incident.id)
        assert not [r for r in at.radio if (r.key or "").startswith("decide-")]
    at = app("ana", incident=seeded.pbn_new.id)
    assert [r for r in at.radio if (r.key or "").startswith("decide-")]


def test_journalist_search_is_confirmed_only_and_redacted(app: AppFactory, seeded: Seeded) -> None:
    at = app("jo")
    at.text_input(key="search-text").input("pilihan raya").run()
    text = _text(at)
    assert "2 incidents" in text
    assert "3456789" not in text and "Rina" not in text and "[redacted]" in text
    assert "Video rahsia" not in text  # not confirmed
    assert not [m for m in at.multiselect if m.key == "facet-status"]
    export = next(d for d in at.get("download_button") if d.key == "search-export")
    assert "redacted" in export.label
    # A journalist's search runs on the redacted text: what shows as [redacted] cannot be found.
    for hidden in ("3456789", "Rina", "pkr2 3456789"):
        at.text_input(key="search-text").input(hidden).run()
        assert "0 incidents" in _text(at), hidden


def test_search_reads_boolean_queries_and_the_family(app: AppFactory, seeded: Seeded) -> None:
    at = app("ana", page="Search")
    for query, count in (
        ("pilihan raya", "3 incidents"),
        ("SMS OR rahsia", "2 incidents"),
        ("pilihan raya -SMS", "2 incidents"),
        ('"raya pilihan"', "0 incidents"),
        ("deepfake", "1 incident"),  # the synthetic one, though its text never says so
    ):
        at.text_input(key="search-text").input(query).run()
        assert count in _text(at), query


def test_journalist_incident_page_and_pack_are_redacted(app: AppFactory, seeded: Seeded) -> None:
    at = app("jo", incident=seeded.pkr2_confirmed.id)
    assert "3456789" not in _text(at) and "[redacted]" in _text(at)


def test_commission_audit_and_dead_letter_pages(app: AppFactory, seeded: Seeded) -> None:
    from pantau.deadletters import dead_letter

    seeded.store.add_dead_letters([dead_letter(ValueError("boom"), "detect", {"id": "x"})])
    at = app("ana", incident=seeded.pbn_new.id)
    at.query_params.pop("incident")
    at.button(key="incident-back").click().run()
    go_to(at, "Audit log")
    frame = at.dataframe[0].value
    assert "view_incident" in set(frame["event"])
    go_to(at, "Dead letters")
    assert "1 kept" in _text(at)


def test_evidence_pack_verifies_and_detects_tampering(seeded: Seeded) -> None:
    from dashboard.evidence import evidence_pack, pack_bytes

    pack = evidence_pack(seeded.pbn_new, seeded.store.actions(seeded.pbn_new.id), exported_by="ana")
    data = pack_bytes(pack)
    assert verify_pack(data)
    doc = json.loads(data)
    doc["item"]["text"] = "edited"
    assert not verify_pack(doc)
    assert doc["breach"]["clause_id"] == "GBV-1" and doc["timestamps"]["exported_at"]


def test_session_lifetime_comes_from_settings(sign_in: SignIn) -> None:
    at = sign_in("jo")
    session: Session = at.session_state[SESSION_KEY]
    assert session.expires_at - session.issued_at == timedelta(minutes=480)


def test_intimate_images_are_never_shown_and_others_are_blurred(app: AppFactory, seeded: Seeded) -> None:
    from PIL import Image

    from pantau.schemas import Family
    from tests.mocks.incidents import image_file, make_incident

    paths = []
    for name, colour in (("a", "red"), ("b", "blue")):
        path = seeded.data_dir / f"{name}.png"
        Image.new("RGB", (64, 64), colour).save(path)
        paths.append(path)
    intimate_sha, other_sha = "a" * 64, "b" * 64
    incident = make_incident(
        "media-1",
        media=[image_file(intimate_sha, str(paths[0])), image_file(other_sha, str(paths[1]))],
        signals=[
            make_signal("gbv.intimate", Family.GBV, 0.97, "intimate-deepfake", media_sha256=intimate_sha),
        ],
    )
    seeded.store.upsert_incidents([incident])
    at = app("ana", incident=incident.id)
    assert "Intimate content withheld" in _text(at)
    images = [str(i.proto) for i in at.get("image")]
    # Only the non-intimate file (on the page and in the verification panel), always blurred (GBV incident).
    assert images and all("blurred" in i and other_sha[:16] in i for i in images)
    assert not any(intimate_sha[:16] in i for i in images)


HOSTILE = (
    "Lihat ![x](http://tracker.example/p.png) [klik](javascript:alert(1))\n\n"
    + "<script>alert(1)</script> :red[x] $x$"
)


@pytest.mark.parametrize("page", ["incident", "review", "search"])
def test_hostile_item_text_is_shown_literally_never_interpreted(
    app: AppFactory, seeded: Seeded, page: str
) -> None:
    from tests.mocks.incidents import make_incident

    incident = make_incident("hostile", text=HOSTILE, account="<b>pbn</b>")
    seeded.store.upsert_incidents([incident])
    at = app("ana", incident=incident.id if page == "incident" else None)
    if page == "review":
        go_to(at, "Review queue")
        at.selectbox(key="review-pick").set_value(incident.id).run()
    if page == "search":
        go_to(at, "Search")
        at.text_input(key="search-text").input("Lihat").run()
    sources = "\n".join(m.value for m in at.markdown)
    assert "&#33;&#91;x&#93;" in sources  # the text is there, escaped
    for raw in ("![x](", "](javascript", "<script>", ":red[", "$x$", "<b>pbn"):
        assert raw not in sources, raw


def test_journalist_sees_decisions_without_deciders_or_reasons(app: AppFactory, seeded: Seeded) -> None:
    from pantau.stores.base import ReviewAction

    seeded.store.record_action(
        ReviewAction(
            incident_id=seeded.pbn_confirmed.id,
            action="comment",
            actor="ana",
            role="commission",
            reason="internal: victim's sister called 012-9999999",
        )
    )
    at = app("jo", incident=seeded.pbn_confirmed.id)
    history = at.dataframe[-1].value
    assert set(history["by"]) == {"commission"} and set(history["reason"]) == {""}
    commission = app("ana", incident=seeded.pbn_confirmed.id)
    frames = [d.value for d in commission.dataframe]
    assert any("internal: victim's sister called 012-9999999" in set(f.get("reason", [])) for f in frames)
    assert "internal: victim's sister called 012-9999999" in set(frames[-1]["comment"])  # the comments


def test_overdue_page_lists_unanswered_officer_alerts(app: AppFactory, seeded: Seeded) -> None:
    at = app("ana", page="Overdue answers")
    frame = at.dataframe[0].value
    overdue = frame[frame["state"] == "OVERDUE"]
    assert set(overdue["incident"]) == {seeded.pbn_new.id, seeded.pbn_confirmed.id}
    assert set(overdue["officer"]) == {"officer-pbn"}


def test_csv_export_is_redacted_for_journalists(seeded: Seeded) -> None:
    import csv
    import io

    from dashboard.views.search import incidents_csv
    from pantau.access import redact_incident
    from pantau.registry import Registry

    rows = [redact_incident(seeded.pkr2_confirmed, Registry())]
    parsed = list(csv.DictReader(io.StringIO(incidents_csv(rows, "https://pantau.example/").decode())))
    assert parsed[0]["id"] == seeded.pkr2_confirmed.id and "3456789" not in parsed[0]["text"]
    # The page hides the original post's URL from journalists; so does the export.
    assert seeded.pkr2_confirmed.item.url and parsed[0]["url"] == ""
    assert parsed[0]["permalink"] == f"https://pantau.example/?incident={seeded.pkr2_confirmed.id}"
    formula = seeded.pkr2_confirmed.model_copy(
        update={"item": seeded.pkr2_confirmed.item.model_copy(update={"text": "=HYPERLINK(1)"})}
    )
    assert list(csv.DictReader(io.StringIO(incidents_csv([formula]).decode())))[0]["text"] == "'=HYPERLINK(1)"


def test_live_overview_renders_as_a_refreshing_fragment(app: AppFactory) -> None:
    at = app("ana")
    at.toggle(key="overview-live").set_value(True).run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Incidents"] == "4"


def test_repeated_failures_lock_the_user_across_browser_sessions(sign_in: SignIn, seeded: Seeded) -> None:
    from dashboard.signin import MAX_FAILURES_PER_USER
    from pantau.lockout import SignInLockout

    for _ in range(MAX_FAILURES_PER_USER):  # as the sign-in form records them (issue 19, row 4)
        SignInLockout(seeded.data_dir / "signin_failures.sqlite").fail("ana")
    at = sign_in("ana")  # a fresh browser session, and even the right password
    assert SESSION_KEY not in at.session_state
    assert "Too many failed attempts for this user" in _text(at)


def test_page_search_and_pick_come_from_the_url(app: AppFactory, seeded: Seeded) -> None:
    at = app("ana", params={"page": "Search", "q": "pilihan raya"})
    assert [r.value for r in at.radio if r.key == "nav"] == ["Search"]
    assert at.text_input(key="search-text").value == "pilihan raya"
    assert "3 incidents" in _text(at)
    at = app("ana", params={"page": "Review queue", "pick": seeded.pkr2_new.id})
    assert at.selectbox(key="review-pick").value == seeded.pkr2_new.id
    at = app("ana", params={"page": "No such page", "pick": "nope"})  # ignored, never an error
    assert not at.exception and [r.value for r in at.radio if r.key == "nav"] == ["Overview"]


def test_the_journalists_evidence_pack_leads_nowhere_near_the_post(seeded: Seeded) -> None:
    from dashboard.evidence import evidence_pack
    from pantau.access import redact_incident
    from pantau.registry import load_registry
    from pantau.settings import DEFAULT_REGISTRY

    shown = redact_incident(seeded.pkr2_confirmed, load_registry(DEFAULT_REGISTRY))
    pack = evidence_pack(shown, [], exported_by="jo", redacted=True)
    assert seeded.pkr2_confirmed.item.url and pack["item"]["url"] is None
    assert seeded.pkr2_confirmed.item.native_id not in json.dumps(pack)
    assert verify_pack(pack)
