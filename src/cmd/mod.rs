//! Keyspace commands: parsing (arity, options, Redis's error texts) and their
//! semantics as pure functions of a keyspace view.
//!
//! A command is parsed once, when the node accepts it; relative TTLs become
//! absolute expiry times then, so the logged command replays identically on
//! every replica. Reads run against a [`KeyspaceRead`] (a snapshot at
//! `start_ts` after the fence); writes run when their log entry applies,
//! against a [`KeyspaceWrite`] at the entry's commit timestamp.
//!
//! What parsing decides and what applying decides is split the way Redis's
//! own code orders its checks: anything that does not depend on stored data
//! (arity, syntax, integer arguments, expiry overflow) is an error at parse
//! time and never reaches the log; anything that does (NX/XX, the GET option,
//! INCR on a non-integer, RENAME's missing source, EXPIRE's NX/XX/GT/LT) is
//! decided by the command's executor at apply time.
//!
//! Every command is one row of the [`table`] ([`def::CommandDef`]): its
//! metadata, its parser and its executor. [`parse`] finds the row by name,
//! checks the arity and runs the row's parser; the [`Command`] it returns
//! carries its row, so routing ([`Command::kind`]) and execution
//! ([`run_read`], [`run_write`]) read the same row.
//!
//! | file | commands |
//! |---|---|
//! | [`strings`] | GET SET SETNX SETEX PSETEX GETSET GETDEL GETEX MGET MSET MSETNX INCR DECR INCRBY DECRBY INCRBYFLOAT APPEND STRLEN GETRANGE SUBSTR SETRANGE LCS |
//! | [`bits`] | SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO |
//! | [`hash`] | HSET HGET HGETALL … |
//! | [`list`] | LPUSH RPUSH LPOP RPOP LRANGE … |
//! | [`set`] | SADD SREM SMEMBERS SINTER … |
//! | [`zset`] | ZADD ZRANGE ZPOPMIN … |
//! | [`blocking`] | BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP BZPOPMIN BZPOPMAX BZMPOP |
//! | [`keys`] | DEL UNLINK EXISTS TOUCH TYPE RENAME RENAMENX COPY OBJECT DBSIZE FLUSHDB FLUSHALL KEYS SCAN RANDOMKEY |
//! | [`expire`] | EXPIRE PEXPIRE EXPIREAT PEXPIREAT TTL PTTL EXPIRETIME PEXPIRETIME PERSIST |
//! | [`scripting`] | EVAL EVALSHA EVAL_RO EVALSHA_RO SCRIPT LOAD/EXISTS/FLUSH |
//! | [`functions`] | FUNCTION LOAD/DELETE/FLUSH/LIST/DUMP/RESTORE/STATS FCALL FCALL_RO |
//! | [`shebang`] | EVAL's `#!lua flags=…` line and a library's `#!lua name=…` |
//! | [`multi`] | EXEC's and WATCH's ops and the watch rule (the connection queues) |
//! | [`debug`] | FENCEKV.RAWSET FENCEKV.RAWGET FENCEKV.RAWDEL FENCEKV.ENCODING |
//! | [`table`] | the rows, the name lookup, [`CommandRef`], COMMAND (COUNT, INFO, DOCS) |
//! | [`def`] | what a row holds |
//! | [`error`] | [`ParseError`] and its Redis texts |
//! | [`glob`] | Redis's `stringmatchlen` for KEYS and SCAN MATCH |

/// The value, or return Redis's WRONGTYPE reply from the
/// executor: `let v = or_wrong_type!(ks.get_str(key));`.
macro_rules! or_wrong_type {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => return $crate::cmd::wrong_type(e),
        }
    };
}

mod args;
pub mod bits;
pub mod blocking;
pub mod debug;
pub mod def;
pub mod error;
pub mod expire;
pub mod functions;
pub mod glob;
pub mod hash;
pub mod keys;
pub mod list;
pub mod multi;
pub mod scripting;
pub mod set;
pub mod shebang;
pub mod strings;
pub mod table;
#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;
pub mod zset;

