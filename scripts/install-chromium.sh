#!/usr/bin/env bash
# Installs Debian's chromium for the web console tests in test/console/ (playwright-core drives it
# at /usr/bin/chromium). Idempotent: does nothing when it is there. Never fails: exits 0 with a
# message when it cannot install; the browser tests then skip and say so.
#   bash scripts/install-chromium.sh
set -uo pipefail
source "$(dirname "$0")/lib/apt-install.sh"

if [ -x /usr/bin/chromium ]; then
  echo "install-chromium: already installed: $(/usr/bin/chromium --version 2>/dev/null | head -n1)"
  exit 0
fi
apt_install chromium "Console browser tests will be skipped." chromium
if [ -x /usr/bin/chromium ]; then echo "install-chromium: installed: $(/usr/bin/chromium --version 2>/dev/null | head -n1)"; else echo "install-chromium: warning: /usr/bin/chromium still missing"; fi
exit 0
