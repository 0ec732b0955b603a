//! The sorted set family: ZADD and friends, ranges by rank, score and lex,
//! pops, the set algebra (ZUNION/ZINTER/ZDIFF, their STORE forms,
//! ZINTERCARD), random members and ZSCAN.

use crate::args::*;
use crate::glob::glob_match;
use crate::shard::{Ctx, ShardData};
use crate::types::zset::sort_pairs;
use crate::types::{Set, ZSet};
use crate::value::{Collection, Value};
use bytes::Bytes;
use hashbrown::{HashMap, HashSet};
use resp::{format_double, Reply};

const NAN_SCORE: &str = "ERR resulting score is not a number (NaN)";
const NOT_RANGE_FLOAT: &str = "ERR min or max is not a float";
const NOT_LEX_RANGE: &str = "ERR min or max not valid string range item";
const NOT_POSITIVE: &str = "ERR value is out of range, must be positive";

/// Runs a handler body written with `?`: an `Err` is the reply too.
fn run(body: impl FnOnce() -> Result<Reply, Reply>) -> Reply {
    body().unwrap_or_else(|e| e)
}

// ---------------------------------------------------------------------------
// Numbers as Redis reads them.

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// C's `strtod` over all of `s`: the value and whether it overflowed or
/// underflowed to zero (ERANGE), or `None` when `s` is not wholly a number.
/// Like strtod it takes leading space, a sign, `inf`/`infinity` and hex
/// floats (`0x1p3`); NaN comes back as `None`, as every caller refuses it.
fn strtod(s: &[u8]) -> Option<(f64, bool)> {
    let start = s.iter().position(|&c| !is_space(c))?;
    let s = &s[start..];
    let (neg, s) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = s.to_ascii_lowercase();
    let (v, erange) = if lower == b"inf" || lower == b"infinity" {
        (f64::INFINITY, false)
    } else if lower.starts_with(b"0x") && lower.len() > 2 {
        hex_float(&lower[2..])?
    } else {
        decimal_float(s)?
    };
    Some((if neg { -v } else { v }, erange))
}

/// Digits, an optional fraction and exponent, nothing else (strtod's syntax).
fn decimal_float(s: &[u8]) -> Option<(f64, bool)> {
    let mantissa_end = s.iter().position(|&c| c == b'e' || c == b'E').unwrap_or(s.len());
    let (mantissa, exp) = s.split_at(mantissa_end);
    let digits = mantissa.iter().filter(|c| c.is_ascii_digit()).count();
    let dots = mantissa.iter().filter(|&&c| c == b'.').count();
    if digits == 0 || digits + dots != mantissa.len() || dots > 1 {
        return None;
    }
    if !exp.is_empty() {
        let e = exp[1..].strip_prefix(b"+").or_else(|| exp[1..].strip_prefix(b"-")).unwrap_or(&exp[1..]);
        if e.is_empty() || !e.iter().all(u8::is_ascii_digit) {
            return None;
        }
    }
    let v: f64 = std::str::from_utf8(s).ok()?.parse().ok()?;
    let nonzero = mantissa.iter().any(|c| (b'1'..=b'9').contains(c));
    Some((v, v.is_infinite() || (v == 0.0 && nonzero)))
}

/// The part of a hex float after `0x` (lowercase): hex digits with an
/// optional fraction, then an optional binary exponent `p[+-]digits`.
fn hex_float(s: &[u8]) -> Option<(f64, bool)> {
    let p = s.iter().position(|&c| c == b'p').unwrap_or(s.len());
    let (mantissa, exp) = s.split_at(p);
    let mut m: u128 = 0;
    let mut e: i64 = 0;
    let (mut digits, mut dots, mut nonzero) = (0, 0, false);
    for &c in mantissa {
        if c == b'.' {
            dots += 1;
            continue;
        }
        let d = (c as char).to_digit(16)? as u128;
        digits += 1;
        nonzero |= d != 0;
        if m < 1 << 120 {
            m = m * 16 + d;
            e -= 4 * dots;
        } else if dots == 0 {
            e += 4;
        }
    }
    if digits == 0 || dots > 1 {
        return None;
    }
    if !exp.is_empty() {
        let text = std::str::from_utf8(&exp[1..]).ok()?;
        if text.is_empty() || text.starts_with(['+', '-']) && text.len() == 1 {
            return None;
        }
        let digits = text.trim_start_matches(['+', '-']);
        if !digits.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let v: i64 = digits.parse().unwrap_or(i64::MAX / 2).min(1 << 20);
        e += if text.starts_with('-') { -v } else { v };
    }
    let mut v = m as f64;
    while e > 0 {
        let step = e.min(1000);
        v *= 2f64.powi(step as i32);
        e -= step;
    }
    while e < 0 {
        let step = e.max(-1000);
        v *= 2f64.powi(step as i32);
        e -= step;
    }
    Some((v, v.is_infinite() || (v == 0.0 && nonzero)))
}

