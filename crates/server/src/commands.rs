//! The command table: the one place that says, for every command, its name,
//! arity, flags, where its keys are, and what runs it. Routing, COMMAND,
//! AUTH checks and (later) ACL categories and AOF logging all read it.

use crate::connection as conn;
use crate::dispatch::Client;
use crate::server_cmds as srv;
use crate::shard::Shard;
use bytes::Bytes;
use engine::{bitmaps, hyperloglog, keys, strings, Handler};
use hashbrown::HashMap;
use resp::Reply;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::OnceLock;

pub const WRITE: u32 = 1;
pub const READONLY: u32 = 1 << 1;
pub const FAST: u32 = 1 << 2;
pub const ADMIN: u32 = 1 << 3;
/// Allowed before AUTH when a password is set.
pub const NO_AUTH: u32 = 1 << 4;
pub const DENYOOM: u32 = 1 << 5;
pub const NOSCRIPT: u32 = 1 << 6;
pub const LOADING: u32 = 1 << 7;
pub const STALE: u32 = 1 << 8;
/// Redis's `may_replicate`: a read that still changes what a key holds, so
/// the AOF logs it (PFCOUNT caches the count in the HLL's header). Not among
/// the flags COMMAND INFO shows, as in Redis 7.0.
pub const MAY_REPLICATE: u32 = 1 << 9;
/// Reads or writes every shard's keyspace (FLUSHALL, SWAPDB, KEYS, ...): runs
/// under the keyspace lock (`dispatch::KeyspaceLock`), and a transaction
/// containing one holds that lock throughout. Ours; COMMAND INFO omits it.
pub const KEYSPACE: u32 = 1 << 10;
/// Refused inside MULTI (the refusal dooms the EXEC), as Redis's `no_multi`.
pub const NO_MULTI: u32 = 1 << 11;
/// A reply of 0 or nil means this write changed nothing (SADD of members
/// already there, DEL of missing keys, LPOP of a missing list): WATCH does
/// not count it as touching its keys, since Redis signals only real changes.
/// Ours; COMMAND INFO omits it.
pub const UNCHANGED_ON_ZERO: u32 = 1 << 12;
/// Redis's `blocking`: waits until one of its keys can serve it or its timeout
/// passes (`crate::blocking`); inside MULTI it runs once and does not wait.
pub const BLOCKING: u32 = 1 << 13;

/// The subcommands Tessera implements of Redis's container commands. A
/// container's row in `COMMANDS` stands for all of them: the flags they share,
/// and the keys of those that have keys. COMMAND shows these and no others.
pub static SUBCOMMANDS: &[(&str, &[&str])] = &[
    ("client", &["getname", "help", "id", "info", "kill", "list", "setname", "unblock"]),
    ("command", &["count", "docs", "getkeys", "getkeysandflags", "help", "info", "list"]),
    ("config", &["get", "help", "resetstat", "rewrite", "set"]),
    ("object", &["encoding", "freq", "help", "idletime", "refcount"]),
];

/// Redis's arity rule: `a` arguments exactly, or at least `-a` when negative.
pub fn arity_ok(a: i32, argc: usize) -> bool {
    (a >= 0 && argc == a as usize) || (a < 0 && argc >= a.unsigned_abs() as usize)
}

pub type LocalFuture<'a> = Pin<Box<dyn Future<Output = Reply> + 'a>>;

/// How a command runs.
#[derive(Clone, Copy)]
pub enum Exec {
    /// On the shard owning its keys; as a multi-shard transaction when they span shards.
    Keyed(Handler),
    /// On the connection, synchronously: connection state, no keys.
    Conn(fn(&Rc<Shard>, &mut Client, &[Bytes]) -> Reply),
    /// On the connection, asynchronously: commands that span every shard.
    Server(for<'a> fn(&'a Rc<Shard>, &'a mut Client, &'a [Bytes]) -> LocalFuture<'a>),
}

/// Finds the key positions of a command whose keys `(first, last, step)` cannot describe.
pub type KeyFinder = fn(&[Bytes]) -> Vec<usize>;

