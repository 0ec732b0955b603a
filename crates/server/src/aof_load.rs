//! Loading the AOF at start, and checking (or fixing) an AOF file.
//!
//! Each shard replays its own files on its own executor, all in parallel,
//! with the clock stopped (nothing expires during replay; expired keys are
//! dropped, and logged as DELs, once it is done). Transactions replay whole
//! or not at all; a multi-shard write's part replays only if every shard it
//! touched logged its part whole, which `complete_transactions` finds first.

use crate::aof::{read_manifest, shard_dir, Manifest, ABORT, TXN};
use crate::aof_rewrite::BASE;
use crate::commands::{self, Exec};
use crate::shard::Shard;
use bytes::Bytes;
use engine::{Ctx, ShardData};
use hashbrown::HashSet;
use std::io::Read;
use std::path::Path;
use std::rc::Rc;
use std::sync::atomic::Ordering;

/// One command read from an AOF.
pub enum Parsed {
    Command(Vec<Bytes>, usize),
    /// The data ends inside a command.
    Truncated,
}

/// Reads the RESP command at `pos` of `data`: `*N` then N `$len` bulks.
/// Returns the command and the offset after it.
pub fn parse_command(data: &Bytes, pos: usize) -> Result<Parsed, String> {
    fn line(data: &[u8], at: usize) -> Option<(&[u8], usize)> {
        let end = data[at..].windows(2).position(|w| w == b"\r\n")?;
        Some((&data[at..at + end], at + end + 2))
    }
    fn number(s: &[u8], what: &str) -> Result<usize, String> {
        std::str::from_utf8(s).ok().and_then(|s| s.parse().ok()).ok_or_else(|| format!("invalid {what}"))
    }
    if data[pos] != b'*' {
        return Err("expected '*'".into());
    }
    let Some((n, mut at)) = line(data, pos + 1) else { return Ok(Parsed::Truncated) };
    let n = number(n, "array length")?;
    if n == 0 || n > 1 << 30 {
        return Err("invalid array length".into());
    }
    let mut args = Vec::with_capacity(n.min(1024));
    for _ in 0..n {
        if at >= data.len() {
            return Ok(Parsed::Truncated);
        }
        if data[at] != b'$' {
            return Err("expected '$'".into());
        }
        let Some((len, start)) = line(data, at + 1) else { return Ok(Parsed::Truncated) };
        let len = number(len, "bulk length")?;
        let end = start.checked_add(len).ok_or("invalid bulk length")?;
        if end + 2 > data.len() {
            return Ok(Parsed::Truncated);
        }
        if &data[end..end + 2] != b"\r\n" {
            return Err("expected CRLF after a bulk string".into());
        }
        args.push(data.slice(start..end));
        at = end + 2;
    }
    Ok(Parsed::Command(args, at))
}

/// What reading one file found.
#[derive(Debug, PartialEq)]
pub struct FileReport {
    /// Commands read whole.
    pub commands: usize,
    /// Where the last complete command (outside an open MULTI) ends.
    pub valid_len: usize,
    pub len: usize,
    /// A parse error: (offset, why).
    pub error: Option<(usize, String)>,
}

/// An AOF file's commands in order, read a chunk at a time: loading a file
/// of any size holds one chunk (or one command, if it is bigger) in memory,
/// not the whole file.
pub struct Commands<R> {
    src: R,
    /// Data read and not yet parsed; it starts at file offset `at`.
    buf: Bytes,
    at: usize,
    len: usize,
    eof: bool,
    chunk: usize,
}

/// Where a file stops making sense, and why.
pub type BadCommand = (usize, String);

/// Bytes read from an AOF at a time.
const READ_CHUNK: usize = 1 << 20;

impl Commands<std::fs::File> {
    pub fn open(path: &Path) -> Result<Self, String> {
        let fail = |e: std::io::Error| format!("Can't open the append only file {}: {e}", path.display());
        let file = std::fs::File::open(path).map_err(fail)?;
        let len = file.metadata().map_err(fail)?.len() as usize;
        Ok(Commands::new(file, len, READ_CHUNK))
    }
}

