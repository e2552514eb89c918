#!/usr/bin/env bash
# System packages the test suite needs beyond Python: a PostgreSQL server (the storage tests
# start a throwaway cluster), Debian's chromium (the browser tests; never a downloaded
# browser) and a Chinese font for their screenshots. Installs only what is missing, non-interactively; skips with a clear message when
# something is missing and we are not root.
set -euo pipefail

missing=()
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
    missing+=(postgresql)
fi
if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
    missing+=(chromium)
fi

# a Chinese font, so the widget screenshots the browser tests save are legible
if ! { command -v fc-list >/dev/null 2>&1 && fc-list :lang=zh 2>/dev/null | grep -q .; }; then
    missing+=(fonts-wqy-zenhei)
fi

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "system-deps: missing ${missing[*]}; not root (or no apt-get), so not installing." >&2
    echo "system-deps: install them with: sudo apt-get install -y ${missing[*]}" >&2
    echo "system-deps: the PostgreSQL and browser tests will fail until they are installed." >&2
    exit 0
fi

echo "system-deps: installing ${missing[*]} with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts a system cluster on install; the tests run their own, so leave it be.
