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
//! decided by `run_write` at apply time.
//!
//! | file | commands |
//! |---|---|
//! | [`strings`] | GET SET SETNX SETEX PSETEX GETSET GETDEL GETEX MGET MSET MSETNX INCR DECR INCRBY DECRBY INCRBYFLOAT APPEND STRLEN GETRANGE SUBSTR SETRANGE |
//! | [`keys`] | DEL UNLINK EXISTS TYPE RENAME RENAMENX DBSIZE FLUSHDB FLUSHALL KEYS SCAN RANDOMKEY |
//! | [`expire`] | EXPIRE PEXPIRE EXPIREAT PEXPIREAT TTL PTTL EXPIRETIME PEXPIRETIME PERSIST |
//! | [`scripting`] | EVAL EVALSHA EVAL_RO EVALSHA_RO SCRIPT LOAD/EXISTS/FLUSH |
//! | [`debug`] | FENCEKV.RAWSET FENCEKV.RAWGET FENCEKV.RAWDEL FENCEKV.ENCODING |
//! | [`table`] | the command table behind COMMAND (COUNT, INFO, DOCS) and arity checks |
//! | [`glob`] | Redis's `stringmatchlen` for KEYS and SCAN MATCH |

mod args;
pub mod debug;
pub mod expire;
pub mod glob;
pub mod keys;
pub mod scripting;
pub mod strings;
pub mod table;
#[cfg(test)]
mod tests;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::resp::reply::errors;
use crate::resp::Reply;
use crate::strings::{KeyspaceRead, KeyspaceWrite, RawGet, RawWrite};

pub use args::MAX_STRING_LEN;

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

/// A parsed keyspace command: everything a replica needs to apply it
/// identically (relative times already absolute, floats as their bits).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Command {
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
    /// EXISTS key [key ...] (repeats count)
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
}

impl Command {
    pub fn kind(&self) -> Kind {
        use Command::*;
        match self {
            Get { .. }
            | MGet { .. }
            | StrLen { .. }
            | GetRange { .. }
            | Exists { .. }
            | Type { .. }
            | DbSize
            | Keys { .. }
            | Scan { .. }
            | RandomKey
            | Ttl { .. }
            | RawGet { .. }
            | Encoding { .. }
            | ScriptExists { .. } => Kind::Read,
            Eval { .. } => Kind::Script,
            GetEx { action, .. } => match action {
                None | Some(GetExAction::Invalid(_)) => Kind::Read,
                Some(_) => Kind::Write,
            },
            Set { .. }
            | SetNx { .. }
            | GetDel { .. }
            | MSet { .. }
            | MSetNx { .. }
            | IncrBy { .. }
            | IncrByFloat { .. }
            | Append { .. }
            | SetRange { .. }
            | Del { .. }
            | Rename { .. }
            | Flush
            | Expire { .. }
            | Persist { .. }
            | RawSet { .. }
            | RawDel { .. }
            | ScriptLoad { .. }
            | ScriptFlush => Kind::Write,
        }
    }

    /// `GET key`
    pub fn get(key: impl Into<Bytes>) -> Command {
        Command::Get { key: key.into() }
    }

    /// `SET key value` (no options).
    pub fn set(key: impl Into<Bytes>, value: impl Into<Bytes>) -> Command {
        Command::Set {
            key: key.into(),
            value: value.into(),
            cond: SetCond::Always,
            get: false,
            expiry: SetExpiry::Clear,
        }
    }

    /// `DEL key...`
    pub fn del(keys: Vec<Bytes>) -> Command {
        Command::Del { keys }
    }

