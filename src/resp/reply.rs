//! The value a command answers with, independent of the wire protocol.
//!
//! Commands build a [`Reply`]; the connection encodes it as RESP2 or RESP3
//! (see [`super::encode`]). Keeping the two apart lets the same command code
//! serve `HELLO 2` and `HELLO 3` clients, and lets the model compare replies
//! without bytes.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// A reply value. RESP3-only types degrade to their RESP2 forms when encoded
/// for a RESP2 client (maps become flat arrays, doubles become bulk strings,
/// booleans become integers, `Null` becomes a nil bulk string).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub enum Reply {
    /// `+OK` style status.
    Status(String),
    /// `-ERR …` style error; the text includes its code (`ERR`, `WRONGTYPE`, …).
    Error(String),
    Integer(i64),
    Bulk(Bytes),
    /// A nil bulk string in RESP2, `_` in RESP3.
    Nil,
    /// A nil array in RESP2 (`*-1`), `_` in RESP3.
    NilArray,
    Array(Vec<Reply>),
    /// A map (RESP3 `%`); a flat key/value array in RESP2.
    Map(Vec<(Reply, Reply)>),
    /// A set (RESP3 `~`); an array in RESP2.
    Set(Vec<Reply>),
    /// A double (RESP3 `,`); a bulk string in RESP2. Stored as text so the
    /// reply stays `Eq + Hash` for the model, formatted the way Redis prints it.
    Double(String),
    /// A boolean (RESP3 `#`); `:1`/`:0` in RESP2, as Redis 7.0 sends a
    /// script's RESP3 boolean to a RESP2 client.
    Boolean(bool),
    /// A verbatim string (RESP3 `=`, e.g. INFO under RESP3); a bulk in RESP2.
    Verbatim(String, Bytes),
    /// Pairs (a sorted set's members with their scores): an array of
    /// two-element arrays in RESP3, one flat array in RESP2, as Redis 7.0
    /// replies ZRANGE WITHSCORES and HRANDFIELD WITHVALUES.
    Pairs(Vec<(Reply, Reply)>),
}

impl Reply {
    pub fn ok() -> Reply {
        Reply::Status("OK".into())
    }

    pub fn err(text: impl Into<String>) -> Reply {
        Reply::Error(text.into())
    }

    pub fn bulk(b: impl Into<Bytes>) -> Reply {
        Reply::Bulk(b.into())
    }

    pub fn is_error(&self) -> bool {
        matches!(self, Reply::Error(_))
    }

    /// The error text if this is an error reply.
    pub fn error_text(&self) -> Option<&str> {
        match self {
            Reply::Error(e) => Some(e),
            _ => None,
        }
    }
}

/// Redis's exact error texts, shared by every command so they are written once.
pub mod errors {
    pub const SYNTAX: &str = "ERR syntax error";
    pub const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
    pub const NOT_FLOAT: &str = "ERR value is not a valid float";
    pub const OVERFLOW: &str = "ERR increment or decrement would overflow";
    pub const NAN_OR_INF: &str = "ERR increment would produce NaN or Infinity";
    pub const NO_SUCH_KEY: &str = "ERR no such key";
    pub const STRING_TOO_LONG: &str =
        "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
    pub const OFFSET_OUT_OF_RANGE: &str = "ERR offset is out of range";
    pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

    /// `ERR wrong number of arguments for 'get' command` (Redis 7 lowercases the name).
    pub fn wrong_arity(cmd: &str) -> String {
        format!(
            "ERR wrong number of arguments for '{}' command",
            cmd.to_ascii_lowercase()
        )
    }

    /// `ERR invalid expire time in 'set' command`.
    pub fn invalid_expire(cmd: &str) -> String {
        format!(
            "ERR invalid expire time in '{}' command",
            cmd.to_ascii_lowercase()
        )
    }

    /// Redis 7's unknown-command text, built the way Redis 7.0 builds it:
    /// C strings (each cut at its first NUL), the name cut to 128 bytes, and
    /// arguments quoted only while the list is under 128 bytes, each cut to
    /// the room left (`ERR unknown command 'foo', with args beginning with: 'a' 'b' `).
    pub fn unknown_command(name: &[u8], args: &[bytes::Bytes]) -> String {
        fn c_str(b: &[u8]) -> &[u8] {
            b.iter().position(|&c| c == 0).map_or(b, |n| &b[..n])
        }
        let mut list: Vec<u8> = Vec::new();
        for a in args {
            if list.len() >= 128 {
                break;
            }
            let a = c_str(a);
            let room = 128 - list.len();
            list.push(b'\'');
            list.extend_from_slice(&a[..a.len().min(room)]);
            list.extend_from_slice(b"' ");
        }
        let name = c_str(name);
        let mut msg = b"ERR unknown command '".to_vec();
        msg.extend_from_slice(&name[..name.len().min(128)]);
        msg.extend_from_slice(b"', with args beginning with: ");
        msg.extend_from_slice(&list);
        String::from_utf8_lossy(&msg)
            .chars()
            .map(|c| if c == '\r' || c == '\n' { ' ' } else { c })
            .collect()
    }

    /// Redis truncates names and arguments quoted in errors to 128 bytes and
    /// replaces control characters so the reply stays one line.
    pub fn truncate_for_error(b: &[u8]) -> String {
        let b = &b[..b.len().min(128)];
        String::from_utf8_lossy(b)
            .chars()
            .map(|c| if c == '\r' || c == '\n' { ' ' } else { c })
            .collect()
    }
}
