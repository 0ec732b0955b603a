//! The string family: GET, SET and friends, counters, ranges, LCS.

use crate::args::*;
use crate::longdouble::{incr_by_float, IncrError};
use crate::shard::Ctx;
use crate::value::{Entry, Str, StrEncoding, Value};
use bytes::Bytes;
use resp::Reply;

/// The string under `key`, `None` if there is none, WRONGTYPE for another type.
fn get_str<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a Str>, Reply> {
    let now = ctx.now;
    match ctx.db().get(key, now) {
        None => Ok(None),
        Some(Entry { value: Value::Str(s), .. }) => Ok(Some(s)),
        Some(_) => Err(err(WRONGTYPE)),
    }
}

fn bulk_or_nil(v: Option<&Str>) -> Reply {
    v.map_or(Reply::Nil, Str::reply)
}

/// How an expiry argument is to be read.
#[derive(Clone, Copy, PartialEq)]
pub enum ExpireUnit {
    /// EX: seconds from now.
    Seconds,
    /// PX: milliseconds from now.
    Millis,
    /// EXAT: a Unix time in seconds.
    UnixSeconds,
    /// PXAT: a Unix time in milliseconds.
    UnixMillis,
}

impl ExpireUnit {
    fn from_option(opt: &[u8]) -> Option<ExpireUnit> {
        let o = opt.to_ascii_lowercase();
        Some(match &o[..] {
            b"ex" => ExpireUnit::Seconds,
            b"px" => ExpireUnit::Millis,
            b"exat" => ExpireUnit::UnixSeconds,
            b"pxat" => ExpireUnit::UnixMillis,
            _ => return None,
        })
    }
}

/// Turns an expiry argument into an absolute Unix time in ms, with Redis's
/// checks: positive, and no overflow on the way.
pub fn absolute_expire(arg: &[u8], unit: ExpireUnit, now: u64, cmd: &str) -> Result<u64, Reply> {
    let v = int(arg)?;
    let invalid = || Reply::error(format!("ERR invalid expire time in '{cmd}' command"));
    let seconds = matches!(unit, ExpireUnit::Seconds | ExpireUnit::UnixSeconds);
    if v <= 0 || (seconds && v > i64::MAX / 1000) {
        return Err(invalid());
    }
    let mut ms = if seconds { v * 1000 } else { v };
    if matches!(unit, ExpireUnit::Seconds | ExpireUnit::Millis) {
        ms = ms.checked_add(now as i64).ok_or_else(invalid)?;
    }
    Ok(ms as u64)
}

#[derive(Default)]
struct SetOptions {
    nx: bool,
    xx: bool,
    get: bool,
    keepttl: bool,
    persist: bool,
    expire: Option<(ExpireUnit, Bytes)>,
}

impl SetOptions {
    /// The absolute expiry the options ask for (0: none), checked as `cmd` checks it.
    fn expire_at(&self, now: u64, cmd: &str) -> Result<u64, Reply> {
        match &self.expire {
            Some((unit, arg)) => absolute_expire(arg, *unit, now, cmd),
            None => Ok(0),
        }
    }
}

/// Parses SET's and GETEX's options the way Redis's
/// `parseExtendedStringArgumentsOrReply` does: any conflict is a syntax error.
fn parse_set_options(args: &[Bytes], is_getex: bool) -> Result<SetOptions, Reply> {
    let mut o = SetOptions::default();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        let has_next = i + 1 < args.len();
        // An option may repeat (the last wins) but not meet a conflicting one.
        let unit = ExpireUnit::from_option(a);
        let expire_ok = !o.keepttl && !o.persist && o.expire.as_ref().is_none_or(|(u, _)| Some(*u) == unit);
        if !is_getex && eq_ic(a, "nx") && !o.xx {
            o.nx = true;
        } else if !is_getex && eq_ic(a, "xx") && !o.nx {
            o.xx = true;
        } else if !is_getex && eq_ic(a, "get") {
            o.get = true;
        } else if !is_getex && eq_ic(a, "keepttl") && o.expire.is_none() && !o.persist {
            o.keepttl = true;
        } else if is_getex && eq_ic(a, "persist") && o.expire.is_none() && !o.keepttl {
            o.persist = true;
        } else if let (Some(unit), true, true) = (unit, has_next, expire_ok) {
            o.expire = Some((unit, args[i + 1].clone()));
            i += 1;
        } else {
            return Err(err(SYNTAX));
        }
        i += 1;
    }
    Ok(o)
}

pub fn get(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match get_str(ctx, &args[1]) {
        Ok(v) => bulk_or_nil(v),
        Err(e) => e,
    }
}

