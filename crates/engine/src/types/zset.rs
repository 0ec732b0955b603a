//! The sorted set value type: members ordered by (score, member bytes), as
//! Redis orders them, in Redis's two encodings.
//!
//! - `listpack`: a sorted `Vec` of (score, member) while the set is small
//!   (`zset-max-listpack-entries`, `zset-max-listpack-value`). Lookups scan it,
//!   as Redis scans its listpack.
//! - `skiplist`: a skiplist with spans (rank and range in O(log n)) plus a
//!   member -> score table. The switch is one-way, made when an insert would
//!   break a small-encoding limit; only a freshly built set (a *STORE result)
//!   picks its encoding from its final size.
//!
//! Scores are never NaN: the commands refuse NaN before anything gets here.

use crate::limits::{zset_max_listpack_entries, zset_max_listpack_value};
use crate::table::KeyTable;
use bytes::Bytes;
use std::cmp::Ordering;
use std::fmt;

#[derive(Default)]
pub struct ZSet {
    repr: Repr,
}

enum Repr {
    Small(Vec<(f64, Bytes)>),
    Large(Large),
}

impl Default for Repr {
    fn default() -> Self {
        Repr::Small(Vec::new())
    }
}

struct Large {
    scores: KeyTable<f64>,
    list: SkipList,
}

impl Large {
    fn new() -> Large {
        Large { scores: KeyTable::new(), list: SkipList::new() }
    }

    fn add(&mut self, score: f64, member: Bytes) {
        self.scores.insert(member.clone(), score);
        self.list.insert(score, member);
    }
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
            for item in &mut items {
                item.0 = small_score(item.0);
            }
            return ZSet { repr: Repr::Small(items) };
        }
        let mut large = Large::new();
        for (score, member) in items {
            large.add(score, member);
        }
        ZSet { repr: Repr::Large(large) }
    }

    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Small(v) => v.len(),
            Repr::Large(l) => l.list.len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name OBJECT ENCODING replies with.
    pub fn encoding(&self) -> &'static str {
        match &self.repr {
            Repr::Small(_) => "listpack",
            Repr::Large(_) => "skiplist",
        }
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match &self.repr {
            Repr::Small(v) => v.iter().find(|(_, m)| m == member).map(|(s, _)| *s),
            Repr::Large(l) => l.scores.get(member).copied(),
        }
    }

    /// Adds a member that is not in the set, switching to the skiplist
    /// encoding first when the small one would outgrow its limits.
    pub fn insert(&mut self, member: &[u8], score: f64) {
        if let Repr::Small(v) = &self.repr {
            if v.len() + 1 > zset_max_listpack_entries() || member.len() > zset_max_listpack_value() {
                self.convert_to_large();
            }
        }
        let member = Bytes::copy_from_slice(member);
        match &mut self.repr {
            Repr::Small(v) => {
                let at = v.partition_point(|(s, m)| order(*s, m, score, &member) == Ordering::Less);
                v.insert(at, (small_score(score), member));
            }
            Repr::Large(l) => l.add(score, member),
        }
    }

    /// Changes the score of a member in the set (`old` is its current score).
    pub fn update(&mut self, member: &[u8], old: f64, new: f64) {
        match &mut self.repr {
            Repr::Small(v) => {
                let at = v.iter().position(|(_, m)| m == member).expect("member is in the set");
                let (_, member) = v.remove(at);
                let at = v.partition_point(|(s, m)| order(*s, m, new, &member) == Ordering::Less);
                v.insert(at, (small_score(new), member));
            }
            Repr::Large(l) => {
                let member = l.list.delete(old, member).expect("member is in the skiplist");
                *l.scores.get_mut(&member).expect("member is in the table") = new;
                l.list.insert(new, member);
            }
        }
    }

    /// Removes a member; false if it was not there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match &mut self.repr {
            Repr::Small(v) => match v.iter().position(|(_, m)| m == member) {
                Some(at) => {
                    v.remove(at);
                    true
                }
                None => false,
            },
            Repr::Large(l) => match l.scores.remove(member) {
                Some((_, score)) => {
                    l.list.delete(score, member);
                    l.list.maybe_compact();
                    true
                }
                None => false,
            },
        }
    }

    /// A member's 0-based position in ascending order.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        match &self.repr {
            Repr::Small(v) => v.iter().position(|(_, m)| m == member),
            Repr::Large(l) => l.list.rank(*l.scores.get(member)?, member),
        }
    }

    /// How many leading elements (in ascending order) satisfy `pred`. With a
    /// predicate true for a prefix (score below a bound, member below a lex
    /// bound) this is the rank where a range starts or ends.
    pub fn prefix_len(&self, pred: impl Fn(f64, &[u8]) -> bool) -> usize {
        match &self.repr {
            Repr::Small(v) => v.iter().position(|(s, m)| !pred(*s, m)).unwrap_or(v.len()),
            Repr::Large(l) => l.list.prefix_len(pred),
        }
    }

    /// The element at 0-based `rank` (`rank < len`).
    pub fn get(&self, rank: usize) -> (&Bytes, f64) {
        self.iter_at(rank, false).next().expect("rank is in range")
    }

    /// Elements from 0-based `rank` on, ascending, or descending with `rev`.
    pub fn iter_at(&self, rank: usize, rev: bool) -> Iter<'_> {
        match &self.repr {
            Repr::Small(v) => {
                let (front, back) = if rev { (0, (rank + 1).min(v.len())) } else { (rank.min(v.len()), v.len()) };
                Iter::Small { items: &v[front..back], rev }
            }
            Repr::Large(l) => {
                let node = if rank < l.list.len { l.list.node_at(rank) } else { NIL };
                Iter::Large { list: &l.list, node, rev }
            }
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
            Repr::Small(v) => {
                v.drain(start..end);
            }
            Repr::Large(l) => {
                let scores = &mut l.scores;
                l.list.delete_range(start, end, |member| {
                    scores.remove(&member);
                });
                l.list.maybe_compact();
            }
        }
        end - start
    }

    /// One step of ZSCAN from `cursor`: visits at least `count` elements
    /// (all of them in the small encoding, as Redis does for a listpack) and
    /// returns the cursor to resume at, 0 when done. Elements present for the
    /// whole scan are visited exactly once.
    pub fn scan(&self, cursor: u64, count: usize, mut visit: impl FnMut(&Bytes, f64)) -> u64 {
        match &self.repr {
            Repr::Small(v) => {
                v.iter().for_each(|(s, m)| visit(m, *s));
                0
            }
            // Table positions start at 0 too, so position p travels as cursor p + 1.
            Repr::Large(l) => {
                let from = cursor.saturating_sub(1);
                l.scores.scan(from, count, |m, s| visit(m, *s)).map_or(0, |p| p + 1)
            }
        }
    }

    fn convert_to_large(&mut self) {
        let Repr::Small(v) = std::mem::take(&mut self.repr) else { return };
        let mut large = Large::new();
        for (score, member) in v {
            large.add(score, member);
        }
        self.repr = Repr::Large(large);
    }
}

