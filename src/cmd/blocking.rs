//! The blocking pops: BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP BZPOPMIN BZPOPMAX
//! BZMPOP — their parsing (Redis 7.0's order of checks and texts), the
//! "pop now" step they run when their log entry applies, and their rows.
//!
//! A blocking pop is a write: its entry runs [`try_serve`]. When a key had
//! something, that is the reply; when every key is empty the entry writes
//! nothing and the node parks the request until a later write (see
//! `crate::node::blocking`). The timeout is an absolute deadline (unix ms,
//! 0 = forever), resolved at parse time like a TTL. Run by its row's
//! executor (a script's BLMPOP/BZMPOP), an empty pop answers the timeout
//! reply at once: Redis does not block inside a script.

use bytes::Bytes;

use super::args::parse_f64;
use super::def::flag::*;
use super::def::{CommandDef, Exec, Flags};
use super::error::ParseError;
use super::list::{self, ListOp};
use super::zset::{self, ZSetOp};
use super::{mismatch, wrong_type, Op, ParseCtx, WriteView};
use crate::collections::list::End;
use crate::collections::Kind;
use crate::modes::ChainModes;
use crate::resp::Reply;

/// Redis's `getTimeoutFromObjectOrReply` in seconds: a float (strtold's
/// syntax), times 1000, truncated to a C `long long` (a product beyond its
/// range is LLONG_MIN on x86: "negative"); 0 blocks forever. The deadline
/// saturates rather than overflow.
fn deadline_arg(a: &[u8], ctx: &ParseCtx) -> Result<u64, ParseError> {
    let secs = parse_f64(a).ok_or(ParseError::Message(
        "ERR timeout is not a float or out of range",
    ))?;
    let ms = secs * 1000.0;
    let negative = ParseError::Message("ERR timeout is negative");
    if !(ms > -9.223_372_036_854_775e18 && ms < 9.223_372_036_854_775e18) {
        return Err(negative);
    }
    let ms = ms.trunc() as i64;
    match u64::try_from(ms) {
        Err(_) => Err(negative),
        Ok(0) => Ok(0),
        Ok(ms) => Ok(ctx.now_ms.saturating_add(ms)),
    }
}

fn arg(args: &[Bytes], i: usize) -> Bytes {
    args.get(i).cloned().unwrap_or_default()
}

/// `key [key ...] timeout`: the keys and the deadline.
fn keys_then_timeout(args: &[Bytes], ctx: &ParseCtx) -> Result<(Vec<Bytes>, u64), ParseError> {
    let last = args.len().saturating_sub(1);
    let deadline_ms = deadline_arg(&arg(args, last), ctx)?;
    Ok((args.get(1..last).unwrap_or(&[]).to_vec(), deadline_ms))
}

fn parse_bpop(args: &[Bytes], ctx: &ParseCtx, end: End) -> Result<Op, ParseError> {
    let (keys, deadline_ms) = keys_then_timeout(args, ctx)?;
    Ok(Op::ListCmd(ListOp::BlockPop {
        keys,
        end,
        count: None,
        deadline_ms,
        woken: false,
    }))
}

/// `BLPOP key [key ...] timeout`
fn parse_blpop(args: &[Bytes], ctx: &ParseCtx) -> Result<Op, ParseError> {
    parse_bpop(args, ctx, End::Left)
}

/// `BRPOP key [key ...] timeout`
fn parse_brpop(args: &[Bytes], ctx: &ParseCtx) -> Result<Op, ParseError> {
    parse_bpop(args, ctx, End::Right)
}

/// `BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout`
fn parse_blmove(args: &[Bytes], ctx: &ParseCtx) -> Result<Op, ParseError> {
    let from = list::parse::end_arg(&arg(args, 3))?;
    let to = list::parse::end_arg(&arg(args, 4))?;
    Ok(Op::ListCmd(ListOp::BlockMove {
        src: arg(args, 1),
        dst: arg(args, 2),
        from,
        to,
        deadline_ms: deadline_arg(&arg(args, 5), ctx)?,
        woken: false,
    }))
}

