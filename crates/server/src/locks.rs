//! Per-shard intent locks for multi-shard atomic commands.
//!
//! A multi-shard command locks its keys shard by shard in ascending shard
//! order, so lock waits can never form a cycle (no deadlock), then runs, then
//! unlocks. Meanwhile any other command touching a locked key waits in FIFO
//! order on that shard; commands on other keys run as usual. While nothing is
//! locked, checking costs one `is_idle` test.
//!
//! [`EVERYTHING`] stands for every key of every database on a shard: the
//! commands that read or write the whole keyspace (FLUSHALL, SWAPDB, KEYS,
//! DBSIZE, a transaction containing one) lock it, so they are ordered against
//! multi-shard commands in flight as if each ran alone.

use crate::shard::Shard;
use bytes::Bytes;
use hashbrown::HashMap;
use std::collections::VecDeque;

/// A key in one database.
pub type LockKey = (usize, Bytes);

/// The lock key that overlaps every other: the whole keyspace of a shard.
pub const EVERYTHING: LockKey = (usize::MAX, Bytes::new());

fn overlaps(a: &LockKey, b: &LockKey) -> bool {
    a.0 == usize::MAX || b.0 == usize::MAX || a == b
}

fn any_overlap(a: &[LockKey], b: &[LockKey]) -> bool {
    a.iter().any(|x| b.iter().any(|y| overlaps(x, y)))
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    Read,
    Write,
}

#[derive(Default)]
struct Held {
    readers: u32,
    writer: bool,
}

impl Held {
    fn conflicts(&self, mode: Mode) -> bool {
        self.writer || (mode == Mode::Write && self.readers > 0)
    }
}

/// Something waiting for keys: a command to run (it holds nothing) or a
/// multi-shard command's lock request (it holds the keys once granted).
pub struct Waiter {
    pub keys: Vec<LockKey>,
    pub mode: Mode,
    pub hold: bool,
    pub on_grant: Box<dyn FnOnce(&Shard)>,
}

fn conflict(a: Mode, b: Mode) -> bool {
    a == Mode::Write || b == Mode::Write
}

#[derive(Default)]
pub struct LockTable {
    held: HashMap<LockKey, Held>,
    waiters: VecDeque<Waiter>,
}

impl LockTable {
    pub fn is_idle(&self) -> bool {
        self.held.is_empty() && self.waiters.is_empty()
    }

    fn conflicts_held(&self, key: &LockKey, mode: Mode) -> bool {
        if key.0 == usize::MAX {
            return self.held.values().any(|h| h.conflicts(mode));
        }
        self.held.get(key).is_some_and(|h| h.conflicts(mode))
            || self.held.get(&EVERYTHING).is_some_and(|h| h.conflicts(mode))
    }

    /// Whether a request for `keys` may go ahead now: no conflicting holder,
    /// and no earlier conflicting waiter (waiters are served in order).
    pub fn can_run(&self, keys: &[LockKey], mode: Mode) -> bool {
        if self.is_idle() {
            return true;
        }
        keys.iter().all(|k| !self.conflicts_held(k, mode))
            && !self.waiters.iter().any(|w| conflict(w.mode, mode) && any_overlap(&w.keys, keys))
    }

    pub fn acquire(&mut self, keys: &[LockKey], mode: Mode) {
        for k in keys {
            let h = self.held.entry(k.clone()).or_default();
            match mode {
                Mode::Read => h.readers += 1,
                Mode::Write => h.writer = true,
            }
        }
    }

    pub fn enqueue(&mut self, waiter: Waiter) {
        self.waiters.push_back(waiter);
    }

    /// Releases `keys` and returns, in FIFO order, the waiters that may now
    /// proceed; those that hold are already marked as holders. The caller runs
    /// their `on_grant` in that order.
    pub fn release(&mut self, keys: &[LockKey], mode: Mode) -> Vec<Waiter> {
        for k in keys {
            if let Some(h) = self.held.get_mut(k) {
                match mode {
                    Mode::Read => h.readers = h.readers.saturating_sub(1),
                    Mode::Write => h.writer = false,
                }
                if h.readers == 0 && !h.writer {
                    self.held.remove(k);
                }
            }
        }
        let mut granted = Vec::new();
        let mut still: VecDeque<Waiter> = VecDeque::new();
        while let Some(w) = self.waiters.pop_front() {
            let blocked_by_earlier = still.iter().any(|e| conflict(e.mode, w.mode) && any_overlap(&e.keys, &w.keys));
            if blocked_by_earlier || w.keys.iter().any(|k| self.conflicts_held(k, w.mode)) {
                still.push_back(w);
            } else {
                if w.hold {
                    self.acquire(&w.keys, w.mode);
                }
                granted.push(w);
            }
        }
        self.waiters = still;
        granted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> LockKey {
        (0, Bytes::from(s.to_string()))
    }

    fn waiter(keys: &[&str], mode: Mode, hold: bool) -> Waiter {
        Waiter { keys: keys.iter().map(|k| key(k)).collect(), mode, hold, on_grant: Box::new(|_| {}) }
    }

    #[test]
    fn readers_share_writers_exclude_fifo() {
        let mut t = LockTable::default();
        assert!(t.is_idle());
        t.acquire(&[key("a")], Mode::Read);
        assert!(t.can_run(&[key("a")], Mode::Read));
        assert!(!t.can_run(&[key("a")], Mode::Write));
        assert!(t.can_run(&[key("b")], Mode::Write));
        t.enqueue(waiter(&["a"], Mode::Write, true));
        // A reader arriving after a waiting writer queues behind it.
        assert!(!t.can_run(&[key("a")], Mode::Read));
        t.enqueue(waiter(&["a"], Mode::Read, false));
        let granted = t.release(&[key("a")], Mode::Read);
        assert_eq!(granted.len(), 1);
        assert!(granted[0].hold);
        assert!(!t.can_run(&[key("a")], Mode::Read));
        let granted = t.release(&[key("a")], Mode::Write);
        assert_eq!(granted.len(), 1);
        assert!(t.is_idle());
    }

    #[test]
    fn everything_overlaps_every_key() {
        let mut t = LockTable::default();
        t.acquire(&[key("a")], Mode::Write);
        // The keyspace waits for a held key, and later keys queue behind it.
        assert!(!t.can_run(&[EVERYTHING], Mode::Read));
        t.enqueue(waiter(&[], Mode::Read, true));
        t.waiters.back_mut().unwrap().keys = vec![EVERYTHING];
        assert!(!t.can_run(&[key("b")], Mode::Write));
        assert!(t.can_run(&[key("b")], Mode::Read));
        let granted = t.release(&[key("a")], Mode::Write);
        assert_eq!(granted.len(), 1);
        // Held for reading: reads of any key go ahead, writes of any key wait.
        assert!(t.can_run(&[key("c")], Mode::Read));
        assert!(!t.can_run(&[key("c")], Mode::Write));
        assert!(!t.can_run(&[EVERYTHING], Mode::Write));
        t.release(&[EVERYTHING], Mode::Read);
        assert!(t.is_idle());
    }
}
