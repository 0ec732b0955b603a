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

# Shared helpers: server lifecycle, ports, preload, redis-benchmark runs,
# medians and ratios (bench/lib.sh; also used by bench/persistence.sh).
BENCH_NAME=compare
# shellcheck source=bench/lib.sh
source "$REPO_ROOT/bench/lib.sh"

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

requests_for() {
    if [[ -n $REQUESTS ]]; then echo "$REQUESTS"
    elif [[ $1 == 1 ]]; then echo "$REQUESTS_P1"
    else echo "$REQUESTS_PIPELINED"; fi
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
ensure_tessera_bin

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
