//! A shard: one glommio executor on its own CPU owning a slice of the
//! keyspace, its listening socket, its connections, and its mailbox.

use crate::config::{Config, Fsync};
use crate::dispatch::ClientEntry;
use crate::locks::{LockKey, LockTable, Mode};
use crate::mailbox::{oneshot, Inbox, Mailbox};
use crate::slot::SlotMap;
use engine::{now_ms, ShardData};
use glommio::{Latency, Shares, TaskQueueHandle};
use hashbrown::HashMap;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// State shared by every shard: settings and process-wide counters.
pub struct Shared {
    pub config: RwLock<Config>,
    pub shards: usize,
    pub slots: SlotMap,
    pub mailboxes: Vec<Mailbox>,
    pub next_client_id: AtomicU64,
    pub started: Instant,
    pub started_ms: u64,
    pub run_id: String,
    /// Whether shards log writes to their AOF (connections then wait for the log before replying).
    pub aof_on: AtomicBool,
    /// `appendfsync`, as `Fsync as u8`: read by every flush round.
    pub aof_fsync: AtomicU8,
    /// Numbers multi-shard writes in the AOF.
    pub next_txn: AtomicU64,
    /// Shards still loading their data at start (commands without the `loading` flag are refused).
    pub loading: AtomicUsize,
    pub loading_total_bytes: AtomicU64,
    pub loading_loaded_bytes: AtomicU64,
    pub loading_start: AtomicU64,
}

impl Shared {
    pub fn config(&self) -> Config {
        self.config.read().expect("config lock").clone()
    }

    pub fn fsync(&self) -> Fsync {
        match self.aof_fsync.load(Ordering::Relaxed) {
            0 => Fsync::Always,
            1 => Fsync::Everysec,
            _ => Fsync::No,
        }
    }

    pub fn set_fsync(&self, f: Fsync) {
        self.aof_fsync.store(f as u8, Ordering::Relaxed);
    }

    /// This run of the server, as AOF records name it: `<start ms>.<pid>`.
    pub fn run_token(&self) -> String {
        format!("{}.{}", self.started_ms, std::process::id())
    }

    /// A multi-shard write's id in the AOF: `<run token>-<number>`.
    pub fn new_txn_id(&self) -> String {
        format!("{}-{}", self.run_token(), self.next_txn.fetch_add(1, Ordering::SeqCst))
    }

    pub fn new_client_id(&self) -> u64 {
        self.next_client_id.fetch_add(1, Ordering::Relaxed)
    }
}

/// Counters INFO reports, per shard.
#[derive(Default)]
pub struct Stats {
    pub commands: Cell<u64>,
    pub connections: Cell<u64>,
    pub rejected_connections: Cell<u64>,
}

pub struct Shard {
    /// Itself, for work a message starts that outlives the message (spawned tasks).
    me: std::rc::Weak<Shard>,
    pub id: usize,
    pub shared: Arc<Shared>,
    pub data: RefCell<ShardData>,
    pub locks: RefCell<LockTable>,
    pub clients: RefCell<HashMap<u64, Rc<ClientEntry>>>,
    pub stats: Stats,
    /// The task queue connections are served from.
    pub conn_queue: Cell<Option<TaskQueueHandle>>,
    /// The low-priority queue for background work (expiry, AOF rewrite).
    pub background_queue: Cell<Option<TaskQueueHandle>>,
    /// Keys on this shard that clients WATCH.
    pub watches: RefCell<crate::watch::Watches>,
    /// The buffer every connection of this shard receives into (see `conn::ReadInto`).
    pub read_buf: RefCell<Vec<u8>>,
    /// This shard's append-only file, when `appendonly` is on.
    pub aof: RefCell<Option<crate::aof::Aof>>,
}

impl Shard {
    pub fn rc(&self) -> Rc<Shard> {
        self.me.upgrade().expect("a shard lives as long as its executor")
    }

    pub fn shard_of(&self, key: &[u8]) -> usize {
        self.shared.slots.shard_of(key)
    }

    /// Waits until no snapshot (AOF rewrite or BGSAVE: one at a time) runs
    /// here and, with `quiet`, until no key is locked; the caller then starts
    /// its snapshot before it next awaits.
    pub async fn snapshot_slot(&self, quiet: bool) {
        loop {
            let busy = self.data.borrow().dbs.iter().any(|d| d.in_snapshot());
            if !busy && (!quiet || self.locks.borrow().is_idle()) {
                return;
            }
            glommio::timer::sleep(Duration::from_micros(500)).await;
        }
    }

    /// Releases locks and lets the waiters they held up proceed, in order.
    pub fn release(&self, keys: &[LockKey], mode: Mode) {
        let granted = self.locks.borrow_mut().release(keys, mode);
        for w in granted {
            (w.on_grant)(self);
        }
    }
}

