//! The bitmap family: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD and
//! BITFIELD_RO, over string values. Bits are numbered from the most
//! significant bit of the first byte, as in Redis.

use crate::args::*;
use crate::shard::Ctx;
use crate::value::{Entry, Str, StrEncoding, Value};
use bytes::Bytes;
use resp::Reply;

const BIT_OFFSET: &str = "ERR bit offset is not an integer or out of range";
const BIT_VALUE: &str = "ERR bit is not an integer or out of range";
const BITFIELD_TYPE: &str =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";

// ---- String access shared with the HyperLogLog commands --------------------

/// The bytes of the string under `key` (a cheap clone): `None` if there is
/// no key, WRONGTYPE for another type.
pub(crate) fn read_string(ctx: &mut Ctx, key: &[u8]) -> Result<Option<Bytes>, Reply> {
    let now = ctx.now;
    match ctx.db().get(key, now) {
        None => Ok(None),
        Some(Entry { value: Value::Str(s), .. }) => Ok(Some(s.to_bytes())),
        Some(_) => Err(err(WRONGTYPE)),
    }
}

/// The string under `key` to change in place (its TTL stays): `None` if
/// there is no key, WRONGTYPE for another type. Like Redis's
/// `dbUnshareStringValue`, this makes the string `raw`.
pub(crate) fn string_mut<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a mut Str>, Reply> {
    let now = ctx.now;
    match ctx.db().get_mut(key, now) {
        None => Ok(None),
        Some(Entry { value: Value::Str(s), .. }) => {
            s.set_enc(StrEncoding::Raw);
            Ok(Some(s))
        }
        Some(_) => Err(err(WRONGTYPE)),
    }
}

pub(crate) fn raw_string(v: Vec<u8>) -> Value {
    Value::string_as(Bytes::from(v), StrEncoding::Raw)
}

/// Pads `v` with zero bytes to `len`, reserving room the way Redis's
/// `sdsMakeRoomFor` does (double below 1 MiB, then 1 MiB more) so that
/// growing a bitmap bit by bit stays amortized O(1).
fn grow_zero(v: &mut Vec<u8>, len: usize) {
    if v.len() >= len {
        return;
    }
    if len > v.capacity() {
        const MAX_PREALLOC: usize = 1024 * 1024;
        let target = if len < MAX_PREALLOC { len * 2 } else { len + MAX_PREALLOC };
        v.reserve_exact(target - v.len());
    }
    v.resize(len, 0);
}

/// Redis's `lookupStringForBitCommand`: runs `f` over the string under `key`
/// grown with zeros to `min_len` bytes (created at exactly that size when missing).
fn with_bits<R>(ctx: &mut Ctx, key: &[u8], min_len: usize, f: impl FnOnce(&mut Vec<u8>) -> R) -> Result<R, Reply> {
    if let Some(data) = string_mut(ctx, key)? {
        return Ok(data.edit(|v| {
            grow_zero(v, min_len);
            f(v)
        }));
    }
    let mut v = vec![0; min_len];
    let r = f(&mut v);
    ctx.db().set(key, raw_string(v), 0);
    Ok(r)
}

// ---- Bit helpers -------------------------------------------------------------

fn get_bit(p: &[u8], pos: u64) -> bool {
    p.get((pos >> 3) as usize).is_some_and(|b| b & (0x80 >> (pos & 7)) != 0)
}

/// Set bits in `p`, eight bytes at a time.
fn popcount(p: &[u8]) -> u64 {
    let mut words = p.chunks_exact(8);
    let n: u64 = words.by_ref().map(|w| u64::from_ne_bytes(w.try_into().expect("8 bytes")).count_ones() as u64).sum();
    n + words.remainder().iter().map(|b| b.count_ones() as u64).sum::<u64>()
}

