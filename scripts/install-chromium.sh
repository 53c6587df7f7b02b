#!/usr/bin/env bash
# Installs Debian's Chromium (/usr/bin/chromium) for the browser tests, which
# drive it with playwright-core (Playwright's own browser download is not
# used). Idempotent: does nothing when chromium is already there. Needs root
# (or sudo) and apt; CI runs it before the tests.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  echo "install-chromium: $(command -v chromium) is already installed"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
# fonts-liberation: readable text in screenshots (a recommendation of chromium, named in case recommends are off).
$SUDO apt-get install -y chromium fonts-liberation
echo "install-chromium: installed $(command -v chromium)"
