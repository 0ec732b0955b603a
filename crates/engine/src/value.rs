//! Values stored under keys.

use crate::types::{Hash, List, Set, ZSet};
use bytes::Bytes;

/// A key's value. Lists and sets are boxed so an entry in the key table stays
/// as small as a string's; a hash and a sorted set fit in that room (their
/// large encodings are boxed inside), which saves small ones an allocation.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str { data: Bytes, enc: StrEncoding },
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

impl Value {
    pub fn string(data: Bytes) -> Value {
        Value::Str { data, enc: StrEncoding::Auto }
    }

    /// The name TYPE replies with.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str { .. } => "string",
            Value::List(_) => "list",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
        }
    }

    /// Redis keeps one shared, immortal object per integer 0..=9999 (OBJECT REFCOUNT shows it).
    pub fn is_shared_integer(&self) -> bool {
        match self {
            Value::Str { data, enc } => *enc == StrEncoding::Auto && matches!(resp::parse_i64(data), Some(0..=9999)),
            _ => false,
        }
    }

    /// The name OBJECT ENCODING replies with, by Redis's rules.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Str { data, enc } => match enc {
                StrEncoding::Raw => "raw",
                StrEncoding::Auto if data.len() <= 20 && resp::parse_i64(data).is_some() => "int",
                _ if data.len() > 44 => "raw",
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
    fn inline_collections_keep_an_entry_at_48_bytes() {
        assert_eq!(std::mem::size_of::<Value>(), 40);
        assert_eq!(std::mem::size_of::<Entry>(), 48);
        // A key table slot: 1024 of them and their control bytes fit jemalloc's 80 KiB class.
        assert_eq!(std::mem::size_of::<(crate::key::CompactKey, Entry)>(), 72);
    }
}