pub fn set(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let opts = match parse_set_options(&args[3..], false) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let expire_at = match opts.expire_at(ctx.now, "set") {
        Ok(at) => at,
        Err(e) => return e,
    };
    set_generic(ctx, &args[1], &args[2], &opts, expire_at)
}

fn set_generic(ctx: &mut Ctx, key: &[u8], value: &[u8], opts: &SetOptions, expire_at: u64) -> Reply {
    let now = ctx.now;
    if !(opts.get || opts.nx || opts.xx || opts.keepttl) {
        // Nothing of the old entry matters: one table operation, not a lookup and an insert.
        ctx.db().overwrite(key, Value::string_copy(value), expire_at, now);
        return Reply::Ok;
    }
    // One lookup for what SET needs of the old entry: its value (GET), its TTL (KEEPTTL).
    // (Other types: SET overwrites them, SET ... GET must answer WRONGTYPE.)
    let (found, old, old_ttl) = match ctx.db().get(key, now) {
        None => (false, None, 0),
        Some(e) => match &e.value {
            Value::Str(s) => (true, opts.get.then(|| s.reply()), e.expire_at()),
            _ if opts.get => return err(WRONGTYPE),
            _ => (true, None, e.expire_at()),
        },
    };
    let reply = if opts.get { old.unwrap_or(Reply::Nil) } else { Reply::Ok };
    if (opts.nx && found) || (opts.xx && !found) {
        return if opts.get { reply } else { Reply::Nil };
    }
    let ttl = if opts.keepttl && found { old_ttl } else { expire_at };
    ctx.db().set(key, Value::string_copy(value), ttl);
    reply
}

pub fn setnx(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let now = ctx.now;
    if ctx.db().contains(&args[1], now) {
        return Reply::Int(0);
    }
    ctx.db().set(&args[1], Value::string_copy(&args[2]), 0);
    Reply::Int(1)
}

fn setex_generic(ctx: &mut Ctx, args: &[Bytes], unit: ExpireUnit, name: &str) -> Reply {
    match absolute_expire(&args[2], unit, ctx.now, name) {
        Ok(at) => {
            ctx.db().set(&args[1], Value::string_copy(&args[3]), at);
            Reply::Ok
        }
        Err(e) => e,
    }
}

pub fn setex(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    setex_generic(ctx, args, ExpireUnit::Seconds, "setex")
}

pub fn psetex(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    setex_generic(ctx, args, ExpireUnit::Millis, "psetex")
}

pub fn getset(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let opts = SetOptions { get: true, ..Default::default() };
    set_generic(ctx, &args[1], &args[2], &opts, 0)
}

pub fn getdel(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match get_str(ctx, &args[1]) {
        Ok(Some(v)) => {
            let reply = v.reply();
            ctx.db().remove(&args[1]);
            reply
        }
        Ok(None) => Reply::Nil,
        Err(e) => e,
    }
}

pub fn getex(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let opts = match parse_set_options(&args[2..], true) {
        Ok(o) => o,
        Err(e) => return e,
    };
    // Redis looks the key up before it validates the expiry.
    let value = match get_str(ctx, &args[1]) {
        Ok(Some(v)) => v.reply(),
        Ok(None) => return Reply::Nil,
        Err(e) => return e,
    };
    let expire_at = match opts.expire_at(ctx.now, "getex") {
        Ok(at) => at,
        Err(e) => return e,
    };
    let key = &args[1];
    if opts.persist {
        ctx.db().set_expire(key, 0);
    } else if opts.expire.is_some() {
        if expire_at <= ctx.now {
            ctx.db().remove(key);
        } else {
            ctx.db().set_expire(key, expire_at);
        }
    }
    value
}

pub fn mget(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    // Keys holding other types read as nil, not WRONGTYPE.
    Reply::Array(args[1..].iter().map(|k| get_str(ctx, k).map_or(Reply::Nil, bulk_or_nil)).collect())
}

pub fn mset(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    if args.len().is_multiple_of(2) {
        return wrong_args(&args[0]);
    }
    for pair in args[1..].chunks(2) {
        ctx.db().set(&pair[0], Value::string_copy(&pair[1]), 0);
    }
    Reply::Ok
}

pub fn msetnx(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    if args.len().is_multiple_of(2) {
        return wrong_args(&args[0]);
    }
    let now = ctx.now;
    if args[1..].chunks(2).any(|pair| ctx.db().contains(&pair[0], now)) {
        return Reply::Int(0);
    }
    mset(ctx, args);
    Reply::Int(1)
}

