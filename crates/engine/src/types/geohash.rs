//! Geohashes as Redis computes them (its geohash.c and geohash_helper.c):
//! a position is a 52-bit interleaving of 26 latitude and 26 longitude bits
//! over the Web Mercator limits, stored as a sorted set score. Searches cover
//! the area with a cell and its 8 neighbours at a step chosen from the radius,
//! then filter by distance. Everything here is ported operation for
//! operation, so distances, coordinates and result sets match Redis's bits.

/// Bits per coordinate in a stored score.
pub const STEP_MAX: u8 = 26;
pub const LAT_MIN: f64 = -85.05112878;
pub const LAT_MAX: f64 = 85.05112878;
pub const LONG_MIN: f64 = -180.0;
pub const LONG_MAX: f64 = 180.0;

/// The mean earth radius Redis measures distances with.
const EARTH_RADIUS_IN_METERS: f64 = 6372797.560856;
const MERCATOR_MAX: f64 = 20037726.37;
const D_R: f64 = std::f64::consts::PI / 180.0;

fn deg_rad(ang: f64) -> f64 {
    ang * D_R
}

fn rad_deg(ang: f64) -> f64 {
    ang / D_R
}

/// A cell: `step` bits per coordinate, interleaved (latitude in the even bits).
/// Step 0 marks a neighbour left out of a search (Redis's `GZERO`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashBits {
    pub bits: u64,
    pub step: u8,
}

impl HashBits {
    const ZERO: HashBits = HashBits { bits: 0, step: 0 };

    fn is_zero(self) -> bool {
        self == HashBits::ZERO
    }

    /// The cell's first 52-bit score (Redis's `geohashAlign52Bits`).
    pub fn align52(self) -> u64 {
        self.bits << (52 - self.step as u32 * 2)
    }