    /// The keys this command reads or writes, for routing and conflict
    /// checks. Whole-keyspace commands (DBSIZE, FLUSH*, KEYS, SCAN,
    /// RANDOMKEY) and raw debug commands name none.
    pub fn keys(&self) -> Vec<Bytes> {
        use Command::*;
        match self {
            Get { key }
            | Set { key, .. }
            | SetNx { key, .. }
            | GetDel { key }
            | GetEx { key, .. }
            | IncrBy { key, .. }
            | IncrByFloat { key, .. }
            | Append { key, .. }
            | StrLen { key }
            | GetRange { key, .. }
            | SetRange { key, .. }
            | Type { key }
            | Expire { key, .. }
            | Ttl { key, .. }
            | Persist { key }
            | Encoding { key } => vec![key.clone()],
            MGet { keys } | Del { keys } | Exists { keys } | Eval { keys, .. } => keys.clone(),
            MSet { pairs } | MSetNx { pairs } => pairs.iter().map(|(k, _)| k.clone()).collect(),
            Rename { src, dst, .. } => vec![src.clone(), dst.clone()],
            DbSize
            | Flush
            | Keys { .. }
            | Scan { .. }
            | RandomKey
            | RawSet { .. }
            | RawGet { .. }
            | RawDel { .. }
            | ScriptLoad { .. }
            | ScriptExists { .. }
            | ScriptFlush => vec![],
        }
    }
}

type Parser = fn(&[Bytes], &ParseCtx) -> Result<Command, Reply>;

/// Parse a request (`args[0]` is the command name, any case). Commands the
/// server handles itself (PING, HELLO, …) and unknown names get Redis's
/// unknown-command error; a known name with the wrong number of arguments
/// gets the wrong-arity error, checked against the [`table`].
pub fn parse(args: &[Bytes], ctx: &ParseCtx) -> Result<Command, Reply> {
    let unknown = || {
        Reply::err(errors::unknown_command(
            args.first().map(|a| &a[..]).unwrap_or(b""),
            args.get(1..).unwrap_or(&[]),
        ))
    };
    let Some(first) = args.first() else {
        return Err(unknown());
    };
    let name = first.to_ascii_lowercase();
    let parser: Parser = match &name[..] {
        b"get" => strings::parse_get,
        b"set" => strings::parse_set,
        b"setnx" => strings::parse_setnx,
        b"setex" => strings::parse_setex,
        b"psetex" => strings::parse_psetex,
        b"getset" => strings::parse_getset,
        b"getdel" => strings::parse_getdel,
        b"getex" => strings::parse_getex,
        b"mget" => strings::parse_mget,
        b"mset" => strings::parse_mset,
        b"msetnx" => strings::parse_msetnx,
        b"incr" => strings::parse_incr,
        b"decr" => strings::parse_decr,
        b"incrby" => strings::parse_incrby,
        b"decrby" => strings::parse_decrby,
        b"incrbyfloat" => strings::parse_incrbyfloat,
        b"append" => strings::parse_append,
        b"strlen" => strings::parse_strlen,
        b"getrange" | b"substr" => strings::parse_getrange,
        b"setrange" => strings::parse_setrange,
        b"del" | b"unlink" => keys::parse_del,
        b"exists" => keys::parse_exists,
        b"type" => keys::parse_type,
        b"rename" => keys::parse_rename,
        b"renamenx" => keys::parse_renamenx,
        b"dbsize" => keys::parse_dbsize,
        b"flushdb" | b"flushall" => keys::parse_flush,
        b"keys" => keys::parse_keys,
        b"scan" => keys::parse_scan,
        b"randomkey" => keys::parse_randomkey,
        b"expire" => expire::parse_expire,
        b"pexpire" => expire::parse_pexpire,
        b"expireat" => expire::parse_expireat,
        b"pexpireat" => expire::parse_pexpireat,
        b"ttl" => expire::parse_ttl,
        b"pttl" => expire::parse_pttl,
        b"expiretime" => expire::parse_expiretime,
        b"pexpiretime" => expire::parse_pexpiretime,
        b"persist" => expire::parse_persist,
        b"eval" => scripting::parse_eval,
        b"evalsha" => scripting::parse_evalsha,
        b"eval_ro" => scripting::parse_eval_ro,
        b"evalsha_ro" => scripting::parse_evalsha_ro,
        b"script" => scripting::parse_script,
        b"fencekv.rawset" if ctx.debug_commands => debug::parse_rawset,
        b"fencekv.rawget" if ctx.debug_commands => debug::parse_rawget,
        b"fencekv.rawdel" if ctx.debug_commands => debug::parse_rawdel,
        b"fencekv.encoding" if ctx.debug_commands => debug::parse_encoding,
        _ => return Err(unknown()),
    };
    if let Some(spec) = table::lookup_with(&name, true) {
        if !spec.arity_ok(args.len()) {
            return Err(Reply::err(errors::wrong_arity(spec.name)));
        }
    }
    parser(args, ctx)
}

