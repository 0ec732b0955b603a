"""RDB files: Tessera loads what redis-server saves and the other way round,
keeps its data across a restart, and SAVE/BGSAVE/LASTSAVE and the `save`
rules behave as Redis's."""
import os
import time

import pytest

from conftest import REDIS_BIN, TESSERA_BIN
from harness import Server
from test_dump_restore import VALUES, snapshot

# Every type and encoding (each VALUES case under its own key), without the
# cases that change thresholds (the loading server keeps its defaults).
DATA = [(c[0], name, *c[2:]) for name, cmds in VALUES.items()
        if not any(c[0] == "CONFIG" for c in cmds) for c in cmds]
DATA += [("SET", "ttl:%d" % i, "x", "PX", str(100_000_000 + i)) for i in range(20)]
DATA += [("HSET", "ttlhash", "a", "1"), ("PEXPIRE", "ttlhash", "50000000")]
DATA += [("SET", "k%d" % i, str(i)) for i in range(200)]
DATA += [("SELECT", "3"), ("SET", "in3", "three"), ("RPUSH", "list3", "a", "b"),
         ("SET", "ttl3", "y", "EX", "100000"), ("SELECT", "0")]


def start(tmp_path, name, argv):
    os.makedirs(tmp_path, exist_ok=True)
    srv = Server(name, argv, tmp_path)
    srv.start()
    return srv


def redis(dirpath):
    return start(dirpath, "redis", lambda port: [
        REDIS_BIN, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
        "--dir", str(dirpath), "--enable-debug-command", "yes"])


def tessera(dirpath, shards, *extra):
    if not os.path.exists(TESSERA_BIN):
        pytest.skip("tessera binary not found at %s" % TESSERA_BIN)
    return start(dirpath, "tessera", lambda port: [
        TESSERA_BIN, "--port", str(port), "--bind", "127.0.0.1", "--shards", str(shards),
        "--dir", str(dirpath), *extra])


def build(conn, cmds=DATA):
    for c in cmds:
        reply = conn.send(*c)
        assert reply[0] != "-", (c, reply)


