"""COMMAND, COMMAND INFO/DOCS/COUNT/LIST/GETKEYS/GETKEYSANDFLAGS against redis-server 7.0.

Tessera implements a subset of Redis's commands, and of the subcommands of
Redis's container commands (CLIENT, CONFIG, OBJECT, COMMAND): Redis's replies
are restricted to what Tessera lists, and that list is checked against what
Tessera actually runs. Redis replies with commands and subcommands in its hash
table's order, so those lists are compared as sets; everything else exactly.
"""
import pytest

from harness import value


def pairs(reply):
    """A map reply's (key, value) pairs: a RESP3 map, or RESP2's flat array."""
    t, v = reply
    if t == "%":
        return list(v)
    assert t == "*" and len(v) % 2 == 0, reply
    return list(zip(v[::2], v[1::2]))


def hello(conn, proto):
    reply = conn.send("HELLO", str(proto))
    assert reply[0] in "*%", reply


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def proto(request, r, t):
    hello(r, request.param)
    hello(t, request.param)
    yield request.param
    hello(r, 2)
    hello(t, 2)


def tessera_names(t):
    """Tessera's top-level commands, and the full names of its subcommands."""
    names = [value(x).decode() for x in t.send("COMMAND", "LIST")[1]]
    top = [n for n in names if "|" not in n]
    return top, [n for n in names if "|" in n]


def norm_info(info, subs):
    """A COMMAND INFO entry with its subcommand list cut to `subs` and sorted by name."""
    t, fields = info
    assert t == "*" and len(fields) == 10, info
    st, sv = fields[9]
    kept = sorted((x for x in sv if value(x[1][0]).decode() in subs), key=lambda x: x[1][0][1])
    kept = [norm_info(x, subs) for x in kept]
    return (t, fields[:9] + [(st, kept)])


def norm_docs(docs, subs):
    """A COMMAND DOCS map with its `subcommands` map cut to `subs` and sorted by name."""
    out = []
    for k, v in pairs(docs):
        if value(k) == b"subcommands":
            kept = sorted(((n, norm_docs(d, subs)) for n, d in pairs(v) if value(n).decode() in subs),
                          key=lambda nd: nd[0][1])
            v = (v[0], kept)
        out.append((k, v))
    return (docs[0], out)


def test_count_and_list(r, t):
    top, subs = tessera_names(t)
    assert len(top) == len(set(top)) > 150
    assert t.send("COMMAND", "COUNT") == (":", len(top))
    redis_names = {value(x).decode() for x in r.send("COMMAND", "LIST")[1]}
    assert set(top) - redis_names == set(), "commands Redis does not have"
    assert set(subs) - redis_names == set(), "subcommands Redis does not have"
    # The subcommands listed are exactly those of the implemented containers in COMMAND INFO.
    infos = t.send("COMMAND", "INFO", *top)[1]
    from_info = {value(s[1][0]).decode() for i in infos for s in i[1][9][1]}
    assert from_info == set(subs)
    # COMMAND with no arguments and COMMAND INFO with none: every top-level command.
    for args in (("COMMAND",), ("COMMAND", "INFO")):
        names = sorted(value(i[1][0]).decode() for i in t.send(*args)[1])
        assert names == sorted(top), args


def test_subcommands_listed_are_implemented(r, t):
    """Each subcommand Tessera lists runs (no "unknown subcommand"), and each
    one of the same containers it leaves out does not."""
    top, subs = tessera_names(t)
    redis_subs = [value(x).decode() for x in r.send("COMMAND", "LIST")[1]]
    for full in redis_subs:
        base, _, sub = full.partition("|")
        if not sub or base not in top:
            continue
        if base == "client" and sub == "kill":
            continue  # CLIENT KILL with no filter is an arity error either way
        reply = t.send(base, sub)
        unknown = reply[0] == "-" and b"unknown subcommand" in reply[1]
        assert unknown == (full not in subs), (full, reply)


