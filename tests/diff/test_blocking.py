"""Blocking commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN,
BZPOPMAX, BZMPOP) with several clients: the same script on redis-server and
Tessera (keys spread over shards), every reply compared. Non-blocking forms,
errors and MULTI are in the single-client cases below."""
import time

import pytest

from harness import encode, shape

K = ["b:%d" % i for i in range(6)]

CASES = {
    "nothing_there_times_out": [
        ("BLPOP", K[0], "0.01"), ("BRPOP", K[0], K[1], "0.01"), ("BLMOVE", K[0], K[1], "LEFT", "RIGHT", "0.01"),
        ("BRPOPLPUSH", K[0], K[1], "0.01"), ("BLMPOP", "0.01", "2", K[0], K[1], "LEFT"),
        ("BZPOPMIN", K[0], "0.01"), ("BZPOPMAX", K[2], K[3], "0.01"), ("BZMPOP", "0.01", "1", K[0], "MIN"),
    ],
    "something_there_is_served_at_once": [
        ("RPUSH", K[1], "a", "b", "c"), ("BLPOP", K[0], K[1], "0"), ("BRPOP", K[0], K[1], "0"),
        ("BLMOVE", K[1], K[2], "LEFT", "LEFT", "0"), ("LRANGE", K[2], "0", "-1"), ("EXISTS", K[1]),
        ("RPUSH", K[3], "x", "y", "z"), ("BRPOPLPUSH", K[3], K[3], "0"), ("LRANGE", K[3], "0", "-1"),
        ("BLMPOP", "0", "3", K[0], K[3], K[2], "RIGHT", "COUNT", "2"), ("BLMPOP", "0", "1", K[3], "LEFT", "COUNT", "9"),
        ("ZADD", K[4], "1", "m1", "2", "m2", "3", "m3"), ("BZPOPMIN", K[5], K[4], "0"), ("BZPOPMAX", K[4], "0"),
        ("BZMPOP", "0", "2", K[5], K[4], "MAX", "COUNT", "5"), ("EXISTS", K[4]),
    ],
    "errors": [
        ("BLPOP", K[0]), ("BLPOP", K[0], "-1"), ("BLPOP", K[0], "abc"), ("BLPOP", K[0], "nan"),
        ("BLPOP", K[0], "1e100"), ("BLPOP", K[0], "inf"), ("BLPOP", K[0], " 1"), ("BLPOP", K[0], ""),
        ("SET", K[1], "s"), ("BLPOP", K[0], K[1], "0"), ("BZPOPMIN", K[1], "0"), ("BLMOVE", K[1], K[2], "LEFT", "LEFT", "0"),
        ("BLMOVE", K[0], K[2], "UP", "LEFT", "0"), ("BLMOVE", K[0], K[2], "LEFT", "LEFT", "-2"),
        ("BLMPOP", "0", "0", K[0], "LEFT"), ("BLMPOP", "abc", "1", K[0], "UP"), ("BLMPOP", "-1", "1", K[0], "LEFT"),
        ("BLMPOP", "0", "1", K[0], "LEFT", "COUNT", "0"), ("BLMPOP", "0", "5", K[0], "LEFT"),
        ("BZMPOP", "0", "1", K[0], "MIDDLE"), ("BZMPOP", "x", "1", K[0], "MIN"), ("BZMPOP", "0", "1", K[0], "MIN", "COUNT"),
        ("BRPOPLPUSH", K[0], K[2], "x"), ("BZPOPMAX", K[0], "-0.5"),
    ],
    "inside_multi_nothing_blocks": [
        ("MULTI",), ("BLPOP", K[0], "0"), ("BLMOVE", K[0], K[1], "LEFT", "LEFT", "0"), ("BRPOPLPUSH", K[0], K[1], "0"),
        ("BZPOPMAX", K[0], "0"), ("BLMPOP", "0", "1", K[0], "LEFT"), ("BLPOP", K[0], "-1"), ("RPUSH", K[0], "v"),
        ("BRPOP", K[2], K[0], "0"), ("EXEC",),
    ],
    "resp3": [
        shape("HELLO", "3"), ("BLPOP", K[0], "0.01"), ("BLMOVE", K[0], K[1], "LEFT", "LEFT", "0.01"),
        ("ZADD", K[2], "1.5", "m"), ("BZPOPMIN", K[2], "0"), ("ZADD", K[2], "2.5", "n"),
        ("BZMPOP", "0", "1", K[2], "MIN"), shape("HELLO", "2"),
    ],
}


@pytest.mark.parametrize("name", CASES)
def test_blocking_one_client(diff, name):
    diff(CASES[name])


