"""``gbv.doxxing`` finds regional phone and ID formats and addresses, masks them, and ignores numbers."""

from __future__ import annotations

import pytest

from detectors.gbv.doxxing import GbvDoxxingDetector, find_personal_data, mask
from tests.unit.gbv.conftest import SAMPLE_REGISTRY, make_item


@pytest.mark.parametrize(
    ("text", "kind", "scheme"),
    [
        ("call her 012-345 6789", "phone", "mobile"),  # Malaysia
        ("WA: +62 812-3456-7890", "phone", "mobile"),  # Indonesia
        ("text +63 917 123 4567", "phone", "mobile"),  # Philippines
        ("โทร 081-234-5678", "phone", "mobile"),  # Thailand
        ("sđt 0912 345 678", "phone", "mobile"),  # Vietnam
        ("IC dia 850312-14-5678", "national-id", "my-mykad"),
        ("NIK 3174015203850001", "national-id", "id-nik"),  # a woman's NIK: day + 40
        ("PSN 1234-5678-9012-3456", "national-id", "ph-psn"),
        ("SSS 34-1234567-8", "national-id", "ph-sss"),
        ("เลขบัตร 1-1017-00230-71-6", "national-id", "th-id"),
        ("CCCD: 001199012345", "national-id", "vn-cccd"),
        ("she lives at No. 12, Jalan Mawar 3", "home-address", "pattern"),
        ("rumahnya di Jl. Kenanga no 5", "home-address", "pattern"),
        ("nakatira sa Brgy. San Roque", "home-address", "pattern"),
        ("her kids go to school at SK Bukit Mawar", "family", "pattern"),
        ("email her: aminah@example.com", "email", "email"),
    ],
)
def test_finds_personal_data(text: str, kind: str, scheme: str) -> None:
    assert (kind, scheme) in {(f.kind, f.scheme) for f in find_personal_data(text)}


@pytest.mark.parametrize(
    "text",
    [
        "The 2024 election had 12,345,678 votes",
        "Results: 1234567890123 ballots",  # 13 digits failing the Thai check digit
        "Rally on 12/05/2024 at 10:30",
        "Manifesto page 3, clause 14",
        "😀😀",
    ],
)
def test_numbers_that_are_not_personal_data(text: str) -> None:
    assert find_personal_data(text) == []


def test_mask_keeps_only_ends() -> None:
    assert mask("850312-14-5678") == "850***-**-**78"


def _detector() -> GbvDoxxingDetector:
    from pantau.settings import Settings

    detector = GbvDoxxingDetector()
    detector.settings = Settings(registry_file=SAMPLE_REGISTRY)
    return detector


def test_signal_names_the_targeted_candidate_and_never_the_full_number() -> None:
    [[signal]] = _detector().detect(
        [make_item("Aminah Yusof tinggal di Jl. Kenanga no 5, call 012-345 6789")]
    )
    assert signal.score >= 0.85
    assert signal.label == "home-address"
    assert signal.details["targets"] == ["aminah-yusof"]
    assert signal.details["aimed"] is True
    assert "345 6789" not in str(signal.model_dump())


@pytest.mark.parametrize(
    ("text", "fields", "below"),
    [
        ("Call our office: 012-345 6789, No. 5 Jalan Merdeka", {}, 0.5),  # nobody registered addressed
        (
            "Aminah Yusof's service centre: No. 5 Jalan Merdeka, 012-345 6789",
            {"account": "pkr2.rasmi", "platform": "facebook"},
            0.5,
        ),  # the party's own account
        ("Program kami: internet desa. Pilih nomor 2!", {}, 0.01),  # a ballot number is no address
    ],
)
def test_unaimed_personal_data_stays_below_the_code_bar(text: str, fields: dict, below: float) -> None:
    [[signal]] = _detector().detect([make_item(text, **fields)])
    assert signal.score < below


def test_aimed_address_alone_reaches_the_code_bar() -> None:
    [[signal]] = _detector().detect(
        [make_item("Ratna Wulandari lives at No. 12, Jalan Mawar 3", platform="x")]
    )
    assert signal.score >= 0.7
