//! The hash value type, in Redis's two encodings: while small, one packed
//! buffer of field/value pairs in insertion order (Redis's "listpack"); once
//! it outgrows `hash-max-listpack-entries` or holds a string longer than
//! `hash-max-listpack-value`, a hash table ("hashtable"), for good.

use super::packed::{self, read_varint, Varint};
use super::set::{Dense, Keyed};
use super::thin::ThinBytes;
use crate::limits::{hash_max_listpack_entries, hash_max_listpack_value};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Hash(Repr);

#[derive(Debug, Clone, PartialEq)]
enum Repr {
    /// Field, value, field, value, ... each a LEB128 length then its bytes.
    /// Lookups scan it, as Redis scans a listpack; `len` counts pairs. Grown
    /// exactly (no capacity slack: most hashes are small and never change).
    Packed { buf: Vec<u8>, len: usize },
    /// Boxed so a small hash pays nothing for the table's bookkeeping.
    Table(Box<Table>),
}

impl Default for Repr {
    fn default() -> Self {
        Repr::Packed { buf: Vec::new(), len: 0 }
    }
}

/// A field and its value together fit inline up to this many bytes.
const PAIR_INLINE: usize = 29;
/// A longer pair keeps its field inline up to this many bytes.
const FIELD_INLINE: usize = 21;

/// A table entry: 32 bytes in the slot. Field and value sit inline when they
/// are short together (as fields and values mostly are); else the field
/// stays inline beside a heap value while it is short, so finding it and
/// replacing the value read no heap block (see `ThinBytes`); else one heap
/// buffer holds the field then the value.
#[derive(Clone)]
enum Pair {
    Inline { field_len: u8, len: u8, data: [u8; PAIR_INLINE] },
    Split { field_len: u8, field: [u8; FIELD_INLINE], value: ThinBytes },
    Heap { field_len: usize, data: Box<[u8]> },
}

impl Pair {
    fn new(field: &[u8], value: &[u8]) -> Pair {
        let len = field.len() + value.len();
        if len <= PAIR_INLINE {
            let mut data = [0u8; PAIR_INLINE];
            data[..field.len()].copy_from_slice(field);
            data[field.len()..len].copy_from_slice(value);
            Pair::Inline { field_len: field.len() as u8, len: len as u8, data }
        } else if field.len() <= FIELD_INLINE {
            let mut inline = [0u8; FIELD_INLINE];
            inline[..field.len()].copy_from_slice(field);
            Pair::Split { field_len: field.len() as u8, field: inline, value: ThinBytes::new(value) }
        } else {
            Pair::Heap { field_len: field.len(), data: [field, value].concat().into() }
        }
    }

    fn field(&self) -> &[u8] {
        match self {
            Pair::Inline { field_len, data, .. } => &data[..*field_len as usize],
            Pair::Split { field_len, field, .. } => &field[..*field_len as usize],
            Pair::Heap { field_len, data } => &data[..*field_len],
        }
    }

    fn value(&self) -> &[u8] {
        match self {
            Pair::Inline { field_len, len, data } => &data[*field_len as usize..*len as usize],
            Pair::Split { value, .. } => value.as_slice(),
            Pair::Heap { field_len, data } => &data[*field_len..],
        }
    }
}

impl Keyed for Pair {
    fn key(&self) -> &[u8] {
        self.field()
    }
}

/// The large encoding: the same table as a large set, so HSCAN gets its
/// cursor that stays valid while the table grows or shrinks.
#[derive(Clone, Default)]
struct Table(Dense<Pair>);

impl Table {
    fn get(&self, field: &[u8]) -> Option<&Pair> {
        self.0.find(field)
    }

    /// Inserts or replaces; true if the field is new.
    fn set(&mut self, field: &[u8], value: &[u8]) -> bool {
        if let Some(p) = self.0.find_mut(field) {
            *p = Pair::new(field, value);
            return false;
        }
        self.0.insert(Pair::new(field, value));
        true
    }

    fn remove(&mut self, field: &[u8]) -> bool {
        self.0.remove(field).is_some()
    }

    fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.0.iter().map(|p| (p.field(), p.value()))
    }
}

impl PartialEq for Table {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len() && self.iter().all(|(f, v)| other.get(f).map(Pair::value) == Some(v))
    }
}

impl fmt::Debug for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// Writes `s` over `range` of a packed buffer: its length as a varint, then `s`.
fn put_str(buf: &mut Vec<u8>, range: std::ops::Range<usize>, s: &[u8]) {
    packed::splice(buf, range, &[Varint::new(s.len() as u64).as_slice(), s]);
}

/// The string starting at `at` in a packed buffer, and where the next one starts.
fn read_str(buf: &[u8], at: usize) -> (&[u8], usize) {
    let (n, at) = read_varint(buf, at);
    let end = at + n as usize;
    (&buf[at..end], end)
}

/// The pairs of a packed buffer, in order.
struct PackedIter<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Iterator for PackedIter<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.at >= self.buf.len() {
            return None;
        }
        let (field, at) = read_str(self.buf, self.at);
        let (value, at) = read_str(self.buf, at);
        self.at = at;
        Some((field, value))
    }
}

