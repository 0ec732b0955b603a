//! One database of one shard: the key table, expiry bookkeeping and counters,
//! and point-in-time snapshots taken without copying or stopping.
//!
//! A snapshot (an AOF rewrite's image) is serialised a slice at a time while
//! commands keep running. It stays point-in-time because every change goes
//! through this type: a key the snapshot has not reached yet is serialised,
//! as it still is, just before its first change. Which keys those are: an
//! entry carries an epoch bit, flipped for the whole table in O(1) when a
//! snapshot starts; entries created or serialised since carry the new epoch,
//! and entries the slices already passed lie below the scan cursor.

use crate::key::CompactKey;
use crate::table::KeyTable;
use crate::value::{Entry, Value};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

#[derive(Default)]
pub struct Db {
    keys: KeyTable<Entry, CompactKey>,
    /// Deadlines of keys with a TTL, earliest first. Entries go stale when a
    /// TTL changes or a key goes away; they are checked against the key when
    /// popped, and the heap is rebuilt when stale ones dominate.
    deadlines: BinaryHeap<Reverse<(u64, CompactKey)>>,
    /// Keys that currently have a TTL.
    volatile: usize,
    /// Keys removed because their TTL passed.
    pub expired: Expired,
    /// The epoch new and serialised entries get (see the module's doc).
    epoch: bool,
    snapshot: Option<Box<Snapshot>>,
}

/// Keys removed because their TTL passed: a field of its own so it can be
/// updated while the key table is borrowed.
#[derive(Default)]
pub struct Expired {
    /// INFO's `expired_keys`.
    pub count: u64,
    /// With an AOF, the keys themselves until logged as DEL: replay runs
    /// without expiring anything, so the log must say when each key went away.
    log: Option<Vec<CompactKey>>,
}

impl Expired {
    /// Counts a key gone because its TTL passed, and keeps it for the AOF's DEL.
    fn note(&mut self, key: impl FnOnce() -> CompactKey) {
        self.count += 1;
        if let Some(log) = &mut self.log {
            log.push(key());
        }
    }
}

/// Whether a snapshot still has to serialise entry `e`, at SCAN position `pos`.
fn pending(snap: &Snapshot, epoch: bool, pos: u64, e: &Entry) -> bool {
    e.epoch() != epoch && snap.cursor.is_some_and(|c| pos >= c)
}

/// Writes one key and its entry into a snapshot's output.
pub type Encoder = fn(&mut Vec<u8>, &[u8], &Entry);

struct Snapshot {
    /// The database's index when the snapshot started (SWAPDB moves a Db, and its snapshot, to another).
    index: usize,
    /// Every key below this SCAN position has been serialised (None: all of them).
    cursor: Option<u64>,
    out: Vec<u8>,
    encode: Encoder,
}

impl Db {
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn volatile(&self) -> usize {
        self.volatile
    }

    /// The live entry under `key`; an expired one is removed on the way.
    pub fn get(&mut self, key: &[u8], now: u64) -> Option<&Entry> {
        self.get_mut(key, now).map(|e| &*e)
    }

    /// Like `get`, for changing the value in place. Change the TTL with `set_expire`.
    pub fn get_mut(&mut self, key: &[u8], now: u64) -> Option<&mut Entry> {
        let pos = self.snapshot.as_ref().map_or(0, |_| self.keys.position(key));
        let mut expired = None;
        let found = self.keys.get_live(key, |e| e.is_expired(now), &mut expired);
        if expired.is_some() {
            self.volatile -= 1;
            self.expired.note(|| CompactKey::new(key));
        }
        match (found, self.snapshot.as_deref_mut()) {
            // The caller may change it: a snapshot that still needs it takes it first.
            (Some(e), Some(snap)) if pending(snap, self.epoch, pos, e) => {
                (snap.encode)(&mut snap.out, key, e);
                e.set_epoch(self.epoch);
                Some(e)
            }
            (found, _) => found,
        }
    }

