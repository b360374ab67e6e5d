#!/usr/bin/env bash
# The whole test suite, as CI runs it: unit tests, then integration tests against the real
# Kafka and OpenSearch that infra/local/up starts (the integration fixtures start them when
# PANTAU_TEST_KAFKA / PANTAU_TEST_OPENSEARCH_URL are not set), then browser tests.
set -uo pipefail
cd "$(dirname "$0")/.."
VENV="${PANTAU_VENV:-.venv}"
export PANTAU_DATA_DIR="${PANTAU_DATA_DIR:-$(mktemp -d)}"
mkdir -p test-artifacts
# The layers and no-circle contracts of pyproject.toml ([tool.importlinter]; docs/architecture.md).
"$VENV/bin/lint-imports" --no-cache || exit $?
"$VENV/bin/python" -m pytest -q -p no:cacheprovider tests "$@"