impl<R: Read> Commands<R> {
    /// Commands read from `src`, which holds `len` bytes, `chunk` bytes at a time.
    pub fn new(src: R, len: usize, chunk: usize) -> Self {
        Commands { src, buf: Bytes::new(), at: 0, len, eof: false, chunk }
    }

    /// The file offset after the last command returned.
    pub fn offset(&self) -> usize {
        self.at
    }

    /// The next command and its offset; `None` at the end of the file or
    /// where it ends inside a command. An error comes with its offset.
    pub fn next(&mut self) -> Result<Option<(Vec<Bytes>, usize)>, BadCommand> {
        loop {
            if !self.buf.is_empty() {
                match parse_command(&self.buf, 0) {
                    Ok(Parsed::Command(args, n)) => {
                        let at = self.at;
                        self.buf = self.buf.slice(n..);
                        self.at += n;
                        return Ok(Some((args, at)));
                    }
                    Ok(Parsed::Truncated) => {}
                    Err(e) => return Err((self.at, e)),
                }
            }
            if self.eof || !self.fill().map_err(|e| (self.at + self.buf.len(), format!("read error: {e}")))? {
                return Ok(None);
            }
        }
    }

    /// Reads more after what is buffered (at least as much again, so a big
    /// command is copied a bounded number of times); false at the end.
    fn fill(&mut self) -> std::io::Result<bool> {
        let want = self.chunk.max(self.buf.len());
        let mut next = bytes::BytesMut::with_capacity(self.buf.len() + want);
        next.extend_from_slice(&self.buf);
        let start = next.len();
        next.resize(start + want, 0);
        let mut got = 0;
        while got < want {
            match self.src.read(&mut next[start + got..]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        next.truncate(start + got);
        self.buf = next.freeze();
        Ok(got > 0)
    }
}

/// Walks a file's commands, calling `f` with each and its offset; stops at
/// the first error or at a truncated tail. `valid_len` never cuts a MULTI in half.
pub fn walk<R: Read>(cmds: &mut Commands<R>, mut f: impl FnMut(Vec<Bytes>, usize)) -> FileReport {
    let (mut commands, mut valid_len, mut in_multi) = (0, 0, false);
    let len = cmds.len;
    loop {
        match cmds.next() {
            Ok(Some((args, at))) => {
                let name = args[0].to_ascii_lowercase();
                match name.as_slice() {
                    b"multi" => in_multi = true,
                    b"exec" => in_multi = false,
                    _ => {}
                }
                commands += 1;
                f(args, at);
                // A multi-shard write's marker belongs with the MULTI after it.
                if !in_multi && name != TXN.as_bytes() {
                    valid_len = cmds.offset();
                }
            }
            Ok(None) => return FileReport { commands, valid_len, len, error: None },
            Err(e) => return FileReport { commands, valid_len, len, error: Some(e) },
        }
    }
}

/// What one shard's files say about multi-shard writes.
#[derive(Default)]
struct TxnMarks {
    /// Writes whose part this shard logged whole, with the shards taking part.
    logged: Vec<(String, Vec<usize>)>,
    /// The base's `TESSERA-BASE <run> <next txn>`: writes below it are in the base.
    base: Option<(String, u64)>,
    /// Writes an earlier start found incomplete and skipped.
    aborted: Vec<String>,
}

/// Splits a multi-shard write's id `<start ms>.<pid>-<n>` into run and number.
fn split_txn_id(id: &str) -> Option<(&str, u64)> {
    let (run, n) = id.rsplit_once('-')?;
    Some((run, n.parse().ok()?))
}

/// Whether a base written in run `base_run` before write number `below` holds write `id`.
fn base_holds(base_run: &str, below: u64, id: &str) -> bool {
    let Some((run, n)) = split_txn_id(id) else { return false };
    let start = |r: &str| r.split('.').next().and_then(|s| s.parse::<u64>().ok()).unwrap_or(0);
    if run == base_run {
        n < below
    } else {
        start(run) < start(base_run)
    }
}

fn txn_marks(sdir: &Path, filename: &str) -> Result<TxnMarks, String> {
    let mut marks = TxnMarks::default();
    let Some(m) = read_manifest(sdir, filename)? else { return Ok(marks) };
    for name in m.files() {
        let mut cmds = Commands::open(&sdir.join(&name))?;
        // A marker counts once its EXEC is read.
        let mut open: Option<(String, Vec<usize>)> = None;
        walk(&mut cmds, |args, _| match args[0].to_ascii_lowercase().as_slice() {
            n if n == TXN.as_bytes() && args.len() == 3 => {
                let shards = String::from_utf8_lossy(&args[2]).split(',').filter_map(|s| s.parse().ok()).collect();
                open = Some((String::from_utf8_lossy(&args[1]).into_owned(), shards));
            }
            n if n == BASE.as_bytes() && args.len() == 3 => {
                let below = std::str::from_utf8(&args[2]).ok().and_then(|s| s.parse().ok()).unwrap_or(0);
                marks.base = Some((String::from_utf8_lossy(&args[1]).into_owned(), below));
            }
            b"exec" => marks.logged.extend(open.take()),
            n if n == ABORT.as_bytes() && args.len() == 2 => {
                marks.aborted.push(String::from_utf8_lossy(&args[1]).into_owned())
            }
            _ => {}
        });
    }
    Ok(marks)
}

/// The ids of multi-shard writes that every shard taking part logged whole:
/// reads every shard's files, one thread per shard.
pub fn complete_transactions(
    dir: &str,
    dirname: &str,
    filename: &str,
    shards: usize,
) -> Result<HashSet<String>, String> {
    let marks: Vec<TxnMarks> = std::thread::scope(|scope| {
        let handles: Vec<_> =
            (0..shards).map(|id| scope.spawn(move || txn_marks(&shard_dir(dir, dirname, id), filename))).collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err("AOF scan thread panicked".into())))
            .collect::<Result<_, String>>()
    })?;
    let logged: Vec<HashSet<&str>> =
        marks.iter().map(|m| m.logged.iter().map(|(id, _)| id.as_str()).collect()).collect();
    let aborted: HashSet<&str> = marks.iter().flat_map(|m| m.aborted.iter().map(String::as_str)).collect();
    let mut complete = HashSet::new();
    for (id, participants) in marks.iter().flat_map(|m| &m.logged) {
        let whole = !aborted.contains(id.as_str())
            && participants.iter().all(|&s| {
                s < shards
                    && (logged[s].contains(id.as_str())
                        || marks[s].base.as_ref().is_some_and(|(run, below)| base_holds(run, *below, id)))
            });
        if whole {
            complete.insert(id.clone());
        }
    }
    Ok(complete)
}

