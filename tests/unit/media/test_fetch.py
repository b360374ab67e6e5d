"""The safe media fetcher: SSRF defences, limits, sniffing, the content-addressed store."""

from __future__ import annotations

import hashlib
import socket
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

import ingest.fetch as fetch
from ingest.fetch import check_address, content_path, fetch_media, resolve_public, store_local_file
from pantau.errors import BadMedia, MediaTooLarge, UnsafeURL
from pantau.schemas import Modality

from .conftest import LoopbackServer, make_settings, png_bytes


@pytest.mark.parametrize(
    "ip",
    [
        "127.0.0.1",
        "127.8.8.8",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "2002:7f00:1::1",
    ],
)
def test_when_address_is_not_public_then_refused(ip: str) -> None:
    with pytest.raises(UnsafeURL, match="refused address"):
        check_address(ip)


@pytest.mark.parametrize("ip", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_when_address_is_public_then_accepted(ip: str) -> None:
    check_address(ip)


def test_when_private_addresses_allowed_then_loopback_accepted() -> None:
    check_address("127.0.0.1", allow_private=True)


def test_when_name_resolves_to_public_and_private_then_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, 80)) for ip in ("93.184.216.34", "10.0.0.5")]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: answers)
    with pytest.raises(UnsafeURL, match="10.0.0.5"):
        resolve_public("mixed.example", 80)


