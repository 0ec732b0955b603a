# Shared helpers for bench/compare.sh and bench/persistence.sh (sourced, not run).
#
# The sourcing script sets, before sourcing: REPO_ROOT, BENCH_NAME (log prefix),
# HOST, REDIS_SERVER, REDIS_CLI, REDIS_BENCHMARK, TESSERA_BIN,
# DEFAULT_TESSERA_BIN, STARTUP_TIMEOUT, PAUSE_IDLE, SERVER_CPU, RUN_TIMEOUT,
# and, before calling the helpers that use them: WORKDIR, CLIENTS, KEYSPACE,
# DATASIZE, ROUNDS and a requests_for PIPELINE function.
#
# Sourcing installs an EXIT/INT/TERM trap that stops both servers (and calls
# bench_extra_cleanup first, when the script defines it).
# shellcheck shell=bash

log() { printf '[%s] %s\n' "$BENCH_NAME" "$*" >&2; }
die() { printf '[%s] ERROR: %s\n' "$BENCH_NAME" "$*" >&2; exit 1; }

WORKDIR=${WORKDIR:-}

# Extra server arguments, after --port/--bind (and --shards for Tessera).
# start_servers also takes the working directory of each server from
# REDIS_RUNDIR / TESSERA_RUNDIR (default: $WORKDIR).
REDIS_ARGS=(--save '' --appendonly no)
TESSERA_ARGS=()
REDIS_RUNDIR="" TESSERA_RUNDIR=""

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
    if declare -F bench_extra_cleanup >/dev/null; then bench_extra_cleanup || true; fi
    stop_servers
    if [[ $rc -ne 0 ]]; then log "exiting with status $rc (logs kept in ${WORKDIR:-?})"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

declare -A USED_PORTS=()
PORT=""
# Sets PORT to a port nobody listens on (and that this run has not handed out).
free_port() {
    local p tries lo=32768 base
    # Below the kernel's ephemeral range (32768+ by default), where the load
    # generator's own client sockets could already hold the port.
    read -r lo _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || lo=32768
    [[ $lo =~ ^[0-9]+$ ]] || lo=32768
    base=$((lo - 12768)); ((base >= 1024)) || base=1024
    ((lo - base >= 100)) || die "ephemeral port range starts at $lo: no room for server ports below it"
    for ((tries = 0; tries < 200; tries++)); do
        p=$((base + RANDOM % (lo - base)))
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
               ${REDIS_ARGS[@]+"${REDIS_ARGS[@]}"})
    TESSERA_CMD=(${prefix[@]+"${prefix[@]}"} "$TESSERA_BIN" --port "$TESSERA_PORT" --bind "$HOST"
                 --shards "$shards" ${TESSERA_ARGS[@]+"${TESSERA_ARGS[@]}"})

    log "[$cfg] starting redis-server:  $(quote_cmd "${REDIS_CMD[@]}")"
    # Start from the workdir so nothing (dump files, logs) lands in the repo.
    (cd "${REDIS_RUNDIR:-$WORKDIR}" && exec "${REDIS_CMD[@]}") >"$WORKDIR/$cfg-redis.log" 2>&1 &
    REDIS_PID=$!
    log "[$cfg] starting tessera:       $(quote_cmd "${TESSERA_CMD[@]}")"
    (cd "${TESSERA_RUNDIR:-$WORKDIR}" && exec "${TESSERA_CMD[@]}") >"$WORKDIR/$cfg-tessera.log" 2>&1 &
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


# Builds the Tessera binary when it is the default path and missing (or
# BUILD=1); dies if $TESSERA_BIN is still not executable.
# Binaries given as relative paths are made absolute: servers run from
# their own directory (see start_servers).
ensure_tessera_bin() {
    local b
    for b in TESSERA_BIN REDIS_SERVER; do
        if [[ ${!b} == */* && ${!b} != /* ]]; then
            printf -v "$b" '%s/%s' "$(cd "$(dirname "${!b}")" && pwd)" "$(basename "${!b}")"
        fi
    done
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
}
