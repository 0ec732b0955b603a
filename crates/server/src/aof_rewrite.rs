//! AOF rewrite (BGREWRITEAOF, automatic by growth, and turning the AOF on at
//! run time): compacts a shard's log into a base image without fork and
//! without stopping the shard.
//!
//! At one instant the log moves on to a new incremental file and every
//! database starts a snapshot (`engine::Db::begin_snapshot`). A low-priority
//! task then serialises the snapshot in slices into a new base file, while
//! commands keep running and logging into the new incremental file; a key
//! the task has not reached is serialised just before its first change. The
//! new base plus the new incremental file replay to the live state; the
//! manifest switches to them only once the base is on disk.
//!
//! Multi-shard writes the base absorbed lose their log markers, so the base
//! starts with `TESSERA-BASE <run> <next txn>`: every multi-shard write this
//! shard took part in with a lower number is in it. The switch waits until
//! the shard holds no locks, so no such write is half applied at that instant.

use crate::aof::{self, write_manifest};
use crate::shard::Shard;
use engine::serialize::command;
use glommio::io::BufferedFile;
use std::path::Path;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::time::Instant;

pub const BASE: &str = "tessera-base";
/// Keys per slice: small enough that a slice of small keys takes microseconds.
const SLICE: usize = 128;
const WRITE_AT: usize = 256 * 1024;

/// Rewrite bookkeeping of one shard, for INFO and to refuse a second rewrite.
#[derive(Default, Clone)]
pub struct RewriteStats {
    pub in_progress: Option<Instant>,
    pub rewrites: u64,
    pub last_secs: i64,
    pub last_ok: bool,
    pub consecutive_failures: u64,
}

/// Starts a rewrite of this shard's log in the background, unless one runs.
pub fn start(shard: &Rc<Shard>) -> Result<(), &'static str> {
    let mut aof = shard.aof.borrow_mut();
    let Some(a) = aof.as_mut() else { return Err("ERR the append only file is off (appendonly no)") };
    if a.rewrite.in_progress.is_some() {
        return Err("ERR Background append only file rewriting already in progress");
    }
    a.rewrite.in_progress = Some(Instant::now());
    let queue = shard.background_queue.get().expect("background queue set at start");
    let s = shard.clone();
    let task = glommio::spawn_local_into(
        async move {
            let started = Instant::now();
            let result = rewrite(&s).await;
            // A failed rewrite leaves snapshots open: close them so the next one starts clean.
            s.data.borrow_mut().dbs.iter_mut().for_each(|d| d.end_snapshot());
            if let Some(a) = s.aof.borrow_mut().as_mut() {
                let r = &mut a.rewrite;
                r.in_progress = None;
                r.last_secs = started.elapsed().as_secs() as i64;
                r.last_ok = result.is_ok();
                match &result {
                    Ok(()) => {
                        r.rewrites += 1;
                        r.consecutive_failures = 0;
                        a.rewrite_base_size = a.current_size();
                    }
                    Err(_) => r.consecutive_failures += 1,
                }
            }
            match result {
                Ok(()) => log::info!("Background AOF rewrite of shard {} finished successfully", s.id),
                Err(e) => log::warn!("Background AOF rewrite of shard {} failed: {e}", s.id),
            }
        },
        queue,
    );
    match task {
        Ok(t) => {
            t.detach();
            Ok(())
        }
        Err(_) => {
            a.rewrite.in_progress = None;
            Err("ERR could not start the rewrite task")
        }
    }
}

/// How the name of a base being written starts.
const TEMP_PREFIX: &str = "temp-rewriteaof-";

