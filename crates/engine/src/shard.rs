//! A shard's data and the context a command runs in.

use crate::args::WRONGTYPE;
use crate::db::Db;
use crate::value::Collection;
use bytes::Bytes;
use resp::Reply;

/// Everything one shard owns: its slice of every database.
pub struct ShardData {
    pub dbs: Vec<Db>,
    /// Separate from `dbs` so a command can hold a value and draw random numbers at once.
    pub rng: Rng,
}

impl ShardData {
    pub fn new(databases: usize, seed: u64) -> ShardData {
        ShardData { dbs: (0..databases).map(|_| Db::default()).collect(), rng: Rng(seed | 1) }
    }

    /// A random index below `bound`.
    pub fn random(&mut self, bound: usize) -> usize {
        self.rng.below(bound)
    }
}

/// xorshift64: fast, and good enough for sampling keys and members.
pub struct Rng(u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A random index below `bound` (0 when `bound` is 0).
    pub fn below(&mut self, bound: usize) -> usize {
        (self.next_u64() % bound.max(1) as u64) as usize
    }
}

/// What a command handler sees: the shard's data, the client's selected
/// database, and the time the command runs at (one clock read per command,
/// so a command sees one consistent "now" for every key it touches).
pub struct Ctx<'a> {
    pub data: &'a mut ShardData,
    pub db: usize,
    pub now: u64,
    /// Set by a write that changed nothing where its reply does not say so
    /// (ZADD of the scores members have, RENAME of a key to itself, a
    /// *STORE of nothing to a missing key): as in Redis, it is not a
    /// modification for WATCH.
    pub unchanged: bool,
}

impl<'a> Ctx<'a> {
    pub fn new(data: &'a mut ShardData, db: usize, now: u64) -> Self {
        Ctx { data, db, now, unchanged: false }
    }
}

impl Ctx<'_> {
    pub fn db(&mut self) -> &mut Db {
        &mut self.data.dbs[self.db]
    }

    /// The collection under `key`: `None` if there is no key, WRONGTYPE if
    /// the key holds another type.
    pub fn read<T: Collection>(&mut self, key: &[u8]) -> Result<Option<&T>, Reply> {
        let now = self.now;
        match self.data.dbs[self.db].get(key, now) {
            None => Ok(None),
            Some(e) => T::of(&e.value).map(Some).ok_or_else(|| Reply::error(WRONGTYPE)),
        }
    }

    /// Like `read`, to change the collection in place. A command that may
    /// empty it calls `remove_if_empty` afterwards: Redis never keeps an
    /// empty collection.
    pub fn write<T: Collection>(&mut self, key: &[u8]) -> Result<Option<&mut T>, Reply> {
        let now = self.now;
        match self.data.dbs[self.db].get_mut(key, now) {
            None => Ok(None),
            Some(e) => T::of_mut(&mut e.value).map(Some).ok_or_else(|| Reply::error(WRONGTYPE)),
        }
    }

    /// The collection under `key`, created empty when there is no key.
    /// Check every argument before calling this, or `remove_if_empty` on the
    /// error path, so a failed command leaves no empty key behind.
    pub fn write_or_create<T: Collection>(&mut self, key: &[u8]) -> Result<&mut T, Reply> {
        let now = self.now;
        let db = &mut self.data.dbs[self.db];
        if db.get(key, now).is_none() {
            db.set(key, T::default().into_value(), 0);
        }
        let entry = db.get_mut(key, now).expect("just ensured");
        T::of_mut(&mut entry.value).ok_or_else(|| Reply::error(WRONGTYPE))
    }

    /// Deletes `key` if it holds an empty collection of type `T`.
    pub fn remove_if_empty<T: Collection>(&mut self, key: &[u8]) {
        let now = self.now;
        let db = &mut self.data.dbs[self.db];
        if db.get(key, now).and_then(|e| T::of(&e.value)).is_some_and(|c| c.is_empty()) {
            db.remove(key);
        }
    }

    /// Stores a whole collection under `key` (replacing whatever was there and
    /// its TTL), or deletes the key when the collection is empty: what the
    /// *STORE commands do with their destination (storing nothing where
    /// nothing was changes nothing).
    pub fn store<T: Collection>(&mut self, key: &[u8], value: T) {
        let db = &mut self.data.dbs[self.db];
        if value.is_empty() {
            self.unchanged = db.remove(key).is_none();
        } else {
            db.set(key, value.into_value(), 0);
        }
    }
}

/// A command handler: `args[0]` is the command name as the client sent it.
pub type Handler = fn(&mut Ctx, &[Bytes]) -> Reply;

/// Unix time in milliseconds.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}
