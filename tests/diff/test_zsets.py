"""Sorted set commands, replies diffed against redis-server.

Plain key names (a, b, c, d, ...) spread over the shards of a 3-shard Tessera,
so the multi-key commands here also run as cross-shard transactions.
"""
import random

import pytest

from harness import shape, unordered

LOW = [("CONFIG", "SET", "zset-max-listpack-entries", "4")]


CASES = {
    "zadd_basic": [
        ("ZADD", "z", "1", "a"), ("ZADD", "z", "2", "b", "3", "c"), ("ZADD", "z", "1", "a"),
        ("ZRANGE", "z", "0", "-1", "WITHSCORES"), ("ZCARD", "z"), ("TYPE", "z"),
        ("ZADD", "z", "1", "a", "1", "a", "2", "a"), ("ZSCORE", "z", "a"),
        ("ZADD", "z", "CH", "1", "a", "1", "a", "5", "a"), ("ZSCORE", "z", "a"),
        ("ZADD", "z", "0", ""), ("ZSCORE", "z", ""), ("ZADD", "z", "1", b"\x00\xff\r\n"),
        ("ZRANGE", "z", "0", "-1", "WITHSCORES"), ("zadd", "z", "7", "lower"), ("ZCARD", "z"),
    ],
    "zadd_options": [
        ("ZADD", "z", "1", "a", "2", "b"),
        ("ZADD", "z", "NX", "5", "a", "3", "c"), ("ZRANGE", "z", "0", "-1", "WITHSCORES"),
        ("ZADD", "z", "XX", "5", "a", "4", "d"), ("ZRANGE", "z", "0", "-1", "WITHSCORES"),
        ("ZADD", "z", "XX", "CH", "6", "a", "2", "b", "9", "nope"),
        ("ZADD", "z", "GT", "CH", "1", "a", "3", "b", "10", "new"), ("ZRANGE", "z", "0", "-1", "WITHSCORES"),
        ("ZADD", "z", "LT", "CH", "100", "a", "0", "b"), ("ZRANGE", "z", "0", "-1", "WITHSCORES"),
        ("ZADD", "z", "XX", "GT", "CH", "50", "a", "50", "zz"), ("ZADD", "z", "xx", "lt", "ch", "-1", "a"),
        ("ZADD", "z", "ch", "gt", "0", "a", "5", "fresh"), ("ZRANGE", "z", "0", "-1", "WITHSCORES"),
        ("ZADD", "nokey", "XX", "1", "a"), ("EXISTS", "nokey"),
        ("ZADD", "nokey", "XX", "INCR", "1", "a"), ("EXISTS", "nokey"),
    ],
    "zadd_incr": [
        ("ZADD", "z", "INCR", "1.5", "a"), ("ZADD", "z", "INCR", "1.5", "a"), ("ZADD", "z", "CH", "INCR", "1", "a"),
        ("ZADD", "z", "NX", "INCR", "1", "a"), ("ZADD", "z", "XX", "INCR", "1", "b"), ("EXISTS", "z"),
        ("ZADD", "z", "NX", "INCR", "1", "b"), ("ZADD", "z", "GT", "INCR", "-1", "a"),
        ("ZADD", "z", "GT", "INCR", "1", "a"), ("ZADD", "z", "LT", "INCR", "1", "a"),
        ("ZADD", "z", "LT", "INCR", "-10", "a"), ("ZADD", "z", "INCR", "0", "a"),
        ("ZADD", "z", "INCR", "inf", "a"), ("ZADD", "z", "INCR", "-inf", "a"), ("ZSCORE", "z", "a"),
        ("ZADD", "z", "INCR", "1", "a", "2", "b"), ("ZADD", "z", "INCR", "x", "a"),
    ],
    "zadd_errors": [
        ("ZADD", "z"), ("ZADD", "z", "1"), ("ZADD", "z", "1", "a", "2"), ("ZADD", "z", "NX", "XX", "1", "a"),
        ("ZADD", "z", "GT", "LT", "1", "a"), ("ZADD", "z", "NX", "GT", "1", "a"), ("ZADD", "z", "NX", "LT", "1", "a"),
        ("ZADD", "z", "Nx", "xX", "1", "a"), ("ZADD", "z", "INCR", "NX"), ("ZADD", "z", "XX"), ("ZADD", "z", "CH"),
        ("ZADD", "z", "FOO", "1", "a"), ("ZADD", "z", "1", "a", "FOO"), ("ZADD", "z", "nan", "a"),
        ("ZADD", "z", "abc", "a"), ("ZADD", "z", "1", "a", "abc", "b"), ("ZADD", "z", "", "a"),
        ("EXISTS", "z"), ("SET", "s", "v"), ("ZADD", "s", "1", "a"), ("ZADD", "s", "XX", "1", "a"),
        ("ZADD", "s", "FOO", "1", "a"), ("ZADD", "s", "nan", "a"), ("GET", "s"),
    ],
    "score_parsing": [
        ("ZADD", "z", "0x10", "hex"), ("ZADD", "z", "-0x1p3", "hexp"), ("ZADD", "z", "0x1.8p1", "hexf"),
        ("ZADD", "z", "1e400", "big"), ("ZADD", "z", "1e-400", "tiny"), ("ZADD", "z", "1e-310", "denorm"),
        ("ZADD", "z", " 1", "sp"), ("ZADD", "z", "1 ", "sp"), ("ZADD", "z", "+inf", "pinf"),
        ("ZADD", "z", "-Infinity", "ninf"), ("ZADD", "z", "INF", "inf2"), ("ZADD", "z", ".5", "half"),
        ("ZADD", "z", "5.", "five"), ("ZADD", "z", "1e3", "k"), ("ZADD", "z", "+1.5E+2", "e"),
        ("ZADD", "z", "0e-400", "zero"), ("ZADD", "z", "1e", "bad"), ("ZADD", "z", "0x", "bad"),
        ("ZADD", "z", "1.2.3", "bad"), ("ZADD", "z", "--1", "bad"), ("ZADD", "z", "1\x00", "bad"),
        ("ZADD", "z", "0.1", "tenth"), ("ZADD", "z", "1.7976931348623157e308", "max"),
        ("ZADD", "z", "123456789012345678", "long"), ("ZADD", "z", "-0", "negzero"),
        ("ZRANGE", "z", "0", "-1", "WITHSCORES"), ("ZSCORE", "z", "negzero"),
        ("ZRANGEBYSCORE", "z", "", "+inf"), ("ZRANGEBYSCORE", "z", " 1", "+inf"), ("ZRANGEBYSCORE", "z", "(", "(1"),
        ("ZRANGEBYSCORE", "z", "1e400", "+inf", "WITHSCORES"), ("ZRANGEBYSCORE", "z", "0x10", "0x10"),
        ("ZRANGEBYSCORE", "z", "(0x1", "20"), ("ZCOUNT", "z", "-1e400", "(0"), ("ZCOUNT", "z", "1\x00junk", "2"),
        ("ZCOUNT", "z", "nan", "1"), ("ZCOUNT", "z", "  ", "1"), ("ZCOUNT", "z", "((1", "2"),
    ],
    "negative_zero_by_encoding": [
        ("ZADD", "lp", "-0", "a"), ("ZSCORE", "lp", "a"), ("ZINCRBY", "lp", "-0", "a"), ("ZSCORE", "lp", "a"),
        ("CONFIG", "SET", "zset-max-listpack-entries", "0"),
        ("ZADD", "sl", "-0", "a"), ("ZSCORE", "sl", "a"), ("OBJECT", "ENCODING", "sl"),
        ("ZADD", "sl", "0", "a"), ("ZSCORE", "sl", "a"), ("ZINCRBY", "sl", "0", "a"), ("ZSCORE", "sl", "a"),
        ("ZRANGE", "sl", "0", "-1", "WITHSCORES"), ("ZSCAN", "sl", "0"),
        ("ZUNION", "1", "sl", "WITHSCORES"), ("ZUNION", "1", "sl", "WEIGHTS", "-1", "WITHSCORES"),
        ("CONFIG", "SET", "zset-max-listpack-entries", "128"),
        ("ZUNIONSTORE", "dst", "1", "sl"), ("ZSCORE", "dst", "a"), ("OBJECT", "ENCODING", "dst"),
    ],
    "score_update_never_converts": [
        # Redis converts a listpack only when a member is added, not when a score moves.
        ("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "2.5", "e"),
        ("CONFIG", "SET", "zset-max-listpack-entries", "2"), ("CONFIG", "SET", "zset-max-listpack-value", "0"),
        ("ZINCRBY", "z", "10", "a"), ("ZADD", "z", "XX", "-1.5", "b"), ("ZADD", "z", "0", "c", "4", "d"),
        ("OBJECT", "ENCODING", "z"), ("ZRANGE", "z", "0", "-1", "WITHSCORES"), ("ZREVRANGE", "z", "0", "2"),
        ("ZADD", "z", "0", "f"), ("OBJECT", "ENCODING", "z"), ("ZRANGE", "z", "0", "-1", "WITHSCORES"),
    ],
    "zincrby": [
        ("ZINCRBY", "z", "1", "a"), ("ZINCRBY", "z", "0.1", "a"), ("ZINCRBY", "z", "-5", "a"),
        ("ZINCRBY", "z", "inf", "a"), ("ZINCRBY", "z", "-inf", "a"), ("ZSCORE", "z", "a"),
        ("ZINCRBY", "z", "abc", "a"), ("ZINCRBY", "z", "nan", "a"), ("ZINCRBY", "z", "1e400", "a"),
        ("ZINCRBY", "z", "nx", "a"), ("ZINCRBY", "z", "incr", "a"), ("ZINCRBY", "z", "1"),
        ("ZINCRBY", "z", "1", "a", "b"), ("SET", "s", "v"), ("ZINCRBY", "s", "1", "a"), ("ZINCRBY", "s", "x", "a"),
    ],
    "zrem_zcard_zscore_zmscore": [
        ("ZADD", "z", "1", "a", "2", "b", "3", "c"), ("ZREM", "z", "a", "x", "a"), ("ZCARD", "z"),
        ("ZSCORE", "z", "b"), ("ZSCORE", "z", "a"), ("ZSCORE", "nokey", "a"),
        ("ZMSCORE", "z", "a", "b", "c", "x"), ("ZMSCORE", "nokey", "a", "b"),
        ("ZREM", "z", "b", "c"), ("EXISTS", "z"), ("ZREM", "nokey", "a"), ("ZCARD", "nokey"),
        ("SET", "s", "v"), ("ZREM", "s", "a"), ("ZCARD", "s"), ("ZSCORE", "s", "a"), ("ZMSCORE", "s", "a"),
        ("ZREM", "z"), ("ZCARD",), ("ZCARD", "a", "b"), ("ZSCORE", "z"), ("ZMSCORE", "z"),
    ],
    "zrank_zrevrank": [
        ("ZADD", "z", "1", "a", "2", "b", "2", "c", "3", "d"),
        ("ZRANK", "z", "a"), ("ZRANK", "z", "c"), ("ZRANK", "z", "d"), ("ZRANK", "z", "x"),
        ("ZREVRANK", "z", "a"), ("ZREVRANK", "z", "c"), ("ZREVRANK", "z", "x"), ("ZRANK", "nokey", "a"),
        ("ZREVRANK", "nokey", "a"), ("SET", "s", "v"), ("ZRANK", "s", "a"), ("ZREVRANK", "s", "a"),
        ("ZRANK", "z"), ("ZRANK", "z", "a", "b"),
    ],
    "zcount_zlexcount": [
        ("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"),
        ("ZCOUNT", "z", "1", "3"), ("ZCOUNT", "z", "(1", "(3"), ("ZCOUNT", "z", "-inf", "+inf"),
        ("ZCOUNT", "z", "5", "1"), ("ZCOUNT", "z", "(3", "3"), ("ZCOUNT", "z", "3", "(3"), ("ZCOUNT", "z", "3", "3"),
        ("ZCOUNT", "z", "x", "1"), ("ZCOUNT", "z", "1", "x"), ("ZCOUNT", "nokey", "1", "2"),
        ("ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d"),
        ("ZLEXCOUNT", "l", "-", "+"), ("ZLEXCOUNT", "l", "[b", "(d"), ("ZLEXCOUNT", "l", "(b", "[d"),
        ("ZLEXCOUNT", "l", "+", "-"), ("ZLEXCOUNT", "l", "-", "-"), ("ZLEXCOUNT", "l", "+", "+"),
        ("ZLEXCOUNT", "l", "[a", "[a"), ("ZLEXCOUNT", "l", "(a", "[a"), ("ZLEXCOUNT", "l", "[a", "-"),
        ("ZLEXCOUNT", "l", "[", "+"), ("ZLEXCOUNT", "l", "(", "+"), ("ZLEXCOUNT", "l", "-", "[bb"),
        ("ZLEXCOUNT", "l", "x", "y"), ("ZLEXCOUNT", "l", "+a", "+"), ("ZLEXCOUNT", "l", "-", "-a"),
        ("ZLEXCOUNT", "nokey", "-", "+"), ("SET", "s", "v"), ("ZCOUNT", "s", "1", "2"), ("ZCOUNT", "s", "x", "2"),
        ("ZLEXCOUNT", "s", "-", "+"), ("ZLEXCOUNT", "s", "x", "+"), ("ZCOUNT", "z"), ("ZLEXCOUNT", "z", "-"),
    ],
    "zrange_by_rank": [
        ("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"),
        ("ZRANGE", "z", "0", "-1"), ("ZRANGE", "z", "0", "-1", "WITHSCORES"), ("ZRANGE", "z", "1", "2"),
        ("ZRANGE", "z", "-2", "-1"), ("ZRANGE", "z", "3", "100"), ("ZRANGE", "z", "-100", "1"),
        ("ZRANGE", "z", "-1", "-100"), ("ZRANGE", "z", "4", "3"), ("ZRANGE", "z", "5", "10"),
        ("ZRANGE", "z", "0", "1", "REV"), ("ZRANGE", "z", "0", "-1", "rev", "withscores"),
        ("ZRANGE", "z", "-9223372036854775808", "9223372036854775807"),
        ("ZRANGE", "z", "9223372036854775807", "-9223372036854775808"),
        ("ZREVRANGE", "z", "0", "1", "WITHSCORES"), ("ZREVRANGE", "z", "-2", "-1"), ("ZREVRANGE", "z", "2", "1"),
        ("ZRANGE", "z", "0", "1", "WITHSCORES", "WITHSCORES"), ("ZRANGE", "nokey", "0", "-1"),
        ("ZRANGE", "z", "a", "b"), ("ZRANGE", "z", "", "1"), ("ZRANGE", "z", " 1", "5"), ("ZRANGE", "z", "1.0", "5"),
        ("ZRANGE", "z", "0", "-1", "FOO"), ("ZRANGE", "z", "0", "-1", "REV", "REV"),
        ("ZRANGE", "z", "0", "-1", "LIMIT", "0", "1"), ("ZRANGE", "z", "0", "-1", "LIMIT", "1"),
        ("ZREVRANGE", "z", "0", "1", "FOO"), ("ZREVRANGE", "z", "0", "1", "BYSCORE"), ("ZREVRANGE", "z", "0", "1", "REV"),
        ("ZREVRANGE", "z", "0", "1", "WITHSCORES", "LIMIT", "0", "1"), ("ZRANGE", "z", "1"), ("ZREVRANGE", "z", "1"),
        ("SET", "s", "v"), ("ZRANGE", "s", "0", "-1"), ("ZRANGE", "s", "x", "-1"), ("ZREVRANGE", "s", "0", "-1"),
    ],
    "zrange_by_score": [
        ("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "-inf", "ninf", "inf", "pinf"),
        ("ZRANGE", "z", "2", "4", "BYSCORE"), ("ZRANGE", "z", "(2", "(4", "BYSCORE", "WITHSCORES"),
        ("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "3"), ("ZRANGE", "z", "4", "2", "BYSCORE", "REV"),
        ("ZRANGE", "z", "2", "4", "BYSCORE", "REV"), ("ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "1", "2"),
        ("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "-1", "2"),
        ("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "0", "-1"),
        ("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "0", "0"),
        ("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "2", "-5"),
        ("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "6", "1"),
        ("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "7", "1"),
        ("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "9223372036854775807", "9223372036854775807"),
        ("ZRANGE", "z", "inf", "inf", "BYSCORE"), ("ZRANGE", "z", "-inf", "-inf", "BYSCORE"),
        ("ZRANGE", "z", "(inf", "inf", "BYSCORE"),
        ("ZRANGEBYSCORE", "z", "(1", "(5"), ("ZRANGEBYSCORE", "z", "(1", "(1"), ("ZRANGEBYSCORE", "z", "3", "1"),
        ("ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES", "WITHSCORES"),
        ("ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "2", "2", "WITHSCORES"),
        ("ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "1", "1", "LIMIT", "3", "1"),
        ("ZREVRANGEBYSCORE", "z", "3", "1"), ("ZREVRANGEBYSCORE", "z", "1", "3"),
        ("ZREVRANGEBYSCORE", "z", "+inf", "-inf", "LIMIT", "1", "2", "WITHSCORES"),
        ("ZREVRANGEBYSCORE", "z", "(5", "(2", "withscores"),
        ("ZRANGEBYSCORE", "z", "-inf", "+inf", "BYSCORE"), ("ZRANGEBYSCORE", "z", "-inf", "+inf", "REV"),
        ("ZRANGEBYSCORE", "z", "-inf", "+inf", "BYLEX"), ("ZRANGEBYSCORE", "z", "1", "2", "3"),
        ("ZRANGEBYSCORE", "z", "1", "2", "LIMIT"), ("ZRANGEBYSCORE", "z", "1", "2", "LIMIT", "1"),
        ("ZRANGEBYSCORE", "z", "1", "2", "LIMIT", "1", "x"), ("ZRANGEBYSCORE", "z", "1", "2", "LIMIT", "x", "1"),
        ("ZRANGEBYSCORE", "z", "1", "2", "LIMIT", "9223372036854775808", "1"),
        ("ZRANGE", "z", "a", "b", "BYSCORE"), ("ZRANGE", "z", "1", "5", "BYSCORE", "BYSCORE"),
        ("ZRANGE", "z", "(1", "5", "BYSCORE", "BYLEX"), ("ZRANGEBYSCORE", "z", "1"), ("ZRANGEBYSCORE", "nokey", "1", "2"),
        ("SET", "s", "v"), ("ZRANGEBYSCORE", "s", "1", "2"), ("ZRANGEBYSCORE", "s", "x", "2"),
    ],
    "zrange_by_lex": [
        ("ZADD", "z", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0", "bb"),
        ("ZRANGE", "z", "-", "+", "BYLEX"), ("ZRANGE", "z", "[b", "(d", "BYLEX"), ("ZRANGE", "z", "(b", "[d", "BYLEX"),
        ("ZRANGE", "z", "+", "-", "BYLEX", "REV"), ("ZRANGE", "z", "[d", "(b", "BYLEX", "REV", "LIMIT", "1", "5"),
        ("ZRANGE", "z", "-", "+", "BYLEX", "LIMIT", "2", "2"), ("ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES"),
        ("ZRANGEBYLEX", "z", "-", "+", "LIMIT", "1", "2"), ("ZRANGEBYLEX", "z", "[b", "[b"),
        ("ZRANGEBYLEX", "z", "(b", "(b"), ("ZRANGEBYLEX", "z", "+", "-"), ("ZRANGEBYLEX", "z", "b", "d"),
        ("ZRANGEBYLEX", "z", "[", "(c"), ("ZRANGEBYLEX", "z", "-", "+", "WITHSCORES"), ("ZRANGEBYLEX", "z", "-", "+", "REV"),
        ("ZREVRANGEBYLEX", "z", "+", "-", "LIMIT", "1", "2"), ("ZREVRANGEBYLEX", "z", "-", "+"),
        ("ZREVRANGEBYLEX", "z", "[d", "[b"), ("ZREVRANGEBYLEX", "z", "(d", "(a", "LIMIT", "0", "-1"),
        ("ZREVRANGEBYLEX", "z", "+", "-", "LIMIT", "-1", "3"), ("ZREVRANGEBYLEX", "z"), ("ZRANGEBYLEX", "nokey", "-", "+"),
        ("ZRANGE", "z", "[a", "b", "BYLEX"), ("ZRANGE", "z", "a", "b", "BYLEX"),
        ("SET", "s", "v"), ("ZRANGEBYLEX", "s", "-", "+"), ("ZRANGEBYLEX", "s", "x", "+"),
    ],
    "zrangestore": [
        ("ZADD", "a", "1", "x", "2", "y", "3", "z"), ("SET", "str", "v"),
        ("ZRANGESTORE", "d", "a", "0", "-1"), ("ZRANGE", "d", "0", "-1", "WITHSCORES"), ("OBJECT", "ENCODING", "d"),
        ("ZRANGESTORE", "d", "a", "0", "-1", "WITHSCORES"), ("ZRANGESTORE", "d", "a", "0", "-1", "LIMIT", "0", "1"),
        ("ZRANGESTORE", "d", "a", "1", "2", "BYSCORE", "LIMIT", "0", "1"), ("ZRANGE", "d", "0", "-1"),
        ("ZRANGESTORE", "d", "a", "[x", "[y", "BYLEX"), ("ZRANGE", "d", "0", "-1"),
        ("ZRANGESTORE", "d", "a", "5", "1", "BYSCORE", "REV"), ("ZRANGE", "d", "0", "-1", "WITHSCORES"),
        ("ZRANGESTORE", "d", "a", "0", "0", "REV"), ("ZRANGE", "d", "0", "-1", "WITHSCORES"),
        ("EXPIRE", "d", "100"), ("ZRANGESTORE", "d", "a", "0", "1"), ("TTL", "d"),
        ("ZRANGESTORE", "d", "nokey", "0", "-1"), ("EXISTS", "d"), ("ZRANGESTORE", "str", "a", "0", "0"), ("TYPE", "str"),
        ("ZRANGESTORE", "d", "a", "5", "9"), ("EXISTS", "d"), ("SET", "str", "v"),
        ("ZRANGESTORE", "d", "str", "0", "-1"), ("ZRANGESTORE", "d", "a", "x", "1"), ("ZRANGESTORE", "d"),
        ("ZRANGESTORE", "d", "a", "0"), ("ZRANGESTORE", "a", "a", "1", "-1"), ("ZRANGE", "a", "0", "-1"),
    ],
    "zremrange": [
        ("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"),
        ("ZREMRANGEBYRANK", "z", "0", "0"), ("ZRANGE", "z", "0", "-1"), ("ZREMRANGEBYRANK", "z", "-1", "-1"),
        ("ZREMRANGEBYRANK", "z", "5", "10"), ("ZREMRANGEBYRANK", "z", "2", "1"), ("ZRANGE", "z", "0", "-1"),
        ("ZREMRANGEBYRANK", "z", "x", "0"), ("ZREMRANGEBYRANK", "nokey", "0", "0"),
        ("ZREMRANGEBYSCORE", "z", "(2", "3"), ("ZRANGE", "z", "0", "-1"), ("ZREMRANGEBYSCORE", "z", "x", "2"),
        ("ZREMRANGEBYSCORE", "z", "-inf", "+inf"), ("EXISTS", "z"),
        ("ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d"), ("ZREMRANGEBYLEX", "l", "(a", "[c"),
        ("ZRANGE", "l", "0", "-1"), ("ZREMRANGEBYLEX", "l", "x", "+"), ("ZREMRANGEBYLEX", "l", "+", "-"),
        ("ZREMRANGEBYLEX", "l", "-", "+"), ("EXISTS", "l"), ("ZREMRANGEBYLEX", "nokey", "-", "+"),
        ("ZADD", "r", "1", "a", "2", "b"), ("ZREMRANGEBYRANK", "r", "-100", "100"), ("EXISTS", "r"),
        ("SET", "s", "v"), ("ZREMRANGEBYRANK", "s", "0", "1"), ("ZREMRANGEBYSCORE", "s", "0", "1"),
        ("ZREMRANGEBYLEX", "s", "-", "+"), ("ZREMRANGEBYRANK", "s", "x", "1"), ("ZREMRANGEBYRANK", "z", "0"),
    ],
    "zpop": [
        ("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"),
        ("ZPOPMIN", "z"), ("ZPOPMAX", "z"), ("ZPOPMIN", "z", "0"), ("ZPOPMAX", "z", "5"), ("EXISTS", "z"),
        ("ZPOPMIN", "nokey"), ("ZPOPMIN", "nokey", "2"), ("ZADD", "z", "1", "a", "2", "b", "3", "c"),
        ("ZPOPMIN", "z", "2"), ("ZPOPMIN", "z", "-1"), ("ZPOPMIN", "z", "x"), ("ZPOPMIN", "z", "1", "2"),
        ("SET", "s", "v"), ("ZPOPMIN", "s"), ("ZPOPMAX", "s", "2"), ("ZPOPMIN", "s", "0"), ("ZPOPMIN", "s", "x"),
        ("ZPOPMIN",), ("ZPOPMAX",),
    ],
    "zmpop": [
        ("ZADD", "a", "1", "x", "2", "y", "3", "z"), ("SET", "str", "v"),
        ("ZMPOP", "1", "a", "MIN"), ("ZMPOP", "1", "a", "MAX", "COUNT", "5"), ("EXISTS", "a"),
        ("ZMPOP", "1", "a", "min"), ("ZADD", "c", "1", "x", "2", "y", "3", "z"),
        ("ZMPOP", "3", "nokey", "b", "c", "max", "count", "2"), ("ZMPOP", "2", "nokey", "str", "min"),
        ("ZMPOP", "2", "c", "str", "min"), ("ZMPOP", "0", "a", "MIN"), ("ZMPOP", "1", "a"), ("ZMPOP", "1", "a", "FOO"),
        ("ZMPOP", "1", "a", "MIN", "COUNT", "0"), ("ZMPOP", "1", "a", "MIN", "COUNT", "-1"),
        ("ZMPOP", "1", "a", "MIN", "COUNT", "x"), ("ZMPOP", "1", "a", "MIN", "COUNT", "1", "COUNT", "2"),
        ("ZMPOP", "1", "a", "MIN", "FOO", "1"), ("ZMPOP", "1", "a", "MIN", "COUNT"), ("ZMPOP", "x", "a", "MIN"),
        ("ZMPOP", "-1", "a", "MIN"), ("ZMPOP", "5", "a", "MIN"),
    ],
    "set_algebra": [
        ("ZADD", "a", "1", "x", "2", "y", "3", "z"), ("ZADD", "b", "10", "y", "20", "z", "30", "w"),
        ("ZADD", "c", "0.1", "y", "0.2", "x"), ("SET", "str", "v"),
        ("ZUNION", "2", "a", "b"), ("ZUNION", "2", "a", "b", "WITHSCORES"),
        ("ZUNION", "3", "a", "b", "c", "WEIGHTS", "1", "2", "0.5", "WITHSCORES"),
        ("ZUNION", "2", "a", "b", "AGGREGATE", "MIN", "WITHSCORES"), ("ZUNION", "2", "a", "b", "aggregate", "max", "withscores"),
        ("ZUNION", "2", "a", "b", "WEIGHTS", "1", "inf", "WITHSCORES"),
        ("ZUNION", "2", "a", "b", "WEIGHTS", "inf", "-inf", "WITHSCORES"),
        ("ZUNION", "2", "a", "b", "WEIGHTS", "0", "inf", "AGGREGATE", "MAX", "WITHSCORES"),
        ("ZINTER", "2", "a", "b", "WITHSCORES"), ("ZINTER", "3", "a", "b", "c", "WITHSCORES"),
        ("ZINTER", "2", "a", "b", "WEIGHTS", "2", "3", "AGGREGATE", "MAX", "WITHSCORES"),
        ("ZINTER", "2", "a", "b", "WEIGHTS", "inf", "-inf", "WITHSCORES"),
        ("ZINTER", "2", "a", "b", "WEIGHTS", "1", "0", "AGGREGATE", "MIN", "WITHSCORES"),
        ("ZINTER", "2", "b", "a", "WEIGHTS", "0", "inf", "AGGREGATE", "MIN", "WITHSCORES"),
        ("ZINTER", "2", "a", "nokey"), ("ZUNION", "2", "a", "nokey"), ("ZINTER", "1", "nokey"),
        ("ZDIFF", "2", "a", "b", "WITHSCORES"), ("ZDIFF", "2", "b", "a"), ("ZDIFF", "1", "a"), ("ZDIFF", "3", "a", "c", "b"),
        ("ZDIFF", "2", "nokey", "a"), ("ZDIFF", "2", "a", "nokey", "WITHSCORES"),
        ("ZUNION", "2", "a", "str"), ("ZUNION", "2", "a", "str", "FOO"), ("ZINTER", "2", "nokey", "str"),
        ("ZDIFF", "2", "a", "str"), ("ZUNION", "0", "a"), ("ZINTER", "-1", "a"), ("ZDIFF", "x", "a"),
        ("ZUNION", "3", "a", "b"), ("ZUNION", "2", "a", "b", "FOO"), ("ZUNION", "2", "a", "b", "WEIGHTS", "1"),
        ("ZUNION", "2", "a", "b", "WEIGHTS", "1", "x", "WITHSCORES"), ("ZUNION", "2", "a", "b", "WEIGHTS", "nan", "1"),
        ("ZUNION", "2", "a", "b", "WEIGHTS", "1e400", "1"), ("ZUNION", "2", "a", "b", "AGGREGATE", "FOO"),
        ("ZUNION", "2", "a", "b", "AGGREGATE"), ("ZDIFF", "2", "a", "b", "WEIGHTS", "1", "2"),
        ("ZDIFF", "2", "a", "b", "AGGREGATE", "SUM"), ("ZUNION", "1"), ("ZUNION", "99999999999999999999", "a"),
    ],
    "set_algebra_store": [
        ("ZADD", "a", "1", "x", "2", "y", "3", "z"), ("ZADD", "b", "10", "y", "20", "z", "30", "w"), ("SET", "str", "v"),
        ("ZUNIONSTORE", "d", "2", "a", "b"), ("ZRANGE", "d", "0", "-1", "WITHSCORES"), ("OBJECT", "ENCODING", "d"),
        ("ZUNIONSTORE", "d", "2", "a", "b", "WITHSCORES"),
        ("ZINTERSTORE", "d", "2", "a", "b", "WEIGHTS", "2", "1"), ("ZRANGE", "d", "0", "-1", "WITHSCORES"),
        ("ZDIFFSTORE", "d", "2", "a", "b"), ("ZRANGE", "d", "0", "-1", "WITHSCORES"),
        ("EXPIRE", "d", "100"), ("ZDIFFSTORE", "d", "2", "b", "a"), ("TTL", "d"),
        ("ZDIFFSTORE", "d", "1", "nokey"), ("EXISTS", "d"), ("ZINTERSTORE", "d", "2", "a", "nokey"), ("EXISTS", "d"),
        ("ZINTERSTORE", "d", "0", "a"), ("ZUNIONSTORE", "d", "-1", "a"), ("ZUNIONSTORE", "d", "2", "a"),
        ("ZINTERSTORE", "d", "1", "str"), ("ZUNIONSTORE", "str", "1", "a"), ("TYPE", "str"),
        ("ZUNIONSTORE", "a", "2", "a", "b"), ("ZRANGE", "a", "0", "-1", "WITHSCORES"),
        ("ZINTERSTORE", "b", "2", "a", "b", "AGGREGATE", "MIN"), ("ZRANGE", "b", "0", "-1", "WITHSCORES"),
        ("ZUNIONSTORE", "d"), ("ZUNIONSTORE", "d", "1"),
    ],
    "zintercard": [
        ("ZADD", "a", "1", "x", "2", "y", "3", "z"), ("ZADD", "b", "10", "y", "20", "z", "30", "w"), ("SET", "str", "v"),
        ("ZINTERCARD", "2", "a", "b"), ("ZINTERCARD", "2", "a", "b", "LIMIT", "1"), ("ZINTERCARD", "2", "a", "b", "LIMIT", "0"),
        ("ZINTERCARD", "2", "a", "b", "LIMIT", "-1"), ("ZINTERCARD", "2", "a", "b", "LIMIT", "x"),
        ("ZINTERCARD", "2", "a", "b", "LIMITX", "1"), ("ZINTERCARD", "2", "a", "b", "LIMIT"),
        ("ZINTERCARD", "2", "a", "b", "WITHSCORES"), ("ZINTERCARD", "2", "a", "b", "WEIGHTS", "1", "1"),
        ("ZINTERCARD", "0", "a"), ("ZINTERCARD", "3", "a", "b"), ("ZINTERCARD", "1", "str"), ("ZINTERCARD", "1", "a"),
        ("ZINTERCARD", "2", "a", "nokey"), ("ZINTERCARD", "2", "nokey", "str"), ("ZINTERCARD", "1"),
    ],
    "zrandmember_deterministic": [
        ("ZADD", "z", "1", "a", "2", "b", "3", "c"), ("SET", "s", "v"),
        ("ZRANDMEMBER", "z", "3"), ("ZRANDMEMBER", "z", "10", "WITHSCORES"), ("ZRANDMEMBER", "z", "0"),
        ("ZRANDMEMBER", "z", "0", "WITHSCORES"), ("ZRANDMEMBER", "z", "x"), ("ZRANDMEMBER", "z", "1", "FOO"),
        ("ZRANDMEMBER", "z", "1", "WITHSCORES", "FOO"), ("ZRANDMEMBER", "z", "-9223372036854775808"),
        ("ZRANDMEMBER", "z", "-9223372036854775807", "WITHSCORES"), ("ZRANDMEMBER", "z", "4611686018427387904", "WITHSCORES"),
        ("ZRANDMEMBER", "z", "9223372036854775807"), ("ZRANDMEMBER", "nokey"), ("ZRANDMEMBER", "nokey", "-5"),
        ("ZRANDMEMBER", "nokey", "3", "WITHSCORES"), ("ZRANDMEMBER", "s"), ("ZRANDMEMBER", "s", "1"),
        ("ZRANDMEMBER", "s", "1", "FOO"), ("ZADD", "one", "5", "m"), ("ZRANDMEMBER", "one"),
        ("ZRANDMEMBER", "one", "-3", "WITHSCORES"), ("ZRANDMEMBER",),
        shape("ZRANDMEMBER", "z"), shape("ZRANDMEMBER", "z", "2"), shape("ZRANDMEMBER", "z", "-5", "WITHSCORES"),
        shape("ZRANDMEMBER", "z", "1", "WITHSCORES"),
    ],
    "zscan_small": [
        ("ZADD", "z", "0.1", "a", "1e20", "b", "-0", "c", "1.5e-7", "d", "inf", "e", "3", "f"), ("SET", "s", "v"),
        ("ZSCAN", "z", "0"), ("ZSCAN", "z", "0", "MATCH", "[a-c]"), ("ZSCAN", "z", "0", "COUNT", "1"),
        ("ZSCAN", "z", "0", "MATCH", "*", "COUNT", "100"), ("ZSCAN", "z", "+0"), ("ZSCAN", "z", ""), ("ZSCAN", "z", "-1"),
        ("ZSCAN", "z", "18446744073709551615"), ("ZSCAN", "z", "18446744073709551616"), ("ZSCAN", "z", " 0"),
        ("ZSCAN", "z", "x"), ("ZSCAN", "z", "-"), ("ZSCAN", "z", "0", "COUNT", "0"), ("ZSCAN", "z", "0", "COUNT", "x"),
        ("ZSCAN", "z", "0", "COUNT"), ("ZSCAN", "z", "0", "FOO", "1"), ("ZSCAN", "z", "0", "NOVALUES"),
        ("ZSCAN", "nokey", "0"), ("ZSCAN", "nokey", "0", "FOO"), ("ZSCAN", "nokey", "x"), ("ZSCAN", "s", "0"),
        ("ZSCAN", "s", "x"), ("ZSCAN", "z"),
    ],
    "resp3": [
        shape("HELLO", "3"), ("ZADD", "z", "1", "a", "2", "b", "3.5", "c"), ("ZSCORE", "z", "a"), ("ZSCORE", "z", "x"),
        ("ZMSCORE", "z", "a", "x"), ("ZINCRBY", "z", "0.1", "a"), ("ZADD", "z", "INCR", "1", "a"),
        ("ZADD", "z", "NX", "INCR", "1", "a"), ("ZRANGE", "z", "0", "-1"), ("ZRANGE", "z", "0", "-1", "WITHSCORES"),
        ("ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES", "LIMIT", "0", "1"), ("ZRANK", "z", "x"),
        ("ZPOPMIN", "z"), ("ZPOPMIN", "z", "1"), ("ZPOPMAX", "z", "5"), ("ZPOPMIN", "z", "0"), ("ZPOPMIN", "nokey"),
        ("ZADD", "z", "1", "a", "2", "b", "3", "c"), ("ZRANDMEMBER", "z", "5", "WITHSCORES"), ("ZRANDMEMBER", "nokey"),
        ("ZMPOP", "1", "z", "MIN"), ("ZMPOP", "1", "z", "MAX", "COUNT", "5"), ("ZMPOP", "1", "nokey", "MIN"),
        ("ZADD", "z", "1", "a", "2", "b", "3", "c"), ("ZUNION", "1", "z", "WITHSCORES"), ("ZINTER", "1", "z", "WITHSCORES"),
        ("ZDIFF", "1", "z", "WITHSCORES"), ("ZUNION", "1", "z"), ("ZSCAN", "z", "0"), ("ZREVRANGE", "z", "0", "0", "WITHSCORES"),
        ("ZADD", "z", "inf", "i", "-inf", "j"), ("ZRANGE", "z", "0", "-1", "WITHSCORES"),
    ],
    "encoding_switch": [
        ("ZADD", "z", "1", "a", "2", "b"), ("OBJECT", "ENCODING", "z"),
        *LOW, ("ZADD", "z", "3", "c", "4", "d"), ("OBJECT", "ENCODING", "z"), ("ZADD", "z", "5", "e"),
        ("OBJECT", "ENCODING", "z"), ("ZRANGE", "z", "0", "-1", "WITHSCORES"), ("ZRANK", "z", "e"),
        ("ZREM", "z", "a", "b", "c"), ("OBJECT", "ENCODING", "z"),
        ("ZADD", "n", "1", "a", "1", "a", "1", "a", "1", "a", "1", "a"), ("OBJECT", "ENCODING", "n"),
        ("ZADD", "n2", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"), ("OBJECT", "ENCODING", "n2"),
        ("ZADD", "x", "NX", "1", "a", "2", "b", "3", "c", "4", "d", "5", "a"), ("OBJECT", "ENCODING", "x"),
        ("ZREMRANGEBYRANK", "x", "0", "1"), ("OBJECT", "ENCODING", "x"),
        ("ZRANGESTORE", "d", "x", "0", "-1"), ("OBJECT", "ENCODING", "d"), ("ZUNIONSTORE", "u", "2", "n2", "x"),
        ("OBJECT", "ENCODING", "u"), ("ZINTERSTORE", "i", "2", "n2", "x"), ("OBJECT", "ENCODING", "i"),
        ("CONFIG", "SET", "zset-max-listpack-entries", "0"), ("ZADD", "f", "1", "a"), ("OBJECT", "ENCODING", "f"),
        ("ZINCRBY", "g", "1", "a"), ("OBJECT", "ENCODING", "g"), ("ZUNIONSTORE", "h", "1", "d"), ("OBJECT", "ENCODING", "h"),
        ("CONFIG", "SET", "zset-max-listpack-entries", "128"), ("CONFIG", "SET", "zset-max-listpack-value", "3"),
        ("ZADD", "v", "1", "abc"), ("OBJECT", "ENCODING", "v"), ("ZADD", "v", "2", "abcd"), ("OBJECT", "ENCODING", "v"),
        ("ZADD", "w", "1", "abcd", "2", "a"), ("OBJECT", "ENCODING", "w"), ("ZRANGESTORE", "ws", "w", "1", "1"),
        ("OBJECT", "ENCODING", "ws"), ("ZRANGESTORE", "ws", "w", "0", "0"), ("OBJECT", "ENCODING", "ws"),
        ("CONFIG", "SET", "zset-max-listpack-value", "64"),
        ("ZADD", "big", "1", "x" * 65), ("OBJECT", "ENCODING", "big"), ("COPY", "big", "big2"),
        ("OBJECT", "ENCODING", "big2"), ("ZRANGE", "big2", "0", "-1", "WITHSCORES"),
    ],
    "skiplist_commands": [
        *LOW, ("ZADD", "z", "1", "a", "2", "b", "2", "c", "3", "d", "4", "e", "5", "f", "6", "g"),
        ("OBJECT", "ENCODING", "z"), ("ZRANGE", "z", "0", "-1", "WITHSCORES"), ("ZRANGE", "z", "2", "4", "REV"),
        ("ZRANGEBYSCORE", "z", "(2", "5", "LIMIT", "1", "2"), ("ZREVRANGEBYSCORE", "z", "5", "(2", "WITHSCORES"),
        ("ZCOUNT", "z", "2", "4"), ("ZRANK", "z", "c"), ("ZREVRANK", "z", "c"), ("ZSCORE", "z", "g"),
        ("ZINCRBY", "z", "10", "a"), ("ZRANGE", "z", "-2", "-1", "WITHSCORES"), ("ZADD", "z", "GT", "CH", "0", "g", "7", "f"),
        ("ZPOPMIN", "z", "2"), ("ZPOPMAX", "z"), ("ZREMRANGEBYSCORE", "z", "4", "5"), ("ZRANGE", "z", "0", "-1"),
        ("ZREMRANGEBYRANK", "z", "0", "0"), ("ZRANGE", "z", "0", "-1", "WITHSCORES"), ("ZMPOP", "1", "z", "MAX", "COUNT", "10"),
        ("EXISTS", "z"), ("ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0", "f"),
        ("ZRANGEBYLEX", "l", "[b", "(e"), ("ZREVRANGEBYLEX", "l", "(e", "[b", "LIMIT", "1", "1"), ("ZLEXCOUNT", "l", "(a", "+"),
        ("ZREMRANGEBYLEX", "l", "[c", "[d"), ("ZRANGE", "l", "0", "-1"), unordered("ZRANDMEMBER", "l", "10"),
        ("ZUNION", "2", "l", "l", "WITHSCORES"),
    ],
    "multi_shard_keys": [
        ("ZADD", "a", "1", "m1", "2", "m2"), ("ZADD", "b", "3", "m2", "4", "m3"), ("ZADD", "c", "5", "m3", "6", "m4"),
        ("ZADD", "d", "7", "m1"), ("ZUNIONSTORE", "e", "4", "a", "b", "c", "d"), ("ZRANGE", "e", "0", "-1", "WITHSCORES"),
        ("ZINTERSTORE", "f", "2", "a", "b"), ("ZRANGE", "f", "0", "-1", "WITHSCORES"), ("ZDIFFSTORE", "g", "3", "a", "b", "d"),
        ("EXISTS", "g"), ("ZDIFFSTORE", "g", "2", "b", "c"), ("ZRANGE", "g", "0", "-1", "WITHSCORES"),
        ("ZRANGESTORE", "h", "e", "1", "2"), ("ZRANGE", "h", "0", "-1"), ("ZINTERCARD", "3", "a", "b", "e"),
        ("ZMPOP", "3", "x", "y", "c", "MIN", "COUNT", "1"), ("ZMPOP", "3", "x", "y", "z", "MIN"),
        ("ZUNION", "4", "a", "b", "c", "d", "WITHSCORES"), ("ZINTER", "2", "e", "a", "WITHSCORES"),
        ("ZDIFF", "2", "e", "a"),
    ],
    "sets_as_inputs": [
        # Plain sets count as zsets whose members all score 1: an intset (a), a hashtable set (b), zsets (c, d).
        ("SADD", "a", "1", "2", "3", "10", "-5"), ("SADD", "b", "x", "2", "10", "y"), ("OBJECT", "ENCODING", "a"),
        ("OBJECT", "ENCODING", "b"), ("ZADD", "c", "5", "2", "6", "x", "-1", "zz", "0.5", "10"),
        ("ZADD", "d", "inf", "3", "2", "y"),
        ("ZUNION", "2", "a", "b", "WITHSCORES"), ("ZUNION", "3", "a", "b", "c"), ("ZUNION", "3", "a", "b", "c", "WITHSCORES"),
        ("ZUNION", "3", "a", "b", "c", "WEIGHTS", "2", "3", "0.5", "WITHSCORES"),
        ("ZUNION", "3", "c", "a", "b", "AGGREGATE", "MIN", "WITHSCORES"),
        ("ZUNION", "3", "c", "a", "b", "WEIGHTS", "1", "-1", "inf", "AGGREGATE", "MAX", "WITHSCORES"),
        ("ZUNION", "2", "a", "d", "WEIGHTS", "0", "-1", "WITHSCORES"), ("ZUNION", "1", "a", "WEIGHTS", "inf", "WITHSCORES"),
        ("ZINTER", "2", "a", "b", "WITHSCORES"), ("ZINTER", "2", "a", "c", "WITHSCORES"),
        ("ZINTER", "3", "b", "c", "a", "WEIGHTS", "1", "2", "3", "WITHSCORES"),
        ("ZINTER", "2", "b", "c", "AGGREGATE", "MAX", "WITHSCORES"), ("ZINTER", "2", "a", "d", "AGGREGATE", "MIN", "WITHSCORES"),
        ("ZINTER", "2", "a", "d", "WEIGHTS", "0", "1", "WITHSCORES"), ("ZINTER", "2", "a", "nokey"),
        ("ZDIFF", "2", "a", "b", "WITHSCORES"), ("ZDIFF", "2", "b", "a", "WITHSCORES"), ("ZDIFF", "2", "c", "a", "WITHSCORES"),
        ("ZDIFF", "3", "a", "c", "d", "WITHSCORES"), ("ZDIFF", "2", "c", "b"), ("ZDIFF", "1", "b", "WITHSCORES"),
        ("ZINTERCARD", "2", "a", "b"), ("ZINTERCARD", "3", "a", "b", "c"), ("ZINTERCARD", "2", "a", "c", "LIMIT", "1"),
        ("ZINTERCARD", "1", "a"), ("ZINTERCARD", "2", "b", "nokey"),
        ("ZUNIONSTORE", "e", "3", "a", "b", "c", "WEIGHTS", "1", "2", "3"), ("ZRANGE", "e", "0", "-1", "WITHSCORES"),
        ("OBJECT", "ENCODING", "e"), ("TYPE", "e"),
        ("ZINTERSTORE", "e", "2", "a", "b"), ("ZRANGE", "e", "0", "-1", "WITHSCORES"),
        ("ZDIFFSTORE", "e", "2", "b", "c"), ("ZRANGE", "e", "0", "-1", "WITHSCORES"),
        ("ZINTERSTORE", "e", "2", "a", "c", "AGGREGATE", "MAX"), ("ZRANGE", "e", "0", "-1", "WITHSCORES"),
        # A set as destination is replaced by the zset result; a set source as destination too.
        ("ZUNIONSTORE", "b", "2", "a", "b"), ("TYPE", "b"), ("ZRANGE", "b", "0", "-1", "WITHSCORES"),
        ("ZINTERSTORE", "e", "2", "a", "nokey"), ("EXISTS", "e"),
        # Other types are still WRONGTYPE, checked before the options.
        ("SET", "s", "v"), ("RPUSH", "l", "x"), ("HSET", "h", "f", "v"),
        ("ZUNION", "2", "a", "s"), ("ZINTER", "2", "a", "l"), ("ZDIFF", "2", "a", "h"), ("ZINTERCARD", "2", "h", "a"),
        ("ZUNIONSTORE", "e", "2", "a", "l"), ("ZUNION", "2", "a", "h", "BOGUS"), ("ZINTERSTORE", "e", "1", "s", "WEIGHTS", "x"),
    ],
    "sets_as_inputs_encodings": [
        # Results take their encoding from their size and longest member, whatever the sources.
        ("SADD", "a", *[str(i) for i in range(200)]), ("SADD", "b", *["m%d" % i for i in range(150)], "7", "8"),
        ("SADD", "c", "x" * 70, "short", "1"), ("ZADD", "d", "1", "1", "2", "m1", "3", "x" * 70),
        ("ZUNIONSTORE", "e", "1", "a"), ("OBJECT", "ENCODING", "e"), ("ZCARD", "e"), ("ZRANGE", "e", "0", "4", "WITHSCORES"),
        ("ZINTERSTORE", "e", "2", "a", "b", "WEIGHTS", "2", "5"), ("OBJECT", "ENCODING", "e"),
        ("ZRANGE", "e", "0", "-1", "WITHSCORES"),
        ("ZINTER", "2", "b", "a", "WITHSCORES"), ("ZINTERCARD", "2", "a", "b"), ("ZINTERCARD", "2", "b", "d"),
        ("ZDIFFSTORE", "e", "2", "b", "a"), ("OBJECT", "ENCODING", "e"), ("ZCARD", "e"),
        ("ZUNIONSTORE", "e", "2", "c", "d"), ("OBJECT", "ENCODING", "e"), ("ZRANGE", "e", "0", "-1", "WITHSCORES"),
        ("ZINTERSTORE", "e", "2", "c", "d", "AGGREGATE", "MIN"), ("OBJECT", "ENCODING", "e"),
        ("ZRANGE", "e", "0", "-1", "WITHSCORES"),
        ("ZUNION", "4", "a", "b", "c", "d", "AGGREGATE", "MAX", "WITHSCORES"),
        ("ZDIFF", "3", "a", "b", "d", "WITHSCORES"),
        shape("HELLO", "3"), ("ZINTER", "2", "c", "d", "WITHSCORES"), ("ZUNION", "2", "c", "d", "WEIGHTS", "-1", "1", "WITHSCORES"),
    ],
    "wrong_arity": [
        ("ZADD",), ("ZINCRBY", "z", "1"), ("ZREM", "z"), ("ZCARD",), ("ZSCORE", "z"), ("ZMSCORE", "z"), ("ZRANK", "z"),
        ("ZREVRANK", "z"), ("ZCOUNT", "z", "1"), ("ZLEXCOUNT", "z", "-"), ("ZRANGE", "z", "0"),
        ("ZRANGEBYSCORE", "z", "0"), ("ZREVRANGEBYSCORE", "z", "0"), ("ZRANGEBYLEX", "z", "-"),
        ("ZREVRANGEBYLEX", "z", "+"), ("ZREVRANGE", "z", "0"), ("ZRANGESTORE", "d", "z", "0"),
        ("ZREMRANGEBYRANK", "z", "0"), ("ZREMRANGEBYSCORE", "z", "0"), ("ZREMRANGEBYLEX", "z", "-"),
        ("ZPOPMIN",), ("ZPOPMAX",), ("ZMPOP", "1", "z"), ("ZUNION", "1"), ("ZINTER", "1"), ("ZDIFF", "1"),
        ("ZINTERCARD", "1"), ("ZUNIONSTORE", "d", "1"), ("ZINTERSTORE", "d", "1"), ("ZDIFFSTORE", "d", "1"),
        ("ZRANDMEMBER",), ("ZSCAN", "z"), ("ZCOUNT", "z", "1", "2", "3"), ("ZSCORE", "z", "a", "b"),
    ],
}


@pytest.mark.parametrize("name", CASES)
def test_zsets(diff, name):
    diff(CASES[name])


def test_large_set_rank_and_range(diff):
    """5000 members with many tied scores: skiplist ranks, ranges and removals."""
    rng = random.Random(7)
    members = ["m%05d" % i for i in range(5000)]
    rng.shuffle(members)
    cmds = []
    for i in range(0, 5000, 500):
        args = ["ZADD", "big"]
        for m in members[i:i + 500]:
            args += [str(rng.randrange(100) / 4), m]
        cmds.append(tuple(args))
    cmds += [("ZCARD", "big"), ("OBJECT", "ENCODING", "big")]
    for m in rng.sample(members, 40):
        cmds += [("ZRANK", "big", m), ("ZREVRANK", "big", m), ("ZSCORE", "big", m)]
    for start, stop in [(0, 9), (2500, 2510), (-10, -1), (4990, 6000), (-6000, 3), (1234, 1234)]:
        cmds += [("ZRANGE", "big", str(start), str(stop), "WITHSCORES"), ("ZREVRANGE", "big", str(start), str(stop))]
    cmds += [
        ("ZCOUNT", "big", "5", "(10"), ("ZRANGEBYSCORE", "big", "(12", "12.5", "WITHSCORES"),
        ("ZRANGEBYSCORE", "big", "-inf", "+inf", "LIMIT", "2000", "15"),
        ("ZREVRANGEBYSCORE", "big", "+inf", "-inf", "LIMIT", "4000", "15", "WITHSCORES"),
        ("ZREMRANGEBYRANK", "big", "1000", "1999"), ("ZCARD", "big"), ("ZRANGE", "big", "995", "1005"),
        ("ZREMRANGEBYSCORE", "big", "10", "(15"), ("ZCARD", "big"), ("ZRANGE", "big", "-5", "-1", "WITHSCORES"),
        ("ZPOPMIN", "big", "3"), ("ZPOPMAX", "big", "3"), ("ZINCRBY", "big", "100", members[0]),
        ("ZRANK", "big", members[0]), ("ZUNIONSTORE", "u", "1", "big", "WEIGHTS", "2"), ("ZRANGE", "u", "100", "105", "WITHSCORES"),
        ("ZINTERCARD", "2", "big", "u"), unordered("ZRANDMEMBER", "big", "100000"),
    ]
    for m in rng.sample(members, 20):
        cmds += [("ZREM", "big", m), ("ZRANK", "big", m)]
    cmds += [("ZRANGE", "big", "2000", "2010", "WITHSCORES"), ("ZCARD", "big")]
    diff(cmds)


def _zscan_all(conn, key, *opts):
    items, cursor = [], b"0"
    for _ in range(100000):
        reply = conn.send("ZSCAN", key, cursor, *opts)
        assert reply[0] == "*", reply
        (_, cursor), (_, batch) = reply[1]
        items += [v for _, v in batch]
        if cursor == b"0":
            return items
    raise AssertionError("ZSCAN did not terminate")


@pytest.mark.parametrize("count", ["1", "10", "1000"])
def test_zscan_skiplist_full_iteration(diff, r, t, count):
    diff([*LOW, ("ZADD", "z", *[x for i in range(300) for x in (str(i / 3), "m%d" % i)])])
    for opts in [("COUNT", count), ("MATCH", "m1*", "COUNT", count)]:
        want, got = _zscan_all(r, "z", *opts), _zscan_all(t, "z", *opts)
        pairs = list(zip(got[::2], got[1::2]))
        assert len(set(pairs)) == len(pairs), "ZSCAN returned an element twice"
        assert sorted(pairs) == sorted(zip(want[::2], want[1::2]))


def test_zrandmember_is_random_and_from_the_set(t):
    t.send("FLUSHALL")
    t.send("ZADD", "z", *[x for i in range(50) for x in (str(i), "m%d" % i)])
    members = {b"m%d" % i for i in range(50)}
    seen = set()
    for _ in range(200):
        (_, m) = t.send("ZRANDMEMBER", "z")
        assert m in members
        seen.add(m)
    assert len(seen) > 25
    (_, picked) = t.send("ZRANDMEMBER", "z", "20")
    picked = [m for _, m in picked]
    assert len(picked) == 20 and len(set(picked)) == 20 and set(picked) <= members
    (_, picked) = t.send("ZRANDMEMBER", "z", "45", "WITHSCORES")
    pairs = [v for _, v in picked]
    assert len(pairs) == 90 and len(set(pairs[::2])) == 45
    assert all(m == b"m" + s for m, s in zip(pairs[::2], pairs[1::2]))
    (_, picked) = t.send("ZRANDMEMBER", "z", "-300")
    assert len(picked) == 300 and {m for _, m in picked} <= members


# -- seeded random streams ---------------------------------------------------

KEYS = ["k%d" % i for i in range(6)]
# Lex commands get keys whose scores are all 0 (Redis leaves mixed scores unspecified).
LEX_KEYS = ["l0", "l1"]
MEMBERS = ["a", "b", "c", "d", "e", "f", "g", "h", "", "x" * 70]
SCORES = ["0", "1", "-1", "2.5", "0.1", "1e3", "-0", "inf", "-inf", "3", "3", "7", "abc", "(1", "nan"]
BOUNDS = ["-inf", "+inf", "0", "1", "(1", "2.5", "(3", "5", "x", "(inf", "-0"]
LEX = ["-", "+", "[a", "(b", "[c", "(d", "[", "(", "x", "[hh"]
INTS = ["0", "1", "-1", "2", "-2", "5", "100", "-100", "x"]


def _gen(rng):
    k = lambda: rng.choice(KEYS)
    lk = lambda: rng.choice(LEX_KEYS)
    m = lambda: rng.choice(MEMBERS)
    sc = lambda: rng.choice(SCORES)
    b = lambda: rng.choice(BOUNDS)
    lx = lambda: rng.choice(LEX)
    i = lambda: rng.choice(INTS)
    some = lambda: rng.sample(KEYS, rng.randint(1, 3))

    def zadd():
        flags = [f for f in ["NX", "XX", "GT", "LT", "CH", "INCR"] if rng.random() < 0.12]
        n = 1 if "INCR" in flags and rng.random() < 0.9 else rng.randint(1, 4)
        return ["ZADD", k(), *flags] + [x for _ in range(n) for x in (sc(), m())]

    def zrange():
        kind = rng.choice(["rank", "score", "lex"])
        key, opts = (lk() if kind == "lex" else k()), []
        lo, hi = {"rank": (i, i), "score": (b, b), "lex": (lx, lx)}[kind]
        if kind != "rank":
            opts.append("BYSCORE" if kind == "score" else "BYLEX")
        if rng.random() < 0.4:
            opts.append("REV")
        if rng.random() < 0.3:
            opts += ["LIMIT", i(), i()]
        if rng.random() < 0.4:
            opts.append("WITHSCORES")
        rng.shuffle(opts)
        return ["ZRANGE", key, lo(), hi(), *opts]

    def algebra():
        cmd = rng.choice(["ZUNION", "ZINTER", "ZDIFF", "ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"])
        keys = some()
        args = [cmd] + ([k()] if cmd.endswith("STORE") else []) + [str(len(keys))] + keys
        if not cmd.startswith("ZDIFF"):
            if rng.random() < 0.4:
                args += ["WEIGHTS"] + [rng.choice(["1", "2", "0.5", "-1", "0", "inf"]) for _ in keys]
            if rng.random() < 0.4:
                args += ["AGGREGATE", rng.choice(["SUM", "MIN", "MAX"])]
        if not cmd.endswith("STORE") and rng.random() < 0.5:
            args.append("WITHSCORES")
        return args

    gens = [
        (10, zadd), (3, lambda: ["ZINCRBY", k(), sc(), m()]), (4, lambda: ["ZREM", k(), m(), m()]),
        (2, lambda: ["ZCARD", k()]), (3, lambda: ["ZSCORE", k(), m()]), (2, lambda: ["ZMSCORE", k(), m(), m()]),
        (3, lambda: [rng.choice(["ZRANK", "ZREVRANK"]), k(), m()]), (3, lambda: ["ZCOUNT", k(), b(), b()]),
        (8, zrange),
        (3, lambda: [rng.choice(["ZRANGEBYSCORE", "ZREVRANGEBYSCORE"]), k(), b(), b()]
         + (["WITHSCORES"] if rng.random() < 0.5 else []) + (["LIMIT", i(), i()] if rng.random() < 0.3 else [])),
        (2, lambda: ["ZREVRANGE", k(), i(), i()] + (["WITHSCORES"] if rng.random() < 0.5 else [])),
        (4, lambda: ["ZADD", lk()] + [x for _ in range(rng.randint(1, 3)) for x in ("0", m())]),
        (1, lambda: ["ZREM", lk(), m()]), (2, lambda: ["ZLEXCOUNT", lk(), lx(), lx()]),
        (2, lambda: [rng.choice(["ZRANGEBYLEX", "ZREVRANGEBYLEX"]), lk(), lx(), lx()]
         + (["LIMIT", i(), i()] if rng.random() < 0.3 else [])),
        (1, lambda: ["ZREMRANGEBYLEX", lk(), lx(), lx()]), (2, lambda: ["ZREMRANGEBYRANK", k(), i(), i()]),
        (2, lambda: ["ZREMRANGEBYSCORE", k(), b(), b()]),
        (3, lambda: [rng.choice(["ZPOPMIN", "ZPOPMAX"]), k()] + ([i()] if rng.random() < 0.5 else [])),
        (2, lambda: ["ZMPOP", "2", k(), k(), rng.choice(["MIN", "MAX"])] + (["COUNT", i()] if rng.random() < 0.5 else [])),
        (2, lambda: ["ZRANGESTORE", k(), k(), i(), i()]), (5, algebra),
        (1, lambda: ["ZINTERCARD", "2", k(), k()] + (["LIMIT", i()] if rng.random() < 0.5 else [])),
        (1, lambda: shape("ZRANDMEMBER", k(), rng.choice(["1", "-3", "2"]))),
        # The whole set: in order for a listpack, in hash order for a skiplist.
        (1, lambda: unordered("ZRANDMEMBER", k(), "100", *(["WITHSCORES"] if rng.random() < 0.5 else []))),
        (1, lambda: ["OBJECT", "ENCODING", k()]), (1, lambda: ["SET", k(), "str"]), (1, lambda: ["DEL", k()]),
        (1, lambda: ["TYPE", k()]), (1, lambda: ["EXISTS", *KEYS]),
    ]
    weights = [w for w, _ in gens]
    while True:
        cmd = rng.choices([g for _, g in gens], weights)[0]()
        yield cmd if not isinstance(cmd, list) else tuple(cmd)


@pytest.mark.parametrize("seed,entries", [(1, "128"), (2, "4"), (3, "2")])
def test_random_zset_stream(diff, seed, entries):
    rng = random.Random(seed)
    gen = _gen(rng)
    cmds = [("CONFIG", "SET", "zset-max-listpack-entries", entries)] + [next(gen) for _ in range(2000)]
    diff(cmds, history=5)