async fn rewrite(shard: &Rc<Shard>) -> Result<(), String> {
    let (file, incr) = aof::new_incr(&shard.aof).await?;
    let (dir, filename, seq) = {
        let aof = shard.aof.borrow();
        let a = aof.as_ref().ok_or("AOF turned off")?;
        (a.dir.clone(), a.filename.clone(), a.manifest.seq)
    };
    let tmp = dir.join(format!("{TEMP_PREFIX}{}-{seq}.aof", shard.id));
    let base = BufferedFile::create(&tmp).await.map_err(|e| format!("Can't create {}: {e}", tmp.display()))?;
    // Until the base is done, a restart replays the old files and the new one:
    // the manifest names the new one before anything is written to it.
    let (on_disk, mut during) = {
        let aof = shard.aof.borrow();
        let a = aof.as_ref().ok_or("AOF turned off")?;
        (a.manifest_on_disk, a.manifest.clone())
    };
    during.incrs.push(incr.clone());
    if on_disk {
        store_manifest(&dir, &filename, during, None, Vec::new()).await?;
    }
    // The instant of the image: no await from here to the snapshots' start.
    shard.snapshot_slot(true).await;
    let watermark = shard.shared.next_txn.load(Ordering::SeqCst);
    {
        let mut aof = shard.aof.borrow_mut();
        let a = aof.as_mut().ok_or("AOF turned off")?;
        a.switch_file(file);
        a.manifest.incrs.push(incr.clone());
        let mut data = shard.data.borrow_mut();
        for (i, db) in data.dbs.iter_mut().enumerate() {
            db.begin_snapshot(i, engine::serialize::entry);
        }
    }
    log::info!("Background append only file rewriting started for shard {}", shard.id);

    let mut buf = Vec::with_capacity(WRITE_AT + 64 * 1024);
    command(&mut buf, &[BASE.as_bytes(), shard.shared.run_token().as_bytes(), watermark.to_string().as_bytes()]);
    let (mut pos, mut selected) = (0u64, None);
    let databases = shard.data.borrow().dbs.len();
    let mut pacer = crate::shard::Pacer::start();
    for i in 0..databases {
        loop {
            let (done, output) = {
                let mut data = shard.data.borrow_mut();
                let done = data.dbs[i].snapshot_step(SLICE);
                // Any database may have serialised keys ahead of a change; collect them all.
                let output: Vec<(usize, Vec<u8>)> =
                    data.dbs.iter_mut().filter_map(|d| d.take_snapshot_output()).filter(|o| !o.1.is_empty()).collect();
                (done, output)
            };
            for (index, bytes) in output {
                if selected != Some(index) {
                    command(&mut buf, &[b"SELECT".as_slice(), index.to_string().as_bytes()]);
                    selected = Some(index);
                }
                buf.extend_from_slice(&bytes);
            }
            if buf.len() >= WRITE_AT {
                pos += write(&base, std::mem::replace(&mut buf, Vec::with_capacity(WRITE_AT + 64 * 1024)), pos).await?;
            }
            if done {
                break;
            }
            pacer.pause_if_due().await;
        }
    }
    let base_len = pos + buf.len() as u64;
    write(&base, buf, pos).await?;
    base.fdatasync().await.map_err(|e| format!("Can't fsync {}: {e}", tmp.display()))?;
    base.close().await.map_err(|e| format!("Can't close {}: {e}", tmp.display()))?;
    let base_name = format!("{filename}.{seq}.base.aof");
    let mut done = shard.aof.borrow().as_ref().ok_or("AOF turned off")?.manifest.clone();
    // Files added while this ran (none today) stay after ours.
    let at = done.incrs.iter().position(|f| *f == incr).unwrap_or(0);
    done.base = Some(base_name.clone());
    done.incrs.drain(..at);
    store_manifest(&dir, &filename, done.clone(), Some((tmp, base_name)), done.files()).await?;
    let mut aof = shard.aof.borrow_mut();
    let a = aof.as_mut().ok_or("AOF turned off")?;
    a.manifest = done;
    a.manifest_on_disk = true;
    a.base_size = base_len;
    Ok(())
}