def test_info_each_command(r, t, proto):
    top, subs = tessera_names(t)
    for name in top:
        rr = r.send("COMMAND", "INFO", name)
        tr = t.send("COMMAND", "INFO", name)
        assert rr[0] == tr[0] == "*" and len(tr[1]) == 1, (name, tr)
        assert norm_info(tr[1][0], subs) == norm_info(rr[1][0], subs), "COMMAND INFO %s\nredis:   %r\ntessera: %r" % (
            name, norm_info(rr[1][0], subs), tr[1][0])
    for name in subs:
        rr, tr = r.send("COMMAND", "INFO", name.upper()), t.send("COMMAND", "INFO", name.upper())
        assert tr == rr, name


def test_info_all(r, t, proto):
    top, subs = tessera_names(t)
    for args in (("COMMAND",), ("COMMAND", "INFO")):
        redis = {value(i[1][0]): norm_info(i, subs) for i in r.send(*args)[1]}
        tess = {value(i[1][0]): norm_info(i, subs) for i in t.send(*args)[1]}
        assert tess == {n: i for n, i in redis.items() if n in tess}, args


def test_docs_each_command(r, t, proto):
    top, subs = tessera_names(t)
    for name in top + subs:
        rr, tr = r.send("COMMAND", "DOCS", name), t.send("COMMAND", "DOCS", name)
        assert rr[0] == tr[0], (name, tr)
        (rn, rd), = pairs(rr)
        (tn, td), = pairs(tr)
        assert tn == rn
        assert norm_docs(td, subs) == norm_docs(rd, subs), "COMMAND DOCS %s\nredis:   %r\ntessera: %r" % (
            name, norm_docs(rd, subs), td)


def test_docs_all(r, t, proto):
    top, subs = tessera_names(t)
    rr, tr = r.send("COMMAND", "DOCS"), t.send("COMMAND", "DOCS")
    assert rr[0] == tr[0]
    redis = {value(n): norm_docs(d, subs) for n, d in pairs(rr)}
    tess = {value(n): norm_docs(d, subs) for n, d in pairs(tr)}
    assert sorted(n.decode() for n in tess) == sorted(top)
    assert tess == {n: d for n, d in redis.items() if n in tess}


def test_docs_and_info_several(r, t, proto):
    """Several names at once, unknown ones and subcommand names among them."""
    _, subs = tessera_names(t)
    names = ["get", "nosuch", "CONFIG|GET", "config|nosuch", "get|x", "config|get|x", "Object|Encoding", "", "SET"]
    rr, tr = r.send("COMMAND", "DOCS", *names), t.send("COMMAND", "DOCS", *names)
    assert [(n, norm_docs(d, subs)) for n, d in pairs(tr)] == [(n, norm_docs(d, subs)) for n, d in pairs(rr)]
    rr, tr = r.send("COMMAND", "INFO", *names), t.send("COMMAND", "INFO", *names)
    assert tr[0] == rr[0] and len(tr[1]) == len(rr[1])
    for a, b in zip(rr[1], tr[1]):
        assert (norm_info(b, subs) if b[0] == "*" else b) == (norm_info(a, subs) if a[0] == "*" else a)


CATEGORIES = ["keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap",
              "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking",
              "dangerous", "connection", "transaction", "scripting", "READ", "nosuchcat", ""]
PATTERNS = ["*", "z*", "*store", "config|*", "*|*", "CLIENT|*", "g?t", "[a-c]*", "nosuch", "", "object*"]


def test_list_filterby(r, t):
    top, subs = tessera_names(t)
    ours = set(top) | set(subs)
    filters = [("ACLCAT", c) for c in CATEGORIES] + [("PATTERN", p) for p in PATTERNS]
    filters += [("MODULE", "nosuch"), ("module", ""), ("aclcat", "write"), ("pattern", "G*")]
    for kind, arg in filters:
        rr = r.send("COMMAND", "LIST", "FILTERBY", kind, arg)
        tr = t.send("COMMAND", "LIST", "FILTERBY", kind, arg)
        assert rr[0] == tr[0] == "*", (kind, arg, rr, tr)
        expected = sorted(n for n in (value(x).decode() for x in rr[1]) if n in ours)
        assert sorted(value(x).decode() for x in tr[1]) == expected, (kind, arg)


