//! SORT and SORT_RO (Redis 7.0's `sortCommandGeneric`).
//!
//! BY and GET patterns name keys derived from the elements, and on a sharded
//! server those keys may live on any shard. So the sort never reads keys
//! itself: it asks a lookup callback for pattern values. [`sort`] is the whole
//! command over one shard (right whenever every key it reads is there); the
//! server drives the single steps when patterns reach across shards:
//! [`load_step`] (the elements), [`Loaded::by_lookups`] / [`Loaded::sort`],
//! [`Loaded::get_lookups`] / [`Loaded::output`], then [`store_step`].

use crate::args::{eq_ic, err, int, SYNTAX, WRONGTYPE};
use crate::db::Db;
use crate::pqsort::pqsort;
use crate::shard::Ctx;
use crate::types::List;
use crate::value::Value;
use bytes::Bytes;
use resp::Reply;
use std::cmp::Ordering;

pub const NOT_DOUBLE: &str = "ERR One or more scores can't be converted into double";

/// A pattern value to look up: a string key's value (`field` None) or a hash field.
pub type Lookup<'a> = &'a mut dyn FnMut(&[u8], Option<&[u8]>) -> Option<Bytes>;

/// The key (and hash field, for `->field`) a pattern names for one element: what lookups take.
pub type KeyRef = (Bytes, Option<Bytes>);

/// SORT's options, parsed left to right as Redis does (the first bad option is the error).
#[derive(Debug, Clone)]
pub struct SortSpec {
    pub desc: bool,
    pub alpha: bool,
    /// LIMIT offset count as given; (0, -1) when absent.
    pub limit: (i64, i64),
    /// The last BY pattern.
    pub by: Option<Bytes>,
    /// Some BY pattern had no `*`: keep the source's order, look nothing up.
    pub dontsort: bool,
    pub gets: Vec<Bytes>,
    /// The last STORE destination (SORT_RO has no STORE: it is a syntax error there).
    pub store: Option<Bytes>,
}

impl SortSpec {
    pub fn parse(args: &[Bytes]) -> Result<SortSpec, Reply> {
        let readonly = eq_ic(&args[0], "sort_ro");
        let mut spec = SortSpec {
            desc: false,
            alpha: false,
            limit: (0, -1),
            by: None,
            dontsort: false,
            gets: vec![],
            store: None,
        };
        let mut j = 2;
        while j < args.len() {
            let (opt, left) = (&args[j], args.len() - j - 1);
            if eq_ic(opt, "asc") {
                spec.desc = false;
            } else if eq_ic(opt, "desc") {
                spec.desc = true;
            } else if eq_ic(opt, "alpha") {
                spec.alpha = true;
            } else if eq_ic(opt, "limit") && left >= 2 {
                spec.limit = (int(&args[j + 1])?, int(&args[j + 2])?);
                j += 2;
            } else if !readonly && eq_ic(opt, "store") && left >= 1 {
                spec.store = Some(args[j + 1].clone());
                j += 1;
            } else if eq_ic(opt, "by") && left >= 1 {
                // Redis never clears `dontsort` again once a constant BY set it.
                spec.dontsort |= !cstr(&args[j + 1]).contains(&b'*');
                spec.by = Some(args[j + 1].clone());
                j += 1;
            } else if eq_ic(opt, "get") && left >= 1 {
                spec.gets.push(args[j + 1].clone());
                j += 1;
            } else {
                return Err(err(SYNTAX));
            }
            j += 1;
        }
        Ok(spec)
    }

    /// Whether BY or GET patterns may read keys other than the source.
    pub fn reads_other_keys(&self) -> bool {
        (self.by.is_some() && !self.dontsort) || self.gets.iter().any(|g| !is_element_pattern(g))
    }
}

/// The part of a byte string C code sees: up to the first NUL.
fn cstr(b: &[u8]) -> &[u8] {
    b.iter().position(|&c| c == 0).map_or(b, |n| &b[..n])
}

