#!/usr/bin/env bash
# Makes sure what building and testing need is installed: the PostgreSQL server
# programs (initdb, pg_ctl), psql, and libpq's headers (found via pkg-config).
# Does nothing, quickly, when all is present. As root on Debian/Ubuntu it installs
# what is missing with apt-get; otherwise it says what to install and exits 1.
set -euo pipefail

packages="postgresql libpq-dev pkg-config"

# The same places `offload local` looks, in the same order.
have_server() {
    if [ -n "${OFFLOAD_PG_BINDIR:-}" ]; then
        [ -x "$OFFLOAD_PG_BINDIR/initdb" ] && [ -x "$OFFLOAD_PG_BINDIR/pg_ctl" ]
        return
    fi
    local dir
    if command -v pg_config >/dev/null 2>&1; then
        dir=$(pg_config --bindir 2>/dev/null || true)
        if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then return 0; fi
    fi
    for dir in /usr/lib/postgresql/*/bin; do
        if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then return 0; fi
    done
    command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1
}

have_libpq() {
    command -v pkg-config >/dev/null 2>&1 && pkg-config --exists libpq
}

have_psql() {
    command -v psql >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/psql >/dev/null 2>&1
}

missing=()
have_server || missing+=("PostgreSQL server (initdb, pg_ctl)")
have_libpq || missing+=("libpq headers (pkg-config libpq)")
have_psql || missing+=("psql")
if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi

echo "Missing: $(printf '%s; ' "${missing[@]}" | sed 's/; $//')" >&2
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing: $packages" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    # shellcheck disable=SC2086 # word splitting of the package list is intended
    apt-get install -y $packages
    exit 0
fi

if command -v apt-get >/dev/null 2>&1; then
    echo "Install them with: sudo apt-get install -y $packages" >&2
elif command -v brew >/dev/null 2>&1; then
    echo "Install them with: brew install postgresql pkg-config" >&2
else
    echo "Install the PostgreSQL server, client and libpq development files (packages like: $packages)." >&2
fi
exit 1
