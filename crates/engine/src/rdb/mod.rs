//! Redis's RDB format (version 10, as Redis 7.0 writes it): the object
//! encoding shared by DUMP/RESTORE and snapshot files, the DUMP payload, and
//! whole files, written incrementally and read entry by entry.
//!
//! Pure code over byte buffers. Reading accepts everything Redis 7.0 writes
//! (and the older ziplist/zipmap-free encodings it still loads); writing uses
//! the plain forms (string, list, set, zset_2, hash) that Redis loads into
//! whatever encoding its thresholds pick, as Tessera does when it reads: every
//! value is rebuilt through its type's normal insert API.

pub mod crc64;
pub mod lzf;
pub mod packed;

use crate::limits;
use crate::types::{Hash, List, Set, ZSet};
use crate::value::{StrEncoding, Value};
use bytes::Bytes;
use std::fmt;

pub use crc64::crc64;

/// The Redis version files say wrote them (the server's `REDIS_VERSION`).
const REDIS_VER: &str = "7.0.15";

/// The RDB version written, and the newest one read.
pub const VERSION: u16 = 10;

pub const TYPE_STRING: u8 = 0;
pub const TYPE_LIST: u8 = 1;
pub const TYPE_SET: u8 = 2;
pub const TYPE_ZSET: u8 = 3;
pub const TYPE_HASH: u8 = 4;
pub const TYPE_ZSET_2: u8 = 5;
pub const TYPE_HASH_ZIPMAP: u8 = 9;
pub const TYPE_LIST_ZIPLIST: u8 = 10;
pub const TYPE_SET_INTSET: u8 = 11;
pub const TYPE_ZSET_ZIPLIST: u8 = 12;
pub const TYPE_HASH_ZIPLIST: u8 = 13;
pub const TYPE_LIST_QUICKLIST: u8 = 14;
pub const TYPE_HASH_LISTPACK: u8 = 16;
pub const TYPE_ZSET_LISTPACK: u8 = 17;
pub const TYPE_LIST_QUICKLIST_2: u8 = 18;

const OP_FUNCTION_PRE_GA: u8 = 0xf5;
const OP_FUNCTION2: u8 = 0xf6;
const OP_MODULE_AUX: u8 = 0xf7;
const OP_IDLE: u8 = 0xf8;
const OP_FREQ: u8 = 0xf9;
const OP_AUX: u8 = 0xfa;
const OP_RESIZEDB: u8 = 0xfb;
const OP_EXPIRETIME_MS: u8 = 0xfc;
const OP_EXPIRETIME: u8 = 0xfd;
const OP_SELECTDB: u8 = 0xfe;
const OP_EOF: u8 = 0xff;

/// Quicklist node containers (RDB type 18).
const CONTAINER_PLAIN: u64 = 1;
const CONTAINER_PACKED: u64 = 2;

#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// The input ended in the middle of something.
    Truncated,
    /// Lengths or encodings that make no sense.
    Corrupt(String),
    /// A valid RDB feature Tessera does not implement (streams, modules, functions).
    Unsupported(String),
    /// A collection with no elements: Redis skips such keys when loading a file.
    EmptyKey,
    /// A file's or payload's checksum does not match its contents.
    Checksum,
    /// Not an RDB file, or one from a newer Redis.
    BadHeader(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Truncated => write!(f, "unexpected end of data"),
            Error::Corrupt(what) => write!(f, "corrupt data: {what}"),
            Error::Unsupported(what) => write!(f, "{what} not supported by Tessera"),
            Error::EmptyKey => write!(f, "empty collection"),
            Error::Checksum => write!(f, "wrong checksum"),
            Error::BadHeader(what) => write!(f, "{what}"),
        }
    }
}

impl std::error::Error for Error {}

fn corrupt(what: &str) -> Error {
    Error::Corrupt(what.to_string())
}

// ---- Writing ----

/// A length: 6 bits, 14 bits, or a marker byte and 32/64 bits big-endian.
pub fn write_len(out: &mut Vec<u8>, n: u64) {
    if n < 1 << 6 {
        out.push(n as u8);
    } else if n < 1 << 14 {
        out.extend([0x40 | (n >> 8) as u8, n as u8]);
    } else if n <= u32::MAX as u64 {
        out.push(0x80);
        out.extend((n as u32).to_be_bytes());
    } else {
        out.push(0x81);
        out.extend(n.to_be_bytes());
    }
}