/// A listpack keeps a score as its text and reads "-0" back as the integer 0.
fn small_score(score: f64) -> f64 {
    if score == 0.0 {
        0.0
    } else {
        score
    }
}

impl Clone for ZSet {
    fn clone(&self) -> Self {
        match &self.repr {
            Repr::Small(v) => ZSet { repr: Repr::Small(v.clone()) },
            Repr::Large(_) => {
                let mut large = Large::new();
                for (member, score) in self.iter() {
                    large.add(score, member.clone());
                }
                ZSet { repr: Repr::Large(large) }
            }
        }
    }
}

impl PartialEq for ZSet {
    fn eq(&self, other: &Self) -> bool {
        self.encoding() == other.encoding() && self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl fmt::Debug for ZSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// Elements in order from some rank: (member, score).
pub enum Iter<'a> {
    Small { items: &'a [(f64, Bytes)], rev: bool },
    Large { list: &'a SkipList, node: u32, rev: bool },
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a Bytes, f64);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Small { items, rev } => {
                let all: &'a [(f64, Bytes)] = items;
                let ((s, m), rest) = if *rev { all.split_last()? } else { all.split_first()? };
                *items = rest;
                Some((m, *s))
            }
            Iter::Large { list, node, rev } => {
                if *node == NIL {
                    return None;
                }
                let list: &'a SkipList = list;
                let n = &list.nodes[*node as usize];
                *node = if *rev { n.prev } else { n.links[0].next };
                Some((&n.member, n.score))
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The skiplist: William Pugh's, with Redis's changes (duplicate scores ordered
// by member, a span per link for ranks, a back link at level 0). Nodes live
// in an arena and link by index; index 0 is the header.

const MAX_LEVEL: usize = 32;
const NIL: u32 = u32::MAX;
const HEAD: u32 = 0;

#[derive(Clone, Copy)]
struct Link {
    next: u32,
    /// Level-0 steps this link jumps over.
    span: u32,
}

struct Node {
    score: f64,
    member: Bytes,
    prev: u32,
    links: Box<[Link]>,
}

pub struct SkipList {
    nodes: Vec<Node>,
    free: Vec<u32>,
    level: usize,
    tail: u32,
    len: usize,
    /// xorshift state for node levels.
    seed: u64,
}

impl SkipList {
    fn new() -> SkipList {
        let head = Node {
            score: 0.0,
            member: Bytes::new(),
            prev: NIL,
            links: vec![Link { next: NIL, span: 0 }; MAX_LEVEL].into(),
        };
        SkipList { nodes: vec![head], free: Vec::new(), level: 1, tail: NIL, len: 0, seed: 0x9E37_79B9_7F4A_7C15 }
    }

    fn link(&self, node: u32, level: usize) -> Link {
        self.nodes[node as usize].links[level]
    }

    fn link_mut(&mut self, node: u32, level: usize) -> &mut Link {
        &mut self.nodes[node as usize].links[level]
    }

    /// Whether `node` sorts before (score, member).
    fn before(&self, node: u32, score: f64, member: &[u8]) -> bool {
        let n = &self.nodes[node as usize];
        order(n.score, &n.member, score, member) == Ordering::Less
    }

    /// 1 + the number of successes at p = 1/4, as Redis draws levels.
    fn random_level(&mut self) -> usize {
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        (1 + (self.seed.trailing_zeros() / 2) as usize).min(MAX_LEVEL)
    }

    fn insert(&mut self, score: f64, member: Bytes) {
        let mut update = [HEAD; MAX_LEVEL];
        let mut rank = [0u32; MAX_LEVEL];
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            rank[i] = if i == self.level - 1 { 0 } else { rank[i + 1] };
            loop {
                let l = self.link(x, i);
                if l.next == NIL || !self.before(l.next, score, &member) {
                    break;
                }
                rank[i] += l.span;
                x = l.next;
            }
            update[i] = x;
        }
        let level = self.random_level();
        if level > self.level {
            for i in self.level..level {
                rank[i] = 0;
                update[i] = HEAD;
                *self.link_mut(HEAD, i) = Link { next: NIL, span: self.len as u32 };
            }
            self.level = level;
        }
        let node = Node { score, member, prev: NIL, links: vec![Link { next: NIL, span: 0 }; level].into() };
        let idx = match self.free.pop() {
            Some(i) => {
                self.nodes[i as usize] = node;
                i
            }
            None => {
                self.nodes.push(node);
                (self.nodes.len() - 1) as u32
            }
        };
        for i in 0..level {
            let u = self.link(update[i], i);
            let crossed = rank[0] - rank[i];
            *self.link_mut(idx, i) = Link { next: u.next, span: u.span - crossed };
            *self.link_mut(update[i], i) = Link { next: idx, span: crossed + 1 };
        }
        for (i, &u) in update.iter().enumerate().take(self.level).skip(level) {
            self.link_mut(u, i).span += 1;
        }
        self.nodes[idx as usize].prev = if update[0] == HEAD { NIL } else { update[0] };
        match self.link(idx, 0).next {
            NIL => self.tail = idx,
            next => self.nodes[next as usize].prev = idx,
        }
        self.len += 1;
    }

    /// Unlinks `x`, whose predecessor at each level is in `update`, and frees
    /// its slot; returns its member.
    fn unlink(&mut self, x: u32, update: &[u32; MAX_LEVEL]) -> Bytes {
        for (i, &u) in update.iter().enumerate().take(self.level) {
            let ul = self.link(u, i);
            if ul.next == x {
                let xl = self.link(x, i);
                *self.link_mut(u, i) = Link { next: xl.next, span: ul.span + xl.span - 1 };
            } else {
                self.link_mut(u, i).span -= 1;
            }
        }
        let (prev, next) = (self.nodes[x as usize].prev, self.link(x, 0).next);
        match next {
            NIL => self.tail = prev,
            n => self.nodes[n as usize].prev = prev,
        }
        while self.level > 1 && self.link(HEAD, self.level - 1).next == NIL {
            self.level -= 1;
        }
        self.len -= 1;
        self.free.push(x);
        let node = &mut self.nodes[x as usize];
        node.links = Box::new([]);
        std::mem::take(&mut node.member)
    }

    /// The predecessors at each level of the first node not before (score, member).
    fn predecessors(&self, score: f64, member: &[u8]) -> [u32; MAX_LEVEL] {
        let mut update = [HEAD; MAX_LEVEL];
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let next = self.link(x, i).next;
                if next == NIL || !self.before(next, score, member) {
                    break;
                }
                x = next;
            }
            update[i] = x;
        }
        update
    }

    fn delete(&mut self, score: f64, member: &[u8]) -> Option<Bytes> {
        let update = self.predecessors(score, member);
        let x = self.link(update[0], 0).next;
        if x == NIL || self.nodes[x as usize].member != member {
            return None;
        }
        Some(self.unlink(x, &update))
    }

    fn rank(&self, score: f64, member: &[u8]) -> Option<usize> {
        let mut rank = 0usize;
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let l = self.link(x, i);
                if l.next == NIL {
                    break;
                }
                let n = &self.nodes[l.next as usize];
                if order(n.score, &n.member, score, member) == Ordering::Greater {
                    break;
                }
                rank += l.span as usize;
                x = l.next;
            }
            if x != HEAD && self.nodes[x as usize].member == member {
                return Some(rank - 1);
            }
        }
        None
    }

