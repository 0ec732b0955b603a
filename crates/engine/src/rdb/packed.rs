//! Readers for the packed blobs older and current Redis versions store
//! small collections in: ziplist (before 7.0), listpack (7.0) and intset.
//! Every read is bounds-checked: a corrupt blob is an error, never a panic.

use super::Error;
use bytes::Bytes;

fn corrupt(what: &str) -> Error {
    Error::Corrupt(what.to_string())
}

fn int_text(v: i64) -> Bytes {
    Bytes::from(v.to_string())
}

fn get(b: &[u8], at: usize, n: usize) -> Result<&[u8], Error> {
    at.checked_add(n).and_then(|end| b.get(at..end)).ok_or_else(|| corrupt("packed entry out of bounds"))
}

fn le(b: &[u8]) -> u64 {
    b.iter().rev().fold(0u64, |v, &x| v << 8 | x as u64)
}

/// Sign-extends the low `bits` bits of `v`.
fn signed(v: u64, bits: u32) -> i64 {
    ((v << (64 - bits)) as i64) >> (64 - bits)
}

/// The entries of a ziplist, integers as their decimal text.
pub fn ziplist(b: &[u8]) -> Result<Vec<Bytes>, Error> {
    if b.len() < 11 || le(get(b, 0, 4)?) as usize != b.len() || b[b.len() - 1] != 0xff {
        return Err(corrupt("ziplist header"));
    }
    let mut out = Vec::new();
    let mut at = 10;
    loop {
        let first = *b.get(at).ok_or_else(|| corrupt("ziplist without end"))?;
        if first == 0xff {
            break;
        }
        // The previous entry's length: 1 byte, or 0xfe and 4 bytes.
        at += if first == 0xfe { 5 } else { 1 };
        let enc = *get(b, at, 1)?.first().expect("one byte");
        let entry = match enc >> 6 {
            0 => {
                let n = (enc & 0x3f) as usize;
                at += 1;
                Bytes::copy_from_slice(get(b, at, n).inspect(|_| at += n)?)
            }
            1 => {
                let n = ((enc as usize & 0x3f) << 8) | *get(b, at + 1, 1)?.first().expect("one byte") as usize;
                at += 2;
                Bytes::copy_from_slice(get(b, at, n).inspect(|_| at += n)?)
            }
            2 => {
                let n = u32::from_be_bytes(get(b, at + 1, 4)?.try_into().expect("4 bytes")) as usize;
                at += 5;
                Bytes::copy_from_slice(get(b, at, n).inspect(|_| at += n)?)
            }
            _ => {
                at += 1;
                let (width, bits) = match enc {
                    0xc0 => (2, 16),
                    0xd0 => (4, 32),
                    0xe0 => (8, 64),
                    0xf0 => (3, 24),
                    0xfe => (1, 8),
                    0xf1..=0xfd => (0, 0),
                    _ => return Err(corrupt("ziplist entry encoding")),
                };
                let v = if width == 0 { (enc & 0x0f) as i64 - 1 } else { signed(le(get(b, at, width)?), bits) };
                at += width;
                int_text(v)
            }
        };
        out.push(entry);
    }
    if at != b.len() - 1 {
        return Err(corrupt("ziplist end"));
    }
    Ok(out)
}

/// Bytes a listpack entry's trailing back-length takes for an entry of `n` bytes.
fn backlen_size(n: usize) -> usize {
    match n {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2097150 => 3,
        2097151..=268435454 => 4,
        _ => 5,
    }
}

