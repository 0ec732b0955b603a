//! RDB snapshots (Redis's dump.rdb): SAVE, BGSAVE, LASTSAVE, the `save`
//! rules, and loading the file at start. The format is `engine::rdb`.
//!
//! A save asks every shard to serialise its own keys (all its databases) into
//! byte buffers, then one thread concatenates them into `temp-<pid>.rdb` in
//! `dir`, fsyncs it and renames it to `dbfilename`, as Redis does.
//!
//! SAVE (and a saving SHUTDOWN) serialises each shard in one go, blocking it,
//! as Redis's SAVE blocks. BGSAVE instead takes each shard's image from a
//! snapshot serialised in slices while the shard serves (see `engine::Db`);
//! each shard's image is of one instant, but shards take theirs at slightly
//! different instants, so a multi-shard write in flight then may be in one
//! shard's part and not yet in another's (Redis's fork gives one instant).

use crate::config::Config;
use crate::dispatch::Client;
use crate::shard::{call_all, Shard};
use crate::slot::SlotMap;
use bytes::Bytes;
use engine::rdb;
use engine::{now_ms, ShardData};
use resp::Reply;
use std::cell::Cell;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::sync::Mutex;
use std::time::Duration;

/// Redis retries a failed automatic BGSAVE only after this many seconds.
const BGSAVE_RETRY_DELAY: u64 = 5;

thread_local! {
    /// Writes this shard has run since it started (Redis's `server.dirty`,
    /// counted per shard so a write costs no shared atomic).
    static CHANGES: Cell<u64> = const { Cell::new(0) };
}

/// Counts a write command that did not fail (called on the shard that ran it).
pub fn note_write() {
    CHANGES.with(|c| c.set(c.get() + 1));
}

/// Process-wide save state.
struct State {
    /// Unix seconds of the last successful save (or of start-up).
    last_save: AtomicU64,
    /// Sum of the shards' change counters when the last successful save's snapshot was taken.
    changes_at_last_save: AtomicU64,
    bgsave_running: AtomicBool,
    last_bgsave_ok: AtomicBool,
    /// Unix seconds of the last BGSAVE attempt.
    last_bgsave_try: AtomicU64,
    /// BGSAVE SCHEDULE asked for one while another ran.
    scheduled: AtomicBool,
}

static STATE: State = State {
    last_save: AtomicU64::new(0),
    changes_at_last_save: AtomicU64::new(0),
    bgsave_running: AtomicBool::new(false),
    last_bgsave_ok: AtomicBool::new(true),
    last_bgsave_try: AtomicU64::new(0),
    scheduled: AtomicBool::new(false),
};

/// Only one file is written at a time (SAVE and BGSAVE share `temp-<pid>.rdb`).
static WRITING: Mutex<()> = Mutex::new(());

fn unix_secs() -> u64 {
    now_ms() / 1000
}

/// What INFO's persistence section reports.
pub struct Status {
    pub changes_since_last_save: u64,
    pub bgsave_in_progress: bool,
    pub last_save_time: u64,
    pub last_bgsave_ok: bool,
}

async fn total_changes(shard: &Shard) -> u64 {
    call_all(shard, |_| CHANGES.with(Cell::get)).await.into_iter().sum()
}

pub async fn status(shard: &Shard) -> Status {
    let changes = total_changes(shard).await;
    Status {
        changes_since_last_save: changes.saturating_sub(STATE.changes_at_last_save.load(SeqCst)),
        bgsave_in_progress: STATE.bgsave_running.load(SeqCst),
        last_save_time: STATE.last_save.load(SeqCst),
        last_bgsave_ok: STATE.last_bgsave_ok.load(SeqCst),
    }
}

/// One shard's keys: per database (index, keys, keys with a TTL, serialised
/// entries), and its change counter at that moment.
struct Part {
    changes: u64,
    dbs: Vec<(usize, usize, usize, Vec<u8>)>,
}

