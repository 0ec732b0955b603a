//! The set value type, with Redis 7.0's two encodings: an `intset` (a sorted
//! array of integers packed 2, 4 or 8 bytes each) while every member is an
//! integer and there are at most `set-max-intset-entries` of them, else a
//! `hashtable`. The switch is one-way, as in Redis.

use crate::buckets::Buckets32 as Buckets;
use bytes::Bytes;
use hashbrown::DefaultHashBuilder;
use std::fmt;
use std::hash::BuildHasher;
use std::io::Write;

#[derive(Debug, Clone, PartialEq)]
pub enum Set {
    Ints(IntSet),
    /// Boxed so a small set (and the `Box<Set>` a key holds) stays small.
    Table(Box<Table>),
}

impl Default for Set {
    fn default() -> Self {
        Set::Ints(IntSet::default())
    }
}

/// A member as a set holds it: an intset's integer, or a hashtable member's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Elem<'a> {
    Int(i64),
    Bytes(&'a [u8]),
}

impl Elem<'_> {
    pub fn to_bytes(self) -> Bytes {
        match self {
            Elem::Int(v) => Bytes::from(v.to_string()),
            Elem::Bytes(b) => Bytes::copy_from_slice(b),
        }
    }

    /// Calls `f` with the member's text; an integer is formatted on the stack.
    pub fn with_bytes<R>(self, f: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            Elem::Bytes(b) => f(b),
            Elem::Int(v) => {
                let mut buf = [0u8; 20];
                let mut w = &mut buf[..];
                write!(w, "{v}").expect("an i64 fits in 20 bytes");
                let n = 20 - w.len();
                f(&buf[..n])
            }
        }
    }
}

impl Set {
    pub fn len(&self) -> usize {
        match self {
            Set::Ints(s) => s.len(),
            Set::Table(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name OBJECT ENCODING replies with.
    pub fn encoding(&self) -> &'static str {
        match self {
            Set::Ints(_) => "intset",
            Set::Table(_) => "hashtable",
        }
    }

    pub fn contains(&self, member: &[u8]) -> bool {
        self.contains_elem(Elem::Bytes(member))
    }

    /// Membership of a member taken from another set (no parsing or
    /// formatting when both sides are intsets).
    pub fn contains_elem(&self, e: Elem) -> bool {
        match (self, e) {
            (Set::Ints(s), Elem::Int(v)) => s.contains(v),
            (Set::Ints(s), Elem::Bytes(b)) => resp::parse_i64(b).is_some_and(|v| s.contains(v)),
            (Set::Table(t), e) => e.with_bytes(|b| t.contains(b)),
        }
    }

    /// Adds a member; false if it was there already. A set starts as an
    /// intset (as Redis 7.0 builds every new set from its first member, and
    /// the *STORE results from an empty intset) and becomes a hashtable on
    /// the first member that is not an integer in canonical form, or when
    /// it grows past `max_intset` members.
    pub fn insert(&mut self, member: &[u8], max_intset: usize) -> bool {
        self.insert_elem(Elem::Bytes(member), max_intset)
    }

    pub fn insert_elem(&mut self, e: Elem, max_intset: usize) -> bool {
        let int = match e {
            Elem::Int(v) => Some(v),
            Elem::Bytes(b) => resp::parse_i64(b),
        };
        if let (Set::Ints(s), Some(v)) = (&mut *self, int) {
            if !s.insert(v) {
                return false;
            }
            if s.len() > max_intset {
                self.convert();
            }
            return true;
        }
        if let Set::Ints(_) = self {
            self.convert();
        }
        match self {
            Set::Table(t) => e.with_bytes(|b| t.insert(b)),
            _ => unreachable!("converted above"),
        }
    }

    /// Turns an intset into a hashtable holding the same members.
    fn convert(&mut self) {
        if let Set::Ints(s) = self {
            let mut t = Table::default();
            for v in s.iter() {
                Elem::Int(v).with_bytes(|b| t.insert(b));
            }
            *self = Set::Table(Box::new(t));
        }
    }

    /// Removes a member; false if it was not there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        self.remove_elem(Elem::Bytes(member))
    }

    pub fn remove_elem(&mut self, e: Elem) -> bool {
        match (self, e) {
            (Set::Ints(s), Elem::Int(v)) => s.remove(v),
            (Set::Ints(s), Elem::Bytes(b)) => resp::parse_i64(b).is_some_and(|v| s.remove(v)),
            (Set::Table(t), e) => e.with_bytes(|b| t.remove(b)),
        }
    }

    /// Every member: an intset's in ascending order (as Redis replies), a hashtable's in no set order.
    pub fn iter(&self) -> Box<dyn Iterator<Item = Elem<'_>> + '_> {
        match self {
            Set::Ints(s) => Box::new(s.iter().map(Elem::Int)),
            Set::Table(t) => Box::new(t.iter().map(Elem::Bytes)),
        }
    }

    /// A random member (`None` when empty); `pick(n)` gives a random index below `n`.
    pub fn random(&self, pick: &mut impl FnMut(usize) -> usize) -> Option<Elem<'_>> {
        match self {
            _ if self.is_empty() => None,
            Set::Ints(s) => Some(Elem::Int(s.get(pick(s.len())))),
            Set::Table(t) => Some(Elem::Bytes(t.random(pick))),
        }
    }

