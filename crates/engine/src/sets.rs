//! The set family: SADD, SREM, membership, random members, SMOVE, the set
//! algebra (SUNION, SINTER, SDIFF, their *STORE forms, SINTERCARD) and SSCAN.

use crate::args::*;
use crate::glob::glob_match;
use crate::limits::set_max_intset_entries;
use crate::shard::{Ctx, Rng, ShardData};
use crate::types::set::{Elem, Set};
use crate::value::{Collection, Entry};
use bytes::Bytes;
use hashbrown::{HashMap, HashSet};
use resp::Reply;

macro_rules! tri {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => return e,
        }
    };
}

fn bulks<'a>(elems: impl Iterator<Item = Elem<'a>>) -> Vec<Reply> {
    elems.map(|e| Reply::Bulk(e.to_bytes())).collect()
}

/// The set under `key` with the shard's random generator beside it (one
/// borrow of the shard data split in two).
fn set_and_rng<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<(&'a mut Set, &'a mut Rng)>, Reply> {
    let (db, now) = (ctx.db, ctx.now);
    let ShardData { dbs, rng } = &mut *ctx.data;
    match dbs[db].get_mut(key, now) {
        None => Ok(None),
        Some(e) => Set::of_mut(&mut e.value).map(|s| Some((s, rng))).ok_or_else(|| err(WRONGTYPE)),
    }
}

pub fn sadd(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let max = set_max_intset_entries();
    let set = tri!(ctx.write_or_create::<Set>(&args[1]));
    Reply::Int(args[2..].iter().filter(|m| set.insert(m, max)).count() as i64)
}

pub fn srem(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let Some(set) = tri!(ctx.write::<Set>(&args[1])) else {
        return Reply::Int(0);
    };
    let removed = args[2..].iter().filter(|m| set.remove(m)).count();
    ctx.remove_if_empty::<Set>(&args[1]);
    Reply::Int(removed as i64)
}

pub fn scard(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    Reply::Int(tri!(ctx.read::<Set>(&args[1])).map_or(0, |s| s.len()) as i64)
}

pub fn sismember(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    Reply::Int(tri!(ctx.read::<Set>(&args[1])).is_some_and(|s| s.contains(&args[2])) as i64)
}

pub fn smismember(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let set = tri!(ctx.read::<Set>(&args[1]));
    Reply::Array(args[2..].iter().map(|m| Reply::Int(set.is_some_and(|s| s.contains(m)) as i64)).collect())
}

pub fn smembers(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    Reply::Set(tri!(ctx.read::<Set>(&args[1])).map_or_else(Vec::new, |s| bulks(s.iter())))
}

pub fn spop(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match args.len() {
        2 => {}
        3 => return spop_count(ctx, args),
        _ => return err(SYNTAX),
    }
    let Some((set, rng)) = tri!(set_and_rng(ctx, &args[1])) else {
        return Reply::Nil;
    };
    let popped = set.pop_random(&mut |n| rng.below(n));
    ctx.remove_if_empty::<Set>(&args[1]);
    popped.map_or(Reply::Nil, Reply::Bulk)
}

fn spop_count(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let count = match int(&args[2]) {
        Ok(n) if n >= 0 => n as usize,
        _ => return err("ERR value is out of range, must be positive"),
    };
    let key = &args[1];
    let Some((set, rng)) = tri!(set_and_rng(ctx, key)) else {
        return Reply::Set(Vec::new());
    };
    let pick = &mut |n| rng.below(n);
    let len = set.len();
    let popped = if count >= len {
        let all = bulks(set.iter());
        ctx.db().remove(key);
        return Reply::Set(all);
    } else if (len - count) * 5 > count {
        // Popping few: one at a time.
        (0..count).filter_map(|_| set.pop_random(pick)).map(Reply::Bulk).collect()
    } else {
        // Popping most: move the few that stay into a new set, as Redis
        // does (which also re-picks the encoding for what stays), and
        // return what is left of the old one.
        let mut old = std::mem::take(set);
        let max = set_max_intset_entries();
        for _ in 0..len - count {
            let m = old.pop_random(pick).expect("fewer picks than members");
            set.insert(&m, max);
        }
        bulks(old.iter())
    };
    Reply::Set(popped)
}

