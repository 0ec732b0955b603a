//! The list family: pushes and pops at either end, ranges and indices,
//! LINSERT, LREM, LTRIM, LPOS, LMOVE/RPOPLPUSH and LMPOP.

use crate::args::*;
use crate::shard::Ctx;
use crate::types::List;
use bytes::Bytes;
use resp::Reply;

const NOT_POSITIVE: &str = "ERR value is out of range, must be positive";
const RANK_ZERO: &str = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... \
                         or use negative to start from the end of the list";

/// Which end of a list (LEFT is the head).
#[derive(Clone, Copy, PartialEq)]
enum End {
    Left,
    Right,
}

impl End {
    fn parse(arg: &[u8]) -> Result<End, Reply> {
        if eq_ic(arg, "left") {
            Ok(End::Left)
        } else if eq_ic(arg, "right") {
            Ok(End::Right)
        } else {
            Err(err(SYNTAX))
        }
    }
}

fn push(list: &mut List, end: End, v: &[u8]) {
    match end {
        End::Left => list.push_front(v),
        End::Right => list.push_back(v),
    }
}

fn pop(list: &mut List, end: End) -> Option<Bytes> {
    match end {
        End::Left => list.pop_front(),
        End::Right => list.pop_back(),
    }
}

fn pop_n(list: &mut List, end: End, n: usize) -> Reply {
    let items = match end {
        End::Left => list.pop_front_n(n),
        End::Right => list.pop_back_n(n),
    };
    Reply::Array(items.into_iter().map(Reply::Bulk).collect())
}

fn bulk(v: &[u8]) -> Reply {
    Reply::Bulk(Bytes::copy_from_slice(v))
}

fn done(r: Result<Reply, Reply>) -> Reply {
    r.unwrap_or_else(|e| e)
}

/// An integer in `min..` or the error `msg` (Redis's getRangeLongFromObjectOrReply).
fn int_at_least(arg: &[u8], min: i64, msg: &str) -> Result<i64, Reply> {
    resp::parse_i64(arg).filter(|&n| n >= min).ok_or_else(|| err(msg))
}

/// Clamps LRANGE/LTRIM indices (negative: from the end) to the list, as
/// Redis does; `None` when the range holds nothing.
fn clamp_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 { (start + len).max(0) } else { start };
    let end = if end < 0 { end + len } else { end };
    (start <= end && start < len).then(|| (start as usize, end.min(len - 1) as usize))
}

/// A list index (negative: from the end) as a position, if within the list.
fn index(i: i64, len: usize) -> Option<usize> {
    let i = if i < 0 { i + len as i64 } else { i };
    (0..len as i64).contains(&i).then_some(i as usize)
}

pub fn lpush(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    done(push_generic(ctx, args, End::Left, false))
}

pub fn rpush(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    done(push_generic(ctx, args, End::Right, false))
}

pub fn lpushx(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    done(push_generic(ctx, args, End::Left, true))
}

pub fn rpushx(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    done(push_generic(ctx, args, End::Right, true))
}

fn push_generic(ctx: &mut Ctx, args: &[Bytes], end: End, only_existing: bool) -> Result<Reply, Reply> {
    let list = if only_existing {
        match ctx.write::<List>(&args[1])? {
            Some(l) => l,
            None => return Ok(Reply::Int(0)),
        }
    } else {
        ctx.write_or_create::<List>(&args[1])?
    };
    for v in &args[2..] {
        push(list, end, v);
    }
    Ok(Reply::Int(list.len() as i64))
}

pub fn lpop(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    done(pop_generic(ctx, args, End::Left))
}

pub fn rpop(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    done(pop_generic(ctx, args, End::Right))
}

fn pop_generic(ctx: &mut Ctx, args: &[Bytes], end: End) -> Result<Reply, Reply> {
    if args.len() > 3 {
        return Err(wrong_args(&args[0]));
    }
    let count = args.get(2).map(|c| int_at_least(c, 0, NOT_POSITIVE)).transpose()?;
    let Some(list) = ctx.write::<List>(&args[1])? else {
        // With a count the reply is an array, so "nothing" is a null array.
        return Ok(if count.is_some() { Reply::NilArray } else { Reply::Nil });
    };
    let reply = match count {
        None => pop(list, end).map_or(Reply::Nil, Reply::Bulk),
        Some(n) => pop_n(list, end, n as usize),
    };
    ctx.remove_if_empty::<List>(&args[1]);
    Ok(reply)
}

pub fn llen(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match ctx.read::<List>(&args[1]) {
        Ok(l) => Reply::Int(l.map_or(0, |l| l.len() as i64)),
        Err(e) => e,
    }
}

