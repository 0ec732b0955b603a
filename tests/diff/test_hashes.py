"""Hash commands, replies diffed against redis-server.

A small hash is a listpack in Redis and keeps insertion order, so HGETALL,
HKEYS, HVALS, HSCAN and a whole-hash HRANDFIELD are compared exactly while
small; once a hash is a hashtable, order is unspecified and they are compared
unordered (HSCAN as a full iteration). Cases that lower the encoding
thresholds put them back after every test (see `restore_thresholds`).
"""
import os
import random

import pytest

from harness import COMPARE, exact, run, shape, unordered

MANY = [x for i in range(513) for x in ("f%d" % i, "v%d" % i)]
V64, V65 = "v" * 64, "v" * 65


def thresholds(entries, value):
    return [("CONFIG", "SET", "hash-max-listpack-entries", str(entries)),
            ("CONFIG", "SET", "hash-max-listpack-value", str(value))]


CASES = {
    "hset_hget_basic": [
        ("HSET", "h", "f", "v"), ("HGET", "h", "f"), ("HGET", "h", "nofield"), ("HGET", "nokey", "f"),
        ("HSET", "h", "f", "v2", "g", "w", "h", "x"), ("HGET", "h", "f"), ("HLEN", "h"),
        ("HSET", "h", "a", "1", "a", "2", "b", "3"), ("HGET", "h", "a"), ("HGETALL", "h"),
        ("HSET", "h", "", ""), ("HGET", "h", ""), ("HSTRLEN", "h", ""), ("HEXISTS", "h", ""),
        ("HSET", "bin", b"\x00\xff\r\n", b"\x01\x00"), ("HGET", "bin", b"\x00\xff\r\n"), ("HGETALL", "bin"),
        ("HMSET", "m", "a", "1", "b", "2"), ("HMSET", "m", "a", "3"), ("HGETALL", "m"), ("TYPE", "m"),
        ("HSET", "h", "odd"), ("HSET", "h", "a", "1", "b"), ("HMSET", "h", "a", "1", "b"), ("HSET", "h"),
        ("HMSET", "h", "a"), ("hset", "lower", "F", "V"), ("HgEt", "lower", "F"), ("HGET", "lower", "f"),
        ("EXISTS", "nokey"),
    ],
    "hsetnx": [
        ("HSETNX", "h", "f", "v"), ("HSETNX", "h", "f", "v2"), ("HGET", "h", "f"), ("HSETNX", "h", "g", ""),
        ("HGETALL", "h"), ("HSETNX", "h", "f"), ("HSETNX", "h", "f", "v", "x"), ("HSETNX", "h"),
    ],
    "hmget": [
        ("HSET", "h", "a", "1", "b", "2"), ("HMGET", "h", "a", "b", "c", "a"), ("HMGET", "nokey", "a", "b"),
        ("HMGET", "h", "c"), ("HMGET", "h"), ("HMGET", "h", ""),
    ],
    "order_after_updates_and_deletes": [
        ("HSET", "h", "c", "3", "a", "1", "b", "2", "d", "4"), ("HKEYS", "h"), ("HVALS", "h"),
        ("HSET", "h", "a", "a much longer value now"), ("HSET", "h", "c", ""), ("HGETALL", "h"),
        ("HDEL", "h", "b"), ("HSET", "h", "b", "again"), ("HGETALL", "h"), ("HKEYS", "h"), ("HVALS", "h"),
        ("HKEYS", "nokey"), ("HVALS", "nokey"), ("HGETALL", "nokey"), ("HLEN", "nokey"),
        ("HKEYS",), ("HVALS", "h", "x"), ("HGETALL", "h", "x"), ("HLEN",), ("HLEN", "h", "x"),
    ],
    "hdel": [
        ("HSET", "h", "a", "1", "b", "2", "c", "3"), ("HDEL", "h", "a"), ("HDEL", "h", "a"),
        ("HDEL", "h", "b", "b", "zz"), ("HGETALL", "h"), ("HDEL", "nokey", "a"), ("EXISTS", "h"),
        ("HDEL", "h", "c"), ("EXISTS", "h"), ("HGETALL", "h"), ("HDEL", "h"), ("HDEL",),
        ("HSET", "t", "f", "v"), ("EXPIRE", "t", "100"), ("HDEL", "t", "f"), ("TTL", "t"),
    ],
    "hexists_hstrlen_hlen": [
        ("HSET", "h", "a", "hello", "n", "12345", "e", ""), ("HEXISTS", "h", "a"), ("HEXISTS", "h", "x"),
        ("HEXISTS", "nokey", "a"), ("HSTRLEN", "h", "a"), ("HSTRLEN", "h", "n"), ("HSTRLEN", "h", "e"),
        ("HSTRLEN", "h", "x"), ("HSTRLEN", "nokey", "a"), ("HLEN", "h"), ("HEXISTS", "h"),
        ("HEXISTS", "h", "a", "b"), ("HSTRLEN", "h"), ("HSTRLEN", "h", "a", "b"),
    ],
    "wrongtype": [
        ("SET", "s", "x"), ("HSET", "s", "f", "v"), ("HSETNX", "s", "f", "v"), ("HMSET", "s", "f", "v"),
        ("HGET", "s", "f"), ("HMGET", "s", "f"), ("HGETALL", "s"), ("HKEYS", "s"), ("HVALS", "s"),
        ("HLEN", "s"), ("HEXISTS", "s", "f"), ("HSTRLEN", "s", "f"), ("HDEL", "s", "f"),
        ("HINCRBY", "s", "f", "1"), ("HINCRBYFLOAT", "s", "f", "1"), ("HRANDFIELD", "s"),
        ("HRANDFIELD", "s", "1"), ("HRANDFIELD", "s", "0"), ("HRANDFIELD", "s", "-1", "WITHVALUES"),
        ("HSCAN", "s", "0"), ("HSCAN", "s", "0", "BOGUS"),
        # Argument errors that Redis reports before looking at the key.
        ("HINCRBY", "s", "f", "x"), ("HINCRBYFLOAT", "s", "f", "x"), ("HINCRBYFLOAT", "s", "f", "inf"),
        ("HRANDFIELD", "s", "x"), ("HRANDFIELD", "s", "1", "FOO"), ("HSCAN", "s", "x"),
        ("HSET", "s", "f"), ("GET", "s"),
        ("HSET", "h", "f", "v"), ("GET", "h"), ("INCR", "h"), ("TYPE", "h"),
    ],
    "hincrby": [
        ("HINCRBY", "h", "n", "5"), ("HINCRBY", "h", "n", "-7"), ("HGET", "h", "n"), ("HINCRBY", "new", "f", "0"),
        ("HGETALL", "new"), ("HSET", "h", "s", "abc", "f", "1.5", "sp", " 1", "z", "007", "neg", "-0"),
        ("HINCRBY", "h", "s", "1"), ("HINCRBY", "h", "f", "1"), ("HINCRBY", "h", "sp", "1"),
        ("HINCRBY", "h", "z", "1"), ("HINCRBY", "h", "neg", "1"), ("HINCRBY", "h", "n", "x"),
        ("HINCRBY", "h", "n", "1.0"), ("HINCRBY", "h", "n", ""), ("HINCRBY", "h", "n", " 1"),
        ("HINCRBY", "h", "n", "99999999999999999999"),
        ("HSET", "h", "max", "9223372036854775807", "min", "-9223372036854775808"),
        ("HINCRBY", "h", "max", "1"), ("HINCRBY", "h", "max", "0"), ("HINCRBY", "h", "min", "-1"),
        ("HINCRBY", "h", "min", "9223372036854775807"), ("HINCRBY", "h", "max", "-9223372036854775808"),
        ("HINCRBY", "h", "n", "-9223372036854775808"), ("HINCRBY", "h", "n", "9223372036854775807"),
        ("HGETALL", "h"), ("HINCRBY", "h", "n"), ("HINCRBY", "h", "n", "1", "2"),
        ("HSET", "t", "c", "1"), ("EXPIRE", "t", "100"), ("HINCRBY", "t", "c", "1"), ("TTL", "t"),
    ],
    "hincrbyfloat": [
        ("HINCRBYFLOAT", "h", "f", "0.1"), ("HINCRBYFLOAT", "h", "f", "0.2"), ("HINCRBYFLOAT", "h", "f", "-0.3"),
        ("HINCRBYFLOAT", "h", "f", "10.5"), ("HINCRBYFLOAT", "h", "f", "1e3"), ("HINCRBYFLOAT", "h", "f", "-0"),
        ("HINCRBYFLOAT", "h", "f", "3.0e3"), ("HINCRBYFLOAT", "h", "f", "1.5E2"), ("HGET", "h", "f"),
        ("HINCRBYFLOAT", "new", "f", "5e-20"), ("HGETALL", "new"),
        ("HSET", "h", "i", "9223372036854775807", "s", "abc", "sp", " 1", "inf", "inf", "e", ""),
        ("HINCRBYFLOAT", "h", "i", "1"), ("HINCRBYFLOAT", "h", "s", "1"), ("HINCRBYFLOAT", "h", "sp", "1"),
        ("HINCRBYFLOAT", "h", "inf", "1"), ("HINCRBYFLOAT", "h", "e", "1"),
        ("HINCRBYFLOAT", "h", "f", "x"), ("HINCRBYFLOAT", "h", "f", ""), ("HINCRBYFLOAT", "h", "f", " 1"),
        ("HINCRBYFLOAT", "h", "f", "1 "), ("HINCRBYFLOAT", "h", "f", "inf"), ("HINCRBYFLOAT", "h", "f", "-inf"),
        ("HINCRBYFLOAT", "h", "f", "nan"), ("HINCRBYFLOAT", "h", "f", "1e5000"),
        ("HINCRBYFLOAT", "h", "big", "1e308"), ("HINCRBYFLOAT", "h", "big", "1e308"),
        ("HINCRBYFLOAT", "h", "huge", "1.1e4932"), ("HINCRBYFLOAT", "h", "huge", "1.1e4932"),
        ("HINCRBYFLOAT", "h", "f", "1.7e4932"), ("HGET", "h", "f"), ("HINCRBYFLOAT", "h", "f"),
        ("HINCRBYFLOAT", "h", "f", "1", "2"),
        ("HSET", "t", "c", "1"), ("EXPIRE", "t", "100"), ("HINCRBYFLOAT", "t", "c", "1.5"), ("TTL", "t"),
    ],
    "encoding_by_entries": thresholds(4, 64) + [
        ("HSET", "h", "a", "1", "b", "2", "c", "3", "d", "4"), ("OBJECT", "ENCODING", "h"),
        ("HSET", "h", "a", "5"), ("OBJECT", "ENCODING", "h"), ("HSET", "h", "e", "5"),
        ("OBJECT", "ENCODING", "h"), unordered("HGETALL", "h"), unordered("HKEYS", "h"),
        unordered("HVALS", "h"), ("HLEN", "h"), ("HGET", "h", "e"), ("HDEL", "h", "a", "b", "c"),
        ("OBJECT", "ENCODING", "h"), unordered("HGETALL", "h"),
        # A lowered threshold applies at the next write of any kind, an update included.
        ("HSET", "g", "a", "1", "b", "2", "c", "3"), ("CONFIG", "SET", "hash-max-listpack-entries", "2"),
        ("OBJECT", "ENCODING", "g"), ("HGET", "g", "a"), ("HSETNX", "g", "a", "x"),
        ("OBJECT", "ENCODING", "g"), ("HSET", "g", "a", "9"), ("OBJECT", "ENCODING", "g"),
        ("CONFIG", "SET", "hash-max-ziplist-entries", "0"), ("HSET", "z", "a", "1"), ("OBJECT", "ENCODING", "z"),
        ("CONFIG", "SET", "hash-max-listpack-entries", "3"),
        ("HINCRBY", "i", "a", "1"), ("HINCRBY", "i", "b", "1"), ("HINCRBY", "i", "c", "1"),
        ("OBJECT", "ENCODING", "i"), ("HINCRBYFLOAT", "i", "d", "1.5"), ("OBJECT", "ENCODING", "i"),
    ],
    "encoding_by_length": thresholds(512, 8) + [
        ("HSET", "h", "f", "12345678"), ("OBJECT", "ENCODING", "h"), ("HSET", "h", "f", "123456789"),
        ("OBJECT", "ENCODING", "h"), ("HSET", "k", "123456789", "v"), ("OBJECT", "ENCODING", "k"),
        ("HSET", "n", "a", "1"), ("HSETNX", "n", "a", "a very long value"), ("OBJECT", "ENCODING", "n"),
        ("HSETNX", "n", "b", "a very long value"), ("OBJECT", "ENCODING", "n"),
        ("HSET", "i", "a", "1"), ("HINCRBY", "i", "a", "99999999"), ("OBJECT", "ENCODING", "i"),
        ("HSET", "j", "a", "1"), ("HINCRBY", "j", "long field name", "1"), ("OBJECT", "ENCODING", "j"),
        ("HSET", "fl", "a", "1"), ("HINCRBYFLOAT", "fl", "a", "0.125"), ("OBJECT", "ENCODING", "fl"),
        ("HINCRBYFLOAT", "fl", "a", "0.0009765625"), ("OBJECT", "ENCODING", "fl"), ("HGET", "fl", "a"),
        ("HSET", "m", "a", "1", "b", "2"), ("HMSET", "m", "a", "way too long"), ("OBJECT", "ENCODING", "m"),
        unordered("HGETALL", "m"), ("HDEL", "m", "a"), ("OBJECT", "ENCODING", "m"), ("HGETALL", "m"),
    ],
    "encoding_default_thresholds": [
        ("HSET", "h", *MANY[:1024]), ("OBJECT", "ENCODING", "h"), ("HLEN", "h"), ("HGETALL", "h"),
        ("HSET", "h", "f512", "v"), ("OBJECT", "ENCODING", "h"), ("HLEN", "h"), unordered("HKEYS", "h"),
        ("HSET", "big", *MANY), ("OBJECT", "ENCODING", "big"), ("HLEN", "big"), unordered("HGETALL", "big"),
        ("HSET", "v", "f", V64, V64, "x"), ("OBJECT", "ENCODING", "v"), ("HSET", "v", "g", V65),
        ("OBJECT", "ENCODING", "v"), unordered("HGETALL", "v"),
        ("HSET", "w", V65, "x"), ("OBJECT", "ENCODING", "w"),
    ],
    "copy_rename_and_ttl": thresholds(4, 64) + [
        ("HSET", "a", "x", "1", "y", "2"), ("COPY", "a", "b"), ("HSET", "b", "z", "3"), ("HGETALL", "a"),
        ("HGETALL", "b"), ("OBJECT", "ENCODING", "b"),
        ("HSET", "c", "1", "1", "2", "2", "3", "3", "4", "4", "5", "5"), ("COPY", "c", "d"),
        ("OBJECT", "ENCODING", "d"), ("HDEL", "d", "1"), ("HLEN", "c"), ("HLEN", "d"), unordered("HKEYS", "d"),
        ("RENAME", "c", "e"), unordered("HGETALL", "e"), ("EXISTS", "c"), ("RENAME", "a", "c"), ("HGETALL", "c"),
        ("EXPIRE", "c", "100"), ("HSET", "c", "w", "0"), ("TTL", "c"), ("HDEL", "c", "x", "y", "w"),
        ("TTL", "c"), ("EXISTS", "c"), ("TYPE", "e"), ("DEL", "b", "d", "e"), ("HLEN", "e"),
    ],
    "hrandfield_listpack": [
        ("HSET", "h", "a", "1", "b", "2", "c", "3"),
        ("HRANDFIELD", "h", "3"), ("HRANDFIELD", "h", "5"), ("HRANDFIELD", "h", "3", "WITHVALUES"),
        ("HRANDFIELD", "h", "100", "withvalues"), ("HRANDFIELD", "h", "0"), ("HRANDFIELD", "h", "0", "WITHVALUES"),
        shape("HRANDFIELD", "h"), shape("HRANDFIELD", "h", "1"), shape("HRANDFIELD", "h", "2"),
        shape("HRANDFIELD", "h", "-5"), shape("HRANDFIELD", "h", "-5", "WITHVALUES"),
        shape("HRANDFIELD", "h", "2", "WITHVALUES"), shape("HRANDFIELD", "h", "-1"),
        ("HRANDFIELD", "nokey"), ("HRANDFIELD", "nokey", "5"), ("HRANDFIELD", "nokey", "-5", "WITHVALUES"),
        ("HRANDFIELD", "nokey", "0"), ("HRANDFIELD", "h", "x"), ("HRANDFIELD", "h", "1.5"),
        ("HRANDFIELD", "h", "1", "FOO"), ("HRANDFIELD", "h", "1", "WITHVALUES", "x"),
        ("HRANDFIELD", "h", "x", "FOO"), ("HRANDFIELD", "nokey", "1", "FOO"),
        ("HRANDFIELD", "h", "-9223372036854775808"), ("HRANDFIELD", "h", "-9223372036854775808", "x"),
        ("HRANDFIELD", "h", "9223372036854775808"),
        ("HRANDFIELD", "h", "4611686018427387904", "WITHVALUES"),
        ("HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES"),
        ("HRANDFIELD", "nokey", "4611686018427387904", "WITHVALUES"),
        ("HRANDFIELD", "h", "4611686018427387903", "WITHVALUES"), ("HRANDFIELD",),
    ],
    "hrandfield_hashtable": thresholds(4, 64) + [
        ("HSET", "h", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5", "f", "6"), ("OBJECT", "ENCODING", "h"),
        unordered("HRANDFIELD", "h", "6"), unordered("HRANDFIELD", "h", "60"),
        unordered("HRANDFIELD", "h", "6", "WITHVALUES"),
        shape("HRANDFIELD", "h"), shape("HRANDFIELD", "h", "1"), shape("HRANDFIELD", "h", "5"),
        shape("HRANDFIELD", "h", "-20"), shape("HRANDFIELD", "h", "-20", "WITHVALUES"),
        shape("HRANDFIELD", "h", "3", "WITHVALUES"), ("HRANDFIELD", "h", "0"),
    ],
    "hscan_listpack": [
        ("HSET", "h", "b", "2", "c", "3", "ab", "4", "", "e"), ("HSCAN", "h", "0"),
        ("HSCAN", "h", "0", "COUNT", "1"), ("HSCAN", "h", "7", "count", "1"), ("HSCAN", "h", "0", "MATCH", "a*"),
        ("HSCAN", "h", "0", "MATCH", "*"), ("HSCAN", "h", "0", "MATCH", "**"), ("HSCAN", "h", "0", "MATCH", "?"),
        ("HSCAN", "h", "0", "MATCH", "x*"), ("HSCAN", "h", "0", "MATCH", "*", "MATCH", "b*"),
        ("HSCAN", "h", "0", "match", "[ab]*", "COUNT", "100"), ("HSCAN", "h", "-1"), ("HSCAN", "h", ""),
        ("HSCAN", "h", "+5"), ("HSCAN", "h", "18446744073709551615"), ("HSCAN", "h", "18446744073709551616"),
        ("HSCAN", "h", " 1"), ("HSCAN", "h", "1x"), ("HSCAN", "h", "-"), ("HSCAN", "h", "0x1"),
        ("HSCAN", "h", "0", "COUNT", "0"), ("HSCAN", "h", "0", "COUNT", "-1"), ("HSCAN", "h", "0", "COUNT", "x"),
        ("HSCAN", "h", "0", "COUNT"), ("HSCAN", "h", "0", "MATCH"), ("HSCAN", "h", "0", "TYPE", "string"),
        ("HSCAN", "h", "0", "NOVALUES"), ("HSCAN", "h", "0", "FOO", "bar"),
        ("HSCAN", "nokey", "0"), ("HSCAN", "nokey", "0", "BOGUS"), ("HSCAN", "nokey", "x"),
        ("HSCAN", "h"), ("HSCAN",),
    ],
    "hscan_hashtable": thresholds(16, 64) + [
        ("HSET", "h", *MANY[:400]), ("OBJECT", "ENCODING", "h"), shape("HSCAN", "h", "0", "COUNT", "1000"),
        ("HSCAN", "h", "0", "COUNT", "0"),
        ("HSCAN", "h", "0", "MATCH"), ("HSCAN", "h", "x"),
    ],
    "resp3": [
        shape("HELLO", "3"), ("HSET", "h", "a", "1", "b", "2"), ("HGETALL", "h"), ("HGETALL", "nokey"),
        ("HGET", "h", "a"), ("HGET", "h", "x"), ("HMGET", "h", "a", "x"), ("HKEYS", "h"), ("HVALS", "h"),
        ("HRANDFIELD", "h", "2", "WITHVALUES"), ("HRANDFIELD", "h", "5", "WITHVALUES"), ("HRANDFIELD", "nokey"),
        ("HRANDFIELD", "nokey", "2", "WITHVALUES"), shape("HRANDFIELD", "h", "-3", "WITHVALUES"),
        shape("HRANDFIELD", "h", "1", "WITHVALUES"), ("HRANDFIELD", "h", "0", "WITHVALUES"),
        ("HINCRBYFLOAT", "h", "a", "0.5"), ("HINCRBY", "h", "b", "1"), ("HSCAN", "h", "0"),
        ("HSCAN", "nokey", "0"), ("HEXISTS", "h", "a"), ("HSTRLEN", "h", "a"), ("HSETNX", "h", "a", "x"),
        ("HMSET", "h", "c", "3"), ("HDEL", "h", "c"), ("HLEN", "h"),
    ],
}


@pytest.mark.parametrize("name", CASES)
def test_hashes(diff, name):
    diff(CASES[name])


def hscan_all(conn, *args):
    """HSCAN run to completion: ('*', sorted distinct pairs seen), or the
    first reply that is not a well-formed HSCAN reply."""
    args, pairs = list(args), set()
    for _ in range(100000):
        reply = conn.send(*args)
        if reply[0] != "*" or reply[1] is None or len(reply[1]) != 2:
            return reply
        (ctype, cursor), (btype, batch) = reply[1]
        if ctype != "$" or btype != "*" or len(batch) % 2:
            return reply
        pairs.update((batch[i][1], batch[i + 1][1]) for i in range(0, len(batch), 2))
        if cursor == b"0":
            return ("*", sorted(pairs))
        args[2] = cursor
    raise AssertionError("HSCAN did not terminate")


def test_hscan_hashtable_iterations(diff):
    diff(thresholds(16, 64) + [("HSET", "h", *MANY[:400]), ("OBJECT", "ENCODING", "h")])
    for opts in ([], ["COUNT", "1"], ["COUNT", "7", "MATCH", "f1*"], ["MATCH", "nomatch"], ["COUNT", "1000"],
                 ["MATCH", "*"], ["count", "3", "match", "f?"]):
        expected, got = (hscan_all(c, "HSCAN", "h", "0", *opts) for c in (diff.r, diff.t))
        assert expected == got, opts


def test_hscan_cursor_survives_changes(t):
    """Fields present for the whole scan are returned once, while others come
    and go and the table grows and shrinks between calls."""
    t.send("DEL", "h")
    t.send("HSET", "h", *MANY[:600])
    stable = {("f%d" % i).encode() for i in range(0, 300)}
    seen, cursor, step = [], b"0", 0
    while True:
        _, ((_, cursor), (_, batch)) = t.send("HSCAN", "h", cursor, "COUNT", "5")
        seen += [batch[i][1] for i in range(0, len(batch), 2)]
        step += 1
        t.send("HSET", "h", *[x for j in range(30) for x in ("new%d:%d" % (step, j), "v")])
        t.send("HDEL", "h", "f%d" % (300 + step), *["new%d:%d" % (step - 1, j) for j in range(0, 30, 2)])
        if cursor == b"0":
            break
    got = [f for f in seen if f in stable]
    assert sorted(got) == sorted(stable), "missed or repeated fields"


def test_hrandfield_samples(diff):
    """Random picks are real fields with their values: distinct for a positive
    count, possibly repeated for a negative one, and every field turns up."""
    t = diff.t
    for encoding, entries in (("listpack", 512), ("hashtable", 8)):
        t.send("CONFIG", "SET", "hash-max-listpack-entries", str(entries))
        t.send("DEL", "h")
        fields = {("f%d" % i).encode(): ("v%d" % i).encode() for i in range(20)}
        t.send("HSET", "h", *[x for kv in fields.items() for x in kv])
        assert t.send("OBJECT", "ENCODING", "h") == ("$", encoding.encode())
        seen = set()
        for count in (1, 2, 6, 7, 19):
            for _ in range(20):
                _, reply = t.send("HRANDFIELD", "h", str(count), "WITHVALUES")
                pairs = [(reply[i][1], reply[i + 1][1]) for i in range(0, len(reply), 2)]
                assert len(pairs) == count and len({f for f, _ in pairs}) == count
                assert all(fields[f] == v for f, v in pairs)
                seen.update(f for f, _ in pairs)
        assert seen == set(fields)
        _, reply = t.send("HRANDFIELD", "h", "-200")
        assert len(reply) == 200 and {f for _, f in reply} <= set(fields)
        assert len({f for _, f in reply}) < 200
        for _ in range(50):
            assert t.send("HRANDFIELD", "h")[1] in fields


# -- a seeded random stream ---------------------------------------------------

KEYS = ["h%d" % i for i in range(5)] + ["str"]
FIELDS = ["f%d" % i for i in range(12)] + ["", "a long field name!!"]
VALUES = ["", "0", "1", "-1", "42", "3.5", "0.1", "abc", " 1", "007", "9223372036854775807", "\x00\r\n"]
LONG_VALUES = ["a value longer than twenty", "x" * 70]
INTS = ["1", "-1", "0", "5", "100", "-100", "abc", "1.5", "", "9223372036854775807"]
FLOATS = ["0.5", "-1.5", "1e3", "0.1", "-0", "inf", "abc", "5", ""]
PATTERNS = ["*", "f1*", "f?", "*[0-3]", "nomatch", "a*"]
ORDERED_REPLIES = {"HGETALL", "HKEYS", "HVALS"}


def _gen(rng):
    k = lambda: rng.choice(KEYS)
    f = lambda: rng.choice(FIELDS)
    # Long values are rare, so hashes spend a while as listpacks before they convert.
    v = lambda: rng.choice(LONG_VALUES if rng.random() < 0.02 else VALUES)
    some = lambda: [f() for _ in range(rng.randint(1, 4))]
    gens = [
        (10, lambda: ["HSET", k()] + [x for fld in some() for x in (fld, v())]),
        (2, lambda: ["HMSET", k()] + [x for fld in some() for x in (fld, v())]),
        (3, lambda: ["HSETNX", k(), f(), v()]), (8, lambda: ["HGET", k(), f()]),
        (3, lambda: ["HMGET", k(), *some()]), (3, lambda: ["HGETALL", k()]), (2, lambda: ["HKEYS", k()]),
        (2, lambda: ["HVALS", k()]), (2, lambda: ["HLEN", k()]), (2, lambda: ["HEXISTS", k(), f()]),
        (2, lambda: ["HSTRLEN", k(), f()]), (6, lambda: ["HDEL", k(), *some()]),
        (4, lambda: ["HINCRBY", k(), f(), rng.choice(INTS)]),
        (4, lambda: ["HINCRBYFLOAT", k(), f(), rng.choice(FLOATS)]),
        (3, lambda: ["HRANDFIELD", k()] + rng.choice([[], [rng.choice(["0", "1", "3", "-4", "50"])],
                                                      [rng.choice(["2", "-6", "30"]), "WITHVALUES"]])),
        (2, lambda: ["HSCAN", k(), "0"] + rng.choice([[], ["MATCH", rng.choice(PATTERNS)], ["COUNT", "2"]])),
        (2, lambda: ["OBJECT", "ENCODING", k()]), (2, lambda: ["DEL", k()]), (0.5, lambda: ["SET", "str", v()]),
        (0.5, lambda: ["COPY", k(), k(), "REPLACE"]), (0.3, lambda: ["RENAME", k(), k()]),
    ]
    weights = [w for w, _ in gens]
    return lambda: rng.choices(gens, weights)[0][1]()


def _check_randfield(t, args, got):
    """An HRANDFIELD reply from Tessera holds real fields (and their values)."""
    if got[0] != "*" or len(args) == 2:
        return got[0] in "$" and (got[1] is None or t.send("HEXISTS", args[1], got[1]) == (":", 1))
    items = [x[1] for x in got[1]]
    fields = items[::2] if len(args) == 4 else items
    if len(args) == 4 and any(t.send("HGET", args[1], fl) != ("$", val) for fl, val in zip(items[::2], items[1::2])):
        return False
    count = int(args[2])
    if count > 0 and len(set(fields)) != len(fields):
        return False
    return all(t.send("HEXISTS", args[1], fl) == (":", 1) for fl in fields)


def run_stream(diff, cmds):
    r, t = diff.r, diff.t
    for c in (r, t):
        assert c.send("FLUSHALL") == ("+", b"OK")
        for cmd in thresholds(10, 20):
            c.send(*cmd)
    bad = []
    for i, args in enumerate(cmds):
        name = args[0]
        if name == "HSCAN":
            expected, got = hscan_all(r, *args), hscan_all(t, *args)
            if expected != got:
                bad.append((i, exact(*args), expected, got))
            continue
        if name == "HRANDFIELD":
            cmd = shape(*args)
        elif name in ORDERED_REPLIES:
            # Insertion order is part of the reply only while the hash is a listpack.
            enc = r.send("OBJECT", "ENCODING", args[1])
            cmd = unordered(*args) if enc == ("$", b"hashtable") else exact(*args)
        else:
            cmd = exact(*args)
        expected, got = run(r, cmd), run(t, cmd)
        ok = COMPARE[cmd.mode](expected, got, t)
        if ok and name == "HRANDFIELD" and expected[0] != "-":
            ok = _check_randfield(t, args, got)
        if not ok:
            bad.append((i, cmd, expected, got))
    if bad:
        first = bad[0][0]
        lines = ["%d of %d replies differ; before the first:" % (len(bad), len(cmds))]
        lines += ["  (%d) %r" % (j, cmds[j]) for j in range(max(0, first - 15), first)]
        lines += ["[%d] %r\n      redis:   %r\n      tessera: %r" % b for b in bad[:10]]
        raise AssertionError("\n".join(lines))


SEEDS = [11, 20240602] + ([int(os.environ["DIFF_SEED"])] if os.environ.get("DIFF_SEED") else [])


@pytest.mark.parametrize("seed", SEEDS)
def test_random_hash_stream(diff, seed):
    rng = random.Random(seed)
    gen = _gen(rng)
    run_stream(diff, [tuple(gen()) for _ in range(2000)])
