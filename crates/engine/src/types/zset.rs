//! The sorted set value type: members ordered by (score, member bytes), as
//! Redis orders them, in Redis's two encodings.
//!
//! - `listpack`: one packed buffer of (member, score) entries in order while
//!   the set is small (`zset-max-listpack-entries`, `zset-max-listpack-value`).
//!   Lookups scan it, as Redis scans its listpack.
//! - `skiplist` (Redis's name): here an order-statistics B+tree plus a
//!   member -> record index (see `ztree.rs`): rank and range in O(log n)
//!   with a few cache lines per level. The switch is one-way, made when an
//!   insert would break a small-encoding limit; only a freshly built set (a
//!   *STORE result) picks its encoding from its final size.
//!
//! Scores are never NaN: the commands refuse NaN before anything gets here.

use super::packed::{self, read_varint, Varint};
use super::ztree::{Large, Pos};
use crate::limits::{zset_max_listpack_entries, zset_max_listpack_value};
use bytes::Bytes;
use std::cmp::Ordering;
use std::fmt;

#[derive(Default, Clone)]
pub struct ZSet {
    repr: Repr,
}

#[derive(Clone)]
enum Repr {
    /// Entries in order, each a LEB128 header `member length << 1 | integer
    /// score`, the member, then the score: a zigzag LEB128 integer when the
    /// score is a small whole number (as a listpack stores integers), else
    /// its 8 bytes. Grown exactly, so no capacity slack; `len` counts entries.
    Small { buf: Vec<u8>, len: u32 },
    /// Boxed so a small set (and the `Box<ZSet>` a key holds) stays small.
    Large(Box<Large>),
}

impl Default for Repr {
    fn default() -> Self {
        Repr::Small { buf: Vec::new(), len: 0 }
    }
}

/// Whole scores up to this magnitude are stored as integers (exact in an f64).
const INT_SCORE_MAX: f64 = (1u64 << 53) as f64;

/// Writes one packed entry over `range` of `buf`. A listpack keeps a score
/// as its text and reads "-0" back as the integer 0: the integer form does the same.
fn put(buf: &mut Vec<u8>, range: std::ops::Range<usize>, member: &[u8], score: f64) {
    let int = score.fract() == 0.0 && score.abs() < INT_SCORE_MAX;
    let header = Varint::new((member.len() as u64) << 1 | int as u64);
    if int {
        let i = score as i64;
        let z = Varint::new(((i << 1) ^ (i >> 63)) as u64);
        packed::splice(buf, range, &[header.as_slice(), member, z.as_slice()]);
    } else {
        packed::splice(buf, range, &[header.as_slice(), member, &score.to_le_bytes()]);
    }
}

/// The entry at byte `at`: (member, score, where the next entry starts).
fn decode(buf: &[u8], at: usize) -> (&[u8], f64, usize) {
    let (header, at) = read_varint(buf, at);
    let end = at + (header >> 1) as usize;
    let member = &buf[at..end];
    if header & 1 == 1 {
        let (z, next) = read_varint(buf, end);
        (member, ((z >> 1) as i64 ^ -((z & 1) as i64)) as f64, next)
    } else {
        let score = f64::from_le_bytes(buf[end..end + 8].try_into().expect("8 bytes"));
        (member, score, end + 8)
    }
}

/// A packed buffer's entries with their byte spans: (start, member, score, end).
fn entries(buf: &[u8]) -> impl Iterator<Item = (usize, &[u8], f64, usize)> {
    let mut at = 0;
    std::iter::from_fn(move || {
        (at < buf.len()).then(|| {
            let (m, s, next) = decode(buf, at);
            let start = std::mem::replace(&mut at, next);
            (start, m, s, next)
        })
    })
}

/// The byte offset of entry `rank` (the buffer's end past the last).
fn offset_of(buf: &[u8], rank: usize) -> usize {
    entries(buf).nth(rank).map_or(buf.len(), |(start, ..)| start)
}

/// Inserts an entry at its place in order.
fn insert_packed(buf: &mut Vec<u8>, member: &[u8], score: f64) {
    let at = entries(buf).find(|e| order(e.2, e.1, score, member) != Ordering::Less).map_or(buf.len(), |e| e.0);
    put(buf, at..at, member, score);
}

/// Sorts (score, member) pairs into a sorted set's order.
pub fn sort_pairs(items: &mut [(f64, Bytes)]) {
    items.sort_by(|a, b| order(a.0, &a.1, b.0, &b.1));
}

