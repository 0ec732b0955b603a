#!/usr/bin/env bash
# Cost of persistence: Tessera (--shards 1) vs redis-server, same settings.
#
#   bench/persistence.sh [throughput|rewrite|all]      (default: all)
#
# throughput : SET ops/s and p50/p99 with appendonly no, appendfsync everysec
#              and appendfsync always, at each pipeline depth ($PIPELINES),
#              $CLIENTS clients, -r $KEYSPACE, -d $DATASIZE; $RUNS runs
#              (order alternating), medians, Tessera/Redis ratios per mode.
# rewrite    : $KEYS keys loaded with appendonly yes, then a light SET+GET load
#              (-c $LAT_CLIENTS -P $LAT_PIPELINE, ~$DURATION s, latency
#              histogram output) without a rewrite and again while
#              BGREWRITEAOF runs (back to back while the load lasts); p99
#              during / without for both servers, and the rewrite time.
#
# Both servers are pinned to CPU $SERVER_CPU, the load generator to CPU
# $LOADGEN_CPU (as compare.sh's pinned mode). Every server gets a fresh data
# directory under the work directory (same filesystem for both; tmpfs is
# refused) and the same persistence flags; the server not being measured is
# SIGSTOPped. Progress goes to stderr, the markdown report to stdout (and to
# $BENCH_WORKDIR/results.md). Servers and load generators are always stopped
# on exit, including on failure or Ctrl-C. Knobs: see bench/README.md.
set -euo pipefail

usage() {
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
    echo "See bench/README.md for the environment knobs."
}

MODE=${1:-all}
case "$MODE" in
    throughput|rewrite|all) ;;
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

# (1) throughput
FSYNC_MODES=${FSYNC_MODES:-"no everysec always"}   # "no" = appendonly no
PIPELINES=${PIPELINES:-"1 16"}
CLIENTS=${CLIENTS:-50}
KEYSPACE=${KEYSPACE:-100000}
DATASIZE=${DATASIZE:-64}
RUNS=${RUNS:-3}
REQUESTS=${REQUESTS:-}
REQUESTS_P1=${REQUESTS_P1:-200000}
REQUESTS_PIPELINED=${REQUESTS_PIPELINED:-2000000}
REQUESTS_ALWAYS_P1=${REQUESTS_ALWAYS_P1:-100000}
REQUESTS_ALWAYS_PIPELINED=${REQUESTS_ALWAYS_PIPELINED:-1000000}
# (2) rewrite
KEYS=${KEYS:-1000000}
DURATION=${DURATION:-10}
LAT_CLIENTS=${LAT_CLIENTS:-10}
LAT_PIPELINE=${LAT_PIPELINE:-1}
LAT_REQUESTS=${LAT_REQUESTS:-}
CAL_REQUESTS=${CAL_REQUESTS:-20000}
REWRITE_FSYNC=${REWRITE_FSYNC:-everysec}
REWRITE_LOOP=${REWRITE_LOOP:-1}
REWRITE_DELAY=${REWRITE_DELAY:-0.5}
REWRITE_TIMEOUT=${REWRITE_TIMEOUT:-600}
POLL_INTERVAL=${POLL_INTERVAL:-0.05}
# both
AUTO_REWRITE_PERCENTAGE=${AUTO_REWRITE_PERCENTAGE:-0}
REDIS_RDB_PREAMBLE=${REDIS_RDB_PREAMBLE:-yes}
SYNC_BEFORE_RUN=${SYNC_BEFORE_RUN:-1}
KEEP_DATA=${KEEP_DATA:-0}
SERVER_CPU=${SERVER_CPU:-1}
LOADGEN_CPU=${LOADGEN_CPU:-0}
RUN_TIMEOUT=${RUN_TIMEOUT:-300}
STARTUP_TIMEOUT=${STARTUP_TIMEOUT:-60}
PAUSE_IDLE=${PAUSE_IDLE:-1}
HOST=127.0.0.1

# Shared helpers with compare.sh: server lifecycle, ports, preload,
# redis-benchmark CSV runs, medians and ratios.
BENCH_NAME=persistence
# shellcheck source=bench/lib.sh
source "$REPO_ROOT/bench/lib.sh"

