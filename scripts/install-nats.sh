#!/usr/bin/env bash
# Installs Debian's nats-server (JetStream) for the cluster tests and benchmarks. Idempotent: does
# nothing when it is on PATH. Never fails: exits 0 with a message when it cannot install; the tests
# that need it then skip and say so. The tests start their own nats-server; the Debian service
# this package enables is stopped here so that nothing listens that no test started.
#   bash scripts/install-nats.sh
set -uo pipefail
source "$(dirname "$0")/lib/apt-install.sh"

nats_bin() { command -v nats-server || { [ -x /usr/sbin/nats-server ] && echo /usr/sbin/nats-server; }; }
if [ -n "$(nats_bin)" ]; then
  echo "install-nats: already installed: $(nats_bin) ($("$(nats_bin)" --version 2>&1 | head -n1))"
  exit 0
fi
apt_install nats "NATS tests will be skipped." nats-server
if command -v systemctl >/dev/null 2>&1; then systemctl stop nats-server >/dev/null 2>&1 || true; fi
if [ -n "$(nats_bin)" ]; then echo "install-nats: installed: $(nats_bin) ($("$(nats_bin)" --version 2>&1 | head -n1))"; else echo "install-nats: warning: nats-server still missing"; fi
exit 0
