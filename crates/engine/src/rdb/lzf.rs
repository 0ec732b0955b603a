//! LZF decompression (Redis compresses strings longer than 20 bytes in RDB
//! files and DUMP payloads when `rdbcompression` is on, its default).

/// Decompresses `input` into exactly `len` bytes; `None` if the data is
/// corrupt or does not decompress to `len` bytes. Output never grows past `len`.
pub fn decompress(input: &[u8], len: usize) -> Option<Vec<u8>> {
    // A corrupt length must not reserve gigabytes: LZF expands at most ~100x.
    let mut out = Vec::with_capacity(len.min(input.len().saturating_mul(128) + 64));
    let mut i = 0;
    while i < input.len() {
        let ctrl = input[i] as usize;
        i += 1;
        if ctrl < 32 {
            // A literal run of ctrl + 1 bytes.
            let run = ctrl + 1;
            let lit = input.get(i..i + run)?;
            if out.len() + run > len {
                return None;
            }
            out.extend_from_slice(lit);
            i += run;
        } else {
            // A back reference: length in the top 3 bits (7: one more byte), offset in 13 bits.
            let mut run = ctrl >> 5;
            if run == 7 {
                run += *input.get(i)? as usize;
                i += 1;
            }
            run += 2;
            let back = ((ctrl & 0x1f) << 8) + *input.get(i)? as usize + 1;
            i += 1;
            if back > out.len() || out.len() + run > len {
                return None;
            }
            let start = out.len() - back;
            // Byte by byte: the reference may overlap what it produces.
            for k in 0..run {
                out.push(out[start + k]);
            }
        }
    }
    (out.len() == len).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_and_back_references() {
        // Literal "a", then 7 + 0 + 2 = 9 bytes copied from distance 1 (overlapping).
        assert_eq!(decompress(&[0, b'a', 7 << 5, 0, 0], 10).as_deref(), Some(&[b'a'; 10][..]));
        assert_eq!(decompress(&[0, b'a', 6 << 5, 0], 9).as_deref(), Some(&[b'a'; 9][..]));
        assert_eq!(decompress(&[2, b'a', b'b', b'c'], 3).as_deref(), Some(&b"abc"[..]));
        // Corrupt: back reference before the start, truncated literal, wrong length.
        assert_eq!(decompress(&[(1 << 5), 5], 3), None);
        assert_eq!(decompress(&[5, b'a'], 6), None);
        assert_eq!(decompress(&[2, b'a', b'b', b'c'], 4), None);
    }
}
