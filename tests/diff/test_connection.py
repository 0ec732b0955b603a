"""Connection-level commands: PING ECHO SELECT HELLO QUIT RESET CLIENT COMMAND."""
import pytest

from harness import shape, value

CASES = {
    "ping": [("PING",), ("PING", "hello"), ("PING", ""), ("PING", "a", "b"), ("ping",), ("PiNg", "x")],
    "echo": [("ECHO", "hi"), ("ECHO", ""), ("ECHO", b"bin\x00\r\n"), ("ECHO",), ("ECHO", "a", "b")],
    "select": [
        ("SET", "k", "db0"), ("SELECT", "1"), ("GET", "k"), ("SET", "k", "db1"), ("GET", "k"),
        ("DBSIZE",), ("SELECT", "15"), ("GET", "k"), ("SELECT", "0"), ("GET", "k"),
        ("SELECT", "16"), ("SELECT", "-1"), ("SELECT", "abc"), ("SELECT", "1.5"), ("SELECT", ""),
        ("SELECT", "99999999999999999999"), ("SELECT",), ("SELECT", "1", "2"), ("GET", "k"),
    ],
    "unknown_command": [
        ("FOO",), ("FOO", "a", "b"), ("foo", "a", "b", "c", "d", "e"), ("FOO", ""),
        ("NOSUCHCOMMAND", "x" * 200), ("GET2", "k"),
    ],
    "hello_errors": [
        ("HELLO", "4"), ("HELLO", "1"), ("HELLO", "0"), ("HELLO", "-1"), ("HELLO", "abc"),
        ("HELLO", "2.5"), ("HELLO", "2", "FOO"), ("HELLO", "3", "SETNAME"),
        ("HELLO", "3", "SETNAME", "a b"), ("GET", "missing"),
    ],
    "client_name": [
        ("CLIENT", "GETNAME"), ("CLIENT", "SETNAME", "conn-1"), ("CLIENT", "GETNAME"),
        ("CLIENT", "SETNAME", "a b"), ("CLIENT", "SETNAME", "a\nb"), ("CLIENT", "GETNAME"),
        ("CLIENT", "SETNAME", ""), ("CLIENT", "GETNAME"), ("CLIENT", "SETNAME"),
        ("CLIENT", "SETNAME", "a", "b"), ("CLIENT", "GETNAME", "x"), ("CLIENT",),
        ("CLIENT", "NOSUCHSUB"), ("client", "setname", "lower"), ("CLIENT", "GETNAME"),
    ],
    "client_id": [shape("CLIENT", "ID"), ("CLIENT", "ID", "x")],
    "command": [
        shape("COMMAND", "COUNT"), ("COMMAND", "COUNT", "x"),
        ("COMMAND", "INFO", "get"), ("COMMAND", "INFO", "GET"), ("COMMAND", "INFO", "nosuchcmd"),
        ("COMMAND", "NOSUCHSUB"),
    ],
    "command_getkeys": [
        ("COMMAND", "GETKEYS", "GET", "a"), ("COMMAND", "GETKEYS", "SET", "a", "b"),
        ("COMMAND", "GETKEYS", "SET", "a", "b", "EX", "10"),
        ("COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2", "c", "3"),
        ("COMMAND", "GETKEYS", "MGET", "a", "b", "c"), ("COMMAND", "GETKEYS", "DEL", "x", "y"),
        ("COMMAND", "GETKEYS", "RENAME", "a", "b"), ("COMMAND", "GETKEYS", "COPY", "a", "b"),
        ("COMMAND", "GETKEYS", "LCS", "a", "b"),
        ("COMMAND", "GETKEYS", "SET", "a"), ("COMMAND", "GETKEYS", "MSET", "a"),
        ("COMMAND", "GETKEYS", "NOSUCH", "a"), ("COMMAND", "GETKEYS", "PING"),
        ("COMMAND", "GETKEYS"),
    ],
    "client_list_filters": [
        ("CLIENT", "LIST", "x"), ("CLIENT", "LIST", "TYPE", "pubsub"), ("CLIENT", "LIST", "TYPE", "replica"),
        ("CLIENT", "LIST", "TYPE", "foo"), ("CLIENT", "LIST", "ID", "abc"), ("CLIENT", "LIST", "ID", "99999"),
        ("CLIENT", "LIST", "ID"), ("CLIENT", "LIST", "TYPE"), ("CLIENT", "LIST", "TYPE", "normal", "x"),
    ],
    "unknown_subcommand": [
        ("CLIENT", "SETINFO", "LIB-NAME", "x"), ("client", "foo"), ("Object", "nosuch", "k"),
        ("CONFIG", "NOSUCH", "x"), ("COMMAND", "x" * 200), ("OBJECT", "HELP", "extra"), ("CONFIG", "HELP"),
        ("CLIENT", "HELP", "x"), ("CONFIG", "HELP", "x"), ("CONFIG", "RESETSTAT", "x"), ("OBJECT", "ENCODING"),
        ("MULTI",), ("CLIENT", "FOO"), ("SET", "a", "1"), ("EXEC",), ("GET", "a"),
    ],
}


