//! Values stored under keys.

use bytes::Bytes;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str { data: Bytes, enc: StrEncoding },
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
        }
    }

    /// Redis keeps one shared, immortal object per integer 0..=9999 (OBJECT REFCOUNT shows it).
    pub fn is_shared_integer(&self) -> bool {
        match self {
            Value::Str { data, enc } => *enc == StrEncoding::Auto && matches!(resp::parse_i64(data), Some(0..=9999)),
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
        }
    }
}

/// A key's value and its absolute expiry time in Unix milliseconds (0: none).
#[derive(Debug, Clone)]
pub struct Entry {
    pub value: Value,
    pub(crate) expire_at: u64,
}

impl Entry {
    pub fn new(value: Value) -> Entry {
        Entry { value, expire_at: 0 }
    }

    pub fn expire_at(&self) -> u64 {
        self.expire_at
    }

    pub fn is_expired(&self, now: u64) -> bool {
        self.expire_at != 0 && self.expire_at <= now
    }
}
