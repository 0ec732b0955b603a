//! The sorted set's large encoding: an order-statistics B+tree over
//! (score, member), plus a member -> record index.
//!
//! - Every member lives once, with its score, in a record in an arena of
//!   fixed-size chunks; a record keeps its number for life, so the index (a
//!   `Parts` hashed through the records) never changes when the tree moves
//!   entries around.
//! - The tree's leaves hold up to `LEAF_CAP` (score, record) pairs in order,
//!   the scores side by side so a search reads a few cache lines per node and
//!   follows a record only on equal scores. Inner nodes hold a count per child
//!   (rank and select in O(log n)) and copies of their separator keys.
//! - Leaves are chained both ways for iteration. A leaf that overflows at the
//!   very end (or start) of the set splits unevenly, so members added in
//!   order (a bulk load, ZADD with growing scores) fill leaves completely.
//!
//! Emptied leaves leave the tree; under-full ones are not merged. Instead the
//! whole structure is rebuilt, densely, once most record slots are free or
//! the leaves are on average less than a quarter full (amortized O(log n)
//! per removal).
//!
//! Redis calls this encoding "skiplist"; OBJECT ENCODING still says so.

use super::set::{Member, Parts};
use hashbrown::DefaultHashBuilder;
use std::cmp::Ordering;
use std::hash::BuildHasher;

/// Entries per leaf: a leaf is then exactly 768 bytes, a jemalloc size class.
const LEAF_CAP: usize = 63;
/// Children per inner node.
const FANOUT: usize = 32;
const NIL: u32 = u32::MAX;
const CHUNK_BITS: u32 = 10;
const CHUNK: usize = 1 << CHUNK_BITS;

/// Redis's order: by score, then by member bytes.
fn order(s1: f64, m1: &[u8], s2: f64, m2: &[u8]) -> Ordering {
    s1.partial_cmp(&s2).expect("scores are never NaN").then_with(|| m1.cmp(m2))
}

