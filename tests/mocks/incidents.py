"""Incidents built straight from :mod:`pantau.schemas`, for store, alerting and dashboard tests."""

from __future__ import annotations

from datetime import datetime, timedelta

from pantau.schemas import (
    Breach,
    Family,
    Incident,
    IncidentStatus,
    MediaFile,
    MediaItem,
    Modality,
    Severity,
    Signal,
    TextPart,
    utcnow,
)

__all__ = ["make_incident"]

_CLAUSES = {
    Family.GBV: ("GBV-1", "No sexist or misogynistic attacks", "gbv.text", "sexist"),
    Family.SYNTHETIC: (
        "SIM-1",
        "No undisclosed synthetic depictions of real people",
        "synthetic.image",
        "ai-generated",
    ),
    Family.DISINFO: ("DIS-1", "No false claims about voting", "disinfo.claims", "false-claim"),
    Family.CAMPAIGN: ("CAM-2", "Paid content declares its sponsor", "campaign.ads", "undeclared"),
}


def make_incident(
    native_id: str,
    *,
    text: str = "Contoh kandungan kempen.",
    party: str | None = "pbn",
    attributed: bool = True,
    family: Family = Family.GBV,
    severity: Severity = Severity.HIGH,
    status: IncidentStatus = IncidentStatus.NEW,
    platform: str = "facebook",
    account: str = "pbn.official",
    created_at: datetime | None = None,
    deadline_hours: float | None = 24,
    signals: list[Signal] | None = None,
    media: list[MediaFile] | None = None,
    mentions: list[str] | None = None,
    text_parts: list[TextPart] | None = None,
) -> Incident:
    """Return one incident with a realistic breach, signal and item."""
    clause_id, title, detector, label = _CLAUSES.get(family, _CLAUSES[Family.GBV])
    item_id = MediaItem.make_id("feed:test", native_id)
    created = created_at or utcnow() - timedelta(minutes=5)
    item = MediaItem(
        id=item_id,
        source="feed:test",
        native_id=native_id,
        platform=platform,
        account=account,
        party=party,
        url=f"https://{platform}.example/{native_id}",
        text=text,
        media=media or [],
        mentions=mentions or [],
        published_at=created - timedelta(minutes=1),
    )
    breach = Breach(
        code_id="pantau-model-code",
        code_version="1.0",
        clause_id=clause_id,
        clause_title=title,
        clause_text=f"The clause {clause_id} as signed.",
        family=family,
        severity=severity,
        rule=f'signals["{detector}"].score >= 0.7',
        signals=[detector],
        attributed_party=party if attributed else None,
        notify=["party_officer", "commission"],
        deadline_hours=deadline_hours,
    )
    sigs = (
        signals
        if signals is not None
        else [
            Signal(
                item_id=item_id,
                detector=detector,
                version="1",
                family=family,
                score=0.91,
                label=label,
                evidence=f"{label} language",
            )
        ]
    )
    return Incident(
        id=Incident.make_id(item_id, breach.code_id, clause_id),
        item=item,
        breach=breach,
        signals=sigs,
        text_parts=text_parts or [],
        status=status,
        created_at=created,
        updated_at=created,
    )


def image_file(sha: str, path: str | None = None) -> MediaFile:
    """Return an image attachment with a given hash."""
    return MediaFile(sha256=sha, path=path, mime="image/png", size=10, modality=Modality.IMAGE)
