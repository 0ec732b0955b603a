//! Routing and executing a connection's requests.
//!
//! A batch of pipelined requests is planned in order: commands whose keys
//! live on one shard are grouped per shard (one message per remote shard, the
//! local group runs inline); a command whose keys span shards, or that spans
//! every shard, first waits for the groups before it, then runs on its own.
//!
//! Multi-shard keyed commands are atomic: their keys are locked shard by
//! shard in ascending order (the lock request also fetches the keys'
//! entries), the command's ordinary handler runs over those entries on a
//! scratch shard, and the written keys go back with the unlock. Other
//! commands touching those keys wait on the locks, so nobody sees half of one.

use crate::commands::{self, Command, Exec};
use crate::locks::{LockKey, Mode, Waiter, EVERYTHING};
use crate::mailbox::{oneshot, OneshotSender};
use crate::shard::{post, Shard};
use bytes::Bytes;
use engine::{now_ms, Ctx, Entry, Handler, ShardData};
use resp::{Reply, RequestParser};
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

/// What CLIENT LIST and CLIENT KILL see of a connection, shared with its shard's registry.
pub struct ClientEntry {
    pub id: u64,
    pub addr: String,
    pub laddr: String,
    /// The socket, for a blocked client to check its peer is still there.
    pub fd: std::os::fd::RawFd,
    pub created: Instant,
    pub name: RefCell<Option<Bytes>>,
    pub db: Cell<usize>,
    pub resp: Cell<u8>,
    /// The command being run, or the last one (`NULL` before any).
    pub last_cmd: Cell<&'static str>,
    pub last_active: Cell<Instant>,
    pub killed: Cell<bool>,
    /// Waiting in a blocking command (INFO's blocked_clients, CLIENT LIST's `b` flag).
    pub blocked: Cell<bool>,
    /// CLIENT UNBLOCK's request to end that wait: `Some(true)` to fail with an error.
    pub unblocked: Cell<Option<bool>>,
    pub waker: RefCell<Option<Waker>>,
}

impl ClientEntry {
    pub fn kill(&self) {
        self.killed.set(true);
        self.wake();
    }

    /// CLIENT UNBLOCK: ends the client's blocking command, if it is in one.
    pub fn unblock(&self, error: bool) -> bool {
        if !self.blocked.get() || self.unblocked.get().is_some() {
            return false;
        }
        self.unblocked.set(Some(error));
        self.wake();
        true
    }

    fn wake(&self) {
        if let Some(w) = self.waker.borrow_mut().take() {
            w.wake();
        }
    }
}

/// Resolves when the client is killed (CLIENT KILL) or, in a blocking
/// command, unblocked (CLIENT UNBLOCK): what a connection waiting on its
/// socket or on a key abandons that wait for.
pub struct Interrupted<'a>(pub &'a ClientEntry);

impl Future for Interrupted<'_> {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0.killed.get() || self.0.unblocked.get().is_some() {
            return Poll::Ready(());
        }
        *self.0.waker.borrow_mut() = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// A connection's protocol state.
pub struct Client {
    pub entry: Rc<ClientEntry>,
    pub db: usize,
    pub resp3: bool,
    pub authenticated: bool,
    pub parser: RequestParser,
    /// Set by QUIT: close once the replies so far are written.
    pub close: bool,
    /// Commands queued since MULTI.
    pub multi: Option<crate::multi::Queue>,
    /// Keys watched for the next EXEC.
    pub watching: Option<crate::watch::Watching>,
    /// Shards whose AOF took writes of this batch: the replies wait for their logs.
    pub logged: Vec<usize>,
    /// Set while this client's EXEC holds the whole keyspace ([`KeyspaceLock`]):
    /// its commands run on the shards directly instead of locking again.
    pub keyspace_held: bool,
}

impl Client {
    fn logged_on(&mut self, shard: usize) {
        if !self.logged.contains(&shard) {
            self.logged.push(shard);
        }
    }
}

/// One command bound for a shard.
pub struct Item {
    pub index: usize,
    pub cmd: &'static Command,
    pub handler: Handler,
    pub args: Vec<Bytes>,
    pub db: usize,
    pub mode: Mode,
}