for v in CLIENTS KEYSPACE DATASIZE RUNS REQUESTS_P1 REQUESTS_PIPELINED REQUESTS_ALWAYS_P1 \
         REQUESTS_ALWAYS_PIPELINED KEYS DURATION LAT_CLIENTS LAT_PIPELINE CAL_REQUESTS \
         REWRITE_TIMEOUT AUTO_REWRITE_PERCENTAGE SERVER_CPU LOADGEN_CPU RUN_TIMEOUT STARTUP_TIMEOUT; do
    [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a non-negative integer (got '${!v}')"
done
for v in REQUESTS LAT_REQUESTS; do
    [[ -z ${!v} || ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
for v in REWRITE_DELAY POLL_INTERVAL; do
    [[ ${!v} =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "$v must be a number of seconds (got '${!v}')"
done
((RUNS >= 1)) || die "RUNS must be at least 1"
((KEYS >= 1 && DURATION >= 1 && LAT_CLIENTS >= 1 && LAT_PIPELINE >= 1)) \
    || die "KEYS, DURATION, LAT_CLIENTS and LAT_PIPELINE must be at least 1"
for p in $PIPELINES; do [[ $p =~ ^[1-9][0-9]*$ ]] || die "bad pipeline depth '$p' in PIPELINES"; done
for m in $FSYNC_MODES; do
    case $m in no|everysec|always) ;; *) die "bad mode '$m' in FSYNC_MODES (no, everysec, always)" ;; esac
done
case $REWRITE_FSYNC in everysec|always|no) ;; *) die "REWRITE_FSYNC must be everysec, always or no" ;; esac
case $REDIS_RDB_PREAMBLE in yes|no) ;; *) die "REDIS_RDB_PREAMBLE must be yes or no" ;; esac
[[ $SERVER_CPU != "$LOADGEN_CPU" ]] || die "SERVER_CPU and LOADGEN_CPU must differ"

for tool in "$REDIS_SERVER" "$REDIS_CLI" "$REDIS_BENCHMARK" taskset timeout awk sync df date du; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found on PATH"
done
NPROC=$(nproc)
((NPROC >= 2)) || die "needs at least 2 CPUs (have $NPROC): servers and load generator are pinned apart"
((SERVER_CPU < NPROC && LOADGEN_CPU < NPROC)) || die "SERVER_CPU/LOADGEN_CPU must be below nproc ($NPROC)"
ROUNDS=$RUNS    # the name lib.sh uses

# ---------------------------------------------------------------- workdir ---
# Data directories live under the work directory, so both servers write to
# the same filesystem. tmpfs would make fsync free: refused.
fs_type() { df -P -T "$1" | awk 'NR == 2 { print $2 }'; }
if [[ -n ${BENCH_WORKDIR:-} ]]; then
    WORKDIR=$BENCH_WORKDIR
    mkdir -p "$WORKDIR"
else
    parent=${TMPDIR:-/tmp}
    case $(fs_type "$parent") in
        tmpfs|ramfs)
            log "$parent is $(fs_type "$parent"); putting the work directory under $REPO_ROOT/target instead"
            parent=$REPO_ROOT/target; mkdir -p "$parent" ;;
    esac
    WORKDIR=$(mktemp -d "$parent/tessera-persistence.XXXXXX")
fi
WORKDIR=$(cd "$WORKDIR" && pwd)
FS_TYPE=$(fs_type "$WORKDIR")
FS_DESC=$(df -P -T "$WORKDIR" | awk 'NR == 2 { printf "%s (%s, mounted on %s)", $2, $1, $7 }')
case $FS_TYPE in
    tmpfs|ramfs) die "$WORKDIR is on $FS_TYPE: fsync costs nothing there; set BENCH_WORKDIR to a disk-backed directory" ;;
esac
log "logs, raw outputs and data directories: $WORKDIR (filesystem: $FS_DESC)"

