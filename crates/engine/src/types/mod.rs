//! The collection types as pure data structures: no commands, no replies.
//! Each keeps Redis's small/large encodings and reports the encoding name
//! OBJECT ENCODING shows; the command families (`lists.rs`, `hashes.rs`,
//! `sets.rs`, `zsets.rs`) drive them.

pub mod geohash;
pub mod hash;
pub mod hll;
pub mod list;
mod packed;
pub mod set;
mod thin;
pub mod zset;
mod ztree;

pub use hash::Hash;
pub use list::List;
pub use set::Set;
pub use zset::ZSet;
