//! A shard's append-only file (DESIGN.md §6).
//!
//! Every shard logs the writes it applies to its own files, in
//! `<dir>/<appenddirname>/shard-<id>/`, laid out as Redis 7's multi-part AOF:
//! a manifest naming an optional base file (an image, written by a rewrite)
//! and the incremental files after it, each a stream of RESP commands.
//!
//! Records go to an in-memory buffer as commands run; one flusher task per
//! shard writes whatever has gathered with one write (and, under
//! `appendfsync always`, one fdatasync) per round, so concurrent clients
//! share both: group commit. A connection that wrote waits for the round
//! covering its writes before it replies: written to the kernel (everysec,
//! no — as Redis writes before it replies), or synced too (always).

use crate::config::Fsync;
use crate::mailbox::{oneshot, OneshotSender};
use crate::shard::{post, Shard};
use engine::serialize::command;
use engine::ShardData;
use glommio::io::{BufferedFile, OpenOptions};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// The record that opens a multi-shard write's part on one shard:
/// `TESSERA-TXN <run>-<n> <shard,shard,...>`, then MULTI ... EXEC. Replay
/// applies the part only if every shard named logged its part whole (or
/// holds it in a base image: see `aof_rewrite`).
pub const TXN: &str = "tessera-txn";
/// `TESSERA-TXN-ABORT <id>`: a shard found its part of this write without
/// the others' at start and skipped it; the record keeps that decision for
/// every later start, even once other shards' bases no longer show the write.
pub const ABORT: &str = "tessera-txn-abort";

/// The manifest: which files make up a shard's log, in order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Manifest {
    pub base: Option<String>,
    pub incrs: Vec<String>,
    /// The highest sequence number used so far.
    pub seq: u64,
}

impl Manifest {
    /// Parses Redis 7's manifest format: `file <name> seq <n> type <b|h|i>` per line.
    pub fn parse(text: &str) -> Result<Manifest, String> {
        let mut m = Manifest::default();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
            let words: Vec<&str> = line.split_whitespace().collect();
            let field = |name: &str| words.chunks(2).find(|p| p[0] == name && p.len() == 2).map(|p| p[1]);
            let (Some(file), Some(seq), Some(kind)) = (field("file"), field("seq"), field("type")) else {
                return Err(format!("Invalid AOF manifest line: {line}"));
            };
            let seq: u64 = seq.parse().map_err(|_| format!("Invalid AOF manifest sequence: {line}"))?;
            m.seq = m.seq.max(seq);
            match kind {
                "b" => m.base = Some(file.to_string()),
                "i" => m.incrs.push(file.to_string()),
                // A history file is no longer part of the data.
                "h" => {}
                _ => return Err(format!("Unknown AOF file type in manifest: {line}")),
            }
        }
        Ok(m)
    }

    pub fn render(&self) -> String {
        let mut text = String::new();
        let seq = |name: &str| name.rsplit('.').nth(2).unwrap_or("1").to_string();
        if let Some(b) = &self.base {
            text.push_str(&format!("file {b} seq {} type b\n", seq(b)));
        }
        for i in &self.incrs {
            text.push_str(&format!("file {i} seq {} type i\n", seq(i)));
        }
        text
    }

    /// Every file, base first: the order they are replayed in.
    pub fn files(&self) -> Vec<String> {
        self.base.iter().chain(&self.incrs).cloned().collect()
    }
}

/// Where shard `id` keeps its files.
pub fn shard_dir(dir: &str, dirname: &str, id: usize) -> PathBuf {
    Path::new(dir).join(dirname).join(format!("shard-{id}"))
}

pub fn manifest_name(filename: &str) -> String {
    format!("{filename}.manifest")
}

pub fn read_manifest(dir: &Path, filename: &str) -> Result<Option<Manifest>, String> {
    let path = dir.join(manifest_name(filename));
    match std::fs::read_to_string(&path) {
        Ok(text) => Manifest::parse(&text).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("Can't read the AOF manifest {}: {e}", path.display())),
    }
}

