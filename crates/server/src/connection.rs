//! The connection family: PING, ECHO, SELECT, AUTH, HELLO, QUIT, RESET, COMMAND.

use crate::commands::{self, Command, COMMANDS};
use crate::dispatch::Client;
use crate::shard::Shard;
use bytes::Bytes;
use engine::args::{eq_ic, err, lower, SYNTAX};
use resp::Reply;
use std::rc::Rc;

pub fn ping(_: &Rc<Shard>, _: &mut Client, args: &[Bytes]) -> Reply {
    match args.len() {
        1 => Reply::status("PONG"),
        2 => Reply::Bulk(args[1].clone()),
        _ => engine::args::wrong_args(b"ping"),
    }
}

pub fn echo(_: &Rc<Shard>, _: &mut Client, args: &[Bytes]) -> Reply {
    Reply::Bulk(args[1].clone())
}

pub fn select(shard: &Rc<Shard>, client: &mut Client, args: &[Bytes]) -> Reply {
    let databases = shard.data.borrow().dbs.len();
    match engine::keys::parse_db_index(&args[1], databases) {
        Ok(db) => {
            client.db = db;
            Reply::Ok
        }
        Err(e) => e,
    }
}

/// Checks a username/password pair against `requirepass` (the only user is `default`).
fn authenticate(shard: &Shard, client: &mut Client, user: &[u8], pass: &[u8]) -> Result<(), Reply> {
    let required = shard.shared.config.read().expect("config lock").requirepass.clone();
    let ok = user == b"default" && required.as_ref().is_none_or(|p| p.as_bytes() == pass);
    if !ok {
        return Err(err("WRONGPASS invalid username-password pair or user is disabled."));
    }
    client.authenticated = true;
    Ok(())
}

pub fn auth(shard: &Rc<Shard>, client: &mut Client, args: &[Bytes]) -> Reply {
    if args.len() > 3 {
        return err(SYNTAX);
    }
    let (user, pass) = if args.len() == 2 {
        if shard.shared.config.read().expect("config lock").requirepass.is_none() {
            return err("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?");
        }
        (&b"default"[..], &args[1][..])
    } else {
        (&args[1][..], &args[2][..])
    };
    match authenticate(shard, client, user, pass) {
        Ok(()) => Reply::Ok,
        Err(e) => e,
    }
}

/// Client names may not contain spaces, newlines or other special characters.
pub fn valid_client_name(name: &[u8]) -> bool {
    name.iter().all(|&c| (b'!'..=b'~').contains(&c))
}

pub fn hello(shard: &Rc<Shard>, client: &mut Client, args: &[Bytes]) -> Reply {
    let mut version = None;
    let mut i = 1;
    if args.len() >= 2 {
        match resp::parse_i64(&args[1]) {
            Some(v @ 2..=3) => version = Some(v),
            Some(_) => return err("NOPROTO unsupported protocol version"),
            None => return err("ERR Protocol version is not an integer or out of range"),
        }
        i = 2;
    }
    let (mut credentials, mut name) = (None, None);
    while i < args.len() {
        let more = args.len() - 1 - i;
        if eq_ic(&args[i], "auth") && more >= 2 {
            credentials = Some((args[i + 1].clone(), args[i + 2].clone()));
            i += 3;
        } else if eq_ic(&args[i], "setname") && more >= 1 {
            if !valid_client_name(&args[i + 1]) {
                return err("ERR Client names cannot contain spaces, newlines or special characters.");
            }
            name = Some(args[i + 1].clone());
            i += 2;
        } else {
            return Reply::error(format!("ERR Syntax error in HELLO option '{}'", String::from_utf8_lossy(&args[i])));
        }
    }
    if let Some((user, pass)) = credentials {
        if let Err(e) = authenticate(shard, client, &user, &pass) {
            return e;
        }
    }
    if !client.authenticated {
        return err("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time");
    }
    if let Some(n) = name {
        *client.entry.name.borrow_mut() = Some(n).filter(|n| !n.is_empty());
    }
    if let Some(v) = version {
        client.resp3 = v == 3;
        client.entry.resp.set(v as u8);
    }
    let field = |k: &'static str, v: Reply| (Reply::bulk(k), v);
    Reply::Map(vec![
        field("server", Reply::bulk("redis")),
        field("version", Reply::bulk(crate::REDIS_VERSION)),
        field("proto", Reply::Int(if client.resp3 { 3 } else { 2 })),
        field("id", Reply::Int(client.entry.id as i64)),
        field("mode", Reply::bulk("standalone")),
        field("role", Reply::bulk("master")),
        field("modules", Reply::Array(vec![])),
    ])
}

pub fn quit(_: &Rc<Shard>, client: &mut Client, _: &[Bytes]) -> Reply {
    client.close = true;
    Reply::Ok
}

pub fn reset(shard: &Rc<Shard>, client: &mut Client, _: &[Bytes]) -> Reply {
    client.db = 0;
    client.multi = None;
    crate::watch::unwatch(shard, client);
    client.resp3 = false;
    client.entry.resp.set(2);
    *client.entry.name.borrow_mut() = None;
    client.authenticated = shard.shared.config.read().expect("config lock").requirepass.is_none();
    Reply::status("RESET")
}

fn acl_categories(c: &Command) -> Vec<Reply> {
    let mut cats = Vec::new();
    if c.has(commands::WRITE) {
        cats.push("@write");
    }
    if c.has(commands::READONLY) {
        cats.push("@read");
    }
    cats.push(match c.group {
        "generic" => "@keyspace",
        "string" => "@string",
        "list" => "@list",
        "hash" => "@hash",
        "set" => "@set",
        "sorted_set" => "@sortedset",
        "bitmap" => "@bitmap",
        "hyperloglog" => "@hyperloglog",
        "geo" => "@geo",
        "connection" => "@connection",
        "transactions" => "@transaction",
        _ => "@admin",
    });
    cats.push(if c.has(commands::FAST) { "@fast" } else { "@slow" });
    if c.has(commands::ADMIN) {
        cats.push("@dangerous");
    }
    cats.into_iter().map(Reply::status).collect()
}

