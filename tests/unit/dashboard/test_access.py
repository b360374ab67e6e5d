"""Role scopes, redaction of victims' data and withholding of intimate media."""

from __future__ import annotations

import pytest

from pantau.access import (
    REDACTED,
    can_decide,
    intimate_media,
    is_intimate,
    redact_incident,
    redact_text,
    scope_for,
)
from pantau.auth import User
from pantau.registry import Account, Person, Registry
from pantau.schemas import Family, IncidentStatus, Signal, TextPart
from tests.mocks.incidents import image_file, make_incident
from tests.unit.dashboard.conftest import make_signal

REGISTRY = Registry(
    people=[
        Person(id="rina", name="Rina Kusuma", role="other"),
        Person(id="aminah-yusof", name="Aminah Yusof", role="candidate"),
    ],
    accounts=[Account(platform="x", handle="@pkr2_rasmi", party="pkr2", kind="official")],
)


@pytest.mark.parametrize(
    ("user", "parties", "statuses", "redact"),
    [
        (User(username="a", role="commission"), None, None, False),
        (User(username="s", role="party_officer", party="pbn"), frozenset({"pbn"}), None, False),
        (
            User(username="j", role="journalist"),
            None,
            frozenset({IncidentStatus.CONFIRMED, IncidentStatus.UPHELD}),
            True,
        ),
    ],
)
def test_scope_for_role(user: User, parties: frozenset[str] | None, statuses: object, redact: bool) -> None:
    scope = scope_for(user)
    assert (scope.parties, scope.statuses, scope.redact) == (parties, statuses, redact)


def test_only_the_commission_decides() -> None:
    assert can_decide(User(username="a", role="commission"))
    assert not can_decide(User(username="s", role="party_officer", party="pbn"))
    assert not can_decide(User(username="j", role="journalist"))


@pytest.mark.parametrize(
    ("text", "leaked"),
    [
        ("hubungi dia di +60 12-345 6789", "345 6789"),
        ("nombor 012-3456789 ya", "3456789"),
        ("emel rina@mail.example sekarang", "rina@mail.example"),
        ("IC 900101-14-5678", "900101"),
        ("NIK 3171234567890001", "3171234567890001"),
        ("rumah di Jalan Mawar 12, Bukit Mawar", "Jalan Mawar"),
        ("tinggal di No. 7 Lorong Kenari", "No. 7"),
    ],
)
def test_redact_text_removes_personal_data(text: str, leaked: str) -> None:
    out = redact_text(text)
    assert leaked not in out and REDACTED in out


@pytest.mark.parametrize("text", ["Pilihan raya pada 2026 dan 10 000 undi", "Manifesto PBN 2025-2030"])
def test_redact_text_keeps_ordinary_numbers(text: str) -> None:
    assert redact_text(text) == text


def test_redact_incident_removes_victims_but_keeps_the_poster() -> None:
    incident = make_incident(
        "1",
        account="pbn.official",
        text="@rina_k Rina Kusuma perempuan tak layak, rumah dia di Jalan Mawar 12. pbn.official setuju",
        mentions=["@rina_k"],
        text_parts=[TextPart(origin="ocr", text="Call 012-3456789")],
        signals=[
            make_signal(
                "gbv.text",
                Family.GBV,
                0.9,
                "sexist",
                evidence="attack on Rina Kusuma",
                details={"private_names": ["Rina Kusuma"], "span": "Rina Kusuma"},
            )
        ],
    )
    red = redact_incident(incident, REGISTRY)
    blob = red.model_dump_json()
    for leaked in ("rina_k", "Rina Kusuma", "Jalan Mawar", "3456789"):
        assert leaked not in blob, leaked
    assert red.item.account == "pbn.official" and "pbn.official setuju" in red.item.text
    assert red.id == incident.id and red.breach == incident.breach


def test_non_gbv_incident_keeps_party_account_handles() -> None:
    incident = make_incident("1", family=Family.DISINFO, text="seperti kata @pkr2_rasmi dan @someone_private")
    red = redact_incident(incident, REGISTRY)
    assert "@pkr2_rasmi" in red.item.text and "someone_private" not in red.item.text


@pytest.mark.parametrize(
    ("signal", "intimate"),
    [
        (make_signal("gbv.intimate", Family.GBV, 0.95, "intimate-deepfake"), True),
        (make_signal("gbv.intimate", Family.GBV, 0.1, "intimate-deepfake"), False),
        (
            make_signal("synthetic.image", Family.SYNTHETIC, 0.9, "ai-generated", details={"intimate": True}),
            True,
        ),
        (make_signal("gbv.text", Family.GBV, 0.9, "sexist"), False),
    ],
)
def test_is_intimate(signal: Signal, intimate: bool) -> None:
    assert is_intimate(signal) is intimate


def test_intimate_media_withheld_by_hash_or_all_media() -> None:
    media = [image_file("a" * 64, "/m/a.png"), image_file("b" * 64, "/m/b.png")]
    pointed = make_signal("gbv.intimate", Family.GBV, 0.9, "intimate", media_sha256="a" * 64)
    unpointed = pointed.model_copy(update={"media_sha256": None})
    assert intimate_media(make_incident("1", media=media, signals=[pointed])) == {"a" * 64}
    assert intimate_media(make_incident("1", media=media, signals=[unpointed])) == {"a" * 64, "b" * 64}
    red = redact_incident(make_incident("1", media=media, signals=[pointed]))
    assert red.item.media[0].path is None and red.item.media[0].meta["withheld"] == "intimate"
    assert red.item.media[1].path == "/m/b.png"


def test_ballot_numbers_are_not_addresses() -> None:
    assert redact_text("Pilih No. 2 tanggal 29 November!") == "Pilih No. 2 tanggal 29 November!"


def test_redacted_incident_carries_no_way_back_to_the_post() -> None:
    media = image_file("a" * 64).model_copy(update={"url": "https://cdn.example/doxx.png"})
    inc = make_incident("doxx-1", text="Alamat dia Jalan Mawar 12", media=[media])
    red = redact_incident(inc, REGISTRY)
    assert inc.item.url and red.item.url is None
    assert red.item.native_id == REDACTED and red.item.media[0].url is None
    assert red.item.media[0].sha256 == "a" * 64  # the evidence hash stays
