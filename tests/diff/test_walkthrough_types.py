"""The redis-py walk-through for lists, hashes, sets and sorted sets that users
follow, run against redis-server and Tessera (1 and 3 shards): every step's
result must be the same on both."""
import json

import pytest
import redis

# A small dictionary for the anagram example: words grouped by their sorted letters.
WORDS = ["listen", "silent", "enlist", "tinsel", "google", "elgoog", "inlets", "banana",
         "stone", "tones", "notes", "onset", "seton", "evil", "vile", "live", "veil", "levi",
         "angel", "glean", "angle", "below", "elbow", "state", "taste", "night", "thing",
         "dusty", "study", "cat", "act", "tac", "dog", "god", "solo"]


def clients(redis_server, tessera):
    out = []
    for srv in (redis_server, tessera):
        c = redis.Redis(host="127.0.0.1", port=srv.port, decode_responses=True)
        c.flushall()
        out.append(c)
    return out


def both(fn, redis_server, tessera):
    """Runs `fn(client)` on both servers and returns the two results."""
    r, t = clients(redis_server, tessera)
    try:
        return fn(r), fn(t)
    finally:
        r.close()
        t.close()


def lists_steps(r):
    out = [r.rpush("queue", "a", "b", "c"), r.lrange("queue", 0, -1), r.llen("queue"),
           r.rpop("queue"), r.lpush("queue", "z"), r.lpop("queue"), r.lrange("queue", 0, -1),
           r.lpop("queue", 5), r.exists("queue"), r.rpush("tasks", *range(10)),
           r.lrange("tasks", 2, 4), r.lindex("tasks", -1), r.ltrim("tasks", 0, 4), r.lrem("tasks", 0, 3),
           r.lmove("tasks", "done", "LEFT", "RIGHT"), r.lrange("done", 0, -1), r.type("tasks")]
    return out


def hashes_steps(r):
    out = [r.hset("user:1", mapping={"name": "alice", "age": 30, "city": "paris"}),
           r.hget("user:1", "name"), r.hgetall("user:1"), r.hincrby("user:1", "age", 1),
           r.hmget("user:1", ["name", "nope", "age"]), r.hexists("user:1", "city"),
           r.hdel("user:1", "city"), r.hkeys("user:1"), r.hvals("user:1"), r.hlen("user:1")]
    r.hset("big", mapping={"f%d" % i: i for i in range(1000)})
    out.append(sorted(r.hscan_iter("big", match="f1*")))
    out.append(sorted(k for k, _ in r.hscan_iter("user:1")))
    for i in range(5):
        r.hset("profile:%d" % i, "x", i)
    keys = sorted(r.keys("profile:*"))
    out.append(keys)
    out.append(r.delete(*keys))
    out.append(r.keys("profile:*"))
    return out


def sets_and_zsets_steps(r):
    out = [r.sadd("tags", "redis", "rust", "db"), sorted(r.smembers("tags")), r.sismember("tags", "rust"),
           r.sadd("other", "rust", "go"), sorted(r.sinter("tags", "other")), sorted(r.sunion("tags", "other")),
           r.scard("tags"), r.srem("tags", "db"),
           r.zadd("board", {"alice": 10, "bob": 7.5, "carol": 12}), r.zrange("board", 0, -1, withscores=True),
           r.zincrby("board", 5, "bob"), r.zrevrange("board", 0, 1), r.zscore("board", "carol"),
           r.zrank("board", "alice"), r.zrangebyscore("board", 8, "+inf"), r.zcard("board"),
           r.zpopmin("board")]
    return out


def anagrams(r):
    """Group words under Anagram:<signature> lists, then keep the groups as JSON in one hash."""
    for word in WORDS:
        r.rpush("Anagram:" + "".join(sorted(word)), word)
    groups = {}
    for key in sorted(r.keys("Anagram:*")):
        words = r.lrange(key, 0, -1)
        if len(words) > 1:
            groups[key.split(":", 1)[1]] = words
    for sig, words in groups.items():
        r.hset("anagrams", sig, json.dumps(words))
    stored = {k: json.loads(v) for k, v in r.hgetall("anagrams").items()}
    return [len(r.keys("Anagram:*")), sorted(stored.items()), r.hlen("anagrams")]


@pytest.mark.parametrize("steps", [lists_steps, hashes_steps, sets_and_zsets_steps, anagrams],
                         ids=lambda f: f.__name__)
def test_walkthrough(redis_server, tessera, steps):
    expected, got = both(steps, redis_server, tessera)
    assert got == expected
