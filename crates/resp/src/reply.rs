//! Replies, and their encoding for RESP2 and RESP3.

use crate::format_double;
use bytes::{BufMut, Bytes, BytesMut};

/// Longest bulk string a reply holds inline (keeps `Reply` at 40 bytes).
pub const INLINE_BULK: usize = 38;

/// One reply. Commands build these; the connection encodes them for the
/// protocol version the client chose with HELLO.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// `+OK`
    Ok,
    /// A simple string (`+PONG`, `+string`).
    Status(Bytes),
    /// An error line, including its code: `ERR syntax error`, `WRONGTYPE ...`.
    Error(Bytes),
    Int(i64),
    Bulk(Bytes),
    /// A short bulk string copied into the reply: GET of a small value then
    /// touches only the value's bytes, not a shared buffer's reference count
    /// (a cache miss and two atomics per request). Build it with `Reply::bulk_copy`.
    InlineBulk {
        len: u8,
        data: [u8; INLINE_BULK],
    },
    /// Null bulk string: `$-1` in RESP2, `_` in RESP3.
    Nil,
    /// Null array: `*-1` in RESP2, `_` in RESP3.
    NilArray,
    Array(Vec<Reply>),
    /// A map in RESP3, a flat array of pairs in RESP2.
    Map(Vec<(Reply, Reply)>),
    /// A set in RESP3, an array in RESP2.
    Set(Vec<Reply>),
    /// An array of two-element arrays in RESP3, a flat array in RESP2
    /// (ZRANGE ... WITHSCORES, HRANDFIELD ... WITHVALUES).
    Pairs(Vec<(Reply, Reply)>),
    /// A double in RESP3, a bulk string in RESP2.
    Double(f64),
    /// A double already formatted (GEOPOS's coordinates, which Redis prints
    /// `%.17Lf`): `,text` in RESP3, a bulk string in RESP2.
    DoubleText(Bytes),
    /// A boolean in RESP3, 1/0 in RESP2.
    Bool(bool),
    /// Verbatim text (`=len\r\ntxt:...`) in RESP3, a bulk string in RESP2.
    Verbatim(Bytes),
}

impl Reply {
    pub fn error(msg: impl Into<String>) -> Reply {
        Reply::Error(Bytes::from(msg.into()))
    }

    pub fn status(s: &'static str) -> Reply {
        Reply::Status(Bytes::from_static(s.as_bytes()))
    }

    /// A container command's HELP reply: one status line each.
    pub fn help(lines: &[&'static str]) -> Reply {
        Reply::Array(lines.iter().map(|l| Reply::status(l)).collect())
    }

    /// Redis's reply to `<COMMAND> <sub>` where `sub` is not one of its subcommands.
    pub fn unknown_subcommand(command: &str, sub: &[u8]) -> Reply {
        Reply::error(format!("ERR unknown subcommand '{}'. Try {command} HELP.", String::from_utf8_lossy(sub)))
    }

    /// Redis's `addReplySubcommandSyntaxError`: a subcommand it does not know, or
    /// one given the wrong number of arguments by the container's own check.
    pub fn subcommand_syntax_error(command: &str, sub: &[u8]) -> Reply {
        Reply::error(format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try {command} HELP.",
            String::from_utf8_lossy(sub)
        ))
    }

    pub fn bulk(b: impl Into<Bytes>) -> Reply {
        Reply::Bulk(b.into())
    }

    /// A bulk reply holding a copy of `b`: inline when short, else a shared `Bytes`.
    pub fn bulk_copy(b: &Bytes) -> Reply {
        if b.len() <= INLINE_BULK {
            Reply::bulk_slice(b)
        } else {
            Reply::Bulk(b.clone())
        }
    }

    /// A bulk reply holding a copy of `b`: inline when short.
    pub fn bulk_slice(b: &[u8]) -> Reply {
        if b.len() <= INLINE_BULK {
            let mut data = [0u8; INLINE_BULK];
            data[..b.len()].copy_from_slice(b);
            Reply::InlineBulk { len: b.len() as u8, data }
        } else {
            Reply::Bulk(Bytes::copy_from_slice(b))
        }
    }

    pub fn is_error(&self) -> bool {
        matches!(self, Reply::Error(_))
    }

