//! The byte buffers behind the packed (listpack-like) encodings of lists,
//! hashes and sorted sets: LEB128 lengths and in-place edits.
//!
//! An edit writes its entry straight into the buffer, with no temporary
//! `Vec` per entry, and grows the buffer to the allocator's size class
//! rather than to the exact byte count. jemalloc (the server's allocator)
//! rounds every request up to a class anyway, four per doubling, so this
//! costs no memory, but the next few inserts find room without calling
//! `realloc`: LPUSH on a growing list node did one per element.

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
    let mut pos = at;
    for p in parts {
        buf[pos..pos + p.len()].copy_from_slice(p);
        pos += p.len();
    }
}

/// Appends the concatenation of `parts`.
pub fn append(buf: &mut Vec<u8>, parts: &[&[u8]]) {
    let len = buf.len();
    splice(buf, len..len, parts);
}

/// Makes room for `additional` more bytes, up to the end of the size class
/// that holds them.
fn reserve(buf: &mut Vec<u8>, additional: usize) {
    let need = buf.len() + additional;
    if need > buf.capacity() {
        buf.reserve_exact(size_class(need) - buf.len());
    }
}

/// The smallest of jemalloc's size classes that holds `n` bytes: multiples
/// 8, then multiples of 16 up to 128, then four classes per doubling.
pub fn size_class(n: usize) -> usize {
    let step = match n {
        0..=8 => 8,
        9..=128 => 16,
        _ => n.next_power_of_two() / 8,
    };
    n.div_ceil(step) * step
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_classes_are_jemallocs() {
        let classes: Vec<usize> = [1, 16, 17, 33, 65, 100, 128, 129, 160, 161, 257, 4097, 5000, 8193]
            .iter()
            .map(|&n| size_class(n))
            .collect();
        assert_eq!(classes, [8, 16, 32, 48, 80, 112, 128, 160, 160, 192, 320, 5120, 5120, 10240]);
    }

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