/// Paces background work (AOF rewrite, BGSAVE) on a shard: after every
/// `SLICE` of work it steps aside for `REST` times as long, so the work takes
/// at most a third of the shard's CPU and a request never waits behind more
/// than one slice. (glommio preempts a task queue only every `preempt_timer`,
/// 1 ms, and a network event does not cut that short; and the shares of two
/// task queues only divide the CPU while both have work, which a shard
/// serving clients one request at a time mostly has not.)
pub struct Pacer(Instant);

impl Pacer {
    const SLICE: Duration = Duration::from_micros(50);
    const REST: u32 = 2;

    pub fn start() -> Pacer {
        Pacer(Instant::now())
    }

    pub async fn pause_if_due(&mut self) {
        let worked = self.0.elapsed();
        if worked >= Self::SLICE {
            glommio::timer::sleep(worked * Self::REST).await;
            self.0 = Instant::now();
        }
    }
}

/// Runs `f` on shard `target` and returns its result; inline when local.
pub async fn call<T: Send + 'static>(shard: &Shard, target: usize, f: impl FnOnce(&Shard) -> T + Send + 'static) -> T {
    if target == shard.id {
        return f(shard);
    }
    let (tx, rx) = oneshot();
    shard.shared.mailboxes[target].send(Box::new(move |s| tx.send(f(s))));
    rx.await.expect("shard dropped a reply")
}

/// Runs `f` on shard `target` without waiting for it; inline when local.
pub fn post(shard: &Shard, target: usize, f: impl FnOnce(&Shard) + Send + 'static) {
    if target == shard.id {
        f(shard)
    } else {
        shard.shared.mailboxes[target].send(Box::new(f));
    }
}

/// Runs `f` on every shard in parallel; results in shard order.
pub async fn call_all<T: Send + 'static>(
    shard: &Shard,
    f: impl Fn(&Shard) -> T + Send + Sync + Clone + 'static,
) -> Vec<T> {
    let mut pending = Vec::with_capacity(shard.shared.shards);
    for target in 0..shard.shared.shards {
        if target == shard.id {
            pending.push(None);
            continue;
        }
        let (tx, rx) = oneshot();
        let f = f.clone();
        shard.shared.mailboxes[target].send(Box::new(move |s| tx.send(f(s))));
        pending.push(Some(rx));
    }
    let mut out = Vec::with_capacity(pending.len());
    for rx in pending {
        out.push(match rx {
            Some(rx) => rx.await.expect("shard dropped a reply"),
            None => f(shard),
        });
    }
    out
}

/// Builds and runs shard `id` on the current thread (called inside its executor).
/// Reports start-up twice through `started`: once listening, once its data is
/// loaded (or the failure of either).
pub async fn run(
    id: usize,
    shared: Arc<Shared>,
    inbox: Inbox,
    started: std::sync::mpsc::Sender<Result<(), String>>,
    complete_txns: Arc<hashbrown::HashSet<String>>,
) {
    let config = shared.config();
    let mut data = ShardData::new(config.databases, (id as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ now_ms());
    crate::snapshot::install(id, &mut data);
    let shard = Rc::new_cyclic(|me| Shard {
        me: me.clone(),
        id,
        data: RefCell::new(data),
        locks: RefCell::new(LockTable::default()),
        clients: RefCell::new(HashMap::new()),
        stats: Stats::default(),
        conn_queue: Cell::new(None),
        background_queue: Cell::new(None),
        watches: RefCell::new(crate::watch::Watches::default()),
        read_buf: RefCell::new(vec![0; crate::conn::READ_CHUNK]),
        aof: RefCell::new(None),
        shared,
    });
    let ex = glommio::executor();
    let conn_queue = ex.create_task_queue(Shares::Static(1000), Latency::Matters(Duration::from_millis(1)), "conn");
    let background = ex.create_task_queue(Shares::Static(100), Latency::NotImportant, "background");
    shard.conn_queue.set(Some(conn_queue));
    shard.background_queue.set(Some(background));

    let mut listeners = Vec::new();
    for addr in &config.bind {
        match listen(addr, config.port) {
            Ok(l) => listeners.push(l),
            Err(e) => {
                let _ = started
                    .send(Err(format!("Could not create server TCP listening socket {addr}:{}: {e}", config.port)));
                return;
            }
        }
    }
    let _ = started.send(Ok(()));

    glommio::spawn_local_into(drain_mailbox(shard.clone(), inbox), conn_queue).expect("spawn mailbox task").detach();
    glommio::spawn_local_into(active_expiry(shard.clone()), background).expect("spawn expiry task").detach();
    if id == 0 {
        glommio::spawn_local_into(crate::snapshot::cron(shard.clone()), background).expect("spawn save task").detach();
        let sigterm = crate::server_cmds::watch_sigterm(shard.clone());
        glommio::spawn_local_into(sigterm, conn_queue).expect("spawn signal task").detach();
    }
    let mut accepts = Vec::new();
    for listener in listeners {
        let task = glommio::spawn_local_into(crate::conn::accept_loop(shard.clone(), listener), conn_queue)
            .expect("spawn accept task");
        accepts.push(task);
    }
    let _ = started.send(load(&shard, &config, &complete_txns).await);
    for t in accepts {
        t.await;
    }
}

/// A listening socket on `addr:port` that every shard binds (SO_REUSEPORT:
/// the kernel spreads connections over shards) and that a restarted server
/// can bind again at once despite connections in TIME_WAIT (SO_REUSEADDR,
/// which glommio's own `bind` does not set).
fn listen(addr: &str, port: u16) -> std::io::Result<glommio::net::TcpListener> {
    use socket2::{Domain, Protocol, SockAddr, Socket, Type};
    use std::net::ToSocketAddrs;
    use std::os::fd::{FromRawFd, IntoRawFd};
    let addr = (addr, port)
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "address resolves to nothing"))?;
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    socket.set_reuse_port(true)?;
    if addr.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    socket.bind(&SockAddr::from(addr))?;
    // Redis's default tcp-backlog.
    socket.listen(511)?;
    // SAFETY: the descriptor is a listening TCP socket we own and hand over whole.
    Ok(unsafe { glommio::net::TcpListener::from_raw_fd(socket.into_raw_fd()) })
}

