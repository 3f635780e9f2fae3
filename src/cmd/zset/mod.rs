//! Sorted-set commands (ZADD, ZRANGE, ZPOPMIN, ZUNIONSTORE, …): parsing,
//! with Redis 7.0's error texts, and semantics over the collection layout
//! (`crate::collections::zset`: member → score keys and a (score, member)
//! index kept in step).
//!
//! | file | what |
//! |---|---|
//! | [`parse`] | every row's parser: options, score and lex bounds, Redis's check order |
//! | [`exec`] | the read and write executors, replies in RESP2/RESP3 shapes |
//! | [`range`] | which members a rank, score or lex range selects, in reply order |
//! | [`algebra`] | ZUNION, ZINTER, ZDIFF and ZINTERCARD over sorted sets and plain sets |
//! | [`rows`] | the command-table rows |
//!
//! Complexity differs from Redis where the layout does: a rank (ZRANK,
//! ZRANGE by index, ZREMRANGEBYRANK) is O(rank), a range from the high end
//! (REV, ZREVRANK, ZPOPMAX) walks forward from the first member it needs,
//! and BYLEX walks from the lowest member; BYSCORE seeks straight to its
//! first score as Redis does.

pub mod algebra;
pub mod exec;
pub mod parse;
pub mod range;
mod rows;
#[cfg(test)]
mod tests;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

pub use exec::{mpop_reply, pop_first};
pub use rows::COMMANDS;

/// A score as its `f64` bits, so a parsed command stays `Eq + Ord + Hash`
/// and replays bit for bit.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Score(pub u64);

impl Score {
    pub fn of(v: f64) -> Score {
        Score(v.to_bits())
    }

    pub fn get(self) -> f64 {
        f64::from_bits(self.0)
    }
}

impl std::fmt::Debug for Score {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.get())
    }
}

/// One end of a score range: `1.5` or `(1.5` (exclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ScoreBound {
    pub value: Score,
    pub exclusive: bool,
}

/// One end of a lex range: `-`, `+`, `[a` (inclusive) or `(a` (exclusive).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum LexBound {
    /// `-`: below every member.
    Min,
    /// `+`: above every member.
    Max,
    Inclusive(Bytes),
    Exclusive(Bytes),
}

/// Which members a range names, in ascending terms (a REV range's bounds
/// are already swapped into min, max).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Range {
    /// Ranks `start..=stop`, negative counting from the end. For a REV
    /// range they are ranks from the highest member.
    Rank {
        start: i64,
        stop: i64,
    },
    Score {
        min: ScoreBound,
        max: ScoreBound,
    },
    Lex {
        min: LexBound,
        max: LexBound,
    },
}

/// LIMIT offset count (BYSCORE and BYLEX only): a negative offset selects
/// nothing, a negative count everything after the offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Limit {
    pub offset: i64,
    pub count: i64,
}

/// A ZRANGE-family query: the range, its direction and its LIMIT.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Query {
    pub range: Range,
    pub rev: bool,
    pub limit: Option<Limit>,
}

/// ZADD's options.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
pub struct AddFlags {
    /// Only add new members.
    pub nx: bool,
    /// Only update existing members.
    pub xx: bool,
    /// Update only to a greater score.
    pub gt: bool,
    /// Update only to a lower score.
    pub lt: bool,
    /// Reply the members added or changed, not only added.
    pub ch: bool,
    /// Add the score to the member's (one pair; replies the new score).
    pub incr: bool,
}

/// Which end a pop takes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum End {
    Min,
    Max,
}

/// ZUNION, ZINTER or ZDIFF.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Algebra {
    Union,
    Inter,
    Diff,
}

/// How ZUNION and ZINTER combine a member's scores.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Aggregate {
    Sum,
    Min,
    Max,
}

/// ZUNION/ZINTER/ZDIFF's inputs and options. Redis checks the input keys'
/// types before the options after them, so an option error is kept here
/// (`options_error`) and answered after the type check.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Combine {
    pub algebra: Algebra,
    pub keys: Vec<Bytes>,
    /// One per key (1 when not given).
    pub weights: Vec<Score>,
    pub aggregate: Aggregate,
    pub options_error: Option<String>,
}