pub fn append(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let (key, suffix) = (&args[1], &args[2]);
    let now = ctx.now;
    match ctx.db().get_mut(key, now) {
        None => {
            ctx.db().set(key, Value::string_copy(suffix), 0);
            Reply::Int(suffix.len() as i64)
        }
        Some(Entry { value: Value::Str(s), .. }) => {
            if s.len() + suffix.len() > MAX_STRING {
                return err(TOO_BIG);
            }
            s.set_enc(StrEncoding::Raw);
            Reply::Int(s.edit(|v| {
                v.extend_from_slice(suffix);
                v.len()
            }) as i64)
        }
        Some(_) => err(WRONGTYPE),
    }
}

pub fn strlen(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match get_str(ctx, &args[1]) {
        Ok(v) => Reply::Int(v.map_or(0, |b| b.len() as i64)),
        Err(e) => e,
    }
}

fn incr_by(ctx: &mut Ctx, key: &[u8], delta: i64) -> Reply {
    let current = match get_str(ctx, key) {
        Ok(None) => 0,
        Ok(Some(v)) => match resp::parse_i64(v) {
            Some(n) => n,
            None => return err(NOT_INTEGER),
        },
        Err(e) => return e,
    };
    let Some(new) = current.checked_add(delta) else {
        return err(OVERFLOW);
    };
    store_keep_ttl(ctx, key, Value::string_copy(resp::itoa_buf(new).as_bytes()));
    Reply::Int(new)
}

/// Replaces a key's value, keeping its TTL (INCR, INCRBYFLOAT, SETRANGE do).
fn store_keep_ttl(ctx: &mut Ctx, key: &[u8], value: Value) {
    let now = ctx.now;
    match ctx.db().get_mut(key, now) {
        Some(entry) => entry.value = value,
        None => ctx.db().set(key, value, 0),
    }
}

pub fn incr(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    incr_by(ctx, &args[1], 1)
}

pub fn decr(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    incr_by(ctx, &args[1], -1)
}

pub fn incrby(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match int(&args[2]) {
        Ok(d) => incr_by(ctx, &args[1], d),
        Err(e) => e,
    }
}

pub fn decrby(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match int(&args[2]) {
        Ok(i64::MIN) => err("ERR decrement would overflow"),
        Ok(d) => incr_by(ctx, &args[1], -d),
        Err(e) => e,
    }
}

pub fn incrbyfloat(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let key = &args[1];
    let current = match get_str(ctx, key) {
        Ok(v) => v.map(Str::to_bytes),
        Err(e) => return e,
    };
    match incr_by_float(current.as_deref(), &args[2]) {
        Ok(text) => {
            let data = Bytes::from(text);
            store_keep_ttl(ctx, key, Value::string_as(data.clone(), StrEncoding::NotInt));
            Reply::Bulk(data)
        }
        Err(IncrError::NotFinite) => err("ERR increment would produce NaN or Infinity"),
        Err(_) => err(NOT_FLOAT),
    }
}

