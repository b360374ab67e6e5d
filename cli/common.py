"""What every ``pantau`` command shares: the consoles, the ``--config`` option, the one error style.

Settings are built once per command (:meth:`pantau.settings.Settings.load`) and passed down.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console

from pantau.errors import PantauError
from pantau.settings import Settings

__all__ = ["ConfigOpt", "err", "fail", "load_settings", "out", "user_errors", "user_message"]

err = Console(stderr=True)
out = Console()

ConfigOpt = Annotated[
    Optional[Path],  # noqa: UP045 - typer needs Optional here
    typer.Option("--config", "-c", help="TOML settings file (default: $PANTAU_CONFIG or ./pantau.toml)."),
]


_PYDANTIC_HINT = re.compile(r"\s*For further information visit\s+https?://errors\.pydantic\.dev/\S*")


def user_message(exc: BaseException | str) -> str:
    r"""The message of an error as a user should read it: no library internals, no trailing blanks.

    >>> user_message("x\n  Input should be a valid integer [type=int_parsing]\n"
    ...              "    For further information visit https://errors.pydantic.dev/2.14/v/int_parsing")
    'x\n  Input should be a valid integer'
    """
    text = _PYDANTIC_HINT.sub("", str(exc))
    text = re.sub(r" \[type=[\w.]+(, [^\]]*)?\]", "", text)  # pydantic's "[type=..., input_value=...]"
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def fail(exc: BaseException | str, code: int = 2) -> None:
    """Print ``error: <message>`` (the one error style of every command) and exit with ``code``."""
    err.print(f"[red]error:[/red] {user_message(exc)}", markup=True, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn Pantau's errors (bad settings, store unreachable, bad input) into ``error: ...``, exit 2."""
    try:
        yield
    except PantauError as exc:
        fail(exc)


def load_settings(config: Path | None, **overrides: Any) -> Settings:
    clean = {k: v for k, v in overrides.items() if v is not None}
    with user_errors():
        return Settings.load(config, overrides=clean)
    raise AssertionError("unreachable")  # pragma: no cover - _user_errors exits
