//! `tessera`: a Redis-compatible, thread-per-core in-memory data store.
//!
//! One glommio executor per shard, each pinned to a CPU, each owning a slice
//! of the keyspace and accepting its share of connections on the same port
//! (SO_REUSEPORT). See `shard.rs` for a shard, `dispatch.rs` for how requests
//! are routed between shards, `commands.rs` for the command table.

mod aof;
mod aof_load;
mod aof_record;
mod aof_rewrite;
mod blocking;
mod command;
mod command_meta;
mod commands;
mod config;
mod conn;
mod connection;
mod dispatch;
mod locks;
mod mailbox;
mod multi;
mod server_cmds;
mod shard;
mod slot;
mod snapshot;
mod sort;
mod watch;

use glommio::{LocalExecutorBuilder, Placement};
use shard::Shared;
use std::net::ToSocketAddrs;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, AtomicUsize};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// The Redis version Tessera answers as (INFO, HELLO): the behaviour it follows.
pub const REDIS_VERSION: &str = "7.0.15";
/// SCAN cursors keep the shard index in 10 bits.
const MAX_SHARDS: usize = 1024;

/// The CPUs this process may run on (it may have been started under `taskset`).
fn allowed_cpus() -> Vec<usize> {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let list = status.lines().find_map(|l| l.strip_prefix("Cpus_allowed_list:")).unwrap_or("").trim().to_string();
    let mut cpus = Vec::new();
    for part in list.split(',').filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                if let (Ok(a), Ok(b)) = (a.parse::<usize>(), b.parse::<usize>()) {
                    cpus.extend(a..=b);
                }
            }
            None => cpus.extend(part.parse::<usize>().ok()),
        }
    }
    if cpus.is_empty() {
        cpus = (0..std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)).collect();
    }
    cpus
}

/// Refuses a port another process already listens on: with SO_REUSEPORT the
/// shards would otherwise bind anyway and silently share its connections.
/// The probe binds (SO_REUSEADDR, no SO_REUSEPORT) without listening: a
/// listening probe would accept connections into its backlog and reset them
/// when it closes.
fn check_bind(bind: &[String], port: u16) -> Result<(), String> {
    for addr in bind {
        let resolved = (addr.as_str(), port)
            .to_socket_addrs()
            .map_err(|e| format!("Invalid bind address '{addr}': {e}"))?
            .next()
            .ok_or_else(|| format!("Invalid bind address '{addr}'"))?;
        let probe = socket2::Socket::new(socket2::Domain::for_address(resolved), socket2::Type::STREAM, None)
            .map_err(|e| format!("Could not create a socket: {e}"))?;
        // As std's listener and our shards do: a restart must not trip over TIME_WAIT.
        probe.set_reuse_address(true).map_err(|e| format!("Could not set SO_REUSEADDR: {e}"))?;
        probe.bind(&resolved.into()).map_err(|e| {
            let why = if e.kind() == std::io::ErrorKind::AddrInUse { "Address already in use".to_string() } else { e.to_string() };
            format!("Warning: Could not create server TCP listening socket {addr}:{port}: bind: {why}\nFailed listening on port {port} (tcp), aborting.")
        })?;
    }
    Ok(())
}