    pub fn contains(&mut self, key: &[u8], now: u64) -> bool {
        self.get(key, now).is_some()
    }

    /// Stores `value` under `key` with the given expiry (0: none), replacing
    /// any previous value and TTL. The key is copied so it shares no buffer
    /// with the request it came from.
    pub fn set(&mut self, key: &[u8], value: Value, expire_at: u64) {
        self.store(key, value, expire_at);
    }

    /// `set` without a lookup first: an old entry whose TTL had passed still
    /// counts as expired (and is logged as a DEL before this write), as the
    /// lookup would have found it.
    pub fn overwrite(&mut self, key: &[u8], value: Value, expire_at: u64, now: u64) {
        if self.store(key, value, expire_at).is_some_and(|old| old.is_expired(now)) {
            self.expired.note(|| CompactKey::new(key));
        }
    }

    /// Stores an entry, returning the one it replaced.
    fn store(&mut self, key: &[u8], value: Value, expire_at: u64) -> Option<Entry> {
        let key = CompactKey::new(key);
        if expire_at != 0 {
            self.deadlines.push(Reverse((expire_at, key.clone())));
            self.volatile += 1;
        }
        let mut entry = Entry::with_expire(value, expire_at);
        entry.set_epoch(self.epoch);
        let pos = self.snapshot.as_ref().map(|_| self.keys.position(&key));
        let snap_key = pos.map(|_| key.clone());
        let old = self.keys.insert(key, entry);
        if let Some(old) = &old {
            if old.expire_at() != 0 {
                self.volatile -= 1;
            }
            if let (Some(pos), Some(key)) = (pos, snap_key) {
                self.before_change(pos, &key, old);
            }
        }
        self.compact_deadlines();
        old
    }

    /// Inserts a whole entry (value and TTL) moved from elsewhere.
    pub fn insert_entry(&mut self, key: &[u8], entry: Entry) {
        let at = entry.expire_at();
        self.set(key, entry.value, at);
    }