pub type Replies = Vec<(usize, Reply)>;

/// Runs one command on this shard at time `now` (one clock read serves a
/// whole batch: it runs within microseconds, expiry works in milliseconds).
fn exec(shard: &Shard, item: &Item, now: u64) -> Reply {
    shard.stats.commands.set(shard.stats.commands.get() + 1);
    let (reply, said_unchanged) = {
        let mut data = shard.data.borrow_mut();
        let mut ctx = Ctx::new(&mut data, item.db, now);
        let reply = (item.handler)(&mut ctx, &item.args);
        let said_unchanged = ctx.unchanged;
        if item.mode == Mode::Write || item.cmd.has(commands::MAY_REPLICATE) {
            if let Some(aof) = shard.aof.borrow_mut().as_mut() {
                aof.record(&mut data, Some(item.db), |out| {
                    crate::aof_record::record(out, item.cmd.name, &item.args, &reply, now)
                });
            }
        }
        (reply, said_unchanged)
    };
    if item.mode == Mode::Write && !reply.is_error() {
        crate::snapshot::note_write();
    }
    // A write that did not fail may have changed its keys, unless it or its reply says it did
    // not (otherwise erring towards failing a WATCH).
    if changed(item.mode == Mode::Write, item.cmd, &reply, said_unchanged) && !shard.watches.borrow().is_empty() {
        let databases = shard.data.borrow().dbs.len();
        let watches = shard.watches.borrow();
        command_keys(item.cmd, &item.args, item.db, databases).iter().for_each(|k| watches.touch(k));
    }
    reply
}

/// Whether `cmd`, run as a write (`write`), may have changed its keys: it did not fail,
/// and neither it nor its reply says it changed nothing (erring towards failing a WATCH).
pub fn changed(write: bool, cmd: &Command, reply: &Reply, said_unchanged: bool) -> bool {
    write && !reply.is_error() && !unchanged(cmd, reply, said_unchanged)
}

/// Whether write `cmd` changed nothing: it said so (`Ctx::unchanged`), or its reply does
/// (see `commands::UNCHANGED_ON_ZERO`).
fn unchanged(cmd: &Command, reply: &Reply, said_unchanged: bool) -> bool {
    said_unchanged
        || cmd.has(commands::UNCHANGED_ON_ZERO) && matches!(reply, Reply::Int(0) | Reply::Nil | Reply::NilArray)
}

/// Runs items in order on this shard. An item whose keys are locked waits
/// (with every item after it) until they are free; `finish` gets the replies.
fn run_items(shard: &Shard, mut items: VecDeque<Item>, mut replies: Replies, finish: Box<dyn FnOnce(Replies)>) {
    let now = now_ms();
    while let Some(item) = items.pop_front() {
        // Keys are only worked out when something is locked at all.
        if !shard.locks.borrow().is_idle() {
            let databases = shard.data.borrow().dbs.len();
            let keys = command_keys(item.cmd, &item.args, item.db, databases);
            if !shard.locks.borrow().can_run(&keys, item.mode) {
                let mode = item.mode;
                items.push_front(item);
                let on_grant = Box::new(move |s: &Shard| run_items(s, items, replies, finish));
                shard.locks.borrow_mut().enqueue(Waiter { keys, mode, hold: false, on_grant });
                return;
            }
        }
        let reply = exec(shard, &item, now);
        replies.push((item.index, reply));
    }
    finish(replies)
}

/// Runs a transaction whose keys all live on this shard as one step, in
/// place: waits until none of `keys` is locked, then, unless a watched key
/// changed (`finish(None)`), runs every item back to back with no await in
/// between, so nobody sees it half done and nothing is copied.
pub fn run_transaction(
    shard: &Shard,
    items: Vec<Item>,
    keys: Vec<LockKey>,
    mode: Mode,
    watched: Option<crate::watch::Flag>,
    finish: Box<dyn FnOnce(Option<Replies>)>,
) {
    let run = move |s: &Shard| {
        if watched.is_some_and(|f| f.load(std::sync::atomic::Ordering::SeqCst)) {
            return finish(None);
        }
        let now = now_ms();
        // In the log too, the transaction is one step: replayed whole or not at all.
        if let Some(aof) = s.aof.borrow_mut().as_mut() {
            aof.begin_multi(&mut s.data.borrow_mut());
        }
        let replies = items.iter().map(|item| (item.index, exec(s, item, now))).collect();
        if let Some(aof) = s.aof.borrow_mut().as_mut() {
            aof.end_multi();
        }
        finish(Some(replies))
    };
    when_free(shard, keys, mode, run);
}

