//! The list value type: a quicklist like Redis's, a deque of packed nodes.
//!
//! A node is one byte buffer of entries, each laid out as `len data len'`:
//! the data's length as a LEB128 varint before it (to walk forwards) and the
//! same varint bytes reversed after it (to walk backwards). A node holds as
//! many entries as `list-max-listpack-size` allows, so a list costs about two
//! bytes per element plus one allocation per node rather than one per
//! element. Push and pop at either end touch one bounded node (O(1)), and
//! reaching index i skips whole nodes from the nearer end.

use super::packed::{self, Varint};
use crate::limits;
use bytes::Bytes;
use std::collections::VecDeque;
use std::fmt;
use std::ops::Range;

#[derive(Clone, Default)]
pub struct List {
    /// Never holds an empty node.
    nodes: Nodes,
    len: usize,
}

#[derive(Clone, Default)]
struct Node {
    buf: NodeBuf,
    count: usize,
}

/// A node's entries, with free room kept before them once the node holds
/// `FRONT_ROOM_FROM` bytes: a push or pop at the head then writes or drops
/// one entry instead of moving all the others (listpack, in Redis, moves them
/// every time). The room is grown a quarter of the node at a time, so a node
/// filled from the front is moved a few times, not once per push.
#[derive(Clone, Default)]
struct NodeBuf {
    vec: Vec<u8>,
    /// Free bytes before the first entry.
    head: usize,
}

/// Below this, moving the node for a push at the head costs less than room would.
const FRONT_ROOM_FROM: usize = 512;
/// The most room one re-layout adds at the front.
const FRONT_ROOM_MAX: usize = 1024;

impl std::ops::Deref for NodeBuf {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.vec[self.head..]
    }
}

impl NodeBuf {
    fn from_vec(vec: Vec<u8>) -> NodeBuf {
        NodeBuf { vec, head: 0 }
    }

    /// Replaces `range` of the entries with the concatenation of `parts`.
    fn splice(&mut self, range: Range<usize>, parts: &[&[u8]]) {
        if range != (0..0) || self.len() < FRONT_ROOM_FROM {
            packed::splice(&mut self.vec, self.head + range.start..self.head + range.end, parts);
            return;
        }
        let new: usize = parts.iter().map(|p| p.len()).sum();
        if self.head < new {
            self.make_room(new);
        }
        self.head -= new;
        packed::put(&mut self.vec, self.head, parts);
    }

    /// Lays the entries out again with at least `need` free bytes before them.
    fn make_room(&mut self, need: usize) {
        let len = self.len();
        let room = need + (len / 4).min(FRONT_ROOM_MAX);
        let mut vec = Vec::with_capacity(crate::alloc::size_class(room + len));
        vec.resize(room, 0);
        vec.extend_from_slice(&self.vec[self.head..]);
        *self = NodeBuf { vec, head: room };
    }

    fn remove(&mut self, range: Range<usize>) {
        if range.start == 0 {
            self.head += range.end;
        } else {
            self.vec.drain(self.head + range.start..self.head + range.end);
        }
    }

    fn truncate(&mut self, len: usize) {
        self.vec.truncate(self.head + len);
    }

    fn extend_from_slice(&mut self, data: &[u8]) {
        self.vec.extend_from_slice(data);
    }

    /// Moves the entries from `at` on into a buffer of their own.
    fn split_off(&mut self, at: usize) -> NodeBuf {
        NodeBuf::from_vec(self.vec.split_off(self.head + at))
    }

    /// Gives back the room at both ends.
    fn shrink_to_fit(&mut self) {
        if self.head > 0 {
            self.vec.drain(..self.head);
            self.head = 0;
        }
        self.vec.shrink_to_fit();
    }

    #[cfg(test)]
    fn capacity(&self) -> usize {
        self.vec.capacity()
    }
}

/// The nodes: a deque, except that a list of one node (most lists) keeps it
/// inline rather than in a deque's allocation of its own.
#[derive(Clone)]
enum Nodes {
    One(Node),
    /// Never exactly one node.
    Many(VecDeque<Node>),
}

