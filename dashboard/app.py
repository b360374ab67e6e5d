"""Streamlit entry point: ``streamlit run dashboard/app.py`` (``pantau dashboard`` does it for you)."""

import sys
from pathlib import Path

# `streamlit run` puts this file's folder on sys.path, not the repository root.
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from dashboard.main import main  # noqa: E402

main()
