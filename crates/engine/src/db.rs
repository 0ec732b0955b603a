//! One database of one shard: the key table, expiry bookkeeping and counters.

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
    /// Keys removed because their TTL passed (INFO's `expired_keys`).
    pub expired: u64,
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
        let mut expired = None;
        let found = self.keys.get_live(key, |e| e.is_expired(now), &mut expired);
        if expired.is_some() {
            // Only reached when `found` is None, so the table is free to update.
            self.volatile -= 1;
            self.expired += 1;
        }
        found
    }

    pub fn contains(&mut self, key: &[u8], now: u64) -> bool {
        self.get(key, now).is_some()
    }

    /// Stores `value` under `key` with the given expiry (0: none), replacing
    /// any previous value and TTL. The key is copied so it shares no buffer
    /// with the request it came from.
    pub fn set(&mut self, key: &[u8], value: Value, expire_at: u64) {
        let key = CompactKey::new(key);
        if expire_at != 0 {
            self.deadlines.push(Reverse((expire_at, key.clone())));
            self.volatile += 1;
        }
        if let Some(old) = self.keys.insert(key, Entry { value, expire_at }) {
            if old.expire_at != 0 {
                self.volatile -= 1;
            }
        }
        self.compact_deadlines();
    }

    /// Inserts a whole entry (value and TTL) moved from elsewhere.
    pub fn insert_entry(&mut self, key: &[u8], entry: Entry) {
        self.set(key, entry.value, entry.expire_at);
    }

    pub fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        let (_, entry) = self.keys.remove(key)?;
        if entry.expire_at != 0 {
            self.volatile -= 1;
        }
        Some(entry)
    }

    /// Sets or clears (0) the expiry of an existing key; false if there is no such key.
    pub fn set_expire(&mut self, key: &[u8], expire_at: u64) -> bool {
        let Some(entry) = self.keys.get_mut(key) else {
            return false;
        };
        let was = entry.expire_at;
        entry.expire_at = expire_at;
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
                .filter(|(_, e)| e.expire_at != 0)
                .map(|(k, e)| Reverse((e.expire_at, k.clone())))
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
            if matches!(self.keys.get(&key), Some(e) if e.expire_at == at) {
                self.remove(&key);
                self.expired += 1;
                removed += 1;
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
            self.expired += 1;
        }
        None
    }

    pub fn clear(&mut self) {
        *self = Db { expired: self.expired, ..Db::default() };
    }
}