/// Run a read command against a snapshot view.
pub fn run_read<G: RawGet + ?Sized>(cmd: &Command, ks: &KeyspaceRead<'_, G>) -> Reply {
    use Command::*;
    match cmd {
        Get { key } => strings::get(ks, key),
        GetEx { key, action } => strings::getex_read(ks, key, action.as_ref()),
        MGet { keys } => strings::mget(ks, keys),
        StrLen { key } => strings::strlen(ks, key),
        GetRange { key, start, end } => strings::getrange(ks, key, *start, *end),
        Exists { keys } => keys::exists(ks, keys),
        Type { key } => keys::type_of(ks, key),
        DbSize => keys::dbsize(ks),
        Keys { pattern } => keys::keys(ks, pattern),
        Scan {
            cursor,
            pattern,
            count,
            type_name,
        } => keys::scan(
            ks,
            *cursor,
            pattern.as_deref(),
            *count,
            type_name.as_deref(),
        ),
        RandomKey => keys::randomkey(ks),
        Ttl { key, ms, absolute } => expire::ttl(ks, key, *ms, *absolute),
        RawGet { raw_key } => debug::rawget(ks, raw_key),
        Encoding { key } => debug::encoding(ks, key),
        ScriptExists { shas } => scripting::exists(ks, shas),
        _ => Reply::err("ERR not a read command"),
    }
}

/// Apply a write command at its commit timestamp. A read command runs
/// against the same view (so a script's buffer can run every command here).
pub fn run_write<W: RawWrite + ?Sized>(cmd: &Command, ks: &mut KeyspaceWrite<'_, W>) -> Reply {
    use Command::*;
    if cmd.kind() == Kind::Read {
        return run_read(cmd, &ks.reader());
    }
    match cmd {
        Set {
            key,
            value,
            cond,
            get,
            expiry,
        } => strings::set(ks, key, value, *cond, *get, *expiry),
        SetNx { key, value } => strings::setnx(ks, key, value),
        GetDel { key } => strings::getdel(ks, key),
        GetEx {
            key,
            action: Some(action),
        } => strings::getex_write(ks, key, action),
        MSet { pairs } => strings::mset(ks, pairs),
        MSetNx { pairs } => strings::msetnx(ks, pairs),
        IncrBy { key, by } => strings::incrby(ks, key, *by),
        IncrByFloat { key, by_bits } => strings::incrbyfloat(ks, key, f64::from_bits(*by_bits)),
        Append { key, value } => strings::append(ks, key, value),
        SetRange { key, offset, value } => strings::setrange(ks, key, *offset, value),
        Del { keys } => keys::del(ks, keys),
        Rename { src, dst, nx } => keys::rename(ks, src, dst, *nx),
        Flush => keys::flush(ks),
        Expire { key, at_ms, cond } => expire::expire(ks, key, *at_ms, *cond),
        Persist { key } => expire::persist(ks, key),
        RawSet { raw_key, value } => debug::rawset(ks, raw_key, value),
        RawDel { raw_keys } => debug::rawdel(ks, raw_keys),
        ScriptLoad { body } => scripting::load(ks, body),
        ScriptFlush => scripting::flush(ks),
        _ => Reply::err("ERR not a write command"),
    }
}
