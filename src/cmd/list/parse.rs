//! Parsing the list commands' arguments, in Redis 7.0's order of checks
//! (options and integers before the key is looked at) and with its texts.

use bytes::Bytes;

use super::ListOp;
use crate::cmd::args::{int_arg, is, numkeys_keys, parse_i64};
use crate::cmd::error::ParseError;
use crate::cmd::{Op, ParseCtx};
use crate::collections::list::End;

fn arg(args: &[Bytes], i: usize) -> Bytes {
    args.get(i).cloned().unwrap_or_default()
}

fn list(op: ListOp) -> Result<Op, ParseError> {
    Ok(Op::ListCmd(op))
}

/// `LEFT` or `RIGHT`, any case.
pub(crate) fn end_arg(a: &[u8]) -> Result<End, ParseError> {
    if is(a, "left") {
        Ok(End::Left)
    } else if is(a, "right") {
        Ok(End::Right)
    } else {
        Err(ParseError::Syntax)
    }
}

fn push(args: &[Bytes], end: End, existing_only: bool) -> Result<Op, ParseError> {
    list(ListOp::Push {
        key: arg(args, 1),
        items: args.get(2..).unwrap_or(&[]).to_vec(),
        end,
        existing_only,
    })
}

/// `LPUSH key element [element ...]`
pub fn parse_lpush(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    push(args, End::Left, false)
}

/// `RPUSH key element [element ...]`
pub fn parse_rpush(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    push(args, End::Right, false)
}

/// `LPUSHX key element [element ...]`
pub fn parse_lpushx(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    push(args, End::Left, true)
}

/// `RPUSHX key element [element ...]`
pub fn parse_rpushx(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    push(args, End::Right, true)
}

fn pop(args: &[Bytes], end: End) -> Result<Op, ParseError> {
    if args.len() > 3 {
        return Err(ParseError::WrongArity(match end {
            End::Left => "lpop",
            End::Right => "rpop",
        }));
    }
    // Redis's getPositiveLongFromObjectOrReply: one text for "not an
    // integer" and "negative".
    let count = match args.get(2) {
        Some(c) => Some(
            parse_i64(c)
                .and_then(|c| u64::try_from(c).ok())
                .ok_or(ParseError::MustBePositive)?,
        ),
        None => None,
    };
    list(ListOp::Pop {
        key: arg(args, 1),
        end,
        count,
    })
}

/// `LPOP key [count]`
pub fn parse_lpop(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    pop(args, End::Left)
}

/// `RPOP key [count]`
pub fn parse_rpop(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    pop(args, End::Right)
}

/// `LLEN key`
pub fn parse_llen(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    list(ListOp::Len { key: arg(args, 1) })
}

/// `LINDEX key index` (a bad index is reported after the key is found, as
/// Redis orders it: `None`).
pub fn parse_lindex(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    list(ListOp::Index {
        key: arg(args, 1),
        index: parse_i64(&arg(args, 2)),
    })
}

/// `LRANGE key start stop`
pub fn parse_lrange(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    list(ListOp::Range {
        key: arg(args, 1),
        start: int_arg(&arg(args, 2))?,
        stop: int_arg(&arg(args, 3))?,
    })
}

/// `LSET key index element` (the index checked after the key, as LINDEX).
pub fn parse_lset(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    list(ListOp::Set {
        key: arg(args, 1),
        index: parse_i64(&arg(args, 2)),
        item: arg(args, 3),
    })
}

/// `LREM key count element`
pub fn parse_lrem(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    list(ListOp::Rem {
        key: arg(args, 1),
        count: int_arg(&arg(args, 2))?,
        item: arg(args, 3),
    })
}

/// `LTRIM key start stop`
pub fn parse_ltrim(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    list(ListOp::Trim {
        key: arg(args, 1),
        start: int_arg(&arg(args, 2))?,
        stop: int_arg(&arg(args, 3))?,
    })
}

/// `LINSERT key BEFORE|AFTER pivot element`
pub fn parse_linsert(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    let place = arg(args, 2);
    let after = if is(&place, "after") {
        true
    } else if is(&place, "before") {
        false
    } else {
        return Err(ParseError::Syntax);
    };
    list(ListOp::Insert {
        key: arg(args, 1),
        after,
        pivot: arg(args, 3),
        item: arg(args, 4),
    })
}

/// `LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]`
///
/// Options may repeat (the last wins), as in Redis.
pub fn parse_lpos(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    let mut rank = 1i64;
    let mut count = None;
    let mut maxlen = 0u64;
    let non_negative =
        |a: &[u8], e: ParseError| parse_i64(a).and_then(|v| u64::try_from(v).ok()).ok_or(e);
    let mut i = 3;
    while i < args.len() {
        let (opt, value) = (&args[i], args.get(i + 1));
        let Some(value) = value else {
            return Err(ParseError::Syntax);
        };
        if is(opt, "rank") {
            rank = int_arg(value)?;
            if rank == 0 {
                return Err(ParseError::RankZero);
            }
        } else if is(opt, "count") {
            count = Some(non_negative(value, ParseError::CountNegative)?);
        } else if is(opt, "maxlen") {
            maxlen = non_negative(value, ParseError::MaxlenNegative)?;
        } else {
            return Err(ParseError::Syntax);
        }
        i += 2;
    }
    list(ListOp::Pos {
        key: arg(args, 1),
        item: arg(args, 2),
        rank,
        count,
        maxlen,
    })
}

/// `LMOVE source destination LEFT|RIGHT LEFT|RIGHT`
pub fn parse_lmove(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    list(ListOp::Move {
        src: arg(args, 1),
        dst: arg(args, 2),
        from: end_arg(&arg(args, 3))?,
        to: end_arg(&arg(args, 4))?,
    })
}

/// `RPOPLPUSH source destination` (= `LMOVE source destination RIGHT LEFT`)
pub fn parse_rpoplpush(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    list(ListOp::Move {
        src: arg(args, 1),
        dst: arg(args, 2),
        from: End::Right,
        to: End::Left,
    })
}

/// `LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]`
pub fn parse_lmpop(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    let numkeys = parse_i64(&arg(args, 1))
        .filter(|&n| n > 0)
        .ok_or(ParseError::NumkeysNotPositive)?;
    // The keys, the direction: numkeys past the arguments is a syntax error.
    let keys_end = usize::try_from(numkeys)
        .ok()
        .and_then(|n| n.checked_add(2))
        .filter(|&e| e < args.len())
        .ok_or(ParseError::Syntax)?;
    let keys = args[2..keys_end].to_vec();
    let end = end_arg(&args[keys_end])?;
    let mut count = None;
    let mut i = keys_end + 1;
    while i < args.len() {
        match args.get(i + 1) {
            Some(value) if count.is_none() && is(&args[i], "count") => {
                count = Some(
                    parse_i64(value)
                        .filter(|&c| c > 0)
                        .and_then(|c| u64::try_from(c).ok())
                        .ok_or(ParseError::CountNotPositive)?,
                );
                i += 2;
            }
            _ => return Err(ParseError::Syntax),
        }
    }
    list(ListOp::MPop {
        keys,
        end,
        count: count.unwrap_or(1),
    })
}

/// LMPOP's keys, for `COMMAND GETKEYS`, scripts and routing: `numkeys`
/// of them after it.
pub fn lmpop_keys(args: &[Bytes]) -> &[Bytes] {
    numkeys_keys(args, 1)
}
