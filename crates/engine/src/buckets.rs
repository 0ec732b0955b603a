//! A hash table of small positions (into an array of entries kept
//! elsewhere) in cache-line buckets: one-byte tags and the positions they
//! stand for, twelve `u32`s or twenty `u16`s a line. A lookup reads one line
//! of the table, then the entry a matching tag points at. hashbrown reads its
//! control group and then, in another line, the slot: one more cache miss
//! on every lookup once a table outgrows the cache.
//!
//! Full buckets spill into the next ones (linear probing by bucket), and
//! each bucket counts the entries that had to probe past it (F14's overflow
//! count), so a lookup stops at the first bucket no entry of its hash ever
//! passed. The table does not hash positions itself: callers pass each
//! entry's hash, and a function to rehash entries when it resizes.

/// What a slot holds: a position into the caller's entries.
pub(crate) trait Pos: Copy + PartialEq {
    const ZERO: Self;
}

impl Pos for u16 {
    const ZERO: u16 = 0;
}

impl Pos for u32 {
    const ZERO: u32 = 0;
}

/// Index of `u32` positions (the large sets, hashes and sorted sets).
pub(crate) type Buckets32 = Buckets<u32, 12>;
/// Index of `u16` positions (the key table's segments).
pub(crate) type Buckets16 = Buckets<u16, 20>;

#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Bucket<T, const W: usize> {
    /// 0 for an empty slot, else a few bits of the entry's hash (`tag`).
    tags: [u8; W],
    /// Entries stored past this bucket whose probe started at or before it
    /// (at most the table's length: its users split a table long before 2^16).
    overflow: u16,
    slots: [T; W],
}

impl<T: Pos, const W: usize> Bucket<T, W> {
    const EMPTY: Self = Bucket { tags: [0; W], overflow: 0, slots: [T::ZERO; W] };
    /// Entries per bucket, on average, before the table grows: 5/6 of the slots.
    const LOAD: usize = W * 5 / 6;
}

/// The bucket index takes the hash's low bits, the tag bits 32..40: both
/// clear of the top bits, which the key table and `Parts` use to choose the
/// segment or part (and so share within one table).
fn tag(hash: u64) -> u8 {
    ((hash >> 32) as u8).max(1)
}

/// A bit per slot whose tag is `t`.
fn matches<const W: usize>(tags: &[u8; W], t: u8) -> u32 {
    tags.iter().enumerate().fold(0, |m, (i, &x)| m | (((x == t) as u32) << i))
}

#[derive(Clone)]
pub(crate) struct Buckets<T, const W: usize> {
    /// A power of two of them, or none.
    buckets: Vec<Bucket<T, W>>,
    len: usize,
}

impl<T, const W: usize> Default for Buckets<T, W> {
    fn default() -> Self {
        Buckets { buckets: Vec::new(), len: 0 }
    }
}

impl<T: Pos, const W: usize> Buckets<T, W> {
    fn buckets_for(entries: usize) -> usize {
        if entries == 0 {
            0
        } else {
            entries.div_ceil(Bucket::<T, W>::LOAD).next_power_of_two()
        }
    }

