"""Web pages of parties and news sites: main text (trafilatura), media, and ClaimReview JSON-LD.

Each configured URL is a stream. Its page is fetched with the SSRF-safe fetcher
(:func:`ingest.fetch.fetch_bytes`, the one the RSS source uses) and becomes an item; with
``follow_links`` the links on it that match ``link_pattern`` (same site by default) are fetched
too, so a party's news index yields its articles. An item's native id is the URL plus a digest
of the extracted text, so an edited page becomes a new item (the old version stays as evidence)
and an unchanged page is skipped on the next pass.

Media: ``og:image``/``og:video``/``twitter:image`` and the ``<img>``/``<video>`` of the main
``<article>`` or ``<main>`` (data URIs and SVG icons left out), as URLs for the media stage.
ClaimReview (schema.org, as fact-checkers publish it, also inside ``@graph``) goes into
``extra["claim_reviews"]`` with the labels ``claim-review`` and ``claim-rating:<rating>``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

from pydantic import Field

from ingest.base import SourceRecord
from ingest.connectors.base import ConnectorError, ConnectorOptions, ConnectorSource, JsonDict, mentions_in
from pantau.deadletters import dead_letter
from pantau.errors import BadFeed, ConfigError, PantauError
from pantau.schemas import MediaFile, Modality, digest

__all__ = ["WebOptions", "WebSource", "claim_reviews", "extract_page"]

PageFetcher = Callable[[str], bytes]
"""Fetch a URL safely and return its body (raises UnsafeURL, BadFeed, MediaTooLarge...)."""

_MAX_MEDIA = 12
_MAX_SEEN = 5000


class WebOptions(ConnectorOptions):
    """Options of a web source."""

    urls: list[str] = Field(description="Pages to read (party sites, news indexes).", min_length=1)
    follow_links: bool = Field(False, description="Also read the pages linked from each URL.")
    link_pattern: str | None = Field(
        None, description="Regex a followed link must match (default: same site)."
    )
    max_links: int = Field(30, ge=1, le=500, description="Most linked pages read per URL and pass.")
    include_index: bool = Field(True, description="Emit the URL's own page as an item too.")
    min_text_chars: int = Field(40, ge=0, description="Pages with less main text and no media are skipped.")


class WebSource(ConnectorSource):
    """Pages from the web, read through the safe fetcher."""

    platform_name: ClassVar[str] = "web"
    Options: ClassVar[type[ConnectorOptions]] = WebOptions
    default_poll_interval_s: ClassVar[float] = 900.0
    options: WebOptions

    def __init__(self, *args: Any, fetcher: PageFetcher | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._fetcher = fetcher

    def check_config(self) -> None:
        """Check the link pattern compiles and the URLs are http(s)."""
        if self.options.link_pattern:
            try:
                re.compile(self.options.link_pattern)
            except re.error as exc:
                raise ConfigError(f"source {self.name!r}: bad link_pattern: {exc}") from exc
        for url in self.options.urls:
            if urlsplit(url).scheme not in ("http", "https"):
                raise ConfigError(f"source {self.name!r}: not an http(s) URL: {url}")

    def fetch(self, url: str) -> bytes:
        """Fetch with the injected fetcher, or the project's SSRF-safe one."""
        if self._fetcher is None:
            settings = self.settings
            if settings is None:
                raise ConfigError(f"source {self.name!r}: no fetcher and no settings for the safe fetcher")
            try:
                from ingest.fetch import fetch_bytes  # type: ignore[attr-defined,unused-ignore]
            except ImportError as exc:
                raise ConfigError("the safe fetcher ingest.fetch.fetch_bytes is not available") from exc

            def safe(target: str) -> bytes:
                return fetch_bytes(target, settings)  # type: ignore[no-any-return]

            self._fetcher = safe
        return self._fetcher(url)

    def streams(self) -> list[str]:
        """One stream per configured URL."""
        return list(self.options.urls)

    def read_stream(self, stream: str, state: JsonDict) -> Iterator[SourceRecord | None]:
        """Yield the page (and the pages it links to) that changed since the last pass."""
        try:
            html = self.fetch(stream)
        except PantauError as exc:
            raise ConnectorError(f"cannot fetch {stream}: {type(exc).__name__}: {exc}") from exc
        self.status["counts"]["pages"] += 1
        seen: dict[str, str] = state.setdefault("seen", {})
        if self.options.include_index:
            yield self._page(stream, html, seen)
        if self.options.follow_links:
            for link in self._links(stream, html):
                if self._stopped.is_set():
                    break
                try:
                    body = self.fetch(link)
                except PantauError as exc:
                    yield dead_letter(exc, "ingest", {"url": link}, source=self.source_id)
                    continue
                self.status["counts"]["pages"] += 1
                yield self._page(link, body, seen)
                self.checkpoint.save()
        if len(seen) > _MAX_SEEN:
            for key in list(seen)[: len(seen) - _MAX_SEEN]:
                del seen[key]

    def _links(self, base: str, html: bytes) -> list[str]:
        from lxml import html as lhtml

        try:
            tree = lhtml.fromstring(html)
        except (ValueError, TypeError, SyntaxError):
            return []
        host = urlsplit(base).hostname
        pattern = re.compile(self.options.link_pattern) if self.options.link_pattern else None
        found: list[str] = []
        for href in tree.xpath("//a/@href"):
            url = urljoin(base, str(href)).split("#")[0]
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or url == base or url in found:
                continue
            if pattern is not None and not pattern.search(url):
                continue
            if pattern is None and parts.hostname != host:
                continue
            found.append(url)
            if len(found) >= self.options.max_links:
                break
        return found

    def _page(self, url: str, html: bytes, seen: dict[str, str]) -> SourceRecord | None:
        try:
            page = extract_page(html, url)
        except BadFeed as exc:
            return dead_letter(exc, "ingest", {"url": url}, source=self.source_id)
        text = page["text"]
        if len(text) < self.options.min_text_chars and not page["media"] and not page["claim_reviews"]:
            return dead_letter(
                BadFeed(f"{url}: no main text found (malformed or script-only page)"),
                "ingest",
                {"url": url, "bytes": len(html)},
                source=self.source_id,
            )
        version = digest(text, json.dumps(page["claim_reviews"], sort_keys=True, default=str), length=16)
        if seen.get(url) == version:
            return None
        seen.pop(url, None)
        seen[url] = version  # re-insert: the newest pages are kept when the map is trimmed
        host = (urlsplit(url).hostname or "").removeprefix("www.")
        labels = []
        if page["claim_reviews"]:
            labels.append("claim-review")
            labels += [
                f"claim-rating:{r['rating'].lower()}" for r in page["claim_reviews"] if r.get("rating")
            ]
        return self.make_item(
            f"{url}#{version}",
            account=host,
            account_name=page.get("site_name") or page.get("author"),
            party=self.party_of(host),
            url=url,
            title=page.get("title"),
            text=text,
            media=page["media"],
            language=page.get("language"),
            mentions=mentions_in(text),
            labels=list(dict.fromkeys(labels)),
            published_at=page.get("date"),
            extra={"claim_reviews": page["claim_reviews"], "author": page.get("author")}
            if page["claim_reviews"]
            else {"author": page.get("author")},
        )


