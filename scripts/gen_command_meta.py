#!/usr/bin/env python3
"""Writes crates/server/src/command_meta.rs: Redis 7.0's COMMAND INFO and
COMMAND DOCS for every command in Tessera's table (crates/server/src/commands.rs),
taken from a real redis-server.

    scripts/gen_command_meta.py [--check]

Starts `redis-server` (or $REDIS_SERVER_BIN) on a free port, asks it in RESP3
for the info and docs of each table command, and writes them as the exact
RESP3 text Redis sent, one `Meta` per command, with its subcommands (all of
Redis's: the table says which Tessera implements, and COMMAND shows only
those) split off so the server can leave out the ones it lacks. `--check`
only compares the generated text with the checked-in file (exit status 1 on a
difference).

The server parses the text back into replies, so RESP2 clients get Redis's
RESP2 form (maps as flat arrays, sets as arrays) from the same data.
"""
import os
import pathlib
import re
import shutil
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "diff"))
from harness import Conn, Server  # noqa: E402

TABLE = REPO / "crates" / "server" / "src" / "commands.rs"
OUT = REPO / "crates" / "server" / "src" / "command_meta.rs"
WIDTH = 110


def table_commands():
    """The command names of Tessera's table, in table order."""
    text = TABLE.read_text()
    start = text.index("pub static COMMANDS")
    body = text[start:text.index("\n];", start)]
    names = re.findall(r'\b(?:keyed|local|server|server_keyed)!\(\s*"([a-z_]+)"', body)
    assert len(names) == len(set(names)), "a command listed twice"
    return names


def serialize(node):
    """A parsed reply (harness tree) back to its RESP3 text."""
    t, v = node
    if t in "+":
        return "+%s\r\n" % v.decode()
    if t == "$":
        s = v.decode()
        return "$%d\r\n%s\r\n" % (len(v), s)
    if t == ":":
        return ":%d\r\n" % v
    if t in "*~":
        return "%s%d\r\n" % (t, len(v)) + "".join(serialize(x) for x in v)
    if t == "%":
        return "%%%d\r\n" % len(v) + "".join(serialize(k) + serialize(x) for k, x in v)
    raise ValueError("unexpected reply type %r in command metadata" % t)


def tokens(node):
    """The RESP3 text of `node`, cut before each element (for line wrapping)."""
    t, v = node
    if t in "*~":
        yield "%s%d\r\n" % (t, len(v))
        for x in v:
            yield from tokens(x)
    elif t == "%":
        yield "%%%d\r\n" % len(v)
        for k, x in v:
            yield from tokens(k)
            yield from tokens(x)
    else:
        yield serialize(node)


def rust_str(node, indent):
    """A Rust string literal holding the RESP3 text of `node`, wrapped with
    `\\`-continuations (which drop the newline and the next line's indentation;
    every line starts with a RESP type byte, never with a space)."""
    pad = " " * indent
    lines, cur = [], ""
    for tok in tokens(node):
        esc = tok.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "\\r").replace("\n", "\\n")
        assert not any(ord(c) < 32 for c in esc), "control character in %r" % tok
        if cur and len(pad) + len(cur) + len(esc) > WIDTH:
            lines.append(cur)
            cur = ""
        cur += esc
    lines.append(cur)
    return '"' + ("\\\n" + pad).join(lines) + '"'


def split_info(info):
    """COMMAND INFO's reply for one command: (its 10 fields, the last emptied,
    the subcommands' infos). Redis sends an empty set for a command without
    subcommands, an array for a container's."""
    t, fields = info
    assert t == "*" and len(fields) == 10, info
    st, subs = fields[9]
    assert st == "*" or (st == "~" and not subs), fields[9]
    return ("*", fields[:9] + [(st, [])]), subs


def split_docs(docs):
    """A command's COMMAND DOCS map: (the map without `subcommands`, the
    subcommands' (name, docs) pairs). Redis writes `subcommands` last."""
    t, pairs = docs
    assert t == "%", docs
    keys = [k for k, _ in pairs]
    assert all(k[0] == "$" for k in keys), keys
    if keys and keys[-1] == ("$", b"subcommands"):
        subs = pairs[-1][1]
        assert subs[0] == "%", subs
        return ("%", pairs[:-1]), subs[1]
    assert ("$", b"subcommands") not in keys
    return docs, []


