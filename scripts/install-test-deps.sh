#!/usr/bin/env bash
# System packages the test suite needs. Installed only when missing, so a warm machine pays nothing.
set -euo pipefail
need=()
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
# The console's browser tests drive the system Chromium (Playwright never downloads one).
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  echo "installing: ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # Do not let the packages start their own services: the tests start what they need.
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  $SUDO apt-get update -qq || true
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  $SUDO rm -f /usr/sbin/policy-rc.d
  # A packaged Prometheus that did start anyway would hold :9090 (the tests use their own
  # port): stop that service through its own init script, never by process name.
  $SUDO service prometheus stop >/dev/null 2>&1 || true
fi
