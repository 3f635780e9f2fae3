//! Every sorted-set row's parser, checking in Redis 7.0's order: arity (the
//! table), then options and numbers here; the key's type is the
//! executor's. Where Redis checks an option only after the key's type
//! (ZUNION's WEIGHTS/AGGREGATE, ZSCAN's MATCH/COUNT) the error is kept in
//! the parsed command and answered after the type check.

use bytes::Bytes;

use super::{
    AddFlags, Aggregate, Algebra, Combine, End, LexBound, Limit, Query, Range, Score, ScoreBound,
    ZSetOp,
};
use crate::cmd::args::{int_arg, is, numkeys_keys, parse_f64, parse_i64};
use crate::cmd::{Op, ParseCtx, ParseError};

pub const XX_NX: &str = "ERR XX and NX options at the same time are not compatible";
pub const GT_LT_NX: &str = "ERR GT, LT, and/or NX options at the same time are not compatible";
pub const INCR_PAIR: &str = "ERR INCR option supports a single increment-element pair";
pub const NOT_FLOAT_RANGE: &str = "ERR min or max is not a float";
pub const NOT_LEX_RANGE: &str = "ERR min or max not valid string range item";
pub const LIMIT_RANK: &str =
    "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX";
pub const WITHSCORES_LEX: &str =
    "ERR syntax error, WITHSCORES not supported in combination with BYLEX";
pub const POP_COUNT: &str = "ERR value is out of range, must be positive";
pub const NUMKEYS: &str = "ERR numkeys should be greater than 0";
pub const COUNT: &str = "ERR count should be greater than 0";
pub const OUT_OF_RANGE: &str = "ERR value is out of range";
pub const WEIGHT: &str = "ERR weight value is not a float";
pub const LIMIT_NEGATIVE: &str = "ERR LIMIT can't be negative";
pub const COUNT_RANGE: &str =
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";
const SYNTAX: &str = "ERR syntax error";

/// The most members a negative ZRANDMEMBER count may ask for: Redis
/// streams any number; fencekv builds its reply whole, so it refuses more.
pub const MAX_RANDOM_REPLY: u64 = 1 << 20;

fn z(op: ZSetOp) -> Result<Op, ParseError> {
    Ok(Op::ZSetCmd(op))
}

fn arg(args: &[Bytes], i: usize) -> Bytes {
    args.get(i).cloned().unwrap_or_default()
}

/// A score argument as Redis's `getDoubleFromObject` reads it (strtod: the
/// whole argument, no leading space, no NaN, no overflow to ±inf or
/// underflow to 0 from a non-zero number), or `err`.
pub fn score_arg(s: &[u8], err: ParseError) -> Result<f64, ParseError> {
    let v = parse_f64(s).ok_or(err.clone())?;
    let lower = s.to_ascii_lowercase();
    let spelled_inf = lower.windows(3).any(|w| w == b"inf");
    if v.is_infinite() && !spelled_inf {
        return Err(err);
    }
    if v == 0.0 && nonzero_mantissa(&lower) {
        return Err(err);
    }
    Ok(v)
}

/// Whether a number's mantissa (before its exponent) has a non-zero digit.
fn nonzero_mantissa(lower: &[u8]) -> bool {
    let hex = lower.iter().position(|&c| c == b'x');
    let (digits, stop) = match hex {
        Some(x) => (&lower[x + 1..], b'p'),
        None => (lower, b'e'),
    };
    digits
        .iter()
        .take_while(|&&c| c != stop)
        .any(|&c| c.is_ascii_hexdigit() && c != b'0')
}

/// A score bound as `zslParseRange` reads it: `(` for exclusive, then
/// strtod's number (leading spaces allowed, an empty number is 0).
pub fn score_bound(s: &[u8]) -> Option<ScoreBound> {
    let (exclusive, num) = match s.first() {
        Some(b'(') => (true, &s[1..]),
        _ => (false, s),
    };
    let value = if num.is_empty() {
        0.0
    } else {
        let start = num.iter().position(|c| !c.is_ascii_whitespace())?;
        parse_f64(&num[start..])?
    };
    Some(ScoreBound {
        value: Score::of(value),
        exclusive,
    })
}

