#!/usr/bin/env bash
# make demo: the example app (Examples/ConnectSource) end to end, in one command.
#
# Installs what is missing, builds, starts PostgreSQL (the project's local cluster, unless
# DATABASE_URL is set), recreates the database offload_demo on it, migrates, starts the API and
# two worker processes, sends a few hundred requests at a steady rate, and prints the API's
# response times next to the time the background work took. Exits non-zero if a request failed
# or any source lacks one of its completed jobs. Stops everything it started, also on failure or
# Ctrl-C. The database stays, to be explored afterwards.
#
# Settings (environment):
#   DEMO_REQUESTS=300  DEMO_RATE=50  DEMO_WORKERS=2  DEMO_CONCURRENCY=20 (jobs at once per worker)
#   DEMO_PORT=8181 (the API's)  DEMO_DATABASE=offload_demo  DEMO_CONFIGURATION=debug|release
#   DEMO_SCRATCH_PATH (default Examples/ConnectSource/.build)  SWIFT (default swift)
#   DATABASE_URL: use this server instead of the local cluster (offload_demo is created on it when
#   the role may; otherwise the URL's own database is used as it is)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

swift=${SWIFT:-swift}
requests=${DEMO_REQUESTS:-300}
rate=${DEMO_RATE:-50}
workers=${DEMO_WORKERS:-2}
concurrency=${DEMO_CONCURRENCY:-20}
port=${DEMO_PORT:-8181}
database=${DEMO_DATABASE:-offload_demo}
configuration=${DEMO_CONFIGURATION:-debug}
scratch=${DEMO_SCRATCH_PATH:-$root/Examples/ConnectSource/.build}
logs=$root/.offload/demo

if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold="" plain=""; fi
step() { printf '\n%s==> %s%s\n' "$bold" "$*" "$plain"; }
fail() { printf 'demo: %s\n' "$*" >&2; exit 1; }

# ----------------------------------------------------------------------------------------------
# Cleanup: whatever this script started stops, whichever way it ends.
# ----------------------------------------------------------------------------------------------
service_pids=()
service_names=()
load_pid=""
started_postgres=0
stopped_postgres=0
stop_failures=0

# SIGTERM each service, then wait for its graceful shutdown (workers drain for up to 25 s).
stop_services() {
    local i pid name status waited
    for i in "${!service_pids[@]}"; do
        kill -TERM "${service_pids[$i]}" 2>/dev/null || true
    done
    for i in "${!service_pids[@]}"; do
        pid=${service_pids[$i]}
        name=${service_names[$i]}
        waited=0
        while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 350 ]; do
            sleep 0.1
            waited=$((waited + 1))
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "  $name (pid $pid) did not stop within 35 s; killing it" >&2
            kill -KILL "$pid" 2>/dev/null || true
        fi
        status=0
        wait "$pid" 2>/dev/null || status=$?
        if [ "$status" -eq 0 ]; then
            echo "  $name (pid $pid) stopped cleanly"
        else
            echo "  $name (pid $pid) exited with status $status (log: ${logs#"$root"/}/$name.log)" >&2
            stop_failures=$((stop_failures + 1))
        fi
    done
    service_pids=()
    service_names=()
}

stop_postgres() {
    if [ "$started_postgres" -eq 1 ]; then
        "$offload" local stop >/dev/null 2>&1 || true
        echo "  PostgreSQL (started by the demo) stopped"
        started_postgres=0
        stopped_postgres=1
    fi
}

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    if [ -n "$load_pid" ]; then
        kill -TERM "$load_pid" 2>/dev/null || true
        wait "$load_pid" 2>/dev/null || true
    fi
    if [ "${#service_pids[@]}" -gt 0 ] || [ "$started_postgres" -eq 1 ]; then
        step "Stopping what the demo started"
        stop_services
        stop_postgres
    fi
    exit "$status"
}
trap cleanup EXIT
# Turn signals into an exit so the EXIT trap runs, with the conventional status.
trap 'exit 130' INT
trap 'exit 143' TERM

# ----------------------------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------------------------

# The same server as URL or conninfo $1, database $2.
with_database() {
    local target=$1 name=$2
    case $target in
        postgres://* | postgresql://*)
            local scheme=${target%%://*} rest=${target#*://}
            local authority=${rest%%[/?]*}
            local after=${rest#"$authority"} query=""
            case $after in *\?*) query="?${after#*\?}" ;; esac
            echo "$scheme://$authority/$name$query"
            ;;
        *) echo "$target dbname=$name" ;; # conninfo: the last dbname wins
    esac
}

# A URL with its password masked, for printing.
redact() { sed -E 's#(://[^:/@]*:)[^@]*@#\1***@#; s#(password=)[^ ]*#\1***#' <<<"$1"; }

