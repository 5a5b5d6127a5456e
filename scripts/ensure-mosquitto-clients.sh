#!/usr/bin/env bash
# The README's mosquitto_pub line is tested as written, so npm test needs mosquitto_pub:
# installed with apt-get when missing and we can, else a one-line instruction, never a skip.
set -u
command -v mosquitto_pub >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto-clients; } >/dev/null 2>&1 || true
fi
if ! command -v mosquitto_pub >/dev/null 2>&1; then
  echo "mosquitto_pub is required for the README test: apt-get install mosquitto-clients" >&2
  exit 1
fi
