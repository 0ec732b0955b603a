//! The server family and the commands that span every shard: KEYS, SCAN,
//! RANDOMKEY, DBSIZE, FLUSHDB, FLUSHALL, SWAPDB, CLIENT, INFO, CONFIG, TIME,
//! SHUTDOWN, DEBUG.

use crate::config::{Mutability, DIRECTIVES};
use crate::connection::valid_client_name;
use crate::dispatch::{call_behind_keyspace, Client, ClientEntry, KeyspaceLock};
use crate::locks::Mode;
use crate::shard::{call_all, Shard};
use bytes::Bytes;
use engine::args::{eq_ic, err, int, lower, parse_float, NOT_INTEGER, SYNTAX};
use engine::glob::glob_match;
use engine::keys::{keys_matching, random_key, scan_page, ScanFilter};
use engine::table::POS_BITS;
use engine::{now_ms, Ctx};
use resp::Reply;
use std::rc::Rc;
use std::time::Duration;

/// Runs `f` on every shard with the whole keyspace locked (see
/// `KeyspaceLock`), so it sees every multi-shard write in flight wholly or
/// not at all and none sees it half done.
async fn on_keyspace<T: Send + 'static>(
    shard: &Rc<Shard>,
    client: &Client,
    mode: Mode,
    f: impl Fn(&Shard) -> T + Send + Sync + Clone + 'static,
) -> Vec<T> {
    let lock = KeyspaceLock::take(shard, client, mode).await;
    let out = call_all(shard, f).await;
    if let Some(lock) = lock {
        lock.release(shard);
    }
    out
}

/// Reads the client's database on every shard, as `on_keyspace`.
async fn on_all_dbs<T: Send + 'static>(
    shard: &Rc<Shard>,
    client: &Client,
    f: impl Fn(&mut Ctx) -> T + Send + Sync + Clone + 'static,
) -> Vec<T> {
    let db = client.db;
    on_keyspace(shard, client, Mode::Read, move |s| {
        let mut data = s.data.borrow_mut();
        f(&mut Ctx::new(&mut data, db, now_ms()))
    })
    .await
}

pub async fn keys(shard: &Rc<Shard>, client: &mut Client, args: &[Bytes]) -> Reply {
    let pattern = args[1].clone();
    let found = on_all_dbs(shard, client, move |ctx| keys_matching(ctx, &pattern)).await;
    Reply::Array(found.into_iter().flatten().map(Reply::Bulk).collect())
}

/// SCAN cursors: the shard in the top bits, the position inside its table below.
const POS_MASK: u64 = (1 << POS_BITS) - 1;

pub async fn scan(shard: &Rc<Shard>, client: &mut Client, args: &[Bytes]) -> Reply {
    // Like Redis's strtoul-based parse, an empty cursor reads as 0.
    let cursor = match &args[1][..] {
        b"" => Some(0),
        text => std::str::from_utf8(text).ok().and_then(|s| s.parse::<u64>().ok()),
    };
    let Some(cursor) = cursor else {
        return err("ERR invalid cursor");
    };
    let (mut count, mut pattern, mut type_name) = (10usize, None, None);
    let mut i = 2;
    while i < args.len() {
        if i + 1 >= args.len() {
            return err(SYNTAX);
        }
        let value = &args[i + 1];
        if eq_ic(&args[i], "count") {
            match int(value) {
                Ok(n) if n >= 1 => count = n as usize,
                Ok(_) => return err(SYNTAX),
                Err(e) => return e,
            }
        } else if eq_ic(&args[i], "match") {
            pattern = Some(value.clone()).filter(|p| &p[..] != b"*");
        } else if eq_ic(&args[i], "type") {
            type_name = Some(lower(value));
        } else {
            return err(SYNTAX);
        }
        i += 2;
    }
    let target = (cursor >> POS_BITS) as usize;
    let shards = shard.shared.shards;
    if target >= shards {
        return Reply::Array(vec![Reply::bulk("0"), Reply::Array(vec![])]);
    }
    let (pos, db) = (cursor & POS_MASK, client.db);
    let filter = ScanFilter { pattern, type_name };
    let (next, keys) = call_behind_keyspace(shard, client, target, move |s| {
        let mut data = s.data.borrow_mut();
        scan_page(&mut Ctx::new(&mut data, db, now_ms()), pos, count, &filter)
    })
    .await;
    let next_cursor = match next {
        Some(p) => ((target as u64) << POS_BITS) | p,
        None if target + 1 < shards => ((target + 1) as u64) << POS_BITS,
        None => 0,
    };
    Reply::Array(vec![Reply::bulk(next_cursor.to_string()), Reply::Array(keys.into_iter().map(Reply::Bulk).collect())])
}

