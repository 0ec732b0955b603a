//! HyperLogLog in Redis's exact string format, so that values move between
//! Tessera and Redis byte for byte: a 16-byte header ("HYLL", encoding byte,
//! 3 unused bytes, cached cardinality in little endian with the top bit of
//! the last byte meaning "stale"), then either 16384 dense 6-bit registers
//! or sparse run-length opcodes:
//!
//! - ZERO  `00xxxxxx`: 1..64 registers at 0;
//! - XZERO `01xxxxxx yyyyyyyy`: 1..16384 registers at 0;
//! - VAL   `1vvvvvxx`: 1..4 registers at value 1..32.
//!
//! Every operation mirrors Redis's `hyperloglog.c` step by step (including
//! how a sparse edit splits and re-merges opcodes, and when it promotes to
//! dense) because the bytes themselves are observable with GET.

pub const HDR: usize = 16;
pub const REGISTERS: usize = 1 << P;
pub const DENSE_SIZE: usize = HDR + (REGISTERS * 6).div_ceil(8);
const P: u32 = 14;
/// Hash bits left for the run of zeros.
const Q: usize = 64 - P as usize;
const DENSE: u8 = 0;
const SPARSE: u8 = 1;
const VAL_MAX_VALUE: u8 = 32;
const VAL_MAX_LEN: usize = 4;
const ZERO_MAX_LEN: usize = 64;

/// A sparse representation that does not add up to 16384 registers.
#[derive(Debug, PartialEq)]
pub struct Corrupt;

/// Redis's `isHLLObjectOrReply` test: header, known encoding, exact dense size.
pub fn is_valid(s: &[u8]) -> bool {
    s.len() >= HDR && &s[..4] == b"HYLL" && s[4] <= SPARSE && (s[4] != DENSE || s.len() == DENSE_SIZE)
}

pub fn is_sparse(s: &[u8]) -> bool {
    s[4] == SPARSE
}

/// An empty HLL: sparse, one XZERO covering every register.
pub fn new_sparse() -> Vec<u8> {
    let mut v = vec![0; HDR];
    v[..4].copy_from_slice(b"HYLL");
    v[4] = SPARSE;
    v.extend_from_slice(&xzero(REGISTERS));
    v
}

/// The cached cardinality, unless it is marked stale.
pub fn cached(s: &[u8]) -> Option<u64> {
    (s[15] & 0x80 == 0).then(|| u64::from_le_bytes(s[8..16].try_into().expect("8 bytes")))
}

pub fn set_cache(s: &mut [u8], card: u64) {
    s[8..16].copy_from_slice(&card.to_le_bytes());
}

pub fn invalidate_cache(s: &mut [u8]) {
    s[15] |= 0x80;
}