/// Runs `run` on this shard once `keys` are free for `mode` (at once when
/// nothing conflicts), without taking them: it runs to completion in one step.
fn when_free(shard: &Shard, keys: Vec<LockKey>, mode: Mode, run: impl FnOnce(&Shard) + 'static) {
    if shard.locks.borrow().can_run(&keys, mode) {
        run(shard);
    } else {
        shard.locks.borrow_mut().enqueue(Waiter { keys, mode, hold: false, on_grant: Box::new(run) });
    }
}

/// Locks `keys` on this shard (waiting behind conflicting holders and
/// earlier waiters), then runs `then` with them.
fn lock_then(shard: &Shard, keys: Vec<LockKey>, mode: Mode, then: impl FnOnce(&Shard, Vec<LockKey>) + 'static) {
    if shard.locks.borrow().can_run(&keys, mode) {
        shard.locks.borrow_mut().acquire(&keys, mode);
        then(shard, keys);
    } else {
        let waiting = keys.clone();
        let on_grant = Box::new(move |s: &Shard| then(s, waiting));
        shard.locks.borrow_mut().enqueue(Waiter { keys, mode, hold: true, on_grant });
    }
}

/// Sends back the current entries of `keys` on this shard.
fn gather(shard: &Shard, keys: Vec<LockKey>, tx: OneshotSender<Vec<(LockKey, Option<Entry>)>>) {
    let now = now_ms();
    let mut data = shard.data.borrow_mut();
    tx.send(keys.into_iter().map(|k| (k.clone(), data.dbs[k.0].get(&k.1, now).cloned())).collect());
}

/// Runs `handler` over `keys` for a command that routes itself (an
/// `Exec::Server` command such as SORT with BY/GET patterns, which must read
/// keys its arguments do not name): on the owning shard when the keys live on
/// one, atomically across shards otherwise, behind any locks either way.
/// `cmd` is the table entry whose key positions describe `args`.
pub async fn run_keyed(
    shard: &Rc<Shard>,
    cmd: &'static Command,
    handler: Handler,
    db: usize,
    args: Vec<Bytes>,
    mode: Mode,
) -> Reply {
    let databases = shard.data.borrow().dbs.len();
    let keys = command_keys(cmd, &args, db, databases);
    let target = keys.first().map_or(shard.id, |k| shard.shard_of(&k.1));
    if !keys.iter().all(|k| shard.shard_of(&k.1) == target) {
        return run_multi_shard(shard, cmd, handler, db, args, keys, mode).await;
    }
    let item = Item { index: 0, cmd, handler, args, db, mode };
    let (tx, rx) = oneshot();
    post(shard, target, move |s| run_items(s, VecDeque::from([item]), Vec::new(), Box::new(move |r| tx.send(r))));
    let mut replies = rx.await.expect("shard dropped a reply");
    replies.pop().map_or(Reply::Nil, |(_, r)| r)
}

/// Runs a keyed command whose keys live on several shards, atomically.
async fn run_multi_shard(
    shard: &Rc<Shard>,
    cmd: &Command,
    handler: Handler,
    db: usize,
    args: Vec<Bytes>,
    keys: Vec<LockKey>,
    mode: Mode,
) -> Reply {
    let locked = Locked::acquire(shard, keys, mode).await;
    run_on_copies(shard, cmd, locked, handler, db, &args, mode).await
}