/// Redis 7 key specs: where the keys start (an index) and how far they run (a range).
fn key_specs(c: &Command) -> Vec<Reply> {
    let (first, last, step) = c.keys;
    if first == 0 {
        return Vec::new();
    }
    let bulk = |s: &'static str| Reply::bulk(s);
    let spec = |flags: &'static str, index: i32, lastkey: i32, keystep: i32| {
        Reply::Map(vec![
            (bulk("flags"), Reply::Set(flags.split_whitespace().map(Reply::status).collect())),
            (
                bulk("begin_search"),
                Reply::Map(vec![
                    (bulk("type"), bulk("index")),
                    (bulk("spec"), Reply::Map(vec![(bulk("index"), Reply::Int(index as i64))])),
                ]),
            ),
            (
                bulk("find_keys"),
                Reply::Map(vec![
                    (bulk("type"), bulk("range")),
                    (
                        bulk("spec"),
                        Reply::Map(vec![
                            (bulk("lastkey"), Reply::Int(lastkey as i64)),
                            (bulk("keystep"), Reply::Int(keystep as i64)),
                            (bulk("limit"), Reply::Int(0)),
                        ]),
                    ),
                ]),
            ),
        ])
    };
    match c.key_flags.split_once('|') {
        // Two keys used differently (RENAME's source and destination): one spec each.
        Some((a, b)) => vec![spec(a, first, 0, 1), spec(b, first + 1, 0, 1)],
        None => vec![spec(c.key_flags, first, if last < 0 { last } else { last - first }, step)],
    }
}

fn command_info(c: &Command) -> Reply {
    let (first, last, step) = c.keys;
    Reply::Array(vec![
        Reply::bulk(c.name),
        Reply::Int(c.arity as i64),
        Reply::Set(c.flag_names().into_iter().map(Reply::status).collect()),
        Reply::Int(first as i64),
        Reply::Int(last as i64),
        Reply::Int(step as i64),
        Reply::Set(acl_categories(c)),
        Reply::Set(vec![]),
        Reply::Set(key_specs(c)),
        Reply::Set(vec![]),
    ])
}

fn command_docs(c: &Command) -> Reply {
    Reply::Map(vec![
        (Reply::bulk("summary"), Reply::bulk(format!("The {} command", c.name.to_uppercase()))),
        (Reply::bulk("since"), Reply::bulk("1.0.0")),
        (Reply::bulk("group"), Reply::bulk(c.group)),
    ])
}

pub fn command(_: &Rc<Shard>, _: &mut Client, args: &[Bytes]) -> Reply {
    if args.len() == 1 {
        return Reply::Array(COMMANDS.iter().map(command_info).collect());
    }
    let sub = lower(&args[1]);
    let rest = &args[2..];
    // Subcommands have arities of their own, as in Redis's table.
    let arity_ok = match sub.as_str() {
        "count" | "help" => rest.is_empty(),
        "getkeys" => rest.len() >= 2,
        _ => true,
    };
    if !arity_ok {
        return Reply::error(format!("ERR wrong number of arguments for 'command|{sub}' command"));
    }
    match sub.as_str() {
        "count" => Reply::Int(COMMANDS.len() as i64),
        "list" => Reply::Array(COMMANDS.iter().map(|c| Reply::bulk(c.name)).collect()),
        "info" => {
            if rest.is_empty() {
                return Reply::Array(COMMANDS.iter().map(command_info).collect());
            }
            Reply::Array(rest.iter().map(|n| commands::lookup(n).map_or(Reply::Nil, command_info)).collect())
        }
        "docs" => {
            let pick: Vec<&Command> = if rest.is_empty() {
                COMMANDS.iter().collect()
            } else {
                rest.iter().filter_map(|n| commands::lookup(n)).collect()
            };
            Reply::Map(pick.into_iter().map(|c| (Reply::bulk(c.name), command_docs(c))).collect())
        }
        "getkeys" => {
            let Some(c) = commands::lookup(&rest[0]) else {
                return err("ERR Invalid command specified");
            };
            if c.keys.0 == 0 && c.find_keys.is_none() {
                return err("ERR The command has no key arguments");
            }
            if !c.arity_ok(rest.len()) {
                return err("ERR Invalid number of arguments specified for command");
            }
            let positions = c.key_positions(rest);
            if positions.is_empty() {
                // A numkeys command whose count does not fit its arguments.
                return err("ERR Invalid arguments specified for command");
            }
            Reply::Array(positions.into_iter().map(|i| Reply::Bulk(rest[i].clone())).collect())
        }
        "help" => Reply::Array(
            [
                "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "(no subcommand)",
                "    Return details about all Redis commands.",
                "COUNT",
                "    Return the total number of commands in this Redis server.",
                "LIST",
                "    Return a list of all commands in this Redis server.",
                "INFO [<command-name> ...]",
                "    Return details about multiple Redis commands.",
                "DOCS [<command-name> ...]",
                "    Return documentation details about multiple Redis commands.",
                "GETKEYS <full-command>",
                "    Return the keys from a full Redis command.",
                "HELP",
                "    Print this help.",
            ]
            .iter()
            .map(|l| Reply::status(l))
            .collect(),
        ),
        _ => Reply::error(format!("ERR unknown subcommand '{}'. Try COMMAND HELP.", String::from_utf8_lossy(&args[1]))),
    }
}