# Load generators started in the background (rewrite phase); stopped on exit.
LOAD_PID=""
bench_extra_cleanup() {
    if [[ -n $LOAD_PID ]] && kill -0 "$LOAD_PID" 2>/dev/null; then
        kill -TERM "$LOAD_PID" 2>/dev/null || true
        wait "$LOAD_PID" 2>/dev/null || true
    fi
    LOAD_PID=""
    if [[ $KEEP_DATA != 1 && -n $WORKDIR ]]; then rm -rf "$WORKDIR"/data-*; fi
}

CUR_FSYNC=""
requests_for() {
    if [[ -n $REQUESTS ]]; then echo "$REQUESTS"
    elif [[ $CUR_FSYNC == always ]]; then
        if [[ $1 == 1 ]]; then echo "$REQUESTS_ALWAYS_P1"; else echo "$REQUESTS_ALWAYS_PIPELINED"; fi
    elif [[ $1 == 1 ]]; then echo "$REQUESTS_P1"
    else echo "$REQUESTS_PIPELINED"; fi
}

sync_disk() { if [[ $SYNC_BEFORE_RUN == 1 ]]; then sync; fi; }

# info_field PORT FIELD: one field of INFO persistence.
info_field() {
    local v
    v=$(cli "$1" INFO persistence | tr -d '\r' | awk -F: -v f="$2" '$1 == f { print $2 }') \
        || die "INFO persistence failed on port $1"
    printf '%s' "$v"
}