/// Replaces the manifest atomically: a temporary file, fsynced, renamed over
/// the old one, then the directory fsynced so the rename itself is durable.
/// (Plain blocking calls: a manifest changes only when a file is added.)
pub fn write_manifest(dir: &Path, filename: &str, m: &Manifest) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = dir.join(format!("temp-{}", manifest_name(filename)));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(m.render().as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, dir.join(manifest_name(filename)))?;
    std::fs::File::open(dir)?.sync_all()
}

/// A pending write: bytes for a file.
struct Segment {
    file: Rc<BufferedFile>,
    bytes: Vec<u8>,
}

/// One shard's log state.
pub struct Aof {
    pub dir: PathBuf,
    pub filename: String,
    pub manifest: Manifest,
    file: Rc<BufferedFile>,
    /// The size of `file` once what was taken from `buf` is written.
    file_pos: u64,
    /// Records not yet handed to the flusher.
    buf: Vec<u8>,
    /// Records for files the log has moved past (a rewrite started), written first.
    sealed: VecDeque<Segment>,
    /// The database the current file last SELECTed (None: none yet in this file).
    db: Option<usize>,
    /// Bytes ever taken out of `buf`: `taken + buf.len()` is the log's end, as an offset.
    taken: u64,
    /// How far the log has reached the kernel, and the disk.
    written: u64,
    synced: u64,
    /// Waiting for the log to reach an offset: written, or synced when `.1` (or under `always`).
    waiters: Vec<(u64, bool, OneshotSender<()>)>,
    flusher: Option<Waker>,
    /// Where an open single-shard MULTI began in `buf`, and the SELECT state then.
    multi: Option<(usize, usize, Option<usize>)>,
    /// Whether a multi-shard transaction's part is open (`begin_txn`): its
    /// records go out with other work in between, so unlike `multi` it is
    /// closed by an EXEC even when empty.
    txn_open: bool,
    /// Sizes for INFO and automatic rewrites.
    pub base_size: u64,
    /// The log's size after the last rewrite (or at start): growth is measured from it.
    pub rewrite_base_size: u64,
    /// False while the AOF, just turned on at run time, awaits its first base:
    /// until then the manifest on disk is the stale one and is left alone.
    pub manifest_on_disk: bool,
    pub rewrite: crate::aof_rewrite::RewriteStats,
}

impl Aof {
    /// Opens the last incremental file of `manifest` for appending, or starts
    /// the first one. `dir` exists.
    /// With `fresh`, starts a new incremental file after the files on disk
    /// and leaves their manifest alone: a rewrite will write the first image.
    pub async fn open(dir: PathBuf, filename: String, mut manifest: Manifest, fresh: bool) -> Result<Aof, String> {
        let mut new_file = false;
        if fresh {
            manifest = Manifest { seq: manifest.seq, ..Manifest::default() };
        }
        if manifest.incrs.is_empty() {
            manifest.seq += 1;
            manifest.incrs.push(format!("{filename}.{}.incr.aof", manifest.seq));
            new_file = true;
        }
        let name = manifest.incrs.last().expect("just ensured").clone();
        let file = open_append(&dir.join(&name)).await?;
        if new_file && !fresh {
            write_manifest(&dir, &filename, &manifest).map_err(|e| format!("Can't write the AOF manifest: {e}"))?;
        }
        let file_pos = file.file_size().await.map_err(|e| format!("Can't stat {name}: {e}"))?;
        let base_size = match &manifest.base {
            Some(b) => std::fs::metadata(dir.join(b)).map(|m| m.len()).unwrap_or(0),
            None => 0,
        };
        let current = base_size + file_pos;
        Ok(Aof {
            rewrite_base_size: current,
            manifest_on_disk: !fresh,
            rewrite: Default::default(),
            dir,
            filename,
            manifest,
            file: Rc::new(file),
            file_pos,
            buf: Vec::with_capacity(16 * 1024),
            sealed: VecDeque::new(),
            db: None,
            taken: 0,
            written: 0,
            synced: 0,
            waiters: Vec::new(),
            flusher: None,
            multi: None,
            txn_open: false,
            base_size,
        })
    }