/// Set bits among bit positions `first..=last` of `p` (both inside `p`).
fn count_bits(p: &[u8], first: u64, last: u64) -> u64 {
    let (fb, lb) = ((first >> 3) as usize, (last >> 3) as usize);
    let before = !(0xffu8 >> (first & 7)); // bits of the first byte before `first`
    let after = ((1u16 << (7 - (last & 7))) - 1) as u8; // bits of the last byte after `last`
    popcount(&p[fb..=lb]) - (p[fb] & before).count_ones() as u64 - (p[lb] & after).count_ones() as u64
}

/// The first bit equal to `bit` among positions `first..=last` of `p`.
fn find_bit(p: &[u8], bit: bool, first: u64, last: u64) -> Option<u64> {
    let mut i = first;
    // Bit by bit up to a byte boundary, then whole bytes (a word at a time), then the tail.
    while i <= last && i & 7 != 0 {
        if get_bit(p, i) == bit {
            return Some(i);
        }
        i += 1;
    }
    let whole_end = (last + 1) >> 3; // bytes [i/8, whole_end) lie fully inside the range
    if i <= last && (i >> 3) < whole_end {
        let bytes = &p[(i >> 3) as usize..whole_end as usize];
        let (skip, skip_word) = if bit { (0u8, 0u64) } else { (0xff, u64::MAX) };
        let mut j = 0;
        while j + 8 <= bytes.len() && u64::from_ne_bytes(bytes[j..j + 8].try_into().expect("8 bytes")) == skip_word {
            j += 8;
        }
        if let Some(k) = bytes[j..].iter().position(|&b| b != skip) {
            let b = bytes[j + k] ^ skip;
            return Some(i + (j + k) as u64 * 8 + b.leading_zeros() as u64);
        }
        i = whole_end << 3;
    }
    while i <= last {
        if get_bit(p, i) == bit {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// A bit offset argument as Redis's `getBitOffsetFromArgument` reads it:
/// `#N` (when `hash_bits` is given) means N times the field width, and the
/// byte it falls in must be below `proto-max-bulk-len`.
fn bit_offset(arg: &[u8], hash_bits: Option<u32>) -> Result<u64, Reply> {
    let (digits, mul) = match (arg.first(), hash_bits) {
        (Some(b'#'), Some(bits)) => (&arg[1..], bits as i64),
        _ => (arg, 1),
    };
    // The multiplication wraps as in C; a wrapped result is negative or huge and rejected.
    let off = resp::parse_i64(digits).ok_or_else(|| err(BIT_OFFSET))?.wrapping_mul(mul);
    if off < 0 || (off >> 3) as u64 >= MAX_STRING as u64 {
        return Err(err(BIT_OFFSET));
    }
    Ok(off as u64)
}

// ---- SETBIT, GETBIT -------------------------------------------------------------

pub fn setbit(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let off = match bit_offset(&args[2], None) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let on = match resp::parse_i64(&args[3]) {
        Some(v @ (0 | 1)) => v == 1,
        _ => return err(BIT_VALUE),
    };
    let r = with_bits(ctx, &args[1], (off >> 3) as usize + 1, |v| {
        let (byte, mask) = ((off >> 3) as usize, 0x80u8 >> (off & 7));
        let old = v[byte] & mask != 0;
        if on {
            v[byte] |= mask;
        } else {
            v[byte] &= !mask;
        }
        old
    });
    match r {
        Ok(old) => Reply::Int(old as i64),
        Err(e) => e,
    }
}

pub fn getbit(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let off = match bit_offset(&args[2], None) {
        Ok(o) => o,
        Err(e) => return e,
    };
    match read_string(ctx, &args[1]) {
        Ok(v) => Reply::Int(v.is_some_and(|v| get_bit(&v, off)) as i64),
        Err(e) => e,
    }
}

// ---- BITCOUNT, BITPOS ----------------------------------------------------------

/// A `start end [BYTE|BIT]` range clamped to a string of `len` bytes the way
/// Redis does: in bits `first..=last`, or `None` when empty.
fn clamp_range(start: i64, end: i64, len: u64, bit_unit: bool) -> Option<(u64, u64)> {
    let total = if bit_unit { len as i64 * 8 } else { len as i64 };
    let s = if start < 0 { total + start } else { start }.max(0);
    let e = if end < 0 { total + end } else { end }.max(0).min(total - 1);
    if s > e {
        return None;
    }
    Some(if bit_unit { (s as u64, e as u64) } else { (s as u64 * 8, e as u64 * 8 + 7) })
}

/// BYTE or BIT (true); anything else is a syntax error.
fn bit_unit(arg: Option<&Bytes>) -> Result<bool, Reply> {
    match arg {
        None => Ok(false),
        Some(a) if eq_ic(a, "bit") => Ok(true),
        Some(a) if eq_ic(a, "byte") => Ok(false),
        Some(_) => Err(err(SYNTAX)),
    }
}

pub fn bitcount(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    // Redis 7.0 looks the key up before it reads the range.
    let data = match read_string(ctx, &args[1]) {
        Ok(Some(d)) => d,
        Ok(None) => return Reply::Int(0),
        Err(e) => return e,
    };
    let len = data.len() as u64;
    let range = match args.len() {
        2 => (len > 0).then(|| (0, len * 8 - 1)),
        4 | 5 => {
            let (start, end) = match (int(&args[2]), int(&args[3])) {
                (Ok(s), Ok(e)) => (s, e),
                (Err(e), _) | (_, Err(e)) => return e,
            };
            // Checked before the unit, so a bad unit goes unnoticed here.
            if start < 0 && end < 0 && start > end {
                return Reply::Int(0);
            }
            match bit_unit(args.get(4)) {
                Ok(unit) => clamp_range(start, end, len, unit),
                Err(e) => return e,
            }
        }
        _ => return err(SYNTAX),
    };
    Reply::Int(range.map_or(0, |(f, l)| count_bits(&data, f, l)) as i64)
}

pub fn bitpos(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let bit = match int(&args[2]) {
        Ok(b @ (0 | 1)) => b == 1,
        Ok(_) => return err("ERR The bit argument must be 1 or 0."),
        Err(e) => return e,
    };
    // A missing key is an endless run of zeros.
    let data = match read_string(ctx, &args[1]) {
        Ok(Some(d)) => d,
        Ok(None) => return Reply::Int(if bit { -1 } else { 0 }),
        Err(e) => return e,
    };
    let len = data.len() as u64;
    let range = match args.len() {
        3 => (len > 0).then(|| (0, len * 8 - 1)),
        4..=6 => {
            let start = match int(&args[3]) {
                Ok(s) => s,
                Err(e) => return e,
            };
            let unit = match bit_unit(args.get(5)) {
                Ok(u) => u,
                Err(e) => return e,
            };
            let end = match args.get(4).map(|a| int(a)) {
                Some(Err(e)) => return e,
                Some(Ok(e)) => e,
                None => -1,
            };
            clamp_range(start, end, len, unit)
        }
        _ => return err(SYNTAX),
    };
    let Some((first, last)) = range else {
        return Reply::Int(-1);
    };
    let end_given = args.len() > 4;
    match find_bit(&data, bit, first, last) {
        Some(pos) => Reply::Int(pos as i64),
        // Looking for a clear bit with no explicit end: the string goes on with zeros.
        None if !bit && !end_given => Reply::Int(last as i64 + 1),
        None => Reply::Int(-1),
    }
}

// ---- BITOP -------------------------------------------------------------------

pub fn bitop(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let op = lower(&args[1]);
    if !matches!(op.as_str(), "and" | "or" | "xor" | "not") {
        return err(SYNTAX);
    }
    if op == "not" && args.len() != 4 {
        return err("ERR BITOP NOT must be called with a single source key.");
    }
    let mut srcs = Vec::with_capacity(args.len() - 3);
    for key in &args[3..] {
        match read_string(ctx, key) {
            Ok(v) => srcs.push(v.unwrap_or_default()),
            Err(e) => return e,
        }
    }
    let maxlen = srcs.iter().map(|s| s.len()).max().unwrap_or(0);
    let dest = &args[2];
    if maxlen == 0 {
        ctx.unchanged = ctx.db().remove(dest).is_none();
        return Reply::Int(0);
    }
    // Shorter strings count as zero-padded to the longest.
    let mut res = vec![0u8; maxlen];
    res[..srcs[0].len()].copy_from_slice(&srcs[0]);
    for s in &srcs[1..] {
        let pairs = res.iter_mut().zip(s.iter());
        match op.as_str() {
            "and" => {
                pairs.for_each(|(r, b)| *r &= b);
                res[s.len()..].fill(0);
            }
            "or" => pairs.for_each(|(r, b)| *r |= b),
            _ => pairs.for_each(|(r, b)| *r ^= b),
        }
    }
    if op == "not" {
        res.iter_mut().for_each(|b| *b = !*b);
    }
    ctx.db().set(dest, raw_string(res), 0);
    Reply::Int(maxlen as i64)
}

// ---- BITFIELD ------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Debug)]
enum Overflow {
    Wrap,
    Sat,
    Fail,
}

#[derive(Clone, Copy, PartialEq)]
enum FieldOp {
    Get,
    Set,
    IncrBy,
}

struct Field {
    op: FieldOp,
    offset: u64,
    bits: u32,
    signed: bool,
    value: i64,
    overflow: Overflow,
}

/// `i1`..`i64` or `u1`..`u63`; like Redis, the width is read up to a NUL byte.
fn field_type(arg: &[u8]) -> Result<(bool, u32), Reply> {
    let signed = match arg.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(err(BITFIELD_TYPE)),
    };
    let rest = &arg[1..];
    let rest = &rest[..rest.iter().position(|&c| c == 0).unwrap_or(rest.len())];
    match resp::parse_i64(rest) {
        Some(b) if b >= 1 && (b <= 63 || (signed && b == 64)) => Ok((signed, b as u32)),
        _ => Err(err(BITFIELD_TYPE)),
    }
}

/// Parses every subcommand before anything runs, as Redis does.
fn parse_fields(args: &[Bytes]) -> Result<Vec<Field>, Reply> {
    let mut fields = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut j = 2;
    while j < args.len() {
        let remaining = args.len() - j - 1;
        let sub = &args[j];
        let op = if eq_ic(sub, "get") && remaining >= 2 {
            FieldOp::Get
        } else if eq_ic(sub, "set") && remaining >= 3 {
            FieldOp::Set
        } else if eq_ic(sub, "incrby") && remaining >= 3 {
            FieldOp::IncrBy
        } else if eq_ic(sub, "overflow") && remaining >= 1 {
            overflow = match lower(&args[j + 1]).as_str() {
                "wrap" => Overflow::Wrap,
                "sat" => Overflow::Sat,
                "fail" => Overflow::Fail,
                _ => return Err(err("ERR Invalid OVERFLOW type specified")),
            };
            j += 2;
            continue;
        } else {
            return Err(err(SYNTAX));
        };
        let (signed, bits) = field_type(&args[j + 1])?;
        let offset = bit_offset(&args[j + 2], Some(bits))?;
        let value = if op == FieldOp::Get { 0 } else { int(&args[j + 3])? };
        fields.push(Field { op, offset, bits, signed, value, overflow });
        j += if op == FieldOp::Get { 3 } else { 4 };
    }
    Ok(fields)
}

/// `bits` bits from bit `offset`, most significant first; bits past the end read as 0.
fn get_unsigned(p: &[u8], offset: u64, bits: u32) -> u64 {
    (0..bits as u64).fold(0, |v, i| (v << 1) | get_bit(p, offset + i) as u64)
}

fn get_signed(p: &[u8], offset: u64, bits: u32) -> i64 {
    let v = get_unsigned(p, offset, bits);
    // Sign-extend from the field's top bit.
    if bits < 64 && v & (1 << (bits - 1)) != 0 {
        (v | (u64::MAX << bits)) as i64
    } else {
        v as i64
    }
}

/// Writes the low `bits` bits of `value` at bit `offset` (inside `p`).
fn set_field(p: &mut [u8], offset: u64, bits: u32, value: u64) {
    for i in 0..bits as u64 {
        let pos = offset + i;
        let (byte, mask) = ((pos >> 3) as usize, 0x80u8 >> (pos & 7));
        if value & (1 << (bits as u64 - 1 - i)) != 0 {
            p[byte] |= mask;
        } else {
            p[byte] &= !mask;
        }
    }
}

/// Redis's `checkUnsignedBitfieldOverflow`: whether `value + incr` leaves
/// the field's range, and the value to store instead under WRAP or SAT.
fn unsigned_overflow(value: u64, incr: i64, bits: u32, ow: Overflow) -> (bool, u64) {
    let max = if bits == 64 { u64::MAX } else { (1u64 << bits) - 1 };
    let max_incr = max.wrapping_sub(value) as i64;
    let min_incr = (value as i64).wrapping_neg();
    let wrapped = || value.wrapping_add(incr as u64) & max;
    if value > max || (incr > 0 && incr > max_incr) {
        (true, if ow == Overflow::Sat { max } else { wrapped() })
    } else if incr < 0 && incr < min_incr {
        (true, if ow == Overflow::Sat { 0 } else { wrapped() })
    } else {
        (false, 0)
    }
}

/// Redis's `checkSignedBitfieldOverflow`, the signed counterpart.
fn signed_overflow(value: i64, incr: i64, bits: u32, ow: Overflow) -> (bool, i64) {
    let max = if bits == 64 { i64::MAX } else { (1i64 << (bits - 1)) - 1 };
    let min = -max - 1;
    let max_incr = (max as u64).wrapping_sub(value as u64) as i64;
    let min_incr = min.wrapping_sub(value);
    let wrapped = || {
        let c = (value as u64).wrapping_add(incr as u64);
        if bits == 64 {
            c as i64
        } else if c & (1 << (bits - 1)) != 0 {
            (c | (u64::MAX << bits)) as i64
        } else {
            (c & !(u64::MAX << bits)) as i64
        }
    };
    if value > max || (bits != 64 && incr > max_incr) || (value >= 0 && incr > 0 && incr > max_incr) {
        (true, if ow == Overflow::Sat { max } else { wrapped() })
    } else if value < min || (bits != 64 && incr < min_incr) || (value < 0 && incr < 0 && incr < min_incr) {
        (true, if ow == Overflow::Sat { min } else { wrapped() })
    } else {
        (false, 0)
    }
}

/// Runs one SET or INCRBY on `p`: the reply (nil when OVERFLOW FAIL stops it).
fn write_field(p: &mut [u8], f: &Field) -> Reply {
    let incrby = f.op == FieldOp::IncrBy;
    let (overflow, new, reply) = if f.signed {
        let old = get_signed(p, f.offset, f.bits);
        let (base, incr) = if incrby { (old, f.value) } else { (f.value, 0) };
        let (overflow, limit) = signed_overflow(base, incr, f.bits, f.overflow);
        let new = if overflow { limit } else { base.wrapping_add(incr) };
        (overflow, new as u64, if incrby { new } else { old })
    } else {
        let old = get_unsigned(p, f.offset, f.bits);
        let (base, incr) = if incrby { (old, f.value) } else { (f.value as u64, 0) };
        let (overflow, limit) = unsigned_overflow(base, incr, f.bits, f.overflow);
        let new = if overflow { limit } else { base.wrapping_add(incr as u64) };
        (overflow, new, if incrby { new as i64 } else { old as i64 })
    };
    if overflow && f.overflow == Overflow::Fail {
        return Reply::Nil;
    }
    set_field(p, f.offset, f.bits, new);
    Reply::Int(reply)
}

fn read_field(p: &[u8], f: &Field) -> Reply {
    Reply::Int(if f.signed { get_signed(p, f.offset, f.bits) } else { get_unsigned(p, f.offset, f.bits) as i64 })
}

fn bitfield_generic(ctx: &mut Ctx, args: &[Bytes], readonly_cmd: bool) -> Reply {
    let fields = match parse_fields(args) {
        Ok(f) => f,
        Err(e) => return e,
    };
    let key = &args[1];
    let writes = fields.iter().filter(|f| f.op != FieldOp::Get);
    let Some(highest) = writes.map(|f| f.offset + f.bits as u64 - 1).max() else {
        // Only GETs: a plain read, no key is created.
        return match read_string(ctx, key) {
            Ok(v) => Reply::Array(fields.iter().map(|f| read_field(v.as_deref().unwrap_or(&[]), f)).collect()),
            Err(e) => e,
        };
    };
    if readonly_cmd {
        return err("ERR BITFIELD_RO only supports the GET subcommand");
    }
    // The string grows to the farthest bit written, even if OVERFLOW FAIL then writes nothing.
    let r = with_bits(ctx, key, (highest >> 3) as usize + 1, |v| {
        fields.iter().map(|f| if f.op == FieldOp::Get { read_field(v, f) } else { write_field(v, f) }).collect()
    });
    match r {
        Ok(replies) => Reply::Array(replies),
        Err(e) => e,
    }
}

pub fn bitfield(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    bitfield_generic(ctx, args, false)
}

pub fn bitfield_ro(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    bitfield_generic(ctx, args, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_bits_in_ranges() {
        let p = [0xffu8, 0x0f, 0xf0, 0x01];
        assert_eq!(count_bits(&p, 0, 31), 17);
        assert_eq!(count_bits(&p, 4, 11), 4);
        assert_eq!(count_bits(&p, 12, 19), 8);
        assert_eq!(count_bits(&p, 31, 31), 1);
        assert_eq!(count_bits(&p, 24, 30), 0);
        assert_eq!(popcount(&[0xff; 21]), 168);
    }

    #[test]
    fn finds_bits() {
        let mut p = vec![0u8; 40];
        assert_eq!(find_bit(&p, true, 0, 319), None);
        assert_eq!(find_bit(&p, false, 3, 319), Some(3));
        p[33] = 0x10;
        assert_eq!(find_bit(&p, true, 0, 319), Some(33 * 8 + 3));
        assert_eq!(find_bit(&p, true, 0, 33 * 8 + 2), None);
        assert_eq!(find_bit(&p, true, 33 * 8 + 3, 33 * 8 + 3), Some(33 * 8 + 3));
        let q = vec![0xffu8; 20];
        assert_eq!(find_bit(&q, false, 0, 159), None);
        assert_eq!(find_bit(&q, true, 7, 9), Some(7));
    }

    #[test]
    fn fields_round_trip() {
        let mut p = vec![0u8; 16];
        set_field(&mut p, 5, 13, 0x1abc);
        assert_eq!(get_unsigned(&p, 5, 13), 0x1abc);
        assert_eq!(get_signed(&p, 5, 13), 0x1abc - 0x2000);
        set_field(&mut p, 60, 64, u64::MAX - 5);
        assert_eq!(get_signed(&p, 60, 64), -6);
        assert_eq!(get_unsigned(&p, 200, 8), 0);
    }

    #[test]
    fn overflow_rules() {
        assert_eq!(unsigned_overflow(250, 10, 8, Overflow::Wrap), (true, 4));
        assert_eq!(unsigned_overflow(250, 10, 8, Overflow::Sat), (true, 255));
        assert_eq!(unsigned_overflow(5, -10, 8, Overflow::Sat), (true, 0));
        assert_eq!(unsigned_overflow(5, 10, 8, Overflow::Sat), (false, 0));
        assert_eq!(signed_overflow(127, 1, 8, Overflow::Wrap), (true, -128));
        assert_eq!(signed_overflow(-128, -1, 8, Overflow::Sat), (true, -128));
        assert_eq!(signed_overflow(i64::MAX, 1, 64, Overflow::Wrap), (true, i64::MIN));
        assert_eq!(signed_overflow(i64::MIN, -1, 64, Overflow::Sat), (true, i64::MIN));
        assert_eq!(signed_overflow(300, 0, 8, Overflow::Wrap), (true, 44));
    }
}
