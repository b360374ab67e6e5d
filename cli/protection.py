"""``pantau retention``, ``pantau erase`` and ``pantau protect``: data protection from the command line.

::

    pantau retention show                      # the policy: days per kind of data
    pantau retention apply --dry-run           # what would go, by kind, count and ids
    pantau retention apply                     # remove it; one tombstone per kind in the audit log
    pantau erase --person "Rina Kusuma" --handle @rina_k --reason "request 2026-114" [--dry-run]
    pantau protect new-key                     # a media key for PANTAU_PROTECTION__MEDIA_KEY
    pantau protect seal                        # encrypt the sensitive media of stored incidents
    pantau protect rotate                      # re-encrypt sealed files with the current key

The logic is :mod:`pantau.retention`, :mod:`pantau.erasure` and :mod:`pantau.crypto_at_rest`.
"""

from __future__ import annotations

import json
from typing import Annotated, Optional

import typer
from rich.table import Table

from cli.common import ConfigOpt, err, fail, load_settings, out, user_errors

__all__ = ["erase_app", "protect_app", "retention_app"]

retention_app = typer.Typer(help="Retention: how long each kind of data is kept, and the purge.",
                            no_args_is_help=True)
erase_app = typer.Typer(help="Erase one person's personal data on request (tombstone in the audit log).")
protect_app = typer.Typer(help="Encryption at rest of sensitive media: keys, sealing, rotation.",
                          no_args_is_help=True)

ActorOpt = Annotated[
    Optional[str],  # noqa: UP045 - typer needs Optional here
    typer.Option("--actor", help="Who runs it, for the audit log (default: system:<user>)."),
]
SHOW_IDS = 20


@retention_app.command("show")
def retention_show(config: ConfigOpt = None) -> None:
    """Print the retention policy (days per kind; 'kept' when never purged)."""
    settings = load_settings(config)
    table = Table("kind", "days")
    for name, value in settings.retention.model_dump().items():
        table.add_row(name.removesuffix("_days"), "kept" if value is None else str(value))
    out.print(table)


@retention_app.command("apply")
def retention_apply(
    config: ConfigOpt = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List what would go; change nothing.")] = False,
    actor: ActorOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print every id as JSON.")] = False,
) -> None:
    """Apply the retention policy: remove what is older than its kind's days, with tombstones."""
    from pantau.retention import apply, default_actor, plan
    from pantau.stores import by_url

    settings = load_settings(config)
    with user_errors(), by_url(settings.store_url, settings) as store:
        todo = plan(settings, store)
        if not dry_run:
            apply(todo, settings, store, actor or default_actor())
    if as_json:
        print(json.dumps({"dry_run": dry_run, "now": todo.now.isoformat(), "purges": [
            {"kind": p.kind, "rule": p.rule, "cutoff": p.cutoff.isoformat() if p.cutoff else None,
             "count": p.count, "ids": p.ids, "skipped": p.skipped} for p in todo.purges]}, indent=1))
        return
    verb = "would remove" if dry_run else "removed"
    title = "retention (dry run)" if dry_run else "retention"
    table = Table("kind", "days", "older than", verb, "ids", title=title)
    for p in todo.purges:
        shown = ", ".join(p.ids[:SHOW_IDS]) + (f" … (+{p.count - SHOW_IDS})" if p.count > SHOW_IDS else "")
        before = p.cutoff.strftime("%Y-%m-%d %H:%M") if p.cutoff else "kept"
        days = p.rule.split("=", 1)[1].replace("None", "kept")
        table.add_row(p.kind, days, before, "skipped" if p.skipped else str(p.count), p.skipped or shown)
    out.print(table)
    if dry_run:
        err.print("dry run: nothing changed; `pantau retention apply` removes it (tombstones in the audit "
                  "log)")


