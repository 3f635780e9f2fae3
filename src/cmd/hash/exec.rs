//! The hash commands' semantics over a keyspace view: reads against a
//! snapshot ([`ReadView`]), writes as their log entry applies
//! ([`WriteView`]), each keeping the meta's field count exact.

use bytes::Bytes;

use super::HashOp;
use crate::cmd::{mismatch, Op, ReadView, WriteView};
use crate::collections::{hash, Kind, Meta};
use crate::resp::Reply;

fn hash_op(op: &Op) -> Option<&HashOp> {
    match op {
        Op::HashCmd(h) => Some(h),
        _ => None,
    }
}

/// The live hash under `key` for a read (`None`: no key; an empty reply).
macro_rules! read_hash {
    ($ks:expr, $key:expr) => {
        or_wrong_type!($ks.collection($key, Kind::Hash))
    };
}

/// Store `meta` if the command changed it.
fn store(ks: &mut WriteView<'_>, key: &[u8], before: &Meta, meta: &Meta) {
    if meta != before || meta.len == 0 {
        ks.write_meta(key, meta);
    }
}

// ------------------------------------------------------------ HSET, HMSET

/// Set every pair, in order (a repeated field keeps its last value); the
/// number of fields that were new.
fn set_pairs(ks: &mut WriteView<'_>, key: &[u8], pairs: &[(Bytes, Bytes)]) -> Result<i64, Reply> {
    let before = ks.open(key, Kind::Hash).map_err(crate::cmd::wrong_type)?;
    let mut meta = before.clone();
    let mut added = 0;
    for (field, value) in pairs {
        if hash::put(&mut *ks.raw, key, &mut meta, field, value.clone()) {
            added += 1;
        }
    }
    store(ks, key, &before, &meta);
    Ok(added)
}

/// HSET: the number of fields added.
pub(super) fn exec_hset(op: &Op, ks: &mut WriteView<'_>) -> Reply {
    let Some(HashOp::Set { key, pairs }) = hash_op(op) else {
        return mismatch();
    };
    set_pairs(ks, key, pairs).map_or_else(|e| e, Reply::Integer)
}

/// HMSET: OK.
pub(super) fn exec_hmset(op: &Op, ks: &mut WriteView<'_>) -> Reply {
    let Some(HashOp::Set { key, pairs }) = hash_op(op) else {
        return mismatch();
    };
    set_pairs(ks, key, pairs).map_or_else(|e| e, |_| Reply::ok())
}

// ------------------------------------------------------------------- HDEL

/// HDEL: the number of fields removed; the hash goes with its last field.
pub(super) fn exec_hdel(op: &Op, ks: &mut WriteView<'_>) -> Reply {
    let Some(HashOp::Del { key, fields }) = hash_op(op) else {
        return mismatch();
    };
    let Some(before) = read_hash!(ks.reader(), key) else {
        return Reply::Integer(0);
    };
    let mut meta = before.clone();
    let mut removed = 0;
    for field in fields {
        if hash::delete(&mut *ks.raw, key, &mut meta, field) {
            removed += 1;
        }
    }
    store(ks, key, &before, &meta);
    Reply::Integer(removed)
}

// ------------------------------------------------------------------ reads

/// HGET: the value, or nil.
pub(super) fn exec_hget(op: &Op, ks: &ReadView<'_>) -> Reply {
    let Some(HashOp::Get { key, field }) = hash_op(op) else {
        return mismatch();
    };
    if read_hash!(ks, key).is_none() {
        return Reply::Nil;
    }
    hash::get(ks.raw, key, field).map_or(Reply::Nil, Reply::Bulk)
}

/// HLEN: the meta's count, O(1).
pub(super) fn exec_hlen(op: &Op, ks: &ReadView<'_>) -> Reply {
    let Some(HashOp::Len { key }) = hash_op(op) else {
        return mismatch();
    };
    let len = read_hash!(ks, key).map_or(0, |m| m.len);
    Reply::Integer(i64::try_from(len).unwrap_or(i64::MAX))
}

/// Every field and value of the hash under the `All` op's key, in field
/// order; the error is WRONGTYPE's reply.
fn all_fields(op: &Op, ks: &ReadView<'_>) -> Result<Vec<(Bytes, Bytes)>, Reply> {
    let Some(HashOp::All { key }) = hash_op(op) else {
        return Err(mismatch());
    };
    match ks.collection(key, Kind::Hash) {
        Ok(Some(_)) => Ok(hash::all(ks.raw, key)),
        Ok(None) => Ok(vec![]),
        Err(e) => Err(crate::cmd::wrong_type(e)),
    }
}

/// HGETALL: a map of field to value (a flat array in RESP2).
pub(super) fn exec_hgetall(op: &Op, ks: &ReadView<'_>) -> Reply {
    match all_fields(op, ks) {
        Ok(all) => Reply::Map(
            all.into_iter()
                .map(|(f, v)| (Reply::Bulk(f), Reply::Bulk(v)))
                .collect(),
        ),
        Err(e) => e,
    }
}
