//! Set commands: parsing, with Redis 7.0's error texts, and semantics over
//! the collection layout (one key per member, `crate::collections::set`).
//!
//! Members come back in byte order (Redis's come in hash order, which no
//! client may rely on: `SMEMBERS` and friends are `nondeterministic_output_order`).
//! Set-valued replies are RESP3 sets (`Reply::Set`) where Redis sends one.
//!
//! Each command has a `parse_*` (its row's parser) and an `exec_*` (its
//! row's executor); the rows are [`COMMANDS`]. Unit tests and a quickcheck
//! property against a `BTreeSet` model are in `set/tests.rs`.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::def::flag::*;
use super::def::Flags;
use super::strings::arg;
use super::{mismatch, CommandDef, Exec, Op, ParseCtx, ParseError, ReadView, WriteView};
use crate::collections::{set, Kind};
use crate::resp::Reply;

/// A parsed set command's arguments.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SetOp {
    /// SADD key member [member ...]
    Add { key: Bytes, members: Vec<Bytes> },
    /// SREM key member [member ...]
    Rem { key: Bytes, members: Vec<Bytes> },
    /// SMEMBERS key
    Members { key: Bytes },
    /// SISMEMBER key member
    IsMember { key: Bytes, member: Bytes },
    /// SCARD key
    Card { key: Bytes },
}

fn op(o: SetOp) -> Op {
    Op::SetCmd(o)
}

fn bulks(members: Vec<Bytes>) -> Vec<Reply> {
    members.into_iter().map(Reply::Bulk).collect()
}

// ---------------------------------------------------------- SADD / SREM

/// `SADD key member [member ...]`
fn parse_sadd(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    Ok(op(SetOp::Add {
        key: arg(args, 1),
        members: args.get(2..).unwrap_or(&[]).to_vec(),
    }))
}

/// SADD: how many members were new. Creates the set (clearing any dead
/// form of the key first); WRONGTYPE for a key of another type.
fn exec_sadd(o: &Op, ks: &mut WriteView<'_>) -> Reply {
    let Op::SetCmd(SetOp::Add { key, members }) = o else {
        return mismatch();
    };
    let mut meta = or_wrong_type!(ks.open(key, Kind::Set));
    let added = members
        .iter()
        .filter(|m| set::insert(ks.raw, key, &mut meta, m))
        .count();
    if added > 0 {
        ks.write_meta(key, &meta);
    }
    Reply::Integer(added as i64)
}

/// `SREM key member [member ...]`
fn parse_srem(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    Ok(op(SetOp::Rem {
        key: arg(args, 1),
        members: args.get(2..).unwrap_or(&[]).to_vec(),
    }))
}

/// SREM: how many members were removed; an emptied set is deleted.
fn exec_srem(o: &Op, ks: &mut WriteView<'_>) -> Reply {
    let Op::SetCmd(SetOp::Rem { key, members }) = o else {
        return mismatch();
    };
    let Some(mut meta) = or_wrong_type!(ks.reader().collection(key, Kind::Set)) else {
        return Reply::Integer(0);
    };
    let removed = members
        .iter()
        .filter(|m| set::remove(ks.raw, key, &mut meta, m))
        .count();
    if removed > 0 {
        ks.write_meta(key, &meta);
    }
    Reply::Integer(removed as i64)
}

// ------------------------------------------------------------- reads

fn parse_key_only(args: &[Bytes], make: fn(Bytes) -> SetOp) -> Result<Op, ParseError> {
    Ok(op(make(arg(args, 1))))
}

/// `SMEMBERS key`
fn parse_smembers(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    parse_key_only(args, |key| SetOp::Members { key })
}

/// SMEMBERS: every member, a set (empty for a missing key). O(n).
fn exec_smembers(o: &Op, ks: &ReadView<'_>) -> Reply {
    let Op::SetCmd(SetOp::Members { key }) = o else {
        return mismatch();
    };
    match or_wrong_type!(ks.collection(key, Kind::Set)) {
        Some(_) => Reply::Set(bulks(set::members(ks.raw, key))),
        None => Reply::Set(vec![]),
    }
}

/// `SISMEMBER key member`
fn parse_sismember(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    Ok(op(SetOp::IsMember {
        key: arg(args, 1),
        member: arg(args, 2),
    }))
}

/// SISMEMBER: 1 if the member is in the set, else 0.
fn exec_sismember(o: &Op, ks: &ReadView<'_>) -> Reply {
    let Op::SetCmd(SetOp::IsMember { key, member }) = o else {
        return mismatch();
    };
    let found = or_wrong_type!(ks.collection(key, Kind::Set)).is_some()
        && set::contains(ks.raw, key, member);
    Reply::Integer(i64::from(found))
}

/// `SCARD key`
fn parse_scard(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    parse_key_only(args, |key| SetOp::Card { key })
}

/// SCARD: the number of members (0 for a missing key), from the meta: O(1).
fn exec_scard(o: &Op, ks: &ReadView<'_>) -> Reply {
    let Op::SetCmd(SetOp::Card { key }) = o else {
        return mismatch();
    };
    let len = or_wrong_type!(ks.collection(key, Kind::Set)).map_or(0, |m| m.len);
    Reply::Integer(i64::try_from(len).unwrap_or(i64::MAX))
}

// --------------------------------------------------------------- rows

const SET_GROUP: &str = "set";

/// This type's rows of the command table (metadata read off redis-server 7.0.15).
pub static COMMANDS: &[CommandDef] = &[
    CommandDef {
        name: "sadd",
        arity: -3,
        flags: Flags(WRITE | DENYOOM | FAST),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@set", "@fast"],
        group: SET_GROUP,
        since: "1.0.0",
        summary: "Add one or more members to a set",
        parse: parse_sadd,
        exec: Exec::Write(exec_sadd),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "srem",
        arity: -3,
        flags: Flags(WRITE | FAST),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@set", "@fast"],
        group: SET_GROUP,
        since: "1.0.0",
        summary: "Remove one or more members from a set",
        parse: parse_srem,
        exec: Exec::Write(exec_srem),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "smembers",
        arity: 2,
        flags: Flags(READONLY),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@set", "@slow"],
        tips: &["nondeterministic_output_order"],
        group: SET_GROUP,
        since: "1.0.0",
        summary: "Get all the members in a set",
        parse: parse_smembers,
        exec: Exec::Read(exec_smembers),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "sismember",
        arity: 3,
        flags: Flags(READONLY | FAST),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@set", "@fast"],
        group: SET_GROUP,
        since: "1.0.0",
        summary: "Determine if a given value is a member of a set",
        parse: parse_sismember,
        exec: Exec::Read(exec_sismember),
        ..CommandDef::DEFAULT
    },
    CommandDef {
        name: "scard",
        arity: 2,
        flags: Flags(READONLY | FAST),
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@set", "@fast"],
        group: SET_GROUP,
        since: "1.0.0",
        summary: "Get the number of members in a set",
        parse: parse_scard,
        exec: Exec::Read(exec_scard),
        ..CommandDef::DEFAULT
    },
];

#[cfg(test)]
mod tests;
