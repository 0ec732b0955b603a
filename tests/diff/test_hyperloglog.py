"""HyperLogLog commands (PFADD PFCOUNT PFMERGE PFDEBUG), diffed against redis-server.

Tessera keeps Redis's exact HLL string format, so besides the replies these
tests compare the raw bytes (GET) and move values from Redis into Tessera.
"""
import os
import random
import struct

import pytest

from harness import shape


def hll(enc, body, card=0, stale=False):
    """An HLL string: header (magic, encoding, unused, cached cardinality) and body."""
    c = bytearray(struct.pack("<Q", card))
    if stale:
        c[7] |= 0x80
    return b"HYLL" + bytes([enc, 0, 0, 0]) + bytes(c) + body


EMPTY_SPARSE = hll(1, b"\x7f\xff")
DENSE_ZERO = hll(0, b"\x00" * 12288)
XZERO_8000 = bytes([0x40 | (7999 >> 8), 7999 & 0xff])

CASES = {
    "pfadd_pfcount": [
        ("PFCOUNT", "h"), ("PFADD", "h"), ("EXISTS", "h"), ("GET", "h"), ("PFADD", "h"), ("PFCOUNT", "h"),
        ("GET", "h"), ("PFADD", "h", "a", "b", "c"), ("PFADD", "h", "a"), ("PFADD", "h", "a", "b", "d"),
        ("GET", "h"), ("PFCOUNT", "h"), ("GET", "h"), ("PFCOUNT", "h"), ("OBJECT", "ENCODING", "h"),
        ("PFADD", "h2", "", "x" * 100, b"\x00\xff", "1", "-1"), ("PFCOUNT", "h2"), ("GET", "h2"),
        ("PFDEBUG", "ENCODING", "h2"), ("PFDEBUG", "DECODE", "h2"), ("TYPE", "h2"), ("STRLEN", "h2"),
        ("SET", "t", EMPTY_SPARSE, "EX", "100"), ("PFADD", "t", "z"), ("TTL", "t"),
        ("PFADD",), ("PFCOUNT",), ("PFMERGE",),
    ],
    "pfcount_multi": [
        ("PFADD", "a", "1", "2", "3"), ("PFADD", "b", "3", "4", "5", "6"), ("PFADD", "c", "7"),
        ("PFCOUNT", "a", "b"), ("PFCOUNT", "a", "b", "c"), ("PFCOUNT", "a", "missing"), ("PFCOUNT", "m1", "m2"),
        ("PFCOUNT", "a", "a"), ("GET", "a"), ("GET", "b"), ("PFDEBUG", "TODENSE", "b"), ("PFCOUNT", "a", "b", "c"),
        ("SET", "s", "not an hll"), ("PFCOUNT", "a", "s"), ("PFCOUNT", "s", "a"), ("PFCOUNT", "a", "b", "c", "d"),
    ],
    "pfmerge": [
        ("PFADD", "a", "1", "2", "3"), ("PFADD", "b", "3", "4", "5", "6"), ("PFMERGE", "c", "a", "b"),
        ("PFCOUNT", "c"), ("GET", "c"), ("PFDEBUG", "ENCODING", "c"), ("PFMERGE", "c", "c"), ("GET", "c"),
        ("PFADD", "d", "x", "y"), ("PFMERGE", "d", "a"), ("PFCOUNT", "d"), ("GET", "d"),
        ("PFMERGE", "e"), ("GET", "e"), ("PFCOUNT", "e"), ("PFMERGE", "f", "missing1", "missing2"), ("GET", "f"),
        ("PFDEBUG", "TODENSE", "a"), ("PFMERGE", "g", "b", "a"), ("PFDEBUG", "ENCODING", "g"), ("GET", "g"),
        ("PFMERGE", "b", "a"), ("PFDEBUG", "ENCODING", "b"), ("PFCOUNT", "b"), ("GET", "b"),
        ("SET", "t", EMPTY_SPARSE, "EX", "100"), ("PFMERGE", "t", "d"), ("TTL", "t"), ("GET", "t"),
        ("SET", "s", "junk"), ("PFMERGE", "d", "s"), ("PFMERGE", "s", "a"), ("GET", "s"), ("PFMERGE", "n", "a", "s"),
        ("EXISTS", "n"),
    ],
    "pfmerge_cross_shard": [
        ("PFADD", "a", *[str(i) for i in range(0, 300)]), ("PFADD", "b", *[str(i) for i in range(200, 700)]),
        ("PFADD", "c", *[str(i) for i in range(5000, 5100)]), ("PFMERGE", "d", "a", "b", "c"), ("PFCOUNT", "d"),
        ("GET", "d"), ("PFCOUNT", "a", "b", "c"), ("PFCOUNT", "c", "d"), ("PFMERGE", "a", "b", "c", "d"),
        ("GET", "a"), ("PFDEBUG", "ENCODING", "a"), ("PFMERGE", "e", "f", "g", "h"), ("GET", "e"),
    ],
    "sparse_to_dense": [
        ("CONFIG", "SET", "hll-sparse-max-bytes", "100"),
        *[("PFADD", "h", *[str(j) for j in range(i, i + 5)]) for i in range(0, 200, 5)],
        ("PFDEBUG", "ENCODING", "h"), ("GET", "h"), ("PFCOUNT", "h"),
        ("PFADD", "s", "a", "b"), ("PFADD", "s2", "c"), ("PFMERGE", "m", "s", "s2"), ("PFDEBUG", "ENCODING", "m"),
        *[("PFADD", "m", str(i)) for i in range(40)], ("PFDEBUG", "ENCODING", "m"), ("GET", "m"),
        ("PFMERGE", "m2", "h"), ("PFDEBUG", "ENCODING", "m2"),
        ("CONFIG", "SET", "hll-sparse-max-bytes", "0"), ("PFADD", "z", "a"), ("PFDEBUG", "ENCODING", "z"),
        ("GET", "z"), ("CONFIG", "SET", "hll-sparse-max-bytes", "3000"),
    ],
    "pfdebug": [
        ("PFADD", "h", "a", "b", "c"), ("PFDEBUG", "ENCODING", "h"), ("PFDEBUG", "DECODE", "h"),
        ("PFDEBUG", "encoding", "h"), ("PFDEBUG", "FOO", "h"), ("PFDEBUG", "FOO", "missing"),
        ("PFDEBUG", "GETREG", "missing"), ("PFDEBUG", "GETREG", "h"), ("PFDEBUG", "ENCODING", "h"),
        ("PFDEBUG", "DECODE", "h"), ("PFDEBUG", "TODENSE", "h"), ("PFADD", "g", "x"),
        ("PFDEBUG", "TODENSE", "g"), ("PFDEBUG", "TODENSE", "g"), ("GET", "g"), ("PFCOUNT", "g"),
        ("SET", "s", "abc"), ("PFDEBUG", "ENCODING", "s"), ("PFDEBUG", "FOO", "s"),
        ("PFDEBUG", "ENCODING"), ("PFDEBUG", "ENCODING", "h", "x"),
    ],
    "invalid_values": [
        ("SET", "s", "abc"), ("PFADD", "s", "x"), ("PFCOUNT", "s"), ("OBJECT", "ENCODING", "s"),
        ("SET", "n", "12345"), ("PFADD", "n", "x"), ("OBJECT", "ENCODING", "n"),
        ("SET", "e", ""), ("PFADD", "e", "x"), ("SET", "short", "HYLL\x01"), ("PFCOUNT", "short"),
        ("SET", "hdr", hll(1, b"")), ("PFCOUNT", "hdr"), ("PFADD", "hdr", "a"), ("PFCOUNT", "hdr", "hdr"),
        ("SET", "enc2", hll(2, b"\x7f\xff")), ("PFCOUNT", "enc2"), ("PFADD", "enc2", "a"),
        ("SET", "magic", b"HYLX" + EMPTY_SPARSE[4:]), ("PFCOUNT", "magic"),
        ("SET", "dshort", DENSE_ZERO[:-1]), ("PFCOUNT", "dshort"), ("PFADD", "dshort", "a"),
        ("SET", "dlong", DENSE_ZERO + b"\x00"), ("PFCOUNT", "dlong"),
        ("SET", "dz", DENSE_ZERO), ("PFCOUNT", "dz"), ("PFADD", "dz", "a"), ("PFCOUNT", "dz"), ("GET", "dz"),
        # Sparse bodies that do not add up to 16384 registers.
        ("SET", "few", hll(1, XZERO_8000, stale=True)), ("PFCOUNT", "few"), ("PFCOUNT", "few", "dz"),
        ("PFMERGE", "x", "few"), ("EXISTS", "x"), ("PFDEBUG", "TODENSE", "few"), ("PFDEBUG", "GETREG", "few"),
        ("PFDEBUG", "DECODE", "few"), ("PFADD", "few", *[str(i) for i in range(20)]), ("GET", "few"),
        ("SET", "many", hll(1, b"\x7f\xff\x00", stale=True)), ("PFCOUNT", "many"), ("PFMERGE", "x", "many"),
        ("SET", "overval", hll(1, b"\x7f\xff\x80", stale=True)), ("PFCOUNT", "overval"), ("PFCOUNT", "overval", "dz"),
        ("PFDEBUG", "TODENSE", "overval"), ("GET", "overval"),
        # A valid cached cardinality is trusted as it is.
        ("SET", "cached", hll(1, b"\x7f\xff", card=12345)), ("PFCOUNT", "cached"), ("PFCOUNT", "cached", "cached"),
        ("PFADD", "cached", "a"), ("PFCOUNT", "cached"),
        ("SET", "bigcache", hll(0, b"\x00" * 12288, card=(1 << 63) - 1)), ("PFCOUNT", "bigcache"),
        ("SET", "odd", hll(1, b"\x00" * 5 + b"\x7f\xfa" + b"\x84\x84", stale=True)), ("PFCOUNT", "odd"),
        ("PFADD", "odd", "x", "y", "z"), ("GET", "odd"), ("PFDEBUG", "DECODE", "odd"),
    ],
    "resp3": [
        shape("HELLO", "3"), ("PFADD", "h", "a", "b"), ("PFCOUNT", "h"), ("PFCOUNT", "h", "g"),
        ("PFMERGE", "g", "h"), ("PFDEBUG", "ENCODING", "g"), ("PFDEBUG", "DECODE", "g"), ("PFDEBUG", "GETREG", "g"),
        ("PFADD", "s", "x"), ("SET", "bad", "x"), ("PFADD", "bad", "y"),
    ],
}


