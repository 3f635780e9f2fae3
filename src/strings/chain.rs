//! The read chain: how a string read finds its value among the encodings
//! (spec §3, RC-1 to RC-4). Written once, over any [`RawGet`], so the same code runs
//! over a fenced read, an MVCC snapshot at `start_ts`, or a script's buffer.

use bytes::Bytes;

use super::encoding::{decode_str, decode_ttl, str_key, ttl_key, StrValueFormat};
use crate::modes::{ChainModes, ExpiredShadow, LegacyOrder};
use crate::raw::RawGet;

/// Which encoding a read was served from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Source {
    /// `!redis|str|<key>` in the current format, TTL inline.
    Current,
    /// `!redis|str|<key>` holding a legacy payload, TTL from `!redis|ttl|<key>`.
    LegacyPayload,
    /// The bare key `<key>`, TTL from `!redis|ttl|<key>`.
    Bare,
}

impl Source {
    pub fn name(self) -> &'static str {
        match self {
            Source::Current => "current",
            Source::LegacyPayload => "legacy-payload",
            Source::Bare => "bare",
        }
    }
}

/// A live string value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StrValue {
    pub value: Bytes,
    /// Absolute expiry in unix milliseconds.
    pub expire_at: Option<u64>,
    pub source: Source,
}

/// The outcome of one chain read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainRead {
    Found(StrValue),
    /// The form that answered has expired; the key is absent.
    Expired(Source),
    Absent,
}

impl ChainRead {
    pub fn found(self) -> Option<StrValue> {
        match self {
            ChainRead::Found(v) => Some(v),
            _ => None,
        }
    }
}

/// A key whose expiry is at or before the serving node's clock is absent.
pub fn is_expired(expire_at: Option<u64>, now_ms: u64) -> bool {
    matches!(expire_at, Some(at) if at <= now_ms)
}

fn legacy_ttl<G: RawGet + ?Sized>(get: &G, key: &[u8]) -> Option<u64> {
    get.raw_get(&ttl_key(key)).and_then(|raw| decode_ttl(&raw))
}

fn read_prefixed<G: RawGet + ?Sized>(get: &G, key: &[u8], now_ms: u64) -> Option<ChainRead> {
    let raw = get.raw_get(&str_key(key))?;
    let (value, expire_at, source) = match decode_str(&raw) {
        StrValueFormat::Current { payload, expire_at } => (payload, expire_at, Source::Current),
        StrValueFormat::Legacy(payload) => (payload, legacy_ttl(get, key), Source::LegacyPayload),
    };
    Some(if is_expired(expire_at, now_ms) {
        ChainRead::Expired(source)
    } else {
        ChainRead::Found(StrValue {
            value,
            expire_at,
            source,
        })
    })
}

fn read_bare<G: RawGet + ?Sized>(get: &G, key: &[u8], now_ms: u64) -> Option<ChainRead> {
    // The TTL first, as the production chain does: an expired TTL answers
    // without touching the value.
    let expire_at = legacy_ttl(get, key);
    let value = get.raw_get(key)?;
    Some(if is_expired(expire_at, now_ms) {
        ChainRead::Expired(Source::Bare)
    } else {
        ChainRead::Found(StrValue {
            value,
            expire_at,
            source: Source::Bare,
        })
    })
}

