//! The keyspace family: DEL, EXISTS, TTLs, RENAME, COPY, MOVE, OBJECT, and the
//! per-shard halves of the commands that span all shards (KEYS, SCAN, ...).

use crate::args::*;
use crate::glob::glob_match;
use crate::shard::Ctx;
use crate::value::Entry;
use bytes::Bytes;
use resp::Reply;

pub fn del(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    Reply::Int(args[1..].iter().filter(|k| ctx.db().remove(k).is_some_and(|e| !e.is_expired(ctx.now))).count() as i64)
}

pub fn exists(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let now = ctx.now;
    Reply::Int(args[1..].iter().filter(|k| ctx.db().contains(k, now)).count() as i64)
}

pub fn type_(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let now = ctx.now;
    let name = ctx.db().get(&args[1], now).map_or("none", |e| e.value.type_name());
    Reply::Status(Bytes::from_static(name.as_bytes()))
}

/// Which conditions EXPIRE's NX/XX/GT/LT options put on the current TTL.
#[derive(Default)]
struct ExpireFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

fn parse_expire_flags(args: &[Bytes]) -> Result<ExpireFlags, Reply> {
    let mut f = ExpireFlags::default();
    for a in args {
        match &a.to_ascii_lowercase()[..] {
            b"nx" => f.nx = true,
            b"xx" => f.xx = true,
            b"gt" => f.gt = true,
            b"lt" => f.lt = true,
            _ => return Err(Reply::error(format!("ERR Unsupported option {}", String::from_utf8_lossy(a)))),
        }
    }
    if f.nx && (f.xx || f.gt || f.lt) {
        return Err(err("ERR NX and XX, GT or LT options at the same time are not compatible"));
    }
    if f.gt && f.lt {
        return Err(err("ERR GT and LT options at the same time are not compatible"));
    }
    Ok(f)
}

/// EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT: `seconds` scales the argument,
/// `relative` adds the current time.
fn expire_generic(ctx: &mut Ctx, args: &[Bytes], seconds: bool, relative: bool) -> Reply {
    let flags = match parse_expire_flags(&args[3..]) {
        Ok(f) => f,
        Err(e) => return e,
    };
    let mut when = match int(&args[2]) {
        Ok(v) => v,
        Err(e) => return e,
    };
    let invalid = || Reply::error(format!("ERR invalid expire time in '{}' command", lower(&args[0])));
    if seconds {
        if !(i64::MIN / 1000..=i64::MAX / 1000).contains(&when) {
            return invalid();
        }
        when *= 1000;
    }
    let base = if relative { ctx.now as i64 } else { 0 };
    let Some(when) = when.checked_add(base) else {
        return invalid();
    };
    let (now, key) = (ctx.now, &args[1]);
    let Some(entry) = ctx.db().get(key, now) else {
        return Reply::Int(0);
    };
    let current = entry.expire_at() as i64;
    let has_ttl = current != 0;
    let refused = (flags.nx && has_ttl)
        || (flags.xx && !has_ttl)
        || (flags.gt && (!has_ttl || when <= current))
        || (flags.lt && has_ttl && when >= current);
    if refused {
        return Reply::Int(0);
    }
    if when <= now as i64 {
        ctx.db().remove(key);
    } else {
        ctx.db().set_expire(key, when as u64);
    }
    Reply::Int(1)
}

pub fn expire(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    expire_generic(ctx, args, true, true)
}

pub fn pexpire(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    expire_generic(ctx, args, false, true)
}

pub fn expireat(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    expire_generic(ctx, args, true, false)
}

pub fn pexpireat(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    expire_generic(ctx, args, false, false)
}

/// TTL and friends: -2 for no key, -1 for no TTL, else `f(expire_at, now)`.
fn ttl_generic(ctx: &mut Ctx, key: &[u8], f: impl Fn(u64, u64) -> i64) -> Reply {
    let now = ctx.now;
    match ctx.db().get(key, now) {
        None => Reply::Int(-2),
        Some(e) if e.expire_at() == 0 => Reply::Int(-1),
        Some(e) => Reply::Int(f(e.expire_at(), now)),
    }
}

