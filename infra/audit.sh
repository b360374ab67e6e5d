#!/usr/bin/env bash
# Scan constraints.txt (every pinned dependency) for known vulnerabilities with pip-audit (PyPA, OSV/PyPI data).
#
#   infra/audit.sh                 # exit 0: nothing fixable found, or the vulnerability service unreachable
#                                  # exit 1: a vulnerability that has a fixed release (named on stderr)
#   PANTAU_AUDIT_STRICT=1 infra/audit.sh   # also fail when the service cannot be reached
#
# pip-audit runs from its own throwaway venv (it is a tool, not a Pantau dependency, so it is not pinned
# in constraints.txt). Vulnerabilities with no fixed release are listed as warnings: nothing to upgrade to.
# Knobs: PANTAU_AUDIT_VENV (default ~/.cache/pantau/audit-venv), PANTAU_AUDIT_SERVICE (pypi or osv),
# PANTAU_AUDIT_IGNORE (space-separated vulnerability ids to accept, each with a reason in docs/reliability.md).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { echo "infra/audit.sh: $*" >&2; }
unreachable() {
    say "WARNING: $1 - dependencies NOT scanned this time"
    [[ "${PANTAU_AUDIT_STRICT:-0}" == 1 ]] && exit 2
    exit 0
}

[[ -f constraints.txt ]] || { say "constraints.txt missing: run infra/constraints.sh"; exit 2; }
VENV=${PANTAU_AUDIT_VENV:-$HOME/.cache/pantau/audit-venv}
PY=${PYTHON:-python3}
if [[ ! -x "$VENV/bin/pip-audit" ]]; then
    "$PY" -m venv "$VENV" >/dev/null 2>&1 || { say "cannot create $VENV"; exit 2; }
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check "pip-audit>=2.7,<3" >/dev/null 2>&1 \
        || unreachable "pip-audit could not be installed (no access to PyPI?)"
fi

ignore=()
for id in ${PANTAU_AUDIT_IGNORE:-}; do ignore+=(--ignore-vuln "$id"); done
out=$(mktemp); err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
# --no-deps --disable-pip: audit exactly the pinned list, without resolving or installing anything.
"$VENV/bin/pip-audit" -r constraints.txt --no-deps --disable-pip --progress-spinner off \
    --vulnerability-service "${PANTAU_AUDIT_SERVICE:-pypi}" --format json --output "$out" "${ignore[@]}" 2>"$err"
status=$?
if [[ ! -s "$out" ]]; then
    # No report at all: pip-audit could not talk to the vulnerability service (or failed before scanning).
    tail -5 "$err" >&2
    unreachable "pip-audit produced no report (exit $status): vulnerability service unreachable?"
fi

"$VENV/bin/python" - "$out" <<'PY'
import json, sys

report = json.load(open(sys.argv[1]))
fixable, unfixed, skipped = [], [], []
for dep in report.get("dependencies", []):
    if dep.get("skip_reason"):
        skipped.append(f"{dep['name']}: {dep['skip_reason']}")
    for vuln in dep.get("vulns", []):
        line = f"{dep['name']}=={dep.get('version')} {vuln['id']}"
        if vuln.get("aliases"):
            line += f" ({', '.join(vuln['aliases'])})"
        if vuln.get("fix_versions"):
            fixable.append(f"{line}: upgrade to {' or '.join(vuln['fix_versions'])}")
        else:
            unfixed.append(f"{line}: no fixed release yet")
scanned = len(report.get("dependencies", [])) - len(skipped)
if skipped and not scanned:
    # pip-audit writes a report in which every package is "not found" when the service cannot be reached.
    print(f"infra/audit.sh: no package could be looked up ({skipped[0]})", file=sys.stderr)
    sys.exit(3)
for line in skipped:
    print(f"infra/audit.sh: skipped {line}", file=sys.stderr)
for line in unfixed:
    print(f"infra/audit.sh: WARNING {line}", file=sys.stderr)
for line in fixable:
    print(f"infra/audit.sh: VULNERABLE {line}", file=sys.stderr)
print(f"infra/audit.sh: {scanned} packages scanned, {len(fixable)} fixable and {len(unfixed)} unfixed vulnerabilities",
      file=sys.stderr)
sys.exit(1 if fixable else 0)
PY
verdict=$?
[[ $verdict == 3 ]] && unreachable "the vulnerability service answered for no package (offline or blocked?)"
exit $verdict
