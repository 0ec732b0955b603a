//! The set value type, with Redis 7.0's two encodings: an `intset` (a sorted
//! array of integers packed 2, 4 or 8 bytes each) while every member is an
//! integer and there are at most `set-max-intset-entries` of them, else a
//! `hashtable`. The switch is one-way, as in Redis.

use bytes::Bytes;
use hashbrown::{DefaultHashBuilder, HashTable};
use std::fmt;
use std::hash::BuildHasher;
use std::io::Write;

#[derive(Debug, Clone, PartialEq)]
pub enum Set {
    Ints(IntSet),
    Table(Table),
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
            *self = Set::Table(t);
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

/// A hashtable member: 24 bytes in the slot, plus a heap copy if long.
#[derive(Clone)]
enum Member {
    Inline(u8, [u8; INLINE]),
    Heap(Box<[u8]>),
}

impl Member {
    fn new(b: &[u8]) -> Member {
        if b.len() <= INLINE {
            let mut buf = [0u8; INLINE];
            buf[..b.len()].copy_from_slice(b);
            Member::Inline(b.len() as u8, buf)
        } else {
            Member::Heap(b.into())
        }
    }

    fn bytes(&self) -> &[u8] {
        match self {
            Member::Inline(n, buf) => &buf[..*n as usize],
            Member::Heap(b) => b,
        }
    }
}

/// A part grows past this many members on average: the parts double.
const PART_MAX: usize = 512;
/// And below this many on average, neighbouring parts merge.
const PART_MIN: usize = 64;

/// The hashtable encoding: members spread over 2^bits hash tables ("parts")
/// by the top bits of their hash, so the parts partition hash space in order.
/// That gives SSCAN a cursor that stays valid however the set changes: a
/// hash value below which every member has been returned. Resuming only
/// sorts the members of one part (at most a few hundred), never the whole set.
#[derive(Clone)]
pub struct Table {
    hasher: DefaultHashBuilder,
    parts: Vec<HashTable<Member>>,
    bits: u32,
    len: usize,
}

impl Default for Table {
    fn default() -> Self {
        Table { hasher: DefaultHashBuilder::default(), parts: vec![HashTable::new()], bits: 0, len: 0 }
    }
}

/// The hash a part's table sees: hashbrown takes its control tag from the top
/// bits, which within one part are all equal (they chose the part).
fn inner(hash: u64) -> u64 {
    hash.rotate_left(32)
}

impl Table {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn hash(&self, b: &[u8]) -> u64 {
        self.hasher.hash_one(b)
    }

    fn part_of(&self, hash: u64) -> usize {
        if self.bits == 0 {
            0
        } else {
            (hash >> (64 - self.bits)) as usize
        }
    }

    pub fn contains(&self, b: &[u8]) -> bool {
        let h = self.hash(b);
        self.parts[self.part_of(h)].find(inner(h), |m| m.bytes() == b).is_some()
    }

    pub fn insert(&mut self, b: &[u8]) -> bool {
        let h = self.hash(b);
        let p = self.part_of(h);
        let hasher = &self.hasher;
        let rehash = |m: &Member| inner(hasher.hash_one(m.bytes()));
        match self.parts[p].entry(inner(h), |m| m.bytes() == b, rehash) {
            hashbrown::hash_table::Entry::Occupied(_) => return false,
            hashbrown::hash_table::Entry::Vacant(v) => {
                v.insert(Member::new(b));
            }
        }
        self.len += 1;
        if self.len > self.parts.len() * PART_MAX {
            self.split_parts();
        }
        true
    }

