//! The hash family: HSET, HGET and friends, counters, HRANDFIELD, HSCAN.

use crate::args::*;
use crate::glob::glob_match;
use crate::longdouble::{incr_by_float, IncrError};
use crate::shard::{Ctx, Rng, ShardData};
use crate::types::Hash;
use crate::value::Collection;
use bytes::Bytes;
use hashbrown::HashSet;
use resp::Reply;

fn bulk(s: &[u8]) -> Reply {
    Reply::Bulk(Bytes::copy_from_slice(s))
}

/// The hash under `key`, read through `reply` (`None` when there is no key).
fn with_hash(ctx: &mut Ctx, key: &[u8], reply: impl FnOnce(Option<&Hash>) -> Reply) -> Reply {
    match ctx.read::<Hash>(key) {
        Ok(h) => reply(h),
        Err(e) => e,
    }
}

/// HSET and HMSET: the same work, different replies.
fn set_pairs(ctx: &mut Ctx, args: &[Bytes]) -> Result<i64, Reply> {
    if args.len() % 2 == 1 {
        return Err(wrong_args(&args[0]));
    }
    let h = ctx.write_or_create::<Hash>(&args[1])?;
    Ok(args[2..].chunks(2).map(|p| h.set(&p[0], &p[1]) as i64).sum())
}

pub fn hset(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    set_pairs(ctx, args).map_or_else(|e| e, Reply::Int)
}

pub fn hmset(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    set_pairs(ctx, args).map_or_else(|e| e, |_| Reply::Ok)
}

pub fn hsetnx(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match ctx.write_or_create::<Hash>(&args[1]) {
        // Checked before setting, so an existing field never converts the encoding (as in Redis).
        Ok(h) if h.get(&args[2]).is_some() => Reply::Int(0),
        Ok(h) => Reply::Int(h.set(&args[2], &args[3]) as i64),
        Err(e) => e,
    }
}

pub fn hget(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    with_hash(ctx, &args[1], |h| h.and_then(|h| h.get(&args[2])).map_or(Reply::Nil, bulk))
}

pub fn hmget(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    with_hash(ctx, &args[1], |h| {
        Reply::Array(args[2..].iter().map(|f| h.and_then(|h| h.get(f)).map_or(Reply::Nil, bulk)).collect())
    })
}

pub fn hgetall(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    with_hash(ctx, &args[1], |h| {
        Reply::Map(h.into_iter().flat_map(|h| h.iter()).map(|(f, v)| (bulk(f), bulk(v))).collect())
    })
}

pub fn hkeys(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    with_hash(ctx, &args[1], |h| Reply::Array(h.into_iter().flat_map(|h| h.iter()).map(|(f, _)| bulk(f)).collect()))
}

pub fn hvals(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    with_hash(ctx, &args[1], |h| Reply::Array(h.into_iter().flat_map(|h| h.iter()).map(|(_, v)| bulk(v)).collect()))
}

pub fn hlen(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    with_hash(ctx, &args[1], |h| Reply::Int(h.map_or(0, |h| h.len() as i64)))
}

pub fn hexists(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    with_hash(ctx, &args[1], |h| Reply::Int(h.and_then(|h| h.get(&args[2])).is_some() as i64))
}

pub fn hstrlen(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    with_hash(ctx, &args[1], |h| Reply::Int(h.and_then(|h| h.get(&args[2])).map_or(0, |v| v.len() as i64)))
}

pub fn hdel(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let removed = match ctx.write::<Hash>(&args[1]) {
        Ok(Some(h)) => args[2..].iter().filter(|f| h.remove(f)).count(),
        Ok(None) => 0,
        Err(e) => return e,
    };
    ctx.remove_if_empty::<Hash>(&args[1]);
    Reply::Int(removed as i64)
}

pub fn hincrby(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let incr = match int(&args[3]) {
        Ok(n) => n,
        Err(e) => return e,
    };
    // A new key starts the field at 0, which no increment overflows: the
    // errors below need an existing field, so they never leave an empty key.
    let h = match ctx.write_or_create::<Hash>(&args[1]) {
        Ok(h) => h,
        Err(e) => return e,
    };
    let current = match h.get(&args[2]).map(resp::parse_i64) {
        None => 0,
        Some(Some(n)) => n,
        Some(None) => return err("ERR hash value is not an integer"),
    };
    let Some(new) = current.checked_add(incr) else {
        return err(OVERFLOW);
    };
    h.set(&args[2], new.to_string().as_bytes());
    Reply::Int(new)
}

