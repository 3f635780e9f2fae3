//! A list's items over raw keys: item `i` (0 = the head) of `key` lives at
//! `element_key(LIST_PREFIX, key, encode_seq(meta.head + i))`, for
//! `i < meta.len`, and `meta.tail == meta.head + meta.len` always.
//!
//! A push at either end takes the next sequence number there, so LPUSH,
//! RPUSH, LPOP and RPOP write one item key and the meta; LINDEX and LSET
//! are one key; LRANGE is one ordered scan of the keys in range. A change
//! in the middle (LINSERT, LREM) moves the items on whichever side of it is
//! shorter, so it writes O(min(i, n − i)) keys and never the whole list.
//!
//! Sequence numbers are i64s and a new list starts at 0, so 2^63 pushes at
//! one end of one list would be needed to run out; a push that would
//! overflow is refused with [`SeqExhausted`] instead of wrapping.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::encoding::{decode_seq, element_key, encode_seq, Meta, LIST_PREFIX};
use super::scan_elements;
use crate::raw::{RawGet, RawWrite};

/// A push that would take a sequence number past i64's range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeqExhausted;

/// Which end of a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum End {
    Left,
    Right,
}

/// The raw key of `key`'s item at sequence number `seq`.
pub fn item_key(key: &[u8], seq: i64) -> Bytes {
    element_key(LIST_PREFIX, key, &encode_seq(seq))
}

/// The sequence number of item `index` (0-based from the head), if it is
/// one of the list's.
fn seq_of(meta: &Meta, index: u64) -> Option<i64> {
    if index >= meta.len {
        return None;
    }
    i64::try_from(index)
        .ok()
        .and_then(|i| meta.head.checked_add(i))
}

/// Item `index` (0-based from the head): one key read.
pub fn get<G: RawGet + ?Sized>(raw: &G, key: &[u8], meta: &Meta, index: u64) -> Option<Bytes> {
    raw.raw_get(&item_key(key, seq_of(meta, index)?))
}

/// Items `start..=end` (0-based from the head, already clamped to the list),
/// in order: one scan over exactly those keys.
pub fn range<G: RawGet + ?Sized>(
    raw: &G,
    key: &[u8],
    meta: &Meta,
    start: u64,
    end: u64,
) -> Vec<Bytes> {
    let Some(first) = seq_of(meta, start) else {
        return Vec::new();
    };
    let end = end.min(meta.len.saturating_sub(1));
    let Some(last) = seq_of(meta, end) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    visit(raw, key, first, &mut |seq, item| {
        if seq > last {
            return false;
        }
        out.push(item.clone());
        true
    });
    out
}

/// Visit the items from sequence number `from` towards the tail, with their
/// sequence numbers, until `f` returns false.
pub fn visit<G: RawGet + ?Sized>(
    raw: &G,
    key: &[u8],
    from: i64,
    f: &mut dyn FnMut(i64, &Bytes) -> bool,
) {
    scan_elements(
        raw,
        LIST_PREFIX,
        key,
        &encode_seq(from),
        &mut |suffix, v| match decode_seq(suffix) {
            Some(seq) => f(seq, v),
            None => true,
        },
    );
}

/// Every item, head first (LREM, LPOS and the tests read the whole list,
/// as Redis walks it).
pub fn all<G: RawGet + ?Sized>(raw: &G, key: &[u8], meta: &Meta) -> Vec<Bytes> {
    range(raw, key, meta, 0, meta.len.saturating_sub(1))
}

/// Push `item` at `end`: one item key; `meta` gains it (the caller stores
/// the meta once after a batch).
pub fn push<W: RawWrite + ?Sized>(
    raw: &mut W,
    key: &[u8],
    meta: &mut Meta,
    end: End,
    item: Bytes,
) -> Result<(), SeqExhausted> {
    let seq = match end {
        End::Left => {
            let seq = meta.head.checked_sub(1).ok_or(SeqExhausted)?;
            meta.head = seq;
            seq
        }
        End::Right => {
            let seq = meta.tail;
            meta.tail = seq.checked_add(1).ok_or(SeqExhausted)?;
            seq
        }
    };
    meta.len += 1;
    raw.raw_put(item_key(key, seq), item);
    Ok(())
}