    /// Removes and returns a random member.
    pub fn pop_random(&mut self, pick: &mut impl FnMut(usize) -> usize) -> Option<Bytes> {
        let member = self.random(pick)?.to_bytes();
        self.remove(&member);
        Some(member)
    }

    /// SSCAN: visits members from `cursor` on, at least `count` unless the
    /// set ends first, and returns the cursor to continue from (0: done).
    /// An intset is visited whole in one call, as Redis does.
    pub fn scan(&self, cursor: u64, count: usize, mut visit: impl FnMut(Elem)) -> u64 {
        match self {
            Set::Ints(s) => {
                s.iter().for_each(|v| visit(Elem::Int(v)));
                0
            }
            Set::Table(t) => t.scan(cursor, count, |b| visit(Elem::Bytes(b))),
        }
    }
}

/// A sorted array of distinct integers, all stored with the width (2, 4 or
/// 8 bytes) of the widest one, like Redis's intset. A removal never narrows it.
#[derive(Debug, Clone, PartialEq)]
pub struct IntSet {
    width: usize,
    data: Vec<u8>,
}

impl Default for IntSet {
    fn default() -> Self {
        IntSet { width: 2, data: Vec::new() }
    }
}

fn width_of(v: i64) -> usize {
    if v as i16 as i64 == v {
        2
    } else if v as i32 as i64 == v {
        4
    } else {
        8
    }
}

fn encode(v: i64, width: usize) -> ([u8; 8], usize) {
    let mut buf = [0u8; 8];
    match width {
        2 => buf[..2].copy_from_slice(&(v as i16).to_le_bytes()),
        4 => buf[..4].copy_from_slice(&(v as i32).to_le_bytes()),
        _ => buf.copy_from_slice(&v.to_le_bytes()),
    }
    (buf, width)
}

impl IntSet {
    pub fn len(&self) -> usize {
        self.data.len() / self.width
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    pub fn get(&self, i: usize) -> i64 {
        let b = &self.data[i * self.width..(i + 1) * self.width];
        match self.width {
            2 => i16::from_le_bytes([b[0], b[1]]) as i64,
            4 => i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as i64,
            _ => i64::from_le_bytes(b.try_into().expect("8 bytes")),
        }
    }

    fn search(&self, v: i64) -> Result<usize, usize> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.get(mid).cmp(&v) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(mid),
            }
        }
        Err(lo)
    }

    pub fn contains(&self, v: i64) -> bool {
        width_of(v) <= self.width && self.search(v).is_ok()
    }

    pub fn insert(&mut self, v: i64) -> bool {
        let w = width_of(v);
        if w > self.width {
            let wide: Vec<u8> = self.iter().flat_map(|x| encode(x, w).0.into_iter().take(w)).collect();
            self.data = wide;
            self.width = w;
        }
        match self.search(v) {
            Ok(_) => false,
            Err(i) => {
                let (buf, w) = encode(v, self.width);
                // Grow exactly, as Redis reallocs: an intset is meant to be small and tight.
                self.data.reserve_exact(w);
                self.data.splice(i * w..i * w, buf[..w].iter().copied());
                true
            }
        }
    }

    pub fn remove(&mut self, v: i64) -> bool {
        if width_of(v) > self.width {
            return false;
        }
        match self.search(v) {
            Ok(i) => {
                self.data.drain(i * self.width..(i + 1) * self.width);
                true
            }
            Err(_) => false,
        }
    }

    /// Ascending.
    pub fn iter(&self) -> impl Iterator<Item = i64> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }
}