/// Redis's order: by score, then by member bytes.
fn order(s1: f64, m1: &[u8], s2: f64, m2: &[u8]) -> Ordering {
    s1.partial_cmp(&s2).expect("scores are never NaN").then_with(|| m1.cmp(m2))
}

impl ZSet {
    /// A set built from distinct members in any order, encoded as Redis
    /// encodes a freshly built result (`zsetConvertToListpackIfNeeded`).
    pub fn from_pairs(mut items: Vec<(f64, Bytes)>) -> ZSet {
        sort_pairs(&mut items);
        let longest = items.iter().map(|(_, m)| m.len()).max().unwrap_or(0);
        if items.len() <= zset_max_listpack_entries() && longest <= zset_max_listpack_value() {
            let mut buf = Vec::new();
            for (score, member) in &items {
                let end = buf.len();
                put(&mut buf, end..end, member, *score);
            }
            buf.shrink_to_fit();
            return ZSet { repr: Repr::Small { buf, len: items.len() as u32 } };
        }
        let mut large = Large::new();
        for (score, member) in items {
            large.add(score, &member);
        }
        ZSet { repr: Repr::Large(Box::new(large)) }
    }

    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Small { len, .. } => *len as usize,
            Repr::Large(l) => l.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name OBJECT ENCODING replies with.
    pub fn encoding(&self) -> &'static str {
        match &self.repr {
            Repr::Small { .. } => "listpack",
            Repr::Large(_) => "skiplist",
        }
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match &self.repr {
            Repr::Small { buf, .. } => entries(buf).find(|e| e.1 == member).map(|e| e.2),
            Repr::Large(l) => l.score(member),
        }
    }

    /// Adds a member that is not in the set, switching to the skiplist
    /// encoding first when the small one would outgrow its limits.
    pub fn insert(&mut self, member: &[u8], score: f64) {
        if let Repr::Small { len, .. } = self.repr {
            if len as usize + 1 > zset_max_listpack_entries() || member.len() > zset_max_listpack_value() {
                self.convert_to_large();
            }
        }
        match &mut self.repr {
            Repr::Small { buf, len } => {
                insert_packed(buf, member, score);
                *len += 1;
            }
            Repr::Large(l) => l.add(score, member),
        }
    }

    /// Changes the score of a member in the set (`old` is its current score).
    pub fn update(&mut self, member: &[u8], old: f64, new: f64) {
        match &mut self.repr {
            // Out and back in at its new place; never a reason to convert (as in Redis).
            Repr::Small { buf, .. } => {
                let (start, _, _, end) = entries(buf).find(|e| e.1 == member).expect("member is in the set");
                buf.drain(start..end);
                insert_packed(buf, member, new);
            }
            Repr::Large(l) => {
                debug_assert_eq!(l.score(member), Some(old));
                l.update(member, new);
            }
        }
    }

    /// Removes a member; false if it was not there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match &mut self.repr {
            Repr::Small { buf, len } => {
                let Some((start, _, _, end)) = entries(buf).find(|e| e.1 == member) else { return false };
                packed::cut(buf, start..end);
                *len -= 1;
                true
            }
            Repr::Large(l) => l.remove(member),
        }
    }

    /// A member's 0-based position in ascending order.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        match &self.repr {
            Repr::Small { buf, .. } => entries(buf).position(|e| e.1 == member),
            Repr::Large(l) => l.rank(member),
        }
    }

    /// How many leading elements (in ascending order) satisfy `pred`. With a
    /// predicate true for a prefix (score below a bound, member below a lex
    /// bound) this is the rank where a range starts or ends.
    pub fn prefix_len(&self, pred: impl Fn(f64, &[u8]) -> bool) -> usize {
        match &self.repr {
            Repr::Small { buf, len } => entries(buf).position(|e| !pred(e.2, e.1)).unwrap_or(*len as usize),
            Repr::Large(l) => l.prefix_len(pred),
        }
    }

    /// The element at 0-based `rank` (`rank < len`).
    pub fn get(&self, rank: usize) -> (&[u8], f64) {
        self.iter_at(rank, false).next().expect("rank is in range")
    }

    /// Elements from 0-based `rank` on, ascending, or descending with `rev`.
    pub fn iter_at(&self, rank: usize, rev: bool) -> Iter<'_> {
        match &self.repr {
            Repr::Small { buf, .. } if rev => {
                // No way back through the entries: note where each one up to `rank` starts.
                let starts = entries(buf).take(rank.saturating_add(1)).map(|e| e.0 as u32).collect();
                Iter(Walk::SmallRev { buf, starts })
            }
            Repr::Small { buf, .. } => Iter(Walk::Small { buf, at: offset_of(buf, rank) }),
            Repr::Large(l) => Iter(Walk::Large { large: l, pos: l.pos(rank), rev }),
        }
    }

    pub fn iter(&self) -> Iter<'_> {
        self.iter_at(0, false)
    }

    /// Removes the elements at ranks `start..end`; returns how many.
    pub fn remove_range(&mut self, start: usize, end: usize) -> usize {
        let end = end.min(self.len());
        if start >= end {
            return 0;
        }
        match &mut self.repr {
            Repr::Small { buf, len } => {
                let from = offset_of(buf, start);
                let to = from + offset_of(&buf[from..], end - start);
                packed::cut(buf, from..to);
                *len -= (end - start) as u32;
            }
            Repr::Large(l) => l.remove_range(start, end),
        }
        end - start
    }

    /// One step of ZSCAN from `cursor`: visits at least `count` elements
    /// (all of them in the small encoding, as Redis does for a listpack) and
    /// returns the cursor to resume at, 0 when done. Elements present for the
    /// whole scan are visited exactly once.
    pub fn scan(&self, cursor: u64, count: usize, mut visit: impl FnMut(&[u8], f64)) -> u64 {
        match &self.repr {
            Repr::Small { buf, .. } => {
                entries(buf).for_each(|e| visit(e.1, e.2));
                0
            }
            Repr::Large(l) => l.scan(cursor, count, visit),
        }
    }

    fn convert_to_large(&mut self) {
        let Repr::Small { buf, .. } = std::mem::take(&mut self.repr) else { return };
        let mut large = Large::new();
        for (_, member, score, _) in entries(&buf) {
            large.add(score, member);
        }
        self.repr = Repr::Large(Box::new(large));
    }
}

