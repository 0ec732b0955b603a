//! The key table: extendible hashing over small segments.
//!
//! Keys are spread over segments by the top bits of their hash; a full
//! segment splits in two, so the table grows a segment at a time instead of
//! rehashing everything at once (no multi-millisecond stall on a big table).
//! The hash order also gives SCAN a cursor that stays valid while the table
//! grows: a position in hash space, below which every key was returned.
//!
//! A segment keeps its keys and values packed in a `Vec` and finds them
//! through a `Buckets` table of `u16` positions (a lookup reads one line of
//! it, then the entry). Slots in the table itself would make every empty
//! bucket cost a whole key and entry; with a uniform hash all segments fill
//! and split in step, so the table would sit half empty right after each
//! round of splits. An empty position costs 3.2 bytes (its `u16` and tag).

use crate::alloc::size_class;
use crate::buckets::Buckets16;
use crate::key::TableKey;
use bytes::Bytes;
use hashbrown::DefaultHashBuilder;
use std::hash::BuildHasher;

/// A segment splits when it holds this many keys: 896 keyspace entries (72
/// bytes) fill jemalloc's 64 KiB size class; a 64-line position table holds
/// up to 1024.
const SEGMENT_MAX: usize = 896;
/// SCAN positions are the top `POS_BITS` bits of a key's hash.
pub const POS_BITS: u32 = 54;
pub const POS_END: u64 = 1 << POS_BITS;

/// The one body of `scan` and `scan_mut`, which differ only in borrowing.
macro_rules! scan_body {
    ($self:ident, $from:ident, $count:ident, $visit:ident, $iter:ident $(, $m:tt)?) => {{
        let mut pos = $from;
        let mut seen = 0usize;
        while pos < POS_END {
            let h0 = pos << (64 - POS_BITS);
            let index = $self.segment_of(h0);
            let depth = $self.segments[index].depth;
            // The segment covers the hash prefixes sharing its top `depth` bits.
            let seg_end = if depth == 0 { POS_END } else { ((h0 >> (64 - depth)) + 1) << (POS_BITS - depth) };
            let hasher = &$self.hasher;
            let mut batch: Vec<(u64, &$($m)? (K, V))> = $self.segments[index]
                .entries
                .$iter()
                .map(|e| (hasher.hash_one(e.0.as_ref()) >> (64 - POS_BITS), e))
                .filter(|(p, _)| *p >= pos)
                .collect();
            batch.sort_unstable_by_key(|(p, _)| *p);
            let mut i = 0;
            while i < batch.len() {
                // Never stop inside a run of equal positions: a resumed cursor would skip the rest.
                let p = batch[i].0;
                while i < batch.len() && batch[i].0 == p {
                    let e = &$($m)? batch[i].1;
                    $visit(&e.0, &$($m)? e.1);
                    seen += 1;
                    i += 1;
                }
                if seen >= $count && i < batch.len() {
                    return Some(batch[i].0);
                }
            }
            pos = seg_end;
            if seen >= $count {
                break;
            }
        }
        (pos < POS_END).then_some(pos)
    }};
}

struct Segment<V, K> {
    depth: u32,
    /// Where each key is in `entries`, found by its hash.
    index: Buckets16,
    entries: Vec<(K, V)>,
}

impl<V, K: TableKey> Segment<V, K> {
    fn new(depth: u32, items: Vec<(K, V)>, hasher: &DefaultHashBuilder) -> Self {
        let mut seg = Segment { depth, index: Buckets16::with_capacity(items.len()), entries: Vec::new() };
        seg.entries.reserve_exact(seg.room_for(items.len()));
        for item in items {
            let h = hasher.hash_one(item.0.as_ref());
            seg.push(h, item, hasher);
        }
        seg
    }

    /// How much to grow `entries` by to hold `n`: to the end of the
    /// allocator's size class (classes are 12-25% apart), never past `SEGMENT_MAX`.
    fn room_for(&self, n: usize) -> usize {
        let size = std::mem::size_of::<(K, V)>().max(1);
        let fits = size_class(n.max(4) * size) / size;
        fits.clamp(n, SEGMENT_MAX.max(n)) - self.entries.len()
    }

    fn find(&self, h: u64, key: &[u8]) -> Option<usize> {
        let entries = &self.entries;
        self.index.find(h, |&i| entries[i as usize].0.as_ref() == key).map(|&i| i as usize)
    }

    fn push(&mut self, h: u64, item: (K, V), hasher: &DefaultHashBuilder) {
        if self.entries.len() == self.entries.capacity() {
            self.entries.reserve_exact(self.room_for(self.entries.len() + 1));
        }
        let i = self.entries.len() as u16;
        self.entries.push(item);
        let entries = &self.entries;
        self.index.insert_unique(h, i, |&j| hasher.hash_one(entries[j as usize].0.as_ref()));
    }

