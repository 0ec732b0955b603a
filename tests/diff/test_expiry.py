"""Keys with a short TTL vanish: lazily on access and actively in the background."""
import time

from harness import Cmd, unordered


def _wait_dbsize(conn, want, timeout=2.0):
    deadline = time.monotonic() + timeout
    while True:
        got = conn.send("DBSIZE")
        if got == (":", want) or time.monotonic() > deadline:
            return got
        time.sleep(0.05)


def test_px_expires(diff):
    diff([("SET", "short", "v", "PX", "100"), ("SET", "keep", "v"), ("SET", "long", "v", "EX", "100"),
          ("PEXPIRE", "keep2", "100"), ("SET", "p", "v", "PX", "100"), ("PERSIST", "p"),
          ("EXISTS", "short")])
    time.sleep(0.25)
    diff([("GET", "short"), ("EXISTS", "short"), ("TTL", "short"), ("PTTL", "short"),
          ("KEYS", "*"), Cmd("SCAN", "0"), ("GET", "p"), ("TTL", "long"), ("DBSIZE",),
          ("SET", "short", "again"), ("GET", "short"), ("TTL", "short")], flush=False)


def test_active_expiry(diff):
    """Keys that are never touched again must still be removed (DBSIZE drops)."""
    keys = ["vol:%d" % i for i in range(200)]
    # No DBSIZE here: on a loaded machine either server may already have expired some.
    diff([("SET", k, "v", "PX", "100") for k in keys] + [("SET", "stay", "v")])
    time.sleep(0.2)
    for name, conn in (("redis", diff.r), ("tessera", diff.t)):
        assert _wait_dbsize(conn, 1) == (":", 1), "%s: DBSIZE did not drop to 1 within 2 s" % name
    diff([("DBSIZE",), ("KEYS", "*"), ("SCAN", "0"), ("EXISTS", *keys[:10])], flush=False)


def test_expire_and_set_variants(diff):
    diff([("SET", "a", "v"), ("PEXPIRE", "a", "100"), ("SET", "b", "v"), ("EXPIREAT", "b", "1"),
          ("PSETEX", "c", "100", "v"), ("SET", "d", "1"), ("GETEX", "d", "PX", "100"),
          ("SET", "e", "v", "PXAT", str(int(time.time() * 1000) + 100)), ("EXISTS", "b")])
    time.sleep(0.3)
    diff([("MGET", "a", "b", "c", "d", "e"), ("EXISTS", "a", "b", "c", "d", "e"), unordered("KEYS", "*"),
          ("INCR", "d"), ("APPEND", "a", "x"), ("SETNX", "c", "new"), ("MGET", "a", "c", "d")],
         flush=False)


def _expired_keys(conn):
    info = conn.send("INFO", "stats")[1].decode()
    return int(info.split("expired_keys:")[1].split()[0])


def test_set_over_expired_keys_counts_each_once(diff):
    """A plain SET over a key whose TTL passed counts it in expired_keys once,
    whether active expiry or SET's own lookup found it first."""
    keys = ["gone:%d" % i for i in range(100)]
    diff([("CONFIG", "RESETSTAT")] + [("SET", k, "v", "PX", "50") for k in keys])
    time.sleep(0.2)
    diff([("SET", k, "new") for k in keys] + [("DBSIZE",), ("TTL", keys[0]), ("GET", keys[-1])], flush=False)
    for name, conn in (("redis", diff.r), ("tessera", diff.t)):
        assert _expired_keys(conn) == len(keys), name
