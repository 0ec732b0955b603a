//! The transaction family: MULTI, EXEC, DISCARD.
//!
//! When every key a transaction touches lives on one shard (always, with one
//! shard; with hash tags, on any number), EXEC ships its keyed commands to
//! that shard, which runs them back to back in place once none of the keys is
//! locked. Otherwise EXEC locks every key on every shard in one go (ascending
//! shard order, as for any multi-shard command), runs the queue over copies
//! of those keys, then writes them back and unlocks. A transaction with a
//! command over the whole keyspace (FLUSHALL, KEYS, DBSIZE, ...) locks the
//! whole keyspace of every shard instead and runs each command on the shards
//! themselves, so those commands see the transaction's own writes. Either
//! way no other client sees the transaction half done.

use crate::commands::{self, Command, Exec};
use crate::dispatch::{changed, command_keys, run_transaction, run_under_keyspace, Client, Item, KeyspaceLock, Locked};
use crate::locks::Mode;
use crate::mailbox::oneshot;
use crate::shard::post;
use crate::shard::Shard;
use bytes::Bytes;
use engine::args::err;
use engine::{now_ms, Ctx};
use resp::Reply;
use std::rc::Rc;

/// Commands queued since MULTI; `failed` once one of them was refused.
#[derive(Default)]
pub struct Queue {
    pub commands: Vec<Vec<Bytes>>,
    pub failed: bool,
}

/// The commands that run at once even inside MULTI, as in Redis.
pub fn runs_inside_multi(cmd: &Command) -> bool {
    matches!(cmd.name, "exec" | "discard" | "multi" | "watch" | "quit" | "reset")
}

/// Whether a queued command's keys are locked for the transaction: keyed
/// commands, and SORT, which routes itself but names its source and destination.
fn holds_keys(cmd: &Command) -> bool {
    matches!(cmd.exec, Exec::Keyed(_)) || routes_itself(cmd)
}

/// A server command with key arguments (SORT, SORT_RO): it routes itself.
fn routes_itself(cmd: &Command) -> bool {
    matches!(cmd.exec, Exec::Server(_)) && cmd.find_keys.is_some()
}

pub fn queue(client: &mut Client, args: Vec<Bytes>) -> Reply {
    if let Some(q) = &mut client.multi {
        q.commands.push(args);
    }
    Reply::status("QUEUED")
}

pub fn multi(_: &Rc<Shard>, client: &mut Client, _: &[Bytes]) -> Reply {
    if client.multi.is_some() {
        return err("ERR MULTI calls can not be nested");
    }
    client.multi = Some(Queue::default());
    Reply::Ok
}

pub fn discard(shard: &Rc<Shard>, client: &mut Client, _: &[Bytes]) -> Reply {
    crate::watch::unwatch(shard, client);
    match client.multi.take() {
        Some(_) => Reply::Ok,
        None => err("ERR DISCARD without MULTI"),
    }
}

pub async fn exec(shard: &Rc<Shard>, client: &mut Client, _: &[Bytes]) -> Reply {
    let Some(queue) = client.multi.take() else { return err("ERR EXEC without MULTI") };
    if queue.failed {
        crate::watch::unwatch(shard, client);
        return err("EXECABORT Transaction discarded because of previous errors.");
    }
    let commands: Vec<&'static Command> =
        queue.commands.iter().map(|args| commands::lookup(&args[0]).expect("checked when queued")).collect();
    let spans_keyspace = |(c, args): (&&Command, &Vec<Bytes>)| {
        c.has(commands::KEYSPACE) || (routes_itself(c) && crate::sort::reads_other_shards(shard, args))
    };
    if commands.iter().zip(&queue.commands).any(spans_keyspace) {
        return exec_under_keyspace(shard, client, commands, queue.commands).await;
    }
    // The keys each command will touch, in the database it will run in (SELECT may change it).
    let databases = shard.data.borrow().dbs.len();
    let (mut db, mut keys, mut mode) = (client.db, Vec::new(), Mode::Read);
    let mut dbs = Vec::with_capacity(commands.len());
    for (cmd, args) in commands.iter().zip(&queue.commands) {
        dbs.push(db);
        match cmd.exec {
            _ if holds_keys(cmd) => {
                keys.extend(command_keys(cmd, args, db, databases));
                if cmd.has(commands::WRITE) {
                    mode = Mode::Write;
                }
            }
            Exec::Conn(_) if cmd.name == "select" => {
                db = engine::keys::parse_db_index(&args[1], databases).unwrap_or(db);
            }
            _ => {}
        }
    }
    let target = keys.first().map_or(shard.id, |k| shard.shard_of(&k.1));
    let one_shard = keys.iter().all(|k| shard.shard_of(&k.1) == target);
    if one_shard && !commands.iter().any(|c| matches!(c.exec, Exec::Server(_))) {
        return exec_on_one_shard(shard, client, commands, queue.commands, dbs, keys, mode, target).await;
    }
    let mut locked = Locked::acquire(shard, keys, mode).await;
    let dirty = client.watching.as_ref().is_some_and(|w| w.is_dirty());
    crate::watch::unwatch(shard, client);
    if dirty {
        // A watched key changed: run nothing, write nothing back.
        locked.release_unchanged(shard);
        return Reply::NilArray;
    }
    let mut replies = Vec::with_capacity(commands.len());
    // The keys of the commands that changed something: only these touch WATCH.
    let mut changed_keys = Vec::new();
    for (cmd, args) in commands.into_iter().zip(queue.commands) {
        shard.stats.commands.set(shard.stats.commands.get() + 1);
        let (reply, changes) = match cmd.exec {
            Exec::Keyed(h) => {
                let mut ctx = Ctx::new(&mut locked.scratch, client.db, now_ms());
                let reply = h(&mut ctx, &args);
                let said_unchanged = ctx.unchanged;
                let changes = changed(cmd.has(commands::WRITE), cmd, &reply, said_unchanged);
                (reply, changes)
            }
            Exec::Conn(f) => (f(shard, client, &args), false),
            Exec::Server(_) if cmd.find_keys.is_some() => {
                crate::sort::sort_in_transaction(shard, &mut locked, client.db, &args).await
            }
            // Server commands outside the keyspace (INFO, CONFIG, CLIENT, ...).
            Exec::Server(f) => (f(shard, client, &args).await, false),
        };
        if changes {
            changed_keys.extend(command_keys(cmd, &args, client.db, databases));
        }
        replies.push(reply);
    }
    locked.touch_only(changed_keys);
    locked.write_back_and_release(shard).await;
    Reply::Array(replies)
}