/// A score or weight as Redis's getDoubleFromObject reads it: the whole
/// argument, no leading space, no overflow, not NaN.
pub(crate) fn parse_score(arg: &[u8]) -> Option<f64> {
    if arg.first().is_none_or(|&c| is_space(c)) {
        return None;
    }
    match strtod(arg)? {
        (v, false) => Some(v),
        _ => None,
    }
}

/// A score range bound's number as zslParseRange reads it: plain strtod up to
/// the first NUL, so leading space, overflow and the empty string (0) pass.
fn parse_range_number(arg: &[u8]) -> Option<f64> {
    let arg = &arg[..arg.iter().position(|&c| c == 0).unwrap_or(arg.len())];
    if arg.is_empty() {
        return Some(0.0);
    }
    strtod(arg).map(|(v, _)| v)
}

/// A count that must be positive, with the error Redis gives for anything else.
fn positive(arg: &[u8], msg: &str) -> Result<i64, Reply> {
    match resp::parse_i64(arg) {
        Some(n) if n >= 0 => Ok(n),
        _ => Err(err(msg)),
    }
}

// ---------------------------------------------------------------------------
// Ranges.

/// `min`/`max` of ZRANGEBYSCORE and friends; `(` makes a bound exclusive.
struct ScoreRange {
    min: f64,
    minex: bool,
    max: f64,
    maxex: bool,
}

impl ScoreRange {
    fn parse(min: &[u8], max: &[u8]) -> Result<ScoreRange, Reply> {
        let bound = |a: &[u8]| match a.strip_prefix(b"(") {
            Some(rest) => parse_range_number(rest).map(|v| (v, true)),
            None => parse_range_number(a).map(|v| (v, false)),
        };
        match (bound(min), bound(max)) {
            (Some((min, minex)), Some((max, maxex))) => Ok(ScoreRange { min, minex, max, maxex }),
            _ => Err(err(NOT_RANGE_FLOAT)),
        }
    }

    fn above_min(&self, s: f64) -> bool {
        if self.minex {
            s > self.min
        } else {
            s >= self.min
        }
    }

    fn below_max(&self, s: f64) -> bool {
        if self.maxex {
            s < self.max
        } else {
            s <= self.max
        }
    }

    /// The ranks `start..end` of the elements in range.
    fn ranks(&self, z: &ZSet) -> (usize, usize) {
        if self.min > self.max || (self.min == self.max && (self.minex || self.maxex)) {
            return (0, 0);
        }
        let lo = z.prefix_len(|s, _| !self.above_min(s));
        (lo, z.prefix_len(|s, _| self.below_max(s)).max(lo))
    }
}

/// A lex range bound: `-`, `+`, `[inclusive` or `(exclusive`.
enum Lex {
    Min,
    Max,
    Incl(Bytes),
    Excl(Bytes),
}

impl Lex {
    fn parse(arg: &[u8]) -> Option<Lex> {
        match arg {
            b"-" => Some(Lex::Min),
            b"+" => Some(Lex::Max),
            [b'(', rest @ ..] => Some(Lex::Excl(Bytes::copy_from_slice(rest))),
            [b'[', rest @ ..] => Some(Lex::Incl(Bytes::copy_from_slice(rest))),
            _ => None,
        }
    }

    /// Where the bound sorts: below every string, at one, above every string.
    fn key(&self) -> (u8, &[u8]) {
        match self {
            Lex::Min => (0, b""),
            Lex::Max => (2, b""),
            Lex::Incl(b) | Lex::Excl(b) => (1, b),
        }
    }
}

struct LexRange {
    min: Lex,
    max: Lex,
}

impl LexRange {
    fn parse(min: &[u8], max: &[u8]) -> Result<LexRange, Reply> {
        match (Lex::parse(min), Lex::parse(max)) {
            (Some(min), Some(max)) => Ok(LexRange { min, max }),
            _ => Err(err(NOT_LEX_RANGE)),
        }
    }

    fn above_min(&self, m: &[u8]) -> bool {
        match &self.min {
            Lex::Min => true,
            Lex::Max => false,
            Lex::Incl(b) => m >= &b[..],
            Lex::Excl(b) => m > &b[..],
        }
    }

    fn below_max(&self, m: &[u8]) -> bool {
        match &self.max {
            Lex::Min => false,
            Lex::Max => true,
            Lex::Incl(b) => m <= &b[..],
            Lex::Excl(b) => m < &b[..],
        }
    }

    /// The ranks `start..end` of the elements in range (the set is assumed to
    /// hold equal scores, as Redis assumes).
    fn ranks(&self, z: &ZSet) -> (usize, usize) {
        let cmp = self.min.key().cmp(&self.max.key());
        let exclusive = !matches!(self.min, Lex::Incl(_)) || !matches!(self.max, Lex::Incl(_));
        if cmp.is_gt() || (cmp.is_eq() && exclusive) {
            return (0, 0);
        }
        let lo = z.prefix_len(|_, m| !self.above_min(m));
        (lo, z.prefix_len(|_, m| self.below_max(m)).max(lo))
    }
}

