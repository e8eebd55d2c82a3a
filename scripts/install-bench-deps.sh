#!/usr/bin/env bash
# System packages the benchmarks need (wrk drives the HTTP loads). Installed only when missing.
set -euo pipefail
if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  echo "installing: wrk" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq || true
  $SUDO apt-get install -y -qq --no-install-recommends wrk >/dev/null
fi