def info_field(info, i):
    return info[1][i]


def emit_meta(name, info, docs, sub_docs, indent):
    """One `Meta` literal."""
    pad = " " * indent
    arity = info_field(info, 1)[1]
    flags = [f[1].decode() for f in info_field(info, 2)[1]]
    first, last, step = (info_field(info, i)[1] for i in (3, 4, 5))
    acl = [c[1].decode() for c in info_field(info, 6)[1]]
    info, sub_infos = split_info(info)
    by_name = {i[1][0][1].decode(): i for i in sub_infos}
    assert set(by_name) == {n.decode() for n, _ in ((k[1], v) for k, v in sub_docs)}, name
    out = [pad + "Meta {"]
    inner = pad + "    "
    out.append('%sname: "%s",' % (inner, name))
    out.append("%sarity: %d," % (inner, arity))
    out.append("%sflags: &[%s]," % (inner, ", ".join('"%s"' % f for f in flags)))
    out.append("%skeys: (%d, %d, %d)," % (inner, first, last, step))
    out.append("%sacl_categories: &[%s]," % (inner, ", ".join('"%s"' % c for c in acl)))
    out.append("%sinfo: %s," % (inner, rust_str(info, indent + 8)))
    out.append("%sdocs: %s," % (inner, rust_str(docs, indent + 8)))
    if sub_docs:
        out.append("%ssubcommands: &[" % inner)
        for k, v in sorted(sub_docs, key=lambda kv: kv[0][1]):
            sub = k[1].decode()
            sub_docs_map, nested = split_docs(v)
            assert not nested
            out.append(emit_meta(sub, by_name[sub], sub_docs_map, [], indent + 8) + ",")
        out.append("%s]," % inner)
    else:
        out.append("%ssubcommands: &[]," % inner)
    out.append(pad + "}")
    return "\n".join(out)


def generate(conn, version):
    names = table_commands()
    assert conn.send("HELLO", "3")[0] == "%"
    infos = conn.send("COMMAND", "INFO", *names)[1]
    docs = dict((k[1].decode(), v) for k, v in conn.send("COMMAND", "DOCS", *names)[1])
    missing = [n for n, i in zip(names, infos) if i[0] != "*" or n not in docs]
    assert not missing, "redis-server has no command %s" % ", ".join(missing)
    out = [
        "//! Generated by scripts/gen_command_meta.py from redis-server %s's COMMAND INFO" % version,
        "//! and COMMAND DOCS (RESP3) for the commands of the table in commands.rs: do not edit.",
        "//! Run the script again after adding a command to the table.",
        "",
        "use crate::command::Meta;",
        "",
        "/// One entry per table command, sorted by name.",
        "#[rustfmt::skip]",
        "pub static META: &[Meta] = &[",
    ]
    for name, info in sorted(zip(names, infos)):
        top_docs, sub_docs = split_docs(docs[name])
        out.append(emit_meta(name, info, top_docs, sub_docs, 4) + ",")
    out.append("];")
    return "\n".join(out) + "\n"


def main():
    check = "--check" in sys.argv[1:]
    redis_bin = os.environ.get("REDIS_SERVER_BIN", shutil.which("redis-server") or "redis-server")
    with tempfile.TemporaryDirectory() as tmp:
        srv = Server("redis", lambda port: [redis_bin, "--port", str(port), "--bind", "127.0.0.1",
                                            "--save", "", "--appendonly", "no", "--daemonize", "no"], tmp)
        try:
            srv.start()
            conn = Conn(srv.port)
            info = conn.send("INFO", "server")[1].decode()
            version = re.search(r"redis_version:(\S+)", info).group(1)
            assert version.startswith("7.0."), "need redis-server 7.0, found %s" % version
            text = generate(conn, version)
            conn.close()
        finally:
            srv.stop()
    if check:
        if OUT.read_text() != text:
            print("%s is out of date: run scripts/gen_command_meta.py" % OUT.relative_to(REPO))
            sys.exit(1)
        return
    OUT.write_text(text)
    print("wrote %s (%d bytes)" % (OUT.relative_to(REPO), len(text)))


if __name__ == "__main__":
    main()
