"""MULTI/EXEC/DISCARD, replies diffed against redis-server (keys spread over shards)."""
import pytest

KEYS = ["tx:%d" % i for i in range(12)]

CASES = {
    "exec_basic": [
        ("MULTI",), ("SET", "a", "1"), ("INCR", "a"), ("GET", "a"), ("MSET", *sum(([k, k] for k in KEYS), [])),
        ("MGET", *KEYS), ("DEL", KEYS[0], KEYS[5], "a"), ("EXEC",), ("MGET", *KEYS), ("GET", "a"),
    ],
    "runtime_errors_do_not_abort": [
        ("SET", "s", "text"), ("MULTI",), ("INCR", "s"), ("SET", "t", "1"), ("EXEC",), ("GET", "t"),
    ],
    "queue_errors_abort": [
        ("MULTI",), ("SET", "a", "1"), ("NOSUCHCMD",), ("GET",), ("EXEC",), ("GET", "a"),
    ],
    "misuse": [
        ("EXEC",), ("DISCARD",), ("MULTI",), ("MULTI",), ("SET", "x", "1"), ("DISCARD",), ("GET", "x"),
        ("MULTI",), ("EXEC",), ("MULTI", "extra"),
    ],
    "select_inside": [
        ("MULTI",), ("SET", "k", "db0"), ("SELECT", "1"), ("SET", "k", "db1"), ("EXEC",),
        ("GET", "k"), ("SELECT", "0"), ("GET", "k"),
    ],
    "rename_and_copy_inside": [
        ("SET", KEYS[1], "v"), ("MULTI",), ("RENAME", KEYS[1], KEYS[2]), ("COPY", KEYS[2], KEYS[3]),
        ("EXISTS", KEYS[1], KEYS[2], KEYS[3]), ("EXEC",), ("MGET", KEYS[1], KEYS[2], KEYS[3]),
    ],
    "no_multi_commands_abort": [
        ("MULTI",), ("SET", "a", "1"), ("SAVE",), ("SHUTDOWN",), ("EXEC",), ("GET", "a"),
    ],
    # Keyspace commands inside a transaction see its own writes (keys on every shard).
    "keyspace_commands_inside": [
        ("MSET", *sum(([k, "old"] for k in KEYS), [])), ("MULTI",), ("DBSIZE",), ("FLUSHALL",), ("DBSIZE",),
        ("MSET", KEYS[0], "1", KEYS[4], "2", KEYS[9], "3"), ("KEYS", "tx:4"), ("DBSIZE",),
        ("EXISTS", KEYS[1]), ("MGET", KEYS[0], KEYS[4], KEYS[9], KEYS[1]), ("EXEC",),
        ("DBSIZE",), ("MGET", *KEYS),
    ],
    "swapdb_and_flushdb_inside": [
        ("SET", KEYS[2], "in0"), ("SELECT", "1"), ("SET", KEYS[7], "in1"), ("SELECT", "0"),
        ("MULTI",), ("SWAPDB", "0", "1"), ("GET", KEYS[2]), ("GET", KEYS[7]), ("SET", KEYS[3], "new"),
        ("SELECT", "1"), ("DBSIZE",), ("FLUSHDB",), ("SELECT", "0"), ("DBSIZE",), ("EXEC",),
        ("MGET", KEYS[2], KEYS[3], KEYS[7]), ("SELECT", "1"), ("DBSIZE",), ("SELECT", "0"),
    ],
    "keyspace_with_errors_and_sort": [
        ("RPUSH", KEYS[5], "3", "1", "2"), ("SET", "w:1", "c"), ("SET", "w:2", "a"), ("SET", "w:3", "b"),
        ("MULTI",), ("SORT", KEYS[5], "BY", "w:*", "ALPHA", "STORE", KEYS[6]), ("LRANGE", KEYS[6], "0", "-1"),
        ("INCR", KEYS[6]), ("DBSIZE",), ("FLUSHDB", "BADARG"), ("RENAME", KEYS[6], KEYS[8]), ("KEYS", "tx:8"),
        ("EXEC",), ("LRANGE", KEYS[8], "0", "-1"), ("EXISTS", KEYS[6]),
    ],
}


@pytest.mark.parametrize("name", CASES)
def test_transactions(diff, name):
    diff(CASES[name])