impl Default for Nodes {
    fn default() -> Self {
        Nodes::Many(VecDeque::new())
    }
}

impl std::ops::Index<usize> for Nodes {
    type Output = Node;
    fn index(&self, i: usize) -> &Node {
        self.get(i).expect("node index in range")
    }
}

impl std::ops::IndexMut<usize> for Nodes {
    fn index_mut(&mut self, i: usize) -> &mut Node {
        self.get_mut(i).expect("node index in range")
    }
}

impl Nodes {
    fn len(&self) -> usize {
        match self {
            Nodes::One(_) => 1,
            Nodes::Many(d) => d.len(),
        }
    }

    fn get(&self, i: usize) -> Option<&Node> {
        match self {
            Nodes::One(n) => (i == 0).then_some(n),
            Nodes::Many(d) => d.get(i),
        }
    }

    fn get_mut(&mut self, i: usize) -> Option<&mut Node> {
        match self {
            Nodes::One(n) => (i == 0).then_some(n),
            Nodes::Many(d) => d.get_mut(i),
        }
    }

    fn front_mut(&mut self) -> Option<&mut Node> {
        self.get_mut(0)
    }

    fn back_mut(&mut self) -> Option<&mut Node> {
        self.get_mut(self.len().checked_sub(1)?)
    }

    fn iter(&self) -> impl Iterator<Item = &Node> {
        (0..self.len()).map(|i| &self[i])
    }

    /// The deque, with the inline node moved into it.
    fn deque(&mut self) -> &mut VecDeque<Node> {
        if let Nodes::One(n) = self {
            *self = Nodes::Many(VecDeque::from([std::mem::take(n)]));
        }
        match self {
            Nodes::Many(d) => d,
            Nodes::One(_) => unreachable!("just moved into a deque"),
        }
    }

    /// Brings a deque down to one node back inline.
    fn settle(&mut self) {
        if let Nodes::Many(d) = self {
            if d.len() == 1 {
                *self = Nodes::One(d.pop_front().expect("one node"));
            }
        }
    }

    fn from_vec(mut nodes: Vec<Node>) -> Nodes {
        match nodes.len() {
            1 => Nodes::One(nodes.pop().expect("one node")),
            _ => Nodes::Many(nodes.into()),
        }
    }

    fn into_vec(self) -> Vec<Node> {
        match self {
            Nodes::One(n) => vec![n],
            Nodes::Many(d) => d.into(),
        }
    }

    fn push_front(&mut self, n: Node) {
        match self {
            Nodes::Many(d) if d.is_empty() => *self = Nodes::One(n),
            _ => self.deque().push_front(n),
        }
    }

    fn push_back(&mut self, n: Node) {
        match self {
            Nodes::Many(d) if d.is_empty() => *self = Nodes::One(n),
            _ => self.deque().push_back(n),
        }
    }

    fn insert(&mut self, i: usize, n: Node) {
        self.deque().insert(i, n);
    }

    fn pop_front(&mut self) {
        self.deque().pop_front();
        self.settle();
    }

    fn pop_back(&mut self) {
        self.deque().pop_back();
        self.settle();
    }
}

/// Whether a node of `bytes` bytes holding `count` entries is within
/// `list-max-listpack-size`, bounded as Redis bounds its nodes: a negative
/// setting caps the size (-1..-5: 4..64 KiB), a positive one the entries,
/// with an 8 KiB safety limit on the size. A node always takes one entry,
/// however large.
fn within_limit(bytes: usize, count: usize) -> bool {
    let fill = limits::list_max_listpack_size().clamp(-5, 32767);
    if fill < 0 {
        bytes <= 4096 << (-fill - 1)
    } else {
        bytes <= 8192 && count <= fill as usize
    }
}

fn entry_size(len: usize) -> usize {
    len + 2 * Varint::new(len as u64).as_slice().len()
}

