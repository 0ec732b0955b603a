"""List commands, replies diffed against redis-server."""
import os
import random

import pytest


BIN = b"\x00\xff\r\n\x80"
BIG = "x" * 20_000
WRONGTYPE_SETUP = [("SET", "s", "str")]
# A 10k-element list built in chunks, elements "e0".."e9999".
BIG_LIST = [("RPUSH", "big", *["e%d" % i for i in range(j, j + 1000)]) for j in range(0, 10_000, 1000)]

CASES = {
    "push_basic": [
        ("LPUSH", "l", "a"), ("LPUSH", "l", "b", "c"), ("RPUSH", "l", "d", "e", "f"), ("LRANGE", "l", "0", "-1"),
        ("LLEN", "l"), ("TYPE", "l"), ("OBJECT", "ENCODING", "l"), ("LLEN", "missing"),
        ("RPUSH", "bin", BIN, "", "", "12345", "-7", "9223372036854775807", "18446744073709551616", "3.5"),
        ("LRANGE", "bin", "0", "-1"), ("LINDEX", "bin", "1"), ("LLEN", "bin"),
        ("RPUSH", "huge", BIG, "small", BIG), ("LRANGE", "huge", "0", "-1"), ("LINDEX", "huge", "-1"),
        ("LPUSH", "l"), ("RPUSH", "l"), ("LPUSH",), ("LLEN",), ("LLEN", "l", "x"),
        ("lpush", "lower", "x"), ("RpUsH", "lower", "y"), ("LRANGE", "lower", "0", "-1"),
        *WRONGTYPE_SETUP, ("LPUSH", "s", "x"), ("RPUSH", "s", "x"), ("LLEN", "s"), ("GET", "s"),
    ],
    "pushx": [
        ("LPUSHX", "l", "a"), ("RPUSHX", "l", "a", "b"), ("EXISTS", "l"), ("RPUSH", "l", "x"),
        ("LPUSHX", "l", "a", "b"), ("RPUSHX", "l", "c", "d"), ("LRANGE", "l", "0", "-1"),
        ("LPUSHX", "l"), ("RPUSHX", "l"), *WRONGTYPE_SETUP, ("LPUSHX", "s", "x"), ("RPUSHX", "s", "x"),
    ],
    "pop": [
        ("RPUSH", "l", "a", "b", "c", "d", "e", "f"), ("LPOP", "l"), ("RPOP", "l"), ("LPOP", "l", "2"),
        ("RPOP", "l", "1"), ("LPOP", "l", "0"), ("RPOP", "l", "0"), ("LRANGE", "l", "0", "-1"),
        ("LPOP", "l", "-1"), ("RPOP", "l", "abc"), ("LPOP", "l", "1.5"), ("LPOP", "l", ""),
        ("LPOP", "l", "1", "2"), ("LPOP", "l", "-0"), ("LPOP", "l", "+1"), ("LPOP", "l", "01"), ("RPOP", "l", "1", "2"), ("LPOP",), ("RPOP",),
        ("LPOP", "l", "100"), ("EXISTS", "l"), ("LPOP", "l"), ("RPOP", "l"), ("LPOP", "l", "0"),
        ("RPOP", "l", "5"), ("LPOP", "l", "-1"),
        ("RPUSH", "l", "x", "y"), ("RPOP", "l", "9223372036854775807"), ("EXISTS", "l"),
        ("RPUSH", "l", "x"), ("RPOP", "l"), ("EXISTS", "l"), ("RPUSH", "l", "x"), ("LPOP", "l"), ("EXISTS", "l"),
        *WRONGTYPE_SETUP, ("LPOP", "s"), ("RPOP", "s", "1"), ("LPOP", "s", "0"), ("LPOP", "s", "-1"),
        ("RPOP", "s", "x"),
    ],
    "lrange": [
        ("RPUSH", "l", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9"),
        ("LRANGE", "l", "0", "-1"), ("LRANGE", "l", "0", "0"), ("LRANGE", "l", "-1", "-1"),
        ("LRANGE", "l", "2", "5"), ("LRANGE", "l", "-3", "-1"), ("LRANGE", "l", "5", "2"),
        ("LRANGE", "l", "-100", "100"), ("LRANGE", "l", "10", "20"), ("LRANGE", "l", "9", "100"),
        ("LRANGE", "l", "-1", "-2"), ("LRANGE", "l", "-11", "-10"), ("LRANGE", "l", "-11", "0"),
        ("LRANGE", "l", "-9223372036854775808", "9223372036854775807"),
        ("LRANGE", "l", "0", "-9223372036854775808"), ("LRANGE", "l", "9223372036854775807", "-1"),
        ("LRANGE", "missing", "0", "-1"), ("LRANGE", "missing", "a", "b"), ("LRANGE", "l", "a", "1"),
        ("LRANGE", "l", "0", "1.0"), ("LRANGE", "l", "0", "9223372036854775808"),
        ("LRANGE", "l", "0"), ("LRANGE", "l", "0", "1", "2"),
        *WRONGTYPE_SETUP, ("LRANGE", "s", "0", "-1"), ("LRANGE", "s", "x", "-1"),
    ],
    "lindex": [
        ("RPUSH", "l", "a", "b", "c"), ("LINDEX", "l", "0"), ("LINDEX", "l", "2"), ("LINDEX", "l", "3"),
        ("LINDEX", "l", "-1"), ("LINDEX", "l", "-3"), ("LINDEX", "l", "-4"), ("LINDEX", "l", "x"),
        ("LINDEX", "l", "9223372036854775807"), ("LINDEX", "l", "-0"), ("LINDEX", "l", "01"), ("LINDEX", "l", "+1"),
        ("LINDEX", "l", " 1"), ("LINDEX", "l", "-9223372036854775808"),
        ("LINDEX", "missing", "0"), ("LINDEX", "missing", "x"), ("LINDEX", "l"), ("LINDEX", "l", "0", "1"),
        *WRONGTYPE_SETUP, ("LINDEX", "s", "0"), ("LINDEX", "s", "x"),
    ],
    "lset": [
        ("RPUSH", "l", "a", "b", "c"), ("LSET", "l", "0", "A"), ("LSET", "l", "-1", "C"),
        ("LSET", "l", "1", ""), ("LRANGE", "l", "0", "-1"), ("LSET", "l", "3", "x"), ("LSET", "l", "-4", "x"),
        ("LSET", "l", "x", "y"), ("LSET", "missing", "0", "x"), ("LSET", "missing", "x", "x"),
        ("EXISTS", "missing"), ("LSET", "l", "1", BIG), ("LINDEX", "l", "1"), ("LSET", "l", "1", BIN),
        ("LRANGE", "l", "0", "-1"), ("LSET", "l", "0"), ("LSET", "l", "0", "a", "b"),
        *WRONGTYPE_SETUP, ("LSET", "s", "0", "x"), ("LSET", "s", "x", "x"),
    ],
    "linsert": [
        ("RPUSH", "l", "a", "b", "c"), ("LINSERT", "l", "BEFORE", "b", "x"), ("LINSERT", "l", "after", "b", "y"),
        ("LINSERT", "l", "before", "a", "first"), ("LINSERT", "l", "AFTER", "c", "last"),
        ("LRANGE", "l", "0", "-1"), ("LINSERT", "l", "BEFORE", "zz", "x"), ("LINSERT", "l", "MIDDLE", "b", "x"),
        ("LINSERT", "missing", "BEFORE", "a", "x"), ("LINSERT", "missing", "MIDDLE", "a", "x"),
        ("EXISTS", "missing"), ("RPUSH", "d", "p", "p"), ("LINSERT", "d", "AFTER", "p", "q"),
        ("LRANGE", "d", "0", "-1"), ("LINSERT", "l", "BEFORE", "", "e"), ("LINSERT", "l", "BEFORE", "a", ""),
        ("LINSERT", "l", "AFTER", "", BIN), ("LRANGE", "l", "0", "-1"),
        ("LINSERT", "l", "BEFORE", "a"), ("LINSERT", "l", "BEFORE", "a", "b", "c"),
        *WRONGTYPE_SETUP, ("LINSERT", "s", "BEFORE", "a", "x"), ("LINSERT", "s", "MIDDLE", "a", "x"),
    ],
    "lrem": [
        ("RPUSH", "l", "a", "b", "a", "c", "a", "b", "a"), ("LREM", "l", "2", "a"), ("LRANGE", "l", "0", "-1"),
        ("LREM", "l", "-1", "b"), ("LRANGE", "l", "0", "-1"), ("LREM", "l", "0", "a"), ("LRANGE", "l", "0", "-1"),
        ("LREM", "l", "0", "zz"), ("LREM", "l", "x", "a"), ("LREM", "l", "1.5", "a"),
        ("RPUSH", "m", "x", "y", "x", "y", "x"), ("LREM", "m", "-2", "x"), ("LRANGE", "m", "0", "-1"),
        ("LREM", "m", "-9223372036854775808", "y"), ("LRANGE", "m", "0", "-1"),
        ("LREM", "m", "9223372036854775807", "x"), ("EXISTS", "m"), ("LREM", "missing", "0", "a"),
        ("LREM", "missing", "x", "a"), ("RPUSH", "e", "", "", "a"), ("LREM", "e", "0", ""), ("LRANGE", "e", "0", "-1"),
        ("LREM", "l", "0"), ("LREM", "l", "0", "a", "b"),
        *WRONGTYPE_SETUP, ("LREM", "s", "0", "x"), ("LREM", "s", "x", "x"),
    ],
    "ltrim": [
        ("RPUSH", "l", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9"), ("LTRIM", "l", "1", "-2"),
        ("LRANGE", "l", "0", "-1"), ("LTRIM", "l", "-5", "100"), ("LRANGE", "l", "0", "-1"),
        ("LTRIM", "l", "-100", "2"), ("LRANGE", "l", "0", "-1"), ("LTRIM", "l", "1", "1"), ("LRANGE", "l", "0", "-1"),
        ("LTRIM", "l", "5", "10"), ("EXISTS", "l"), ("RPUSH", "l", "a", "b"), ("LTRIM", "l", "1", "0"),
        ("EXISTS", "l"), ("RPUSH", "l", "a", "b"), ("LTRIM", "l", "-1", "-2"), ("EXISTS", "l"),
        ("RPUSH", "l", "a", "b"), ("LTRIM", "l", "0", "-1"), ("LRANGE", "l", "0", "-1"),
        ("LTRIM", "l", "-9223372036854775808", "9223372036854775807"), ("LRANGE", "l", "0", "-1"),
        ("LTRIM", "missing", "0", "1"), ("LTRIM", "missing", "a", "1"), ("LTRIM", "l", "a", "1"),
        ("LTRIM", "l", "0", "b"), ("LTRIM", "l", "0"), ("LTRIM", "l", "0", "1", "2"),
        *WRONGTYPE_SETUP, ("LTRIM", "s", "0", "1"), ("LTRIM", "s", "x", "1"),
    ],
    "lpos": [
        ("RPUSH", "l", "a", "b", "c", "1", "2", "3", "c", "c"), ("LPOS", "l", "c"), ("LPOS", "l", "zz"),
        ("LPOS", "l", "c", "RANK", "2"), ("LPOS", "l", "c", "RANK", "-1"), ("LPOS", "l", "c", "RANK", "-3"),
        ("LPOS", "l", "c", "RANK", "4"), ("LPOS", "l", "c", "RANK", "-4"), ("LPOS", "l", "c", "COUNT", "2"),
        ("LPOS", "l", "c", "COUNT", "0"), ("LPOS", "l", "c", "COUNT", "0", "RANK", "2"),
        ("LPOS", "l", "c", "COUNT", "0", "RANK", "-1"), ("LPOS", "l", "c", "COUNT", "2", "RANK", "-2"),
        ("LPOS", "l", "c", "COUNT", "1", "MAXLEN", "3"), ("LPOS", "l", "c", "MAXLEN", "2"),
        ("LPOS", "l", "c", "RANK", "-1", "MAXLEN", "1"), ("LPOS", "l", "c", "RANK", "-1", "MAXLEN", "3", "COUNT", "0"),
        ("LPOS", "l", "c", "MAXLEN", "0"), ("LPOS", "l", "zz", "COUNT", "0"), ("LPOS", "l", "c", "rank", "1", "count", "5"),
        ("LPOS", "l", "c", "RANK", "9223372036854775807"), ("LPOS", "l", "c", "RANK", "-9223372036854775807"),
        ("LPOS", "l", "c", "RANK", "-9223372036854775808"), ("LPOS", "l", "c", "RANK", "-9223372036854775808", "COUNT", "1"),
        ("LPOS", "l", "c", "RANK", "0"), ("LPOS", "l", "c", "RANK", "x"), ("LPOS", "l", "c", "COUNT", "-1"),
        ("LPOS", "l", "c", "COUNT", "x"), ("LPOS", "l", "c", "MAXLEN", "-1"), ("LPOS", "l", "c", "MAXLEN", "x"),
        ("LPOS", "l", "c", "RANK"), ("LPOS", "l", "c", "FOO", "1"), ("LPOS", "l", "c", "COUNT", "-1", "RANK", "0"),
        ("LPOS", "l", "c", "RANK", "0", "COUNT", "-1"), ("LPOS", "l", "c", "RANK", "1", "RANK", "2"),
        ("LPOS", "missing", "c"), ("LPOS", "missing", "c", "COUNT", "1"), ("LPOS", "missing", "c", "RANK", "0"),
        ("LPOS", "l"), ("RPUSH", "e", "", BIN), ("LPOS", "e", ""), ("LPOS", "e", BIN),
        *WRONGTYPE_SETUP, ("LPOS", "s", "x"), ("LPOS", "s", "x", "RANK", "0"), ("LPOS", "s", "x", "FOO"),
    ],
    "lmove_rpoplpush": [
        ("RPUSH", "a", "1", "2", "3"), ("LMOVE", "a", "b", "LEFT", "RIGHT"), ("LMOVE", "a", "b", "right", "left"),
        ("LRANGE", "a", "0", "-1"), ("LRANGE", "b", "0", "-1"), ("LMOVE", "b", "a", "LEFT", "LEFT"),
        ("LMOVE", "b", "a", "RIGHT", "RIGHT"), ("LRANGE", "a", "0", "-1"), ("EXISTS", "b"),
        ("LMOVE", "missing", "a", "LEFT", "LEFT"), ("LMOVE", "a", "b", "UP", "LEFT"), ("LMOVE", "a", "b", "LEFT", "x"),
        ("LMOVE", "missing", "b", "UP", "LEFT"), ("LMOVE", "a", "b", "LEFT"), ("RPOPLPUSH", "a", "c"),
        ("RPOPLPUSH", "a", "c"), ("RPOPLPUSH", "a", "c"), ("RPOPLPUSH", "a", "c"), ("LRANGE", "c", "0", "-1"),
        ("EXISTS", "a"), ("RPOPLPUSH", "missing", "c"), ("RPOPLPUSH", "c"), ("RPOPLPUSH", "c", "d", "e"),
        *WRONGTYPE_SETUP, ("LMOVE", "s", "c", "LEFT", "LEFT"), ("LMOVE", "c", "s", "LEFT", "LEFT"),
        ("LRANGE", "c", "0", "-1"), ("LMOVE", "missing", "s", "LEFT", "LEFT"), ("RPOPLPUSH", "c", "s"),
        ("RPOPLPUSH", "s", "c"), ("RPOPLPUSH", "missing", "s"), ("LRANGE", "c", "0", "-1"),
    ],
    "lmove_same_key_rotates": [
        ("RPUSH", "l", "a", "b", "c"), ("LMOVE", "l", "l", "LEFT", "RIGHT"), ("LRANGE", "l", "0", "-1"),
        ("LMOVE", "l", "l", "RIGHT", "LEFT"), ("LMOVE", "l", "l", "LEFT", "LEFT"), ("LMOVE", "l", "l", "RIGHT", "RIGHT"),
        ("LRANGE", "l", "0", "-1"), ("RPOPLPUSH", "l", "l"), ("LRANGE", "l", "0", "-1"),
        ("RPUSH", "one", "x"), ("EXPIRE", "one", "100"), ("RPOPLPUSH", "one", "one"), ("TTL", "one"),
        ("LMOVE", "one", "one", "LEFT", "RIGHT"), ("TTL", "one"), ("LRANGE", "one", "0", "-1"),
        ("RPUSH", "src", "y"), ("EXPIRE", "src", "100"), ("RPUSH", "dst", "z"), ("EXPIRE", "dst", "200"),
        ("LMOVE", "src", "dst", "LEFT", "LEFT"), ("EXISTS", "src"), ("TTL", "dst"), ("LRANGE", "dst", "0", "-1"),
    ],
    "lmpop": [
        ("RPUSH", "a", "1", "2", "3", "4", "5"), ("LMPOP", "1", "a", "LEFT"), ("LMPOP", "1", "a", "RIGHT"),
        ("LMPOP", "1", "a", "left", "COUNT", "2"), ("LMPOP", "1", "a", "RIGHT", "count", "10"), ("EXISTS", "a"),
        ("LMPOP", "1", "a", "LEFT"), ("RPUSH", "c", "x", "y"), ("LMPOP", "3", "a", "b", "c", "LEFT"),
        ("LMPOP", "2", "c", "a", "RIGHT", "COUNT", "5"), ("LMPOP", "2", "c", "a", "RIGHT"),
        ("LMPOP", "0", "a", "LEFT"), ("LMPOP", "-1", "a", "LEFT"), ("LMPOP", "x", "a", "LEFT"),
        ("LMPOP", "1", "a", "MIDDLE"), ("LMPOP", "2", "a", "LEFT"), ("LMPOP", "3", "a", "LEFT"),
        ("LMPOP", "1", "a", "LEFT", "COUNT"), ("LMPOP", "1", "a", "LEFT", "COUNT", "0"),
        ("LMPOP", "1", "a", "LEFT", "COUNT", "-1"), ("LMPOP", "1", "a", "LEFT", "COUNT", "x"),
        ("LMPOP", "1", "a", "LEFT", "COUNT", "1", "COUNT", "1"), ("LMPOP", "1", "a", "LEFT", "FOO"),
        ("LMPOP", "9223372036854775807", "a", "LEFT"), ("LMPOP", "2147483648", "a", "LEFT"),
        ("LMPOP", "1", "a"), ("LMPOP", "1"), ("LMPOP",),
        *WRONGTYPE_SETUP, ("RPUSH", "l", "v"), ("LMPOP", "2", "missing", "s", "LEFT"),
        ("LMPOP", "2", "l", "s", "LEFT"), ("LMPOP", "2", "s", "l", "LEFT"), ("LMPOP", "2", "missing", "l", "LEFT"),
    ],
    "multi_shard": [
        ("RPUSH", "a", "1", "2"), ("RPUSH", "b", "3"), ("RPUSH", "c", "4", "5", "6"),
        ("LMOVE", "a", "b", "LEFT", "RIGHT"), ("LMOVE", "c", "d", "RIGHT", "LEFT"), ("RPOPLPUSH", "b", "e"),
        ("RPOPLPUSH", "a", "f"), ("EXISTS", "a"), ("LRANGE", "b", "0", "-1"), ("LRANGE", "d", "0", "-1"),
        ("LRANGE", "e", "0", "-1"), ("LRANGE", "f", "0", "-1"),
        ("LMPOP", "4", "a", "g", "h", "c", "LEFT", "COUNT", "5"), ("LMPOP", "5", "a", "g", "h", "i", "b", "RIGHT"),
        ("LMPOP", "3", "x", "y", "z", "LEFT"), ("LMPOP", "3", "e", "e", "f", "LEFT"), ("LMPOP", "2", "e", "f", "RIGHT"),
        ("SET", "s", "x"), ("LMOVE", "f", "s", "LEFT", "LEFT"), ("LMOVE", "s", "f", "LEFT", "LEFT"),
        ("LMPOP", "3", "x", "s", "f", "LEFT"), ("EXISTS", "a", "b", "c", "d", "e", "f"),
    ],
    "big_list": [
        *BIG_LIST, ("LLEN", "big"), ("LINDEX", "big", "0"), ("LINDEX", "big", "5000"), ("LINDEX", "big", "-1"),
        ("LINDEX", "big", "-5000"), ("LRANGE", "big", "4990", "5010"), ("LRANGE", "big", "-10", "-1"),
        ("LRANGE", "big", "0", "9"), ("LSET", "big", "5000", "mid"), ("LSET", "big", "-2", BIG),
        ("LINDEX", "big", "5000"), ("LINSERT", "big", "BEFORE", "e7000", "ins"),
        ("LINSERT", "big", "AFTER", "e3000", BIG), ("LRANGE", "big", "2995", "3005"), ("LRANGE", "big", "6995", "7005"),
        ("LPOS", "big", "ins"), ("LPOS", "big", "e9999"), ("LPOS", "big", "e10", "RANK", "-1"),
        ("LPOS", "big", "e5000", "MAXLEN", "100"), ("LREM", "big", "0", "e4000"), ("LREM", "big", "-1", "ins"),
        ("LLEN", "big"), ("LRANGE", "big", "3995", "4005"), ("LTRIM", "big", "2000", "-2000"), ("LLEN", "big"),
        ("LINDEX", "big", "0"), ("LINDEX", "big", "-1"), ("LRANGE", "big", "1000", "1010"),
        ("LPOP", "big", "500"), ("RPOP", "big", "3"), ("LLEN", "big"), ("LMPOP", "1", "big", "RIGHT", "COUNT", "7"),
        ("LRANGE", "big", "-3", "-1"), ("LPOS", "big", "mid", "COUNT", "0"), ("LRANGE", "big", "0", "-1"),
    ],
    "encoding_and_node_sizes": [
        ("CONFIG", "SET", "list-max-listpack-size", "4"),
        ("RPUSH", "l", *[str(i) for i in range(50)]), ("OBJECT", "ENCODING", "l"), ("LINSERT", "l", "BEFORE", "25", "x"),
        ("LSET", "l", "10", BIG), ("LREM", "l", "0", "3"), ("LRANGE", "l", "20", "30"), ("LTRIM", "l", "3", "-3"),
        ("LRANGE", "l", "0", "-1"), ("OBJECT", "ENCODING", "l"),
        ("CONFIG", "SET", "list-max-listpack-size", "1"), ("LPUSH", "m", "a", "b", "c"), ("LINSERT", "m", "AFTER", "b", "z"),
        ("LRANGE", "m", "0", "-1"), ("CONFIG", "SET", "list-max-listpack-size", "-5"),
        ("RPUSH", "n", *["v%d" % i for i in range(2000)]), ("LINDEX", "n", "1234"), ("LREM", "n", "0", "v7"),
        ("OBJECT", "ENCODING", "n"), ("CONFIG", "SET", "list-max-listpack-size", "-1"),
        ("RPUSH", "o", *["v%d" % i for i in range(2000)]), ("LRANGE", "o", "998", "1002"), ("OBJECT", "ENCODING", "o"),
        ("RPUSH", "tiny", "1"), ("OBJECT", "ENCODING", "tiny"), ("RPUSH", "large", BIG), ("OBJECT", "ENCODING", "large"),
        ("CONFIG", "SET", "list-max-listpack-size", "-2"), ("CONFIG", "GET", "list-max-listpack-size"),
    ],
}

RESP3_CASES = {
    "nulls_and_arrays": [
        ("LPOP", "missing"), ("RPOP", "missing"), ("LPOP", "missing", "2"), ("RPOP", "missing", "0"),
        ("LINDEX", "missing", "0"), ("LMOVE", "missing", "x", "LEFT", "LEFT"), ("RPOPLPUSH", "missing", "x"),
        ("LMPOP", "1", "missing", "LEFT"), ("LPOS", "missing", "x"), ("LPOS", "missing", "x", "COUNT", "0"),
        ("RPUSH", "l", "a", "b", "a"), ("LPOP", "l", "0"), ("LPOP", "l", "1"), ("LPOS", "l", "zz"),
        ("LPOS", "l", "a", "COUNT", "0"), ("LINDEX", "l", "5"), ("LRANGE", "l", "0", "-1"),
        ("LMPOP", "1", "l", "RIGHT", "COUNT", "5"), ("LRANGE", "l", "0", "-1"),
    ],
}


@pytest.mark.parametrize("name", CASES)
def test_lists(diff, name):
    diff(CASES[name])


@pytest.mark.parametrize("name", RESP3_CASES)
def test_lists_resp3(diff, name):
    rr, tr = diff.both("HELLO", "3")
    assert rr[0] == "%" and tr[0] == "%", (rr, tr)
    diff(RESP3_CASES[name])


# -- seeded random streams ---------------------------------------------------

KEYS = ["a", "b", "c", "d", "e", "f"]
VALUES = ["", "0", "1", "-1", "x", "y", "z", "hello", "12345678901234567890", "\x00\r\n", "v" * 100]
INDICES = ["0", "1", "2", "-1", "-2", "-3", "5", "-10", "100"]


def _gen(rng):
    k = lambda: rng.choice(KEYS)
    v = lambda: rng.choice(VALUES)
    vs = lambda: [v() for _ in range(rng.randint(1, 5))]
    i = lambda: rng.choice(INDICES) if rng.random() < 0.97 else "x"
    end = lambda: rng.choice(["LEFT", "RIGHT", "left", "right"] * 5 + ["MIDDLE"])
    count = lambda: rng.choice(["0", "1", "2", "3", "10", "-1", "x"])
    some = lambda: rng.sample(KEYS, rng.randint(1, 3))

    def lpos():
        args = ["LPOS", k(), v()]
        for _ in range(rng.choice([0, 0, 1, 2, 3])):
            args += rng.choice([["RANK", rng.choice(["1", "2", "-1", "-2", "0", "3"])],
                                ["COUNT", rng.choice(["0", "1", "2", "-1"])], ["MAXLEN", rng.choice(["0", "2", "5"])]])
        return args

    def lmpop():
        keys = some()
        args = ["LMPOP", str(len(keys)), *keys, end()]
        return args + (["COUNT", count()] if rng.random() < 0.5 else [])

    gens = [
        (6, lambda: ["LPUSH", k(), *vs()]), (6, lambda: ["RPUSH", k(), *vs()]),
        (2, lambda: ["LPUSHX", k(), *vs()]), (2, lambda: ["RPUSHX", k(), *vs()]),
        (4, lambda: ["LPOP", k()] + ([count()] if rng.random() < 0.5 else [])),
        (4, lambda: ["RPOP", k()] + ([count()] if rng.random() < 0.5 else [])),
        (3, lambda: ["LLEN", k()]), (6, lambda: ["LRANGE", k(), i(), i()]), (4, lambda: ["LINDEX", k(), i()]),
        (3, lambda: ["LSET", k(), i(), v()]),
        (3, lambda: ["LINSERT", k(), rng.choice(["BEFORE", "AFTER", "before", "after", "x"]), v(), v()]),
        (3, lambda: ["LREM", k(), rng.choice(["0", "1", "2", "-1", "-2", "x"]), v()]),
        (2, lambda: ["LTRIM", k(), i(), i()]), (3, lpos),
        (3, lambda: ["LMOVE", k(), k(), end(), end()]), (2, lambda: ["RPOPLPUSH", k(), k()]), (3, lmpop),
        (0.3, lambda: ["SET", k(), v()]), (1.5, lambda: ["DEL", k()]), (1, lambda: ["TYPE", k()]),
        (1, lambda: ["EXISTS", *some()]),
    ]
    weights = [w for w, _ in gens]
    return lambda: rng.choices(gens, weights)[0][1]()


def commands(seed, n=2000):
    rng = random.Random(seed)
    gen = _gen(rng)
    return [tuple(gen()) for _ in range(n)] + [("LRANGE", key, "0", "-1") for key in KEYS]


SEEDS = [11, 20240602] + ([int(os.environ["DIFF_SEED"])] if os.environ.get("DIFF_SEED") else [])


@pytest.mark.parametrize("seed", SEEDS)
def test_lists_random(diff, seed):
    diff(commands(seed), history=15)