pub struct Command {
    pub name: &'static str,
    /// Redis's convention: N exactly N arguments (the name included), -N at least N.
    pub arity: i32,
    pub flags: u32,
    /// First key, last key (negative: from the end), step; 0,0,0 for none.
    pub keys: (i32, i32, i32),
    /// For commands whose keys `keys` cannot describe (a `numkeys` argument,
    /// an optional STORE key): finds their positions in the arguments.
    /// Returns what it can on malformed arguments; the handler reports the error.
    pub find_keys: Option<KeyFinder>,
    pub exec: Exec,
}

impl Command {
    pub fn arity_ok(&self, argc: usize) -> bool {
        arity_ok(self.arity, argc)
    }

    pub fn has(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }

    /// Positions of the key arguments in `args`.
    pub fn key_positions(&self, args: &[Bytes]) -> Vec<usize> {
        match self.find_keys {
            Some(find) => find(args).into_iter().filter(|&i| i < args.len()).collect(),
            None => self.key_range(args.len()).collect(),
        }
    }

    /// Key positions from the (first, last, step) triple, without allocating:
    /// routing asks this of every command that has no key finder.
    pub fn key_range(&self, argc: usize) -> std::iter::StepBy<std::ops::Range<usize>> {
        let (first, last, step) = self.keys;
        let last = if last < 0 { argc as i32 + last } else { last.min(argc as i32 - 1) };
        let (first, step) = (first.max(0) as usize, step.max(1) as usize);
        let end = if self.keys.0 == 0 { 0 } else { (last + 1).max(0) as usize };
        (first..end.max(first)).step_by(step)
    }

    /// The subcommands Tessera implements, for a container command (OBJECT, CONFIG, ...).
    pub fn subcommands(&self) -> &'static [&'static str] {
        SUBCOMMANDS.iter().find(|(name, _)| *name == self.name).map_or(&[], |(_, subs)| subs)
    }
}

macro_rules! keyed {
    (@find) => {
        None
    };
    (@find $find:path) => {
        Some($find)
    };
    ($name:literal, $arity:expr, $flags:expr, $keys:expr, $h:path $(, find = $find:path)?) => {
        Command {
            name: $name,
            arity: $arity,
            flags: $flags,
            keys: $keys,
            find_keys: keyed!(@find $($find)?),
            exec: Exec::Keyed($h),
        }
    };
}
// For the routing steps of commands that route themselves (sort.rs).
pub(crate) use keyed;

macro_rules! local {
    ($name:literal, $arity:expr, $flags:expr, $h:path) => {
        Command { name: $name, arity: $arity, flags: $flags, keys: (0, 0, 0), find_keys: None, exec: Exec::Conn($h) }
    };
}
macro_rules! server {
    ($name:literal, $arity:expr, $flags:expr, $h:path) => {
        Command {
            name: $name,
            arity: $arity,
            flags: $flags,
            keys: (0, 0, 0),
            find_keys: None,
            exec: Exec::Server(|s, c, a| Box::pin($h(s, c, a))),
        }
    };
}

/// A server-routed command that still has keys (SORT: its BY/GET patterns
/// read keys its arguments do not name, so it routes its own steps; WATCH).
macro_rules! server_keyed {
    ($name:literal, $arity:expr, $flags:expr, $keys:expr, $h:path $(, find = $find:path)?) => {
        Command {
            name: $name,
            arity: $arity,
            flags: $flags,
            keys: $keys,
            find_keys: keyed!(@find $($find)?),
            exec: Exec::Server(|s, c, a| Box::pin($h(s, c, a))),
        }
    };
}

const K1: (i32, i32, i32) = (1, 1, 1);
const K2: (i32, i32, i32) = (1, 2, 1);
const KALL: (i32, i32, i32) = (1, -1, 1);
const KPAIRS: (i32, i32, i32) = (1, -1, 2);
const W: u32 = WRITE;
const WD: u32 = WRITE | DENYOOM;
const RO: u32 = READONLY;
const ROF: u32 = READONLY | FAST;
const WF: u32 = WRITE | FAST;
const WDF: u32 = WRITE | DENYOOM | FAST;