    /// The node at 0-based `rank` (`rank < len`).
    fn node_at(&self, rank: usize) -> u32 {
        let target = rank + 1;
        let mut traversed = 0usize;
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let l = self.link(x, i);
                if l.next == NIL || traversed + l.span as usize > target {
                    break;
                }
                traversed += l.span as usize;
                x = l.next;
            }
            if traversed == target {
                return x;
            }
        }
        unreachable!("rank {rank} out of range for a skiplist of {}", self.len)
    }

    fn prefix_len(&self, pred: impl Fn(f64, &[u8]) -> bool) -> usize {
        let mut rank = 0usize;
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let l = self.link(x, i);
                if l.next == NIL {
                    break;
                }
                let n = &self.nodes[l.next as usize];
                if !pred(n.score, &n.member) {
                    break;
                }
                rank += l.span as usize;
                x = l.next;
            }
        }
        rank
    }

    /// Deletes ranks `start..end` in one pass (Redis's zslDeleteRangeByRank),
    /// handing each removed member to `removed`.
    fn delete_range(&mut self, start: usize, end: usize, mut removed: impl FnMut(Bytes)) {
        let mut update = [HEAD; MAX_LEVEL];
        let mut traversed = 0usize;
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let l = self.link(x, i);
                if l.next == NIL || traversed + l.span as usize > start {
                    break;
                }
                traversed += l.span as usize;
                x = l.next;
            }
            update[i] = x;
        }
        let mut x = self.link(x, 0).next;
        for _ in start..end {
            let next = self.link(x, 0).next;
            removed(self.unlink(x, &update));
            x = next;
        }
    }

    /// Rebuilds the arena when most of it is free slots, so a set that shrank
    /// gives its memory back (amortized O(log n) per removal).
    fn maybe_compact(&mut self) {
        if self.free.len() < 64 || self.free.len() < self.nodes.len() / 2 {
            return;
        }
        let mut fresh = SkipList::new();
        fresh.seed = self.seed;
        fresh.nodes.reserve(self.len);
        let mut x = self.link(HEAD, 0).next;
        while x != NIL {
            let n = &mut self.nodes[x as usize];
            x = n.links[0].next;
            fresh.insert(n.score, std::mem::take(&mut n.member));
        }
        *self = fresh;
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
        if let Repr::Large(l) = &z.repr {
            assert!(l.list.nodes.len() < 200);
        }
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
            cursor = z.scan(cursor, 10, |m, _| assert!(seen.insert(m.clone())));
            if cursor == 0 {
                break;
            }
        }
        assert_eq!(seen.len(), 3000);
    }
}
