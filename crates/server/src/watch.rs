//! WATCH: optimistic locking for MULTI/EXEC.
//!
//! A watching client owns one dirty flag. Each shard keeps, for the watched
//! keys it owns, the flags of their watchers, and raises them when a command
//! writes one of those keys (flags are atomics: the writer may be on another
//! shard than the client). EXEC checks the flag once it holds its locks: a
//! write raised it before (EXEC fails) or comes after EXEC (serialised after it).

use crate::blocking::Signal;
use crate::dispatch::Client;
use crate::locks::LockKey;
use crate::shard::{call, post, Shard};
use bytes::Bytes;
use engine::args::err;
use hashbrown::HashMap;
use resp::Reply;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

pub type Flag = Arc<AtomicBool>;

/// One shard's watched keys and their watchers' flags, and the clients
/// blocked on its keys (`crate::blocking`): both hear of every change to a key.
#[derive(Default)]
pub struct Watches {
    by_key: HashMap<LockKey, Vec<Flag>>,
    blocked: HashMap<LockKey, Vec<Arc<Signal>>>,
}

impl Watches {
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty() && self.blocked.is_empty()
    }

    pub fn block(&mut self, keys: Vec<LockKey>, signal: &Arc<Signal>) {
        for key in keys {
            self.blocked.entry(key).or_default().push(signal.clone());
        }
    }

    pub fn unblock(&mut self, keys: &[LockKey], signal: &Arc<Signal>) {
        keys.iter().for_each(|key| detach(&mut self.blocked, key, signal));
    }

    fn add(&mut self, key: LockKey, flag: Flag) {
        let flags = self.by_key.entry(key).or_default();
        if !flags.iter().any(|f| Arc::ptr_eq(f, &flag)) {
            flags.push(flag);
        }
    }

    fn remove(&mut self, key: &LockKey, flag: &Flag) {
        detach(&mut self.by_key, key, flag);
    }

    /// A command changed `key`: its watchers' transactions must fail.
    pub fn touch(&self, key: &LockKey) {
        if let Some(flags) = self.by_key.get(key) {
            flags.iter().for_each(|f| f.store(true, Ordering::SeqCst));
        }
        if let Some(signals) = self.blocked.get(key) {
            signals.iter().for_each(|s| s.fire());
        }
    }

    /// Every key of database `db` (all databases for `None`) changed: FLUSHDB, FLUSHALL, SWAPDB.
    pub fn touch_db(&self, db: Option<usize>) {
        for (key, flags) in &self.by_key {
            if db.is_none_or(|d| d == key.0) {
                flags.iter().for_each(|f| f.store(true, Ordering::SeqCst));
            }
        }
        for (key, signals) in &self.blocked {
            if db.is_none_or(|d| d == key.0) {
                signals.iter().for_each(|s| s.fire());
            }
        }
    }
}

/// Takes `item` off `key`'s list, and the key off the map once nobody is left.
fn detach<T>(map: &mut HashMap<LockKey, Vec<Arc<T>>>, key: &LockKey, item: &Arc<T>) {
    if let Some(items) = map.get_mut(key) {
        items.retain(|i| !Arc::ptr_eq(i, item));
        if items.is_empty() {
            map.remove(key);
        }
    }
}

/// What a client watches.
pub struct Watching {
    pub dirty: Flag,
    keys: Vec<LockKey>,
}

impl Watching {
    pub fn is_dirty(&self) -> bool {
        self.dirty.load(Ordering::SeqCst)
    }
}

pub async fn watch(shard: &Rc<Shard>, client: &mut Client, args: &[Bytes]) -> Reply {
    if client.multi.is_some() {
        return err("ERR WATCH inside MULTI is not allowed");
    }
    let watching = client.watching.get_or_insert_with(|| Watching { dirty: Arc::default(), keys: Vec::new() });
    for key in &args[1..] {
        let key: LockKey = (client.db, key.clone());
        if watching.keys.contains(&key) {
            continue;
        }
        let flag = watching.dirty.clone();
        // Registered before WATCH replies, so no later write can slip past.
        let k = key.clone();
        call(shard, shard.shard_of(&key.1), move |s| s.watches.borrow_mut().add(k, flag)).await;
        watching.keys.push(key);
    }
    Reply::Ok
}

pub async fn unwatch_cmd(shard: &Rc<Shard>, client: &mut Client, _: &[Bytes]) -> Reply {
    unwatch(shard, client);
    Reply::Ok
}

/// Forgets everything the client watches (UNWATCH, EXEC, DISCARD, RESET, disconnect).
pub fn unwatch(shard: &Shard, client: &mut Client) {
    if let Some(w) = client.watching.take() {
        for key in w.keys {
            let flag = w.dirty.clone();
            post(shard, shard.shard_of(&key.1), move |s| s.watches.borrow_mut().remove(&key, &flag));
        }
    }
}