use std::cmp::Ordering;
use std::hash::{Hash, Hasher};

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::resp::Reply;
use crate::strings::{KeyspaceRead, KeyspaceWrite, RawGet, RawWrite};

pub use args::{parse_i64, MAX_STRING_LEN};
pub use def::{CommandDef, Exec};
pub use error::ParseError;
pub use table::CommandRef;

/// The read view every read executor runs against.
pub type ReadView<'a> = KeyspaceRead<'a, dyn RawGet + 'a>;
/// The write view every write executor runs against.
pub type WriteView<'a> = KeyspaceWrite<'a, dyn RawWrite + 'a>;

/// Whether a command reads (served after a fence from a snapshot), writes
/// (goes through the log), or runs a script (a fence, a snapshot, and a log
/// entry only if it wrote).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Read,
    Write,
    Script,
}

/// What parsing needs from the accepting node.
#[derive(Clone, Copy, Debug, Default)]
pub struct ParseCtx {
    /// The accepting node's clock, unix ms: relative TTLs are resolved against it.
    pub now_ms: u64,
    /// `--enable-debug-commands`: allow the `FENCEKV.RAW*` family.
    pub debug_commands: bool,
    /// A random number the accepting node drew for this request. A command
    /// with a random outcome (SPOP, SRANDMEMBER, HRANDFIELD, ZRANDMEMBER)
    /// keeps it in its arguments and chooses with it when it runs, so every
    /// replica that applies the logged command removes the same elements.
    pub seed: u64,
}

/// SET's existence condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SetCond {
    Always,
    /// Only if the key does not exist.
    Nx,
    /// Only if the key exists.
    Xx,
}

/// What a SET does to the key's TTL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SetExpiry {
    /// No TTL option: the new value has no expiry.
    Clear,
    /// KEEPTTL: keep the existing key's expiry.
    Keep,
    /// EX/PX/EXAT/PXAT resolved to an absolute unix-ms time.
    At(u64),
}

/// What GETEX does besides replying the value.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum GetExAction {
    /// PERSIST: drop the expiry.
    Persist,
    /// EX/PX/EXAT/PXAT resolved to an absolute unix-ms time (a time at or
    /// before now deletes the key).
    At(u64),
    /// The expiry argument was bad. Redis checks it only after finding the
    /// key, so a missing key still answers nil; an existing one gets this
    /// error text. Nothing is written either way, so this is a read.
    Invalid(String),
}

/// EXPIRE's NX/XX/GT/LT options (XX may combine with GT or LT).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
pub struct ExpireCond {
    pub nx: bool,
    pub xx: bool,
    pub gt: bool,
    pub lt: bool,
}