pub fn ttl(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    ttl_generic(ctx, &args[1], |at, now| (at.saturating_sub(now) as i64 + 500) / 1000)
}

pub fn pttl(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    ttl_generic(ctx, &args[1], |at, now| at.saturating_sub(now) as i64)
}

pub fn expiretime(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    ttl_generic(ctx, &args[1], |at, _| at as i64 / 1000)
}

pub fn pexpiretime(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    ttl_generic(ctx, &args[1], |at, _| at as i64)
}

pub fn persist(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let now = ctx.now;
    match ctx.db().get(&args[1], now) {
        Some(e) if e.expire_at() != 0 => {
            ctx.db().set_expire(&args[1], 0);
            Reply::Int(1)
        }
        _ => Reply::Int(0),
    }
}

pub fn touch(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    exists(ctx, args)
}

fn rename_generic(ctx: &mut Ctx, args: &[Bytes], nx: bool) -> Reply {
    let (src, dst, now) = (&args[1], &args[2], ctx.now);
    if !ctx.db().contains(src, now) {
        return err(NO_SUCH_KEY);
    }
    if src == dst {
        ctx.unchanged = true;
        return if nx { Reply::Int(0) } else { Reply::Ok };
    }
    if nx && ctx.db().contains(dst, now) {
        return Reply::Int(0);
    }
    let entry = ctx.db().remove(src).expect("source checked above");
    ctx.db().insert_entry(dst, entry);
    if nx {
        Reply::Int(1)
    } else {
        Reply::Ok
    }
}

pub fn rename(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    rename_generic(ctx, args, false)
}

pub fn renamenx(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    rename_generic(ctx, args, true)
}

/// A database index argument (SELECT, MOVE, COPY ... DB), checked against `databases`.
pub fn parse_db_index(arg: &[u8], databases: usize) -> Result<usize, Reply> {
    match resp::parse_i64(arg) {
        Some(i) if i < i32::MIN as i64 || i > i32::MAX as i64 => Err(err(NOT_INTEGER)),
        Some(i) if i >= 0 && (i as usize) < databases => Ok(i as usize),
        Some(_) => Err(err("ERR DB index is out of range")),
        None => Err(err(NOT_INTEGER)),
    }
}

/// COPY's options: the destination database and whether to replace.
pub fn parse_copy_options(args: &[Bytes], current_db: usize, databases: usize) -> Result<(usize, bool), Reply> {
    let (mut db, mut replace) = (current_db, false);
    let mut i = 3;
    while i < args.len() {
        if eq_ic(&args[i], "replace") {
            replace = true;
        } else if eq_ic(&args[i], "db") && i + 1 < args.len() {
            db = parse_db_index(&args[i + 1], databases)?;
            i += 1;
        } else {
            return Err(err(SYNTAX));
        }
        i += 1;
    }
    Ok((db, replace))
}

pub fn copy(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let databases = ctx.data.dbs.len();
    let (dst_db, replace) = match parse_copy_options(args, ctx.db, databases) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let (src, dst, now) = (&args[1], &args[2], ctx.now);
    if dst_db == ctx.db && src == dst {
        return err("ERR source and destination objects are the same");
    }
    let Some(entry) = ctx.db().get(src, now).cloned() else {
        return Reply::Int(0);
    };
    let target = &mut ctx.data.dbs[dst_db];
    if target.contains(dst, now) && !replace {
        return Reply::Int(0);
    }
    target.insert_entry(dst, entry);
    Reply::Int(1)
}

