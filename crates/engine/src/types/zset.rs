//! The sorted set value type: members ordered by (score, member bytes), as
//! Redis orders them, in Redis's two encodings.
//!
//! - `listpack`: one packed buffer of (member, score) entries in order while
//!   the set is small (`zset-max-listpack-entries`, `zset-max-listpack-value`).
//!   Lookups scan it, as Redis scans its listpack.
//! - `skiplist`: a skiplist with spans (rank and range in O(log n)) plus a
//!   member -> node index. The member's bytes live once, in its node; the
//!   index holds node numbers and hashes through the nodes. The switch is
//!   one-way, made when an insert would break a small-encoding limit; only a
//!   freshly built set (a *STORE result) picks its encoding from its final size.
//!
//! Scores are never NaN: the commands refuse NaN before anything gets here.

use super::set::{Member, Parts};
use crate::limits::{zset_max_listpack_entries, zset_max_listpack_value};
use bytes::Bytes;
use hashbrown::DefaultHashBuilder;
use std::cmp::Ordering;
use std::fmt;
use std::hash::BuildHasher;

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

fn put_varint(buf: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        buf.push(n as u8 | 0x80);
        n >>= 7;
    }
    buf.push(n as u8);
}

fn read_varint(buf: &[u8], mut at: usize) -> (u64, usize) {
    let (mut n, mut shift) = (0u64, 0);
    loop {
        let b = buf[at];
        at += 1;
        n |= ((b & 0x7f) as u64) << shift;
        if b < 0x80 {
            return (n, at);
        }
        shift += 7;
    }
}

/// One packed entry. A listpack keeps a score as its text and reads "-0"
/// back as the integer 0: the integer form does the same.
fn encode(member: &[u8], score: f64) -> Vec<u8> {
    let mut out = Vec::with_capacity(member.len() + 11);
    let int = score.fract() == 0.0 && score.abs() < INT_SCORE_MAX;
    put_varint(&mut out, (member.len() as u64) << 1 | int as u64);
    out.extend_from_slice(member);
    if int {
        let i = score as i64;
        put_varint(&mut out, ((i << 1) ^ (i >> 63)) as u64);
    } else {
        out.extend_from_slice(&score.to_le_bytes());
    }
    out
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

/// Inserts an entry at its place in order, growing the buffer to exactly the size needed.
fn insert_packed(buf: &mut Vec<u8>, member: &[u8], score: f64) {
    let at = entries(buf).find(|e| order(e.2, e.1, score, member) != Ordering::Less).map_or(buf.len(), |e| e.0);
    let bytes = encode(member, score);
    buf.reserve_exact(bytes.len());
    buf.splice(at..at, bytes);
}

/// Removes `range`, giving memory back once most of the buffer is unused.
fn cut(buf: &mut Vec<u8>, range: std::ops::Range<usize>) {
    buf.drain(range);
    if buf.capacity() > 2 * buf.len() {
        buf.shrink_to_fit();
    }
}

/// The skiplist encoding. Cloning copies node numbers and the index's hasher
/// alike, so the copy's index stays valid.
#[derive(Clone)]
struct Large {
    /// Member -> node number in `list`.
    index: Parts<u32>,
    list: SkipList,
}

/// How the index hashes an entry: by the member in its node.
fn node_hash(list: &SkipList) -> impl Fn(&DefaultHashBuilder, &u32) -> u64 + '_ {
    |hasher, &i| hasher.hash_one(list.node(i).member.bytes())
}

impl Large {
    fn new() -> Large {
        Large { index: Parts::default(), list: SkipList::new() }
    }

    /// The node holding `member`.
    fn find(&self, member: &[u8]) -> Option<u32> {
        let list = &self.list;
        self.index.find(self.index.hash(member), |&i| list.node(i).member.bytes() == member).copied()
    }

    /// Adds a member that is not in the set.
    fn add(&mut self, score: f64, member: &[u8]) {
        let h = self.index.hash(member);
        let node = self.list.insert(score, Member::new(member));
        self.index.insert(h, node, node_hash(&self.list));
    }

    /// Takes node `node` out of the index (the node itself stays in the list).
    fn unindex(&mut self, node: u32) {
        let h = self.index.hash(self.list.node(node).member.bytes());
        self.index.remove(h, |&i| i == node, node_hash(&self.list));
    }

