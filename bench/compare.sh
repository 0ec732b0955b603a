#!/usr/bin/env bash
# Tessera vs redis-server, same machine, same settings, same load generator.
#
#   bench/compare.sh [pinned|unpinned|all|types]      (default: all)
#
# pinned   : each server pinned to CPU $SERVER_CPU (Tessera --shards 1),
#            load generator pinned to CPU $LOADGEN_CPU.
# unpinned : Tessera --shards 2 vs redis-server, nothing pinned.
# types    : pinned, with the data-structure cases ($TYPE_TESTS and
#            $TYPE_CUSTOM) instead of SET/GET.
#
# For every configuration both servers are started on free ports bound to
# 127.0.0.1, the keyspace is preloaded into both, and then each case is run
# against redis and Tessera back to back (the idle server is SIGSTOPped while
# the other one is measured so it cannot steal CPU).  Progress goes to stderr;
# the markdown report goes to stdout (and to $BENCH_WORKDIR/results.md).
# Both servers are always stopped on exit, including on failure or Ctrl-C.
#
# Environment knobs (see bench/README.md):
#   TESSERA_BIN   Tessera binary (default <repo>/target/release/tessera; built
#                 with `cargo build --release -p tessera-server` if missing)
#   BUILD=1       always run that cargo build first (default binary only)
#   REDIS_SERVER  redis-server binary (default: redis-server on PATH)
#   REQUESTS      requests per redis-benchmark test, every pipeline depth
#   REQUESTS_P1=200000 REQUESTS_PIPELINED=2000000   per-depth defaults
#                 (sized so one SET+GET invocation takes ~5-10 s here)
#   CLIENTS=50 KEYSPACE=100000 DATASIZE=32 PIPELINES="1 16"
#   TESTS=set,get     redis-benchmark -t list for pinned/unpinned
#   TYPE_TESTS=lpush,lpop,sadd,hset,zadd   -t list for the types mode
#   TYPE_CUSTOM="ZRANGE myzset 0 99 WITHSCORES"   extra command(s) for the types
#                 mode, ';'-separated, run after TYPE_TESTS (ZADD fills myzset)
#   SHARDS_UNPINNED=2 SERVER_CPU=1 LOADGEN_CPU=0
#   MEMTIER=auto|0    run memtier_benchmark when on PATH (auto) or never (0)
#   MEMTIER_TEST_TIME=10 MEMTIER_CLIENTS=25 MEMTIER_THREADS=2
#   ROUNDS=1          repeat every case N times (order alternating), report medians
#   RUN_TIMEOUT=300   seconds before a single load-generator run is killed
#   PAUSE_IDLE=1      SIGSTOP the server that is not being measured
#   BENCH_WORKDIR     where logs and raw outputs go (default: mktemp -d)
set -euo pipefail

usage() {
    sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'
    echo "See bench/README.md for the environment knobs."
}

MODE=${1:-all}
case "$MODE" in
    pinned|unpinned|all|types) ;;
    -h|--help|help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