@pytest.mark.parametrize("name", CASES)
def test_hyperloglog(diff, name):
    diff(CASES[name])


def test_many_elements(diff):
    """1..100000 in batches, exact PFCOUNT after each batch, raw bytes along the way."""
    cmds = []
    for start in range(0, 100_000, 1000):
        cmds.append(("PFADD", "h", *[str(i) for i in range(start, start + 1000)]))
        cmds.append(("PFCOUNT", "h"))
        if start % 10_000 == 0:
            cmds += [("GET", "h"), ("PFDEBUG", "ENCODING", "h")]
    cmds += [("GET", "h"), ("PFCOUNT", "h", "missing")]
    diff(cmds)


def test_sparse_growth_step_by_step(diff):
    """Every add while sparse compared byte for byte, through the switch to dense."""
    cmds = []
    for i in range(1, 1400):
        cmds += [("PFADD", "h", "e%d" % i), ("PFCOUNT", "h")]
        if i % 7 == 0:
            cmds.append(("GET", "h"))
    cmds.append(("PFDEBUG", "ENCODING", "h"))
    diff(cmds)


def test_values_from_redis_round_trip(diff):
    """An HLL made by Redis, SET into both, behaves identically from there on."""
    r, t = diff.r, diff.t
    for c in (r, t):
        c.send("FLUSHALL")
    for name, n in (("small", 50), ("mid", 1500), ("big", 20000)):
        for start in range(0, n, 500):
            r.send("PFADD", "src", *["%s-%d" % (name, i) for i in range(start, min(n, start + 500))])
        raw = r.send("GET", "src")[1]
        r.send("DEL", "src")
        diff([("SET", name, raw), ("PFCOUNT", name), ("GET", name), ("PFADD", name, "one", "two", "three"),
              ("PFCOUNT", name), ("GET", name), ("PFDEBUG", "ENCODING", name)], flush=False)
    diff([("PFCOUNT", "small", "mid", "big"), ("PFMERGE", "all", "small", "mid", "big"), ("PFCOUNT", "all"),
          ("GET", "all"), ("PFMERGE", "small", "mid"), ("GET", "small")], flush=False)


