//! RESP2/RESP3 for Tessera: an incremental, zero-copy request parser and a
//! reply type that encodes itself for either protocol version.
//!
//! Pure code, no I/O: the server feeds bytes in and writes bytes out.

mod double;
mod parser;
mod reply;

pub use double::format_double;
pub use parser::{parse_i64, split_args, ProtocolError, RequestParser, MAX_BULK_LEN, MAX_INLINE_LEN};
pub use reply::{itoa_buf, ItoaBuf, Reply};