pub async fn randomkey(shard: &Rc<Shard>, client: &mut Client, _: &[Bytes]) -> Reply {
    let shards = shard.shared.shards;
    let start = shard.data.borrow_mut().random(shards);
    for k in 0..shards {
        let db = client.db;
        let target = (start + k) % shards;
        let found = call_behind_keyspace(shard, client, target, move |s| {
            let mut data = s.data.borrow_mut();
            random_key(&mut Ctx::new(&mut data, db, now_ms()))
        })
        .await;
        if let Some(key) = found {
            return Reply::Bulk(key);
        }
    }
    Reply::Nil
}

pub async fn dbsize(shard: &Rc<Shard>, client: &mut Client, _: &[Bytes]) -> Reply {
    Reply::Int(on_all_dbs(shard, client, |ctx| ctx.db().len()).await.iter().sum::<usize>() as i64)
}

/// FLUSHDB/FLUSHALL take an optional ASYNC or SYNC; both flush at once here.
fn flush_mode_ok(args: &[Bytes]) -> bool {
    match args.len() {
        1 => true,
        2 => eq_ic(&args[1], "async") || eq_ic(&args[1], "sync"),
        _ => false,
    }
}

pub async fn flushdb(shard: &Rc<Shard>, client: &mut Client, args: &[Bytes]) -> Reply {
    if !flush_mode_ok(args) {
        return err(SYNTAX);
    }
    let db = client.db;
    on_keyspace(shard, client, Mode::Write, move |s| {
        s.data.borrow_mut().dbs[db].clear();
        s.watches.borrow().touch_db(Some(db));
        crate::aof::log_command(s, Some(db), &[b"FLUSHDB"]);
    })
    .await;
    Reply::Ok
}

pub async fn flushall(shard: &Rc<Shard>, client: &mut Client, args: &[Bytes]) -> Reply {
    if !flush_mode_ok(args) {
        return err(SYNTAX);
    }
    on_keyspace(shard, client, Mode::Write, |s| {
        s.data.borrow_mut().dbs.iter_mut().for_each(|db| db.clear());
        s.watches.borrow().touch_db(None);
        crate::aof::log_command(s, None, &[b"FLUSHALL"]);
    })
    .await;
    Reply::Ok
}

pub async fn swapdb(shard: &Rc<Shard>, client: &mut Client, args: &[Bytes]) -> Reply {
    let databases = shard.data.borrow().dbs.len();
    let index = |a: &[u8], which: &str| match resp::parse_i64(a) {
        Some(i) if i >= 0 && (i as usize) < databases => Ok(i as usize),
        Some(_) => Err(err("ERR DB index is out of range")),
        None => Err(Reply::error(format!("ERR invalid {which} DB index"))),
    };
    let (a, b) = match (index(&args[1], "first"), index(&args[2], "second")) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    on_keyspace(shard, client, Mode::Write, move |s| {
        s.data.borrow_mut().dbs.swap(a, b);
        let watches = s.watches.borrow();
        watches.touch_db(Some(a));
        watches.touch_db(Some(b));
        crate::aof::log_command(s, None, &[b"SWAPDB", a.to_string().as_bytes(), b.to_string().as_bytes()]);
    })
    .await;
    Reply::Ok
}

