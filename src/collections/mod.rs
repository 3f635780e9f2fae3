//! Hashes, lists, sets and sorted sets over raw internal keys (spec §2):
//! a meta key per collection and a key per element ([`encoding`]).
//!
//! This module is what every type shares: reading a collection's meta
//! through its expiry, visiting its elements in key order, keeping the meta
//! (and the TTL index) in step with a change, and removing or copying a
//! whole collection. The keyspace views (`crate::strings::keyspace`) use
//! it so DEL, EXISTS, TYPE, RENAME, COPY, expiry and SCAN see every type;
//! each type's commands live in `crate::cmd`.
//!
//! A key holds one type at a time: a string write removes a collection of
//! the same name first, and a collection write refuses a live string or a
//! collection of another kind ([`WrongType`]).

pub mod encoding;
pub mod hash;
pub mod list;
pub mod set;
pub mod zset;

use bytes::Bytes;

use encoding::{decode_meta, element_key, element_prefix, encode_meta, meta_key};
pub use encoding::{Kind, Meta};

use crate::raw::{RawGet, RawWrite};

/// The key holds a value of another type (Redis's WRONGTYPE error,
/// `crate::resp::reply::errors::WRONGTYPE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WrongType;

/// What a read of a collection's meta found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MetaRead {
    Live(Meta),
    /// There, but its expiry has passed: the key is absent.
    Expired(Meta),
    Absent,
}

/// `key`'s collection meta at the reader's clock `now_ms`.
pub fn read_meta<G: RawGet + ?Sized>(raw: &G, key: &[u8], now_ms: u64) -> MetaRead {
    let Some(m) = raw.raw_get(&meta_key(key)).and_then(|v| decode_meta(&v)) else {
        return MetaRead::Absent;
    };
    if m.expire_at.is_some_and(|at| at <= now_ms) {
        MetaRead::Expired(m)
    } else {
        MetaRead::Live(m)
    }
}

/// Visit the elements of `key`'s collection under `prefix` (one of its
/// kind's element prefixes) in key order, from element suffix `from` on,
/// until `f` returns false. `f` gets the element's suffix (field, member,
/// encoded sequence number or score index entry) and value.
pub fn scan_elements<G: RawGet + ?Sized>(
    raw: &G,
    prefix: &[u8],
    key: &[u8],
    from: &[u8],
    f: &mut dyn FnMut(&[u8], &Bytes) -> bool,
) {
    let base = element_prefix(prefix, key);
    let start = element_key(prefix, key, from);
    raw.raw_scan(&start, &mut |k, v| match k.strip_prefix(&base[..]) {
        Some(suffix) => f(suffix, v),
        None => false,
    });
}

/// One page of an element scan (HSCAN, SSCAN, ZSCAN): visit elements under
/// `prefix` from `cursor` on, at least `count` of them when there are, and
/// return the next cursor (0: the scan is done).
///
/// A cursor is the first 8 bytes of the element suffix to resume at, read
/// big-endian (shorter suffixes padded with zeros), so a client holds an
/// integer, as Redis's cursors are, and a page resumes at or before the
/// element it stopped at: an element present for the whole scan is returned
/// at least once, whatever is added or removed meanwhile (Redis's
/// guarantee). A page ends only where the cursor grows, so elements sharing
/// their first 8 bytes come in one page, which may then exceed `count`
/// (Redis's COUNT is a hint too); a cursor of 0 is never handed out except
/// to say the scan is done.
pub fn scan_page<G: RawGet + ?Sized>(
    raw: &G,
    prefix: &[u8],
    key: &[u8],
    cursor: u64,
    count: u64,
    f: &mut dyn FnMut(&[u8], &Bytes),
) -> u64 {
    let from = cursor_suffix(cursor);
    let mut seen = 0u64;
    let mut next = 0u64;
    scan_elements(raw, prefix, key, &from, &mut |suffix, v| {
        if seen >= count.max(1) {
            let here = suffix_cursor(suffix);
            if here > cursor {
                next = here;
                return false;
            }
        }
        seen += 1;
        f(suffix, v);
        true
    });
    next
}

/// The cursor of an element suffix: its first 8 bytes, zero-padded.
fn suffix_cursor(suffix: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    let n = suffix.len().min(8);
    b[..n].copy_from_slice(&suffix[..n]);
    u64::from_be_bytes(b)
}

/// Where a cursor resumes: its bytes without the zero padding, which sorts
/// at or before every suffix with that cursor.
fn cursor_suffix(cursor: u64) -> Vec<u8> {
    let b = cursor.to_be_bytes();
    let end = b.iter().rposition(|&x| x != 0).map_or(0, |i| i + 1);
    b[..end].to_vec()
}

/// Every element key of `key`'s collection of `kind`.
fn element_keys<G: RawGet + ?Sized>(raw: &G, kind: Kind, key: &[u8]) -> Vec<(Bytes, Bytes)> {
    let mut out = Vec::new();
    for prefix in kind.element_prefixes() {
        let base = element_prefix(prefix, key);
        raw.raw_scan(&base, &mut |k, v| {
            if k.starts_with(&base) {
                out.push((k.clone(), v.clone()));
                true
            } else {
                false
            }
        });
    }
    out
}

/// Store `meta` for `key` after a change; a collection left empty is
/// removed (Redis deletes empty collections). The TTL index entry is the
/// keyspace view's to keep in step (`KeyspaceWrite::write_meta`).
pub fn write_meta<W: RawWrite + ?Sized>(raw: &mut W, key: &[u8], meta: &Meta) {
    if meta.len == 0 {
        raw.raw_delete(meta_key(key));
    } else {
        raw.raw_put(meta_key(key), encode_meta(meta));
    }
}