/// `#` (as C reads it): the element itself.
fn is_element_pattern(p: &[u8]) -> bool {
    cstr(p) == b"#"
}

/// What a pattern names for one element (Redis's `lookupKeyByPattern`).
enum Target {
    Element,
    Key(KeyRef),
    Nothing,
}

/// The first `*` is replaced by the element; `->field` after it (with a
/// non-empty field) reads that hash field instead of a string value. A
/// pattern without `*` names nothing.
fn resolve(pattern: &Bytes, elem: &[u8]) -> Target {
    if is_element_pattern(pattern) {
        return Target::Element;
    }
    let c = cstr(pattern);
    let Some(star) = c.iter().position(|&b| b == b'*') else { return Target::Nothing };
    let arrow = c[star + 1..].windows(2).position(|w| w == b"->").map(|i| star + 1 + i);
    let (field, key_end) = match arrow {
        Some(a) if a + 2 < c.len() => (Some(pattern.slice(a + 2..)), a),
        _ => (None, pattern.len()),
    };
    let mut key = Vec::with_capacity(key_end - 1 + elem.len());
    key.extend_from_slice(&pattern[..star]);
    key.extend_from_slice(elem);
    key.extend_from_slice(&pattern[star + 1..key_end]);
    Target::Key((Bytes::from(key), field))
}

/// A pattern's value for `elem`: the element itself for `#`, else what `lookup` finds.
fn pattern_value(pattern: &Bytes, elem: &Bytes, lookup: Lookup) -> Option<Bytes> {
    match resolve(pattern, elem) {
        Target::Element => Some(elem.clone()),
        Target::Key((key, field)) => lookup(&key, field.as_deref()),
        Target::Nothing => None,
    }
}

/// A pattern lookup against one database: a string key's value, or a field of a hash key.
pub fn lookup_value(db: &mut Db, key: &[u8], field: Option<&[u8]>, now: u64) -> Option<Bytes> {
    match (&db.get(key, now)?.value, field) {
        (Value::Str(s), None) => Some(s.to_bytes()),
        (Value::Hash(h), Some(f)) => h.get(f).map(Bytes::copy_from_slice),
        _ => None,
    }
}

/// The elements to sort, loaded from the source key, and how to sort them.
#[derive(Debug)]
pub struct Loaded {
    /// Every element; for a list or sorted set kept in its own order, only
    /// the output range, already in output order (reversed for DESC).
    elements: Vec<Bytes>,
    /// The output is `elements[start..=end]` (nothing when `end < start`).
    start: i64,
    end: i64,
    /// False for BY nosort (the order is the source's), except for a set
    /// being stored, which Redis sorts ALPHA so the stored order is defined.
    sort: bool,
    alpha: bool,
    /// The BY pattern to sort by (None: by the elements themselves).
    by: Option<Bytes>,
}

/// Redis's LIMIT clamping: the output range `start..=end` over `len` elements.
fn output_range((offset, count): (i64, i64), len: usize) -> (i64, i64) {
    let len = len as i64;
    let mut start = offset.clamp(0, len);
    let count = count.clamp(-1, len);
    let mut end = if count < 0 { len - 1 } else { start + count - 1 };
    if start >= len {
        (start, end) = (len - 1, len - 2);
    }
    end = end.min(len - 1);
    (start, end)
}