impl PartialEq for ZSet {
    fn eq(&self, other: &Self) -> bool {
        self.encoding() == other.encoding() && self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl fmt::Debug for ZSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter().map(|(m, s)| (String::from_utf8_lossy(m), s))).finish()
    }
}

/// Elements in order from some rank: (member, score).
pub struct Iter<'a>(Walk<'a>);

enum Walk<'a> {
    Small {
        buf: &'a [u8],
        at: usize,
    },
    /// Backwards: the start of every entry still to visit.
    SmallRev {
        buf: &'a [u8],
        starts: Vec<u32>,
    },
    Large {
        large: &'a Large,
        pos: Option<Pos>,
        rev: bool,
    },
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], f64);

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            Walk::Small { buf, at } => {
                let buf: &'a [u8] = buf;
                if *at >= buf.len() {
                    return None;
                }
                let (member, score, next) = decode(buf, *at);
                *at = next;
                Some((member, score))
            }
            Walk::SmallRev { buf, starts } => {
                let buf: &'a [u8] = buf;
                let (member, score, _) = decode(buf, starts.pop()? as usize);
                Some((member, score))
            }
            Walk::Large { large, pos, rev } => {
                let large: &'a Large = large;
                let (entry, next) = large.step((*pos)?, *rev);
                *pos = next;
                Some(entry)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(z: &ZSet, model: &[(f64, Vec<u8>)]) {
        assert_eq!(z.len(), model.len());
        let got: Vec<(f64, Vec<u8>)> = z.iter().map(|(m, s)| (s, m.to_vec())).collect();
        assert_eq!(got, model);
        for (i, (s, m)) in model.iter().enumerate() {
            assert_eq!(z.rank(m), Some(i));
            assert_eq!(z.score(m), Some(*s));
            assert_eq!(z.get(i).0[..], m[..]);
        }
        let rev: Vec<Vec<u8>> = z.iter_at(model.len().saturating_sub(1), true).map(|(m, _)| m.to_vec()).collect();
        let mut expect: Vec<Vec<u8>> = model.iter().map(|(_, m)| m.clone()).collect();
        expect.reverse();
        assert_eq!(rev, expect);
    }

    fn sort(model: &mut [(f64, Vec<u8>)]) {
        model.sort_by(|a, b| order(a.0, &a.1, b.0, &b.1));
    }

    #[test]
    fn small_orders_by_score_then_member() {
        let mut z = ZSet::default();
        z.insert(b"b", 1.0);
        z.insert(b"a", 1.0);
        z.insert(b"c", 0.5);
        assert_eq!(z.encoding(), "listpack");
        check(&z, &[(0.5, b"c".to_vec()), (1.0, b"a".to_vec()), (1.0, b"b".to_vec())]);
        z.update(b"c", 0.5, 2.0);
        assert_eq!(z.rank(b"c"), Some(2));
        assert!(z.remove(b"a"));
        assert!(!z.remove(b"a"));
        assert_eq!(z.prefix_len(|s, _| s < 2.0), 1);
    }

    #[test]
    fn large_matches_a_model_through_inserts_updates_and_removals() {
        let mut z = ZSet::default();
        let mut model: Vec<(f64, Vec<u8>)> = Vec::new();
        let mut seed = 12345u64;
        let mut rnd = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for i in 0..5000u64 {
            let m = format!("m{}", rnd(3000)).into_bytes();
            let s = rnd(100) as f64 / 4.0;
            match model.iter().position(|(_, x)| *x == m) {
                Some(at) if i % 3 == 0 => {
                    assert!(z.remove(&m));
                    model.remove(at);
                }
                Some(at) => {
                    z.update(&m, model[at].0, s);
                    model[at].0 = s;
                }
                None => {
                    z.insert(&m, s);
                    model.push((s, m));
                }
            }
            sort(&mut model);
        }
        assert_eq!(z.encoding(), "skiplist");
        check(&z, &model);
        assert_eq!(z.prefix_len(|s, _| s < 10.0), model.iter().filter(|(s, _)| *s < 10.0).count());
        // Range removal in the middle, then at both ends.
        assert_eq!(z.remove_range(100, 400), 300);
        model.drain(100..400);
        check(&z, &model);
        let n = model.len();
        assert_eq!(z.remove_range(n - 10, n + 5), 10);
        model.truncate(n - 10);
        assert_eq!(z.remove_range(0, 3), 3);
        model.drain(0..3);
        check(&z, &model);
        let copy = z.clone();
        assert_eq!(copy, z);
        // Shrinking far gives the arena back.
        let len = z.len();
        z.remove_range(5, len);
        model.truncate(5);
        check(&z, &model);
    }

    #[test]
    fn switches_encoding_at_the_limits_and_from_pairs_picks_one() {
        let mut z = ZSet::default();
        for i in 0..zset_max_listpack_entries() {
            z.insert(format!("{i:04}").as_bytes(), i as f64);
        }
        assert_eq!(z.encoding(), "listpack");
        z.insert(b"one more", 0.0);
        assert_eq!(z.encoding(), "skiplist");
        let mut z = ZSet::default();
        z.insert(&[b'x'; 65], 1.0);
        assert_eq!(z.encoding(), "skiplist");
        assert_eq!(ZSet::from_pairs(vec![(2.0, Bytes::from("b")), (1.0, Bytes::from("a"))]).encoding(), "listpack");
        let big: Vec<(f64, Bytes)> = (0..200).map(|i| (i as f64, Bytes::from(format!("m{i}")))).collect();
        let z = ZSet::from_pairs(big);
        assert_eq!((z.encoding(), z.len(), z.rank(b"m150")), ("skiplist", 200, Some(150)));
    }

    #[test]
    fn large_updates_in_place_or_moves_and_index_follows() {
        let pairs: Vec<(f64, Bytes)> = (0..300).map(|i| (i as f64, Bytes::from(format!("m{i:03}")))).collect();
        let mut z = ZSet::from_pairs(pairs);
        let mut model: Vec<(f64, Vec<u8>)> = (0..300).map(|i| (i as f64, format!("m{i:03}").into_bytes())).collect();
        // Within its neighbours: stays put. Past them: moves.
        z.update(b"m010", 10.0, 10.5);
        model[10].0 = 10.5;
        z.update(b"m020", 20.0, 1000.0);
        model[20].0 = 1000.0;
        z.update(b"m299", 299.0, -1.0);
        model[299].0 = -1.0;
        z.update(b"m100", 100.0, 99.0);
        model[100].0 = 99.0;
        sort(&mut model);
        check(&z, &model);
        assert!(z.remove(b"m020") && !z.remove(b"m020"));
        model.retain(|(_, m)| m != b"m020");
        check(&z, &model);
        let copy = z.clone();
        z.update(b"m000", 0.0, 7.25);
        assert_eq!((copy.score(b"m000"), z.score(b"m000")), (Some(0.0), Some(7.25)));
    }

    #[test]
    fn stays_small() {
        assert!(std::mem::size_of::<ZSet>() <= 32, "a key's Box<ZSet> stays small");
    }

    #[test]
    fn small_packs_every_kind_of_score_and_member() {
        let scores = [
            0.0,
            -1.0,
            1.0,
            63.0,
            -64.0,
            1e15,
            -9007199254740991.0,
            9007199254740992.0,
            1e300,
            -1e300,
            0.5,
            -2.25,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
        ];
        let mut z = ZSet::default();
        let mut model = Vec::new();
        for (i, &s) in scores.iter().enumerate() {
            // Members of every length up to the limit, some with a two-byte header.
            let m = vec![b'a' + i as u8; i * 4];
            z.insert(&m, s);
            model.push((s, m));
        }
        sort(&mut model);
        assert_eq!(z.encoding(), "listpack");
        check(&z, &model);
        let from_pairs = ZSet::from_pairs(model.iter().map(|(s, m)| (*s, Bytes::from(m.clone()))).collect());
        assert_eq!(from_pairs, z);
        assert_eq!(z.iter_at(100, true).count(), model.len());
        assert_eq!(z.iter_at(100, false).count(), 0);
        assert_eq!(z.remove_range(2, 5), 3);
        model.drain(2..5);
        check(&z, &model);
        let m = model[3].1.clone();
        z.update(&m, model[3].0, -0.5);
        model[3].0 = -0.5;
        sort(&mut model);
        check(&z, &model);
        z.insert(&[b'x'; 65], 1.0);
        assert_eq!(z.encoding(), "skiplist");
        assert!(z.remove(&[b'x'; 65]));
        check(&z, &model);
    }

    #[test]
    fn small_encoding_stores_negative_zero_as_zero() {
        let mut z = ZSet::default();
        z.insert(b"a", -0.0);
        assert!(z.score(b"a").unwrap().is_sign_positive());
    }

    #[test]
    fn scan_visits_everything_once() {
        let pairs: Vec<(f64, Bytes)> = (0..3000).map(|i| (i as f64, Bytes::from(format!("m{i}")))).collect();
        let z = ZSet::from_pairs(pairs);
        let mut seen = std::collections::HashSet::new();
        let mut cursor = 0;
        loop {
            cursor = z.scan(cursor, 10, |m, _| assert!(seen.insert(m.to_vec())));
            if cursor == 0 {
                break;
            }
        }
        assert_eq!(seen.len(), 3000);
    }
}

