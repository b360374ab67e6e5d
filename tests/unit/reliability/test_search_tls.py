"""The search clients speak real TLS: they check the server's certificate against ``ca_certs`` and send
the credentials over it (a local HTTPS server with its own CA stands in for the engine, which
``infra/local`` runs without TLS or authentication; docs/protection.md)."""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from pantau.errors import PantauError
from pantau.settings import SearchSettings
from pantau.stores.search_client import SearchEngineError, engine_client_from_url

USER, PASSWORD = "pantau", "s3arch-pw"


def _cert(subject: str, issuer_key: ec.EllipticCurvePrivateKey | None, issuer: x509.Name | None,
          ca: bool) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    now = dt.datetime.now(dt.UTC)
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer or name)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
    return key, builder.sign(issuer_key or key, hashes.SHA256())


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, list[str]]]:
    """An HTTPS server with Basic authentication answering like OpenSearch's root; yields URL, CA file, headers seen."""
    folder = tmp_path_factory.mktemp("tls")
    ca_key, ca = _cert("pantau test CA", None, None, ca=True)
    key, cert = _cert("127.0.0.1", ca_key, ca.subject, ca=False)
    (folder / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (folder / "server.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "server.key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    seen: list[str] = []
    expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            auth = self.headers.get("Authorization", "")
            seen.append(auth)
            ok = auth == expected
            body = json.dumps({"version": {"number": "2.19.0", "distribution": "opensearch"}} if ok else
                              {"error": {"reason": "unauthorized"}, "status": 401}).encode()
            self.send_response(200 if ok else 401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "server.pem", folder / "server.key")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"opensearch+https://127.0.0.1:{server.server_address[1]}", folder / "ca.pem", seen
    server.shutdown()
    server.server_close()


def _client(url: str, **settings: object):  # noqa: ANN202 - an EngineClient
    client = engine_client_from_url(url, SearchSettings(**settings))
    client.timeout = 5.0
    return client


def test_the_client_checks_the_certificate_with_the_ca_and_authenticates_over_tls(engine: tuple) -> None:
    url, ca, seen = engine
    client = _client(url, username=USER, password=PASSWORD, ca_certs=str(ca))
    try:
        assert client.request("GET", "/")["version"]["distribution"] == "opensearch"
    finally:
        client.close()
    assert seen[-1].startswith("Basic ")


def test_a_server_certificate_from_an_unknown_ca_is_refused(engine: tuple) -> None:
    url, _, seen = engine
    before = len(seen)
    client = _client(url, username=USER, password=PASSWORD)  # the system's CAs do not know the test CA
    try:
        with pytest.raises(PantauError, match="(?i)certificate|ssl"):
            client.request("GET", "/")
    finally:
        client.close()
    assert len(seen) == before  # no request (and no password) reached the server


def test_wrong_credentials_are_refused_by_the_engine(engine: tuple) -> None:
    url, ca, _ = engine
    client = _client(url, username=USER, password="wrong", ca_certs=str(ca))
    try:
        with pytest.raises(SearchEngineError) as err:
            client.request("GET", "/")
    finally:
        client.close()
    assert err.value.status == 401