/// Whether `n` more pushes at `end` fit the sequence numbers (checked before
/// a batch so a refused push writes nothing).
pub fn room(meta: &Meta, end: End, n: usize) -> bool {
    let Ok(n) = i64::try_from(n) else {
        return false;
    };
    match end {
        End::Left => meta.head.checked_sub(n).is_some(),
        End::Right => meta.tail.checked_add(n).is_some(),
    }
}

/// Pop the item at `end`, if any: one key read and one delete.
pub fn pop<W: RawWrite + ?Sized>(
    raw: &mut W,
    key: &[u8],
    meta: &mut Meta,
    end: End,
) -> Option<Bytes> {
    if meta.len == 0 {
        return None;
    }
    let seq = match end {
        End::Left => meta.head,
        End::Right => meta.tail - 1,
    };
    let k = item_key(key, seq);
    let item = raw.raw_get(&k).unwrap_or_default();
    raw.raw_delete(k);
    match end {
        End::Left => meta.head += 1,
        End::Right => meta.tail -= 1,
    }
    meta.len -= 1;
    Some(item)
}

/// Replace item `index` (0-based, inside the list): one key.
pub fn set<W: RawWrite + ?Sized>(raw: &mut W, key: &[u8], meta: &Meta, index: u64, item: Bytes) {
    if let Some(seq) = seq_of(meta, index) {
        raw.raw_put(item_key(key, seq), item);
    }
}

/// Drop `n` items at `end` (LTRIM): n deletes.
pub fn trim<W: RawWrite + ?Sized>(raw: &mut W, key: &[u8], meta: &mut Meta, end: End, n: u64) {
    let n = n.min(meta.len);
    for _ in 0..n {
        let seq = match end {
            End::Left => meta.head,
            End::Right => meta.tail - 1,
        };
        raw.raw_delete(item_key(key, seq));
        match end {
            End::Left => meta.head += 1,
            End::Right => meta.tail -= 1,
        }
    }
    meta.len -= n;
}

/// Insert `item` so it becomes item `index` (0 ≤ index ≤ len): the items
/// before it move one towards the head, or the items from it on move one
/// towards the tail, whichever are fewer.
pub fn insert<W: RawWrite + ?Sized>(
    raw: &mut W,
    key: &[u8],
    meta: &mut Meta,
    index: u64,
    item: Bytes,
) -> Result<(), SeqExhausted> {
    let index = index.min(meta.len);
    let shift_left = index < meta.len - index;
    let end = if shift_left { End::Left } else { End::Right };
    if !room(meta, end, 1) {
        return Err(SeqExhausted);
    }
    let i = i64::try_from(index).map_err(|_| SeqExhausted)?;
    if shift_left {
        // Items 0..index move from head+j to head+j-1.
        let moved = read_seqs(raw, key, meta.head, meta.head + i);
        for (seq, v) in moved {
            raw.raw_put(item_key(key, seq - 1), v);
        }
        meta.head -= 1;
        raw.raw_put(item_key(key, meta.head + i), item);
    } else {
        // Items index..len move from head+j to head+j+1.
        let moved = read_seqs(raw, key, meta.head + i, meta.tail);
        for (seq, v) in moved.into_iter().rev() {
            raw.raw_put(item_key(key, seq + 1), v);
        }
        meta.tail += 1;
        raw.raw_put(item_key(key, meta.head + i), item);
    }
    meta.len += 1;
    Ok(())
}

/// The items at sequence numbers `from..to`, with them.
fn read_seqs<G: RawGet + ?Sized>(raw: &G, key: &[u8], from: i64, to: i64) -> Vec<(i64, Bytes)> {
    let mut out = Vec::new();
    if from >= to {
        return out;
    }
    visit(raw, key, from, &mut |seq, v| {
        if seq >= to {
            return false;
        }
        out.push((seq, v.clone()));
        true
    });
    out
}