/// Reads the elements of `key` to sort: a list, set or sorted set (no key: an
/// empty list), WRONGTYPE otherwise.
pub fn load(ctx: &mut Ctx, key: &[u8], spec: &SortSpec) -> Result<Loaded, Reply> {
    let now = ctx.now;
    let value = ctx.data.dbs[ctx.db].get(key, now).map(|e| &e.value);
    let (len, is_set) = match value {
        None => (0, false),
        Some(Value::List(l)) => (l.len(), false),
        Some(Value::Set(s)) => (s.len(), true),
        Some(Value::ZSet(z)) => (z.len(), false),
        Some(_) => return Err(err(WRONGTYPE)),
    };
    // A set's own order is arbitrary: Redis sorts it anyway (ALPHA, by the
    // elements) when that order would be stored.
    let forced = spec.dontsort && is_set && spec.store.is_some();
    let sort = !spec.dontsort || forced;
    let (mut start, mut end) = output_range(spec.limit, len);
    let mut elements = Vec::new();
    match value {
        Some(Value::List(l)) if !sort && end >= start => {
            let (s, n) = (start as usize, (end - start + 1) as usize);
            let copy = |e: &[u8]| Bytes::copy_from_slice(e);
            elements = if spec.desc {
                l.iter_rev().skip(s).take(n).map(copy).collect()
            } else {
                l.iter_from(s).take(n).map(copy).collect()
            };
            (start, end) = (0, end - start);
        }
        Some(Value::ZSet(z)) if !sort && end >= start => {
            let (s, n) = (start as usize, (end - start + 1) as usize);
            let from = if spec.desc { z.len() - 1 - s } else { s };
            elements = z.iter_at(from, spec.desc).take(n).map(|(m, _)| Bytes::copy_from_slice(m)).collect();
            (start, end) = (0, end - start);
        }
        Some(Value::List(l)) if sort => elements = l.iter().map(Bytes::copy_from_slice).collect(),
        Some(Value::ZSet(z)) if sort => elements = z.iter().map(|(m, _)| Bytes::copy_from_slice(m)).collect(),
        Some(Value::Set(s)) => elements = s.iter().map(|e| e.to_bytes()).collect(),
        _ => {}
    }
    let by = if sort && !forced { spec.by.clone() } else { None };
    Ok(Loaded { elements, start, end, sort, alpha: spec.alpha || forced, by })
}

/// One element with what it sorts by.
struct Item {
    elem: Bytes,
    score: f64,
    /// ALPHA BY: the pattern's value (None when missing: sorts first).
    by: Option<Bytes>,
}

impl Loaded {
    /// The elements in the output, in order.
    fn output_elements(&self) -> &[Bytes] {
        if self.end < self.start {
            return &[];
        }
        &self.elements[self.start as usize..=self.end as usize]
    }

    /// The keys sorting will look up: the BY pattern's, one per element.
    pub fn by_lookups(&self) -> Vec<KeyRef> {
        let Some(by) = &self.by else { return Vec::new() };
        self.elements
            .iter()
            .filter_map(|e| match resolve(by, e) {
                Target::Key(k) => Some(k),
                _ => None,
            })
            .collect()
    }

    /// Sorts the elements as Redis does; the error when a score is not a number.
    pub fn sort(&mut self, spec: &SortSpec, lookup: Lookup) -> Result<(), Reply> {
        if !self.sort {
            return Ok(());
        }
        let mut bad_score = false;
        let mut items: Vec<Item> = std::mem::take(&mut self.elements)
            .into_iter()
            .map(|elem| {
                let value = match &self.by {
                    Some(by) => pattern_value(by, &elem, lookup),
                    None => Some(elem.clone()),
                };
                let mut item = Item { elem, score: 0.0, by: None };
                match value {
                    // A missing BY value sorts as 0 (or first with ALPHA).
                    None => {}
                    Some(v) if self.alpha => item.by = self.by.as_ref().map(|_| v),
                    Some(v) => match parse_score(&v) {
                        Some(s) => item.score = s,
                        None => bad_score = true,
                    },
                }
                item
            })
            .collect();
        if bad_score {
            return Err(err(NOT_DOUBLE));
        }
        let (alpha, by, binary, desc) = (self.alpha, self.by.is_some(), spec.store.is_some(), spec.desc);
        let mut cmp = |a: &Item, b: &Item| {
            let c = if !alpha {
                match a.score.partial_cmp(&b.score) {
                    Some(Ordering::Equal) | None => a.elem.cmp(&b.elem),
                    Some(o) => o,
                }
            } else if by {
                match (&a.by, &b.by) {
                    (None, None) => Ordering::Equal,
                    (None, Some(_)) => Ordering::Less,
                    (Some(_), None) => Ordering::Greater,
                    (Some(x), Some(y)) => compare_text(x, y, binary),
                }
            } else {
                compare_text(&a.elem, &b.elem, binary)
            };
            if desc {
                c.reverse()
            } else {
                c
            }
        };
        let len = items.len() as i64;
        if self.end >= self.start {
            if by && (self.start != 0 || self.end != len - 1) {
                // Redis sorts only what LIMIT keeps, with its own quicksort: ties
                // (equal ALPHA BY values) come out in the order that sort leaves them.
                pqsort(&mut items, self.start as usize, self.end as usize, &mut cmp);
            } else {
                // glibc's qsort, which Redis uses otherwise, is a stable merge sort.
                items.sort_by(&mut cmp);
            }
        }
        self.elements = items.into_iter().map(|i| i.elem).collect();
        Ok(())
    }

