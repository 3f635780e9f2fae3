//! Sorted sets over raw keys (spec §2, ENC-8): each member has two keys,
//! member → score under `ZSET_PREFIX` (point reads: ZSCORE, ZADD's old
//! score) and `encode_score_key(score)` + member under `ZSCORE_PREFIX`
//! (the index, in Redis's order: by score, ties by member bytes). Every
//! change here writes both, so the two never disagree.
//!
//! The index is read with forward scans only (the raw getter has no
//! reverse scan): a range by score seeks straight to its first score, a
//! range by rank or by lex walks from the first member, so ranks cost
//! O(rank) here where Redis's skiplist is O(log n).

use bytes::Bytes;

use super::encoding::{
    decode_score, decode_score_key, element_key, encode_score, encode_score_key, ZSCORE_PREFIX,
    ZSET_PREFIX,
};
use super::scan_elements;
use crate::raw::{RawGet, RawWrite};

/// An index entry's suffix: the score's order-preserving bytes, then the member.
pub fn index_suffix(score: f64, member: &[u8]) -> Vec<u8> {
    let mut b = Vec::with_capacity(8 + member.len());
    b.extend_from_slice(&encode_score_key(score));
    b.extend_from_slice(member);
    b
}

/// The score and member of an index entry's suffix.
pub fn decode_index(suffix: &[u8]) -> Option<(f64, &[u8])> {
    let (score, member) = (suffix.get(..8)?, suffix.get(8..)?);
    Some((decode_score_key(score)?, member))
}

/// `member`'s score in `key`'s sorted set.
pub fn score<G: RawGet + ?Sized>(raw: &G, key: &[u8], member: &[u8]) -> Option<f64> {
    raw.raw_get(&element_key(ZSET_PREFIX, key, member))
        .and_then(|v| decode_score(&v))
}

/// Give `member` the score `score`; `old` is its current score, if it has
/// one (its index entry moves). The meta's length is the caller's. A score
/// of −0 is stored as 0, as Redis's compact encoding keeps it.
pub fn put<W: RawWrite + ?Sized>(
    raw: &mut W,
    key: &[u8],
    member: &[u8],
    score: f64,
    old: Option<f64>,
) {
    let score = if score == 0.0 { 0.0 } else { score };
    if let Some(old) = old {
        if old.to_bits() == score.to_bits() {
            return;
        }
        if encode_score_key(old) != encode_score_key(score) {
            raw.raw_delete(element_key(ZSCORE_PREFIX, key, &index_suffix(old, member)));
        }
    }
    raw.raw_put(element_key(ZSET_PREFIX, key, member), encode_score(score));
    raw.raw_put(
        element_key(ZSCORE_PREFIX, key, &index_suffix(score, member)),
        Bytes::new(),
    );
}

/// Remove `member`, whose score is `score`, from both key ranges.
pub fn delete<W: RawWrite + ?Sized>(raw: &mut W, key: &[u8], member: &[u8], score: f64) {
    raw.raw_delete(element_key(ZSET_PREFIX, key, member));
    raw.raw_delete(element_key(
        ZSCORE_PREFIX,
        key,
        &index_suffix(score, member),
    ));
}

/// Visit `key`'s members in index order (score, then member) from index
/// suffix `from` on, until `f` returns false.
pub fn scan_index<G: RawGet + ?Sized>(
    raw: &G,
    key: &[u8],
    from: &[u8],
    f: &mut dyn FnMut(f64, &[u8]) -> bool,
) {
    scan_elements(
        raw,
        ZSCORE_PREFIX,
        key,
        from,
        &mut |suffix, _| match decode_index(suffix) {
            Some((score, member)) => f(score, member),
            None => true,
        },
    );
}

/// Visit `key`'s members from the first with a score of at least `min`.
pub fn scan_from_score<G: RawGet + ?Sized>(
    raw: &G,
    key: &[u8],
    min: f64,
    f: &mut dyn FnMut(f64, &[u8]) -> bool,
) {
    scan_index(raw, key, &encode_score_key(min), f)
}

/// Every member with its score, in index order.
pub fn all<G: RawGet + ?Sized>(raw: &G, key: &[u8]) -> Vec<(Bytes, f64)> {
    let mut out = Vec::new();
    scan_index(raw, key, b"", &mut |score, member| {
        out.push((Bytes::copy_from_slice(member), score));
        true
    });
    out
}

/// Every member with its score, in member order, straight from the member
/// keys (what a consistency check compares the index with).
pub fn members<G: RawGet + ?Sized>(raw: &G, key: &[u8]) -> Vec<(Bytes, f64)> {
    let mut out = Vec::new();
    scan_elements(raw, ZSET_PREFIX, key, b"", &mut |member, v| {
        if let Some(s) = decode_score(v) {
            out.push((Bytes::copy_from_slice(member), s));
        }
        true
    });
    out
}

/// The members of a set (`SET_PREFIX`), each with score 1: a plain set is a
/// valid input of ZUNION, ZINTER and ZDIFF.
pub fn set_members<G: RawGet + ?Sized>(raw: &G, key: &[u8]) -> Vec<(Bytes, f64)> {
    let mut out = Vec::new();
    scan_elements(raw, super::encoding::SET_PREFIX, key, b"", &mut |m, _| {
        out.push((Bytes::copy_from_slice(m), 1.0));
        true
    });
    out
}

/// The raw key of an index entry (for tests and diagnostics).
pub fn index_key(key: &[u8], score: f64, member: &[u8]) -> Bytes {
    element_key(ZSCORE_PREFIX, key, &index_suffix(score, member))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    type Raw = BTreeMap<Vec<u8>, Bytes>;

    #[test]
    fn put_moves_the_index_entry_and_delete_leaves_nothing() {
        let mut raw = Raw::new();
        put(&mut raw, b"k", b"a", 2.0, None);
        put(&mut raw, b"k", b"b", 1.0, None);
        put(&mut raw, b"k", b"a", 0.5, Some(2.0));
        let order = all(&raw, b"k");
        assert_eq!(
            order,
            vec![(Bytes::from("a"), 0.5), (Bytes::from("b"), 1.0)]
        );
        assert_eq!(score(&raw, b"k", b"a"), Some(0.5));
        assert!(raw.contains_key(&index_key(b"k", 0.5, b"a")[..]));
        delete(&mut raw, b"k", b"a", 0.5);
        delete(&mut raw, b"k", b"b", 1.0);
        assert!(raw.is_empty(), "{raw:?}");
    }

    #[test]
    fn ties_order_by_member_and_infinities_sit_at_the_ends() {
        let mut raw = Raw::new();
        for (m, s) in [
            ("b", 1.0),
            ("a", 1.0),
            ("z", f64::NEG_INFINITY),
            ("y", f64::INFINITY),
        ] {
            put(&mut raw, b"k", m.as_bytes(), s, None);
        }
        let order: Vec<_> = all(&raw, b"k").into_iter().map(|(m, _)| m).collect();
        assert_eq!(order, ["z", "a", "b", "y"].map(Bytes::from));
        let mut from_one = vec![];
        scan_from_score(&raw, b"k", 1.0, &mut |_, m| {
            from_one.push(m.to_vec());
            true
        });
        assert_eq!(from_one, [b"a".to_vec(), b"b".to_vec(), b"y".to_vec()]);
    }
}
