//! Argument parsing and the error replies Redis uses for bad arguments.

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