def state(conn):
    """Every key of databases 0..15: snapshot and whether it has a TTL (and roughly which)."""
    out = {}
    for db in range(16):
        conn.send("SELECT", str(db))
        for key in conn.send("KEYS", "*")[1]:
            ttl = conn.send("PTTL", key)[1]
            out[(db, key)] = (snapshot(conn, key), ttl if ttl < 0 else ttl // 100_000)
    conn.send("SELECT", "0")
    return out


@pytest.fixture(params=[1, 3], ids=lambda n: "shards%d" % n)
def shards(request):
    return request.param


@pytest.fixture
def cleanup():
    servers = []
    yield servers
    for s in servers:
        s.stop()


def test_tessera_loads_redis_file(tmp_path, shards, cleanup):
    r = redis(tmp_path)
    cleanup.append(r)
    rc = r.connect()
    build(rc)
    rc.send("SET", "soon", "gone", "PX", "300")
    assert rc.send("SAVE") == ("+", b"OK")
    time.sleep(0.5)
    # Redis's own view of the file: what loading it gives (encodings included).
    assert rc.send("DEBUG", "RELOAD", "NOSAVE") == ("+", b"OK")
    want = state(rc)
    assert (0, b"soon") not in want and len(want) > 250
    t = tessera(tmp_path, shards)
    cleanup.append(t)
    assert state(t.connect()) == want


def test_redis_loads_tessera_file(tmp_path, shards, cleanup):
    t = tessera(tmp_path / "t", shards)
    cleanup.append(t)
    tc = t.connect()
    build(tc)
    assert tc.send("SAVE") == ("+", b"OK")
    assert os.path.exists(tmp_path / "t" / "dump.rdb")
    # The reference: Redis building the same data and loading its own file.
    ref = redis(tmp_path / "ref")
    cleanup.append(ref)
    refc = ref.connect()
    build(refc)
    refc.send("SAVE")
    refc.send("DEBUG", "RELOAD", "NOSAVE")
    want = state(refc)
    r = redis(tmp_path / "t")
    cleanup.append(r)
    assert state(r.connect()) == want
    assert state(tc) == want


def test_tessera_restart_keeps_data(tmp_path, shards, cleanup):
    t = tessera(tmp_path, shards)
    tc = t.connect()
    build(tc)
    before = state(tc)
    assert tc.send("BGSAVE") == ("+", b"Background saving started")
    for _ in range(100):
        info = tc.send("INFO", "persistence")[1]
        if b"rdb_bgsave_in_progress:0" in info:
            break
        time.sleep(0.05)
    assert b"rdb_changes_since_last_save:0" in info and b"rdb_last_bgsave_status:ok" in info
    t.stop()
    t = tessera(tmp_path, shards)
    cleanup.append(t)
    assert state(t.connect()) == before


def test_save_commands(tmp_path, cleanup):
    r = redis(tmp_path / "r")
    t = tessera(tmp_path / "t", 3)
    cleanup.extend([r, t])
    rc, tc = r.connect(), t.connect()
    for c in (rc, tc):
        before = c.send("LASTSAVE")
        assert before[0] == ":" and abs(before[1] - time.time()) < 30
        assert c.send("SAVE", "x")[1].startswith(b"ERR wrong number of arguments")
        assert c.send("BGSAVE", "x") == ("-", b"ERR syntax error")
        assert c.send("BGSAVE", "SCHEDULE", "x") == ("-", b"ERR syntax error")
        assert c.send("LASTSAVE", "x")[1].startswith(b"ERR wrong number of arguments")
        c.send("SET", "a", "1")
        assert b"rdb_changes_since_last_save:1" in c.send("INFO", "persistence")[1]
        assert c.send("SAVE") == ("+", b"OK")
        assert b"rdb_changes_since_last_save:0" in c.send("INFO", "persistence")[1]
        assert c.send("LASTSAVE")[1] >= before[1]
        # The save rules' syntax, as CONFIG GET shows them.
        for value, shown in [("3600 1 300 100", b"3600 1 300 100"), ("", b""), ("10 2", b"10 2")]:
            assert c.send("CONFIG", "SET", "save", value) == ("+", b"OK")
            assert c.send("CONFIG", "GET", "save") == ("*", [("$", b"save"), ("$", shown)])
        for bad in ("1", "a b", "1 2 3", "-1 5"):
            reply = c.send("CONFIG", "SET", "save", bad)
            assert reply[0] == "-" and b"save" in reply[1], (bad, reply)
        c.send("CONFIG", "SET", "save", "")


def test_save_rule_triggers_bgsave(tmp_path, cleanup):
    t = tessera(tmp_path, 3, "--save", "1", "2")
    cleanup.append(t)
    tc = t.connect()
    assert tc.send("CONFIG", "GET", "save") == ("*", [("$", b"save"), ("$", b"1 2")])
    first = tc.send("LASTSAVE")[1]
    tc.send("SET", "a", "1")
    time.sleep(2.5)
    assert not os.path.exists(tmp_path / "dump.rdb")  # one change, the rule wants two
    tc.send("SET", "b", "2")
    for _ in range(60):
        if os.path.exists(tmp_path / "dump.rdb"):
            break
        time.sleep(0.1)
    assert os.path.exists(tmp_path / "dump.rdb")
    time.sleep(0.2)
    assert tc.send("LASTSAVE")[1] > first


def test_config_file_save_lines(tmp_path, cleanup):
    conf = tmp_path / "t.conf"
    conf.write_text('save 3600 1\nsave 300 100\nsave 60 10000\n')
    t = start(tmp_path, "tessera", lambda port: [TESSERA_BIN, str(conf), "--port", str(port), "--shards", "1"])
    cleanup.append(t)
    assert t.connect().send("CONFIG", "GET", "save")[1][1] == ("$", b"3600 1 300 100 60 10000")


def test_corrupt_file_stops_startup(tmp_path):
    r = redis(tmp_path)
    try:
        c = r.connect()
        c.send("RPUSH", "l", *[str(i) for i in range(100)])
        c.send("SAVE")
    finally:
        r.stop()
    data = bytearray((tmp_path / "dump.rdb").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (tmp_path / "dump.rdb").write_bytes(bytes(data))
    with pytest.raises(RuntimeError) as e:
        tessera(tmp_path, 1)
    assert "dump.rdb" in str(e.value)
