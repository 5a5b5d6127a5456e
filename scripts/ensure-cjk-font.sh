#!/usr/bin/env bash
# The browser tests look at the page in Chinese and save screenshots of it: without a CJK font
# every character is a box and nobody can check a screenshot. npm test installs one with apt-get
# when it can (root), else stops with a one-line instruction; never a silent skip.
# FC_LANG_ZH_CMD only exists to test this script.
set -u
has_font() { ${FC_LANG_ZH_CMD:-fc-list :lang=zh} 2>/dev/null | grep -q .; }
can_install() { [ "${EUID:-1}" = "0" ] && command -v apt-get >/dev/null 2>&1; }

has_font && exit 0
if can_install; then
  # quiet: the test run's output should stay about the tests; wqy is the small fallback
  { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fonts-noto-cjk \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fonts-noto-cjk; } \
    || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fonts-wqy-microhei; } >/dev/null 2>&1
  command -v fc-cache >/dev/null 2>&1 && fc-cache -f >/dev/null 2>&1
fi
has_font && exit 0
echo "a CJK font is required for the Chinese screens of the browser tests: apt-get install fonts-noto-cjk" >&2
exit 1
