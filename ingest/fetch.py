"""The one safe way media enters Pantau: fetched over HTTP(S) or copied from a local file.

Whatever the origin, a media file is

- **sniffed** from its first bytes (never trusted by extension or ``Content-Type``), and refused
  unless it is an image, audio or video type Pantau can decode;
- **bounded**: at most ``settings.media.max_bytes`` (checked against ``Content-Length`` and
  again while streaming), within ``settings.media.fetch_timeout_s`` overall: one deadline for
  connect, TLS, headers, redirects and body (:class:`pantau.deadline.Deadline`; a server that
  drips one byte at a time cannot hold a fetch past it);
- **hashed** with SHA-256 and stored once in the content-addressed media folder
  ``settings.media_dir/ab/cd/<sha256>``, so the same picture shared a thousand times is
  stored and analysed once.

Remote fetches defend against server-side request forgery: only ``http`` and ``https``; the
host name is resolved here and *every* address it resolves to must be public (no private,
loopback, link-local, multicast, reserved or unspecified address, IPv4-mapped forms
included); the connection then goes to the address that was checked, not to a second DNS
answer (DNS rebinding), with the original host name kept for ``Host`` and TLS SNI and
certificate checks. Each redirect (at most ``settings.media.max_redirects``) is checked the
same way. ``settings.media.allow_private_addresses`` lifts the address check for tests on
loopback servers only.

Example Snippet::

    media = fetch_media("https://example.org/poster.jpg", settings)
    media.sha256, media.mime, media.modality, media.path

    media = store_local_file(Path("tip.mp4"), settings)
"""

from __future__ import annotations

import hashlib
import http.client
import ipaddress
import os
import socket
import ssl
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from pantau.content import checked_media_file, content_path
from pantau.deadline import Deadline
from pantau.errors import BadMedia, MediaTooLarge, UnsafeURL
from pantau.schemas import MediaFile, Modality

if TYPE_CHECKING:
    from pantau.settings import Settings

__all__ = [
    "SUPPORTED_MIME",
    "check_address",
    "content_path",
    "fetch_bytes",
    "fetch_media",
    "modality_of_mime",
    "resolve_public",
    "sniff_mime",
    "store_bytes",
    "store_local_file",
]

USER_AGENT = "Pantau-media-fetcher/0.1 (+https://github.com/pantau)"
_CHUNK = 64 * 1024
_REDIRECTS = {301, 302, 303, 307, 308}

SUPPORTED_MIME: dict[str, Modality] = {
    "image/jpeg": Modality.IMAGE,
    "image/png": Modality.IMAGE,
    "image/gif": Modality.IMAGE,
    "image/webp": Modality.IMAGE,
    "image/bmp": Modality.IMAGE,
    "image/tiff": Modality.IMAGE,
    "image/avif": Modality.IMAGE,
    "video/mp4": Modality.VIDEO,
    "video/webm": Modality.VIDEO,
    "video/quicktime": Modality.VIDEO,
    "video/x-matroska": Modality.VIDEO,
    "video/x-msvideo": Modality.VIDEO,
    "video/x-m4v": Modality.VIDEO,
    "video/x-flv": Modality.VIDEO,
    "video/3gpp": Modality.VIDEO,
    "audio/mpeg": Modality.AUDIO,
    "audio/ogg": Modality.AUDIO,
    "audio/x-wav": Modality.AUDIO,
    "audio/wav": Modality.AUDIO,
    "audio/x-flac": Modality.AUDIO,
    "audio/flac": Modality.AUDIO,
    "audio/mp4": Modality.AUDIO,
    "audio/aac": Modality.AUDIO,
    "audio/amr": Modality.AUDIO,
    "audio/opus": Modality.AUDIO,
    "audio/webm": Modality.AUDIO,
}
"""MIME types accepted, with the modality each is analysed as."""


def sniff_mime(head: bytes) -> str | None:
    """Return the MIME type of a file from its first bytes (at least 262 are best), or ``None``.

    >>> sniff_mime(b"\\x89PNG\\r\\n\\x1a\\n" + bytes(32))
    'image/png'
    """
    import filetype

    kind = filetype.guess(head[:8192])
    if kind is not None:
        mime = str(kind.mime)
        # filetype names every ISO-BMFF "M4A " brand audio/mp4 and "mp42"/"isom" video/mp4.
        return {"audio/x-m4a": "audio/mp4", "video/mpeg": "video/mp4"}.get(mime, mime)
    if head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    return None


