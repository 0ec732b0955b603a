//! The geo family: points stored in a sorted set, each scored by the 52-bit
//! geohash of its position (`types::geohash`). GEOADD is ZADD with computed
//! scores; the searches scan the score ranges of 9 cells around the centre
//! and filter by distance or box, as Redis's geo.c does.

use crate::args::*;
use crate::pqsort::pqsort;
use crate::shard::Ctx;
use crate::types::geohash::{self, Search, Shape};
use crate::types::ZSet;
use crate::zsets::parse_score;
use bytes::Bytes;
use resp::Reply;
use std::cmp::Ordering;

/// Runs a handler body written with `?`: an `Err` is the reply too.
fn run(body: impl FnOnce() -> Result<Reply, Reply>) -> Reply {
    body().unwrap_or_else(|e| e)
}

// ---------------------------------------------------------------------------
// Arguments and replies.

/// A longitude and latitude (`extractLongLatOrReply`): floats as ZADD reads
/// scores, inside the limits a score can encode.
fn lon_lat(args: &[Bytes]) -> Result<[f64; 2], Reply> {
    let lon = parse_score(&args[0]).ok_or_else(|| err(NOT_FLOAT))?;
    let lat = parse_score(&args[1]).ok_or_else(|| err(NOT_FLOAT))?;
    if !(geohash::LONG_MIN..=geohash::LONG_MAX).contains(&lon) || !(geohash::LAT_MIN..=geohash::LAT_MAX).contains(&lat)
    {
        return Err(err(&format!("ERR invalid longitude,latitude pair {lon:.6},{lat:.6}")));
    }
    Ok([lon, lat])
}

/// An option or unit name as Redis's `strcasecmp` sees it: lowercase, up to
/// the first NUL (so `km\0x` is `km`).
fn word(arg: &[u8]) -> String {
    lower(&arg[..arg.iter().position(|&c| c == 0).unwrap_or(arg.len())])
}

/// Meters per unit.
fn unit(arg: &[u8]) -> Result<f64, Reply> {
    match word(arg).as_str() {
        "m" => Ok(1.0),
        "km" => Ok(1000.0),
        "ft" => Ok(0.3048),
        "mi" => Ok(1609.34),
        _ => Err(err("ERR unsupported unit provided. please use M, KM, FT, MI")),
    }
}

/// A non-negative float, or the error `msg`.
fn length(arg: &[u8], msg: &str) -> Result<f64, Reply> {
    parse_score(arg).ok_or_else(|| err(msg))
}

/// `radius unit`: the radius (in the unit) and meters per unit.
fn radius(args: &[Bytes]) -> Result<(Shape, f64), Reply> {
    let r = length(&args[0], "ERR need numeric radius")?;
    if r < 0.0 {
        return Err(err("ERR radius cannot be negative"));
    }
    Ok((Shape::Radius(r), unit(&args[1])?))
}

/// `width height unit`.
fn box_shape(args: &[Bytes]) -> Result<(Shape, f64), Reply> {
    let w = length(&args[0], "ERR need numeric width")?;
    let h = length(&args[1], "ERR need numeric height")?;
    if h < 0.0 || w < 0.0 {
        return Err(err("ERR height or width cannot be negative"));
    }
    Ok((Shape::Box(w, h), unit(&args[2])?))
}

/// A distance as Redis prints one: 4 decimals, a bulk string even in RESP3.
fn distance_reply(d: f64) -> Reply {
    Reply::Bulk(Bytes::from(format!("{d:.4}")))
}

/// A coordinate as Redis prints one (`addReplyHumanLongDouble`): `%.17Lf`
/// without trailing zeros.
fn coordinate_reply(x: f64) -> Reply {
    let mut s = format!("{x:.17}");
    let trimmed = s.trim_end_matches('0').trim_end_matches('.').len();
    s.truncate(trimmed);
    if s == "-0" {
        s = "0".into();
    }
    Reply::DoubleText(Bytes::from(s))
}

fn position_reply([lon, lat]: [f64; 2]) -> Reply {
    Reply::Array(vec![coordinate_reply(lon), coordinate_reply(lat)])
}

// ---------------------------------------------------------------------------
// GEOADD, GEODIST, GEOPOS, GEOHASH.