    /// The keys the GET patterns will look up for the output elements.
    pub fn get_lookups(&self, spec: &SortSpec) -> Vec<KeyRef> {
        let mut keys = Vec::new();
        for e in self.output_elements() {
            for g in &spec.gets {
                if let Target::Key(k) = resolve(g, e) {
                    keys.push(k);
                }
            }
        }
        keys
    }

    /// The result: the output elements, or for each the GET patterns' values (None: missing).
    pub fn output(&self, spec: &SortSpec, lookup: Lookup) -> Vec<Option<Bytes>> {
        let elems = self.output_elements();
        if spec.gets.is_empty() {
            return elems.iter().map(|e| Some(e.clone())).collect();
        }
        let mut out = Vec::with_capacity(elems.len() * spec.gets.len());
        for e in elems {
            for g in &spec.gets {
                out.push(pattern_value(g, e, lookup));
            }
        }
        out
    }

    /// For carrying the loaded elements from the source's shard: see [`Loaded::from_reply`].
    fn into_reply(self) -> Reply {
        let flags = self.sort as i64 | (self.alpha as i64) << 1;
        Reply::Array(vec![
            Reply::Int(self.start),
            Reply::Int(self.end),
            Reply::Int(flags),
            self.by.map_or(Reply::Nil, Reply::Bulk),
            Reply::Array(self.elements.into_iter().map(Reply::Bulk).collect()),
        ])
    }

    /// The elements [`load_step`] loaded, or the error it replied with.
    pub fn from_reply(reply: Reply) -> Result<Loaded, Reply> {
        let Reply::Array(parts) = reply else { return Err(reply) };
        let bulk = |r: Reply| match r {
            Reply::Bulk(b) => Some(b),
            _ => None,
        };
        match <[Reply; 5]>::try_from(parts) {
            Ok([Reply::Int(start), Reply::Int(end), Reply::Int(flags), by, Reply::Array(elems)]) => Ok(Loaded {
                elements: elems.into_iter().filter_map(bulk).collect(),
                start,
                end,
                sort: flags & 1 != 0,
                alpha: flags & 2 != 0,
                by: bulk(by),
            }),
            _ => Err(err("ERR internal error: malformed SORT step reply")),
        }
    }
}

/// Text comparison: byte order for STORE (Redis's `compareStringObjects`), else
/// `strcoll` in the C locale, which stops at the first NUL.
fn compare_text(a: &[u8], b: &[u8], binary: bool) -> Ordering {
    if binary {
        a.cmp(b)
    } else {
        cstr(a).cmp(cstr(b))
    }
}