# rewrite_state PORT: "aof_rewrite_in_progress aof_rewrite_scheduled", one INFO call.
rewrite_state() {
    local v
    v=$(cli "$1" INFO persistence | tr -d '\r' | awk -F: '
            $1 == "aof_rewrite_in_progress" { p = $2 } $1 == "aof_rewrite_scheduled" { s = $2 }
            END { print (p == "" ? "?" : p), (s == "" ? 0 : s) }') || die "INFO persistence failed on port $1"
    printf '%s' "$v"
}

declare -A SERVER_CMDS=() DATADIRS=()

# setup_servers CFG APPENDONLY FSYNC: fresh data dirs, same persistence flags
# for both servers, pinned, Tessera --shards 1.
setup_servers() {
    local cfg=$1 aof=$2 fsync=$3 srv d port got
    local -a common=(--save '' --appendonly "$aof" --appendfsync "$fsync"
                     --auto-aof-rewrite-percentage "$AUTO_REWRITE_PERCENTAGE")
    for srv in redis tessera; do
        d="$WORKDIR/data-$cfg/$srv"
        [[ ! -e $d ]] || die "data directory $d already exists"
        mkdir -p "$d"
        DATADIRS[$cfg.$srv]=$d
    done
    REDIS_ARGS=(--dir "${DATADIRS[$cfg.redis]}" "${common[@]}" --aof-use-rdb-preamble "$REDIS_RDB_PREAMBLE")
    TESSERA_ARGS=(--dir "${DATADIRS[$cfg.tessera]}" "${common[@]}")
    REDIS_RUNDIR=${DATADIRS[$cfg.redis]} TESSERA_RUNDIR=${DATADIRS[$cfg.tessera]}
    CFG=$cfg
    CMDS[$cfg]=""
    LOADGEN_PREFIX=(taskset -c "$LOADGEN_CPU")
    start_servers "$cfg" 1 1
    SERVER_CMDS[$cfg]="$(quote_cmd "${REDIS_CMD[@]}")"$'\n'"$(quote_cmd "${TESSERA_CMD[@]}")"
    # Both must really run with these settings.
    for srv in redis tessera; do
        port=$(port_of "$srv")
        got=$(cli "$port" CONFIG GET appendonly | tr -d '\r' | sed -n 2p)
        [[ $got == "$aof" ]] || die "$srv: CONFIG GET appendonly says '$got', expected '$aof'"
        got=$(cli "$port" CONFIG GET appendfsync | tr -d '\r' | sed -n 2p)
        [[ $got == "$fsync" ]] || die "$srv: CONFIG GET appendfsync says '$got', expected '$fsync'"
        got=$(info_field "$port" aof_enabled)
        [[ $got == $([[ $aof == yes ]] && echo 1 || echo 0) ]] || die "$srv: INFO aof_enabled:$got with appendonly $aof"
    done
}

teardown_servers() {
    local cfg=$1
    stop_servers
    if [[ $KEEP_DATA != 1 ]]; then rm -rf "$WORKDIR/data-$cfg"; fi
}

# ------------------------------------------------------ (1) throughput ---
run_throughput() {
    local fsync cfg aof p srv order
    for fsync in $FSYNC_MODES; do
        if [[ $fsync == no ]]; then cfg=aof-no; aof=no; CUR_FSYNC=everysec
        else cfg=aof-$fsync; aof=yes; CUR_FSYNC=$fsync; fi
        setup_servers "$cfg" "$aof" "$CUR_FSYNC"
        for p in $PIPELINES; do
            for ((ROUND = 1; ROUND <= ROUNDS; ROUND++)); do
                order="redis tessera"; ((ROUND % 2)) || order="tessera redis"
                for srv in $order; do
                    sync_disk
                    run_redis_benchmark_once "$srv" "$p" -t set
                done
            done
        done
        for srv in redis tessera; do
            AOF_BYTES[$cfg.$srv]=$(du -sb "${DATADIRS[$cfg.$srv]}" | awk '{ print $1 }')
        done
        teardown_servers "$cfg"
    done
}
declare -A AOF_BYTES=()

report_throughput() {
    local fsync cfg p ro rp50 rp99 to tp50 tp99 label n0r n0t
    echo "### (1) SET throughput by appendfsync: servers on CPU $SERVER_CPU (tessera --shards 1), load generator on CPU $LOADGEN_CPU"
    echo
    echo "redis-benchmark -t set, $CLIENTS clients, -r $KEYSPACE, -d $DATASIZE; medians of $RUNS runs."
    echo "\"vs no AOF\" = ops/s of this mode / ops/s with appendonly no, same server and pipeline."
    echo
    echo "| mode | pipeline | redis ops/s | tessera ops/s | ratio (T/R) | redis p50 / p99 (ms) | tessera p50 / p99 (ms) | p99 ratio (T/R) | vs no AOF (R / T) |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    for fsync in $FSYNC_MODES; do
        if [[ $fsync == no ]]; then cfg=aof-no; label="appendonly no"; else cfg=aof-$fsync; label="appendfsync $fsync"; fi
        for p in $PIPELINES; do
            read -r ro rp50 rp99 <<<"$(medians "${RES["$cfg|SET|$p|redis"]:-}")"
            read -r to tp50 tp99 <<<"$(medians "${RES["$cfg|SET|$p|tessera"]:-}")"
            read -r n0r _ <<<"$(medians "${RES["aof-no|SET|$p|redis"]:-}")"
            read -r n0t _ <<<"$(medians "${RES["aof-no|SET|$p|tessera"]:-}")"
            printf '| %s | %s | %s | %s | %s | %s / %s | %s / %s | %s | %s / %s |\n' \
                "$label" "$p" "$(fmt_ops "$ro")" "$(fmt_ops "$to")" "$(ratio "$to" "$ro")" \
                "$(fmt_ms "$rp50")" "$(fmt_ms "$rp99")" "$(fmt_ms "$tp50")" "$(fmt_ms "$tp99")" \
                "$(ratio "$tp99" "$rp99")" "$(ratio "$ro" "$n0r")" "$(ratio "$to" "$n0t")"
        done
    done
    echo
    echo "Data directory size at the end of each mode (bytes, du -sb): $(
        for fsync in $FSYNC_MODES; do
            cfg=aof-$fsync
            printf '%s: redis %s, tessera %s; ' "$cfg" "${AOF_BYTES[$cfg.redis]:-?}" "${AOF_BYTES[$cfg.tessera]:-?}"
        done | sed 's/; $//')"
    echo
    echo "Commands (ports and directories are picked at run time):"
    echo
    echo '```sh'
    for fsync in $FSYNC_MODES; do
        cfg=aof-$fsync
        echo "# $cfg: servers"
        printf '%s\n' "${SERVER_CMDS[$cfg]:-}"
        echo "# $cfg: load, per pipeline depth, both servers back to back"
        printf '%s' "${CMDS[$cfg]:-}"
    done
    echo '```'
    echo
}

