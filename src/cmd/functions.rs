//! Redis 7.0 functions: FUNCTION LOAD/DELETE/FLUSH/LIST/DUMP/RESTORE/STATS
//! and FCALL/FCALL_RO parsing with Redis's errors, the library record, and
//! the semantics of the commands over the keyspace view (spec §8, FN).
//!
//! A library is replicated data (FN-1): `!redis|function|<lib>` holds its
//! [`LibraryRecord`] (the code and what it registered) and
//! `!redis|fname|<name>` names the library of each function
//! ([`crate::strings::encoding::FUNCTION_PREFIX`]), so FCALL works on a new
//! leader after failover and after a restart. DELETE, FLUSH, LIST, DUMP
//! and STATS are ordinary writes and reads. LOAD and RESTORE need the
//! engine to run the library's registration, so the node runs them as
//! scripts (one fence, a snapshot, one `Txn` entry), as it runs FCALL
//! (FN-2). FUNCTION KILL and HELP act on the process: the server answers
//! them.

use bytes::{BufMut, Bytes, BytesMut};
use serde::{Deserialize, Serialize};

use super::args::{is, numkeys_keys};
use super::def::Exec;
use super::error::ParseError;
use super::shebang::ScriptFlags;
use super::{mismatch, Kind, Op, ParseCtx};
use crate::resp::Reply;
use crate::strings::encoding::{function_key, library_key, FUNCTION_NAME_PREFIX, FUNCTION_PREFIX};
use crate::strings::{KeyspaceWrite, RawGet, RawWrite};

/// FCALL of a name no library registered.
pub const NOT_FOUND: &str = "ERR Function not found";
/// FCALL_RO (or EVAL_RO of a shebang script) of one that may write.
pub const WRITE_FLAG_ON_RO: &str =
    "ERR Can not execute a script with write flag using *_ro command.";

/// A function as its library's registration declared it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Registered {
    /// As registered (FCALL finds it case-insensitively).
    pub name: String,
    pub description: Option<String>,
    /// [`super::shebang::ScriptFlags`] bits.
    pub flags: u32,
}

/// What a library is, as stored under `!redis|function|<name>`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LibraryRecord {
    pub name: String,
    /// Redis reports the engine in upper case.
    pub engine: String,
    /// The whole payload FUNCTION LOAD was given, metadata line included
    /// (FUNCTION LIST WITHCODE shows it).
    pub code: Bytes,
    /// In registration order.
    pub functions: Vec<Registered>,
}

impl LibraryRecord {
    pub fn encode(&self) -> Bytes {
        match bincode::serde::encode_to_vec(self, bincode::config::standard()) {
            Ok(v) => Bytes::from(v),
            // Strings and byte strings always encode.
            Err(_) => Bytes::new(),
        }
    }

    pub fn decode(raw: &[u8]) -> Option<LibraryRecord> {
        bincode::serde::decode_from_slice(raw, bincode::config::standard())
            .ok()
            .map(|(r, _)| r)
    }
}

/// FUNCTION RESTORE's policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RestorePolicy {
    /// Delete every library first.
    Flush,
    /// Add; a library that exists already fails the restore (the default).
    Append,
    /// Add, replacing libraries of the same name.
    Replace,
}

/// FUNCTION's subcommands that reach the node.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum FunctionOp {
    /// LOAD [REPLACE] code: a script (the engine registers the functions).
    Load { code: Bytes, replace: bool },
    /// DELETE library-name
    Delete { library: Bytes },
    /// FLUSH [ASYNC|SYNC]
    Flush,
    /// LIST [LIBRARYNAME pattern] [WITHCODE]
    List {
        pattern: Option<Bytes>,
        with_code: bool,
    },
    /// DUMP
    Dump,
    /// RESTORE payload [FLUSH|APPEND|REPLACE]: a script, as LOAD.
    Restore {
        payload: Bytes,
        policy: RestorePolicy,
    },
    /// STATS
    Stats,
}

/// Redis's `addReplySubcommandSyntaxError`, naming the subcommand as given.
fn subcommand_syntax(sub: &Bytes) -> ParseError {
    ParseError::Owned(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try FUNCTION HELP.",
        String::from_utf8_lossy(sub)
    ))
}

