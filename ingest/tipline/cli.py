"""``pantau tipline``: serve the tipline, make partner keys, look up a reporter's contact."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

__all__ = ["tipline_app"]

tipline_app = typer.Typer(
    help="The citizen tipline (HTTP, Telegram and WhatsApp front ends).", no_args_is_help=True
)

ConfigOpt = Annotated[Optional[Path], typer.Option("--config", "-c", help="Settings TOML file.")]  # noqa: UP045


def _settings(config: Path | None):  # noqa: ANN202 - Settings, imported lazily
    from pantau.errors import PantauError
    from pantau.settings import Settings

    try:
        return Settings.load(config)
    except PantauError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


@tipline_app.command("serve")
def serve_command(
    config: ConfigOpt = None,
    host: Annotated[
        str, typer.Option(help="Address to listen on (use a reverse proxy for TLS).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8780,
    metrics_port: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(help="Serve /metrics, /healthz, /readyz on this internal port (default: metrics.port)."),
    ] = None,
) -> None:
    """Serve POST /tips (and the bots whose credentials are configured) until interrupted."""
    from ingest.tipline.app import serve

    settings = _settings(config)
    if metrics_port is not None:  # another port than the runner's when both read one settings file
        settings = settings.model_copy(
            update={"metrics": settings.metrics.model_copy(update={"port": metrics_port})}
        )
    serve(settings, host=host, port=port)


@tipline_app.command("new-key")
def new_key_command(name: Annotated[str, typer.Argument(help="Partner name, e.g. factcheck-org.")]) -> None:
    """Make a partner API key: give the key to the partner, put the hash in the settings."""
    from ingest.tipline.intake import new_api_key

    key, digest = new_api_key()
    typer.echo(f"key (give to {name}, shown once): {key}")
    typer.echo(f'settings: options.api_keys."{name}" = "{digest}"')


@tipline_app.command("contact")
def contact_command(
    ack_id: Annotated[str, typer.Argument(help="Acknowledgement id of the tip, e.g. TIP-ABCD-EFGH.")],
    config: ConfigOpt = None,
) -> None:
    """Print the contact a reporter left with a tip (for the commission's follow-up only)."""
    from ingest.tipline.intake import TipIntake, tipline_options

    settings = _settings(config)
    found = TipIntake(settings.data_dir, tipline_options(settings)[0]).contact(ack_id)
    if found is None:
        typer.echo("no contact was left with this tip", err=True)
        raise typer.Exit(1)
    typer.echo(found)