/// A parsed sorted-set command's arguments.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ZSetOp {
    /// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]
    Add {
        key: Bytes,
        flags: AddFlags,
        elements: Vec<(Score, Bytes)>,
    },
    /// ZINCRBY key increment member
    IncrBy {
        key: Bytes,
        by: Score,
        member: Bytes,
    },
    /// ZREM key member [member ...]
    Rem { key: Bytes, members: Vec<Bytes> },
    /// ZSCORE key member
    Score { key: Bytes, member: Bytes },
    /// ZMSCORE key member [member ...]
    MScore { key: Bytes, members: Vec<Bytes> },
    /// ZCARD key
    Card { key: Bytes },
    /// ZCOUNT key min max
    Count {
        key: Bytes,
        min: ScoreBound,
        max: ScoreBound,
    },
    /// ZLEXCOUNT key min max
    LexCount {
        key: Bytes,
        min: LexBound,
        max: LexBound,
    },
    /// ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count]
    /// [WITHSCORES], and ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX,
    /// ZREVRANGEBYLEX, ZREVRANGE.
    Range {
        key: Bytes,
        query: Query,
        withscores: bool,
    },
    /// ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]
    RangeStore {
        dst: Bytes,
        src: Bytes,
        query: Query,
    },
    /// ZRANK / ZREVRANK key member
    Rank {
        key: Bytes,
        member: Bytes,
        rev: bool,
    },
    /// ZREMRANGEBYRANK / ZREMRANGEBYSCORE / ZREMRANGEBYLEX key min max
    RemRange { key: Bytes, range: Range },
    /// ZPOPMIN / ZPOPMAX key [count]; `None`: no count (a flat pair reply).
    Pop {
        key: Bytes,
        end: End,
        count: Option<u64>,
    },
    /// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]
    MPop {
        keys: Vec<Bytes>,
        end: End,
        count: u64,
    },
    /// ZRANDMEMBER key [count [WITHSCORES]]; chosen with `seed`.
    RandMember {
        key: Bytes,
        count: Option<i64>,
        withscores: bool,
        seed: u64,
    },
    /// ZUNION / ZINTER / ZDIFF numkeys key [key ...] [WEIGHTS ...]
    /// [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
    Combine { combine: Combine, withscores: bool },
    /// ZUNIONSTORE / ZINTERSTORE / ZDIFFSTORE dst numkeys key [key ...] [...]
    CombineStore { dst: Bytes, combine: Combine },
    /// ZINTERCARD numkeys key [key ...] [LIMIT limit]; 0: no limit (its
    /// option errors wait in `combine`, as ZINTER's).
    InterCard { combine: Combine, limit: u64 },
    /// ZSCAN key cursor [MATCH pattern] [COUNT count]. Redis checks the
    /// options after the key's type, so an option error waits here.
    Scan {
        key: Bytes,
        cursor: u64,
        pattern: Option<Bytes>,
        count: u64,
        options_error: Option<String>,
    },
    /// BZPOPMIN, BZPOPMAX (`count` None: a `[key, member, score]` reply)
    /// and BZMPOP (`count` given: ZMPOP's reply); `deadline_ms` absolute,
    /// 0 = forever. See [`crate::cmd::blocking`].
    BlockPop {
        keys: Vec<Bytes>,
        end: End,
        count: Option<u64>,
        deadline_ms: u64,
        /// Proposed again by the leader after a write (spec BL-2).
        woken: bool,
    },
}

/// A score the way Redis 7.0 replies it (`addReplyDouble`, `%.17g`, with
/// `inf`/`-inf`).
pub fn format_score(x: f64) -> String {
    const P: i32 = 17;
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x < 0.0 { "-inf" } else { "inf" }.into();
    }
    // C's %g picks the form by the exponent of the %e form at the same precision.
    let e_form = format!("{:.*e}", (P - 1) as usize, x);
    let (mantissa, exp) = e_form.split_once('e').unwrap_or((&e_form, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let strip = |s: &str| -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s.to_string()
        }
    };
    if !(-4..P).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{}e{sign}{:02}", strip(mantissa), exp.abs())
    } else {
        let decimals = (P - 1 - exp).max(0) as usize;
        strip(&format!("{x:.decimals$}"))
    }
}
