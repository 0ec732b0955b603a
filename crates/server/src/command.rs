//! COMMAND: what Redis 7.0 says about each command Tessera implements.
//!
//! The command table (commands.rs) says what routing needs: name, arity,
//! flags, key positions. What COMMAND INFO and COMMAND DOCS show besides
//! (ACL categories, tips, key specs, summaries, arguments, history) is
//! Redis's own text, generated from redis-server 7.0 into command_meta.rs
//! by scripts/gen_command_meta.py, and parsed back into replies on demand,
//! so RESP2 and RESP3 clients both get exactly what Redis sends them.

use crate::command_meta::META;
use crate::commands::{self, Command, COMMANDS};
use crate::dispatch::Client;
use crate::shard::Shard;
use bytes::Bytes;
use engine::args::{eq_ic, err, lower, SYNTAX};
use engine::glob::glob_match;
use resp::Reply;
use std::rc::Rc;

/// Redis 7.0's description of one command or subcommand (`config|get`).
pub struct Meta {
    /// The full name: `get`, `config|get`.
    pub name: &'static str,
    pub arity: i32,
    /// Read by the unit tests, which check the table against them.
    #[cfg_attr(not(test), allow(dead_code))]
    pub flags: &'static [&'static str],
    /// The legacy (first, last, step) key triple.
    pub keys: (i32, i32, i32),
    pub acl_categories: &'static [&'static str],
    /// COMMAND INFO's reply (RESP3 text), its subcommand list left empty.
    pub info: &'static str,
    /// COMMAND DOCS's map for the command (RESP3 text), without `subcommands`.
    pub docs: &'static str,
    /// All of Redis's subcommands, sorted by name; Tessera shows those its table lists.
    pub subcommands: &'static [Meta],
}

impl Meta {
    /// The subcommands Tessera implements.
    fn implemented(&'static self) -> impl Iterator<Item = &'static Meta> {
        let base = self.name;
        let names = commands::lookup(base.as_bytes()).map_or(&[][..], |c| c.subcommands());
        self.subcommands.iter().filter(move |s| names.contains(&&s.name[base.len() + 1..]))
    }

    fn info_reply(&'static self) -> Reply {
        let mut info = parse(self.info);
        if !self.subcommands.is_empty() {
            if let Reply::Array(fields) = &mut info {
                fields[9] = Reply::Array(self.implemented().map(Meta::info_reply).collect());
            }
        }
        info
    }

    fn docs_reply(&'static self) -> Reply {
        let mut docs = parse(self.docs);
        if !self.subcommands.is_empty() {
            if let Reply::Map(pairs) = &mut docs {
                let subs = self.implemented().map(|s| (Reply::bulk(s.name), s.docs_reply())).collect();
                pairs.push((Reply::bulk("subcommands"), Reply::Map(subs)));
            }
        }
        docs
    }

    fn in_category(&self, category: &str) -> bool {
        self.acl_categories.iter().any(|c| c[1..].eq_ignore_ascii_case(category))
    }
}

/// The metadata of a table command.
pub fn meta(c: &Command) -> &'static Meta {
    let i = META.binary_search_by(|m| m.name.cmp(c.name)).expect("every table command has metadata (unit test)");
    &META[i]
}

/// The metadata of subcommand `sub` of container `c` (`config`, `get`).
pub fn sub_meta(c: &Command, sub: &str) -> Option<&'static Meta> {
    meta(c).subcommands.iter().find(|m| m.name.split_once('|').is_some_and(|(_, s)| s == sub))
}

/// A command or implemented subcommand by its full name (`get`, `CONFIG|GET`),
/// as Redis's `lookupCommandBySds` finds it.
fn by_full_name(name: &[u8]) -> Option<&'static Meta> {
    let name = std::str::from_utf8(name).ok()?.to_ascii_lowercase();
    let (base, sub) = match name.split_once('|') {
        Some((base, sub)) => (base, Some(sub)),
        None => (name.as_str(), None),
    };
    let m = meta(commands::lookup(base.as_bytes())?);
    match sub {
        None => Some(m),
        Some(_) => m.implemented().find(|s| s.name == name),
    }
}

/// Every command and implemented subcommand, in table order.
fn all_names() -> impl Iterator<Item = &'static Meta> {
    COMMANDS.iter().map(meta).flat_map(|m| std::iter::once(m).chain(m.implemented()))
}