fn client_line(c: &ClientEntry) -> String {
    let now = std::time::Instant::now();
    format!(
        "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=16384 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd={} user=default redir=-1 resp={}\n",
        c.id,
        c.addr,
        c.laddr,
        c.fd,
        c.name.borrow().as_ref().map(|n| String::from_utf8_lossy(n).into_owned()).unwrap_or_default(),
        now.duration_since(c.created).as_secs(),
        now.duration_since(c.last_active.get()).as_secs(),
        if c.blocked.get() { "b" } else { "N" },
        c.db.get(),
        c.last_cmd.get(),
        c.resp.get(),
    )
}

/// CLIENT KILL's filters; the old form `CLIENT KILL addr:port` is one ADDR filter.
#[derive(Clone, Default)]
struct KillFilter {
    id: Option<u64>,
    addr: Option<String>,
    laddr: Option<String>,
    skip: Option<u64>,
}

impl KillFilter {
    fn matches(&self, c: &ClientEntry) -> bool {
        self.id.is_none_or(|id| id == c.id)
            && self.addr.as_ref().is_none_or(|a| *a == c.addr)
            && self.laddr.as_ref().is_none_or(|a| *a == c.laddr)
            && self.skip != Some(c.id)
    }
}

fn parse_kill(args: &[Bytes], me: u64) -> Result<(KillFilter, bool), Reply> {
    let text = |b: &Bytes| String::from_utf8_lossy(b).into_owned();
    if args.len() == 3 {
        return Ok((KillFilter { addr: Some(text(&args[2])), ..Default::default() }, true));
    }
    let mut f = KillFilter { skip: Some(me), ..Default::default() };
    let mut i = 2;
    while i < args.len() {
        if i + 1 >= args.len() {
            return Err(err(SYNTAX));
        }
        let v = &args[i + 1];
        match lower(&args[i]).as_str() {
            "id" => match resp::parse_i64(v) {
                Some(id) if id > 0 => f.id = Some(id as u64),
                _ => return Err(err("ERR client-id should be greater than 0")),
            },
            "addr" => f.addr = Some(text(v)),
            "laddr" => f.laddr = Some(text(v)),
            "skipme" => match lower(v).as_str() {
                "yes" => f.skip = Some(me),
                "no" => f.skip = None,
                _ => return Err(err(SYNTAX)),
            },
            "type" | "user" => {}
            _ => return Err(err(SYNTAX)),
        }
        i += 2;
    }
    Ok((f, false))
}