pub static COMMANDS: &[Command] = &[
    // Strings.
    keyed!("get", 2, ROF, K1, strings::get),
    keyed!("set", -3, WD, K1, strings::set),
    keyed!("setnx", 3, WDF | UNCHANGED_ON_ZERO, K1, strings::setnx),
    keyed!("setex", 4, WD, K1, strings::setex),
    keyed!("psetex", 4, WD, K1, strings::psetex),
    keyed!("getset", 3, WDF, K1, strings::getset),
    keyed!("getdel", 2, WF | UNCHANGED_ON_ZERO, K1, strings::getdel),
    keyed!("getex", -2, WF | UNCHANGED_ON_ZERO, K1, strings::getex),
    keyed!("mget", -2, ROF, KALL, strings::mget),
    keyed!("mset", -3, WD, KPAIRS, strings::mset),
    keyed!("msetnx", -3, WD | UNCHANGED_ON_ZERO, KPAIRS, strings::msetnx),
    keyed!("append", 3, WDF, K1, strings::append),
    keyed!("strlen", 2, ROF, K1, strings::strlen),
    keyed!("incr", 2, WDF, K1, strings::incr),
    keyed!("decr", 2, WDF, K1, strings::decr),
    keyed!("incrby", 3, WDF, K1, strings::incrby),
    keyed!("decrby", 3, WDF, K1, strings::decrby),
    keyed!("incrbyfloat", 3, WDF, K1, strings::incrbyfloat),
    keyed!("getrange", 4, RO, K1, strings::getrange),
    keyed!("substr", 4, RO, K1, strings::getrange),
    keyed!("setrange", 4, WD, K1, strings::setrange),
    keyed!("lcs", -3, RO, K2, strings::lcs),
    // Keys.
    keyed!("del", -2, W | UNCHANGED_ON_ZERO, KALL, keys::del),
    keyed!("unlink", -2, WF | UNCHANGED_ON_ZERO, KALL, keys::del),
    keyed!("exists", -2, ROF, KALL, keys::exists),
    keyed!("type", 2, ROF, K1, keys::type_),
    keyed!("touch", -2, ROF, KALL, keys::touch),
    keyed!("expire", -3, WF | UNCHANGED_ON_ZERO, K1, keys::expire),
    keyed!("pexpire", -3, WF | UNCHANGED_ON_ZERO, K1, keys::pexpire),
    keyed!("expireat", -3, WF | UNCHANGED_ON_ZERO, K1, keys::expireat),
    keyed!("pexpireat", -3, WF | UNCHANGED_ON_ZERO, K1, keys::pexpireat),
    keyed!("ttl", 2, ROF, K1, keys::ttl),
    keyed!("pttl", 2, ROF, K1, keys::pttl),
    keyed!("expiretime", 2, ROF, K1, keys::expiretime),
    keyed!("pexpiretime", 2, ROF, K1, keys::pexpiretime),
    keyed!("persist", 2, WF | UNCHANGED_ON_ZERO, K1, keys::persist),
    keyed!("rename", 3, W, K2, keys::rename),
    keyed!("renamenx", 3, WF | UNCHANGED_ON_ZERO, K2, keys::renamenx),
    keyed!("copy", -3, WD, K2, keys::copy),
    keyed!("move", 3, WF, K1, keys::move_),
    keyed!("object", -2, RO, (2, 2, 1), keys::object),
    keyed!("dump", 2, RO, K1, engine::dump::dump),
    keyed!("restore", -4, WD, K1, engine::dump::restore),
    // Lists.
    keyed!("lpush", -3, WDF, K1, engine::lists::lpush),
    keyed!("rpush", -3, WDF, K1, engine::lists::rpush),
    keyed!("lpushx", -3, WDF | UNCHANGED_ON_ZERO, K1, engine::lists::lpushx),
    keyed!("rpushx", -3, WDF | UNCHANGED_ON_ZERO, K1, engine::lists::rpushx),
    keyed!("lpop", -2, WF | UNCHANGED_ON_ZERO, K1, engine::lists::lpop),
    keyed!("rpop", -2, WF | UNCHANGED_ON_ZERO, K1, engine::lists::rpop),
    keyed!("llen", 2, ROF, K1, engine::lists::llen),
    keyed!("lrange", 4, RO, K1, engine::lists::lrange),
    keyed!("lindex", 3, RO, K1, engine::lists::lindex),
    keyed!("lset", 4, WD, K1, engine::lists::lset),
    keyed!("linsert", 5, WD, K1, engine::lists::linsert),
    keyed!("lrem", 4, W | UNCHANGED_ON_ZERO, K1, engine::lists::lrem),
    keyed!("ltrim", 4, W, K1, engine::lists::ltrim),
    keyed!("lpos", -3, RO, K1, engine::lists::lpos),
    keyed!("lmove", 5, WD | UNCHANGED_ON_ZERO, K2, engine::lists::lmove),
    keyed!("rpoplpush", 3, WD | UNCHANGED_ON_ZERO, K2, engine::lists::rpoplpush),
    keyed!("lmpop", -4, W, (0, 0, 0), engine::lists::lmpop, find = keys_after_numkeys),
    keyed!("blpop", -3, W | NOSCRIPT | BLOCKING | UNCHANGED_ON_ZERO, (1, -2, 1), engine::lists::blpop),
    keyed!("brpop", -3, W | NOSCRIPT | BLOCKING | UNCHANGED_ON_ZERO, (1, -2, 1), engine::lists::brpop),
    keyed!("blmove", 6, WD | NOSCRIPT | BLOCKING | UNCHANGED_ON_ZERO, K2, engine::lists::blmove),
    keyed!("brpoplpush", 4, WD | NOSCRIPT | BLOCKING | UNCHANGED_ON_ZERO, K2, engine::lists::brpoplpush),
    keyed!(
        "blmpop",
        -5,
        W | BLOCKING | UNCHANGED_ON_ZERO,
        (0, 0, 0),
        engine::lists::blmpop,
        find = keys_after_timeout_numkeys
    ),
    // Hashes.
    keyed!("hset", -4, WDF, K1, engine::hashes::hset),
    keyed!("hsetnx", 4, WDF | UNCHANGED_ON_ZERO, K1, engine::hashes::hsetnx),
    keyed!("hmset", -4, WDF, K1, engine::hashes::hmset),
    keyed!("hget", 3, ROF, K1, engine::hashes::hget),
    keyed!("hmget", -3, ROF, K1, engine::hashes::hmget),
    keyed!("hgetall", 2, RO, K1, engine::hashes::hgetall),
    keyed!("hkeys", 2, RO, K1, engine::hashes::hkeys),
    keyed!("hvals", 2, RO, K1, engine::hashes::hvals),
    keyed!("hlen", 2, ROF, K1, engine::hashes::hlen),
    keyed!("hexists", 3, ROF, K1, engine::hashes::hexists),
    keyed!("hstrlen", 3, ROF, K1, engine::hashes::hstrlen),
    keyed!("hdel", -3, WF | UNCHANGED_ON_ZERO, K1, engine::hashes::hdel),
    keyed!("hincrby", 4, WDF, K1, engine::hashes::hincrby),
    keyed!("hincrbyfloat", 4, WDF, K1, engine::hashes::hincrbyfloat),
    keyed!("hrandfield", -2, RO, K1, engine::hashes::hrandfield),
    keyed!("hscan", -3, RO, K1, engine::hashes::hscan),
    // Sets.
    keyed!("sadd", -3, WDF | UNCHANGED_ON_ZERO, K1, engine::sets::sadd),
    keyed!("srem", -3, WF | UNCHANGED_ON_ZERO, K1, engine::sets::srem),
    keyed!("scard", 2, ROF, K1, engine::sets::scard),
    keyed!("sismember", 3, ROF, K1, engine::sets::sismember),
    keyed!("smismember", -3, ROF, K1, engine::sets::smismember),
    keyed!("smembers", 2, RO, K1, engine::sets::smembers),
    keyed!("spop", -2, WF | UNCHANGED_ON_ZERO, K1, engine::sets::spop),
    keyed!("srandmember", -2, RO, K1, engine::sets::srandmember),
    keyed!("smove", 4, WF | UNCHANGED_ON_ZERO, K2, engine::sets::smove),
    keyed!("sunion", -2, RO, KALL, engine::sets::sunion),
    keyed!("sinter", -2, RO, KALL, engine::sets::sinter),
    keyed!("sdiff", -2, RO, KALL, engine::sets::sdiff),
    keyed!("sunionstore", -3, WD, KALL, engine::sets::sunionstore),
    keyed!("sinterstore", -3, WD, KALL, engine::sets::sinterstore),
    keyed!("sdiffstore", -3, WD, KALL, engine::sets::sdiffstore),
    keyed!("sintercard", -3, RO, (0, 0, 0), engine::sets::sintercard, find = keys_after_numkeys),
    keyed!("sscan", -3, RO, K1, engine::sets::sscan),
    // Sorted sets.
    keyed!("zadd", -4, WDF, K1, engine::zsets::zadd),
    keyed!("zincrby", 4, WDF, K1, engine::zsets::zincrby),
    keyed!("zrem", -3, WF | UNCHANGED_ON_ZERO, K1, engine::zsets::zrem),
    keyed!("zcard", 2, ROF, K1, engine::zsets::zcard),
    keyed!("zscore", 3, ROF, K1, engine::zsets::zscore),
    keyed!("zmscore", -3, ROF, K1, engine::zsets::zmscore),
    keyed!("zrank", 3, ROF, K1, engine::zsets::zrank),
    keyed!("zrevrank", 3, ROF, K1, engine::zsets::zrevrank),
    keyed!("zcount", 4, ROF, K1, engine::zsets::zcount),
    keyed!("zlexcount", 4, ROF, K1, engine::zsets::zlexcount),
    keyed!("zrange", -4, RO, K1, engine::zsets::zrange),
    keyed!("zrangebyscore", -4, RO, K1, engine::zsets::zrangebyscore),
    keyed!("zrevrangebyscore", -4, RO, K1, engine::zsets::zrevrangebyscore),
    keyed!("zrangebylex", -4, RO, K1, engine::zsets::zrangebylex),
    keyed!("zrevrangebylex", -4, RO, K1, engine::zsets::zrevrangebylex),
    keyed!("zrevrange", -4, RO, K1, engine::zsets::zrevrange),
    keyed!("zrangestore", -5, WD, K2, engine::zsets::zrangestore),
    keyed!("zremrangebyrank", 4, W | UNCHANGED_ON_ZERO, K1, engine::zsets::zremrangebyrank),
    keyed!("zremrangebyscore", 4, W | UNCHANGED_ON_ZERO, K1, engine::zsets::zremrangebyscore),
    keyed!("zremrangebylex", 4, W | UNCHANGED_ON_ZERO, K1, engine::zsets::zremrangebylex),
    keyed!("zpopmin", -2, WF, K1, engine::zsets::zpopmin),
    keyed!("zpopmax", -2, WF, K1, engine::zsets::zpopmax),
    keyed!("zmpop", -4, W, (0, 0, 0), engine::zsets::zmpop, find = keys_after_numkeys),
    keyed!("bzpopmin", -3, WF | NOSCRIPT | BLOCKING | UNCHANGED_ON_ZERO, (1, -2, 1), engine::zsets::bzpopmin),
    keyed!("bzpopmax", -3, WF | NOSCRIPT | BLOCKING | UNCHANGED_ON_ZERO, (1, -2, 1), engine::zsets::bzpopmax),
    keyed!(
        "bzmpop",
        -5,
        W | BLOCKING | UNCHANGED_ON_ZERO,
        (0, 0, 0),
        engine::zsets::bzmpop,
        find = keys_after_timeout_numkeys
    ),
    keyed!("zunion", -3, RO, (0, 0, 0), engine::zsets::zunion, find = keys_after_numkeys),
    keyed!("zinter", -3, RO, (0, 0, 0), engine::zsets::zinter, find = keys_after_numkeys),
    keyed!("zdiff", -3, RO, (0, 0, 0), engine::zsets::zdiff, find = keys_after_numkeys),
    keyed!("zintercard", -3, RO, (0, 0, 0), engine::zsets::zintercard, find = keys_after_numkeys),
    keyed!("zunionstore", -4, WD, K1, engine::zsets::zunionstore, find = dest_then_numkeys),
    keyed!("zinterstore", -4, WD, K1, engine::zsets::zinterstore, find = dest_then_numkeys),
    keyed!("zdiffstore", -4, WD, K1, engine::zsets::zdiffstore, find = dest_then_numkeys),
    keyed!("zrandmember", -2, RO, K1, engine::zsets::zrandmember),
    keyed!("zscan", -3, RO, K1, engine::zsets::zscan),
    // Sort.
    server_keyed!("sort", -2, WD, K1, crate::sort::sort, find = sort_keys),
    server_keyed!("sort_ro", -2, RO, K1, crate::sort::sort, find = sort_ro_keys),
    // Bitmaps and HyperLogLog.
    keyed!("setbit", 4, WD, K1, bitmaps::setbit),
    keyed!("getbit", 3, ROF, K1, bitmaps::getbit),
    keyed!("bitcount", -2, RO, K1, bitmaps::bitcount),
    keyed!("bitpos", -3, RO, K1, bitmaps::bitpos),
    keyed!("bitop", -4, WD, (2, -1, 1), bitmaps::bitop),
    keyed!("bitfield", -2, WD, K1, bitmaps::bitfield),
    keyed!("bitfield_ro", -2, ROF, K1, bitmaps::bitfield_ro),
    keyed!("pfadd", -2, WDF | UNCHANGED_ON_ZERO, K1, hyperloglog::pfadd),
    keyed!("pfcount", -2, RO | MAY_REPLICATE, KALL, hyperloglog::pfcount),
    keyed!("pfmerge", -2, WD, KALL, hyperloglog::pfmerge),
    keyed!("pfdebug", 3, WD | ADMIN, (2, 2, 1), hyperloglog::pfdebug),
    // Geo.
    keyed!("geoadd", -5, WD, K1, engine::geo::geoadd),
    keyed!("geodist", -4, RO, K1, engine::geo::geodist),
    keyed!("geopos", -2, RO, K1, engine::geo::geopos),
    keyed!("geohash", -2, RO, K1, engine::geo::geohash),
    keyed!("georadius", -6, WD, K1, engine::geo::georadius, find = georadius_keys),
    keyed!("georadiusbymember", -5, WD, K1, engine::geo::georadiusbymember, find = georadiusbymember_keys),
    keyed!("georadius_ro", -6, RO, K1, engine::geo::georadius_ro),
    keyed!("georadiusbymember_ro", -5, RO, K1, engine::geo::georadiusbymember_ro),
    keyed!("geosearch", -7, RO, K1, engine::geo::geosearch),
    keyed!("geosearchstore", -8, WD, K2, engine::geo::geosearchstore),
    server!("keys", 2, RO | KEYSPACE, srv::keys),
    server!("scan", -2, RO | KEYSPACE, srv::scan),
    server!("randomkey", 1, RO | KEYSPACE, srv::randomkey),
    server!("dbsize", 1, ROF | KEYSPACE, srv::dbsize),
    server!("flushdb", -1, W | KEYSPACE, srv::flushdb),
    server!("flushall", -1, W | KEYSPACE, srv::flushall),
    server!("swapdb", 3, WF | KEYSPACE, srv::swapdb),
    // Connection.
    local!("ping", -1, FAST, conn::ping),
    local!("echo", 2, LOADING | STALE | FAST, conn::echo),
    local!("select", 2, LOADING | STALE | FAST, conn::select),
    local!("auth", -2, NOSCRIPT | LOADING | STALE | FAST | NO_AUTH, conn::auth),
    local!("hello", -1, NOSCRIPT | LOADING | STALE | FAST | NO_AUTH, conn::hello),
    local!("quit", -1, NOSCRIPT | LOADING | STALE | FAST | NO_AUTH, conn::quit),
    local!("reset", 1, NOSCRIPT | LOADING | STALE | FAST | NO_AUTH, conn::reset),
    local!("command", -1, LOADING | STALE, crate::command::command),
    server!("client", -2, LOADING | STALE, srv::client),
    // Transactions.
    local!("multi", 1, NOSCRIPT | LOADING | STALE | FAST, crate::multi::multi),
    server!("exec", 1, NOSCRIPT | LOADING | STALE, crate::multi::exec),
    local!("discard", 1, NOSCRIPT | LOADING | STALE | FAST, crate::multi::discard),
    server_keyed!("watch", -2, NOSCRIPT | LOADING | STALE | FAST, KALL, crate::watch::watch),
    server!("unwatch", 1, NOSCRIPT | LOADING | STALE | FAST, crate::watch::unwatch_cmd),
    // Server.
    server!("info", -1, LOADING | STALE, srv::info),
    server!("config", -2, LOADING | STALE, srv::config),
    local!("time", 1, LOADING | STALE | FAST, srv::time),
    server!("bgrewriteaof", 1, ADMIN | NOSCRIPT, crate::aof_rewrite::bgrewriteaof),
    local!("lastsave", 1, LOADING | STALE | FAST, crate::snapshot::lastsave),
    server!("save", 1, ADMIN | NOSCRIPT | NO_MULTI, crate::snapshot::save),
    server!("bgsave", -1, ADMIN | NOSCRIPT, crate::snapshot::bgsave),
    server!("shutdown", -1, ADMIN | NOSCRIPT | LOADING | STALE | NO_MULTI, srv::shutdown),
    server!("debug", -2, ADMIN | NOSCRIPT | LOADING | STALE, srv::debug),
];