/// A parsed command's arguments: everything a replica needs to apply it
/// identically (relative times already absolute, floats as their bits).
/// Several rows may parse into one variant (SETEX into `Set`, UNLINK into
/// `Del`); the [`Command`] keeps which row it was.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Op {
    // ------------------------------------------------------------ strings
    /// GET key
    Get { key: Bytes },
    /// SET key value [NX|XX] [GET] [EX|PX|EXAT|PXAT t|KEEPTTL]; also SETEX,
    /// PSETEX and GETSET (= SET key value GET).
    Set {
        key: Bytes,
        value: Bytes,
        cond: SetCond,
        get: bool,
        expiry: SetExpiry,
    },
    /// SETNX key value (replies 1/0).
    SetNx { key: Bytes, value: Bytes },
    /// GETDEL key
    GetDel { key: Bytes },
    /// GETEX key [EX|PX|EXAT|PXAT t|PERSIST]; `None`: no option, a plain read.
    GetEx {
        key: Bytes,
        action: Option<GetExAction>,
    },
    /// MGET key [key ...]
    MGet { keys: Vec<Bytes> },
    /// MSET key value [key value ...]
    MSet { pairs: Vec<(Bytes, Bytes)> },
    /// MSETNX key value [key value ...]
    MSetNx { pairs: Vec<(Bytes, Bytes)> },
    /// INCR, DECR, INCRBY, DECRBY: add `by`.
    IncrBy { key: Bytes, by: i64 },
    /// INCRBYFLOAT key increment; the increment as `f64::to_bits`.
    IncrByFloat { key: Bytes, by_bits: u64 },
    /// APPEND key value
    Append { key: Bytes, value: Bytes },
    /// STRLEN key
    StrLen { key: Bytes },
    /// GETRANGE key start end (and SUBSTR)
    GetRange { key: Bytes, start: i64, end: i64 },
    /// SETRANGE key offset value
    SetRange {
        key: Bytes,
        offset: u64,
        value: Bytes,
    },
    // --------------------------------------------------------------- keys
    /// DEL key [key ...] (and UNLINK)
    Del { keys: Vec<Bytes> },
    /// EXISTS key [key ...] (repeats count; and TOUCH)
    Exists { keys: Vec<Bytes> },
    /// TYPE key
    Type { key: Bytes },
    /// RENAME src dst / RENAMENX src dst
    Rename { src: Bytes, dst: Bytes, nx: bool },
    /// DBSIZE
    DbSize,
    /// FLUSHDB / FLUSHALL [ASYNC|SYNC]
    Flush,
    /// KEYS pattern
    Keys { pattern: Bytes },
    /// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
    Scan {
        cursor: u64,
        pattern: Option<Bytes>,
        count: u64,
        type_name: Option<Bytes>,
    },
    /// RANDOMKEY
    RandomKey,
    // ------------------------------------------------------------- expiry
    /// EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT, resolved to an absolute unix-ms
    /// time (negative or past: the key is deleted).
    Expire {
        key: Bytes,
        at_ms: i64,
        cond: ExpireCond,
    },
    /// TTL/PTTL/EXPIRETIME/PEXPIRETIME
    Ttl {
        key: Bytes,
        ms: bool,
        absolute: bool,
    },
    /// PERSIST key
    Persist { key: Bytes },
    // -------------------------------------------------------------- debug
    /// FENCEKV.RAWSET rawkey value
    RawSet { raw_key: Bytes, value: Bytes },
    /// FENCEKV.RAWGET rawkey
    RawGet { raw_key: Bytes },
    /// FENCEKV.RAWDEL rawkey [rawkey ...]
    RawDel { raw_keys: Vec<Bytes> },
    /// FENCEKV.ENCODING key
    Encoding { key: Bytes },
    // ------------------------------------------------------------ scripts
    /// EVAL/EVALSHA/EVAL_RO/EVALSHA_RO
    Eval {
        script: scripting::ScriptRef,
        keys: Vec<Bytes>,
        argv: Vec<Bytes>,
        read_only: bool,
    },
    /// SCRIPT LOAD body
    ScriptLoad { body: Bytes },
    /// SCRIPT EXISTS sha...
    ScriptExists { shas: Vec<Bytes> },
    /// SCRIPT FLUSH [ASYNC|SYNC]
    ScriptFlush,
    // Variants below were added later, at the end, so that log entries on
    // disk (bincode numbers variants by position) and the hashes of the
    // model's states keep their meaning.
    // --------------------------------------------------- strings and bits
    /// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]
    Lcs {
        a: Bytes,
        b: Bytes,
        reply: strings::LcsReply,
    },
    /// SETBIT key offset value
    SetBit { key: Bytes, offset: u64, on: bool },
    /// GETBIT key offset
    GetBit { key: Bytes, offset: u64 },
    /// BITCOUNT key [start end [BYTE|BIT]]
    BitCount { key: Bytes, span: bits::Span },
    /// BITPOS key bit [start [end [BYTE|BIT]]]
    BitPos {
        key: Bytes,
        bit: bool,
        span: bits::PosSpan,
    },
    /// BITOP AND|OR|XOR|NOT destkey key [key ...]
    BitOp {
        op: bits::BitOpKind,
        dest: Bytes,
        keys: Vec<Bytes>,
    },
    /// BITFIELD key [GET|SET|INCRBY|OVERFLOW ...] (and BITFIELD_RO, GETs only)
    BitField { key: Bytes, ops: Vec<bits::FieldOp> },
    // --------------------------------------------------------------- keys
    /// COPY source destination [DB 0] [REPLACE]
    Copy {
        src: Bytes,
        dst: Bytes,
        replace: bool,
    },
    /// OBJECT ENCODING|FREQ|IDLETIME|REFCOUNT key
    Object { sub: keys::ObjectSub, key: Bytes },
    /// OBJECT HELP
    ObjectHelp,
    // ------------------------------------------------------- collections
    /// A hash command ([`hash`]).
    HashCmd(hash::HashOp),
    /// A list command ([`list`]).
    ListCmd(list::ListOp),
    /// A set command ([`set`]).
    SetCmd(set::SetOp),
    /// A sorted-set command ([`zset`]).
    ZSetCmd(zset::ZSetOp),
    /// MEMORY USAGE key [SAMPLES count] (the count changes nothing: every
    /// element is counted).
    MemoryUsage { key: Bytes },
    // ------------------------------------------------------- transactions
    /// EXEC: the requests MULTI queued, as the client sent them, and the
    /// keys the connection watched ([`multi`]).
    Multi {
        cmds: Vec<Vec<Bytes>>,
        watched: Vec<multi::Watched>,
    },
    /// WATCH key [key ...]: a fenced read of whether each key exists.
    Watch { keys: Vec<Bytes> },
    // ---------------------------------------------------------- functions
    /// FUNCTION LOAD/DELETE/FLUSH/LIST/DUMP/RESTORE/STATS ([`functions`]).
    Function(functions::FunctionOp),
    /// FCALL/FCALL_RO function numkeys key... arg...: the name as given.
    FCall {
        name: Bytes,
        keys: Vec<Bytes>,
        argv: Vec<Bytes>,
        read_only: bool,
    },
}