/// Members up to this length are stored inside the table slot, without a
/// heap allocation of their own (most set members are short ids).
const INLINE: usize = 22;

/// A member: 24 bytes in its slot, plus a heap copy if long. Sorted set
/// B+tree records hold their member the same way.
#[derive(Clone)]
pub(crate) enum Member {
    Inline(u8, [u8; INLINE]),
    Heap(Box<[u8]>),
}

impl Member {
    pub(crate) fn new(b: &[u8]) -> Member {
        if b.len() <= INLINE {
            let mut buf = [0u8; INLINE];
            buf[..b.len()].copy_from_slice(b);
            Member::Inline(b.len() as u8, buf)
        } else {
            Member::Heap(b.into())
        }
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        match self {
            Member::Inline(n, buf) => &buf[..*n as usize],
            Member::Heap(b) => b,
        }
    }
}

impl Default for Member {
    fn default() -> Self {
        Member::Inline(0, [0; INLINE])
    }
}

/// A part's table never grows past this many buckets (320 entries, 2 KiB):
/// it splits instead.
const PART_BUCKETS: usize = 32;
/// Two buddy parts merge when they hold no more than this together (a
/// quarter of a full part, so a merged part does not split again soon).
const PART_MERGE: usize = 80;

/// The large encodings' table (sets, hashes, the sorted set's member index):
/// entries spread over small `Buckets` tables ("parts") by the top bits of
/// their hash, by extendible hashing. A full part splits in two by the next
/// hash bit instead of growing, so
/// - growth never rehashes more than one part (no stall on a big collection);
/// - every part's load stays between 5/12 and 5/6 (one big table would sit
///   at 5/12 right after each doubling);
/// - the parts partition hash space in order, which gives SCAN a cursor that
///   stays valid however the table changes: a hash value below which every
///   entry has been visited. Resuming sorts one part, never the whole table.
///
/// Entries are `u32` positions: the table does not know how to hash one (a
/// sorted set's index holds record numbers whose member lives in a record
/// arena), so calls that may move entries take `hash_of`, which must hash an
/// entry's key with the hasher it is given, the same hash `hash` gives for
/// that key.
#[derive(Clone)]
pub(crate) struct Parts {
    hasher: DefaultHashBuilder,
    /// 2^depth slots, each naming the part for that hash prefix.
    dir: Vec<u32>,
    depth: u32,
    parts: Vec<Part>,
}

#[derive(Clone)]
struct Part {
    /// How many top hash bits all of this part's entries share.
    depth: u32,
    table: Buckets,
}

impl Default for Parts {
    fn default() -> Self {
        Parts::with_hasher(DefaultHashBuilder::default())
    }
}

impl Parts {
    pub(crate) fn with_hasher(hasher: DefaultHashBuilder) -> Self {
        Parts { hasher, dir: vec![0], depth: 0, parts: vec![Part { depth: 0, table: Buckets::default() }] }
    }
}

/// The top `bits` bits of `hash` (0 for none).
fn prefix(hash: u64, bits: u32) -> usize {
    if bits == 0 {
        0
    } else {
        (hash >> (64 - bits)) as usize
    }
}

impl Parts {
    pub(crate) fn hash(&self, key: &[u8]) -> u64 {
        self.hasher.hash_one(key)
    }

    fn part_of(&self, hash: u64) -> usize {
        self.dir[prefix(hash, self.depth)] as usize
    }

    pub(crate) fn find(&self, hash: u64, eq: impl FnMut(&u32) -> bool) -> Option<&u32> {
        self.parts[self.part_of(hash)].table.find(hash, eq)
    }