ERRORS = [
    ("COMMAND", "COUNT", "x"), ("COMMAND", "HELP"), ("COMMAND", "HELP", "x"), ("COMMAND", "help"),
    ("COMMAND", "NOSUCHSUB"), ("COMMAND", "NOSUCHSUB", "a"),
    ("COMMAND", "INFO", "nosuchcmd"), ("COMMAND", "DOCS", "nosuchcmd"), ("COMMAND", "DOCS", "nosuch", "x|y"),
    ("COMMAND", "LIST", "x"), ("COMMAND", "LIST", "FILTERBY"), ("COMMAND", "LIST", "FILTERBY", "aclcat"),
    ("COMMAND", "LIST", "FILTERBY", "nosuch", "x"), ("COMMAND", "LIST", "FILTERBY", "aclcat", "read", "x"),
    ("COMMAND", "LIST", "FILTERBY", "aclcat", "read", "FILTERBY", "pattern", "x"),
    ("COMMAND", "GETKEYS"), ("COMMAND", "GETKEYS", "get"), ("COMMAND", "GETKEYSANDFLAGS"),
    ("COMMAND", "GETKEYSANDFLAGS", "get"),
]


@pytest.mark.parametrize("protocol", [2, 3])
def test_errors_and_help(diff, r, t, protocol):
    hello(r, protocol)
    hello(t, protocol)
    try:
        diff(ERRORS)
    finally:
        hello(r, 2)
        hello(t, 2)