@erase_app.callback(invoke_without_command=True)
def erase(
    person: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--person", help="A name, or a registry person id (their names and handles too)."),
    ] = None,
    handle: Annotated[list[str], typer.Option("--handle", help="A handle of theirs (repeatable).")] = [],  # noqa: B006
    tip: Annotated[list[str], typer.Option("--tip", help="Ack id of a tip they sent (repeatable).")] = [],  # noqa: B006
    reason: Annotated[str, typer.Option(help="The request's reference, kept in the audit log.")] = "",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List what would change only.")] = False,
    actor: ActorOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    config: ConfigOpt = None,
) -> None:
    """Redact one person from incidents, delete their media, contacts and dead letters; audited."""
    from pantau.erasure import ErasureRequest
    from pantau.erasure import erase as run_erasure
    from pantau.registry import load_registry
    from pantau.retention import default_actor
    from pantau.stores import by_url

    settings = load_settings(config)
    if not (person or handle or tip):
        fail("name the person: --person NAME_OR_ID, --handle @HANDLE or --tip ACK_ID")
    with user_errors():
        req = ErasureRequest.resolve(person, list(handle), list(tip), load_registry(settings.registry_file))
        with by_url(settings.store_url, settings) as store:
            report = run_erasure(settings, store, req, actor or default_actor(), reason, dry_run=dry_run)
    if as_json:
        print(json.dumps(report.as_dict(), indent=1))
        return
    verb = "would" if dry_run else "did"
    out.print(f"person ref {report.person_ref} ({verb} change):")
    for label, values in (("incidents redacted", report.incidents_redacted),
                          ("media files deleted (sha256)", report.media_deleted),
                          ("review comments redacted", report.actions_redacted),
                          ("alerts redacted", report.alerts_redacted),
                          ("outbox copies deleted", report.outbox_deleted),
                          ("dead letters deleted", report.dead_letters_deleted),
                          ("tip contacts deleted", report.contacts_deleted)):
        out.print(f"  {label}: {len(values)}" + (f"  {', '.join(values[:SHOW_IDS])}" if values else ""))
    if report.incidents_posted_by:
        err.print(f"kept, posted by them (decide by hand): {', '.join(report.incidents_posted_by)}")
    if report.audit_rows_mentioning:
        err.print(f"{report.audit_rows_mentioning} audit row(s) mention them and stay: the audit log is "
                  "append-only (docs/protection.md)")
    for note in report.skipped:
        err.print(f"[yellow]skipped:[/yellow] {note}")
    if dry_run:
        err.print("dry run: nothing changed")


@protect_app.command("new-key")
def protect_new_key() -> None:
    """Print a new media key (keep it outside the data folder: env var, secrets file or key file)."""
    from pantau.crypto_at_rest import new_key

    print(new_key())


@protect_app.command("seal")
def protect_seal(config: ConfigOpt = None) -> None:
    """Encrypt the sensitive media (intimate candidates, doxxing evidence) of every stored incident."""
    from pantau.crypto_at_rest import Keyring, seal_incidents
    from pantau.erasure import all_incidents
    from pantau.stores import by_url

    settings = load_settings(config)
    if not settings.protection.encrypt_sensitive_media:
        settings = settings.model_copy(update={"protection": settings.protection.model_copy(
            update={"encrypt_sensitive_media": True})})
    with user_errors():
        keyring = Keyring.require(settings)
        with by_url(settings.store_url, settings) as store:
            sealed = seal_incidents(all_incidents(store), settings)
    out.print(f"sealed {len(sealed)} file(s) with key {keyring.key_id}")


@protect_app.command("rotate")
def protect_rotate(config: ConfigOpt = None) -> None:
    """Re-encrypt every sealed file with the current key (old keys in protection.old_media_keys)."""
    from pantau.crypto_at_rest import Keyring, rotate

    settings = load_settings(config)
    with user_errors():
        keyring = Keyring.require(settings)
        count = rotate(settings.media_dir, keyring)
    out.print(f"re-encrypted {count} file(s) with key {keyring.key_id}; the old keys can now be dropped")