def extract_page(html: bytes | str, url: str) -> dict[str, Any]:
    """Return the main text, title, date, language, media and ClaimReviews of an HTML page.

    Raises :class:`BadFeed` when the document is not HTML at all.
    """
    import trafilatura
    from lxml import etree
    from lxml import html as lhtml

    if isinstance(html, bytes) and b"\x00" in html[:1024]:
        raise BadFeed(f"{url}: not an HTML document (binary content)")
    try:
        tree = lhtml.fromstring(html)
    except (ValueError, TypeError, SyntaxError, etree.ParserError) as exc:
        raise BadFeed(f"{url}: not an HTML document: {exc}") from exc
    meta_json = trafilatura.extract(
        html, url=url, output_format="json", with_metadata=True, include_comments=False, favor_precision=True
    )
    meta: JsonDict = json.loads(meta_json) if meta_json else {}
    lang = tree.get("lang") or (tree.find("html").get("lang") if tree.find("html") is not None else None)
    date = meta.get("date")
    return {
        "title": meta.get("title") or _first(tree.xpath("//title/text()")),
        "text": (meta.get("text") or "").strip(),
        "author": meta.get("author"),
        "site_name": _first(tree.xpath("//meta[@property='og:site_name']/@content"))
        or meta.get("source-hostname"),
        "date": f"{date}T00:00:00+00:00" if date and len(date) == 10 else None,
        "language": (lang or meta.get("language") or "").split("-")[0].lower() or None,
        "media": _media(tree, url),
        "claim_reviews": claim_reviews(tree),
    }


