//! Why a request did not parse, as a typed value, and the one place where
//! each reason becomes Redis 7.0's exact error text.
//!
//! Parsers return a [`ParseError`]; the server replies [`ParseError::reply`];
//! the script host matches on the variant (an arity error or an unknown
//! command has its own text inside a script).

use bytes::Bytes;

use crate::resp::reply::errors;
use crate::resp::Reply;

/// NX with any of XX, GT, LT.
pub const NX_CONFLICT: &str = "ERR NX and XX, GT or LT options at the same time are not compatible";
/// GT with LT.
pub const GT_LT_CONFLICT: &str = "ERR GT and LT options at the same time are not compatible";
/// DECRBY's own overflow text.
pub const DECREMENT_OVERFLOW: &str = "ERR decrement would overflow";
/// SCAN's cursor is not an unsigned integer.
pub const INVALID_CURSOR: &str = "ERR invalid cursor";
/// SETBIT's, GETBIT's and BITFIELD's offset.
pub const BIT_OFFSET: &str = "ERR bit offset is not an integer or out of range";
/// SETBIT's value.
pub const BIT_VALUE: &str = "ERR bit is not an integer or out of range";
/// BITPOS's bit.
pub const BIT_ARGUMENT: &str = "ERR The bit argument must be 1 or 0.";
/// BITOP NOT with more than one source.
pub const BITOP_NOT_ONE_KEY: &str = "ERR BITOP NOT must be called with a single source key.";
/// BITFIELD's type.
pub const BITFIELD_TYPE: &str =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";
/// BITFIELD's OVERFLOW argument.
pub const BITFIELD_OVERFLOW: &str = "ERR Invalid OVERFLOW type specified";
/// BITFIELD_RO with SET or INCRBY.
pub const BITFIELD_RO_GET_ONLY: &str = "ERR BITFIELD_RO only supports the GET subcommand";
/// LCS with both LEN and IDX.
pub const LCS_LEN_AND_IDX: &str =
    "ERR If you want both the length and indexes, please just use IDX.";
/// COPY of a key onto itself.
pub const SAME_OBJECT: &str = "ERR source and destination objects are the same";
/// An integer argument outside C's `int` (Redis's `getIntFromObjectOrReply`).
pub const NOT_INT32: &str =
    "ERR value is out of range, value must between -2147483648 and 2147483647";
/// COPY's DB other than 0 (a server with `databases 1`).
pub const DB_OUT_OF_RANGE: &str = "ERR DB index is out of range";

/// LPOS's RANK 0.
pub const RANK_ZERO: &str = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list";