pub fn srandmember(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match args.len() {
        2 => {}
        3 => return srandmember_count(ctx, args),
        _ => return err(SYNTAX),
    }
    let Some((set, rng)) = tri!(set_and_rng(ctx, &args[1])) else {
        return Reply::Nil;
    };
    set.random(&mut |n| rng.below(n)).map_or(Reply::Nil, |e| Reply::Bulk(e.to_bytes()))
}

fn srandmember_count(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let count = tri!(int(&args[2]));
    if count == i64::MIN {
        return err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807");
    }
    let Some((set, rng)) = tri!(set_and_rng(ctx, &args[1])) else {
        return Reply::Array(Vec::new());
    };
    let set: &Set = set;
    let pick = &mut |n| rng.below(n);
    let (len, n) = (set.len(), count.unsigned_abs() as usize);
    if count < 0 {
        // Repeats allowed: independent picks.
        return Reply::Array((0..n).filter_map(|_| set.random(pick)).map(|e| Reply::Bulk(e.to_bytes())).collect());
    }
    if n >= len {
        return Reply::Array(bulks(set.iter()));
    }
    let mut out = Vec::with_capacity(n);
    if n * 3 > len {
        // Most of the set: one pass, keeping each member with the odds that
        // leave exactly `n` (selection sampling).
        let (mut need, mut left) = (n, len);
        for e in set.iter() {
            if pick(left) < need {
                out.push(e);
                need -= 1;
            }
            left -= 1;
        }
    } else {
        // A few: random picks, skipping repeats.
        let mut seen = HashSet::with_capacity(n);
        while out.len() < n {
            let e = set.random(pick).expect("not empty");
            if seen.insert(e) {
                out.push(e);
            }
        }
    }
    Reply::Array(bulks(out.into_iter()))
}

pub fn smove(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let (src, dst, member) = (&args[1], &args[2], &args[3]);
    // Redis's order: a missing source answers 0 before any type check.
    let Some(from) = tri!(ctx.read::<Set>(src)) else {
        return Reply::Int(0);
    };
    let in_src = from.contains(member);
    tri!(ctx.read::<Set>(dst));
    if src == dst || !in_src {
        return Reply::Int(in_src as i64);
    }
    tri!(ctx.write::<Set>(src)).expect("read above").remove(member);
    ctx.remove_if_empty::<Set>(src);
    tri!(ctx.write_or_create::<Set>(dst)).insert(member, set_max_intset_entries());
    Reply::Int(1)
}

/// The sets under several keys, for the set algebra. A handler holds one
/// borrow into the database at a time, so the sets are moved out of it
/// (after every type check, so an error leaves all in place) and
/// `put_back` returns them unchanged, TTLs included.
struct Sources {
    taken: Vec<(Bytes, Entry)>,
}

impl Sources {
    fn take(ctx: &mut Ctx, keys: &[Bytes]) -> Result<Sources, Reply> {
        for k in keys {
            ctx.read::<Set>(k)?;
        }
        // The reads above dropped any expired key, so what is left is live.
        let db = ctx.db();
        let taken = keys.iter().filter_map(|k| Some((k.clone(), db.remove(k)?))).collect();
        Ok(Sources { taken })
    }

    /// The set under each of `keys`, in order (`None` for a missing key).
    fn sets(&self, keys: &[Bytes]) -> Vec<Option<&Set>> {
        let by_key: HashMap<&[u8], &Set> =
            self.taken.iter().filter_map(|(k, e)| Some((&k[..], Set::of(&e.value)?))).collect();
        keys.iter().map(|k| by_key.get(&k[..]).copied()).collect()
    }