/// `FUNCTION <sub> ...` (KILL and HELP are the server's).
pub(super) fn parse_function(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    let sub = &args[1];
    let arity = |ok: bool, name: &'static str| {
        if ok {
            Ok(())
        } else {
            Err(ParseError::WrongArity(name))
        }
    };
    let op = if is(sub, "load") {
        arity(args.len() >= 3, "function|load")?;
        let mut replace = false;
        for opt in &args[2..args.len() - 1] {
            if is(opt, "replace") {
                replace = true;
            } else {
                return Err(ParseError::Owned(format!(
                    "ERR Unknown option given: {}",
                    String::from_utf8_lossy(opt)
                )));
            }
        }
        FunctionOp::Load {
            code: args[args.len() - 1].clone(),
            replace,
        }
    } else if is(sub, "delete") {
        arity(args.len() == 3, "function|delete")?;
        FunctionOp::Delete {
            library: args[2].clone(),
        }
    } else if is(sub, "flush") {
        match &args[2..] {
            [] => {}
            [mode] if is(mode, "sync") || is(mode, "async") => {}
            [_] => {
                return Err(ParseError::Message(
                    "ERR FUNCTION FLUSH only supports SYNC|ASYNC option",
                ))
            }
            _ => return Err(subcommand_syntax(sub)),
        }
        FunctionOp::Flush
    } else if is(sub, "list") {
        let (mut pattern, mut with_code) = (None, false);
        let mut i = 2;
        while i < args.len() {
            let a = &args[i];
            if !with_code && is(a, "withcode") {
                with_code = true;
            } else if pattern.is_none() && is(a, "libraryname") {
                if i + 1 >= args.len() {
                    return Err(ParseError::Message(
                        "ERR library name argument was not given",
                    ));
                }
                i += 1;
                pattern = Some(args[i].clone());
            } else {
                return Err(ParseError::Owned(format!(
                    "ERR Unknown argument {}",
                    String::from_utf8_lossy(a)
                )));
            }
            i += 1;
        }
        FunctionOp::List { pattern, with_code }
    } else if is(sub, "dump") {
        arity(args.len() == 2, "function|dump")?;
        FunctionOp::Dump
    } else if is(sub, "restore") {
        arity(args.len() >= 3, "function|restore")?;
        let policy = match args.get(3) {
            _ if args.len() > 4 => return Err(subcommand_syntax(sub)),
            None => RestorePolicy::Append,
            Some(p) if is(p, "flush") => RestorePolicy::Flush,
            Some(p) if is(p, "append") => RestorePolicy::Append,
            Some(p) if is(p, "replace") => RestorePolicy::Replace,
            Some(_) => return Err(ParseError::Message(
                "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
            )),
        };
        FunctionOp::Restore {
            payload: args[2].clone(),
            policy,
        }
    } else if is(sub, "stats") {
        arity(args.len() == 2, "function|stats")?;
        FunctionOp::Stats
    } else {
        return Err(ParseError::UnknownSubcommand {
            container: "FUNCTION",
            sub: sub.clone(),
        });
    };
    Ok(Op::Function(op))
}

fn parse_fcall(args: &[Bytes], read_only: bool) -> Result<Op, ParseError> {
    // Redis's own text for a numkeys that is not an integer.
    let numkeys =
        super::parse_i64(&args[2]).ok_or(ParseError::Message("ERR Bad number of keys provided"))?;
    if numkeys < 0 {
        return Err(ParseError::NegativeKeys);
    }
    let rest = &args[3..];
    let numkeys = usize::try_from(numkeys).unwrap_or(usize::MAX);
    if numkeys > rest.len() {
        return Err(ParseError::TooManyKeys);
    }
    Ok(Op::FCall {
        name: args[1].clone(),
        keys: rest[..numkeys].to_vec(),
        argv: rest[numkeys..].to_vec(),
        read_only,
    })
}

pub(super) fn parse_fcall_rw(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    parse_fcall(args, false)
}
pub(super) fn parse_fcall_ro(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    parse_fcall(args, true)
}

