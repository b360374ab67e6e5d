"""infra/audit.sh decides from pip-audit's report: fail on a fixable vulnerability and name it,
warn (exit 0) when the vulnerability service cannot be reached. pip-audit is replaced by a stub
that writes a canned report, so the test needs no network."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[3]
AUDIT = REPO / "infra" / "audit.sh"

STUB = """#!{python}
import os, sys
args = sys.argv[1:]
report = os.environ.get("FAKE_REPORT")
if report is None:
    print("ConnectionError: Max retries exceeded with url: /pypi/x/json", file=sys.stderr)
    sys.exit(1)
with open(args[args.index("--output") + 1], "w") as fh:
    fh.write(report)
sys.exit(int(os.environ.get("FAKE_STATUS", "0")))
"""


def _dep(name: str, vulns: list[dict[str, Any]] | None = None, skip: str | None = None) -> dict[str, Any]:
    dep: dict[str, Any] = {"name": name, "version": "1.0"}
    if skip:
        dep["skip_reason"] = skip
    else:
        dep["vulns"] = vulns or []
    return dep


FIXABLE = {"id": "PYSEC-2099-1", "fix_versions": ["1.0.1"], "aliases": ["CVE-2099-1"], "description": ""}
UNFIXED = {"id": "GHSA-xxxx", "fix_versions": [], "aliases": [], "description": ""}


@pytest.fixture
def stub_venv(tmp_path: Path) -> Path:
    venv = tmp_path / "audit-venv"
    (venv / "bin").mkdir(parents=True)
    stub = venv / "bin" / "pip-audit"
    stub.write_text(STUB.format(python=sys.executable))
    stub.chmod(0o755)
    (venv / "bin" / "python").symlink_to(sys.executable)
    return venv


@pytest.mark.parametrize(
    ("report", "strict", "code", "says"),
    [
        (
            {"dependencies": [_dep("requests"), _dep("urllib3", [FIXABLE])]},
            False,
            1,
            "VULNERABLE urllib3==1.0 PYSEC-2099-1 (CVE-2099-1): upgrade to 1.0.1",
        ),
        ({"dependencies": [_dep("requests", [UNFIXED])]}, False, 0, "WARNING requests==1.0 GHSA-xxxx"),
        ({"dependencies": [_dep("requests"), _dep("urllib3")]}, False, 0, "2 packages scanned, 0 fixable"),
        (None, False, 0, "WARNING: pip-audit produced no report"),
        (
            {"dependencies": [_dep("requests", skip="Dependency not found on PyPI")]},
            False,
            0,
            "WARNING: the vulnerability service answered for no package",
        ),
        (None, True, 2, "NOT scanned"),
    ],
    ids=[
        "fixable-fails",
        "unfixed-warns",
        "clean",
        "unreachable-warns",
        "all-skipped-warns",
        "strict-unreachable",
    ],
)
def test_audit_verdicts(
    stub_venv: Path, report: dict[str, Any] | None, strict: bool, code: int, says: str
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FAKE_", "PANTAU_AUDIT"))}
    env["PANTAU_AUDIT_VENV"] = str(stub_venv)
    if report is not None:
        env["FAKE_REPORT"] = json.dumps(report)
        env["FAKE_STATUS"] = "1" if any(d.get("vulns") for d in report["dependencies"]) else "0"
    if strict:
        env["PANTAU_AUDIT_STRICT"] = "1"
    done = subprocess.run(  # noqa: S603 - our own script
        [shutil.which("bash") or "/bin/bash", str(AUDIT)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == code, done.stderr
    assert says in done.stderr