# --------------------------------------------------------- (2) rewrite ---
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# parse_histogram FILE: "TEST rps p50 p99 p99.9 max" per test, from
# redis-benchmark's default (non-CSV) output: the "Latency by percentile
# distribution" histogram and the summary lines.
parse_histogram() {
    tr '\r' '\n' <"$1" | awk '
        /^====== .* ======$/ { t = $2; order[++n] = t; in_pct = 0; next }
        /^Latency by percentile distribution/ { in_pct = 1; next }
        /^Cumulative distribution/ { in_pct = 0; next }
        in_pct && /^[0-9.]+% <= [0-9.]+ milliseconds/ {
            pct = $1; sub(/%/, "", pct)
            if (pct + 0 >= 99.9 && !(t in p999)) p999[t] = $3
            next
        }
        /throughput summary:/ { rps[t] = $3; next }
        /avg +min +p50 +p95 +p99 +max/ { want = 1; next }
        want { p50[t] = $3; p99[t] = $5; mx[t] = $6; want = 0; next }
        END {
            for (i = 1; i <= n; i++) {
                t = order[i]
                printf "%s %s %s %s %s %s\n", t, (t in rps) ? rps[t] : "n/a", (t in p50) ? p50[t] : "n/a",
                    (t in p99) ? p99[t] : "n/a", (t in p999) ? p999[t] : "n/a", (t in mx) ? mx[t] : "n/a"
            }
        }'
}

declare -A LAT=() RW=() RW_BASE_SIZE=() RW_CUR_SIZE=()
LAT_N=""

# rewrite_once PORT SRV: BGREWRITEAOF, then polls INFO persistence until the
# rewrite is over. Sets REWRITE_SECS to the seconds it took (not printed: a
# command substitution would lose note_load_end's LOAD_END). Dies on errors.
REWRITE_SECS=""
rewrite_once() {
    local port=$1 srv=$2 reply t0 t1 inprog sched status
    reply=$(cli "$port" BGREWRITEAOF | tr -d '\r') || die "$srv: BGREWRITEAOF failed"
    t0=$(now)
    case $reply in
        "Background append only file rewriting started"|"Background append only file rewriting scheduled") ;;
        *) die "$srv: BGREWRITEAOF answered '$reply'" ;;
    esac
    while :; do
        read -r inprog sched <<<"$(rewrite_state "$port")"
        [[ $inprog =~ ^[01]$ ]] || die "$srv: INFO has no aof_rewrite_in_progress (got '$inprog')"
        if [[ $inprog == 0 && ${sched:-0} == 0 ]]; then break; fi
        if awk -v a="$(elapsed "$t0" "$(now)")" -v m="$REWRITE_TIMEOUT" 'BEGIN { exit !(a > m) }'; then
            die "$srv: rewrite still running after ${REWRITE_TIMEOUT}s (REWRITE_TIMEOUT)"
        fi
        note_load_end
        sleep "$POLL_INTERVAL"
    done
    t1=$(now)
    status=$(info_field "$port" aof_last_bgrewrite_status)
    [[ $status == ok ]] || die "$srv: aof_last_bgrewrite_status:$status after BGREWRITEAOF (see $WORKDIR/rewrite-$srv.log)"
    REWRITE_SECS=$(elapsed "$t0" "$t1")
}

LOAD_END=""
note_load_end() {
    if [[ -z $LOAD_END && -n $LOAD_PID ]] && ! kill -0 "$LOAD_PID" 2>/dev/null; then LOAD_END=$(now); fi
}