/// GEOADD key [NX|XX] [CH] lon lat member ...: Redis checks the options and
/// every position, then runs ZADD with the scores, and so does this (passing
/// the options on as the words it read them as).
pub fn geoadd(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    run(|| {
        let (mut nx, mut xx) = (false, false);
        let mut zadd = vec![Bytes::from_static(b"zadd"), args[1].clone()];
        let mut at = 2;
        while let Some(opt) = args.get(at) {
            let opt = word(opt);
            match opt.as_str() {
                "nx" => nx = true,
                "xx" => xx = true,
                "ch" => {}
                _ => break,
            }
            zadd.push(Bytes::from(opt));
            at += 1;
        }
        let triples = &args[at..];
        if !triples.len().is_multiple_of(3) || (nx && xx) {
            return Err(err(SYNTAX));
        }
        for t in triples.chunks(3) {
            let [lon, lat] = lon_lat(t)?;
            let score = geohash::score_of(lon, lat).expect("checked position encodes");
            zadd.push(Bytes::from(score.to_string()));
            zadd.push(t[2].clone());
        }
        Ok(crate::zsets::zadd(ctx, &zadd))
    })
}

/// GEODIST key member1 member2 [unit]
pub fn geodist(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    run(|| {
        let to_meters = match args.len() {
            4 => 1.0,
            5 => unit(&args[4])?,
            _ => return Err(err(SYNTAX)),
        };
        let Some(z) = ctx.read::<ZSet>(&args[1])? else { return Ok(Reply::Nil) };
        let (Some(s1), Some(s2)) = (z.score(&args[2]), z.score(&args[3])) else { return Ok(Reply::Nil) };
        let ([lon1, lat1], [lon2, lat2]) = (geohash::decode_score(s1), geohash::decode_score(s2));
        Ok(distance_reply(geohash::distance(lon1, lat1, lon2, lat2) / to_meters))
    })
}

/// GEOPOS key member ...: each position, or a null array for a missing member.
pub fn geopos(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    run(|| {
        let z = ctx.read::<ZSet>(&args[1])?;
        let pos = |m: &Bytes| match z.and_then(|z| z.score(m)) {
            Some(score) => position_reply(geohash::decode_score(score)),
            None => Reply::NilArray,
        };
        Ok(Reply::Array(args[2..].iter().map(pos).collect()))
    })
}

/// GEOHASH key member ...: each standard geohash string, or null.
pub fn geohash(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    run(|| {
        let z = ctx.read::<ZSet>(&args[1])?;
        let hash = |m: &Bytes| match z.and_then(|z| z.score(m)) {
            Some(score) => Reply::Bulk(Bytes::copy_from_slice(&geohash::geohash_string(score))),
            None => Reply::Nil,
        };
        Ok(Reply::Array(args[2..].iter().map(hash).collect()))
    })
}

// ---------------------------------------------------------------------------
// The searches.

/// Which search command runs (Redis's `georadiusGeneric` flags).
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// GEORADIUS key lon lat radius unit ... [STORE|STOREDIST key]
    Coords,
    /// GEORADIUS_RO: no STORE.
    CoordsRo,
    /// GEORADIUSBYMEMBER key member radius unit ... [STORE|STOREDIST key]
    Member,
    /// GEORADIUSBYMEMBER_RO: no STORE.
    MemberRo,
    /// GEOSEARCH key FROMMEMBER|FROMLONLAT BYRADIUS|BYBOX ...
    Search,
    /// GEOSEARCHSTORE dest key ... [STOREDIST]
    SearchStore,
}

pub fn georadius(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    run(|| search(ctx, args, Kind::Coords))
}

pub fn georadiusbymember(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    run(|| search(ctx, args, Kind::Member))
}

pub fn georadius_ro(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    run(|| search(ctx, args, Kind::CoordsRo))
}

pub fn georadiusbymember_ro(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    run(|| search(ctx, args, Kind::MemberRo))
}

pub fn geosearch(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    run(|| search(ctx, args, Kind::Search))
}

pub fn geosearchstore(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    run(|| search(ctx, args, Kind::SearchStore))
}

#[derive(Clone, Copy, PartialEq)]
enum Sort {
    None,
    Asc,
    Desc,
}

/// A point found by a search.
struct Found {
    member: Bytes,
    score: f64,
    xy: [f64; 2],
    /// Meters from the centre.
    dist: f64,
}

