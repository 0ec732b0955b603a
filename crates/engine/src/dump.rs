//! DUMP and RESTORE: a key's value as an RDB payload (see `rdb`), and back.

use crate::args::*;
use crate::rdb;
use crate::shard::Ctx;
use bytes::Bytes;
use resp::Reply;

pub fn dump(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let now = ctx.now;
    match ctx.db().get(&args[1], now) {
        Some(e) => Reply::Bulk(Bytes::from(rdb::dump(&e.value))),
        None => Reply::Nil,
    }
}

/// RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f], checked
/// in Redis's order: options, existing key, TTL, payload.
pub fn restore(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let (mut replace, mut absttl, mut idle, mut freq) = (false, false, None, None);
    let mut i = 4;
    while i < args.len() {
        let more = i + 1 < args.len();
        if eq_ic(&args[i], "replace") {
            replace = true;
        } else if eq_ic(&args[i], "absttl") {
            absttl = true;
        } else if eq_ic(&args[i], "idletime") && more && freq.is_none() {
            match int(&args[i + 1]) {
                Ok(v) if v < 0 => return err("ERR Invalid IDLETIME value, must be >= 0"),
                Ok(v) => idle = Some(v),
                Err(e) => return e,
            }
            i += 1;
        } else if eq_ic(&args[i], "freq") && more && idle.is_none() {
            match int(&args[i + 1]) {
                Ok(v) if !(0..=255).contains(&v) => return err("ERR Invalid FREQ value, must be >= 0 and <= 255"),
                Ok(v) => freq = Some(v),
                Err(e) => return e,
            }
            i += 1;
        } else {
            return err(SYNTAX);
        }
        i += 1;
    }
    let (key, now) = (&args[1], ctx.now);
    if !replace && ctx.db().contains(key, now) {
        return err("BUSYKEY Target key name already exists.");
    }
    let ttl = match int(&args[2]) {
        Ok(t) if t < 0 => return err("ERR Invalid TTL value, must be >= 0"),
        Ok(t) => t as u64,
        Err(e) => return e,
    };
    let payload = &args[3];
    if !rdb::verify_payload(payload) {
        return err("ERR DUMP payload version or checksum are wrong");
    }
    let Ok(value) = rdb::read_payload(payload) else {
        return err("ERR Bad data format");
    };
    if replace {
        ctx.db().remove(key);
    }
    let expire_at = if ttl != 0 && !absttl { ttl.saturating_add(now) } else { ttl };
    // A TTL already in the past: the key is deleted (by REPLACE above) and not created.
    if expire_at != 0 && expire_at <= now {
        return Reply::Ok;
    }
    ctx.db().set(key, value, expire_at);
    Reply::Ok
}
