"""AOF persistence end to end: the real Tessera binary (and redis-server as the
reference) over TCP, restarted on its own directory.

Covers: restart keeps every type and TTL (compared with Redis's live data),
expired-while-down keys, `appendfsync always` + kill -9 loses no acknowledged
write, torn tails and corruption (start-up and --check-aof), rewrite under
load, multi-shard MSET atomicity, CONFIG SET appendonly/appendfsync, SIGTERM
and a start with another shard count.
"""
import itertools
import os
import random
import signal
import subprocess
import threading
import time

import pytest

from conftest import REDIS_BIN, TESSERA_BIN
from harness import ConnectionClosed, Conn, Server, encode, free_port, value

NOW_S = int(time.time())


# -- servers ---------------------------------------------------------------

class Tessera(Server):
    """Tessera on `dirpath` with the AOF on; `start()` waits until it has
    loaded its data (it answers -LOADING before that)."""

    def __init__(self, dirpath, shards, *extra, appendonly="yes"):
        self.dir = str(dirpath)
        os.makedirs(self.dir, exist_ok=True)
        self.args = [TESSERA_BIN, "--bind", "127.0.0.1", "--shards", str(shards), "--dir", self.dir,
                     "--appendonly", appendonly, "--save", "", *extra]
        self.logs = []
        super().__init__("tessera", lambda port: self.args[:1] + ["--port", str(port)] + self.args[1:], self.dir)

    def start(self, timeout=20.0):
        super().start(timeout)
        self.logs.append(self.log.name)
        deadline = time.monotonic() + timeout
        while True:
            try:
                c = self.connect()
                try:
                    reply = c.send("PING")
                finally:
                    c.close()
            except (ConnectionClosed, OSError) as e:
                reply = ("connection", str(e).encode())
            if reply == ("+", b"PONG"):
                return self
            if not self.alive():
                raise RuntimeError("tessera exited with status %s while loading:\n%s"
                                   % (self.proc.returncode, self.text()[-4000:]))
            assert reply[0] == "connection" or reply[1].startswith(b"LOADING"), reply
            assert time.monotonic() < deadline, "still loading after %.0fs" % timeout
            time.sleep(0.02)

    def text(self):
        """Everything every start of this server logged."""
        out = []
        for name in self.logs:
            with open(name, "rb") as f:
                out.append(f.read().decode(errors="replace"))
        return "".join(out)

    def wait_exit(self, timeout=20.0):
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError("tessera did not exit within %.0fs:\n%s" % (timeout, self.text()[-3000:]))
        self.stop()  # closes the log, forgets the process
        return rc

    def shutdown(self):
        c = self.connect()
        try:
            c.send("SHUTDOWN")
        except (ConnectionClosed, OSError):
            pass  # the server closes the connection instead of replying
        finally:
            c.close()
        rc = self.wait_exit()
        assert rc == 0, "SHUTDOWN exit status %s:\n%s" % (rc, self.text()[-3000:])

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        assert self.wait_exit() == -signal.SIGKILL

    def restart(self):
        if self.alive():
            self.shutdown()
        return self.start()

    def start_fails(self, timeout=20.0):
        """Start it expecting start-up to fail: returns (exit status, output)."""
        log = os.path.join(self.dir, "failed-start-%d.log" % len(self.logs))
        with open(log, "w+b") as f:
            proc = subprocess.Popen(self.argv(free_port()), cwd=self.dir, stdin=subprocess.DEVNULL,
                                    stdout=f, stderr=subprocess.STDOUT)
            try:
                rc = proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                rc = "still running after %.0fs" % timeout
            f.seek(0)
            return rc, f.read().decode(errors="replace")

    # -- the files
    def shard_dir(self, shard):
        return os.path.join(self.dir, "appendonlydir", "shard-%d" % shard)

    def manifest(self, shard):
        """[(file name, type 'b'|'i')] as the shard's manifest lists them."""
        with open(os.path.join(self.shard_dir(shard), "appendonly.aof.manifest")) as f:
            rows = [line.split() for line in f if line.strip()]
        return [(r[1], r[5]) for r in rows]

    def last_incr(self, shard):
        return os.path.join(self.shard_dir(shard), [n for n, t in self.manifest(shard) if t == "i"][-1])


@pytest.fixture
def servers():
    """Servers a test starts; all stopped when it ends, failed or not."""
    started = []
    yield started
    for s in started:
        s.stop()


@pytest.fixture
def tessera(servers, tmp_path):
    if not os.path.exists(TESSERA_BIN):
        pytest.skip("tessera binary not found at %s" % TESSERA_BIN)

    def make(shards, *extra, sub="t", appendonly="yes", start=True):
        srv = Tessera(tmp_path / sub, shards, *extra, appendonly=appendonly)
        servers.append(srv)
        return srv.start() if start else srv
    return make


@pytest.fixture
def redis(servers, tmp_path):
    def make():
        d = tmp_path / "redis"
        os.makedirs(d, exist_ok=True)
        srv = Server("redis", lambda port: [REDIS_BIN, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                             "--appendonly", "no", "--dir", str(d)], d)
        servers.append(srv)
        srv.start()
        return srv
    return make


@pytest.fixture(params=[1, 3], ids=lambda n: "shards%d" % n)
def shards(request):
    return request.param


def info(conn):
    text = conn.send("INFO", "persistence")[1].decode()
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