/// The shard directories found on disk, to refuse a start with another shard count.
pub fn shards_on_disk(dir: &str, dirname: &str) -> usize {
    let Ok(entries) = std::fs::read_dir(Path::new(dir).join(dirname)) else { return 0 };
    entries.filter_map(Result::ok).filter(|e| e.file_name().to_string_lossy().starts_with("shard-")).count()
}

/// Replay state of one file.
struct Replay<'a> {
    /// Multi-shard writes whose part was skipped as incomplete (across all files).
    skipped: &'a mut Vec<String>,
    db: usize,
    /// Commands of an open MULTI, with the database each runs in.
    multi: Option<Vec<(usize, Vec<Bytes>)>>,
    /// The multi-shard write the open MULTI belongs to, and whether it is complete.
    txn: Option<(String, bool)>,
}

/// Applies one command to a shard's data (outside a transaction).
fn apply(data: &mut ShardData, db: &mut usize, args: &[Bytes]) -> Result<(), String> {
    let name = String::from_utf8_lossy(&args[0]).to_ascii_lowercase();
    match name.as_str() {
        "select" => {
            *db = std::str::from_utf8(&args[1])
                .ok()
                .and_then(|s| s.parse().ok())
                .filter(|&n: &usize| n < data.dbs.len())
                .ok_or_else(|| format!("SELECT {} is out of range", String::from_utf8_lossy(&args[1])))?;
        }
        "flushall" => data.dbs.iter_mut().for_each(|d| d.clear()),
        "flushdb" => data.dbs[*db].clear(),
        "swapdb" => {
            let index = |a: &Bytes| std::str::from_utf8(a).ok().and_then(|s| s.parse::<usize>().ok());
            match (index(&args[1]), index(&args[2])) {
                (Some(a), Some(b)) if a < data.dbs.len() && b < data.dbs.len() => data.dbs.swap(a, b),
                _ => return Err("SWAPDB with bad database indexes".into()),
            }
        }
        // Logged only when its keys (BY/GET patterns too) were on this shard: it replays here.
        "sort" => {
            engine::sort::sort(&mut Ctx::new(data, *db, 0), args);
        }
        _ => match commands::lookup(&args[0]).map(|c| (c, c.exec)) {
            Some((cmd, Exec::Keyed(handler))) if cmd.arity_ok(args.len()) => {
                // The clock stands still at 0: nothing expires during replay.
                handler(&mut Ctx::new(data, *db, 0), args);
            }
            _ => return Err(format!("Unknown command '{name}' reading the append only file")),
        },
    }
    Ok(())
}