    pub fn remove(&mut self, b: &[u8]) -> bool {
        let h = self.hash(b);
        let p = self.part_of(h);
        let Ok(entry) = self.parts[p].find_entry(inner(h), |m| m.bytes() == b) else {
            return false;
        };
        entry.remove();
        self.len -= 1;
        let part = &mut self.parts[p];
        // Keep parts dense enough that a random bucket is often occupied (SPOP, SRANDMEMBER).
        if part.num_buckets() > 16 && part.len() * 8 < part.num_buckets() {
            let hasher = &self.hasher;
            part.shrink_to(part.len() * 2, |m| inner(hasher.hash_one(m.bytes())));
        }
        if self.bits > 0 && self.len < self.parts.len() * PART_MIN {
            self.merge_parts();
        }
        true
    }

    /// Doubles the parts: part i splits into 2i and 2i+1 by the next hash bit.
    fn split_parts(&mut self) {
        let bit = 1u64 << (63 - self.bits);
        let hasher = &self.hasher;
        let rehash = |m: &Member| inner(hasher.hash_one(m.bytes()));
        let mut parts = Vec::with_capacity(self.parts.len() * 2);
        for mut low in std::mem::take(&mut self.parts) {
            let mut high = HashTable::with_capacity(low.len() / 2 + 16);
            for m in low.extract_if(|m| hasher.hash_one(m.bytes()) & bit != 0) {
                high.insert_unique(rehash(&m), m, rehash);
            }
            low.shrink_to_fit(rehash);
            parts.push(low);
            parts.push(high);
        }
        self.parts = parts;
        self.bits += 1;
    }

    /// Halves the parts: 2i and 2i+1 merge into i.
    fn merge_parts(&mut self) {
        let hasher = &self.hasher;
        let rehash = |m: &Member| inner(hasher.hash_one(m.bytes()));
        let mut parts = Vec::with_capacity(self.parts.len() / 2);
        let mut old = std::mem::take(&mut self.parts).into_iter();
        while let (Some(mut low), Some(high)) = (old.next(), old.next()) {
            low.reserve(high.len(), rehash);
            for m in high {
                low.insert_unique(rehash(&m), m, rehash);
            }
            parts.push(low);
        }
        self.parts = parts;
        self.bits -= 1;
    }

    pub fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.parts.iter().flat_map(|p| p.iter().map(Member::bytes))
    }

    /// A random member of a non-empty table: a random part, then random
    /// buckets until one is occupied (parts are kept at least 1/8 full).
    fn random(&self, pick: &mut impl FnMut(usize) -> usize) -> &[u8] {
        loop {
            let part = &self.parts[pick(self.parts.len())];
            if part.is_empty() {
                continue;
            }
            loop {
                if let Some(m) = part.get_bucket(pick(part.num_buckets())) {
                    return m.bytes();
                }
            }
        }
    }

    fn scan(&self, cursor: u64, count: usize, mut visit: impl FnMut(&[u8])) -> u64 {
        let mut pos = cursor;
        let mut seen = 0;
        loop {
            let p = self.part_of(pos);
            let mut batch: Vec<(u64, &Member)> =
                self.parts[p].iter().map(|m| (self.hash(m.bytes()), m)).filter(|(h, _)| *h >= pos).collect();
            batch.sort_unstable_by_key(|(h, _)| *h);
            let mut i = 0;
            while i < batch.len() {
                // Never stop inside a run of equal hashes: a resumed cursor would skip the rest.
                let h = batch[i].0;
                while i < batch.len() && batch[i].0 == h {
                    visit(batch[i].1.bytes());
                    seen += 1;
                    i += 1;
                }
                if seen >= count && i < batch.len() {
                    return batch[i].0;
                }
            }
            if p + 1 == self.parts.len() {
                return 0;
            }
            pos = ((p + 1) as u64) << (64 - self.bits);
            if seen >= count {
                return pos;
            }
        }
    }
}

impl PartialEq for Table {
    fn eq(&self, other: &Table) -> bool {
        self.len == other.len && self.iter().all(|m| other.contains(m))
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
        assert!(t.parts.len() >= 8);
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
        assert_eq!(t.parts.len(), 1);
        assert_eq!(s.iter().count(), 3);
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
