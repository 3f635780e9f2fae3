//! Request decoding: RESP multibulk arrays and inline commands.
//! (Stub: filled in by the RESP work.)

use bytes::{Bytes, BytesMut};

/// Redis's protocol limits.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// `proto-max-bulk-len`: 512 MB.
    pub max_bulk_len: usize,
    /// Redis refuses multibulk lengths above 1024*1024*1024.
    pub max_multibulk_len: usize,
    /// Inline requests (and unfinished multibulk headers) above 64 KiB.
    pub max_inline_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bulk_len: 512 * 1024 * 1024,
            max_multibulk_len: 1024 * 1024 * 1024,
            max_inline_len: 64 * 1024,
        }
    }
}

/// A protocol error: the connection replies `-ERR Protocol error: …` and closes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError(pub String);

/// Decode one request from the front of `buf`, removing the bytes it used.
/// `Ok(None)`: incomplete, read more. An empty request (a blank inline line
/// or `*0`) is skipped and yields `Ok(Some(vec![]))`.
pub fn decode_request(
    buf: &mut BytesMut,
    limits: &Limits,
) -> Result<Option<Vec<Bytes>>, DecodeError> {
    let _ = (buf, limits);
    todo!("RESP decoder")
}