    pub(crate) fn find_mut(&mut self, hash: u64, eq: impl FnMut(&u32) -> bool) -> Option<&mut u32> {
        let p = self.part_of(hash);
        self.parts[p].table.find_mut(hash, eq)
    }

    /// Adds an entry whose key is not in the table.
    pub(crate) fn insert(&mut self, hash: u64, entry: u32, hash_of: impl Fn(&DefaultHashBuilder, &u32) -> u64) {
        let mut p = self.part_of(hash);
        let t = &self.parts[p].table;
        // Where the part's table would double past its largest size, split it instead.
        if t.len() == t.capacity() && t.num_buckets() >= PART_BUCKETS {
            self.split(p, &hash_of);
            p = self.part_of(hash);
        }
        let hasher = &self.hasher;
        self.parts[p].table.insert_unique(hash, entry, |e| hash_of(hasher, e));
    }

    /// Removes and returns the entry `eq` picks among those with `hash`.
    pub(crate) fn remove(
        &mut self,
        hash: u64,
        eq: impl FnMut(&u32) -> bool,
        hash_of: impl Fn(&DefaultHashBuilder, &u32) -> u64,
    ) -> Option<u32> {
        let p = self.part_of(hash);
        let entry = self.parts[p].table.remove(hash, eq)?;
        let hasher = &self.hasher;
        let t = &mut self.parts[p].table;
        // Give memory back as the part empties.
        if t.num_buckets() > 2 && t.len() * 4 < t.capacity() {
            t.shrink_to(t.len() * 2, |e| hash_of(hasher, e));
        }
        self.maybe_merge(p, hash, &hash_of);
        Some(entry)
    }

    /// Splits part `p` in two by its next hash bit, doubling the directory
    /// first if the part already uses all of its bits.
    fn split(&mut self, p: usize, hash_of: &impl Fn(&DefaultHashBuilder, &u32) -> u64) {
        let depth = self.parts[p].depth;
        if depth == self.depth {
            self.dir = self.dir.iter().flat_map(|&x| [x, x]).collect();
            self.depth += 1;
        }
        let bit = 1u64 << (63 - depth);
        let hasher = &self.hasher;
        let rehash = |e: &u32| hash_of(hasher, e);
        let old = std::mem::take(&mut self.parts[p].table);
        let (high, low): (Vec<_>, Vec<_>) = old.iter().map(|e| (rehash(&e), e)).partition(|(h, _)| h & bit != 0);
        let table = |half: Vec<(u64, u32)>| {
            let mut t = Buckets::with_capacity(half.len());
            for (h, e) in half {
                t.insert_unique(h, e, rehash);
            }
            t
        };
        self.parts[p] = Part { depth: depth + 1, table: table(low) };
        let new = self.parts.len() as u32;
        self.parts.push(Part { depth: depth + 1, table: table(high) });
        // The part's directory slots are contiguous; the upper half now names the new part.
        let span = 1usize << (self.depth - depth);
        let first = self.dir.iter().position(|&x| x as usize == p).expect("part is in the directory");
        self.dir[first + span / 2..first + span].fill(new);
    }

    /// Merges part `p` (which covers `hash`) with its buddy, the part that
    /// differs only in its last hash bit, while both are that deep and small
    /// together; then tries again one level up.
    fn maybe_merge(&mut self, mut p: usize, hash: u64, hash_of: &impl Fn(&DefaultHashBuilder, &u32) -> u64) {
        loop {
            let depth = self.parts[p].depth;
            if depth == 0 {
                return;
            }
            let b = self.dir[(prefix(hash, depth) ^ 1) << (self.depth - depth)] as usize;
            if self.parts[b].depth != depth || self.parts[p].table.len() + self.parts[b].table.len() > PART_MERGE {
                return;
            }
            let (keep, gone) = if prefix(hash, depth) & 1 == 0 { (p, b) } else { (b, p) };
            let hasher = &self.hasher;
            let rehash = |e: &u32| hash_of(hasher, e);
            let moved = std::mem::take(&mut self.parts[gone].table);
            let part = &mut self.parts[keep];
            part.depth -= 1;
            part.table.reserve(moved.len(), rehash);
            for e in moved.iter() {
                part.table.insert_unique(rehash(&e), e, rehash);
            }
            // Drop the emptied part: the last one takes its number.
            let last = self.parts.len() - 1;
            self.parts.swap_remove(gone);
            for slot in &mut self.dir {
                if *slot as usize == gone {
                    *slot = keep as u32;
                }
                if *slot as usize == last {
                    *slot = gone as u32;
                }
            }
            p = if keep == last { gone } else { keep };
        }
    }