@pytest.mark.parametrize("name", CASES)
def test_connection(diff, name):
    diff(CASES[name])


def test_rejected_commands_are_not_counted(diff):
    """Unknown commands and subcommands and wrong arities are rejected before they
    run: INFO's total_commands_processed leaves them out (redis-py sends CLIENT
    SETINFO on connect, which Redis 7.0 rejects)."""
    diff([("CONFIG", "RESETSTAT"), ("CLIENT", "SETINFO", "LIB-VER", "1"), ("FOO",), ("GET",),
          ("OBJECT", "NOSUCH", "k"), ("PING",), ("CLIENT", "NOSUCH")])
    counts = []
    for conn in (diff.r, diff.t):
        info = conn.send("INFO", "stats")[1].decode()
        counts.append(int(info.split("total_commands_processed:")[1].split()[0]))
    assert counts[0] == counts[1], "redis %d, tessera %d" % tuple(counts)


def _hello_summary(reply):
    """HELLO's reply type, its keys with the type of each value, and the values
    that must agree (proto, role, modules); server, version, id and mode
    legitimately differ."""
    fields = reply[1]
    if reply[0] == "*":  # RESP2: flat key/value array
        fields = list(zip(fields[::2], fields[1::2]))
    return (reply[0], sorted((value(k), v[0]) for k, v in fields),
            {value(k): v for k, v in fields if value(k) in (b"proto", b"role", b"modules")})


@pytest.mark.parametrize("args", [("HELLO",), ("HELLO", "2"), ("HELLO", "3"),
                                  ("HELLO", "3", "SETNAME", "myname")])
def test_hello(diff, args):
    rr, tr = diff.both(*args)
    assert rr[0] in "*%" and tr[0] in "*%", (rr, tr)
    assert _hello_summary(tr) == _hello_summary(rr), "redis: %r\ntessera: %r" % (rr, tr)
    # the protocol switch sticks (or not) for later commands on the connection
    diff([("GET", "missing"), ("CLIENT", "GETNAME"), ("INCRBYFLOAT", "f", "1.5")])


def test_hello_3_then_2(diff):
    diff.both("HELLO", "3")
    rr, tr = diff.both("HELLO", "2")
    assert _hello_summary(tr) == _hello_summary(rr), "redis: %r\ntessera: %r" % (rr, tr)
    diff([("GET", "missing"), ("PING",)])


def test_quit(servers):
    for srv in servers:
        c = srv.connect()
        assert c.send("QUIT") == ("+", b"OK"), srv.name
        assert c.is_closed(), "%s kept the connection open after QUIT" % srv.name
        c.close()


def test_reset(diff):
    diff([
        ("SELECT", "2"), ("SET", "k", "in-db2"), ("CLIENT", "SETNAME", "named"),
        ("RESET",), ("GET", "k"), ("CLIENT", "GETNAME"), ("SELECT", "2"), ("GET", "k"),
        ("RESET", "x"),
    ])
    rr, tr = diff.both("HELLO", "3")
    assert (rr[0], tr[0]) == ("%", "%")
    diff([("RESET",), ("GET", "missing")], flush=False)  # back to RESP2: '$' nil


def test_client_list_by_id_and_type(diff):
    """CLIENT LIST ID picks clients in the order asked; TYPE normal lists them all."""
    for name, conn in (("redis", diff.r), ("tessera", diff.t)):
        me = conn.send("CLIENT", "ID")[1]
        lines = value(conn.send("CLIENT", "LIST", "ID", str(me), "99999", str(me))).decode().splitlines()
        assert [line.split()[0] for line in lines] == ["id=%d" % me] * 2, (name, lines)
        everyone = value(conn.send("CLIENT", "LIST", "TYPE", "NORMAL")).decode()
        assert "id=%d " % me in everyone, name


def test_client_list_shows_the_command(servers):
    """CLIENT LIST's cmd= names the command running (CLIENT LIST itself) or the
    client's last one, a container's subcommand as `config|get`."""
    seen = []
    for srv in servers:
        me, other = srv.connect(), srv.connect()
        try:
            other_id = other.send("CLIENT", "ID")[1]
            fields = []
            for cmd in [("CONFIG", "GET", "port"), ("GET", "a"), ("object", "encoding", "a"),
                        ("MULTI",), ("SET", "a", "1"), ("EXEC",), ("CLIENT", "NOSUCH"),
                        ("CONFIG",), ("CONFIG", "GET"), ("NOSUCH",), ("GET",)]:
                other.send(*cmd)
                line = value(me.send("CLIENT", "LIST", "ID", str(other_id))).decode()
                fields.append([f for f in line.split() if f.startswith("cmd=")])
            fields.append([f for f in value(me.send("CLIENT", "INFO")).decode().split() if f.startswith("cmd=")])
            seen.append(fields)
        finally:
            me.close()
            other.close()
    assert seen[1] == seen[0], "redis: %r\ntessera: %r" % tuple(seen)