/// FCALL's keys: the `numkeys` arguments after it.
pub(super) fn fcall_keys(args: &[Bytes]) -> &[Bytes] {
    numkeys_keys(args, 2)
}

/// LOAD and RESTORE are scripts; LIST, DUMP and STATS read; DELETE and
/// FLUSH write.
pub(super) const EXEC_FUNCTION: Exec = Exec::ReadOrWrite {
    kind: |op| match op {
        Op::Function(FunctionOp::Load { .. } | FunctionOp::Restore { .. }) => Kind::Script,
        Op::Function(FunctionOp::List { .. } | FunctionOp::Dump | FunctionOp::Stats) => Kind::Read,
        _ => Kind::Write,
    },
    read: |op, ks| match op {
        Op::Function(FunctionOp::List { pattern, with_code }) => {
            list(ks.raw, pattern.as_deref(), *with_code)
        }
        Op::Function(FunctionOp::Dump) => Reply::Bulk(dump(ks.raw)),
        Op::Function(FunctionOp::Stats) => stats(ks.raw),
        _ => mismatch(),
    },
    write: |op, ks| match op {
        Op::Function(FunctionOp::Delete { library }) => delete(ks, library),
        Op::Function(FunctionOp::Flush) => flush(ks),
        _ => mismatch(),
    },
};

/// Every library, in name order.
pub fn libraries<G: RawGet + ?Sized>(raw: &G) -> Vec<LibraryRecord> {
    let mut libs = Vec::new();
    raw.raw_scan(FUNCTION_PREFIX, &mut |k, v| {
        if !k.starts_with(FUNCTION_PREFIX) {
            return false;
        }
        libs.extend(LibraryRecord::decode(v));
        true
    });
    libs
}

/// The library `name` (names are case-sensitive, as in Redis).
pub fn library<G: RawGet + ?Sized>(raw: &G, name: &str) -> Option<LibraryRecord> {
    raw.raw_get(&library_key(name))
        .and_then(|v| LibraryRecord::decode(&v))
}

/// The library that registered the function `name` (any case), and the
/// function as registered.
pub fn find_function<G: RawGet + ?Sized>(
    raw: &G,
    name: &[u8],
) -> Option<(LibraryRecord, Registered)> {
    let name = std::str::from_utf8(name).ok()?;
    let owner = raw.raw_get(&function_key(name))?;
    let lib = library(raw, std::str::from_utf8(&owner).ok()?)?;
    let f = lib
        .functions
        .iter()
        .find(|f| f.name.eq_ignore_ascii_case(name))?
        .clone();
    Some((lib, f))
}

fn unlink<W: RawWrite + ?Sized>(raw: &mut W, lib: &LibraryRecord) {
    for f in &lib.functions {
        raw.raw_delete(function_key(&f.name));
    }
    raw.raw_delete(library_key(&lib.name));
}

fn link<W: RawWrite + ?Sized>(raw: &mut W, lib: &LibraryRecord) {
    for f in &lib.functions {
        raw.raw_put(function_key(&f.name), Bytes::from(lib.name.clone()));
    }
    raw.raw_put(library_key(&lib.name), lib.encode());
}

/// The first function of `libs` another library (outside `libs`)
/// registered already: Redis's collision error.
fn collision<G: RawGet + ?Sized>(raw: &G, libs: &[LibraryRecord]) -> Option<String> {
    libs.iter().find_map(|lib| {
        lib.functions.iter().find_map(|f| {
            raw.raw_get(&function_key(&f.name))
                .map(|_| format!("ERR Function {} already exists", f.name))
        })
    })
}

/// FUNCTION LOAD's check before the engine runs anything: the metadata and,
/// without REPLACE, that the library is new. The library's name.
pub fn check_load<G: RawGet + ?Sized>(
    raw: &G,
    code: &[u8],
    replace: bool,
) -> Result<String, String> {
    let meta = super::shebang::library_meta(code)?;
    if !replace && raw.raw_get(&library_key(&meta.name)).is_some() {
        return Err(format!("ERR Library '{}' already exists", meta.name));
    }
    Ok(meta.name)
}