    /// One SCAN step: visits entries in hash order from `cursor`, at least
    /// `count` unless the table ends first, and returns the cursor to resume
    /// at (0: done). Entries present for the whole scan are visited once.
    pub(crate) fn scan(
        &self,
        cursor: u64,
        count: usize,
        hash_of: impl Fn(&DefaultHashBuilder, &u32) -> u64,
        mut visit: impl FnMut(&u32),
    ) -> u64 {
        let mut pos = cursor;
        let mut seen = 0;
        loop {
            let part = &self.parts[self.part_of(pos)];
            let mut batch: Vec<(u64, u32)> =
                part.table.iter().map(|e| (hash_of(&self.hasher, &e), e)).filter(|(h, _)| *h >= pos).collect();
            batch.sort_unstable_by_key(|(h, _)| *h);
            let mut i = 0;
            while i < batch.len() {
                // Never stop inside a run of equal hashes: a resumed cursor would skip the rest.
                let h = batch[i].0;
                while i < batch.len() && batch[i].0 == h {
                    visit(&batch[i].1);
                    seen += 1;
                    i += 1;
                }
                if seen >= count && i < batch.len() {
                    return batch[i].0;
                }
            }
            // On to the next part's range of hash space, if any.
            let next = prefix(pos, part.depth) + 1;
            if part.depth == 0 || next == 1 << part.depth {
                return 0;
            }
            pos = (next as u64) << (64 - part.depth);
            if seen >= count {
                return pos;
            }
        }
    }
}

/// An entry of a `Dense` table: what it is looked up by.
pub(crate) trait Keyed {
    fn key(&self) -> &[u8];
}

impl Keyed for Member {
    fn key(&self) -> &[u8] {
        self.bytes()
    }
}

/// Entries per arena chunk.
const CHUNK: usize = 1024;
/// Up to this many entries a `Dense` table has no index: a lookup compares
/// keys one by one (as cheap as hashing at this size, and it saves the index's
/// few hundred bytes on every small set or hash).
const LINEAR: usize = 16;

/// The large set and hash encodings: the entries packed in an arena, and a
/// `Parts` index from key to arena position. The index slot is 4 bytes, so
/// the index's load factor (between 7/16 and 7/8, in step with the
/// collection's doublings) costs little; the entries themselves sit in full
/// chunks. A removal moves the last entry into the hole, so the arena stays
/// dense and a random entry is a random position.
#[derive(Clone)]
pub(crate) struct Dense<E> {
    /// The first chunk grows like a `Vec` up to `CHUNK` (a table just past
    /// the small encoding's limit stays small); later ones are allocated full size.
    chunks: Vec<Vec<E>>,
    len: usize,
    /// The index's hasher, from the start: SCAN cursors are hash values and
    /// must mean the same once the index exists.
    hasher: DefaultHashBuilder,
    /// Built when the table outgrows `LINEAR` (and kept).
    index: Option<Box<Parts>>,
}

impl<E> Default for Dense<E> {
    fn default() -> Self {
        Dense { chunks: Vec::new(), len: 0, hasher: DefaultHashBuilder::default(), index: None }
    }
}

fn at<E>(chunks: &[Vec<E>], i: u32) -> &E {
    &chunks[i as usize / CHUNK][i as usize % CHUNK]
}

/// How the index hashes a position: by the key of the entry there.
fn key_hash<E: Keyed>(chunks: &[Vec<E>]) -> impl Fn(&DefaultHashBuilder, &u32) -> u64 + '_ {
    |hasher, &i| hasher.hash_one(at(chunks, i).key())
}