def modality_of_mime(mime: str | None) -> Modality | None:
    """Return the modality Pantau analyses a MIME type as, or ``None`` when unsupported."""
    return SUPPORTED_MIME.get(mime or "")


def _accept(
    sha256: str,
    size: int,
    head: bytes,
    tmp: Path,
    settings: Settings,
    url: str | None,
    name: str | None = None,
) -> MediaFile:
    """Sniff, then move a complete temporary file into the media folder (or drop it if stored already)."""
    if size == 0:
        raise BadMedia("media file is empty (0 bytes)")
    mime = sniff_mime(head)
    modality = modality_of_mime(mime)
    if modality is None:
        what = mime or "unrecognised content"
        raise BadMedia(f"unsupported media type: {what} (sniffed from the content)")
    final = content_path(settings.media_dir, sha256)
    if final.is_file() and final.stat().st_size == size:
        tmp.unlink(missing_ok=True)
    else:
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, final)
    meta = {"original_name": name} if name else {}
    return MediaFile(
        url=url, path=str(final), sha256=sha256, mime=mime, size=size, modality=modality, meta=meta
    )


def _tmp_file(settings: Settings) -> tuple[int, Path]:
    folder = settings.media_dir / "tmp"
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=folder, prefix="part-")
    return fd, Path(name)


def store_bytes(data: bytes, settings: Settings, url: str | None = None) -> MediaFile:
    """Store media content held in memory (limits and sniffing as for files)."""
    if len(data) > settings.media.max_bytes:
        raise MediaTooLarge(f"media is {len(data)} bytes, over the limit of {settings.media.max_bytes}")
    fd, tmp = _tmp_file(settings)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        return _accept(hashlib.sha256(data).hexdigest(), len(data), data[:8192], tmp, settings, url)
    finally:
        tmp.unlink(missing_ok=True)


def store_local_file(path: Path, settings: Settings) -> MediaFile:
    """Copy a local media file into the content-addressed media folder and describe it.

    :param path: the file (a tip upload, a folder source's file, a test fixture).
    :raises BadMedia: missing, empty, not a regular file, or not a supported media type.
    :raises MediaTooLarge: larger than ``settings.media.max_bytes``.
    """
    path, _ = checked_media_file(path, settings.media.max_bytes)
    h = hashlib.sha256()
    head = b""
    fd, tmp = _tmp_file(settings)
    copied = 0
    try:
        with path.open("rb") as src, os.fdopen(fd, "wb") as out:
            for chunk in iter(lambda: src.read(_CHUNK * 16), b""):
                copied += len(chunk)
                if copied > settings.media.max_bytes:  # the file grew while we read it
                    raise MediaTooLarge(
                        f"media file {path.name} is over the limit of {settings.media.max_bytes}"
                    )
                if len(head) < 8192:
                    head += chunk[: 8192 - len(head)]
                h.update(chunk)
                out.write(chunk)
        return _accept(h.hexdigest(), copied, head, tmp, settings, None, path.name)
    finally:
        tmp.unlink(missing_ok=True)


# -- remote ---------------------------------------------------------------------------------------


def check_address(ip: str, allow_private: bool = False) -> None:
    """Raise :class:`UnsafeURL` unless ``ip`` is a public unicast address.

    >>> check_address("93.184.216.34")
    >>> check_address("127.0.0.1")
    Traceback (most recent call last):
    ...
    pantau.errors.UnsafeURL: refused address 127.0.0.1: loopback
    """
    addr = ipaddress.ip_address(ip.split("%", 1)[0])
    if allow_private:
        return
    if isinstance(addr, ipaddress.IPv6Address):
        mapped = addr.ipv4_mapped or addr.sixtofour
        if mapped is None and addr.teredo:
            mapped = addr.teredo[1]
        if mapped is not None:
            try:
                check_address(str(mapped))
            except UnsafeURL as exc:
                raise UnsafeURL(f"refused address {ip}: embeds {exc}") from None
    for flag in ("loopback", "private", "link_local", "multicast", "reserved", "unspecified", "site_local"):
        if getattr(addr, f"is_{flag}", False):
            raise UnsafeURL(f"refused address {ip}: {flag.replace('_', '-')}")
    if not addr.is_global:
        raise UnsafeURL(f"refused address {ip}: not globally routable")


