#!/usr/bin/env bash
# Makes sure a Chromium for the HTML tests is installed and prints its path as the last line.
# Debian/Ubuntu: installs the distribution's `chromium` package (as root, or through sudo) when
# it is missing. Elsewhere, point COMMITDIGEST_CHROMIUM at any Chromium or Chrome binary.
set -euo pipefail

log() { echo "browser: $*" >&2; }

for candidate in "${COMMITDIGEST_CHROMIUM:-}" /usr/bin/chromium /usr/bin/chromium-browser /usr/bin/google-chrome; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then
        log "found $candidate"
        echo "$candidate"
        exit 0
    fi
done

if command -v apt-get >/dev/null 2>&1; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    log "installing Debian's chromium package"
    $SUDO apt-get install -y -q chromium >&2 || { $SUDO apt-get update -q >&2 && $SUDO apt-get install -y -q chromium >&2; }
    echo /usr/bin/chromium
    exit 0
fi

log "no Chromium found: install one and set COMMITDIGEST_CHROMIUM to its path"
exit 1