/// Remove the items at `indices` (0-based, strictly increasing, inside the
/// list) and close the gaps (LREM).
///
/// The survivors left of a cut point move towards the tail and those right
/// of it towards the head; the cut is chosen between two removed items (or
/// before the first, or after the last) so that the fewest survivors move.
/// For one removed item at `i` that is min(i, n − 1 − i) moves; writes are
/// always the moved survivors plus one delete per removed item.
pub fn remove_indices<W: RawWrite + ?Sized>(
    raw: &mut W,
    key: &[u8],
    meta: &mut Meta,
    indices: &[u64],
) {
    let k = indices.len();
    if k == 0 {
        return;
    }
    let n = meta.len;
    // Cut after `j` removed items (0..=k): survivors left of removed item
    // j-1 move right, survivors right of removed item j move left.
    let cost = |j: usize| -> u64 {
        let left = if j == 0 {
            0
        } else {
            indices[j - 1] - (j as u64 - 1)
        };
        let right = if j == k {
            0
        } else {
            (n - 1 - indices[j]) - (k - j - 1) as u64
        };
        left + right
    };
    let cut = (0..=k).min_by_key(|&j| cost(j)).unwrap_or(0);
    let (left, right) = indices.split_at(cut);
    let head = meta.head;
    let as_i64 = |x: u64| i64::try_from(x).unwrap_or(i64::MAX);
    // Left side: walk from the last removed item towards the head; each
    // survivor moves right by the removed items after it (within the left).
    if let Some(&last) = left.last() {
        let items = read_seqs(raw, key, head, head + as_i64(last));
        let mut shift = 0i64;
        let mut removed = left.iter().rev().peekable();
        removed.next();
        shift += 1;
        for (seq, v) in items.into_iter().rev() {
            let index = (seq - head) as u64;
            if removed.peek() == Some(&&index) {
                removed.next();
                shift += 1;
                continue;
            }
            raw.raw_put(item_key(key, seq + shift), v);
        }
        for s in head..head + shift {
            raw.raw_delete(item_key(key, s));
        }
        meta.head += shift;
    }
    // Right side: walk from the first removed item towards the tail.
    if let Some(&first) = right.first() {
        let tail = meta.tail;
        let items = read_seqs(raw, key, head + as_i64(first) + 1, tail);
        let mut shift = 1i64;
        let mut removed = right.iter().skip(1).peekable();
        for (seq, v) in items {
            let index = (seq - head) as u64;
            if removed.peek() == Some(&&index) {
                removed.next();
                shift += 1;
                continue;
            }
            raw.raw_put(item_key(key, seq - shift), v);
        }
        for s in tail - shift..tail {
            raw.raw_delete(item_key(key, s));
        }
        meta.tail -= shift;
    }
    meta.len -= k as u64;
}

/// A Redis list index (negative counts from the tail) as a 0-based index
/// from the head, if it is inside a list of `len` items.
pub fn resolve_index(index: i64, len: u64) -> Option<u64> {
    let i = if index < 0 {
        i128::from(index) + i128::from(len)
    } else {
        i128::from(index)
    };
    u64::try_from(i).ok().filter(|&i| i < len)
}