/// Runs a keyed command over the copies of its keys, then writes them back
/// (unless it or its reply says it changed nothing: then nothing is logged
/// and no WATCH is touched, as for a command on one shard).
async fn run_on_copies(
    shard: &Shard,
    cmd: &Command,
    mut copies: Locked,
    handler: Handler,
    db: usize,
    args: &[Bytes],
    mode: Mode,
) -> Reply {
    shard.stats.commands.set(shard.stats.commands.get() + 1);
    let mut ctx = Ctx::new(&mut copies.scratch, db, now_ms());
    let reply = handler(&mut ctx, args);
    let said_unchanged = ctx.unchanged;
    if mode == Mode::Write && !reply.is_error() {
        crate::snapshot::note_write();
    }
    if unchanged(cmd, &reply, said_unchanged) {
        copies.release_unchanged(shard);
    } else {
        if reply.is_error() {
            // Written back as it is, but like a failed write on one shard it touches no WATCH.
            copies.touch_only(Vec::new());
        }
        copies.write_back_and_release(shard).await;
    }
    reply
}

/// Keys locked on their shards, with copies of their entries in a scratch
/// shard that commands run over; written back when released.
pub struct Locked {
    pub scratch: ShardData,
    by_shard: BTreeMap<usize, Vec<LockKey>>,
    mode: Mode,
    /// The caller holds the whole keyspace already: the keys were copied
    /// without locking, and are written back without unlocking or a
    /// transaction of their own in the AOF (the caller's covers them).
    under_keyspace: bool,
    /// The keys a write-back counts as changed for WATCH; all of them when `None`.
    touch: Option<Vec<LockKey>>,
}

impl Locked {
    pub async fn acquire(shard: &Rc<Shard>, keys: Vec<LockKey>, mode: Mode) -> Locked {
        Locked::copy(shard, keys, mode, false).await
    }

    /// Copies keys for a command of a transaction holding the whole keyspace.
    pub async fn under_keyspace(shard: &Rc<Shard>, keys: Vec<LockKey>, mode: Mode) -> Locked {
        Locked::copy(shard, keys, mode, true).await
    }

    async fn copy(shard: &Rc<Shard>, keys: Vec<LockKey>, mode: Mode, under_keyspace: bool) -> Locked {
        let mut by_shard: BTreeMap<usize, Vec<LockKey>> = BTreeMap::new();
        for k in keys {
            let list = by_shard.entry(shard.shard_of(&k.1)).or_default();
            if !list.contains(&k) {
                list.push(k);
            }
        }
        let databases = shard.data.borrow().dbs.len();
        let mut scratch = ShardData::new(databases, now_ms());
        // Ascending shard order: lock waits can never form a cycle.
        for (&target, keys) in &by_shard {
            let (tx, rx) = oneshot();
            let keys = keys.clone();
            match under_keyspace {
                true => post(shard, target, move |s| gather(s, keys, tx)),
                false => post(shard, target, move |s| lock_then(s, keys, mode, move |s, keys| gather(s, keys, tx))),
            }
            for ((kdb, key), entry) in rx.await.expect("shard dropped a lock reply") {
                if let Some(e) = entry {
                    scratch.dbs[kdb].insert_entry(&key, e);
                }
            }
        }
        Locked { scratch, by_shard, mode, under_keyspace, touch: None }
    }

    /// Whether `key` of database `db` is one of the locked keys (its entry, if any, is in `scratch`).
    pub fn holds(&self, db: usize, key: &[u8]) -> bool {
        self.by_shard.values().any(|keys| keys.iter().any(|(d, k)| *d == db && k[..] == *key))
    }

    /// Makes the write-back count only `keys` as changed for WATCH (those of
    /// the commands that changed something), as commands on one shard do.
    pub fn touch_only(&mut self, keys: Vec<LockKey>) {
        self.touch = Some(keys);
    }

    /// Unlocks the keys without writing anything back.
    pub fn release_unchanged(self, shard: &Shard) {
        self.release(shard, false);
    }

    /// Sends the locked keys' new state (for writes) back and unlocks them;
    /// done once every shard has applied its part. A reply sent after that
    /// follows the write's touches of WATCHed keys: a client that has seen it
    /// and then runs EXEC finds its transaction aborted, as in Redis (the
    /// keys' locks order later commands on them, but not a WATCH check).
    pub async fn write_back_and_release(self, shard: &Shard) {
        for applied in self.release(shard, true) {
            applied.await.expect("shard dropped a write-back");
        }
    }

