//! SORT and SORT_RO on a sharded keyspace.
//!
//! BY and GET patterns read keys derived from the elements, which may live
//! on any shard, so SORT cannot run as one keyed step. When no pattern reads
//! another key (or there is one shard) the engine's whole command runs as an
//! ordinary keyed command on the source's (and STORE destination's) shard(s).
//! Otherwise it runs in steps: load the elements on the source's shard, fetch
//! the BY values from their shards (in parallel), sort here, fetch the GET
//! values, and store the result on the destination's shard.
//!
//! The stepped form runs under the keyspace lock (`KeyspaceLock`: its
//! pattern keys may be anywhere), so no write lands between its steps and it
//! is as atomic as the one-step form.

use crate::commands::{self, keyed, Command, Exec};
use crate::dispatch::{run_keyed, run_under_keyspace, Client, KeyspaceLock, Locked};
use crate::locks::Mode;
use crate::mailbox::oneshot;
use crate::shard::{post, Shard};
use bytes::Bytes;
use engine::sort::{self as esort, KeyRef, Loaded, SortSpec};
use engine::{now_ms, Ctx};
use resp::Reply;
use std::collections::HashMap;
use std::rc::Rc;

/// The loading step's routing: the source at position 1 of SORT's own arguments.
static LOAD_STEP: Command = keyed!("sort", -2, commands::READONLY, (1, 1, 1), esort::load_step);

/// The storing step's routing: `sort dest value...`, the destination at position 1.
/// Its own name: the AOF records this step as the list it stores (see aof_record).
static STORE_STEP: Command = keyed!("sort|store", -2, commands::WRITE, (1, 1, 1), esort::store_step);

pub async fn sort(shard: &Rc<Shard>, client: &mut Client, args: &[Bytes]) -> Reply {
    let spec = match SortSpec::parse(args) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let db = client.db;
    // Only STORE writes: a plain SORT must not look like a write to WATCH.
    let mode = if spec.store.is_some() { Mode::Write } else { Mode::Read };
    if !spec.reads_other_keys() || shard.shared.shards == 1 {
        let cmd = commands::lookup(&args[0]).expect("routed here by its own table row");
        return run_keyed(shard, cmd, esort::sort, db, args.to_vec(), mode).await;
    }
    let lock = KeyspaceLock::take(shard, client, mode).await;
    let held = std::mem::replace(&mut client.keyspace_held, true);
    let reply = stepped(shard, db, args, spec).await;
    client.keyspace_held = held;
    if let Some(lock) = lock {
        lock.release(shard);
    }
    reply
}

/// SORT in steps, with the keyspace held (see the module doc).
async fn stepped(shard: &Rc<Shard>, db: usize, args: &[Bytes], spec: SortSpec) -> Reply {
    let loaded = run_under_keyspace(shard, &LOAD_STEP, esort::load_step, db, args.to_vec()).await;
    let mut loaded = match Loaded::from_reply(loaded) {
        Ok(l) => l,
        Err(e) => return e,
    };
    let by_values = fetch(shard, db, loaded.by_lookups()).await;
    if let Err(e) = loaded.sort(&spec, &mut |k, f| found(&by_values, k, f)) {
        return e;
    }
    let get_values = fetch(shard, db, loaded.get_lookups(&spec)).await;
    let values = loaded.output(&spec, &mut |k, f| found(&get_values, k, f));
    match spec.store {
        None => esort::reply(values),
        Some(dest) => {
            let mut store = vec![args[0].clone(), dest];
            store.extend(values.into_iter().map(Option::unwrap_or_default));
            run_under_keyspace(shard, &STORE_STEP, esort::store_step, db, store).await
        }
    }
}

/// Pattern values fetched from their shards: (key, field) -> value.
type Fetched = HashMap<KeyRef, Option<Bytes>>;

fn found(values: &Fetched, key: &[u8], field: Option<&[u8]>) -> Option<Bytes> {
    let k = (Bytes::copy_from_slice(key), field.map(Bytes::copy_from_slice));
    values.get(&k).cloned().flatten()
}