def _script(server, steps):
    """Runs (client, action, args) steps; returns every reply read.
    Actions: send (and read the reply), block (send, read later), read, sleep, close."""
    clients = {}
    out = []
    try:
        for who, action, args in steps:
            if action == "sleep":
                time.sleep(args)
                continue
            if who not in clients:
                clients[who] = server.connect()
            c = clients[who]
            if action == "send":
                out.append((who, args, c.send(*args)))
            elif action == "block":
                c.send_raw(encode(*args), read=False)
            elif action == "read":
                out.append((who, "read", c.read_reply()))
            elif action == "drain":  # what comes before the server closes the connection
                out.append((who, "drain", _drain(c)))
            elif action == "close":
                c.close()
                del clients[who]
    finally:
        for c in clients.values():
            c.close()
    return out


PAUSE = ("-", "sleep", 0.1)


def _drain(conn, timeout=2.0):
    got, deadline = b"", time.monotonic() + timeout
    conn.sock.settimeout(0.05)
    while time.monotonic() < deadline:
        try:
            chunk = conn.sock.recv(65536)
        except TimeoutError:
            continue
        except OSError:
            break
        if not chunk:
            return got
        got += chunk
    return got + b"<still open>"

SCRIPTS = {
    "push_serves_the_blocked_client": [
        ("a", "send", ("DEL", K[0], K[1])), ("a", "block", ("BLPOP", K[0], K[1], "0")), PAUSE,
        ("b", "send", ("RPUSH", K[1], "x", "y")), ("a", "read", None), ("b", "send", ("LRANGE", K[1], "0", "-1")),
        ("a", "block", ("BRPOP", K[2], K[3], "5")), PAUSE, ("b", "send", ("LPUSH", K[3], "1", "2")),
        ("a", "read", None), ("b", "send", ("LRANGE", K[3], "0", "-1")),
    ],
    "move_to_another_key": [
        ("a", "block", ("BLMOVE", K[0], K[4], "RIGHT", "LEFT", "0")), PAUSE, ("b", "send", ("RPUSH", K[0], "p", "q")),
        ("a", "read", None), ("b", "send", ("LRANGE", K[4], "0", "-1")), ("b", "send", ("LRANGE", K[0], "0", "-1")),
        ("a", "block", ("BRPOPLPUSH", K[5], K[1], "0")), PAUSE, ("b", "send", ("RPUSH", K[5], "r")),
        ("a", "read", None), ("b", "send", ("LRANGE", K[1], "0", "-1")), ("b", "send", ("EXISTS", K[5])),
    ],
    "mpop_and_sorted_sets": [
        ("a", "block", ("BLMPOP", "0", "2", K[0], K[1], "LEFT", "COUNT", "3")), PAUSE,
        ("b", "send", ("RPUSH", K[1], "1", "2")), ("a", "read", None),
        ("a", "block", ("BZPOPMIN", K[2], K[3], "0")), PAUSE, ("b", "send", ("ZADD", K[3], "5", "five", "4", "four")),
        ("a", "read", None), ("b", "send", ("ZRANGE", K[3], "0", "-1", "WITHSCORES")),
        ("a", "block", ("BZPOPMAX", K[2], "0")), PAUSE, ("b", "send", ("ZADD", K[2], "1", "one")), ("a", "read", None),
        ("a", "block", ("BZMPOP", "0", "1", K[4], "MAX", "COUNT", "2")), PAUSE,
        ("b", "send", ("ZADD", K[4], "1", "x", "2", "y", "3", "z")), ("a", "read", None),
        ("b", "send", ("ZRANGE", K[4], "0", "-1")),
    ],
    "timeout_then_nil": [
        ("a", "block", ("BLPOP", K[0], "0.2")), ("b", "send", ("PING",)), ("a", "read", None),
        ("a", "block", ("BZPOPMIN", K[0], K[1], "0.15")), ("a", "read", None),
        ("a", "block", ("BLMOVE", K[0], K[1], "LEFT", "LEFT", "0.1")), ("a", "read", None), ("a", "send", ("PING",)),
    ],
    # Redis 7.0 serves a blocked client only from a list pushed to: a key that
    # changes to another type, or is deleted, leaves it waiting.
    "other_changes_leave_it_waiting": [
        ("a", "block", ("BLPOP", K[0], K[1], "0")), PAUSE, ("b", "send", ("SET", K[0], "str")),
        ("b", "send", ("DEL", K[0])), ("b", "send", ("SADD", K[1], "m")), ("b", "send", ("DEL", K[1])), PAUSE,
        ("b", "send", ("RPUSH", K[1], "late")), ("a", "read", None), ("b", "send", ("EXISTS", K[1])),
    ],
    "two_blocked_clients_each_get_one": [
        ("a", "block", ("BLPOP", K[2], "0")), ("c", "block", ("BLPOP", K[2], "0")), PAUSE,
        ("b", "send", ("RPUSH", K[2], "v", "v")), ("a", "read", None), ("c", "read", None),
        ("b", "send", ("EXISTS", K[2])),
    ],
    "a_client_that_left_pops_nothing": [
        ("a", "block", ("BLPOP", K[3], "0")), PAUSE, ("a", "close", None), PAUSE,
        ("b", "send", ("RPUSH", K[3], "kept")), PAUSE, ("b", "send", ("LRANGE", K[3], "0", "-1")),
    ],
    "a_killed_client_pops_nothing": [
        ("a", "send", ("CLIENT", "SETNAME", "victim")), ("a", "block", ("BRPOP", K[4], "0")), PAUSE,
        ("b", "send", ("CLIENT", "KILL", "SKIPME", "yes", "TYPE", "normal")), ("a", "drain", None),
        ("b", "send", ("RPUSH", K[4], "kept")), PAUSE, ("b", "send", ("LRANGE", K[4], "0", "-1")),
    ],
    "pipelined_after_a_block_wait_for_it": [
        ("a", "block", ("BLPOP", K[5], "0")), ("a", "block", ("GET", K[0])), PAUSE,
        ("b", "send", ("SET", K[0], "set-meanwhile")), ("b", "send", ("LPUSH", K[5], "e")),
        ("a", "read", None), ("a", "read", None),
    ],
}