    fn end(&self) -> u64 {
        self.taken + self.buf.len() as u64
    }

    /// Bytes in the current files (base and incremental), written or pending.
    pub fn current_size(&self) -> u64 {
        self.base_size + self.file_pos + self.buf.len() as u64
    }

    pub fn pending(&self) -> usize {
        self.buf.len() + self.sealed.iter().map(|s| s.bytes.len()).sum::<usize>()
    }

    fn select(&mut self, db: usize) {
        if self.db != Some(db) {
            command(&mut self.buf, &[b"SELECT".as_slice(), db.to_string().as_bytes()]);
            self.db = Some(db);
        }
    }

    /// Logs, as DELs, the keys that expired since the last record: they
    /// went away before whatever is logged next.
    fn log_expired(&mut self, data: &mut ShardData) {
        for db in 0..data.dbs.len() {
            if data.dbs[db].has_expired_keys() {
                for key in data.dbs[db].take_expired_keys() {
                    self.select(db);
                    command(&mut self.buf, &[b"DEL".as_slice(), &key[..]]);
                }
            }
        }
    }

    fn wake_flusher(&mut self) {
        if let Some(w) = self.flusher.take() {
            w.wake();
        }
    }

    /// Appends a record for database `db` (None: one that names no
    /// database), which `write` produces.
    pub fn record(&mut self, data: &mut ShardData, db: Option<usize>, write: impl FnOnce(&mut Vec<u8>)) {
        self.log_expired(data);
        if let Some(db) = db {
            self.select(db);
        }
        write(&mut self.buf);
        self.wake_flusher();
    }

    /// Opens a transaction in the log: the records until `end_multi` replay
    /// together or not at all. A transaction that logged nothing leaves no trace.
    pub fn begin_multi(&mut self, data: &mut ShardData) {
        self.log_expired(data);
        let (at, db) = (self.buf.len(), self.db);
        command(&mut self.buf, &[b"MULTI"]);
        self.multi = Some((at, self.buf.len(), db));
    }

    pub fn end_multi(&mut self) {
        let Some((at, after, db)) = self.multi.take() else { return };
        if self.buf.len() == after {
            self.buf.truncate(at);
            self.db = db;
        } else {
            command(&mut self.buf, &[b"EXEC"]);
            self.wake_flusher();
        }
    }

    /// Opens this shard's part of multi-shard transaction `id` over `shards`
    /// (replayed only if every one of them logged its part whole).
    pub fn begin_txn(&mut self, data: &mut ShardData, id: &str, shards: &str) {
        self.record(data, None, |out| {
            command(out, &[TXN.as_bytes(), id.as_bytes(), shards.as_bytes()]);
            command(out, &[b"MULTI"]);
        });
        self.txn_open = true;
    }

    /// Closes the part `begin_txn` opened, if any.
    pub fn end_txn(&mut self) {
        if std::mem::take(&mut self.txn_open) {
            command(&mut self.buf, &[b"EXEC"]);
            self.wake_flusher();
        }
    }

    /// Moves the log on to a new file: what is pending still goes to the old one.
    pub fn switch_file(&mut self, file: BufferedFile) {
        let bytes = std::mem::take(&mut self.buf);
        self.taken += bytes.len() as u64;
        let old = std::mem::replace(&mut self.file, Rc::new(file));
        if !bytes.is_empty() {
            self.sealed.push_back(Segment { file: old, bytes });
        }
        self.file_pos = 0;
        self.db = None;
        self.wake_flusher();
    }