pub async fn client(shard: &Rc<Shard>, client: &mut Client, args: &[Bytes]) -> Reply {
    let sub = lower(&args[1]);
    let entry = &client.entry;
    let wrong = || Reply::error(format!("ERR wrong number of arguments for 'client|{sub}' command"));
    match sub.as_str() {
        "id" if args.len() == 2 => Reply::Int(entry.id as i64),
        "getname" if args.len() == 2 => entry.name.borrow().clone().map_or(Reply::Nil, Reply::Bulk),
        "setname" if args.len() == 3 => {
            if !valid_client_name(&args[2]) {
                return err("ERR Client names cannot contain spaces, newlines or special characters.");
            }
            *entry.name.borrow_mut() = Some(args[2].clone()).filter(|n| !n.is_empty());
            Reply::Ok
        }
        "info" if args.len() == 2 => Reply::Verbatim(Bytes::from(client_line(entry))),
        "list" => {
            // CLIENT LIST [TYPE normal|master|replica|pubsub] [ID id ...]: every client is of type normal.
            let mut ids: Option<Vec<u64>> = None;
            match args.get(2).map(|a| lower(a)).as_deref() {
                None => {}
                Some("type") if args.len() == 4 => match lower(&args[3]).as_str() {
                    "normal" => {}
                    "master" | "replica" | "slave" | "pubsub" => ids = Some(Vec::new()),
                    _ => {
                        return Reply::error(format!("ERR Unknown client type '{}'", String::from_utf8_lossy(&args[3])))
                    }
                },
                Some("id") if args.len() > 3 => {
                    let parsed: Option<Vec<u64>> =
                        args[3..].iter().map(|a| resp::parse_i64(a).map(|n| n as u64)).collect();
                    match parsed {
                        Some(list) => ids = Some(list),
                        None => return err("ERR Invalid client ID"),
                    }
                }
                Some(_) => return err(SYNTAX),
            }
            let lines =
                call_all(shard, |s| s.clients.borrow().values().map(|c| (c.id, client_line(c))).collect::<Vec<_>>())
                    .await;
            let mut all: Vec<(u64, String)> = lines.into_iter().flatten().collect();
            all.sort_by_key(|(id, _)| *id);
            let text: String = match ids {
                None => all.into_iter().map(|(_, l)| l).collect(),
                // In the order asked, as Redis answers.
                Some(ids) => {
                    ids.iter().filter_map(|id| all.iter().find(|(c, _)| c == id).map(|(_, l)| l.as_str())).collect()
                }
            };
            Reply::Verbatim(Bytes::from(text))
        }
        "kill" if args.len() >= 3 => {
            let (filter, old_form) = match parse_kill(args, entry.id) {
                Ok(f) => f,
                Err(e) => return e,
            };
            let killed: usize = call_all(shard, move |s| {
                let matching: Vec<Rc<ClientEntry>> =
                    s.clients.borrow().values().filter(|c| filter.matches(c)).cloned().collect();
                matching.iter().for_each(|c| c.kill());
                matching.len()
            })
            .await
            .iter()
            .sum();
            match (old_form, killed) {
                (true, 0) => err("ERR No such client"),
                (true, _) => Reply::Ok,
                (false, n) => Reply::Int(n as i64),
            }
        }
        "unblock" if args.len() <= 4 => {
            let Some(id) = resp::parse_i64(&args[2]) else { return err(NOT_INTEGER) };
            let error = match args.get(3) {
                None => false,
                Some(r) if eq_ic(r, "timeout") => false,
                Some(r) if eq_ic(r, "error") => true,
                Some(_) => return err("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"),
            };
            let found = call_all(shard, move |s| {
                let client = s.clients.borrow().values().find(|c| c.id as i64 == id).cloned();
                client.is_some_and(|c| c.unblock(error))
            })
            .await;
            Reply::Int(found.into_iter().any(|f| f) as i64)
        }
        // Redis's own check for UNBLOCK's extra arguments, and its wording.
        "unblock" => Reply::subcommand_syntax_error("CLIENT", &args[1]),
        "id" | "getname" | "setname" | "info" | "kill" => wrong(),
        "help" => Reply::help(&[
            "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "ID",
            "GETNAME",
            "SETNAME <name>",
            "INFO",
            "LIST",
            "KILL <ip:port> | <filter> [value] ...",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    Unblock the specified blocked client.",
            "HELP",
        ]),
        _ => Reply::unknown_subcommand("CLIENT", &args[1]),
    }
}

/// Per-shard numbers INFO adds up.
struct ShardInfo {
    clients: usize,
    blocked: usize,
    commands: u64,
    connections: u64,
    rejected: u64,
    expired: u64,
    dbs: Vec<(usize, usize)>,
    aof: crate::aof::AofInfo,
}

fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    statm.split_whitespace().nth(1).and_then(|p| p.parse::<u64>().ok()).unwrap_or(0) * 4096
}

/// Bytes allocated through jemalloc: Redis's `used_memory` (it counts its own allocations).
fn allocated_bytes() -> u64 {
    use tikv_jemalloc_ctl::{epoch, stats};
    // Statistics are cached until the epoch advances.
    let _ = epoch::advance();
    stats::allocated::read().map(|b| b as u64).unwrap_or(0)
}

fn human_bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.2}G", n as f64 / (1u64 << 30) as f64),
        n if n >= 1 << 20 => format!("{:.2}M", n as f64 / (1u64 << 20) as f64),
        n if n >= 1 << 10 => format!("{:.2}K", n as f64 / 1024.0),
        n => format!("{n}B"),
    }
}

