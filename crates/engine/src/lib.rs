//! A Tessera shard's data and the command families that run on it.
//!
//! Everything here is plain synchronous Rust over one shard's data: the
//! server decides which shard runs a command and calls a handler with a
//! [`Ctx`]; no handler awaits, so a command is atomic on its shard.

mod alloc;
pub mod args;
pub mod bitmaps;
mod buckets;
pub mod db;
pub mod dump;
pub mod geo;
pub mod glob;
pub mod hashes;
pub mod hyperloglog;
pub mod key;
pub mod keys;
pub mod limits;
pub mod lists;
mod longdouble;
pub mod pqsort;
pub mod rdb;
pub mod serialize;
pub mod sets;
pub mod shard;
pub mod sort;
pub mod strings;
pub mod table;
pub mod types;
pub mod value;
pub mod zsets;

pub use db::Db;
pub use shard::{now_ms, Ctx, Handler, ShardData};
pub use value::{Collection, Entry, Value};