/// Off the shard's thread (a rename, fsyncs and unlinking old files can take
/// milliseconds): renames the new base into place if given, writes the
/// manifest, then deletes files it no longer names unless `keep` is empty.
async fn store_manifest(
    dir: &Path,
    filename: &str,
    manifest: aof::Manifest,
    rename: Option<(std::path::PathBuf, String)>,
    keep: Vec<String>,
) -> Result<(), String> {
    let (dir, filename) = (dir.to_path_buf(), filename.to_string());
    glommio::executor()
        .spawn_blocking(move || {
            if let Some((from, to)) = rename {
                std::fs::rename(&from, dir.join(to)).map_err(|e| format!("Can't rename the new base file: {e}"))?;
            }
            write_manifest(&dir, &filename, &manifest).map_err(|e| format!("Can't write the AOF manifest: {e}"))?;
            if !keep.is_empty() {
                remove_other_files(&dir, &filename, &keep);
            }
            Ok(())
        })
        .await
}

async fn write(file: &BufferedFile, bytes: Vec<u8>, pos: u64) -> Result<u64, String> {
    let len = bytes.len();
    match file.write_at(bytes, pos).await {
        Ok(n) if n == len => Ok(n as u64),
        Ok(n) => Err(format!("short write to the new base file ({n} of {len} bytes)")),
        Err(e) => Err(format!("Can't write the new base file: {e}")),
    }
}

/// Deletes the files of this log that the manifest no longer names.
fn remove_other_files(dir: &Path, filename: &str, keep: &[String]) {
    let manifest = aof::manifest_name(filename);
    remove_files(dir, |name| {
        let ours = name.starts_with(filename) || name.starts_with(TEMP_PREFIX);
        ours && name != manifest && !keep.iter().any(|k| k == name)
    });
}

/// Deletes the temporary base of a rewrite that a shutdown or crash cut
/// short: no manifest names it, and nothing else would remove it until the
/// next rewrite finished.
pub fn remove_leftover_temp(dir: &Path) {
    for name in remove_files(dir, |name| name.starts_with(TEMP_PREFIX)) {
        log::info!("Removed {}, left by an unfinished AOF rewrite", dir.join(name).display());
    }
}

/// Deletes the files in `dir` whose name `doomed` picks; returns the names removed.
fn remove_files(dir: &Path, doomed: impl Fn(&str) -> bool) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut removed = Vec::new();
    for e in entries.filter_map(Result::ok) {
        let name = e.file_name().to_string_lossy().into_owned();
        if doomed(&name) {
            match std::fs::remove_file(e.path()) {
                Ok(()) => removed.push(name),
                Err(err) => log::warn!("Can't remove the AOF file {name}: {err}"),
            }
        }
    }
    removed
}

/// Whether the log grew enough since the last rewrite for an automatic one
/// (`auto-aof-rewrite-percentage`, `auto-aof-rewrite-min-size`, as Redis).
pub fn due(shard: &Shard) -> bool {
    let config = shard.shared.config.read().map(|c| c.aof.clone());
    let Ok(config) = config else { return false };
    let aof = shard.aof.borrow();
    let Some(a) = aof.as_ref() else { return false };
    if config.auto_rewrite_percentage == 0 || a.rewrite.in_progress.is_some() {
        return false;
    }
    let current = a.current_size();
    let base = a.rewrite_base_size.max(1);
    current > config.auto_rewrite_min_size
        && (current * 100 / base).saturating_sub(100) >= config.auto_rewrite_percentage
}

/// BGREWRITEAOF: every shard rewrites its own log, in the background.
pub async fn bgrewriteaof(shard: &Rc<Shard>, _: &mut crate::dispatch::Client, _: &[bytes::Bytes]) -> resp::Reply {
    let started = crate::shard::call_all(shard, |s| start(&s.rc())).await;
    match started.into_iter().find_map(Result::err) {
        // A shard still busy with an automatic rewrite refuses: so does the command, as Redis.
        Some(e) => resp::Reply::error(e),
        None => resp::Reply::status("Background append only file rewriting started"),
    }
}