/// Writes an entry over `range` of `buf`: the data's length as a varint, the
/// data, then the varint's bytes reversed, so it reads from either end.
fn put_entry(buf: &mut NodeBuf, range: Range<usize>, data: &[u8]) {
    let len = Varint::new(data.len() as u64);
    let mut rev = [0u8; 10];
    let k = len.as_slice().len();
    rev[..k].copy_from_slice(len.as_slice());
    rev[..k].reverse();
    buf.splice(range, &[len.as_slice(), data, &rev[..k]]);
}

/// The entry that starts at `pos`: (where its data starts, data length, where the next entry starts).
fn read_forward(buf: &[u8], pos: usize) -> (usize, usize, usize) {
    let (mut n, mut shift, mut p) = (0, 0, pos);
    loop {
        let b = buf[p];
        p += 1;
        n |= ((b & 0x7f) as usize) << shift;
        if b & 0x80 == 0 {
            return (p, n, p + n + (p - pos));
        }
        shift += 7;
    }
}

/// The entry that ends at `end`: (where the entry starts, where its data starts, data length).
fn read_backward(buf: &[u8], end: usize) -> (usize, usize, usize) {
    let (mut n, mut shift, mut p) = (0, 0, end);
    loop {
        p -= 1;
        let b = buf[p];
        n |= ((b & 0x7f) as usize) << shift;
        if b & 0x80 == 0 {
            let data = p - n;
            return (data - (end - p), data, n);
        }
        shift += 7;
    }
}

impl Node {
    fn with(data: &[u8]) -> Node {
        let mut buf = NodeBuf::default();
        put_entry(&mut buf, 0..0, data);
        Node { buf, count: 1 }
    }

    /// Byte offset of entry `i` (`count`: the end), walking from the nearer end.
    fn offset(&self, i: usize) -> usize {
        if i <= self.count / 2 {
            (0..i).fold(0, |p, _| read_forward(&self.buf, p).2)
        } else {
            (i..self.count).fold(self.buf.len(), |p, _| read_backward(&self.buf, p).0)
        }
    }

    fn data_at(&self, pos: usize) -> &[u8] {
        let (start, len, _) = read_forward(&self.buf, pos);
        &self.buf[start..start + len]
    }

    /// Grows the buffer by size class, not by doubling: most lists are short
    /// and a node's slack would cost more than its entries (see `packed`).
    fn insert(&mut self, i: usize, data: &[u8]) {
        let at = self.offset(i);
        put_entry(&mut self.buf, at..at, data);
        self.count += 1;
    }

    fn remove(&mut self, i: usize) -> Bytes {
        let at = self.offset(i);
        let (start, len, next) = read_forward(&self.buf, at);
        let v = Bytes::copy_from_slice(&self.buf[start..start + len]);
        self.buf.remove(at..next);
        self.count -= 1;
        v
    }

    fn replace(&mut self, i: usize, data: &[u8]) {
        let at = self.offset(i);
        let next = read_forward(&self.buf, at).2;
        put_entry(&mut self.buf, at..next, data);
    }

    /// Moves entries `i..` into a new node.
    fn split_off(&mut self, i: usize) -> Node {
        let back = Node { buf: self.buf.split_off(self.offset(i)), count: self.count - i };
        self.count = i;
        self.buf.shrink_to_fit();
        back
    }

    /// Removes up to `max` entries equal to `v`, the first ones or (`from_tail`) the last ones.
    fn remove_matching(&mut self, v: &[u8], max: usize, from_tail: bool) -> usize {
        let mut spans = Vec::new();
        let mut matches = |start: usize, data: usize, len: usize, end: usize| {
            if spans.len() < max && &self.buf[data..data + len] == v {
                spans.push((start, end));
            }
        };
        if from_tail {
            let mut end = self.buf.len();
            while end > 0 {
                let (start, data, len) = read_backward(&self.buf, end);
                matches(start, data, len, end);
                end = start;
            }
            spans.reverse();
        } else {
            let mut start = 0;
            while start < self.buf.len() {
                let (data, len, end) = read_forward(&self.buf, start);
                matches(start, data, len, end);
                start = end;
            }
        }
        if spans.is_empty() {
            return 0;
        }
        let removed: usize = spans.iter().map(|(s, e)| e - s).sum();
        let mut buf = Vec::with_capacity(self.buf.len() - removed);
        let mut kept_from = 0;
        for &(s, e) in &spans {
            buf.extend_from_slice(&self.buf[kept_from..s]);
            kept_from = e;
        }
        buf.extend_from_slice(&self.buf[kept_from..]);
        self.buf = NodeBuf::from_vec(buf);
        self.count -= spans.len();
        spans.len()
    }
}