/// The position of `member` in `z`, or Redis's error for a missing one.
fn member_position(z: &ZSet, member: &[u8]) -> Result<[f64; 2], Reply> {
    match z.score(member) {
        Some(score) => Ok(geohash::decode_score(score)),
        None => Err(err("ERR could not decode requested zset member")),
    }
}

/// A search command's arguments, read.
struct Query<'a> {
    /// `None` only when there is no source key (then nothing else is read).
    area: Option<Search>,
    /// The destination key, and whether it stores distances (STOREDIST).
    store: Option<(&'a Bytes, bool)>,
    withdist: bool,
    withhash: bool,
    withcoord: bool,
    any: bool,
    sort: Sort,
    /// 0: no COUNT.
    count: usize,
}

/// Reads a search command's arguments in Redis's order: the centre and
/// shape, then the options one by one (each error as soon as it is met),
/// then their combinations. `z` is the source set, when there is one.
fn parse_query<'a>(args: &'a [Bytes], kind: Kind, z: Option<&ZSet>) -> Result<Query<'a>, Reply> {
    let mut center = None;
    let mut shape = None;
    let base = match kind {
        Kind::Coords | Kind::CoordsRo => {
            center = Some(lon_lat(&args[2..4])?);
            shape = Some(radius(&args[4..6])?);
            6
        }
        // Without the key Redis checks neither member nor radius: the reply is empty anyway.
        Kind::Member | Kind::MemberRo => {
            if let Some(z) = z {
                center = Some(member_position(z, &args[2])?);
                shape = Some(radius(&args[3..5])?);
            }
            5
        }
        Kind::Search => 2,
        Kind::SearchStore => 3,
    };
    let can_store = matches!(kind, Kind::Coords | Kind::Member);
    let searching = matches!(kind, Kind::Search | Kind::SearchStore);
    let mut q = Query {
        area: None,
        store: (kind == Kind::SearchStore).then_some((&args[1], false)),
        withdist: false,
        withhash: false,
        withcoord: false,
        any: false,
        sort: Sort::None,
        count: 0,
    };
    let (mut frommember, mut fromlonlat, mut byradius, mut bybox) = (false, false, false, false);
    let opts = &args[base..];
    let mut i = 0;
    while i < opts.len() {
        let left = opts.len() - i - 1;
        let opt = word(&opts[i]);
        match opt.as_str() {
            "withdist" => q.withdist = true,
            "withhash" => q.withhash = true,
            "withcoord" => q.withcoord = true,
            "any" => q.any = true,
            "asc" => q.sort = Sort::Asc,
            "desc" => q.sort = Sort::Desc,
            "count" if left >= 1 => {
                let n = int(&opts[i + 1])?;
                if n <= 0 {
                    return Err(err("ERR COUNT must be > 0"));
                }
                q.count = n as usize;
                i += 1;
            }
            "store" | "storedist" if left >= 1 && can_store => {
                q.store = Some((&opts[i + 1], opt == "storedist"));
                i += 1;
            }
            "storedist" if kind == Kind::SearchStore => q.store = Some((&args[1], true)),
            "frommember" if left >= 1 && searching && !fromlonlat => {
                if let Some(z) = z {
                    center = Some(member_position(z, &opts[i + 1])?);
                }
                frommember = true;
                i += 1;
            }
            "fromlonlat" if left >= 2 && searching && !frommember => {
                center = Some(lon_lat(&opts[i + 1..i + 3])?);
                fromlonlat = true;
                i += 2;
            }
            "byradius" if left >= 2 && searching && !bybox => {
                shape = Some(radius(&opts[i + 1..i + 3])?);
                byradius = true;
                i += 2;
            }
            "bybox" if left >= 3 && searching && !byradius => {
                shape = Some(box_shape(&opts[i + 1..i + 4])?);
                bybox = true;
                i += 3;
            }
            _ => return Err(err(SYNTAX)),
        }
        i += 1;
    }
    if q.store.is_some() && (q.withdist || q.withhash || q.withcoord) {
        let what = if kind == Kind::SearchStore { "GEOSEARCHSTORE" } else { "STORE option in GEORADIUS" };
        return Err(err(&format!("ERR {what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options")));
    }
    let name = String::from_utf8_lossy(&args[0]);
    if searching && !(frommember || fromlonlat) {
        return Err(err(&format!("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}")));
    }
    if searching && !(byradius || bybox) {
        return Err(err(&format!("ERR exactly one of BYRADIUS and BYBOX can be specified for {name}")));
    }
    if q.any && q.count == 0 {
        return Err(err("ERR the ANY argument requires COUNT argument"));
    }
    if let (Some(_), Some(center), Some((shape, conversion))) = (z, center, shape) {
        q.area = Some(Search { center, shape, conversion });
    }
    Ok(q)
}

