//! Reply encoding for RESP2 and RESP3. (Stub: filled in by the RESP work.)

use bytes::BytesMut;

use super::Reply;

/// The protocol a connection speaks, chosen with `HELLO`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Protocol {
    #[default]
    Resp2,
    Resp3,
}

/// Append `reply` to `out` in the connection's protocol.
pub fn encode_reply(reply: &Reply, proto: Protocol, out: &mut BytesMut) {
    let _ = (reply, proto, out);
    todo!("RESP encoder")
}
