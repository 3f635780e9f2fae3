//! RESP2/RESP3: decoding client requests and encoding [`Reply`] values.
//!
//! - [`reply`]: the protocol-independent reply value.
//! - [`decode`]: request frames (multibulk arrays and inline commands) with
//!   Redis's limits and its exact `Protocol error` texts.
//! - [`encode`]: a [`Reply`] as RESP2 or RESP3 bytes.

pub mod decode;
pub mod encode;
pub mod reply;

pub use decode::{decode_request, DecodeError, Limits};
pub use encode::{encode_reply, Protocol};
pub use reply::Reply;