fn run() -> Result<(), String> {
    let argv: Vec<String> = std::env::args().collect();
    // As redis-check-aof is redis-server under another name: `tessera-check-aof` may be a link to this binary.
    if argv[0].ends_with("tessera-check-aof") {
        std::process::exit(aof_load::check_aof(&argv[1..]));
    }
    if argv.get(1).is_some_and(|a| a == "--check-aof") {
        std::process::exit(aof_load::check_aof(&argv[2..]));
    }
    let mut config = config::from_args(argv)?;
    config.apply();
    // Like redis-server: a closed terminal (or an orphaned, stopped process
    // group, which the kernel sends SIGHUP) must not kill the server.
    // SAFETY: installing SIG_IGN for SIGHUP before any thread starts.
    unsafe {
        libc::signal(libc::SIGHUP, libc::SIG_IGN);
        libc::signal(libc::SIGTERM, on_sigterm as *const () as libc::sighandler_t);
    }
    let cpus = allowed_cpus();
    if config.shards == 0 {
        config.shards = cpus.len();
    }
    let shards = config.shards;
    if shards > MAX_SHARDS {
        return Err(format!("shards must be at most {MAX_SHARDS}"));
    }
    check_bind(&config.bind, config.port)?;
    let aof = &config.aof;
    let complete_txns = if aof.enabled {
        let on_disk = aof_load::shards_on_disk(&config.dir, &aof.dirname);
        if on_disk != 0 && on_disk != shards {
            return Err(format!(
                "The AOF in {}/{} was written by {on_disk} shards: start with --shards {on_disk} \
                 (to change the shard count, SAVE an RDB snapshot and load that)",
                config.dir, aof.dirname
            ));
        }
        aof_load::complete_transactions(&config.dir, &aof.dirname, &aof.filename, shards)?
    } else {
        Default::default()
    };
    let complete_txns = Arc::new(complete_txns);
    log::info!(
        "Tessera {} (Redis {REDIS_VERSION} compatible) starting: pid={}, port={}, shards={}, bind={}",
        env!("CARGO_PKG_VERSION"),
        std::process::id(),
        config.port,
        shards,
        config.bind.join(" ")
    );
    let (mailboxes, inboxes): (Vec<_>, Vec<_>) = (0..shards).map(|_| mailbox::mailbox()).unzip();
    let shared = Arc::new(Shared {
        shards,
        slots: slot::SlotMap::new(shards),
        mailboxes,
        next_client_id: AtomicU64::new(1),
        started: Instant::now(),
        started_ms: engine::now_ms(),
        run_id: format!("{:040x}", (std::process::id() as u128) << 64 | engine::now_ms() as u128),
        aof_on: AtomicBool::new(false),
        aof_fsync: AtomicU8::new(config.aof.fsync as u8),
        next_txn: AtomicU64::new(0),
        loading: AtomicUsize::new(if config.aof.enabled { shards } else { 0 }),
        loading_total_bytes: AtomicU64::new(0),
        loading_loaded_bytes: AtomicU64::new(0),
        loading_start: AtomicU64::new(engine::now_ms() / 1000),
        config: RwLock::new(config.clone()),
    });
    // The AOF, when on, holds the data; the RDB file is where it starts from otherwise
    // (and where a first start with the AOF on starts from: the migration path).
    if !config.aof.enabled || aof_load::shards_on_disk(&config.dir, &config.aof.dirname) == 0 {
        snapshot::load_at_start(&config, &shared.slots)?;
    }
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    let mut handles = Vec::new();
    for (id, inbox) in inboxes.into_iter().enumerate() {
        let shared = shared.clone();
        let started = started_tx.clone();
        let complete_txns = complete_txns.clone();
        let builder = LocalExecutorBuilder::new(Placement::Fixed(cpus[id % cpus.len()]))
            .name(&format!("shard-{id}"))
            .preempt_timer(Duration::from_millis(1))
            .io_memory(1 << 20)
            .spin_before_park(Duration::from_micros(config.spin_before_park_us));
        let handle = builder
            .spawn(move || shard::run(id, shared, inbox, started, complete_txns))
            .map_err(|e| format!("could not start shard {id}: {e}"))?;
        handles.push(handle);
    }
    drop(started_tx);
    // Every shard reports twice: listening, then loaded (it answers LOADING in between).
    for _ in 0..2 * shards {
        match started_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(e),
            Err(_) => break,
        }
    }
    if config.aof.enabled {
        log::info!("DB loaded from append only file: {:.3} seconds", shared.started.elapsed().as_secs_f64());
    }
    log::info!("Ready to accept connections tcp");
    for (id, h) in handles.into_iter().enumerate() {
        // A shard that failed during start-up reports it only here.
        if let Err(e) = h.join() {
            return Err(format!("shard {id} stopped: {e}"));
        }
    }
    Ok(())
}

/// SIGTERM shuts down as SHUTDOWN does (save, flush the AOF); the handler
/// only raises a flag, which shard 0 polls.
extern "C" fn on_sigterm(_: libc::c_int) {
    server_cmds::SIGTERM.store(true, std::sync::atomic::Ordering::Relaxed);
}

fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .format_timestamp_millis()
        .init();
    if let Err(e) = run() {
        eprintln!("{e}");
        std::process::exit(1);
    }
}

/// jemalloc, as Redis uses: every command allocates and frees small buffers.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;
