//! Internal key and value encodings of Redis strings (spec §2).
//!
//! ```text
//! !redis|str|<key>  = FF 01 flags [expireAt: u64 BE ms if flags&1] payload   (current)
//! !redis|str|<key>  = payload                                             (legacy payload)
//! <key>             = payload                                             (bare legacy key)
//! !redis|ttl|<key>  = expireAt: u64 BE ms       (TTL of the legacy forms; kept in step by SET)
//! !redis|script|<sha> = script body              (the script cache; not a string)
//! !redis|function|<lib> = library record          (FUNCTION LOAD; not a string)
//! !redis|fname|<name> = library name              (the function index)
//! ```
//!
//! Known ambiguity (ENC-A): a legacy payload whose first two
//! bytes are `FF 01` and that is long enough to hold a header reads as the
//! current format. The production system has the same rule; fencekv documents
//! it rather than guessing.

use bytes::{BufMut, Bytes, BytesMut};

pub const STR_PREFIX: &[u8] = b"!redis|str|";
pub const TTL_PREFIX: &[u8] = b"!redis|ttl|";
/// Where the script cache lives: `!redis|script|<sha>` holds the body, so
/// SCRIPT LOAD is an ordinary replicated write and EVALSHA reads it from the
/// same snapshot as everything else.
pub const SCRIPT_PREFIX: &[u8] = b"!redis|script|";
/// Where function libraries live: `!redis|function|<library>` holds the
/// library's record (its code and what it registered), so FUNCTION LOAD is a
/// replicated write and FCALL reads it from the script's snapshot.
pub const FUNCTION_PREFIX: &[u8] = b"!redis|function|";
/// The function index: `!redis|fname|<lowercase function name>` holds the
/// name of the library that registered it.
pub const FUNCTION_NAME_PREFIX: &[u8] = b"!redis|fname|";
/// Every internal key starts with this; any other key is a bare legacy key.
pub const INTERNAL_PREFIX: &[u8] = b"!redis|";

const MAGIC: [u8; 2] = [0xFF, 0x01];
const FLAG_TTL: u8 = 1;

fn prefixed(prefix: &[u8], key: &[u8]) -> Bytes {
    let mut b = BytesMut::with_capacity(prefix.len() + key.len());
    b.put_slice(prefix);
    b.put_slice(key);
    b.freeze()
}

/// `!redis|str|<key>`
pub fn str_key(key: &[u8]) -> Bytes {
    prefixed(STR_PREFIX, key)
}

/// `!redis|ttl|<key>`
pub fn ttl_key(key: &[u8]) -> Bytes {
    prefixed(TTL_PREFIX, key)
}

/// `!redis|script|<sha>`: the internal key of a cached script.
pub fn script_key(sha: &str) -> Bytes {
    prefixed(SCRIPT_PREFIX, sha.as_bytes())
}

/// `!redis|function|<library>`
pub fn library_key(name: &str) -> Bytes {
    prefixed(FUNCTION_PREFIX, name.as_bytes())
}

/// `!redis|fname|<lowercase name>`: function names are case-insensitive.
pub fn function_key(name: &str) -> Bytes {
    prefixed(FUNCTION_NAME_PREFIX, name.to_ascii_lowercase().as_bytes())
}

/// The SHA-1 of a script body in lowercase hex, as Redis names scripts.
pub fn sha1_hex(body: &[u8]) -> String {
    sha1_smol::Sha1::from(body).digest().to_string()
}

