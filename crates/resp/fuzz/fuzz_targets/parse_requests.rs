//! Fuzzes `resp::RequestParser`: the input parsed whole must give the same
//! requests and the same error as the input fed in two chunks (split at a
//! position taken from its first byte), and nothing may panic. Also runs
//! `resp::split_args` on the input. The checks live in `src/lib.rs`, which
//! `crates/resp/tests/fuzz_corpus.rs` also uses to replay the corpus on stable.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    resp_fuzz::check_parse_requests(data);
});
