//! Incremental request parser: multibulk (`*N\r\n$len\r\n...`) and inline
//! (`PING\r\n`) requests, with Redis's limits and protocol error strings.

use bytes::{Bytes, BytesMut};
use std::fmt;

/// Largest bulk argument Redis accepts by default (`proto-max-bulk-len`).
pub const MAX_BULK_LEN: usize = 512 * 1024 * 1024;
/// Longest inline request or `*`/`$` header line Redis accepts (`PROTO_INLINE_MAX_SIZE`).
pub const MAX_INLINE_LEN: usize = 64 * 1024;
/// Unauthenticated clients may not announce more arguments or longer bulks than this.
const UNAUTH_MAX_ARGS: usize = 10;
const UNAUTH_MAX_BULK: usize = 16384;

/// A protocol error: Redis replies `-ERR Protocol error: <msg>` and closes the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError(pub String);

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Protocol error: {}", self.0)
    }
}

impl std::error::Error for ProtocolError {}

fn err<T>(msg: impl Into<String>) -> Result<T, ProtocolError> {
    Err(ProtocolError(msg.into()))
}

/// Parses requests out of a connection's read buffer.
///
/// Keeps its progress through a partly received multibulk request, so a large
/// request arriving in many reads is scanned once, not once per read.
#[derive(Debug, Default)]
pub struct RequestParser {
    /// Arguments announced by the `*N` header of the request in progress.
    expected: Option<usize>,
    /// (start, end) of each argument parsed so far, as offsets into the buffer.
    spans: Vec<(usize, usize)>,
    /// Offset of the next unparsed byte of the request in progress.
    pos: usize,
    /// Whether the client may send large requests (authenticated, or no password set).
    pub authenticated: bool,
}

impl RequestParser {
    pub fn new(authenticated: bool) -> Self {
        RequestParser { authenticated, ..Default::default() }
    }

    /// Parses the next complete request at the start of `buf`, removing its bytes.
    ///
    /// `Ok(None)` means more bytes are needed. Empty requests (`*0`, a blank
    /// inline line) are consumed and skipped, as Redis does.
    pub fn parse(&mut self, buf: &mut BytesMut) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        loop {
            if buf.is_empty() {
                return Ok(None);
            }
            let res = if buf[0] == b'*' { self.parse_multibulk(buf)? } else { parse_inline(buf)? };
            match res {
                Parsed::Incomplete => return Ok(None),
                Parsed::Empty => continue,
                Parsed::Request(args) => return Ok(Some(args)),
            }
        }
    }

    /// How many more bytes the request in progress needs at least, when known.
    /// Lets the reader grow its buffer once for a large bulk.
    pub fn bytes_wanted(&self, buf: &BytesMut) -> usize {
        match self.spans.last() {
            Some(&(_, end)) if end + 2 > buf.len() => end + 2 - buf.len(),
            _ => 0,
        }
    }

    fn parse_multibulk(&mut self, buf: &mut BytesMut) -> Result<Parsed, ProtocolError> {
        if self.expected.is_none() {
            let Some((n, next)) = read_header(buf, 0, "too big mbulk count string")? else {
                return Ok(Parsed::Incomplete);
            };
            if n > i32::MAX as i64 {
                return err("invalid multibulk length");
            }
            if n <= 0 {
                let _ = buf.split_to(next);
                return Ok(Parsed::Empty);
            }
            if n as usize > UNAUTH_MAX_ARGS && !self.authenticated {
                return err("unauthenticated multibulk length");
            }
            self.expected = Some(n as usize);
            self.spans.clear();
            self.spans.reserve((n as usize).min(1024));
            self.pos = next;
        }
        let expected = self.expected.unwrap_or(0);
        while self.spans.len() < expected {
            // Wait for the previous argument's payload before reading the next header.
            if let Some(&(_, end)) = self.spans.last() {
                if end + 2 > buf.len() {
                    return Ok(Parsed::Incomplete);
                }
            }
            if self.pos >= buf.len() {
                return Ok(Parsed::Incomplete);
            }
            if buf[self.pos] != b'$' {
                let got = buf[self.pos] as char;
                return err(format!("expected '$', got '{got}'"));
            }
            let Some((len, next)) = read_header(buf, self.pos, "too big bulk count string")? else {
                return Ok(Parsed::Incomplete);
            };
            if len < 0 || len as usize > MAX_BULK_LEN {
                return err("invalid bulk length");
            }
            if len as usize > UNAUTH_MAX_BULK && !self.authenticated {
                return err("unauthenticated bulk length");
            }
            let end = next + len as usize;
            self.spans.push((next, end));
            self.pos = end + 2;
        }
        if let Some(&(_, end)) = self.spans.last() {
            if end + 2 > buf.len() {
                return Ok(Parsed::Incomplete);
            }
        }
        // Like Redis, the two bytes after a bulk payload are assumed to be CRLF.
        let frame = buf.split_to(self.pos).freeze();
        let args = self.spans.iter().map(|&(s, e)| frame.slice(s..e)).collect();
        self.expected = None;
        self.spans.clear();
        self.pos = 0;
        Ok(Parsed::Request(args))
    }
}