    /// Writes everything pending, in order, for one flush round. Returns the
    /// offset the log then reaches and the files written that the round's
    /// fdatasync must cover (the current one last).
    fn write_pending(&mut self, data: &mut ShardData) -> std::io::Result<(u64, Vec<Rc<BufferedFile>>)> {
        self.log_expired(data);
        let mut files = Vec::new();
        for seg in self.sealed.drain(..) {
            write_all(&seg.file, &seg.bytes)?;
            files.push(seg.file);
        }
        if !self.buf.is_empty() {
            write_all(&self.file, &self.buf)?;
            self.taken += self.buf.len() as u64;
            self.file_pos += self.buf.len() as u64;
            self.buf.clear();
        }
        files.push(self.file.clone());
        self.written = self.end();
        Ok((self.end(), files))
    }

    fn has_work(&self) -> bool {
        !self.buf.is_empty() || !self.sealed.is_empty() || self.sync_wanted()
    }

    /// Whether someone waits for an fdatasync the log has not done yet.
    fn sync_wanted(&self) -> bool {
        self.waiters.iter().any(|w| w.1 && w.0 > self.synced)
    }

    fn reached(&self, sync: bool) -> u64 {
        if sync {
            self.synced
        } else {
            self.written
        }
    }

    /// Resolves the waiters the log has now reached for.
    fn release_waiters(&mut self) {
        let mut i = 0;
        while i < self.waiters.len() {
            if self.waiters[i].0 <= self.reached(self.waiters[i].1) {
                let (_, _, tx) = self.waiters.swap_remove(i);
                tx.send(());
            } else {
                i += 1;
            }
        }
    }

    /// Sends on `tx` once everything logged so far is written (and synced, if `sync`).
    fn wait(&mut self, sync: bool, tx: OneshotSender<()>) {
        let end = self.end();
        if end <= self.reached(sync) {
            tx.send(());
        } else {
            self.waiters.push((end, sync, tx));
            self.wake_flusher();
        }
    }
}

async fn open_append(path: &Path) -> Result<BufferedFile, String> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .write(true)
        .buffered_open(path)
        .await
        .map_err(|e| format!("Can't open the append only file {}: {e}", path.display()))
}

/// Creates a new empty incremental file for the next sequence number and
/// returns it, with its name (the manifest is the caller's to update).
pub async fn new_incr(aof: &RefCell<Option<Aof>>) -> Result<(BufferedFile, String), String> {
    let (dir, name) = {
        let mut a = aof.borrow_mut();
        let a = a.as_mut().ok_or("AOF is off")?;
        a.manifest.seq += 1;
        (a.dir.clone(), format!("{}.{}.incr.aof", a.filename, a.manifest.seq))
    };
    Ok((open_append(&dir.join(&name)).await?, name))
}

/// Appends `bytes` with plain write(2) calls. A write into the page cache
/// takes microseconds (Redis, too, writes before it replies), while one through
/// io_uring costs a ring round trip that every waiting reply would pay.
/// Only the fdatasync, which takes a disk's time, goes through the ring.
fn write_all(file: &BufferedFile, mut bytes: &[u8]) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    while !bytes.is_empty() {
        // SAFETY: writes from a live slice to a descriptor the file keeps open.
        let n = unsafe { libc::write(file.as_raw_fd(), bytes.as_ptr().cast(), bytes.len()) };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        if n == 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::WriteZero, "the AOF file takes no more bytes"));
        }
        bytes = &bytes[n as usize..];
    }
    Ok(())
}

/// Resolves when the shard's log has something to write.
struct Work<'a>(&'a Shard);

impl Future for Work<'_> {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut aof = self.0.aof.borrow_mut();
        match aof.as_mut() {
            Some(a) if a.has_work() => Poll::Ready(()),
            Some(a) => {
                a.flusher = Some(cx.waker().clone());
                Poll::Pending
            }
            // Turned off: the task ends (a new one starts with the log).
            None => Poll::Ready(()),
        }
    }
}

