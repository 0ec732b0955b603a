//! Encoding thresholds (`hash-max-listpack-entries` and friends): process-wide
//! settings that CONFIG SET changes at run time and every shard reads, so they
//! live in relaxed atomics rather than in each shard's data.

use std::sync::atomic::{AtomicI64, Ordering::Relaxed};

macro_rules! limits {
    ($($(#[$doc:meta])* $name:ident, $set:ident, $directive:literal = $default:expr;)*) => {
        $(
            static $name: AtomicI64 = AtomicI64::new($default);
            $(#[$doc])*
            pub fn $set(v: i64) {
                $name.store(v, Relaxed)
            }
        )*
        /// Every threshold directive with its current value, for CONFIG GET.
        pub fn all() -> Vec<(&'static str, i64)> {
            vec![$(($directive, $name.load(Relaxed))),*]
        }
        /// Sets a threshold by directive name; false if the name is not one.
        pub fn set_by_name(name: &str, v: i64) -> bool {
            match name {
                $($directive => $set(v),)*
                _ => return false,
            }
            true
        }
    };
}

limits! {
    /// Positive: entries per listpack node; negative -1..-5: node size 4..64 KiB.
    LIST_MAX_LISTPACK_SIZE, set_list_max_listpack_size, "list-max-listpack-size" = -2;
    LIST_COMPRESS_DEPTH, set_list_compress_depth, "list-compress-depth" = 0;
    HASH_MAX_LISTPACK_ENTRIES, set_hash_max_listpack_entries, "hash-max-listpack-entries" = 512;
    HASH_MAX_LISTPACK_VALUE, set_hash_max_listpack_value, "hash-max-listpack-value" = 64;
    SET_MAX_INTSET_ENTRIES, set_set_max_intset_entries, "set-max-intset-entries" = 512;
    ZSET_MAX_LISTPACK_ENTRIES, set_zset_max_listpack_entries, "zset-max-listpack-entries" = 128;
    ZSET_MAX_LISTPACK_VALUE, set_zset_max_listpack_value, "zset-max-listpack-value" = 64;
    HLL_SPARSE_MAX_BYTES, set_hll_sparse_max_bytes, "hll-sparse-max-bytes" = 3000;
}

pub fn list_max_listpack_size() -> i64 {
    LIST_MAX_LISTPACK_SIZE.load(Relaxed)
}
pub fn hash_max_listpack_entries() -> usize {
    HASH_MAX_LISTPACK_ENTRIES.load(Relaxed) as usize
}
pub fn hash_max_listpack_value() -> usize {
    HASH_MAX_LISTPACK_VALUE.load(Relaxed) as usize
}
pub fn set_max_intset_entries() -> usize {
    SET_MAX_INTSET_ENTRIES.load(Relaxed) as usize
}
pub fn zset_max_listpack_entries() -> usize {
    ZSET_MAX_LISTPACK_ENTRIES.load(Relaxed) as usize
}
pub fn zset_max_listpack_value() -> usize {
    ZSET_MAX_LISTPACK_VALUE.load(Relaxed) as usize
}
pub fn hll_sparse_max_bytes() -> usize {
    HLL_SPARSE_MAX_BYTES.load(Relaxed) as usize
}