    /// Sorted set scores `min..max` (max excluded) of every point in the cell.
    pub fn score_range(self) -> (f64, f64) {
        let next = HashBits { bits: self.bits + 1, step: self.step };
        (self.align52() as f64, next.align52() as f64)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    pub min: f64,
    pub max: f64,
}

/// The range the scores cover; latitudes beyond it cannot be stored.
const WGS84_LONG: Range = Range { min: LONG_MIN, max: LONG_MAX };
const WGS84_LAT: Range = Range { min: LAT_MIN, max: LAT_MAX };

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Area {
    pub longitude: Range,
    pub latitude: Range,
}

/// Spreads the low 32 bits of `x` to the even bits and `y` to the odd ones.
fn interleave64(xlo: u32, ylo: u32) -> u64 {
    const B: [u64; 5] =
        [0x5555555555555555, 0x3333333333333333, 0x0F0F0F0F0F0F0F0F, 0x00FF00FF00FF00FF, 0x0000FFFF0000FFFF];
    const S: [u32; 5] = [1, 2, 4, 8, 16];
    let (mut x, mut y) = (xlo as u64, ylo as u64);
    for i in (0..5).rev() {
        x = (x | (x << S[i])) & B[i];
        y = (y | (y << S[i])) & B[i];
    }
    x | (y << 1)
}

/// The inverse: even bits to the low half, odd bits to the high half.
fn deinterleave64(interleaved: u64) -> u64 {
    const B: [u64; 6] = [
        0x5555555555555555,
        0x3333333333333333,
        0x0F0F0F0F0F0F0F0F,
        0x00FF00FF00FF00FF,
        0x0000FFFF0000FFFF,
        0x00000000FFFFFFFF,
    ];
    const S: [u32; 6] = [0, 1, 2, 4, 8, 16];
    let (mut x, mut y) = (interleaved, interleaved >> 1);
    for i in 0..6 {
        x = (x | (x >> S[i])) & B[i];
        y = (y | (y >> S[i])) & B[i];
    }
    x | (y << 32)
}

/// C's `(uint32_t)` of a double as x86-64 gcc compiles it: truncate to 64
/// bits, keep the low 32.
fn c_u32(x: f64) -> u32 {
    x as i64 as u32
}

/// C's `(uint64_t)` of a double as x86-64 gcc compiles it (a signed
/// conversion below 2^63, a shifted one above; out of range gives
/// 0x8000000000000000 before the shift's xor). Scores that are not geohashes
/// (a ZADD'ed -1, 1e300) decode to what Redis decodes them to.
pub fn c_u64(x: f64) -> u64 {
    const TWO63: f64 = 9223372036854775808.0;
    if x.is_nan() || x < -TWO63 {
        // x86 gives i64::MIN where Rust's `as` would saturate.
        1 << 63
    } else if x < TWO63 {
        x as i64 as u64
    } else if x - TWO63 < TWO63 {
        ((x - TWO63) as i64 as u64) ^ (1 << 63)
    } else {
        0
    }
}

/// `geohashEncode`: `None` outside the limits.
fn encode(long_range: Range, lat_range: Range, longitude: f64, latitude: f64, step: u8) -> Option<HashBits> {
    if !(-180.0..=180.0).contains(&longitude) || !(LAT_MIN..=LAT_MAX).contains(&latitude) {
        return None;
    }
    if latitude < lat_range.min || latitude > lat_range.max || longitude < long_range.min || longitude > long_range.max
    {
        return None;
    }
    let mut lat_offset = (latitude - lat_range.min) / (lat_range.max - lat_range.min);
    let mut long_offset = (longitude - long_range.min) / (long_range.max - long_range.min);
    lat_offset *= (1u32 << step) as f64;
    long_offset *= (1u32 << step) as f64;
    Some(HashBits { bits: interleave64(c_u32(lat_offset), c_u32(long_offset)), step })
}

/// The cell of a valid position at `step` bits per coordinate.
pub fn encode_wgs84(longitude: f64, latitude: f64, step: u8) -> Option<HashBits> {
    encode(WGS84_LONG, WGS84_LAT, longitude, latitude, step)
}

/// The 52-bit score GEOADD stores for a valid position.
pub fn score_of(longitude: f64, latitude: f64) -> Option<u64> {
    encode_wgs84(longitude, latitude, STEP_MAX).map(HashBits::align52)
}

fn decode(long_range: Range, lat_range: Range, hash: HashBits) -> Area {
    let step = hash.step as u32;
    let sep = deinterleave64(hash.bits);
    let lat_scale = lat_range.max - lat_range.min;
    let long_scale = long_range.max - long_range.min;
    let ilato = sep as u32;
    let ilono = (sep >> 32) as u32;
    // `+ 1` wraps in 32 bits as in C: it matters only for scores that are not geohashes.
    let cells = (1u64 << step) as f64;
    Area {
        latitude: Range {
            min: lat_range.min + (ilato as f64 * 1.0 / cells) * lat_scale,
            max: lat_range.min + (ilato.wrapping_add(1) as f64 * 1.0 / cells) * lat_scale,
        },
        longitude: Range {
            min: long_range.min + (ilono as f64 * 1.0 / cells) * long_scale,
            max: long_range.min + (ilono.wrapping_add(1) as f64 * 1.0 / cells) * long_scale,
        },
    }
}

/// The centre of a cell, clamped to the limits.
fn area_center(area: &Area) -> [f64; 2] {
    let lon = ((area.longitude.min + area.longitude.max) / 2.0).clamp(LONG_MIN, LONG_MAX);
    let lat = ((area.latitude.min + area.latitude.max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    [lon, lat]
}

/// The position (longitude, latitude) a stored score stands for: the centre
/// of its step-26 cell (Redis's `decodeGeohash`).
pub fn decode_score(score: f64) -> [f64; 2] {
    area_center(&decode(WGS84_LONG, WGS84_LAT, HashBits { bits: c_u64(score), step: STEP_MAX }))
}

/// The standard 11-character base32 geohash of a stored score, as GEOHASH
/// prints it: the decoded position re-encoded over -180..180 and -90..90.
pub fn geohash_string(score: f64) -> [u8; 11] {
    const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let [lon, lat] = decode_score(score);
    let standard = Range { min: -90.0, max: 90.0 };
    // A decoded position is always inside the limits, so this encodes.
    let bits = encode(WGS84_LONG, standard, lon, lat, STEP_MAX).map_or(0, |h| h.bits);
    let mut out = [b'0'; 11];
    for (i, c) in out.iter_mut().enumerate().take(10) {
        *c = ALPHABET[((bits >> (52 - (i + 1) * 5)) & 0x1f) as usize];
    }
    out
}

// ---------------------------------------------------------------------------
// Neighbours.

fn move_x(hash: &mut HashBits, d: i8) {
    if d == 0 {
        return;
    }
    let mut x = hash.bits & 0xaaaaaaaaaaaaaaaa;
    let y = hash.bits & 0x5555555555555555;
    let zz = 0x5555555555555555u64 >> (64 - hash.step as u32 * 2);
    if d > 0 {
        x = x.wrapping_add(zz + 1);
    } else {
        x |= zz;
        x = x.wrapping_sub(zz + 1);
    }
    x &= 0xaaaaaaaaaaaaaaaa >> (64 - hash.step as u32 * 2);
    hash.bits = x | y;
}

fn move_y(hash: &mut HashBits, d: i8) {
    if d == 0 {
        return;
    }
    let x = hash.bits & 0xaaaaaaaaaaaaaaaa;
    let mut y = hash.bits & 0x5555555555555555;
    let zz = 0xaaaaaaaaaaaaaaaau64 >> (64 - hash.step as u32 * 2);
    if d > 0 {
        y = y.wrapping_add(zz + 1);
    } else {
        y |= zz;
        y = y.wrapping_sub(zz + 1);
    }
    y &= 0x5555555555555555 >> (64 - hash.step as u32 * 2);
    hash.bits = x | y;
}

/// A cell and its neighbours in the order Redis searches them: the cell,
/// north, south, east, west, north-east, north-west, south-east, south-west.
fn with_neighbours(hash: HashBits) -> [HashBits; 9] {
    let moves: [(i8, i8); 9] = [(0, 0), (0, 1), (0, -1), (1, 0), (-1, 0), (1, 1), (-1, 1), (1, -1), (-1, -1)];
    moves.map(|(dx, dy)| {
        let mut h = hash;
        move_x(&mut h, dx);
        move_y(&mut h, dy);
        h
    })
}

const NORTH: usize = 1;
const SOUTH: usize = 2;
const EAST: usize = 3;
const WEST: usize = 4;
const NORTH_EAST: usize = 5;
const NORTH_WEST: usize = 6;
const SOUTH_EAST: usize = 7;
const SOUTH_WEST: usize = 8;

// ---------------------------------------------------------------------------
// Distances and search areas.

/// Great-circle distance in meters (haversine), as `geohashGetDistance`.
pub fn distance(lon1d: f64, lat1d: f64, lon2d: f64, lat2d: f64) -> f64 {
    let lat1r = deg_rad(lat1d);
    let lon1r = deg_rad(lon1d);
    let lat2r = deg_rad(lat2d);
    let lon2r = deg_rad(lon2d);
    let u = ((lat2r - lat1r) / 2.0).sin();
    let v = ((lon2r - lon1r) / 2.0).sin();
    2.0 * EARTH_RADIUS_IN_METERS * (u * u + lat1r.cos() * lat2r.cos() * v * v).sqrt().asin()
}

/// The step whose cells are about the size of the search radius.
fn estimate_steps_by_radius(mut range_meters: f64, lat: f64) -> u8 {
    if range_meters == 0.0 {
        return 26;
    }
    let mut step: i32 = 1;
    while range_meters < MERCATOR_MAX {
        range_meters *= 2.0;
        step += 1;
    }
    step -= 2; // Make sure the range is included in most of the base cases.
               // Meridians get closer towards the poles: wider cells there.
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    step.clamp(1, 26) as u8
}

/// What a search covers: a circle or an axis-aligned box around a centre.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Shape {
    /// A radius, in the unit.
    Radius(f64),
    /// Width and height, in the unit.
    Box(f64, f64),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Search {
    /// Longitude, latitude.
    pub center: [f64; 2],
    pub shape: Shape,
    /// Meters per unit.
    pub conversion: f64,
}

impl Search {
    /// Min longitude, min latitude, max longitude, max latitude of the area
    /// (`geohashBoundingBox`): the longitude span is taken at the edge nearer
    /// the pole, where the same width spans more degrees.
    fn bounding_box(&self) -> [f64; 4] {
        let [longitude, latitude] = self.center;
        let (height, width) = match self.shape {
            Shape::Radius(r) => (self.conversion * r, self.conversion * r),
            Shape::Box(w, h) => (self.conversion * (h / 2.0), self.conversion * (w / 2.0)),
        };
        let lat_delta = rad_deg(height / EARTH_RADIUS_IN_METERS);
        let long_delta_top = rad_deg(width / EARTH_RADIUS_IN_METERS / deg_rad(latitude + lat_delta).cos());
        let long_delta_bottom = rad_deg(width / EARTH_RADIUS_IN_METERS / deg_rad(latitude - lat_delta).cos());
        let long_delta = if latitude < 0.0 { long_delta_bottom } else { long_delta_top };
        [longitude - long_delta, latitude - lat_delta, longitude + long_delta, latitude + lat_delta]
    }

    /// The cells to scan, in Redis's order (`geohashCalculateAreasByShapeWGS84`):
    /// the centre's cell and its 8 neighbours, at a step where they cover the
    /// bounding box, minus the neighbours the box does not reach.
    pub fn cells(&self) -> Vec<HashBits> {
        let [min_lon, min_lat, max_lon, max_lat] = self.bounding_box();
        let [longitude, latitude] = self.center;
        let radius_meters = self.conversion
            * match self.shape {
                Shape::Radius(r) => r,
                Shape::Box(w, h) => ((w / 2.0) * (w / 2.0) + (h / 2.0) * (h / 2.0)).sqrt(),
            };
        let mut steps = estimate_steps_by_radius(radius_meters, latitude);
        let cells_at = |steps| {
            let hash = encode_wgs84(longitude, latitude, steps).unwrap_or(HashBits { bits: 0, step: steps });
            let cells = with_neighbours(hash);
            (cells, decode(WGS84_LONG, WGS84_LAT, hash))
        };
        let (mut cells, mut area) = cells_at(steps);
        // Near a cell's edge the neighbours may not reach the whole box: go one step coarser.
        let area_of = |h: HashBits| decode(WGS84_LONG, WGS84_LAT, h);
        let decrease_step = area_of(cells[NORTH]).latitude.max < max_lat
            || area_of(cells[SOUTH]).latitude.min > min_lat
            || area_of(cells[EAST]).longitude.max < max_lon
            || area_of(cells[WEST]).longitude.min > min_lon;
        if steps > 1 && decrease_step {
            steps -= 1;
            (cells, area) = cells_at(steps);
        }
        // Leave out the neighbours on the sides the box does not reach.
        if steps >= 2 {
            let mut drop = |sides: [usize; 3]| sides.iter().for_each(|&i| cells[i] = HashBits::ZERO);
            if area.latitude.min < min_lat {
                drop([SOUTH, SOUTH_WEST, SOUTH_EAST]);
            }
            if area.latitude.max > max_lat {
                drop([NORTH, NORTH_EAST, NORTH_WEST]);
            }
            if area.longitude.min < min_lon {
                drop([WEST, SOUTH_WEST, NORTH_WEST]);
            }
            if area.longitude.max > max_lon {
                drop([EAST, SOUTH_EAST, NORTH_EAST]);
            }
        }
        // Skip left-out cells and a cell equal to the one scanned just before
        // (huge radii make neighbours repeat). As in Redis, the centre cell is
        // never the "one before": its index 0 reads as "none yet".
        let mut out = Vec::with_capacity(9);
        let mut last = 0;
        for i in 0..cells.len() {
            if cells[i].is_zero() || (last != 0 && cells[i] == cells[last]) {
                continue;
            }
            out.push(cells[i]);
            last = i;
        }
        out
    }

    /// The distance from the centre to the point at `xy` when it lies in the
    /// shape, in meters.
    pub fn contains(&self, xy: [f64; 2]) -> Option<f64> {
        let [x1, y1] = self.center;
        let [x2, y2] = xy;
        match self.shape {
            Shape::Radius(r) => {
                let d = distance(x1, y1, x2, y2);
                (d <= r * self.conversion).then_some(d)
            }
            Shape::Box(w, h) => {
                let lon_distance = distance(x2, y2, x1, y2);
                let lat_distance = distance(x2, y2, x2, y1);
                if lon_distance > w * self.conversion / 2.0 || lat_distance > h * self.conversion / 2.0 {
                    return None;
                }
                Some(distance(x1, y1, x2, y2))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleave_round_trips() {
        for (x, y) in [(0u32, 0u32), (1, 0), (0, 1), (0x3ffffff, 0x1234567), (u32::MAX, 0x5a5a5a5a)] {
            let i = interleave64(x, y);
            let d = deinterleave64(i);
            assert_eq!((d as u32, (d >> 32) as u32), (x, y));
        }
    }

    #[test]
    fn scores_and_positions_as_redis() {
        // Values from redis 7.0: GEOADD Sicily 13.361389 38.115556 Palermo.
        let score = score_of(13.361389, 38.115556).unwrap();
        assert_eq!(score, 3479099956230698);
        let [lon, lat] = decode_score(score as f64);
        assert_eq!(format!("{lon:.17}"), "13.36138933897018433");
        assert_eq!(format!("{lat:.17}"), "38.11555639549629859");
        assert_eq!(&geohash_string(score as f64), b"sqc8b49rny0");
        assert!(score_of(200.0, 0.0).is_none());
        assert!(score_of(0.0, 85.06).is_none());
    }

    #[test]
    fn odd_scores_decode_like_c() {
        assert_eq!(c_u64(-1.0), u64::MAX);
        assert_eq!(c_u64(1e300), 0);
        assert_eq!(c_u64(f64::INFINITY), 0);
        assert_eq!(c_u64(1.5), 1);
        assert_eq!(decode_score(-1.0), [LONG_MAX, LAT_MAX]);
    }

    #[test]
    fn distance_as_redis() {
        let palermo = decode_score(score_of(13.361389, 38.115556).unwrap() as f64);
        let catania = decode_score(score_of(15.087269, 37.502669).unwrap() as f64);
        let d = distance(palermo[0], palermo[1], catania[0], catania[1]);
        assert_eq!(format!("{d:.4}"), "166274.1516");
    }

    #[test]
    fn neighbours_wrap() {
        let h = HashBits { bits: 0, step: 1 };
        let cells = with_neighbours(h);
        assert_eq!(cells[NORTH], cells[SOUTH]);
        assert_eq!(cells[EAST], cells[WEST]);
    }

    #[test]
    fn steps_follow_radius() {
        assert_eq!(estimate_steps_by_radius(0.0, 0.0), 26);
        assert_eq!(estimate_steps_by_radius(1e9, 0.0), 1);
        assert!(estimate_steps_by_radius(1000.0, 0.0) > estimate_steps_by_radius(1000.0, 85.0));
    }

    #[test]
    fn search_finds_the_centre() {
        let s = Search { center: [15.0, 37.0], shape: Shape::Radius(200.0), conversion: 1000.0 };
        let palermo = decode_score(score_of(13.361389, 38.115556).unwrap() as f64);
        assert_eq!(s.contains(palermo).map(|d| format!("{:.4}", d / 1000.0)).as_deref(), Some("190.4424"));
        let score = score_of(13.361389, 38.115556).unwrap() as f64;
        assert!(s.cells().iter().any(|c| {
            let (min, max) = c.score_range();
            min <= score && score < max
        }));
    }
}
