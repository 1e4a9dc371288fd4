#!/usr/bin/env bash
# What the browser test of the web page (tests/web_ui.rs) needs, installed
# once: Debian's chromium, a Chinese font (so screenshots show text rather
# than boxes), and playwright-core from the npm lock file. Idempotent: a
# second run installs nothing. Called by `make test` before `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_install() {
    export DEBIAN_FRONTEND=noninteractive
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    # A fresh machine's package lists may be stale or absent: update and retry.
    $sudo apt-get install -y "$@" \
        || { $sudo apt-get update && $sudo apt-get install -y "$@"; }
}

if [ ! -x /usr/bin/chromium ]; then
    echo "web-test-setup: installing chromium"
    apt_install chromium
fi
if command -v fc-list >/dev/null && [ -z "$(fc-list :lang=zh 2>/dev/null)" ]; then
    echo "web-test-setup: installing a Chinese font for the screenshots"
    apt_install fonts-wqy-microhei || echo "web-test-setup: no Chinese font (screenshots will show boxes)"
fi

command -v npm >/dev/null || { echo "web-test-setup: node (>= 20) and npm are needed" >&2; exit 1; }

# npm ci when node_modules is missing or older than the lock file.
stamp=tests/web/node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ tests/web/package-lock.json -nt "$stamp" ]; then
    echo "web-test-setup: npm ci (tests/web)"
    npm ci --prefix tests/web --no-audit --no-fund
fi