/// Serialises this shard's live keys. Blocks the shard while it runs (see the module comment).
fn serialise(shard: &Shard) -> Part {
    let data = shard.data.borrow();
    let now = now_ms();
    let mut dbs = Vec::new();
    for (index, db) in data.dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        let (mut out, mut keys, mut expires) = (Vec::new(), 0, 0);
        for (key, entry) in db.iter(now) {
            rdb::write_entry(&mut out, key, &entry.value, entry.expire_at());
            keys += 1;
            expires += (entry.expire_at() != 0) as usize;
        }
        dbs.push((index, keys, expires, out));
    }
    Part { changes: CHANGES.with(Cell::get), dbs }
}

/// `engine::Db`'s snapshot encoder for RDB.
fn rdb_entry(out: &mut Vec<u8>, key: &[u8], e: &engine::Entry) {
    rdb::write_entry(out, key, &e.value, e.expire_at());
}

/// Serialises this shard's keys as they are at one instant, in slices on
/// the background queue while the shard keeps serving (`engine::Db`'s
/// snapshots): what BGSAVE uses, so a big shard stalls nobody.
async fn serialise_in_background(shard: Rc<Shard>) -> Part {
    shard.snapshot_slot(false).await;
    let (changes, mut dbs) = {
        let mut data = shard.data.borrow_mut();
        let sizes: Vec<_> = data.dbs.iter().map(|d| (d.len(), d.volatile(), Vec::new())).collect();
        data.dbs.iter_mut().enumerate().for_each(|(i, d)| d.begin_snapshot(i, rdb_entry));
        (CHANGES.with(Cell::get), sizes)
    };
    let mut pacer = crate::shard::Pacer::start();
    for i in 0..dbs.len() {
        loop {
            let done = {
                let mut data = shard.data.borrow_mut();
                let done = data.dbs[i].snapshot_step(256);
                for (index, bytes) in data.dbs.iter_mut().filter_map(|d| d.take_snapshot_output()) {
                    dbs[index].2.extend_from_slice(&bytes);
                }
                done
            };
            if done {
                break;
            }
            pacer.pause_if_due().await;
        }
    }
    shard.data.borrow_mut().dbs.iter_mut().for_each(|d| d.end_snapshot());
    let dbs = dbs.into_iter().enumerate().filter(|d| !d.1 .2.is_empty()).map(|(i, (k, e, b))| (i, k, e, b)).collect();
    Part { changes, dbs }
}

/// Every shard's part for a BGSAVE, each from its own background snapshot.
async fn serialise_all_in_background(shard: &Shard) -> Vec<Part> {
    let mut waits = Vec::new();
    for target in 0..shard.shared.shards {
        let (tx, rx) = crate::mailbox::oneshot();
        crate::shard::post(shard, target, move |s| {
            let s = s.rc();
            let queue = s.background_queue.get().expect("background queue set at start");
            let task = glommio::spawn_local_into(async move { tx.send(serialise_in_background(s).await) }, queue);
            task.expect("spawn a snapshot task").detach();
        });
        waits.push(rx);
    }
    let mut parts = Vec::new();
    for rx in waits {
        parts.push(rx.await.expect("a shard dropped its snapshot"));
    }
    parts
}

fn rdb_path(config: &Config) -> PathBuf {
    Path::new(&config.dir).join(&config.dbfilename)
}