    /// Returns, for a write-back, one receiver per shard that has applied its part.
    fn release(self, shard: &Shard, write_back: bool) -> Vec<crate::mailbox::OneshotReceiver<()>> {
        let (mode, now) = (self.mode, now_ms());
        let write_back = write_back && mode == Mode::Write;
        let mut scratch = self.scratch;
        let logged = write_back && shard.shared.aof_on.load(std::sync::atomic::Ordering::Acquire);
        let under_keyspace = self.under_keyspace;
        let touch = self.touch;
        let participants = || self.by_shard.keys().map(|s| s.to_string()).collect::<Vec<_>>().join(",");
        // Under the keyspace lock the writes go bare into the holder's open transaction.
        let txn = (logged && !under_keyspace).then(|| (shard.shared.new_txn_id(), participants()));
        let mut applied = Vec::new();
        for (target, keys) in self.by_shard {
            let writes: Vec<(LockKey, Option<Entry>)> = if write_back {
                keys.iter().map(|k| (k.clone(), scratch.dbs[k.0].get(&k.1, now).cloned())).collect()
            } else {
                Vec::new()
            };
            let txn = txn.clone();
            let touched: Vec<LockKey> = match &touch {
                None => keys.clone(),
                Some(changed) => keys.iter().filter(|k| changed.contains(k)).cloned().collect(),
            };
            let done = write_back.then(|| {
                let (tx, rx) = oneshot();
                applied.push(rx);
                tx
            });
            post(shard, target, move |s| {
                if write_back {
                    let mut data = s.data.borrow_mut();
                    if let (Some(aof), true) = (s.aof.borrow_mut().as_mut(), logged) {
                        log_write_back(aof, &mut data, txn.as_ref(), &writes);
                    }
                    for ((kdb, key), entry) in writes {
                        match entry {
                            Some(e) => data.dbs[kdb].insert_entry(&key, e),
                            None => {
                                data.dbs[kdb].remove(&key);
                            }
                        }
                    }
                    let watches = s.watches.borrow();
                    touched.iter().for_each(|k| watches.touch(k));
                }
                if !under_keyspace {
                    s.release(&keys, mode);
                }
                if let Some(done) = done {
                    done.send(());
                }
            });
        }
        applied
    }
}

/// Logs a multi-shard write's part on one shard: the new state of each of
/// its keys, as one transaction tagged with the write's `(id, shards)`
/// taking part (replay applies it only if every one of them logged its part);
/// without `txn`, bare, inside a transaction already open.
fn log_write_back(
    aof: &mut crate::aof::Aof,
    data: &mut ShardData,
    txn: Option<&(String, String)>,
    writes: &[(LockKey, Option<Entry>)],
) {
    use engine::serialize::command;
    if let Some((id, shards)) = txn {
        aof.begin_txn(data, id, shards);
    }
    for ((db, key), entry) in writes {
        aof.record(data, Some(*db), |out| {
            command(out, &[b"DEL".as_slice(), &key[..]]);
            if let Some(e) = entry {
                engine::serialize::entry(out, key, e);
            }
        });
    }
    if txn.is_some() {
        aof.end_txn();
    }
}

/// The whole keyspace locked on every shard, for the commands that read or
/// write all of it (the table's `KEYSPACE` flag: FLUSHALL, SWAPDB, KEYS, ...)
/// and for a transaction containing one. It is taken shard by shard in
/// ascending order like any multi-shard lock, so such a command falls wholly
/// before or wholly after each multi-shard command in flight, and nobody
/// sees it half done. A transaction's writes under it are one transaction
/// per shard in the AOF, replayed only if every shard logged its part.
pub struct KeyspaceLock {
    mode: Mode,
}

impl KeyspaceLock {
    /// Locks the keyspace for one command, unless the client's transaction holds it already.
    pub async fn take(shard: &Rc<Shard>, client: &Client, mode: Mode) -> Option<KeyspaceLock> {
        match client.keyspace_held {
            true => None,
            false => Some(KeyspaceLock::acquire(shard, mode, false).await),
        }
    }