pub fn hincrbyfloat(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    // The increment is checked on its own first, before the key is looked up (as in Redis).
    match incr_by_float(None, &args[3]) {
        Ok(_) => {}
        Err(IncrError::NotFinite) => return err("ERR value is NaN or Infinity"),
        Err(_) => return err(NOT_FLOAT),
    }
    let h = match ctx.write_or_create::<Hash>(&args[1]) {
        Ok(h) => h,
        Err(e) => return e,
    };
    // Redis adds in long double and prints like INCRBYFLOAT; only an existing field can fail.
    match incr_by_float(h.get(&args[2]), &args[3]) {
        Ok(text) => {
            h.set(&args[2], text.as_bytes());
            Reply::Bulk(Bytes::from(text))
        }
        Err(IncrError::NotFinite) => err("ERR increment would produce NaN or Infinity"),
        Err(_) => err("ERR hash value is not a float"),
    }
}

pub fn hrandfield(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    // Arguments first: they are checked before the key is looked up.
    let mut counted = None;
    if args.len() > 2 {
        let count = match int(&args[2]) {
            Ok(i64::MIN) => {
                return err(
                    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
                )
            }
            Ok(n) => n,
            Err(e) => return e,
        };
        let with_values = match args.len() {
            3 => false,
            4 if eq_ic(&args[3], "withvalues") => true,
            _ => return err(SYNTAX),
        };
        // Redis refuses counts whose flat RESP2 reply length (2 * count) would overflow.
        if with_values && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
            return err("ERR value is out of range");
        }
        counted = Some((count, with_values));
    }
    let now = ctx.now;
    let ShardData { dbs, rng } = &mut *ctx.data;
    let h = match dbs[ctx.db].get(&args[1], now).map(|e| Hash::of(&e.value)) {
        None => return if counted.is_some() { Reply::Array(vec![]) } else { Reply::Nil },
        Some(None) => return err(WRONGTYPE),
        Some(Some(h)) => h,
    };
    let Some((count, with_values)) = counted else {
        return h.nth(rng.below(h.len())).map_or(Reply::Nil, |(f, _)| bulk(f));
    };
    let picks = random_pairs(h, rng, count.unsigned_abs() as usize, count > 0);
    if with_values {
        Reply::Pairs(picks.into_iter().map(|(f, v)| (bulk(f), bulk(v))).collect())
    } else {
        Reply::Array(picks.into_iter().map(|(f, _)| bulk(f)).collect())
    }
}

/// `count` random pairs of a non-empty hash: distinct ones when `unique`
/// (the whole hash, in its own order, when it has no more than `count`),
/// else independent picks that may repeat.
fn random_pairs<'a>(h: &'a Hash, rng: &mut Rng, count: usize, unique: bool) -> Vec<(&'a [u8], &'a [u8])> {
    let len = h.len();
    if unique && count >= len {
        return h.iter().collect();
    }
    // A few picks from a big table: find each by position rather than walk it all.
    let few = if unique { count <= len / 3 } else { count < len / 64 };
    if few && h.has_fast_nth() {
        let mut taken = HashSet::new();
        let mut out = Vec::with_capacity(count);
        while out.len() < count {
            let i = rng.below(len);
            if !unique || taken.insert(i) {
                out.extend(h.nth(i));
            }
        }
        return out;
    }
    let mut all: Vec<_> = h.iter().collect();
    if !unique {
        return (0..count).map(|_| all[rng.below(len)]).collect();
    }
    // A partial Fisher-Yates shuffle: the first `count` become a uniform sample.
    for i in 0..count {
        let j = i + rng.below(len - i);
        all.swap(i, j);
    }
    all.truncate(count);
    all
}

pub fn hscan(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let cursor = match parse_cursor(&args[2]) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let h = match ctx.read::<Hash>(&args[1]) {
        Ok(Some(h)) => h,
        Ok(None) => return Reply::Array(vec![Reply::bulk("0"), Reply::Array(vec![])]),
        Err(e) => return e,
    };
    // Options are read only once the key is known to be a hash, as in Redis.
    let (count, pattern) = match scan_options(&args[3..]) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let mut items = Vec::new();
    let next = h.scan(cursor, count, |f, v| {
        if pattern.is_none_or(|p| glob_match(p, f)) {
            items.push(bulk(f));
            items.push(bulk(v));
        }
    });
    Reply::Array(vec![Reply::bulk(next.to_string()), Reply::Array(items)])
}
