//! Multi-shard commands are atomic: no client ever observes half of one.

use redis::Commands;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};
use tessera_tests::{keys_on_distinct_shards, shard_of, Server};

const SHARDS: usize = 3;
const RUN_FOR: Duration = Duration::from_secs(3);

#[test]
fn mset_pairs_are_never_seen_half_written_by_mget() {
    let server = Server::start(SHARDS, &[]);
    // Pairs whose two keys live on different shards.
    let keys = keys_on_distinct_shards("pair:", SHARDS, 16);
    let pairs: Vec<(String, String)> = keys.chunks(2).map(|c| (c[0].clone(), c[1].clone())).collect();
    for (a, b) in &pairs {
        assert_ne!(shard_of(a, SHARDS), shard_of(b, SHARDS));
    }
    let stop = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicU64::new(0));
    let mut threads = Vec::new();
    for w in 0..2u64 {
        let (pairs, stop, client) = (pairs.clone(), stop.clone(), server.client());
        threads.push(thread::spawn(move || {
            let mut conn = client.get_connection().unwrap();
            let mut n = w * 1_000_000_000;
            while !stop.load(Ordering::Relaxed) {
                for (a, b) in &pairs {
                    n += 1;
                    let _: () = conn.mset(&[(a, n), (b, n)]).unwrap();
                }
            }
        }));
    }
    for _ in 0..3 {
        let (pairs, stop, reads, client) = (pairs.clone(), stop.clone(), reads.clone(), server.client());
        threads.push(thread::spawn(move || {
            let mut conn = client.get_connection().unwrap();
            while !stop.load(Ordering::Relaxed) {
                for (a, b) in &pairs {
                    let (x, y): (Option<u64>, Option<u64>) = conn.mget(&[a, b]).unwrap();
                    assert_eq!(x, y, "MGET {a} {b} saw half of an MSET");
                    reads.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    thread::sleep(RUN_FOR);
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().expect("a client thread failed");
    }
    assert!(reads.load(Ordering::Relaxed) > 100, "readers made too little progress");
}

#[test]
fn rename_across_shards_never_shows_zero_or_two_keys() {
    let server = Server::start(SHARDS, &[]);
    let keys = keys_on_distinct_shards("hop:", SHARDS, 2);
    let (a, b) = (keys[0].clone(), keys[1].clone());
    let mut conn = server.conn();
    let _: () = conn.set(&a, "payload").unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let renamer = {
        let (a, b, stop, client) = (a.clone(), b.clone(), stop.clone(), server.client());
        thread::spawn(move || {
            let mut conn = client.get_connection().unwrap();
            let mut moves = 0;
            while !stop.load(Ordering::Relaxed) {
                let (from, to) = if moves % 2 == 0 { (&a, &b) } else { (&b, &a) };
                let _: () = conn.rename(from, to).unwrap();
                moves += 1;
            }
            moves
        })
    };
    let deadline = Instant::now() + RUN_FOR;
    let mut checks = 0;
    while Instant::now() < deadline {
        let n: i64 = redis::cmd("EXISTS").arg(&a).arg(&b).query(&mut conn).unwrap();
        assert_eq!(n, 1, "EXISTS saw {n} of the two names during a RENAME");
        let v: Vec<Option<String>> = conn.mget(&[&a, &b]).unwrap();
        assert_eq!(v.iter().flatten().count(), 1, "MGET saw {v:?}");
        checks += 1;
    }
    stop.store(true, Ordering::Relaxed);
    let moves = renamer.join().unwrap();
    assert!(moves > 10 && checks > 10, "too little progress: {moves} moves, {checks} checks");
}

#[test]
fn msetnx_across_shards_is_all_or_nothing() {
    let server = Server::start(SHARDS, &[]);
    let keys = keys_on_distinct_shards("nx:", SHARDS, 4);
    let mut conn = server.conn();
    let ok: i64 = redis::cmd("MSETNX").arg(&keys[0]).arg(1).arg(&keys[1]).arg(1).query(&mut conn).unwrap();
    assert_eq!(ok, 1);
    // One key already exists: nothing may be written.
    let ok: i64 =
        redis::cmd("MSETNX").arg(&keys[2]).arg(2).arg(&keys[1]).arg(2).arg(&keys[3]).arg(2).query(&mut conn).unwrap();
    assert_eq!(ok, 0);
    let got: Vec<Option<i64>> = conn.mget(&keys).unwrap();
    assert_eq!(got, vec![Some(1), Some(1), None, None]);
}

/// Runs `mover` (moving elements between two collections on different shards)
/// against `check` (a multi-key read that must always see every element
/// exactly once) for `RUN_FOR`.
fn conservation(
    setup: &[&[&str]],
    mover: impl Fn(&mut redis::Connection, usize) + Send + 'static,
    check: impl Fn(&mut redis::Connection) + Send + Clone + 'static,
) {
    let server = Server::start(SHARDS, &[]);
    let mut conn = server.conn();
    for cmd in setup {
        let mut c = redis::cmd(cmd[0]);
        cmd[1..].iter().for_each(|a| {
            c.arg(*a);
        });
        let _: redis::Value = c.query(&mut conn).unwrap();
    }
    let stop = Arc::new(AtomicBool::new(false));
    let mut threads = Vec::new();
    {
        let (stop, client) = (stop.clone(), server.client());
        threads.push(thread::spawn(move || {
            let mut conn = client.get_connection().unwrap();
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                mover(&mut conn, i);
                i += 1;
            }
        }));
    }
    let checks = Arc::new(AtomicU64::new(0));
    for _ in 0..2 {
        let (stop, client, check, checks) = (stop.clone(), server.client(), check.clone(), checks.clone());
        threads.push(thread::spawn(move || {
            let mut conn = client.get_connection().unwrap();
            while !stop.load(Ordering::Relaxed) {
                check(&mut conn);
                checks.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    thread::sleep(RUN_FOR);
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().expect("a client thread failed");
    }
    assert!(checks.load(Ordering::Relaxed) > 100, "readers made too little progress");
}

#[test]
fn smove_across_shards_never_loses_or_duplicates_a_member() {
    let keys = keys_on_distinct_shards("set:", SHARDS, 2);
    let (a, b) = (keys[0].clone(), keys[1].clone());
    let members: Vec<String> = (0..20).map(|i| format!("m{i}")).collect();
    let mut sadd = vec!["SADD", a.as_str()];
    sadd.extend(members.iter().map(|m| m.as_str()));
    let (ma, mb) = (a.clone(), b.clone());
    let (ca, cb) = (a.clone(), b.clone());
    conservation(
        &[&sadd],
        move |conn, i| {
            let (from, to) = if i % 2 == 0 { (&ma, &mb) } else { (&mb, &ma) };
            let member = format!("m{}", i % 20);
            let _: i64 = redis::cmd("SMOVE").arg(from).arg(to).arg(member).query(conn).unwrap();
        },
        move |conn| {
            // SUNION sees both sets at once; SINTER must never find a member in both.
            let union: Vec<String> = redis::cmd("SUNION").arg(&ca).arg(&cb).query(conn).unwrap();
            assert_eq!(union.len(), 20, "SUNION saw {} members during SMOVEs", union.len());
            let both: i64 = redis::cmd("SINTERCARD").arg(2).arg(&ca).arg(&cb).query(conn).unwrap();
            assert_eq!(both, 0, "a member was in both sets at once");
        },
    );
}

#[test]
fn lmove_across_shards_keeps_the_total_in_a_transaction_view() {
    let keys = keys_on_distinct_shards("list:", SHARDS, 2);
    let (a, b) = (keys[0].clone(), keys[1].clone());
    let items: Vec<String> = (0..10).map(|i| i.to_string()).collect();
    let mut rpush = vec!["RPUSH", a.as_str()];
    rpush.extend(items.iter().map(|m| m.as_str()));
    let (ma, mb) = (a.clone(), b.clone());
    let (ca, cb) = (a.clone(), b.clone());
    conservation(
        &[&rpush],
        move |conn, i| {
            let (from, to) = if i % 3 == 0 { (&mb, &ma) } else { (&ma, &mb) };
            let _: Option<String> = redis::cmd("LMOVE").arg(from).arg(to).arg("LEFT").arg("RIGHT").query(conn).unwrap();
        },
        move |conn| {
            // MULTI/EXEC over both shards: the lengths must always add up.
            let (la, lb): (i64, i64) = redis::pipe().atomic().llen(&ca).llen(&cb).query(conn).unwrap();
            assert_eq!(la + lb, 10, "EXEC saw {la} + {lb} elements during LMOVEs");
        },
    );
}

/// FLUSHALL and SWAPDB (which touch every shard) fall wholly before or
/// wholly after each multi-shard MSET: readers never see one key of a pair
/// without the other, in either database.
#[test]
fn flushall_and_swapdb_never_split_an_mset() {
    let server = Server::start(SHARDS, &[]);
    let keys = keys_on_distinct_shards("flush:", SHARDS, 2);
    let (a, b) = (keys[0].clone(), keys[1].clone());
    let stop = Arc::new(AtomicBool::new(false));
    let checks = Arc::new(AtomicU64::new(0));
    let mut threads = Vec::new();
    {
        let (a, b, stop, client) = (a.clone(), b.clone(), stop.clone(), server.client());
        threads.push(thread::spawn(move || {
            let mut conn = client.get_connection().unwrap();
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let _: () = conn.mset(&[(&a, n), (&b, n)]).unwrap();
            }
        }));
    }
    {
        let (stop, client) = (stop.clone(), server.client());
        threads.push(thread::spawn(move || {
            let mut conn = client.get_connection().unwrap();
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let cmd = if i.is_multiple_of(2) {
                    redis::cmd("FLUSHALL")
                } else {
                    redis::cmd("SWAPDB").arg(0).arg(1).clone()
                };
                let _: () = cmd.query(&mut conn).unwrap();
                i += 1;
            }
        }));
    }
    for db in 0..2 {
        let (a, b, stop, checks, client) = (a.clone(), b.clone(), stop.clone(), checks.clone(), server.client());
        threads.push(thread::spawn(move || {
            let mut conn = client.get_connection().unwrap();
            let _: () = redis::cmd("SELECT").arg(db).query(&mut conn).unwrap();
            while !stop.load(Ordering::Relaxed) {
                let (x, y): (Option<u64>, Option<u64>) = conn.mget(&[&a, &b]).unwrap();
                assert_eq!(x, y, "db {db}: MGET saw half of an MSET across a FLUSHALL or SWAPDB");
                let n: i64 = redis::cmd("DBSIZE").query(&mut conn).unwrap();
                assert!(n == 0 || n == 2, "db {db}: DBSIZE saw {n} of the two keys");
                checks.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    thread::sleep(RUN_FOR);
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().expect("a client thread failed");
    }
    assert!(checks.load(Ordering::Relaxed) > 100, "readers made too little progress");
}

/// A transaction with a keyspace command (FLUSHALL, DBSIZE, KEYS) sees its own
/// writes, and nobody sees it half done: KEYS from another client finds
/// either none or all of the keys the transaction writes after its FLUSHALL.
#[test]
fn a_transaction_with_flushall_is_seen_whole() {
    let server = Server::start(SHARDS, &[]);
    let keys = keys_on_distinct_shards("txn:", SHARDS, 3);
    let stop = Arc::new(AtomicBool::new(false));
    let checks = Arc::new(AtomicU64::new(0));
    let writer = {
        let (keys, stop, client) = (keys.clone(), stop.clone(), server.client());
        thread::spawn(move || {
            let mut conn = client.get_connection().unwrap();
            while !stop.load(Ordering::Relaxed) {
                let mut pipe = redis::pipe();
                pipe.atomic().cmd("FLUSHALL").ignore();
                for k in &keys {
                    pipe.cmd("SET").arg(k).arg(1).ignore();
                }
                pipe.cmd("DBSIZE");
                let (n,): (i64,) = pipe.query(&mut conn).unwrap();
                assert_eq!(n, 3, "DBSIZE inside the transaction missed its own writes");
            }
        })
    };
    let mut conn = server.conn();
    let deadline = Instant::now() + RUN_FOR;
    while Instant::now() < deadline {
        let found: Vec<String> = conn.keys("txn:*").unwrap();
        assert!(found.is_empty() || found.len() == 3, "KEYS saw {found:?} of a transaction");
        let (x, y, z): (Option<i64>, Option<i64>, Option<i64>) = conn.mget(&keys).unwrap();
        assert!(x == y && y == z, "MGET saw {x:?} {y:?} {z:?} of a transaction");
        checks.fetch_add(1, Ordering::Relaxed);
    }
    stop.store(true, Ordering::Relaxed);
    writer.join().expect("the writer failed");
    assert!(checks.load(Ordering::Relaxed) > 100, "readers made too little progress");
}

/// SORT whose GET patterns read keys on other shards sees each multi-shard
/// MSET of those keys wholly or not at all.
#[test]
fn sort_get_patterns_never_see_half_an_mset() {
    let server = Server::start(SHARDS, &[]);
    let keys = keys_on_distinct_shards("w_", SHARDS, 3);
    let ids: Vec<String> = keys.iter().map(|k| k.trim_start_matches("w_").to_string()).collect();
    let mut conn = server.conn();
    let _: () = redis::cmd("RPUSH").arg("{list}").arg(&ids).query(&mut conn).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (keys, stop, client) = (keys.clone(), stop.clone(), server.client());
        thread::spawn(move || {
            let mut conn = client.get_connection().unwrap();
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let pairs: Vec<(&String, u64)> = keys.iter().map(|k| (k, n)).collect();
                let _: () = conn.mset(&pairs).unwrap();
            }
        })
    };
    let deadline = Instant::now() + RUN_FOR;
    let mut checks = 0;
    while Instant::now() < deadline {
        let got: Vec<Option<u64>> =
            redis::cmd("SORT").arg("{list}").arg("BY").arg("nosort").arg("GET").arg("w_*").query(&mut conn).unwrap();
        assert!(got.windows(2).all(|w| w[0] == w[1]), "SORT GET saw {got:?}");
        checks += 1;
    }
    stop.store(true, Ordering::Relaxed);
    writer.join().expect("the writer failed");
    assert!(checks > 100, "too little progress: {checks} checks");
}
