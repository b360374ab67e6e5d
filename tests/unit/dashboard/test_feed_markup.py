"""Feed text never becomes markup: no links in chart labels, no autolinked URLs in search and review
rows (issue 19, row 13)."""

from __future__ import annotations

from typing import Any

import pytest

from dashboard.charts import bar_counts, incidents_frame
from tests.mocks.incidents import make_incident
from tests.unit.dashboard.conftest import go_to

LINK = '<a href="https://evil.example/phish">PBN official</a>'
URL_TEXT = "Lihat https://evil.example/phish dan www.evil.example sekarang, tulis ke a@evil.example"


def test_chart_labels_carry_no_markup_from_feed_fields() -> None:
    incident = make_incident("m1", party=LINK, platform="<b>tiktok</b><br>x", account="<i>acc</i>")
    frame = incidents_frame([incident])
    for column in ("party", "platform", "account", "clause"):
        assert "<" not in frame[column].iloc[0], column
    for by in ("party", "platform"):
        labels = [str(v) for trace in bar_counts(frame, by, "t").data for v in trace.y]
        assert labels and not any("<" in v or "href" in v for v in labels), labels
    assert frame["party"].iloc[0] == "PBN official"


@pytest.mark.parametrize("page", ["search", "review"])
def test_rows_with_feed_text_are_raw_html_blocks_that_markdown_cannot_autolink(
    app: Any, seeded: Any, page: str
) -> None:
    incident = make_incident("urls", text=URL_TEXT, account="evil.example")
    seeded.store.upsert_incidents([incident])
    at = app("ana")
    if page == "review":
        go_to(at, "Review queue")
        at.selectbox(key="review-pick").set_value(incident.id).run()
    else:
        go_to(at, "Search")
        at.text_input(key="search-text").input("Lihat").run()
    rows = [m.value for m in at.markdown if "evil" in m.value]
    assert rows
    for row in rows:
        # A paragraph would be autolinked after its entities are decoded; a one-line <div> block is not
        # parsed as Markdown at all.
        assert row.startswith('<div class="pantau-plain">') and row.endswith("</div>"), row
        assert "\n" not in row and "https://" not in row