/// Writes the shards' parts as one file: `temp-<pid>.rdb`, fsync, rename.
fn write_file(config: &Config, parts: &[Part]) -> std::io::Result<()> {
    let _one_at_a_time = WRITING.lock().unwrap_or_else(|e| e.into_inner());
    let tmp = Path::new(&config.dir).join(format!("temp-{}.rdb", std::process::id()));
    let result = (|| {
        let mut file = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&tmp)?);
        let mut crc = 0u64;
        let mut put = |file: &mut std::io::BufWriter<std::fs::File>, bytes: &[u8]| {
            crc = rdb::crc64(crc, bytes);
            file.write_all(bytes)
        };
        let mut head = Vec::new();
        rdb::write_header(&mut head, unix_secs(), 0);
        put(&mut file, &head)?;
        for db in 0..config.databases {
            let chunks: Vec<_> = parts.iter().flat_map(|p| p.dbs.iter().filter(|d| d.0 == db)).collect();
            let keys: usize = chunks.iter().map(|c| c.1).sum();
            if keys == 0 {
                continue;
            }
            let mut start = Vec::new();
            rdb::write_db_start(&mut start, db, keys, chunks.iter().map(|c| c.2).sum());
            put(&mut file, &start)?;
            for c in chunks {
                put(&mut file, &c.3)?;
            }
        }
        let mut tail = Vec::new();
        rdb::write_footer(&mut tail, crc);
        file.write_all(&tail)?;
        let file = file.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&tmp, rdb_path(config))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn saved(parts: &[Part]) {
    STATE.last_save.store(unix_secs(), SeqCst);
    STATE.changes_at_last_save.store(parts.iter().map(|p| p.changes).sum(), SeqCst);
}

const BGSAVE_RUNNING: &str = "ERR Background save already in progress";

pub async fn save(shard: &Rc<Shard>, _: &mut Client, _: &[Bytes]) -> Reply {
    if STATE.bgsave_running.load(SeqCst) {
        return Reply::error(BGSAVE_RUNNING);
    }
    match save_now(shard).await {
        Ok(()) => Reply::Ok,
        Err(e) => {
            log::warn!("Failed saving the DB: {e}");
            Reply::error("ERR")
        }
    }
}

/// A blocking save, as SAVE (and a SHUTDOWN that saves) does: the calling
/// shard writes the file itself.
pub async fn save_now(shard: &Shard) -> std::io::Result<()> {
    let config = shard.shared.config();
    let parts = call_all(shard, serialise).await;
    write_file(&config, &parts)?;
    saved(&parts);
    log::info!("DB saved on disk");
    Ok(())
}

pub async fn bgsave(shard: &Rc<Shard>, _: &mut Client, args: &[Bytes]) -> Reply {
    let schedule = match args.get(1) {
        None => false,
        Some(a) if args.len() == 2 && a.eq_ignore_ascii_case(b"schedule") => true,
        Some(_) => return Reply::error(engine::args::SYNTAX),
    };
    if STATE.bgsave_running.load(SeqCst) {
        if schedule {
            STATE.scheduled.store(true, SeqCst);
            return Reply::Status(Bytes::from_static(b"Background saving scheduled"));
        }
        return Reply::error(BGSAVE_RUNNING);
    }
    if start_bgsave(shard).await {
        Reply::Status(Bytes::from_static(b"Background saving started"))
    } else {
        Reply::error(BGSAVE_RUNNING)
    }
}

/// Snapshots every shard, then writes the file on a thread of its own.
/// False if a BGSAVE is already running.
async fn start_bgsave(shard: &Shard) -> bool {
    if STATE.bgsave_running.compare_exchange(false, true, SeqCst, SeqCst).is_err() {
        return false;
    }
    STATE.last_bgsave_try.store(unix_secs(), SeqCst);
    log::info!("Background saving started");
    let config = shard.shared.config();
    let parts = serialise_all_in_background(shard).await;
    let spawned = std::thread::Builder::new().name("bgsave".into()).spawn(move || {
        let ok = match write_file(&config, &parts) {
            Ok(()) => {
                saved(&parts);
                log::info!("Background saving terminated with success");
                true
            }
            Err(e) => {
                log::warn!("Background saving error: {e}");
                false
            }
        };
        STATE.last_bgsave_ok.store(ok, SeqCst);
        STATE.bgsave_running.store(false, SeqCst);
    });
    if let Err(e) = spawned {
        log::warn!("Can't save in background: {e}");
        STATE.last_bgsave_ok.store(false, SeqCst);
        STATE.bgsave_running.store(false, SeqCst);
    }
    true
}