esac
if [[ $# -gt 1 ]]; then usage >&2; exit 2; fi

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEFAULT_TESSERA_BIN="$REPO_ROOT/target/release/tessera"
TESSERA_BIN=${TESSERA_BIN:-$DEFAULT_TESSERA_BIN}
REDIS_SERVER=${REDIS_SERVER:-redis-server}
REDIS_CLI=${REDIS_CLI:-redis-cli}
REDIS_BENCHMARK=${REDIS_BENCHMARK:-redis-benchmark}

CLIENTS=${CLIENTS:-50}
KEYSPACE=${KEYSPACE:-100000}
DATASIZE=${DATASIZE:-32}
PIPELINES=${PIPELINES:-"1 16"}
TESTS=${TESTS:-set,get}
TYPE_TESTS=${TYPE_TESTS:-lpush,lpop,sadd,hset,zadd}
TYPE_CUSTOM=${TYPE_CUSTOM:-"ZRANGE myzset 0 99 WITHSCORES"}
REQUESTS=${REQUESTS:-}
REQUESTS_P1=${REQUESTS_P1:-200000}
REQUESTS_PIPELINED=${REQUESTS_PIPELINED:-2000000}
SHARDS_UNPINNED=${SHARDS_UNPINNED:-2}
SERVER_CPU=${SERVER_CPU:-1}
LOADGEN_CPU=${LOADGEN_CPU:-0}
MEMTIER=${MEMTIER:-auto}
MEMTIER_TEST_TIME=${MEMTIER_TEST_TIME:-10}
MEMTIER_CLIENTS=${MEMTIER_CLIENTS:-25}
MEMTIER_THREADS=${MEMTIER_THREADS:-2}
RUN_TIMEOUT=${RUN_TIMEOUT:-300}
ROUNDS=${ROUNDS:-1}
STARTUP_TIMEOUT=${STARTUP_TIMEOUT:-20}
PAUSE_IDLE=${PAUSE_IDLE:-1}
HOST=127.0.0.1

log() { printf '[compare] %s\n' "$*" >&2; }
die() { printf '[compare] ERROR: %s\n' "$*" >&2; exit 1; }

for v in REQUESTS_P1 REQUESTS_PIPELINED CLIENTS KEYSPACE DATASIZE SHARDS_UNPINNED SERVER_CPU LOADGEN_CPU \
         ROUNDS MEMTIER_TEST_TIME MEMTIER_CLIENTS MEMTIER_THREADS RUN_TIMEOUT STARTUP_TIMEOUT; do
    [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a non-negative integer (got '${!v}')"
done
[[ -z $REQUESTS || $REQUESTS =~ ^[0-9]+$ ]] || die "REQUESTS must be an integer"
((ROUNDS >= 1)) || die "ROUNDS must be at least 1"
for p in $PIPELINES; do [[ $p =~ ^[1-9][0-9]*$ ]] || die "bad pipeline depth '$p' in PIPELINES"; done

for tool in "$REDIS_SERVER" "$REDIS_CLI" "$REDIS_BENCHMARK" taskset timeout awk; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found on PATH"
done

USE_MEMTIER=0
if [[ $MEMTIER != 0 ]] && command -v memtier_benchmark >/dev/null 2>&1; then
    USE_MEMTIER=1
fi

# ---------------------------------------------------------------- workdir ---
if [[ -n ${BENCH_WORKDIR:-} ]]; then
    WORKDIR=$BENCH_WORKDIR
    mkdir -p "$WORKDIR"
else
    WORKDIR=$(mktemp -d "${TMPDIR:-/tmp}/tessera-bench.XXXXXX")
fi
log "logs and raw outputs: $WORKDIR"

# ------------------------------------------------------- server lifecycle ---
REDIS_PID=""
TESSERA_PID=""

stop_pid() {
    local pid=$1 i
    [[ -n $pid ]] || return 0
    kill -0 "$pid" 2>/dev/null || return 0
    kill -CONT "$pid" 2>/dev/null || true   # a stopped process would not act on TERM
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "pid $pid did not exit after SIGTERM; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

stop_servers() {
    stop_pid "$REDIS_PID";   REDIS_PID=""
    stop_pid "$TESSERA_PID"; TESSERA_PID=""
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_servers
    if [[ $rc -ne 0 ]]; then log "exiting with status $rc (logs kept in $WORKDIR)"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

declare -A USED_PORTS=()
PORT=""
# Sets PORT to a port nobody listens on (and that this run has not handed out).
free_port() {
    local p tries
    for ((tries = 0; tries < 200; tries++)); do
        # Below the kernel's ephemeral range (32768+), where the load
        # generator's own client sockets could already hold the port.
        p=$((20000 + RANDOM % 12000))
        [[ -z ${USED_PORTS[$p]:-} ]] || continue
        # Connection refused => nobody listens there.
        if ! (exec 3<>"/dev/tcp/$HOST/$p") 2>/dev/null; then
            USED_PORTS[$p]=1
            PORT=$p
            return 0
        fi
    done
    die "could not find a free TCP port"
}

cli() { timeout --foreground 10 "$REDIS_CLI" -h "$HOST" -p "$1" "${@:2}"; }

# wait_ready NAME PID PORT LOGFILE
wait_ready() {
    local name=$1 pid=$2 port=$3 logfile=$4 i rc
    for ((i = 0; i < STARTUP_TIMEOUT * 10; i++)); do
        if ! kill -0 "$pid" 2>/dev/null; then
            rc=0; wait "$pid" 2>/dev/null || rc=$?
            tail -n 20 "$logfile" >&2 || true
            die "$name exited during startup with status $rc (log: $logfile)"
        fi
        if [[ $(cli "$port" PING 2>/dev/null || true) == PONG ]]; then
            return 0
        fi
        sleep 0.1
    done
    tail -n 20 "$logfile" >&2 || true
    die "$name did not answer PING on port $port within ${STARTUP_TIMEOUT}s"
}

# Set by start_servers for the current configuration.
REDIS_PORT="" TESSERA_PORT=""
REDIS_CMD=() TESSERA_CMD=()

# start_servers CONFIG SHARDS PIN(0|1)
start_servers() {
    local cfg=$1 shards=$2 pin=$3
    local -a prefix=()
    if [[ $pin == 1 ]]; then prefix=(taskset -c "$SERVER_CPU"); fi
    free_port; REDIS_PORT=$PORT
    free_port; TESSERA_PORT=$PORT
    REDIS_CMD=(${prefix[@]+"${prefix[@]}"} "$REDIS_SERVER" --port "$REDIS_PORT" --bind "$HOST"
               --save '' --appendonly no)
    TESSERA_CMD=(${prefix[@]+"${prefix[@]}"} "$TESSERA_BIN" --port "$TESSERA_PORT" --bind "$HOST"
                 --shards "$shards")

    log "[$cfg] starting redis-server:  $(quote_cmd "${REDIS_CMD[@]}")"
    # Start from the workdir so nothing (dump files, logs) lands in the repo.
    (cd "$WORKDIR" && exec "${REDIS_CMD[@]}") >"$WORKDIR/$cfg-redis.log" 2>&1 &
    REDIS_PID=$!
    log "[$cfg] starting tessera:       $(quote_cmd "${TESSERA_CMD[@]}")"
    (cd "$WORKDIR" && exec "${TESSERA_CMD[@]}") >"$WORKDIR/$cfg-tessera.log" 2>&1 &
    TESSERA_PID=$!

    wait_ready redis-server "$REDIS_PID" "$REDIS_PORT" "$WORKDIR/$cfg-redis.log"
    wait_ready tessera "$TESSERA_PID" "$TESSERA_PORT" "$WORKDIR/$cfg-tessera.log"
}

pid_of() { if [[ $1 == redis ]]; then echo "$REDIS_PID"; else echo "$TESSERA_PID"; fi; }
port_of() { if [[ $1 == redis ]]; then echo "$REDIS_PORT"; else echo "$TESSERA_PORT"; fi; }
other_of() { if [[ $1 == redis ]]; then echo tessera; else echo redis; fi; }

check_alive() {
    local srv=$1 pid
    pid=$(pid_of "$srv")
    if ! kill -0 "$pid" 2>/dev/null; then
        die "$srv (pid $pid) is no longer running; see its log in $WORKDIR"
    fi
}

# Only the server under test may run while we measure.
focus_on() {
    local srv=$1 other
    other=$(other_of "$srv")
    check_alive "$srv"
    check_alive "$other"
    kill -CONT "$(pid_of "$srv")" 2>/dev/null || true
    if [[ $PAUSE_IDLE == 1 ]]; then kill -STOP "$(pid_of "$other")" 2>/dev/null || true; fi
}
resume_all() {
    local pid
    for pid in "$REDIS_PID" "$TESSERA_PID"; do
        if [[ -n $pid ]]; then kill -CONT "$pid" 2>/dev/null || true; fi
    done
}

quote_cmd() {
    local out="" a
    for a in "$@"; do
        if [[ -z $a ]]; then a="''"
        elif [[ $a =~ [^A-Za-z0-9_./:=,@%+-] ]]; then a="'${a//\'/\'\\\'\'}'"; fi
        out+="${out:+ }$a"
    done
    printf '%s' "$out"
}

# --------------------------------------------------------------- preload ---
# Writes exactly the keys redis-benchmark -r uses (key:%012d for 0..KEYSPACE-1)
# so that every GET hits.  Uses redis-cli --pipe when the server supports ECHO
# (which --pipe needs to detect the end), plain sequential redis-cli otherwise.
preload() {
    local srv=$1 port keys
    port=$(port_of "$srv")
    focus_on "$srv"
    if [[ $(cli "$port" ECHO tessera-bench-probe 2>/dev/null || true) == tessera-bench-probe ]]; then
        awk -v n="$KEYSPACE" -v d="$DATASIZE" 'BEGIN {
                v = sprintf("%*s", d, ""); gsub(/ /, "x", v)
                for (i = 0; i < n; i++) {
                    k = sprintf("key:%012d", i)
                    printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(k), k, d, v
                }
            }' | timeout --foreground "$RUN_TIMEOUT" "$REDIS_CLI" -h "$HOST" -p "$port" --pipe \
            >"$WORKDIR/$CFG-$srv-preload.log" 2>&1 \
            || { tail -n 5 "$WORKDIR/$CFG-$srv-preload.log" >&2; die "preloading $srv failed"; }
    else
        log "[$CFG] $srv has no ECHO; preloading with sequential SETs (slower)"
        awk -v n="$KEYSPACE" -v d="$DATASIZE" 'BEGIN {
                v = sprintf("%*s", d, ""); gsub(/ /, "x", v)
                for (i = 0; i < n; i++) printf "SET key:%012d %s\n", i, v
            }' | timeout --foreground "$RUN_TIMEOUT" "$REDIS_CLI" -h "$HOST" -p "$port" \
            >"$WORKDIR/$CFG-$srv-preload.log" 2>&1 \
            || { tail -n 5 "$WORKDIR/$CFG-$srv-preload.log" >&2; die "preloading $srv failed"; }
    fi
    keys=$(cli "$port" DBSIZE 2>/dev/null || true)
    [[ $keys =~ ^[0-9]+$ ]] || keys="?"
    PRELOADED[$CFG.$srv]=$keys
    log "[$CFG] preloaded $srv: DBSIZE=$keys"
    resume_all
}

# --------------------------------------------------------------- results ---
declare -A RES=()        # key "cfg|case|pipeline|server" -> lines "ops p50 p99", one per round
declare -A PRELOADED=()
declare -A CMDS=()       # cfg -> newline separated command lines
declare -A CASES=()      # cfg -> newline separated "case|pipeline", in run order
FAILURES=0
CFG=""
ROUND=1

add_cmd() {   # identical command lines (later rounds) are listed once
    case $'\n'"${CMDS[$CFG]:-}" in
        *$'\n'"$1"$'\n'*) ;;
        *) CMDS[$CFG]+="$1"$'\n' ;;
    esac
}
add_case() {
    case $'\n'"${CASES[$CFG]:-}" in
        *$'\n'"$1"$'\n'*) ;;
        *) CASES[$CFG]+="$1"$'\n' ;;
    esac
}