enum Parsed {
    Incomplete,
    Empty,
    Request(Vec<Bytes>),
}

/// Reads a `*N\r\n` or `$N\r\n` header line at `at`; returns N and the offset after the line.
fn read_header(buf: &[u8], at: usize, too_big: &str) -> Result<Option<(i64, usize)>, ProtocolError> {
    let Some(nl) = memchr(b'\r', &buf[at..]) else {
        if buf.len() - at > MAX_INLINE_LEN {
            return err(too_big);
        }
        return Ok(None);
    };
    let line_end = at + nl;
    if line_end + 1 >= buf.len() {
        return Ok(None);
    }
    let digits = &buf[at + 1..line_end];
    let is_mbulk = buf[at] == b'*';
    match parse_i64(digits) {
        Some(n) => Ok(Some((n, line_end + 2))),
        None if is_mbulk => err("invalid multibulk length"),
        None => err("invalid bulk length"),
    }
}

fn parse_inline(buf: &mut BytesMut) -> Result<Parsed, ProtocolError> {
    let Some(nl) = memchr(b'\n', buf) else {
        if buf.len() > MAX_INLINE_LEN {
            return err("too big inline request");
        }
        return Ok(Parsed::Incomplete);
    };
    let line = buf.split_to(nl + 1).freeze();
    let mut text = &line[..nl];
    if text.last() == Some(&b'\r') {
        text = &text[..text.len() - 1];
    }
    let args = split_args(text).ok_or_else(|| ProtocolError("unbalanced quotes in request".into()))?;
    if args.is_empty() {
        return Ok(Parsed::Empty);
    }
    Ok(Parsed::Request(args.into_iter().map(Bytes::from).collect()))
}

/// Splits an inline request into arguments with Redis's `sdssplitargs` rules:
/// whitespace separates, "double quotes" take C escapes, 'single quotes' take `\'`.
/// `None` for unbalanced quotes, or a closing quote not followed by a space.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut args = Vec::new();
    let mut i = 0;
    let n = line.len();
    loop {
        while i < n && line[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= n {
            return Some(args);
        }
        let mut cur = Vec::new();
        let (mut inq, mut insq) = (false, false);
        loop {
            if inq {
                if i >= n {
                    return None;
                }
                let c = line[i];
                if c == b'\\' && i + 3 < n && line[i + 1] == b'x' && is_hex(line[i + 2]) && is_hex(line[i + 3]) {
                    cur.push(hex(line[i + 2]) * 16 + hex(line[i + 3]));
                    i += 3;
                } else if c == b'\\' && i + 1 < n {
                    i += 1;
                    cur.push(match line[i] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 8,
                        b'a' => 7,
                        other => other,
                    });
                } else if c == b'"' {
                    if i + 1 < n && !line[i + 1].is_ascii_whitespace() {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    cur.push(c);
                }
            } else if insq {
                if i >= n {
                    return None;
                }
                let c = line[i];
                if c == b'\\' && i + 1 < n && line[i + 1] == b'\'' {
                    i += 1;
                    cur.push(b'\'');
                } else if c == b'\'' {
                    if i + 1 < n && !line[i + 1].is_ascii_whitespace() {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    cur.push(c);
                }
            } else {
                if i >= n {
                    break;
                }
                match line[i] {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => {
                        i += 1;
                        break;
                    }
                    b'"' => inq = true,
                    b'\'' => insq = true,
                    c => cur.push(c),
                }
            }
            i += 1;
        }
        args.push(cur);
    }
}

fn is_hex(c: u8) -> bool {
    c.is_ascii_hexdigit()
}

fn hex(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => c - b'A' + 10,
    }
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&c| c == needle)
}

