//! Values stored under keys.

use crate::types::{Hash, List, Set, ZSet};
use bytes::Bytes;
use std::fmt;

/// A key's value. Lists and sets are boxed so an entry in the key table stays
/// as small as a string's; a hash and a sorted set fit in that room (their
/// large encodings are boxed inside), which saves small ones an allocation.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(Str),
    List(Box<List>),
    Hash(Hash),
    Set(Box<Set>),
    ZSet(ZSet),
}

/// How Redis would have encoded a string, which depends on how it was made.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StrEncoding {
    /// Stored by SET and friends: `int` when it reads as one, else by length.
    Auto,
    /// Changed in place (APPEND, SETRANGE): always `raw`.
    Raw,
    /// Made from a float (INCRBYFLOAT): never `int`.
    NotInt,
}

/// Strings up to this long are kept inside the key's table entry.
const STR_INLINE: usize = 37;

/// A string value. Short ones (most cache values: memtier_benchmark's
/// default is 32 bytes) live in the key's table entry itself, which saves
/// them an allocation (a 32-byte value costs 32 bytes less per key); longer
/// ones are a shared buffer, which GET replies with without a copy.
#[derive(Clone)]
pub enum Str {
    Inline { len: u8, enc: StrEncoding, data: [u8; STR_INLINE] },
    Heap { data: Bytes, enc: StrEncoding },
}

impl Str {
    /// A string holding `data`: copied inside if short, else kept as it is.
    pub fn new(data: Bytes, enc: StrEncoding) -> Str {
        if data.len() <= STR_INLINE {
            Str::copy(&data, enc)
        } else {
            Str::Heap { data, enc }
        }
    }

    /// A string holding a copy of `data`.
    pub fn copy(data: &[u8], enc: StrEncoding) -> Str {
        if data.len() <= STR_INLINE {
            let mut buf = [0u8; STR_INLINE];
            buf[..data.len()].copy_from_slice(data);
            Str::Inline { len: data.len() as u8, enc, data: buf }
        } else {
            Str::Heap { data: Bytes::copy_from_slice(data), enc }
        }
    }

    pub fn enc(&self) -> StrEncoding {
        match self {
            Str::Inline { enc, .. } | Str::Heap { enc, .. } => *enc,
        }
    }

    pub fn set_enc(&mut self, to: StrEncoding) {
        match self {
            Str::Inline { enc, .. } | Str::Heap { enc, .. } => *enc = to,
        }
    }

    /// The bytes as `Bytes`: shared when on the heap, copied when inline.
    pub fn to_bytes(&self) -> Bytes {
        match self {
            Str::Inline { .. } => Bytes::copy_from_slice(self),
            Str::Heap { data, .. } => data.clone(),
        }
    }

    /// The bulk reply with these bytes: a copy when short, else the shared buffer.
    pub fn reply(&self) -> resp::Reply {
        match self {
            Str::Inline { .. } => resp::Reply::bulk_slice(self),
            Str::Heap { data, .. } => resp::Reply::bulk_copy(data),
        }
    }

    /// Edits the bytes as a `Vec`: no copy of a heap buffer nothing else shares.
    pub fn edit<R>(&mut self, f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
        let enc = self.enc();
        let mut v = match std::mem::replace(self, Str::copy(b"", enc)) {
            Str::Inline { len, data, .. } => data[..len as usize].to_vec(),
            Str::Heap { data, .. } => Vec::from(data),
        };
        let r = f(&mut v);
        *self = if v.len() <= STR_INLINE { Str::copy(&v, enc) } else { Str::Heap { data: Bytes::from(v), enc } };
        r
    }
}

impl std::ops::Deref for Str {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Str::Inline { len, data, .. } => &data[..*len as usize],
            Str::Heap { data, .. } => data,
        }
    }
}

impl PartialEq for Str {
    fn eq(&self, other: &Str) -> bool {
        **self == **other && self.enc() == other.enc()
    }
}

impl fmt::Debug for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} ({:?})", Bytes::copy_from_slice(self), self.enc())
    }
}

impl Value {
    pub fn string(data: Bytes) -> Value {
        Value::Str(Str::new(data, StrEncoding::Auto))
    }

    /// A string value holding a copy of `data`.
    pub fn string_copy(data: &[u8]) -> Value {
        Value::Str(Str::copy(data, StrEncoding::Auto))
    }

    /// A string value of `enc`, as the commands that make one in place set it.
    pub fn string_as(data: Bytes, enc: StrEncoding) -> Value {
        Value::Str(Str::new(data, enc))
    }