impl List {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The name OBJECT ENCODING replies with: Redis 7.0 keeps every list as a quicklist.
    pub fn encoding(&self) -> &'static str {
        "quicklist"
    }

    pub fn push_front(&mut self, v: &[u8]) {
        match self.nodes.front_mut() {
            Some(n) if within_limit(n.buf.len() + entry_size(v.len()), n.count + 1) => n.insert(0, v),
            front => {
                // The old end node is full now: give back what its buffer grew beyond.
                if let Some(n) = front {
                    n.buf.shrink_to_fit();
                }
                self.nodes.push_front(Node::with(v));
            }
        }
        self.len += 1;
    }

    pub fn push_back(&mut self, v: &[u8]) {
        match self.nodes.back_mut() {
            Some(n) if within_limit(n.buf.len() + entry_size(v.len()), n.count + 1) => n.insert(n.count, v),
            back => {
                if let Some(n) = back {
                    n.buf.shrink_to_fit();
                }
                self.nodes.push_back(Node::with(v));
            }
        }
        self.len += 1;
    }

    pub fn pop_front(&mut self) -> Option<Bytes> {
        let n = self.nodes.front_mut()?;
        let v = n.remove(0);
        if n.count == 0 {
            self.nodes.pop_front();
        }
        self.len -= 1;
        Some(v)
    }

    pub fn pop_back(&mut self) -> Option<Bytes> {
        let n = self.nodes.back_mut()?;
        let v = n.remove(n.count - 1);
        if n.count == 0 {
            self.nodes.pop_back();
        }
        self.len -= 1;
        Some(v)
    }

    /// Removes and returns up to `n` elements from the front, first one first.
    pub fn pop_front_n(&mut self, n: usize) -> Vec<Bytes> {
        let out: Vec<Bytes> = self.iter().take(n).map(Bytes::copy_from_slice).collect();
        self.drop_front(out.len());
        out
    }

    /// Removes and returns up to `n` elements from the back, last one first.
    pub fn pop_back_n(&mut self, n: usize) -> Vec<Bytes> {
        let out: Vec<Bytes> = self.iter_rev().take(n).map(Bytes::copy_from_slice).collect();
        self.drop_back(out.len());
        out
    }

    /// The node holding index `i` (< len) and its index there, found by
    /// skipping whole nodes from the nearer end of the list.
    fn locate(&self, i: usize) -> (usize, usize) {
        debug_assert!(i < self.len);
        if i < self.len / 2 {
            let mut i = i;
            for (ni, n) in self.nodes.iter().enumerate() {
                if i < n.count {
                    return (ni, i);
                }
                i -= n.count;
            }
        } else {
            let mut from_end = self.len - i;
            for ni in (0..self.nodes.len()).rev() {
                let n = &self.nodes[ni];
                if from_end <= n.count {
                    return (ni, n.count - from_end);
                }
                from_end -= n.count;
            }
        }
        unreachable!("node counts add up to the list's length")
    }

    pub fn get(&self, i: usize) -> Option<&[u8]> {
        if i >= self.len {
            return None;
        }
        let (ni, i) = self.locate(i);
        let n = &self.nodes[ni];
        Some(n.data_at(n.offset(i)))
    }

    /// Replaces the element at `i` (< len).
    pub fn set(&mut self, i: usize, v: &[u8]) {
        let (ni, i) = self.locate(i);
        self.nodes[ni].replace(i, v);
        self.split_if_over(ni);
    }

    /// Inserts `v` so that it ends up at index `i` (<= len).
    pub fn insert(&mut self, i: usize, v: &[u8]) {
        if i == 0 {
            self.push_front(v);
        } else if i == self.len {
            self.push_back(v);
        } else {
            let (ni, i) = self.locate(i);
            self.nodes[ni].insert(i, v);
            self.len += 1;
            self.split_if_over(ni);
        }
    }

    /// Halves node `ni` until every piece is within the limit (or holds one entry).
    fn split_if_over(&mut self, ni: usize) {
        let n = &mut self.nodes[ni];
        if n.count > 1 && !within_limit(n.buf.len(), n.count) {
            let back = n.split_off(n.count / 2);
            self.nodes.insert(ni + 1, back);
            self.split_if_over(ni + 1);
            self.split_if_over(ni);
        }
    }

    /// Index of the first element equal to `v`.
    pub fn position(&self, v: &[u8]) -> Option<usize> {
        self.iter().position(|e| e == v)
    }

    /// Keeps only the elements at indices `start..end` (within the list).
    pub fn retain_range(&mut self, start: usize, end: usize) {
        self.drop_back(self.len - end);
        self.drop_front(start);
    }

    fn drop_front(&mut self, mut k: usize) {
        self.len -= k;
        while k > 0 {
            let n = self.nodes.front_mut().expect("k <= len");
            if n.count <= k {
                k -= n.count;
                self.nodes.pop_front();
            } else {
                let at = n.offset(k);
                n.buf.remove(0..at);
                n.count -= k;
                k = 0;
            }
        }
    }

    fn drop_back(&mut self, mut k: usize) {
        self.len -= k;
        while k > 0 {
            let n = self.nodes.back_mut().expect("k <= len");
            if n.count <= k {
                k -= n.count;
                self.nodes.pop_back();
            } else {
                n.buf.truncate(n.offset(n.count - k));
                n.count -= k;
                k = 0;
            }
        }
    }

    /// Removes up to `max` elements equal to `v`, the first ones or
    /// (`from_tail`) the last ones; returns how many went.
    pub fn remove_matching(&mut self, v: &[u8], max: usize, from_tail: bool) -> usize {
        let mut removed = 0;
        for k in 0..self.nodes.len() {
            if removed == max {
                break;
            }
            let ni = if from_tail { self.nodes.len() - 1 - k } else { k };
            removed += self.nodes[ni].remove_matching(v, max - removed, from_tail);
        }
        if removed > 0 {
            self.len -= removed;
            self.merge_nodes();
        }
        removed
    }

    /// Drops empty nodes and joins neighbours that fit in one node, so that
    /// removals in the middle do not leave a trail of small allocations.
    fn merge_nodes(&mut self) {
        let mut merged: Vec<Node> = Vec::with_capacity(self.nodes.len());
        for n in std::mem::take(&mut self.nodes).into_vec().into_iter().filter(|n| n.count > 0) {
            match merged.last_mut() {
                Some(last) if within_limit(last.buf.len() + n.buf.len(), last.count + n.count) => {
                    last.buf.extend_from_slice(&n.buf);
                    last.count += n.count;
                }
                _ => merged.push(n),
            }
        }
        for n in &mut merged {
            n.buf.shrink_to_fit();
        }
        self.nodes = Nodes::from_vec(merged);
    }

    /// The elements front to back.
    pub fn iter(&self) -> Iter<'_> {
        Iter { nodes: &self.nodes, node: 0, pos: 0 }
    }

    /// The elements from index `i` (<= len) to the back.
    pub fn iter_from(&self, i: usize) -> Iter<'_> {
        if i >= self.len {
            return Iter { nodes: &self.nodes, node: self.nodes.len(), pos: 0 };
        }
        let (ni, i) = self.locate(i);
        Iter { nodes: &self.nodes, node: ni, pos: self.nodes[ni].offset(i) }
    }

    /// The elements back to front.
    pub fn iter_rev(&self) -> RevIter<'_> {
        let end = self.nodes.len().checked_sub(1).map_or(0, |i| self.nodes[i].buf.len());
        RevIter { nodes: &self.nodes, node: self.nodes.len(), end }
    }
}