#[cfg(test)]
mod bench {
    use super::*;

    /// CPU time of this thread (ns): wall time is meaningless on a busy machine.
    fn cpu_ns() -> u64 {
        let s = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap();
        s.split_whitespace().next().unwrap().parse().unwrap()
    }

    /// `cargo test --release -p tessera-engine zset_bench -- --ignored --nocapture`:
    /// redis-benchmark's zadd pattern, then ZRANK and ZRANGEBYSCORE, on the data structure alone.
    #[test]
    #[ignore]
    fn zset_bench() {
        let mut seed = 0x2545F4914F6CDD1Du64;
        let mut rnd = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let members: Vec<Vec<u8>> = (0..100_000).map(|i| format!("element:{i:012}").into_bytes()).collect();
        let mut z = ZSet::default();
        let t = cpu_ns();
        for _ in 0..1_000_000 {
            let m = &members[(rnd() % 100_000) as usize];
            let s = (rnd() % 100_000) as f64;
            match z.score(m) {
                Some(cur) if cur != s => z.update(m, cur, s),
                Some(_) => {}
                None => z.insert(m, s),
            }
        }
        println!("zadd: {} ns/op", (cpu_ns() - t) / 1_000_000);
        let t = cpu_ns();
        let mut acc = 0;
        for _ in 0..1_000_000 {
            acc += z.rank(&members[(rnd() % 100_000) as usize]).unwrap_or(0);
        }
        println!("zrank: {} ns/op ({acc})", (cpu_ns() - t) / 1_000_000);
        let t = cpu_ns();
        for i in 0..1_000_000 {
            let lo = (i % 90_000) as f64;
            let r = z.prefix_len(|s, _| s < lo);
            acc += z.iter_at(r, false).take(10).count();
        }
        println!("zrangebyscore limit 10: {} ns/op ({acc})", (cpu_ns() - t) / 1_000_000);
        let t = cpu_ns();
        for i in 0..100_000 {
            acc += z.iter_at(i % 1000, false).take(100).count();
        }
        println!("zrange 100: {} ns/op ({acc})", (cpu_ns() - t) / 100_000);
    }
}
