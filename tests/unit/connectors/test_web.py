"""Web connector: main text, media and ClaimReview from pages served by a replay server."""

from __future__ import annotations

import json

import httpx
import pytest

from ingest.connectors.web import WebSource, extract_page
from pantau.errors import BadFeed, UnsafeURL
from pantau.schemas import DeadLetter, MediaItem
from tests.unit.connectors.replay import Reply

BODY = "Kami berjanji untuk membina negara yang lebih baik untuk semua rakyat Malaysia. " * 4

ARTICLE = f"""<!doctype html><html lang="ms-MY"><head><title>Manifesto PBN</title>
<meta property="og:image" content="/img/cover.jpg"><meta property="og:site_name" content="PBN">
<meta property="article:published_time" content="2024-05-01">
</head><body><nav><a href="/berita/1">one</a> <a href="/berita/2">two</a> <a href="https://elsewhere.example/x">x</a>
<a href="/tentang">about</a></nav>
<article><h1>Manifesto</h1><p>{BODY}</p><img src="/img/rally.png"><img src="/icons/logo.svg">
<video><source src="/v/ucapan.mp4"></video></article></body></html>"""

CLAIM = {
    "@context": "https://schema.org",
    "@graph": [
        {"@type": "WebPage"},
        {
            "@type": "ClaimReview",
            "claimReviewed": "Calon X mengaku menerima rasuah dalam video",
            "url": "https://fakta.example/semakan/1",
            "datePublished": "2024-05-02",
            "author": {"@type": "Organization", "name": "Fakta Check"},
            "reviewRating": {
                "@type": "Rating",
                "ratingValue": 1,
                "bestRating": 5,
                "worstRating": 1,
                "alternateName": "False",
            },
            "itemReviewed": {
                "@type": "Claim",
                "author": {"@type": "Person", "name": "Akaun Palsu"},
                "appearance": [{"@type": "CreativeWork", "url": "https://x.com/palsu/status/1"}],
            },
        },
    ],
}


def _fetcher(server):
    def fetch(url: str) -> bytes:
        if "blocked" in url:
            raise UnsafeURL(f"{url} resolves to a private address")
        return httpx.get(url).content

    return fetch


def _source(server, tmp_path, registry, **options) -> WebSource:
    return WebSource(
        "sites",
        {"urls": [f"{server.url}/berita"], "poll_interval_s": 0, **options},
        data_dir=tmp_path,
        registry=registry,
        fetcher=_fetcher(server),
    )


def test_page_main_text_media_language_and_date():
    page = extract_page(ARTICLE.encode(), "https://pbn.example/berita/1")
    assert "membina negara" in page["text"] and "one" not in page["text"].split()
    assert page["language"] == "ms" and page["date"].startswith("2024-05-01")
    assert [m.url for m in page["media"]] == [
        "https://pbn.example/img/cover.jpg",
        "https://pbn.example/img/rally.png",
        "https://pbn.example/v/ucapan.mp4",
    ]
    assert page["media"][2].modality == "video"


def test_claim_review_json_ld_is_extracted_from_graph():
    html = (
        f'<html><body><p>{BODY}</p><script type="application/ld+json">{{broken</script>'
        f'<script type="application/ld+json">{json.dumps(CLAIM)}</script></body></html>'
    )
    reviews = extract_page(html, "https://fakta.example/semakan/1")["claim_reviews"]
    assert reviews == [
        {
            "claim": "Calon X mengaku menerima rasuah dalam video",
            "rating": "False",
            "rating_value": 1,
            "best_rating": 5,
            "worst_rating": 1,
            "reviewer": "Fakta Check",
            "url": "https://fakta.example/semakan/1",
            "date": "2024-05-02",
            "claimant": "Akaun Palsu",
            "appearances": ["https://x.com/palsu/status/1"],
        }
    ]


@pytest.mark.parametrize("body", [b"\x00\x01\x02binary", b""])
def test_non_html_is_bad_feed(body):
    with pytest.raises(BadFeed):
        extract_page(body, "https://pbn.example/x")


def test_follows_same_site_links_and_skips_unchanged_pages(server, tmp_path, registry):
    server.add("GET", "/berita", Reply(body=ARTICLE.encode()))
    server.add("GET", "/berita/1", Reply(body=ARTICLE.replace("Manifesto", "Satu").encode()))
    server.add("GET", "/berita/2", Reply(body=b"<html><body><script>app()</script></body></html>"))
    source = _source(
        server, tmp_path, registry, follow_links=True, link_pattern=r"/berita/\d+$", include_index=False
    )

    out = list(source.read())

    assert [type(r).__name__ for r in out] == ["MediaItem", "DeadLetter"]
    assert out[0].url.endswith("/berita/1") and out[0].title == "Satu" and out[0].platform == "web"
    assert "no main text" in out[1].reason
    again = _source(
        server, tmp_path, registry, follow_links=True, link_pattern=r"/berita/\d+$", include_index=False
    )
    assert [type(r).__name__ for r in again.read()] == ["DeadLetter"]  # unchanged page not emitted twice


def test_edited_page_becomes_a_new_item(server, tmp_path, registry):
    server.add(
        "GET",
        "/berita",
        Reply(body=ARTICLE.encode()),
        Reply(body=ARTICLE.replace("lebih baik", "lebih hebat").encode()),
    )
    first = list(_source(server, tmp_path, registry).read())
    second = list(_source(server, tmp_path, registry).read())
    assert isinstance(first[0], MediaItem) and isinstance(second[0], MediaItem)
    assert first[0].id != second[0].id and first[0].url == second[0].url


def test_claim_review_page_carries_labels(server, tmp_path, registry):
    page = (
        f'<html><body><article><p>{BODY}</p></article><script type="application/ld+json">'
        f"{json.dumps(CLAIM)}</script></body></html>"
    )
    server.add("GET", "/berita", Reply(body=page.encode()))
    item = next(iter(_source(server, tmp_path, registry).read()))
    assert item.labels == ["claim-review", "claim-rating:false"]
    assert item.extra["claim_reviews"][0]["claimant"] == "Akaun Palsu"


def test_refused_url_fails_its_stream_only(server, tmp_path, registry):
    server.add("GET", "/berita", Reply(body=ARTICLE.encode()))
    source = WebSource(
        "sites",
        {"urls": ["http://blocked.example/", f"{server.url}/berita"]},
        data_dir=tmp_path,
        registry=registry,
        fetcher=_fetcher(server),
    )
    out = list(source.read())
    assert isinstance(out[0], DeadLetter) and "UnsafeURL" in out[0].reason
    assert isinstance(out[1], MediaItem) and source.status["state"] == "degraded"


def test_party_site_is_attributed(tmp_path, registry):
    source = WebSource(
        "sites",
        {"urls": ["https://www.pbn.example/"]},
        data_dir=tmp_path,
        registry=registry,
        fetcher=lambda _url: ARTICLE.encode(),
    )
    item = next(iter(source.read()))
    assert (item.account, item.party) == ("pbn.example", "pbn")