/// Members, with their scores when asked (pairs in RESP3, flat in RESP2).
fn members_reply<'a>(items: impl Iterator<Item = (&'a [u8], f64)>, withscores: bool) -> Reply {
    if withscores {
        Reply::Pairs(items.map(|(m, s)| (Reply::Bulk(Bytes::copy_from_slice(m)), Reply::Double(s))).collect())
    } else {
        Reply::Array(items.map(|(m, _)| Reply::Bulk(Bytes::copy_from_slice(m))).collect())
    }
}

/// Clamps Redis-style start/end ranks (negative from the end) to `0..len`;
/// `None` when the range is empty.
fn rank_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 { (len + start).max(0) } else { start };
    let end = if end < 0 { len + end } else { end };
    if start > end || start >= len {
        return None;
    }
    Some((start as usize, end.min(len - 1) as usize + 1))
}

// ---------------------------------------------------------------------------
// ZADD and single-member commands.

pub fn zadd(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    run(|| add_generic(ctx, args, false))
}

pub fn zincrby(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    run(|| add_generic(ctx, args, true))
}

/// ZADD, and ZINCRBY as Redis runs it: ZADD with INCR set (so ZINCRBY reads
/// ZADD's flags too, and `ZINCRBY k nx m` is a syntax error).
fn add_generic(ctx: &mut Ctx, args: &[Bytes], mut incr: bool) -> Result<Reply, Reply> {
    let (mut nx, mut xx, mut gt, mut lt, mut ch) = (false, false, false, false, false);
    let mut i = 2;
    while let Some(opt) = args.get(i) {
        match lower(opt).as_str() {
            "nx" => nx = true,
            "xx" => xx = true,
            "gt" => gt = true,
            "lt" => lt = true,
            "ch" => ch = true,
            "incr" => incr = true,
            _ => break,
        }
        i += 1;
    }
    let pairs = &args[i..];
    if pairs.is_empty() || !pairs.len().is_multiple_of(2) {
        return Err(err(SYNTAX));
    }
    if nx && xx {
        return Err(err("ERR XX and NX options at the same time are not compatible"));
    }
    if (gt || lt) && nx || gt && lt {
        return Err(err("ERR GT, LT, and/or NX options at the same time are not compatible"));
    }
    if incr && pairs.len() > 2 {
        return Err(err("ERR INCR option supports a single increment-element pair"));
    }
    let scores =
        pairs.chunks(2).map(|p| parse_score(&p[0]).ok_or_else(|| err(NOT_FLOAT))).collect::<Result<Vec<_>, _>>()?;
    let key = &args[1];
    let nothing = if incr { Reply::Nil } else { Reply::Int(0) };
    if ctx.read::<ZSet>(key)?.is_none() && xx {
        return Ok(nothing);
    }
    let z = ctx.write_or_create::<ZSet>(key)?;
    let (mut added, mut updated, mut processed, mut last) = (0, 0, 0, 0.0);
    for (pair, &score) in pairs.chunks(2).zip(&scores) {
        let member = &pair[1];
        match z.score(member) {
            Some(_) if nx => {}
            Some(cur) => {
                let new = if incr { score + cur } else { score };
                if new.is_nan() {
                    return Err(err(NAN_SCORE));
                }
                if (lt && new >= cur) || (gt && new <= cur) {
                    continue;
                }
                processed += 1;
                last = new;
                if new != cur {
                    z.update(member, cur, new);
                    updated += 1;
                }
            }
            None if xx => {}
            None => {
                z.insert(member, score);
                added += 1;
                processed += 1;
                last = score;
            }
        }
    }
    // Scores already as asked are no modification (for WATCH), as in Redis.
    ctx.unchanged = added + updated == 0;
    Ok(match (incr, processed) {
        (true, 0) => nothing,
        (true, _) => Reply::Double(last),
        _ => Reply::Int(if ch { added + updated } else { added }),
    })
}

pub fn zrem(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    run(|| {
        let Some(z) = ctx.write::<ZSet>(&args[1])? else { return Ok(Reply::Int(0)) };
        let removed = args[2..].iter().filter(|m| z.remove(m)).count();
        ctx.remove_if_empty::<ZSet>(&args[1]);
        Ok(Reply::Int(removed as i64))
    })
}

pub fn zcard(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    run(|| Ok(Reply::Int(ctx.read::<ZSet>(&args[1])?.map_or(0, |z| z.len() as i64))))
}

pub fn zscore(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    run(|| Ok(ctx.read::<ZSet>(&args[1])?.and_then(|z| z.score(&args[2])).map_or(Reply::Nil, Reply::Double)))
}