/// Parses generated RESP3 text into a reply (the text is Redis's, checked by the unit tests).
fn parse(text: &'static str) -> Reply {
    let mut rest = text.as_bytes();
    let reply = parse_one(&mut rest);
    debug_assert!(rest.is_empty());
    reply
}

fn parse_one(rest: &mut &'static [u8]) -> Reply {
    let end = rest.iter().position(|&c| c == b'\r').expect("a line");
    let (kind, line) = (rest[0], &rest[1..end]);
    *rest = &rest[end + 2..];
    let n = || std::str::from_utf8(line).ok().and_then(|s| s.parse::<i64>().ok()).expect("a number");
    let mut items = |count: i64| (0..count).map(|_| parse_one(rest)).collect::<Vec<_>>();
    match kind {
        b'+' => Reply::Status(Bytes::from_static(line)),
        b':' => Reply::Int(n()),
        b'$' => {
            let len = n() as usize;
            let data = &rest[..len];
            *rest = &rest[len + 2..];
            Reply::Bulk(Bytes::from_static(data))
        }
        b'*' => Reply::Array(items(n())),
        b'~' => Reply::Set(items(n())),
        b'%' => {
            let mut flat = items(2 * n()).into_iter();
            Reply::Map(std::iter::from_fn(|| Some((flat.next()?, flat.next()?))).collect())
        }
        other => unreachable!("RESP type {} in command metadata", other as char),
    }
}

/// A key found in a command's arguments, and the key-spec flags Redis reports
/// for it (COMMAND GETKEYSANDFLAGS).
struct FoundKey {
    pos: usize,
    flags: Reply,
}

/// A map reply's value for `key`.
fn field<'a>(map: &'a Reply, key: &str) -> Option<&'a Reply> {
    match map {
        Reply::Map(pairs) => {
            pairs.iter().find(|(k, _)| matches!(k, Reply::Bulk(b) if b == key.as_bytes())).map(|(_, v)| v)
        }
        _ => None,
    }
}

fn int_field(map: &Reply, path: &[&str]) -> Option<i64> {
    match path.iter().try_fold(map, |m, k| field(m, k))? {
        Reply::Int(n) => Some(*n),
        _ => None,
    }
}

fn str_field<'a>(map: &'a Reply, path: &[&str]) -> Option<&'a [u8]> {
    match path.iter().try_fold(map, |m, k| field(m, k))? {
        Reply::Bulk(b) => Some(b),
        _ => None,
    }
}