/// Keys for commands shaped `CMD numkeys key [key ...] ...` (LMPOP, SINTERCARD, ZUNION, ...).
pub fn keys_after_numkeys(args: &[Bytes]) -> Vec<usize> {
    numkeys_at(args, 1)
}

/// Keys for `CMD timeout numkeys key [key ...] ...` (BLMPOP, BZMPOP).
pub fn keys_after_timeout_numkeys(args: &[Bytes]) -> Vec<usize> {
    numkeys_at(args, 2)
}

/// Keys for commands shaped `CMD dest numkeys key [key ...] ...` (ZUNIONSTORE, ...).
pub fn dest_then_numkeys(args: &[Bytes]) -> Vec<usize> {
    // No keys at all when the count is bad, as Redis's key function says (the handler reports it).
    let sources = numkeys_at(args, 2);
    if sources.is_empty() {
        return sources;
    }
    [1].into_iter().chain(sources).collect()
}

/// Keys for GEORADIUS: the source, then any STORE or STOREDIST key.
pub fn georadius_keys(args: &[Bytes]) -> Vec<usize> {
    source_and_store_keys(args, 6)
}

/// Keys for GEORADIUSBYMEMBER: the source, then any STORE or STOREDIST key.
pub fn georadiusbymember_keys(args: &[Bytes]) -> Vec<usize> {
    source_and_store_keys(args, 5)
}