def resolve_public(host: str, port: int, allow_private: bool = False) -> list[str]:
    """Resolve ``host`` and return its addresses, refusing the host if *any* of them is not public.

    Refusing on any bad answer (not just skipping it) stops a name that resolves to both a
    public and an internal address from being a way in.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeURL(f"cannot resolve host {host!r}: {exc}") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise UnsafeURL(f"host {host!r} has no address")
    for ip in addresses:
        check_address(ip, allow_private)
    return addresses


def _check_url(url: str) -> tuple[str, str, int, str]:
    """Return (scheme, host, port, path-with-query) of an acceptable URL."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeURL(f"malformed URL {url!r}: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeURL(f"refused URL scheme {scheme or '(none)'!r}: only http and https are fetched")
    if not parts.hostname:
        raise UnsafeURL(f"URL has no host: {url!r}")
    if parts.username or parts.password:
        raise UnsafeURL("refused URL with credentials in it")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80), path


def _pinned_socket(conn: http.client.HTTPConnection, ip: str, deadline: Deadline) -> socket.socket:
    """Connect to ``ip`` within the deadline; the socket is watched from the moment it exists."""
    sock = socket.create_connection((ip, conn.port), max(0.001, deadline.remaining()))
    conn.sock = sock  # the watchdog shuts conn.sock at the deadline
    if deadline.passed():
        sock.close()
        raise TimeoutError("deadline passed while connecting")
    return sock


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to an address checked beforehand, whatever DNS says now."""

    def __init__(self, host: str, port: int, ip: str, deadline: Deadline) -> None:
        super().__init__(host, port, timeout=max(0.001, deadline.remaining()))
        self._ip = ip
        self._deadline = deadline
        deadline.watch(self)

    def connect(self) -> None:
        _pinned_socket(self, self._ip, self._deadline)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """An HTTPS connection to a checked address; SNI and certificate checks use the host name."""

    def __init__(self, host: str, port: int, ip: str, deadline: Deadline, context: ssl.SSLContext) -> None:
        super().__init__(host, port, timeout=max(0.001, deadline.remaining()), context=context)
        self._ip = ip
        self._deadline = deadline
        deadline.watch(self)

    def connect(self) -> None:
        sock = _pinned_socket(self, self._ip, self._deadline)  # watched during the TLS handshake too
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _timed_out(url: str, deadline: Deadline) -> BadMedia:
    return BadMedia(f"fetch of {url} timed out after {deadline.seconds:g} s (connect, headers and body)")


def _request(
    scheme: str, host: str, port: int, path: str, addresses: list[str], deadline: Deadline, url: str,
    accept: str = "image/*,video/*,audio/*",
) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
    """GET ``path`` from the first checked address that accepts a connection, within the deadline."""
    error: Exception | None = None
    for ip in addresses:
        conn: http.client.HTTPConnection
        if scheme == "https":
            conn = _PinnedHTTPSConnection(host, port, ip, deadline, ssl.create_default_context())
        else:
            conn = _PinnedHTTPConnection(host, port, ip, deadline)
        try:
            conn.request("GET", path, headers={"User-Agent": USER_AGENT, "Accept": accept})
            return conn, conn.getresponse()
        except (ConnectionRefusedError, ConnectionResetError) as exc:  # try the next address
            conn.close()
            if deadline.passed():
                raise _timed_out(url, deadline) from exc
            error = exc
        except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
            conn.close()
            if deadline.passed():
                raise _timed_out(url, deadline) from exc
            raise BadMedia(f"cannot fetch {url}: {exc.__class__.__name__}: {exc}") from exc
    raise BadMedia(f"cannot fetch {url}: {error.__class__.__name__}: {error}")


def _open(
    url: str, settings: Settings, deadline: Deadline, accept: str = "image/*,video/*,audio/*"
) -> http.client.HTTPResponse:
    """Follow at most ``max_redirects`` redirects, checking each hop; return the final 200 response."""
    allow_private = settings.media.allow_private_addresses
    current = url
    for _hop in range(settings.media.max_redirects + 1):
        scheme, host, port, path = _check_url(current)
        addresses = resolve_public(host, port, allow_private)
        if deadline.passed():
            raise _timed_out(url, deadline)
        conn, response = _request(scheme, host, port, path, addresses, deadline, current, accept)
        if response.status in _REDIRECTS:
            location = response.getheader("Location")
            conn.close()
            if not location:
                raise BadMedia(f"redirect without Location from {current}")
            current = urljoin(current, location)
            continue
        if response.status != 200:
            conn.close()
            raise BadMedia(f"cannot fetch {current}: HTTP {response.status} {response.reason}")
        return response
    raise UnsafeURL(f"too many redirects (more than {settings.media.max_redirects}) from {url}")


DOCUMENT_MAX_BYTES = 20 * 1024 * 1024
"""Largest feed or web page :func:`fetch_bytes` reads by default."""


def fetch_bytes(url: str, settings: Settings, max_bytes: int = DOCUMENT_MAX_BYTES) -> bytes:
    """Fetch a document (an RSS/Atom feed, a web page) into memory with the same protections as media.

    Same SSRF checks at every hop, bounded redirects, one overall deadline and a size cap.

    :raises UnsafeURL: bad scheme, credentials in the URL, a non-public address, too many redirects.
    :raises MediaTooLarge: over ``max_bytes``.
    :raises BadMedia: network error, HTTP error or timeout.
    """
    accept = "application/rss+xml,application/atom+xml,application/xml,text/xml,text/html;q=0.9,*/*;q=0.5"
    with Deadline(settings.media.fetch_timeout_s) as deadline:
        response = _open(url, settings, deadline, accept=accept)
        try:
            return b"".join(_chunks(response, url, max_bytes, deadline))
        finally:
            response.close()


def _chunks(response: http.client.HTTPResponse, url: str, limit: int, deadline: Deadline) -> Iterator[bytes]:
    """The body of ``response`` chunk by chunk, within ``limit`` bytes and the overall ``deadline``.

    :raises MediaTooLarge: the declared or the read size is over ``limit``.
    :raises BadMedia: a network error or the deadline passed.
    """
    declared = response.getheader("Content-Length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise MediaTooLarge(f"{url} declares {declared} bytes, over the limit of {limit}")
    size = 0
    while True:
        if deadline.passed():
            raise _timed_out(url, deadline)
        try:
            chunk = response.read1(_CHUNK)  # the watchdog ends a read blocked past the deadline
        except (OSError, http.client.HTTPException) as exc:
            if deadline.passed():
                raise _timed_out(url, deadline) from exc
            raise BadMedia(f"cannot fetch {url}: {exc.__class__.__name__}: {exc}") from exc
        if not chunk:
            if deadline.passed():  # the socket was shut down: the body is cut, not complete
                raise _timed_out(url, deadline)
            return
        size += len(chunk)
        if size > limit:
            raise MediaTooLarge(f"{url} is over the limit of {limit} bytes")
        yield chunk


def fetch_media(url: str, settings: Settings) -> MediaFile:
    """Download one media file safely into the media folder and describe it.

    :raises UnsafeURL: bad scheme, credentials in the URL, a non-public address (at any hop),
        or too many redirects.
    :raises MediaTooLarge: over ``settings.media.max_bytes``.
    :raises BadMedia: network error, HTTP error, timeout, empty or unsupported content.
    """
    limit = settings.media.max_bytes
    with Deadline(settings.media.fetch_timeout_s) as deadline:
        response = _open(url, settings, deadline)
        fd, tmp = _tmp_file(settings)
        try:
            h = hashlib.sha256()
            head = b""
            size = 0
            try:
                with os.fdopen(fd, "wb") as out:
                    for chunk in _chunks(response, url, limit, deadline):
                        size += len(chunk)
                        if len(head) < 8192:
                            head += chunk[: 8192 - len(head)]
                        h.update(chunk)
                        out.write(chunk)
            finally:
                response.close()
            name = Path(urlsplit(url).path).name or None
            return _accept(h.hexdigest(), size, head, tmp, settings, url, name)
        finally:
            tmp.unlink(missing_ok=True)