    /// Locks the keyspace; with `logged`, opens a transaction in every shard's AOF.
    pub async fn acquire(shard: &Rc<Shard>, mode: Mode, logged: bool) -> KeyspaceLock {
        let shards = shard.shared.shards;
        for target in 0..shards {
            let (tx, rx) = oneshot();
            post(shard, target, move |s| lock_then(s, vec![EVERYTHING], mode, move |_, _| tx.send(())));
            rx.await.expect("shard dropped a lock reply");
        }
        // Numbered only now that every shard is locked, as `Locked::release`
        // does: no shard can start a rewrite (whose base notes the numbers it
        // holds) between taking the number and logging the part.
        if logged && shard.shared.aof_on.load(std::sync::atomic::Ordering::Acquire) {
            let id = shard.shared.new_txn_id();
            let all = (0..shards).map(|s| s.to_string()).collect::<Vec<_>>().join(",");
            for target in 0..shards {
                let (id, all) = (id.clone(), all.clone());
                // Ahead of this transaction's commands: one sender's messages arrive in order.
                post(shard, target, move |s| {
                    if let Some(aof) = s.aof.borrow_mut().as_mut() {
                        aof.begin_txn(&mut s.data.borrow_mut(), &id, &all);
                    }
                });
            }
        }
        KeyspaceLock { mode }
    }

    pub fn release(self, shard: &Shard) {
        let mode = self.mode;
        for target in 0..shard.shared.shards {
            post(shard, target, move |s| {
                if let Some(aof) = s.aof.borrow_mut().as_mut() {
                    aof.end_txn();
                }
                s.release(&[EVERYTHING], mode);
            });
        }
    }
}

/// Runs a keyed command of a transaction that holds the whole keyspace:
/// straight on its shard, or over copies when its keys span shards.
pub async fn run_under_keyspace(
    shard: &Rc<Shard>,
    cmd: &'static Command,
    handler: Handler,
    db: usize,
    args: Vec<Bytes>,
) -> Reply {
    let mode = if cmd.has(commands::WRITE) { Mode::Write } else { Mode::Read };
    if let Some(target) = single_shard(shard, cmd, &args) {
        let item = Item { index: 0, cmd, handler, args, db, mode };
        return crate::shard::call(shard, target, move |s| exec(s, &item, now_ms())).await;
    }
    let databases = shard.data.borrow().dbs.len();
    let keys = command_keys(cmd, &args, db, databases);
    let copies = Locked::under_keyspace(shard, keys, mode).await;
    run_on_copies(shard, cmd, copies, handler, db, &args, mode).await
}

/// Runs `f` on shard `target` once nothing there holds or waits to write
/// its whole keyspace (a one-shard read of it: SCAN, RANDOMKEY), or at once
/// inside a transaction that holds it.
pub async fn call_behind_keyspace<T: Send + 'static>(
    shard: &Rc<Shard>,
    client: &Client,
    target: usize,
    f: impl FnOnce(&Shard) -> T + Send + 'static,
) -> T {
    if client.keyspace_held {
        return crate::shard::call(shard, target, f).await;
    }
    let (tx, rx) = oneshot();
    post(shard, target, move |s| when_free(s, vec![EVERYTHING], Mode::Read, move |s| tx.send(f(s))));
    rx.await.expect("shard dropped a reply")
}

/// The shard owning all of a keyed command's keys, or `None` when they span shards.
fn single_shard(shard: &Shard, cmd: &Command, args: &[Bytes]) -> Option<usize> {
    match cmd.find_keys {
        Some(_) => on_one_shard(shard, args, cmd.key_positions(args).into_iter()),
        None => on_one_shard(shard, args, cmd.key_range(args.len())),
    }
}

fn on_one_shard(shard: &Shard, args: &[Bytes], mut positions: impl Iterator<Item = usize>) -> Option<usize> {
    let Some(first) = positions.next() else { return Some(shard.id) };
    let target = shard.shard_of(&args[first]);
    positions.all(|i| shard.shard_of(&args[i]) == target).then_some(target)
}