fn cpu_seconds() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0) / 100.0;
    (ticks(12), ticks(11))
}

pub async fn info(shard: &Rc<Shard>, _: &mut Client, args: &[Bytes]) -> Reply {
    let per_shard = call_all(shard, |s| ShardInfo {
        clients: s.clients.borrow().len(),
        blocked: s.clients.borrow().values().filter(|c| c.blocked.get()).count(),
        commands: s.stats.commands.get(),
        connections: s.stats.connections.get(),
        rejected: s.stats.rejected_connections.get(),
        expired: s.data.borrow().dbs.iter().map(|d| d.expired.count).sum(),
        dbs: s.data.borrow().dbs.iter().map(|d| (d.len(), d.volatile())).collect(),
        aof: crate::aof::info(s),
    })
    .await;
    let sum = |f: fn(&ShardInfo) -> u64| per_shard.iter().map(f).sum::<u64>();
    let save = crate::snapshot::status(shard).await;
    let config = shard.shared.config();
    let uptime = shard.shared.started.elapsed().as_secs();
    let rss = rss_bytes();
    let used = allocated_bytes();
    let (sys, user) = cpu_seconds();
    let now_us = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_micros()).unwrap_or(0);
    let mut sections: Vec<(&str, Vec<String>)> = vec![
        (
            "server",
            vec![
                format!("redis_version:{}", crate::REDIS_VERSION),
                format!("tessera_version:{}", env!("CARGO_PKG_VERSION")),
                "redis_mode:standalone".into(),
                format!("os:{} {}", std::env::consts::OS, std::env::consts::ARCH),
                "arch_bits:64".into(),
                "multiplexing_api:io_uring".into(),
                format!("process_id:{}", std::process::id()),
                format!("run_id:{}", shard.shared.run_id),
                format!("tcp_port:{}", config.port),
                format!("server_time_usec:{now_us}"),
                format!("uptime_in_seconds:{uptime}"),
                format!("uptime_in_days:{}", uptime / 86400),
                format!("hz:{}", config.hz),
                format!("shards:{}", shard.shared.shards),
                format!("executable:{}", std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_default()),
            ],
        ),
        (
            "clients",
            vec![
                format!("connected_clients:{}", sum(|s| s.clients as u64)),
                format!("maxclients:{}", config.maxclients),
                format!("blocked_clients:{}", sum(|s| s.blocked as u64)),
            ],
        ),
        (
            "memory",
            vec![
                format!("used_memory:{used}"),
                format!("used_memory_human:{}", human_bytes(used)),
                format!("used_memory_rss:{rss}"),
                format!("used_memory_rss_human:{}", human_bytes(rss)),
                "maxmemory:0".into(),
                "maxmemory_human:0B".into(),
                "maxmemory_policy:noeviction".into(),
                "mem_allocator:jemalloc".into(),
            ],
        ),
        ("persistence", {
            let mut lines = vec![
                format!("rdb_changes_since_last_save:{}", save.changes_since_last_save),
                format!("rdb_bgsave_in_progress:{}", save.bgsave_in_progress as u8),
                format!("rdb_last_save_time:{}", save.last_save_time),
                format!("rdb_last_bgsave_status:{}", if save.last_bgsave_ok { "ok" } else { "err" }),
            ];
            let aof: Vec<_> = per_shard.iter().map(|s| s.aof.clone()).collect();
            lines.extend(crate::aof::info_lines(shard, &aof));
            lines
        }),
        (
            "stats",
            vec![
                format!("total_connections_received:{}", sum(|s| s.connections)),
                format!("total_commands_processed:{}", sum(|s| s.commands)),
                format!("rejected_connections:{}", sum(|s| s.rejected)),
                format!("expired_keys:{}", sum(|s| s.expired)),
                "evicted_keys:0".into(),
            ],
        ),
        ("replication", vec!["role:master".into(), "connected_slaves:0".into()]),
        ("cpu", vec![format!("used_cpu_sys:{sys:.6}"), format!("used_cpu_user:{user:.6}")]),
    ];
    let mut keyspace = Vec::new();
    for db in 0..config.databases {
        let (keys, expires) = per_shard.iter().fold((0, 0), |acc, s| (acc.0 + s.dbs[db].0, acc.1 + s.dbs[db].1));
        if keys > 0 {
            keyspace.push(format!("db{db}:keys={keys},expires={expires},avg_ttl=0"));
        }
    }
    sections.push(("keyspace", keyspace));
    let wanted: Vec<String> = args[1..].iter().map(|a| lower(a)).collect();
    let everything = wanted.is_empty() || wanted.iter().any(|w| matches!(w.as_str(), "all" | "everything" | "default"));
    let mut text = String::new();
    for (name, lines) in sections {
        if !everything && !wanted.iter().any(|w| w == name) {
            continue;
        }
        if !text.is_empty() {
            text.push_str("\r\n");
        }
        let title = format!("{}{}", name[..1].to_uppercase(), &name[1..]);
        let title = if name == "cpu" { "CPU".to_string() } else { title };
        text.push_str(&format!("# {title}\r\n"));
        for l in lines {
            text.push_str(&l);
            text.push_str("\r\n");
        }
    }
    Reply::Verbatim(Bytes::from(text))
}

