//! What the AOF records for a write that ran: the command itself, unless
//! replaying it verbatim would not reproduce its effect. Replay runs with
//! the clock stopped at 0 (nothing expires while loading), so relative TTLs
//! become absolute PEXPIREATs, a TTL already past becomes DEL, and SPOP's
//! random choice becomes the SREM of what it popped. A blocking command is
//! recorded as the non-blocking one that did what it did (BLPOP as LPOP of
//! the key it popped from), or not at all when it popped nothing.

use bytes::Bytes;
use engine::args::eq_ic;
use engine::serialize::command;
use resp::Reply;

/// Appends the record of command `name` (lower case, as in the command
/// table) that ran at `now` with `args` and answered `reply`.
pub fn record(out: &mut Vec<u8>, name: &str, args: &[Bytes], reply: &Reply, now: u64) {
    if reply.is_error() {
        return;
    }
    match name {
        "set" => set(out, args, now),
        "setex" | "psetex" => {
            let ttl = resp::parse_i64(&args[2]).unwrap_or(0);
            let ms = if name == "setex" { ttl.saturating_mul(1000) } else { ttl };
            let at = (now as i64).saturating_add(ms).to_string();
            command(out, &[b"SET", &args[1][..], &args[3][..], b"PXAT", at.as_bytes()]);
        }
        "expire" | "pexpire" | "expireat" | "pexpireat" => {
            if matches!(reply, Reply::Int(1)) {
                let when = resp::parse_i64(&args[2]).unwrap_or(0);
                let ms = if name.starts_with('p') { when } else { when.saturating_mul(1000) };
                let base = if name.ends_with("at") { 0 } else { now as i64 };
                deadline(out, &args[1], ms.saturating_add(base), now);
            }
        }
        "getex" => getex(out, args, reply, now),
        "restore" => restore(out, args, now),
        "spop" => {
            let popped: Vec<&[u8]> = match reply {
                Reply::Bulk(m) => vec![m],
                Reply::Array(items) | Reply::Set(items) => items
                    .iter()
                    .filter_map(|r| match r {
                        Reply::Bulk(m) => Some(&m[..]),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            if !popped.is_empty() {
                let mut cmd: Vec<&[u8]> = vec![b"SREM", &args[1]];
                cmd.extend(popped);
                command(out, &cmd);
            }
        }
        "blpop" | "brpop" | "bzpopmin" | "bzpopmax" => {
            if let Reply::Array(items) = reply {
                if let Some(Reply::Bulk(key)) = items.first() {
                    command(out, &[name[1..].to_ascii_uppercase().as_bytes(), &key[..]]);
                }
            }
        }
        "blmove" | "brpoplpush" => {
            if matches!(reply, Reply::Bulk(_)) {
                let mut cmd: Vec<&[u8]> = vec![if name == "blmove" { b"LMOVE" } else { b"RPOPLPUSH" }];
                cmd.extend(args[1..args.len() - 1].iter().map(|a| &a[..]));
                command(out, &cmd);
            }
        }
        // BLMPOP/BZMPOP replay as LMPOP/ZMPOP without the timeout: from the same state
        // they pop from the same key.
        "blmpop" | "bzmpop" => {
            if matches!(reply, Reply::Array(_)) {
                let mut cmd: Vec<&[u8]> = vec![if name == "blmpop" { b"LMPOP" } else { b"ZMPOP" }];
                cmd.extend(args[2..].iter().map(|a| &a[..]));
                command(out, &cmd);
            }
        }
        // SORT's storing step (`sort|store dest values...`): the values were
        // read from other shards, so the record is the list it stored.
        "sort|store" => {
            command(out, &[b"DEL", &args[1][..]]);
            if args.len() > 2 {
                let mut cmd: Vec<&[u8]> = vec![b"RPUSH", &args[1]];
                cmd.extend(args[2..].iter().map(|a| &a[..]));
                command(out, &cmd);
            }
        }
        _ => command(out, args),
    }
}

/// A key's new absolute deadline: PEXPIREAT, or DEL when it is already past
/// (the command deleted the key then; replay would only set a stale TTL).
fn deadline(out: &mut Vec<u8>, key: &[u8], at: i64, now: u64) {
    if at <= now as i64 {
        command(out, &[b"DEL", key]);
    } else {
        command(out, &[b"PEXPIREAT", key, at.to_string().as_bytes()]);
    }
}

/// SET with EX/PX/EXAT becomes SET ... PXAT with the absolute time; the other options stay.
fn set(out: &mut Vec<u8>, args: &[Bytes], now: u64) {
    let mut cmd: Vec<Bytes> = args[..3].to_vec();
    let mut i = 3;
    while i < args.len() {
        let a = &args[i];
        let unit = [("ex", 1000, true), ("px", 1, true), ("exat", 1000, false), ("pxat", 1, false)]
            .into_iter()
            .find(|(n, _, _)| eq_ic(a, n));
        match (unit, args.get(i + 1)) {
            (Some((_, scale, relative)), Some(v)) => {
                let v = resp::parse_i64(v).unwrap_or(0).saturating_mul(scale);
                let at = if relative { v.saturating_add(now as i64) } else { v };
                cmd.push(Bytes::from_static(b"PXAT"));
                cmd.push(Bytes::from(at.to_string()));
                i += 2;
            }
            _ => {
                cmd.push(a.clone());
                i += 1;
            }
        }
    }
    command(out, &cmd);
}

/// GETEX changes only the TTL: PEXPIREAT, PERSIST or DEL; nothing without options or a key.
fn getex(out: &mut Vec<u8>, args: &[Bytes], reply: &Reply, now: u64) {
    if matches!(reply, Reply::Nil) || args.len() < 3 {
        return;
    }
    let key = &args[1];
    if eq_ic(&args[2], "persist") {
        return command(out, &[b"PERSIST", &key[..]]);
    }
    let v = args.get(3).and_then(|v| resp::parse_i64(v)).unwrap_or(0);
    let at = match args[2].to_ascii_lowercase().as_slice() {
        b"ex" => v.saturating_mul(1000).saturating_add(now as i64),
        b"px" => v.saturating_add(now as i64),
        b"exat" => v.saturating_mul(1000),
        _ => v,
    };
    deadline(out, key, at, now);
}

/// RESTORE with a relative TTL gets ABSTTL and the absolute time; one
/// already past only deleted the key (with REPLACE), so it becomes DEL.
fn restore(out: &mut Vec<u8>, args: &[Bytes], now: u64) {
    let ttl = resp::parse_i64(&args[2]).unwrap_or(0);
    let absttl = args[4..].iter().any(|a| eq_ic(a, "absttl"));
    if ttl == 0 || absttl {
        if ttl != 0 && ttl <= now as i64 {
            return command(out, &[b"DEL", &args[1][..]]);
        }
        return command(out, args);
    }
    let at = ttl.saturating_add(now as i64);
    let mut cmd: Vec<&[u8]> = args.iter().map(|a| &a[..]).collect();
    let at = at.to_string();
    cmd[2] = at.as_bytes();
    cmd.push(b"ABSTTL");
    command(out, &cmd);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(args: &[&str], reply: Reply, now: u64) -> String {
        let args: Vec<Bytes> = args.iter().map(|a| Bytes::copy_from_slice(a.as_bytes())).collect();
        let mut out = Vec::new();
        record(
            &mut out,
            &args[0].to_ascii_lowercase().iter().map(|&c| c as char).collect::<String>(),
            &args,
            &reply,
            now,
        );
        String::from_utf8(out).unwrap().replace("\r\n", " ")
    }

    #[test]
    fn relative_ttls_become_absolute() {
        assert_eq!(
            rec(&["set", "k", "v", "EX", "10", "NX"], Reply::Ok, 1000),
            "*6 $3 set $1 k $1 v $4 PXAT $5 11000 $2 NX "
        );
        assert_eq!(rec(&["setex", "k", "2", "v"], Reply::Ok, 1000), "*5 $3 SET $1 k $1 v $4 PXAT $4 3000 ");
        assert_eq!(rec(&["expire", "k", "1"], Reply::Int(1), 500), "*3 $9 PEXPIREAT $1 k $4 1500 ");
        assert_eq!(rec(&["expire", "k", "1"], Reply::Int(0), 500), "");
        assert_eq!(rec(&["pexpireat", "k", "10"], Reply::Int(1), 500), "*2 $3 DEL $1 k ");
        assert_eq!(rec(&["getex", "k", "persist"], Reply::Bulk(Bytes::new()), 5), "*2 $7 PERSIST $1 k ");
        assert_eq!(rec(&["getex", "k"], Reply::Bulk(Bytes::new()), 5), "");
        assert_eq!(rec(&["restore", "k", "10", "p"], Reply::Ok, 5), "*5 $7 restore $1 k $2 15 $1 p $6 ABSTTL ");
        assert_eq!(rec(&["restore", "k", "3", "p", "absttl"], Reply::Ok, 5), "*2 $3 DEL $1 k ");
    }

    #[test]
    fn spop_records_what_it_popped_and_errors_nothing() {
        let popped = Reply::Array(vec![Reply::bulk("a"), Reply::bulk("b")]);
        assert_eq!(rec(&["spop", "s", "2"], popped, 0), "*4 $4 SREM $1 s $1 a $1 b ");
        assert_eq!(rec(&["spop", "s"], Reply::Nil, 0), "");
        assert_eq!(rec(&["incr", "k"], Reply::error("ERR x"), 0), "");
    }
}