GETKEYS = [
    ("GET", "a"), ("SET", "a", "b"), ("SET", "a", "b", "GET"), ("SET", "a", "b", "EX", "10", "get"),
    ("SET", "a"), ("MSET", "a", "1", "b", "2"), ("MSET", "a", "1", "b"), ("MSET", "a"), ("MGET", "a", "b", "c"),
    ("DEL", "x", "y"), ("RENAME", "a", "b"), ("COPY", "a", "b", "DB", "1"), ("LCS", "a", "b"),
    ("LMOVE", "a", "b", "LEFT", "RIGHT"), ("SMOVE", "a", "b", "m"), ("BITOP", "AND", "d", "a", "b"),
    ("PFCOUNT", "a", "b"), ("PFMERGE", "d", "a", "b"), ("PFDEBUG", "GETREG", "k"),
    ("GETEX", "a", "PERSIST"), ("EXPIRE", "a", "10"), ("OBJECT", "ENCODING", "k"), ("object", "freq", "k"),
    ("OBJECT", "ENCODING"), ("OBJECT", "ENCODING", "k", "x"), ("OBJECT", "HELP"), ("OBJECT", "NOSUCH", "k"),
    ("OBJECT",), ("CONFIG", "GET", "x"), ("CLIENT", "LIST"), ("CLIENT", "PAUSE", "10"), ("PING",), ("PING", "x"),
    ("NOSUCH", "a"), ("DEBUG", "SLEEP", "0"), ("COMMAND", "INFO"), ("FLUSHALL",),
    ("SUNIONSTORE", "d", "a", "b"), ("SINTERSTORE", "d", "a"), ("ZRANGESTORE", "d", "s", "0", "-1"),
    ("GEOSEARCHSTORE", "d", "s", "FROMMEMBER", "m", "BYRADIUS", "1", "km"),
    ("BITFIELD", "k", "GET", "u8", "0"), ("BITFIELD", "k", "SET", "u8", "0", "1"),
    ("BITFIELD", "k", "OVERFLOW", "SAT", "GET", "u8", "0"), ("BITFIELD", "k", "INCRBY", "u8", "0", "1"),
    ("BITFIELD", "k", "GET", "u8"), ("BITFIELD", "k"), ("BITFIELD_RO", "k", "GET", "u8", "0"),
    # Movable keys.
    ("LMPOP", "2", "a", "b", "LEFT"), ("LMPOP", "1", "a", "RIGHT", "COUNT", "2"), ("LMPOP", "3", "a", "b", "LEFT"),
    ("LMPOP", "0", "a", "LEFT"), ("LMPOP", "x", "a", "LEFT"), ("LMPOP", "-1", "a", "LEFT"),
    ("ZMPOP", "2", "a", "b", "MIN"), ("ZMPOP", "5", "a", "b", "MIN"),
    ("SINTERCARD", "2", "a", "b"), ("SINTERCARD", "1", "a", "LIMIT", "5"), ("SINTERCARD", "3", "a", "b"),
    ("ZUNION", "2", "a", "b"), ("ZUNION", "2", "a", "b", "WEIGHTS", "1", "2"), ("ZUNION", "3", "a", "b"),
    ("ZINTER", "1", "a", "WITHSCORES"), ("ZDIFF", "2", "a", "b"), ("ZINTERCARD", "2", "a", "b", "LIMIT", "1"),
    ("ZUNIONSTORE", "d", "2", "a", "b"), ("ZUNIONSTORE", "d", "2", "a", "b", "AGGREGATE", "MAX"),
    ("ZUNIONSTORE", "d", "3", "a", "b"), ("ZUNIONSTORE", "d", "0", "a"), ("ZUNIONSTORE", "d", "x", "a"),
    ("ZINTERSTORE", "d", "1", "a"), ("ZDIFFSTORE", "d", "2", "a", "b"),
    ("SORT", "k"), ("SORT", "k", "STORE", "d"), ("SORT", "k", "BY", "w_*", "GET", "o_*", "STORE", "d"),
    ("SORT", "k", "LIMIT", "0", "1", "STORE", "d"), ("SORT", "k", "STORE", "d1", "STORE", "d2"),
    ("SORT", "k", "GET", "store", "d"), ("SORT", "k", "STORE"), ("SORT_RO", "k"), ("SORT_RO", "k", "BY", "x"),
    ("GEORADIUS", "k", "1", "2", "3", "km"), ("GEORADIUS", "k", "1", "2", "3", "km", "STORE", "d"),
    ("GEORADIUS", "k", "1", "2", "3", "km", "STOREDIST", "d"),
    ("GEORADIUS", "k", "1", "2", "3", "km", "STORE", "a", "STORE", "b"),
    ("GEORADIUS", "k", "1", "2", "3", "km", "STORE", "a", "STOREDIST", "b"),
    ("GEORADIUS", "k", "1", "2", "3", "km", "STORE"),
    ("GEORADIUSBYMEMBER", "k", "m", "3", "km", "STORE", "d"), ("GEORADIUSBYMEMBER", "k", "m", "3", "km"),
    ("GEORADIUS_RO", "k", "1", "2", "3", "km"), ("GEOSEARCH", "k", "FROMMEMBER", "m", "BYRADIUS", "1", "km"),
]


@pytest.mark.parametrize("protocol", [2, 3])
def test_getkeys(diff, r, t, protocol):
    hello(r, protocol)
    hello(t, protocol)
    try:
        diff([("COMMAND", "GETKEYS") + args for args in GETKEYS])
        diff([("COMMAND", "GETKEYSANDFLAGS") + args for args in GETKEYS])
    finally:
        hello(r, 2)
        hello(t, 2)


def test_getkeys_every_command(r, t):
    """COMMAND GETKEYS on each implemented command with plausible arguments:
    the shortest form its arity allows, all arguments named like keys."""
    top, _ = tessera_names(t)
    for name in top:
        arity = value(t.send("COMMAND", "INFO", name)[1][0])[1]
        n = arity if arity > 0 else -arity
        args = [name] + ["k%d" % i for i in range(1, n)]
        for extra in ([], ["k%d" % n]):
            cmd = ("COMMAND", "GETKEYS", *args, *extra)
            assert t.send(*cmd) == r.send(*cmd), cmd
