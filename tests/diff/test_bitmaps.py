"""Bitmap commands (SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO), diffed against redis-server."""
import os
import random

import pytest

from harness import shape


CASES = {
    "setbit_getbit": [
        ("SETBIT", "k", "7", "1"), ("GET", "k"), ("GETBIT", "k", "7"), ("GETBIT", "k", "6"),
        ("SETBIT", "k", "7", "0"), ("GET", "k"), ("SETBIT", "k", "100", "1"), ("STRLEN", "k"),
        ("GET", "k"), ("GETBIT", "k", "100"), ("GETBIT", "k", "10000"), ("GETBIT", "missing", "0"),
        ("SETBIT", "k", "100", "1"), ("SETBIT", "k", "0", "0"), ("OBJECT", "ENCODING", "k"),
        ("SET", "n", "123"), ("OBJECT", "ENCODING", "n"), ("GETBIT", "n", "2"), ("GETBIT", "n", "3"),
        ("SETBIT", "n", "0", "0"), ("OBJECT", "ENCODING", "n"), ("GET", "n"),
        ("SET", "e", "hello"), ("SETBIT", "e", "1", "0"), ("OBJECT", "ENCODING", "e"), ("GET", "e"),
        ("SET", "t", "x", "EX", "100"), ("SETBIT", "t", "20", "1"), ("TTL", "t"),
        ("SETBIT", "z", "5", "0"), ("EXISTS", "z"), ("GET", "z"),
    ],
    "setbit_errors": [
        ("SETBIT", "k", "-1", "1"), ("SETBIT", "k", "x", "1"), ("SETBIT", "k", "1.5", "1"),
        ("SETBIT", "k", "4294967296", "1"), ("SETBIT", "k", "1", "2"), ("SETBIT", "k", "1", "-1"),
        ("SETBIT", "k", "1", "x"), ("SETBIT", "k", "1", ""), ("SETBIT", "k", "x", "2"), ("EXISTS", "k"),
        ("GETBIT", "k", "-1"), ("GETBIT", "k", "4294967296"), ("GETBIT", "k", "4294967295"),
        ("GETBIT", "k", "#1"), ("SETBIT", "k", "#1", "1"), ("SETBIT", "k", "01", "1"),
        ("SETBIT", "k"), ("SETBIT", "k", "1"), ("SETBIT", "k", "1", "1", "1"), ("GETBIT", "k"),
        ("GETBIT", "k", "1", "2"),
    ],
    "bitcount": [
        ("BITCOUNT", "missing"), ("BITCOUNT", "missing", "a", "b"), ("BITCOUNT", "missing", "0"),
        ("SET", "s", "foobar"), ("BITCOUNT", "s"), ("BITCOUNT", "s", "0", "0"), ("BITCOUNT", "s", "1", "1"),
        ("BITCOUNT", "s", "1", "-2"), ("BITCOUNT", "s", "-3", "-1"), ("BITCOUNT", "s", "-100", "100"),
        ("BITCOUNT", "s", "5", "2"), ("BITCOUNT", "s", "-1", "-5"), ("BITCOUNT", "s", "-1", "-5", "FOO"),
        ("BITCOUNT", "s", "0", "-1", "FOO"), ("BITCOUNT", "s", "0", "-1", "BYTE"),
        ("BITCOUNT", "s", "0", "-1", "bit"), ("BITCOUNT", "s", "5", "30", "BIT"),
        ("BITCOUNT", "s", "1", "1", "BIT"), ("BITCOUNT", "s", "-5", "-1", "BIT"),
        ("BITCOUNT", "s", "7", "8", "BIT"), ("BITCOUNT", "s", "3", "3", "BIT"),
        ("BITCOUNT", "s", "47", "1000", "BIT"), ("BITCOUNT", "s", "48", "1000", "BIT"),
        ("BITCOUNT", "s", "a", "1"), ("BITCOUNT", "s", "0", "b"), ("BITCOUNT", "s", "0"),
        ("BITCOUNT", "s", "0", "1", "BIT", "x"),
        ("BITCOUNT", "s", "-9223372036854775808", "9223372036854775807"),
        ("BITCOUNT", "s", "-9223372036854775808", "9223372036854775807", "BIT"),
        ("SET", "e", ""), ("BITCOUNT", "e"), ("BITCOUNT", "e", "0", "-1"), ("BITCOUNT", "e", "0", "-1", "BIT"),
        ("SET", "n", "12345"), ("BITCOUNT", "n"), ("BITCOUNT", "n", "1", "2", "bit"),
        ("SET", "big", "\xff" * 1000 + "abc"), ("BITCOUNT", "big"), ("BITCOUNT", "big", "3", "-2"),
        ("BITCOUNT", "big", "13", "8011", "BIT"),
        ("BITCOUNT",),
    ],
    "bitpos": [
        ("BITPOS", "missing", "1"), ("BITPOS", "missing", "0"), ("BITPOS", "missing", "1", "x", "y", "z", "w"),
        ("BITPOS", "missing", "2"), ("BITPOS", "missing", "x"),
        ("SET", "s", b"\xff\xf0\x00"), ("BITPOS", "s", "0"), ("BITPOS", "s", "1"),
        ("BITPOS", "s", "0", "0"), ("BITPOS", "s", "0", "2"), ("BITPOS", "s", "0", "2", "-1"),
        ("BITPOS", "s", "0", "0", "0"), ("BITPOS", "s", "1", "2"), ("BITPOS", "s", "1", "2", "-1"),
        ("BITPOS", "s", "1", "0", "-1", "BIT"), ("BITPOS", "s", "0", "7", "15", "BIT"),
        ("BITPOS", "s", "0", "7", "11", "BIT"), ("BITPOS", "s", "0", "7", "12", "BIT"),
        ("BITPOS", "s", "1", "12", "-1", "BIT"), ("BITPOS", "s", "0", "12", "-1", "bit"),
        ("BITPOS", "s", "1", "-3", "-1", "BIT"), ("BITPOS", "s", "0", "-30", "5", "BIT"),
        ("BITPOS", "s", "0", "3", "BIT"), ("BITPOS", "s", "0", "5", "2"), ("BITPOS", "s", "1", "100"),
        ("BITPOS", "s", "0", "100"), ("BITPOS", "s", "0", "1", "0"), ("BITPOS", "s", "1", "-1", "-3"),
        ("SET", "f", b"\xff\xff\xff"), ("BITPOS", "f", "0"), ("BITPOS", "f", "0", "0"),
        ("BITPOS", "f", "0", "0", "-1"), ("BITPOS", "f", "0", "1", "BIT"), ("BITPOS", "f", "0", "1", "-1", "BIT"),
        ("BITPOS", "f", "0", "1", "22", "BIT"), ("BITPOS", "f", "0", "9", "BYTE"), ("BITPOS", "f", "1", "23", "23", "BIT"),
        ("SET", "z", b"\x00\x00\x00"), ("BITPOS", "z", "1"), ("BITPOS", "z", "0"), ("BITPOS", "z", "1", "1", "BIT"),
        ("SET", "e", ""), ("BITPOS", "e", "0"), ("BITPOS", "e", "1"), ("BITPOS", "e", "0", "0"),
        ("BITPOS", "e", "0", "0", "-1", "BIT"),
        ("SET", "long", "\x00" * 100 + "\x01" + "\xff" * 50), ("BITPOS", "long", "1"), ("BITPOS", "long", "0", "101"),
        ("BITPOS", "long", "0", "101", "-1"), ("BITPOS", "long", "1", "3", "799", "BIT"),
        ("BITPOS", "s", "1", "x"), ("BITPOS", "s", "1", "0", "x"), ("BITPOS", "s", "1", "0", "1", "FOO"),
        ("BITPOS", "s", "1", "x", "1", "FOO"), ("BITPOS", "s", "1", "0", "x", "BIT"),
        ("BITPOS", "s", "1", "0", "1", "BIT", "x"), ("BITPOS", "s", "-1"), ("BITPOS", "s", "1.0"),
        ("BITPOS", "s"),
    ],
    "bitop": [
        ("SET", "a", "abc"), ("SET", "b", "ab"), ("SET", "c", b"\xff\x00\x0f\xf0"),
        ("BITOP", "AND", "d", "a", "b"), ("GET", "d"), ("OBJECT", "ENCODING", "d"),
        ("BITOP", "or", "d", "a", "b", "c"), ("GET", "d"), ("BITOP", "XOR", "d", "a", "c"), ("GET", "d"),
        ("BITOP", "and", "d", "a", "b", "c", "missing"), ("GET", "d"), ("BITOP", "not", "d", "c"), ("GET", "d"),
        ("BITOP", "NOT", "d", "missing"), ("EXISTS", "d"), ("BITOP", "AND", "d", "a"), ("GET", "d"),
        ("BITOP", "OR", "d", "m1", "m2"), ("EXISTS", "d"), ("SET", "e", ""), ("SET", "d", "x"),
        ("BITOP", "OR", "d", "e", "m1"), ("EXISTS", "d"),
        ("SET", "d", "v", "EX", "100"), ("BITOP", "OR", "d", "a"), ("TTL", "d"), ("GET", "d"),
        ("BITOP", "AND", "a", "a", "b"), ("GET", "a"), ("SET", "n", "12"), ("BITOP", "XOR", "d", "n", "b"),
        ("GET", "d"), ("BITOP", "FOO", "d", "a"), ("BITOP", "NOT", "d", "a", "b"), ("BITOP", "NOT", "d"),
        ("BITOP", "AND", "d"), ("BITOP", "AND"),
    ],
    "bitop_cross_shard": [
        ("SET", "a", "hello world"), ("SET", "b", "HELLO"), ("SET", "c", "xyzzy"),
        ("BITOP", "OR", "x", "a", "b", "c"), ("GET", "x"), ("BITOP", "AND", "y", "a", "b"), ("GET", "y"),
        ("BITOP", "XOR", "z", "c", "a"), ("GET", "z"), ("BITOP", "NOT", "w", "a"), ("GET", "w"),
        ("BITOP", "OR", "a", "b", "c"), ("GET", "a"),
        ("BITOP", "OR", "b", "q", "r"), ("EXISTS", "b"),
    ],
    "bitfield": [
        ("BITFIELD", "k"), ("EXISTS", "k"), ("BITFIELD", "k", "GET", "u8", "0"), ("EXISTS", "k"),
        ("BITFIELD", "k", "SET", "u8", "0", "255", "GET", "u8", "0", "GET", "i8", "0"),
        ("BITFIELD", "k", "INCRBY", "u2", "100", "1", "OVERFLOW", "SAT", "incrby", "u2", "102", "5"),
        ("GET", "k"), ("STRLEN", "k"), ("OBJECT", "ENCODING", "k"),
        ("BITFIELD", "k", "SET", "i8", "#1", "-100", "GET", "i8", "#1", "GET", "u8", "#1", "GET", "i16", "#0"),
        ("BITFIELD", "k", "GET", "i64", "0", "GET", "u63", "1", "GET", "i5", "3", "GET", "u1", "7"),
        ("BITFIELD", "k", "INCRBY", "u8", "#0", "10", "INCRBY", "i8", "#0", "10"),
        ("BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u8", "#0", "300", "OVERFLOW", "WRAP", "INCRBY", "u8", "#0", "300"),
        ("BITFIELD", "k", "OVERFLOW", "SAT", "SET", "i4", "0", "100", "SET", "i4", "4", "-100", "GET", "i4", "0", "GET", "i4", "4"),
        ("BITFIELD", "k", "OVERFLOW", "FAIL", "SET", "i4", "0", "100", "SET", "u4", "4", "-1", "SET", "u4", "4", "15"),
        ("BITFIELD", "k", "SET", "u4", "8", "-1", "GET", "u4", "8", "SET", "i4", "8", "9", "GET", "i4", "8"),
        ("BITFIELD", "k", "SET", "i64", "64", "-1", "GET", "u63", "64", "GET", "i64", "64"),
        ("BITFIELD", "k", "INCRBY", "i64", "64", "-9223372036854775807", "INCRBY", "i64", "64", "-1",
         "OVERFLOW", "SAT", "INCRBY", "i64", "64", "-1", "INCRBY", "i64", "64", "9223372036854775807",
         "INCRBY", "i64", "64", "9223372036854775807", "OVERFLOW", "WRAP", "INCRBY", "i64", "64", "1"),
        ("BITFIELD", "k", "SET", "u63", "0", "9223372036854775807", "INCRBY", "u63", "0", "1",
         "OVERFLOW", "SAT", "INCRBY", "u63", "0", "-5", "INCRBY", "u63", "0", "9223372036854775807",
         "INCRBY", "u63", "0", "-9223372036854775808"),
        ("BITFIELD", "f", "OVERFLOW", "FAIL", "SET", "u2", "100", "5"), ("EXISTS", "f"), ("STRLEN", "f"),
        ("BITFIELD", "g", "SET", "u8", "#3", "65", "INCRBY", "i7", "1", "3"), ("GET", "g"),
        ("SET", "s", "abc"), ("BITFIELD", "s", "GET", "u8", "#1", "GET", "u4", "#0", "GET", "i64", "0", "GET", "u8", "100"),
        ("SET", "t", "x", "EX", "100"), ("BITFIELD", "t", "SET", "u8", "0", "1"), ("TTL", "t"),
        ("BITFIELD", "k", "get", "u8", "4294967288"), ("BITFIELD", "k", "GET", "u8", "4294967289"),
        ("BITFIELD", "k", "GET", "u8", "#536870911"), ("BITFIELD", "k", "GET", "u8", "#536870912"),
        ("BITFIELD", "k", "GET", "i8", "#9223372036854775807"), ("BITFIELD", "k", "GET", "i8", "#-1"),
    ],
    "bitfield_errors": [
        ("BITFIELD", "k", "GET", "u64", "0"), ("BITFIELD", "k", "GET", "I8", "0"), ("BITFIELD", "k", "GET", "i65", "0"),
        ("BITFIELD", "k", "GET", "i0", "0"), ("BITFIELD", "k", "GET", "u", "0"), ("BITFIELD", "k", "GET", "x8", "0"),
        ("BITFIELD", "k", "GET", "", "0"), ("BITFIELD", "k", "GET", "u08", "0"),
        ("BITFIELD", "k", "GET", "i8", "-1"), ("BITFIELD", "k", "GET", "i8", "x"), ("BITFIELD", "k", "GET", "i8", "#x"),
        ("BITFIELD", "k", "GET", "i8", "4294967296"), ("BITFIELD", "k", "OVERFLOW", "foo"),
        ("BITFIELD", "k", "OVERFLOW"), ("BITFIELD", "k", "GET"), ("BITFIELD", "k", "GET", "i8"),
        ("BITFIELD", "k", "FOO"), ("BITFIELD", "k", "SET", "i8", "0"), ("BITFIELD", "k", "SET", "i8", "0", "x"),
        ("BITFIELD", "k", "INCRBY", "i8", "0", "1.5"), ("BITFIELD", "k", "SET", "i8", "0", "1", "GET", "u64", "0"),
        ("BITFIELD", "k", "SET", "i8", "0", "1", "FOO"), ("EXISTS", "k"),
        ("BITFIELD", "k", "OVERFLOW", "wrap", "overflow", "sat"), ("EXISTS", "k"),
        ("BITFIELD",),
    ],
    "bitfield_ro": [
        ("SET", "k", "hello"), ("BITFIELD_RO", "k", "GET", "u8", "0", "GET", "i4", "#3"),
        ("BITFIELD_RO", "k"), ("BITFIELD_RO", "missing", "GET", "u8", "0"), ("EXISTS", "missing"),
        ("BITFIELD_RO", "k", "SET", "u8", "0", "1"), ("BITFIELD_RO", "k", "INCRBY", "u8", "0", "1"),
        ("BITFIELD_RO", "k", "OVERFLOW", "SAT", "GET", "u8", "0"), ("BITFIELD_RO", "k", "GET", "u8", "0", "SET", "u8", "x", "1"),
        ("BITFIELD_RO", "k", "SET", "u64", "0", "1"), ("BITFIELD_RO", "k", "GET", "u8"), ("GET", "k"),
        ("BITFIELD_RO",),
    ],
    "resp3": [
        shape("HELLO", "3"), ("SETBIT", "k", "3", "1"), ("GETBIT", "k", "3"), ("BITCOUNT", "k"), ("BITPOS", "k", "1"),
        ("BITFIELD", "k", "GET", "u8", "0", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1000"),
        ("BITFIELD_RO", "k", "GET", "i8", "0"), ("BITOP", "NOT", "d", "k"), ("GET", "d"),
    ],
}


@pytest.mark.parametrize("name", CASES)
def test_bitmaps(diff, name):
    diff(CASES[name])


WRONGTYPE = [
    ("LPUSH", "list", "x"), ("SETBIT", "list", "0", "1"), ("GETBIT", "list", "0"), ("SETBIT", "list", "x", "1"),
    ("GETBIT", "list", "x"), ("BITCOUNT", "list"), ("BITCOUNT", "list", "x", "y"), ("BITPOS", "list", "1"),
    ("BITPOS", "list", "5"), ("SET", "a", "abc"), ("BITOP", "AND", "d", "a", "list"), ("BITOP", "NOT", "list", "a"),
    ("TYPE", "list"), ("BITOP", "FOO", "d", "list"), ("BITFIELD", "list", "GET", "u8", "0"),
    ("BITFIELD", "list", "SET", "u8", "0", "1"), ("BITFIELD", "list"), ("BITFIELD", "list", "GET", "u64", "0"),
    ("BITFIELD_RO", "list", "GET", "u8", "0"), ("BITFIELD_RO", "list", "SET", "u8", "0", "1"),
]


def test_bitmaps_wrongtype(diff):
    if diff.t.send("LPUSH", "probe", "x")[0] == "-":
        pytest.skip("needs LPUSH (the list family) to make a non-string key")
    diff(WRONGTYPE)


# -- seeded random stream ------------------------------------------------------

KEYS = ["a", "b", "c", "d", "e", "f"]
OFFSETS = ["0", "1", "7", "8", "15", "17", "31", "63", "64", "100", "255", "-1", "x"]
RANGE = ["0", "1", "2", "-1", "-2", "-3", "3", "5", "10", "-10", "100"]
TYPES = ["u1", "u3", "u8", "i8", "i5", "u16", "i16", "i32", "u63", "i64", "u64", "x"]
FOFFS = ["0", "1", "3", "8", "13", "#0", "#1", "#2", "40", "-1"]
NUMS = ["0", "1", "-1", "5", "-5", "100", "-100", "127", "128", "255", "256", "65535",
        "9223372036854775807", "-9223372036854775808", "x"]


def _gen(rng):
    k = lambda: rng.choice(KEYS)
    unit = lambda: rng.choice([[], [], ["BIT"], ["BYTE"], ["bit"], ["FOO"]])

    def bitfield(cmd):
        args = [cmd, k()]
        for _ in range(rng.randint(0, 4)):
            r = rng.random()
            if r < 0.15:
                args += ["OVERFLOW", rng.choice(["WRAP", "SAT", "FAIL", "wrap", "BAD"])]
            elif r < 0.5 or cmd == "BITFIELD_RO":
                args += ["GET", rng.choice(TYPES), rng.choice(FOFFS)]
            else:
                args += [rng.choice(["SET", "INCRBY"]), rng.choice(TYPES), rng.choice(FOFFS), rng.choice(NUMS)]
        return args

    gens = [
        (10, lambda: ["SETBIT", k(), rng.choice(OFFSETS), rng.choice(["0", "1", "1", "2"])]),
        (6, lambda: ["GETBIT", k(), rng.choice(OFFSETS)]),
        (6, lambda: ["BITCOUNT", k()] + rng.choice([[], [rng.choice(RANGE), rng.choice(RANGE)] + unit()])),
        (8, lambda: ["BITPOS", k(), rng.choice(["0", "1", "1", "0", "2"])]
            + rng.choice([[], [rng.choice(RANGE)], [rng.choice(RANGE), rng.choice(RANGE)] + unit()])),
        (4, lambda: ["BITOP", rng.choice(["AND", "OR", "XOR", "NOT", "and"]), k()]
            + [k() for _ in range(rng.choice([1, 1, 2, 3]))]),
        (8, lambda: bitfield("BITFIELD")), (3, lambda: bitfield("BITFIELD_RO")),
        (3, lambda: ["SET", k(), rng.choice(["", "a", "foobar", "\xff\x00\xf0", "123", "\x00" * 20])]),
        (3, lambda: ["GET", k()]), (1, lambda: ["DEL", k()]),
        (1, lambda: ["STRLEN", k()]), (1, lambda: ["OBJECT", "ENCODING", k()]),
        (1, lambda: ["APPEND", k(), "zz"]), (1, lambda: ["SETRANGE", k(), rng.choice(["0", "3", "9"]), "\x01"]),
    ]
    weights = [w for w, _ in gens]
    return lambda: rng.choices(gens, weights)[0][1]()


SEEDS = [3, 20240607] + ([int(os.environ["DIFF_SEED"])] if os.environ.get("DIFF_SEED") else [])


@pytest.mark.parametrize("seed", SEEDS)
def test_bitmaps_random(diff, seed):
    rng = random.Random(seed)
    gen = _gen(rng)
    diff([tuple(gen()) for _ in range(2000)], history=10)