    pub(crate) fn with_capacity(entries: usize) -> Self {
        Buckets { buckets: vec![Bucket::EMPTY; Self::buckets_for(entries)], len: 0 }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn num_buckets(&self) -> usize {
        self.buckets.len()
    }

    /// Entries it takes before it grows.
    pub(crate) fn capacity(&self) -> usize {
        self.buckets.len() * Bucket::<T, W>::LOAD
    }

    fn home(&self, hash: u64) -> usize {
        hash as usize & (self.buckets.len() - 1)
    }

    fn next(&self, b: usize) -> usize {
        (b + 1) & (self.buckets.len() - 1)
    }

    /// The bucket and slot of the entry `eq` picks among those with `hash`.
    fn locate(&self, hash: u64, mut eq: impl FnMut(&T) -> bool) -> Option<(usize, usize)> {
        if self.buckets.is_empty() {
            return None;
        }
        let t = tag(hash);
        let mut b = self.home(hash);
        // At most once round: after removals, overflow counts can chain all
        // the way round the table, but no entry sits further than that.
        for _ in 0..self.buckets.len() {
            let bucket = &self.buckets[b];
            let mut m = matches(&bucket.tags, t);
            while m != 0 {
                let i = m.trailing_zeros() as usize;
                if eq(&bucket.slots[i]) {
                    return Some((b, i));
                }
                m &= m - 1;
            }
            if bucket.overflow == 0 {
                return None;
            }
            b = self.next(b);
        }
        None
    }

    pub(crate) fn find(&self, hash: u64, eq: impl FnMut(&T) -> bool) -> Option<&T> {
        let (b, i) = self.locate(hash, eq)?;
        Some(&self.buckets[b].slots[i])
    }

    pub(crate) fn find_mut(&mut self, hash: u64, eq: impl FnMut(&T) -> bool) -> Option<&mut T> {
        let (b, i) = self.locate(hash, eq)?;
        Some(&mut self.buckets[b].slots[i])
    }

    /// Adds an entry that is not in the table, growing it first if full.
    pub(crate) fn insert_unique(&mut self, hash: u64, entry: T, hash_of: impl Fn(&T) -> u64) {
        if self.len >= self.capacity() {
            self.resize(Self::buckets_for(self.len + 1).max(2 * self.buckets.len()), &hash_of);
        }
        self.place(hash, entry);
        self.len += 1;
    }

    /// Puts an entry in the first free slot from its home bucket on; there
    /// is one, since the table is never full.
    fn place(&mut self, hash: u64, entry: T) {
        let mut b = self.home(hash);
        loop {
            let bucket = &mut self.buckets[b];
            if let Some(i) = bucket.tags.iter().position(|&x| x == 0) {
                bucket.tags[i] = tag(hash);
                bucket.slots[i] = entry;
                return;
            }
            bucket.overflow += 1;
            b = self.next(b);
        }
    }

    /// Removes and returns the entry `eq` picks among those with `hash`.
    pub(crate) fn remove(&mut self, hash: u64, eq: impl FnMut(&T) -> bool) -> Option<T> {
        let (found, i) = self.locate(hash, eq)?;
        self.buckets[found].tags[i] = 0;
        let mut b = self.home(hash);
        while b != found {
            self.buckets[b].overflow -= 1;
            b = self.next(b);
        }
        self.len -= 1;
        Some(self.buckets[found].slots[i])
    }

    /// Makes room for `extra` more entries.
    pub(crate) fn reserve(&mut self, extra: usize, hash_of: impl Fn(&T) -> u64) {
        if self.len + extra > self.capacity() {
            self.resize(Self::buckets_for(self.len + extra), &hash_of);
        }
    }

    /// Gives memory back, keeping room for `entries` (and at least `len`).
    pub(crate) fn shrink_to(&mut self, entries: usize, hash_of: impl Fn(&T) -> u64) {
        let n = Self::buckets_for(entries.max(self.len));
        if n < self.buckets.len() {
            self.resize(n, &hash_of);
        }
    }

    fn resize(&mut self, buckets: usize, hash_of: &impl Fn(&T) -> u64) {
        let old = std::mem::replace(&mut self.buckets, vec![Bucket::EMPTY; buckets]);
        for e in entries(&old) {
            self.place(hash_of(&e), e);
        }
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = T> + '_ {
        entries(&self.buckets)
    }
}

fn entries<T: Pos, const W: usize>(buckets: &[Bucket<T, W>]) -> impl Iterator<Item = T> + '_ {
    buckets.iter().flat_map(|b| b.tags.iter().zip(&b.slots).filter(|(&t, _)| t != 0).map(|(_, &s)| s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Few distinct hashes, so tags collide, probes spill and overflow
    /// counts matter; checked against a map after every step.
    fn agrees_with_a_map<
        T: Pos + Into<u64> + TryFrom<u64> + std::hash::Hash + Eq + Ord + std::fmt::Debug,
        const W: usize,
    >() {
        assert_eq!(std::mem::size_of::<Bucket<T, W>>(), 64);
        let hash_of = |e: &T| ((*e).into() % 97).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let mut t = Buckets::<T, W>::default();
        let mut model: HashMap<T, ()> = HashMap::new();
        let mut x: u64 = 7;
        for step in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let Ok(e) = T::try_from(x % 3000) else { unreachable!() };
            let h = hash_of(&e);
            let found = t.find(h, |&s| s == e).copied();
            assert_eq!(found.is_some(), model.contains_key(&e), "step {step}");
            match (found, x % 7 < 4) {
                (None, true) => {
                    t.insert_unique(h, e, hash_of);
                    model.insert(e, ());
                }
                (Some(_), false) => {
                    assert_eq!(t.remove(h, |&s| s == e), Some(e));
                    model.remove(&e);
                    if step % 5 == 0 {
                        t.shrink_to(t.len() * 2, hash_of);
                    }
                }
                _ => {}
            }
            assert_eq!(t.len(), model.len());
            assert!(t.len() <= t.capacity());
        }
        let mut all: Vec<T> = t.iter().collect();
        all.sort_unstable();
        let mut want: Vec<T> = model.keys().copied().collect();
        want.sort_unstable();
        assert_eq!(all, want);
        // Every overflow count is what the entries' probes imply.
        let n = t.num_buckets();
        let mut overflow = vec![0u16; n];
        for (b, bucket) in t.buckets.iter().enumerate() {
            for (&tg, e) in bucket.tags.iter().zip(&bucket.slots) {
                if tg != 0 {
                    let mut p = hash_of(e) as usize & (n - 1);
                    while p != b {
                        overflow[p] += 1;
                        p = (p + 1) & (n - 1);
                    }
                }
            }
        }
        assert_eq!(overflow, t.buckets.iter().map(|b| b.overflow).collect::<Vec<_>>());
    }

    /// Overflow counts left by entries that spilled both ways round a
    /// two-bucket table: a lookup of a missing entry must still end.
    #[test]
    fn lookup_ends_when_overflow_goes_all_the_way_round() {
        // Entry e is homed at bucket e % 2, with its own tag.
        let hash_of = |e: &u32| ((*e as u64) << 32) | (*e as u64 % 2);
        let mut t = Buckets32::with_capacity(20);
        assert_eq!(t.num_buckets(), 2);
        let even = (1..=13).map(|i| 2 * i);
        for e in even.clone() {
            t.insert_unique(hash_of(&e), e, hash_of);
        }
        // The 13th even entry spilled into bucket 1; free some of bucket 0.
        for e in even.take(5) {
            assert_eq!(t.remove(hash_of(&e), |&s| s == e), Some(e));
        }
        for e in (0..12).map(|i| 2 * i + 101) {
            t.insert_unique(hash_of(&e), e, hash_of);
        }
        assert_eq!(t.len(), t.capacity());
        assert!(t.buckets.iter().all(|b| b.overflow > 0));
        let missing = 1001;
        assert_eq!(t.find(hash_of(&missing), |&s| s == missing), None);
        assert_eq!(t.find(hash_of(&123), |&s| s == 123), Some(&123));
    }

    #[test]
    fn both_widths_agree_with_a_map() {
        agrees_with_a_map::<u32, 12>();
        agrees_with_a_map::<u16, 20>();
    }
}
