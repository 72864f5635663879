#!/usr/bin/env bash
# The browser tests drive Debian's Chromium (/usr/bin/chromium). Install it when missing: with apt-get
# as root, otherwise say what to install and stop, so that `make test` never fails half-way through.
set -euo pipefail
CHROMIUM=/usr/bin/chromium
[ -x "$CHROMIUM" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Debian's chromium for the browser tests..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  exit 0
fi
cat >&2 <<MSG
The browser tests need Chromium at $CHROMIUM, which is missing.
Install it, then run make test again:  sudo apt-get install chromium
MSG
exit 1
