//! A byte string behind a 9-byte handle: a pointer and one byte that holds
//! a short string's length. A hash table entry keeps its field inline beside
//! one of these in 32 bytes, so a lookup compares the field without reading
//! the heap, and replacing or freeing a short value never reads its block
//! (the length, hence the layout, is in the handle): on HSET's overwrite the
//! only cache misses left are the index's and the entry's.

use std::alloc::{alloc, dealloc, handle_alloc_error, Layout};
use std::ptr::NonNull;

/// Longer strings keep their length in a header before the bytes.
const SHORT_MAX: usize = u8::MAX as usize - 1;
const HEADER: usize = std::mem::size_of::<usize>();

/// Packed (no padding after `short`) so the owner can put it at any offset.
#[repr(C, packed)]
pub(crate) struct ThinBytes {
    /// The length plus one for a short string; 0 for a long one.
    short: u8,
    block: NonNull<u8>,
}

// SAFETY: it owns its block alone, as a `Box<[u8]>` does.
unsafe impl Send for ThinBytes {}
unsafe impl Sync for ThinBytes {}

/// The block of a string of `len` bytes: only the bytes when short, a
/// usize-aligned header then the bytes when long.
fn layout(len: usize) -> Layout {
    if len <= SHORT_MAX {
        Layout::from_size_align(len, 1)
    } else {
        Layout::from_size_align(HEADER + len, std::mem::align_of::<usize>())
    }
    .expect("a string's length fits an isize")
}

impl ThinBytes {
    pub(crate) fn new(bytes: &[u8]) -> ThinBytes {
        let len = bytes.len();
        let short = if len <= SHORT_MAX { len as u8 + 1 } else { 0 };
        if len == 0 {
            return ThinBytes { short, block: NonNull::dangling() };
        }
        let layout = layout(len);
        // SAFETY: the layout is not zero-sized; the header (when long) and
        // the bytes are written inside the block just allocated.
        unsafe {
            let Some(block) = NonNull::new(alloc(layout)) else { handle_alloc_error(layout) };
            let mut at = block.as_ptr();
            if short == 0 {
                at.cast::<usize>().write(len);
                at = at.add(HEADER);
            }
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), at, len);
            ThinBytes { short, block }
        }
    }

    pub(crate) fn len(&self) -> usize {
        match self.short {
            // SAFETY: `new` wrote a long string's header, usize-aligned, at the block's start.
            0 => unsafe { self.block.as_ptr().cast::<usize>().read() },
            n => n as usize - 1,
        }
    }

    pub(crate) fn as_slice(&self) -> &[u8] {
        let (block, len) = (self.block, self.len());
        let at = if self.short == 0 { HEADER } else { 0 };
        // SAFETY: `len` bytes written by `new` start `at` into the block
        // (or `len` is 0 and the dangling pointer is never read).
        unsafe { std::slice::from_raw_parts(block.as_ptr().add(at), len) }
    }
}

impl Drop for ThinBytes {
    fn drop(&mut self) {
        let (block, len) = (self.block, self.len());
        if len > 0 {
            // SAFETY: allocated by `new` with this very layout.
            unsafe { dealloc(block.as_ptr(), layout(len)) }
        }
    }
}

impl Clone for ThinBytes {
    fn clone(&self) -> Self {
        ThinBytes::new(self.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_any_length() {
        assert_eq!(std::mem::size_of::<ThinBytes>(), 9);
        for n in [0, 1, 8, 253, 254, 255, 256, 70_000] {
            let bytes: Vec<u8> = (0..n).map(|i| i as u8).collect();
            let t = ThinBytes::new(&bytes);
            assert_eq!((t.len(), t.as_slice()), (n, &bytes[..]));
            let copy = t.clone();
            drop(t);
            assert_eq!(copy.as_slice(), &bytes[..]);
        }
    }
}