requests_for() {
    if [[ -n $REQUESTS ]]; then echo "$REQUESTS"
    elif [[ $1 == 1 ]]; then echo "$REQUESTS_P1"
    else echo "$REQUESTS_PIPELINED"; fi
}

LOADGEN_PREFIX=()

# run_load OUTFILE CMD... : runs a load generator under a timeout.  Returns 0
# on success, 1 on failure/timeout (the cell becomes n/a).  Exits the script
# when the run was interrupted (Ctrl-C): timeout --foreground reports that as
# exit status 130 instead of dying from SIGINT, so bash's INT trap would not fire.
run_load() {
    local out=$1 rc=0 t0=$SECONDS
    shift
    timeout --foreground "$RUN_TIMEOUT" "$@" >"$out" 2>"$out.stderr" || rc=$?
    log "[$CFG]   ... took $((SECONDS - t0))s"
    case $rc in
        0) return 0 ;;
        130|131|143) log "interrupted"; exit "$rc" ;;
        124) log "[$CFG] timed out after ${RUN_TIMEOUT}s (RUN_TIMEOUT): $*" ;;
    esac
    return 1
}

# run_redis_benchmark SERVER PIPELINE: the -t tests, then each custom command.
run_redis_benchmark() {
    local srv=$1 p=$2 custom
    local -a words
    run_redis_benchmark_once "$srv" "$p" -t "$CFG_TESTS"
    while IFS= read -r custom; do
        read -r -a words <<<"$custom"
        if [[ ${#words[@]} -gt 0 ]]; then run_redis_benchmark_once "$srv" "$p" "${words[@]}"; fi
    done < <(printf '%s\n' "$CFG_CUSTOM" | tr ';' '\n')
}

# run_redis_benchmark_once SERVER PIPELINE ARGS...: one redis-benchmark
# invocation; every row of its CSV becomes a case.
run_redis_benchmark_once() {
    local srv=$1 p=$2 port n out t line tag
    shift 2
    port=$(port_of "$srv")
    n=$(requests_for "$p")
    local -a cmd=(${LOADGEN_PREFIX[@]+"${LOADGEN_PREFIX[@]}"} "$REDIS_BENCHMARK" -h "$HOST" -p "$port"
                  -c "$CLIENTS" -n "$n" -r "$KEYSPACE" -d "$DATASIZE" -P "$p" --csv "$@")
    add_cmd "$(quote_cmd "${cmd[@]}")    # $srv"
    tag=$(printf '%s' "$*" | tr -c 'A-Za-z0-9' '_' | cut -c1-40)
    out="$WORKDIR/$CFG-rb-$srv-P$p-$tag-round$ROUND.csv"
    log "[$CFG] round $ROUND/$ROUNDS: redis-benchmark -P $p -n $n $* against $srv (port $port)"
    focus_on "$srv"
    if ! run_load "$out" "${cmd[@]}"; then
        log "[$CFG] redis-benchmark against $srv failed (see $out.stderr)"
        FAILURES=$((FAILURES + 1))
    fi
    resume_all
    check_alive "$srv"
    # csv: "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
    local rows
    rows=$(awk -F, 'NR > 1 && NF >= 7 { gsub(/"/, ""); print $1 }' "$out" 2>/dev/null || true)
    if [[ -z $rows ]]; then
        log "[$CFG] no rows in redis-benchmark output for $srv"
        FAILURES=$((FAILURES + 1))
        rows=$*
    fi
    while IFS= read -r t; do
        add_case "$t|$p"
        line=$(awk -F, -v t="$t" '{ gsub(/"/, "") } $1 == t { print $2, $5, $7; exit }' "$out")
        [[ -n $line ]] || line="n/a n/a n/a"
        RES["$CFG|$t|$p|$srv"]+="$line"$'\n'
    done <<<"$rows"
}

# Prints "ops p50 p99" from the last Totals line of memtier's text output.
# Handles both the 2.x header (Avg. Latency, p50 Latency, p99 Latency, ...)
# and the old one (a single Latency column -> p50/p99 are n/a).
parse_memtier() {
    awk '
        /^Type[ \t]/ {
            # Glue two-word column names ("p50 Latency") so that header
            # fields line up with the fields of the Totals row.
            nh = 0
            for (i = 1; i <= NF; i++) {
                if ($i == "Latency" && nh > 0 && H[nh] ~ /^(Avg\.|p[0-9.]+)$/) H[nh] = H[nh] "_Latency"
                else H[++nh] = $i
            }
            ops = p50 = p99 = 0
            for (i = 1; i <= nh; i++) {
                if (H[i] == "Ops/sec") ops = i
                if (H[i] ~ /^p50(\.0+)?_Latency$/) p50 = i
                if (H[i] ~ /^p99(\.0+)?_Latency$/) p99 = i
            }
        }
        /^Totals[ \t]/ && ops {
            r = $(ops) " " (p50 ? $(p50) : "n/a") " " (p99 ? $(p99) : "n/a")
        }
        END { if (r != "") print r }
    ' "$1"
}

# run_memtier SERVER PIPELINE
run_memtier() {
    local srv=$1 p=$2 port out line c="memtier SET:GET 1:1"
    port=$(port_of "$srv")
    local -a cmd=(${LOADGEN_PREFIX[@]+"${LOADGEN_PREFIX[@]}"} memtier_benchmark -s "$HOST" -p "$port"
                  --protocol=redis --ratio=1:1 --key-maximum="$KEYSPACE" -d "$DATASIZE"
                  -c "$MEMTIER_CLIENTS" -t "$MEMTIER_THREADS" --pipeline="$p"
                  --test-time="$MEMTIER_TEST_TIME" --hide-histogram)
    add_cmd "$(quote_cmd "${cmd[@]}")    # $srv"
    out="$WORKDIR/$CFG-memtier-$srv-P$p-round$ROUND.txt"
    log "[$CFG] round $ROUND/$ROUNDS: memtier_benchmark --pipeline=$p against $srv (port $port)"
    add_case "$c|$p"
    focus_on "$srv"
    if ! run_load "$out" "${cmd[@]}"; then
        log "[$CFG] memtier_benchmark against $srv failed (see $out.stderr)"
        FAILURES=$((FAILURES + 1))
    fi
    resume_all
    check_alive "$srv"
    line=$(parse_memtier "$out")
    if [[ -z $line ]]; then
        log "[$CFG] no Totals line in memtier output for $srv"
        FAILURES=$((FAILURES + 1))
        line="n/a n/a n/a"
    fi
    RES["$CFG|$c|$p|$srv"]+="$line"$'\n'
}

run_config() {
    local cfg=$1 shards pin p srv
    CFG=$cfg
    CFG_TESTS=$TESTS; CFG_CUSTOM=""
    if [[ $cfg == types ]]; then
        CFG_TESTS=$TYPE_TESTS; CFG_CUSTOM=$TYPE_CUSTOM
    fi
    if [[ $cfg == pinned || $cfg == types ]]; then
        shards=1; pin=1; LOADGEN_PREFIX=(taskset -c "$LOADGEN_CPU")
    else
        shards=$SHARDS_UNPINNED; pin=0; LOADGEN_PREFIX=()
    fi
    SHARDS[$cfg]=$shards
    CMDS[$cfg]=""
    start_servers "$cfg" "$shards" "$pin"
    SERVER_CMDS[$cfg]="$(quote_cmd "${REDIS_CMD[@]}")"$'\n'"$(quote_cmd "${TESSERA_CMD[@]}")"
    if [[ -z $TESSERA_VERSION_INFO ]]; then
        TESSERA_VERSION_INFO=$(cli "$TESSERA_PORT" INFO server 2>/dev/null \
            | tr -d '\r' | awk -F: '$1 ~ /^(tessera_version|redis_version)$/ { printf "%s%s=%s", sep, $1, $2; sep=", " }' || true)
    fi
    for srv in redis tessera; do preload "$srv"; done
    # Same case, back to back on both servers; with ROUNDS > 1 the order
    # alternates (redis first in odd rounds, Tessera first in even ones).
    local order
    for p in $PIPELINES; do
        for ((ROUND = 1; ROUND <= ROUNDS; ROUND++)); do
            order="redis tessera"; ((ROUND % 2)) || order="tessera redis"
            for srv in $order; do run_redis_benchmark "$srv" "$p"; done
        done
    done
    if [[ $USE_MEMTIER == 1 && $cfg != types ]]; then
        for p in $PIPELINES; do
            for ((ROUND = 1; ROUND <= ROUNDS; ROUND++)); do
                order="redis tessera"; ((ROUND % 2)) || order="tessera redis"
                for srv in $order; do run_memtier "$srv" "$p"; done
            done
        done
    fi
    stop_servers
}

# ----------------------------------------------------------------- report ---
# medians "ops p50 p99\n..." -> per-column medians over the rounds (n/a cells
# are ignored; a column with no numbers at all stays n/a).
medians() {
    printf '%s' "$1" | awk '
        { for (c = 1; c <= 3; c++) if ($c ~ /^[0-9.]+$/) v[c, ++n[c]] = $c + 0 }
        END {
            for (c = 1; c <= 3; c++) {
                k = n[c] + 0
                if (k == 0) { out = out (c > 1 ? " " : "") "n/a"; continue }
                for (i = 2; i <= k; i++) {           # insertion sort (mawk has no asort)
                    x = v[c, i]
                    for (j = i - 1; j >= 1 && v[c, j] > x; j--) v[c, j + 1] = v[c, j]
                    v[c, j + 1] = x
                }
                m = (k % 2) ? v[c, (k + 1) / 2] : (v[c, k / 2] + v[c, k / 2 + 1]) / 2
                out = out (c > 1 ? " " : "") sprintf("%.3f", m)
            }
            print out
        }'
}

ratio() {   # ratio A B -> A/B with 2 decimals, or n/a
    awk -v a="$1" -v b="$2" 'BEGIN {
        if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b + 0 > 0) printf "%.2f", a / b
        else printf "n/a" }'
}
fmt_ms() {
    awk -v a="$1" 'BEGIN { if (a ~ /^[0-9.]+$/) printf "%.3f", a; else printf "n/a" }'
}
fmt_ops() {
    awk -v a="$1" 'BEGIN { if (a ~ /^[0-9.]+$/) printf "%.0f", a; else printf "n/a" }'
}

report_config() {
    local cfg=$1 item c p ro rp50 rp99 to tp50 tp99 title
    if [[ $cfg == pinned ]]; then
        title="(a) pinned: servers on CPU $SERVER_CPU (tessera --shards 1), load generator on CPU $LOADGEN_CPU"
    elif [[ $cfg == types ]]; then
        title="(c) data structures, pinned: servers on CPU $SERVER_CPU (tessera --shards 1), load generator on CPU $LOADGEN_CPU"
    else
        title="(b) unpinned: tessera --shards ${SHARDS[$cfg]} vs redis-server, nothing pinned"
    fi
    echo "### $title"
    echo
    echo "Preloaded keys (DBSIZE): redis=${PRELOADED[$cfg.redis]:-?}, tessera=${PRELOADED[$cfg.tessera]:-?}"
    echo
    echo "| case | pipeline | redis ops/s | tessera ops/s | ratio (T/R) | redis p50 / p99 (ms) | tessera p50 / p99 (ms) | p99 ratio (T/R) |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|"
    while IFS= read -r item; do
        [[ -n $item ]] || continue
        c=${item%|*}; p=${item##*|}
        read -r ro rp50 rp99 <<<"$(medians "${RES["$cfg|$c|$p|redis"]:-}")"
        read -r to tp50 tp99 <<<"$(medians "${RES["$cfg|$c|$p|tessera"]:-}")"
        printf '| %s | %s | %s | %s | %s | %s / %s | %s / %s | %s |\n' \
            "$c" "$p" "$(fmt_ops "$ro")" "$(fmt_ops "$to")" "$(ratio "$to" "$ro")" \
            "$(fmt_ms "$rp50")" "$(fmt_ms "$rp99")" "$(fmt_ms "$tp50")" "$(fmt_ms "$tp99")" \
            "$(ratio "$tp99" "$rp99")"
    done <<<"${CASES[$cfg]:-}"
    echo
    echo "Commands (ports are picked at run time):"
    echo
    echo '```sh'
    echo "# servers"
    printf '%s\n' "${SERVER_CMDS[$cfg]}"
    echo "# load: per case, redis and tessera back to back"
    printf '%s' "${CMDS[$cfg]}"
    echo '```'
    echo
}

# ------------------------------------------------------------------ main ---
if [[ $TESSERA_BIN == "$DEFAULT_TESSERA_BIN" && ${BUILD:-0} == 1 ]]; then
    log "BUILD=1: cargo build --release -p tessera-server"
    (cd "$REPO_ROOT" && cargo build --release -p tessera-server) >&2
fi
if [[ ! -x $TESSERA_BIN ]]; then
    if [[ $TESSERA_BIN == "$DEFAULT_TESSERA_BIN" ]]; then
        log "$TESSERA_BIN not found; building it (cargo build --release -p tessera-server)"
        (cd "$REPO_ROOT" && cargo build --release -p tessera-server) >&2
        [[ -x $TESSERA_BIN ]] || die "build finished but $TESSERA_BIN is still missing"
    else
        die "TESSERA_BIN=$TESSERA_BIN is not an executable file"
    fi
fi

declare -A SHARDS=() SERVER_CMDS=()
TESSERA_VERSION_INFO=""
TESSERA_VERSION=$(timeout 5 "$TESSERA_BIN" --version 2>/dev/null | head -n 1 || true)
REDIS_VERSION=$("$REDIS_SERVER" --version 2>/dev/null | head -n 1 || true)
RB_VERSION=$("$REDIS_BENCHMARK" --version 2>/dev/null | head -n 1 || true)
MEMTIER_VERSION=""
if [[ $USE_MEMTIER == 1 ]]; then
    MEMTIER_VERSION=$(memtier_benchmark --version 2>/dev/null | head -n 1 || true)
fi
GIT_REV=$(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo "no commits")
if [[ -n $(git -C "$REPO_ROOT" status --porcelain 2>/dev/null | head -n 1) ]]; then GIT_REV+=" (dirty)"; fi
CPU_MODEL=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
NPROC=$(nproc)
KERNEL=$(uname -sr)

if [[ $MODE != unpinned ]] && ((NPROC < 2)); then
    die "pinned mode needs at least 2 CPUs (have $NPROC)"
fi

CONFIGS=()
case "$MODE" in
    pinned) CONFIGS=(pinned) ;;
    unpinned) CONFIGS=(unpinned) ;;
    all) CONFIGS=(pinned unpinned) ;;
    types) CONFIGS=(types) ;;
