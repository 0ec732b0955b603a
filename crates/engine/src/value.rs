//! Values stored under keys.

use bytes::Bytes;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A string. `raw` marks one modified in place (APPEND, SETRANGE), which
    /// Redis always reports as `raw` whatever its length.
    Str { data: Bytes, raw: bool },
}

impl Value {
    pub fn string(data: Bytes) -> Value {
        Value::Str { data, raw: false }
    }

    /// The name TYPE replies with.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str { .. } => "string",
        }
    }

    /// The name OBJECT ENCODING replies with, by Redis's rules.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Str { data, raw } => {
                if data.len() <= 20 && resp::parse_i64(data).is_some() {
                    "int"
                } else if *raw || data.len() > 44 {
                    "raw"
                } else {
                    "embstr"
                }
            }
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
        Entry {
            value,
            expire_at: 0,
        }
    }

    pub fn expire_at(&self) -> u64 {
        self.expire_at
    }

    pub fn is_expired(&self, now: u64) -> bool {
        self.expire_at != 0 && self.expire_at <= now
    }
}