/// Where a field's pair lies in a packed buffer: the pair starts at `start`,
/// its value (length prefix included) spans `value_at..end`.
struct Slot {
    start: usize,
    value_at: usize,
    end: usize,
}

fn find_packed(buf: &[u8], field: &[u8]) -> Option<Slot> {
    let mut start = 0;
    while start < buf.len() {
        let (f, value_at) = read_str(buf, start);
        let (_, end) = read_str(buf, value_at);
        if f == field {
            return Some(Slot { start, value_at, end });
        }
        start = end;
    }
    None
}

impl Hash {
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Packed { len, .. } => *len,
            Repr::Table(t) => t.0.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name OBJECT ENCODING replies with.
    pub fn encoding(&self) -> &'static str {
        match self.0 {
            Repr::Packed { .. } => "listpack",
            Repr::Table(_) => "hashtable",
        }
    }

    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match &self.0 {
            Repr::Packed { buf, .. } => find_packed(buf, field).map(|s| read_str(buf, s.value_at).0),
            Repr::Table(t) => t.get(field).map(Pair::value),
        }
    }

    /// Sets `field` to `value`; true if the field is new. Converts to the
    /// table first when either string is too long for the packed encoding,
    /// and after when the pairs outnumber it, as Redis's `hashTypeSet` does
    /// (also on an update, so a lowered threshold takes effect on any write).
    pub fn set(&mut self, field: &[u8], value: &[u8]) -> bool {
        let max_value = hash_max_listpack_value();
        if field.len() > max_value || value.len() > max_value {
            self.convert();
        }
        let added = match &mut self.0 {
            Repr::Packed { buf, len } => match find_packed(buf, field) {
                Some(slot) => {
                    put_str(buf, slot.value_at..slot.end, value);
                    packed::shrink_if_sparse(buf);
                    false
                }
                None => {
                    let (f, v) = (Varint::new(field.len() as u64), Varint::new(value.len() as u64));
                    packed::append(buf, &[f.as_slice(), field, v.as_slice(), value]);
                    *len += 1;
                    true
                }
            },
            Repr::Table(t) => t.set(field, value),
        };
        if self.len() > hash_max_listpack_entries() {
            self.convert();
        }
        added
    }

    /// Removes `field`; true if it was there.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match &mut self.0 {
            Repr::Packed { buf, len } => match find_packed(buf, field) {
                Some(slot) => {
                    packed::cut(buf, slot.start..slot.end);
                    *len -= 1;
                    true
                }
                None => false,
            },
            Repr::Table(t) => t.remove(field),
        }
    }

    /// Every pair: in insertion order while packed, in table order after.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        let (packed, table) = match &self.0 {
            Repr::Packed { buf, .. } => (Some(PackedIter { buf, at: 0 }), None),
            Repr::Table(t) => (None, Some(t.iter())),
        };
        packed.into_iter().flatten().chain(table.into_iter().flatten())
    }

    /// The `n`-th pair in `iter` order (`n < len`), for random picks.
    pub fn nth(&self, n: usize) -> Option<(&[u8], &[u8])> {
        match &self.0 {
            Repr::Packed { buf, .. } => PackedIter { buf, at: 0 }.nth(n),
            Repr::Table(t) => (n < t.0.len()).then(|| t.0.get(n)).map(|p| (p.field(), p.value())),
        }
    }

    /// Whether picking a pair by position is cheap (`nth` does not walk the whole hash).
    pub fn has_fast_nth(&self) -> bool {
        matches!(self.0, Repr::Table(_))
    }

    /// One HSCAN step from `cursor`: visits at least `count` pairs (all of
    /// them while packed, as Redis does) and returns the cursor to resume
    /// at, 0 when done. A table cursor is a position in hash order, so a
    /// field present for the whole scan is visited exactly once however
    /// the table changes in between.
    pub fn scan(&self, cursor: u64, count: usize, mut visit: impl FnMut(&[u8], &[u8])) -> u64 {
        match &self.0 {
            Repr::Packed { buf, .. } => {
                PackedIter { buf, at: 0 }.for_each(|(f, v)| visit(f, v));
                0
            }
            Repr::Table(t) => t.0.scan(cursor, count, |p| visit(p.field(), p.value())),
        }
    }

    fn convert(&mut self) {
        if let Repr::Packed { buf, .. } = &self.0 {
            let mut t = Table::default();
            for (f, v) in (PackedIter { buf, at: 0 }) {
                t.set(f, v);
            }
            self.0 = Repr::Table(Box::new(t));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(h: &Hash) -> Vec<(Vec<u8>, Vec<u8>)> {
        h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect()
    }

    #[test]
    fn packed_keeps_insertion_order() {
        let mut h = Hash::default();
        assert!(h.set(b"b", b"1"));
        assert!(h.set(b"a", b"2"));
        assert!(h.set(b"c", b""));
        assert!(!h.set(b"a", b"a longer value than before"));
        assert_eq!(h.get(b"a"), Some(&b"a longer value than before"[..]));
        assert_eq!(h.get(b"c"), Some(&b""[..]));
        assert_eq!(h.get(b"zz"), None);
        assert_eq!(h.len(), 3);
        assert_eq!(h.encoding(), "listpack");
        assert!(h.remove(b"b"));
        assert!(!h.remove(b"b"));
        assert!(!h.set(b"a", b"x"));
        let want: Vec<(Vec<u8>, Vec<u8>)> = vec![(b"a".to_vec(), b"x".to_vec()), (b"c".to_vec(), vec![])];
        assert_eq!(pairs(&h), want);
        assert_eq!(h.nth(1), Some((&b"c"[..], &b""[..])));
        assert!(h.remove(b"a") && h.remove(b"c"));
        assert!(h.is_empty());
    }

    #[test]
    fn pair_is_32_bytes_and_splits_where_it_should() {
        assert_eq!(std::mem::size_of::<Pair>(), 32);
        let (f20, f21, f22) = (&[b'f'; 20][..], &[b'f'; 21][..], &[b'f'; 22][..]);
        let long = [b'v'; 300];
        let cases =
            [(&b""[..], &b""[..]), (b"field:1", b"value:1"), (f20, &[b'v'; 9]), (f20, &[b'v'; 10]), (f21, &long)];
        for (f, v) in cases.into_iter().chain([(f22, &[][..]), (f22, &long)]) {
            let p = Pair::new(f, v);
            assert_eq!((p.field(), p.value()), (f, v));
            let copy = p.clone();
            drop(p);
            assert_eq!((copy.field(), copy.value()), (f, v));
        }
        assert!(matches!(Pair::new(f20, &[b'v'; 9]), Pair::Inline { .. }));
        assert!(matches!(Pair::new(f20, &[b'v'; 10]), Pair::Split { .. }));
        assert!(matches!(Pair::new(f21, &[b'v'; 9]), Pair::Split { .. }));
        assert!(matches!(Pair::new(f22, &[b'v'; 8]), Pair::Heap { .. }));
    }

    #[test]
    fn small_hash_is_compact() {
        assert!(std::mem::size_of::<Hash>() <= 32, "{}", std::mem::size_of::<Hash>());
    }

    #[test]
    fn long_lengths_round_trip() {
        // A length prefix of more than one byte (also longer than the value threshold).
        let mut buf = Vec::new();
        let long = vec![7u8; 300];
        put_str(&mut buf, 0..0, &long);
        put_str(&mut buf, 302..302, b"x");
        let (s, next) = read_str(&buf, 0);
        assert_eq!((s, next), (&long[..], 302));
        assert_eq!(read_str(&buf, next), (&b"x"[..], buf.len()));
        // Replacing a value with a shorter and a longer one keeps what follows.
        put_str(&mut buf, 0..302, b"ab");
        assert_eq!((read_str(&buf, 0), read_str(&buf, 3)), ((&b"ab"[..], 3), (&b"x"[..], 5)));
        put_str(&mut buf, 0..3, &long);
        assert_eq!(read_str(&buf, 302), (&b"x"[..], buf.len()));
    }

    #[test]
    fn converts_on_long_string_and_on_count() {
        let mut h = Hash::default();
        h.set(b"f", b"v");
        h.set(b"g", &[b'x'; 65]);
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(h.get(b"f"), Some(&b"v"[..]));
        assert_eq!(h.len(), 2);

        let mut h = Hash::default();
        h.set(&[b'k'; 64], &[b'v'; 64]);
        for i in 0..511 {
            h.set(format!("f{i}").as_bytes(), b"v");
        }
        assert_eq!((h.len(), h.encoding()), (512, "listpack"));
        h.set(b"one more", b"v");
        assert_eq!((h.len(), h.encoding()), (513, "hashtable"));
        // One way: emptying it does not convert back.
        for i in 0..511 {
            assert!(h.remove(format!("f{i}").as_bytes()));
        }
        assert_eq!((h.len(), h.encoding()), (2, "hashtable"));
        let copy = h.clone();
        assert_eq!(copy, h);
        h.set(b"one more", b"changed");
        assert_ne!(copy, h);
    }

    #[test]
    fn scan_covers_everything_once() {
        let mut h = Hash::default();
        for i in 0..2000 {
            h.set(format!("f{i}").as_bytes(), b"v");
        }
        let mut seen = std::collections::HashSet::new();
        let mut cursor = 0;
        loop {
            cursor = h.scan(cursor, 10, |f, _| assert!(seen.insert(f.to_vec())));
            if cursor == 0 {
                break;
            }
        }
        assert_eq!(seen.len(), 2000);

        let mut small = Hash::default();
        small.set(b"a", b"1");
        small.set(b"b", b"2");
        let mut got = Vec::new();
        assert_eq!(small.scan(12345, 1, |f, _| got.push(f.to_vec())), 0);
        assert_eq!(got, vec![b"a".to_vec(), b"b".to_vec()]);
    }
}
