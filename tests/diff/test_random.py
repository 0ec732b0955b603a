"""Seeded random command streams over a small key space, diffed reply by reply.

Reproduce a failure with the seed in the test id; DIFF_SEED=<n> adds one more seed.
TTL-valued replies are compared tolerantly (see harness.DEFAULT_MODES) and all
expiry times are far in the future or in the past, so nothing expires mid-run.
"""
import os
import random
import time

import pytest

KEYS = ["k%d" % i for i in range(8)]
# Numbers stay well inside 2**53 and float increments are binary fractions, so
# INCRBYFLOAT results are exact in both C long double (redis) and IEEE double;
# the long-double-only differences and 64-bit overflow have their own cases in
# test_strings.py and would otherwise dominate every stream.
VALUES = ["", "0", "1", "-1", "42", "10000", "123456789", "-7", "3.5", "1e3", "abc",
          "hello world", " 1", "x" * 50, "\x00\r\n"]
INTS = ["1", "-1", "0", "5", "100", "-100", "1000000", "abc", "1.5", "", "99999999999999999999"]
FLOATS = ["0.5", "-1.5", "1e3", "3.0e3", "10.5", "-0", "0.25", "inf", "abc", "5", "1.5e2", ""]
SECS = ["100", "1000", "50000", "0", "-1", "abc", "9223372036854775807"]
MSECS = ["100000", "5000000", "0", "-5", "x"]
PATTERNS = ["*", "k?", "k[0-3]", "k[^0]", "k1*", "nomatch", "*[57]"]
NOW = int(time.time())
TIMES = [str(NOW + 10_000), str(NOW + 90_000), "1", "0", "-1", "abc"]


def _gen(rng):
    k = lambda: rng.choice(KEYS)
    v = lambda: rng.choice(VALUES)
    some = lambda: rng.sample(KEYS, rng.randint(1, 4)) + ([k()] if rng.random() < 0.2 else [])
    opt = lambda *opts: [rng.choice(opts)] if rng.random() < 0.5 else []

    def set_cmd():
        args = ["SET", k(), v()]
        for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
            args += rng.choice([["EX", rng.choice(SECS)], ["PX", rng.choice(MSECS)], ["NX"], ["XX"],
                                ["KEEPTTL"], ["GET"], ["EXAT", rng.choice(TIMES)],
                                ["PXAT", rng.choice(TIMES) + "000"], ["BOGUS"]])
        return args

    def getex_cmd():
        return ["GETEX", k()] + rng.choice([[], ["PERSIST"], ["EX", rng.choice(SECS)],
                                            ["PX", rng.choice(MSECS)], ["EXAT", rng.choice(TIMES)],
                                            ["EX", "100", "PX", "100"], ["FOO"]])

    gens = [
        (8, lambda: ["GET", k()]), (8, set_cmd), (2, lambda: ["SETNX", k(), v()]),
        (2, lambda: ["SETEX", k(), rng.choice(SECS), v()]),
        (1, lambda: ["PSETEX", k(), rng.choice(MSECS), v()]), (2, lambda: ["GETSET", k(), v()]),
        (2, lambda: ["GETDEL", k()]), (3, getex_cmd), (3, lambda: ["MGET", *some()]),
        (3, lambda: ["MSET"] + [x for key in some() for x in (key, v())]),
        (2, lambda: ["MSETNX"] + [x for key in some() for x in (key, v())]),
        (3, lambda: ["APPEND", k(), v()]), (2, lambda: ["STRLEN", k()]),
        (3, lambda: ["INCR", k()]), (2, lambda: ["DECR", k()]),
        (3, lambda: ["INCRBY", k(), rng.choice(INTS)]), (2, lambda: ["DECRBY", k(), rng.choice(INTS)]),
        (3, lambda: ["INCRBYFLOAT", k(), rng.choice(FLOATS)]),
        (2, lambda: ["GETRANGE", k(), rng.choice(INTS[:6]), rng.choice(INTS[:6])]),
        (2, lambda: ["SETRANGE", k(), rng.choice(["0", "1", "5", "-1", "x", "100"]), v()]),
        (1, lambda: ["SUBSTR", k(), rng.choice(INTS[:6]), rng.choice(INTS[:6])]),
        (2, lambda: ["LCS", k(), k()] + rng.choice([[], ["LEN"], ["IDX"], ["IDX", "WITHMATCHLEN"],
                                                    ["IDX", "MINMATCHLEN", "2"], ["LEN", "IDX"]])),
        (3, lambda: ["DEL", *some()]), (1, lambda: ["UNLINK", *some()]), (3, lambda: ["EXISTS", *some()]),
        (1, lambda: ["TYPE", k()]), (1, lambda: ["TOUCH", *some()]),
        (3, lambda: ["EXPIRE", k(), rng.choice(SECS)] + opt("NX", "XX", "GT", "LT", "FOO")),
        (2, lambda: ["PEXPIRE", k(), rng.choice(MSECS)] + opt("NX", "XX", "GT", "LT")),
        (1, lambda: ["EXPIREAT", k(), rng.choice(TIMES)] + opt("NX", "XX", "GT", "LT")),
        (1, lambda: ["PEXPIREAT", k(), rng.choice(TIMES) + "000"] + opt("GT", "LT")),
        (3, lambda: [rng.choice(["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"]), k()]),
        (2, lambda: ["PERSIST", k()]), (2, lambda: ["KEYS", rng.choice(PATTERNS)]),
        (1, lambda: ["SCAN", "0", "MATCH", rng.choice(PATTERNS), "COUNT", rng.choice(["1", "3", "100"])]),
        (2, lambda: ["RENAME", k(), k()]), (1, lambda: ["RENAMENX", k(), k()]),
        (2, lambda: ["COPY", k(), k()] + opt("REPLACE")), (2, lambda: ["OBJECT", "ENCODING", k()]),
        (1, lambda: ["DBSIZE"]), (1, lambda: ["RANDOMKEY"]),
        (1, lambda: ["MOVE", k(), rng.choice(["1", "0", "16"])]),
        (1, lambda: ["SELECT", rng.choice(["0", "0", "1", "16", "x"])]),
        (0.2, lambda: ["SWAPDB", "0", "1"]), (0.1, lambda: ["FLUSHDB"]),
        (1, lambda: rng.choice([["GET"], ["SET", k()], ["MSET", k()], ["INCRBY", k()],
                                ["EXPIRE", k()], ["NOSUCHCMD", k()], ["GETRANGE", k(), "0"]])),
    ]
    weights = [w for w, _ in gens]
    return lambda: rng.choices(gens, weights)[0][1]()


def commands(seed, n=2000):
    rng = random.Random(seed)
    gen = _gen(rng)
    return [tuple(gen()) for _ in range(n)]


SEEDS = [7, 20240601] + ([int(os.environ["DIFF_SEED"])] if os.environ.get("DIFF_SEED") else [])


@pytest.mark.parametrize("seed", SEEDS)
def test_random_stream(diff, seed):
    diff(commands(seed), history=15)