    /// Appends this reply, encoded for RESP3 when `resp3`, else RESP2.
    pub fn encode(&self, out: &mut BytesMut, resp3: bool) {
        match self {
            Reply::Ok => out.put_slice(b"+OK\r\n"),
            Reply::Status(s) => line(out, b'+', s),
            Reply::Error(e) => {
                // An error must stay on one line, as Redis makes sure.
                out.put_u8(b'-');
                out.extend(e.iter().map(|&c| if c == b'\r' || c == b'\n' { b' ' } else { c }));
                out.put_slice(b"\r\n");
            }
            Reply::Int(n) => int_line(out, b':', *n),
            Reply::Bulk(b) => bulk(out, b'$', b),
            Reply::InlineBulk { len, data } => bulk(out, b'$', &data[..*len as usize]),
            Reply::Nil if resp3 => out.put_slice(b"_\r\n"),
            Reply::Nil => out.put_slice(b"$-1\r\n"),
            Reply::NilArray if resp3 => out.put_slice(b"_\r\n"),
            Reply::NilArray => out.put_slice(b"*-1\r\n"),
            Reply::Array(items) => {
                int_line(out, b'*', items.len() as i64);
                items.iter().for_each(|r| r.encode(out, resp3));
            }
            Reply::Set(items) => {
                int_line(out, if resp3 { b'~' } else { b'*' }, items.len() as i64);
                items.iter().for_each(|r| r.encode(out, resp3));
            }
            Reply::Map(pairs) => {
                if resp3 {
                    int_line(out, b'%', pairs.len() as i64);
                } else {
                    int_line(out, b'*', 2 * pairs.len() as i64);
                }
                for (k, v) in pairs {
                    k.encode(out, resp3);
                    v.encode(out, resp3);
                }
            }
            Reply::Pairs(pairs) => {
                if resp3 {
                    int_line(out, b'*', pairs.len() as i64);
                } else {
                    int_line(out, b'*', 2 * pairs.len() as i64);
                }
                for (k, v) in pairs {
                    if resp3 {
                        out.put_slice(b"*2\r\n");
                    }
                    k.encode(out, resp3);
                    v.encode(out, resp3);
                }
            }
            Reply::Double(d) => {
                let s = format_double(*d);
                if resp3 {
                    line(out, b',', s.as_bytes());
                } else {
                    bulk(out, b'$', s.as_bytes());
                }
            }
            Reply::DoubleText(s) if resp3 => line(out, b',', s),
            Reply::DoubleText(s) => bulk(out, b'$', s),
            Reply::Bool(b) if resp3 => out.put_slice(if *b { b"#t\r\n" } else { b"#f\r\n" }),
            Reply::Bool(b) => int_line(out, b':', *b as i64),
            Reply::Verbatim(text) if resp3 => {
                int_line(out, b'=', text.len() as i64 + 4);
                out.put_slice(b"txt:");
                out.put_slice(text);
                out.put_slice(b"\r\n");
            }
            Reply::Verbatim(text) => bulk(out, b'$', text),
        }
    }
}

fn line(out: &mut BytesMut, prefix: u8, s: &[u8]) {
    out.reserve(s.len() + 3);
    out.put_u8(prefix);
    out.put_slice(s);
    out.put_slice(b"\r\n");
}

fn int_line(out: &mut BytesMut, prefix: u8, n: i64) {
    line(out, prefix, itoa_buf(n).as_bytes());
}

fn bulk(out: &mut BytesMut, prefix: u8, data: &[u8]) {
    int_line(out, prefix, data.len() as i64);
    out.reserve(data.len() + 2);
    out.put_slice(data);
    out.put_slice(b"\r\n");
}

/// A stack buffer holding the decimal form of an i64, without allocating.
pub struct ItoaBuf {
    digits: [u8; 20],
    start: usize,
}

impl ItoaBuf {
    pub fn as_bytes(&self) -> &[u8] {
        &self.digits[self.start..]
    }
}

/// The decimal form of `n`, on the stack.
pub fn itoa_buf(n: i64) -> ItoaBuf {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let neg = n < 0;
    let mut v = n.unsigned_abs();
    loop {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    if neg {
        i -= 1;
        digits[i] = b'-';
    }
    ItoaBuf { digits, start: i }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(r: &Reply, resp3: bool) -> String {
        let mut out = BytesMut::new();
        r.encode(&mut out, resp3);
        String::from_utf8(out.to_vec()).unwrap()
    }

    #[test]
    fn inline_bulk() {
        assert!(std::mem::size_of::<Reply>() <= 40);
        let short = Bytes::from_static(b"hello");
        assert!(matches!(Reply::bulk_copy(&short), Reply::InlineBulk { len: 5, .. }));
        assert_eq!(enc(&Reply::bulk_copy(&short), false), "$5\r\nhello\r\n");
        let long = Bytes::from(vec![b'x'; INLINE_BULK + 1]);
        assert_eq!(Reply::bulk_copy(&long), Reply::Bulk(long.clone()));
        assert_eq!(enc(&Reply::bulk_copy(&Bytes::new()), true), "$0\r\n\r\n");
    }

    #[test]
    fn resp2_and_resp3() {
        assert_eq!(enc(&Reply::Nil, false), "$-1\r\n");
        assert_eq!(enc(&Reply::Nil, true), "_\r\n");
        assert_eq!(enc(&Reply::Int(i64::MIN), false), ":-9223372036854775808\r\n");
        assert_eq!(enc(&Reply::Double(0.1), false), "$19\r\n0.10000000000000001\r\n");
        assert_eq!(enc(&Reply::Double(1.5), true), ",1.5\r\n");
        assert_eq!(enc(&Reply::DoubleText(Bytes::from_static(b"13.5")), true), ",13.5\r\n");
        assert_eq!(enc(&Reply::DoubleText(Bytes::from_static(b"13.5")), false), "$4\r\n13.5\r\n");
        let m = Reply::Map(vec![(Reply::bulk("a"), Reply::Int(1))]);
        assert_eq!(enc(&m, false), "*2\r\n$1\r\na\r\n:1\r\n");
        assert_eq!(enc(&m, true), "%1\r\n$1\r\na\r\n:1\r\n");
        let p = Reply::Pairs(vec![(Reply::bulk("a"), Reply::Double(1.0))]);
        assert_eq!(enc(&p, false), "*2\r\n$1\r\na\r\n$1\r\n1\r\n");
        assert_eq!(enc(&p, true), "*1\r\n*2\r\n$1\r\na\r\n,1\r\n");
        assert_eq!(enc(&Reply::error("ERR a\r\nb"), false), "-ERR a  b\r\n");
        assert_eq!(enc(&Reply::Bool(true), false), ":1\r\n");
        assert_eq!(enc(&Reply::Verbatim(Bytes::from("hi")), true), "=6\r\ntxt:hi\r\n");
    }
}
