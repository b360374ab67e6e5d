"""``pantau audit verify`` and ``pantau evidence verify|key``: tamper evidence from the command line.

::

    pantau audit verify                  # walk the audit log's hash chain; exit 1 on any break
    pantau evidence key                  # the public key to publish, and its key id
    pantau evidence verify pack.json     # hash and Ed25519 signature; exit 1 unless both hold
    pantau evidence verify pack.json --public-key commission.pub

The chain is :mod:`pantau.stores.audit_chain`, the signatures :mod:`pantau.signing`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from cli.common import ConfigOpt
from pantau.errors import PantauError
from pantau.settings import Settings

__all__ = ["audit_app", "evidence_app"]

audit_app = typer.Typer(help="The audit log: check that no row was edited or deleted.", no_args_is_help=True)
evidence_app = typer.Typer(help="Evidence packs: check a pack's signature; show the public key.",
                           no_args_is_help=True)



def _fail(message: object, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _settings(config: Path | None) -> Settings:
    try:
        return Settings.load(config)
    except PantauError as exc:
        raise _fail(exc) from exc


@audit_app.command("verify")
def audit_verify(config: ConfigOpt = None) -> None:
    """Walk the audit log's hash chain: edits, deletions, gaps and dropped triggers; exit 1 on any."""
    from pantau.stores import by_url

    settings = _settings(config)
    try:
        with by_url(settings.store_url, settings) as store:
            verify = getattr(store, "verify_audit", None)
            if verify is None:
                raise _fail(f"{type(store).__name__} keeps no hash-chained audit log (the SQLite store does)")
            report = verify()
    except PantauError as exc:
        raise _fail(exc) from exc
    head = f"seq {report.head_seq} sha256 {report.head_hash}" if report.head_seq is not None else "none"
    typer.echo(f"audit log: {report.rows} rows, {report.chained} chained, {report.unchained} from before "
               f"the chain; head: {head}")
    if report.ok:
        typer.echo("ok: the chain holds (compare the head with one recorded elsewhere to rule out a rewrite)")
        return
    for problem in report.problems:
        typer.echo(f"BROKEN: {problem}")
    raise typer.Exit(1)


@evidence_app.command("key")
def evidence_key(config: ConfigOpt = None) -> None:
    """Print the deployment's public key (made on first use) and its key id, for publication."""
    from pantau.signing import key_id, public_key_file, signing_key

    settings = _settings(config)
    try:
        key = signing_key(settings.data_dir)
    except PantauError as exc:
        raise _fail(exc) from exc
    typer.echo(f"key id: {key_id(key.public_key())}\nfile: {public_key_file(settings.data_dir)}")
    typer.echo(public_key_file(settings.data_dir).read_text(), nl=False)


@evidence_app.command("verify")
def evidence_verify(
    pack: Annotated[Path, typer.Argument(help="Evidence pack (JSON) as downloaded from the dashboard.")],
    public_key: Annotated[
        Optional[Path],  # noqa: UP045 - typer needs Optional here
        typer.Option("--public-key", help="PEM public key (default: the deployment's, in the data folder)."),
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Check a pack's SHA-256 and its Ed25519 signature; exit 0 only when both hold."""
    from pantau.signing import load_public_key, public_key_file, verify_signed_pack

    if public_key is None:
        public_key = public_key_file(_settings(config).data_dir)
        if not public_key.exists():
            raise _fail(f"{public_key}: no public key in this deployment; pass --public-key FILE")
    try:
        key = load_public_key(public_key)
        data = pack.read_bytes()
    except PantauError as exc:
        raise _fail(exc) from exc
    except OSError as exc:
        raise _fail(f"{pack}: cannot read: {exc.strerror or exc}") from exc
    verdict = verify_signed_pack(data, key)
    typer.echo(("ok: " if verdict.ok else "NOT VALID: ") + verdict.reason)
    if not verdict.ok:
        raise typer.Exit(1)
