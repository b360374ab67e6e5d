"""docs/dashboard.md quotes the figures of the last screenshot run, and its pictures are there and small."""

from __future__ import annotations

import json
import re
from pathlib import Path

DOCS = Path(__file__).resolve().parents[3] / "docs"
PAGE = DOCS / "dashboard.md"


def test_the_page_quotes_the_demo_figures() -> None:
    figures = json.loads((DOCS / "img" / "demo-figures.json").read_text(encoding="utf-8"))
    text = PAGE.read_text(encoding="utf-8")
    families = ", ".join(f"{k} {v}" for k, v in figures["by_family"].items())
    severities = ", ".join(f"{k} {v}" for k, v in figures["by_severity"].items())
    said = (
        f"{figures['items']} items, {figures['incidents']} incidents ({families}; {severities}), "
        f"{figures['alerts']} alerts, {figures['dead_letters']} dead letters"
    )
    assert said in " ".join(text.split()), f"docs/dashboard.md should say: {said}"
    for confirmed in figures["confirmed_for_the_pictures"]:
        assert confirmed.split(" on ")[0] in text


def test_every_picture_of_the_page_exists_and_is_under_300_kb() -> None:
    pictures = re.findall(r"!\[[^\]]*\]\((img/[^)]+)\)", PAGE.read_text(encoding="utf-8"))
    assert len(pictures) >= 9
    for picture in pictures:
        path = DOCS / picture
        assert path.is_file(), f"{picture} is missing: run python bench/dashboard_screenshots.py"
        assert path.stat().st_size < 300 * 1024, f"{picture} is over 300 KB"
