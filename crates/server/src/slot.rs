//! Key → slot → shard, with the Redis Cluster hash function so `{tags}` work
//! and `CLUSTER KEYSLOT` agrees with Redis.

pub const SLOTS: usize = 16384;

/// CRC16-CCITT (XMODEM), as Redis Cluster uses, a byte at a time from a table.
fn crc16(data: &[u8]) -> u16 {
    data.iter().fold(0u16, |crc, &b| (crc << 8) ^ CRC16_TABLE[((crc >> 8) as u8 ^ b) as usize])
}

const CRC16_TABLE: [u16; 256] = {
    let mut table = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = (i as u16) << 8;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 0x8000 != 0 { (crc << 1) ^ 0x1021 } else { crc << 1 };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
};

/// The slot of a key: only the part inside the first non-empty `{...}` counts.
pub fn key_slot(key: &[u8]) -> usize {
    let hashed = match key.iter().position(|&c| c == b'{') {
        Some(open) => match key[open + 1..].iter().position(|&c| c == b'}') {
            Some(len) if len > 0 => &key[open + 1..open + 1 + len],
            _ => key,
        },
        None => key,
    };
    crc16(hashed) as usize & (SLOTS - 1)
}

/// Slots assigned to shards in contiguous ranges, fixed at start.
pub struct SlotMap {
    shard_of_slot: Vec<u16>,
}

impl SlotMap {
    pub fn new(shards: usize) -> SlotMap {
        SlotMap { shard_of_slot: (0..SLOTS).map(|s| (s * shards / SLOTS) as u16).collect() }
    }

    pub fn shard_of(&self, key: &[u8]) -> usize {
        if self.shard_of_slot[SLOTS - 1] == 0 {
            return 0; // one shard: no need to hash
        }
        self.shard_of_slot[key_slot(key)] as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_redis_cluster_keyslot() {
        // Values from `redis-cli CLUSTER KEYSLOT`.
        assert_eq!(key_slot(b"foo"), 12182);
        assert_eq!(key_slot(b"bar"), 5061);
        assert_eq!(key_slot(b"{user1000}.following"), key_slot(b"user1000"));
        assert_eq!(key_slot(b"foo{}{bar}"), key_slot(b"foo{}{bar}"));
        assert_eq!(key_slot(b"123456789"), 0x31C3 & 16383);
    }
}
