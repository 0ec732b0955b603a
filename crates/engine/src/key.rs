//! Keys as the key table stores them: short ones inline.
//!
//! A `Bytes` key costs 32 bytes in the table plus a separate allocation that
//! every lookup must visit to compare it: a cache miss per command on a large
//! keyspace. `CompactKey` takes 24 bytes and holds keys of up to 23 bytes
//! (most keys: `key:000000012345`, `memtier-1234567`) inside the table's
//! bucket, so the comparison reads memory the probe already loaded; longer
//! keys go to one boxed slice. 24 rather than 32 bytes makes a key-table
//! entry (key and `Entry`) 72 bytes: a full segment's 896 fill jemalloc's
//! 64 KiB size class.

use bytes::Bytes;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

const INLINE: usize = 23;

/// An inline key's length. An enum rather than a `u8` so its 232 unused
/// values are a niche: the `Heap` variant is told apart by them, with no tag
/// byte of its own, which leaves 23 of the 24 bytes for the key.
#[rustfmt::skip]
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Len {
    L0, L1, L2, L3, L4, L5, L6, L7, L8, L9, L10, L11,
    L12, L13, L14, L15, L16, L17, L18, L19, L20, L21, L22, L23,
}

#[rustfmt::skip]
const LENS: [Len; INLINE + 1] = {
    use Len::*;
    [L0, L1, L2, L3, L4, L5, L6, L7, L8, L9, L10, L11,
     L12, L13, L14, L15, L16, L17, L18, L19, L20, L21, L22, L23]
};

#[derive(Clone, PartialEq, Eq)]
pub struct CompactKey(Repr);

#[derive(Clone, PartialEq, Eq)]
enum Repr {
    Inline { len: Len, data: [u8; INLINE] },
    Heap(Box<[u8]>),
}

impl CompactKey {
    pub fn new(key: &[u8]) -> CompactKey {
        if key.len() <= INLINE {
            let mut data = [0u8; INLINE];
            data[..key.len()].copy_from_slice(key);
            CompactKey(Repr::Inline { len: LENS[key.len()], data })
        } else {
            CompactKey(Repr::Heap(key.into()))
        }
    }

    /// A copy as `Bytes`, for replies.
    pub fn to_bytes(&self) -> Bytes {
        Bytes::copy_from_slice(self)
    }
}

impl Deref for CompactKey {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline { len, data } => &data[..*len as usize],
            Repr::Heap(b) => b,
        }
    }
}

impl AsRef<[u8]> for CompactKey {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

// Hash and order by the key's bytes, as `[u8]` and `Bytes` do.
impl Hash for CompactKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (**self).hash(state)
    }
}

impl Ord for CompactKey {
    fn cmp(&self, other: &Self) -> Ordering {
        (**self).cmp(&**other)
    }
}

impl PartialOrd for CompactKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Debug for CompactKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self))
    }
}

/// What the key table needs of a key type: its bytes.
pub trait TableKey: AsRef<[u8]> {}
impl TableKey for Bytes {}
impl TableKey for CompactKey {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_up_to_23_bytes_in_24() {
        assert_eq!(std::mem::size_of::<CompactKey>(), 24);
        let short = CompactKey::new(b"key:000000012345");
        assert!(matches!(short.0, Repr::Inline { .. }));
        assert_eq!(&short[..], b"key:000000012345");
        for n in 0..=40 {
            let k = CompactKey::new(&vec![b'x'; n]);
            assert_eq!(matches!(k.0, Repr::Inline { .. }), n <= INLINE);
            assert_eq!(k.len(), n);
        }
        assert_eq!(CompactKey::new(b"").to_bytes(), Bytes::new());
        // Byte order across representations, as for `[u8]`.
        let long = CompactKey::new(&[b'b'; 30]);
        assert!(CompactKey::new(b"a") < long && long < CompactKey::new(b"c"));
        assert!(CompactKey::new(b"ab") > CompactKey::new(b"a"));
    }
}