/// The shard's flusher: one write (plus one fdatasync under `always`) per
/// round for everything gathered since the last.
pub async fn flusher(shard: Rc<Shard>) {
    loop {
        Work(&shard).await;
        let fsync = shard.shared.fsync();
        let written = {
            let mut aof = shard.aof.borrow_mut();
            let Some(a) = aof.as_mut() else { return };
            let sync = fsync == Fsync::Always || a.sync_wanted();
            let written = a.write_pending(&mut shard.data.borrow_mut());
            if !sync {
                a.release_waiters();
            }
            written.map(|w| sync.then_some(w))
        };
        let result = match written {
            Ok(Some((end, files))) => sync_files(&files).await.map(|()| {
                if let Some(a) = shard.aof.borrow_mut().as_mut() {
                    a.synced = a.synced.max(end);
                    a.release_waiters();
                }
            }),
            Ok(None) => Ok(()),
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            // As Redis under `always`: an acknowledged write could otherwise be lost.
            log::error!("Can't write to the append only file of shard {}: {e}. Exiting...", shard.id);
            std::process::exit(1);
        }
    }
}

async fn sync_files(files: &[Rc<BufferedFile>]) -> std::io::Result<()> {
    for file in files {
        file.fdatasync().await.map_err(std::io::Error::from)?;
    }
    Ok(())
}

/// `appendfsync everysec`: an fdatasync a second, off the request path; and,
/// whatever the policy, a regular flush of keys that expired with nothing
/// else logged after them.
pub async fn ticker(shard: Rc<Shard>) {
    loop {
        glommio::timer::sleep(Duration::from_secs(1)).await;
        let (file, written) = {
            let mut aof = shard.aof.borrow_mut();
            let Some(a) = aof.as_mut() else { return };
            let data = shard.data.borrow();
            if data.dbs.iter().any(|d| d.has_expired_keys()) {
                a.wake_flusher();
            }
            (a.file.clone(), a.written)
        };
        if crate::aof_rewrite::due(&shard) {
            let _ = crate::aof_rewrite::start(&shard);
        }
        let fsync = shard.shared.fsync();
        let synced = shard.aof.borrow().as_ref().map_or(u64::MAX, |a| a.synced);
        if fsync == Fsync::Everysec && synced < written {
            let start = Instant::now();
            if let Err(e) = file.fdatasync().await {
                log::warn!("fdatasync of the append only file of shard {} failed: {e}", shard.id);
                continue;
            }
            if start.elapsed() > Duration::from_secs(2) {
                log::warn!("Asynchronous AOF fsync is taking too long (disk is busy?).");
            }
            if let Some(a) = shard.aof.borrow_mut().as_mut() {
                a.synced = a.synced.max(written);
            }
        }
    }
}

/// Waits until every shard in `shards` has logged this connection's writes
/// as far as the fsync policy asks before a reply: written (everysec, no) or
/// synced (always).
pub async fn wait_logged(shard: &Rc<Shard>, shards: &[usize]) {
    let sync = shard.shared.fsync() == Fsync::Always;
    wait_all(shard, shards, sync).await
}

async fn wait_all(shard: &Rc<Shard>, shards: &[usize], sync: bool) {
    let mut waits = Vec::with_capacity(shards.len());
    for &target in shards {
        let (tx, rx) = oneshot();
        post(shard, target, move |s| match s.aof.borrow_mut().as_mut() {
            Some(a) => a.wait(sync, tx),
            None => tx.send(()),
        });
        waits.push(rx);
    }
    for rx in waits {
        let _ = rx.await;
    }
}

/// Writes and fsyncs this shard's log.
pub async fn sync_shard(shard: &Rc<Shard>) {
    wait_all(shard, &[shard.id], true).await
}

/// Writes and fsyncs every shard's log: SHUTDOWN and SIGTERM do this before exiting.
pub async fn sync_all(shard: &Rc<Shard>) {
    let all: Vec<usize> = (0..shard.shared.shards).collect();
    wait_all(shard, &all, true).await
}

/// Logs that this shard skipped these multi-shard writes at start (see `ABORT`).
pub fn log_aborted(shard: &Shard, ids: &[String]) {
    if let Some(aof) = shard.aof.borrow_mut().as_mut() {
        aof.record(&mut shard.data.borrow_mut(), None, |out| {
            ids.iter().for_each(|id| command(out, &[ABORT.as_bytes(), id.as_bytes()]))
        });
    }
}