pub async fn config(shard: &Rc<Shard>, _: &mut Client, args: &[Bytes]) -> Reply {
    let sub = lower(&args[1]);
    match sub.as_str() {
        "get" if args.len() >= 3 => {
            let config = shard.shared.config();
            let mut pairs: Vec<(Reply, Reply)> = Vec::new();
            let mut seen: Vec<&str> = Vec::new();
            for pattern in &args[2..] {
                let lowered = pattern.to_ascii_lowercase();
                // A plain name is echoed back as the client spelled it, as Redis does.
                let is_glob = lowered.iter().any(|c| matches!(c, b'*' | b'?' | b'['));
                for (name, _) in DIRECTIVES {
                    let hit = if is_glob {
                        glob_match(&lowered, name.as_bytes())
                    } else {
                        crate::config::unalias(&String::from_utf8_lossy(&lowered)) == *name
                    };
                    if !hit || seen.contains(name) {
                        continue;
                    }
                    if let Some(v) = config.get(name) {
                        seen.push(name);
                        let shown = if is_glob { Bytes::from_static(name.as_bytes()) } else { pattern.clone() };
                        pairs.push((Reply::Bulk(shown), Reply::bulk(v)));
                    }
                }
            }
            Reply::Map(pairs)
        }
        "set" if args.len() >= 4 && args.len().is_multiple_of(2) => {
            let mut config = shard.shared.config();
            let old_aof = config.aof.clone();
            for pair in args[2..].chunks(2) {
                let name = crate::config::unalias(&lower(&pair[0]));
                let Some((_, m)) = DIRECTIVES.iter().find(|(n, _)| *n == name) else {
                    return Reply::error(format!(
                        "ERR Unknown option or number of arguments for CONFIG SET - '{name}'"
                    ));
                };
                if *m == Mutability::Startup {
                    return Reply::error(format!(
                        "ERR CONFIG SET failed (possibly related to argument '{name}') - can't set immutable config"
                    ));
                }
                let value = String::from_utf8_lossy(&pair[1]).into_owned();
                let words =
                    if name == "save" { vec![value] } else { value.split_whitespace().map(String::from).collect() };
                let words = if words.is_empty() { vec![String::new()] } else { words };
                if let Err(e) = config.set(&name, &words) {
                    return Reply::error(format!(
                        "ERR CONFIG SET failed (possibly related to argument '{name}') - {e}"
                    ));
                }
            }
            config.apply();
            let new_aof = config.aof.clone();
            *shard.shared.config.write().expect("config lock") = config;
            crate::aof::config_changed(shard, &old_aof, &new_aof).await;
            Reply::Ok
        }
        "help" => Reply::help(&[
            "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
            "HELP",
            "    Prints this help.",
        ]),
        "resetstat" if args.len() == 2 => {
            // The counters INFO stats reports, as Redis's resetServerStats zeroes them.
            call_all(shard, |s| {
                s.stats.commands.set(0);
                s.stats.connections.set(0);
                s.stats.rejected_connections.set(0);
                s.data.borrow_mut().dbs.iter_mut().for_each(|d| d.expired.count = 0);
            })
            .await;
            Reply::Ok
        }
        "rewrite" if args.len() == 2 => err("ERR The server is running without a config file"),
        "get" | "set" | "resetstat" | "rewrite" => {
            Reply::error(format!("ERR wrong number of arguments for 'config|{sub}' command"))
        }
        _ => Reply::unknown_subcommand("CONFIG", &args[1]),
    }
}