    /// Removes entry `i` (of hash `h`): the last entry moves into its place.
    fn remove_at(&mut self, h: u64, i: usize, hasher: &DefaultHashBuilder) -> (K, V) {
        self.index.remove(h, |&j| j as usize == i).expect("entry is indexed");
        let item = self.entries.swap_remove(i);
        if i < self.entries.len() {
            let moved = hasher.hash_one(self.entries[i].0.as_ref());
            let last = self.entries.len() as u16;
            *self.index.find_mut(moved, |&j| j == last).expect("moved entry is indexed") = i as u16;
        }
        if self.entries.len() < self.entries.capacity() / 2 {
            self.entries.shrink_to(self.entries.len() + self.entries.len() / 4);
        }
        item
    }
}

/// Keys of type `K` (`Bytes`, or `CompactKey` for the keyspace) to values `V`.
pub struct KeyTable<V, K = Bytes> {
    hasher: DefaultHashBuilder,
    /// 2^global_depth slots, each naming the segment for that hash prefix.
    dir: Vec<u32>,
    global_depth: u32,
    segments: Vec<Segment<V, K>>,
    len: usize,
}

impl<V, K: TableKey> Default for KeyTable<V, K> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V, K: TableKey> KeyTable<V, K> {
    pub fn new() -> Self {
        KeyTable {
            hasher: DefaultHashBuilder::default(),
            dir: vec![0],
            global_depth: 0,
            segments: vec![Segment { depth: 0, index: Buckets16::default(), entries: Vec::new() }],
            len: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn hash(&self, key: &[u8]) -> u64 {
        self.hasher.hash_one(key)
    }

    /// The SCAN position of `key`: a scan resumed at a later position has visited it.
    pub fn position(&self, key: &[u8]) -> u64 {
        self.hash(key) >> (64 - POS_BITS)
    }

    fn segment_of(&self, hash: u64) -> usize {
        if self.global_depth == 0 {
            0
        } else {
            self.dir[(hash >> (64 - self.global_depth)) as usize] as usize
        }
    }

    pub fn get(&self, key: &[u8]) -> Option<&V> {
        let h = self.hash(key);
        let seg = &self.segments[self.segment_of(h)];
        seg.find(h, key).map(|i| &seg.entries[i].1)
    }

    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        let h = self.hash(key);
        let s = self.segment_of(h);
        let seg = &mut self.segments[s];
        seg.find(h, key).map(|i| &mut seg.entries[i].1)
    }

    /// One lookup that also drops a dead entry: `None` when the key is
    /// missing or `dead` says so (the entry is then removed and returned in `removed`).
    pub fn get_live(&mut self, key: &[u8], dead: impl Fn(&V) -> bool, removed: &mut Option<V>) -> Option<&mut V> {
        let h = self.hash(key);
        let s = self.segment_of(h);
        let i = self.segments[s].find(h, key)?;
        if dead(&self.segments[s].entries[i].1) {
            self.len -= 1;
            *removed = Some(self.segments[s].remove_at(h, i, &self.hasher).1);
            return None;
        }
        Some(&mut self.segments[s].entries[i].1)
    }

    pub fn contains(&self, key: &[u8]) -> bool {
        self.get(key).is_some()
    }

    /// Inserts or replaces; returns the previous value.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        let h = self.hash(key.as_ref());
        let mut s = self.segment_of(h);
        if let Some(i) = self.segments[s].find(h, key.as_ref()) {
            return Some(std::mem::replace(&mut self.segments[s].entries[i].1, value));
        }
        if self.segments[s].entries.len() >= SEGMENT_MAX {
            self.split(s);
            s = self.segment_of(h);
        }
        self.segments[s].push(h, (key, value), &self.hasher);
        self.len += 1;
        None
    }

    pub fn remove(&mut self, key: &[u8]) -> Option<(K, V)> {
        let h = self.hash(key);
        let s = self.segment_of(h);
        let i = self.segments[s].find(h, key)?;
        self.len -= 1;
        Some(self.segments[s].remove_at(h, i, &self.hasher))
    }

    fn split(&mut self, s: usize) {
        let depth = self.segments[s].depth;
        if depth == self.global_depth {
            self.dir = self.dir.iter().flat_map(|&seg| [seg, seg]).collect();
            self.global_depth += 1;
        }
        let bit = 1u64 << (63 - depth);
        let hasher = &self.hasher;
        let old = std::mem::take(&mut self.segments[s].entries);
        let (upper, lower): (Vec<_>, Vec<_>) =
            old.into_iter().partition(|(k, _)| hasher.hash_one(k.as_ref()) & bit != 0);
        self.segments[s] = Segment::new(depth + 1, lower, hasher);
        let new_index = self.segments.len() as u32;
        self.segments.push(Segment::new(depth + 1, upper, hasher));
        // The segment's directory range is contiguous; its upper half now names the new one.
        let span = 1usize << (self.global_depth - depth);
        let first = self.dir.iter().position(|&x| x as usize == s).expect("segment is in the directory");
        for slot in &mut self.dir[first + span / 2..first + span] {
            *slot = new_index;
        }
    }