impl<E: Keyed> Dense<E> {
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The entry at arena position `i` (`i < len`).
    pub(crate) fn get(&self, i: usize) -> &E {
        at(&self.chunks, i as u32)
    }

    fn position(&self, key: &[u8]) -> Option<u32> {
        match &self.index {
            None => self.iter().position(|e| e.key() == key).map(|i| i as u32),
            Some(index) => index.find(self.hasher.hash_one(key), |&i| at(&self.chunks, i).key() == key).copied(),
        }
    }

    pub(crate) fn find(&self, key: &[u8]) -> Option<&E> {
        self.position(key).map(|i| at(&self.chunks, i))
    }

    pub(crate) fn find_mut(&mut self, key: &[u8]) -> Option<&mut E> {
        let i = self.position(key)? as usize;
        Some(&mut self.chunks[i / CHUNK][i % CHUNK])
    }

    /// Adds an entry whose key is not in the table.
    pub(crate) fn insert(&mut self, entry: E) {
        let h = self.hasher.hash_one(entry.key());
        match self.chunks.last_mut() {
            Some(c) if c.len() < CHUNK => c.push(entry),
            _ => {
                let mut c = if self.chunks.is_empty() { Vec::new() } else { Vec::with_capacity(CHUNK) };
                c.push(entry);
                self.chunks.push(c);
            }
        }
        let i = self.len as u32;
        self.len += 1;
        match &mut self.index {
            Some(index) => index.insert(h, i, key_hash(&self.chunks)),
            None if self.len > LINEAR => {
                let mut index = Box::new(Parts::with_hasher(self.hasher.clone()));
                for j in 0..self.len as u32 {
                    index.insert(self.hasher.hash_one(at(&self.chunks, j).key()), j, key_hash(&self.chunks));
                }
                self.index = Some(index);
            }
            None => {}
        }
    }

    /// Removes the entry with `key`, if any, and returns it.
    pub(crate) fn remove(&mut self, key: &[u8]) -> Option<E> {
        let i = self.position(key)?;
        let last = (self.len - 1) as u32;
        let Dense { chunks, len, hasher, index } = self;
        if let Some(index) = index {
            index.remove(hasher.hash_one(key), |&j| j == i, key_hash(chunks));
            // The last entry moves into the hole: repoint its index slot.
            if i != last {
                let lh = hasher.hash_one(at(chunks, last).key());
                *index.find_mut(lh, |&j| j == last).expect("entries are indexed") = i;
            }
        }
        let only = chunks.len() == 1;
        let tail = chunks.last_mut().expect("not empty");
        let mut entry = tail.pop().expect("chunks are never empty");
        if tail.is_empty() {
            chunks.pop();
        } else if only && tail.len() * 4 < tail.capacity() {
            tail.shrink_to(tail.len() * 2);
        }
        if i != last {
            std::mem::swap(&mut entry, &mut chunks[i as usize / CHUNK][i as usize % CHUNK]);
        }
        *len -= 1;
        Some(entry)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &E> + '_ {
        self.chunks.iter().flatten()
    }

    /// One SCAN step (see `Parts::scan`). Without an index the whole rest
    /// of the table goes in one step, as Redis does for its small encodings.
    pub(crate) fn scan(&self, cursor: u64, count: usize, mut visit: impl FnMut(&E)) -> u64 {
        match &self.index {
            Some(index) => index.scan(cursor, count, key_hash(&self.chunks), |&i| visit(at(&self.chunks, i))),
            None => {
                let mut rest: Vec<(u64, &E)> =
                    self.iter().map(|e| (self.hasher.hash_one(e.key()), e)).filter(|(h, _)| *h >= cursor).collect();
                rest.sort_unstable_by_key(|(h, _)| *h);
                rest.into_iter().for_each(|(_, e)| visit(e));
                0
            }
        }
    }
}

/// The hashtable encoding of a set.
#[derive(Clone, Default)]
pub struct Table(Dense<Member>);

impl Table {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn contains(&self, b: &[u8]) -> bool {
        self.0.find(b).is_some()
    }