/// Reads `wanted` from the shards owning the keys: one message per shard,
/// all sent before any answer is awaited, answered without waiting on locks
/// (the caller holds the keyspace, or the keys it may have written).
async fn fetch(shard: &Rc<Shard>, db: usize, wanted: Vec<KeyRef>) -> Fetched {
    let mut by_shard: Vec<Vec<KeyRef>> = vec![Vec::new(); shard.shared.shards];
    let mut out = Fetched::with_capacity(wanted.len());
    for k in wanted {
        if out.insert(k.clone(), None).is_none() {
            by_shard[shard.shard_of(&k.0)].push(k);
        }
    }
    let mut pending = Vec::new();
    for (target, keys) in by_shard.into_iter().enumerate().filter(|(_, k)| !k.is_empty()) {
        let (tx, rx) = oneshot();
        let asked = keys.clone();
        post(shard, target, move |s| {
            let now = now_ms();
            let mut data = s.data.borrow_mut();
            let dbs = &mut data.dbs;
            tx.send(asked.iter().map(|(k, f)| esort::lookup_value(&mut dbs[db], k, f.as_deref(), now)).collect());
        });
        pending.push((keys, rx));
    }
    for (keys, rx) in pending {
        let values: Vec<Option<Bytes>> = rx.await.expect("shard dropped a SORT lookup");
        out.extend(keys.into_iter().zip(values));
    }
    out
}

/// Whether SORT with these arguments reads keys its arguments do not name
/// (BY/GET patterns) that may live on other shards: then a transaction
/// containing it holds the whole keyspace.
pub fn reads_other_shards(shard: &Shard, args: &[Bytes]) -> bool {
    shard.shared.shards > 1 && SortSpec::parse(args).is_ok_and(|spec| spec.reads_other_keys())
}

/// SORT inside MULTI/EXEC, whose keys (source and destination) the
/// transaction holds, copied into `locked`'s scratch shard: routing them
/// again would wait on the transaction's own locks. Pattern keys the
/// transaction holds are read from the scratch copy (it may have written
/// them); the others from their shards (the transaction holds the whole
/// keyspace then, see `reads_other_shards`). Also says whether it changed
/// anything (a STORE that did), for WATCH.
pub async fn sort_in_transaction(shard: &Rc<Shard>, locked: &mut Locked, db: usize, args: &[Bytes]) -> (Reply, bool) {
    let spec = match SortSpec::parse(args) {
        Ok(s) => s,
        Err(e) => return (e, false),
    };
    let now = now_ms();
    let loaded = esort::load(&mut Ctx::new(&mut locked.scratch, db, now), &args[1], &spec);
    let mut loaded = match loaded {
        Ok(l) => l,
        Err(e) => return (e, false),
    };
    let by_values = fetch_outside(shard, locked, db, loaded.by_lookups()).await;
    let mut by_lookup = |k: &[u8], f: Option<&[u8]>| match locked.holds(db, k) {
        true => esort::lookup_value(&mut locked.scratch.dbs[db], k, f, now),
        false => found(&by_values, k, f),
    };
    if let Err(e) = loaded.sort(&spec, &mut by_lookup) {
        return (e, false);
    }
    let get_values = fetch_outside(shard, locked, db, loaded.get_lookups(&spec)).await;
    let mut get_lookup = |k: &[u8], f: Option<&[u8]>| match locked.holds(db, k) {
        true => esort::lookup_value(&mut locked.scratch.dbs[db], k, f, now),
        false => found(&get_values, k, f),
    };
    let values = loaded.output(&spec, &mut get_lookup);
    match &spec.store {
        None => (esort::reply(values), false),
        Some(dest) => {
            let mut ctx = Ctx::new(&mut locked.scratch, db, now);
            let reply = esort::store_list(&mut ctx, dest, values);
            let unchanged = ctx.unchanged;
            (reply, !unchanged)
        }
    }
}

/// `fetch` for the keys a transaction does not hold.
async fn fetch_outside(shard: &Rc<Shard>, locked: &Locked, db: usize, wanted: Vec<KeyRef>) -> Fetched {
    fetch(shard, db, wanted.into_iter().filter(|k| !locked.holds(db, &k.0)).collect()).await
}
