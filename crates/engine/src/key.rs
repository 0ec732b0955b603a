//! Keys as the key table stores them: short ones inline.
//!
//! A `Bytes` key costs 32 bytes in the table plus a separate allocation that
//! every lookup must visit to compare it: a cache miss per command on a large
//! keyspace. `CompactKey` is also 32 bytes but holds keys of up to 30 bytes
//! (most keys) inside the table's bucket, so the comparison reads memory the
//! probe already loaded; longer keys go to one boxed slice.

use bytes::Bytes;
use std::fmt;
use std::ops::Deref;

const INLINE: usize = 30;

#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CompactKey {
    Inline { len: u8, data: [u8; INLINE] },
    Heap(Box<[u8]>),
}

impl CompactKey {
    pub fn new(key: &[u8]) -> CompactKey {
        if key.len() <= INLINE {
            let mut data = [0u8; INLINE];
            data[..key.len()].copy_from_slice(key);
            CompactKey::Inline { len: key.len() as u8, data }
        } else {
            CompactKey::Heap(key.into())
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
        match self {
            CompactKey::Inline { len, data } => &data[..*len as usize],
            CompactKey::Heap(b) => b,
        }
    }
}

impl AsRef<[u8]> for CompactKey {
    fn as_ref(&self) -> &[u8] {
        self
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
    fn inline_up_to_30_bytes_and_same_size_as_bytes() {
        assert_eq!(std::mem::size_of::<CompactKey>(), 32);
        let short = CompactKey::new(b"key:000000012345");
        assert!(matches!(short, CompactKey::Inline { len: 16, .. }));
        assert_eq!(&short[..], b"key:000000012345");
        let edge = CompactKey::new(&[7u8; 30]);
        assert!(matches!(edge, CompactKey::Inline { .. }));
        let long = CompactKey::new(&[9u8; 31]);
        assert!(matches!(long, CompactKey::Heap(_)));
        assert_eq!(long.len(), 31);
        assert_eq!(CompactKey::new(b"").to_bytes(), Bytes::new());
        assert!(CompactKey::new(b"a") < CompactKey::new(b"b") || CompactKey::new(b"a") != CompactKey::new(b"b"));
    }
}