/// Remove `key`'s collection, live or expired: every element and the meta
/// (the TTL index entry is the keyspace view's). Whether there was one.
pub fn remove<W: RawWrite + ?Sized>(raw: &mut W, key: &[u8]) -> bool {
    let Some(meta) = raw.raw_get(&meta_key(key)).and_then(|v| decode_meta(&v)) else {
        return false;
    };
    for (k, _) in element_keys(&*raw, meta.kind, key) {
        raw.raw_delete(k);
    }
    raw.raw_delete(meta_key(key));
    true
}

/// Write a copy of `src`'s collection (`meta` is its meta) under `dst`,
/// which holds nothing: every element, then the meta with `expire_at`
/// (the TTL index entry is the keyspace view's).
pub fn copy<W: RawWrite + ?Sized>(
    raw: &mut W,
    src: &[u8],
    dst: &[u8],
    meta: &Meta,
    expire_at: Option<u64>,
) {
    for prefix in meta.kind.element_prefixes() {
        let mut elements = Vec::new();
        scan_elements(&*raw, prefix, src, b"", &mut |suffix, v| {
            elements.push((element_key(prefix, dst, suffix), v.clone()));
            true
        });
        for (k, v) in elements {
            raw.raw_put(k, v);
        }
    }
    let meta = Meta {
        expire_at,
        ..meta.clone()
    };
    write_meta(raw, dst, &meta);
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use encoding::HASH_PREFIX;

    type Raw = BTreeMap<Vec<u8>, Bytes>;

    fn hash(raw: &mut Raw, key: &[u8], fields: &[&str], at: Option<u64>) {
        for f in fields {
            raw.raw_put(
                element_key(HASH_PREFIX, key, f.as_bytes()),
                Bytes::from_static(b"v"),
            );
        }
        let meta = Meta {
            len: fields.len() as u64,
            expire_at: at,
            ..Meta::new(Kind::Hash)
        };
        write_meta(raw, key, &meta);
    }

    #[test]
    fn remove_leaves_nothing_and_spares_the_neighbours() {
        let mut raw = Raw::new();
        hash(&mut raw, b"a", &["x", "y"], Some(50));
        hash(&mut raw, b"ab", &["x"], None);
        assert!(remove(&mut raw, b"a"));
        assert!(!remove(&mut raw, b"a"));
        let left: Vec<_> = raw.keys().cloned().collect();
        let mut ab = Raw::new();
        hash(&mut ab, b"ab", &["x"], None);
        assert_eq!(left, ab.keys().cloned().collect::<Vec<_>>());
    }

    #[test]
    fn meta_reads_through_expiry() {
        let mut raw = Raw::new();
        hash(&mut raw, b"k", &["x"], Some(10));
        assert!(matches!(read_meta(&raw, b"k", 9), MetaRead::Live(_)));
        assert!(matches!(read_meta(&raw, b"k", 10), MetaRead::Expired(_)));
        assert_eq!(read_meta(&raw, b"none", 10), MetaRead::Absent);
    }

    #[test]
    fn an_emptied_collection_is_removed() {
        let mut raw = Raw::new();
        hash(&mut raw, b"k", &["x"], Some(10));
        raw.raw_delete(element_key(HASH_PREFIX, b"k", b"x"));
        write_meta(&mut raw, b"k", &Meta::new(Kind::Hash));
        assert!(raw.is_empty(), "{raw:?}");
    }

    /// Page through with every COUNT: each field comes at least once, the
    /// cursor only grows, and a scan ends.
    #[test]
    fn element_scans_return_every_element_and_end() {
        let mut raw = Raw::new();
        let fields: Vec<String> = (0..40)
            .map(|i| format!("field:{i}"))
            .chain(["", "a", "\0\0", "zzzzzzzzzzzz1", "zzzzzzzzzzzz2"].map(String::from))
            .collect();
        let names: Vec<&str> = fields.iter().map(String::as_str).collect();
        hash(&mut raw, b"k", &names, None);
        for count in [1, 2, 3, 10, 100] {
            let mut got = std::collections::BTreeSet::new();
            let mut cursor = 0;
            for _ in 0..100 {
                let next = scan_page(&raw, HASH_PREFIX, b"k", cursor, count, &mut |f, _| {
                    got.insert(f.to_vec());
                });
                assert!(next == 0 || next > cursor, "{cursor} -> {next}");
                cursor = next;
                if cursor == 0 {
                    break;
                }
            }
            assert_eq!(cursor, 0, "COUNT {count}: the scan ends");
            let want: std::collections::BTreeSet<Vec<u8>> =
                fields.iter().map(|f| f.as_bytes().to_vec()).collect();
            assert_eq!(got, want, "COUNT {count}");
        }
    }

    #[test]
    fn copy_writes_every_element_under_the_new_name() {
        let mut raw = Raw::new();
        hash(&mut raw, b"src", &["x", "y"], None);
        let MetaRead::Live(meta) = read_meta(&raw, b"src", 0) else {
            panic!("a live hash")
        };
        copy(&mut raw, b"src", b"dst", &meta, Some(99));
        let mut fields = vec![];
        scan_elements(&raw, HASH_PREFIX, b"dst", b"", &mut |f, _| {
            fields.push(f.to_vec());
            true
        });
        assert_eq!(fields, vec![b"x".to_vec(), b"y".to_vec()]);
        let MetaRead::Live(copied) = read_meta(&raw, b"dst", 0) else {
            panic!("a live copy")
        };
        assert_eq!((copied.len, copied.expire_at), (2, Some(99)));
    }
}
