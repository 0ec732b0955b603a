//! What the allocator hands out. The server runs on jemalloc, which rounds
//! every request up to a size class (four per doubling); a buffer grown to
//! the end of its class costs no more memory than one grown to the byte, and
//! takes the next few additions without a `realloc`.

/// The smallest of jemalloc's size classes that holds `n` bytes: 8, then
/// multiples of 16 up to 128, then four classes per doubling.
pub fn size_class(n: usize) -> usize {
    let step = match n {
        0..=8 => 8,
        9..=128 => 16,
        _ => n.next_power_of_two() / 8,
    };
    n.div_ceil(step) * step
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_classes_are_jemallocs() {
        let classes: Vec<usize> = [1, 16, 17, 33, 65, 100, 128, 129, 160, 161, 257, 4097, 5000, 8193]
            .iter()
            .map(|&n| size_class(n))
            .collect();
        assert_eq!(classes, [8, 16, 32, 48, 80, 112, 128, 160, 160, 192, 320, 5120, 5120, 10240]);
    }
}
