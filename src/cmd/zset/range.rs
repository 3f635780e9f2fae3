//! Which members a ZRANGE-family query selects, in reply order, read off
//! the score index with forward scans only.
//!
//! Forward ranges stop as soon as they have what they need. A REV range
//! collects the forward run its bounds name (ranks `len-1-stop ..=
//! len-1-start`, or every member between the scores or lex bounds), then
//! reverses it and applies LIMIT, so it reads no member outside its
//! bounds. Ranks walk from the lowest member: O(rank) here, O(log n) in
//! Redis.

use bytes::Bytes;

use super::{LexBound, Limit, Query, Range, ScoreBound};
use crate::collections::zset::{scan_from_score, scan_index};
use crate::raw::RawGet;

/// The forward ranks `start..=stop` (inclusive) that Redis's rank
/// arithmetic selects out of `len` members, if any.
pub fn rank_span(start: i64, stop: i64, len: u64) -> Option<(u64, u64)> {
    let len = i128::from(len);
    let (mut start, mut stop) = (i128::from(start), i128::from(stop));
    if start < 0 {
        start += len;
    }
    if stop < 0 {
        stop += len;
    }
    start = start.max(0);
    if start > stop || start >= len {
        return None;
    }
    stop = stop.min(len - 1);
    Some((u64::try_from(start).ok()?, u64::try_from(stop).ok()?))
}

impl ScoreBound {
    fn above_min(&self, score: f64) -> bool {
        let v = self.value.get();
        if self.exclusive {
            score > v
        } else {
            score >= v
        }
    }

    fn below_max(&self, score: f64) -> bool {
        let v = self.value.get();
        if self.exclusive {
            score < v
        } else {
            score <= v
        }
    }
}

impl LexBound {
    fn above_min(&self, member: &[u8]) -> bool {
        match self {
            LexBound::Min => true,
            LexBound::Max => false,
            LexBound::Inclusive(m) => member >= &m[..],
            LexBound::Exclusive(m) => member > &m[..],
        }
    }

    fn below_max(&self, member: &[u8]) -> bool {
        match self {
            LexBound::Min => false,
            LexBound::Max => true,
            LexBound::Inclusive(m) => member <= &m[..],
            LexBound::Exclusive(m) => member < &m[..],
        }
    }
}

/// The members with scores in `min..max`, ascending, until `f` says stop.
pub fn visit_scores<G: RawGet + ?Sized>(
    raw: &G,
    key: &[u8],
    min: &ScoreBound,
    max: &ScoreBound,
    f: &mut dyn FnMut(f64, &[u8]) -> bool,
) {
    scan_from_score(raw, key, min.value.get(), &mut |score, member| {
        if !min.above_min(score) {
            return true;
        }
        max.below_max(score) && f(score, member)
    });
}

/// The members between two lex bounds, in index order, until `f` says
/// stop. Redis's lex ranges assume one score for every member; with mixed
/// scores this takes the run from the first member at or above `min`.
pub fn visit_lex<G: RawGet + ?Sized>(
    raw: &G,
    key: &[u8],
    min: &LexBound,
    max: &LexBound,
    f: &mut dyn FnMut(f64, &[u8]) -> bool,
) {
    let mut started = false;
    scan_index(raw, key, b"", &mut |score, member| {
        if !started {
            if !min.above_min(member) {
                return true;
            }
            started = true;
        }
        max.below_max(member) && f(score, member)
    });
}

/// The forward ranks `first..=last`.
fn ranks<G: RawGet + ?Sized>(raw: &G, key: &[u8], first: u64, last: u64) -> Vec<(Bytes, f64)> {
    let mut out = Vec::new();
    let mut rank = 0u64;
    scan_index(raw, key, b"", &mut |score, member| {
        if rank >= first {
            out.push((Bytes::copy_from_slice(member), score));
        }
        rank += 1;
        rank <= last
    });
    out
}

/// LIMIT's window over a stream: skip `offset`, take `count` (negative:
/// all); a negative offset selects nothing, as in Redis.
struct Window {
    skip: u64,
    take: Option<u64>,
}

impl Window {
    fn of(limit: Option<Limit>) -> Option<Window> {
        match limit {
            None => Some(Window {
                skip: 0,
                take: None,
            }),
            Some(l) if l.offset < 0 => None,
            Some(l) => Some(Window {
                skip: l.offset.unsigned_abs(),
                take: u64::try_from(l.count).ok(),
            }),
        }
    }

    fn apply(&self, items: impl Iterator<Item = (Bytes, f64)>) -> Vec<(Bytes, f64)> {
        let skipped = items.skip(usize::try_from(self.skip).unwrap_or(usize::MAX));
        match self.take {
            Some(n) => skipped
                .take(usize::try_from(n).unwrap_or(usize::MAX))
                .collect(),
            None => skipped.collect(),
        }
    }
}

/// The members `query` selects out of `key`'s `len` members, in reply
/// order, with their scores.
pub fn select<G: RawGet + ?Sized>(
    raw: &G,
    key: &[u8],
    len: u64,
    query: &Query,
) -> Vec<(Bytes, f64)> {
    let Some(window) = Window::of(query.limit) else {
        return Vec::new();
    };
    match &query.range {
        Range::Rank { start, stop } => {
            let Some((a, b)) = rank_span(*start, *stop, len) else {
                return Vec::new();
            };
            if query.rev {
                let mut out = ranks(raw, key, len - 1 - b, len - 1 - a);
                out.reverse();
                out
            } else {
                ranks(raw, key, a, b)
            }
        }
        Range::Score { min, max } => bounded(query.rev, &window, &mut |f| {
            visit_scores(raw, key, min, max, f)
        }),
        Range::Lex { min, max } => bounded(query.rev, &window, &mut |f| {
            visit_lex(raw, key, min, max, f)
        }),
    }
}

type Visit<'a> = dyn FnMut(&mut dyn FnMut(f64, &[u8]) -> bool) + 'a;

/// A bounded (score or lex) range through its LIMIT window: forward it
/// stops once the window is full; REV collects the run and reverses it.
fn bounded(rev: bool, window: &Window, visit: &mut Visit<'_>) -> Vec<(Bytes, f64)> {
    let mut out = Vec::new();
    if rev {
        visit(&mut |score, member| {
            out.push((Bytes::copy_from_slice(member), score));
            true
        });
        return window.apply(out.into_iter().rev());
    }
    let mut skip = window.skip;
    visit(&mut |score, member| {
        if skip > 0 {
            skip -= 1;
            return true;
        }
        if window.take.is_some_and(|n| out.len() as u64 >= n) {
            return false;
        }
        out.push((Bytes::copy_from_slice(member), score));
        window.take.is_none_or(|n| (out.len() as u64) < n)
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rank_spans_follow_redis() {
        assert_eq!(rank_span(0, -1, 3), Some((0, 2)));
        assert_eq!(rank_span(-100, 100, 3), Some((0, 2)));
        assert_eq!(rank_span(2, 1, 3), None);
        assert_eq!(rank_span(3, 5, 3), None);
        assert_eq!(rank_span(0, 0, 0), None);
        assert_eq!(rank_span(i64::MIN, i64::MAX, 3), Some((0, 2)));
        assert_eq!(rank_span(-1, -1, 3), Some((2, 2)));
    }
}
