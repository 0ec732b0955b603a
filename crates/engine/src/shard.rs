//! A shard's data and the context a command runs in.

use crate::db::Db;
use bytes::Bytes;
use resp::Reply;

/// Everything one shard owns: its slice of every database.
pub struct ShardData {
    pub dbs: Vec<Db>,
    rng: u64,
}

impl ShardData {
    pub fn new(databases: usize, seed: u64) -> ShardData {
        ShardData { dbs: (0..databases).map(|_| Db::default()).collect(), rng: seed | 1 }
    }

    /// A random index below `bound` (xorshift; good enough for sampling keys).
    pub fn random(&mut self, bound: usize) -> usize {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        (self.rng % bound.max(1) as u64) as usize
    }
}

/// What a command handler sees: the shard's data, the client's selected
/// database, and the time the command runs at (one clock read per command,
/// so a command sees one consistent "now" for every key it touches).
pub struct Ctx<'a> {
    pub data: &'a mut ShardData,
    pub db: usize,
    pub now: u64,
}

impl Ctx<'_> {
    pub fn db(&mut self) -> &mut Db {
        &mut self.data.dbs[self.db]
    }
}

/// A command handler: `args[0]` is the command name as the client sent it.
pub type Handler = fn(&mut Ctx, &[Bytes]) -> Reply;

/// Unix time in milliseconds.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}
