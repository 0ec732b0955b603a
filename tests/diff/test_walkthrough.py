"""The redis-py walk-through users follow, run against Tessera (1 and 3 shards)."""
import time

import pytest
import redis


@pytest.fixture
def port(tessera):
    r = redis.Redis(host="127.0.0.1", port=tessera.port)
    r.flushall()
    r.close()
    return tessera.port


def test_bytes_client(port):
    r = redis.Redis(host="127.0.0.1", port=port)
    assert r.ping() is True
    assert r.set("foo", "bar") is True
    assert r.get("foo") == b"bar"
    assert r.get("nope") is None

    assert r.set("session", "token", ex=100) is True
    assert 98 <= r.ttl("session") <= 100
    assert r.set("foo", "baz", nx=True) is None
    assert r.set("foo", "baz", xx=True) is True
    assert r.set("foo", "qux", get=True) == b"baz"

    assert r.incr("counter") == 1
    assert r.incr("counter", 10) == 11
    assert r.decr("counter") == 10
    assert r.incrbyfloat("counter", 0.5) == 10.5

    assert r.mset({"user:1": "alice", "user:2": "bob", "user:3": "carol"}) is True
    assert r.mget("user:1", "user:2", "missing", "user:3") == [b"alice", b"bob", None, b"carol"]
    assert sorted(r.keys("user:*")) == [b"user:1", b"user:2", b"user:3"]

    assert r.exists("user:1", "user:2", "missing") == 2
    assert r.delete("user:1", "missing") == 1
    assert r.exists("user:1") == 0

    assert r.expire("user:2", 60) is True
    assert 58 <= r.ttl("user:2") <= 60
    assert r.ttl("user:3") == -1
    assert r.ttl("missing") == -2
    assert r.persist("user:2") is True
    assert r.ttl("user:2") == -1
    assert r.append("foo", "!") == 4
    assert r.getrange("foo", 0, 1) == b"qu"
    assert r.strlen("foo") == 4
    assert r.type("foo") == b"string"
    assert r.dbsize() == 5
    r.close()


def test_decode_responses(port):
    r = redis.Redis(host="127.0.0.1", port=port, decode_responses=True)
    r.set("greeting", "héllo wörld")
    assert r.get("greeting") == "héllo wörld"
    r.mset({"a:1": "x", "a:2": "y", "b:1": "z"})
    assert sorted(r.keys("a:*")) == ["a:1", "a:2"]
    assert r.mget(["a:1", "b:1"]) == ["x", "z"]
    assert r.getdel("b:1") == "z"
    assert r.get("b:1") is None
    assert r.getset("a:1", "new") == "x"
    assert r.rename("a:2", "a:3") is True
    assert r.get("a:3") == "y"
    assert r.set("short", "v", px=100) is True
    time.sleep(0.25)
    assert r.get("short") is None
    assert r.exists("short") == 0
    r.close()


def test_pipeline(port):
    r = redis.Redis(host="127.0.0.1", port=port, decode_responses=True)
    pipe = r.pipeline()
    pipe.set("p:1", "one").set("p:2", "two").incr("p:n").incr("p:n")
    pipe.get("p:1").mget("p:1", "p:2", "p:missing").expire("p:1", 100).ttl("p:1").delete("p:2")
    assert pipe.execute() == [True, True, 1, 2, "one", ["one", "two", None], True, 100, 1]
    r.close()


def test_pipeline_without_transaction(port):
    r = redis.Redis(host="127.0.0.1", port=port, decode_responses=True)
    with r.pipeline(transaction=False) as pipe:
        pipe.set("p:1", "one").get("p:1").incr("p:n").mget("p:1", "p:n", "p:missing")
        assert pipe.execute() == [True, "one", 1, ["one", "1", None]]
        for i in range(100):
            pipe.set("bulk:%d" % i, i)
        pipe.dbsize()
        results = pipe.execute()
    assert results == [True] * 100 + [102]
    r.close()


def test_scan_iter(port):
    r = redis.Redis(host="127.0.0.1", port=port, decode_responses=True)
    r.mset({"item:%d" % i: i for i in range(250)})
    r.mset({"other:%d" % i: i for i in range(20)})
    assert sorted(r.scan_iter(match="item:*", count=10)) == sorted("item:%d" % i for i in range(250))
    assert len(set(r.scan_iter())) == 270
    assert set(r.scan_iter(match="other:1?")) == {"other:%d" % i for i in range(10, 20)}
    r.close()


def test_optimistic_transaction(port):
    """WATCH/MULTI/EXEC the way redis-py users write it: transaction() and WatchError."""
    r = redis.Redis(host="127.0.0.1", port=port, decode_responses=True)
    r.set("balance", 10)

    def debit(pipe):
        balance = int(pipe.get("balance"))
        pipe.multi()
        pipe.set("balance", balance - 3)

    r.transaction(debit, "balance")
    assert r.get("balance") == "7"

    other = redis.Redis(host="127.0.0.1", port=port, decode_responses=True)
    with r.pipeline() as pipe:
        pipe.watch("balance")
        other.set("balance", 100)  # another client writes between WATCH and EXEC
        pipe.multi()
        pipe.set("balance", 0)
        with pytest.raises(redis.WatchError):
            pipe.execute()
    assert r.get("balance") == "100"
    r.close()
    other.close()