    /// Visits keys in hash order from SCAN position `from`, at least `count`
    /// of them unless the table ends first. Returns the position to resume at,
    /// or `None` when the whole table has been visited. Keys present for the
    /// whole scan are visited exactly once, even across splits.
    pub fn scan(&self, from: u64, count: usize, mut visit: impl FnMut(&K, &V)) -> Option<u64> {
        scan_body!(self, from, count, visit, iter)
    }

    /// `scan`, with the values open to change.
    pub fn scan_mut(&mut self, from: u64, count: usize, mut visit: impl FnMut(&K, &mut V)) -> Option<u64> {
        scan_body!(self, from, count, visit, iter_mut, mut)
    }

    /// The `n`-th key in the table's own order (`n < len`), for RANDOMKEY.
    pub fn nth(&self, mut n: usize) -> Option<(&K, &V)> {
        for seg in &self.segments {
            if let Some((k, v)) = seg.entries.get(n) {
                return Some((k, v));
            }
            n -= seg.entries.len();
        }
        None
    }

    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.segments.iter().flat_map(|s| s.entries.iter().map(|(k, v)| (k, v)))
    }

    pub fn clear(&mut self) {
        *self = Self::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn key(i: usize) -> Bytes {
        Bytes::from(format!("key:{i}"))
    }

    #[test]
    fn insert_get_remove_across_splits() {
        let mut t: KeyTable<usize> = KeyTable::new();
        for i in 0..20_000 {
            assert!(t.insert(key(i), i).is_none());
        }
        assert_eq!(t.len(), 20_000);
        assert!(t.segments.len() > 8);
        // No segment ever doubles past the size it splits at.
        assert!(t.segments.iter().all(|s| s.entries.capacity() <= SEGMENT_MAX));
        for i in 0..20_000 {
            assert_eq!(t.get(&key(i)), Some(&i));
        }
        assert_eq!(t.insert(key(5), 50), Some(5));
        for i in (0..20_000).step_by(2) {
            assert!(t.remove(&key(i)).is_some());
        }
        assert_eq!(t.len(), 10_000);
        assert!(t.get(&key(2)).is_none());
        assert_eq!(t.iter().count(), 10_000);
    }

    #[test]
    fn matches_a_model_under_random_inserts_and_removes() {
        use std::collections::HashMap;
        let mut t: KeyTable<u64> = KeyTable::new();
        let mut model = HashMap::new();
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for step in 0..200_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Keys from a space of 6000, biased to insert, so segments split and shrink.
            let k = key((x % 6000) as usize);
            match x >> 60 {
                0..=8 => assert_eq!(t.insert(k.clone(), step), model.insert(k, step)),
                9..=11 => assert_eq!(t.remove(&k).map(|(_, v)| v), model.remove(&k)),
                _ => {
                    let mut removed = None;
                    let live = t.get_live(&k, |v| v % 3 == 0, &mut removed).map(|v| *v);
                    match model.get(&k).copied() {
                        Some(v) if v % 3 == 0 => {
                            assert_eq!((live, removed), (None, Some(v)));
                            model.remove(&k);
                        }
                        v => assert_eq!((live, removed), (v, None)),
                    }
                }
            }
        }
        assert_eq!(t.len(), model.len());
        for (k, v) in &model {
            assert_eq!(t.get(k), Some(v));
        }
        assert_eq!(t.iter().count(), model.len());
        assert!(t.segments.iter().all(|s| s.entries.capacity() <= SEGMENT_MAX));
    }

    #[test]
    fn scan_visits_every_stable_key_once_while_growing() {
        let mut t: KeyTable<()> = KeyTable::new();
        for i in 0..3000 {
            t.insert(key(i), ());
        }
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut round = 0;
        loop {
            let next = t.scan(cursor, 10, |k, _| assert!(seen.insert(k.clone()), "visited twice: {k:?}"));
            // Grow the table between calls: splits must not make the scan miss keys.
            for j in 0..50 {
                t.insert(key(100_000 + round * 50 + j), ());
            }
            round += 1;
            match next {
                Some(c) => cursor = c,
                None => break,
            }
        }
        for i in 0..3000 {
            assert!(seen.contains(&key(i)), "missed key:{i}");
        }
    }
}