# latency_run SRV PHASE(without|during): the SET+GET load for ~DURATION s;
# during "during", BGREWRITEAOF back to back (one only with REWRITE_LOOP=0)
# while the load lasts. "without" polls INFO at the same rate, so the only
# difference between the phases is the rewrite.
latency_run() {
    local srv=$1 phase=$2 port out rc t_start t_end dt first="" count=0 busy=0 covered line t
    local r0 r1 o0 o1 rps p50 p99 p999
    port=$(port_of "$srv")
    local -a cmd=(${LOADGEN_PREFIX[@]+"${LOADGEN_PREFIX[@]}"} "$REDIS_BENCHMARK" -h "$HOST" -p "$port"
                  -c "$LAT_CLIENTS" -n "$LAT_N" -r "$KEYS" -d "$DATASIZE" -P "$LAT_PIPELINE"
                  --precision 3 -t set,get)
    add_cmd "$(quote_cmd "${cmd[@]}")    # $srv, without a rewrite and during BGREWRITEAOF"
    out="$WORKDIR/rewrite-$srv-$phase-round$ROUND.txt"
    log "[rewrite] round $ROUND/$ROUNDS: $srv, $phase a rewrite: redis-benchmark -c $LAT_CLIENTS -P $LAT_PIPELINE -n $LAT_N -t set,get"
    [[ $(info_field "$port" aof_rewrite_in_progress) == 0 ]] || die "$srv: a rewrite is already running"
    sync_disk
    focus_on "$srv"
    LOAD_END=""
    timeout "$RUN_TIMEOUT" "${cmd[@]}" >"$out" 2>"$out.stderr" &
    LOAD_PID=$!
    t_start=$(now)
    sleep "$REWRITE_DELAY"
    while kill -0 "$LOAD_PID" 2>/dev/null; do
        if [[ $phase == during ]] && ((REWRITE_LOOP == 1 || count == 0)); then
            r0=$(now)
            rewrite_once "$port" "$srv"
            dt=$REWRITE_SECS
            r1=$(now)
            count=$((count + 1))
            [[ -n $first ]] || first=$dt
            # The part of this rewrite that overlapped the load.
            note_load_end
            o0=$r0; o1=${LOAD_END:-$r1}
            busy=$(awk -v b="$busy" -v a="$o0" -v c="$o1" 'BEGIN { d = c - a; if (d < 0) d = 0; printf "%.3f", b + d }')
            log "[rewrite]   rewrite $count took ${dt}s"
        else
            rewrite_state "$port" >/dev/null
            note_load_end
            sleep "$POLL_INTERVAL"
        fi
    done
    note_load_end
    rc=0; wait "$LOAD_PID" || rc=$?
    LOAD_PID=""
    t_end=${LOAD_END:-$(now)}
    resume_all
    check_alive "$srv"
    case $rc in
        0) ;;
        124) log "[rewrite] redis-benchmark timed out after ${RUN_TIMEOUT}s (RUN_TIMEOUT)"; FAILURES=$((FAILURES + 1)) ;;
        *) log "[rewrite] redis-benchmark against $srv failed with status $rc (see $out.stderr)"; FAILURES=$((FAILURES + 1)) ;;
    esac
    log "[rewrite]   load ran $(elapsed "$t_start" "$t_end")s"
    if [[ $phase == during ]]; then
        [[ -n $first ]] || die "$srv: the load ended before the first rewrite started; raise DURATION or LAT_REQUESTS"
        covered=$(awk -v b="$busy" -v s="$t_start" -v e="$t_end" 'BEGIN { d = e - s; printf "%.3f", (d > 0) ? 100 * b / d : 0 }')
        RW[$srv]+="$first $count $covered"$'\n'
        RW_BASE_SIZE[$srv]=$(info_field "$port" aof_base_size)
    fi
    local found=0
    while read -r t line; do
        [[ -n $t ]] || continue
        found=1
        read -r rps p50 p99 p999 _ <<<"$line"
        LAT["$srv|$phase|$t"]+="$rps $p99 $p999"$'\n'
    done < <(parse_histogram "$out")
    if ((found == 0)); then
        log "[rewrite] no results in redis-benchmark output for $srv ($out)"
        FAILURES=$((FAILURES + 1))
    fi
}

