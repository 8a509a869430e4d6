#!/usr/bin/env bash
# Makes PostgreSQL's initdb and pg_ctl available for the PostgreSQL store tests (each test runs its
# own throwaway cluster in a temp dir). Idempotent: does nothing when they are on PATH or in
# /usr/lib/postgresql/*/bin. Never fails: exits 0 with a message when it cannot install; the
# PostgreSQL tests then skip and say so.
#   bash scripts/install-postgres.sh
set -uo pipefail
source "$(dirname "$0")/lib/apt-install.sh"

pg_bin() { command -v initdb || ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n1; }
if [ -n "$(pg_bin)" ]; then
  echo "install-postgres: already installed: $(pg_bin) ($("$(pg_bin)" --version))"
  exit 0
fi
apt_install postgres "PostgreSQL store tests will be skipped." postgresql
if command -v systemctl >/dev/null 2>&1; then systemctl stop postgresql >/dev/null 2>&1 || true; fi
if [ -n "$(pg_bin)" ]; then echo "install-postgres: installed: $(pg_bin)"; else echo "install-postgres: warning: initdb still missing"; fi
exit 0
