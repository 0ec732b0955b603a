//! HyperLogLog: PFADD, PFCOUNT, PFMERGE and PFDEBUG over string values in
//! Redis's exact HLL format (see `types::hll`), so a value taken from Redis
//! with GET works here after SET, and the other way round.

use crate::args::*;
use crate::bitmaps::{raw_string, read_string, string_mut};
use crate::limits::hll_sparse_max_bytes;
use crate::shard::Ctx;
use crate::types::hll;
use crate::value::Str;
use bytes::Bytes;
use resp::Reply;

const NOT_HLL: &str = "WRONGTYPE Key is not a valid HyperLogLog string value.";
const CORRUPT: &str = "INVALIDOBJ Corrupted HLL object detected";

/// The HLL under `key`, to change in place: `None` if there is no key, an
/// error for another type or a string that is not an HLL. Like Redis, only a
/// valid HLL is made `raw` (it is "unshared" for writing).
fn hll_mut<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a mut Str>, Reply> {
    match read_string(ctx, key)? {
        None => return Ok(None),
        Some(d) if !hll::is_valid(&d) => return Err(err(NOT_HLL)),
        Some(_) => {}
    }
    string_mut(ctx, key)
}

/// Like `hll_mut`, creating an empty (sparse) HLL when there is no key; true if created.
fn hll_mut_or_create<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<(&'a mut Str, bool), Reply> {
    let created = hll_mut(ctx, key)?.is_none();
    if created {
        ctx.db().set(key, raw_string(hll::new_sparse()), 0);
    }
    Ok((string_mut(ctx, key)?.expect("just ensured"), created))
}

/// The registers of the HLLs under `keys` merged (one byte per register),
/// missing keys counting as empty; and whether any of them is dense.
fn merge_keys(ctx: &mut Ctx, keys: &[Bytes]) -> Result<(Vec<u8>, bool), Reply> {
    let mut max = vec![0u8; hll::REGISTERS];
    let mut any_dense = false;
    for key in keys {
        let Some(data) = read_string(ctx, key)? else {
            continue;
        };
        if !hll::is_valid(&data) {
            return Err(err(NOT_HLL));
        }
        any_dense |= !hll::is_sparse(&data);
        hll::merge_into(&mut max, &data).map_err(|_| err(CORRUPT))?;
    }
    Ok((max, any_dense))
}

pub fn pfadd(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let max_bytes = hll_sparse_max_bytes();
    let (data, created) = match hll_mut_or_create(ctx, &args[1]) {
        Ok(d) => d,
        Err(e) => return e,
    };
    // A new key counts as an update even with no elements. On a corrupt
    // HLL, registers already raised stay raised, as in Redis.
    let r = data.edit(|v| {
        let mut updated = created;
        for ele in &args[2..] {
            updated |= hll::add(v, ele, max_bytes)?;
        }
        if updated {
            hll::invalidate_cache(v);
        }
        Ok(updated)
    });
    match r {
        Ok(updated) => Reply::Int(updated as i64),
        Err(hll::Corrupt) => err(CORRUPT),
    }
}

pub fn pfcount(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    if args.len() > 2 {
        // The cardinality of the union, computed on the fly; nothing is written.
        return match merge_keys(ctx, &args[1..]) {
            Ok((max, _)) => Reply::Int(hll::count_raw(&max) as i64),
            Err(e) => e,
        };
    }
    let data = match hll_mut(ctx, &args[1]) {
        Ok(Some(d)) => d,
        Ok(None) => return Reply::Int(0),
        Err(e) => return e,
    };
    // The cached cardinality if still valid, else computed and cached.
    let r = data.edit(|v| {
        if let Some(card) = hll::cached(v) {
            return Ok(card);
        }
        let card = hll::count(v)?;
        hll::set_cache(v, card);
        Ok(card)
    });
    match r {
        Ok(card) => Reply::Int(card as i64),
        Err(hll::Corrupt) => err(CORRUPT),
    }
}

pub fn pfmerge(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    // Redis 7.0 includes the destination's own registers, and writes a dense
    // result if any input is dense; otherwise the destination stays sparse
    // until it outgrows hll-sparse-max-bytes.
    let (max, any_dense) = match merge_keys(ctx, &args[1..]) {
        Ok(m) => m,
        Err(e) => return e,
    };
    let max_bytes = hll_sparse_max_bytes();
    let (data, _) = match hll_mut_or_create(ctx, &args[1]) {
        Ok(d) => d,
        Err(e) => return e,
    };
    let r = data.edit(|v| {
        if any_dense {
            hll::to_dense(v)?;
        }
        for (i, &m) in max.iter().enumerate().filter(|(_, &m)| m != 0) {
            hll::set_register(v, i, m, max_bytes)?;
        }
        hll::invalidate_cache(v);
        Ok(())
    });
    match r {
        Ok(()) => Reply::Ok,
        Err(hll::Corrupt) => err(CORRUPT),
    }
}

pub fn pfdebug(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let data = match hll_mut(ctx, &args[2]) {
        Ok(Some(d)) => d,
        Ok(None) => return err("ERR The specified key does not exist"),
        Err(e) => return e,
    };
    let r = match lower(&args[1]).as_str() {
        "getreg" => data.edit(|v| {
            hll::to_dense(v)?;
            let regs = &v[hll::HDR..];
            Ok(Reply::Array((0..hll::REGISTERS).map(|i| Reply::Int(hll::dense_get(regs, i) as i64)).collect()))
        }),
        "decode" if hll::is_sparse(data) => Ok(Reply::Bulk(Bytes::from(hll::decode(data)))),
        "decode" => Ok(err("ERR HLL encoding is not sparse")),
        "encoding" => Ok(Reply::status(if hll::is_sparse(data) { "sparse" } else { "dense" })),
        "todense" => data.edit(|v| {
            let sparse = hll::is_sparse(v);
            hll::to_dense(v)?;
            Ok(Reply::Int(sparse as i64))
        }),
        _ => Ok(Reply::error(format!("ERR Unknown PFDEBUG subcommand '{}'", String::from_utf8_lossy(&args[1])))),
    };
    r.unwrap_or_else(|hll::Corrupt| err(CORRUPT))
}