/// A request that does not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// No such command (or a command the server answers itself, or a debug
    /// command with debug commands off).
    Unknown,
    /// The arity of the named command (or `container|subcommand`) is not met.
    WrongArity(&'static str),
    /// An option that is not one, or options that conflict.
    Syntax,
    /// An argument that must be a 64-bit integer is not.
    NotInteger,
    /// An argument that must be a float is not.
    NotFloat,
    /// An expiry time out of range, for the named command.
    InvalidExpire(&'static str),
    /// DECRBY of `i64::MIN`.
    DecrementOverflow,
    /// SETRANGE's negative offset.
    OffsetOutOfRange,
    /// A result past `proto-max-bulk-len`.
    StringTooLong,
    /// SCAN's cursor.
    InvalidCursor,
    /// EXPIRE's option that is none of NX, XX, GT, LT (the option as given).
    UnsupportedOption(Bytes),
    /// EXPIRE's NX with XX, GT or LT.
    NxConflict,
    /// EXPIRE's GT with LT.
    GtLtConflict,
    /// EVAL's negative numkeys.
    NegativeKeys,
    /// EVAL's numkeys past the arguments.
    TooManyKeys,
    /// SCRIPT FLUSH with an option other than SYNC or ASYNC.
    ScriptFlushMode,
    /// SETBIT's, GETBIT's or BITFIELD's offset: not an integer, negative,
    /// or past `proto-max-bulk-len` bytes.
    BitOffset,
    /// SETBIT's value is not 0 or 1.
    BitValue,
    /// BITPOS's bit is not 0 or 1.
    BitArgument,
    /// BITOP NOT with more than one source key.
    BitopNotOneKey,
    /// BITFIELD's type is not `i1`..`i64` or `u1`..`u63`.
    BitfieldType,
    /// BITFIELD's OVERFLOW is none of WRAP, SAT, FAIL.
    BitfieldOverflow,
    /// BITFIELD_RO with SET or INCRBY.
    BitfieldRoGetOnly,
    /// LCS with both LEN and IDX.
    LcsLenAndIdx,
    /// COPY of a key onto itself.
    SameObject,
    /// COPY to a database other than 0.
    DbOutOfRange,
    /// An integer that does not fit C's `int` (COPY's DB).
    NotInt32,
    /// `CONTAINER sub` with an unknown `sub` (`container` in upper case, as
    /// the text names it: "Try SCRIPT HELP.").
    UnknownSubcommand { container: &'static str, sub: Bytes },
    /// LPOP's and RPOP's count (SPOP's too) is not a non-negative integer.
    MustBePositive,
    /// LPOS's RANK 0.
    RankZero,
    /// LPOS's COUNT is not a non-negative integer.
    CountNegative,
    /// LPOS's MAXLEN is not a non-negative integer.
    MaxlenNegative,
    /// LMPOP's numkeys is not a positive integer.
    NumkeysNotPositive,
    /// LMPOP's COUNT is not a positive integer.
    CountNotPositive,
    /// An integer outside `min..=max` (SRANDMEMBER's count).
    OutOfRange { min: i64, max: i64 },
    /// SINTERCARD's LIMIT below 0 or not an integer.
    NegativeLimit,
    /// An error whose text is the command's own (ZADD's option conflicts,
    /// ZRANGE's bounds, …), the whole text, code included.
    Message(&'static str),
    /// As [`ParseError::Message`], a text built from the arguments
    /// (FUNCTION's "Unknown option given: <opt>").
    Owned(String),
}

impl ParseError {
    /// Redis's text for this error. `args` is the request (name first): the
    /// unknown-command text quotes it.
    pub fn text(&self, args: &[Bytes]) -> String {
        match self {
            ParseError::Unknown => errors::unknown_command(
                args.first().map(|a| &a[..]).unwrap_or(b""),
                args.get(1..).unwrap_or(&[]),
            ),
            ParseError::WrongArity(name) => errors::wrong_arity(name),
            ParseError::Syntax => errors::SYNTAX.into(),
            ParseError::NotInteger => errors::NOT_INTEGER.into(),
            ParseError::NotFloat => errors::NOT_FLOAT.into(),
            ParseError::InvalidExpire(name) => errors::invalid_expire(name),
            ParseError::DecrementOverflow => DECREMENT_OVERFLOW.into(),
            ParseError::OffsetOutOfRange => errors::OFFSET_OUT_OF_RANGE.into(),
            ParseError::StringTooLong => errors::STRING_TOO_LONG.into(),
            ParseError::InvalidCursor => INVALID_CURSOR.into(),
            ParseError::UnsupportedOption(opt) => {
                format!("ERR Unsupported option {}", errors::truncate_for_error(opt))
            }
            ParseError::NxConflict => NX_CONFLICT.into(),
            ParseError::GtLtConflict => GT_LT_CONFLICT.into(),
            ParseError::NegativeKeys => "ERR Number of keys can't be negative".into(),
            ParseError::TooManyKeys => {
                "ERR Number of keys can't be greater than number of args".into()
            }
            ParseError::ScriptFlushMode => "ERR SCRIPT FLUSH only support SYNC|ASYNC option".into(),
            ParseError::BitOffset => BIT_OFFSET.into(),
            ParseError::BitValue => BIT_VALUE.into(),
            ParseError::BitArgument => BIT_ARGUMENT.into(),
            ParseError::BitopNotOneKey => BITOP_NOT_ONE_KEY.into(),
            ParseError::BitfieldType => BITFIELD_TYPE.into(),
            ParseError::BitfieldOverflow => BITFIELD_OVERFLOW.into(),
            ParseError::BitfieldRoGetOnly => BITFIELD_RO_GET_ONLY.into(),
            ParseError::LcsLenAndIdx => LCS_LEN_AND_IDX.into(),
            ParseError::SameObject => SAME_OBJECT.into(),
            ParseError::DbOutOfRange => DB_OUT_OF_RANGE.into(),
            ParseError::NotInt32 => NOT_INT32.into(),
            ParseError::UnknownSubcommand { container, sub } => format!(
                "ERR unknown subcommand '{}'. Try {container} HELP.",
                errors::truncate_for_error(sub)
            ),
            ParseError::MustBePositive => "ERR value is out of range, must be positive".into(),
            ParseError::RankZero => RANK_ZERO.into(),
            ParseError::CountNegative => "ERR COUNT can't be negative".into(),
            ParseError::MaxlenNegative => "ERR MAXLEN can't be negative".into(),
            ParseError::NumkeysNotPositive => "ERR numkeys should be greater than 0".into(),
            ParseError::CountNotPositive => "ERR count should be greater than 0".into(),
            ParseError::OutOfRange { min, max } => {
                format!("ERR value is out of range, value must between {min} and {max}")
            }
            ParseError::NegativeLimit => "ERR LIMIT can't be negative".into(),
            ParseError::Message(text) => (*text).into(),
            ParseError::Owned(text) => text.clone(),
        }
    }

    /// The error reply to the request `args`.
    pub fn reply(&self, args: &[Bytes]) -> Reply {
        Reply::err(self.text(args))
    }
}