pub fn zmscore(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    run(|| {
        let z = ctx.read::<ZSet>(&args[1])?;
        let score = |m: &Bytes| z.and_then(|z| z.score(m)).map_or(Reply::Nil, Reply::Double);
        Ok(Reply::Array(args[2..].iter().map(score).collect()))
    })
}

pub fn zrank(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    rank_generic(ctx, args, false)
}

pub fn zrevrank(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    rank_generic(ctx, args, true)
}

fn rank_generic(ctx: &mut Ctx, args: &[Bytes], rev: bool) -> Reply {
    run(|| {
        let Some(z) = ctx.read::<ZSet>(&args[1])? else { return Ok(Reply::Nil) };
        Ok(match z.rank(&args[2]) {
            Some(r) if rev => Reply::Int((z.len() - 1 - r) as i64),
            Some(r) => Reply::Int(r as i64),
            None => Reply::Nil,
        })
    })
}

pub fn zcount(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    run(|| {
        let range = ScoreRange::parse(&args[2], &args[3])?;
        let (lo, hi) = ctx.read::<ZSet>(&args[1])?.map_or((0, 0), |z| range.ranks(z));
        Ok(Reply::Int((hi - lo) as i64))
    })
}

pub fn zlexcount(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    run(|| {
        let range = LexRange::parse(&args[2], &args[3])?;
        let (lo, hi) = ctx.read::<ZSet>(&args[1])?.map_or((0, 0), |z| range.ranks(z));
        Ok(Reply::Int((hi - lo) as i64))
    })
}

// ---------------------------------------------------------------------------
// ZRANGE and its older forms.

#[derive(Clone, Copy, PartialEq)]
enum By {
    Auto,
    Rank,
    Score,
    Lex,
}

pub fn zrange(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    run(|| range_generic(ctx, args, false, By::Auto, None))
}

pub fn zrangestore(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    run(|| range_generic(ctx, args, true, By::Auto, None))
}

pub fn zrevrange(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    run(|| range_generic(ctx, args, false, By::Rank, Some(true)))
}

pub fn zrangebyscore(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    run(|| range_generic(ctx, args, false, By::Score, Some(false)))
}

pub fn zrevrangebyscore(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    run(|| range_generic(ctx, args, false, By::Score, Some(true)))
}

pub fn zrangebylex(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    run(|| range_generic(ctx, args, false, By::Lex, Some(false)))
}

pub fn zrevrangebylex(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    run(|| range_generic(ctx, args, false, By::Lex, Some(true)))
}

/// Redis's zrangeGenericCommand: the ZRANGE options (only those the command's
/// name leaves open), their conflicts, the range, then the key.
fn range_generic(
    ctx: &mut Ctx,
    args: &[Bytes],
    store: bool,
    mut by: By,
    mut rev: Option<bool>,
) -> Result<Reply, Reply> {
    let src = if store { 2 } else { 1 };
    let (mut withscores, mut limit) = (false, None);
    let mut j = src + 3;
    while j < args.len() {
        let (a, left) = (&args[j], args.len() - j - 1);
        if !store && eq_ic(a, "withscores") {
            withscores = true;
        } else if eq_ic(a, "limit") && left >= 2 {
            limit = Some((int(&args[j + 1])?, int(&args[j + 2])?));
            j += 2;
        } else if rev.is_none() && eq_ic(a, "rev") {
            rev = Some(true);
        } else if by == By::Auto && eq_ic(a, "bylex") {
            by = By::Lex;
        } else if by == By::Auto && eq_ic(a, "byscore") {
            by = By::Score;
        } else {
            return Err(err(SYNTAX));
        }
        j += 1;
    }
    let rev = rev.unwrap_or(false);
    if by == By::Auto {
        by = By::Rank;
    }
    if limit.is_some() && by == By::Rank {
        return Err(err("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"));
    }
    if withscores && by == By::Lex {
        return Err(err("ERR syntax error, WITHSCORES not supported in combination with BYLEX"));
    }
    // BYSCORE and BYLEX take the range as max, min when reversed.
    let (min, max) =
        if rev && by != By::Rank { (&args[src + 2], &args[src + 1]) } else { (&args[src + 1], &args[src + 2]) };
    enum Spec {
        Rank(i64, i64),
        Score(ScoreRange),
        Lex(LexRange),
    }
    let spec = match by {
        By::Score => Spec::Score(ScoreRange::parse(min, max)?),
        By::Lex => Spec::Lex(LexRange::parse(min, max)?),
        _ => Spec::Rank(int(min)?, int(max)?),
    };
    let items: Vec<(f64, Bytes)> = match ctx.read::<ZSet>(&args[src])? {
        None => Vec::new(),
        Some(z) => {
            let (start, len, rev) = match spec {
                Spec::Rank(start, end) => match rank_range(start, end, z.len()) {
                    // Ranks count from the top when reversed.
                    Some((lo, hi)) if rev => (z.len() - 1 - lo, hi - lo, true),
                    Some((lo, hi)) => (lo, hi - lo, false),
                    None => (0, 0, false),
                },
                Spec::Score(r) => limited(r.ranks(z), limit, rev),
                Spec::Lex(r) => limited(r.ranks(z), limit, rev),
            };
            z.iter_at(start, rev).take(len).map(|(m, s)| (s, Bytes::copy_from_slice(m))).collect()
        }
    };
    if store {
        let n = items.len();
        ctx.store(&args[1], ZSet::from_pairs(items));
        return Ok(Reply::Int(n as i64));
    }
    Ok(members_reply(items.iter().map(|(s, m)| (&m[..], *s)), withscores))
}

