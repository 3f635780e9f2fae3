//! Internal keys and values of hashes, lists, sets and sorted sets (spec §2,
//! ENC-5 to ENC-8): one meta key per collection and one internal key per
//! element, so a write touches O(log n) keys and a big collection is never
//! rewritten whole.
//!
//! ```text
//! !redis|meta|<key>                  = FF 02 kind flags [expireAt u64 BE if flags&1] len u64 BE
//!                                      [head i64 BE, tail i64 BE: lists only]
//! !redis|h|<klen u32 BE><key><field>  = value                      (hash field)
//! !redis|s|<klen u32 BE><key><member> = ""                         (set member)
//! !redis|l|<klen u32 BE><key><seq>    = item                       (list item; seq: i64, sign bit flipped, BE)
//! !redis|z|<klen u32 BE><key><member> = score (f64 bits, 8 bytes)  (sorted-set member)
//! !redis|zs|<klen u32 BE><key><score><member> = ""                 (sorted-set index; score order-preserving)
//! !redis|ttl|<key>                    = expireAt                   (as for strings: the active-expiry index)
//! ```
//!
//! The user key is length-prefixed in element keys, so one collection's
//! elements are exactly the keys under its prefix (`a`'s never interleave
//! with `ab`'s) and a range of them is one ordered scan. A list's items sit
//! at sequence numbers `head..tail`: a push at the left takes `head - 1`, at
//! the right `tail`.

use bytes::{BufMut, Bytes, BytesMut};

pub const META_PREFIX: &[u8] = b"!redis|meta|";
pub const HASH_PREFIX: &[u8] = b"!redis|h|";
pub const SET_PREFIX: &[u8] = b"!redis|s|";
pub const LIST_PREFIX: &[u8] = b"!redis|l|";
pub const ZSET_PREFIX: &[u8] = b"!redis|z|";
pub const ZSCORE_PREFIX: &[u8] = b"!redis|zs|";

const MAGIC: [u8; 2] = [0xFF, 0x02];
const FLAG_TTL: u8 = 1;

/// A collection's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Hash,
    List,
    Set,
    ZSet,
}

impl Kind {
    fn code(self) -> u8 {
        match self {
            Kind::Hash => 1,
            Kind::List => 2,
            Kind::Set => 3,
            Kind::ZSet => 4,
        }
    }

    fn from_code(c: u8) -> Option<Kind> {
        Some(match c {
            1 => Kind::Hash,
            2 => Kind::List,
            3 => Kind::Set,
            4 => Kind::ZSet,
            _ => return None,
        })
    }

    /// The prefixes its element keys live under.
    pub fn element_prefixes(self) -> &'static [&'static [u8]] {
        match self {
            Kind::Hash => &[HASH_PREFIX],
            Kind::List => &[LIST_PREFIX],
            Kind::Set => &[SET_PREFIX],
            Kind::ZSet => &[ZSET_PREFIX, ZSCORE_PREFIX],
        }
    }

    /// TYPE's answer.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Hash => "hash",
            Kind::List => "list",
            Kind::Set => "set",
            Kind::ZSet => "zset",
        }
    }
}

/// A collection's meta value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Meta {
    pub kind: Kind,
    /// Elements (fields, items, members).
    pub len: u64,
    /// Absolute expiry in unix milliseconds.
    pub expire_at: Option<u64>,
    /// Lists: the items sit at sequence numbers `head..tail`.
    pub head: i64,
    pub tail: i64,
}

impl Meta {
    /// An empty collection of `kind`, before its first element.
    pub fn new(kind: Kind) -> Meta {
        Meta {
            kind,
            len: 0,
            expire_at: None,
            head: 0,
            tail: 0,
        }
    }
}

fn prefixed(prefix: &[u8], key: &[u8]) -> Bytes {
    let mut b = BytesMut::with_capacity(prefix.len() + key.len());
    b.put_slice(prefix);
    b.put_slice(key);
    b.freeze()
}

/// `!redis|meta|<key>`
pub fn meta_key(key: &[u8]) -> Bytes {
    prefixed(META_PREFIX, key)
}

/// The prefix every element key of `key`'s collection starts with, under
/// one of its kind's element prefixes. (Keys are at most 512 MB, so the
/// length always fits its four bytes.)
pub fn element_prefix(prefix: &[u8], key: &[u8]) -> Bytes {
    let len = u32::try_from(key.len()).unwrap_or(u32::MAX);
    let mut b = BytesMut::with_capacity(prefix.len() + 4 + key.len());
    b.put_slice(prefix);
    b.put_u32(len);
    b.put_slice(key);
    b.freeze()
}

/// One element's key: the collection's prefix, then `suffix`.
pub fn element_key(prefix: &[u8], key: &[u8], suffix: &[u8]) -> Bytes {
    let mut b = BytesMut::from(&element_prefix(prefix, key)[..]);
    b.put_slice(suffix);
    b.freeze()
}

/// A list item's sequence number as key bytes that sort as the number.
pub fn encode_seq(seq: i64) -> [u8; 8] {
    ((seq as u64) ^ (1 << 63)).to_be_bytes()
}

pub fn decode_seq(raw: &[u8]) -> Option<i64> {
    let b = <[u8; 8]>::try_from(raw).ok()?;
    Some((u64::from_be_bytes(b) ^ (1 << 63)) as i64)
}