/// The entries of a listpack, integers as their decimal text.
pub fn listpack(b: &[u8]) -> Result<Vec<Bytes>, Error> {
    if b.len() < 7 || le(get(b, 0, 4)?) as usize != b.len() || b[b.len() - 1] != 0xff {
        return Err(corrupt("listpack header"));
    }
    let mut out = Vec::new();
    let mut at = 6;
    loop {
        let enc = *b.get(at).ok_or_else(|| corrupt("listpack without end"))?;
        if enc == 0xff {
            break;
        }
        let start = at;
        let str_at = |hdr: usize, n: usize| -> Result<(Bytes, usize), Error> {
            Ok((Bytes::copy_from_slice(get(b, start + hdr, n)?), hdr + n))
        };
        let int_at = |hdr: usize, width: usize| -> Result<(Bytes, usize), Error> {
            Ok((int_text(signed(le(get(b, start + hdr, width)?), width as u32 * 8)), hdr + width))
        };
        let (entry, size) = if enc & 0x80 == 0 {
            (int_text((enc & 0x7f) as i64), 1)
        } else if enc & 0xc0 == 0x80 {
            str_at(1, (enc & 0x3f) as usize)?
        } else if enc & 0xe0 == 0xc0 {
            let v = ((enc as u64 & 0x1f) << 8) | get(b, at + 1, 1)?[0] as u64;
            (int_text(signed(v, 13)), 2)
        } else if enc & 0xf0 == 0xe0 {
            str_at(2, ((enc as usize & 0x0f) << 8) | get(b, at + 1, 1)?[0] as usize)?
        } else {
            match enc {
                0xf0 => str_at(5, le(get(b, at + 1, 4)?) as usize)?,
                0xf1 => int_at(1, 2)?,
                0xf2 => int_at(1, 3)?,
                0xf3 => int_at(1, 4)?,
                0xf4 => int_at(1, 8)?,
                _ => return Err(corrupt("listpack entry encoding")),
            }
        };
        at = start + size + backlen_size(size);
        out.push(entry);
    }
    if at != b.len() - 1 {
        return Err(corrupt("listpack end"));
    }
    Ok(out)
}

/// The members of an intset, in its (ascending) order.
pub fn intset(b: &[u8]) -> Result<Vec<i64>, Error> {
    let width = le(get(b, 0, 4)?) as usize;
    let len = le(get(b, 4, 4)?) as usize;
    if !matches!(width, 2 | 4 | 8) || len.checked_mul(width).and_then(|n| n.checked_add(8)) != Some(b.len()) {
        return Err(corrupt("intset header"));
    }
    Ok(b[8..].chunks_exact(width).map(|c| signed(le(c), width as u32 * 8)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listpack_entries() {
        // Built by hand: "a", 5, -3 (13-bit), 1000 (13-bit), 70000 (int24), "" then end.
        let mut body = vec![0x81, b'a', 2, 5, 1];
        body.extend([0xdf, 0xfd, 2]); // -3 in 13 bits: 0x1ffd
        body.extend([0xc3, 0xe8, 2]); // 1000
        body.extend([0xf2, 0x70, 0x11, 0x01, 4]); // 70000
        body.extend([0x80, 1]);
        let mut b = ((body.len() + 7) as u32).to_le_bytes().to_vec();
        b.extend(6u16.to_le_bytes());
        b.extend(body);
        b.push(0xff);
        let got = listpack(&b).unwrap();
        assert_eq!(got, ["a", "5", "-3", "1000", "70000", ""].map(|s| Bytes::from(s.to_string())).to_vec());
        let mut bad = b.clone();
        bad.truncate(b.len() - 3);
        assert!(listpack(&bad).is_err());
    }

    #[test]
    fn ziplist_entries() {
        // "ab", 12 (immediate), -2 (int8), 300 (int16), then end.
        let mut body = vec![0, 0x02, b'a', b'b', 4, 0xfd, 2, 0xfe, 0xfe, 3, 0xc0, 0x2c, 0x01];
        body.push(0xff);
        let mut b = ((body.len() + 10) as u32).to_le_bytes().to_vec();
        b.extend(0u32.to_le_bytes());
        b.extend(4u16.to_le_bytes());
        b.extend(body);
        let got = ziplist(&b).unwrap();
        assert_eq!(got, ["ab", "12", "-2", "300"].map(|s| Bytes::from(s.to_string())).to_vec());
        assert!(ziplist(&b[..b.len() - 2]).is_err());
    }

    #[test]
    fn intset_members() {
        let mut b = 2u32.to_le_bytes().to_vec();
        b.extend(2u32.to_le_bytes());
        b.extend((-5i16).to_le_bytes());
        b.extend(7i16.to_le_bytes());
        assert_eq!(intset(&b).unwrap(), vec![-5, 7]);
        assert!(intset(&b[..10]).is_err());
    }
}