/// Applies LIMIT offset count to the ranks `lo..hi`: where to start, how
/// many to take, in which direction. A negative offset selects nothing, a
/// negative count everything after the offset, as in Redis.
fn limited((lo, hi): (usize, usize), limit: Option<(i64, i64)>, rev: bool) -> (usize, usize, bool) {
    let (offset, count) = limit.unwrap_or((0, -1));
    let n = hi - lo;
    if offset < 0 || offset as u64 >= n as u64 {
        return (0, 0, rev);
    }
    let avail = n - offset as usize;
    let take = if count < 0 { avail } else { avail.min(count as usize) };
    if rev {
        (hi - 1 - offset as usize, take, true)
    } else {
        (lo + offset as usize, take, false)
    }
}

// ---------------------------------------------------------------------------
// Removal by range, pops.

pub fn zremrangebyrank(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    run(|| {
        let (start, end) = (int(&args[2])?, int(&args[3])?);
        remove_generic(ctx, &args[1], |z| rank_range(start, end, z.len()).unwrap_or((0, 0)))
    })
}

pub fn zremrangebyscore(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    run(|| {
        let range = ScoreRange::parse(&args[2], &args[3])?;
        remove_generic(ctx, &args[1], |z| range.ranks(z))
    })
}

pub fn zremrangebylex(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    run(|| {
        let range = LexRange::parse(&args[2], &args[3])?;
        remove_generic(ctx, &args[1], |z| range.ranks(z))
    })
}

fn remove_generic(ctx: &mut Ctx, key: &[u8], ranks: impl Fn(&ZSet) -> (usize, usize)) -> Result<Reply, Reply> {
    let Some(z) = ctx.write::<ZSet>(key)? else { return Ok(Reply::Int(0)) };
    let (lo, hi) = ranks(z);
    let removed = z.remove_range(lo, hi);
    ctx.remove_if_empty::<ZSet>(key);
    Ok(Reply::Int(removed as i64))
}

pub fn zpopmin(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    pop_command(ctx, args, false)
}

pub fn zpopmax(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    pop_command(ctx, args, true)
}

fn pop_command(ctx: &mut Ctx, args: &[Bytes], max: bool) -> Reply {
    run(|| {
        if args.len() > 3 {
            return Err(err(SYNTAX));
        }
        let count = args.get(2).map(|c| positive(c, NOT_POSITIVE)).transpose()?;
        let Some(z) = ctx.write::<ZSet>(&args[1])? else { return Ok(Reply::Array(Vec::new())) };
        if count == Some(0) {
            return Ok(Reply::Array(Vec::new()));
        }
        let popped = pop(z, count.unwrap_or(1) as usize, max);
        ctx.remove_if_empty::<ZSet>(&args[1]);
        let pairs = popped.into_iter().map(|(m, s)| (Reply::Bulk(m), Reply::Double(s)));
        // Without a count the reply is one flat pair, in RESP3 too.
        Ok(match count {
            Some(_) => Reply::Pairs(pairs.collect()),
            None => Reply::Array(pairs.flat_map(|(m, s)| [m, s]).collect()),
        })
    })
}

/// Removes and returns up to `count` elements from the low or high end.
fn pop(z: &mut ZSet, count: usize, max: bool) -> Vec<(Bytes, f64)> {
    let n = count.min(z.len());
    let start = if max { z.len() - 1 } else { 0 };
    let popped: Vec<(Bytes, f64)> =
        z.iter_at(start, max).take(n).map(|(m, s)| (Bytes::copy_from_slice(m), s)).collect();
    let lo = if max { z.len() - n } else { 0 };
    z.remove_range(lo, lo + n);
    popped
}

/// BZPOPMIN's one try (all it does inside MULTI): pops from the first sorted set of its keys.
pub fn bzpopmin(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    first_pop(ctx, args, false)
}

pub fn bzpopmax(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    first_pop(ctx, args, true)
}