/// `BRPOPLPUSH source destination timeout`
fn parse_brpoplpush(args: &[Bytes], ctx: &ParseCtx) -> Result<Op, ParseError> {
    Ok(Op::ListCmd(ListOp::BlockMove {
        src: arg(args, 1),
        dst: arg(args, 2),
        from: End::Right,
        to: End::Left,
        deadline_ms: deadline_arg(&arg(args, 3), ctx)?,
        woken: false,
    }))
}

/// `BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]`: the
/// rest is LMPOP's, checked before the timeout (as Redis does).
fn parse_blmpop(args: &[Bytes], ctx: &ParseCtx) -> Result<Op, ParseError> {
    let mut rest = vec![Bytes::from_static(b"lmpop")];
    rest.extend_from_slice(args.get(2..).unwrap_or(&[]));
    let Op::ListCmd(ListOp::MPop { keys, end, count }) = list::parse::parse_lmpop(&rest, ctx)?
    else {
        return Err(ParseError::Syntax);
    };
    Ok(Op::ListCmd(ListOp::BlockPop {
        keys,
        end,
        count: Some(count),
        deadline_ms: deadline_arg(&arg(args, 1), ctx)?,
        woken: false,
    }))
}

fn parse_bzpop(args: &[Bytes], ctx: &ParseCtx, end: zset::End) -> Result<Op, ParseError> {
    let (keys, deadline_ms) = keys_then_timeout(args, ctx)?;
    Ok(Op::ZSetCmd(ZSetOp::BlockPop {
        keys,
        end,
        count: None,
        deadline_ms,
        woken: false,
    }))
}

/// `BZPOPMIN key [key ...] timeout`
fn parse_bzpopmin(args: &[Bytes], ctx: &ParseCtx) -> Result<Op, ParseError> {
    parse_bzpop(args, ctx, zset::End::Min)
}

/// `BZPOPMAX key [key ...] timeout`
fn parse_bzpopmax(args: &[Bytes], ctx: &ParseCtx) -> Result<Op, ParseError> {
    parse_bzpop(args, ctx, zset::End::Max)
}

/// `BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]`: the rest
/// is ZMPOP's, checked before the timeout.
fn parse_bzmpop(args: &[Bytes], ctx: &ParseCtx) -> Result<Op, ParseError> {
    let (keys, end, count) = zset::parse::pop_spec(args, 2)?;
    Ok(Op::ZSetCmd(ZSetOp::BlockPop {
        keys,
        end,
        count: Some(count),
        deadline_ms: deadline_arg(&arg(args, 1), ctx)?,
        woken: false,
    }))
}

/// A blocking pop's deadline (unix ms, 0 = forever); `None` for any other
/// command.
pub fn deadline_ms(op: &Op) -> Option<u64> {
    match op {
        Op::ListCmd(ListOp::BlockPop { deadline_ms, .. })
        | Op::ListCmd(ListOp::BlockMove { deadline_ms, .. })
        | Op::ZSetCmd(ZSetOp::BlockPop { deadline_ms, .. }) => Some(*deadline_ms),
        _ => None,
    }
}

/// The keys a blocking pop waits on (BLMOVE's and BRPOPLPUSH's source);
/// none for any other command.
pub fn waited_keys(op: &Op) -> &[Bytes] {
    match op {
        Op::ListCmd(ListOp::BlockPop { keys, .. }) | Op::ZSetCmd(ZSetOp::BlockPop { keys, .. }) => {
            keys
        }
        Op::ListCmd(ListOp::BlockMove { src, .. }) => std::slice::from_ref(src),
        _ => &[],
    }
}

/// Whether the pop would be served now (pop, or fail) over `store`'s
/// newest versions, writing nothing: a parked pop is proposed again only
/// then, so a write proposes entries only for the waiters it can serve.
pub fn would_serve(op: &Op, store: &crate::mvcc::Mvcc, now_ms: u64, modes: ChainModes) -> bool {
    let mut raw = crate::raw::DryRun { store };
    let mut view: WriteView<'_> = super::KeyspaceWrite::new(&mut raw, now_ms, modes);
    try_serve(op, &mut view).is_some()
}