/// FUNCTION LOAD, after the engine registered `functions`: replace the old
/// library of that name (REPLACE was checked by [`check_load`]) unless a
/// function collides with another library's. Replies the library's name.
pub fn install<W: RawWrite + ?Sized>(
    raw: &mut W,
    name: String,
    code: Bytes,
    functions: Vec<Registered>,
) -> Reply {
    let lib = LibraryRecord {
        name,
        engine: "LUA".into(),
        code,
        functions,
    };
    if let Some(old) = library(raw, &lib.name) {
        unlink(raw, &old);
    }
    if let Some(e) = collision(raw, std::slice::from_ref(&lib)) {
        return Reply::err(e);
    }
    link(raw, &lib);
    Reply::bulk(lib.name)
}

/// FUNCTION RESTORE, after the engine loaded every library of the payload
/// (Redis's `libraryJoin`): library names first, then function names.
/// A failure is an error reply; the node then writes nothing.
pub fn restore<W: RawWrite + ?Sized>(
    raw: &mut W,
    libs: Vec<LibraryRecord>,
    policy: RestorePolicy,
) -> Reply {
    if policy == RestorePolicy::Flush {
        flush_raw(raw);
    }
    for lib in &libs {
        if let Some(old) = library(raw, &lib.name) {
            if policy == RestorePolicy::Append {
                return Reply::err(format!("ERR Library {} already exists", lib.name));
            }
            unlink(raw, &old);
        }
    }
    if let Some(e) = collision(raw, &libs) {
        return Reply::err(e);
    }
    for lib in &libs {
        link(raw, lib);
    }
    Reply::ok()
}

/// FUNCTION DELETE name
pub fn delete<W: RawWrite + ?Sized>(ks: &mut KeyspaceWrite<'_, W>, name: &[u8]) -> Reply {
    let lib = std::str::from_utf8(name)
        .ok()
        .and_then(|n| library(&*ks.raw, n));
    match lib {
        Some(lib) => {
            unlink(ks.raw, &lib);
            Reply::ok()
        }
        None => Reply::err("ERR Library not found"),
    }
}

fn flush_raw<W: RawWrite + ?Sized>(raw: &mut W) {
    for prefix in [FUNCTION_PREFIX, FUNCTION_NAME_PREFIX] {
        let mut keys = Vec::new();
        raw.raw_scan(prefix, &mut |k, _| {
            if !k.starts_with(prefix) {
                return false;
            }
            keys.push(k.clone());
            true
        });
        for k in keys {
            raw.raw_delete(k);
        }
    }
}

/// FUNCTION FLUSH: every library goes (FLUSHALL keeps them, as Redis does).
pub fn flush<W: RawWrite + ?Sized>(ks: &mut KeyspaceWrite<'_, W>) -> Reply {
    flush_raw(ks.raw);
    Reply::ok()
}

fn function_entry(f: &Registered) -> Reply {
    Reply::Map(vec![
        (Reply::bulk("name"), Reply::bulk(f.name.clone())),
        (
            Reply::bulk("description"),
            f.description.clone().map_or(Reply::Nil, Reply::bulk),
        ),
        (
            Reply::bulk("flags"),
            Reply::Set(
                ScriptFlags(f.flags)
                    .names()
                    .map(|n| Reply::Status(n.into()))
                    .collect(),
            ),
        ),
    ])
}

/// FUNCTION LIST: the libraries whose name matches `pattern` (Redis
/// matches it case-insensitively), in name order.
pub fn list<G: RawGet + ?Sized>(raw: &G, pattern: Option<&[u8]>, with_code: bool) -> Reply {
    let pattern = pattern.map(|p| p.to_ascii_lowercase());
    Reply::Array(
        libraries(raw)
            .into_iter()
            .filter(|lib| {
                pattern.as_ref().is_none_or(|p| {
                    super::glob::glob_match(p, lib.name.to_ascii_lowercase().as_bytes())
                })
            })
            .map(|lib| {
                let mut entry = vec![
                    (Reply::bulk("library_name"), Reply::bulk(lib.name.clone())),
                    (Reply::bulk("engine"), Reply::bulk(lib.engine.clone())),
                    (
                        Reply::bulk("functions"),
                        Reply::Array(lib.functions.iter().map(function_entry).collect()),
                    ),
                ];
                if with_code {
                    entry.push((Reply::bulk("library_code"), Reply::Bulk(lib.code.clone())));
                }
                Reply::Map(entry)
            })
            .collect(),
    )
}