fn first_pop(ctx: &mut Ctx, args: &[Bytes], max: bool) -> Reply {
    run(|| {
        let (timeout, keys) = args[1..].split_last().expect("arity");
        timeout_ms(timeout)?;
        for key in keys {
            if let Some(z) = ctx.write::<ZSet>(key)? {
                let (m, s) = pop(z, 1, max).pop().expect("sorted sets are never empty");
                ctx.remove_if_empty::<ZSet>(key);
                return Ok(Reply::Array(vec![Reply::Bulk(key.clone()), Reply::Bulk(m), Reply::Double(s)]));
            }
        }
        Ok(Reply::NilArray)
    })
}

pub fn zmpop(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    mpop(ctx, args, 1)
}

/// BZMPOP's one try (all it does inside MULTI): ZMPOP, the timeout checked last as Redis does.
pub fn bzmpop(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    mpop(ctx, args, 2)
}

/// ZMPOP with `numkeys` at `at`; BZMPOP's timeout, if any, is at 1.
fn mpop(ctx: &mut Ctx, args: &[Bytes], at: usize) -> Reply {
    run(|| {
        let numkeys = match resp::parse_i64(&args[at]) {
            Some(n) if n >= 1 => n as usize,
            _ => return Err(err("ERR numkeys should be greater than 0")),
        };
        let where_at = numkeys.saturating_add(at + 1);
        let max = match args.get(where_at) {
            Some(w) if eq_ic(w, "min") => false,
            Some(w) if eq_ic(w, "max") => true,
            _ => return Err(err(SYNTAX)),
        };
        let mut count = None;
        let mut j = where_at + 1;
        while j < args.len() {
            if count.is_none() && eq_ic(&args[j], "count") && j + 1 < args.len() {
                count = match resp::parse_i64(&args[j + 1]) {
                    Some(n) if n >= 1 => Some(n as usize),
                    _ => return Err(err("ERR count should be greater than 0")),
                };
                j += 2;
            } else {
                return Err(err(SYNTAX));
            }
        }
        if at == 2 {
            timeout_ms(&args[1])?;
        }
        // The first key that exists is popped from (WRONGTYPE if it is not a zset).
        for key in &args[at + 1..where_at] {
            let Some(z) = ctx.write::<ZSet>(key)? else { continue };
            let popped = pop(z, count.unwrap_or(1), max);
            ctx.remove_if_empty::<ZSet>(key);
            let pairs = popped.into_iter().map(|(m, s)| Reply::Array(vec![Reply::Bulk(m), Reply::Double(s)]));
            return Ok(Reply::Array(vec![Reply::Bulk(key.clone()), Reply::Array(pairs.collect())]));
        }
        Ok(Reply::NilArray)
    })
}

// ---------------------------------------------------------------------------
// ZUNION, ZINTER, ZDIFF, their STORE forms, ZINTERCARD.

#[derive(Clone, Copy, PartialEq)]
enum Op {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

impl Aggregate {
    fn apply(self, acc: &mut f64, v: f64) {
        match self {
            // inf + -inf is NaN; Redis makes it 0.
            Aggregate::Sum => {
                *acc += v;
                if acc.is_nan() {
                    *acc = 0.0;
                }
            }
            Aggregate::Min => *acc = if v < *acc { v } else { *acc },
            Aggregate::Max => *acc = if v > *acc { v } else { *acc },
        }
    }
}

pub fn zunion(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    run(|| set_op(ctx, args, Op::Union, false))
}

pub fn zinter(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    run(|| set_op(ctx, args, Op::Inter, false))
}

pub fn zdiff(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    run(|| set_op(ctx, args, Op::Diff, false))
}

pub fn zunionstore(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    run(|| set_op(ctx, args, Op::Union, true))
}

pub fn zinterstore(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    run(|| set_op(ctx, args, Op::Inter, true))
}

pub fn zdiffstore(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    run(|| set_op(ctx, args, Op::Diff, true))
}

pub fn zintercard(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    run(|| {
        let (keys, opts) = numkeys_and_types(ctx, args, 1)?;
        let mut limit = 0;
        let mut j = 0;
        while j < opts.len() {
            if eq_ic(&opts[j], "limit") && opts.len() - j >= 2 {
                limit = positive(&opts[j + 1], "ERR LIMIT can't be negative")? as usize;
                j += 2;
            } else {
                return Err(err(SYNTAX));
            }
        }
        let n = intersect(ctx, keys, &vec![1.0; keys.len()], Aggregate::Sum)?.len();
        Ok(Reply::Int(if limit > 0 { n.min(limit) } else { n } as i64))
    })
}

/// Reads `numkeys` at `at` and checks it and every key's type (before any
/// option, as Redis does); returns the keys and the arguments after them.
fn numkeys_and_types<'a>(ctx: &mut Ctx, args: &'a [Bytes], at: usize) -> Result<(&'a [Bytes], &'a [Bytes]), Reply> {
    let n = int(&args[at])?;
    if n < 1 {
        return Err(err(&format!("ERR at least 1 input key is needed for '{}' command", lower(&args[0]))));
    }
    if n as u64 > (args.len() - at - 1) as u64 {
        return Err(err(SYNTAX));
    }
    let (keys, opts) = args[at + 1..].split_at(n as usize);
    for key in keys {
        source(ctx, key)?;
    }
    Ok((keys, opts))
}