    fn put_back(self, ctx: &mut Ctx) {
        for (k, e) in self.taken {
            ctx.db().insert_entry(&k, e);
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Op {
    Union,
    Diff,
}

/// SUNION / SDIFF: the result built as Redis builds it (from an empty
/// intset), so its encoding, and an intset's ascending order, match.
fn union_diff(sets: &[Option<&Set>], op: Op) -> Set {
    let max = set_max_intset_entries();
    let mut out = Set::default();
    match op {
        Op::Union => {
            for e in sets.iter().flatten().flat_map(|s| s.iter()) {
                out.insert_elem(e, max);
            }
        }
        Op::Diff => {
            if let Some(first) = sets[0] {
                for e in first.iter().filter(|&e| !sets[1..].iter().flatten().any(|s| s.contains_elem(e))) {
                    out.insert_elem(e, max);
                }
            }
        }
    }
    out
}

/// SINTER: the members of the smallest set found in all the others, in the
/// smallest set's order (what Redis replies); at most `limit` (0: all).
fn inter<'a>(sets: &[Option<&'a Set>], limit: usize) -> Vec<Elem<'a>> {
    let Some(mut sets) = sets.iter().copied().collect::<Option<Vec<&Set>>>() else {
        return Vec::new();
    };
    sets.sort_by_key(|s| s.len());
    let mut out = Vec::new();
    for e in sets[0].iter() {
        if sets[1..].iter().all(|s| s.contains_elem(e)) {
            out.push(e);
            if out.len() == limit {
                break;
            }
        }
    }
    out
}

fn algebra(ctx: &mut Ctx, keys: &[Bytes], op: Option<Op>) -> Reply {
    let sources = tri!(Sources::take(ctx, keys));
    let sets = sources.sets(keys);
    let reply = match op {
        None => Reply::Set(bulks(inter(&sets, 0).into_iter())),
        Some(op) => Reply::Set(bulks(union_diff(&sets, op).iter())),
    };
    sources.put_back(ctx);
    reply
}

fn algebra_store(ctx: &mut Ctx, args: &[Bytes], op: Option<Op>) -> Reply {
    let (dst, keys) = (&args[1], &args[2..]);
    let sources = tri!(Sources::take(ctx, keys));
    let sets = sources.sets(keys);
    let result = match op {
        None => {
            let max = set_max_intset_entries();
            let mut out = Set::default();
            for e in inter(&sets, 0) {
                out.insert_elem(e, max);
            }
            out
        }
        Some(op) => union_diff(&sets, op),
    };
    sources.put_back(ctx);
    let len = result.len();
    ctx.store(dst, result);
    Reply::Int(len as i64)
}

pub fn sunion(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    algebra(ctx, &args[1..], Some(Op::Union))
}

pub fn sinter(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    algebra(ctx, &args[1..], None)
}

pub fn sdiff(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    algebra(ctx, &args[1..], Some(Op::Diff))
}

pub fn sunionstore(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    algebra_store(ctx, args, Some(Op::Union))
}

pub fn sinterstore(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    algebra_store(ctx, args, None)
}

pub fn sdiffstore(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    algebra_store(ctx, args, Some(Op::Diff))
}

pub fn sintercard(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let numkeys = match int(&args[1]) {
        Ok(n) if n >= 1 => n as usize,
        _ => return err("ERR numkeys should be greater than 0"),
    };
    if numkeys > args.len() - 2 {
        return err("ERR Number of keys can't be greater than number of args");
    }
    let mut limit = 0;
    let mut i = 2 + numkeys;
    while i < args.len() {
        if eq_ic(&args[i], "limit") && i + 1 < args.len() {
            limit = match int(&args[i + 1]) {
                Ok(n) if n >= 0 => n as usize,
                _ => return err("ERR LIMIT can't be negative"),
            };
            i += 2;
        } else {
            return err(SYNTAX);
        }
    }
    let keys = &args[2..2 + numkeys];
    let sources = tri!(Sources::take(ctx, keys));
    let n = inter(&sources.sets(keys), limit).len();
    sources.put_back(ctx);
    Reply::Int(n as i64)
}

pub fn sscan(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let cursor = tri!(parse_cursor(&args[2]));
    // Redis looks the key up before it reads the options.
    let Some(set) = tri!(ctx.read::<Set>(&args[1])) else {
        return Reply::Array(vec![Reply::bulk("0"), Reply::Array(Vec::new())]);
    };
    let (count, pattern) = tri!(scan_options(&args[3..]));
    let mut found = Vec::new();
    let next = set.scan(cursor, count, |e| {
        if pattern.is_none_or(|p| e.with_bytes(|b| glob_match(p, b))) {
            found.push(Reply::Bulk(e.to_bytes()));
        }
    });
    Reply::Array(vec![Reply::bulk(next.to_string()), Reply::Array(found)])
}