/// What loading a shard's AOF found.
pub struct Loaded {
    pub manifest: Option<Manifest>,
    /// Multi-shard writes whose part here was skipped as incomplete: to be
    /// logged as aborted (see `aof::ABORT`).
    pub skipped: Vec<String>,
}

/// Replays this shard's files into its data, yielding now and then so
/// INFO and the shard's other duties keep running.
pub async fn load(shard: &Rc<Shard>, complete: &HashSet<String>) -> Result<Loaded, String> {
    let config = shard.shared.config();
    let dir = shard_dir(&config.dir, &config.aof.dirname, shard.id);
    let mut skipped = Vec::new();
    crate::aof_rewrite::remove_leftover_temp(&dir);
    let Some(manifest) = read_manifest(&dir, &config.aof.filename)? else {
        return Ok(Loaded { manifest: None, skipped });
    };
    let files = manifest.files();
    for (i, name) in files.iter().enumerate() {
        let path = dir.join(name);
        // Check the whole file first: a corrupt one must not be half applied.
        let report = walk(&mut Commands::open(&path)?, |_, _| {});
        shard.shared.loading_total_bytes.fetch_add(report.len as u64, Ordering::Relaxed);
        if let Some((at, why)) = &report.error {
            return Err(format!(
                "Bad file format reading the append only file {} at offset {at}: {why}. \
                 Make a backup of your AOF file, then use tessera --check-aof --fix <filename.manifest>.",
                path.display()
            ));
        }
        let mut r = Replay { skipped: &mut skipped, db: 0, multi: None, txn: None };
        let mut cmds = Commands::open(&path)?;
        let (mut done, mut n) = (0, 0u64);
        while cmds.offset() < report.valid_len {
            let Ok(Some((args, at))) = cmds.next() else { break };
            replay_one(shard, &mut r, args, complete).map_err(|e| format!("{e} {} at offset {at}", path.display()))?;
            let pos = cmds.offset();
            n += 1;
            if n % 1024 == 0 {
                shard.shared.loading_loaded_bytes.fetch_add((pos - done) as u64, Ordering::Relaxed);
                done = pos;
                glommio::yield_if_needed().await;
            }
        }
        shard.shared.loading_loaded_bytes.fetch_add((report.len - done) as u64, Ordering::Relaxed);
        if report.valid_len < report.len {
            let last = i + 1 == files.len();
            if !last || !config.aof.load_truncated {
                return Err(format!(
                    "Unexpected end of file reading the append only file {} at offset {}. \
                     Use tessera --check-aof --fix <filename.manifest> or set aof-load-truncated yes.",
                    path.display(),
                    report.valid_len
                ));
            }
            log::warn!(
                "!!! Warning: short read while loading the AOF file {}!!! AOF loaded anyway because \
                 aof-load-truncated is enabled: truncating it from {} to {} bytes",
                path.display(),
                report.len,
                report.valid_len
            );
            let f = std::fs::OpenOptions::new().write(true).open(&path).map_err(|e| e.to_string())?;
            f.set_len(report.valid_len as u64)
                .and_then(|_| f.sync_all())
                .map_err(|e| format!("Error truncating the AOF file {}: {e}", path.display()))?;
        }
    }
    Ok(Loaded { manifest: Some(manifest), skipped })
}

