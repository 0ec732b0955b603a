//! The transaction family: MULTI, EXEC, DISCARD.
//!
//! EXEC locks every key its queued commands touch, on every shard, in one
//! go (ascending shard order, as for any multi-shard command), runs the
//! queue over those keys, then writes them back and unlocks: no other client
//! sees the transaction half done.

use crate::commands::{self, Command, Exec};
use crate::dispatch::{command_keys, Client, Locked};
use crate::locks::Mode;
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
    // The keys each command will touch, in the database it will run in (SELECT may change it).
    let databases = shard.data.borrow().dbs.len();
    let (mut db, mut keys, mut mode) = (client.db, Vec::new(), Mode::Read);
    for (cmd, args) in commands.iter().zip(&queue.commands) {
        match cmd.exec {
            Exec::Keyed(_) => {
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
    let mut locked = Locked::acquire(shard, keys, mode).await;
    let dirty = client.watching.as_ref().is_some_and(|w| w.is_dirty());
    crate::watch::unwatch(shard, client);
    if dirty {
        // A watched key changed: run nothing, write nothing back.
        locked.release_unchanged(shard);
        return Reply::NilArray;
    }
    let mut replies = Vec::with_capacity(commands.len());
    for (cmd, args) in commands.into_iter().zip(queue.commands) {
        shard.stats.commands.set(shard.stats.commands.get() + 1);
        replies.push(match cmd.exec {
            Exec::Keyed(h) => h(&mut Ctx { data: &mut locked.scratch, db: client.db, now: now_ms() }, &args),
            Exec::Conn(f) => f(shard, client, &args),
            // Commands spanning every shard see the shards, not this transaction's writes.
            Exec::Server(f) => f(shard, client, &args).await,
        });
    }
    locked.write_back_and_release(shard);
    Reply::Array(replies)
}