@pytest.mark.parametrize(
    "url, message",
    [
        ("file:///etc/passwd", "scheme"),
        ("ftp://example.org/a.png", "scheme"),
        ("gopher://example.org/", "scheme"),
        ("//example.org/a.png", "scheme"),
        ("http:///nohost", "no host"),
        ("http://user:secret@example.org/a.png", "credentials"),
        ("http://example.org:99999/a.png", "malformed"),
    ],
)
def test_when_url_is_not_plain_http_then_refused(url: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(UnsafeURL, match=message):
        fetch_media(url, make_settings(tmp_path))


def test_when_loopback_server_and_default_settings_then_refused(
    server: LoopbackServer, tmp_path: Path
) -> None:
    server.serve_bytes("/a.png", png_bytes())
    with pytest.raises(UnsafeURL, match="loopback"):
        fetch_media(server.url("/a.png"), make_settings(tmp_path))


def test_when_fetched_then_sniffed_hashed_and_stored_once(server: LoopbackServer, media_settings) -> None:
    body = png_bytes()
    server.serve_bytes("/poster.mp3", body, content_type="audio/mpeg")  # lying extension and type
    first = fetch_media(server.url("/poster.mp3"), media_settings)
    second = fetch_media(server.url("/poster.mp3?again=1"), media_settings)
    sha = hashlib.sha256(body).hexdigest()
    assert (first.sha256, first.mime, first.modality, first.size) == (
        sha,
        "image/png",
        Modality.IMAGE,
        len(body),
    )
    assert first.path == second.path == str(content_path(media_settings.media_dir, sha))
    assert Path(first.path).read_bytes() == body
    assert first.url == server.url("/poster.mp3")
    assert list((media_settings.media_dir / "tmp").iterdir()) == []


def test_when_host_resolves_then_connection_goes_to_checked_address(
    server: LoopbackServer, media_settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    real = socket.getaddrinfo

    def fake(host: str, *args: object, **kwargs: object) -> list:
        seen.append(host)
        return real("127.0.0.1", *args, **kwargs) if host == "media.test" else real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    server.serve_bytes("/a.png", png_bytes())
    media = fetch_media(server.url("/a.png", host="media.test"), media_settings)
    assert media.mime == "image/png"
    assert seen.count("media.test") == 1  # resolved once, by the check; the connection used the checked IP


def test_when_redirect_leads_to_private_address_then_refused(
    server: LoopbackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pretend "public.test" is public (it is the loopback server); the redirect target is checked for real.
    real = fetch.resolve_public
    monkeypatch.setattr(
        fetch,
        "resolve_public",
        lambda host, port, allow=False: ["127.0.0.1"] if host == "public.test" else real(host, port, allow),
    )
    server.redirect("/start", server.url("/a.png"))
    server.serve_bytes("/a.png", png_bytes())
    with pytest.raises(UnsafeURL, match="loopback"):
        fetch_media(server.url("/start", host="public.test"), make_settings(tmp_path))


def test_when_redirects_within_limit_then_followed(server: LoopbackServer, media_settings) -> None:
    server.redirect("/r1", "/r2")
    server.redirect("/r2", server.url("/a.png"))
    server.serve_bytes("/a.png", png_bytes())
    assert fetch_media(server.url("/r1"), media_settings).mime == "image/png"


def test_when_redirects_loop_then_refused(server: LoopbackServer, media_settings) -> None:
    server.redirect("/loop", "/loop")
    with pytest.raises(UnsafeURL, match="too many redirects"):
        fetch_media(server.url("/loop"), media_settings)


@pytest.mark.parametrize("declare_length", [True, False])
def test_when_body_over_limit_then_too_large(
    server: LoopbackServer, tmp_path: Path, declare_length: bool
) -> None:
    settings = make_settings(tmp_path, allow_private_addresses=True, max_bytes=10_000)
    server.serve_bytes("/big.png", png_bytes() + bytes(20_000), length=declare_length)
    with pytest.raises(MediaTooLarge):
        fetch_media(server.url("/big.png"), settings)


@pytest.mark.parametrize(
    "body, message",
    [(b"", "empty"), (b"<html><body>not media</body></html>", "unsupported media type")],
)
def test_when_content_is_not_media_then_bad_media(
    server: LoopbackServer, media_settings, body: bytes, message: str
) -> None:
    server.serve_bytes("/x", body, content_type="image/png")
    with pytest.raises(BadMedia, match=message):
        fetch_media(server.url("/x"), media_settings)


def test_when_http_error_then_bad_media(server: LoopbackServer, media_settings) -> None:
    with pytest.raises(BadMedia, match="404"):
        fetch_media(server.url("/missing.png"), media_settings)


def test_when_server_too_slow_then_times_out(server: LoopbackServer, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, allow_private_addresses=True, fetch_timeout_s=0.5)

    def slow(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", "100000")
        h.end_headers()
        h.wfile.write(png_bytes())
        h.wfile.flush()
        time.sleep(1.5)

    server.routes["/slow.png"] = slow
    start = time.monotonic()
    with pytest.raises(BadMedia, match="timed out|timeout|cannot fetch"):
        fetch_media(server.url("/slow.png"), settings)
    assert time.monotonic() - start < 3.0


# -- local files ------------------------------------------------------------------------------------


def test_when_local_file_stored_then_content_addressed_and_idempotent(tmp_path: Path, media_settings) -> None:
    src = tmp_path / "poster.mp4"  # wrong extension on purpose
    src.write_bytes(png_bytes())
    first = store_local_file(src, media_settings)
    second = store_local_file(src, media_settings)
    assert first == second
    assert first.mime == "image/png" and first.modality is Modality.IMAGE
    assert Path(first.path).parent.parent.parent == media_settings.media_dir


@pytest.mark.parametrize(
    "content, error, message",
    [
        (None, BadMedia, "not found"),
        (b"", BadMedia, "empty"),
        (b"just some text, not media at all" * 10, BadMedia, "unsupported media type"),
        (bytes(20_000), MediaTooLarge, "over the limit"),
    ],
)
def test_when_local_file_is_bad_then_named_error(
    tmp_path: Path, content: bytes | None, error: type, message: str
) -> None:
    settings = make_settings(tmp_path, max_bytes=10_000)
    src = tmp_path / "file.jpg"
    if content is not None:
        src.write_bytes(content)
    with pytest.raises(error, match=message):
        store_local_file(src, settings)


def test_when_https_certificate_is_untrusted_then_refused(tmp_path: Path, media_settings) -> None:
    """The pinned HTTPS connection still verifies the certificate against the host name."""
    import datetime
    import ssl
    import threading
    from http.server import ThreadingHTTPServer

    crypto = pytest.importorskip("cryptography")
    del crypto
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "c.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "k.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "c.pem", tmp_path / "k.pem")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        with pytest.raises(BadMedia, match="CERTIFICATE_VERIFY_FAILED|certificate"):
            fetch_media(f"https://127.0.0.1:{httpd.server_address[1]}/a.png", media_settings)
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_when_first_address_refuses_then_next_checked_address_used(
    server: LoopbackServer, media_settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = server.port
    answers = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in ("127.0.0.2", "127.0.0.1")]
    real = socket.getaddrinfo
    monkeypatch.setattr(
        socket, "getaddrinfo", lambda host, *a, **k: answers if host == "two.test" else real(host, *a, **k)
    )
    server.serve_bytes("/a.png", png_bytes())
    assert fetch_media(server.url("/a.png", host="two.test"), media_settings).mime == "image/png"