fn replay_one(shard: &Shard, r: &mut Replay, args: Vec<Bytes>, complete: &HashSet<String>) -> Result<(), String> {
    let name = args[0].to_ascii_lowercase();
    let mut data = shard.data.borrow_mut();
    match name.as_slice() {
        n if n == TXN.as_bytes() => {
            let id = String::from_utf8_lossy(args.get(1).map_or(&b""[..], |a| &a[..])).into_owned();
            let whole = complete.contains(&id);
            r.txn = Some((id, whole));
        }
        // Notes for `complete_transactions` only.
        n if n == BASE.as_bytes() || n == ABORT.as_bytes() => {}
        b"multi" => r.multi = Some(Vec::new()),
        b"exec" => {
            let queued = r.multi.take().ok_or("EXEC without MULTI")?;
            let txn = r.txn.take();
            if let Some((id, false)) = txn {
                r.skipped.push(id);
            } else {
                for (db, args) in queued {
                    let mut db = db;
                    apply(&mut data, &mut db, &args)?;
                }
            }
        }
        _ => match &mut r.multi {
            Some(queued) => {
                if name == b"select" {
                    // Runs now for the database the rest of the queue names; replays in order anyway.
                    apply(&mut data, &mut r.db, &args)?;
                }
                queued.push((r.db, args));
            }
            None => apply(&mut data, &mut r.db, &args)?,
        },
    }
    Ok(())
}