/// A string, as an 8/16/32-bit integer when it is one in canonical form (as
/// Redis writes it), else length and bytes. Never LZF-compressed: Redis loads
/// uncompressed strings the same way.
pub fn write_string(out: &mut Vec<u8>, s: &[u8]) {
    if s.len() <= 11 {
        if let Some(v) = resp::parse_i64(s) {
            if let Ok(v) = i8::try_from(v) {
                out.extend([0xc0, v as u8]);
                return;
            } else if let Ok(v) = i16::try_from(v) {
                out.push(0xc1);
                out.extend(v.to_le_bytes());
                return;
            } else if let Ok(v) = i32::try_from(v) {
                out.push(0xc2);
                out.extend(v.to_le_bytes());
                return;
            }
        }
    }
    write_len(out, s.len() as u64);
    out.extend_from_slice(s);
}

/// The type byte `v` is written with.
fn type_of(v: &Value) -> u8 {
    match v {
        Value::Str(_) => TYPE_STRING,
        Value::List(_) => TYPE_LIST,
        Value::Set(_) => TYPE_SET,
        Value::ZSet(_) => TYPE_ZSET_2,
        Value::Hash(_) => TYPE_HASH,
    }
}

/// Writes `v`'s type byte and body; returns the type byte.
pub fn write_value(out: &mut Vec<u8>, v: &Value) -> u8 {
    let t = type_of(v);
    out.push(t);
    write_body(out, v);
    t
}

fn write_body(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Str(s) => write_string(out, s),
        Value::List(l) => {
            write_len(out, l.len() as u64);
            l.iter().for_each(|e| write_string(out, e));
        }
        Value::Set(s) => {
            write_len(out, s.len() as u64);
            s.iter().for_each(|e| e.with_bytes(|b| write_string(out, b)));
        }
        Value::ZSet(z) => {
            write_len(out, z.len() as u64);
            for (member, score) in z.iter() {
                write_string(out, member);
                out.extend(score.to_le_bytes());
            }
        }
        Value::Hash(h) => {
            write_len(out, h.len() as u64);
            for (field, value) in h.iter() {
                write_string(out, field);
                write_string(out, value);
            }
        }
    }
}

// ---- Reading ----

/// A cursor over a byte buffer; every read is bounds-checked.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

/// A length field, or the marker of a specially encoded string.
enum Len {
    Plain(u64),
    Encoded(u8),
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf, pos: 0 }
    }

    pub fn position(&self) -> usize {
        self.pos
    }

    pub fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len()).ok_or(Error::Truncated)?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    pub fn u8(&mut self) -> Result<u8, Error> {
        Ok(self.take(1)?[0])
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        Ok(self.take(N)?.try_into().expect("N bytes"))
    }

    fn len_or_enc(&mut self) -> Result<Len, Error> {
        let b = self.u8()?;
        Ok(match b >> 6 {
            0 => Len::Plain((b & 0x3f) as u64),
            1 => Len::Plain(((b as u64 & 0x3f) << 8) | self.u8()? as u64),
            3 => Len::Encoded(b & 0x3f),
            _ => match b {
                0x80 => Len::Plain(u32::from_be_bytes(self.array()?) as u64),
                0x81 => Len::Plain(u64::from_be_bytes(self.array()?)),
                _ => return Err(corrupt("length encoding")),
            },
        })
    }

    pub fn read_len(&mut self) -> Result<u64, Error> {
        match self.len_or_enc()? {
            Len::Plain(n) => Ok(n),
            Len::Encoded(_) => Err(corrupt("encoded string where a length was expected")),
        }
    }

    /// A length that counts something of at least one byte each still to come.
    fn count(&mut self) -> Result<usize, Error> {
        let n = self.read_len()?;
        if n > (self.buf.len() - self.pos) as u64 {
            return Err(Error::Truncated);
        }
        Ok(n as usize)
    }

    pub fn string(&mut self) -> Result<Bytes, Error> {
        match self.len_or_enc()? {
            Len::Plain(n) => Ok(Bytes::copy_from_slice(self.take(usize::try_from(n).map_err(|_| Error::Truncated)?)?)),
            Len::Encoded(0) => Ok(Bytes::from((self.u8()? as i8).to_string())),
            Len::Encoded(1) => Ok(Bytes::from(i16::from_le_bytes(self.array()?).to_string())),
            Len::Encoded(2) => Ok(Bytes::from(i32::from_le_bytes(self.array()?).to_string())),
            Len::Encoded(3) => {
                let clen = self.read_len()?;
                let len = self.read_len()?;
                if len > crate::args::MAX_STRING as u64 {
                    return Err(corrupt("string too long"));
                }
                let data = self.take(usize::try_from(clen).map_err(|_| Error::Truncated)?)?;
                lzf::decompress(data, len as usize).map(Bytes::from).ok_or_else(|| corrupt("LZF data"))
            }
            Len::Encoded(_) => Err(corrupt("string encoding")),
        }
    }

    /// A zset_2 score: a little-endian binary double.
    fn binary_double(&mut self) -> Result<f64, Error> {
        Ok(f64::from_le_bytes(self.array()?))
    }

    /// An old zset score: length-prefixed text, with 253/254/255 for nan/inf/-inf.
    fn text_double(&mut self) -> Result<f64, Error> {
        match self.u8()? {
            253 => Ok(f64::NAN),
            254 => Ok(f64::INFINITY),
            255 => Ok(f64::NEG_INFINITY),
            n => {
                let s = self.take(n as usize)?;
                std::str::from_utf8(s).ok().and_then(|s| s.parse().ok()).ok_or_else(|| corrupt("zset score"))
            }
        }
    }
}