pub fn lrange(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    done((|| {
        let (start, end) = (int(&args[2])?, int(&args[3])?);
        let Some(list) = ctx.read::<List>(&args[1])? else { return Ok(Reply::Array(Vec::new())) };
        Ok(Reply::Array(match clamp_range(start, end, list.len()) {
            Some((s, e)) => list.iter_from(s).take(e - s + 1).map(bulk).collect(),
            None => Vec::new(),
        }))
    })())
}

pub fn lindex(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    done((|| {
        let Some(list) = ctx.read::<List>(&args[1])? else { return Ok(Reply::Nil) };
        let i = int(&args[2])?;
        Ok(index(i, list.len()).and_then(|i| list.get(i)).map_or(Reply::Nil, bulk))
    })())
}

pub fn lset(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    done((|| {
        let list = ctx.write::<List>(&args[1])?.ok_or_else(|| err(NO_SUCH_KEY))?;
        let i = int(&args[2])?;
        let i = index(i, list.len()).ok_or_else(|| err("ERR index out of range"))?;
        list.set(i, &args[3]);
        Ok(Reply::Ok)
    })())
}

pub fn linsert(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    done((|| {
        let after = if eq_ic(&args[2], "after") {
            true
        } else if eq_ic(&args[2], "before") {
            false
        } else {
            return Err(err(SYNTAX));
        };
        let Some(list) = ctx.write::<List>(&args[1])? else { return Ok(Reply::Int(0)) };
        let Some(at) = list.position(&args[3]) else { return Ok(Reply::Int(-1)) };
        list.insert(at + after as usize, &args[4]);
        Ok(Reply::Int(list.len() as i64))
    })())
}

pub fn lrem(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    done((|| {
        let count = int(&args[2])?;
        let Some(list) = ctx.write::<List>(&args[1])? else { return Ok(Reply::Int(0)) };
        // count > 0: the first `count` matches; < 0: the last ones; 0: all.
        let max = if count == 0 { usize::MAX } else { count.unsigned_abs() as usize };
        let removed = list.remove_matching(&args[3], max, count < 0);
        ctx.remove_if_empty::<List>(&args[1]);
        Ok(Reply::Int(removed as i64))
    })())
}

pub fn ltrim(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    done((|| {
        let (start, end) = (int(&args[2])?, int(&args[3])?);
        let Some(list) = ctx.write::<List>(&args[1])? else { return Ok(Reply::Ok) };
        match clamp_range(start, end, list.len()) {
            Some((s, e)) => list.retain_range(s, e + 1),
            None => list.retain_range(0, 0),
        }
        ctx.remove_if_empty::<List>(&args[1]);
        Ok(Reply::Ok)
    })())
}

pub fn lpos(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    done((|| {
        // Options first: their errors come before WRONGTYPE.
        let (mut rank, mut count, mut maxlen) = (1i64, None, 0i64);
        let mut i = 3;
        while i < args.len() {
            let Some(v) = args.get(i + 1) else { return Err(err(SYNTAX)) };
            if eq_ic(&args[i], "rank") {
                rank = int(v)?;
                if rank == 0 {
                    return Err(err(RANK_ZERO));
                }
            } else if eq_ic(&args[i], "count") {
                count = Some(int_at_least(v, 0, "ERR COUNT can't be negative")?);
            } else if eq_ic(&args[i], "maxlen") {
                maxlen = int_at_least(v, 0, "ERR MAXLEN can't be negative")?;
            } else {
                return Err(err(SYNTAX));
            }
            i += 2;
        }
        let Some(list) = ctx.read::<List>(&args[1])? else {
            return Ok(if count.is_some() { Reply::Array(Vec::new()) } else { Reply::Nil });
        };
        let target = &args[2][..];
        // Redis negates a negative rank and scans from the tail; like Redis, a
        // rank of i64::MIN stays negative, so every match qualifies.
        let from_tail = rank < 0;
        let rank = if from_tail { rank.wrapping_neg() } else { rank };
        let limit = if maxlen == 0 { usize::MAX } else { maxlen as usize };
        let mut found = Vec::new();
        let mut matches = 0i64;
        let mut scan = |idx: usize, e: &[u8]| {
            if e != target {
                return true;
            }
            matches += 1;
            if matches < rank {
                return true;
            }
            found.push(if from_tail { list.len() - 1 - idx } else { idx });
            // Without COUNT the first qualifying match is the answer; COUNT 0 means all.
            count.is_some_and(|c| c == 0 || matches.wrapping_sub(rank).wrapping_add(1) < c)
        };
        if from_tail {
            let _ = list.iter_rev().take(limit).enumerate().all(|(i, e)| scan(i, e));
        } else {
            let _ = list.iter().take(limit).enumerate().all(|(i, e)| scan(i, e));
        }
        Ok(match count {
            Some(_) => Reply::Array(found.into_iter().map(|i| Reply::Int(i as i64)).collect()),
            None => found.first().map_or(Reply::Nil, |&i| Reply::Int(i as i64)),
        })
    })())
}