/// `tessera --check-aof [--fix] FILE`: reports whether an AOF file (or every
/// file a manifest names) reads whole, and with --fix cuts a torn tail off.
/// Returns the process exit code.
pub fn check_aof(args: &[String]) -> i32 {
    let fix = args.iter().any(|a| a == "--fix");
    let Some(target) = args.iter().find(|a| !a.starts_with("--")) else {
        eprintln!("Usage: tessera --check-aof [--fix] <file.manifest|file.aof>");
        return 1;
    };
    let path = Path::new(target);
    let files: Vec<std::path::PathBuf> = if target.ends_with(".manifest") {
        let dir = path.parent().unwrap_or(Path::new("."));
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("Cannot open file {target}: {e}");
                return 1;
            }
        };
        match Manifest::parse(&text) {
            Ok(m) => m.files().iter().map(|f| dir.join(f)).collect(),
            Err(e) => {
                eprintln!("{e}");
                return 1;
            }
        }
    } else {
        vec![path.to_path_buf()]
    };
    for (i, file) in files.iter().enumerate() {
        let report = match Commands::open(file) {
            Ok(mut cmds) => walk(&mut cmds, |_, _| {}),
            Err(e) => {
                eprintln!("{e}");
                return 1;
            }
        };
        let shown = file.display();
        if let Some((at, why)) = report.error {
            println!("{shown}: bad format at offset {at}: {why} ({} commands read before it)", report.commands);
            println!("AOF {shown} is not valid. Corruption in the middle of a file can't be fixed automatically.");
            return 1;
        }
        if report.valid_len < report.len {
            let last = i + 1 == files.len();
            println!(
                "{shown}: truncated: {} of {} bytes hold whole commands ({} bytes to cut off)",
                report.valid_len,
                report.len,
                report.len - report.valid_len
            );
            if !fix || !last {
                println!("AOF {shown} is not valid. Use the --fix option to try fixing it.");
                return 1;
            }
            match std::fs::OpenOptions::new().write(true).open(file).and_then(|f| f.set_len(report.valid_len as u64)) {
                Ok(()) => println!("Successfully truncated AOF {shown}"),
                Err(e) => {
                    println!("Failed to truncate AOF {shown}: {e}");
                    return 1;
                }
            }
        } else {
            println!("AOF {shown} is valid ({} commands)", report.commands);
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `walk` over `text` read `chunk` bytes at a time.
    fn walk_text(text: &str, chunk: usize) -> FileReport {
        walk(&mut Commands::new(text.as_bytes(), text.len(), chunk), |_, _| {})
    }

    /// The same report whatever the read size (commands straddle chunks, or are bigger than one).
    fn walk_all(text: &str) -> FileReport {
        let r = walk_text(text, READ_CHUNK);
        for chunk in [1, 2, 7, 16] {
            assert_eq!(walk_text(text, chunk), r, "chunk {chunk}");
        }
        r
    }

    #[test]
    fn a_torn_tail_is_found_and_multi_is_never_cut_in_half() {
        let whole = "*2\r\n$3\r\nDEL\r\n$1\r\na\r\n";
        let multi = "*1\r\n$5\r\nMULTI\r\n*2\r\n$3\r\nDEL\r\n$1\r\nb\r\n";
        let r = walk_all(&format!("{whole}{multi}"));
        assert_eq!((r.commands, r.valid_len, r.error), (3, whole.len(), None));
        let r = walk_all(&format!("{whole}*2\r\n$3\r\nDE"));
        assert_eq!((r.commands, r.valid_len), (1, whole.len()));
        let r = walk_all(&format!("{whole}{multi}*1\r\n$4\r\nEXEC\r\n"));
        assert_eq!(r.valid_len, r.len);
    }

    #[test]
    fn garbage_is_an_error_with_its_offset() {
        let whole = "*2\r\n$3\r\nDEL\r\n$1\r\na\r\n";
        let r = walk_all(&format!("{whole}xyz\r\n{whole}"));
        assert_eq!(r.error.map(|e| e.0), Some(whole.len()));
        let r = walk_all("*1\r\n$3\r\nabcd\r\n");
        assert!(r.error.is_some());
    }

    #[test]
    fn commands_come_whole_and_in_order_whatever_the_read_size() {
        let big = "x".repeat(5000);
        let text = format!("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n${}\r\n{big}\r\n*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n", big.len());
        for chunk in [1, 3, 64, 4096, READ_CHUNK] {
            let mut cmds = Commands::new(text.as_bytes(), text.len(), chunk);
            let mut seen = Vec::new();
            while let Some((args, at)) = cmds.next().unwrap() {
                seen.push((args, at));
            }
            assert_eq!(seen.len(), 2, "chunk {chunk}");
            assert_eq!((seen[0].0[2].len(), seen[0].1), (5000, 0));
            assert_eq!((&seen[1].0[1][..], seen[1].1), (&b"k"[..], text.len() - 20));
            assert_eq!(cmds.offset(), text.len());
        }
    }

    #[test]
    fn a_base_holds_the_writes_numbered_below_its_mark_and_all_of_earlier_runs() {
        assert!(base_holds("2000.7", 10, "2000.7-9"));
        assert!(!base_holds("2000.7", 10, "2000.7-10"));
        assert!(base_holds("2000.7", 0, "1999.8-500"));
        assert!(!base_holds("2000.7", 99, "2001.8-1"));
    }

    #[test]
    fn manifest_round_trips() {
        let text = "file appendonly.aof.2.base.aof seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n\
                    file appendonly.aof.3.incr.aof seq 3 type i\n";
        let m = Manifest::parse(text).unwrap();
        assert_eq!((m.base.as_deref(), m.incrs.len(), m.seq), (Some("appendonly.aof.2.base.aof"), 2, 3));
        assert_eq!(m.render(), text);
    }
}
