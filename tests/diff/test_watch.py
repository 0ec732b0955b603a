"""WATCH/UNWATCH with two clients: the same script on redis-server and Tessera
(keys spread over shards), every reply compared."""
import pytest

KEYS = ["w:%d" % i for i in range(6)]

# (client, command) steps: client 0 watches and runs transactions, client 1 interferes.
SCRIPTS = {
    "untouched_exec_runs": [
        (0, ("SET", KEYS[0], "1")), (0, ("WATCH", KEYS[0], KEYS[1])), (0, ("MULTI",)),
        (0, ("INCR", KEYS[0])), (0, ("SET", KEYS[2], "x")), (0, ("EXEC",)), (0, ("MGET", *KEYS[:3])),
    ],
    "write_by_other_client_aborts": [
        (0, ("SET", KEYS[0], "1")), (0, ("WATCH", KEYS[0])), (1, ("SET", KEYS[0], "2")),
        (0, ("MULTI",)), (0, ("INCR", KEYS[0])), (0, ("EXEC",)), (0, ("GET", KEYS[0])),
    ],
    "write_to_key_on_another_shard_aborts": [
        (0, ("WATCH", KEYS[3], KEYS[4], KEYS[5])), (1, ("DEL", KEYS[5])), (1, ("SET", KEYS[4], "v")),
        (0, ("MULTI",)), (0, ("SET", KEYS[0], "t")), (0, ("EXEC",)), (0, ("EXISTS", KEYS[0])),
    ],
    "unwatch_forgets": [
        (0, ("WATCH", KEYS[0])), (1, ("SET", KEYS[0], "2")), (0, ("UNWATCH",)),
        (0, ("MULTI",)), (0, ("SET", KEYS[1], "ok")), (0, ("EXEC",)), (0, ("GET", KEYS[1])),
    ],
    "exec_clears_watch": [
        (0, ("WATCH", KEYS[0])), (0, ("MULTI",)), (0, ("PING",)), (0, ("EXEC",)),
        (1, ("SET", KEYS[0], "later")), (0, ("MULTI",)), (0, ("GET", KEYS[0])), (0, ("EXEC",)),
    ],
    "discard_clears_watch": [
        (0, ("WATCH", KEYS[1])), (0, ("MULTI",)), (0, ("DISCARD",)), (1, ("SET", KEYS[1], "x")),
        (0, ("MULTI",)), (0, ("GET", KEYS[1])), (0, ("EXEC",)),
    ],
    "flushall_aborts": [
        (0, ("SET", KEYS[2], "1")), (0, ("WATCH", KEYS[2])), (1, ("FLUSHALL",)),
        (0, ("MULTI",)), (0, ("SET", KEYS[3], "x")), (0, ("EXEC",)), (0, ("EXISTS", KEYS[3])),
    ],
    "keyspace_transaction_aborts": [
        (0, ("SET", KEYS[2], "1")), (0, ("WATCH", KEYS[2])), (1, ("SET", KEYS[2], "2")),
        (0, ("MULTI",)), (0, ("FLUSHALL",)), (0, ("EXEC",)), (0, ("GET", KEYS[2])),
    ],
    "keyspace_transaction_touches_watchers": [
        (1, ("SET", KEYS[4], "1")), (1, ("WATCH", KEYS[4])), (0, ("MULTI",)), (0, ("DBSIZE",)),
        (0, ("SET", KEYS[4], "2")), (0, ("EXEC",)), (1, ("MULTI",)), (1, ("GET", KEYS[4])), (1, ("EXEC",)),
    ],
    # Writes that change nothing do not touch a watched key, as in Redis.
    "noop_writes_keep_watch": [
        (0, ("SADD", KEYS[0], "a")), (0, ("HSET", KEYS[1], "f", "v")), (0, ("RPUSH", KEYS[3], "x")),
        (0, ("WATCH", *KEYS)), (1, ("SADD", KEYS[0], "a")), (1, ("SREM", KEYS[0], "zz")),
        (1, ("HDEL", KEYS[1], "nope")), (1, ("HSETNX", KEYS[1], "f", "w")), (1, ("DEL", KEYS[2])),
        (1, ("EXPIRE", KEYS[2], "100")), (1, ("PERSIST", KEYS[0])), (1, ("LPOP", KEYS[2])),
        (1, ("LREM", KEYS[3], "0", "nope")), (1, ("ZREM", KEYS[4], "m")), (1, ("GETDEL", KEYS[5])),
        (1, ("SETNX", KEYS[3], "v")), (1, ("LPUSHX", KEYS[2], "v")), (1, ("EXPIRE", KEYS[0], "100", "XX")),
        (0, ("MULTI",)), (0, ("SET", KEYS[5], "ran")), (0, ("EXEC",)), (0, ("GET", KEYS[5])),
    ],
    "noop_writes_over_several_keys_keep_watch": [
        (0, ("SADD", KEYS[0], "a")), (0, ("SADD", KEYS[1], "b")), (0, ("WATCH", *KEYS)),
        (1, ("DEL", KEYS[2], KEYS[5])), (1, ("SMOVE", KEYS[0], KEYS[4], "nope")),
        (1, ("RENAMENX", KEYS[0], KEYS[1])), (1, ("MSETNX", KEYS[0], "x", KEYS[3], "y")),
        (1, ("LMOVE", KEYS[2], KEYS[3], "LEFT", "RIGHT")),
        (0, ("MULTI",)), (0, ("SET", KEYS[5], "ran")), (0, ("EXEC",)), (0, ("GET", KEYS[5])),
    ],
    # Writes whose reply does not show that they changed nothing.
    "unchanged_writes_keep_watch": [
        (0, ("ZADD", KEYS[0], "1", "m")), (0, ("GEOADD", KEYS[1], "13.361389", "38.115556", "p")),
        (0, ("SET", KEYS[2], "v")), (0, ("WATCH", *KEYS)), (1, ("ZADD", KEYS[0], "1", "m")),
        (1, ("ZADD", KEYS[0], "XX", "GT", "0", "m")), (1, ("ZADD", KEYS[0], "CH", "1", "m")),
        (1, ("ZINCRBY", KEYS[0], "0", "m")), (1, ("ZADD", KEYS[0], "INCR", "0", "m")),
        (1, ("GEOADD", KEYS[1], "13.361389", "38.115556", "p")), (1, ("RENAME", KEYS[2], KEYS[2])),
        (1, ("SINTERSTORE", KEYS[3], "nokey:1", "nokey:2")), (1, ("SUNIONSTORE", KEYS[4], KEYS[5])),
        (1, ("ZUNIONSTORE", KEYS[3], "1", KEYS[5])), (1, ("ZRANGESTORE", KEYS[4], KEYS[5], "0", "-1")),
        (1, ("BITOP", "OR", KEYS[5], KEYS[3], KEYS[4])), (1, ("SORT", KEYS[5], "STORE", KEYS[3])),
        (1, ("GEOSEARCHSTORE", KEYS[4], KEYS[1], "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km")),
        (0, ("MULTI",)), (0, ("SET", KEYS[5], "ran")), (0, ("EXEC",)), (0, ("GET", KEYS[5])),
    ],
    "store_of_nothing_over_a_key_aborts": [
        (0, ("SET", KEYS[3], "v")), (0, ("WATCH", KEYS[3])), (1, ("SINTERSTORE", KEYS[3], "nokey:1", KEYS[5])),
        (0, ("MULTI",)), (0, ("SET", KEYS[5], "ran")), (0, ("EXEC",)), (0, ("EXISTS", KEYS[3], KEYS[5])),
    ],
    "zadd_of_a_new_score_aborts": [
        (0, ("ZADD", KEYS[0], "1", "m")), (0, ("WATCH", KEYS[0])), (1, ("ZADD", KEYS[0], "2", "m")),
        (0, ("MULTI",)), (0, ("ZSCORE", KEYS[0], "m")), (0, ("EXEC",)),
    ],
    "real_change_after_noop_aborts": [
        (0, ("SADD", KEYS[0], "a")), (0, ("WATCH", KEYS[0])), (1, ("SADD", KEYS[0], "a")),
        (1, ("SADD", KEYS[0], "b")), (0, ("MULTI",)), (0, ("SCARD", KEYS[0])), (0, ("EXEC",)),
    ],
    # A transaction over several shards touches the keys of its commands that changed something.
    "transaction_of_unchanged_writes_keeps_watch": [
        (0, ("SADD", KEYS[0], "a")), (0, ("SET", KEYS[1], "v")), (0, ("WATCH", KEYS[0], KEYS[1])),
        (1, ("MULTI",)), (1, ("SADD", KEYS[0], "a")), (1, ("SET", KEYS[5], "x")), (1, ("DEL", "nokey:9")),
        (1, ("SORT", KEYS[0], "ALPHA")), (1, ("RENAME", "nokey:1", KEYS[1])), (1, ("INCR", KEYS[1])),
        (1, ("SORT", KEYS[5], "STORE", KEYS[1])), (1, ("EXEC",)),
        (0, ("MULTI",)), (0, ("SET", KEYS[4], "ran")), (0, ("EXEC",)), (0, ("MGET", KEYS[1], KEYS[4])),
    ],
    "transaction_that_changes_a_watched_key_aborts": [
        (0, ("SADD", KEYS[0], "a")), (0, ("WATCH", KEYS[0])), (1, ("MULTI",)), (1, ("SADD", KEYS[0], "a")),
        (1, ("SET", KEYS[5], "x")), (1, ("SADD", KEYS[0], "b")), (1, ("EXEC",)),
        (0, ("MULTI",)), (0, ("SCARD", KEYS[0])), (0, ("EXEC",)),
    ],
    "misuse": [
        (0, ("WATCH",)), (0, ("MULTI",)), (0, ("WATCH", KEYS[0])), (0, ("EXEC",)), (0, ("UNWATCH", "x")),
    ],
}


@pytest.mark.parametrize("name", SCRIPTS)
def test_watch(servers, name):
    replies = []
    for server in servers:
        clients = [server.connect(), server.connect()]
        try:
            clients[0].send("FLUSHALL")
            replies.append([clients[who].send(*cmd) for who, cmd in SCRIPTS[name]])
        finally:
            for c in clients:
                c.close()
    for (who, cmd), expected, got in zip(SCRIPTS[name], *replies):
        assert expected == got, "client %d %r\n  redis:   %r\n  tessera: %r" % (who, cmd, expected, got)