/// Where a keyed command's keys are: (db, key) pairs. COPY ... DB n puts its
/// destination in another database.
pub fn command_keys(cmd: &Command, args: &[Bytes], db: usize, databases: usize) -> Vec<LockKey> {
    let mut keys: Vec<LockKey> = cmd.key_positions(args).into_iter().map(|i| (db, args[i].clone())).collect();
    if cmd.name == "copy" {
        if let Ok((dst_db, _)) = engine::keys::parse_copy_options(args, db, databases) {
            if let Some(dst) = keys.get_mut(1) {
                dst.0 = dst_db;
            }
        }
    }
    keys
}

/// Redis's reply to an unknown command: the name and the first arguments, each cut at 128 bytes.
fn unknown_command(args: &[Bytes]) -> Reply {
    let cut = |b: &[u8], n: usize| String::from_utf8_lossy(&b[..b.len().min(n)]).into_owned();
    let mut shown = String::new();
    for a in &args[1..] {
        if shown.len() >= 128 {
            break;
        }
        shown.push_str(&format!("'{}' ", cut(a, 128 - shown.len())));
    }
    Reply::error(format!("ERR unknown command '{}', with args beginning with: {shown}", cut(&args[0], 128)))
}

/// Checks a request against the table: unknown command, arity, authentication;
/// notes what it found as the client's current command.
pub fn check(client: &Client, args: &[Bytes]) -> Result<&'static Command, Reply> {
    // CLIENT LIST's cmd=, as Redis's `lastcmd`: whatever the lookup found, set
    // before the command runs (so CLIENT LIST shows `client|list`) or fails.
    let last_cmd = &client.entry.last_cmd;
    let Some(cmd) = commands::lookup(&args[0]) else {
        last_cmd.set("NULL");
        return Err(unknown_command(args));
    };
    last_cmd.set(cmd.name);
    // Redis's order: existence (of the subcommand too), arity, then authentication.
    // A rejected command is not counted as processed, nor queued in a MULTI.
    if !cmd.arity_ok(args.len()) {
        return Err(engine::args::wrong_args(cmd.name.as_bytes()));
    }
    let subs = cmd.subcommands();
    // (COMMAND alone is valid: its container arity is -1.)
    if !subs.is_empty() && args.len() > 1 {
        let Some(sub) = subs.iter().find(|s| args[1].eq_ignore_ascii_case(s.as_bytes())) else {
            last_cmd.set("NULL");
            let sub = &args[1][..args[1].len().min(128)];
            return Err(Reply::unknown_subcommand(&String::from_utf8_lossy(&args[0]).to_uppercase(), sub));
        };
        let meta = crate::command::sub_meta(cmd, sub);
        if let Some(m) = meta {
            last_cmd.set(m.name);
        }
        if !meta.is_some_and(|m| commands::arity_ok(m.arity, args.len())) {
            return Err(engine::args::wrong_args(format!("{}|{sub}", cmd.name).as_bytes()));
        }
    }
    if !client.authenticated && !cmd.has(commands::NO_AUTH) {
        return Err(Reply::error("NOAUTH Authentication required."));
    }
    Ok(cmd)
}

/// Per-shard groups of single-shard commands awaiting dispatch.
struct Groups {
    by_shard: Vec<VecDeque<Item>>,
    pending: bool,
}

impl Groups {
    fn new(shards: usize) -> Groups {
        Groups { by_shard: (0..shards).map(|_| VecDeque::new()).collect(), pending: false }
    }

    /// Sends every remote group, runs the local one, and fills in the replies.
    async fn flush(&mut self, shard: &Rc<Shard>, replies: &mut [Option<Reply>]) {
        if !self.pending {
            return;
        }
        self.pending = false;
        let mut waits = Vec::new();
        for (target, group) in self.by_shard.iter_mut().enumerate() {
            if group.is_empty() || target == shard.id {
                continue;
            }
            let items = std::mem::take(group);
            let (tx, rx) = oneshot();
            shard.shared.mailboxes[target].send(Box::new(move |s| {
                run_items(s, items, Vec::with_capacity(0), Box::new(move |r| tx.send(r)));
            }));
            waits.push(rx);
        }
        let local = std::mem::take(&mut self.by_shard[shard.id]);
        if !local.is_empty() {
            if shard.locks.borrow().is_idle() {
                // The common case: nothing is locked, run straight through.
                let now = now_ms();
                for item in local {
                    replies[item.index] = Some(exec(shard, &item, now));
                }
            } else {
                let (tx, rx) = oneshot();
                run_items(shard, local, Vec::new(), Box::new(move |r| tx.send(r)));
                waits.push(rx);
            }
        }
        for rx in waits {
            for (i, r) in rx.await.expect("shard dropped a batch reply") {
                replies[i] = Some(r);
            }
        }
    }
}