fn key_spec_flags(flags: &[&'static str]) -> Reply {
    Reply::Set(flags.iter().map(|f| Reply::status(f)).collect())
}

/// The keys Redis 7.0's `getKeysUsingKeySpecs` finds: each key spec's begin
/// search (an index, or a keyword) and find-keys step (a range, or a count
/// argument). None when a spec cannot say (an unknown spec, a bad count),
/// where Redis falls back to the command's own key function.
fn keys_from_specs(specs: &[Reply], args: &[Bytes]) -> Option<Vec<FoundKey>> {
    let argc = args.len() as i64;
    let mut found = Vec::new();
    for spec in specs {
        let flags = match field(spec, "flags") {
            Some(Reply::Set(f)) => f.clone(),
            _ => Vec::new(),
        };
        if flags.iter().any(|f| matches!(f, Reply::Status(s) if s == "not_key")) {
            continue;
        }
        let first = match str_field(spec, &["begin_search", "type"])? {
            b"index" => int_field(spec, &["begin_search", "spec", "index"])?,
            b"keyword" => {
                let word = str_field(spec, &["begin_search", "spec", "keyword"])?;
                let from = int_field(spec, &["begin_search", "spec", "startfrom"])?;
                let (start, end) = if from > 0 { (from, argc - 1) } else { (argc + from, 0) };
                let (mut i, mut hit) = (start, None);
                // As Redis loops: up to `end`, exclusive.
                while i != end && (1..argc).contains(&i) {
                    if args[i as usize].eq_ignore_ascii_case(word) {
                        hit = Some(i + 1);
                        break;
                    }
                    i += if start <= end { 1 } else { -1 };
                }
                match hit {
                    Some(first) => first,
                    None => continue,
                }
            }
            _ => return None,
        };
        let (first, last, step) = match str_field(spec, &["find_keys", "type"])? {
            b"range" => {
                let lastkey = int_field(spec, &["find_keys", "spec", "lastkey"])?;
                let step = int_field(spec, &["find_keys", "spec", "keystep"])?;
                let limit = int_field(spec, &["find_keys", "spec", "limit"])?;
                let last = match (lastkey >= 0, limit) {
                    (true, _) => first + lastkey,
                    (false, 0) => argc + lastkey,
                    (false, limit) => first + ((argc - first) / limit + lastkey),
                };
                (first, last, step)
            }
            b"keynum" => {
                let idx = first + int_field(spec, &["find_keys", "spec", "keynumidx"])?;
                let numkeys = args.get(idx as usize).and_then(|n| resp::parse_i64(n)).filter(|&n| n >= 0)?;
                let first = first + int_field(spec, &["find_keys", "spec", "firstkey"])?;
                (first, first + numkeys - 1, int_field(spec, &["find_keys", "spec", "keystep"])?)
            }
            _ => return None,
        };
        if last >= argc || last < first || first >= argc {
            return None;
        }
        let mut i = first;
        while i <= last {
            found.push(FoundKey { pos: i as usize, flags: Reply::Set(flags.clone()) });
            i += step.max(1);
        }
    }
    Some(found)
}

/// Keys and their flags as Redis 7.0's `getKeysFromCommandWithSpecs` finds
/// them: from the key specs, except for commands whose key flags depend on
/// their arguments (SET ... GET, BITFIELD) or whose specs cannot say (SORT's
/// BY/GET, a bad numkeys), where Redis asks the command's own key function:
/// for those the table's key finder gives the positions.
fn keys_and_flags(m: &'static Meta, table: Option<&'static Command>, args: &[Bytes]) -> Vec<FoundKey> {
    let specs = match parse(m.info) {
        Reply::Array(mut fields) => match fields.swap_remove(8) {
            Reply::Set(specs) => specs,
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    let has = |word: &str| args[3.min(args.len())..].iter().any(|a| a.eq_ignore_ascii_case(word.as_bytes()));
    match m.name {
        "set" => {
            let flags = if has("get") { &["RW", "access", "update"][..] } else { &["OW", "update"][..] };
            return vec![FoundKey { pos: 1, flags: key_spec_flags(flags) }];
        }
        "bitfield" => {
            let flags = if bitfield_readonly(args) { &["RO", "access"][..] } else { &["RW", "access", "update"][..] };
            return vec![FoundKey { pos: 1, flags: key_spec_flags(flags) }];
        }
        _ => {}
    }
    if let Some(found) = keys_from_specs(&specs, args) {
        return found;
    }
    // The fallback's first key takes the first spec's flags, the others the
    // last spec's: SORT's source and STORE key, ZUNIONSTORE's destination and sources.
    // Only commands with a key function of their own (movable keys) have one to fall back on.
    let positions = table.filter(|c| c.find_keys.is_some()).map(|c| c.key_positions(args)).unwrap_or_default();
    let spec_flags = |n: usize| {
        let spec = if n == 0 { specs.first() } else { specs.last() };
        match spec.and_then(|s| field(s, "flags")) {
            Some(Reply::Set(f)) => Reply::Set(f.clone()),
            _ => Reply::Set(Vec::new()),
        }
    };
    positions.into_iter().enumerate().map(|(n, pos)| FoundKey { pos, flags: spec_flags(n) }).collect()
}

/// Whether a BITFIELD only reads (GET and OVERFLOW only), as Redis's `bitfieldGetKeys` decides.
fn bitfield_readonly(args: &[Bytes]) -> bool {
    let mut i = 2;
    while i < args.len() {
        let more = args.len() - i - 1;
        if eq_ic(&args[i], "get") && more >= 2 {
            i += 2;
        } else if eq_ic(&args[i], "overflow") && more >= 1 {
            i += 1;
        } else {
            // SET, INCRBY, or a syntax error (assumed to write, as Redis does).
            return false;
        }
        i += 1;
    }
    true
}

/// COMMAND GETKEYS and GETKEYSANDFLAGS: the command (or, for a container,
/// the implemented subcommand) that `rest` names, as Redis's `lookupCommand`
/// resolves it, and the keys Redis finds in it.
fn getkeys(rest: &[Bytes], with_flags: bool) -> Reply {
    let Some(c) = commands::lookup(&rest[0]) else {
        return err("ERR Invalid command specified");
    };
    let (m, table) = if rest.len() > 1 && !c.subcommands().is_empty() {
        // Any of Redis's subcommands (CLIENT PAUSE too): the answer is Redis's.
        let full = [c.name.as_bytes(), b"|", &rest[1]].concat().to_ascii_lowercase();
        match meta(c).subcommands.iter().find(|s| s.name.as_bytes() == full) {
            Some(s) => (s, None),
            None => return err("ERR Invalid command specified"),
        }
    } else {
        (meta(c), Some(c))
    };
    let has_keys = match table {
        Some(c) => c.keys.0 != 0 || c.find_keys.is_some(),
        None => m.keys.0 != 0,
    };
    if !has_keys {
        return err("ERR The command has no key arguments");
    }
    let arity = m.arity;
    if (arity >= 0 && rest.len() != arity as usize) || (rest.len() as i64) < -(arity as i64) {
        return err("ERR Invalid number of arguments specified for command");
    }
    let found = keys_and_flags(m, table, rest);
    if found.is_empty() {
        // A numkeys command whose count does not fit its arguments.
        return err("ERR Invalid arguments specified for command");
    }
    let key = |k: &FoundKey| Reply::Bulk(rest[k.pos].clone());
    Reply::Array(
        found.into_iter().map(|k| if with_flags { Reply::Array(vec![key(&k), k.flags]) } else { key(&k) }).collect(),
    )
}

/// COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern].
fn list(rest: &[Bytes]) -> Reply {
    enum Filter {
        None,
        Module,
        Category(String),
        Pattern(Vec<u8>),
    }
    let mut filter = Filter::None;
    let mut i = 0;
    while i < rest.len() {
        if !(eq_ic(&rest[i], "filterby") && rest.len() - i == 3) {
            return err(SYNTAX);
        }
        let arg = &rest[i + 2];
        filter = match lower(&rest[i + 1]).as_str() {
            // No modules: a module filter matches nothing.
            "module" => Filter::Module,
            "aclcat" => Filter::Category(String::from_utf8_lossy(arg).into_owned()),
            "pattern" => Filter::Pattern(arg.to_ascii_lowercase()),
            _ => return err(SYNTAX),
        };
        i += 3;
    }
    let keep = |m: &Meta| match &filter {
        Filter::None => true,
        Filter::Module => false,
        Filter::Category(c) => m.in_category(c),
        Filter::Pattern(p) => glob_match(p, m.name.as_bytes()),
    };
    Reply::Array(all_names().filter(|m| keep(m)).map(|m| Reply::bulk(m.name)).collect())
}

pub fn command(_: &Rc<Shard>, _: &mut Client, args: &[Bytes]) -> Reply {
    let all_infos = || Reply::Array(COMMANDS.iter().map(|c| meta(c).info_reply()).collect());
    if args.len() == 1 {
        return all_infos();
    }
    let sub = lower(&args[1]);
    let rest = &args[2..];
    // Subcommands have arities of their own, as in Redis's table.
    let arity_ok = match sub.as_str() {
        "count" | "help" => rest.is_empty(),
        "getkeys" | "getkeysandflags" => rest.len() >= 2,
        _ => true,
    };
    if !arity_ok {
        return Reply::error(format!("ERR wrong number of arguments for 'command|{sub}' command"));
    }
    match sub.as_str() {
        "count" => Reply::Int(COMMANDS.len() as i64),
        "list" => list(rest),
        "info" if rest.is_empty() => all_infos(),
        "info" => Reply::Array(rest.iter().map(|n| by_full_name(n).map_or(Reply::Nil, Meta::info_reply)).collect()),
        "docs" => {
            let pick: Vec<&'static Meta> = if rest.is_empty() {
                COMMANDS.iter().map(meta).collect()
            } else {
                rest.iter().filter_map(|n| by_full_name(n)).collect()
            };
            Reply::Map(pick.into_iter().map(|m| (Reply::bulk(m.name), m.docs_reply())).collect())
        }
        "getkeys" => getkeys(rest, false),
        "getkeysandflags" => getkeys(rest, true),
        "help" => Reply::help(&[
            "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
            "HELP",
            "    Prints this help.",
        ]),
        _ => Reply::unknown_subcommand("COMMAND", &args[1]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::{ADMIN, DENYOOM, FAST, LOADING, NOSCRIPT, NO_AUTH, READONLY, STALE, WRITE};

    #[test]
    fn meta_is_sorted_and_parses() {
        assert!(META.windows(2).all(|w| w[0].name < w[1].name));
        for m in META.iter().chain(META.iter().flat_map(|m| m.subcommands)) {
            let Reply::Array(info) = parse(m.info) else { panic!("{}: info is not an array", m.name) };
            assert_eq!(info.len(), 10, "{}", m.name);
            assert_eq!(info[0], Reply::bulk(m.name));
            assert_eq!(info[1], Reply::Int(m.arity as i64), "{}", m.name);
            assert_eq!(info[3], Reply::Int(m.keys.0 as i64), "{}", m.name);
            assert_eq!(info[4], Reply::Int(m.keys.1 as i64), "{}", m.name);
            assert_eq!(info[5], Reply::Int(m.keys.2 as i64), "{}", m.name);
            let statuses = |r: &Reply| match r {
                Reply::Set(items) => items.clone(),
                other => panic!("{}: not a set: {other:?}", m.name),
            };
            let names = |v: &[&'static str]| v.iter().map(|s| Reply::status(s)).collect::<Vec<_>>();
            assert_eq!(statuses(&info[2]), names(m.flags), "{}", m.name);
            assert_eq!(statuses(&info[6]), names(m.acl_categories), "{}", m.name);
            assert!(matches!(parse(m.docs), Reply::Map(_)), "{}", m.name);
        }
    }

    /// Every table command has Redis's metadata, and the table agrees with it
    /// on arity, flags and the key triple (a difference is a table bug).
    #[test]
    fn table_agrees_with_redis() {
        assert_eq!(META.len(), COMMANDS.len(), "metadata for a command not in the table: run the generator");
        let known = [
            (WRITE, "write"),
            (READONLY, "readonly"),
            (DENYOOM, "denyoom"),
            (ADMIN, "admin"),
            (NOSCRIPT, "noscript"),
            (LOADING, "loading"),
            (STALE, "stale"),
            (FAST, "fast"),
            (NO_AUTH, "no_auth"),
        ];
        let mut wrong = Vec::new();
        for c in COMMANDS {
            let Ok(i) = META.binary_search_by(|m| m.name.cmp(c.name)) else {
                wrong.push(format!("{}: no metadata (run scripts/gen_command_meta.py)", c.name));
                continue;
            };
            let m = &META[i];
            if m.arity != c.arity {
                wrong.push(format!("{}: arity {} in the table, {} in Redis", c.name, c.arity, m.arity));
            }
            // A container (OBJECT, CONFIG, ...) has a row for all its implemented
            // subcommands: it holds the flags they share and, for routing, the
            // keys of those that have keys (OBJECT ENCODING key), which must agree.
            let subs: Vec<&Meta> =
                m.subcommands.iter().filter(|s| c.subcommands().contains(&&s.name[c.name.len() + 1..])).collect();
            if subs.len() != c.subcommands().len() {
                wrong.push(format!("{}: the table lists a subcommand Redis lacks", c.name));
            }
            let keyed: Vec<&Meta> = subs.iter().copied().filter(|s| s.keys.0 != 0).collect();
            let shown = if keyed.is_empty() { &subs } else { &keyed };
            let has_flag = |name: &str| {
                if shown.is_empty() {
                    m.flags.contains(&name)
                } else {
                    shown.iter().all(|s| s.flags.contains(&name))
                }
            };
            for (flag, name) in known {
                if c.has(flag) != has_flag(name) {
                    wrong.push(format!("{}: flag {name} differs", c.name));
                }
            }
            if c.find_keys.is_some() != has_flag("movablekeys") {
                wrong.push(format!("{}: movablekeys differs (a key finder in the table or not)", c.name));
            }
            let expected: Vec<(i32, i32, i32)> =
                if keyed.is_empty() { vec![m.keys] } else { keyed.iter().map(|s| s.keys).collect() };
            if expected.iter().any(|&k| k != c.keys) {
                wrong.push(format!("{}: keys {:?} in the table, {:?} in Redis", c.name, c.keys, expected));
            }
        }
        assert!(wrong.is_empty(), "the table disagrees with Redis 7.0:\n{}", wrong.join("\n"));
    }

    #[test]
    fn names_resolve() {
        assert_eq!(by_full_name(b"GET").map(|m| m.name), Some("get"));
        assert_eq!(by_full_name(b"Config|Get").map(|m| m.name), Some("config|get"));
        assert!(by_full_name(b"get|x").is_none());
        assert!(by_full_name(b"config|get|x").is_none());
        // A subcommand Tessera does not implement is not shown.
        assert!(by_full_name(b"client|pause").is_none());
        assert!(by_full_name(b"nosuch").is_none());
    }
}