fn score_range(min: &[u8], max: &[u8]) -> Result<(ScoreBound, ScoreBound), ParseError> {
    match (score_bound(min), score_bound(max)) {
        (Some(a), Some(b)) => Ok((a, b)),
        _ => Err(ParseError::Message(NOT_FLOAT_RANGE)),
    }
}

/// A lex bound: `-`, `+`, `[member` or `(member`.
pub fn lex_bound(s: &Bytes) -> Option<LexBound> {
    match s.first()? {
        b'+' if s.len() == 1 => Some(LexBound::Max),
        b'-' if s.len() == 1 => Some(LexBound::Min),
        b'[' => Some(LexBound::Inclusive(s.slice(1..))),
        b'(' => Some(LexBound::Exclusive(s.slice(1..))),
        _ => None,
    }
}

fn lex_range(min: &Bytes, max: &Bytes) -> Result<(LexBound, LexBound), ParseError> {
    match (lex_bound(min), lex_bound(max)) {
        (Some(a), Some(b)) => Ok((a, b)),
        _ => Err(ParseError::Message(NOT_LEX_RANGE)),
    }
}

/// An integer in `lo..=hi`, Redis's `getRangeLongFromObjectOrReply` with
/// its message, which answers a non-integer too.
fn ranged(s: &[u8], lo: i64, hi: i64, msg: &'static str) -> Result<i64, ParseError> {
    let v = parse_i64(s).ok_or(ParseError::Message(msg))?;
    if v < lo || v > hi {
        return Err(ParseError::Message(msg));
    }
    Ok(v)
}

pub(in crate::cmd) fn parse_zadd(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    let mut flags = AddFlags::default();
    let mut i = 2;
    while let Some(opt) = args.get(i) {
        let flag = if is(opt, "nx") {
            &mut flags.nx
        } else if is(opt, "xx") {
            &mut flags.xx
        } else if is(opt, "ch") {
            &mut flags.ch
        } else if is(opt, "incr") {
            &mut flags.incr
        } else if is(opt, "gt") {
            &mut flags.gt
        } else if is(opt, "lt") {
            &mut flags.lt
        } else {
            break;
        };
        *flag = true;
        i += 1;
    }
    let rest = &args[i.min(args.len())..];
    if rest.is_empty() || !rest.len().is_multiple_of(2) {
        return Err(ParseError::Syntax);
    }
    if flags.nx && flags.xx {
        return Err(ParseError::Message(XX_NX));
    }
    if (flags.nx && (flags.gt || flags.lt)) || (flags.gt && flags.lt) {
        return Err(ParseError::Message(GT_LT_NX));
    }
    if flags.incr && rest.len() > 2 {
        return Err(ParseError::Message(INCR_PAIR));
    }
    let mut elements = Vec::with_capacity(rest.len() / 2);
    for pair in rest.chunks(2) {
        let score = score_arg(&pair[0], ParseError::NotFloat)?;
        elements.push((Score::of(score), pair[1].clone()));
    }
    z(ZSetOp::Add {
        key: arg(args, 1),
        flags,
        elements,
    })
}

pub(in crate::cmd) fn parse_zincrby(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    let by = score_arg(&arg(args, 2), ParseError::NotFloat)?;
    z(ZSetOp::IncrBy {
        key: arg(args, 1),
        by: Score::of(by),
        member: arg(args, 3),
    })
}

pub(in crate::cmd) fn parse_zrem(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    z(ZSetOp::Rem {
        key: arg(args, 1),
        members: args[2..].to_vec(),
    })
}

pub(in crate::cmd) fn parse_zscore(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    z(ZSetOp::Score {
        key: arg(args, 1),
        member: arg(args, 2),
    })
}

pub(in crate::cmd) fn parse_zmscore(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    z(ZSetOp::MScore {
        key: arg(args, 1),
        members: args[2..].to_vec(),
    })
}