run_rewrite() {
    local srv order port n rps
    setup_servers rewrite yes "$REWRITE_FSYNC"
    local keyspace_saved=$KEYSPACE
    KEYSPACE=$KEYS
    for srv in redis tessera; do
        preload "$srv"
        [[ ${PRELOADED[rewrite.$srv]} == "$KEYS" ]] || die "$srv: DBSIZE ${PRELOADED[rewrite.$srv]} after loading $KEYS keys"
        RW_CUR_SIZE[$srv]=$(info_field "$(port_of "$srv")" aof_current_size)
    done
    KEYSPACE=$keyspace_saved
    if [[ -n $LAT_REQUESTS ]]; then
        LAT_N=$LAT_REQUESTS
    else
        # Requests per test for ~DURATION s of SET+GET, from a short SET run
        # against redis; the same count is then used for both servers.
        port=$(port_of redis)
        focus_on redis
        local out="$WORKDIR/rewrite-calibration.csv"
        local -a cal=(${LOADGEN_PREFIX[@]+"${LOADGEN_PREFIX[@]}"} "$REDIS_BENCHMARK" -h "$HOST" -p "$port"
                      -c "$LAT_CLIENTS" -n "$CAL_REQUESTS" -r "$KEYS" -d "$DATASIZE" -P "$LAT_PIPELINE" --csv -t set)
        run_load "$out" "${cal[@]}" || die "calibration run failed (see $out.stderr)"
        resume_all
        rps=$(awk -F, 'NR > 1 { gsub(/"/, ""); print $2; exit }' "$out")
        [[ $rps =~ ^[0-9.]+$ ]] || die "calibration: no rps in $out"
        n=$(awk -v r="$rps" -v d="$DURATION" 'BEGIN { n = int(r * d / 2); if (n < 1000) n = 1000; print n }')
        LAT_N=$n
        log "[rewrite] calibration: redis SET at ${rps} ops/s -> $LAT_N requests per test (~${DURATION}s for SET+GET)"
    fi
    for ((ROUND = 1; ROUND <= ROUNDS; ROUND++)); do
        order="redis tessera"; ((ROUND % 2)) || order="tessera redis"
        for srv in $order; do
            latency_run "$srv" without
            latency_run "$srv" during
        done
    done
    teardown_servers rewrite
}

report_rewrite() {
    local srv t rw rb rwd dw dp99 dp999 r_first r_count r_cov
    local -A P99=() FIRST=()
    echo "### (2) Latency during BGREWRITEAOF of $KEYS keys: servers on CPU $SERVER_CPU (tessera --shards 1), load generator on CPU $LOADGEN_CPU"
    echo
    echo "appendonly yes, appendfsync $REWRITE_FSYNC; $KEYS keys of $DATASIZE bytes loaded (redis-cli --pipe);"
    echo "load: redis-benchmark -t set,get -c $LAT_CLIENTS -P $LAT_PIPELINE -r $KEYS, $LAT_N requests per test (~${DURATION}s),"
    echo "once without a rewrite and once with BGREWRITEAOF $([[ $REWRITE_LOOP == 1 ]] && echo "started back to back while the load lasts" || echo "started once, ${REWRITE_DELAY}s into the load");"
    echo "medians of $RUNS runs. Latencies in ms from redis-benchmark's latency histogram (p99.9: first bucket at or above 99.9%)."
    echo
    echo "| test | server | ops/s without / during | p99 without / during | p99 during/without | p99.9 without / during |"
    echo "|---|---|---:|---:|---:|---:|"
    for t in SET GET; do
        for srv in redis tessera; do
            read -r rw rb rwd <<<"$(medians "${LAT["$srv|without|$t"]:-}")"
            read -r dw dp99 dp999 <<<"$(medians "${LAT["$srv|during|$t"]:-}")"
            P99[$srv.$t]=$(ratio "$dp99" "$rb")
            P99[$srv.$t.during]=$dp99
            printf '| %s | %s | %s / %s | %s / %s | %s | %s / %s |\n' "$t" "$srv" \
                "$(fmt_ops "$rw")" "$(fmt_ops "$dw")" "$(fmt_ms "$rb")" "$(fmt_ms "$dp99")" \
                "${P99[$srv.$t]}" "$(fmt_ms "$rwd")" "$(fmt_ms "$dp999")"
        done
    done
    echo
    echo "| server | AOF after loading (bytes) | base written by the last rewrite (bytes) | rewrite s (first of each run) | rewrites per load | load time under rewrite |"
    echo "|---|---:|---:|---:|---:|---:|"
    for srv in redis tessera; do
        read -r r_first r_count r_cov <<<"$(medians "${RW[$srv]:-}")"
        FIRST[$srv]=$r_first
        printf '| %s | %s | %s | %s | %s | %s%% |\n' "$srv" "${RW_CUR_SIZE[$srv]:-?}" "${RW_BASE_SIZE[$srv]:-?}" \
            "$(fmt_ms "$r_first")" "$(fmt_ops "$r_count")" "$(fmt_ops "$r_cov")"
    done
    echo
    echo "Tessera/Redis: rewrite time $(ratio "${FIRST[tessera]:-}" "${FIRST[redis]:-}"); p99 during a rewrite: SET $(ratio "${P99[tessera.SET.during]:-}" "${P99[redis.SET.during]:-}"), GET $(ratio "${P99[tessera.GET.during]:-}" "${P99[redis.GET.during]:-}"); p99 during/without: SET ${P99[redis.SET]:-n/a} (redis) vs ${P99[tessera.SET]:-n/a} (tessera), GET ${P99[redis.GET]:-n/a} vs ${P99[tessera.GET]:-n/a}."
    echo
    echo "Rewrite time: from BGREWRITEAOF's reply until INFO persistence shows aof_rewrite_in_progress:0 (polled every ${POLL_INTERVAL}s)."
    echo
    echo "Commands (ports and directories are picked at run time):"
    echo
    echo '```sh'
    echo "# servers"
    printf '%s\n' "${SERVER_CMDS[rewrite]:-}"
    echo "# load ($KEYS keys, redis-cli --pipe, both servers), then per server and run:"
    printf '%s' "${CMDS[rewrite]:-}"
    echo "$REDIS_CLI -h $HOST -p <port> BGREWRITEAOF; $REDIS_CLI -h $HOST -p <port> INFO persistence   # during the second run"
    echo '```'
    echo
}

