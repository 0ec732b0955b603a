//! INCRBYFLOAT's arithmetic, in C's `long double` as Redis does it (see csrc/longdouble.c).

use std::os::raw::{c_char, c_int};

extern "C" {
    fn tessera_ld_incr(
        cur: *const c_char,
        curlen: usize,
        has_cur: c_int,
        incr: *const c_char,
        incrlen: usize,
        out: *mut c_char,
        outcap: usize,
        outlen: *mut usize,
    ) -> c_int;
}

#[derive(Debug, PartialEq)]
pub enum IncrError {
    CurrentNotFloat,
    IncrementNotFloat,
    NotFinite,
}

/// `current + increment` as Redis's INCRBYFLOAT computes and prints it.
pub fn incr_by_float(current: Option<&[u8]>, increment: &[u8]) -> Result<String, IncrError> {
    let mut out = vec![0u8; 5 * 1024 + 64];
    let mut len = 0usize;
    let cur = current.unwrap_or(b"");
    // SAFETY: every pointer is valid for the length passed with it, and the C
    // side writes at most `out.len()` bytes into `out` and sets `len` within it.
    let rc = unsafe {
        tessera_ld_incr(
            cur.as_ptr().cast(),
            cur.len(),
            current.is_some() as c_int,
            increment.as_ptr().cast(),
            increment.len(),
            out.as_mut_ptr().cast(),
            out.len(),
            &mut len,
        )
    };
    match rc {
        0 => {
            out.truncate(len);
            Ok(String::from_utf8(out).expect("printf writes ASCII"))
        }
        1 => Err(IncrError::CurrentNotFloat),
        2 => Err(IncrError::IncrementNotFloat),
        _ => Err(IncrError::NotFinite),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_redis() {
        assert_eq!(incr_by_float(Some(b"0.1"), b"0.2").unwrap(), "0.3");
        assert_eq!(incr_by_float(Some(b"10.5"), b"0.1").unwrap(), "10.6");
        assert_eq!(incr_by_float(None, b"5e-20").unwrap(), "0");
        assert_eq!(incr_by_float(Some(b"1e17"), b"1").unwrap(), "100000000000000001");
        assert_eq!(incr_by_float(Some(b"abc"), b"1"), Err(IncrError::CurrentNotFloat));
        assert_eq!(incr_by_float(Some(b"1"), b" 1"), Err(IncrError::IncrementNotFloat));
        assert_eq!(incr_by_float(Some(b"1"), b"inf"), Err(IncrError::NotFinite));
        assert_eq!(incr_by_float(Some(b"\x00\r\n3.5"), b"1"), Err(IncrError::CurrentNotFloat));
    }
}