pub fn move_(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let databases = ctx.data.dbs.len();
    let dst_db = match parse_db_index(&args[2], databases) {
        Ok(d) => d,
        Err(e) => return e,
    };
    if dst_db == ctx.db {
        return err("ERR source and destination objects are the same");
    }
    let (key, now) = (&args[1], ctx.now);
    if !ctx.db().contains(key, now) || ctx.data.dbs[dst_db].contains(key, now) {
        return Reply::Int(0);
    }
    let entry: Entry = ctx.db().remove(key).expect("checked above");
    ctx.data.dbs[dst_db].insert_entry(key, entry);
    Reply::Int(1)
}

pub fn object(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let sub = lower(&args[1]);
    if sub == "help" {
        let lines = [
            "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "ENCODING <key>",
            "    Return the kind of internal representation used in order to store the value",
            "    associated with a <key>.",
            "FREQ <key>",
            "    Return the access frequency index of the <key>. The returned integer is",
            "    proportional to the logarithm of the recent access frequency of the key.",
            "IDLETIME <key>",
            "    Return the idle time of the <key>, that is the approximated number of",
            "    seconds elapsed since the last access to the key.",
            "REFCOUNT <key>",
            "    Return the number of references of the value associated with the specified",
            "    <key>.",
            "HELP",
            "    Prints this help.",
        ];
        return Reply::help(&lines);
    }
    if !matches!(sub.as_str(), "encoding" | "refcount" | "idletime" | "freq") {
        return Reply::unknown_subcommand("OBJECT", &args[1]);
    }
    if args.len() != 3 {
        return Reply::error(format!("ERR wrong number of arguments for 'object|{sub}' command"));
    }
    let now = ctx.now;
    let Some(entry) = ctx.db().get(&args[2], now) else {
        return Reply::Nil;
    };
    match sub.as_str() {
        "encoding" => Reply::bulk(entry.value.encoding()),
        "refcount" if entry.value.is_shared_integer() => Reply::Int(i32::MAX as i64),
        "refcount" => Reply::Int(1),
        "idletime" => Reply::Int(0),
        _ => err("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."),
    }
}

// ---- Per-shard halves of the commands that span every shard. ----

/// SCAN's filters.
pub struct ScanFilter {
    pub pattern: Option<Bytes>,
    pub type_name: Option<String>,
}

impl ScanFilter {
    pub fn accepts(&self, key: &[u8], entry: &Entry) -> bool {
        self.pattern.as_ref().is_none_or(|p| glob_match(p, key))
            && self.type_name.as_ref().is_none_or(|t| entry.value.type_name() == t)
    }
}

/// One shard's page of SCAN: keys from table position `pos`, the next position if any.
pub fn scan_page(ctx: &mut Ctx, pos: u64, count: usize, filter: &ScanFilter) -> (Option<u64>, Vec<Bytes>) {
    let now = ctx.now;
    let mut keys = Vec::new();
    let next = ctx.db().scan(pos, count, now, |k, e| {
        if filter.accepts(k, e) {
            keys.push(Bytes::copy_from_slice(k));
        }
    });
    (next, keys)
}

/// This shard's keys matching `pattern`, for KEYS.
pub fn keys_matching(ctx: &mut Ctx, pattern: &[u8]) -> Vec<Bytes> {
    let now = ctx.now;
    let all = pattern == b"*";
    ctx.db().iter(now).filter(|(k, _)| all || glob_match(pattern, k)).map(|(k, _)| Bytes::copy_from_slice(k)).collect()
}

pub fn random_key(ctx: &mut Ctx) -> Option<Bytes> {
    let now = ctx.now;
    let db = ctx.db;
    let data = &mut *ctx.data;
    let mut picks: Vec<usize> = Vec::new();
    // Draw indexes up front: the db and the rng are both in `data`.
    for _ in 0..100 {
        let n = data.dbs[db].len();
        picks.push(data.random(n));
    }
    let mut it = picks.into_iter();
    data.dbs[db].random_key(now, |_| it.next().unwrap_or(0))
}
