"""Server commands: TIME DBSIZE INFO CONFIG GET DEBUG SLEEP."""
import re
import time

import pytest

from harness import value

CASES = {
    "errors": [
        ("TIME", "x"), ("DBSIZE", "x"), ("CONFIG",), ("CONFIG", "GET"), ("CONFIG", "NOSUCHSUB"),
        ("CONFIG", "GET", "nosuchparam"), ("DEBUG",), ("DEBUG", "SLEEP"),
    ],
    "debug_sleep": [("DEBUG", "SLEEP", "0"), ("DEBUG", "SLEEP", "0.01"), ("debug", "sleep", "0")],
    "time_dbsize": [("TIME",), ("DBSIZE",), ("MSET", "a", "1", "b", "2"), ("DBSIZE",), ("TIME",)],
}


@pytest.mark.parametrize("name", CASES)
def test_server(diff, name):
    diff(CASES[name])


def test_time(t):
    reply = t.send("TIME")
    assert reply[0] == "*" and [x[0] for x in reply[1]] == ["$", "$"], reply
    secs, usecs = value(reply)
    assert secs.isdigit() and usecs.isdigit() and 0 <= int(usecs) < 1_000_000, reply
    assert abs(int(secs) - time.time()) < 5, reply


def _config(conn, *names):
    reply = conn.send("CONFIG", "GET", *names)
    assert reply[0] == "*" and all(x[0] == "$" for x in reply[1]), reply
    items = value(reply)
    return dict(zip(items[::2], items[1::2]))


def test_config_get(servers):
    (rsrv, tsrv) = servers
    conns = [rsrv.connect(), tsrv.connect()]
    try:
        for names in (["port"], ["databases"], ["port", "databases"], ["PORT"]):
            expected, got = [_config(c, *names) for c in conns]
            assert sorted(got) == sorted(expected), (names, expected, got)
            assert all(v.isdigit() for v in got.values()), got
        assert _config(conns[1], "port") == {b"port": str(tsrv.port).encode()}
    finally:
        for c in conns:
            c.close()


def _info(conn, *args):
    reply = conn.send("INFO", *args)
    assert reply[0] in "$=", reply
    text = reply[1].decode()
    if reply[0] == "=":
        assert text.startswith("txt:"), reply
        text = text[4:]
    sections, fields = [], {}
    for line in text.split("\r\n"):
        if line.startswith("# "):
            sections.append(line[2:].strip().lower())
        elif ":" in line:
            k, v = line.split(":", 1)
            fields[k] = v
    return sections, fields


def _keyspace(fields):
    """{'db0': 'keys=N,expires=M'} with avg_ttl dropped (it legitimately differs)."""
    out = {}
    for k, v in fields.items():
        if re.fullmatch(r"db\d+", k):
            m = re.fullmatch(r"keys=(\d+),expires=(\d+),avg_ttl=\d+", v)
            assert m, "bad keyspace line %s:%s" % (k, v)
            out[k] = "keys=%s,expires=%s" % m.groups()
    return out


@pytest.mark.parametrize("resp3", [False, True], ids=["resp2", "resp3"])
def test_info(diff, resp3):
    if resp3:
        diff.both("HELLO", "3")
    diff([("MSET", "a", "1", "b", "2", "c", "3"), ("EXPIRE", "a", "100"), ("SELECT", "3"),
          ("SET", "x", "1", "PX", "500000"), ("SELECT", "0")])
    for conn in (diff.r, diff.t):
        sections, fields = _info(conn)
        for s in ("server", "clients", "memory", "stats", "keyspace"):
            assert s in sections, "section %r missing from INFO: %r" % (s, sections)
    (_, rf), (ts, tf) = _info(diff.r), _info(diff.t)
    assert _keyspace(tf) == _keyspace(rf) == {"db0": "keys=3,expires=1", "db3": "keys=1,expires=1"}
    (rs, rf), (ts, tf) = _info(diff.r, "keyspace"), _info(diff.t, "keyspace")
    assert ts == rs == ["keyspace"]
    assert _keyspace(tf) == _keyspace(rf)
    diff.both("FLUSHALL")
    (rs, rf), (ts, tf) = _info(diff.r, "keyspace"), _info(diff.t, "keyspace")
    assert _keyspace(tf) == _keyspace(rf) == {}