    pub fn insert(&mut self, b: &[u8]) -> bool {
        if self.contains(b) {
            return false;
        }
        self.0.insert(Member::new(b));
        true
    }

    pub fn remove(&mut self, b: &[u8]) -> bool {
        self.0.remove(b).is_some()
    }

    pub fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.0.iter().map(Member::bytes)
    }

    /// A random member of a non-empty table: a random arena position.
    fn random(&self, pick: &mut impl FnMut(usize) -> usize) -> &[u8] {
        self.0.get(pick(self.len())).bytes()
    }

    fn scan(&self, cursor: u64, count: usize, mut visit: impl FnMut(&[u8])) -> u64 {
        self.0.scan(cursor, count, |m| visit(m.bytes()))
    }
}

impl PartialEq for Table {
    fn eq(&self, other: &Table) -> bool {
        self.len() == other.len() && self.iter().all(|m| other.contains(m))
    }
}

impl fmt::Debug for Table {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.debug_set().entries(self.iter().map(String::from_utf8_lossy)).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn rng() -> impl FnMut(usize) -> usize {
        let mut x = 0x9e3779b97f4a7c15u64;
        move |n| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % n as u64) as usize
        }
    }

    #[test]
    fn member_is_24_bytes() {
        assert_eq!(std::mem::size_of::<Member>(), 24);
        assert!(std::mem::size_of::<Set>() <= 32, "a key's Box<Set> stays small");
        assert_eq!(Member::new(b"abc").bytes(), b"abc");
        let long = vec![7u8; 100];
        assert_eq!(Member::new(&long).bytes(), &long[..]);
    }

    #[test]
    fn intset_widens_and_stays_sorted() {
        let mut s = IntSet::default();
        for v in [5, -3, 100, 70000, -1 << 40, 2] {
            assert!(s.insert(v));
        }
        assert!(!s.insert(70000));
        assert_eq!(s.width, 8);
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![-1 << 40, -3, 2, 5, 100, 70000]);
        assert!(s.contains(-3) && !s.contains(4) && !s.contains(i64::MAX));
        assert!(s.remove(-1 << 40) && !s.remove(-1 << 40) && !s.remove(i64::MIN));
        assert_eq!(s.len(), 5);
        assert_eq!(s.width, 8, "removal never narrows");
        let mut t = IntSet::default();
        t.insert(i64::MIN);
        t.insert(i64::MAX);
        assert_eq!(t.iter().collect::<Vec<_>>(), vec![i64::MIN, i64::MAX]);
    }

    #[test]
    fn encoding_switches_like_redis() {
        let mut s = Set::default();
        assert!(s.insert(b"1", 3) && s.insert(b"2", 3) && s.insert(b"3", 3));
        assert_eq!(s.encoding(), "intset");
        assert!(!s.insert(b"3", 3));
        assert!(s.insert(b"4", 3));
        assert_eq!(s.encoding(), "hashtable");
        assert!(s.remove(b"4") && s.remove(b"3"));
        assert_eq!(s.encoding(), "hashtable", "one way");
        for not_canonical in [&b"007"[..], b"+1", b"-0", b" 1", b"9223372036854775808", b"a"] {
            let mut s = Set::default();
            s.insert(not_canonical, 512);
            assert_eq!(s.encoding(), "hashtable");
            assert!(s.contains(not_canonical));
        }
        let mut s = Set::default();
        s.insert(b"-9223372036854775808", 512);
        assert_eq!(s.encoding(), "intset");
        assert!(s.contains(b"-9223372036854775808") && !s.contains(b"-09223372036854775808"));
    }

    #[test]
    fn table_grows_shrinks_and_scans_every_member_once() {
        let mut s = Set::default();
        for i in 0..5000 {
            assert!(s.insert(format!("m{i}").as_bytes(), 512));
        }
        let Set::Table(t) = &s else { panic!() };
        assert!(t.0.index.as_ref().unwrap().parts.len() >= 8);
        let mut seen = HashSet::new();
        let (mut cursor, mut round) = (0, 0);
        loop {
            cursor = s.scan(cursor, 10, |e| assert!(seen.insert(e.to_bytes()), "twice: {e:?}"));
            // Change the set between calls, enough to split and merge parts.
            for j in 0..20 {
                s.insert(format!("new{round}-{j}").as_bytes(), 512);
            }
            round += 1;
            if cursor == 0 {
                break;
            }
        }
        for i in 0..5000 {
            assert!(seen.contains(format!("m{i}").as_bytes()), "missed m{i}");
        }
        let mut pick = rng();
        while s.len() > 3 {
            let m = s.pop_random(&mut pick).unwrap();
            assert!(!s.contains(&m));
        }
        let Set::Table(t) = &s else { panic!() };
        assert_eq!(t.0.index.as_ref().unwrap().parts.len(), 1);
        assert_eq!(s.iter().count(), 3);
    }

    impl Parts {
        /// Every part is named by exactly the directory slots of its hash
        /// prefix, and holds only entries with that prefix.
        fn check(&self, hash_of: impl Fn(&DefaultHashBuilder, &u32) -> u64) {
            assert_eq!(self.dir.len(), 1 << self.depth);
            for (p, part) in self.parts.iter().enumerate() {
                let slots: Vec<usize> = (0..self.dir.len()).filter(|&s| self.dir[s] as usize == p).collect();
                assert_eq!(slots.len(), 1 << (self.depth - part.depth), "part {p}");
                assert_eq!(slots[0] >> (self.depth - part.depth) << (self.depth - part.depth), slots[0]);
                assert!(slots.windows(2).all(|w| w[1] == w[0] + 1));
                for e in part.table.iter() {
                    assert_eq!(self.dir[prefix(hash_of(&self.hasher, &e), self.depth)] as usize, p);
                }
                assert!(part.table.num_buckets() <= PART_BUCKETS);
            }
        }
    }

    #[test]
    fn parts_split_and_merge_back() {
        let mut t = Table::default();
        for i in 0..50_000 {
            assert!(t.insert(format!("member:{i}").as_bytes()));
        }
        t.0.index.as_ref().unwrap().check(key_hash(&t.0.chunks));
        assert!(t.0.index.as_ref().unwrap().parts.len() > 100);
        // Load stays high: no part table more than twice what its entries need.
        let room: usize = t.0.index.as_ref().unwrap().parts.iter().map(|p| p.table.capacity()).sum();
        assert!(room < 50_000 * 2, "room for {room}");
        for i in (0..50_000).filter(|i| i % 7 != 0) {
            assert!(t.remove(format!("member:{i}").as_bytes()));
        }
        t.0.index.as_ref().unwrap().check(key_hash(&t.0.chunks));
        for i in 0..50_000 {
            assert_eq!(t.contains(format!("member:{i}").as_bytes()), i % 7 == 0);
        }
        for i in (0..50_000).step_by(7) {
            assert!(t.remove(format!("member:{i}").as_bytes()));
        }
        t.0.index.as_ref().unwrap().check(key_hash(&t.0.chunks));
        assert_eq!((t.len(), t.0.index.as_ref().unwrap().parts.len()), (0, 1));
    }

    #[test]
    fn random_reaches_every_member() {
        let mut pick = rng();
        for s in [Set::default(), {
            let mut s = Set::default();
            for i in 0..10 {
                s.insert(i.to_string().as_bytes(), 512);
            }
            s
        }] {
            let mut seen = HashSet::new();
            for _ in 0..1000 {
                if let Some(e) = s.random(&mut pick) {
                    seen.insert(e.to_bytes());
                }
            }
            assert_eq!(seen.len(), s.len());
        }
    }

    #[test]
    fn elem_text() {
        assert_eq!(Elem::Int(i64::MIN).with_bytes(|b| b.to_vec()), b"-9223372036854775808");
        assert_eq!(Elem::Int(42).to_bytes(), Bytes::from_static(b"42"));
        let mut a = Set::default();
        a.insert(b"12", 512);
        let mut b = Set::default();
        b.insert(b"x", 512);
        b.insert(b"12", 512);
        assert!(b.contains_elem(Elem::Int(12)) && a.contains_elem(Elem::Bytes(b"12")));
        assert_eq!(a, a.clone());
        assert_ne!(a, b);
    }
}