/// What an internal key is, for iteration over the whole keyspace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind<'a> {
    /// `!redis|str|<user key>`
    Str(&'a [u8]),
    /// `!redis|ttl|<user key>`
    Ttl(&'a [u8]),
    /// Any other `!redis|…` key: not a string, never a user key.
    OtherInternal,
    /// A bare legacy key: the user key itself.
    Bare(&'a [u8]),
}

pub fn classify(raw_key: &[u8]) -> KeyKind<'_> {
    if let Some(k) = raw_key.strip_prefix(STR_PREFIX) {
        KeyKind::Str(k)
    } else if let Some(k) = raw_key.strip_prefix(TTL_PREFIX) {
        KeyKind::Ttl(k)
    } else if raw_key.starts_with(INTERNAL_PREFIX) {
        KeyKind::OtherInternal
    } else {
        KeyKind::Bare(raw_key)
    }
}

/// Encode a value in the current format.
pub fn encode_str(payload: &[u8], expire_at: Option<u64>) -> Bytes {
    let mut b = BytesMut::with_capacity(3 + 8 + payload.len());
    b.put_slice(&MAGIC);
    match expire_at {
        Some(at) => {
            b.put_u8(FLAG_TTL);
            b.put_u64(at);
        }
        None => b.put_u8(0),
    }
    b.put_slice(payload);
    b.freeze()
}

/// A decoded `!redis|str|` value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StrValueFormat {
    /// Current format: payload and inline TTL.
    Current {
        payload: Bytes,
        expire_at: Option<u64>,
    },
    /// Legacy payload: no header; the TTL lives in the TTL index.
    Legacy(Bytes),
}

/// Decode a `!redis|str|` value. A value that starts with `FF 01` but is too
/// short for its header cannot be the current format and reads as legacy.
pub fn decode_str(raw: &Bytes) -> StrValueFormat {
    if raw.len() >= 3 && raw[..2] == MAGIC {
        let flags = raw[2];
        if flags & FLAG_TTL == 0 {
            return StrValueFormat::Current {
                payload: raw.slice(3..),
                expire_at: None,
            };
        }
        if raw.len() >= 11 {
            let mut at = [0u8; 8];
            at.copy_from_slice(&raw[3..11]);
            return StrValueFormat::Current {
                payload: raw.slice(11..),
                expire_at: Some(u64::from_be_bytes(at)),
            };
        }
    }
    StrValueFormat::Legacy(raw.clone())
}

/// Encode a TTL index entry.
pub fn encode_ttl(expire_at: u64) -> Bytes {
    Bytes::copy_from_slice(&expire_at.to_be_bytes())
}

/// Decode a TTL index entry; a malformed one (not 8 bytes) means no TTL.
pub fn decode_ttl(raw: &[u8]) -> Option<u64> {
    <[u8; 8]>::try_from(raw).ok().map(u64::from_be_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use quickcheck::quickcheck;

    quickcheck! {
        fn current_format_round_trips(payload: Vec<u8>, at: Option<u64>) -> bool {
            decode_str(&encode_str(&payload, at))
                == StrValueFormat::Current { payload: Bytes::from(payload), expire_at: at }
        }

        fn ttl_round_trips(at: u64) -> bool {
            decode_ttl(&encode_ttl(at)) == Some(at)
        }

        /// Any payload not starting with the magic decodes as itself (legacy).
        fn legacy_payload_is_verbatim(payload: Vec<u8>) -> bool {
            let raw = Bytes::from(payload.clone());
            payload.starts_with(&MAGIC) || decode_str(&raw) == StrValueFormat::Legacy(raw.clone())
        }
    }

    #[test]
    fn the_ambiguity_is_what_the_spec_says() {
        // A legacy payload "\xFF\x01\x00hi" reads as the current format "hi".
        let raw = Bytes::from_static(b"\xFF\x01\x00hi");
        assert_eq!(
            decode_str(&raw),
            StrValueFormat::Current {
                payload: Bytes::from_static(b"hi"),
                expire_at: None
            }
        );
        // Too short for a TTL header: legacy.
        let raw = Bytes::from_static(b"\xFF\x01\x01ab");
        assert_eq!(decode_str(&raw), StrValueFormat::Legacy(raw.clone()));
    }

    #[test]
    fn keys_classify() {
        assert_eq!(classify(b"!redis|str|a"), KeyKind::Str(b"a"));
        assert_eq!(classify(b"!redis|ttl|a"), KeyKind::Ttl(b"a"));
        assert_eq!(classify(b"!redis|hash|a"), KeyKind::OtherInternal);
        assert_eq!(classify(&script_key("abc")), KeyKind::OtherInternal);
        assert_eq!(&script_key("abc")[..], b"!redis|script|abc");
        assert_eq!(classify(b"a"), KeyKind::Bare(b"a"));
    }
}