/// A score as key bytes that sort as the number (−inf first, +inf last;
/// −0 is stored as 0, so they are one score as in Redis). NaN never
/// reaches here: commands refuse it.
pub fn encode_score_key(score: f64) -> [u8; 8] {
    let score = if score == 0.0 { 0.0 } else { score };
    let bits = score.to_bits();
    let ordered = if bits >> 63 == 1 {
        !bits
    } else {
        bits ^ (1 << 63)
    };
    ordered.to_be_bytes()
}

pub fn decode_score_key(raw: &[u8]) -> Option<f64> {
    let ordered = u64::from_be_bytes(<[u8; 8]>::try_from(raw).ok()?);
    let bits = if ordered >> 63 == 1 {
        ordered ^ (1 << 63)
    } else {
        !ordered
    };
    Some(f64::from_bits(bits))
}

/// A member's score as stored under its `!redis|z|` key.
pub fn encode_score(score: f64) -> Bytes {
    Bytes::copy_from_slice(&score.to_bits().to_be_bytes())
}

pub fn decode_score(raw: &[u8]) -> Option<f64> {
    <[u8; 8]>::try_from(raw)
        .ok()
        .map(|b| f64::from_bits(u64::from_be_bytes(b)))
}

pub fn encode_meta(m: &Meta) -> Bytes {
    let mut b = BytesMut::with_capacity(4 + 8 + 8 + 16);
    b.put_slice(&MAGIC);
    b.put_u8(m.kind.code());
    match m.expire_at {
        Some(at) => {
            b.put_u8(FLAG_TTL);
            b.put_u64(at);
        }
        None => b.put_u8(0),
    }
    b.put_u64(m.len);
    if m.kind == Kind::List {
        b.put_i64(m.head);
        b.put_i64(m.tail);
    }
    b.freeze()
}

/// Decode a meta value; `None` for anything malformed (it then counts as
/// no collection: a corrupt meta key never panics a read).
pub fn decode_meta(raw: &[u8]) -> Option<Meta> {
    let rest = raw.strip_prefix(&MAGIC)?;
    let (&code, rest) = rest.split_first()?;
    let kind = Kind::from_code(code)?;
    let (&flags, mut rest) = rest.split_first()?;
    let mut take = |n: usize| -> Option<[u8; 8]> {
        let (head, tail) = (rest.get(..n)?, rest.get(n..)?);
        rest = tail;
        <[u8; 8]>::try_from(head).ok()
    };
    let expire_at = if flags & FLAG_TTL != 0 {
        Some(u64::from_be_bytes(take(8)?))
    } else {
        None
    };
    let len = u64::from_be_bytes(take(8)?);
    let (head, tail) = if kind == Kind::List {
        (i64::from_be_bytes(take(8)?), i64::from_be_bytes(take(8)?))
    } else {
        (0, 0)
    };
    Some(Meta {
        kind,
        len,
        expire_at,
        head,
        tail,
    })
}

/// The user key of a meta key.
pub fn meta_user_key(raw_key: &[u8]) -> Option<&[u8]> {
    raw_key.strip_prefix(META_PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use quickcheck::{quickcheck, Arbitrary, Gen};

    impl Arbitrary for Kind {
        fn arbitrary(g: &mut Gen) -> Kind {
            *g.choose(&[Kind::Hash, Kind::List, Kind::Set, Kind::ZSet])
                .unwrap_or(&Kind::Hash)
        }
    }

    quickcheck! {
        fn meta_round_trips(kind: Kind, len: u64, at: Option<u64>, head: i64, tail: i64) -> bool {
            let (head, tail) = if kind == Kind::List { (head, tail) } else { (0, 0) };
            let m = Meta { kind, len, expire_at: at, head, tail };
            decode_meta(&encode_meta(&m)) == Some(m)
        }

        fn seq_keys_sort_as_numbers(a: i64, b: i64) -> bool {
            decode_seq(&encode_seq(a)) == Some(a) && (a < b) == (encode_seq(a) < encode_seq(b))
        }

        fn score_keys_sort_as_numbers(a: f64, b: f64) -> bool {
            if a.is_nan() || b.is_nan() {
                return true;
            }
            let back = decode_score_key(&encode_score_key(a));
            back == Some(if a == 0.0 { 0.0 } else { a })
                && (a < b) == (encode_score_key(a) < encode_score_key(b))
        }

        fn a_truncated_meta_is_no_meta(kind: Kind, len: u64, cut: usize) -> bool {
            let raw = encode_meta(&Meta { len, ..Meta::new(kind) });
            let cut = cut % raw.len();
            decode_meta(&raw[..cut]).is_none()
        }

        /// One collection's element keys are exactly those under its prefix.
        fn prefixes_do_not_interleave(a: Vec<u8>, b: Vec<u8>, s: Vec<u8>) -> bool {
            a == b || !element_key(HASH_PREFIX, &b, &s).starts_with(&element_prefix(HASH_PREFIX, &a))
        }
    }

    #[test]
    fn infinities_sort_at_the_ends() {
        let keys: Vec<_> = [f64::NEG_INFINITY, -1.5, -0.0, 0.0, 2.0, f64::INFINITY]
            .iter()
            .map(|s| encode_score_key(*s))
            .collect();
        assert!(keys.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(keys[2], keys[3], "-0 and 0 are one score");
    }
}