fn score_of(text: &[u8]) -> Result<f64, Error> {
    std::str::from_utf8(text)
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|v| !v.is_nan())
        .ok_or_else(|| corrupt("zset score"))
}

/// Collections are built through their types' insert APIs, so Tessera's
/// encoding thresholds apply; a duplicate member is corrupt input, as in Redis.
fn list_of(items: impl IntoIterator<Item = Bytes>) -> Result<Value, Error> {
    let mut l = List::default();
    items.into_iter().for_each(|e| l.push_back(&e));
    non_empty(l.len(), Value::List(Box::new(l)))
}

fn set_of(items: impl IntoIterator<Item = Bytes>) -> Result<Value, Error> {
    let mut s = Set::default();
    let max = limits::set_max_intset_entries();
    for e in items {
        if !s.insert(&e, max) {
            return Err(corrupt("duplicate set member"));
        }
    }
    non_empty(s.len(), Value::Set(Box::new(s)))
}

fn hash_of(pairs: impl IntoIterator<Item = Result<(Bytes, Bytes), Error>>) -> Result<Value, Error> {
    let mut h = Hash::default();
    for pair in pairs {
        let (f, v) = pair?;
        if !h.set(&f, &v) {
            return Err(corrupt("duplicate hash field"));
        }
    }
    non_empty(h.len(), Value::Hash(h))
}

fn zset_of(pairs: impl IntoIterator<Item = Result<(Bytes, f64), Error>>) -> Result<Value, Error> {
    let mut items = Vec::new();
    let mut seen = hashbrown::HashSet::new();
    for pair in pairs {
        let (m, score) = pair?;
        if score.is_nan() {
            return Err(corrupt("zset NaN score"));
        }
        if !seen.insert(m.clone()) {
            return Err(corrupt("duplicate zset member"));
        }
        items.push((score, m));
    }
    non_empty(items.len(), Value::ZSet(ZSet::from_pairs(items)))
}

fn non_empty(len: usize, v: Value) -> Result<Value, Error> {
    if len == 0 {
        Err(Error::EmptyKey)
    } else {
        Ok(v)
    }
}

/// Pairs up a packed blob's alternating entries.
fn pairs(items: Vec<Bytes>) -> Result<Vec<(Bytes, Bytes)>, Error> {
    if !items.len().is_multiple_of(2) {
        return Err(corrupt("odd number of entries in a packed hash or zset"));
    }
    let mut it = items.into_iter();
    let mut out = Vec::new();
    while let (Some(a), Some(b)) = (it.next(), it.next()) {
        out.push((a, b));
    }
    Ok(out)
}