pub fn time(_: &Rc<Shard>, _: &mut Client, _: &[Bytes]) -> Reply {
    let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    Reply::Array(vec![Reply::bulk(d.as_secs().to_string()), Reply::bulk(d.subsec_micros().to_string())])
}

pub async fn shutdown(shard: &Rc<Shard>, _: &mut Client, args: &[Bytes]) -> Reply {
    let (mut abort, mut save, mut force) = (false, None, false);
    for a in &args[1..] {
        match lower(a).as_str() {
            "nosave" => save = Some(false),
            "save" => save = Some(true),
            "force" => force = true,
            "now" => {}
            "abort" => abort = true,
            _ => return err(SYNTAX),
        }
    }
    if abort {
        return err("ERR No shutdown in progress.");
    }
    log::warn!("User requested shutdown...");
    shutdown_now(shard, save, force).await
}

/// SHUTDOWN and SIGTERM: saves an RDB snapshot when asked to, or by default
/// when `save` rules exist; flushes and fsyncs every shard's log; exits.
/// A failed save stops the shutdown (unless forced), as in Redis.
pub async fn shutdown_now(shard: &Rc<Shard>, save: Option<bool>, force: bool) -> Reply {
    let save = save.unwrap_or_else(|| !shard.shared.config().save.is_empty());
    if save {
        log::info!("Saving the final RDB snapshot before exiting.");
        if let Err(e) = crate::snapshot::save_now(shard).await {
            log::warn!("Error trying to save the DB, can't exit: {e}");
            if !force {
                return err("ERR Errors trying to SHUTDOWN. Check logs.");
            }
        }
    }
    if shard.shared.aof_on.load(std::sync::atomic::Ordering::Acquire) {
        log::info!("Calling fsync() on the AOF file.");
        crate::aof::sync_all(shard).await;
    }
    log::warn!("Tessera is now ready to exit, bye bye...");
    std::process::exit(0);
}

/// Set by the SIGTERM handler; shard 0 notices it within 100 ms and shuts down.
pub static SIGTERM: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub async fn watch_sigterm(shard: Rc<Shard>) {
    loop {
        glommio::timer::sleep(Duration::from_millis(100)).await;
        if SIGTERM.load(std::sync::atomic::Ordering::Relaxed) {
            log::warn!("Received SIGTERM scheduling shutdown...");
            shutdown_now(&shard, None, false).await;
            SIGTERM.store(false, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

pub async fn debug(_: &Rc<Shard>, _: &mut Client, args: &[Bytes]) -> Reply {
    let sub = lower(&args[1]);
    match sub.as_str() {
        "sleep" if args.len() == 3 => match parse_float(&args[2]) {
            Some(secs) if secs >= 0.0 => {
                glommio::timer::sleep(Duration::from_secs_f64(secs)).await;
                Reply::Ok
            }
            _ => err(NOT_INTEGER),
        },
        "help" => {
            Reply::help(&["DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", "SLEEP <seconds>", "HELP"])
        }
        _ => Reply::subcommand_syntax_error("DEBUG", &args[1]),
    }
}
