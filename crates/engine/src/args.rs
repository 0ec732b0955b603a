//! Argument parsing and the error replies Redis uses for bad arguments.

use bytes::Bytes;
use resp::Reply;

pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
pub const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
pub const NOT_FLOAT: &str = "ERR value is not a valid float";
pub const SYNTAX: &str = "ERR syntax error";
pub const OVERFLOW: &str = "ERR increment or decrement would overflow";
pub const NO_SUCH_KEY: &str = "ERR no such key";
pub const TOO_BIG: &str = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
/// Largest string value (`proto-max-bulk-len`).
pub const MAX_STRING: usize = 512 * 1024 * 1024;

pub fn err(msg: &str) -> Reply {
    Reply::error(msg)
}

pub fn wrong_args(cmd: &[u8]) -> Reply {
    Reply::error(format!("ERR wrong number of arguments for '{}' command", lower(cmd)))
}

pub fn lower(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_lowercase()
}

pub fn eq_ic(a: &[u8], b: &str) -> bool {
    a.eq_ignore_ascii_case(b.as_bytes())
}

pub fn int(arg: &[u8]) -> Result<i64, Reply> {
    resp::parse_i64(arg).ok_or_else(|| err(NOT_INTEGER))
}

/// A float as Redis's `string2ld` takes it: no leading space, nothing after, not NaN.
pub fn parse_float(arg: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(arg).ok()?;
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_whitespace()) {
        return None;
    }
    let v: f64 = s.parse().ok()?;
    (!v.is_nan()).then_some(v)
}

/// A blocking command's timeout, seconds as a float, in milliseconds (0: none),
/// as Redis's `getTimeoutFromObjectOrReply` reads it.
pub fn timeout_ms(arg: &[u8]) -> Result<u64, Reply> {
    let secs = parse_float(arg).ok_or_else(|| err("ERR timeout is not a float or out of range"))?;
    let ms = (secs * 1000.0).trunc();
    // Redis casts to long long: out of range (infinities too) that is LLONG_MIN on x86, "negative".
    if !(0.0..i64::MAX as f64).contains(&ms) {
        return Err(err("ERR timeout is negative"));
    }
    Ok(ms as u64)
}

/// A cursor of HSCAN/SSCAN/ZSCAN, read as C's `strtoul` reads it: empty is 0,
/// a sign is allowed and `-1` wraps around; anything else is an invalid cursor.
pub fn parse_cursor(arg: &[u8]) -> Result<u64, Reply> {
    let (negative, digits) = match arg.split_first() {
        None => return Ok(0),
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        Some(_) => (false, arg),
    };
    let v = (!digits.is_empty() && digits.iter().all(u8::is_ascii_digit))
        .then(|| digits.iter().try_fold(0u64, |v, &d| v.checked_mul(10)?.checked_add((d - b'0') as u64)))
        .flatten()
        .ok_or_else(|| err("ERR invalid cursor"))?;
    Ok(if negative { v.wrapping_neg() } else { v })
}

/// The COUNT and MATCH options of HSCAN/SSCAN/ZSCAN (`args` from the first
/// option on). A MATCH of `*` is no filter.
pub fn scan_options(args: &[Bytes]) -> Result<(usize, Option<&Bytes>), Reply> {
    let (mut count, mut pattern) = (10usize, None);
    for pair in args.chunks(2) {
        match pair {
            [opt, n] if eq_ic(opt, "count") => match int(n)? {
                n if n >= 1 => count = n as usize,
                _ => return Err(err(SYNTAX)),
            },
            [opt, p] if eq_ic(opt, "match") => pattern = Some(p).filter(|p| &p[..] != b"*"),
            _ => return Err(err(SYNTAX)),
        }
    }
    Ok((count, pattern))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_parse_like_strtoul() {
        assert_eq!(parse_cursor(b""), Ok(0));
        assert_eq!(parse_cursor(b"42"), Ok(42));
        assert_eq!(parse_cursor(b"+7"), Ok(7));
        assert_eq!(parse_cursor(b"-1"), Ok(u64::MAX));
        assert_eq!(parse_cursor(b"18446744073709551615"), Ok(u64::MAX));
        for bad in [&b"18446744073709551616"[..], b"-", b"+", b" 1", b"1x", b"0x10"] {
            assert!(parse_cursor(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn scan_options_as_redis() {
        let args = |v: &[&str]| v.iter().map(|s| Bytes::from(s.to_string())).collect::<Vec<_>>();
        assert_eq!(scan_options(&args(&[])).unwrap(), (10, None));
        let a = args(&["MATCH", "f*", "count", "3"]);
        assert_eq!(scan_options(&a).unwrap(), (3, Some(&a[1])));
        assert_eq!(scan_options(&args(&["match", "*"])).unwrap(), (10, None));
        for bad in [&["COUNT"][..], &["COUNT", "0"], &["COUNT", "x"], &["FOO", "1"], &["MATCH", "a", "COUNT"]] {
            assert!(scan_options(&args(bad)).is_err(), "{bad:?}");
        }
    }
}