esac

START=$(date -u +%Y-%m-%dT%H:%M:%SZ)
for cfg in "${CONFIGS[@]}"; do run_config "$cfg"; done

REQ_DESC=""
for p in $PIPELINES; do REQ_DESC+="${REQ_DESC:+, }P=$p: $(requests_for "$p")"; done

{
    echo "## Tessera vs Redis ($START)"
    echo
    echo "- Machine: nproc=$NPROC, CPU: ${CPU_MODEL:-unknown}, kernel: $KERNEL"
    echo "- redis-server: ${REDIS_VERSION:-unknown}"
    echo "- tessera: ${TESSERA_VERSION:-unknown}${TESSERA_VERSION_INFO:+ (INFO: $TESSERA_VERSION_INFO)}; binary $TESSERA_BIN; repo $GIT_REV"
    echo "- Load: ${RB_VERSION:-redis-benchmark}${MEMTIER_VERSION:+; $MEMTIER_VERSION}"
    echo "- redis-benchmark: -t $TESTS (types mode: -t $TYPE_TESTS, then: $TYPE_CUSTOM), $CLIENTS clients, -r $KEYSPACE random keys, -d $DATASIZE byte values, requests per test: $REQ_DESC; keyspace preloaded so GETs hit"
    if [[ $USE_MEMTIER == 1 ]]; then
        echo "- memtier_benchmark: ratio 1:1, key-maximum $KEYSPACE, -d $DATASIZE, -c $MEMTIER_CLIENTS -t $MEMTIER_THREADS, ${MEMTIER_TEST_TIME}s per run"
    else
        echo "- memtier_benchmark: not on PATH, skipped"
    fi
    if ((ROUNDS > 1)); then
        echo "- Each case run $ROUNDS times (order alternating); cells are per-column medians"
    fi
    echo "- Ratio = tessera / redis (ops/s: higher is better for tessera; p99: lower is better). Latencies in ms. Idle server SIGSTOPped during each run: $([[ $PAUSE_IDLE == 1 ]] && echo yes || echo no)"
    echo
    for cfg in "${CONFIGS[@]}"; do report_config "$cfg"; done
} | tee "$WORKDIR/results.md"

log "report saved to $WORKDIR/results.md"
if ((FAILURES > 0)); then
    log "$FAILURES measurement(s) failed; their cells show n/a"
    exit 1
fi
