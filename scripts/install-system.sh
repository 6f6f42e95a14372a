#!/usr/bin/env bash
# Install the Debian packages Manyi needs: `run` (serving, PDFs, charts) or `test` (run plus
# PDF checks, the browser, the load tool, databases and R for the statistical reference
# tests). Skips apt entirely when all are present.
set -euo pipefail
set_name=${1:-test}
run_packages=(fonts-noto-cjk libharfbuzz-subset0)
test_packages=(poppler-utils chromium wrk postgresql redis-server
               r-base-core r-cran-survey r-cran-mass)
case "$set_name" in
  run) packages=("${run_packages[@]}") ;;
  test) packages=("${run_packages[@]}" "${test_packages[@]}") ;;
  *) echo "usage: $0 run|test" >&2; exit 2 ;;
esac
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing Debian packages ($set_name): ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
