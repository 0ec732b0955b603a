"""Raw protocol handling (send_raw): malformed requests, inline commands,
pipelining and partial writes."""
import time

import pytest

from harness import ConnectionClosed, encode

# (id, bytes to send, number of replies to read). After those replies a PING
# probes the connection: the outcome is "+PONG" or that it was closed.
CASES = [
    ("invalid_multibulk_len", b"*abc\r\n", 1),
    ("empty_multibulk_len", b"*\r\n", 1),
    ("multibulk_len_over_int", b"*2147483648\r\n", 1),
    ("invalid_bulk_len", b"*1\r\n$abc\r\n", 1),
    ("empty_bulk_len", b"*1\r\n$\r\n", 1),
    ("negative_bulk_len", b"*1\r\n$-1\r\n", 1),
    ("bulk_over_512mb", b"*1\r\n$600000000\r\n", 1),
    ("bulk_512mb_plus_1", b"*1\r\n$536870913\r\n", 1),
    ("expected_dollar", b"*1\r\nPING\r\n", 1),
    ("expected_dollar_int", b"*1\r\n:1\r\n", 1),
    ("null_multibulk_ignored", b"*-1\r\n", 0),
    ("zero_multibulk_ignored", b"*0\r\n", 0),
    ("empty_command_name", b"*1\r\n$0\r\n\r\n", 1),
    ("unknown_command", encode("foo", "a", "b"), 1),
    ("unknown_command_many_args", encode("foo", "a", "b", "c", "d", "e", "f"), 1),
    ("pipelined", encode("PING") + encode("SET", "a", "1") + encode("GET", "a") + encode("INCR", "a"), 4),
    ("binary_bulk", encode("SET", "b", b"\r\n\x00*1\r\n") + encode("GET", "b"), 2),
    ("inline_ping", b"PING\r\n", 1),
    ("inline_ping_lf", b"PING\n", 1),
    ("inline_spaces", b"   PING   \r\n", 1),
    ("inline_empty_lines", b"\r\n\r\nPING\r\n", 1),
    ("inline_quotes", b'SET a "b c"\r\nGET a\r\n', 2),
    ("inline_escapes", b'SET a "x\\x41\\n\\t\\"q"\r\nGET a\r\n', 2),
    ("inline_single_quotes", b"SET a 'it\\'s'\r\nGET a\r\n", 2),
    ("inline_empty_arg", b'ECHO ""\r\n', 1),
    ("inline_arity", b"ECHO 'a b' \"c\"\r\n", 1),
    ("inline_unknown", b"foo a b\r\n", 1),
    ("inline_then_multibulk", b"SET x 1\r\n" + encode("INCR", "x"), 2),
    ("unbalanced_double_quote", b'SET a "b\r\n', 1),
    ("unbalanced_single_quote", b"SET a 'b\r\n", 1),
    ("quote_followed_by_char", b'SET a "b"c\r\n', 1),
    ("too_big_inline", b"x" * 70000, 1),
]


def _exchange(conn, data, n):
    """Send `data`, read `n` replies, then probe with PING."""
    out = []
    try:
        conn.send_raw(data, read=False)
        for _ in range(n):
            out.append(conn.read_reply())
        out.append(conn.send("PING"))
    except (ConnectionClosed, ConnectionError, BrokenPipeError):
        out.append("<closed>")
    except TimeoutError:
        out.append("<timeout>")
    return out


@pytest.mark.parametrize("name,data,n", CASES, ids=[c[0] for c in CASES])
def test_protocol(servers, name, data, n):
    results = []
    for srv in servers:
        conn = srv.connect()
        conn.sock.settimeout(3)
        try:
            conn.send("DEL", "a", "b", "x")
            results.append(_exchange(conn, data, n))
        finally:
            conn.close()
    expected, got = results
    assert got == expected, "sent %r\n  redis:   %r\n  tessera: %r" % (data[:80], expected, got)


def test_error_does_not_affect_other_connection(servers):
    for srv in servers:
        good, bad = srv.connect(), srv.connect()
        try:
            assert good.send("SET", "shared", "v") == ("+", b"OK")
            assert bad.send_raw(b"*abc\r\n") == ("-", b"ERR Protocol error: invalid multibulk length")
            assert bad.is_closed(), srv.name
            assert good.send("GET", "shared") == ("$", b"v"), srv.name
            assert good.send("PING") == ("+", b"PONG"), srv.name
        finally:
            good.close()
            bad.close()


def test_split_writes(diff):
    """A command delivered in small pieces is parsed once complete."""
    data = encode("SET", "split", "x" * 100) + encode("GET", "split")
    for conn in (diff.r, diff.t):
        for i in range(0, len(data), 7):
            conn.send_raw(data[i:i + 7], read=False)
            time.sleep(0.002)
    assert [diff.t.read_reply() for _ in range(2)] == [diff.r.read_reply() for _ in range(2)]


def test_large_pipeline(diff):
    data = b"".join(encode("SET", "k%d" % (i % 50), i) + encode("INCR", "k%d" % (i % 50))
                    for i in range(2000))
    replies = []
    for conn in (diff.r, diff.t):
        conn.send_raw(data, read=False)
        replies.append([conn.read_reply() for _ in range(4000)])
    assert replies[1] == replies[0]
    diff([("KEYS", "*"), ("MGET", *["k%d" % i for i in range(50)])], flush=False)


def test_large_values(diff):
    diff([("SET", "big", b"\x00\xff" * 1_500_000), ("STRLEN", "big"), ("GET", "big"),
          ("APPEND", "big", "tail"), ("GETRANGE", "big", "-10", "-1"), ("MSET", "b1", "x" * 200_000, "b2", "y")])
