#!/usr/bin/env bash
# Installs Debian's Prometheus (with promtool) and Alertmanager for the tests in test/prometheus/
# and the side-by-side benchmark. Idempotent: does nothing when they are already on PATH.
# Never fails: exits 0 with a message when it cannot install (no apt-get, not root and no
# password-less sudo, apt unreachable); the Prometheus tests then skip and say so.
#   bash scripts/install-prometheus.sh
set -uo pipefail

have() { command -v "$1" >/dev/null 2>&1; }
say() { echo "install-prometheus: $*"; }

missing=()
have prometheus && have promtool || missing+=(prometheus)
have prometheus-alertmanager || missing+=(prometheus-alertmanager)
if [ ${#missing[@]} -eq 0 ]; then
  say "already installed: $(prometheus --version 2>&1 | head -n1); $(prometheus-alertmanager --version 2>&1 | head -n1)"
  exit 0
fi

if ! have apt-get; then
  say "cannot install ${missing[*]}: no apt-get on this machine (not Debian/Ubuntu). Prometheus tests will be skipped."
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif have sudo && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
else
  say "cannot install ${missing[*]}: not root and no password-less sudo. Run as root: apt-get install -y ${missing[*]}. Prometheus tests will be skipped."
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
# Bounded waits: an unreachable mirror or a held dpkg lock must not hang CI.
APT_OPTS=(-q -o Acquire::http::Timeout=20 -o Acquire::https::Timeout=20 -o Acquire::Retries=1 -o DPkg::Lock::Timeout=120)
install() { "${SUDO[@]}" apt-get "${APT_OPTS[@]}" install -y --no-install-recommends "${missing[@]}"; }
say "installing ${missing[*]} with apt-get"
if ! install >/tmp/install-prometheus.log 2>&1; then
  say "first attempt failed; running apt-get update and retrying"
  if ! { "${SUDO[@]}" apt-get "${APT_OPTS[@]}" update && install; } >>/tmp/install-prometheus.log 2>&1; then
    say "cannot install ${missing[*]}: apt-get failed (apt unreachable?). Last lines of /tmp/install-prometheus.log:"
    tail -n 5 /tmp/install-prometheus.log | sed 's/^/  /'
    say "Prometheus tests will be skipped."
    exit 0
  fi
fi
for bin in prometheus promtool prometheus-alertmanager; do
  if have "$bin"; then say "installed $bin: $(command -v "$bin") ($("$bin" --version 2>&1 | head -n1))"; else say "warning: $bin still not on PATH"; fi
done
exit 0