@pytest.mark.parametrize("name", SCRIPTS)
def test_blocking_clients(servers, name):
    replies = []
    for server in servers:
        server.connect().send("FLUSHALL")
        replies.append(_script(server, SCRIPTS[name]))
    for expected, got in zip(*replies):
        assert expected == got, "redis: %r\ntessera: %r" % (expected, got)
    assert len(replies[0]) == len(replies[1])


def test_blocked_clients_are_counted(servers):
    """INFO's blocked_clients and CLIENT LIST's `b` flag, while blocked and after."""
    seen = []
    for server in servers:
        a, b = server.connect(), server.connect()
        try:
            a_id = a.send("CLIENT", "ID")[1]
            a.send_raw(encode("BLPOP", K[0], K[1], "0"), read=False)
            time.sleep(0.1)

            def state():
                info = b.send("INFO", "clients")[1].decode()
                blocked = [line for line in info.splitlines() if line.startswith("blocked_clients:")]
                listed = b.send("CLIENT", "LIST", "ID", str(a_id))[1].decode().split()
                return blocked + [f for f in listed if f.startswith(("flags=", "cmd="))]
            during = state()
            b.send("RPUSH", K[1], "v")
            served = a.read_reply()
            seen.append((during, served, state()))
        finally:
            a.close()
            b.close()
    assert seen[1] == seen[0], "redis: %r\ntessera: %r" % tuple(seen)


def test_client_unblock(servers):
    """CLIENT UNBLOCK ends a wait as a timeout (nil) or with an error; 0 for a client not blocked."""
    seen = []
    for server in servers:
        a, b = server.connect(), server.connect()
        try:
            a_id = str(a.send("CLIENT", "ID")[1])
            got = [b.send("CLIENT", "UNBLOCK", a_id)]
            for reason in [(), ("TIMEOUT",), ("error",)]:
                a.send_raw(encode("BZPOPMIN", K[0], K[1], "0"), read=False)
                time.sleep(0.1)
                got += [b.send("CLIENT", "UNBLOCK", a_id, *reason), a.read_reply()]
            a.send_raw(encode("BLMOVE", K[2], K[3], "LEFT", "LEFT", "0"), read=False)
            time.sleep(0.1)
            got += [b.send("CLIENT", "UNBLOCK", a_id), b.send("CLIENT", "UNBLOCK", a_id), a.read_reply()]
            got += [b.send(*c) for c in [("CLIENT", "UNBLOCK", "abc"), ("CLIENT", "UNBLOCK", a_id, "foo"),
                                         ("CLIENT", "UNBLOCK", a_id, "timeout", "x"), ("CLIENT", "UNBLOCK"),
                                         ("CLIENT", "UNBLOCK", "99999999")]]
            got.append(a.send("PING"))
            seen.append(got)
        finally:
            a.close()
            b.close()
    assert seen[1] == seen[0], "redis: %r\ntessera: %r" % tuple(seen)