/// An input of the set algebra: Redis takes plain sets too, every member
/// scoring 1 (before weights).
enum Source<'a> {
    Z(&'a ZSet),
    S(&'a Set),
}

impl Source<'_> {
    fn len(&self) -> usize {
        match self {
            Source::Z(z) => z.len(),
            Source::S(s) => s.len(),
        }
    }

    fn for_each(&self, mut f: impl FnMut(&[u8], f64)) {
        match self {
            Source::Z(z) => z.iter().for_each(|(m, s)| f(m, s)),
            Source::S(s) => s.iter().for_each(|e| e.with_bytes(|m| f(m, 1.0))),
        }
    }

    fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            Source::Z(z) => z.score(member),
            Source::S(s) => s.contains(member).then_some(1.0),
        }
    }
}

/// The zset or set under `key`; WRONGTYPE for any other type.
fn source<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<Source<'a>>, Reply> {
    let now = ctx.now;
    match ctx.db().get(key, now).map(|e| &e.value) {
        None => Ok(None),
        Some(Value::ZSet(z)) => Ok(Some(Source::Z(z))),
        Some(Value::Set(s)) => Ok(Some(Source::S(s))),
        Some(_) => Err(err(WRONGTYPE)),
    }
}

fn set_op(ctx: &mut Ctx, args: &[Bytes], op: Op, store: bool) -> Result<Reply, Reply> {
    let (keys, opts) = numkeys_and_types(ctx, args, if store { 2 } else { 1 })?;
    let mut weights = vec![1.0; keys.len()];
    let (mut aggregate, mut withscores) = (Aggregate::Sum, false);
    let mut j = 0;
    while j < opts.len() {
        let (a, left) = (&opts[j], opts.len() - j);
        if op != Op::Diff && left > keys.len() && eq_ic(a, "weights") {
            for (w, arg) in weights.iter_mut().zip(&opts[j + 1..]) {
                *w = parse_score(arg).ok_or_else(|| err("ERR weight value is not a float"))?;
            }
            j += 1 + keys.len();
        } else if op != Op::Diff && left >= 2 && eq_ic(a, "aggregate") {
            aggregate = match lower(&opts[j + 1]).as_str() {
                "sum" => Aggregate::Sum,
                "min" => Aggregate::Min,
                "max" => Aggregate::Max,
                _ => return Err(err(SYNTAX)),
            };
            j += 2;
        } else if !store && eq_ic(a, "withscores") {
            withscores = true;
            j += 1;
        } else {
            return Err(err(SYNTAX));
        }
    }
    let mut result = match op {
        Op::Union => union(ctx, keys, &weights, aggregate)?,
        Op::Inter => intersect(ctx, keys, &weights, aggregate)?,
        Op::Diff => difference(ctx, keys)?,
    };
    if store {
        let n = result.len();
        ctx.store(&args[1], ZSet::from_pairs(result));
        return Ok(Reply::Int(n as i64));
    }
    sort_pairs(&mut result);
    Ok(members_reply(result.iter().map(|(s, m)| (&m[..], *s)), withscores))
}

/// Key indices from the smallest set to the largest (stable, a missing key
/// counting as empty): the order Redis combines them in, which matters for
/// float sums.
fn by_cardinality(ctx: &mut Ctx, keys: &[Bytes]) -> Result<Vec<usize>, Reply> {
    let mut cards = Vec::with_capacity(keys.len());
    for key in keys {
        cards.push(source(ctx, key)?.map_or(0, |z| z.len()));
    }
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by_key(|&i| cards[i]);
    Ok(order)
}

/// `score * weight`, with Redis's convention that NaN (0 * inf) is 0.
fn weighted(score: f64, weight: f64) -> f64 {
    let v = score * weight;
    if v.is_nan() {
        0.0
    } else {
        v
    }
}

fn union(ctx: &mut Ctx, keys: &[Bytes], weights: &[f64], agg: Aggregate) -> Result<Vec<(f64, Bytes)>, Reply> {
    let mut acc: HashMap<Bytes, f64> = HashMap::new();
    for i in by_cardinality(ctx, keys)? {
        let Some(z) = source(ctx, &keys[i])? else { continue };
        z.for_each(|m, s| {
            let v = weighted(s, weights[i]);
            match acc.get_mut(m) {
                Some(total) => agg.apply(total, v),
                None => {
                    acc.insert(Bytes::copy_from_slice(m), v);
                }
            }
        });
    }
    Ok(acc.into_iter().map(|(m, s)| (s, m)).collect())
}

