//! The byte buffers behind the packed (listpack-like) encodings of lists,
//! hashes and sorted sets: LEB128 lengths and in-place edits.
//!
//! An edit writes its entry straight into the buffer, with no temporary
//! `Vec` per entry, and grows the buffer to the end of the allocator's size
//! class rather than to the byte (see `crate::alloc`): the same memory, but
//! LPUSH on a growing list node no longer calls `realloc` per element.

use crate::alloc::size_class;
use std::ops::Range;

/// A LEB128 varint, written to the stack.
pub struct Varint {
    bytes: [u8; 10],
    len: u8,
}

impl Varint {
    pub fn new(mut n: u64) -> Varint {
        let mut v = Varint { bytes: [0; 10], len: 0 };
        loop {
            let low = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                v.bytes[v.len as usize] = low;
                v.len += 1;
                return v;
            }
            v.bytes[v.len as usize] = low | 0x80;
            v.len += 1;
        }
    }

    pub fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }
}

/// The varint starting at `at`: (its value, where the next byte starts).
pub fn read_varint(buf: &[u8], mut at: usize) -> (u64, usize) {
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

/// Replaces `range` of `buf` with the concatenation of `parts`.
pub fn splice(buf: &mut Vec<u8>, range: Range<usize>, parts: &[&[u8]]) {
    let new: usize = parts.iter().map(|p| p.len()).sum();
    let (at, end, len) = (range.start, range.end, buf.len());
    let old = end - at;
    if new > old {
        reserve(buf, new - old);
        buf.resize(len + new - old, 0);
        buf.copy_within(end..len, at + new);
    } else if new < old {
        buf.copy_within(end..len, at + new);
        buf.truncate(len - (old - new));
    }
    put(buf, at, parts);
}

/// Writes the concatenation of `parts` over `buf` from `at`.
pub fn put(buf: &mut [u8], mut at: usize, parts: &[&[u8]]) {
    for p in parts {
        buf[at..at + p.len()].copy_from_slice(p);
        at += p.len();
    }
}

/// Appends the concatenation of `parts`.
pub fn append(buf: &mut Vec<u8>, parts: &[&[u8]]) {
    let len = buf.len();
    splice(buf, len..len, parts);
}

/// Removes `range`, giving memory back once most of the buffer is unused.
pub fn cut(buf: &mut Vec<u8>, range: Range<usize>) {
    buf.drain(range);
    shrink_if_sparse(buf);
}

/// Gives a buffer's memory back once most of it is unused.
pub fn shrink_if_sparse(buf: &mut Vec<u8>) {
    if buf.capacity() > 2 * buf.len() {
        buf.shrink_to_fit();
    }
}

/// Makes room for `additional` more bytes, up to the end of the size class
/// that holds them.
fn reserve(buf: &mut Vec<u8>, additional: usize) {
    let need = buf.len() + additional;
    if need > buf.capacity() {
        buf.reserve_exact(size_class(need) - buf.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splice_grows_shrinks_and_keeps_the_rest() {
        let mut buf = b"hello world".to_vec();
        splice(&mut buf, 5..6, &[b", ", b"big "]);
        assert_eq!(buf, b"hello, big world");
        splice(&mut buf, 0..7, &[b"a"]);
        assert_eq!(buf, b"abig world");
        splice(&mut buf, 1..4, &[b"new"]);
        assert_eq!(buf, b"anew world");
        append(&mut buf, &[b"!"]);
        assert_eq!(buf, b"anew world!");
        assert_eq!(buf.capacity(), 16, "grown to the size class, not the byte");
    }

    #[test]
    fn varints_round_trip() {
        for n in [0, 1, 127, 128, 300, 1 << 35, u64::MAX] {
            let v = Varint::new(n);
            assert_eq!(read_varint(v.as_slice(), 0), (n, v.as_slice().len()));
        }
        assert_eq!(Varint::new(300).as_slice(), [0xac, 0x02]);
    }
}