/// Read the string `key` through the chain: the prefixed key, then (only if
/// there is no prefixed key at all) the bare key. A prefixed key shadows the
/// bare key even when it is expired. Both rules are modes, so the model can
/// show what breaks without them.
pub fn read_string<G: RawGet + ?Sized>(
    get: &G,
    key: &[u8],
    now_ms: u64,
    modes: ChainModes,
) -> ChainRead {
    let first = match modes.legacy_order {
        LegacyOrder::PrefixedFirst => read_prefixed(get, key, now_ms),
        LegacyOrder::BareFirst => read_bare(get, key, now_ms),
    };
    match first {
        Some(ChainRead::Expired(source))
            if modes.expired_shadow == ExpiredShadow::Shadow
                || modes.legacy_order == LegacyOrder::BareFirst =>
        {
            ChainRead::Expired(source)
        }
        Some(found @ ChainRead::Found(_)) => found,
        // No first form (or an expired prefixed key under the fall-back gap).
        _ => {
            let second = match modes.legacy_order {
                LegacyOrder::PrefixedFirst => read_bare(get, key, now_ms),
                LegacyOrder::BareFirst => read_prefixed(get, key, now_ms),
            };
            second.or(first).unwrap_or(ChainRead::Absent)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strings::encoding::{encode_str, encode_ttl};
    use quickcheck::{quickcheck, Arbitrary, Gen};
    use std::collections::BTreeMap;

    const NOW: u64 = 1_000_000;
    const PAST: u64 = NOW - 1;
    const FUTURE: u64 = NOW + 1;

    /// One key's raw layout: which forms exist and how their TTLs stand.
    #[derive(Clone, Debug)]
    struct Layout {
        /// `None`: no prefixed key; `Some(false)`: current format; `Some(true)`: legacy payload.
        prefixed: Option<bool>,
        /// Inline TTL of a current-format value: None / past / future.
        inline_ttl: Option<bool>,
        bare: bool,
        /// TTL index entry: None / past / future.
        ttl_index: Option<bool>,
    }

    impl Arbitrary for Layout {
        fn arbitrary(g: &mut Gen) -> Self {
            Layout {
                prefixed: Option::<bool>::arbitrary(g),
                inline_ttl: Option::<bool>::arbitrary(g),
                bare: bool::arbitrary(g),
                ttl_index: Option::<bool>::arbitrary(g),
            }
        }
    }

    fn at(future: bool) -> u64 {
        if future {
            FUTURE
        } else {
            PAST
        }
    }

    fn plant(l: &Layout) -> BTreeMap<Vec<u8>, Bytes> {
        let mut m = BTreeMap::new();
        match l.prefixed {
            Some(false) => {
                m.insert(
                    b"!redis|str|k".to_vec(),
                    encode_str(b"current", l.inline_ttl.map(at)),
                );
            }
            Some(true) => {
                m.insert(b"!redis|str|k".to_vec(), Bytes::from_static(b"legacy"));
            }
            None => {}
        }
        if l.bare {
            m.insert(b"k".to_vec(), Bytes::from_static(b"bare"));
        }
        if let Some(f) = l.ttl_index {
            m.insert(b"!redis|ttl|k".to_vec(), encode_ttl(at(f)));
        }
        m
    }

    /// The logical model of the chain, written as a decision table rather than
    /// as code paths: which value a client sees for a layout.
    fn logical(l: &Layout) -> Option<&'static str> {
        let index_live = l.ttl_index != Some(false);
        match l.prefixed {
            Some(false) => (l.inline_ttl != Some(false)).then_some("current"),
            Some(true) => index_live.then_some("legacy"),
            None => (l.bare && index_live).then_some("bare"),
        }
    }

    quickcheck! {
        fn chain_agrees_with_the_logical_model(l: Layout) -> bool {
            let m = plant(&l);
            let got = read_string(&m, b"k", NOW, ChainModes::default());
            got.found().map(|v| v.value) == logical(&l).map(|s| Bytes::from_static(s.as_bytes()))
        }
    }

    #[test]
    fn an_expired_prefixed_key_shadows_the_bare_key() {
        let l = Layout {
            prefixed: Some(false),
            inline_ttl: Some(false),
            bare: true,
            ttl_index: None,
        };
        let m = plant(&l);
        assert_eq!(
            read_string(&m, b"k", NOW, ChainModes::default()),
            ChainRead::Expired(Source::Current)
        );
        let gap = ChainModes {
            expired_shadow: ExpiredShadow::FallBack,
            ..Default::default()
        };
        assert_eq!(
            read_string(&m, b"k", NOW, gap).found().map(|v| v.source),
            Some(Source::Bare)
        );
    }

    #[test]
    fn bare_first_lets_a_legacy_value_shadow_a_newer_set() {
        let l = Layout {
            prefixed: Some(false),
            inline_ttl: None,
            bare: true,
            ttl_index: None,
        };
        let m = plant(&l);
        assert_eq!(
            read_string(&m, b"k", NOW, ChainModes::default())
                .found()
                .map(|v| v.source),
            Some(Source::Current)
        );
        let gap = ChainModes {
            legacy_order: LegacyOrder::BareFirst,
            ..Default::default()
        };
        assert_eq!(
            read_string(&m, b"k", NOW, gap).found().map(|v| v.source),
            Some(Source::Bare)
        );
    }

    #[test]
    fn expiry_at_exactly_now_is_absent() {
        assert!(is_expired(Some(NOW), NOW));
        assert!(!is_expired(Some(NOW + 1), NOW));
        assert!(!is_expired(None, NOW));
    }
}