/// FUNCTION STATS as the node knows it: no script is running while the
/// node answers (it runs them itself), and the library counts.
pub fn stats<G: RawGet + ?Sized>(raw: &G) -> Reply {
    let libs = libraries(raw);
    let functions: usize = libs.iter().map(|l| l.functions.len()).sum();
    let count = |n: usize| Reply::Integer(i64::try_from(n).unwrap_or(i64::MAX));
    Reply::Map(vec![
        (Reply::bulk("running_script"), Reply::Nil),
        (
            Reply::bulk("engines"),
            Reply::Map(vec![(
                Reply::bulk("LUA"),
                Reply::Map(vec![
                    (Reply::bulk("libraries_count"), count(libs.len())),
                    (Reply::bulk("functions_count"), count(functions)),
                ]),
            )]),
        ),
    ])
}

/// fencekv's FUNCTION DUMP payload: a magic, a version, the libraries'
/// codes (bincode), and the first 8 bytes of the SHA-1 of all that.
const DUMP_MAGIC: &[u8] = b"FKVFN";
const DUMP_VERSION: u8 = 1;
const DUMP_SUM_LEN: usize = 8;
pub const BAD_PAYLOAD: &str = "ERR DUMP payload version or checksum are wrong";

fn checksum(body: &[u8]) -> Vec<u8> {
    sha1_smol::Sha1::from(body).digest().bytes()[..DUMP_SUM_LEN].to_vec()
}

/// FUNCTION DUMP: every library's code.
pub fn dump<G: RawGet + ?Sized>(raw: &G) -> Bytes {
    let codes: Vec<Bytes> = libraries(raw).into_iter().map(|l| l.code).collect();
    let mut b = BytesMut::new();
    b.put_slice(DUMP_MAGIC);
    b.put_u8(DUMP_VERSION);
    if let Ok(enc) = bincode::serde::encode_to_vec(&codes, bincode::config::standard()) {
        b.put_slice(&enc);
    }
    let sum = checksum(&b);
    b.put_slice(&sum);
    b.freeze()
}

/// The libraries' codes in a FUNCTION DUMP payload; `Err` with Redis's text
/// for anything else.
pub fn undump(payload: &[u8]) -> Result<Vec<Bytes>, &'static str> {
    let head = DUMP_MAGIC.len() + 1;
    if payload.len() < head + DUMP_SUM_LEN
        || !payload.starts_with(DUMP_MAGIC)
        || payload[DUMP_MAGIC.len()] != DUMP_VERSION
    {
        return Err(BAD_PAYLOAD);
    }
    let (body, sum) = payload.split_at(payload.len() - DUMP_SUM_LEN);
    if checksum(body) != sum {
        return Err(BAD_PAYLOAD);
    }
    bincode::serde::decode_from_slice(&body[head..], bincode::config::standard())
        .map(|(codes, _)| codes)
        .map_err(|_| BAD_PAYLOAD)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dump_round_trips_and_refuses_a_corrupt_payload() {
        let mut store = std::collections::BTreeMap::<Vec<u8>, Bytes>::new();
        let lib = LibraryRecord {
            name: "lib".into(),
            engine: "LUA".into(),
            code: Bytes::from_static(b"#!lua name=lib\nx"),
            functions: vec![],
        };
        store.insert(library_key("lib").to_vec(), lib.encode());
        let payload = dump(&store);
        assert_eq!(undump(&payload), Ok(vec![lib.code.clone()]));
        let mut bad = payload.to_vec();
        let n = bad.len();
        bad[n - 9] ^= 1;
        assert_eq!(undump(&bad), Err(BAD_PAYLOAD));
        assert_eq!(undump(b"bad_payload"), Err(BAD_PAYLOAD));
    }
}