def test_hyperloglog_wrongtype(diff):
    if diff.t.send("LPUSH", "probe", "x")[0] == "-":
        pytest.skip("needs LPUSH (the list family) to make a non-string key")
    diff([("LPUSH", "l", "x"), ("PFADD", "l", "a"), ("PFCOUNT", "l"), ("PFADD", "h", "a"), ("PFCOUNT", "h", "l"),
          ("PFMERGE", "h", "l"), ("PFMERGE", "l", "h"), ("PFDEBUG", "ENCODING", "l")])


# -- seeded random stream ------------------------------------------------------

KEYS = ["a", "b", "c", "d", "e", "f"]


def _gen(rng):
    k = lambda: rng.choice(KEYS)
    members = lambda: [str(rng.randrange(3000)) for _ in range(rng.choice([0, 1, 1, 2, 5, 20, 100]))]
    gens = [
        (12, lambda: ["PFADD", k(), *members()]),
        (6, lambda: ["PFCOUNT", k()]), (3, lambda: ["PFCOUNT", *rng.sample(KEYS, rng.randint(2, 4))]),
        (3, lambda: ["PFMERGE", k(), *[k() for _ in range(rng.randint(0, 3))]]),
        (3, lambda: ["GET", k()]), (2, lambda: ["PFDEBUG", rng.choice(["ENCODING", "TODENSE", "DECODE"]), k()]),
        (1, lambda: ["DEL", k()]), (0.5, lambda: ["SET", k(), rng.choice(["x", "HYLL"])]),
        (0.5, lambda: ["CONFIG", "SET", "hll-sparse-max-bytes", rng.choice(["50", "300", "3000"])]),
    ]
    weights = [w for w, _ in gens]
    return lambda: rng.choices(gens, weights)[0][1]()


SEEDS = [5, 20240611] + ([int(os.environ["DIFF_SEED"])] if os.environ.get("DIFF_SEED") else [])


@pytest.mark.parametrize("seed", SEEDS)
def test_hyperloglog_random(diff, seed):
    rng = random.Random(seed)
    gen = _gen(rng)
    cmds = [tuple(gen()) for _ in range(2000)] + [("CONFIG", "SET", "hll-sparse-max-bytes", "3000")]
    diff(cmds, history=10)
