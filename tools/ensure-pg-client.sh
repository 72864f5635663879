#!/usr/bin/env bash
# On PostgreSQL the backup test runs pg_dump and pg_restore. Install Debian's client when they are
# missing (as root), otherwise say what to install and stop, before any test runs.
set -euo pipefail
case "${DATABASE_URL:-}" in postgresql*) ;; *) exit 0 ;; esac
command -v pg_dump >/dev/null && command -v pg_restore >/dev/null && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Debian's postgresql-client for the backup test..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-client >/dev/null
  exit 0
fi
cat >&2 <<MSG
The PostgreSQL tests need pg_dump and pg_restore, which are missing.
Install them, then run make test again:  sudo apt-get install postgresql-client
MSG
exit 1
