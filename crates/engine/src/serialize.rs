//! Keys as the commands that rebuild them, in RESP: what an AOF image (a
//! rewrite's base file) and a logged multi-shard write are made of.

use crate::value::{Entry, Value};
use std::io::Write;

/// Elements per rebuilding command, as Redis's AOF_REWRITE_ITEMS_PER_CMD.
const ITEMS_PER_CMD: usize = 64;

/// Appends one command (`*N` then `$len` bulks) to `out`.
pub fn command<A: AsRef<[u8]>>(out: &mut Vec<u8>, args: &[A]) {
    header(out, args.len());
    for a in args {
        bulk(out, a.as_ref());
    }
}

pub fn header(out: &mut Vec<u8>, n: usize) {
    write!(out, "*{n}\r\n").expect("writing to a Vec");
}

pub fn bulk(out: &mut Vec<u8>, b: &[u8]) {
    write!(out, "${}\r\n", b.len()).expect("writing to a Vec");
    out.extend_from_slice(b);
    out.extend_from_slice(b"\r\n");
}

/// Appends the commands that recreate `key` as `entry` holds it (value and
/// TTL) in an empty key slot: a SET, or one RPUSH/SADD/HSET/ZADD per
/// [`ITEMS_PER_CMD`] elements, then PEXPIREAT for a TTL.
pub fn entry(out: &mut Vec<u8>, key: &[u8], entry: &Entry) {
    match &entry.value {
        Value::Str(s) => command(out, &[b"SET", key, s]),
        Value::List(l) => batched(out, b"RPUSH", key, 1, l.len(), |out, emit| l.iter().for_each(|v| emit(out, &[v]))),
        Value::Set(s) => {
            batched(out, b"SADD", key, 1, s.len(), |out, emit| s.iter().for_each(|e| e.with_bytes(|m| emit(out, &[m]))))
        }
        Value::Hash(h) => {
            batched(out, b"HSET", key, 2, h.len(), |out, emit| h.iter().for_each(|(f, v)| emit(out, &[f, v])))
        }
        Value::ZSet(z) => batched(out, b"ZADD", key, 2, z.len(), |out, emit| {
            z.iter().for_each(|(m, score)| emit(out, &[resp::format_double(score).as_bytes(), m]))
        }),
    }
    if entry.expire_at() != 0 {
        command(out, &[b"PEXPIREAT", key, entry.expire_at().to_string().as_bytes()]);
    }
}

/// Writes `len` items of `width` arguments each as `NAME key items...`
/// commands of at most ITEMS_PER_CMD items. `each` calls `emit` per item.
fn batched(
    out: &mut Vec<u8>,
    name: &[u8],
    key: &[u8],
    width: usize,
    len: usize,
    each: impl FnOnce(&mut Vec<u8>, &mut dyn FnMut(&mut Vec<u8>, &[&[u8]])),
) {
    let mut left = len;
    let mut in_cmd = 0;
    each(out, &mut |out, item| {
        if in_cmd == 0 {
            let n = left.min(ITEMS_PER_CMD);
            header(out, 2 + n * width);
            bulk(out, name);
            bulk(out, key);
            in_cmd = n;
        }
        item.iter().for_each(|a| bulk(out, a));
        in_cmd -= 1;
        left -= 1;
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{List, Set};
    use resp::RequestParser;

    fn commands(buf: &[u8]) -> Vec<Vec<String>> {
        let mut b = bytes::BytesMut::from(buf);
        let mut p = RequestParser::new(true);
        let mut out = Vec::new();
        while let Some(c) = p.parse(&mut b).unwrap() {
            out.push(c.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect());
        }
        assert!(b.is_empty());
        out
    }

    #[test]
    fn big_collections_split_into_commands_of_64_items() {
        let mut l = List::default();
        (0..130).for_each(|i| l.push_back(i.to_string().as_bytes()));
        let mut out = Vec::new();
        entry(&mut out, b"k", &Entry::with_expire(Value::List(Box::new(l)), 5));
        let cmds = commands(&out);
        assert_eq!(cmds.len(), 4);
        assert_eq!(cmds.iter().map(|c| c.len()).collect::<Vec<_>>(), vec![66, 66, 4, 3]);
        assert_eq!(cmds[2], vec!["RPUSH", "k", "128", "129"]);
        assert_eq!(cmds[3], vec!["PEXPIREAT", "k", "5"]);
    }

    #[test]
    fn intset_members_are_written_as_text() {
        let mut s = Set::default();
        s.insert(b"-7", 512);
        let mut out = Vec::new();
        entry(&mut out, b"s", &Entry::new(Value::Set(Box::new(s))));
        assert_eq!(commands(&out), vec![vec!["SADD", "s", "-7"]]);
    }
}
