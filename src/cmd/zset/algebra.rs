//! ZUNION, ZINTER, ZDIFF (and their STORE forms) and ZINTERCARD, the way
//! Redis's `zunionInterDiffGenericCommand` computes them: a plain set is a
//! valid input whose members score 1; inputs are weighted (ZDIFF ignores
//! weights); a NaN from a weight or a sum (inf + -inf) counts as 0; the
//! result is ordered by score, then member.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;

use super::{Aggregate, Algebra, Combine};
use crate::collections::{zset, Kind, WrongType};
use crate::raw::RawGet;
use crate::strings::KeyspaceRead;

/// One input's members with their scores, or `None` for a missing key;
/// [`WrongType`] for a string, hash or list.
pub fn read_source<G: RawGet + ?Sized>(
    ks: &KeyspaceRead<'_, G>,
    key: &[u8],
) -> Result<Option<Vec<(Bytes, f64)>>, WrongType> {
    if ks.get(key).is_some() {
        return Err(WrongType);
    }
    match ks.meta(key) {
        None => Ok(None),
        Some(m) if m.kind == Kind::ZSet => Ok(Some(zset::all(ks.raw, key))),
        Some(m) if m.kind == Kind::Set => Ok(Some(zset::set_members(ks.raw, key))),
        Some(_) => Err(WrongType),
    }
}

/// Every input, in key order, type-checked first to last as Redis does.
pub fn read_sources<G: RawGet + ?Sized>(
    ks: &KeyspaceRead<'_, G>,
    keys: &[Bytes],
) -> Result<Vec<Vec<(Bytes, f64)>>, WrongType> {
    keys.iter()
        .map(|k| read_source(ks, k).map(Option::unwrap_or_default))
        .collect()
}

fn aggregate(target: &mut f64, v: f64, how: Aggregate) {
    match how {
        Aggregate::Sum => {
            *target += v;
            if target.is_nan() {
                *target = 0.0;
            }
        }
        Aggregate::Min => {
            if v < *target {
                *target = v
            }
        }
        Aggregate::Max => {
            if v > *target {
                *target = v
            }
        }
    }
}

fn weighted(score: f64, weight: f64) -> f64 {
    let v = score * weight;
    if v.is_nan() {
        0.0
    } else {
        v
    }
}

/// Order by score, then member bytes (Redis's sorted-set order).
pub fn sort(out: &mut [(Bytes, f64)]) {
    out.sort_by(|a, b| {
        a.1.partial_cmp(&b.1)
            .unwrap_or(Ordering::Equal)
            .then_with(|| a.0.cmp(&b.0))
    });
}

/// The inputs with their weights, smallest first (Redis's order for
/// UNION and INTER, which fixes the order scores are summed in).
fn by_size(sources: Vec<Vec<(Bytes, f64)>>, c: &Combine) -> Vec<(Vec<(Bytes, f64)>, f64)> {
    let mut v: Vec<_> = sources
        .into_iter()
        .zip(c.weights.iter().map(|w| w.get()))
        .collect();
    v.sort_by_key(|(s, _)| s.len());
    v
}

/// The intersection's members and scores, stopping after `limit` (0: all).
fn inter(sources: Vec<Vec<(Bytes, f64)>>, c: &Combine, limit: u64) -> Vec<(Bytes, f64)> {
    let inputs = by_size(sources, c);
    let Some(((first, w0), rest)) = inputs.split_first() else {
        return Vec::new();
    };
    let lookups: Vec<(HashMap<&Bytes, f64>, f64)> = rest
        .iter()
        .map(|(s, w)| (s.iter().map(|(m, v)| (m, *v)).collect(), *w))
        .collect();
    let mut out = Vec::new();
    'members: for (member, score) in first {
        let mut acc = weighted(*score, *w0);
        for (set, w) in &lookups {
            match set.get(member) {
                Some(v) => aggregate(&mut acc, v * w, c.aggregate),
                None => continue 'members,
            }
        }
        out.push((member.clone(), acc));
        if limit > 0 && out.len() as u64 >= limit {
            break;
        }
    }
    out
}

/// The result of `c` over its inputs (read with [`read_sources`]), in
/// sorted-set order.
pub fn compute(sources: Vec<Vec<(Bytes, f64)>>, c: &Combine) -> Vec<(Bytes, f64)> {
    let mut out = match c.algebra {
        Algebra::Inter => inter(sources, c, 0),
        Algebra::Union => {
            let mut acc: BTreeMap<Bytes, f64> = BTreeMap::new();
            for (set, w) in by_size(sources, c) {
                for (member, score) in set {
                    let v = weighted(score, w);
                    match acc.get_mut(&member) {
                        Some(t) => aggregate(t, v, c.aggregate),
                        None => {
                            acc.insert(member, v);
                        }
                    }
                }
            }
            acc.into_iter().collect()
        }
        Algebra::Diff => {
            let mut it = sources.into_iter();
            let first = it.next().unwrap_or_default();
            let others: Vec<std::collections::HashSet<Bytes>> = it
                .map(|s| s.into_iter().map(|(m, _)| m).collect())
                .collect();
            first
                .into_iter()
                .filter(|(m, _)| !others.iter().any(|o| o.contains(m)))
                .collect()
        }
    };
    sort(&mut out);
    out
}

/// ZINTERCARD: the intersection's size, at most `limit` (0: no limit).
pub fn inter_card(sources: Vec<Vec<(Bytes, f64)>>, limit: u64) -> u64 {
    let n = sources.len();
    let c = Combine {
        algebra: Algebra::Inter,
        keys: Vec::new(),
        weights: vec![super::Score::of(1.0); n],
        aggregate: Aggregate::Sum,
        options_error: None,
    };
    inter(sources, &c, limit).len() as u64
}