    /// Rebuilds the arena when most of it is free slots, so a set that shrank
    /// gives its memory back (amortized O(log n) per removal).
    fn maybe_compact(&mut self) {
        let free = self.list.free.len();
        if free < 64 || free < self.list.capacity() / 2 {
            return;
        }
        let mut fresh = Large::new();
        fresh.list.seed = self.list.seed;
        let mut x = self.list.node(HEAD).next;
        while x != NIL {
            let n = self.list.node(x);
            fresh.add(n.score, n.member.bytes());
            x = n.next;
        }
        *self = fresh;
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
            let mut buf = Vec::new();
            for (score, member) in &items {
                buf.extend_from_slice(&encode(member, *score));
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
            Repr::Large(l) => l.list.len,
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
            Repr::Large(l) => l.find(member).map(|i| l.list.node(i).score),
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
                let node = l.find(member).expect("member is in the set");
                debug_assert_eq!(l.list.node(node).score, old);
                let moved = l.list.update_score(node, new);
                // The node got a new number: point the index at it.
                let h = l.index.hash(member);
                *l.index.find_mut(h, |&i| i == node).expect("node is indexed") = moved;
            }
        }
    }

    /// Removes a member; false if it was not there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match &mut self.repr {
            Repr::Small { buf, len } => {
                let Some((start, _, _, end)) = entries(buf).find(|e| e.1 == member) else { return false };
                cut(buf, start..end);
                *len -= 1;
                true
            }
            Repr::Large(l) => match l.find(member) {
                Some(node) => {
                    l.unindex(node);
                    l.list.delete(node);
                    l.maybe_compact();
                    true
                }
                None => false,
            },
        }
    }

    /// A member's 0-based position in ascending order.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        match &self.repr {
            Repr::Small { buf, .. } => entries(buf).position(|e| e.1 == member),
            Repr::Large(l) => l.find(member).map(|i| l.list.rank(i)),
        }
    }

    /// How many leading elements (in ascending order) satisfy `pred`. With a
    /// predicate true for a prefix (score below a bound, member below a lex
    /// bound) this is the rank where a range starts or ends.
    pub fn prefix_len(&self, pred: impl Fn(f64, &[u8]) -> bool) -> usize {
        match &self.repr {
            Repr::Small { buf, len } => entries(buf).position(|e| !pred(e.2, e.1)).unwrap_or(*len as usize),
            Repr::Large(l) => l.list.prefix_len(pred),
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
            Repr::Large(l) => {
                let node = if rank < l.list.len { l.list.node_at(rank) } else { NIL };
                Iter(Walk::Large { list: &l.list, node, rev })
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
            Repr::Small { buf, len } => {
                let from = offset_of(buf, start);
                let to = from + offset_of(&buf[from..], end - start);
                cut(buf, from..to);
                *len -= (end - start) as u32;
            }
            Repr::Large(l) => {
                // Unindex while the nodes are still there to hash, then unlink them in one pass.
                let mut x = l.list.node_at(start);
                for _ in start..end {
                    let next = l.list.node(x).next;
                    l.unindex(x);
                    x = next;
                }
                l.list.delete_range(start, end);
                l.maybe_compact();
            }
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
            Repr::Large(l) => l.index.scan(cursor, count, node_hash(&l.list), |&i| {
                let n = l.list.node(i);
                visit(n.member.bytes(), n.score)
            }),
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
        list: &'a SkipList,
        node: u32,
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
            Walk::Large { list, node, rev } => {
                if *node == NIL {
                    return None;
                }
                let list: &'a SkipList = list;
                let n = list.node(*node);
                *node = if *rev { n.prev } else { n.next };
                Some((n.member.bytes(), n.score))
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The skiplist: William Pugh's, with Redis's changes (duplicate scores ordered
// by member, a span per link for ranks, a back link at level 0). Nodes live
// in an arena of fixed-size chunks (no slack past the last chunk, no big
// copy when it grows) and link by number; number 0 is the header.
//
// A node keeps its level-0 link in itself (its span is always 1, so it is
// not stored) and its upper links, if any, in a "tower": a run of
// `level - 1` links in the pool for its level. Three nodes in four have
// level 1 and no tower.

const MAX_LEVEL: usize = 32;
const NIL: u32 = u32::MAX;
const HEAD: u32 = 0;
const CHUNK_BITS: u32 = 10;
const CHUNK: usize = 1 << CHUNK_BITS;

#[derive(Clone, Copy)]
struct Link {
    next: u32,
    /// Level-0 steps this link jumps over.
    span: u32,
}

#[derive(Clone, Default)]
struct Node {
    score: f64,
    member: Member,
    prev: u32,
    /// The level-0 link.
    next: u32,
    /// This node's run in `towers[level]` (when level > 1).
    tower: u32,
    level: u8,
}

/// The towers of one height: runs of equal length, and the free runs.
#[derive(Clone, Default)]
struct Towers {
    links: Vec<Link>,
    free: Vec<u32>,
}

#[derive(Clone)]
pub struct SkipList {
    chunks: Vec<Vec<Node>>,
    /// Numbers of free node slots.
    free: Vec<u32>,
    /// `towers[l]` holds the upper links of nodes of level `l`.
    towers: Vec<Towers>,
    level: usize,
    len: usize,
    /// xorshift state for node levels.
    seed: u64,
}

impl SkipList {
    fn new() -> SkipList {
        let mut list = SkipList {
            chunks: Vec::new(),
            free: Vec::new(),
            towers: vec![Towers::default(); MAX_LEVEL + 1],
            level: 1,
            len: 0,
            seed: 0x9E37_79B9_7F4A_7C15,
        };
        let head = list.alloc(0.0, Member::default(), MAX_LEVEL);
        debug_assert_eq!(head, HEAD);
        list
    }

    fn node(&self, i: u32) -> &Node {
        &self.chunks[(i >> CHUNK_BITS) as usize][i as usize & (CHUNK - 1)]
    }

    fn node_mut(&mut self, i: u32) -> &mut Node {
        &mut self.chunks[(i >> CHUNK_BITS) as usize][i as usize & (CHUNK - 1)]
    }

    /// Node slots in the arena, used or free.
    fn capacity(&self) -> usize {
        self.chunks.iter().map(Vec::len).sum()
    }

    /// A new unlinked node of `level` levels; returns its number.
    fn alloc(&mut self, score: f64, member: Member, level: usize) -> u32 {
        let tower = if level > 1 {
            let t = &mut self.towers[level];
            t.free.pop().unwrap_or_else(|| {
                t.links.extend(std::iter::repeat_n(Link { next: NIL, span: 0 }, level - 1));
                (t.links.len() / (level - 1) - 1) as u32
            })
        } else {
            0
        };
        let node = Node { score, member, prev: NIL, next: NIL, tower, level: level as u8 };
        if let Some(i) = self.free.pop() {
            *self.node_mut(i) = node;
            return i;
        }
        if self.chunks.last().is_none_or(|c| c.len() == CHUNK) {
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        let i = ((self.chunks.len() - 1) << CHUNK_BITS) + self.chunks.last().map_or(0, Vec::len);
        self.chunks.last_mut().expect("pushed above").push(node);
        i as u32
    }

    /// Frees node `i`'s slot and tower; returns its member.
    fn release(&mut self, i: u32) -> Member {
        let n = std::mem::take(self.node_mut(i));
        if n.level > 1 {
            self.towers[n.level as usize].free.push(n.tower);
        }
        self.free.push(i);
        n.member
    }

    fn link(&self, node: u32, level: usize) -> Link {
        let n = self.node(node);
        if level == 0 {
            return Link { next: n.next, span: 1 };
        }
        let height = n.level as usize - 1;
        self.towers[n.level as usize].links[n.tower as usize * height + level - 1]
    }

    /// Sets a link; at level 0 only `next` is kept (the span is always 1).
    fn set_link(&mut self, node: u32, level: usize, link: Link) {
        let n = self.node_mut(node);
        if level == 0 {
            n.next = link.next;
            return;
        }
        let (l, t) = (n.level as usize, n.tower as usize);
        self.towers[l].links[t * (l - 1) + level - 1] = link;
    }

    fn add_span(&mut self, node: u32, level: usize, delta: i64) {
        let l = self.link(node, level);
        self.set_link(node, level, Link { next: l.next, span: (l.span as i64 + delta) as u32 });
    }

    /// Whether `node` sorts before (score, member).
    fn before(&self, node: u32, score: f64, member: &[u8]) -> bool {
        let n = self.node(node);
        order(n.score, n.member.bytes(), score, member) == Ordering::Less
    }

    /// 1 + the number of successes at p = 1/4, as Redis draws levels.
    fn random_level(&mut self) -> usize {
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        (1 + (self.seed.trailing_zeros() / 2) as usize).min(MAX_LEVEL)
    }

    /// Links a new node in; returns its number.
    fn insert(&mut self, score: f64, member: Member) -> u32 {
        let mut update = [HEAD; MAX_LEVEL];
        let mut rank = [0u32; MAX_LEVEL];
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            rank[i] = if i == self.level - 1 { 0 } else { rank[i + 1] };
            loop {
                let l = self.link(x, i);
                if l.next == NIL || !self.before(l.next, score, member.bytes()) {
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
                self.set_link(HEAD, i, Link { next: NIL, span: self.len as u32 });
            }
            self.level = level;
        }
        let idx = self.alloc(score, member, level);
        for i in 0..level {
            let u = self.link(update[i], i);
            let crossed = rank[0] - rank[i];
            self.set_link(idx, i, Link { next: u.next, span: u.span - crossed });
            self.set_link(update[i], i, Link { next: idx, span: crossed + 1 });
        }
        for (i, &u) in update.iter().enumerate().take(self.level).skip(level) {
            self.add_span(u, i, 1);
        }
        self.node_mut(idx).prev = if update[0] == HEAD { NIL } else { update[0] };
        let next = self.node(idx).next;
        if next != NIL {
            self.node_mut(next).prev = idx;
        }
        self.len += 1;
        idx
    }

    /// Unlinks `x`, whose predecessor at each level is in `update`, and frees
    /// its slot; returns its member.
    fn unlink(&mut self, x: u32, update: &[u32; MAX_LEVEL]) -> Member {
        for (i, &u) in update.iter().enumerate().take(self.level) {
            let ul = self.link(u, i);
            if ul.next == x {
                let xl = self.link(x, i);
                self.set_link(u, i, Link { next: xl.next, span: ul.span + xl.span - 1 });
            } else {
                self.add_span(u, i, -1);
            }
        }
        let (prev, next) = (self.node(x).prev, self.node(x).next);
        if next != NIL {
            self.node_mut(next).prev = prev;
        }
        while self.level > 1 && self.link(HEAD, self.level - 1).next == NIL {
            self.level -= 1;
        }
        self.len -= 1;
        self.release(x)
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

    /// Unlinks node `x` and frees it; returns its member.
    fn delete(&mut self, x: u32) -> Member {
        let n = self.node(x);
        let update = self.predecessors(n.score, n.member.bytes());
        debug_assert_eq!(self.link(update[0], 0).next, x);
        self.unlink(x, &update)
    }

    /// Gives node `x` a new score; returns the node's number afterwards. It
    /// stays in place when its neighbours still bracket it (Redis's
    /// zslUpdateScore), else it is reinserted.
    fn update_score(&mut self, x: u32, score: f64) -> u32 {
        let n = self.node(x);
        let (prev, next) = (n.prev, n.next);
        let after_prev = prev == NIL || self.before(prev, score, n.member.bytes());
        let before_next = next == NIL || {
            let m = self.node(next);
            order(score, n.member.bytes(), m.score, m.member.bytes()) == Ordering::Less
        };
        if after_prev && before_next {
            self.node_mut(x).score = score;
            return x;
        }
        let member = self.delete(x);
        self.insert(score, member)
    }

    /// The 0-based rank of node `x`.
    fn rank(&self, x: u32) -> usize {
        let target = self.node(x);
        let (score, member) = (target.score, target.member.bytes());
        let mut rank = 0usize;
        let mut y = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let l = self.link(y, i);
                if l.next == NIL {
                    break;
                }
                let n = self.node(l.next);
                if order(n.score, n.member.bytes(), score, member) == Ordering::Greater {
                    break;
                }
                rank += l.span as usize;
                y = l.next;
            }
            if y == x {
                return rank - 1;
            }
        }
        unreachable!("node {x} is in the list")
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
                let n = self.node(l.next);
                if !pred(n.score, n.member.bytes()) {
                    break;
                }
                rank += l.span as usize;
                x = l.next;
            }
        }
        rank
    }

    /// Deletes ranks `start..end` in one pass (Redis's zslDeleteRangeByRank).
    fn delete_range(&mut self, start: usize, end: usize) {
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
        let mut x = self.node(x).next;
        for _ in start..end {
            let next = self.node(x).next;
            self.unlink(x, &update);
            x = next;
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
        if let Repr::Large(l) = &z.repr {
            assert!(l.list.capacity() < 200);
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
    fn node_is_48_bytes() {
        assert_eq!(std::mem::size_of::<Node>(), 48);
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