    /// The name TYPE replies with.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
        }
    }

    /// Redis keeps one shared, immortal object per integer 0..=9999 (OBJECT REFCOUNT shows it).
    pub fn is_shared_integer(&self) -> bool {
        match self {
            Value::Str(s) => s.enc() == StrEncoding::Auto && matches!(resp::parse_i64(s), Some(0..=9999)),
            _ => false,
        }
    }

    /// The name OBJECT ENCODING replies with, by Redis's rules.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Str(s) => match s.enc() {
                StrEncoding::Raw => "raw",
                StrEncoding::Auto if s.len() <= 20 && resp::parse_i64(s).is_some() => "int",
                _ if s.len() > 44 => "raw",
                _ => "embstr",
            },
            Value::List(l) => l.encoding(),
            Value::Hash(h) => h.encoding(),
            Value::Set(s) => s.encoding(),
            Value::ZSet(z) => z.encoding(),
        }
    }
}

/// A key's value and its absolute expiry time in Unix milliseconds (0: none).
#[derive(Debug, Clone)]
pub struct Entry {
    pub value: Value,
    /// The expiry time, and in the top bit (free: times are positive i64s)
    /// the snapshot epoch the entry was last serialised in or created in (see `Db`).
    meta: u64,
}

const EPOCH: u64 = 1 << 63;

impl Entry {
    pub fn new(value: Value) -> Entry {
        Entry { value, meta: 0 }
    }

    pub fn with_expire(value: Value, expire_at: u64) -> Entry {
        Entry { value, meta: expire_at & !EPOCH }
    }

    pub fn expire_at(&self) -> u64 {
        self.meta & !EPOCH
    }

    pub(crate) fn set_expire_at(&mut self, at: u64) {
        self.meta = (self.meta & EPOCH) | (at & !EPOCH);
    }

    pub(crate) fn epoch(&self) -> bool {
        self.meta & EPOCH != 0
    }

    pub(crate) fn set_epoch(&mut self, epoch: bool) {
        self.meta = if epoch { self.meta | EPOCH } else { self.meta & !EPOCH };
    }

    pub fn is_expired(&self, now: u64) -> bool {
        let at = self.expire_at();
        at != 0 && at <= now
    }
}

/// A collection type stored under a key: how to find it in a [`Value`] and
/// how to wrap it into one. `Ctx::read`/`write`/`write_or_create` use it to
/// give every family the same WRONGTYPE and create-on-write behaviour.
pub trait Collection: Default {
    fn of(v: &Value) -> Option<&Self>;
    fn of_mut(v: &mut Value) -> Option<&mut Self>;
    fn into_value(self) -> Value;
    fn is_empty(&self) -> bool;
}

macro_rules! collection {
    ($ty:ident, $variant:ident, $wrap:path) => {
        impl Collection for $ty {
            fn of(v: &Value) -> Option<&Self> {
                match v {
                    Value::$variant(c) => Some(c),
                    _ => None,
                }
            }
            fn of_mut(v: &mut Value) -> Option<&mut Self> {
                match v {
                    Value::$variant(c) => Some(c),
                    _ => None,
                }
            }
            fn into_value(self) -> Value {
                Value::$variant($wrap(self))
            }
            fn is_empty(&self) -> bool {
                $ty::is_empty(self)
            }
        }
    };
}
collection!(List, List, Box::new);
collection!(Hash, Hash, std::convert::identity);
collection!(Set, Set, Box::new);
collection!(ZSet, ZSet, std::convert::identity);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_strings_inline_long_ones_shared() {
        let short = Str::new(Bytes::from_static(&[b'x'; STR_INLINE]), StrEncoding::Auto);
        assert!(matches!(short, Str::Inline { .. }) && short.len() == STR_INLINE);
        let long = Bytes::from(vec![b'y'; STR_INLINE + 1]);
        let heap = Str::new(long.clone(), StrEncoding::Raw);
        assert!(matches!(&heap, Str::Heap { data, .. } if data.as_ptr() == long.as_ptr()), "not copied");
        // Edits move a string between the two as its length crosses the line, keeping its encoding.
        let mut s = short.clone();
        s.edit(|v| v.push(b'!'));
        assert!(matches!(s, Str::Heap { .. }) && s.len() == STR_INLINE + 1);
        s.edit(|v| v.truncate(2));
        assert!(matches!(s, Str::Inline { .. }) && &s[..] == b"xx" && s.enc() == StrEncoding::Auto);
        assert_ne!(Str::copy(b"1", StrEncoding::Auto), Str::copy(b"1", StrEncoding::Raw));
    }

    #[test]
    fn inline_collections_keep_an_entry_at_48_bytes() {
        assert_eq!(std::mem::size_of::<Str>(), 40);
        assert_eq!(std::mem::size_of::<Value>(), 40);
        assert_eq!(std::mem::size_of::<Entry>(), 48);
        // A key-table entry: a full segment's 896 of them fill jemalloc's 64 KiB class.
        assert_eq!(std::mem::size_of::<(crate::key::CompactKey, Entry)>(), 72);
    }
}
