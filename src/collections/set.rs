//! Set members over raw keys: one key per member,
//! `!redis|s|<klen u32 BE><key><member>` = "" ([`SET_PREFIX`]), so members
//! sit in byte order and a membership test, an insert or a removal touches
//! one key.
//!
//! These helpers keep `meta.len` exact; storing the meta (and with it the
//! TTL index) is the keyspace view's (`KeyspaceWrite::write_meta`).

use bytes::Bytes;

use super::encoding::{element_key, Meta, SET_PREFIX};
use super::scan_elements;
use crate::raw::{RawGet, RawWrite};

/// Whether `member` is in `key`'s set.
pub fn contains<G: RawGet + ?Sized>(raw: &G, key: &[u8], member: &[u8]) -> bool {
    raw.raw_get(&element_key(SET_PREFIX, key, member)).is_some()
}

/// Add `member` to `key`'s set (`meta` its meta); whether it was new.
pub fn insert<W: RawWrite + ?Sized>(
    raw: &mut W,
    key: &[u8],
    meta: &mut Meta,
    member: &[u8],
) -> bool {
    let k = element_key(SET_PREFIX, key, member);
    if raw.raw_get(&k).is_some() {
        return false;
    }
    raw.raw_put(k, Bytes::new());
    meta.len += 1;
    true
}

/// Remove `member` from `key`'s set (`meta` its meta); whether it was there.
pub fn remove<W: RawWrite + ?Sized>(
    raw: &mut W,
    key: &[u8],
    meta: &mut Meta,
    member: &[u8],
) -> bool {
    let k = element_key(SET_PREFIX, key, member);
    if raw.raw_get(&k).is_none() {
        return false;
    }
    raw.raw_delete(k);
    meta.len = meta.len.saturating_sub(1);
    true
}

/// Visit `key`'s members in byte order until `f` returns false.
pub fn for_each<G: RawGet + ?Sized>(raw: &G, key: &[u8], f: &mut dyn FnMut(&[u8]) -> bool) {
    scan_elements(raw, SET_PREFIX, key, b"", &mut |member, _| f(member));
}

/// Every member of `key`'s set, in byte order.
pub fn members<G: RawGet + ?Sized>(raw: &G, key: &[u8]) -> Vec<Bytes> {
    let mut out = Vec::new();
    for_each(raw, key, &mut |m| {
        out.push(Bytes::copy_from_slice(m));
        true
    });
    out
}

/// The members at the 0-based `ranks` (ascending, repeats allowed) in byte
/// order, one per rank, in one scan that stops after the last rank: O(last
/// rank).
pub fn members_at<G: RawGet + ?Sized>(raw: &G, key: &[u8], ranks: &[u64]) -> Vec<Bytes> {
    let mut out = Vec::with_capacity(ranks.len());
    let mut next = ranks.iter().peekable();
    let mut rank = 0u64;
    for_each(raw, key, &mut |m| {
        while next.next_if(|&&r| r == rank).is_some() {
            out.push(Bytes::copy_from_slice(m));
        }
        rank += 1;
        next.peek().is_some()
    });
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::collections::Kind;

    type Raw = BTreeMap<Vec<u8>, Bytes>;

    #[test]
    fn insert_and_remove_keep_the_length_exact() {
        let mut raw = Raw::new();
        let mut meta = Meta::new(Kind::Set);
        assert!(insert(&mut raw, b"k", &mut meta, b"b"));
        assert!(insert(&mut raw, b"k", &mut meta, b"a"));
        assert!(!insert(&mut raw, b"k", &mut meta, b"a"));
        assert!(insert(&mut raw, b"kk", &mut Meta::new(Kind::Set), b"a"));
        assert_eq!(meta.len, 2);
        assert!(contains(&raw, b"k", b"a"));
        assert!(!contains(&raw, b"k", b"c"));
        assert_eq!(
            members(&raw, b"k"),
            vec![Bytes::from("a"), Bytes::from("b")]
        );
        assert!(remove(&mut raw, b"k", &mut meta, b"a"));
        assert!(!remove(&mut raw, b"k", &mut meta, b"a"));
        assert_eq!(meta.len, 1);
        assert_eq!(members(&raw, b"k"), vec![Bytes::from("b")]);
    }

    #[test]
    fn members_at_ranks_repeat_and_stop() {
        let mut raw = Raw::new();
        let mut meta = Meta::new(Kind::Set);
        for m in ["a", "b", "c", "d"] {
            insert(&mut raw, b"k", &mut meta, m.as_bytes());
        }
        let got = members_at(&raw, b"k", &[0, 0, 2, 3, 3]);
        let want: Vec<Bytes> = ["a", "a", "c", "d", "d"].map(Bytes::from).to_vec();
        assert_eq!(got, want);
        assert!(members_at(&raw, b"k", &[]).is_empty());
        assert_eq!(members_at(&raw, b"k", &[9]), Vec::<Bytes>::new());
    }
}