/// A score as Redis reads one for SORT, with C's `strtod`: the whole text (up
/// to a NUL, where C stops) must be a number, not NaN, and in range (no
/// ERANGE, which glibc also sets on underflow). Empty text reads as 0.
fn parse_score(v: &[u8]) -> Option<f64> {
    let s = cstr(v);
    if s.is_empty() {
        return Some(0.0);
    }
    let t = &s[s.iter().position(|c| !b" \t\n\x0b\x0c\r".contains(c)).unwrap_or(s.len())..];
    let (neg, body) = match t.first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let lower = body.to_ascii_lowercase();
    let (magnitude, nonzero_digits) = if lower == b"inf" || lower == b"infinity" {
        return Some(if neg { f64::NEG_INFINITY } else { f64::INFINITY });
    } else if let Some(hex) = lower.strip_prefix(b"0x") {
        parse_hex(hex)?
    } else {
        parse_decimal(body)?
    };
    let tiny = magnitude != 0.0 && magnitude < f64::MIN_POSITIVE;
    if magnitude.is_infinite() || tiny || (magnitude == 0.0 && nonzero_digits) {
        return None;
    }
    Some(if neg { -magnitude } else { magnitude })
}

/// `digits[.digits][e[+-]digits]` with at least one mantissa digit; the
/// value and whether any mantissa digit was non-zero.
fn parse_decimal(body: &[u8]) -> Option<(f64, bool)> {
    let digits = |from: usize| body[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let int = digits(0);
    let mut i = int;
    let mut frac = 0;
    if body.get(i) == Some(&b'.') {
        frac = digits(i + 1);
        i += 1 + frac;
    }
    if int + frac == 0 {
        return None;
    }
    let nonzero = body[..i].iter().any(|c| (b'1'..=b'9').contains(c));
    if matches!(body.get(i), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(body.get(i + 1), Some(b'+' | b'-')));
        let exp = digits(i + 1 + sign);
        if exp == 0 {
            return None;
        }
        i += 1 + sign + exp;
    }
    if i != body.len() {
        return None;
    }
    let value: f64 = std::str::from_utf8(body).ok()?.parse().ok()?;
    Some((value, nonzero))
}

/// C99 hex floats after `0x`: `hexdigits[.hexdigits][p[+-]digits]`.
fn parse_hex(body: &[u8]) -> Option<(f64, bool)> {
    let (mut mantissa, mut exp, mut any, mut nonzero, mut seen_dot) = (0f64, 0i64, false, false, false);
    let mut i = 0;
    while let Some(&c) = body.get(i) {
        match c {
            b'.' if !seen_dot => seen_dot = true,
            _ if c.is_ascii_hexdigit() => {
                let d = (c as char).to_digit(16).expect("hex digit");
                mantissa = mantissa * 16.0 + d as f64;
                exp -= if seen_dot { 4 } else { 0 };
                any = true;
                nonzero |= d != 0;
            }
            _ => break,
        }
        i += 1;
    }
    if !any {
        return None;
    }
    if body.get(i) == Some(&b'p') {
        let rest = &body[i + 1..];
        let text = std::str::from_utf8(rest).ok()?;
        let digits = text.trim_start_matches(['+', '-']);
        if text.len() - digits.len() > 1 || digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        exp =
            exp.saturating_add(text.parse::<i64>().unwrap_or(if text.starts_with('-') { i64::MIN } else { i64::MAX }));
        i = body.len();
    }
    if i != body.len() {
        return None;
    }
    // Scale in two steps so an intermediate power of two cannot overflow early.
    let e = exp.clamp(-2200, 2200) as i32;
    Some((mantissa * 2f64.powi(e / 2) * 2f64.powi(e - e / 2), nonzero))
}

/// The reply to a SORT without STORE: missing GET values are nil.
pub fn reply(values: Vec<Option<Bytes>>) -> Reply {
    Reply::Array(values.into_iter().map(|v| v.map_or(Reply::Nil, Reply::Bulk)).collect())
}

/// Stores the result as a list under `dest` (replacing its value and TTL;
/// an empty result deletes it), missing GET values as empty strings. Replies
/// with the length.
pub fn store_list(ctx: &mut Ctx, dest: &[u8], values: Vec<Option<Bytes>>) -> Reply {
    let mut list = List::default();
    for v in &values {
        list.push_back(v.as_deref().unwrap_or_default());
    }
    ctx.store(dest, list);
    Reply::Int(values.len() as i64)
}