pub fn lmove(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    done((|| {
        let (from, to) = (End::parse(&args[3])?, End::parse(&args[4])?);
        move_generic(ctx, &args[1], &args[2], from, to)
    })())
}

pub fn rpoplpush(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    done(move_generic(ctx, &args[1], &args[2], End::Right, End::Left))
}

/// BLMOVE's one try (all it does inside MULTI): LMOVE.
pub fn blmove(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    done((|| {
        let (from, to) = (End::parse(&args[3])?, End::parse(&args[4])?);
        timeout_ms(&args[5])?;
        move_generic(ctx, &args[1], &args[2], from, to)
    })())
}

/// BRPOPLPUSH's one try: RPOPLPUSH.
pub fn brpoplpush(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    done(timeout_ms(&args[3]).and_then(|_| move_generic(ctx, &args[1], &args[2], End::Right, End::Left)))
}

/// BLPOP's one try (all it does inside MULTI): pops from the first list of its keys.
pub fn blpop(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    first_pop(ctx, args, End::Left)
}

pub fn brpop(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    first_pop(ctx, args, End::Right)
}

fn first_pop(ctx: &mut Ctx, args: &[Bytes], end: End) -> Reply {
    done((|| {
        let (timeout, keys) = args[1..].split_last().expect("arity");
        timeout_ms(timeout)?;
        for key in keys {
            if let Some(list) = ctx.write::<List>(key)? {
                let v = pop(list, end).expect("lists are never empty");
                ctx.remove_if_empty::<List>(key);
                return Ok(Reply::Array(vec![Reply::Bulk(key.clone()), Reply::Bulk(v)]));
            }
        }
        Ok(Reply::NilArray)
    })())
}

fn move_generic(ctx: &mut Ctx, src: &[u8], dst: &[u8], from: End, to: End) -> Result<Reply, Reply> {
    if ctx.read::<List>(src)?.is_none() {
        return Ok(Reply::Nil);
    }
    if src == dst {
        // A rotation: the list never empties, so the key (and its TTL) stays.
        let list = ctx.write::<List>(src)?.expect("checked above");
        let v = pop(list, from).expect("lists are never empty");
        push(list, to, &v);
        return Ok(Reply::Bulk(v));
    }
    ctx.read::<List>(dst)?;
    let v = pop(ctx.write::<List>(src)?.expect("checked above"), from).expect("lists are never empty");
    ctx.remove_if_empty::<List>(src);
    push(ctx.write_or_create::<List>(dst)?, to, &v);
    Ok(Reply::Bulk(v))
}

pub fn lmpop(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    mpop(ctx, args, 1)
}

/// BLMPOP's one try (all it does inside MULTI): LMPOP, the timeout checked last as Redis does.
pub fn blmpop(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    mpop(ctx, args, 2)
}

/// LMPOP with `numkeys` at `at`; BLMPOP's timeout, if any, is at 1.
fn mpop(ctx: &mut Ctx, args: &[Bytes], at: usize) -> Reply {
    done((|| {
        let numkeys = int_at_least(&args[at], 1, "ERR numkeys should be greater than 0")? as usize;
        let where_at = numkeys.checked_add(at + 1).filter(|&w| w < args.len()).ok_or_else(|| err(SYNTAX))?;
        let end = End::parse(&args[where_at])?;
        let mut count = None;
        let mut i = where_at + 1;
        while i < args.len() {
            match args.get(i + 1) {
                Some(c) if count.is_none() && eq_ic(&args[i], "count") => {
                    count = Some(int_at_least(c, 1, "ERR count should be greater than 0")? as usize)
                }
                _ => return Err(err(SYNTAX)),
            }
            i += 2;
        }
        if at == 2 {
            timeout_ms(&args[1])?;
        }
        for key in &args[at + 1..where_at] {
            if let Some(list) = ctx.write::<List>(key)? {
                let popped = pop_n(list, end, count.unwrap_or(1));
                ctx.remove_if_empty::<List>(key);
                return Ok(Reply::Array(vec![Reply::Bulk(key.clone()), popped]));
            }
        }
        Ok(Reply::NilArray)
    })())
}
