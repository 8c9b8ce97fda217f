#!/usr/bin/env bash
# Debian's wrk for `make bench` (an HTTP load generator driven by a Lua script).
set -euo pipefail
if command -v wrk >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "wrk is missing; install the Debian package wrk" >&2
  exit 1
fi
echo "installing wrk (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq wrk >&2