/// Loads this shard's data at start (its AOF, when on) and starts logging.
async fn load(shard: &Rc<Shard>, config: &Config, complete_txns: &hashbrown::HashSet<String>) -> Result<(), String> {
    if !config.aof.enabled {
        return Ok(());
    }
    let loaded = crate::aof_load::load(shard, complete_txns).await?;
    let first = loaded.manifest.is_none();
    crate::aof::start(shard, loaded.manifest, false).await?;
    if !loaded.skipped.is_empty() {
        log::warn!(
            "Shard {} skipped {} multi-shard write(s) that other shards had not logged whole",
            shard.id,
            loaded.skipped.len()
        );
        crate::aof::log_aborted(shard, &loaded.skipped);
        crate::aof::sync_shard(shard).await;
    }
    if first {
        // A first start with the AOF on: its base is the data loaded from the RDB file, if any.
        crate::aof_rewrite::start(shard).map_err(|e| e.to_string())?;
    }
    // Keys whose TTL passed while the server was down go now, logged as DELs.
    let now = now_ms();
    let mut data = shard.data.borrow_mut();
    for db in data.dbs.iter_mut() {
        while db.expire_due(now, 1 << 16).1 {}
    }
    if let Some(aof) = shard.aof.borrow_mut().as_mut() {
        aof.record(&mut data, None, |_| {});
    }
    shard.shared.loading.fetch_sub(1, Ordering::AcqRel);
    Ok(())
}

async fn drain_mailbox(shard: Rc<Shard>, inbox: Inbox) {
    loop {
        let mut n = 0u32;
        while let Some(job) = inbox.try_recv() {
            job(&shard);
            n += 1;
            if n.is_multiple_of(256) {
                glommio::yield_if_needed().await;
            }
        }
        // A safety net, not the mechanism: once (in CI, under heavy cross-shard
        // load on 2 cores) a test stalled for minutes until a new connection
        // woke its shards. glommio could then park an executor with runnable
        // tasks (since fixed, crates/glommio/PATCHES.md), which may have been
        // it; looking again every 250 ms bounds any such stall. (At 50 ms this
        // was two thirds of an idle shard's wake-ups: ~31 a second, each
        // followed by a spin before parking.)
        futures_lite::future::or(inbox.ready(), glommio::timer::sleep(Duration::from_millis(250))).await;
    }
}

/// Removes expired keys in the background, `hz` times a second, in short
/// slices so requests are never held up for long (DESIGN.md §5).
async fn active_expiry(shard: Rc<Shard>) {
    const SLICE: usize = 200;
    loop {
        let hz = shard.shared.config.read().map(|c| c.hz).unwrap_or(10).max(1);
        glommio::timer::sleep(Duration::from_millis(1000 / hz as u64)).await;
        let databases = shard.data.borrow().dbs.len();
        for db in 0..databases {
            loop {
                let now = now_ms();
                let (_, more) = shard.data.borrow_mut().dbs[db].expire_due(now, SLICE);
                if !more {
                    break;
                }
                glommio::yield_if_needed().await;
            }
        }
    }
}