/// The reply of a blocking pop that timed out (or found nothing inside a
/// script): a nil bulk for BLMOVE/BRPOPLPUSH, else a nil array.
pub fn timeout_reply(op: &Op) -> Reply {
    match op {
        Op::ListCmd(ListOp::BlockMove { .. }) => Reply::Nil,
        _ => Reply::NilArray,
    }
}

/// The same pop as the leader proposes it again after a write (BL-2).
pub fn woken(op: &Op) -> Op {
    let mut op = op.clone();
    match &mut op {
        Op::ListCmd(ListOp::BlockPop { woken, .. })
        | Op::ListCmd(ListOp::BlockMove { woken, .. })
        | Op::ZSetCmd(ZSetOp::BlockPop { woken, .. }) => *woken = true,
        _ => {}
    }
    op
}

/// The keys a woken pop may serve from: those not holding another type.
/// Redis serves a blocked client only from a key of the type it waits
/// for; only the first attempt answers WRONGTYPE.
fn of_kind(ks: &WriteView<'_>, keys: &[Bytes], kind: Kind, woken: bool) -> Vec<Bytes> {
    let reader = ks.reader();
    keys.iter()
        .filter(|k| !woken || reader.collection(k, kind).is_ok())
        .cloned()
        .collect()
}

/// Pop now: `Some(reply)` when a key had something (or the command fails,
/// e.g. WRONGTYPE), `None` when every key is empty or absent — then
/// nothing was written. A woken pop passes over keys of another type
/// (BLMOVE's destination of another type is still WRONGTYPE, as Redis).
pub fn try_serve(op: &Op, ks: &mut WriteView<'_>) -> Option<Reply> {
    let bulks = |v: Vec<Bytes>| Reply::Array(v.into_iter().map(Reply::Bulk).collect());
    let double = |s: f64| Reply::Double(zset::format_score(s));
    match op {
        Op::ListCmd(ListOp::BlockPop {
            keys,
            end,
            count,
            woken,
            ..
        }) => {
            let keys = of_kind(ks, keys, Kind::List, *woken);
            match list::try_pop(ks, &keys, *end, count.unwrap_or(1)) {
                Err(e) => Some(wrong_type(e)),
                Ok(None) => None,
                Ok(Some((key, items))) => Some(match count {
                    None => Reply::Array(
                        std::iter::once(Reply::Bulk(key))
                            .chain(items.into_iter().take(1).map(Reply::Bulk))
                            .collect(),
                    ),
                    Some(_) => Reply::Array(vec![Reply::Bulk(key), bulks(items)]),
                }),
            }
        }
        Op::ListCmd(ListOp::BlockMove {
            src,
            dst,
            from,
            to,
            woken,
            ..
        }) => {
            if of_kind(ks, std::slice::from_ref(src), Kind::List, *woken).is_empty() {
                return None;
            }
            match list::try_move(ks, src, dst, *from, *to) {
                Err(e) => Some(e.reply()),
                Ok(None) => None,
                Ok(Some(item)) => Some(Reply::Bulk(item)),
            }
        }
        Op::ZSetCmd(ZSetOp::BlockPop {
            keys,
            end,
            count,
            woken,
            ..
        }) => {
            let keys = of_kind(ks, keys, Kind::ZSet, *woken);
            match zset::pop_first(ks, &keys, *end, count.unwrap_or(1)) {
                Err(e) => Some(wrong_type(e)),
                Ok(None) => None,
                Ok(Some((key, items))) => Some(match count {
                    None => {
                        let mut v = vec![Reply::Bulk(key)];
                        if let Some((m, s)) = items.into_iter().next() {
                            v.push(Reply::Bulk(m));
                            v.push(double(s));
                        }
                        Reply::Array(v)
                    }
                    Some(_) => zset::mpop_reply((key, items)),
                }),
            }
        }
        _ => Some(mismatch()),
    }
}

