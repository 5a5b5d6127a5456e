#!/usr/bin/env bash
# The serial integration tests drive a real pty pair made by socat ("npm test installs
# socat with apt-get when it is missing and it can, else stops with a one-line instruction,
# never a silent skip").
set -u

if command -v socat >/dev/null 2>&1; then
  exit 0
fi

if [ "${EUID:-1}" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  # quiet: the test run's output should stay about the tests
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq socat; } >/dev/null 2>&1 || true
fi

if ! command -v socat >/dev/null 2>&1; then
  echo "socat is required for the serial tests: apt-get install socat" >&2
  exit 1
fi
exit 0