pub struct Iter<'a> {
    nodes: &'a Nodes,
    node: usize,
    /// Byte offset of the next entry in `nodes[node]`.
    pos: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        loop {
            let n = self.nodes.get(self.node)?;
            if self.pos < n.buf.len() {
                let (start, len, next) = read_forward(&n.buf, self.pos);
                self.pos = next;
                return Some(&n.buf[start..start + len]);
            }
            self.node += 1;
            self.pos = 0;
        }
    }
}

pub struct RevIter<'a> {
    nodes: &'a Nodes,
    /// One past the node being read.
    node: usize,
    /// Byte offset where the next entry (going backwards) ends in `nodes[node - 1]`.
    end: usize,
}

impl<'a> Iterator for RevIter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        loop {
            let n = &self.nodes[self.node.checked_sub(1)?];
            if self.end > 0 {
                let (start, data, len) = read_backward(&n.buf, self.end);
                self.end = start;
                return Some(&n.buf[data..data + len]);
            }
            self.node -= 1;
            self.end = self.node.checked_sub(1).map_or(0, |i| self.nodes[i].buf.len());
        }
    }
}

/// Lists are equal when their elements are, however they are split into nodes.
impl PartialEq for List {
    fn eq(&self, other: &List) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl fmt::Debug for List {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.debug_list().entries(self.iter().map(|e| String::from_utf8_lossy(e))).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(l: &List) -> Vec<Vec<u8>> {
        l.iter().map(|e| e.to_vec()).collect()
    }

    /// Node structure invariants: counts add up, no empty node, entries parse both ways.
    fn check(l: &List) {
        assert_eq!(l.nodes.iter().map(|n| n.count).sum::<usize>(), l.len);
        assert!(l.nodes.iter().all(|n| n.count > 0));
        let fwd = model(l);
        let mut back: Vec<Vec<u8>> = l.iter_rev().map(|e| e.to_vec()).collect();
        back.reverse();
        assert_eq!(fwd, back);
        assert_eq!(fwd.len(), l.len);
    }

    #[test]
    fn entry_encoding_round_trips() {
        for len in [0, 1, 127, 128, 300, 16383, 16384, 70000] {
            let data = vec![7u8; len];
            let mut buf = NodeBuf::from_vec(vec![1, 2, 3]);
            put_entry(&mut buf, 3..3, &data);
            assert_eq!(buf.len(), 3 + entry_size(len));
            let (data_at, n, end) = read_forward(&buf, 3);
            assert_eq!((n, end), (len, buf.len()));
            assert_eq!(&buf[data_at..data_at + n], &data[..]);
            let (start, data_at, n) = read_backward(&buf, buf.len());
            assert_eq!((start, n), (3, len));
            assert_eq!(&buf[data_at..data_at + n], &data[..]);
        }
    }

    #[test]
    fn a_small_list_has_no_slack() {
        let mut l = List::default();
        for i in 0..10 {
            l.push_back(format!("element:{i}").as_bytes());
        }
        l.push_front(b"x");
        l.set(3, b"a longer element than before");
        l.insert(5, b"y");
        check(&l);
        assert!(matches!(l.nodes, Nodes::One(_)));
        // No slack beyond what the allocator rounds the buffer up to anyway.
        assert_eq!(l.nodes[0].buf.capacity(), crate::alloc::size_class(l.nodes[0].buf.len()));
        // Into a deque of nodes and back to one node inline, from either end.
        for i in 0..300 {
            l.push_front(format!("f{i:0>50}").as_bytes());
            l.push_back(format!("b{i:0>50}").as_bytes());
        }
        assert!(l.nodes.len() > 2);
        check(&l);
        l.pop_front_n(300);
        l.pop_back_n(300);
        assert!(matches!(l.nodes, Nodes::One(_)));
        check(&l);
        assert_eq!(l.get(0), Some(&b"x"[..]));
        l.insert(1, &[b'z'; 9000]);
        assert!(l.nodes.len() > 1);
        assert_eq!(l.remove_matching(&[b'z'; 9000], 1, false), 1);
        assert!(matches!(l.nodes, Nodes::One(_)));
        check(&l);
    }

    #[test]
    fn pushes_at_the_head_use_room_kept_in_front() {
        let mut l = List::default();
        let mut moves = 0;
        let mut last = std::ptr::null();
        for i in 0..200 {
            l.push_front(format!("{i:0>30}").as_bytes());
            let p = l.nodes[0].buf.vec.as_ptr();
            moves += usize::from(p != last);
            last = p;
        }
        check(&l);
        let n = &l.nodes[0];
        assert!(matches!(l.nodes, Nodes::One(_)));
        // A handful of re-layouts for 6.4 KB pushed at the head, not one per push.
        assert!(moves < 30, "{moves} re-layouts");
        // The room is bounded by a quarter of the node (at most FRONT_ROOM_MAX) and one entry.
        assert!(n.buf.head <= FRONT_ROOM_MAX + 32, "{} bytes of room", n.buf.head);
        // Pops at the head leave their bytes as room; the entries stay in place.
        assert_eq!(l.pop_front().as_deref(), Some(format!("{:0>30}", 199).as_bytes()));
        assert_eq!(l.nodes[0].buf.vec.as_ptr(), last);
        // Once the node is full and a new head node starts, the old one gives its room back.
        while l.nodes.len() == 1 {
            l.push_front(&[b'x'; 40]);
        }
        check(&l);
        assert_eq!(l.nodes[1].buf.head, 0);
        assert_eq!(l.nodes[1].buf.capacity(), l.nodes[1].buf.len());
    }

    #[test]
    fn push_pop_both_ends() {
        let mut l = List::default();
        for i in 0..5000 {
            l.push_back(i.to_string().as_bytes());
            l.push_front(format!("-{i}").as_bytes());
        }
        check(&l);
        assert!(l.nodes.len() > 1);
        assert_eq!(l.len(), 10000);
        assert_eq!(l.get(0), Some(&b"-4999"[..]));
        assert_eq!(l.get(9999), Some(&b"4999"[..]));
        assert_eq!(l.get(5000), Some(&b"0"[..]));
        assert_eq!(l.get(10000), None);
        assert_eq!(l.pop_front().as_deref(), Some(&b"-4999"[..]));
        assert_eq!(l.pop_back().as_deref(), Some(&b"4999"[..]));
        let front = l.pop_front_n(3);
        assert_eq!(front, vec![Bytes::from("-4998"), Bytes::from("-4997"), Bytes::from("-4996")]);
        let back = l.pop_back_n(2);
        assert_eq!(back, vec![Bytes::from("4998"), Bytes::from("4997")]);
        check(&l);
        let all = l.pop_back_n(usize::MAX);
        assert_eq!(all.len(), 9993);
        assert!(l.is_empty() && l.nodes.len() == 0);
        assert_eq!(l.pop_front(), None);
    }

    #[test]
    fn empty_and_binary_elements() {
        let mut l = List::default();
        l.push_back(b"");
        l.push_back(b"\x00\xff\r\n");
        l.push_front(&[0x80; 200]);
        assert_eq!(model(&l), vec![vec![0x80; 200], vec![], b"\x00\xff\r\n".to_vec()]);
        check(&l);
    }

    #[test]
    fn large_elements_get_nodes_of_their_own() {
        let mut l = List::default();
        l.push_back(&[1; 20000]);
        l.push_back(&[2; 20000]);
        l.push_back(b"x");
        assert_eq!(l.nodes.len(), 3);
        l.insert(1, &[3; 20000]);
        l.set(0, b"small");
        check(&l);
        assert_eq!(l.get(1), Some(&[3u8; 20000][..]));
        assert_eq!(l.get(0), Some(&b"small"[..]));
    }

    #[test]
    fn middle_edits_split_and_merge_nodes() {
        let mut l = List::default();
        for i in 0..3000 {
            l.push_back(format!("{:0100}", i).as_bytes());
        }
        let nodes = l.nodes.len();
        for _ in 0..2000 {
            l.insert(1500, b"pivot");
        }
        check(&l);
        assert!(l.nodes.len() > nodes);
        assert!(l.nodes.iter().all(|n| n.count == 1 || within_limit(n.buf.len(), n.count)));
        assert_eq!(l.remove_matching(b"pivot", 10, true), 10);
        assert_eq!(l.remove_matching(b"pivot", usize::MAX, false), 1990);
        check(&l);
        assert_eq!(l.get(1500), Some(format!("{:0100}", 1500).as_bytes()));
        l.retain_range(1000, 2500);
        check(&l);
        assert_eq!(l.len(), 1500);
        assert_eq!(l.get(0).map(|e| e.to_vec()), Some(format!("{:0100}", 1000).into_bytes()));
        assert_eq!(l.iter_from(1499).next().map(|e| e.to_vec()), Some(format!("{:0100}", 2499).into_bytes()));
        assert_eq!(l.iter_from(1500).next(), None);
    }

    /// Random operations against a plain VecDeque model.
    #[test]
    fn random_ops_match_a_model() {
        let mut seed = 0x2545f4914f6cdd1du64;
        let mut rnd = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n.max(1) as u64) as usize
        };
        let mut l = List::default();
        let mut m: VecDeque<Vec<u8>> = VecDeque::new();
        for step in 0..20000 {
            let len = [0, 1, 3, 10, 100, 1500][rnd(6)];
            let v = vec![b'a' + rnd(3) as u8; len];
            match rnd(10) {
                0 | 1 => {
                    l.push_front(&v);
                    m.push_front(v);
                }
                2 | 3 => {
                    l.push_back(&v);
                    m.push_back(v);
                }
                4 => assert_eq!(l.pop_front().map(|b| b.to_vec()), m.pop_front()),
                5 => assert_eq!(l.pop_back().map(|b| b.to_vec()), m.pop_back()),
                6 => {
                    let i = rnd(m.len() + 1);
                    l.insert(i, &v);
                    m.insert(i, v);
                }
                7 if !m.is_empty() => {
                    let i = rnd(m.len());
                    l.set(i, &v);
                    m[i] = v;
                }
                8 => {
                    let (max, tail) = (rnd(3), rnd(2) == 1);
                    let max = if max == 0 { usize::MAX } else { max };
                    let mut idx: Vec<usize> = (0..m.len()).filter(|&i| m[i] == v).collect();
                    if tail {
                        idx.reverse();
                    }
                    idx.truncate(max);
                    idx.sort_unstable();
                    for &i in idx.iter().rev() {
                        m.remove(i);
                    }
                    assert_eq!(l.remove_matching(&v, max, tail), idx.len());
                }
                9 if step % 50 == 0 && !m.is_empty() => {
                    let s = rnd(m.len());
                    let e = s + rnd(m.len() - s + 1);
                    l.retain_range(s, e);
                    m = m.drain(s..e).collect();
                }
                _ => {}
            }
            if !m.is_empty() {
                let i = rnd(m.len());
                assert_eq!(l.get(i), Some(&m[i][..]));
            }
            if step % 500 == 0 {
                check(&l);
                assert_eq!(model(&l), Vec::from(m.clone()));
            }
        }
        check(&l);
        assert_eq!(model(&l), Vec::from(m));
    }

    #[test]
    fn equality_ignores_node_layout() {
        let mut a = List::default();
        let mut b = List::default();
        for i in 0..2000 {
            a.push_back(i.to_string().as_bytes());
            b.push_back(i.to_string().as_bytes());
        }
        b.insert(1000, b"x");
        b.remove_matching(b"x", 1, false);
        assert_eq!(a, b);
        b.set(5, b"y");
        assert_ne!(a, b);
    }
}