/// EXEC of a transaction with a command over the whole keyspace (or a SORT
/// whose patterns read keys anywhere): with the
/// keyspace of every shard locked, each command runs in turn on the shards
/// themselves (keyed ones on their own shard, or over copies when their keys
/// span shards), so every command sees the writes before it.
async fn exec_under_keyspace(
    shard: &Rc<Shard>,
    client: &mut Client,
    commands: Vec<&'static Command>,
    args: Vec<Vec<Bytes>>,
) -> Reply {
    let writes = commands.iter().any(|c| c.has(commands::WRITE));
    let lock = KeyspaceLock::acquire(shard, if writes { Mode::Write } else { Mode::Read }, writes).await;
    let dirty = client.watching.as_ref().is_some_and(|w| w.is_dirty());
    crate::watch::unwatch(shard, client);
    if dirty {
        lock.release(shard);
        return Reply::NilArray;
    }
    client.keyspace_held = true;
    let mut replies = Vec::with_capacity(commands.len());
    for (cmd, args) in commands.into_iter().zip(args) {
        replies.push(match cmd.exec {
            Exec::Keyed(h) => run_under_keyspace(shard, cmd, h, client.db, args).await,
            Exec::Conn(f) => {
                shard.stats.commands.set(shard.stats.commands.get() + 1);
                f(shard, client, &args)
            }
            Exec::Server(_) if cmd.find_keys.is_some() => {
                shard.stats.commands.set(shard.stats.commands.get() + 1);
                let databases = shard.data.borrow().dbs.len();
                let mode = if cmd.has(commands::WRITE) { Mode::Write } else { Mode::Read };
                let keys = command_keys(cmd, &args, client.db, databases);
                let mut copied = Locked::under_keyspace(shard, keys, mode).await;
                let (reply, changed) = crate::sort::sort_in_transaction(shard, &mut copied, client.db, &args).await;
                if !changed {
                    copied.touch_only(Vec::new());
                }
                copied.write_back_and_release(shard).await;
                reply
            }
            Exec::Server(f) => {
                shard.stats.commands.set(shard.stats.commands.get() + 1);
                f(shard, client, &args).await
            }
        });
    }
    client.keyspace_held = false;
    lock.release(shard);
    Reply::Array(replies)
}

/// EXEC when every key lives on shard `target` and no command spans shards:
/// the keyed commands run in place there; connection commands (SELECT, PING,
/// ...) run here, in their order, on state that does not depend on the keys.
#[allow(clippy::too_many_arguments)]
async fn exec_on_one_shard(
    shard: &Rc<Shard>,
    client: &mut Client,
    commands: Vec<&'static Command>,
    args: Vec<Vec<Bytes>>,
    dbs: Vec<usize>,
    keys: Vec<crate::locks::LockKey>,
    mode: Mode,
    target: usize,
) -> Reply {
    let mut items = Vec::new();
    let mut replies: Vec<Option<Reply>> = vec![None; commands.len()];
    let mut conn_cmds = Vec::new();
    for (index, ((cmd, args), db)) in commands.into_iter().zip(args).zip(dbs).enumerate() {
        match cmd.exec {
            Exec::Keyed(handler) => {
                let mode = if cmd.has(commands::WRITE) { Mode::Write } else { Mode::Read };
                items.push(Item { index, cmd, handler, args, db, mode });
            }
            _ => conn_cmds.push((index, cmd, args)),
        }
    }
    let watched = client.watching.as_ref().map(|w| w.dirty.clone());
    let (tx, rx) = oneshot();
    post(shard, target, move |s| run_transaction(s, items, keys, mode, watched, Box::new(move |r| tx.send(r))));
    let ran = rx.await.expect("shard dropped a transaction reply");
    crate::watch::unwatch(shard, client);
    let Some(keyed) = ran else {
        return Reply::NilArray;
    };
    for (index, reply) in keyed {
        replies[index] = Some(reply);
    }
    for (index, cmd, args) in conn_cmds {
        shard.stats.commands.set(shard.stats.commands.get() + 1);
        if let Exec::Conn(f) = cmd.exec {
            replies[index] = Some(f(shard, client, &args));
        }
    }
    Reply::Array(replies.into_iter().map(|r| r.expect("every command ran")).collect())
}