/// LRANGE's and LTRIM's `start`/`stop` over a list of `len` items: the
/// inclusive 0-based span they cover, or `None` if it is empty.
pub fn resolve_span(start: i64, stop: i64, len: u64) -> Option<(u64, u64)> {
    let len = i128::from(len);
    let from_tail = |x: i64| {
        let x = i128::from(x);
        if x < 0 {
            x + len
        } else {
            x
        }
    };
    // As Redis: a start before the head is the head; a stop before it
    // leaves nothing.
    let (start, stop) = (from_tail(start).max(0), from_tail(stop).min(len - 1));
    if start > stop || start >= len {
        return None;
    }
    Some((u64::try_from(start).ok()?, u64::try_from(stop).ok()?))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::super::encoding::Kind;
    use super::*;

    type Raw = BTreeMap<Vec<u8>, Bytes>;

    /// A raw store that counts writes.
    #[derive(Default)]
    struct Counting {
        raw: Raw,
        writes: usize,
    }

    impl RawGet for Counting {
        fn raw_get(&self, key: &[u8]) -> Option<Bytes> {
            self.raw.raw_get(key)
        }
        fn raw_scan(&self, from: &[u8], f: &mut dyn FnMut(&Bytes, &Bytes) -> bool) {
            self.raw.raw_scan(from, f)
        }
    }

    impl RawWrite for Counting {
        fn raw_put(&mut self, key: Bytes, value: Bytes) {
            self.writes += 1;
            self.raw.raw_put(key, value)
        }
        fn raw_delete(&mut self, key: Bytes) {
            self.writes += 1;
            self.raw.raw_delete(key)
        }
    }

    fn list(raw: &mut Counting, n: u64) -> Meta {
        let mut meta = Meta::new(Kind::List);
        for i in 0..n {
            let _ = push(raw, b"k", &mut meta, End::Right, Bytes::from(i.to_string()));
        }
        raw.writes = 0;
        meta
    }

    fn items(raw: &Counting, meta: &Meta) -> Vec<String> {
        let got: Vec<String> = all(raw, b"k", meta)
            .iter()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .collect();
        assert_eq!(got.len() as u64, meta.len);
        assert_eq!(meta.tail - meta.head, meta.len as i64);
        assert_eq!(raw.raw.len() as u64, meta.len, "no stray item keys");
        got
    }

    fn strs(v: &[u64]) -> Vec<String> {
        v.iter().map(u64::to_string).collect()
    }

    #[test]
    fn a_middle_insert_moves_the_shorter_side() {
        let mut raw = Counting::default();
        let mut meta = list(&mut raw, 100);
        insert(&mut raw, b"k", &mut meta, 3, Bytes::from_static(b"x")).unwrap();
        assert_eq!(raw.writes, 4, "three items move left, one new");
        let got = items(&raw, &meta);
        assert_eq!(&got[..5], &["0", "1", "2", "x", "3"]);
        raw.writes = 0;
        insert(&mut raw, b"k", &mut meta, 98, Bytes::from_static(b"y")).unwrap();
        assert_eq!(raw.writes, 4, "three items move right, one new");
        let got = items(&raw, &meta);
        assert_eq!(&got[97..], &["96", "y", "97", "98", "99"]);
    }

    #[test]
    fn removals_move_the_fewest_survivors() {
        let mut raw = Counting::default();
        let mut meta = list(&mut raw, 100);
        remove_indices(&mut raw, b"k", &mut meta, &[2]);
        assert_eq!(raw.writes, 3, "two survivors move, one delete");
        let mut want: Vec<u64> = (0..100).filter(|&i| i != 2).collect();
        assert_eq!(items(&raw, &meta), strs(&want));
        raw.writes = 0;
        // Now 99 items; remove indices 1, 2 and 97.
        remove_indices(&mut raw, b"k", &mut meta, &[1, 2, 97]);
        assert_eq!(raw.writes, 1 + 1 + 3, "one left, one right survivor move");
        for i in [97, 2, 1] {
            want.remove(i);
        }
        assert_eq!(items(&raw, &meta), strs(&want));
    }

    #[test]
    fn remove_every_pattern_of_a_small_list() {
        for n in 0..7u64 {
            for mask in 0..(1u32 << n) {
                let mut raw = Counting::default();
                let mut meta = list(&mut raw, n);
                let idx: Vec<u64> = (0..n).filter(|i| mask & (1 << i) != 0).collect();
                remove_indices(&mut raw, b"k", &mut meta, &idx);
                let want: Vec<u64> = (0..n).filter(|i| mask & (1 << i) == 0).collect();
                assert_eq!(items(&raw, &meta), strs(&want), "n {n} mask {mask:b}");
            }
        }
    }

    #[test]
    fn pushes_at_the_limits_are_refused() {
        let mut raw = Counting::default();
        let mut meta = Meta {
            head: i64::MIN,
            tail: i64::MIN,
            ..Meta::new(Kind::List)
        };
        assert_eq!(
            push(&mut raw, b"k", &mut meta, End::Left, Bytes::new()),
            Err(SeqExhausted)
        );
        meta.head = i64::MAX;
        meta.tail = i64::MAX;
        assert_eq!(
            push(&mut raw, b"k", &mut meta, End::Right, Bytes::new()),
            Err(SeqExhausted)
        );
        assert!(raw.raw.is_empty());
        assert_eq!(meta.len, 0);
    }

    #[test]
    fn indices_and_spans_resolve_like_redis() {
        assert_eq!(resolve_index(-1, 3), Some(2));
        assert_eq!(resolve_index(-4, 3), None);
        assert_eq!(resolve_index(3, 3), None);
        assert_eq!(resolve_index(i64::MIN, u64::MAX), Some(u64::MAX / 2));
        assert_eq!(resolve_span(0, -1, 3), Some((0, 2)));
        assert_eq!(resolve_span(-100, 100, 3), Some((0, 2)));
        assert_eq!(resolve_span(2, 1, 3), None);
        assert_eq!(resolve_span(0, -100, 3), None);
        assert_eq!(resolve_span(0, i64::MAX, 0), None);
        assert_eq!(resolve_span(i64::MIN, i64::MAX, 5), Some((0, 4)));
    }
}