/// The first `i` in `0..n` for which `below(i)` is false (`below` is true for a prefix).
fn partition(n: usize, below: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if below(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

#[derive(Clone, Default)]
struct Rec {
    score: f64,
    member: Member,
}

/// The record arena: chunks of `CHUNK` records (no slack past the last chunk,
/// no big copy when it grows), and the numbers of free slots.
#[derive(Clone, Default)]
struct Recs {
    chunks: Vec<Vec<Rec>>,
    free: Vec<u32>,
}

impl Recs {
    fn get(&self, i: u32) -> &Rec {
        &self.chunks[(i >> CHUNK_BITS) as usize][i as usize & (CHUNK - 1)]
    }

    fn get_mut(&mut self, i: u32) -> &mut Rec {
        &mut self.chunks[(i >> CHUNK_BITS) as usize][i as usize & (CHUNK - 1)]
    }

    fn member(&self, i: u32) -> &[u8] {
        self.get(i).member.bytes()
    }

    fn capacity(&self) -> usize {
        self.chunks.iter().map(Vec::len).sum()
    }

    fn alloc(&mut self, rec: Rec) -> u32 {
        if let Some(i) = self.free.pop() {
            *self.get_mut(i) = rec;
            return i;
        }
        if self.chunks.last().is_none_or(|c| c.len() == CHUNK) {
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        let i = ((self.chunks.len() - 1) << CHUNK_BITS) + self.chunks.last().map_or(0, Vec::len);
        self.chunks.last_mut().expect("pushed above").push(rec);
        i as u32
    }

    fn release(&mut self, i: u32) -> Rec {
        self.free.push(i);
        std::mem::take(self.get_mut(i))
    }
}

#[derive(Clone)]
struct Leaf {
    len: u32,
    prev: u32,
    next: u32,
    scores: [f64; LEAF_CAP],
    ids: [u32; LEAF_CAP],
}

impl Leaf {
    fn new() -> Leaf {
        Leaf { len: 0, prev: NIL, next: NIL, scores: [0.0; LEAF_CAP], ids: [0; LEAF_CAP] }
    }

    fn len(&self) -> usize {
        self.len as usize
    }

    /// How many entries sort before (score, member).
    fn lower_bound(&self, recs: &Recs, score: f64, member: &[u8]) -> usize {
        let scores = &self.scores[..self.len()];
        let lo = scores.partition_point(|&s| s < score);
        let hi = lo + scores[lo..].partition_point(|&s| s <= score);
        lo + self.ids[lo..hi].partition_point(|&id| recs.member(id) < member)
    }

    fn insert(&mut self, at: usize, score: f64, id: u32) {
        let n = self.len();
        self.scores.copy_within(at..n, at + 1);
        self.ids.copy_within(at..n, at + 1);
        self.scores[at] = score;
        self.ids[at] = id;
        self.len += 1;
    }

    fn remove(&mut self, at: usize) {
        let n = self.len();
        self.scores.copy_within(at + 1..n, at);
        self.ids.copy_within(at + 1..n, at);
        self.len -= 1;
    }
}

#[derive(Clone)]
struct Inner {
    /// Children in use.
    len: u32,
    /// Entries under each child.
    counts: [u32; FANOUT],
    children: [u32; FANOUT],
    /// Separator `j` (score and member) is at most the least key under child
    /// `j + 1` and above every key under child `j`.
    scores: [f64; FANOUT - 1],
    members: [Member; FANOUT - 1],
}

impl Inner {
    fn new() -> Inner {
        Inner {
            len: 0,
            counts: [0; FANOUT],
            children: [NIL; FANOUT],
            scores: [0.0; FANOUT - 1],
            members: std::array::from_fn(|_| Member::default()),
        }
    }

    fn len(&self) -> usize {
        self.len as usize
    }

    /// The child whose range holds (score, member): how many separators are at most it.
    fn child_for(&self, score: f64, member: &[u8]) -> usize {
        let scores = &self.scores[..self.len() - 1];
        let lo = scores.partition_point(|&s| s < score);
        let hi = lo + scores[lo..].partition_point(|&s| s <= score);
        lo + self.members[lo..hi].partition_point(|m| m.bytes() <= member)
    }

    fn total(&self) -> usize {
        self.counts[..self.len()].iter().map(|&c| c as usize).sum()
    }

    /// Puts `child` at position `at` (> 0) with the separator before it.
    fn insert_child(&mut self, at: usize, sep: (f64, Member), child: u32, count: u32) {
        let n = self.len();
        self.children.copy_within(at..n, at + 1);
        self.counts.copy_within(at..n, at + 1);
        self.scores.copy_within(at - 1..n - 1, at);
        self.members[at - 1..n].rotate_right(1);
        self.children[at] = child;
        self.counts[at] = count;
        self.scores[at - 1] = sep.0;
        self.members[at - 1] = sep.1;
        self.len += 1;
    }

    /// Drops child `at` and one separator next to it.
    fn remove_child(&mut self, at: usize) {
        let n = self.len();
        self.children.copy_within(at + 1..n, at);
        self.counts.copy_within(at + 1..n, at);
        if n > 1 {
            let sep = at.saturating_sub(1);
            self.scores.copy_within(sep + 1..n - 1, sep);
            self.members[sep..n - 1].rotate_left(1);
            self.members[n - 2] = Member::default();
        }
        self.len -= 1;
    }
}

/// What a node that split hands its parent: the separator, the new right node and its count.
struct Split {
    sep: (f64, Member),
    node: u32,
    count: u32,
}

/// Nodes are boxed one by one: a `Vec` of 768-byte leaves would keep up to
/// half its capacity unused after each doubling and copy them all to grow.
#[allow(clippy::vec_box)]
#[derive(Clone)]
struct Tree {
    leaves: Vec<Box<Leaf>>,
    free_leaves: Vec<u32>,
    inners: Vec<Box<Inner>>,
    free_inners: Vec<u32>,
    root: u32,
    /// Inner levels above the leaves (0: the root is a leaf).
    height: u32,
    len: usize,
}

impl Tree {
    fn new() -> Tree {
        Tree {
            leaves: vec![Box::new(Leaf::new())],
            free_leaves: Vec::new(),
            inners: Vec::new(),
            free_inners: Vec::new(),
            root: 0,
            height: 0,
            len: 0,
        }
    }

    fn leaf(&self, i: u32) -> &Leaf {
        &self.leaves[i as usize]
    }

    fn leaf_mut(&mut self, i: u32) -> &mut Leaf {
        &mut self.leaves[i as usize]
    }

    fn inner(&self, i: u32) -> &Inner {
        &self.inners[i as usize]
    }

    fn inner_mut(&mut self, i: u32) -> &mut Inner {
        &mut self.inners[i as usize]
    }

    fn new_leaf(&mut self) -> u32 {
        new_node(&mut self.leaves, &mut self.free_leaves, Leaf::new())
    }

    fn new_inner(&mut self) -> u32 {
        new_node(&mut self.inners, &mut self.free_inners, Inner::new())
    }

    fn count_of(&self, node: u32, height: u32) -> u32 {
        if height == 0 {
            self.leaf(node).len
        } else {
            self.inner(node).total() as u32
        }
    }

    /// Inserts record `id` (score `score`, member bytes in `recs`), not yet in the tree.
    fn insert(&mut self, recs: &Recs, score: f64, id: u32) {
        let member = recs.member(id);
        if let Some(split) = self.insert_at(self.root, self.height, recs, score, id, member) {
            let left = self.count_of(self.root, self.height);
            let root = self.new_inner();
            let old = self.root;
            let r = self.inner_mut(root);
            r.len = 2;
            r.children[0] = old;
            r.counts[0] = left;
            r.children[1] = split.node;
            r.counts[1] = split.count;
            r.scores[0] = split.sep.0;
            r.members[0] = split.sep.1;
            self.root = root;
            self.height += 1;
        }
        self.len += 1;
    }

    fn insert_at(&mut self, node: u32, height: u32, recs: &Recs, score: f64, id: u32, member: &[u8]) -> Option<Split> {
        if height == 0 {
            return self.insert_in_leaf(node, recs, score, id, member);
        }
        let i = self.inner(node).child_for(score, member);
        let child = self.inner(node).children[i];
        self.inner_mut(node).counts[i] += 1;
        let split = self.insert_at(child, height - 1, recs, score, id, member)?;
        let left = self.count_of(child, height - 1);
        self.inner_mut(node).counts[i] = left;
        if self.inner(node).len() < FANOUT {
            self.inner_mut(node).insert_child(i + 1, split.sep, split.node, split.count);
            return None;
        }
        // Split this node: the upper half of its children go to a new one.
        let half = FANOUT / 2;
        let right = self.new_inner();
        let [l, r] = self.inners.get_disjoint_mut([node as usize, right as usize]).expect("distinct nodes");
        r.len = (FANOUT - half) as u32;
        r.children[..FANOUT - half].copy_from_slice(&l.children[half..]);
        r.counts[..FANOUT - half].copy_from_slice(&l.counts[half..]);
        r.scores[..FANOUT - 1 - half].copy_from_slice(&l.scores[half..]);
        for (to, from) in r.members.iter_mut().zip(&mut l.members[half..]) {
            *to = std::mem::take(from);
        }
        let up = (l.scores[half - 1], std::mem::take(&mut l.members[half - 1]));
        l.len = half as u32;
        if i < half {
            l.insert_child(i + 1, split.sep, split.node, split.count);
        } else {
            r.insert_child(i + 1 - half, split.sep, split.node, split.count);
        }
        Some(Split { sep: up, node: right, count: r.total() as u32 })
    }

    fn insert_in_leaf(&mut self, node: u32, recs: &Recs, score: f64, id: u32, member: &[u8]) -> Option<Split> {
        let leaf = self.leaf(node);
        let at = leaf.lower_bound(recs, score, member);
        if leaf.len() < LEAF_CAP {
            self.leaf_mut(node).insert(at, score, id);
            return None;
        }
        // Full: split. At the set's very end or start, leave the full leaf
        // full and start a new one, so ordered inserts pack leaves densely.
        let mid = match (at, leaf.prev, leaf.next) {
            (LEAF_CAP, _, NIL) => LEAF_CAP,
            (0, NIL, _) => 0,
            _ => LEAF_CAP / 2,
        };
        let right = self.new_leaf();
        let next = self.leaf(node).next;
        if next != NIL {
            self.leaf_mut(next).prev = right;
        }
        let [l, r] = self.leaves.get_disjoint_mut([node as usize, right as usize]).expect("distinct leaves");
        let moved = LEAF_CAP - mid;
        r.scores[..moved].copy_from_slice(&l.scores[mid..]);
        r.ids[..moved].copy_from_slice(&l.ids[mid..]);
        r.len = moved as u32;
        r.prev = node;
        r.next = next;
        l.len = mid as u32;
        l.next = right;
        if at < mid || mid == 0 {
            l.insert(at, score, id);
        } else {
            r.insert(at - mid, score, id);
        }
        let sep = (r.scores[0], recs.get(r.ids[0]).member.clone());
        Some(Split { sep, node: right, count: r.len })
    }

    /// Removes the entry (score, record `id`), which is in the tree.
    fn remove(&mut self, recs: &Recs, score: f64, id: u32) {
        let member = recs.member(id);
        let emptied = self.remove_at(self.root, self.height, recs, score, id, member);
        self.len -= 1;
        if emptied && self.height > 0 {
            // Only when the tree is now empty: start over from one leaf.
            *self = Tree::new();
            return;
        }
        while self.height > 0 && self.inner(self.root).len() == 1 {
            let old = self.root;
            self.root = self.inner(old).children[0];
            self.free_inners.push(old);
            self.height -= 1;
        }
    }

    /// Returns whether `node` is now empty (and must leave its parent).
    fn remove_at(&mut self, node: u32, height: u32, recs: &Recs, score: f64, id: u32, member: &[u8]) -> bool {
        if height == 0 {
            let leaf = self.leaf_mut(node);
            let at = leaf.lower_bound(recs, score, member);
            debug_assert!(at < leaf.len() && leaf.ids[at] == id, "entry is in the tree");
            leaf.remove(at);
            return leaf.len == 0;
        }
        let i = self.inner(node).child_for(score, member);
        let child = self.inner(node).children[i];
        self.inner_mut(node).counts[i] -= 1;
        if !self.remove_at(child, height - 1, recs, score, id, member) {
            return false;
        }
        if height == 1 {
            let (prev, next) = (self.leaf(child).prev, self.leaf(child).next);
            if prev != NIL {
                self.leaf_mut(prev).next = next;
            }
            if next != NIL {
                self.leaf_mut(next).prev = prev;
            }
            self.free_leaves.push(child);
        } else {
            self.free_inners.push(child);
        }
        let inner = self.inner_mut(node);
        inner.remove_child(i);
        inner.len == 0
    }

    /// How many entries sort before (score, member).
    fn rank(&self, recs: &Recs, score: f64, member: &[u8]) -> usize {
        let (mut node, mut rank) = (self.root, 0usize);
        for _ in 0..self.height {
            let inner = self.inner(node);
            let i = inner.child_for(score, member);
            rank += inner.counts[..i].iter().map(|&c| c as usize).sum::<usize>();
            node = inner.children[i];
        }
        rank + self.leaf(node).lower_bound(recs, score, member)
    }

    /// The leaf and position of the entry at `rank` (`rank < len`).
    fn select(&self, mut rank: usize) -> (u32, usize) {
        let mut node = self.root;
        for _ in 0..self.height {
            let inner = self.inner(node);
            let mut i = 0;
            while rank >= inner.counts[i] as usize {
                rank -= inner.counts[i] as usize;
                i += 1;
            }
            node = inner.children[i];
        }
        (node, rank)
    }

    /// How many leading entries satisfy `pred` (true for a prefix of the order).
    fn prefix_len(&self, recs: &Recs, pred: impl Fn(f64, &[u8]) -> bool) -> usize {
        let (mut node, mut rank) = (self.root, 0usize);
        for _ in 0..self.height {
            let inner = self.inner(node);
            // Every key before a separator that satisfies `pred` does too.
            let k = partition(inner.len() - 1, |j| pred(inner.scores[j], inner.members[j].bytes()));
            rank += inner.counts[..k].iter().map(|&c| c as usize).sum::<usize>();
            node = inner.children[k];
        }
        let leaf = self.leaf(node);
        rank + partition(leaf.len(), |j| pred(leaf.scores[j], recs.member(leaf.ids[j])))
    }
}

/// The large encoding. Cloning copies record numbers and the index's hasher
/// alike, so the copy's index stays valid.
#[derive(Clone)]
pub(super) struct Large {
    /// Member -> record number.
    index: Parts,
    recs: Recs,
    tree: Tree,
}

/// How the index hashes an entry: by the member in its record.
fn rec_hash(recs: &Recs) -> impl Fn(&DefaultHashBuilder, &u32) -> u64 + '_ {
    |hasher, &i| hasher.hash_one(recs.member(i))
}

/// A place in the order: a leaf and a position in it.
#[derive(Clone, Copy)]
pub(super) struct Pos {
    leaf: u32,
    at: usize,
}

impl Large {
    pub(super) fn new() -> Large {
        Large { index: Parts::default(), recs: Recs::default(), tree: Tree::new() }
    }

    pub(super) fn len(&self) -> usize {
        self.tree.len
    }

    /// The record holding `member`.
    fn find(&self, member: &[u8]) -> Option<u32> {
        let recs = &self.recs;
        self.index.find(self.index.hash(member), |&i| recs.member(i) == member).copied()
    }

    pub(super) fn score(&self, member: &[u8]) -> Option<f64> {
        self.find(member).map(|i| self.recs.get(i).score)
    }

    /// Adds a member that is not in the set.
    pub(super) fn add(&mut self, score: f64, member: &[u8]) {
        let h = self.index.hash(member);
        let id = self.recs.alloc(Rec { score, member: Member::new(member) });
        self.tree.insert(&self.recs, score, id);
        self.index.insert(h, id, rec_hash(&self.recs));
    }

    /// Changes a member's score (the member is in the set). Its record, and
    /// so its index entry, stay as they are.
    pub(super) fn update(&mut self, member: &[u8], score: f64) {
        let id = self.find(member).expect("member is in the set");
        let old = self.recs.get(id).score;
        // Still between its neighbours in its leaf: change it in place.
        let (leaf, at) = self.tree.select(self.tree.rank(&self.recs, old, member));
        let l = self.tree.leaf(leaf);
        debug_assert_eq!(l.ids[at], id);
        let after_prev = at == 0 || order(l.scores[at - 1], self.recs.member(l.ids[at - 1]), score, member).is_lt();
        let before_next =
            at + 1 == l.len() || order(score, member, l.scores[at + 1], self.recs.member(l.ids[at + 1])).is_lt();
        if at > 0 && at + 1 < l.len() && after_prev && before_next {
            self.tree.leaf_mut(leaf).scores[at] = score;
        } else {
            self.tree.remove(&self.recs, old, id);
            self.tree.insert(&self.recs, score, id);
        }
        self.recs.get_mut(id).score = score;
    }

    /// Removes a member; false if it was not there.
    pub(super) fn remove(&mut self, member: &[u8]) -> bool {
        let Some(id) = self.find(member) else { return false };
        self.remove_rec(id);
        self.maybe_compact();
        true
    }

    fn remove_rec(&mut self, id: u32) {
        let score = self.recs.get(id).score;
        self.tree.remove(&self.recs, score, id);
        let h = self.index.hash(self.recs.member(id));
        self.index.remove(h, |&i| i == id, rec_hash(&self.recs));
        self.recs.release(id);
    }

    pub(super) fn rank(&self, member: &[u8]) -> Option<usize> {
        let id = self.find(member)?;
        Some(self.tree.rank(&self.recs, self.recs.get(id).score, member))
    }

    pub(super) fn prefix_len(&self, pred: impl Fn(f64, &[u8]) -> bool) -> usize {
        self.tree.prefix_len(&self.recs, pred)
    }

    /// The place of rank `rank`, or `None` past the end.
    pub(super) fn pos(&self, rank: usize) -> Option<Pos> {
        (rank < self.tree.len).then(|| {
            let (leaf, at) = self.tree.select(rank);
            Pos { leaf, at }
        })
    }

    /// The entry at `pos` and the place after it (before it with `rev`).
    pub(super) fn step(&self, pos: Pos, rev: bool) -> ((&[u8], f64), Option<Pos>) {
        let l = self.tree.leaf(pos.leaf);
        let entry = (self.recs.member(l.ids[pos.at]), l.scores[pos.at]);
        let next = if rev {
            if pos.at > 0 {
                Some(Pos { leaf: pos.leaf, at: pos.at - 1 })
            } else {
                (l.prev != NIL).then(|| Pos { leaf: l.prev, at: self.tree.leaf(l.prev).len() - 1 })
            }
        } else if pos.at + 1 < l.len() {
            Some(Pos { leaf: pos.leaf, at: pos.at + 1 })
        } else {
            (l.next != NIL).then_some(Pos { leaf: l.next, at: 0 })
        };
        (entry, next)
    }

    /// Removes the entries at ranks `start..end` (`start < end <= len`).
    pub(super) fn remove_range(&mut self, start: usize, end: usize) {
        let mut ids = Vec::with_capacity(end - start);
        let mut pos = self.pos(start);
        while ids.len() < end - start {
            let p = pos.expect("rank is in range");
            let l = self.tree.leaf(p.leaf);
            ids.push(l.ids[p.at]);
            pos = self.step(p, false).1;
        }
        for id in ids {
            self.remove_rec(id);
        }
        self.maybe_compact();
    }

    pub(super) fn scan(&self, cursor: u64, count: usize, mut visit: impl FnMut(&[u8], f64)) -> u64 {
        self.index.scan(cursor, count, rec_hash(&self.recs), |&i| {
            let r = self.recs.get(i);
            visit(r.member.bytes(), r.score)
        })
    }

    /// Rebuilds everything densely when most record slots are free or the
    /// leaves are mostly empty, so a set that shrank gives its memory back.
    fn maybe_compact(&mut self) {
        let free = self.recs.free.len();
        let sparse_recs = free >= 64 && free >= self.recs.capacity() / 2;
        let sparse_leaves = self.tree.leaves.len() > 4 && self.tree.leaves.len() * LEAF_CAP > 4 * self.tree.len;
        if !sparse_recs && !sparse_leaves {
            return;
        }
        let mut fresh = Large::new();
        let mut pos = self.pos(0);
        while let Some(p) = pos {
            let ((member, score), next) = self.step(p, false);
            fresh.add(score, member);
            pos = next;
        }
        *self = fresh;
    }

    #[cfg(test)]
    fn check(&self) {
        // Every count, every separator, the leaf chain and the index agree.
        fn walk(t: &Tree, recs: &Recs, node: u32, h: u32, lo: Option<(f64, &[u8])>, leaves: &mut Vec<u32>) -> usize {
            if h == 0 {
                let l = t.leaf(node);
                assert!(l.len() > 0 || t.height == 0);
                for j in 0..l.len() {
                    let (s, m) = (l.scores[j], recs.member(l.ids[j]));
                    assert_eq!(recs.get(l.ids[j]).score, s);
                    if let Some((ls, lm)) = lo {
                        assert!(order(ls, lm, s, m).is_le());
                    }
                    if j > 0 {
                        assert!(order(l.scores[j - 1], recs.member(l.ids[j - 1]), s, m).is_lt());
                    }
                }
                leaves.push(node);
                return l.len();
            }
            let inner = t.inner(node);
            assert!(inner.len() >= 1);
            let mut total = 0;
            for c in 0..inner.len() {
                let bound = if c == 0 { lo } else { Some((inner.scores[c - 1], inner.members[c - 1].bytes())) };
                let n = walk(t, recs, inner.children[c], h - 1, bound, leaves);
                assert_eq!(n, inner.counts[c] as usize);
                total += n;
            }
            total
        }
        let mut leaves = Vec::new();
        let n = walk(&self.tree, &self.recs, self.tree.root, self.tree.height, None, &mut leaves);
        assert_eq!(n, self.tree.len);
        for w in leaves.windows(2) {
            assert_eq!(self.tree.leaf(w[0]).next, w[1]);
            assert_eq!(self.tree.leaf(w[1]).prev, w[0]);
        }
        assert_eq!(self.tree.leaf(leaves[0]).prev, NIL);
        assert_eq!(self.tree.leaf(*leaves.last().expect("a leaf")).next, NIL);
        assert_eq!(self.recs.capacity() - self.recs.free.len(), n);
        let mut pos = self.pos(0);
        while let Some(p) = pos {
            let ((m, s), next) = self.step(p, false);
            assert_eq!(self.score(m), Some(s));
            pos = next;
        }
    }
}

/// A fresh node in a node pool: a freed slot reused, else a new one at the end.
fn new_node<T>(nodes: &mut Vec<Box<T>>, free: &mut Vec<u32>, fresh: T) -> u32 {
    match free.pop() {
        Some(i) => {
            *nodes[i as usize] = fresh;
            i
        }
        None => {
            nodes.push(Box::new(fresh));
            (nodes.len() - 1) as u32
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// (score, member) in Redis's order, for a `BTreeSet` model.
    #[derive(Clone, Debug, PartialEq, PartialOrd)]
    struct Key(f64, Vec<u8>);
    impl Eq for Key {}
    #[allow(clippy::derive_ord_xor_partial_ord)]
    impl Ord for Key {
        fn cmp(&self, o: &Self) -> Ordering {
            order(self.0, &self.1, o.0, &o.1)
        }
    }

    fn contents(l: &Large, rev: bool) -> Vec<Key> {
        let mut out = Vec::new();
        let mut pos = l.pos(if rev { l.len().wrapping_sub(1) } else { 0 });
        while let Some(p) = pos {
            let ((m, s), next) = l.step(p, rev);
            out.push(Key(s, m.to_vec()));
            pos = next;
        }
        out
    }

    fn agree(l: &Large, model: &BTreeSet<Key>, rnd: &mut impl FnMut() -> u64) {
        l.check();
        assert_eq!(l.len(), model.len());
        let items: Vec<Key> = model.iter().cloned().collect();
        assert_eq!(contents(l, false), items);
        let mut back = items.clone();
        back.reverse();
        assert_eq!(contents(l, true), back);
        for _ in 0..50.min(items.len()) {
            let r = (rnd() % items.len() as u64) as usize;
            let k = &items[r];
            assert_eq!(l.rank(&k.1), Some(r));
            assert_eq!(l.score(&k.1), Some(k.0));
            let p = l.pos(r).expect("in range");
            assert_eq!(l.step(p, false).0, (&k.1[..], k.0));
            // Ranges by score and by member, as ZRANGEBYSCORE and ZRANGEBYLEX find them.
            let bound = (rnd() % 200) as f64 / 2.0;
            assert_eq!(l.prefix_len(|s, _| s < bound), items.iter().filter(|k| k.0 < bound).count());
            assert_eq!(l.prefix_len(|s, _| s <= bound), items.iter().filter(|k| k.0 <= bound).count());
            assert_eq!(l.prefix_len(|s, m| order(s, m, k.0, &k.1).is_lt()), r, "prefix up to an element is its rank");
        }
        assert!(l.pos(items.len()).is_none());
    }

    fn xorshift(mut seed: u64) -> impl FnMut() -> u64 {
        move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        }
    }

    #[test]
    fn randomized_against_a_btreeset() {
        for (round, seed) in [7u64, 99, 12345].into_iter().enumerate() {
            let mut rnd = xorshift(seed);
            let mut l = Large::new();
            let mut model: BTreeSet<Key> = BTreeSet::new();
            let mut scores: std::collections::HashMap<Vec<u8>, f64> = Default::default();
            let universe = [50u64, 3000, 20000][round];
            for step in 0..30_000 {
                let m = format!("m{}", rnd() % universe).into_bytes();
                // Few distinct scores: many ties, ordered by member.
                let s = (rnd() % 100) as f64 / 2.0 - 10.0;
                match (scores.get(&m).copied(), rnd() % 4) {
                    (Some(old), 0) => {
                        assert!(l.remove(&m));
                        model.remove(&Key(old, m.clone()));
                        scores.remove(&m);
                    }
                    (Some(old), _) => {
                        l.update(&m, s);
                        model.remove(&Key(old, m.clone()));
                        model.insert(Key(s, m.clone()));
                        scores.insert(m, s);
                    }
                    (None, 0) => assert!(!l.remove(&m)),
                    (None, _) => {
                        l.add(s, &m);
                        model.insert(Key(s, m.clone()));
                        scores.insert(m, s);
                    }
                }
                if step % 5000 == 4999 {
                    agree(&l, &model, &mut rnd);
                }
                if step % 7919 == 0 && l.len() > 10 {
                    // Remove a rank range.
                    let a = (rnd() % l.len() as u64) as usize;
                    let b = (a + 1 + (rnd() % 300) as usize).min(l.len());
                    let gone: Vec<Key> = model.iter().skip(a).take(b - a).cloned().collect();
                    l.remove_range(a, b);
                    for k in gone {
                        scores.remove(&k.1);
                        model.remove(&k);
                    }
                    agree(&l, &model, &mut rnd);
                }
            }
            agree(&l, &model, &mut rnd);
            let copy = l.clone();
            agree(&copy, &model, &mut rnd);
            // Empty it from both ends and the middle; it shrinks back.
            while l.len() > 0 {
                let n = l.len();
                let (a, b) = match rnd() % 3 {
                    0 => (0, n.min(7)),
                    1 => (n.saturating_sub(5), n),
                    _ => (n / 2, (n / 2 + 11).min(n)),
                };
                let gone: Vec<Key> = model.iter().skip(a).take(b - a).cloned().collect();
                l.remove_range(a, b);
                for k in gone {
                    model.remove(&k);
                }
                if l.len().is_multiple_of(97) {
                    agree(&l, &model, &mut rnd);
                }
            }
            agree(&l, &model, &mut rnd);
            assert!(l.tree.leaves.len() <= 4 && l.recs.capacity() <= CHUNK);
        }
    }

    #[test]
    fn ordered_inserts_fill_leaves_and_removals_give_memory_back() {
        let mut l = Large::new();
        for i in 0..100_000 {
            l.add(i as f64, format!("member:{i}").as_bytes());
        }
        l.check();
        // Leaves are full but for the last one.
        assert_eq!(l.tree.leaves.len(), 100_000usize.div_ceil(LEAF_CAP));
        // Descending inserts too.
        let mut d = Large::new();
        for i in (0..10_000).rev() {
            d.add(i as f64, b"same");
            d.remove(b"same");
            d.add(i as f64, format!("m{i}").as_bytes());
        }
        d.check();
        assert!(d.tree.leaves.len() <= 10_000usize.div_ceil(LEAF_CAP) + 1);
        for i in 0..99_000 {
            assert!(l.remove(format!("member:{i}").as_bytes()));
        }
        l.check();
        assert_eq!(l.len(), 1000);
        assert!(l.recs.capacity() < 4000 && l.tree.leaves.len() < 100);
        assert_eq!(l.rank(b"member:99500"), Some(500));
    }

    #[test]
    fn long_members_and_in_place_updates() {
        let mut l = Large::new();
        let long = |i: usize| format!("{}{i}", "x".repeat(40)).into_bytes();
        for i in 0..500 {
            l.add((i % 10) as f64, &long(i));
        }
        for i in 0..500 {
            l.update(&long(i), (i % 10) as f64 + 0.25);
        }
        l.check();
        for i in 0..500 {
            l.update(&long(i), -(i as f64));
        }
        l.check();
        assert_eq!(l.rank(&long(499)), Some(0));
        assert_eq!(l.prefix_len(|s, _| s < -249.5), 250);
    }

    #[test]
    fn node_sizes() {
        assert_eq!(std::mem::size_of::<Leaf>(), 768);
        assert_eq!(std::mem::size_of::<Rec>(), 32);
    }
}