/// Executes a batch of pipelined requests and appends the replies to `out`.
pub async fn execute_batch(
    shard: &Rc<Shard>,
    client: &mut Client,
    requests: Vec<Vec<Bytes>>,
    out: &mut bytes::BytesMut,
) {
    let mut replies: Vec<Option<Reply>> = vec![None; requests.len()];
    let mut groups = Groups::new(shard.shared.shards);
    let databases = shard.data.borrow().dbs.len();
    let aof_on = shard.shared.aof_on.load(std::sync::atomic::Ordering::Relaxed);
    let loading = shard.shared.loading.load(std::sync::atomic::Ordering::Relaxed) > 0;
    for (index, args) in requests.into_iter().enumerate() {
        if client.close {
            replies.truncate(index);
            break;
        }
        let cmd = match check(client, &args) {
            Ok(c) => c,
            Err(e) => {
                // An error while queueing a transaction dooms its EXEC.
                if let Some(multi) = &mut client.multi {
                    multi.failed = true;
                }
                replies[index] = Some(e);
                continue;
            }
        };
        if loading && !cmd.has(commands::LOADING) {
            replies[index] = Some(Reply::error("LOADING Redis is loading the dataset in memory"));
            continue;
        }
        if let (Some(multi), true) = (&mut client.multi, cmd.has(commands::NO_MULTI)) {
            multi.failed = true;
            replies[index] = Some(Reply::error("ERR Command not allowed inside a transaction"));
            continue;
        }
        if client.multi.is_some() && !crate::multi::runs_inside_multi(cmd) {
            replies[index] = Some(crate::multi::queue(client, args));
            continue;
        }
        match cmd.exec {
            Exec::Conn(f) => {
                // Connection commands touch only this client; groups planned
                // before them already carry the state (db) they were planned with.
                shard.stats.commands.set(shard.stats.commands.get() + 1);
                replies[index] = Some(f(shard, client, &args));
            }
            Exec::Server(f) => {
                if aof_on && (cmd.has(commands::WRITE) || cmd.name == "exec") {
                    (0..shard.shared.shards).for_each(|s| client.logged_on(s));
                }
                groups.flush(shard, &mut replies).await;
                shard.stats.commands.set(shard.stats.commands.get() + 1);
                replies[index] = Some(f(shard, client, &args).await);
            }
            Exec::Keyed(handler) if cmd.has(commands::BLOCKING) => {
                groups.flush(shard, &mut replies).await;
                if aof_on {
                    command_keys(cmd, &args, client.db, databases)
                        .iter()
                        .for_each(|k| client.logged_on(shard.shard_of(&k.1)));
                }
                replies[index] = Some(crate::blocking::run(shard, client, cmd, handler, args).await);
            }
            Exec::Keyed(handler) => {
                let mode = if cmd.has(commands::WRITE) { Mode::Write } else { Mode::Read };
                match single_shard(shard, cmd, &args) {
                    Some(target) => {
                        if aof_on && mode == Mode::Write {
                            client.logged_on(target);
                        }
                        groups.by_shard[target].push_back(Item { index, cmd, handler, args, db: client.db, mode });
                        groups.pending = true;
                    }
                    None => {
                        groups.flush(shard, &mut replies).await;
                        let keys = command_keys(cmd, &args, client.db, databases);
                        if aof_on && mode == Mode::Write {
                            keys.iter().for_each(|k| client.logged_on(shard.shard_of(&k.1)));
                        }
                        replies[index] = Some(run_multi_shard(shard, cmd, handler, client.db, args, keys, mode).await);
                    }
                }
            }
        }
    }
    groups.flush(shard, &mut replies).await;
    for r in replies.iter().flatten() {
        r.encode(out, client.resp3);
    }
    client.entry.db.set(client.db);
    client.entry.last_active.set(Instant::now());
}