/// SORT / SORT_RO over one shard: every key it reads must be on it.
pub fn sort(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    sort_here(ctx, args).unwrap_or_else(|e| e)
}

fn sort_here(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, Reply> {
    let spec = SortSpec::parse(args)?;
    let mut loaded = load(ctx, &args[1], &spec)?;
    let (db, now) = (ctx.db, ctx.now);
    let mut lookup = |k: &[u8], f: Option<&[u8]>| lookup_value(&mut ctx.data.dbs[db], k, f, now);
    loaded.sort(&spec, &mut lookup)?;
    let values = loaded.output(&spec, &mut lookup);
    Ok(match &spec.store {
        Some(dest) => store_list(ctx, dest, values),
        None => reply(values),
    })
}

/// The first step of a SORT routed by the server: loads the source (the
/// SORT's own arguments) on its shard, for [`Loaded::from_reply`].
pub fn load_step(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match SortSpec::parse(args).and_then(|spec| load(ctx, &args[1], &spec)) {
        Ok(loaded) => loaded.into_reply(),
        Err(e) => e,
    }
}

/// The last step of a routed SORT ... STORE: `_ dest value...` stores the values as a list.
pub fn store_step(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    store_list(ctx, &args[1], args[2..].iter().map(|v| Some(v.clone())).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    #[test]
    fn scores_read_like_strtod() {
        assert_eq!(parse_score(b""), Some(0.0));
        assert_eq!(parse_score(b" 5"), Some(5.0));
        assert_eq!(parse_score(b"0x10"), Some(16.0));
        assert_eq!(parse_score(b"0x1p3"), Some(8.0));
        assert_eq!(parse_score(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_score(b"Infinity"), Some(f64::INFINITY));
        assert_eq!(parse_score(b"3."), Some(3.0));
        assert_eq!(parse_score(b".5"), Some(0.5));
        assert_eq!(parse_score(b"+3"), Some(3.0));
        assert_eq!(parse_score(b"1e-2"), Some(0.01));
        assert_eq!(parse_score(b"0e5"), Some(0.0));
        assert_eq!(parse_score(b"5\0junk"), Some(5.0));
        for bad in ["5 ", "1e400", "1e-400", "1e-310", "nan", "x", " ", "-", "1e", "0x", "1.2.3", "infx"] {
            assert_eq!(parse_score(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn patterns_resolve_like_redis() {
        let key = |p: &str, e: &str| match resolve(&b(p), e.as_bytes()) {
            Target::Key((k, f)) => Some((k, f)),
            _ => None,
        };
        assert_eq!(key("w_*", "a"), Some((b("w_a"), None)));
        assert_eq!(key("h_*->f", "a"), Some((b("h_a"), Some(b("f")))));
        assert_eq!(key("h_*x->f->g", "a"), Some((b("h_ax"), Some(b("f->g")))));
        assert_eq!(key("h_*->", "a"), Some((b("h_a->"), None)));
        assert_eq!(key("h->*", "a"), Some((b("h->a"), None)));
        assert_eq!(key("*_*", "a"), Some((b("a_*"), None)));
        assert!(key("nostar", "a").is_none());
        assert!(matches!(resolve(&b("#"), b"a"), Target::Element));
    }

    #[test]
    fn limit_clamps_like_redis() {
        assert_eq!(output_range((0, -1), 4), (0, 3));
        assert_eq!(output_range((2, i64::MAX), 4), (2, 3));
        assert_eq!(output_range((-5, 2), 4), (0, 1));
        assert_eq!(output_range((5, 1), 4), (3, 2));
        assert_eq!(output_range((1, 0), 4), (1, 0));
        assert_eq!(output_range((0, -1), 0), (-1, -2));
    }
}