/// The row's executor (a script's BLMPOP or BZMPOP): pop now, or the
/// timeout reply at once.
fn exec(op: &Op, ks: &mut WriteView<'_>) -> Reply {
    try_serve(op, ks).unwrap_or_else(|| timeout_reply(op))
}

/// BLMPOP's and BZMPOP's keys: `numkeys` of them after it.
fn numkeys_at_2(args: &[Bytes]) -> &[Bytes] {
    super::args::numkeys_keys(args, 2)
}

const LIST: CommandDef = CommandDef {
    first_key: 1,
    last_key: -2,
    step: 1,
    acl_categories: &["@write", "@list", "@slow", "@blocking"],
    group: "list",
    exec: Exec::Write(exec),
    ..CommandDef::DEFAULT
};

const ZSET: CommandDef = CommandDef {
    acl_categories: &["@write", "@sortedset", "@fast", "@blocking"],
    group: "sorted-set",
    ..LIST
};

/// The blocking pops' rows (redis-server 7.0.15's metadata). Redis marks
/// all but BLMPOP and BZMPOP `noscript`.
pub static COMMANDS: &[CommandDef] = &[
    CommandDef {
        name: "blpop",
        arity: -3,
        flags: Flags(WRITE | NOSCRIPT | BLOCKING),
        since: "2.0.0",
        summary: "Remove and get the first element in a list, or block until one is available",
        parse: parse_blpop,
        ..LIST
    },
    CommandDef {
        name: "brpop",
        arity: -3,
        flags: Flags(WRITE | NOSCRIPT | BLOCKING),
        since: "2.0.0",
        summary: "Remove and get the last element in a list, or block until one is available",
        parse: parse_brpop,
        ..LIST
    },
    CommandDef {
        name: "blmove",
        arity: 6,
        flags: Flags(WRITE | DENYOOM | NOSCRIPT | BLOCKING),
        last_key: 2,
        since: "6.2.0",
        summary: "Pop an element from a list, push it to another list and return it; or block until one is available",
        parse: parse_blmove,
        ..LIST
    },
    CommandDef {
        name: "brpoplpush",
        arity: 4,
        flags: Flags(WRITE | DENYOOM | NOSCRIPT | BLOCKING),
        last_key: 2,
        since: "2.2.0",
        summary: "Pop an element from a list, push it to another list and return it; or block until one is available",
        parse: parse_brpoplpush,
        ..LIST
    },
    CommandDef {
        name: "blmpop",
        arity: -5,
        flags: Flags(WRITE | BLOCKING | MOVABLEKEYS),
        first_key: 0,
        last_key: 0,
        step: 0,
        movable_keys: Some(numkeys_at_2),
        since: "7.0.0",
        summary: "Pop elements from a list, or block until one is available",
        parse: parse_blmpop,
        ..LIST
    },
    CommandDef {
        name: "bzpopmin",
        arity: -3,
        flags: Flags(WRITE | NOSCRIPT | BLOCKING | FAST),
        since: "5.0.0",
        summary: "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available",
        parse: parse_bzpopmin,
        ..ZSET
    },
    CommandDef {
        name: "bzpopmax",
        arity: -3,
        flags: Flags(WRITE | NOSCRIPT | BLOCKING | FAST),
        since: "5.0.0",
        summary: "Remove and return the member with the highest score from one or more sorted sets, or block until one is available",
        parse: parse_bzpopmax,
        ..ZSET
    },
    CommandDef {
        name: "bzmpop",
        arity: -5,
        flags: Flags(WRITE | BLOCKING | MOVABLEKEYS),
        first_key: 0,
        last_key: 0,
        step: 0,
        movable_keys: Some(numkeys_at_2),
        acl_categories: &["@write", "@sortedset", "@slow", "@blocking"],
        since: "7.0.0",
        summary: "Remove and return members with scores in a sorted set or block until one is available",
        parse: parse_bzmpop,
        ..ZSET
    },
];
