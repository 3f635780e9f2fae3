//! EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT LOAD/EXISTS/FLUSH: parsing
//! with Redis 7.0's errors, and the cache commands' semantics over the
//! keyspace view. The cache is ordinary replicated data under
//! `!redis|script|<sha>` ([`crate::script::context::SCRIPT_PREFIX`]), so it
//! survives failover. Running a script is the node's business
//! ([`crate::node`]): fence, `start_ts`, engine, commit.
//!
//! SCRIPT KILL is not here: it acts on the running process, not on data, so
//! the server answers it.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::args::{int_arg, is};
use super::{Command, ParseCtx};
use crate::resp::Reply;
use crate::script::context::{script_key, sha1_hex, SCRIPT_PREFIX};
use crate::strings::{KeyspaceRead, KeyspaceWrite, RawGet, RawWrite};

pub const NOSCRIPT: &str = "NOSCRIPT No matching script. Please use EVAL.";

/// Which script a call names.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ScriptRef {
    /// EVAL: the body itself.
    Body(Bytes),
    /// EVALSHA: a SHA-1 (lowercased), looked up in the replicated cache.
    Sha(String),
}

fn parse_call(args: &[Bytes], sha: bool, read_only: bool) -> Result<Command, Reply> {
    let numkeys = int_arg(&args[2])?;
    if numkeys < 0 {
        return Err(Reply::err("ERR Number of keys can't be negative"));
    }
    let rest = &args[3..];
    let numkeys = usize::try_from(numkeys).unwrap_or(usize::MAX);
    if numkeys > rest.len() {
        return Err(Reply::err(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    let script = if sha {
        ScriptRef::Sha(String::from_utf8_lossy(&args[1]).to_ascii_lowercase())
    } else {
        ScriptRef::Body(args[1].clone())
    };
    Ok(Command::Eval {
        script,
        keys: rest[..numkeys].to_vec(),
        argv: rest[numkeys..].to_vec(),
        read_only,
    })
}

pub(super) fn parse_eval(args: &[Bytes], _: &ParseCtx) -> Result<Command, Reply> {
    parse_call(args, false, false)
}
pub(super) fn parse_evalsha(args: &[Bytes], _: &ParseCtx) -> Result<Command, Reply> {
    parse_call(args, true, false)
}
pub(super) fn parse_eval_ro(args: &[Bytes], _: &ParseCtx) -> Result<Command, Reply> {
    parse_call(args, false, true)
}
pub(super) fn parse_evalsha_ro(args: &[Bytes], _: &ParseCtx) -> Result<Command, Reply> {
    parse_call(args, true, true)
}

/// `SCRIPT LOAD|EXISTS|FLUSH` (KILL and HELP are the server's).
pub(super) fn parse_script(args: &[Bytes], _: &ParseCtx) -> Result<Command, Reply> {
    let sub = &args[1];
    let arity = |ok: bool| {
        if ok {
            Ok(())
        } else {
            Err(Reply::err(format!(
                "ERR wrong number of arguments for 'script|{}' command",
                String::from_utf8_lossy(sub).to_ascii_lowercase()
            )))
        }
    };
    if is(sub, "load") {
        arity(args.len() == 3)?;
        Ok(Command::ScriptLoad {
            body: args[2].clone(),
        })
    } else if is(sub, "exists") {
        arity(args.len() >= 3)?;
        Ok(Command::ScriptExists {
            shas: args[2..].to_vec(),
        })
    } else if is(sub, "flush") {
        // Redis's arity for script|flush is -2: extra arguments get the
        // option error, not the arity one.
        let mode_ok = match &args[2..] {
            [] => true,
            [mode] => is(mode, "sync") || is(mode, "async"),
            _ => false,
        };
        if !mode_ok {
            return Err(Reply::err(
                "ERR SCRIPT FLUSH only support SYNC|ASYNC option",
            ));
        }
        Ok(Command::ScriptFlush)
    } else {
        Err(Reply::err(format!(
            "ERR unknown subcommand '{}'. Try SCRIPT HELP.",
            crate::resp::reply::errors::truncate_for_error(sub)
        )))
    }
}

/// SCRIPT LOAD: cache the body (the server checked that it compiles).
pub fn load<W: RawWrite + ?Sized>(ks: &mut KeyspaceWrite<'_, W>, body: &Bytes) -> Reply {
    let sha = sha1_hex(body);
    ks.raw.raw_put(script_key(&sha), body.clone());
    Reply::bulk(sha)
}

/// SCRIPT EXISTS sha...: 1 or 0 for each.
pub fn exists<G: RawGet + ?Sized>(ks: &KeyspaceRead<'_, G>, shas: &[Bytes]) -> Reply {
    Reply::Array(
        shas.iter()
            .map(|s| {
                let sha = String::from_utf8_lossy(s).to_ascii_lowercase();
                Reply::Integer(ks.raw.raw_get(&script_key(&sha)).is_some() as i64)
            })
            .collect(),
    )
}

/// SCRIPT FLUSH: empty the cache.
pub fn flush<W: RawWrite + ?Sized>(ks: &mut KeyspaceWrite<'_, W>) -> Reply {
    let mut keys = Vec::new();
    ks.raw.raw_scan(SCRIPT_PREFIX, &mut |k, _| {
        if !k.starts_with(SCRIPT_PREFIX) {
            return false;
        }
        keys.push(k.clone());
        true
    });
    for k in keys {
        ks.raw.raw_delete(k);
    }
    Reply::ok()
}
