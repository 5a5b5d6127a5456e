#!/usr/bin/env bash
# The store's contract suite runs on a real PostgreSQL too: the test setup starts a throwaway
# cluster from Debian's server binaries (initdb, pg_ctl). Installed with apt-get when missing and
# we can, else a one-line instruction; never a silent skip. PG_ROOT only exists to test this script.
set -u
root="${PG_ROOT:-/usr/lib/postgresql}"
have_server() { ls "$root"/*/bin/initdb >/dev/null 2>&1 || { [ -n "${PG_BINDIR:-}" ] && [ -x "$PG_BINDIR/initdb" ]; }; }
have_server && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  # the tests bring their own cluster: no system-wide "main" cluster started on port 5432
  mkdir -p /etc/postgresql-common
  [ -e /etc/postgresql-common/createcluster.conf ] || echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.conf
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold postgresql; } >/dev/null 2>&1 || true
fi
if ! have_server; then
  echo "PostgreSQL is required for the store tests: apt-get install postgresql" >&2
  exit 1
fi