/// Logs a command that names no key (FLUSHALL, SWAPDB ...) on this shard, in database `db`.
pub fn log_command(shard: &Shard, db: Option<usize>, args: &[&[u8]]) {
    if let Some(aof) = shard.aof.borrow_mut().as_mut() {
        aof.record(&mut shard.data.borrow_mut(), db, |out| command(out, args));
    }
}

/// INFO's persistence section: loading progress and the AOF's state, with Redis's field names.
pub fn info_lines(shard: &Shard, per_shard: &[AofInfo]) -> Vec<String> {
    let shared = &shard.shared;
    let loading = shared.loading.load(Ordering::Relaxed) > 0;
    let mut lines = vec![format!("loading:{}", loading as u8), "async_loading:0".into()];
    if loading {
        let (total, loaded) =
            (shared.loading_total_bytes.load(Ordering::Relaxed), shared.loading_loaded_bytes.load(Ordering::Relaxed));
        let start = shared.loading_start.load(Ordering::Relaxed);
        let perc = if total == 0 { 0.0 } else { loaded as f64 * 100.0 / total as f64 };
        lines.extend([
            format!("loading_start_time:{start}"),
            format!("loading_total_bytes:{total}"),
            "loading_rdb_used_mem:0".to_string(),
            format!("loading_loaded_bytes:{loaded}"),
            format!("loading_loaded_perc:{perc:.2}"),
            format!("loading_eta_seconds:{}", if loaded == 0 { 1 } else { 0 }),
        ]);
    }
    let enabled = per_shard.iter().any(|s| s.enabled);
    let sum = |f: fn(&AofInfo) -> u64| per_shard.iter().map(f).sum::<u64>();
    // Shards rewrite independently: the server-wide figures are the slowest shard's.
    let rewrites = per_shard.iter().map(|s| &s.rewrite);
    let running = rewrites.clone().filter_map(|r| r.in_progress).min();
    let done = rewrites.clone().map(|r| r.rewrites).min().unwrap_or(0);
    let last = if done == 0 { -1 } else { rewrites.clone().map(|r| r.last_secs).max().unwrap_or(-1) };
    lines.extend([
        format!("aof_enabled:{}", enabled as u8),
        format!("aof_rewrite_in_progress:{}", running.is_some() as u8),
        "aof_rewrite_scheduled:0".into(),
        format!("aof_last_rewrite_time_sec:{last}"),
        format!("aof_current_rewrite_time_sec:{}", running.map_or(-1, |t| t.elapsed().as_secs() as i64)),
        format!(
            "aof_last_bgrewrite_status:{}",
            if rewrites.clone().all(|r| r.last_ok || r.rewrites + r.consecutive_failures == 0) { "ok" } else { "err" }
        ),
        format!("aof_rewrites:{done}"),
        format!("aof_rewrites_consecutive_failures:{}", rewrites.map(|r| r.consecutive_failures).max().unwrap_or(0)),
        // A failed write to the log stops the server (see `flusher`), so a running one reports ok.
        "aof_last_write_status:ok".into(),
        "aof_last_cow_size:0".into(),
        "module_fork_in_progress:0".into(),
        "module_fork_last_cow_size:0".into(),
    ]);
    if enabled {
        lines.extend([
            format!("aof_current_size:{}", sum(|s| s.current_size)),
            format!("aof_base_size:{}", sum(|s| s.base_size)),
            "aof_pending_rewrite:0".into(),
            format!("aof_buffer_length:{}", sum(|s| s.buffer_length)),
            format!("aof_pending_bio_fsync:{}", per_shard.iter().filter(|s| s.pending_fsync).count()),
            "aof_delayed_fsync:0".into(),
        ]);
    }
    lines
}

/// What INFO persistence reports of one shard's log.
#[derive(Default, Clone)]
pub struct AofInfo {
    pub enabled: bool,
    pub current_size: u64,
    pub base_size: u64,
    pub buffer_length: u64,
    pub pending_fsync: bool,
    pub rewrite: crate::aof_rewrite::RewriteStats,
}

