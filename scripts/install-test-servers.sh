#!/usr/bin/env bash
# Installs what the tests run for real, from Debian: Chromium (/usr/bin/chromium)
# for the browser tests, driven by playwright-core (Playwright's own browser
# download is not used), and etcd-server (etcd 3.4) for the high-availability
# tests, which start their own 3-member clusters on loopback. Idempotent: only
# what is missing is installed. Needs root (or sudo) and apt; `npm test` runs
# it through scripts/setup.mjs --for-tests.
set -euo pipefail
packages=()
# fonts-liberation: readable text in screenshots (a recommendation of chromium, named in case recommends are off).
command -v chromium >/dev/null 2>&1 || packages+=(chromium fonts-liberation)
command -v etcd >/dev/null 2>&1 || packages+=(etcd-server)
if [ ${#packages[@]} -eq 0 ]; then
  echo "install-test-servers: chromium and etcd are already installed"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y "${packages[@]}"
echo "install-test-servers: installed ${packages[*]}"