/// The source key, then the keys Redis's key specs name (after the first
/// STORE, after the first STOREDIST, searched from the options at `opts`),
/// then the one the command really stores into when it differs: the last
/// STORE/STOREDIST given wins.
fn source_and_store_keys(args: &[Bytes], opts: usize) -> Vec<usize> {
    let is = |i: usize, word: &str| args[i].eq_ignore_ascii_case(word.as_bytes());
    let first = |word| (opts..args.len().saturating_sub(1)).find(|&i| is(i, word)).map(|i| i + 1);
    let mut keys = vec![1];
    keys.extend(first("store"));
    keys.extend(first("storedist"));
    let (mut i, mut last) = (opts, None);
    while i + 1 < args.len() {
        if is(i, "store") || is(i, "storedist") {
            last = Some(i + 1);
            i += 1;
        }
        i += 1;
    }
    if let Some(last) = last.filter(|k| !keys.contains(k)) {
        keys.push(last);
    }
    keys
}

/// The `numkeys` keys that follow the count at position `at`.
fn numkeys_at(args: &[Bytes], at: usize) -> Vec<usize> {
    match args.get(at).and_then(|n| resp::parse_i64(n)) {
        Some(n) if n > 0 && (n as usize) < args.len() - at => (at + 1..=at + n as usize).collect(),
        _ => Vec::new(),
    }
}