pub fn info(shard: &Shard) -> AofInfo {
    match shard.aof.borrow().as_ref() {
        None => AofInfo::default(),
        Some(a) => AofInfo {
            enabled: true,
            current_size: a.current_size(),
            base_size: a.base_size,
            buffer_length: a.pending() as u64,
            pending_fsync: a.synced < a.written,
            rewrite: a.rewrite.clone(),
        },
    }
}

/// Starts logging on this shard: opens (or creates) its files and its tasks.
/// `fresh`: turned on at run time, the files on disk are stale (see `Aof::open`).
pub async fn start(shard: &Rc<Shard>, manifest: Option<Manifest>, fresh: bool) -> Result<(), String> {
    let config = shard.shared.config();
    let dir = shard_dir(&config.dir, &config.aof.dirname, shard.id);
    std::fs::create_dir_all(&dir).map_err(|e| format!("Can't create the AOF directory {}: {e}", dir.display()))?;
    let aof = Aof::open(dir, config.aof.filename.clone(), manifest.unwrap_or_default(), fresh).await?;
    *shard.aof.borrow_mut() = Some(aof);
    shard.data.borrow_mut().dbs.iter_mut().for_each(|d| d.keep_expired_keys(true));
    let queue = shard.conn_queue.get().expect("conn queue set at start");
    glommio::spawn_local_into(flusher(shard.clone()), queue).map_err(|e| e.to_string())?.detach();
    glommio::spawn_local_into(ticker(shard.clone()), queue).map_err(|e| e.to_string())?.detach();
    shard.shared.aof_on.store(true, Ordering::Release);
    Ok(())
}

/// CONFIG SET of the AOF's directives: a new fsync policy applies from the
/// next flush round; `appendonly yes` starts logging on every shard and a
/// first image (a rewrite) before the reply, as Redis starts its rewrite
/// before it replies; `appendonly no` flushes and stops.
pub async fn config_changed(shard: &Rc<Shard>, old: &crate::config::AofConfig, new: &crate::config::AofConfig) {
    shard.shared.set_fsync(new.fsync);
    if old.enabled == new.enabled {
        return;
    }
    if !new.enabled {
        shard.shared.aof_on.store(false, Ordering::Release);
    }
    let on = new.enabled;
    let mut waits = Vec::new();
    for target in 0..shard.shared.shards {
        let (tx, rx) = oneshot();
        post(shard, target, move |s| {
            let s = s.rc();
            let queue = s.conn_queue.get().expect("conn queue set at start");
            let task = async move {
                if on {
                    turn_on(&s).await
                } else {
                    turn_off(&s).await
                }
                tx.send(());
            };
            if let Ok(t) = glommio::spawn_local_into(task, queue) {
                t.detach();
            }
        });
        waits.push(rx);
    }
    for rx in waits {
        let _ = rx.await;
    }
}

async fn turn_on(shard: &Rc<Shard>) {
    if shard.aof.borrow().is_some() {
        return;
    }
    let config = shard.shared.config();
    let dir = shard_dir(&config.dir, &config.aof.dirname, shard.id);
    let started = match read_manifest(&dir, &config.aof.filename) {
        Ok(m) => start(shard, m, true).await,
        Err(e) => Err(e),
    };
    match started.map(|_| crate::aof_rewrite::start(shard)) {
        Ok(Ok(())) => {}
        Ok(Err(e)) => log::warn!("Shard {} could not write the first AOF image: {e}", shard.id),
        Err(e) => log::warn!("Shard {} could not turn the AOF on: {e}", shard.id),
    }
}

async fn turn_off(shard: &Rc<Shard>) {
    wait_all(shard, &[shard.id], true).await;
    if shard.aof.borrow_mut().take().is_some() {
        shard.data.borrow_mut().dbs.iter_mut().for_each(|d| d.keep_expired_keys(false));
    }
}