def wait_for(cond, timeout=30.0, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        got = cond()
        if got:
            return got
        assert time.monotonic() < deadline, "timed out waiting for " + what
        time.sleep(0.02)


def ok(conn, *args):
    reply = conn.send(*args)
    assert reply[0] != "-", (args, reply)
    return reply


# -- dumping a whole dataset ------------------------------------------------

def pipeline(conn, cmds, chunk=400):
    out = []
    for i in range(0, len(cmds), chunk):
        part = cmds[i:i + chunk]
        conn.sock.sendall(b"".join(encode(*c) for c in part))
        out.extend(conn.read_reply() for _ in part)
    return out


CONTENTS = {
    b"string": lambda k: ("GET", k),
    b"list": lambda k: ("LRANGE", k, "0", "-1"),
    b"set": lambda k: ("SMEMBERS", k),
    b"hash": lambda k: ("HGETALL", k),
    b"zset": lambda k: ("ZRANGE", k, "0", "-1", "WITHSCORES"),
}


def dump(conn, dbs=16):
    """{(db, key): (type, encoding, contents, PEXPIRETIME)} for every key of every database."""
    out = {}
    for db in range(dbs):
        ok(conn, "SELECT", str(db))
        keys = value(conn.send("KEYS", "*"))
        types = [value(r) for r in pipeline(conn, [("TYPE", k) for k in keys])]
        cmds = []
        for k, t in zip(keys, types):
            cmds += [CONTENTS[t](k), ("OBJECT", "ENCODING", k), ("PEXPIRETIME", k)]
        replies = [value(r) for r in pipeline(conn, cmds)]
        for i, (k, t) in enumerate(zip(keys, types)):
            contents, enc, pexp = replies[3 * i:3 * i + 3]
            if t == b"set":
                contents = sorted(contents)
            elif t == b"hash":
                contents = sorted(zip(contents[::2], contents[1::2]))
            out[(db, k)] = (t, enc, contents, pexp)
    ok(conn, "SELECT", "0")
    return out


def loose(entry):
    """A string's encoding (int, embstr, raw) is not kept across a restart, by
    Redis neither: its rewrite logs SET, and loading makes short strings embstr
    and integers int. Collections keep theirs."""
    return entry if entry[0] != b"string" else (entry[0], b"*", *entry[2:])


def diff_dumps(got, want, ttl_tolerance=0, exact_strings=False):
    """The differences between two dumps, as readable lines (empty: equal)."""
    lines = []
    for key in sorted(set(got) | set(want)):
        g, w = got.get(key), want.get(key)
        if g is None or w is None:
            lines.append("%r: only in %s" % (key, "got" if w is None else "want"))
            continue
        if not exact_strings:
            g, w = loose(g), loose(w)
        if g[:3] != w[:3]:
            lines.append("%r: got %r, want %r" % (key, g[:3], w[:3]))
        gt, wt = g[3], w[3]
        if gt != wt and not (gt > 0 and wt > 0 and abs(gt - wt) <= ttl_tolerance):
            lines.append("%r: PEXPIRETIME got %r, want %r" % (key, gt, wt))
    return lines


def assert_same(got, want, ttl_tolerance=0, exact_strings=False):
    lines = diff_dumps(got, want, ttl_tolerance, exact_strings)
    assert not lines, "%d differences:\n  %s" % (len(lines), "\n  ".join(lines[:40]))


# -- reading AOF files --------------------------------------------------------

def commands(path):
    """[(offset, [args])] of a (whole) AOF file."""
    data = open(path, "rb").read()
    out, pos = [], 0
    while pos < len(data):
        start = pos
        assert data[pos:pos + 1] == b"*", (path, pos)
        end = data.index(b"\r\n", pos)
        n, pos = int(data[pos + 1:end]), end + 2
        args = []
        for _ in range(n):
            end = data.index(b"\r\n", pos)
            ln = int(data[pos + 1:end])
            args.append(data[end + 2:end + 2 + ln])
            pos = end + 2 + ln + 2
        out.append((start, args))
    return out


# -- 1. restart keeps every type and TTL ----------------------------------------

class Popped:
    """A command with a random result (SPOP): run on Tessera, and the members it
    popped are SREMed on Redis so both hold the same data."""

    def __init__(self, *args):
        self.args = args


class Unchecked:
    """A command whose reply is random (SRANDMEMBER): run on both, not compared."""

    def __init__(self, *args):
        self.args = args


EXPIREAT_S = NOW_S + 10_000
PXAT_MS = (NOW_S + 20_000) * 1000 + 123

# The names a, b, c, d sit on different shards of 3 (shards 2, 0, 1, 2), so
# multi-key commands over them cross shards.
SEQUENCE = [
    ("SET", "pre", "x"), ("SELECT", "9"), ("SET", "pre9", "x"), ("FLUSHALL",), ("SELECT", "0"),
    # strings
    ("SET", "s1", "hello"), ("APPEND", "s1", " world"), ("SETRANGE", "s1", "6", "W"), ("SETRANGE", "pad", "5", "x"),
    ("APPEND", "newappend", "abc"), ("SET", "f", "10.5"), ("INCRBYFLOAT", "f", "0.1"), ("INCRBYFLOAT", "f2", "3.0e3"),
    ("INCRBYFLOAT", "f", "-5"), ("INCR", "n"), ("INCRBY", "n", "41"), ("DECR", "n"), ("DECRBY", "n", "-100"),
    ("SET", "bin", b"\x00\r\n\xff*3\r\n"), ("SETNX", "nx", "1"), ("SETNX", "nx", "2"), ("GETSET", "nx", "3"),
    ("SET", "gd", "x"), ("GETDEL", "gd"), ("MSETNX", "a", "1", "c", "3"),
    # lists
    ("RPUSH", "l", "a", "b", "c", "d"), ("LPUSH", "l", "z"), ("LPOP", "l"), ("LSET", "l", "0", "A"),
    ("LINSERT", "l", "BEFORE", "c", "bb"), ("LTRIM", "l", "0", "3"), ("LMOVE", "l", "l2", "LEFT", "RIGHT"),
    ("RPUSH", "biglist", *[str(i) * 30 for i in range(300)]), ("RPOP", "biglist", "3"),
    ("LREM", "biglist", "1", "5" * 30),
    ("RPUSH", "gone", "x"), ("RPOP", "gone"),
    # hashes
    ("HSET", "h", "f1", "v1", "f2", "v2"), ("HINCRBY", "h", "n", "5"), ("HINCRBYFLOAT", "h", "x", "1.5"),
    ("HDEL", "h", "f2"), ("HSETNX", "h", "f3", "v3"),
    ("HSET", "hbig", *[x for i in range(600) for x in ("field%d" % i, "v%d" % i)]), ("HDEL", "hbig", "field7"),
    # sets: intset, listpack/hashtable, big intset -> hashtable
    ("SADD", "si", "1", "2", "3", "-40"), ("SREM", "si", "2"), ("SADD", "sh", "a", "b", "c", "d", "e"),
    ("SADD", "sbig", *[str(i) for i in range(600)]), ("SREM", "sbig", "100"), ("SMOVE", "sh", "s3", "a"),
    ("SADD", "sp", *[str(i) for i in range(20)]), Popped("SPOP", "sp"), Popped("SPOP", "sp", "3"),
    Unchecked("SRANDMEMBER", "sp", "2"), Unchecked("SRANDMEMBER", "sp"),
    ("SADD", "sp2", "only"), Popped("SPOP", "sp2"),
    # sorted sets: listpack, skiplist
    ("ZADD", "z", "1", "a", "2", "b", "3", "c"), ("ZINCRBY", "z", "2.5", "a"), ("ZREM", "z", "b"),
    ("ZADD", "z", "-inf", "low", "inf", "high"),
    ("ZADD", "zbig", *[x for i in range(200) for x in (str(i * 1.5), "member%d" % i)]), ("ZPOPMIN", "zbig", "2"),
    ("ZADD", "zlong", "1", "x" * 100),
    # HyperLogLog, bitmaps, geo
    ("PFADD", "hll", "a", "b", "c"), ("PFADD", "hll2", "c", "d", "e"), ("PFMERGE", "hllm", "hll", "hll2"),
    ("PFADD", "hlldense", *["e%d" % i for i in range(3000)]),
    ("SETBIT", "bm", "7", "1"), ("SETBIT", "bm", "100", "1"), ("SETBIT", "bm", "7", "0"),
    ("BITFIELD", "bf", "SET", "u8", "0", "200", "INCRBY", "u8", "0", "100", "SET", "i16", "8", "-3"),
    ("BITOP", "OR", "bmo", "bm", "s1"),
    ("GEOADD", "geo", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"),
    ("GEOSEARCHSTORE", "geo2", "geo", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ASC"),
    # TTLs
    ("SET", "t1", "v", "EX", "1000"), ("SETEX", "t2", "2000", "v"), ("SET", "t3", "v"), ("EXPIRE", "t3", "3000"),
    ("SET", "t4", "v"), ("PEXPIRE", "t4", "4000000"), ("SET", "t5", "v"), ("GETEX", "t5", "EX", "5000"),
    ("SET", "t6", "v"), ("EXPIREAT", "t6", str(EXPIREAT_S)), ("SET", "t7", "v", "EX", "100"), ("PERSIST", "t7"),
    ("SET", "t8", "v", "PXAT", str(PXAT_MS)), ("SET", "t9", "v", "EX", "100"), ("SET", "t9", "w", "KEEPTTL"),
    ("SET", "t10", "v", "EX", "100"), ("SET", "t10", "w"), ("SET", "t11", "v"), ("GETEX", "t11", "PXAT", str(PXAT_MS)),
    ("SET", "t12", "v", "EX", "100"), ("GETEX", "t12", "PERSIST"), ("PSETEX", "t13", "7000000", "v"),
    ("RPUSH", "tl", "a"), ("EXPIRE", "tl", "6000"), ("HSET", "th", "a", "1"), ("PEXPIREAT", "th", str(PXAT_MS + 5)),
    ("ZADD", "tz", "1", "a"), ("EXPIRE", "tz", "100"), ("EXPIRE", "tz", "200", "GT"), ("EXPIRE", "tz", "50", "GT"),
    ("SET", "tneg", "v"), ("EXPIRE", "tneg", "-1"),
    # keyspace: RENAME (also across shards, with TTL), MOVE, COPY, SWAPDB, FLUSHDB
    ("SET", "ra", "1"), ("RENAME", "ra", "rb"), ("MSET", "a", "A", "b", "B", "c", "C", "d", "D"),
    ("EXPIRE", "a", "9000"), ("RENAME", "a", "b"), ("RPUSH", "c", "x", "y"), ("RENAME", "c", "d"),
    ("RENAMENX", "d", "b"), ("RENAMENX", "d", "a"),
    ("SET", "mv", "1"), ("MOVE", "mv", "2"), ("SET", "mv2", "1", "EX", "8000"), ("MOVE", "mv2", "3"),
    ("COPY", "h", "hcopy"), ("COPY", "l", "lcopy", "DB", "3"), ("COPY", "zbig", "zcopy"), ("COPY", "t1", "t1copy"),
    ("COPY", "s1", "hcopy", "REPLACE"),
    ("SELECT", "4"), ("SET", "d4", "four"), ("EXPIRE", "d4", "4444"), ("SELECT", "5"), ("RPUSH", "d5", "five"),
    ("SWAPDB", "4", "5"), ("SELECT", "6"), ("SET", "x6", "x"), ("HSET", "h6", "a", "b"), ("FLUSHDB",),
    ("SET", "after6", "y"), ("SELECT", "1"), ("HSET", "hdb1", "a", "1"), ("SET", "ttl1", "x", "EX", "8000"),
    ("MSET", "a", "db1a", "b", "db1b", "c", "db1c", "d", "db1d"), ("SELECT", "0"),
    # transactions, multi-key cross-shard writes
    ("MULTI",), ("SET", "m1", "1"), ("INCR", "m1"), ("RPUSH", "ml", "x"), ("SELECT", "7"), ("SET", "in7", "seven"),
    ("SELECT", "0"), ("SET", "c", "multi-c"), ("EXEC",),
    ("MULTI",), ("SET", "m2", "1"), ("DISCARD",),
    ("RPUSH", "tosort", "3", "1", "2", "10"), ("SET", "w_1", "9"), ("SET", "w_2", "8"), ("SET", "w_3", "7"),
    ("SORT", "tosort", "STORE", "sorted"), ("SORT", "tosort", "BY", "w_*", "DESC", "STORE", "d2"),
    ("MULTI",), ("SORT", "tosort", "STORE", "sorted"), ("SORT", "tosort", "BY", "w_*", "DESC", "STORE", "d"),
    ("EXEC",),
    ("DEL", "b", "c"), ("SADD", "b", "1", "2", "x"), ("SADD", "c", "2", "3", "y"), ("SUNIONSTORE", "a", "b", "c"),
    ("SINTERSTORE", "sinter", "b", "c"), ("SDIFFSTORE", "b", "b", "c"), ("ZUNIONSTORE", "zu", "2", "z", "zbig"),
    ("LMOVE", "lcross", "d", "LEFT", "LEFT"), ("SET", "x1", "1"), ("DEL", "x1", "a", "nosuch"),
    ("SET", "u1", "1"), ("UNLINK", "u1"),
    # blocking commands that found something (logged as the pop they did) or nothing (not logged)
    ("RPUSH", "bl", "a", "b", "c", "d", "e", "f"), ("BLPOP", "nosuch", "bl", "0"), ("BRPOP", "bl", "0"),
    ("BLMOVE", "bl", "bl2", "LEFT", "RIGHT", "0"), ("BRPOPLPUSH", "bl", "bl3", "0"),
    ("BLMPOP", "0", "2", "nosuch", "bl", "RIGHT", "COUNT", "1"), ("BLPOP", "nosuch", "0.01"),
    ("ZADD", "bz", "1", "a", "2", "b", "3", "c", "4", "d"), ("BZPOPMIN", "bz", "0"), ("BZPOPMAX", "nosuch", "bz", "0"),
    ("BZMPOP", "0", "1", "bz", "MIN", "COUNT", "1"), ("BZPOPMIN", "nosuch", "0.01"),
    ("MULTI",), ("BLPOP", "bl2", "0"), ("BZPOPMAX", "nosuch", "0"), ("EXEC",),
]


def run_sequence(tc, rc, seq=SEQUENCE):
    """Runs `seq` on Tessera (tc) and Redis (rc), comparing replies."""
    for cmd in seq:
        if isinstance(cmd, Popped):
            popped = value(tc.send(*cmd.args))
            if popped is not None:
                members = popped if isinstance(popped, list) else [popped]
                if members:
                    ok(rc, "SREM", cmd.args[1], *members)
        elif isinstance(cmd, Unchecked):
            a, b = tc.send(*cmd.args), rc.send(*cmd.args)
            assert a[0] == b[0], (cmd.args, a, b)
        else:
            a, b = tc.send(*cmd), rc.send(*cmd)
            if cmd[0] in ("EXPIRE", "PEXPIRE", "GETEX", "SETEX", "PSETEX"):
                assert a[0] == b[0], (cmd, a, b)
            else:
                assert a == b, (cmd, "tessera", a, "redis", b)


def rewrite(tc):
    """BGREWRITEAOF and wait until it is done."""
    wait_for(lambda: info(tc)["aof_rewrite_in_progress"] == "0", what="an earlier rewrite")
    done = int(info(tc)["aof_rewrites"])
    assert tc.send("BGREWRITEAOF") == ("+", b"Background append only file rewriting started")
    wait_for(lambda: info(tc)["aof_rewrite_in_progress"] == "0" and int(info(tc)["aof_rewrites"]) > done,
             what="the rewrite")
    assert info(tc)["aof_last_bgrewrite_status"] == "ok"


@pytest.mark.parametrize("base", [False, True], ids=["incr", "rewritten"])
def test_restart_keeps_every_type_and_ttl(tessera, redis, shards, base):
    """With `base`, a BGREWRITEAOF in the middle of the sequence: the base
    holds an image of every type and TTL, the incr file the rest."""
    t = tessera(shards)
    r = redis()
    tc, rc = t.connect(), r.connect()
    if base:
        half = len(SEQUENCE) // 2
        while SEQUENCE[half - 1] != ("SELECT", "0"):  # not inside a MULTI or another db
            half += 1
        run_sequence(tc, rc, SEQUENCE[:half])
        rewrite(tc)
        run_sequence(tc, rc, SEQUENCE[half:])
    else:
        run_sequence(tc, rc)
    before = dump(tc)
    live = dump(rc)
    # The data reaches every type and encoding the test is about.
    encodings = {(v[0], v[1]) for v in before.values()}
    for want in [(b"set", b"intset"), (b"set", b"hashtable"), (b"zset", b"listpack"), (b"zset", b"skiplist"),
                 (b"hash", b"listpack"), (b"hash", b"hashtable"), (b"list", b"quicklist")]:
        assert want in encodings, want
    assert len({db for db, _ in before}) >= 5
    assert before[(0, b"t6")][3] == EXPIREAT_S * 1000 and before[(0, b"t8")][3] == PXAT_MS
    # Relative TTLs were set a moment apart on the two servers.
    assert_same(before, live, ttl_tolerance=10_000, exact_strings=True)
    tc.close()
    t.restart()
    tc = t.connect()
    after = dump(tc)
    assert_same(after, before)
    # The restored data against Redis's live data (PEXPIRETIME is absolute).
    assert_same(after, live, ttl_tolerance=10_000)
    # And once more: a restart of a restart (the log now starts with what replay wrote).
    ok(tc, "SET", "after-restart", "1")
    before2 = dump(tc)
    tc.close()
    t.restart()
    assert_same(dump(t.connect()), before2)


# -- 2. keys that expired while the server was down ----------------------------

def test_keys_expired_while_down_stay_gone(tessera, shards):
    t = tessera(shards)
    tc = t.connect()
    for db in ("0", "2"):
        ok(tc, "SELECT", db)
        ok(tc, "SET", "short", "x", "PX", "600")
        ok(tc, "RPUSH", "shortlist", "a", "b")
        ok(tc, "PEXPIRE", "shortlist", "600")
        ok(tc, "HSET", "shorthash", "f", "v")
        ok(tc, "PEXPIREAT", "shorthash", str(int(time.time() * 1000) + 600))
        ok(tc, "SET", "keep", "y")
        ok(tc, "SET", "long", "z", "EX", "100000")
        for k in ("a", "b", "c", "d"):  # some short-lived key on every shard
            ok(tc, "SET", k, "v", "PX", "600")
    ok(tc, "SELECT", "0")
    data = dump(tc)
    long_ttl = {db: data[(db, b"long")][3] for db in (0, 2)}
    deadline_ms = max(v[3] for k, v in data.items() if k[1] != b"long")
    assert min(long_ttl.values()) > 0 and 0 < deadline_ms < time.time() * 1000 + 1000 and len(data) == 2 * 9
    tc.close()
    t.shutdown()
    # Nothing to poll while the server is down: wait out the TTLs.
    time.sleep(max(0, deadline_ms / 1000 - time.time()) + 0.2)
    want = {(db, b"keep"): (b"string", b"embstr", b"y", -1) for db in (0, 2)}
    want.update({(db, b"long"): (b"string", b"embstr", b"z", long_ttl[db]) for db in (0, 2)})
    for _ in range(2):
        t.start()
        tc = t.connect()
        assert_same(dump(tc), want)
        assert tc.send("DBSIZE") == (":", 2)
        tc.close()
        t.shutdown()


EXPIRING = [("RPUSH", "l", "a"), ("HSET", "h", "n", "5"), ("SADD", "s", "a"), ("ZADD", "z", "1", "a"),
            ("SET", "n", "5"), ("SET", "str", "old"), ("SET", "keep", "v"), ("SET", "c", "old"), ("SET", "d", "old"),
            ("RPUSH", "a", "x"), ("SET", "untouched", "x"), ("SELECT", "1"), ("SET", "n", "7"), ("SELECT", "0")]
AFTER_EXPIRY = [("RPUSH", "l", "b"), ("HINCRBY", "h", "n", "1"), ("SADD", "s", "b"), ("ZADD", "z", "2", "b"),
                ("INCR", "n"), ("APPEND", "str", "new"), ("SET", "keep", "w", "KEEPTTL"), ("SET", "src", "1"),
                ("RENAME", "src", "c"), ("SET", "src2", "2"), ("COPY", "src2", "d"), ("MSET", "a", "1", "b", "2"),
                ("SELECT", "1"), ("MULTI",), ("INCR", "n"), ("EXEC",), ("SELECT", "0")]


@pytest.mark.parametrize("base", [False, True], ids=["incr", "rewritten"])
def test_writes_over_keys_expired_while_up(tessera, shards, base):
    """Keys expire while the server runs, then writes recreate them without
    touching them first: replay (its clock stopped) must not resurrect the old
    values, and keys nobody touched stay gone (also through a rewrite)."""
    t = tessera(shards)
    tc = t.connect()
    for cmd in EXPIRING:
        ok(tc, *cmd)
        if cmd[0] != "SELECT":
            ok(tc, "PEXPIRE", cmd[1], "300")
    # Reading the keys to poll would expire them on access, which is not the case
    # under test: wait out their TTL instead.
    time.sleep(0.5)
    for cmd in AFTER_EXPIRY:
        ok(tc, *cmd)
    if base:
        rewrite(tc)
    want = dump(tc)
    assert value(tc.send("LRANGE", "l", "0", "-1")) == [b"b"] and want[(0, b"keep")][3] == -1
    assert want[(1, b"n")][2] == b"1" and (0, b"untouched") not in want
    tc.close()
    t.restart()
    assert_same(dump(t.connect()), want)

# -- 3. appendfsync always + kill -9 ------------------------------------------

class Writer(threading.Thread):
    """SET unique keys, INCR a counter and RPUSH a list, recording what was acknowledged."""

    def __init__(self, port, tid):
        super().__init__(daemon=True)
        self.port, self.tid = port, tid
        self.sets, self.incrs, self.pushed = [], 0, []
        self.error = None

    def run(self):
        try:
            c = Conn(self.port)
        except OSError as e:
            self.error = e
            return
        i = 0
        try:
            while True:
                key, val = "key:%d:%d" % (self.tid, i), "val-%d-%d" % (self.tid, i)
                if c.send("SET", key, val) != ("+", b"OK"):
                    raise AssertionError("SET failed")
                self.sets.append((key, val))
                reply = c.send("INCR", "ctr:%d" % self.tid)
                assert reply == (":", self.incrs + 1), reply
                self.incrs += 1
                elem = "e%d" % i
                reply = c.send("RPUSH", "list:%d" % self.tid, elem)
                assert reply == (":", len(self.pushed) + 1), reply
                self.pushed.append(elem)
                i += 1
        except (ConnectionClosed, OSError):
            pass  # the server was killed
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.error = e
        finally:
            c.close()

    def acked(self):
        return len(self.sets) + self.incrs + len(self.pushed)


def check_acknowledged(tc, writers):
    """Every write a Writer saw acknowledged is there after the restart."""
    for w in writers:
        keys = [k for k, _ in w.sets]
        vals = value(tc.send("MGET", *keys)) if keys else []
        missing = [(k, v, g) for (k, v), g in zip(w.sets, vals) if g != v.encode()]
        assert not missing, "acknowledged SETs lost: %r" % missing[:5]
        # At most the one SET in flight beyond the acknowledged ones.
        n = len(value(tc.send("KEYS", "key:%d:*" % w.tid)))
        assert len(w.sets) <= n <= len(w.sets) + 1, (w.tid, len(w.sets), n)
        ctr = int(value(tc.send("GET", "ctr:%d" % w.tid)) or 0)
        assert w.incrs <= ctr <= w.incrs + 1, (w.tid, w.incrs, ctr)
        lst = [x.decode() for x in value(tc.send("LRANGE", "list:%d" % w.tid, "0", "-1"))]
        assert lst[:len(w.pushed)] == w.pushed and len(lst) <= len(w.pushed) + 1, (w.tid, len(w.pushed), len(lst))


def stop_writers(writers):
    for w in writers:
        w.join(10)
        assert not w.is_alive() and w.error is None, w.error


def test_kill9_loses_no_acknowledged_write(tessera, shards):
    # kill -9 keeps what reached the kernel, so this checks that an acknowledged
    # write had been written (fsync itself would take a power cut to test).
    t = tessera(shards, "--appendfsync", "always")
    writers = [Writer(t.port, i) for i in range(4)]
    for w in writers:
        w.start()
    wait_for(lambda: all(w.acked() >= 60 for w in writers) or any(w.error for w in writers), 60, "writes")
    t.kill9()  # while every writer has a command in flight
    stop_writers(writers)
    assert sum(w.acked() for w in writers) >= 240
    t.start()
    check_acknowledged(t.connect(), writers)


def test_kill9_during_rewrite_loses_no_acknowledged_write(tessera):
    """A crash while rewrites come and go (base written, manifest switched,
    old files removed) leaves a loadable AOF with every acknowledged write."""
    t = tessera(3, "--appendfsync", "always")
    tc = t.connect()
    pipeline(tc, [("SET", "pad:%d" % i, "x" * 100) for i in range(3000)])
    wait_for(lambda: info(tc)["aof_rewrite_in_progress"] == "0", what="the first rewrite")
    writers = [Writer(t.port, i) for i in range(3)]
    for w in writers:
        w.start()
    wait_for(lambda: all(w.acked() >= 30 for w in writers), 60, "writes")
    rewrite(tc)  # one whole rewrite under load
    wait_for(lambda: all(w.acked() >= 60 for w in writers), 60, "writes")
    reply = tc.send("BGREWRITEAOF")
    assert reply == ("+", b"Background append only file rewriting started"), reply
    t.kill9()  # most likely while that rewrite runs
    stop_writers(writers)
    t.start()
    tc = t.connect()
    check_acknowledged(tc, writers)
    assert tc.send("GET", "pad:2999") == ("$", b"x" * 100)
    assert len(value(tc.send("KEYS", "pad:*"))) == 3000


def test_a_rewrite_cut_short_leaves_no_temporary_file(tessera):
    """The temporary base of a rewrite that a crash or shutdown cut short is
    named by no manifest: the next start removes it and loads the data whole."""
    t = tessera(2)
    tc = t.connect()
    pipeline(tc, [("SET", "k:%d" % i, "x" * 50) for i in range(500)])
    before = dump(tc)
    t.shutdown()
    leftover = os.path.join(t.shard_dir(1), "temp-rewriteaof-1-9.aof")
    with open(leftover, "wb") as f:
        f.write(b"*3\r\n$3\r\nSET\r\n$5\r\nstale\r\n$1\r\n1\r\n")
    t.start()
    assert not os.path.exists(leftover)
    assert "left by an unfinished AOF rewrite" in t.text()
    assert_same(dump(t.connect()), before)


# -- 4. truncated tail --------------------------------------------------------

HALF = b"*3\r\n$3\r\nSET\r\n$4\r\ntorn\r\n$5\r\nval"


def fill(tc, n=50):
    for i in range(n):
        ok(tc, "SET", "k%d" % i, "v%d" % i)
        ok(tc, "RPUSH", "list", str(i))
    return dump(tc)


def test_truncated_tail(tessera, shards):
    t = tessera(shards)
    before = fill(t.connect())
    t.shutdown()
    path = t.last_incr(shards - 1)
    size = os.path.getsize(path)
    assert size > 0
    with open(path, "ab") as f:
        f.write(HALF)
    # aof-load-truncated no: refuses to start, and leaves the file as it is.
    rc, out = Tessera(t.dir, shards, "--aof-load-truncated", "no").start_fails()
    assert rc != 0 and isinstance(rc, int), (rc, out)
    assert path in out and "Unexpected end of file" in out, out
    assert os.path.getsize(path) == size + len(HALF)
    # The default (yes): starts with a warning, cuts the torn command off.
    t.start()
    assert "short read while loading the AOF" in t.text() and path in t.text()
    assert os.path.getsize(path) == size
    tc = t.connect()
    assert_same(dump(tc), before)
    assert tc.send("EXISTS", "torn") == (":", 0)
    ok(tc, "SET", "more", "1")
    before = dump(tc)
    tc.close()
    t.restart()
    assert_same(dump(t.connect()), before)
    # A transaction without its EXEC at the tail is torn too: none of it applies.
    t.shutdown()
    size = os.path.getsize(path)
    with open(path, "ab") as f:
        f.write(encode("MULTI") + encode("SET", "k1", "changed") + encode("SET", "inmulti", "x"))
    t.start()
    assert os.path.getsize(path) == size
    tc = t.connect()
    assert_same(dump(tc), before)


# -- 5. corruption in the middle; --check-aof ------------------------------------

def check_aof(*args):
    p = subprocess.run([TESSERA_BIN, "--check-aof", *args], stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=30)
    return p.returncode, (p.stdout + p.stderr).decode(errors="replace")


def test_corrupt_middle_and_check_aof(tessera, shards):
    t = tessera(shards)
    fill(t.connect(), 100)
    t.shutdown()
    shard = shards - 1
    path = t.last_incr(shard)
    manifest = os.path.join(t.shard_dir(shard), "appendonly.aof.manifest")
    assert check_aof(manifest)[0] == 0
    rc, out = check_aof(path)
    assert rc == 0 and "valid" in out, out
    original = open(path, "rb").read()
    cmds = commands(path)
    assert len(cmds) > 20
    offset = cmds[len(cmds) // 2][0]
    data = bytearray(original)
    data[offset:offset + 3] = b"xyz"
    open(path, "wb").write(bytes(data))
    rc, out = t.start_fails()
    assert rc == 1, (rc, out)
    assert "Bad file format reading the append only file %s at offset %d" % (path, offset) in out, out
    rc, out = check_aof(manifest)
    assert rc == 1 and "offset %d" % offset in out and path in out, out
    rc, out = check_aof("--fix", manifest)  # corruption in the middle is not fixable
    assert rc == 1 and open(path, "rb").read() == bytes(data), out
    # A torn tail instead: --check-aof reports it, --fix cuts it off.
    open(path, "wb").write(original + HALF)
    rc, out = check_aof(manifest)
    assert rc == 1 and "truncated" in out, out
    assert os.path.getsize(path) == len(original) + len(HALF)
    rc, out = check_aof("--fix", manifest)
    assert rc == 0 and "Successfully truncated AOF" in out, out
    assert open(path, "rb").read() == original
    assert check_aof(manifest)[0] == 0
    # The same on the file itself.
    open(path, "wb").write(original + HALF[:7])
    assert check_aof(path)[0] == 1
    rc, out = check_aof("--fix", path)
    assert rc == 0 and open(path, "rb").read() == original, out
    t.start()
    tc = t.connect()
    assert value(tc.send("LRANGE", "list", "0", "-1")) == [str(i).encode() for i in range(100)]


# -- 6. rewrite under concurrent writes -------------------------------------------

class MixedWriter(threading.Thread):
    OPS = ["SET", "INCR", "RPUSH", "HSET", "SADD", "ZADD", "DEL", "EXPIRE"]

    def __init__(self, port, seed, nkeys=3000):
        super().__init__(daemon=True)
        self.port, self.rng, self.nkeys = port, random.Random(seed), nkeys
        self.stop, self.done, self.error = threading.Event(), 0, None

    def command(self):
        op, n, rng = self.rng.choice(self.OPS), self.rng.randrange(self.nkeys), self.rng
        # One type per key name, so no command meets WRONGTYPE.
        kind = n % 6
        key = ["str", "ctr", "list", "hash", "set", "zset"][kind] + ":%d" % n
        if op == "DEL":
            return ("DEL", key)
        if op == "EXPIRE":
            return ("EXPIRE", key, str(rng.randrange(1000, 100000)))
        return [("SET", key, "v%d" % rng.randrange(10**6)), ("INCR", key), ("RPUSH", key, str(rng.randrange(100))),
                ("HSET", key, "f%d" % rng.randrange(20), str(rng.randrange(100))),
                ("SADD", key, str(rng.randrange(50))),
                ("ZADD", key, str(rng.randrange(1000) / 8), "m%d" % rng.randrange(30))][kind]

    def run(self):
        c = Conn(self.port)
        try:
            while not self.stop.is_set():
                cmds = [self.command() for _ in range(20)]
                for cmd, reply in zip(cmds, pipeline(c, cmds)):
                    assert reply[0] != "-", (cmd, reply)
                self.done += len(cmds)
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.error = e
        finally:
            c.close()


def test_rewrite_under_concurrent_writes(tessera):
    shards = 3
    t = tessera(shards)
    tc = t.connect()
    wait_for(lambda: info(tc)["aof_rewrite_in_progress"] == "0", what="the first rewrite")
    # A few thousand keys first, so the rewrite has something to chew on.
    pipeline(tc, [("SET", "str:%d" % (i * 6), "x" * 50) for i in range(500)] +
             [("RPUSH", "list:%d" % (i * 6 + 2), *[str(j) for j in range(20)]) for i in range(500)])
    rewrites = int(info(tc)["aof_rewrites"])
    old = {s: {n for n, typ in t.manifest(s) if typ == "i"} for s in range(shards)}
    writers = [MixedWriter(t.port, seed) for seed in range(3)]
    for w in writers:
        w.start()
    wait_for(lambda: all(w.done >= 200 for w in writers) or any(w.error for w in writers), what="writes")
    assert tc.send("BGREWRITEAOF") == ("+", b"Background append only file rewriting started")
    second = tc.send("BGREWRITEAOF")
    assert second in (("-", b"ERR Background append only file rewriting already in progress"),
                      ("+", b"Background append only file rewriting started")), second
    wait_for(lambda: info(tc)["aof_rewrite_in_progress"] == "0", 60, "the rewrite")
    st = info(tc)
    assert int(st["aof_rewrites"]) > rewrites and st["aof_last_bgrewrite_status"] == "ok", st
    # Writes go on into the new incr files for a moment.
    mark = sum(w.done for w in writers)
    wait_for(lambda: sum(w.done for w in writers) >= mark + 300 or any(w.error for w in writers), what="writes")
    for w in writers:
        w.stop.set()
    for w in writers:
        w.join(30)
        assert not w.is_alive() and w.error is None, w.error
    live = dump(tc)
    assert len(live) > 1000
    for s in range(shards):
        listed = t.manifest(s)
        base = [n for n, typ in listed if typ == "b"]
        assert len(base) == 1 and os.path.exists(os.path.join(t.shard_dir(s), base[0])), listed
        incrs = {n for n, typ in listed if typ == "i"}
        assert not incrs & old[s], ("the old incr files are still in the manifest", s, listed)
        # The old files go once the new manifest is in place.
        wait_for(lambda: set(os.listdir(t.shard_dir(s))) == {n for n, _ in listed} | {"appendonly.aof.manifest"},
                 10, "only the manifest's files in shard-%d (%r)" % (s, os.listdir(t.shard_dir(s))))
    tc.close()
    t.restart()
    assert_same(dump(t.connect()), live)


def test_automatic_rewrite_by_growth(tessera):
    """auto-aof-rewrite-percentage/min-size: the log grows past them, each shard
    rewrites on its own, and the result loads back to the same data."""
    t = tessera(3, "--auto-aof-rewrite-percentage", "100", "--auto-aof-rewrite-min-size", "64kb")
    tc = t.connect()
    wait_for(lambda: int(info(tc)["aof_rewrites"]) >= 1 and info(tc)["aof_rewrite_in_progress"] == "0",
             what="the first image")
    first = {s: [n for n, typ in t.manifest(s) if typ == "b"] for s in range(3)}
    for round_ in range(8):
        pipeline(tc, [("SET", "key:%d" % i, "%d-%s" % (round_, "x" * 100)) for i in range(400)])
    wait_for(lambda: int(info(tc)["aof_rewrites"]) >= 2 and info(tc)["aof_rewrite_in_progress"] == "0", 30,
             "an automatic rewrite on every shard")
    for s in range(3):
        assert [n for n, typ in t.manifest(s) if typ == "b"] != first[s], t.manifest(s)
    st = info(tc)
    assert int(st["aof_current_size"]) < 8 * 400 * 100, st  # compacted: well below what was logged
    want = dump(tc)
    tc.close()
    t.restart()
    assert_same(dump(t.connect()), want)


# -- 7. multi-shard MSET atomicity ----------------------------------------------------

GROUP = ["a", "b", "c", "d", "g1", "g2", "g3", "g4", "g5", "g6"]


def test_mset_part_missing_on_one_shard_drops_it_everywhere(tessera):
    t = tessera(3)
    tc = t.connect()
    for k in GROUP:
        ok(tc, "SET", k, "old-" + k)
    ok(tc, "SET", "other", "kept")
    ok(tc, "MSET", *[x for k in GROUP for x in (k, "new-" + k)])
    assert value(tc.send("MGET", *GROUP)) == [("new-" + k).encode() for k in GROUP]
    tc.close()
    t.shutdown()
    # Which shards logged a part of the MSET, and where the part starts.
    parts = {}
    for s in range(3):
        path = t.last_incr(s)
        marks = [(off, args) for off, args in commands(path) if args[0].lower() == b"tessera-txn"]
        if marks:
            parts[s] = (path, marks[-1][0], marks[-1][1][2])
    assert len(parts) == 3 and len({p[2] for p in parts.values()}) == 1, parts  # all name the same shards
    path, offset, _ = parts[1]
    keys_on_1 = {args[1].decode() for off, args in commands(path) if off > offset and args[0] == b"SET"}
    with open(path, "r+b") as f:
        f.truncate(offset)
    t.start()
    tc = t.connect()
    got = dict(zip(GROUP, value(tc.send("MGET", *GROUP))))
    assert got == {k: ("old-" + k).encode() for k in GROUP}, ("keys on shard 1: %r" % keys_on_1, got)
    assert tc.send("GET", "other") == ("$", b"kept")


def test_keyspace_transaction_replays_whole_or_not_at_all(tessera):
    """A transaction with FLUSHALL/SWAPDB holds every shard's keyspace; each
    shard logs its part as a multi-shard write, so a restart replays it, and
    with one shard's part cut off, drops it on every shard."""
    t = tessera(3)
    tc = t.connect()
    for k in GROUP:
        ok(tc, "SET", k, "old-" + k)
    assert tc.send("MULTI") == ("+", b"OK")
    for cmd in [("FLUSHALL",), ("MSET", *[x for k in GROUP for x in (k, "new-" + k)]), ("SWAPDB", "0", "1"),
                ("SET", "in0", "x"), ("DBSIZE",)]:
        assert tc.send(*cmd) == ("+", b"QUEUED")
    assert value(tc.send("EXEC")) == [b"OK", b"OK", b"OK", b"OK", 1]
    before = dump(tc)
    assert set(before) == {(1, k.encode()) for k in GROUP} | {(0, b"in0")}
    tc.close()
    t.restart()
    assert_same(dump(t.connect()), before)
    t.shutdown()
    # Cut shard 1's part of the transaction (its last marker) off: no shard replays it.
    path = t.last_incr(1)
    marks = [off for off, args in commands(path) if args[0].lower() == b"tessera-txn"]
    with open(path, "r+b") as f:
        f.truncate(marks[-1])
    t.start()
    tc = t.connect()
    got = {db: value(tc.send("SELECT", str(db))) and value(tc.send("MGET", *GROUP)) for db in (0, 1)}
    assert got[0] == [("old-" + k).encode() for k in GROUP] and got[1] == [None] * len(GROUP), got


class MsetWriter(threading.Thread):
    def __init__(self, port, counter, lock):
        super().__init__(daemon=True)
        self.port, self.counter, self.lock = port, counter, lock
        self.acked, self.error = [], None

    def run(self):
        c = None
        try:
            c = Conn(self.port)
            while True:
                with self.lock:
                    gen = next(self.counter)
                if c.send("MSET", *[x for k in GROUP for x in (k, str(gen))]) != ("+", b"OK"):
                    raise AssertionError("MSET failed")
                self.acked.append(gen)
        except (ConnectionClosed, OSError):
            pass
        except Exception as e:  # noqa: BLE001
            self.error = e
        finally:
            if c:
                c.close()


def test_mset_atomic_under_kill9(tessera):
    t = tessera(3, "--appendfsync", "always")
    counter, lock = itertools.count(1), threading.Lock()
    writers = [MsetWriter(t.port, counter, lock) for _ in range(3)]
    for w in writers:
        w.start()
    wait_for(lambda: all(len(w.acked) >= 40 for w in writers) or any(w.error for w in writers), 60, "MSETs")
    t.kill9()
    for w in writers:
        w.join(10)
        assert not w.is_alive() and w.error is None, w.error
    t.start()
    got = value(t.connect().send("MGET", *GROUP))
    assert len(set(got)) == 1 and got[0] is not None, got
    # Each client's last acknowledged MSET was logged, so the surviving generation is at
    # least the oldest of those (the clients race, so nothing tighter holds).
    assert int(got[0]) >= min(w.acked[-1] for w in writers), (got[0], [w.acked[-1] for w in writers])


# -- 8. CONFIG SET appendonly / appendfsync; INFO -------------------------------------

INFO_FIELDS = ["aof_enabled", "aof_rewrite_in_progress", "aof_rewrites", "aof_last_bgrewrite_status",
               "aof_current_size", "aof_base_size", "aof_last_write_status", "loading"]


def test_config_set_appendonly_at_run_time(tessera, shards):
    t = tessera(shards, appendonly="no")
    tc = t.connect()
    assert info(tc)["aof_enabled"] == "0"
    assert tc.send("CONFIG", "GET", "appendonly") == ("*", [("$", b"appendonly"), ("$", b"no")])
    before = fill(tc, 200)
    ok(tc, "SET", "ttl", "x", "EX", "5000")
    ok(tc, "SELECT", "3")
    ok(tc, "HSET", "h3", "a", "1")
    ok(tc, "SELECT", "0")
    before = dump(tc)
    assert not os.path.exists(os.path.join(t.dir, "appendonlydir", "shard-0"))
    assert tc.send("CONFIG", "SET", "appendonly", "yes") == ("+", b"OK")
    assert tc.send("CONFIG", "GET", "appendonly") == ("*", [("$", b"appendonly"), ("$", b"yes")])

    def has_base(s):
        try:
            return any(typ == "b" and os.path.exists(os.path.join(t.shard_dir(s), n)) for n, typ in t.manifest(s))
        except FileNotFoundError:
            return False

    def written():
        # aof_rewrites is the least of the shards': every shard wrote its image.
        st = info(tc)
        return st["aof_rewrite_in_progress"] == "0" and st["aof_enabled"] == "1" and int(st["aof_rewrites"]) >= 1
    wait_for(written, 30, "the first AOF image")
    assert all(has_base(s) for s in range(shards))
    st = info(tc)
    for field in INFO_FIELDS:
        assert field in st, field
    assert st["aof_enabled"] == "1" and st["loading"] == "0" and st["aof_last_write_status"] == "ok", st
    assert st["aof_last_bgrewrite_status"] == "ok" and int(st["aof_rewrites"]) >= 1, st
    assert int(st["aof_base_size"]) > 0 and int(st["aof_current_size"]) >= int(st["aof_base_size"]), st
    for mode in ("always", "no", "everysec", "always"):
        assert tc.send("CONFIG", "SET", "appendfsync", mode) == ("+", b"OK")
        assert tc.send("CONFIG", "GET", "appendfsync") == ("*", [("$", b"appendfsync"), ("$", mode.encode())])
    assert tc.send("CONFIG", "SET", "appendfsync", "sometimes")[0] == "-"
    assert tc.send("CONFIG", "GET", "appendfsync")[1][1] == ("$", b"always")
    ok(tc, "SET", "after", "1")  # acknowledged after its fsync: survives a kill -9
    want = dump(tc)
    tc.close()
    t.kill9()
    t.args[t.args.index("--appendonly") + 1] = "yes"
    t.start()
    got = dump(t.connect())
    assert_same(got, want)
    assert got[(0, b"after")][2] == b"1" and len(got) == len(before) + 1


def test_config_set_appendonly_no_stops_logging(tessera, shards):
    t = tessera(shards)
    tc = t.connect()
    ok(tc, "SET", "a", "1")
    ok(tc, "RPUSH", "l", "x")
    want = dump(tc)
    assert tc.send("CONFIG", "SET", "appendonly", "no") == ("+", b"OK")
    wait_for(lambda: info(tc)["aof_enabled"] == "0", what="aof_enabled:0")
    ok(tc, "SET", "b", "2")
    ok(tc, "RPUSH", "l", "y")
    tc.close()
    t.kill9()
    t.start()  # still --appendonly yes: the log as it was when it was turned off
    assert_same(dump(t.connect()), want)


def test_first_start_with_aof_loads_the_rdb(tessera, shards):
    """Redis's migration path: appendonly yes on a dir with dump.rdb and no AOF
    loads the RDB and writes it as the first AOF image."""
    t = tessera(shards, appendonly="no")
    tc = t.connect()
    ok(tc, "SET", "a", "1", "EX", "1000")
    ok(tc, "HSET", "h", "f", "v")
    ok(tc, "SELECT", "2")
    ok(tc, "ZADD", "z", "1", "m")
    ok(tc, "SAVE")
    want = dump(tc)
    tc.close()
    t.shutdown()
    t.args[t.args.index("--appendonly") + 1] = "yes"
    t.start()
    tc = t.connect()
    assert_same(dump(tc), want)
    wait_for(lambda: info(tc)["aof_rewrite_in_progress"] == "0" and int(info(tc)["aof_rewrites"]) >= 1,
             what="the first image")
    tc.close()
    t.kill9()
    os.remove(os.path.join(t.dir, "dump.rdb"))
    t.start()  # from the AOF alone
    assert_same(dump(t.connect()), want)

# -- 9. SIGTERM ------------------------------------------------------------------------

def test_sigterm_flushes_and_exits_cleanly(tessera, shards):
    t = tessera(shards, "--appendfsync", "no")
    tc = t.connect()
    want = fill(tc, 300)
    tc.close()
    t.proc.send_signal(signal.SIGTERM)
    rc = t.wait_exit()
    assert rc == 0, (rc, t.text()[-2000:])
    t.start()
    assert_same(dump(t.connect()), want)


# -- 10. another shard count ------------------------------------------------------------

def test_other_shard_count_is_refused(tessera):
    t = tessera(3)
    want = fill(t.connect(), 20)
    t.shutdown()
    for n in (1, 2, 4):
        rc, out = Tessera(t.dir, n).start_fails()
        assert rc == 1, (n, rc, out)
        assert "written by 3 shards" in out and "--shards 3" in out, out
    t.start()  # the right count still starts, with the data
    assert_same(dump(t.connect()), want)


# -- cases that were bugs ----------------------------------------------------------------

def test_sort_store_survives_restart(tessera, shards):
    t = tessera(shards)
    tc = t.connect()
    ok(tc, "RPUSH", "tosort", "3", "1", "2")
    assert tc.send("SORT", "tosort", "STORE", "sorted") == (":", 3)
    tc.close()
    t.restart()
    assert value(t.connect().send("LRANGE", "sorted", "0", "-1")) == [b"1", b"2", b"3"]


def test_restore_with_ttl_survives_restart(tessera, shards):
    t = tessera(shards)
    tc = t.connect()
    ok(tc, "SET", "x", "hello")
    payload = value(tc.send("DUMP", "x"))
    assert tc.send("RESTORE", "y", "100000000", payload) == ("+", b"OK")
    assert tc.send("RESTORE", "z", "0", payload) == ("+", b"OK")
    want = dump(tc)
    assert want[(0, b"y")][3] > time.time() * 1000
    tc.close()
    t.restart()
    assert_same(dump(t.connect()), want)


def test_pfcount_cache_survives_restart(tessera, redis, shards):
    t = tessera(shards)
    tc, rc = t.connect(), redis().connect()
    for c in (tc, rc):
        ok(c, "PFADD", "h", "a", "b")
        assert c.send("PFCOUNT", "h") == (":", 2)
    assert tc.send("GET", "h") == rc.send("GET", "h")
    tc.close()
    t.restart()
    assert t.connect().send("GET", "h") == rc.send("GET", "h")


def test_config_set_appendonly_reports_the_rewrite_at_once(tessera):
    t = tessera(3, appendonly="no")
    tc = t.connect()
    pipeline(tc, [("SET", "k%d" % i, "v") for i in range(300)])
    for _ in range(60):  # stops at the first INFO that misses the rewrite
        assert tc.send("CONFIG", "SET", "appendonly", "yes") == ("+", b"OK")
        st = info(tc)
        assert st["aof_enabled"] == "1" and (st["aof_rewrite_in_progress"] == "1" or int(st["aof_rewrites"]) >= 1), st
        wait_for(lambda: info(tc)["aof_rewrite_in_progress"] == "0" and int(info(tc)["aof_rewrites"]) >= 1,
                 what="the image")
        assert tc.send("CONFIG", "SET", "appendonly", "no") == ("+", b"OK")
        wait_for(lambda: info(tc)["aof_enabled"] == "0", what="appendonly no")
