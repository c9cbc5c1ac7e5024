#!/usr/bin/env bash
# Install the Debian packages FTR needs when they are missing: PostGIS for the store,
# and (with --browser) Chromium for the browser tests. Never upgrades the server.
set -euo pipefail

packages=(postgresql-15-postgis-3)
if [[ "${1:-}" == "--browser" ]]; then
    packages+=(chromium fonts-dejavu-core)
fi

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if ! command -v apt-get >/dev/null; then
    echo "FTR needs: ${missing[*]}. This is not a Debian-like system: install PostGIS 3 for" >&2
    echo "PostgreSQL 15 (and Chromium for the browser tests) with your package manager." >&2
    exit 1
fi
sudo=""
if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null; then sudo="sudo"; else
        echo "FTR needs root to install: ${missing[*]} (run: apt-get install ${missing[*]})" >&2
        exit 1
    fi
fi
echo "Installing ${missing[*]} ..."
# The package lists may be missing or old on a new machine.
$sudo apt-get update -qq
# --no-upgrade: naming only the extension never upgrades the running server under us.
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends --no-upgrade \
    "${missing[@]}" >/dev/null
echo "Installed ${missing[*]}."
