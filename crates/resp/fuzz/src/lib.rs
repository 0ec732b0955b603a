//! Checks shared by the `parse_requests` fuzz target and the stable corpus
//! replay test (`crates/resp/tests/fuzz_corpus.rs` includes this file with
//! `#[path]`, so it may use only `resp` and `bytes`).

use bytes::{Bytes, BytesMut};
use resp::{ProtocolError, Reply, RequestParser, MAX_INLINE_LEN};

/// What parsing a byte stream gave: the requests, in order, then how it ended.
#[derive(Debug, PartialEq, Eq)]
pub struct Outcome {
    pub requests: Vec<Vec<Bytes>>,
    /// The protocol error that stopped parsing, if any.
    pub error: Option<ProtocolError>,
    /// Bytes left unparsed at the end (only when no error stopped parsing).
    pub leftover: Vec<u8>,
}

/// Feeds `chunks` one after another into one buffer, parsing every complete
/// request after each chunk, as a connection does after each read.
pub fn parse_chunks<'a>(authenticated: bool, chunks: impl IntoIterator<Item = &'a [u8]>) -> Outcome {
    let mut parser = RequestParser::new(authenticated);
    let mut buf = BytesMut::new();
    let mut requests = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        loop {
            match parser.parse(&mut buf) {
                Ok(Some(req)) => requests.push(req),
                Ok(None) => break,
                Err(e) => return Outcome { requests, error: Some(e), leftover: Vec::new() },
            }
        }
    }
    Outcome { requests, error: None, leftover: buf.to_vec() }
}

/// Where to cut the input in two: the first byte scaled to `0..=len`, so every
/// cut is reachable for inputs under 256 bytes and cuts spread over longer ones.
pub fn split_point(data: &[u8]) -> usize {
    match data.first() {
        Some(&b) => usize::from(b) * (data.len() + 1) / 256,
        None => 0,
    }
}

/// Inputs up to this long are also fed one byte at a time (quadratic for inline
/// requests, so kept small to keep the fuzzer fast).
const BYTEWISE_MAX: usize = 512;

/// The whole check on one input; panics (failing the fuzz run or the test) on
/// any mismatch.
pub fn check_parse_requests(data: &[u8]) {
    let cut = split_point(data);
    let (head, tail) = data.split_at(cut);
    for authenticated in [true, false] {
        let whole = parse_chunks(authenticated, [data]);
        let split = parse_chunks(authenticated, [head, tail]);
        // Past MAX_INLINE_LEN the outcome may rightly depend on chunking, as in
        // Redis: a buffer holding more than that without its line terminator
        // is "too big" even if the terminator would come in the next read.
        if data.len() <= MAX_INLINE_LEN {
            assert_eq!(
                whole,
                split,
                "whole vs split at {cut} differ (authenticated={authenticated}) for input {:?}",
                Bytes::copy_from_slice(data)
            );
            if data.len() <= BYTEWISE_MAX {
                let bytewise = parse_chunks(authenticated, data.chunks(1));
                assert_eq!(
                    whole,
                    bytewise,
                    "whole vs byte-by-byte differ (authenticated={authenticated}) for input {:?}",
                    Bytes::copy_from_slice(data)
                );
            }
        }
        for req in &whole.requests {
            check_round_trip(req);
        }
    }
    let _ = resp::split_args(data);
    for line in data.split(|&c| c == b'\n') {
        let _ = resp::split_args(line);
    }
}

/// A parsed request, encoded back as an array of bulk strings (what clients
/// send), parses again to exactly that request with nothing left over.
fn check_round_trip(req: &[Bytes]) {
    assert!(!req.is_empty(), "parser returned an empty request");
    let reply = Reply::Array(req.iter().cloned().map(Reply::Bulk).collect());
    for resp3 in [false, true] {
        let mut encoded = BytesMut::new();
        reply.encode(&mut encoded, resp3);
        let again = parse_chunks(true, [&encoded[..]]);
        assert_eq!(
            again,
            Outcome { requests: vec![req.to_vec()], error: None, leftover: Vec::new() },
            "request {req:?} did not survive encode (resp3={resp3}) and parse"
        );
    }
}
