//! A hash's fields over raw keys (ENC-5): one `!redis|h|` key per field,
//! holding its value, with the meta's `len` kept equal to the number of
//! field keys. Every helper touches only the fields it names, so a write to
//! a big hash costs O(fields changed) keys; only the whole-hash reads
//! (HGETALL, HKEYS, HVALS, HRANDFIELD) visit every field, as Redis does.

use bytes::Bytes;

use super::encoding::{element_key, HASH_PREFIX};
use super::{scan_elements, Meta};
use crate::raw::{RawGet, RawWrite};

/// The raw key of `field` in `key`'s hash.
pub fn field_key(key: &[u8], field: &[u8]) -> Bytes {
    element_key(HASH_PREFIX, key, field)
}

/// The value of `field` in `key`'s hash (whose meta the caller has read).
pub fn get<G: RawGet + ?Sized>(raw: &G, key: &[u8], field: &[u8]) -> Option<Bytes> {
    raw.raw_get(&field_key(key, field))
}

/// Set `field` to `value`, counting a new field in `meta.len`; whether the
/// field is new. The caller stores `meta` afterwards.
pub fn put<W: RawWrite + ?Sized>(
    raw: &mut W,
    key: &[u8],
    meta: &mut Meta,
    field: &[u8],
    value: Bytes,
) -> bool {
    let k = field_key(key, field);
    let new = raw.raw_get(&k).is_none();
    raw.raw_put(k, value);
    if new {
        meta.len += 1;
    }
    new
}

/// Remove `field`, counting it out of `meta.len`; whether it was there.
/// The caller stores `meta` afterwards (an emptied hash then goes).
pub fn delete<W: RawWrite + ?Sized>(
    raw: &mut W,
    key: &[u8],
    meta: &mut Meta,
    field: &[u8],
) -> bool {
    let k = field_key(key, field);
    if raw.raw_get(&k).is_none() {
        return false;
    }
    raw.raw_delete(k);
    meta.len = meta.len.saturating_sub(1);
    true
}

/// Every field of `key`'s hash with its value, in field (byte) order.
pub fn all<G: RawGet + ?Sized>(raw: &G, key: &[u8]) -> Vec<(Bytes, Bytes)> {
    let mut out = Vec::new();
    scan_elements(raw, HASH_PREFIX, key, b"", &mut |field, value| {
        out.push((Bytes::copy_from_slice(field), value.clone()));
        true
    });
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::collections::{read_meta, write_meta, Kind, MetaRead};

    type Raw = BTreeMap<Vec<u8>, Bytes>;

    #[test]
    fn len_counts_fields_through_puts_and_deletes() {
        let mut raw = Raw::new();
        let mut meta = Meta::new(Kind::Hash);
        let v = Bytes::from_static;
        assert!(put(&mut raw, b"h", &mut meta, b"a", v(b"1")));
        assert!(put(&mut raw, b"h", &mut meta, b"b", v(b"2")));
        assert!(!put(&mut raw, b"h", &mut meta, b"a", v(b"3")));
        assert_eq!(meta.len, 2);
        write_meta(&mut raw, b"h", &meta);
        assert_eq!(get(&raw, b"h", b"a"), Some(Bytes::from_static(b"3")));
        assert_eq!(
            all(&raw, b"h"),
            vec![
                (Bytes::from_static(b"a"), Bytes::from_static(b"3")),
                (Bytes::from_static(b"b"), Bytes::from_static(b"2")),
            ]
        );
        assert!(delete(&mut raw, b"h", &mut meta, b"a"));
        assert!(!delete(&mut raw, b"h", &mut meta, b"a"));
        assert!(delete(&mut raw, b"h", &mut meta, b"b"));
        write_meta(&mut raw, b"h", &meta);
        assert_eq!(read_meta(&raw, b"h", 0), MetaRead::Absent);
        assert!(raw.is_empty(), "{raw:?}");
    }

    #[test]
    fn a_hash_sees_only_its_own_fields() {
        let mut raw = Raw::new();
        let mut a = Meta::new(Kind::Hash);
        let mut ab = Meta::new(Kind::Hash);
        put(&mut raw, b"a", &mut a, b"bx", Bytes::new());
        put(&mut raw, b"ab", &mut ab, b"x", Bytes::new());
        assert_eq!(all(&raw, b"a").len(), 1);
        assert_eq!(get(&raw, b"a", b"x"), None);
    }
}