/// MurmurHash64A, as Redis uses it (endian-neutral).
pub fn murmur64a(key: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4a7935bd1e995;
    const R: u32 = 47;
    let mut h = seed ^ (key.len() as u64).wrapping_mul(M);
    let mut chunks = key.chunks_exact(8);
    for c in chunks.by_ref() {
        let mut k = u64::from_le_bytes(c.try_into().expect("8 bytes"));
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        for (i, &b) in tail.iter().enumerate() {
            h ^= (b as u64) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// The register an element maps to and the length of its `000..1` run.
pub fn pattern(ele: &[u8]) -> (usize, u8) {
    let hash = murmur64a(ele, 0xadc83b19);
    let index = (hash & (REGISTERS as u64 - 1)) as usize;
    let rest = (hash >> P) | (1 << Q); // the set bit caps the run at Q+1
    (index, rest.trailing_zeros() as u8 + 1)
}

// ---- Dense registers -----------------------------------------------------------

/// Register `i` of the dense registers `r` (6 bits, least significant bits first).
pub fn dense_get(r: &[u8], i: usize) -> u8 {
    let (byte, fb) = (i * 6 / 8, (i * 6) & 7);
    let b0 = r[byte] as u16;
    let b1 = r.get(byte + 1).copied().unwrap_or(0) as u16;
    (((b0 >> fb) | (b1 << (8 - fb))) & 63) as u8
}

fn dense_put(r: &mut [u8], i: usize, val: u8) {
    let (byte, fb) = (i * 6 / 8, (i * 6) & 7);
    let v = val as u16;
    r[byte] = (r[byte] & !((63u16 << fb) as u8)) | (v << fb) as u8;
    if fb > 2 {
        // The register spills into the next byte.
        r[byte + 1] = (r[byte + 1] & !((63u16 >> (8 - fb)) as u8)) | (v >> (8 - fb)) as u8;
    }
}

/// Raises dense register `i` to `count`; true if it changed.
fn dense_set(r: &mut [u8], i: usize, count: u8) -> bool {
    if count > dense_get(r, i) {
        dense_put(r, i, count);
        true
    } else {
        false
    }
}

// ---- Sparse opcodes ------------------------------------------------------------

fn is_zero(b: u8) -> bool {
    b & 0xc0 == 0
}
fn is_xzero(b: u8) -> bool {
    b & 0xc0 == 0x40
}
fn is_val(b: u8) -> bool {
    b & 0x80 != 0
}
fn zero_len(b: u8) -> usize {
    (b & 0x3f) as usize + 1
}
fn xzero_len(b: u8, next: u8) -> usize {
    (((b & 0x3f) as usize) << 8 | next as usize) + 1
}
fn val_value(b: u8) -> u8 {
    ((b >> 2) & 0x1f) + 1
}
fn val_len(b: u8) -> usize {
    (b & 3) as usize + 1
}
fn val(value: u8, len: usize) -> u8 {
    0x80 | (value - 1) << 2 | (len - 1) as u8
}
fn zero(len: usize) -> u8 {
    (len - 1) as u8
}
fn xzero(len: usize) -> [u8; 2] {
    [0x40 | ((len - 1) >> 8) as u8, ((len - 1) & 0xff) as u8]
}

/// Calls `each(first, len, value)` for every run of a sparse body (value 0
/// for zeros). Like Redis (with its 2025 hardening, which the 7.0.15 builds
/// we compare against carry), a run past the last register or a total other
/// than 16384 registers means a corrupt HLL.
fn sparse_runs(body: &[u8], mut each: impl FnMut(usize, usize, u8)) -> Result<(), Corrupt> {
    let (mut p, mut idx) = (0, 0);
    while p < body.len() {
        let b = body[p];
        let (len, v, oplen) = if is_zero(b) {
            (zero_len(b), 0, 1)
        } else if is_xzero(b) {
            (xzero_len(b, body.get(p + 1).copied().unwrap_or(0)), 0, 2)
        } else {
            (val_len(b), val_value(b), 1)
        };
        if idx + len > REGISTERS {
            return Err(Corrupt);
        }
        each(idx, len, v);
        idx += len;
        p += oplen;
    }
    if idx == REGISTERS {
        Ok(())
    } else {
        Err(Corrupt)
    }
}

/// Converts a sparse HLL to dense in place (a no-op when already dense);
/// the header, cached cardinality included, is kept.
pub fn to_dense(s: &mut Vec<u8>) -> Result<(), Corrupt> {
    if s[4] == DENSE {
        return Ok(());
    }
    let mut dense = vec![0; DENSE_SIZE];
    dense[..HDR].copy_from_slice(&s[..HDR]);
    dense[4] = DENSE;
    sparse_runs(&s[HDR..], |idx, len, v| {
        if v != 0 {
            (idx..idx + len).for_each(|i| dense_put(&mut dense[HDR..], i, v));
        }
    })?;
    *s = dense;
    Ok(())
}

/// Raises register `index` to `count` in a sparse HLL, splitting the opcode
/// that covers it and re-merging neighbours exactly as Redis's
/// `hllSparseSet`; promotes to dense when `count` exceeds what VAL can
/// hold or the string would pass `max_bytes`. True if a register changed.
fn sparse_set(s: &mut Vec<u8>, index: usize, count: u8, max_bytes: usize) -> Result<bool, Corrupt> {
    if count > VAL_MAX_VALUE {
        return promote(s, index, count);
    }
    // Step 1: find the opcode covering `index`.
    let mut end = s.len();
    let (mut p, mut first, mut span, mut prev) = (HDR, 0, 0, None);
    while p < end {
        let b = s[p];
        let mut oplen = 1;
        span = if is_zero(b) {
            zero_len(b)
        } else if is_val(b) {
            val_len(b)
        } else {
            oplen = 2;
            xzero_len(b, s.get(p + 1).copied().unwrap_or(0))
        };
        if index < first + span {
            break;
        }
        prev = Some(p);
        p += oplen;
        first += span;
    }
    if span == 0 || p >= end {
        return Err(Corrupt);
    }
    let b = s[p];
    let runlen = if is_zero(b) {
        zero_len(b)
    } else if is_xzero(b) {
        xzero_len(b, s.get(p + 1).copied().unwrap_or(0))
    } else {
        val_len(b)
    };
    // Step 2: the cheap cases update one byte in place.
    let simple = if is_val(b) {
        if val_value(b) >= count {
            return Ok(false);
        }
        runlen == 1
    } else {
        is_zero(b) && runlen == 1
    };
    if simple {
        s[p] = val(count, 1);
    } else {
        // The general case: the opcode becomes up to three (zeros or the old
        // value before, the new VAL, zeros or the old value after).
        let mut seq = Vec::with_capacity(5);
        let last = first + span - 1;
        let push_zeros = |seq: &mut Vec<u8>, len: usize| {
            if len > ZERO_MAX_LEN {
                seq.extend_from_slice(&xzero(len));
            } else {
                seq.push(zero(len));
            }
        };
        if is_val(b) {
            let cur = val_value(b);
            if index != first {
                seq.push(val(cur, index - first));
            }
            seq.push(val(count, 1));
            if index != last {
                seq.push(val(cur, last - index));
            }
        } else {
            if index != first {
                push_zeros(&mut seq, index - first);
            }
            seq.push(val(count, 1));
            if index != last {
                push_zeros(&mut seq, last - index);
            }
        }
        let oldlen = if is_xzero(b) { 2 } else { 1 };
        if seq.len() > oldlen && s.len() + seq.len() - oldlen > max_bytes {
            return promote(s, index, count);
        }
        end = end + seq.len() - oldlen;
        s.splice(p..p + oldlen, seq);
    }
    // Step 3: merge adjacent VALs of equal value, scanning up to 5 opcodes from the previous one.
    let mut p = prev.unwrap_or(HDR);
    let mut scan = 5;
    while p < end && scan > 0 {
        scan -= 1;
        let b = s[p];
        if is_xzero(b) {
            p += 2;
            continue;
        }
        if is_zero(b) {
            p += 1;
            continue;
        }
        if p + 1 < end && is_val(s[p + 1]) && val_value(b) == val_value(s[p + 1]) {
            let len = val_len(b) + val_len(s[p + 1]);
            if len <= VAL_MAX_LEN {
                s[p + 1] = val(val_value(b), len);
                s.remove(p);
                end -= 1;
                // Stay here: the merged opcode may merge with the next one too.
                continue;
            }
        }
        p += 1;
    }
    invalidate_cache(s);
    Ok(true)
}

fn promote(s: &mut Vec<u8>, index: usize, count: u8) -> Result<bool, Corrupt> {
    to_dense(s)?;
    Ok(dense_set(&mut s[HDR..], index, count))
}

/// Raises register `index` to `count` in either encoding; true if it changed.
pub fn set_register(s: &mut Vec<u8>, index: usize, count: u8, max_bytes: usize) -> Result<bool, Corrupt> {
    if s[4] == DENSE {
        Ok(dense_set(&mut s[HDR..], index, count))
    } else {
        sparse_set(s, index, count, max_bytes)
    }
}

/// Adds an element; true if a register changed. (The caller invalidates the cache.)
pub fn add(s: &mut Vec<u8>, ele: &[u8], max_bytes: usize) -> Result<bool, Corrupt> {
    let (index, count) = pattern(ele);
    set_register(s, index, count, max_bytes)
}

/// Folds `s` into `max` (one byte per register): `max[i] = max(max[i], reg[i])`.
pub fn merge_into(max: &mut [u8], s: &[u8]) -> Result<(), Corrupt> {
    if s[4] == DENSE {
        for (i, m) in max.iter_mut().enumerate() {
            *m = (*m).max(dense_get(&s[HDR..], i));
        }
        Ok(())
    } else {
        sparse_runs(&s[HDR..], |idx, len, v| {
            if v != 0 {
                max[idx..idx + len].iter_mut().for_each(|m| *m = (*m).max(v));
            }
        })
    }
}

/// The cardinality estimate of a valid HLL (ignoring its cache).
pub fn count(s: &[u8]) -> Result<u64, Corrupt> {
    let mut histo = [0u32; 64];
    if s[4] == DENSE {
        (0..REGISTERS).for_each(|i| histo[dense_get(&s[HDR..], i) as usize] += 1);
    } else {
        sparse_runs(&s[HDR..], |_, len, v| histo[v as usize] += len as u32)?;
    }
    Ok(estimate(&histo))
}

/// The cardinality estimate of registers held one per byte (a PFCOUNT merge).
pub fn count_raw(regs: &[u8]) -> u64 {
    let mut histo = [0u32; 64];
    regs.iter().for_each(|&r| histo[r as usize] += 1);
    estimate(&histo)
}

/// Ertl's improved estimator ("New cardinality estimation algorithms for
/// HyperLogLog sketches", arXiv:1702.01284) from the register histogram,
/// with Redis's operation order so the result matches to the unit.
fn estimate(histo: &[u32; 64]) -> u64 {
    const ALPHA_INF: f64 = 0.7213475204444817; // 0.5 / ln 2
    let m = REGISTERS as f64;
    let mut z = m * tau((m - histo[Q + 1] as f64) / m);
    for j in (1..=Q).rev() {
        z += histo[j] as f64;
        z *= 0.5;
    }
    z += m * sigma(histo[0] as f64 / m);
    (ALPHA_INF * m * m / z).round() as u64
}

fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let (mut y, mut z) = (1.0, x);
    loop {
        x *= x;
        let prev = z;
        z += x * y;
        y += y;
        if prev == z {
            return z;
        }
    }
}

fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let (mut y, mut z) = (1.0, 1.0 - x);
    loop {
        x = x.sqrt();
        let prev = z;
        y *= 0.5;
        z -= (1.0 - x) * (1.0 - x) * y;
        if prev == z {
            return z / 3.0;
        }
    }
}

/// The sparse opcodes as PFDEBUG DECODE prints them (`z:len Z:len v:value,len`).
pub fn decode(s: &[u8]) -> String {
    let (mut out, mut p, body) = (Vec::new(), 0, &s[HDR..]);
    while p < body.len() {
        let b = body[p];
        if is_zero(b) {
            out.push(format!("z:{}", zero_len(b)));
            p += 1;
        } else if is_xzero(b) {
            out.push(format!("Z:{}", xzero_len(b, body.get(p + 1).copied().unwrap_or(0))));
            p += 2;
        } else {
            out.push(format!("v:{},{}", val_value(b), val_len(b)));
            p += 1;
        }
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_hll_matches_redis() {
        let h = new_sparse();
        assert_eq!(h, b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\0\x7f\xff");
        assert!(is_valid(&h));
        assert_eq!(count(&h), Ok(0));
        assert_eq!(decode(&h), "Z:16384");
    }

    #[test]
    fn dense_registers_round_trip() {
        let mut r = vec![0u8; DENSE_SIZE - HDR];
        for i in 0..REGISTERS {
            dense_put(&mut r, i, (i * 7 % 64) as u8);
        }
        for i in 0..REGISTERS {
            assert_eq!(dense_get(&r, i), (i * 7 % 64) as u8);
        }
    }

    #[test]
    fn sparse_and_dense_agree() {
        let mut sparse = new_sparse();
        let mut dense = new_sparse();
        to_dense(&mut dense).unwrap();
        for i in 0..3000u32 {
            let e = i.to_string();
            assert_eq!(add(&mut sparse, e.as_bytes(), 100_000), add(&mut dense, e.as_bytes(), 100_000));
        }
        assert!(is_sparse(&sparse));
        assert_eq!(count(&sparse), count(&dense));
        let mut converted = sparse.clone();
        to_dense(&mut converted).unwrap();
        assert_eq!(converted[HDR..], dense[HDR..]);
        let (mut a, mut b) = (vec![0u8; REGISTERS], vec![0u8; REGISTERS]);
        merge_into(&mut a, &sparse).unwrap();
        merge_into(&mut b, &dense).unwrap();
        assert_eq!(a, b);
        assert_eq!(count_raw(&a), count(&dense).unwrap());
    }

    #[test]
    fn promotes_past_the_size_limit() {
        let mut h = new_sparse();
        for i in 0..2000u32 {
            add(&mut h, &i.to_le_bytes(), 300).unwrap();
            assert!(h.len() <= 300 || !is_sparse(&h));
        }
        assert!(!is_sparse(&h));
        assert_eq!(h.len(), DENSE_SIZE);
    }

    #[test]
    fn corrupt_sparse_is_detected() {
        let mut h = new_sparse();
        h.truncate(HDR + 1); // XZERO cut in half
        assert_eq!(count(&h), Err(Corrupt));
        let mut h = new_sparse();
        h.push(0x00); // one register too many
        assert_eq!(to_dense(&mut h), Err(Corrupt));
        assert_eq!(count(&h), Err(Corrupt));
    }
}