pub fn getrange(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let (start, end) = match (int(&args[2]), int(&args[3])) {
        (Ok(s), Ok(e)) => (s, e),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    let data = match get_str(ctx, &args[1]) {
        Ok(Some(v)) => v.to_bytes(),
        Ok(None) => return Reply::Bulk(Bytes::new()),
        Err(e) => return e,
    };
    let len = data.len() as i64;
    if start < 0 && end < 0 && start > end {
        return Reply::Bulk(Bytes::new());
    }
    let mut s = if start < 0 { len + start } else { start };
    let mut e = if end < 0 { len + end } else { end };
    s = s.max(0);
    e = e.max(0);
    if e >= len {
        e = len - 1;
    }
    if s > e || len == 0 {
        return Reply::Bulk(Bytes::new());
    }
    Reply::Bulk(data.slice(s as usize..=e as usize))
}

pub fn setrange(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let (key, value) = (&args[1], &args[3]);
    let offset = match int(&args[2]) {
        Ok(o) if o < 0 => return err("ERR offset is out of range"),
        Ok(o) => o as usize,
        Err(e) => return e,
    };
    let end = offset + value.len();
    let now = ctx.now;
    match ctx.db().get_mut(key, now) {
        // An empty write neither creates the key nor checks the length.
        None if value.is_empty() => Reply::Int(0),
        Some(Entry { value: Value::Str(s), .. }) if value.is_empty() => Reply::Int(s.len() as i64),
        None | Some(Entry { value: Value::Str(_), .. }) if end > MAX_STRING => err(TOO_BIG),
        None => {
            let mut v = vec![0; end];
            v[offset..].copy_from_slice(value);
            ctx.db().set(key, Value::string_as(Bytes::from(v), StrEncoding::Raw), 0);
            Reply::Int(end as i64)
        }
        Some(Entry { value: Value::Str(s), .. }) => {
            s.set_enc(StrEncoding::Raw);
            Reply::Int(s.edit(|v| {
                if v.len() < end {
                    v.resize(end, 0);
                }
                v[offset..end].copy_from_slice(value);
                v.len()
            }) as i64)
        }
        Some(_) => err(WRONGTYPE),
    }
}

pub fn lcs(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let (mut want_len, mut want_idx, mut min_match, mut with_match_len) = (false, false, 0i64, false);
    let mut i = 3;
    while i < args.len() {
        let a = &args[i];
        if eq_ic(a, "idx") {
            want_idx = true;
        } else if eq_ic(a, "len") {
            want_len = true;
        } else if eq_ic(a, "withmatchlen") {
            with_match_len = true;
        } else if eq_ic(a, "minmatchlen") && i + 1 < args.len() {
            match int(&args[i + 1]) {
                Ok(v) => min_match = v.max(0),
                Err(e) => return e,
            }
            i += 1;
        } else {
            return err(SYNTAX);
        }
        i += 1;
    }
    let a = match get_str(ctx, &args[1]) {
        Ok(v) => v.map(Str::to_bytes).unwrap_or_default(),
        Err(_) => return err("ERR The specified keys must contain string values"),
    };
    let b = match get_str(ctx, &args[2]) {
        Ok(v) => v.map(Str::to_bytes).unwrap_or_default(),
        Err(_) => return err("ERR The specified keys must contain string values"),
    };
    if want_len && want_idx {
        return err("ERR If you want both the length and indexes, please just use IDX.");
    }
    let (alen, blen) = (a.len(), b.len());
    // Dynamic programming table of LCS lengths, as Redis computes it.
    let w = blen + 1;
    let mut dp = vec![0u32; (alen + 1) * w];
    for i in 1..=alen {
        for j in 1..=blen {
            dp[i * w + j] = if a[i - 1] == b[j - 1] {
                dp[(i - 1) * w + j - 1] + 1
            } else {
                dp[(i - 1) * w + j].max(dp[i * w + j - 1])
            };
        }
    }
    let total = dp[alen * w + blen] as usize;
    if want_len {
        return Reply::Int(total as i64);
    }
    // Walk back from the end, collecting the LCS and (for IDX) the matching ranges.
    let mut lcs = vec![0u8; total];
    let mut idx = total;
    let (mut i, mut j) = (alen, blen);
    let mut matches = Vec::new();
    let mut range: Option<(usize, usize, usize, usize)> = None; // (a_start, a_end, b_start, b_end)
    while i > 0 && j > 0 {
        let mut emit = false;
        if a[i - 1] == b[j - 1] {
            idx -= 1;
            lcs[idx] = a[i - 1];
            match &mut range {
                Some(r) if r.0 == i && r.2 == j => {
                    r.0 -= 1;
                    r.2 -= 1;
                }
                Some(_) => emit = true,
                None => range = Some((i - 1, i - 1, j - 1, j - 1)),
            }
            if emit {
                let r = range.take().expect("range set");
                push_match(&mut matches, r, min_match, with_match_len);
                range = Some((i - 1, i - 1, j - 1, j - 1));
            }
            i -= 1;
            j -= 1;
        } else {
            if let Some(r) = range.take() {
                push_match(&mut matches, r, min_match, with_match_len);
            }
            if dp[(i - 1) * w + j] > dp[i * w + j - 1] {
                i -= 1;
            } else {
                j -= 1;
            }
        }
    }
    if let Some(r) = range.take() {
        push_match(&mut matches, r, min_match, with_match_len);
    }
    if want_idx {
        return Reply::Map(vec![
            (Reply::bulk("matches"), Reply::Array(matches)),
            (Reply::bulk("len"), Reply::Int(total as i64)),
        ]);
    }
    Reply::Bulk(Bytes::from(lcs))
}

fn push_match(out: &mut Vec<Reply>, r: (usize, usize, usize, usize), min_match: i64, with_len: bool) {
    let len = r.1 - r.0 + 1;
    if (len as i64) < min_match {
        return;
    }
    let mut item = vec![
        Reply::Array(vec![Reply::Int(r.0 as i64), Reply::Int(r.1 as i64)]),
        Reply::Array(vec![Reply::Int(r.2 as i64), Reply::Int(r.3 as i64)]),
    ];
    if with_len {
        item.push(Reply::Int(len as i64));
    }
    out.push(Reply::Array(item));
}
