"""RESP3: after HELLO 3 on both servers, replies keep RESP3 types
(null '_', maps '%', verbatim '=')."""
import pytest

from harness import shape

CASES = {
    "nulls": [
        ("GET", "missing"), ("MGET", "a", "missing"), ("SET", "a", "1"), ("MGET", "a", "missing"),
        ("SET", "a", "2", "NX"), ("SET", "b", "2", "XX"), ("SET", "a", "3", "GET"), ("SET", "c", "3", "GET"),
        ("GETDEL", "missing"), ("GETEX", "missing"), ("GETSET", "new", "v"), ("OBJECT", "ENCODING", "missing"),
        ("CLIENT", "GETNAME"), ("COMMAND", "INFO", "nosuchcmd"), ("FLUSHALL",), ("RANDOMKEY",),
    ],
    "scalars": [
        ("PING",), ("PING", "x"), ("ECHO", "hi"), ("INCR", "n"), ("INCRBYFLOAT", "f", "10.5"),
        ("INCRBYFLOAT", "f", "0.25"), ("INCRBYFLOAT", "f", "3.0e3"), ("INCRBYFLOAT", "f", "inf"),
        ("EXISTS", "n", "f"), ("TTL", "n"), ("PTTL", "missing"), ("DBSIZE",), ("TYPE", "n"),
        ("TYPE", "missing"), ("STRLEN", "f"), ("APPEND", "f", "x"), ("SETNX", "n", "1"),
        ("EXPIRE", "n", "100"), ("TTL", "n"), ("PERSIST", "n"), ("DEBUG", "SLEEP", "0"),
    ],
    "maps": [
        shape("CONFIG", "GET", "port"), shape("CONFIG", "GET", "databases"), ("CONFIG", "GET", "nosuch"),
        ("MSET", "a", "ohmytext", "b", "mynewtext"), ("LCS", "a", "b", "IDX"),
        ("LCS", "a", "b", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"), ("LCS", "a", "missing", "IDX"),
        ("COMMAND", "INFO", "get"),
    ],
    "arrays": [
        ("MSET", "a", "1", "b", "2"), ("KEYS", "*"), ("SCAN", "0"), ("SCAN", "0", "MATCH", "a"),
        ("COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2"), ("TIME",), shape("CLIENT", "ID"),
    ],
    "errors": [
        ("FOO", "bar"), ("GET",), ("SET", "k", "v", "EX", "0"), ("SELECT", "99"), ("INCR", "f"),
        ("HELLO", "4"),
    ],
}


@pytest.mark.parametrize("name", CASES)
def test_resp3(diff, name):
    rr, tr = diff.both("HELLO", "3")
    assert rr[0] == "%" and tr[0] == "%", "HELLO 3 must reply with a map: %r / %r" % (rr, tr)
    diff(CASES[name])


def test_info_is_verbatim(diff):
    diff.both("HELLO", "3")
    rr, tr = diff.both("INFO", "keyspace")
    assert rr[0] == tr[0] == "=" and tr[1].startswith(b"txt:"), (rr, tr)