/// A parsed command: its row and its arguments.
///
/// Equality and order are by arguments, then by row name; the hash and the
/// `Debug` form are the arguments' alone, so a command hashes and prints as
/// its arguments do (the model's states and traces depend on both).
#[derive(Clone, Serialize, Deserialize)]
pub struct Command {
    pub def: CommandRef,
    pub op: Op,
}

impl PartialEq for Command {
    fn eq(&self, other: &Self) -> bool {
        self.op == other.op && self.def == other.def
    }
}

impl Eq for Command {}

impl PartialOrd for Command {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Command {
    fn cmp(&self, other: &Self) -> Ordering {
        self.op
            .cmp(&other.op)
            .then_with(|| self.def.cmp(&other.def))
    }
}

impl Hash for Command {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.op.hash(state);
    }
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.op.fmt(f)
    }
}

impl Command {
    /// How the node routes it, from its row.
    pub fn kind(&self) -> Kind {
        self.def.kind(&self.op)
    }

    /// A blocking pop's deadline (unix ms, 0 = forever); `None` for any
    /// other command.
    pub fn block_deadline_ms(&self) -> Option<u64> {
        blocking::deadline_ms(&self.op)
    }

    /// `GET key`
    pub fn get(key: impl Into<Bytes>) -> Command {
        Command {
            def: table::row("get"),
            op: Op::Get { key: key.into() },
        }
    }

    /// `SET key value` (no options).
    pub fn set(key: impl Into<Bytes>, value: impl Into<Bytes>) -> Command {
        Command {
            def: table::row("set"),
            op: Op::Set {
                key: key.into(),
                value: value.into(),
                cond: SetCond::Always,
                get: false,
                expiry: SetExpiry::Clear,
            },
        }
    }

    /// `DEL key...`
    pub fn del(keys: Vec<Bytes>) -> Command {
        Command {
            def: table::row("del"),
            op: Op::Del { keys },
        }
    }