pub(in crate::cmd) fn parse_zcard(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    z(ZSetOp::Card { key: arg(args, 1) })
}

pub(in crate::cmd) fn parse_zcount(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    let (min, max) = score_range(&arg(args, 2), &arg(args, 3))?;
    z(ZSetOp::Count {
        key: arg(args, 1),
        min,
        max,
    })
}

pub(in crate::cmd) fn parse_zlexcount(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    let (min, max) = lex_range(&arg(args, 2), &arg(args, 3))?;
    z(ZSetOp::LexCount {
        key: arg(args, 1),
        min,
        max,
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum By {
    Auto,
    Rank,
    Score,
    Lex,
}

/// Redis's `zrangeGenericCommand`: the bounds at `first` and `first + 1`,
/// options after them; `by` and `rev` preset by the legacy commands (which
/// then refuse BYSCORE/BYLEX/REV as syntax errors). Returns the query and
/// WITHSCORES.
fn range_query(
    args: &[Bytes],
    first: usize,
    store: bool,
    preset: By,
    preset_rev: Option<bool>,
) -> Result<(Query, bool), ParseError> {
    let mut by = preset;
    let mut rev = preset_rev;
    let mut withscores = false;
    let mut limit = None;
    let mut j = first + 2;
    while j < args.len() {
        let opt = &args[j];
        let left = args.len() - j - 1;
        if !store && is(opt, "withscores") {
            withscores = true;
        } else if is(opt, "limit") && left >= 2 {
            let offset = int_arg(&args[j + 1])?;
            let count = int_arg(&args[j + 2])?;
            limit = Some(Limit { offset, count });
            j += 2;
        } else if rev.is_none() && is(opt, "rev") {
            rev = Some(true);
        } else if by == By::Auto && is(opt, "bylex") {
            by = By::Lex;
        } else if by == By::Auto && is(opt, "byscore") {
            by = By::Score;
        } else {
            return Err(ParseError::Syntax);
        }
        j += 1;
    }
    let rev = rev.unwrap_or(false);
    if by == By::Auto {
        by = By::Rank;
    }
    if limit.is_some() && by == By::Rank {
        return Err(ParseError::Message(LIMIT_RANK));
    }
    if withscores && by == By::Lex {
        return Err(ParseError::Message(WITHSCORES_LEX));
    }
    let (mut lo, mut hi) = (arg(args, first), arg(args, first + 1));
    if rev && by != By::Rank {
        std::mem::swap(&mut lo, &mut hi);
    }
    let range = match by {
        By::Score => {
            let (min, max) = score_range(&lo, &hi)?;
            Range::Score { min, max }
        }
        By::Lex => {
            let (min, max) = lex_range(&lo, &hi)?;
            Range::Lex { min, max }
        }
        By::Rank | By::Auto => Range::Rank {
            start: int_arg(&lo)?,
            stop: int_arg(&hi)?,
        },
    };
    Ok((Query { range, rev, limit }, withscores))
}

fn parse_range_read(args: &[Bytes], by: By, rev: Option<bool>) -> Result<Op, ParseError> {
    let (query, withscores) = range_query(args, 2, false, by, rev)?;
    z(ZSetOp::Range {
        key: arg(args, 1),
        query,
        withscores,
    })
}

pub(in crate::cmd) fn parse_zrange(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    parse_range_read(args, By::Auto, None)
}

pub(in crate::cmd) fn parse_zrangebyscore(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    parse_range_read(args, By::Score, Some(false))
}

pub(in crate::cmd) fn parse_zrevrangebyscore(
    args: &[Bytes],
    _: &ParseCtx,
) -> Result<Op, ParseError> {
    parse_range_read(args, By::Score, Some(true))
}

pub(in crate::cmd) fn parse_zrangebylex(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    parse_range_read(args, By::Lex, Some(false))
}

pub(in crate::cmd) fn parse_zrevrangebylex(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    parse_range_read(args, By::Lex, Some(true))
}

pub(in crate::cmd) fn parse_zrevrange(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    parse_range_read(args, By::Rank, Some(true))
}

pub(in crate::cmd) fn parse_zrangestore(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    let (query, _) = range_query(args, 3, true, By::Auto, None)?;
    z(ZSetOp::RangeStore {
        dst: arg(args, 1),
        src: arg(args, 2),
        query,
    })
}

fn parse_rank(args: &[Bytes], rev: bool) -> Result<Op, ParseError> {
    z(ZSetOp::Rank {
        key: arg(args, 1),
        member: arg(args, 2),
        rev,
    })
}

pub(in crate::cmd) fn parse_zrank(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    parse_rank(args, false)
}

pub(in crate::cmd) fn parse_zrevrank(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    parse_rank(args, true)
}

pub(in crate::cmd) fn parse_zremrangebyrank(
    args: &[Bytes],
    _: &ParseCtx,
) -> Result<Op, ParseError> {
    let range = Range::Rank {
        start: int_arg(&arg(args, 2))?,
        stop: int_arg(&arg(args, 3))?,
    };
    z(ZSetOp::RemRange {
        key: arg(args, 1),
        range,
    })
}

pub(in crate::cmd) fn parse_zremrangebyscore(
    args: &[Bytes],
    _: &ParseCtx,
) -> Result<Op, ParseError> {
    let (min, max) = score_range(&arg(args, 2), &arg(args, 3))?;
    z(ZSetOp::RemRange {
        key: arg(args, 1),
        range: Range::Score { min, max },
    })
}

pub(in crate::cmd) fn parse_zremrangebylex(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    let (min, max) = lex_range(&arg(args, 2), &arg(args, 3))?;
    z(ZSetOp::RemRange {
        key: arg(args, 1),
        range: Range::Lex { min, max },
    })
}

fn parse_pop(args: &[Bytes], end: End) -> Result<Op, ParseError> {
    if args.len() > 3 {
        return Err(ParseError::Syntax);
    }
    let count = match args.get(2) {
        Some(c) => Some(ranged(c, 0, i64::MAX, POP_COUNT)?.unsigned_abs()),
        None => None,
    };
    z(ZSetOp::Pop {
        key: arg(args, 1),
        end,
        count,
    })
}

pub(in crate::cmd) fn parse_zpopmin(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    parse_pop(args, End::Min)
}

pub(in crate::cmd) fn parse_zpopmax(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    parse_pop(args, End::Max)
}

/// Keys of ZMPOP, ZUNION, ZINTER, ZDIFF, ZINTERCARD (numkeys first).
pub(in crate::cmd) fn numkeys_at_1(args: &[Bytes]) -> &[Bytes] {
    numkeys_keys(args, 1)
}

/// Source keys of ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE (after the
/// destination and numkeys; the destination is not among them, as a
/// movable-keys hook returns one run of arguments).
pub(in crate::cmd) fn numkeys_at_2(args: &[Bytes]) -> &[Bytes] {
    numkeys_keys(args, 2)
}

/// Redis's `zmpopGenericCommand` from numkeys at `at`: the keys, the end
/// and the count.
pub fn pop_spec(args: &[Bytes], at: usize) -> Result<(Vec<Bytes>, End, u64), ParseError> {
    let numkeys = ranged(&arg(args, at), 1, i64::MAX, NUMKEYS)?;
    let where_at = usize::try_from(numkeys)
        .ok()
        .and_then(|n| n.checked_add(at + 1))
        .filter(|&w| w < args.len())
        .ok_or(ParseError::Syntax)?;
    let end = if is(&args[where_at], "min") {
        End::Min
    } else if is(&args[where_at], "max") {
        End::Max
    } else {
        return Err(ParseError::Syntax);
    };
    let mut count = None;
    let mut j = where_at + 1;
    while j < args.len() {
        let more = args.len() - 1 - j;
        if count.is_none() && is(&args[j], "count") && more > 0 {
            j += 1;
            count = Some(ranged(&args[j], 1, i64::MAX, COUNT)?.unsigned_abs());
        } else {
            return Err(ParseError::Syntax);
        }
        j += 1;
    }
    Ok((args[at + 1..where_at].to_vec(), end, count.unwrap_or(1)))
}

pub(in crate::cmd) fn parse_zmpop(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    let (keys, end, count) = pop_spec(args, 1)?;
    z(ZSetOp::MPop { keys, end, count })
}

pub(in crate::cmd) fn parse_zrandmember(args: &[Bytes], ctx: &ParseCtx) -> Result<Op, ParseError> {
    let mut count = None;
    let mut withscores = false;
    if let Some(c) = args.get(2) {
        let n = int_arg(c)?;
        if n == i64::MIN {
            return Err(ParseError::Message(COUNT_RANGE));
        }
        if args.len() > 4 || (args.len() == 4 && !is(&args[3], "withscores")) {
            return Err(ParseError::Syntax);
        }
        if args.len() == 4 {
            withscores = true;
            if !(-i64::MAX / 2..=i64::MAX / 2).contains(&n) {
                return Err(ParseError::Message(OUT_OF_RANGE));
            }
        }
        if n < 0 && n.unsigned_abs() > MAX_RANDOM_REPLY {
            return Err(ParseError::Message(OUT_OF_RANGE));
        }
        count = Some(n);
    }
    z(ZSetOp::RandMember {
        key: arg(args, 1),
        count,
        withscores,
        seed: ctx.seed,
    })
}

/// The part of `zunionInterDiffGenericCommand` that does not look at
/// data: numkeys at `at`, the keys, and the options (their error kept for
/// after the type check). Returns the combine and WITHSCORES.
fn combine(
    args: &[Bytes],
    at: usize,
    algebra: Algebra,
    store: bool,
    name: &'static str,
) -> Result<(Combine, bool), ParseError> {
    let setnum = int_arg(&arg(args, at))?;
    if setnum < 1 {
        return Err(ParseError::Message(name));
    }
    let n = usize::try_from(setnum)
        .ok()
        .filter(|&n| n <= args.len() - (at + 1))
        .ok_or(ParseError::Syntax)?;
    let keys = args[at + 1..at + 1 + n].to_vec();
    let mut c = Combine {
        algebra,
        keys,
        weights: vec![Score::of(1.0); n],
        aggregate: Aggregate::Sum,
        options_error: None,
    };
    let mut withscores = false;
    let mut j = at + 1 + n;
    let fail = |c: &mut Combine, text: &str| c.options_error = Some(text.to_string());
    while j < args.len() {
        let remaining = args.len() - j;
        let opt = &args[j];
        if algebra != Algebra::Diff && remaining > n && is(opt, "weights") {
            j += 1;
            for i in 0..n {
                match score_arg(&args[j], ParseError::NotFloat) {
                    Ok(w) => c.weights[i] = Score::of(w),
                    Err(_) => {
                        fail(&mut c, WEIGHT);
                        return Ok((c, withscores));
                    }
                }
                j += 1;
            }
        } else if algebra != Algebra::Diff && remaining >= 2 && is(opt, "aggregate") {
            let a = &args[j + 1];
            c.aggregate = if is(a, "sum") {
                Aggregate::Sum
            } else if is(a, "min") {
                Aggregate::Min
            } else if is(a, "max") {
                Aggregate::Max
            } else {
                fail(&mut c, SYNTAX);
                return Ok((c, withscores));
            };
            j += 2;
        } else if !store && is(opt, "withscores") {
            withscores = true;
            j += 1;
        } else {
            fail(&mut c, SYNTAX);
            return Ok((c, withscores));
        }
    }
    Ok((c, withscores))
}

fn parse_combine(args: &[Bytes], algebra: Algebra, name: &'static str) -> Result<Op, ParseError> {
    let (combine, withscores) = combine(args, 1, algebra, false, name)?;
    z(ZSetOp::Combine {
        combine,
        withscores,
    })
}

fn parse_combine_store(
    args: &[Bytes],
    algebra: Algebra,
    name: &'static str,
) -> Result<Op, ParseError> {
    let (combine, _) = combine(args, 2, algebra, true, name)?;
    z(ZSetOp::CombineStore {
        dst: arg(args, 1),
        combine,
    })
}

pub(in crate::cmd) fn parse_zunion(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    parse_combine(
        args,
        Algebra::Union,
        "ERR at least 1 input key is needed for 'zunion' command",
    )
}

pub(in crate::cmd) fn parse_zinter(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    parse_combine(
        args,
        Algebra::Inter,
        "ERR at least 1 input key is needed for 'zinter' command",
    )
}

pub(in crate::cmd) fn parse_zdiff(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    parse_combine(
        args,
        Algebra::Diff,
        "ERR at least 1 input key is needed for 'zdiff' command",
    )
}

pub(in crate::cmd) fn parse_zunionstore(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    parse_combine_store(
        args,
        Algebra::Union,
        "ERR at least 1 input key is needed for 'zunionstore' command",
    )
}

pub(in crate::cmd) fn parse_zinterstore(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    parse_combine_store(
        args,
        Algebra::Inter,
        "ERR at least 1 input key is needed for 'zinterstore' command",
    )
}

pub(in crate::cmd) fn parse_zdiffstore(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    parse_combine_store(
        args,
        Algebra::Diff,
        "ERR at least 1 input key is needed for 'zdiffstore' command",
    )
}

pub(in crate::cmd) fn parse_zintercard(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    let setnum = int_arg(&arg(args, 1))?;
    if setnum < 1 {
        return Err(ParseError::Message(
            "ERR at least 1 input key is needed for 'zintercard' command",
        ));
    }
    let n = usize::try_from(setnum)
        .ok()
        .filter(|&n| n <= args.len() - 2)
        .ok_or(ParseError::Syntax)?;
    let mut combine = Combine {
        algebra: Algebra::Inter,
        keys: args[2..2 + n].to_vec(),
        weights: vec![Score::of(1.0); n],
        aggregate: Aggregate::Sum,
        options_error: None,
    };
    let mut limit = 0u64;
    let mut j = 2 + n;
    while j < args.len() {
        if is(&args[j], "limit") && args.len() - j >= 2 {
            match parse_i64(&args[j + 1]) {
                Some(l) if l >= 0 => limit = l.unsigned_abs(),
                _ => {
                    combine.options_error = Some(LIMIT_NEGATIVE.to_string());
                    break;
                }
            }
            j += 2;
        } else {
            combine.options_error = Some(SYNTAX.to_string());
            break;
        }
    }
    z(ZSetOp::InterCard { combine, limit })
}

/// SCAN's cursor: an unsigned decimal (Redis's `strtoul` with its checks).
fn cursor(b: &[u8]) -> Option<u64> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(b).ok()?.parse().ok()
}

pub(in crate::cmd) fn parse_zscan(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    let cursor = cursor(&arg(args, 2)).ok_or(ParseError::InvalidCursor)?;
    let mut pattern = None;
    let mut count = 10u64;
    let mut options_error = None;
    let mut j = 3;
    while j < args.len() {
        let has_value = args.len() - j >= 2;
        let opt = &args[j];
        if is(opt, "count") && has_value {
            match parse_i64(&args[j + 1]) {
                Some(c) if c >= 1 => count = c.unsigned_abs(),
                Some(_) => options_error = Some(SYNTAX.to_string()),
                None => {
                    options_error = Some(ParseError::NotInteger.text(&[]));
                }
            }
        } else if is(opt, "match") && has_value {
            let p = args[j + 1].clone();
            pattern = (&p[..] != b"*").then_some(p);
        } else {
            options_error = Some(SYNTAX.to_string());
        }
        if options_error.is_some() {
            break;
        }
        j += 2;
    }
    z(ZSetOp::Scan {
        key: arg(args, 1),
        cursor,
        pattern,
        count,
        options_error,
    })
}
