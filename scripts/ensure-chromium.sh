#!/usr/bin/env bash
# Debian's Chromium for the browser tests (Playwright drives it; it never downloads one).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "Chromium is missing; install the Debian packages chromium and chromium-driver" >&2
  exit 0
fi
echo "installing Chromium (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq chromium chromium-driver >&2