/// Every search command: the source key's type is checked first, then the
/// arguments; the points found are sorted, cut to COUNT, and replied or stored.
fn search(ctx: &mut Ctx, args: &[Bytes], kind: Kind) -> Result<Reply, Reply> {
    let z = ctx.read::<ZSet>(&args[if kind == Kind::SearchStore { 2 } else { 1 }])?;
    let q = parse_query(args, kind, z)?;
    let (Some(z), Some(area)) = (z, q.area) else {
        // No source key: an empty result (which a STORE makes a deletion).
        return Ok(match q.store {
            Some((dest, _)) => {
                ctx.store(dest, ZSet::default());
                Reply::Int(0)
            }
            None => Reply::Array(Vec::new()),
        });
    };
    // COUNT means the nearest ones, unless ANY asks for the first found.
    let sort = if q.count != 0 && q.sort == Sort::None && !q.any { Sort::Asc } else { q.sort };
    let mut found = points_in(z, &area, if q.any { q.count } else { 0 });
    let returned = if q.count == 0 { found.len() } else { found.len().min(q.count) };
    if sort != Sort::None {
        let by_dist = |a: &Found, b: &Found| {
            let o = if a.dist > b.dist {
                Ordering::Greater
            } else if a.dist == b.dist {
                Ordering::Equal
            } else {
                Ordering::Less
            };
            if sort == Sort::Desc {
                o.reverse()
            } else {
                o
            }
        };
        // glibc's qsort is a stable merge sort; Redis's pqsort a quicksort
        // that sorts only the first `returned`: equal distances come out in
        // their orders.
        if returned == found.len() {
            found.sort_by(by_dist);
        } else if returned > 0 {
            pqsort(&mut found, 0, returned - 1, &mut |a, b| by_dist(a, b));
        }
    }
    found.truncate(returned);
    for f in &mut found {
        f.dist /= area.conversion;
    }
    if let Some((dest, storedist)) = q.store {
        let n = found.len();
        let items = found.into_iter().map(|f| (if storedist { f.dist } else { f.score }, f.member)).collect();
        ctx.store(dest, ZSet::from_pairs(items));
        return Ok(Reply::Int(n as i64));
    }
    let extras = [q.withdist, q.withhash, q.withcoord].iter().filter(|&&b| b).count();
    let item = |f: Found| {
        if extras == 0 {
            return Reply::Bulk(f.member);
        }
        let mut r = Vec::with_capacity(extras + 1);
        r.push(Reply::Bulk(f.member));
        if q.withdist {
            r.push(distance_reply(f.dist));
        }
        if q.withhash {
            r.push(Reply::Int(f.score as i64));
        }
        if q.withcoord {
            r.push(position_reply(f.xy));
        }
        Reply::Array(r)
    };
    Ok(Reply::Array(found.into_iter().map(item).collect()))
}

/// The points of `z` inside the search area, cell by cell in Redis's order,
/// each cell in score order; with a `limit` (ANY), the first `limit` found.
fn points_in(z: &ZSet, area: &Search, limit: usize) -> Vec<Found> {
    let mut found = Vec::new();
    for cell in area.cells() {
        if limit > 0 && found.len() >= limit {
            break;
        }
        let (min, max) = cell.score_range();
        let start = z.prefix_len(|s, _| s < min);
        for (member, score) in z.iter_at(start, false) {
            if score >= max {
                break;
            }
            let xy = geohash::decode_score(score);
            if let Some(dist) = area.contains(xy) {
                found.push(Found { member: Bytes::copy_from_slice(member), score, xy, dist });
                if limit > 0 && found.len() >= limit {
                    break;
                }
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_print_as_redis() {
        let text = |x| match coordinate_reply(x) {
            Reply::DoubleText(t) => String::from_utf8(t.to_vec()).unwrap(),
            _ => unreachable!(),
        };
        assert_eq!(text(180.0), "180");
        assert_eq!(text(-0.0), "0");
        assert_eq!(text(0.5), "0.5");
        assert_eq!(text(85.05112878), "85.0511287799999991");
    }
}
