"""``python -m cli``: the ``pantau`` command line."""

from cli.main import app

if __name__ == "__main__":  # pragma: no cover
    app()