find_psql() {
    if command -v psql >/dev/null 2>&1; then
        command -v psql
        return
    fi
    local candidate
    candidate=$(ls -d /usr/lib/postgresql/*/bin/psql 2>/dev/null | sort -V | tail -n 1)
    [ -n "$candidate" ] || fail "psql not found (scripts/install-deps.sh installs it)"
    echo "$candidate"
}

# Whether the offload command has subcommand $1 (status and jobs came with the command line's
# second round; the demo works with or without them).
has_command() { "$offload" --help 2>/dev/null | grep -qE "^ +$1( |\$)"; }

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Starts a service in the background, its output in $logs/NAME.log.
start_service() {
    local name=$1
    shift
    "$@" >"$logs/$name.log" 2>&1 &
    service_pids+=("$!")
    service_names+=("$name")
}

# Fails with the tail of its log if a service died.
check_services() {
    local i
    for i in "${!service_pids[@]}"; do
        if ! kill -0 "${service_pids[$i]}" 2>/dev/null; then
            echo "demo: ${service_names[$i]} exited; the end of its log:" >&2
            tail -n 20 "$logs/${service_names[$i]}.log" >&2
            exit 1
        fi
    done
}

# Whether at least $1 workers heart-beat in the demo database.
workers_alive() {
    local alive
    alive=$("$psql" "$DATABASE_URL" -qAtc "SELECT count(*) FROM offload.live_workers" 2>/dev/null) || return 1
    [ "${alive:-0}" -ge "$1" ]
}

# Waits up to 60 s for command "$2..." to succeed, failing early if a service died.
wait_until() {
    local what=$1 tries=0
    shift
    until "$@"; do
        check_services
        tries=$((tries + 1))
        [ "$tries" -lt 600 ] || fail "timed out waiting until $what"
        sleep 0.1
    done
}

# ----------------------------------------------------------------------------------------------
# 1. Dependencies and build
# ----------------------------------------------------------------------------------------------
step "Checking dependencies (PostgreSQL, libpq, psql)"
scripts/install-deps.sh
psql=$(find_psql)

case $configuration in debug | release) ;; *) fail "DEMO_CONFIGURATION must be debug or release" ;; esac
build=("$swift" build --package-path Examples/ConnectSource --configuration "$configuration" --scratch-path "$scratch")
step "Building the example app and the offload command ($configuration)"
if [ ! -x "$scratch/$configuration/connect-source" ]; then
    echo "The first build compiles Hummingbird and SwiftNIO: several minutes on 2 cores. Later runs take seconds."
fi
"${build[@]}"
# The root package's own `offload` executable, built from the example's dependency graph, so the
# library is compiled once for both.
"${build[@]}" --product offload
bin=$("${build[@]}" --show-bin-path)
app=$bin/connect-source
offload=$bin/offload

# ----------------------------------------------------------------------------------------------
# 2. PostgreSQL and the demo database
# ----------------------------------------------------------------------------------------------
if [ -n "${DATABASE_URL:-}" ]; then
    step "Using the PostgreSQL at DATABASE_URL ($(redact "$DATABASE_URL"))"
    server_url=$DATABASE_URL
else
    step "Starting the project's PostgreSQL (offload local start)"
    if ! "$offload" local status >/dev/null 2>&1; then
        started_postgres=1
    fi
    server_url=$("$offload" local start)
    [ "$started_postgres" -eq 1 ] || echo "(it was already running; the demo leaves it running)"
fi

step "Creating the database $database (dropped first if a previous run left it)"
if PGOPTIONS="--client-min-messages=warning" "$psql" "$server_url" -q -v ON_ERROR_STOP=1 \
    -c "DROP DATABASE IF EXISTS \"$database\" WITH (FORCE)" \
    -c "CREATE DATABASE \"$database\""; then
    DATABASE_URL=$(with_database "$server_url" "$database")
else
    [ "$server_url" = "${DATABASE_URL:-}" ] || fail "could not create the database $database"
    echo "Could not create $database (no CREATEDB privilege?); using DATABASE_URL's own database." >&2
fi
export DATABASE_URL
echo "DATABASE_URL=$(redact "$DATABASE_URL")"

step "Migrating (offload schema + the app's tables)"
"$app" migrate

# ----------------------------------------------------------------------------------------------
# 3. The API and the workers
# ----------------------------------------------------------------------------------------------
if port_in_use "$port"; then
    fail "port $port is in use; set DEMO_PORT to a free one"
fi
mkdir -p "$logs"
step "Starting the API on port $port and $workers worker processes (logs: ${logs#"$root"/}/)"
# One at a time, each waited for: every process upserts the functions registry as it starts, and
# two upserts of the same rows in different orders can deadlock (a worker registers its functions
# in dictionary order), which would end one of the processes at start-up.
start_service api "$app" api --port "$port"
wait_until "the API answers on port $port" port_in_use "$port"
echo "  api       pid ${service_pids[0]}   http://127.0.0.1:$port"
for i in $(seq 1 "$workers"); do
    start_service "worker-$i" "$app" worker --concurrency "$concurrency"
    wait_until "worker-$i is alive" workers_alive "$i"
    echo "  worker-$i  pid ${service_pids[$i]}   concurrency $concurrency"
done

# ----------------------------------------------------------------------------------------------
# 4. Load, then the summary
# ----------------------------------------------------------------------------------------------
step "Sending $requests requests at $rate per second"
load_status=0
# In the background with `wait`, which a signal interrupts, so a SIGTERM to this script stops the
# demo at once instead of after the load run.
"$app" load --url "http://127.0.0.1:$port" --requests "$requests" --rate "$rate" --workers "$workers" &
load_pid=$!
wait "$load_pid" || load_status=$?
load_pid=""
check_services

step "Queue status"
if has_command status; then
    "$offload" status || true
else
    PGOPTIONS="--client-min-messages=warning" "$psql" "$DATABASE_URL" -q -P footer=off <<'SQL' || true
\echo 'Jobs by function and state (offload.jobs):'
SELECT function, state, count(*) AS jobs, count(*) FILTER (WHERE attempt > 1) AS retried
FROM offload.jobs GROUP BY function, state ORDER BY function, state;
\echo 'Waiting, running and dead jobs (offload.queue_stats; empty when nothing is left to do):'
SELECT queue, function, available, scheduled, retryable, running, dead, lag FROM offload.queue_stats;
\echo 'Workers alive (offload.live_workers):'
SELECT id, pid, concurrency, running_jobs, round(seconds_since_heartbeat) AS heartbeat_age_s
FROM offload.live_workers;
SQL
fi

step "Stopping the API and the workers (SIGTERM: they drain and exit)"
stop_services
stop_postgres

# ----------------------------------------------------------------------------------------------
# 5. What just happened
# ----------------------------------------------------------------------------------------------
demo_url=$(redact "$DATABASE_URL")
# SwiftPM links <scratch>/<configuration> to the real folder: the shorter name, for reading.
rel_bin=${bin#"$root"/}
if [ "$(cd "$scratch/$configuration" 2>/dev/null && pwd -P)" = "$(cd "$bin" && pwd -P)" ]; then
    rel_bin=${scratch#"$root"/}/$configuration
fi
{
    cat <<EOF

What just happened
  Each POST /api/connectSource inserted a row into sources and sent the event api/source.connected
  in the same transaction, then answered 201 at once. offload.send fanned the event out to one job
  per subscribed function; $workers worker processes claimed the jobs (FOR UPDATE SKIP LOCKED, woken
  by LISTEN/NOTIFY) and ran backfill-user-data (200-500 ms; every 5th source fails its first
  attempt and is retried within a second or two) and send-welcome-email, each completing its job in
  the transaction that wrote its rows. On SIGTERM the workers stopped claiming, let running jobs
  finish and exited.

Try this next (from $root)
  bin=$rel_bin
  export DATABASE_URL=$demo_url
EOF
    if [ "$stopped_postgres" -eq 1 ]; then
        echo '  $bin/offload local start                  # the demo stopped PostgreSQL; the data stays'
    fi
    if has_command status; then
        echo '  $bin/offload status                       # queues, lag, throughput, live workers'
    fi
    if has_command jobs; then
        echo '  $bin/offload jobs list --state dead       # the dead-letter queue: empty after a good run'
    else
        echo '  psql "$DATABASE_URL" -c "SELECT * FROM offload.failures"   # failed and dead jobs'
    fi
    cat <<EOF
  psql "\$DATABASE_URL" -c "SELECT id, function, attempt, errors->0->>'message' FROM offload.jobs WHERE attempt > 1 LIMIT 3"
  \$bin/connect-source api --port $port &  \$bin/connect-source worker &
  curl -s -XPOST localhost:$port/api/connectSource -d '{"userId": 7, "url": "https://example.com/feed"}'
  curl -s localhost:$port/api/sources/1             # a source and the state of its jobs
  Then kill -9 one of two workers while \$bin/connect-source load runs: once the dead worker's
  30 s leases expire, the other one rescues its jobs, and the load still ends with all completed.
  Logs of this run: ${logs#"$root"/}/
EOF
}

if [ "$load_status" -ne 0 ]; then
    fail "the load run found problems (see above)"
fi
if [ "$stop_failures" -ne 0 ]; then
    fail "$stop_failures processes did not stop cleanly"
fi
