#!/usr/bin/env bash
# Memory per element: Tessera vs redis-server, same machine, same data.
#
#   bench/memory.sh [CASE ...]      (default: every case)
#
# Cases: set, hash, zset (one key with $MEMBERS members: the large encodings),
# strings ($MEMBERS keys, each SET to a 32-byte value: the keyspace's own
# cost), ttlstrings (the same with EX 3600, as a cache sets them),
# smallhash, smallset, smallzset, list ($SMALL_KEYS keys of $SMALL_SIZE
# members each: the compact encodings). For each case both servers start
# empty (Tessera --shards 1), the data is loaded with `redis-cli --pipe`, and
# INFO memory's used_memory and used_memory_rss are read before and after.
# The report (markdown, stdout) gives bytes per element for both and the
# ratio Tessera/Redis (lower is better). Servers are always stopped on exit.
#
# Environment: TESSERA_BIN (default <repo>/target/release/tessera),
# REDIS_SERVER (redis-server), MEMBERS=1000000, SMALL_KEYS=100000, SMALL_SIZE=10,
# SETTLE=11: seconds to wait after loading before reading RSS, so both
# servers' jemalloc background threads have returned freed pages (10 s decay).
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TESSERA_BIN=${TESSERA_BIN:-$REPO_ROOT/target/release/tessera}
REDIS_SERVER=${REDIS_SERVER:-redis-server}
MEMBERS=${MEMBERS:-1000000}
SMALL_KEYS=${SMALL_KEYS:-100000}
SMALL_SIZE=${SMALL_SIZE:-10}
SETTLE=${SETTLE:-11}
CASES=("$@")
[[ ${#CASES[@]} -gt 0 ]] || CASES=(set hash zset strings ttlstrings smallset smallhash smallzset list)

[[ -x $TESSERA_BIN ]] || { echo "no Tessera binary at $TESSERA_BIN (cargo build --release)" >&2; exit 1; }
WORK=$(mktemp -d /tmp/tessera-memory.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_ping() {
    for _ in $(seq 100); do
        [[ $(redis-cli -p "$1" PING 2>/dev/null) == PONG ]] && return 0
        sleep 0.1
    done
    echo "server on port $1 did not start" >&2
    exit 1
}

# mem PORT FIELD: a field of INFO memory.
mem() {
    redis-cli -p "$1" INFO memory | tr -d '\r' | awk -F: -v f="$2" '$1 == f { print $2 }'
}

# gen CASE: the RESP commands that build the case's data, on stdout.
gen() {
    python3 - "$1" "$MEMBERS" "$SMALL_KEYS" "$SMALL_SIZE" <<'EOF'
import sys
case, members, small_keys, small_size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
out = sys.stdout.buffer

def cmd(*args):
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    out.write(b"".join(parts))

batch = 1000
if case in ("set", "hash", "zset"):
    for start in range(0, members, batch):
        ids = range(start, min(start + batch, members))
        if case == "set":
            cmd("SADD", "big", *("member:%d" % i for i in ids))
        elif case == "hash":
            cmd("HSET", "big", *(x for i in ids for x in ("field:%d" % i, "value:%d" % i)))
        else:
            cmd("ZADD", "big", *(x for i in ids for x in (str(i), "member:%d" % i)))
elif case in ("strings", "ttlstrings"):
    value = "v" * 32
    ttl = ("EX", "3600") if case == "ttlstrings" else ()
    for k in range(members):
        cmd("SET", "key:%d" % k, value, *ttl)
else:
    for k in range(small_keys):
        key = "key:%d" % k
        ids = range(small_size)
        if case == "smallset":
            cmd("SADD", key, *("member:%d" % i for i in ids))
        elif case == "smallhash":
            cmd("HSET", key, *(x for i in ids for x in ("field:%d" % i, "value:%d" % i)))
        elif case == "smallzset":
            cmd("ZADD", key, *(x for i in ids for x in (str(i), "member:%d" % i)))
        elif case == "list":
            cmd("RPUSH", key, *("element:%d" % i for i in ids))
        else:
            sys.exit("unknown case " + case)
EOF
}

elements() {
    case $1 in set|hash|zset|strings|ttlstrings) echo "$MEMBERS" ;; *) echo $((SMALL_KEYS * SMALL_SIZE)) ;; esac
}

# measure SERVER PORT CASE: prints "used_per_element rss_per_element".
measure() {
    local port=$2 case=$3 u0 r0 u1 r1 n
    redis-cli -p "$port" FLUSHALL >/dev/null
    sleep 0.5
    u0=$(mem "$port" used_memory); r0=$(mem "$port" used_memory_rss)
    redis-cli -p "$port" --pipe <"$WORK/$case.resp" >"$WORK/$1-$case.pipe.log"
    sleep "$SETTLE"
    u1=$(mem "$port" used_memory); r1=$(mem "$port" used_memory_rss)
    n=$(elements "$case")
    awk -v u0="$u0" -v u1="$u1" -v r0="$r0" -v r1="$r1" -v n="$n" \
        'BEGIN { printf "%.1f %.1f\n", (u1 - u0) / n, (r1 - r0) / n }'
}

# start_servers: fresh redis-server and Tessera for one case, so RSS growth is
# not hidden by pages the allocator kept from the previous case.
start_servers() {
    RPORT=$(free_port)
    "$REDIS_SERVER" --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no >"$WORK/redis.log" 2>&1 &
    RPID=$!
    TPORT=$(free_port)
    "$TESSERA_BIN" --port "$TPORT" --bind 127.0.0.1 --shards 1 >"$WORK/tessera.log" 2>&1 &
    TPID=$!
    PIDS+=("$RPID" "$TPID")
    wait_ping "$RPORT"
    wait_ping "$TPORT"
}

stop_servers() {
    kill "$RPID" "$TPID" 2>/dev/null || true
    wait "$RPID" "$TPID" 2>/dev/null || true
}

echo "### Memory per element (bytes), Tessera --shards 1 vs $("$REDIS_SERVER" --version | awk '{ print $3 }')"
echo
echo "| case | elements | redis used_memory | tessera used_memory | ratio (T/R) | redis RSS | tessera RSS | RSS ratio (T/R) |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for c in "${CASES[@]}"; do
    gen "$c" >"$WORK/$c.resp"
    start_servers
    read -r ru rr <<<"$(measure redis "$RPORT" "$c")"
    read -r tu tr <<<"$(measure tessera "$TPORT" "$c")"
    # The key whose encoding is shown: the one big key, else the first of many.
    case $c in set | hash | zset) probe=big ;; *) probe=key:0 ;; esac
    enc_r=$(redis-cli -p "$RPORT" OBJECT ENCODING "$probe")
    enc_t=$(redis-cli -p "$TPORT" OBJECT ENCODING "$probe")
    awk -v c="$c ($enc_r / $enc_t)" -v n="$(elements "$c")" -v ru="$ru" -v tu="$tu" -v rr="$rr" -v tr="$tr" 'BEGIN {
        printf "| %s | %d | %.1f | %.1f | %.2f | %.1f | %.1f | %.2f |\n", c, n, ru, tu, tu / ru, rr, tr, (rr > 0 ? tr / rr : 0) }'
    stop_servers
    rm -f "$WORK/$c.resp"
done
echo
echo "Command: \`MEMBERS=$MEMBERS SMALL_KEYS=$SMALL_KEYS SMALL_SIZE=$SMALL_SIZE SETTLE=$SETTLE bench/memory.sh ${CASES[*]}\`"
echo "(members are \`member:N\` / fields \`field:N\` with values \`value:N\`; scores are N; list elements \`element:N\`; strings \`key:N\` = 32 bytes, ttlstrings with EX 3600)"
rm -rf "$WORK"
