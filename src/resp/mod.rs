//! RESP2/RESP3: decoding client requests and encoding [`Reply`] values.
//!
//! - [`reply`]: the protocol-independent reply value.
//! - [`decode`]: request frames (multibulk arrays and inline commands) with
//!   Redis's limits and its exact `Protocol error` texts.
//! - [`encode`]: a [`Reply`] as RESP2 or RESP3 bytes.
//! - [`inline`]: Redis's `sdssplitargs`, for inline (telnet-style) requests.

pub mod decode;
pub mod encode;
pub mod inline;
pub mod reply;

pub use decode::{decode_request, DecodeError, Limits};
pub use encode::{encode_reply, Protocol};
pub use reply::Reply;
