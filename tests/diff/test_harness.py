"""Self-tests of the RESP client against redis-server alone (never skipped):
every RESP2/RESP3 reply type must parse into the expected tree."""
from harness import COMPARE, Cmd, Conn, encode, value


def test_encode():
    assert encode("SET", b"k", 1) == b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\n1\r\n"


def test_resp2_types(r):
    assert r.send("PING") == ("+", b"PONG")
    assert r.send("SET", "k", "v") == ("+", b"OK")
    assert r.send("GET", "k") == ("$", b"v")
    assert r.send("GET", "missing") == ("$", None)
    assert r.send("SET", "e", "") == ("+", b"OK")
    assert r.send("GET", "e") == ("$", b"")
    assert r.send("INCR", "n") == (":", 1)
    assert r.send("MGET", "k", "missing") == ("*", [("$", b"v"), ("$", None)])
    assert r.send("NOSUCHCMD")[0] == "-"
    assert r.send("SET", "bin", b"a\r\nb\x00") == ("+", b"OK")
    assert r.send("GET", "bin") == ("$", b"a\r\nb\x00")
    assert r.send("DEBUG", "PROTOCOL", "null") == ("$", None)


def test_resp3_types(r):
    assert value(r.send("HELLO", "3"))[b"proto"] == 3
    proto = lambda kind: r.send("DEBUG", "PROTOCOL", kind)
    assert proto("string") == ("$", b"Hello World")
    assert proto("integer") == (":", 12345)
    assert proto("double") == (",", b"3.141")
    assert proto("bignum") == ("(", 1234567999999999999999999999999999999)
    assert proto("null") == ("_", None)
    assert proto("array") == ("*", [(":", 0), (":", 1), (":", 2)])
    assert proto("set") == ("~", [(":", 0), (":", 1), (":", 2)])
    assert proto("map") == ("%", [((":", 0), ("#", False)), ((":", 1), ("#", True)),
                                  ((":", 2), ("#", False))])
    assert proto("true") == ("#", True)
    assert proto("false") == ("#", False)
    assert proto("verbatim") == ("=", b"txt:This is a verbatim\nstring")
    attrs, reply = proto("attrib")[1]
    assert attrs == [(("$", b"key-popularity"), ("*", [("$", b"key:123"), (":", 90)]))]
    assert reply == ("$", b"Some real reply following the attribute")
    # A push is out of band: it arrives before the command's own reply.
    assert proto("push") == (">", [("$", b"server-cpu-usage"), (":", 42)])
    assert r.read_reply() == ("$", b"Some real reply following the push reply")


def test_send_raw_and_close(redis_server):
    c = redis_server.connect()
    assert c.send_raw(b"PING\r\n") == ("+", b"PONG")
    assert not c.is_closed(timeout=0.2)
    assert c.send_raw(b"*abc\r\n")[0] == "-"
    assert c.is_closed()
    c.close()


def test_compare_modes(r):
    assert Cmd("keys", "*").mode == "unordered" and Cmd("PTTL", "k").mode == "pttl"
    assert COMPARE["unordered"](("*", [("$", b"a"), ("$", b"b")]),
                                ("*", [("$", b"b"), ("$", b"a")]), r)
    assert not COMPARE["exact"](("$", b"1"), (":", 1), r)
    assert COMPARE["ttl"]((":", 100), (":", 99), r)
    assert not COMPARE["ttl"]((":", -1), (":", -2), r)
    assert COMPARE["pttl"]((":", 5000), (":", 4200), r)
    assert not COMPARE["pttl"]((":", 5000), (":", 3000), r)
    assert COMPARE["shape"](("*", [("$", b"1"), ("$", b"2")]), ("*", [("$", b"3"), ("$", b"4")]), r)
    assert not COMPARE["shape"](("*", [("$", b"1")]), ("*", [(":", 1)]), r)