def _first(values: list[Any]) -> str | None:
    return str(values[0]).strip() if values else None


def _media(tree: Any, base: str) -> list[MediaFile]:
    found: dict[str, Modality] = {}

    def add(src: Any, modality: Modality) -> None:
        if not src or len(found) >= _MAX_MEDIA:
            return
        url = urljoin(base, str(src).strip())
        if urlsplit(url).scheme in ("http", "https") and not url.lower().split("?")[0].endswith(".svg"):
            found.setdefault(url, modality)

    for prop in ("og:image", "og:image:url", "twitter:image"):
        for src in tree.xpath(f"//meta[@property='{prop}' or @name='{prop}']/@content"):
            add(src, Modality.IMAGE)
    for prop in ("og:video", "og:video:url"):
        for src in tree.xpath(f"//meta[@property='{prop}']/@content"):
            add(src, Modality.VIDEO)
    scope = tree.xpath("//article") or tree.xpath("//main") or [tree]
    for node in scope[:1]:
        for src in node.xpath(".//img/@src"):
            add(src, Modality.IMAGE)
        for src in node.xpath(".//video/@src | .//video/source/@src"):
            add(src, Modality.VIDEO)
    return [MediaFile(url=u, modality=m) for u, m in found.items()]


def claim_reviews(tree: Any) -> list[JsonDict]:
    """Return the schema.org ClaimReviews in a page's JSON-LD, in a flat, predictable shape."""
    reviews: list[JsonDict] = []
    for block in tree.xpath("//script[@type='application/ld+json']/text()"):
        try:
            data = json.loads(str(block))
        except ValueError:
            continue  # one broken block must not hide the others
        for node in _walk(data):
            types = node.get("@type")
            types = types if isinstance(types, list) else [types]
            if "ClaimReview" not in types:
                continue
            rating: JsonDict = node["reviewRating"] if isinstance(node.get("reviewRating"), dict) else {}
            item: JsonDict = node["itemReviewed"] if isinstance(node.get("itemReviewed"), dict) else {}
            author = node.get("author")
            appearances = item.get("appearance") or []
            appearances = appearances if isinstance(appearances, list) else [appearances]
            first = item.get("firstAppearance")
            reviews.append(
                {
                    "claim": node.get("claimReviewed"),
                    "rating": rating.get("alternateName"),
                    "rating_value": rating.get("ratingValue"),
                    "best_rating": rating.get("bestRating"),
                    "worst_rating": rating.get("worstRating"),
                    "reviewer": _name(author),
                    "url": node.get("url"),
                    "date": node.get("datePublished"),
                    "claimant": _name(item.get("author")),
                    "appearances": [
                        a.get("url") if isinstance(a, dict) else a
                        for a in [*appearances, *([first] if first else [])]
                        if a
                    ],
                }
            )
    return reviews


def _walk(data: Any) -> Iterator[JsonDict]:
    if isinstance(data, list):
        for entry in data:
            yield from _walk(entry)
    elif isinstance(data, dict):
        yield data
        if "@graph" in data:
            yield from _walk(data["@graph"])


def _name(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        return value.get("name")
    return value if isinstance(value, str) else None