/// Strict decimal i64, as Redis's `string2ll`: no spaces, no `+`, no leading zeros.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (neg, digits) = if s[0] == b'-' { (true, &s[1..]) } else { (false, s) };
    if digits.is_empty() || digits[0] == b'0' {
        return None;
    }
    let mut v: i64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        let d = (c - b'0') as i64;
        v = if neg { v.checked_mul(10)?.checked_sub(d)? } else { v.checked_mul(10)?.checked_add(d)? };
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(input: &[u8]) -> Result<Vec<Vec<Bytes>>, ProtocolError> {
        let mut p = RequestParser::new(true);
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        while let Some(req) = p.parse(&mut buf)? {
            out.push(req);
        }
        Ok(out)
    }

    #[test]
    fn multibulk_and_pipeline() {
        let reqs = parse_all(b"*2\r\n$3\r\nGET\r\n$1\r\na\r\n*1\r\n$4\r\nPING\r\n").unwrap();
        assert_eq!(reqs, vec![vec![Bytes::from("GET"), Bytes::from("a")], vec![Bytes::from("PING")]]);
    }

    #[test]
    fn byte_by_byte_equals_whole() {
        let input = b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$0\r\n\r\nPING\r\n*0\r\n*1\r\n$1\r\nx\r\n";
        let whole = parse_all(input).unwrap();
        let mut p = RequestParser::new(true);
        let mut buf = BytesMut::new();
        let mut got = Vec::new();
        for &b in input.iter() {
            buf.extend_from_slice(&[b]);
            while let Some(req) = p.parse(&mut buf).unwrap() {
                got.push(req);
            }
        }
        assert_eq!(got, whole);
        assert_eq!(whole.len(), 3);
    }

    #[test]
    fn inline_with_quotes() {
        let reqs = parse_all(b"SET a \"b c\\n\" 'd\\'e'\r\n\r\nPING\n").unwrap();
        assert_eq!(reqs[0], vec![Bytes::from("SET"), Bytes::from("a"), Bytes::from("b c\n"), Bytes::from("d'e")]);
        assert_eq!(reqs[1], vec![Bytes::from("PING")]);
    }

    #[test]
    fn protocol_errors_match_redis() {
        let e = |input: &[u8]| parse_all(input).unwrap_err().to_string();
        assert_eq!(e(b"*abc\r\n"), "Protocol error: invalid multibulk length");
        assert_eq!(e(b"*1\r\n$abc\r\n"), "Protocol error: invalid bulk length");
        assert_eq!(e(b"*1\r\n$600000000\r\n"), "Protocol error: invalid bulk length");
        assert_eq!(e(b"*1\r\nfoo\r\n"), "Protocol error: expected '$', got 'f'");
        assert_eq!(e(b"SET a \"b\r\n"), "Protocol error: unbalanced quotes in request");
        assert_eq!(e(&[b'x'; MAX_INLINE_LEN + 1]), "Protocol error: too big inline request");
    }

    #[test]
    fn unauthenticated_limits() {
        let mut p = RequestParser::new(false);
        let mut buf = BytesMut::from(&b"*11\r\n"[..]);
        assert_eq!(p.parse(&mut buf).unwrap_err().0, "unauthenticated multibulk length");
    }

    #[test]
    fn strict_integers() {
        assert_eq!(parse_i64(b"123"), Some(123));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64(b"9223372036854775808"), None);
        assert_eq!(parse_i64(b"012"), None);
        assert_eq!(parse_i64(b"+1"), None);
        assert_eq!(parse_i64(b" 1"), None);
        assert_eq!(parse_i64(b"-0"), None);
    }
}