# ------------------------------------------------------------------ main ---
ensure_tessera_bin

TESSERA_VERSION=$(timeout 5 "$TESSERA_BIN" --version 2>/dev/null | head -n 1 || true)
REDIS_VERSION=$("$REDIS_SERVER" --version 2>/dev/null | head -n 1 || true)
RB_VERSION=$("$REDIS_BENCHMARK" --version 2>/dev/null | head -n 1 || true)
GIT_REV=$(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo "no commits")
if [[ -n $(git -C "$REPO_ROOT" status --porcelain 2>/dev/null | head -n 1) ]]; then GIT_REV+=" (dirty)"; fi
CPU_MODEL=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
KERNEL=$(uname -sr)

START=$(date -u +%Y-%m-%dT%H:%M:%SZ)
if [[ $MODE == throughput || $MODE == all ]]; then run_throughput; fi
if [[ $MODE == rewrite || $MODE == all ]]; then run_rewrite; fi

{
    echo "## Tessera vs Redis: persistence ($START)"
    echo
    echo "- Machine: nproc=$NPROC, CPU: ${CPU_MODEL:-unknown}, kernel: $KERNEL"
    echo "- Data directories: $WORKDIR/data-*, filesystem $FS_DESC; a fresh directory per server and mode"
    echo "- redis-server: ${REDIS_VERSION:-unknown}"
    echo "- tessera: ${TESSERA_VERSION:-unknown}; binary $TESSERA_BIN; repo $GIT_REV"
    echo "- Load: ${RB_VERSION:-redis-benchmark}"
    echo "- Both servers: --save '' --auto-aof-rewrite-percentage $AUTO_REWRITE_PERCENTAGE, same --appendonly/--appendfsync; redis also --aof-use-rdb-preamble $REDIS_RDB_PREAMBLE (Tessera's rewrite always writes commands)"
    echo "- Ratio = tessera / redis (ops/s: higher is better for tessera; p99: lower is better). Idle server SIGSTOPped during each run: $([[ $PAUSE_IDLE == 1 ]] && echo yes || echo no); sync(1) before each run: $([[ $SYNC_BEFORE_RUN == 1 ]] && echo yes || echo no)"
    echo
    if [[ $MODE == throughput || $MODE == all ]]; then report_throughput; fi
    if [[ $MODE == rewrite || $MODE == all ]]; then report_rewrite; fi
} | tee "$WORKDIR/results.md"

log "report saved to $WORKDIR/results.md"
if ((FAILURES > 0)); then
    log "$FAILURES measurement(s) failed; their cells show n/a"
    exit 1
fi