pub fn lastsave(_: &Rc<Shard>, _: &mut Client, _: &[Bytes]) -> Reply {
    Reply::Int(STATE.last_save.load(SeqCst) as i64)
}

/// Runs on shard 0: starts a BGSAVE when a `save <seconds> <changes>` rule
/// is met (or one was scheduled), checked once a second as Redis's cron does.
pub async fn cron(shard: Rc<Shard>) {
    loop {
        glommio::timer::sleep(Duration::from_secs(1)).await;
        if STATE.bgsave_running.load(SeqCst) {
            continue;
        }
        if STATE.scheduled.swap(false, SeqCst) {
            start_bgsave(&shard).await;
            continue;
        }
        let rules = shard.shared.config.read().map(|c| c.save.clone()).unwrap_or_default();
        if rules.is_empty() {
            continue;
        }
        let changes = total_changes(&shard).await.saturating_sub(STATE.changes_at_last_save.load(SeqCst));
        let now = unix_secs();
        let since_save = now.saturating_sub(STATE.last_save.load(SeqCst));
        let may_retry = STATE.last_bgsave_ok.load(SeqCst)
            || now.saturating_sub(STATE.last_bgsave_try.load(SeqCst)) > BGSAVE_RETRY_DELAY;
        if let Some((secs, n)) = rules.iter().find(|(secs, n)| changes >= *n && since_save > *secs) {
            if may_retry {
                log::info!("{n} changes in {secs} seconds. Saving...");
                start_bgsave(&shard).await;
            }
        }
    }
}

// ---- Loading at start ----

/// Keys read from the file at start, per shard, until each shard takes its own.
static LOADED: Mutex<Vec<Vec<rdb::Item>>> = Mutex::new(Vec::new());

/// Reads `dir/dbfilename` if it exists, sorting its live keys by the shard
/// that owns them; each shard then takes its share with `install`. An
/// unreadable or corrupt file stops start-up.
pub fn load_at_start(config: &Config, slots: &SlotMap) -> Result<(), String> {
    STATE.last_save.store(unix_secs(), SeqCst);
    let path = rdb_path(config);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("Can't read the RDB file {}: {e}", path.display())),
    };
    let started = std::time::Instant::now();
    let fail = |e: rdb::Error| format!("Error loading the RDB file {}: {e}. Exiting.", path.display());
    let mut per_shard: Vec<Vec<rdb::Item>> = (0..config.shards.max(1)).map(|_| Vec::new()).collect();
    let mut reader = rdb::FileReader::new(&bytes).map_err(fail)?;
    let (now, mut keys, mut expired) = (now_ms(), 0u64, 0u64);
    while let Some(item) = reader.next_item().map_err(fail)? {
        if item.db >= config.databases {
            return Err(format!(
                "FATAL: Data file {} was created with a Redis server configured to handle more than {} databases. \
                 Exiting",
                path.display(),
                config.databases
            ));
        }
        if item.expire_at != 0 && item.expire_at <= now {
            expired += 1;
            continue;
        }
        keys += 1;
        per_shard[slots.shard_of(&item.key)].push(item);
    }
    *LOADED.lock().unwrap_or_else(|e| e.into_inner()) = per_shard;
    log::info!(
        "DB loaded from disk: {:.3} seconds ({keys} keys, {expired} expired keys skipped)",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Moves the keys `load_at_start` read for shard `id` into its data.
pub fn install(id: usize, data: &mut ShardData) {
    let items = std::mem::take(LOADED.lock().unwrap_or_else(|e| e.into_inner()).get_mut(id).unwrap_or(&mut Vec::new()));
    for item in items {
        data.dbs[item.db].set(&item.key, item.value, item.expire_at);
    }
}
