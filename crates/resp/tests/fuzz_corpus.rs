//! Replays the `parse_requests` fuzz corpus on stable Rust, with the very
//! checks the fuzz target runs (whole vs split parsing give the same requests
//! and error, no panic, encode/parse round trip, `split_args`). The fuzz crate
//! itself needs nightly and libFuzzer, so it is its own workspace; see
//! `crates/resp/fuzz/README.md`.

#[path = "../fuzz/src/lib.rs"]
mod fuzz_check;

use std::fs;
use std::path::Path;

#[test]
fn replay_parse_requests_corpus() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/parse_requests");
    let mut files: Vec<_> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.expect("corpus entry").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    assert!(files.len() >= 20, "expected the committed seed corpus in {}", dir.display());
    for path in &files {
        let data = fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        let outcome = std::panic::catch_unwind(|| fuzz_check::check_parse_requests(&data));
        assert!(outcome.is_ok(), "corpus file {} failed the parse_requests check", path.display());
    }
}

#[test]
fn seeds_parse_as_expected() {
    use bytes::Bytes;
    let parse = |data: &[u8]| fuzz_check::parse_chunks(true, [data]);

    let pipeline = parse(b"*1\r\n$4\r\nPING\r\nECHO hello\r\n*2\r\n$4\r\nECHO\r\n$0\r\n\r\nPING\n");
    assert_eq!(
        pipeline.requests,
        vec![
            vec![Bytes::from("PING")],
            vec![Bytes::from("ECHO"), Bytes::from("hello")],
            vec![Bytes::from("ECHO"), Bytes::new()],
            vec![Bytes::from("PING")],
        ]
    );
    assert_eq!(pipeline.error, None);
    assert!(pipeline.leftover.is_empty());

    let incomplete = parse(b"*3\r\n$3\r\nSET\r\n$3\r\nke");
    assert!(incomplete.requests.is_empty() && incomplete.error.is_none());
    assert_eq!(incomplete.leftover, b"*3\r\n$3\r\nSET\r\n$3\r\nke");

    let err = |data: &[u8]| parse(data).error.expect("a protocol error").0;
    assert_eq!(err(b"*1\r\n$-1\r\n"), "invalid bulk length");
    assert_eq!(err(b"*1\r\n$600000000\r\n"), "invalid bulk length");
    assert_eq!(err(b"SET a 'b\r\n"), "unbalanced quotes in request");
    assert_eq!(fuzz_check::parse_chunks(false, [&b"*11\r\n"[..]]).error.unwrap().0, "unauthenticated multibulk length");
}