/// Reads the body of an object of type `t` (its type byte already read).
pub fn read_value(t: u8, r: &mut Reader) -> Result<Value, Error> {
    match t {
        TYPE_STRING => Ok(Value::string_as(r.string()?, StrEncoding::Auto)),
        TYPE_LIST => {
            let n = r.count()?;
            let items = (0..n).map(|_| r.string()).collect::<Result<Vec<_>, _>>()?;
            list_of(items)
        }
        TYPE_SET => {
            let n = r.count()?;
            let items = (0..n).map(|_| r.string()).collect::<Result<Vec<_>, _>>()?;
            set_of(items)
        }
        TYPE_ZSET | TYPE_ZSET_2 => {
            let n = r.count()?;
            let mut items = Vec::new();
            for _ in 0..n {
                let m = r.string()?;
                let score = if t == TYPE_ZSET_2 { r.binary_double()? } else { r.text_double()? };
                items.push(Ok((m, score)));
            }
            zset_of(items)
        }
        TYPE_HASH => {
            let n = r.count()?;
            let mut items = Vec::new();
            for _ in 0..n {
                items.push(Ok((r.string()?, r.string()?)));
            }
            hash_of(items)
        }
        TYPE_LIST_ZIPLIST => list_of(packed::ziplist(&r.string()?)?),
        TYPE_SET_INTSET => set_of(packed::intset(&r.string()?)?.into_iter().map(|v| Bytes::from(v.to_string()))),
        TYPE_ZSET_ZIPLIST | TYPE_ZSET_LISTPACK => {
            let blob = r.string()?;
            let items = if t == TYPE_ZSET_ZIPLIST { packed::ziplist(&blob)? } else { packed::listpack(&blob)? };
            zset_of(pairs(items)?.into_iter().map(|(m, s)| Ok((m, score_of(&s)?))))
        }
        TYPE_HASH_ZIPLIST | TYPE_HASH_LISTPACK => {
            let blob = r.string()?;
            let items = if t == TYPE_HASH_ZIPLIST { packed::ziplist(&blob)? } else { packed::listpack(&blob)? };
            hash_of(pairs(items)?.into_iter().map(Ok))
        }
        TYPE_LIST_QUICKLIST | TYPE_LIST_QUICKLIST_2 => {
            let nodes = r.count()?;
            let mut items = Vec::new();
            for _ in 0..nodes {
                if t == TYPE_LIST_QUICKLIST {
                    items.extend(packed::ziplist(&r.string()?)?);
                    continue;
                }
                match r.read_len()? {
                    CONTAINER_PLAIN => items.push(r.string()?),
                    CONTAINER_PACKED => items.extend(packed::listpack(&r.string()?)?),
                    _ => return Err(corrupt("quicklist container")),
                }
            }
            list_of(items)
        }
        TYPE_HASH_ZIPMAP => Err(Error::Unsupported("the zipmap hash encoding (RDB type 9)".into())),
        6 | 7 => Err(Error::Unsupported(format!("module values (RDB type {t})"))),
        15 | 19 | 21 => Err(Error::Unsupported(format!("streams (RDB type {t})"))),
        _ => Err(corrupt(&format!("unknown value type {t}"))),
    }
}

// ---- DUMP payloads ----

/// DUMP's payload: the object, the RDB version (2 bytes LE) and a CRC-64 of
/// both (8 bytes LE).
pub fn dump(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    write_value(&mut out, v);
    out.extend(VERSION.to_le_bytes());
    let crc = crc64(0, &out);
    out.extend(crc.to_le_bytes());
    out
}

/// Whether a payload's version is one we read and its checksum matches (Redis's `verifyDumpPayload`).
pub fn verify_payload(p: &[u8]) -> bool {
    if p.len() < 10 {
        return false;
    }
    let footer = &p[p.len() - 10..];
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    version <= VERSION && crc64(0, &p[..p.len() - 8]).to_le_bytes() == footer[2..]
}

/// The value in a verified payload. Like Redis, the object is read from the
/// whole payload (a truncated object may run into the footer) and bytes
/// after it are not looked at.
pub fn read_payload(p: &[u8]) -> Result<Value, Error> {
    let mut r = Reader::new(p);
    let t = r.u8()?;
    read_value(t, &mut r)
}

// ---- Files ----

/// The start of a file: magic, version and the AUX fields Redis 7.0 writes.
pub fn write_header(out: &mut Vec<u8>, ctime_secs: u64, used_mem: u64) {
    out.extend(format!("REDIS{VERSION:04}").as_bytes());
    let aux = [
        ("redis-ver", REDIS_VER.to_string()),
        ("redis-bits", "64".to_string()),
        ("ctime", ctime_secs.to_string()),
        ("used-mem", used_mem.to_string()),
        ("aof-base", "0".to_string()),
    ];
    for (k, v) in aux {
        out.push(OP_AUX);
        write_string(out, k.as_bytes());
        write_string(out, v.as_bytes());
    }
}

