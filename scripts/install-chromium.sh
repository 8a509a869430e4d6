#!/usr/bin/env bash
# Installs Debian's chromium for the web console tests in test/console/ (playwright-core drives it
# at /usr/bin/chromium). Idempotent: does nothing when it is there. Never fails: exits 0 with a
# message when it cannot install; the browser tests then skip and say so.
#   bash scripts/install-chromium.sh
set -uo pipefail

say() { echo "install-chromium: $*"; }
if [ -x /usr/bin/chromium ]; then
  say "already installed: $(/usr/bin/chromium --version 2>/dev/null | head -n1)"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  say "cannot install chromium: no apt-get on this machine. Console browser tests will be skipped."
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
else
  say "cannot install chromium: not root and no password-less sudo. Run as root: apt-get install -y chromium. Console browser tests will be skipped."
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
APT_OPTS=(-q -o Acquire::http::Timeout=20 -o Acquire::https::Timeout=20 -o Acquire::Retries=1 -o DPkg::Lock::Timeout=120)
install() { "${SUDO[@]}" apt-get "${APT_OPTS[@]}" install -y --no-install-recommends chromium; }
say "installing chromium with apt-get"
if ! install >/tmp/install-chromium.log 2>&1; then
  say "first attempt failed; running apt-get update and retrying"
  if ! { "${SUDO[@]}" apt-get "${APT_OPTS[@]}" update && install; } >>/tmp/install-chromium.log 2>&1; then
    say "cannot install chromium: apt-get failed. Last lines of /tmp/install-chromium.log:"
    tail -n 5 /tmp/install-chromium.log | sed 's/^/  /'
    say "Console browser tests will be skipped."
    exit 0
  fi
fi
if [ -x /usr/bin/chromium ]; then say "installed: $(/usr/bin/chromium --version 2>/dev/null | head -n1)"; else say "warning: /usr/bin/chromium still missing"; fi
exit 0