/// Walks the smallest set and keeps what every other set has, folding in
/// the scores set by set (Redis's order: only the first product has its NaN
/// made 0, the others go through the aggregate as they are).
fn intersect(ctx: &mut Ctx, keys: &[Bytes], weights: &[f64], agg: Aggregate) -> Result<Vec<(f64, Bytes)>, Reply> {
    let order = by_cardinality(ctx, keys)?;
    let Some(first) = source(ctx, &keys[order[0]])? else { return Ok(Vec::new()) };
    let w = weights[order[0]];
    let mut acc: Vec<(f64, Bytes)> = Vec::with_capacity(first.len());
    first.for_each(|m, s| acc.push((weighted(s, w), Bytes::copy_from_slice(m))));
    for &i in &order[1..] {
        let Some(z) = source(ctx, &keys[i])? else { return Ok(Vec::new()) };
        acc.retain_mut(|(total, m)| match z.score(m) {
            Some(s) => {
                agg.apply(total, s * weights[i]);
                true
            }
            None => false,
        });
    }
    Ok(acc)
}

/// The first set's elements that no other set has, with their scores.
fn difference(ctx: &mut Ctx, keys: &[Bytes]) -> Result<Vec<(f64, Bytes)>, Reply> {
    let Some(first) = source(ctx, &keys[0])? else { return Ok(Vec::new()) };
    let mut acc: Vec<(f64, Bytes)> = Vec::with_capacity(first.len());
    first.for_each(|m, s| acc.push((s, Bytes::copy_from_slice(m))));
    for key in &keys[1..] {
        if let Some(z) = source(ctx, key)? {
            acc.retain(|(_, m)| z.score(m).is_none());
        }
    }
    Ok(acc)
}

// ---------------------------------------------------------------------------
// ZRANDMEMBER, ZSCAN.

/// The zset under `key` alongside the shard's random generator.
fn read_with_rng<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<(Option<&'a ZSet>, &'a mut crate::shard::Rng), Reply> {
    let (db, now) = (ctx.db, ctx.now);
    let ShardData { dbs, rng } = &mut *ctx.data;
    match dbs[db].get(key, now) {
        None => Ok((None, rng)),
        Some(e) => Ok((Some(ZSet::of(&e.value).ok_or_else(|| err(WRONGTYPE))?), rng)),
    }
}

pub fn zrandmember(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    run(|| {
        let Some(count) = args.get(2) else {
            let (z, rng) = read_with_rng(ctx, &args[1])?;
            return Ok(z.map_or(Reply::Nil, |z| Reply::Bulk(Bytes::copy_from_slice(z.get(rng.below(z.len())).0))));
        };
        let count = int(count)?;
        if count == i64::MIN {
            return Err(err(
                "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
            ));
        }
        if args.len() > 4 || (args.len() == 4 && !eq_ic(&args[3], "withscores")) {
            return Err(err(SYNTAX));
        }
        let withscores = args.len() == 4;
        if withscores && count.unsigned_abs() > (i64::MAX / 2) as u64 {
            return Err(err("ERR value is out of range"));
        }
        let (z, rng) = read_with_rng(ctx, &args[1])?;
        let Some(z) = z else { return Ok(Reply::Array(Vec::new())) };
        let n = count.unsigned_abs() as usize;
        let ranks: Vec<usize> = if count < 0 {
            // Repeats allowed, in random order.
            (0..n).map(|_| rng.below(z.len())).collect()
        } else if n >= z.len() {
            // The whole set, last first, as Redis walks its listpack.
            (0..z.len()).rev().collect()
        } else if n * 3 > z.len() {
            // Many of them: shuffle the first n of all ranks into place.
            let mut all: Vec<usize> = (0..z.len()).collect();
            for i in 0..n {
                let j = i + rng.below(all.len() - i);
                all.swap(i, j);
            }
            all.truncate(n);
            all
        } else {
            let mut picked = HashSet::with_capacity(n);
            let mut ranks = Vec::with_capacity(n);
            while ranks.len() < n {
                let r = rng.below(z.len());
                if picked.insert(r) {
                    ranks.push(r);
                }
            }
            ranks
        };
        Ok(members_reply(ranks.into_iter().map(|r| z.get(r)), withscores))
    })
}

pub fn zscan(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    run(|| {
        let cursor = parse_cursor(&args[2])?;
        let empty = || Reply::Array(vec![Reply::bulk("0"), Reply::Array(Vec::new())]);
        let Some(z) = ctx.read::<ZSet>(&args[1])? else { return Ok(empty()) };
        let (count, pattern) = scan_options(&args[3..])?;
        let mut items = Vec::new();
        let next = z.scan(cursor, count, |m, s| {
            if pattern.is_none_or(|p| glob_match(p, m)) {
                items.push(Reply::Bulk(Bytes::copy_from_slice(m)));
                items.push(Reply::bulk(format_double(s)));
            }
        });
        Ok(Reply::Array(vec![Reply::bulk(next.to_string()), Reply::Array(items)]))
    })
}
