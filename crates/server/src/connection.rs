//! The connection family: PING, ECHO, SELECT, AUTH, HELLO, QUIT, RESET.

use crate::dispatch::Client;
use crate::shard::Shard;
use bytes::Bytes;
use engine::args::{eq_ic, err, SYNTAX};
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
