#!/usr/bin/env bash
# npm test: make sure what the tests need beyond npm packages is here (installing it with
# apt-get when we can), type-check, then run every test. Never skips a test silently.
set -euo pipefail
cd "$(dirname "$0")/.."
for ensure in scripts/ensure-*.sh; do
  [ -e "$ensure" ] && bash "$ensure"
done
npx tsc --noEmit
npx vitest run "$@"
