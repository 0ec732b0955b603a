"""Keyspace commands, replies diffed against redis-server."""
import time

import pytest

from harness import Cmd

FUTURE = int(time.time()) + 100_000
PAST = 1_000_000_000
MANY = [x for i in range(120) for x in ("%s:%d" % ("user" if i % 3 else "item", i), i)]
GLOB_KEYS = ["hello", "hallo", "hxllo", "hllo", "heeeello", "h]llo", "h-llo", "a*b", "a?b",
             "a[b", "a\\b", "foo:1", "foo:2", "foo:10", "bar", "", "x y"]
GLOB_PATTERNS = ["*", "h?llo", "h*llo", "h[ae]llo", "h[^e]llo", "h[a-e]llo", "h[e-a]llo",
                 "h[a-]llo", r"h[\]]llo", r"a\*b", r"a\?b", r"a\[b", r"a\\b", r"a[\[]b", "a*",
                 "*b", "h[", "[", "", "*:*", "foo:?", "foo:*", "*[0-9]", "h[^a-e]llo", "h\\",
                 "*\\", "?", "*o*", "nomatch*", "x y", "x?y", "**", "h*l*o", "HELLO"]

CASES = {
    "del_unlink_exists": [
        ("MSET", "a", "1", "b", "2", "c", "3", "d", "4"), ("EXISTS", "a"), ("EXISTS", "a", "a", "a"),
        ("EXISTS", "a", "b", "missing", "c", "a"), ("EXISTS", "missing"), ("DEL", "missing"),
        ("DEL", "a", "a"), ("EXISTS", "a"), ("DEL", "b", "c", "missing"), ("UNLINK", "d", "d", "x"),
        ("UNLINK", "d"), ("DBSIZE",), ("DEL",), ("UNLINK",), ("EXISTS",),
        ("MSET", *MANY), ("EXISTS", *MANY[::2]), ("DEL", *MANY[:120:2]), ("DBSIZE",),
        ("UNLINK", *MANY[::2]), ("DBSIZE",),
    ],
    "type_touch": [
        ("SET", "s", "v"), ("SET", "n", "12"), ("TYPE", "s"), ("TYPE", "n"), ("TYPE", "missing"),
        ("TOUCH", "s"), ("TOUCH", "s", "n", "missing", "s"), ("TOUCH", "missing"),
        ("TYPE",), ("TYPE", "a", "b"), ("TOUCH",),
    ],
    "expire_basic": [
        ("SET", "k", "v"), ("TTL", "k"), ("PTTL", "k"), ("EXPIRE", "k", "100"), ("TTL", "k"),
        ("PTTL", "k"), ("PEXPIRE", "k", "50000"), ("TTL", "k"), ("PTTL", "k"),
        ("EXPIREAT", "k", str(FUTURE)), ("TTL", "k"), ("EXPIRETIME", "k"), ("PEXPIRETIME", "k"),
        ("PEXPIREAT", "k", str(FUTURE * 1000 + 123)), ("PEXPIRETIME", "k"), ("PTTL", "k"),
        ("EXPIRE", "missing", "100"), ("PEXPIRE", "missing", "100"), ("EXPIREAT", "missing", "1"),
        ("TTL", "missing"), ("PTTL", "missing"), ("EXPIRETIME", "missing"), ("PEXPIRETIME", "missing"),
        ("SET", "p", "v"), ("EXPIRETIME", "p"), ("PEXPIRETIME", "p"),
    ],
    "expire_delete_immediately": [
        ("MSET", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5"), ("EXPIRE", "a", "0"),
        ("PEXPIRE", "b", "-1"), ("EXPIREAT", "c", str(PAST)), ("PEXPIREAT", "d", "0"),
        ("EXPIRE", "e", "-100"), ("EXISTS", "a", "b", "c", "d", "e"), ("DBSIZE",), ("KEYS", "*"),
    ],
    "expire_errors": [
        ("SET", "k", "v"), ("EXPIRE", "k", "abc"), ("EXPIRE", "k", "1.5"), ("EXPIRE", "k", ""),
        ("EXPIRE", "k"), ("EXPIRE",), ("PEXPIRE", "k", "x"), ("EXPIREAT", "k", "x"),
        ("PEXPIREAT", "k", "x"), ("EXPIRE", "k", "100", "FOO"), ("EXPIRE", "k", "100", "NX", "XX"),
        ("EXPIRE", "k", "100", "GT", "LT"), ("EXPIRE", "k", "100", "NX", "GT"),
        ("EXPIRE", "k", "100", "NX", "LT"), ("PEXPIRE", "k", "100", "XX", "NX"),
        ("EXPIRE", "k", "9223372036854775807"), ("EXPIRE", "k", "9223372036854775"),
        ("EXPIRE", "k", "-9223372036854775808"), ("PEXPIRE", "k", "9223372036854775807"),
        ("EXPIREAT", "k", "9223372036854775807"), ("EXPIRE", "k", "9223372036854775808"),
        ("TTL", "k"), ("TTL",), ("PTTL", "a", "b"), ("EXPIRETIME",), ("PEXPIRETIME", "a", "b"),
        ("GET", "k"),
    ],
    "expire_nx_xx_gt_lt": [
        ("SET", "k", "v"), ("EXPIRE", "k", "100", "XX"), ("TTL", "k"), ("EXPIRE", "k", "100", "GT"),
        ("TTL", "k"), ("EXPIRE", "k", "100", "LT"), ("TTL", "k"), ("EXPIRE", "k", "200", "NX"),
        ("TTL", "k"), ("EXPIRE", "k", "300", "XX"), ("TTL", "k"), ("EXPIRE", "k", "200", "GT"),
        ("TTL", "k"), ("EXPIRE", "k", "400", "GT"), ("TTL", "k"), ("EXPIRE", "k", "500", "LT"),
        ("TTL", "k"), ("EXPIRE", "k", "50", "lt"), ("TTL", "k"), ("EXPIRE", "k", "50", "nx"),
        ("PEXPIRE", "k", "10000", "XX", "LT"), ("PTTL", "k"), ("PEXPIRE", "k", "90000", "XX", "GT"),
        ("PTTL", "k"), ("EXPIREAT", "k", str(FUTURE), "GT"), ("EXPIRETIME", "k"),
        ("PEXPIREAT", "k", str(FUTURE * 1000 - 5000), "LT"), ("PEXPIRETIME", "k"),
        ("EXPIRE", "missing", "10", "XX"), ("EXPIRE", "missing", "10", "NX"),
        ("PERSIST", "k"), ("EXPIRE", "k", "10", "GT", "XX"), ("TTL", "k"),
        ("EXPIRE", "k", "-1", "NX"), ("EXISTS", "k"), ("SET", "k", "v", "EX", "100"),
        ("EXPIRE", "k", "-1", "GT"), ("EXISTS", "k"), ("EXPIRE", "k", "-1", "LT"), ("EXISTS", "k"),
    ],
    "persist": [
        ("SET", "k", "v", "EX", "100"), ("PERSIST", "k"), ("TTL", "k"), ("PERSIST", "k"),
        ("PERSIST", "missing"), ("PERSIST",), ("PERSIST", "a", "b"), ("GET", "k"),
        ("SET", "k", "v", "PX", "100000"), ("SET", "k", "w"), ("TTL", "k"),
    ],
    "keys_glob": [("MSET", *[x for k in GLOB_KEYS for x in (k, "v")])]
    + [("KEYS", p) for p in GLOB_PATTERNS] + [("KEYS",), ("KEYS", "a", "b")],
    "keys_many_and_expired": [
        ("MSET", *MANY), ("KEYS", "*"), ("KEYS", "user:*"), ("KEYS", "item:1?"), ("KEYS", "*:[0-2]"),
        ("EXPIRE", "item:0", "0"), ("SET", "vol", "v", "EX", "100"), ("KEYS", "item:*"), ("KEYS", "vol"),
    ],
    "scan": [
        ("SCAN", "0"), ("MSET", *MANY), ("SET", "ttl", "v", "EX", "100"), ("SCAN", "0"),
        ("SCAN", "0", "COUNT", "1"), ("SCAN", "0", "COUNT", "7"), ("SCAN", "0", "COUNT", "1000"),
        ("SCAN", "0", "MATCH", "user:*"), ("SCAN", "0", "MATCH", "item:1*", "COUNT", "3"),
        ("SCAN", "0", "MATCH", "nomatch*"), ("SCAN", "0", "match", "*:5?", "count", "2"),
        ("SCAN", "0", "TYPE", "string"), ("SCAN", "0", "TYPE", "STRING"), ("SCAN", "0", "TYPE", "hash"),
        ("SCAN", "0", "TYPE", "nosuchtype"), ("SCAN", "0", "MATCH", "user:1*", "TYPE", "string", "COUNT", "5"),
        ("SCAN", "0", "MATCH", "a", "MATCH", "user:2*"), ("SCAN", "0", "COUNT", "1", "COUNT", "50"),
    ],
    "scan_errors": [
        ("SET", "k", "v"), ("SCAN", "abc"), ("SCAN", "1.5"), ("SCAN", ""), ("SCAN", "18446744073709551616"),
        ("SCAN", "0", "COUNT", "0"), ("SCAN", "0", "COUNT", "-1"), ("SCAN", "0", "COUNT", "abc"),
        ("SCAN", "0", "COUNT"), ("SCAN", "0", "MATCH"), ("SCAN", "0", "TYPE"), ("SCAN", "0", "FOO"),
        ("SCAN", "0", "FOO", "bar"), ("SCAN",),
    ],
    "randomkey": [
        ("RANDOMKEY",), ("SET", "only", "v"), ("RANDOMKEY",), ("MSET", *MANY), ("RANDOMKEY",),
        ("RANDOMKEY",), ("RANDOMKEY",), ("FLUSHDB",), ("RANDOMKEY",), ("RANDOMKEY", "x"),
    ],
    "rename": [
        ("SET", "a", "1"), ("RENAME", "a", "b"), ("EXISTS", "a", "b"), ("GET", "b"),
        ("RENAME", "b", "b"), ("GET", "b"), ("RENAME", "missing", "x"), ("RENAME", "missing", "missing"),
        ("SET", "c", "3"), ("RENAME", "b", "c"), ("GET", "c"), ("EXISTS", "b"),
        ("SET", "t", "v", "EX", "100"), ("RENAME", "t", "t2"), ("TTL", "t2"), ("TTL", "t"),
        ("SET", "plain", "p"), ("RENAME", "plain", "t2"), ("TTL", "t2"), ("GET", "t2"),
        ("RENAME", "a"), ("RENAME", "a", "b", "c"), ("RENAME",),
    ],
    "rename_many": [("MSET", *MANY)] + [("RENAME", "user:%d" % i, "moved:%d" % i) for i in range(1, 40, 3)]
    + [("KEYS", "moved:*"), ("KEYS", "user:*"), ("MGET", *["moved:%d" % i for i in range(1, 40, 3)])],
    "renamenx": [
        ("SET", "a", "1"), ("SET", "b", "2"), ("RENAMENX", "a", "b"), ("MGET", "a", "b"),
        ("RENAMENX", "a", "c"), ("MGET", "a", "c"), ("RENAMENX", "c", "c"), ("GET", "c"),
        ("RENAMENX", "missing", "x"), ("RENAMENX", "missing", "b"),
        ("SET", "t", "v", "PX", "100000"), ("RENAMENX", "t", "t2"), ("PTTL", "t2"),
        ("RENAMENX", "t2"), ("RENAMENX",),
    ],
    "copy": [
        ("SET", "a", "1"), ("COPY", "a", "b"), ("MGET", "a", "b"), ("COPY", "a", "b"),
        ("SET", "a", "2"), ("COPY", "a", "b", "REPLACE"), ("GET", "b"), ("COPY", "a", "a"),
        ("COPY", "a", "a", "REPLACE"), ("COPY", "missing", "x"), ("EXISTS", "x"),
        ("COPY", "a", "b", "DB", "1"), ("SELECT", "1"), ("GET", "b"), ("COPY", "b", "b", "DB", "0"),
        ("SELECT", "0"), ("GET", "b"), ("COPY", "a", "b", "DB", "1", "REPLACE"), ("COPY", "a", "a", "DB", "0"),
        ("COPY", "a", "a", "DB", "2"), ("SELECT", "2"), ("GET", "a"), ("SELECT", "0"),
        ("SET", "t", "v", "EX", "100"), ("COPY", "t", "t2"), ("TTL", "t2"), ("COPY", "a", "t2", "REPLACE"),
        ("TTL", "t2"), ("SET", "n", "12"), ("COPY", "n", "n2"), ("OBJECT", "ENCODING", "n2"), ("INCR", "n2"),
        ("GET", "n"), ("COPY", "a", "b", "DB", "16"), ("COPY", "a", "b", "DB", "-1"),
        ("COPY", "a", "b", "DB", "abc"), ("COPY", "a", "b", "DB"), ("COPY", "a", "b", "FOO"),
        ("COPY", "a"), ("COPY",), ("COPY", "missing", "b", "DB", "16"),
    ],
    "move": [
        ("SET", "a", "1"), ("MOVE", "a", "1"), ("EXISTS", "a"), ("SELECT", "1"), ("GET", "a"),
        ("SELECT", "0"), ("SET", "a", "0"), ("MOVE", "a", "1"), ("GET", "a"), ("MOVE", "missing", "1"),
        ("MOVE", "a", "0"), ("MOVE", "a", "16"), ("MOVE", "a", "-1"), ("MOVE", "a", "abc"),
        ("SET", "t", "v", "EX", "100"), ("MOVE", "t", "3"), ("SELECT", "3"), ("TTL", "t"),
        ("MOVE", "t", "0"), ("SELECT", "0"), ("TTL", "t"), ("MOVE", "a"), ("MOVE", "a", "1", "2"),
    ],
    "object": [
        ("SET", "i", "123"), ("SET", "neg", "-1"), ("SET", "big", "10000"), ("SET", "huge", "12345678901234567890"),
        ("SET", "lz", "0123"), ("SET", "sp", " 1"), ("SET", "e", "abc"), ("SET", "e44", "x" * 44),
        ("SET", "r45", "x" * 45), ("SET", "empty", ""), ("SET", "flt", "1.5"),
        ("SET", "maxi", "9223372036854775807"), ("SET", "mini", "-9223372036854775808"),
        *[("OBJECT", "ENCODING", k) for k in ("i", "neg", "big", "huge", "lz", "sp", "e", "e44",
                                               "r45", "empty", "flt", "maxi", "mini", "missing")],
        ("APPEND", "e", "d"), ("OBJECT", "ENCODING", "e"), ("INCR", "i"), ("OBJECT", "ENCODING", "i"),
        ("APPEND", "i", "4"), ("OBJECT", "ENCODING", "i"), ("INCR", "i"), ("OBJECT", "ENCODING", "i"),
        ("SETRANGE", "e44", "0", "y"), ("OBJECT", "ENCODING", "e44"), ("INCRBYFLOAT", "f", "1.5"),
        ("OBJECT", "ENCODING", "f"), ("SETRANGE", "sr", "0", "1"), ("OBJECT", "ENCODING", "sr"),
        ("OBJECT", "REFCOUNT", "e"), ("OBJECT", "REFCOUNT", "missing"), ("OBJECT", "FREQ", "e"),
        ("OBJECT", "FREQ", "missing"), ("OBJECT", "ENCODING"), ("OBJECT", "NOSUCHSUB", "e"), ("OBJECT",),
        ("OBJECT", "ENCODING", "a", "b"),
    ],
    "dbsize_flush": [
        ("DBSIZE",), ("MSET", *MANY), ("DBSIZE",), ("SELECT", "1"), ("SET", "x", "1"), ("DBSIZE",),
        ("FLUSHDB",), ("DBSIZE",), ("SET", "x", "1"), ("SELECT", "0"), ("DBSIZE",), ("FLUSHDB", "ASYNC"),
        ("DBSIZE",), ("SELECT", "1"), ("DBSIZE",), ("SELECT", "0"), ("MSET", "a", "1", "b", "2"),
        ("FLUSHDB", "SYNC"), ("DBSIZE",), ("FLUSHDB", "FOO"), ("FLUSHDB", "ASYNC", "SYNC"),
        ("DBSIZE", "x"), ("SET", "a", "1"), ("SELECT", "2"), ("SET", "b", "2"), ("FLUSHALL", "ASYNC"),
        ("DBSIZE",), ("SELECT", "0"), ("DBSIZE",), ("SET", "a", "1"), ("FLUSHALL", "SYNC"), ("DBSIZE",),
        ("FLUSHALL", "FOO"), ("FLUSHALL", "SYNC", "x"), ("flushall", "async"),
    ],
    "swapdb": [
        ("SET", "a", "db0"), ("SET", "t", "v", "EX", "100"), ("SELECT", "1"), ("SET", "b", "db1"),
        ("SWAPDB", "0", "1"), ("KEYS", "*"), ("TTL", "t"), ("GET", "a"), ("SELECT", "0"), ("KEYS", "*"),
        ("SWAPDB", "1", "0"), ("KEYS", "*"), ("SWAPDB", "0", "0"), ("KEYS", "*"), ("SWAPDB", "0", "15"),
        ("DBSIZE",), ("SELECT", "15"), ("DBSIZE",), ("SELECT", "0"), ("SWAPDB", "15", "0"),
        ("SWAPDB", "0", "16"), ("SWAPDB", "-1", "0"), ("SWAPDB", "a", "1"), ("SWAPDB", "0", "b"),
        ("SWAPDB", "0"), ("SWAPDB",), ("SWAPDB", "0", "1", "2"), ("KEYS", "*"),
    ],
}


@pytest.mark.parametrize("name", CASES)
def test_keys(diff, name):
    diff(CASES[name])


def test_swapdb_seen_by_other_connection(diff, servers):
    """SWAPDB is global: a second connection on db 0 sees the swapped data."""
    diff([("SET", "a", "db0"), ("SELECT", "1"), ("SET", "b", "db1"), ("SWAPDB", "0", "1")])
    others = [srv.connect() for srv in servers]
    try:
        replies = [(c.send("KEYS", "*"), c.send("SWAPDB", "0", "1"), c.send("KEYS", "*"))
                   for c in others]
        assert replies[1] == replies[0], "redis: %r\ntessera: %r" % tuple(replies)
    finally:
        for c in others:
            c.close()
