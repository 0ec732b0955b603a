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
}


@pytest.mark.parametrize("name", CASES)
def test_transactions(diff, name):
    diff(CASES[name])
