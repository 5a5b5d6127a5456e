#!/usr/bin/env bash
# The casefile browser test drives Debian's chromium through playwright-core ("npm test
# installs it with apt-get when it is missing and it can, else stops with a one-line
# instruction, never a silent skip"). CHROMIUM_PATH only exists to test this script.
set -u
bin="${CHROMIUM_PATH:-/usr/bin/chromium}"

can_install() { [ "${EUID:-1}" = "0" ] && command -v apt-get >/dev/null 2>&1; }

# (the CJK font the Chinese screens need: ensure-cjk-font.sh)
[ -x "$bin" ] && exit 0

if can_install; then
  # quiet: the test run's output should stay about the tests
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/dev/null 2>&1 || true
fi

if [ ! -x "$bin" ]; then
  echo "chromium is required for the browser test: apt-get install chromium" >&2
  exit 1
fi
exit 0