    pub fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        let pos = self.snapshot.as_ref().map(|_| self.keys.position(key));
        let (_, entry) = self.keys.remove(key)?;
        if entry.expire_at() != 0 {
            self.volatile -= 1;
        }
        if let Some(pos) = pos {
            self.before_change(pos, key, &entry);
        }
        Some(entry)
    }

    /// Serialises the entry a key had, if the snapshot still needed it.
    fn before_change(&mut self, pos: u64, key: &[u8], old: &Entry) {
        if let Some(snap) = self.snapshot.as_deref_mut() {
            if pending(snap, self.epoch, pos, old) {
                (snap.encode)(&mut snap.out, key, old);
            }
        }
    }

    /// Starts a snapshot of this database, which is database `index`.
    pub fn begin_snapshot(&mut self, index: usize, encode: Encoder) {
        self.epoch = !self.epoch;
        self.snapshot = Some(Box::new(Snapshot { index, cursor: Some(0), out: Vec::new(), encode }));
    }

    /// Serialises about `count` more keys; true once every key is done.
    pub fn snapshot_step(&mut self, count: usize) -> bool {
        let Some(snap) = self.snapshot.as_mut() else { return true };
        let Some(from) = snap.cursor else { return true };
        let epoch = self.epoch;
        let out = &mut snap.out;
        let encode = snap.encode;
        // Marked as they are written, so every entry carries the current
        // epoch once the snapshot is done and the next one can flip it.
        let next = self.keys.scan_mut(from, count, |k, e| {
            if e.epoch() != epoch {
                encode(out, k, e);
                e.set_epoch(epoch);
            }
        });
        snap.cursor = next;
        next.is_none()
    }

    /// What the snapshot has serialised since the last call, with the database index it belongs to.
    pub fn take_snapshot_output(&mut self) -> Option<(usize, Vec<u8>)> {
        let snap = self.snapshot.as_mut()?;
        Some((snap.index, std::mem::take(&mut snap.out)))
    }

    /// Ends the snapshot (finished or abandoned).
    pub fn end_snapshot(&mut self) {
        if let Some(snap) = self.snapshot.take() {
            // Abandoned: the entries it did not reach must not look done to the next one.
            if let Some(from) = snap.cursor {
                let epoch = self.epoch;
                self.keys.scan_mut(from, usize::MAX, |_, e| e.set_epoch(epoch));
            }
        }
    }

    pub fn in_snapshot(&self) -> bool {
        self.snapshot.is_some()
    }

    /// Sets or clears (0) the expiry of an existing key; false if there is no such key.
    pub fn set_expire(&mut self, key: &[u8], expire_at: u64) -> bool {
        // Through `get_mut`, so a snapshot sees the TTL before it changes.
        let Some(entry) = self.get_mut(key, 0) else {
            return false;
        };
        let was = entry.expire_at();
        entry.set_expire_at(expire_at);
        match (was != 0, expire_at != 0) {
            (false, true) => self.volatile += 1,
            (true, false) => self.volatile -= 1,
            _ => {}
        }
        if expire_at != 0 {
            self.deadlines.push(Reverse((expire_at, CompactKey::new(key))));
            self.compact_deadlines();
        }
        true
    }

    fn compact_deadlines(&mut self) {
        if self.deadlines.len() > 1024 && self.deadlines.len() > 4 * self.volatile {
            let live: Vec<_> = self
                .keys
                .iter()
                .filter(|(_, e)| e.expire_at() != 0)
                .map(|(k, e)| Reverse((e.expire_at(), k.clone())))
                .collect();
            self.deadlines = BinaryHeap::from(live);
        }
    }

    /// Active expiry: removes keys whose deadline is at or before `now`,
    /// at most `budget` heap entries per call. Returns how many keys it removed
    /// and whether due deadlines remain.
    pub fn expire_due(&mut self, now: u64, budget: usize) -> (usize, bool) {
        let mut removed = 0;
        for _ in 0..budget {
            match self.deadlines.peek() {
                Some(Reverse((at, _))) if *at <= now => {}
                _ => return (removed, false),
            }
            let Reverse((at, key)) = self.deadlines.pop().expect("peeked");
            if matches!(self.keys.get(&key), Some(e) if e.expire_at() == at) {
                self.remove(&key);
                removed += 1;
                self.expired.note(|| key);
            }
        }
        let more = matches!(self.deadlines.peek(), Some(Reverse((at, _))) if *at <= now);
        (removed, more)
    }

    /// SCAN over this database from table position `from`; expired keys are skipped.
    pub fn scan(&self, from: u64, count: usize, now: u64, mut visit: impl FnMut(&[u8], &Entry)) -> Option<u64> {
        self.keys.scan(from, count, |k, e| {
            if !e.is_expired(now) {
                visit(k, e)
            }
        })
    }

    /// Every live key, for KEYS.
    pub fn iter(&self, now: u64) -> impl Iterator<Item = (&[u8], &Entry)> {
        self.keys.iter().filter(move |(_, e)| !e.is_expired(now)).map(|(k, e)| (&k[..], e))
    }

    /// A random live key, for RANDOMKEY. `pick` maps a bound to a random index below it.
    pub fn random_key(&mut self, now: u64, mut pick: impl FnMut(usize) -> usize) -> Option<bytes::Bytes> {
        // Like Redis, give up on sampling after many expired hits and return what we have.
        for _ in 0..100 {
            if self.keys.is_empty() {
                return None;
            }
            let (k, e) = self.keys.nth(pick(self.keys.len()))?;
            if !e.is_expired(now) {
                return Some(k.to_bytes());
            }
            let k = k.clone();
            self.remove(&k);
            self.expired.note(|| k);
        }
        None
    }

    pub fn clear(&mut self) {
        // A snapshot in progress takes the rest of the keys first (a stall, but a rare one).
        while !self.snapshot_step(usize::MAX) {}
        // Keys expired but not yet logged need no DEL: the flush, logged next, removes them too.
        let expired = Expired { count: self.expired.count, log: self.expired.log.take().map(|_| Vec::new()) };
        let snapshot = self.snapshot.take();
        *self = Db { expired, epoch: self.epoch, snapshot, ..Db::default() };
    }

    /// Starts (true) or stops keeping the keys that expire for the AOF.
    pub fn keep_expired_keys(&mut self, on: bool) {
        self.expired.log = on.then(Vec::new);
    }

    /// Hands over the keys expired since the last call, in order.
    pub fn take_expired_keys(&mut self) -> Vec<CompactKey> {
        match &mut self.expired.log {
            Some(log) if !log.is_empty() => std::mem::take(log),
            _ => Vec::new(),
        }
    }

    pub fn has_expired_keys(&self) -> bool {
        self.expired.log.as_ref().is_some_and(|l| !l.is_empty())
    }

    /// Every key and entry, expired or not: what an image of the database holds.
    pub fn entries(&self) -> impl Iterator<Item = (&[u8], &Entry)> {
        self.keys.iter().map(|(k, e)| (&k[..], e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use std::collections::BTreeMap;

    /// Records `key=value;` for string values.
    fn encode(out: &mut Vec<u8>, key: &[u8], e: &Entry) {
        if let Value::Str(data) = &e.value {
            out.extend_from_slice(key);
            out.push(b'=');
            out.extend_from_slice(data);
            out.push(b';');
        }
    }

    fn state(db: &Db) -> BTreeMap<String, String> {
        db.entries()
            .map(|(k, e)| match &e.value {
                Value::Str(data) => {
                    (String::from_utf8_lossy(k).into_owned(), String::from_utf8_lossy(data).into_owned())
                }
                _ => unreachable!(),
            })
            .collect()
    }

    fn parse(out: &[u8]) -> Vec<(String, String)> {
        String::from_utf8_lossy(out)
            .split(';')
            .filter(|s| !s.is_empty())
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap();
                (k.to_string(), v.to_string())
            })
            .collect()
    }

    #[test]
    fn a_snapshot_is_the_state_it_started_at_despite_writes_during_it() {
        let mut db = Db::default();
        let v = |s: String| Value::string(Bytes::from(s));
        for i in 0..5000 {
            db.set(format!("k{i}").as_bytes(), v(format!("v{i}")), 0);
        }
        for round in 0..3 {
            let before = state(&db);
            db.begin_snapshot(0, encode);
            let mut out = Vec::new();
            let mut step = 0;
            loop {
                // Writes between slices: overwrite, delete, create, change in place, grow the table.
                for j in 0..40 {
                    let i = (step * 97 + j * 31 + round) % 6000;
                    let key = format!("k{i}");
                    match j % 4 {
                        0 => db.set(key.as_bytes(), v(format!("new{step}")), 0),
                        1 => drop(db.remove(key.as_bytes())),
                        2 => {
                            if let Some(e) = db.get_mut(key.as_bytes(), 0) {
                                e.value = v(format!("changed{step}"));
                            }
                        }
                        _ => db.set(format!("fresh{round}-{step}-{j}").as_bytes(), v("x".into()), 0),
                    }
                }
                let done = db.snapshot_step(50);
                out.extend(db.take_snapshot_output().unwrap().1);
                step += 1;
                if done {
                    break;
                }
            }
            db.end_snapshot();
            let pairs = parse(&out);
            let got: BTreeMap<String, String> = pairs.iter().cloned().collect();
            assert_eq!(pairs.len(), got.len(), "a key was serialised twice");
            let extra: Vec<_> = got.iter().filter(|(k, v)| before.get(*k) != Some(v)).take(5).collect();
            let missing: Vec<_> = before.iter().filter(|(k, v)| got.get(*k) != Some(v)).take(5).collect();
            assert!(extra.is_empty() && missing.is_empty(), "round {round}: extra {extra:?}, missing {missing:?}");
        }
    }
}
