#!/usr/bin/env bash
# Installs Debian's Prometheus (with promtool) and Alertmanager for the tests in test/prometheus/
# and the side-by-side benchmark. Idempotent: does nothing when they are already on PATH.
# Never fails: exits 0 with a message when it cannot install; the Prometheus tests then skip and say so.
#   bash scripts/install-prometheus.sh
set -uo pipefail
source "$(dirname "$0")/lib/apt-install.sh"

have() { command -v "$1" >/dev/null 2>&1; }
missing=()
have prometheus && have promtool || missing+=(prometheus)
have prometheus-alertmanager || missing+=(prometheus-alertmanager)
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-prometheus: already installed: $(prometheus --version 2>&1 | head -n1); $(prometheus-alertmanager --version 2>&1 | head -n1)"
  exit 0
fi
apt_install prometheus "Prometheus tests will be skipped." "${missing[@]}"
for bin in prometheus promtool prometheus-alertmanager; do
  if have "$bin"; then echo "install-prometheus: $bin: $(command -v "$bin") ($("$bin" --version 2>&1 | head -n1))"; else echo "install-prometheus: warning: $bin not on PATH"; fi
done
exit 0