/// Starts database `db`'s section: SELECTDB, then RESIZEDB with its key counts.
pub fn write_db_start(out: &mut Vec<u8>, db: usize, keys: usize, expires: usize) {
    out.push(OP_SELECTDB);
    write_len(out, db as u64);
    out.push(OP_RESIZEDB);
    write_len(out, keys as u64);
    write_len(out, expires as u64);
}

/// One key: its expiry (absolute Unix ms, 0 for none), then type, key and value.
/// Entries of one database may come from several writers and be concatenated.
pub fn write_entry(out: &mut Vec<u8>, key: &[u8], v: &Value, expire_at: u64) {
    if expire_at != 0 {
        out.push(OP_EXPIRETIME_MS);
        out.extend(expire_at.to_le_bytes());
    }
    out.push(type_of(v));
    write_string(out, key);
    write_body(out, v);
}

/// The end of a file: EOF and the CRC-64 of everything before it. `crc` is
/// the checksum of what was written so far (`crc64(0, file)`), kept by a
/// writer that streams the file in pieces.
pub fn write_footer(out: &mut Vec<u8>, crc: u64) {
    out.push(OP_EOF);
    let crc = crc64(crc, &[OP_EOF]);
    out.extend(crc.to_le_bytes());
}

/// One key read from a file.
#[derive(Debug)]
pub struct Item {
    pub db: usize,
    pub key: Bytes,
    pub value: Value,
    /// Absolute Unix ms, 0 for none.
    pub expire_at: u64,
}

/// Reads a whole file (held in memory) key by key.
pub struct FileReader<'a> {
    r: Reader<'a>,
    version: u16,
    db: usize,
    done: bool,
}

impl<'a> FileReader<'a> {
    pub fn new(buf: &'a [u8]) -> Result<FileReader<'a>, Error> {
        let mut r = Reader::new(buf);
        let magic = r.take(9).map_err(|_| Error::BadHeader("not an RDB file (too short)".into()))?;
        if &magic[..5] != b"REDIS" {
            return Err(Error::BadHeader("wrong signature trying to load DB from file".into()));
        }
        let version = std::str::from_utf8(&magic[5..]).ok().and_then(|v| v.parse::<u16>().ok());
        match version {
            Some(v @ 1..=VERSION) => Ok(FileReader { r, version: v, db: 0, done: false }),
            _ => Err(Error::BadHeader(format!(
                "can't handle RDB format version {}",
                String::from_utf8_lossy(&magic[5..])
            ))),
        }
    }

    /// The next key, or `None` after the end (whose checksum has then been checked).
    /// Empty collections are skipped, as Redis does.
    pub fn next_item(&mut self) -> Result<Option<Item>, Error> {
        let mut expire_at = 0u64;
        while !self.done {
            let t = self.r.u8()?;
            match t {
                OP_EOF => {
                    self.done = true;
                    if self.version >= 5 {
                        let end = self.r.position();
                        let expected = u64::from_le_bytes(self.r.array()?);
                        if expected != 0 && crc64(0, &self.r.buf[..end]) != expected {
                            return Err(Error::Checksum);
                        }
                    }
                }
                OP_SELECTDB => self.db = usize::try_from(self.r.read_len()?).map_err(|_| corrupt("database number"))?,
                OP_RESIZEDB => {
                    self.r.read_len()?;
                    self.r.read_len()?;
                }
                OP_AUX => {
                    self.r.string()?;
                    self.r.string()?;
                }
                OP_EXPIRETIME => expire_at = (i32::from_le_bytes(self.r.array()?) as i64 * 1000).max(1) as u64,
                // A time before 1970 is long past: 1 ms keeps it an expiry (0 would mean none).
                OP_EXPIRETIME_MS => expire_at = i64::from_le_bytes(self.r.array()?).max(1) as u64,
                OP_FREQ => {
                    self.r.u8()?;
                }
                OP_IDLE => {
                    self.r.read_len()?;
                }
                OP_MODULE_AUX => return Err(Error::Unsupported("module auxiliary data".into())),
                OP_FUNCTION2 | OP_FUNCTION_PRE_GA => {
                    return Err(Error::Unsupported("functions (FUNCTION LOAD)".into()))
                }
                _ => {
                    let key = self.r.string()?;
                    match read_value(t, &mut self.r) {
                        Ok(value) => return Ok(Some(Item { db: self.db, key, value, expire_at })),
                        Err(Error::EmptyKey) => expire_at = 0,
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests;
