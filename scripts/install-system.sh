#!/usr/bin/env bash
# Install the Debian packages Manyi needs (fonts, PDF tools, browser, load tool, databases,
# R for the statistical reference tests). Skips apt entirely when all are present.
set -euo pipefail
packages=(fonts-noto-cjk libharfbuzz-subset0 poppler-utils chromium wrk postgresql
          redis-server r-base-core r-cran-survey r-cran-mass)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