    /// EXEC of the requests a connection queued, under its watched keys.
    pub fn exec(cmds: Vec<Vec<Bytes>>, watched: Vec<multi::Watched>) -> Command {
        Command {
            def: table::row("exec"),
            op: Op::Multi { cmds, watched },
        }
    }

    /// `WATCH key...`
    pub fn watch(keys: Vec<Bytes>) -> Command {
        Command {
            def: table::row("watch"),
            op: Op::Watch { keys },
        }
    }

    /// `EVAL body 0` (no keys, no arguments).
    pub fn eval(body: impl Into<Bytes>) -> Command {
        Command {
            def: table::row("eval"),
            op: Op::Eval {
                script: scripting::ScriptRef::Body(body.into()),
                keys: vec![],
                argv: vec![],
                read_only: false,
            },
        }
    }
}

/// Parse a request (`args[0]` is the command name, any case): find its row,
/// check the arity, run the row's parser. Commands the server handles itself
/// (PING, HELLO, …) and unknown names are [`ParseError::Unknown`].
pub fn parse_request(args: &[Bytes], ctx: &ParseCtx) -> Result<Command, ParseError> {
    let def = args
        .first()
        .and_then(|name| table::lookup_with(name, ctx.debug_commands))
        .ok_or(ParseError::Unknown)?;
    def.parse_args(args, ctx)
}

/// [`parse_request`], its error as Redis's reply.
pub fn parse(args: &[Bytes], ctx: &ParseCtx) -> Result<Command, Reply> {
    parse_request(args, ctx).map_err(|e| e.reply(args))
}

/// Redis's WRONGTYPE error, for a key that holds another type.
pub(crate) fn wrong_type(_: crate::collections::WrongType) -> Reply {
    Reply::err(crate::resp::reply::errors::WRONGTYPE)
}

/// The reply to an executor given arguments its row does not parse into
/// (only a corrupt log entry or peer message can carry such a pair).
pub(crate) fn mismatch() -> Reply {
    Reply::err("ERR command arguments do not match the command")
}

/// Run a read command against a snapshot view.
pub fn run_read(cmd: &Command, ks: &ReadView<'_>) -> Reply {
    match cmd.def.exec {
        Exec::Read(read) => read(&cmd.op, ks),
        Exec::ReadOrWrite { kind, read, .. } if kind(&cmd.op) == Kind::Read => read(&cmd.op, ks),
        _ => Reply::err("ERR not a read command"),
    }
}

/// Apply a blocking pop ([`blocking`]) at its commit timestamp: `None`
/// when every key was empty (nothing written; the node parks the request).
/// Any other command runs as [`run_write`].
pub fn run_blocking<W: RawWrite>(cmd: &Command, ks: &mut KeyspaceWrite<'_, W>) -> Option<Reply> {
    if blocking::deadline_ms(&cmd.op).is_none() {
        return Some(run_write(cmd, ks));
    }
    let mut view: WriteView<'_> = KeyspaceWrite::new(&mut *ks.raw, ks.now_ms, ks.modes);
    blocking::try_serve(&cmd.op, &mut view)
}

/// Apply a write command at its commit timestamp. A read command runs
/// against the same view (so a script's buffer can run every command here).
pub fn run_write<W: RawWrite>(cmd: &Command, ks: &mut KeyspaceWrite<'_, W>) -> Reply {
    let mut view: WriteView<'_> = KeyspaceWrite::new(&mut *ks.raw, ks.now_ms, ks.modes);
    let read = |view: &WriteView<'_>| {
        let reader: ReadView<'_> = KeyspaceRead::new(&*view.raw, view.now_ms, view.modes);
        run_read(cmd, &reader)
    };
    match cmd.def.exec {
        Exec::Write(write) => write(&cmd.op, &mut view),
        Exec::ReadOrWrite { kind, write, .. } if kind(&cmd.op) == Kind::Write => {
            write(&cmd.op, &mut view)
        }
        Exec::Read(_) | Exec::ReadOrWrite { .. } => read(&view),
        Exec::Script | Exec::Connection => Reply::err("ERR not a write command"),
    }
}
