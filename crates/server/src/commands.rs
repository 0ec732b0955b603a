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

const FLAG_NAMES: &[(u32, &str)] = &[
    (WRITE, "write"),
    (READONLY, "readonly"),
    (DENYOOM, "denyoom"),
    (ADMIN, "admin"),
    (NOSCRIPT, "noscript"),
    (LOADING, "loading"),
    (STALE, "stale"),
    (NO_MULTI, "no_multi"),
    (FAST, "fast"),
    (NO_AUTH, "no_auth"),
];

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
    pub group: &'static str,
    /// First key, last key (negative: from the end), step; 0,0,0 for none.
    pub keys: (i32, i32, i32),
    /// Redis's key-spec flags (COMMAND INFO): one spec for all keys, or
    /// `first|second` when the first key and the rest are used differently.
    pub key_flags: &'static str,
    /// For commands whose keys `keys` cannot describe (a `numkeys` argument,
    /// an optional STORE key): finds their positions in the arguments.
    /// Returns what it can on malformed arguments; the handler reports the error.
    pub find_keys: Option<KeyFinder>,
    pub exec: Exec,
}

impl Command {
    pub fn arity_ok(&self, argc: usize) -> bool {
        let a = self.arity;
        (a >= 0 && argc == a as usize) || (a < 0 && argc >= (-a) as usize)
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

    pub fn flag_names(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = FLAG_NAMES.iter().filter(|(f, _)| self.has(*f)).map(|(_, n)| *n).collect();
        if self.find_keys.is_some() {
            names.push("movablekeys");
        }
        names
    }
}

macro_rules! keyed {
    (@find) => {
        None
    };
    (@find $find:path) => {
        Some($find)
    };
    ($name:literal, $key_flags:literal, $arity:expr, $flags:expr, $group:literal, $keys:expr, $h:path $(, find = $find:path)?) => {
        Command {
            name: $name,
            arity: $arity,
            flags: $flags,
            group: $group,
            keys: $keys,
            key_flags: $key_flags,
            find_keys: keyed!(@find $($find)?),
            exec: Exec::Keyed($h),
        }
    };
}
// For the routing steps of commands that route themselves (sort.rs).
pub(crate) use keyed;

macro_rules! local {
    ($name:literal, $arity:expr, $flags:expr, $group:literal, $h:path) => {
        Command {
            name: $name,
            arity: $arity,
            flags: $flags,
            group: $group,
            keys: (0, 0, 0),
            key_flags: "",
            find_keys: None,
            exec: Exec::Conn($h),
        }
    };
}
macro_rules! server {
    ($name:literal, $arity:expr, $flags:expr, $group:literal, $h:path) => {
        Command {
            name: $name,
            arity: $arity,
            flags: $flags,
            group: $group,
            keys: (0, 0, 0),
            key_flags: "",
            find_keys: None,
            exec: Exec::Server(|s, c, a| Box::pin($h(s, c, a))),
        }
    };
}

/// A server-routed command that still has keys (SORT: its BY/GET patterns
/// read keys its arguments do not name, so it routes its own steps).
macro_rules! server_keyed {
    ($name:literal, $key_flags:literal, $arity:expr, $flags:expr, $group:literal, $keys:expr, $h:path, find = $find:path) => {
        Command {
            name: $name,
            arity: $arity,
            flags: $flags,
            group: $group,
            keys: $keys,
            key_flags: $key_flags,
            find_keys: Some($find),
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
    keyed!("get", "RO access", 2, ROF, "string", K1, strings::get),
    keyed!("set", "RW access update variable_flags", -3, WD, "string", K1, strings::set),
    keyed!("setnx", "OW insert", 3, WDF, "string", K1, strings::setnx),
    keyed!("setex", "OW update", 4, WD, "string", K1, strings::setex),
    keyed!("psetex", "OW update", 4, WD, "string", K1, strings::psetex),
    keyed!("getset", "RW access update", 3, WDF, "string", K1, strings::getset),
    keyed!("getdel", "RW access delete", 2, WF, "string", K1, strings::getdel),
    keyed!("getex", "RW access update", -2, WF, "string", K1, strings::getex),
    keyed!("mget", "RO access", -2, ROF, "string", KALL, strings::mget),
    keyed!("mset", "OW update", -3, WD, "string", KPAIRS, strings::mset),
    keyed!("msetnx", "OW insert", -3, WD, "string", KPAIRS, strings::msetnx),
    keyed!("append", "RW insert", 3, WDF, "string", K1, strings::append),
    keyed!("strlen", "RO", 2, ROF, "string", K1, strings::strlen),
    keyed!("incr", "RW access update", 2, WDF, "string", K1, strings::incr),
    keyed!("decr", "RW access update", 2, WDF, "string", K1, strings::decr),
    keyed!("incrby", "RW access update", 3, WDF, "string", K1, strings::incrby),
    keyed!("decrby", "RW access update", 3, WDF, "string", K1, strings::decrby),
    keyed!("incrbyfloat", "RW access update", 3, WDF, "string", K1, strings::incrbyfloat),
    keyed!("getrange", "RO access", 4, RO, "string", K1, strings::getrange),
    keyed!("substr", "RO access", 4, RO, "string", K1, strings::getrange),
    keyed!("setrange", "RW update", 4, WD, "string", K1, strings::setrange),
    keyed!("lcs", "RO access", -3, RO, "string", K2, strings::lcs),
    // Keys.
    keyed!("del", "RM delete", -2, W, "generic", KALL, keys::del),
    keyed!("unlink", "RM delete", -2, WF, "generic", KALL, keys::del),
    keyed!("exists", "RO", -2, ROF, "generic", KALL, keys::exists),
    keyed!("type", "RO", 2, ROF, "generic", K1, keys::type_),
    keyed!("touch", "RO", -2, ROF, "generic", KALL, keys::touch),
    keyed!("expire", "RW update", -3, WF, "generic", K1, keys::expire),
    keyed!("pexpire", "RW update", -3, WF, "generic", K1, keys::pexpire),
    keyed!("expireat", "RW update", -3, WF, "generic", K1, keys::expireat),
    keyed!("pexpireat", "RW update", -3, WF, "generic", K1, keys::pexpireat),
    keyed!("ttl", "RO access", 2, ROF, "generic", K1, keys::ttl),
    keyed!("pttl", "RO access", 2, ROF, "generic", K1, keys::pttl),
    keyed!("expiretime", "RO access", 2, ROF, "generic", K1, keys::expiretime),
    keyed!("pexpiretime", "RO access", 2, ROF, "generic", K1, keys::pexpiretime),
    keyed!("persist", "RW update", 2, WF, "generic", K1, keys::persist),
    keyed!("rename", "RW access delete|OW update", 3, W, "generic", K2, keys::rename),
    keyed!("renamenx", "RW access delete|OW insert", 3, WF, "generic", K2, keys::renamenx),
    keyed!("copy", "RO access|OW update", -3, WD, "generic", K2, keys::copy),
    keyed!("move", "RW access delete", 3, WF, "generic", K1, keys::move_),
    keyed!("object", "RO", -2, RO, "generic", (2, 2, 1), keys::object),
    keyed!("dump", "RO access", 2, RO, "generic", K1, engine::dump::dump),
    keyed!("restore", "OW update", -4, WD, "generic", K1, engine::dump::restore),
    // Lists.
    keyed!("lpush", "RW insert", -3, WDF, "list", K1, engine::lists::lpush),
    keyed!("rpush", "RW insert", -3, WDF, "list", K1, engine::lists::rpush),
    keyed!("lpushx", "RW insert", -3, WDF, "list", K1, engine::lists::lpushx),
    keyed!("rpushx", "RW insert", -3, WDF, "list", K1, engine::lists::rpushx),
    keyed!("lpop", "RW access delete", -2, WF, "list", K1, engine::lists::lpop),
    keyed!("rpop", "RW access delete", -2, WF, "list", K1, engine::lists::rpop),
    keyed!("llen", "RO", 2, ROF, "list", K1, engine::lists::llen),
    keyed!("lrange", "RO access", 4, RO, "list", K1, engine::lists::lrange),
    keyed!("lindex", "RO access", 3, RO, "list", K1, engine::lists::lindex),
    keyed!("lset", "RW update", 4, WD, "list", K1, engine::lists::lset),
    keyed!("linsert", "RW insert", 5, WD, "list", K1, engine::lists::linsert),
    keyed!("lrem", "RW delete", 4, W, "list", K1, engine::lists::lrem),
    keyed!("ltrim", "RW delete", 4, W, "list", K1, engine::lists::ltrim),
    keyed!("lpos", "RO access", -3, RO, "list", K1, engine::lists::lpos),
    keyed!("lmove", "RW access delete|RW insert", 5, WD, "list", K2, engine::lists::lmove),
    keyed!("rpoplpush", "RW access delete|RW insert", 3, WD, "list", K2, engine::lists::rpoplpush),
    keyed!("lmpop", "RW access delete", -4, W, "list", (0, 0, 0), engine::lists::lmpop, find = keys_after_numkeys),
    // Hashes.
    keyed!("hset", "RW update", -4, WDF, "hash", K1, engine::hashes::hset),
    keyed!("hsetnx", "RW insert", 4, WDF, "hash", K1, engine::hashes::hsetnx),
    keyed!("hmset", "RW update", -4, WDF, "hash", K1, engine::hashes::hmset),
    keyed!("hget", "RO access", 3, ROF, "hash", K1, engine::hashes::hget),
    keyed!("hmget", "RO access", -3, ROF, "hash", K1, engine::hashes::hmget),
    keyed!("hgetall", "RO access", 2, RO, "hash", K1, engine::hashes::hgetall),
    keyed!("hkeys", "RO access", 2, RO, "hash", K1, engine::hashes::hkeys),
    keyed!("hvals", "RO access", 2, RO, "hash", K1, engine::hashes::hvals),
    keyed!("hlen", "RO", 2, ROF, "hash", K1, engine::hashes::hlen),
    keyed!("hexists", "RO", 3, ROF, "hash", K1, engine::hashes::hexists),
    keyed!("hstrlen", "RO", 3, ROF, "hash", K1, engine::hashes::hstrlen),
    keyed!("hdel", "RW delete", -3, WF, "hash", K1, engine::hashes::hdel),
    keyed!("hincrby", "RW access update", 4, WDF, "hash", K1, engine::hashes::hincrby),
    keyed!("hincrbyfloat", "RW access update", 4, WDF, "hash", K1, engine::hashes::hincrbyfloat),
    keyed!("hrandfield", "RO access", -2, RO, "hash", K1, engine::hashes::hrandfield),
    keyed!("hscan", "RO access", -3, RO, "hash", K1, engine::hashes::hscan),
    // Sets.
    keyed!("sadd", "RW insert", -3, WDF, "set", K1, engine::sets::sadd),
    keyed!("srem", "RW delete", -3, WF, "set", K1, engine::sets::srem),
    keyed!("scard", "RO", 2, ROF, "set", K1, engine::sets::scard),
    keyed!("sismember", "RO", 3, ROF, "set", K1, engine::sets::sismember),
    keyed!("smismember", "RO access", -3, ROF, "set", K1, engine::sets::smismember),
    keyed!("smembers", "RO access", 2, RO, "set", K1, engine::sets::smembers),
    keyed!("spop", "RW access delete", -2, WF, "set", K1, engine::sets::spop),
    keyed!("srandmember", "RO access", -2, RO, "set", K1, engine::sets::srandmember),
    keyed!("smove", "RW access delete|RW insert", 4, WF, "set", K2, engine::sets::smove),
    keyed!("sunion", "RO access", -2, RO, "set", KALL, engine::sets::sunion),
    keyed!("sinter", "RO access", -2, RO, "set", KALL, engine::sets::sinter),
    keyed!("sdiff", "RO access", -2, RO, "set", KALL, engine::sets::sdiff),
    keyed!("sunionstore", "OW update|RO access", -3, WD, "set", KALL, engine::sets::sunionstore),
    keyed!("sinterstore", "RW update|RO access", -3, WD, "set", KALL, engine::sets::sinterstore),
    keyed!("sdiffstore", "OW update|RO access", -3, WD, "set", KALL, engine::sets::sdiffstore),
    keyed!("sintercard", "RO access", -3, RO, "set", (0, 0, 0), engine::sets::sintercard, find = keys_after_numkeys),
    keyed!("sscan", "RO access", -3, RO, "set", K1, engine::sets::sscan),
    // Sorted sets.
    keyed!("zadd", "RW update", -4, WDF, "sorted_set", K1, engine::zsets::zadd),
    keyed!("zincrby", "RW access update", 4, WDF, "sorted_set", K1, engine::zsets::zincrby),
    keyed!("zrem", "RW delete", -3, WF, "sorted_set", K1, engine::zsets::zrem),
    keyed!("zcard", "RO", 2, ROF, "sorted_set", K1, engine::zsets::zcard),
    keyed!("zscore", "RO access", 3, ROF, "sorted_set", K1, engine::zsets::zscore),
    keyed!("zmscore", "RO access", -3, ROF, "sorted_set", K1, engine::zsets::zmscore),
    keyed!("zrank", "RO access", 3, ROF, "sorted_set", K1, engine::zsets::zrank),
    keyed!("zrevrank", "RO access", 3, ROF, "sorted_set", K1, engine::zsets::zrevrank),
    keyed!("zcount", "RO access", 4, ROF, "sorted_set", K1, engine::zsets::zcount),
    keyed!("zlexcount", "RO access", 4, ROF, "sorted_set", K1, engine::zsets::zlexcount),
    keyed!("zrange", "RO access", -4, RO, "sorted_set", K1, engine::zsets::zrange),
    keyed!("zrangebyscore", "RO access", -4, RO, "sorted_set", K1, engine::zsets::zrangebyscore),
    keyed!("zrevrangebyscore", "RO access", -4, RO, "sorted_set", K1, engine::zsets::zrevrangebyscore),
    keyed!("zrangebylex", "RO access", -4, RO, "sorted_set", K1, engine::zsets::zrangebylex),
    keyed!("zrevrangebylex", "RO access", -4, RO, "sorted_set", K1, engine::zsets::zrevrangebylex),
    keyed!("zrevrange", "RO access", -4, RO, "sorted_set", K1, engine::zsets::zrevrange),
    keyed!("zrangestore", "OW update|RO access", -5, WD, "sorted_set", K2, engine::zsets::zrangestore),
    keyed!("zremrangebyrank", "RW delete", 4, W, "sorted_set", K1, engine::zsets::zremrangebyrank),
    keyed!("zremrangebyscore", "RW delete", 4, W, "sorted_set", K1, engine::zsets::zremrangebyscore),
    keyed!("zremrangebylex", "RW delete", 4, W, "sorted_set", K1, engine::zsets::zremrangebylex),
    keyed!("zpopmin", "RW access delete", -2, WF, "sorted_set", K1, engine::zsets::zpopmin),
    keyed!("zpopmax", "RW access delete", -2, WF, "sorted_set", K1, engine::zsets::zpopmax),
    keyed!(
        "zmpop",
        "RW access delete",
        -4,
        W,
        "sorted_set",
        (0, 0, 0),
        engine::zsets::zmpop,
        find = keys_after_numkeys
    ),
    keyed!("zunion", "RO access", -3, RO, "sorted_set", (0, 0, 0), engine::zsets::zunion, find = keys_after_numkeys),
    keyed!("zinter", "RO access", -3, RO, "sorted_set", (0, 0, 0), engine::zsets::zinter, find = keys_after_numkeys),
    keyed!("zdiff", "RO access", -3, RO, "sorted_set", (0, 0, 0), engine::zsets::zdiff, find = keys_after_numkeys),
    keyed!(
        "zintercard",
        "RO access",
        -3,
        RO,
        "sorted_set",
        (0, 0, 0),
        engine::zsets::zintercard,
        find = keys_after_numkeys
    ),
    keyed!(
        "zunionstore",
        "OW update|RO access",
        -4,
        WD,
        "sorted_set",
        K1,
        engine::zsets::zunionstore,
        find = dest_then_numkeys
    ),
    keyed!(
        "zinterstore",
        "OW update|RO access",
        -4,
        WD,
        "sorted_set",
        K1,
        engine::zsets::zinterstore,
        find = dest_then_numkeys
    ),
    keyed!(
        "zdiffstore",
        "OW update|RO access",
        -4,
        WD,
        "sorted_set",
        K1,
        engine::zsets::zdiffstore,
        find = dest_then_numkeys
    ),
    keyed!("zrandmember", "RO access", -2, RO, "sorted_set", K1, engine::zsets::zrandmember),
    keyed!("zscan", "RO access", -3, RO, "sorted_set", K1, engine::zsets::zscan),
    // Sort.
    server_keyed!("sort", "RO access", -2, WD, "generic", K1, crate::sort::sort, find = sort_keys),
    server_keyed!("sort_ro", "RO access", -2, RO, "generic", K1, crate::sort::sort, find = sort_ro_keys),
    // Bitmaps and HyperLogLog.
    keyed!("setbit", "RW access update", 4, WD, "bitmap", K1, bitmaps::setbit),
    keyed!("getbit", "RO access", 3, ROF, "bitmap", K1, bitmaps::getbit),
    keyed!("bitcount", "RO access", -2, RO, "bitmap", K1, bitmaps::bitcount),
    keyed!("bitpos", "RO access", -3, RO, "bitmap", K1, bitmaps::bitpos),
    keyed!("bitop", "OW update|RO access", -4, WD, "bitmap", (2, -1, 1), bitmaps::bitop),
    keyed!("bitfield", "RW access update variable_flags", -2, WD, "bitmap", K1, bitmaps::bitfield),
    keyed!("bitfield_ro", "RO access", -2, ROF, "bitmap", K1, bitmaps::bitfield_ro),
    keyed!("pfadd", "RW insert", -2, WDF, "hyperloglog", K1, hyperloglog::pfadd),
    keyed!("pfcount", "RW access", -2, RO | MAY_REPLICATE, "hyperloglog", KALL, hyperloglog::pfcount),
    keyed!("pfmerge", "RW access insert|RO access", -2, WD, "hyperloglog", KALL, hyperloglog::pfmerge),
    keyed!("pfdebug", "RW access", 3, WD | ADMIN, "hyperloglog", (2, 2, 1), hyperloglog::pfdebug),
    // Geo.
    keyed!("geoadd", "RW update", -5, WD, "geo", K1, engine::geo::geoadd),
    keyed!("geodist", "RO access", -4, RO, "geo", K1, engine::geo::geodist),
    keyed!("geopos", "RO access", -2, RO, "geo", K1, engine::geo::geopos),
    keyed!("geohash", "RO access", -2, RO, "geo", K1, engine::geo::geohash),
    keyed!("georadius", "RO access", -6, WD, "geo", K1, engine::geo::georadius, find = georadius_keys),
    keyed!(
        "georadiusbymember",
        "RO access",
        -5,
        WD,
        "geo",
        K1,
        engine::geo::georadiusbymember,
        find = georadiusbymember_keys
    ),
    keyed!("georadius_ro", "RO access", -6, RO, "geo", K1, engine::geo::georadius_ro),
    keyed!("georadiusbymember_ro", "RO access", -5, RO, "geo", K1, engine::geo::georadiusbymember_ro),
    keyed!("geosearch", "RO access", -7, RO, "geo", K1, engine::geo::geosearch),
    keyed!("geosearchstore", "OW update|RO access", -8, WD, "geo", K2, engine::geo::geosearchstore),
    server!("keys", 2, RO | KEYSPACE, "generic", srv::keys),
    server!("scan", -2, RO | KEYSPACE, "generic", srv::scan),
    server!("randomkey", 1, RO | KEYSPACE, "generic", srv::randomkey),
    server!("dbsize", 1, ROF | KEYSPACE, "server", srv::dbsize),
    server!("flushdb", -1, W | KEYSPACE, "server", srv::flushdb),
    server!("flushall", -1, W | KEYSPACE, "server", srv::flushall),
    server!("swapdb", 3, WF | KEYSPACE, "server", srv::swapdb),
    // Connection.
    local!("ping", -1, FAST, "connection", conn::ping),
    local!("echo", 2, FAST, "connection", conn::echo),
    local!("select", 2, LOADING | STALE | FAST, "connection", conn::select),
    local!("auth", -2, NOSCRIPT | LOADING | STALE | FAST | NO_AUTH, "connection", conn::auth),
    local!("hello", -1, NOSCRIPT | LOADING | STALE | FAST | NO_AUTH, "connection", conn::hello),
    local!("quit", -1, NOSCRIPT | LOADING | STALE | FAST | NO_AUTH, "connection", conn::quit),
    local!("reset", 1, NOSCRIPT | LOADING | STALE | FAST | NO_AUTH, "connection", conn::reset),
    local!("command", -1, LOADING | STALE, "server", conn::command),
    server!("client", -2, NOSCRIPT | LOADING | STALE, "connection", srv::client),
    // Transactions.
    local!("multi", 1, NOSCRIPT | LOADING | STALE | FAST, "transactions", crate::multi::multi),
    server!("exec", 1, NOSCRIPT | LOADING | STALE, "transactions", crate::multi::exec),
    local!("discard", 1, NOSCRIPT | LOADING | STALE | FAST, "transactions", crate::multi::discard),
    server!("watch", -2, NOSCRIPT | LOADING | STALE | FAST, "transactions", crate::watch::watch),
    server!("unwatch", 1, NOSCRIPT | LOADING | STALE | FAST, "transactions", crate::watch::unwatch_cmd),
    // Server.
    server!("info", -1, LOADING | STALE, "server", srv::info),
    server!("config", -2, ADMIN | NOSCRIPT | LOADING | STALE, "server", srv::config),
    local!("time", 1, LOADING | STALE | FAST, "server", srv::time),
    server!("bgrewriteaof", 1, ADMIN | NOSCRIPT, "server", crate::aof_rewrite::bgrewriteaof),
    local!("lastsave", 1, LOADING | STALE | FAST, "server", crate::snapshot::lastsave),
    server!("save", 1, ADMIN | NOSCRIPT | NO_MULTI, "server", crate::snapshot::save),
    server!("bgsave", -1, ADMIN | NOSCRIPT, "server", crate::snapshot::bgsave),
    server!("shutdown", -1, ADMIN | NOSCRIPT | LOADING | STALE | NO_MULTI, "server", srv::shutdown),
    server!("debug", -2, ADMIN | NOSCRIPT | LOADING | STALE, "server", srv::debug),
];

/// Keys for commands shaped `CMD numkeys key [key ...] ...` (LMPOP, SINTERCARD, ZUNION, ...).
pub fn keys_after_numkeys(args: &[Bytes]) -> Vec<usize> {
    numkeys_at(args, 1)
}

/// Keys for commands shaped `CMD dest numkeys key [key ...] ...` (ZUNIONSTORE, ...).
pub fn dest_then_numkeys(args: &[Bytes]) -> Vec<usize> {
    let mut keys = vec![1];
    keys.extend(numkeys_at(args, 2));
    keys
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

/// Looks a command up by name, case-insensitively.
pub fn lookup(name: &[u8]) -> Option<&'static Command> {
    static INDEX: OnceLock<HashMap<&'static [u8], &'static Command>> = OnceLock::new();
    let index = INDEX.get_or_init(|| COMMANDS.iter().map(|c| (c.name.as_bytes(), c)).collect());
    let mut buf = [0u8; 32];
    if name.len() > buf.len() {
        return None;
    }
    let lower = &mut buf[..name.len()];
    lower.copy_from_slice(name);
    lower.make_ascii_lowercase();
    index.get(&lower[..]).copied()
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
