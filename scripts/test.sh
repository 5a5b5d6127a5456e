#!/usr/bin/env bash
# npm test: make sure what the tests need beyond npm packages is here (installing it with
# apt-get when we can), type-check, then run every test. Never skips a test silently.
set -euo pipefail
cd "$(dirname "$0")/.."
for ensure in scripts/ensure-*.sh; do
  [ -e "$ensure" ] && bash "$ensure"
done
npx tsc --noEmit
# npm start runs the compiled gateway: build it from this source, so the tests of it are of this code
npx tsc -p tsconfig.build.json
mkdir -p test-artifacts
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=test-artifacts/vitest.json "$@" || status=$?
# one plain closing line, whatever the reporter printed above it
node -e '
  const r = JSON.parse(require("fs").readFileSync("test-artifacts/vitest.json", "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
' || true
exit $status
