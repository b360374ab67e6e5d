"""``pantau users ...``: manage dashboard users (commission, party officers, journalists).

The users file and its rules are :mod:`pantau.auth`; these commands only read and write it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from cli.common import user_message
from pantau.auth import ROLES, AuthError, Role, UserDirectory, users_path
from pantau.errors import ConfigError
from pantau.settings import Settings

__all__ = ["DEMO_PASSWORD_SUFFIX", "users_app"]

users_app = typer.Typer(
    help="Manage dashboard users (commission, party officers, journalists).", no_args_is_help=True
)

ConfigOpt = Annotated[Optional[Path], typer.Option("--config", "-c", help="Settings TOML file.")]  # noqa: UP045


def _load_settings(config: Path | None) -> Settings:
    try:
        return Settings.load(config)
    except ConfigError as exc:
        typer.echo(f"error: {user_message(exc)}", err=True)
        raise typer.Exit(2) from exc


def _directory(config: Path | None) -> UserDirectory:
    return UserDirectory(users_path(_load_settings(config)))


def _check_party(config: Path | None, party: str | None) -> None:
    """Refuse a party the registry does not know (a typo would give an officer an empty inbox)."""
    if party is None:
        return
    from pantau.registry import load_registry

    settings = _load_settings(config)
    try:
        registry = load_registry(settings.registry_file)
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    if registry.party(party) is None:
        known = ", ".join(sorted(p.id for p in registry.parties)) or "none"
        typer.echo(
            f"error: unknown party {party!r} in {settings.registry_file}; known parties: {known}", err=True
        )
        raise typer.Exit(2)


def _read_password(password: str | None) -> str:
    if password is not None:
        return password
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="Sign-in name (the e-mail, for identity-provider users).")],
    role: Annotated[str, typer.Option(help="commission, party_officer, journalist or fact_checker.")],
    party: Annotated[Optional[str], typer.Option(help="Party id, for party officers.")] = None,  # noqa: UP045
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    password: Annotated[Optional[str], typer.Option(help="Password (prompted when omitted).")] = None,  # noqa: UP045
    oidc: Annotated[
        bool, typer.Option("--oidc", help="No password: sign in through the identity provider.")
    ] = False,
    replace: Annotated[bool, typer.Option("--replace", "--force", help="Replace an existing user.")] = False,
    config: ConfigOpt = None,
) -> None:
    """Add a user with a role (and a party for party officers)."""
    if role not in ROLES:
        raise typer.BadParameter(f"role must be one of {', '.join(ROLES)}")
    _check_party(config, party)
    directory = _directory(config)
    try:
        user = directory.add(
            username,
            None if oidc else _read_password(password),
            role,  # type: ignore[arg-type]
            party=party,
            name=name,
            replace=replace,
        )
    except (AuthError, ConfigError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(
        f"added {user.username} ({user.role}{', ' + user.party if user.party else ''}) to {directory.path}"
    )


@users_app.command("list")
def users_list(config: ConfigOpt = None) -> None:
    """List users and roles (never hashes)."""
    directory = _directory(config)
    for user in directory.load().values():
        flags = " disabled" if user.disabled else ""
        kind = "password" if user.password_hash else "oidc"
        typer.echo(f"{user.username}\t{user.role}\t{user.party or '-'}\t{kind}{flags}")


@users_app.command("passwd")
def users_passwd(
    username: str,
    password: Annotated[Optional[str], typer.Option(help="New password (prompted when omitted).")] = None,  # noqa: UP045
    config: ConfigOpt = None,
) -> None:
    """Set a user's password."""
    try:
        _directory(config).set_password(username, _read_password(password))
    except (AuthError, ConfigError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"password of {username} changed")


@users_app.command("disable")
def users_disable(username: str, enable: bool = False, config: ConfigOpt = None) -> None:
    """Disable a user (``--enable`` to undo)."""
    try:
        _directory(config).set_disabled(username, not enable)
    except (AuthError, ConfigError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"{username} {'enabled' if enable else 'disabled'}")


# Predictable on purpose: `users demo` prints these passwords, for demonstrations only.
DEMO_PASSWORD_SUFFIX = "-demo-pass"  # noqa: S105 - documented demo password suffix, not a secret


@users_app.command("demo")
def users_demo(
    force: Annotated[
        bool, typer.Option("--force", "--replace", help="Add the demo users even if users exist.")
    ] = False,
    config: ConfigOpt = None,
) -> None:
    """Add demo users (one per role, one officer per party of the registry) with printed passwords.

    For demonstrations only: the passwords are predictable. Refuses when users exist already.
    """
    from pantau.registry import load_registry

    settings = Settings.load(config)
    directory = UserDirectory(users_path(settings))
    if directory.load() and not force:
        typer.echo(f"{directory.path} already has users; not adding demo users (use --force)", err=True)
        raise typer.Exit(1)
    wanted: list[tuple[str, Role, str | None]] = [
        ("commission", "commission", None),
        ("journalist", "journalist", None),
    ]
    wanted += [
        (f"officer-{p.id}", "party_officer", p.id) for p in load_registry(settings.registry_file).parties
    ]
    for username, role, party in wanted:
        directory.add(username, username + DEMO_PASSWORD_SUFFIX, role, party=party, replace=True)
        typer.echo(f"{username}\t{role}\t{party or '-'}\tpassword: {username}{DEMO_PASSWORD_SUFFIX}")


@users_app.command("remove")
def users_remove(username: str, config: ConfigOpt = None) -> None:
    """Delete a user."""
    try:
        _directory(config).remove(username)
    except (AuthError, ConfigError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"removed {username}")
