#!/usr/bin/env bash
# Runs a command with DATABASE_URL pointing at a PostgreSQL server.
#
#   scripts/with-local-postgres.sh swift test
#
# If DATABASE_URL is already set, the command just runs against that server.
# Otherwise a throwaway cluster is started with the built `offload` binary
# ($OFFLOAD_BIN, default .build/debug/offload; this script builds nothing) in
# $OFFLOAD_TEST_DIR (default .offload/test-postgres) on $OFFLOAD_TEST_PORT
# (default 54330, apart from the demo cluster's 54329). It is recreated on each
# run, stopped when the command ends (also on failure or Ctrl-C) and left on disk
# so its postgres.log can be read afterwards. Exits with the command's status.
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 COMMAND [ARG...]" >&2
    exit 2
fi

if [ -n "${DATABASE_URL:-}" ]; then
    exec "$@"
fi

offload=${OFFLOAD_BIN:-.build/debug/offload}
dir=${OFFLOAD_TEST_DIR:-.offload/test-postgres}
port=${OFFLOAD_TEST_PORT:-54330}

if [ ! -x "$offload" ]; then
    echo "$0: $offload not found; build first (swift build) or set OFFLOAD_BIN" >&2
    exit 1
fi

# Fresh every run, so no state leaks between runs. `local destroy` deletes only a
# folder that holds one of our clusters (OFFLOAD_TEST_DIR pointed at anything else
# is left alone), wherever it lives (as root, /var/tmp when the server's user
# cannot reach this checkout).
"$offload" local destroy --dir "$dir" --port "$port" >&2

stop_cluster() {
    "$offload" local stop --dir "$dir" --port "$port" >&2 || true
}
trap stop_cluster EXIT
# Turn signals into an exit so the EXIT trap runs, with the conventional status.
trap 'exit 130' INT
trap 'exit 143' TERM

DATABASE_URL=$("$offload" local start --dir "$dir" --port "$port")
export DATABASE_URL
echo "Using throwaway PostgreSQL at $DATABASE_URL" >&2

status=0
"$@" || status=$?
exit "$status"