/// Keys of SORT: the source, and the destination of the last STORE, found
/// as Redis's `sortGetKeys` finds it (skipping LIMIT's, GET's and BY's values).
pub fn sort_keys(args: &[Bytes]) -> Vec<usize> {
    let mut keys = vec![1];
    let mut store = None;
    let mut i = 2;
    while i < args.len() {
        let opt = &args[i];
        if engine::args::eq_ic(opt, "limit") {
            i += 2;
        } else if engine::args::eq_ic(opt, "get") || engine::args::eq_ic(opt, "by") {
            i += 1;
        } else if engine::args::eq_ic(opt, "store") && i + 1 < args.len() {
            store = Some(i + 1);
        }
        i += 1;
    }
    keys.extend(store);
    keys
}

/// SORT_RO reads only its source by name (its patterns' keys are found while it runs).
pub fn sort_ro_keys(_: &[Bytes]) -> Vec<usize> {
    vec![1]
}

thread_local! {
    /// The command this thread looked up last: a pipeline mostly repeats one.
    static LAST: std::cell::Cell<&'static Command> = const { std::cell::Cell::new(&COMMANDS[0]) };
}

/// Looks a command up by name, case-insensitively.
pub fn lookup(name: &[u8]) -> Option<&'static Command> {
    let last = LAST.with(|l| l.get());
    if name.eq_ignore_ascii_case(last.name.as_bytes()) {
        return Some(last);
    }
    static INDEX: OnceLock<HashMap<&'static [u8], &'static Command>> = OnceLock::new();
    let index = INDEX.get_or_init(|| COMMANDS.iter().map(|c| (c.name.as_bytes(), c)).collect());
    let mut buf = [0u8; 32];
    if name.len() > buf.len() {
        return None;
    }
    let lower = &mut buf[..name.len()];
    lower.copy_from_slice(name);
    lower.make_ascii_lowercase();
    let found = index.get(&lower[..]).copied();
    if let Some(c) = found {
        LAST.with(|l| l.set(c));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_consistent() {
        let mut seen = std::collections::HashSet::new();
        for c in COMMANDS {
            assert!(seen.insert(c.name), "{} listed twice", c.name);
            assert_eq!(c.name, c.name.to_ascii_lowercase());
            assert!(c.arity != 0);
            assert!(!(c.has(WRITE) && c.has(READONLY)), "{}", c.name);
        }
        assert!(lookup(b"GeT").is_some());
        assert!(lookup(b"nope").is_none());
    }

    #[test]
    fn key_positions() {
        let mset = lookup(b"mset").unwrap();
        let args = |n: usize| (0..n).map(|i| Bytes::from(i.to_string())).collect::<Vec<_>>();
        assert_eq!(mset.key_positions(&args(5)), vec![1, 3]);
        let get = lookup(b"get").unwrap();
        assert_eq!(get.key_positions(&args(2)), vec![1]);
        let ping = lookup(b"ping").unwrap();
        assert!(ping.key_positions(&args(2)).is_empty());
    }
}
