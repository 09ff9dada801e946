#!/usr/bin/env bash
# realtime-gateway: docs/schema checked with ajv (tests/schema/check-schemas.mjs,
# ajv pinned in package-lock.json, installed with `npm ci` in this folder):
# the schemas against the JSON Schema 2020-12 meta-schema, the examples of
# docs/schema/examples against their schemas.
#
# Usage: run-ajv.sh SCHEMA_DIR
#
# Exits 77 (skipped) when node or tests/schema/node_modules is missing;
# scripts/test runs `npm ci` here first, so there a missing setup fails.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
schema_dir=${1:?usage: run-ajv.sh SCHEMA_DIR}

if ! command -v node >/dev/null 2>&1; then
  echo "SKIP: node is not on PATH (install nodejs, then run 'npm ci' in tests/schema)"
  exit 77
fi
if [[ ! -f $here/node_modules/ajv/package.json ]]; then
  echo "SKIP: tests/schema/node_modules is missing: run 'npm ci' in $here"
  exit 77
fi
exec node "$here/check-schemas.mjs" "$schema_dir"
