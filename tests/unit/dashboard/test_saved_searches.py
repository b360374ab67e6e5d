"""Saved searches (dashboard/saved.py) and the search page's published-date filter."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from dashboard.saved import MAX_PER_USER, SavedSearches
from pantau.schemas import utcnow
from tests.mocks.incidents import make_incident
from tests.unit.dashboard.conftest import Seeded, go_to


def test_save_list_replace_and_delete(tmp_path: Path) -> None:
    book = SavedSearches(tmp_path)
    assert (
        book.save("ana", "  deepfakes  ", {"q": "deepfake", "family": ["synthetic"], "incident": "x"})
        == "saved"
    )
    assert book.save("ana", "deepfakes", {"q": "deepfake", "family": ["synthetic"]}) == "unchanged"
    assert book.list("ana") == [("deepfakes", {"q": ["deepfake"], "family": ["synthetic"]})]
    assert book.save("ana", "deepfakes", {"q": "deepfake OR sintetik"}) == "replaced"
    assert book.list("ana") == [("deepfakes", {"q": ["deepfake OR sintetik"]})]
    assert book.list("jo") == [], "each user sees their own"
    assert stat.S_IMODE(book.path.stat().st_mode) == 0o600
    assert book.delete("ana", "deepfakes") and not book.delete("ana", "deepfakes")
    assert book.list("ana") == []


def test_refusals_and_a_damaged_file(tmp_path: Path) -> None:
    book = SavedSearches(tmp_path)
    with pytest.raises(ValueError, match="name"):
        book.save("ana", "   ", {"q": "x"})
    for n in range(MAX_PER_USER):
        book.save("ana", f"s{n}", {"q": str(n)})
    with pytest.raises(ValueError, match="at most"):
        book.save("ana", "one more", {"q": "x"})
    book.path.write_text("{not json")
    assert book.list("ana") == []
    book.path.write_text(json.dumps({"ana": [{"name": "ok", "params": {"q": "x", "evil": "y"}}, "junk"]}))
    assert book.list("ana") == [("ok", {"q": ["x"]})]


def _results(at: Any) -> str:
    return next(m.value for m in at.markdown if "incident" in m.value and m.value.startswith("#####"))


@pytest.fixture
def old_post(seeded: Seeded) -> Any:
    """A post published 60 days ago, detected just now."""
    incident = make_incident("old-post", text="Kempen lama dijumpai semula", created_at=utcnow())
    incident.item.published_at = utcnow() - timedelta(days=60)
    seeded.store.upsert_incidents([incident])
    return incident


def test_the_date_window_applies_to_publication_when_asked(app: Callable[..., Any], old_post: Any) -> None:
    at = app("ana", page="Search")
    at.text_input(key="search-text").input("Kempen lama").run()
    assert _results(at).startswith("##### 1 incident")
    at.selectbox(key="search-date-field").set_value("published").run()
    assert _results(at).startswith("##### 0 incidents"), "published 60 days ago: outside the last 30 days"
    assert at.query_params["dates"] in ("published", ["published"])


def test_a_saved_search_reopens_text_sort_dates_and_facets(
    app: Callable[..., Any], seeded: Seeded, old_post: Any
) -> None:
    at = app("ana", page="Search")
    at.text_input(key="search-text").input("pilihan raya").run()
    at.selectbox(key="search-sort").set_value("severity").run()
    at.multiselect(key="facet-party").set_value(["pkr2"]).run()
    shown = _results(at)
    at.text_input(key="save-search-name").input("PKR2 pilihan raya")
    at = at.button(key="FormSubmitter:save-search-Save this search").click().run()
    assert any("saved" in s.value for s in at.success)
    at = at.button(key="FormSubmitter:save-search-Save this search").click().run()
    assert any("nothing changed" in i.value for i in at.info), "saved once"
    saved = SavedSearches(seeded.data_dir).list("ana")
    assert saved == [
        (
            "PKR2 pilihan raya",
            {"q": ["pilihan raya"], "sort": ["severity"], "dates": ["detected"], "party": ["pkr2"]},
        )
    ]
    fresh = go_to(app("ana"), "Search")
    fresh = fresh.button(key="saved-open-0").click().run()
    assert fresh.text_input(key="search-text").value == "pilihan raya"
    assert fresh.selectbox(key="search-sort").value == "severity"
    assert fresh.multiselect(key="facet-party").value == ["pkr2"]
    assert _results(fresh) == shown
