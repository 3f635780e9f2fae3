//! The op-list engine: the small deterministic script form the model runs.
//!
//! A body is a list of steps separated by `;`:
//!
//! | step | does | replies |
//! |---|---|---|
//! | `get K` | `GET K` | the value, or nil |
//! | `set K V` | `SET K V` | `OK` |
//! | `del K` | `DEL K` | the count deleted |
//! | `incrby K N` | `INCRBY K N` | the new value |
//! | `if K nil` | `GET K`; stop unless it is absent | nothing |
//! | `if K = V` | `GET K`; stop unless it equals V | nothing |
//! | `if K >= N` | `GET K`; stop unless it is an integer ≥ N | nothing |
//! | `if none P*` | `KEYS P*`; stop unless no key starts with P | nothing |
//! | `rpush K V…`, `lpop K`, `lrange K A B`, `hset K F V`, `hgetall K`, … | the collection command of that name ([`COLLECTION_COMMANDS`]) | its reply; an array as `[a b]` |
//!
//! The reply is the array of the steps' replies up to where the script
//! stopped; an error reply from a command ends the script with that error,
//! as `redis.call` does. The steps run through the same [`Host`] as Lua's
//! `redis.call`, so the model checks the script context, the read chain and
//! the commit exactly as the server runs them. The sequential spec
//! (`crate::model::spec`) interprets the same steps over a plain map.

use bytes::Bytes;

use super::engine::{Engine, Host, Interrupted, Invocation};
use crate::resp::Reply;

/// The collection commands the model's clients and scripts use, with the
/// words they take (the sequential spec models exactly these):
/// `rpush K V…`, `lpush K V…`, `lpop K`, `rpop K`, `lrange K A B`,
/// `hset K F V`, `hget K F`, `hgetall K`, `sadd K M…`, `smembers K`,
/// `zadd K S M` (an integer score), `zrange K A B`.
pub const COLLECTION_COMMANDS: &[&str] = &[
    "rpush", "lpush", "lpop", "rpop", "lrange", "hset", "hget", "hgetall", "sadd", "smembers",
    "zadd", "zrange",
];

/// One step of an op-list script.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Step {
    Get(String),
    Set(String, String),
    Del(String),
    IncrBy(String, i64),
    IfNil(String),
    IfEq(String, String),
    IfAtLeast(String, i64),
    /// `if none P*`: the prefix P, without its `*`.
    IfNone(String),
    /// A collection command, its words as written.
    Cmd(Vec<String>),
}

/// Parse a body into its steps.
pub fn parse(body: &str) -> Result<Vec<Step>, String> {
    body.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            let w: Vec<&str> = s.split_whitespace().collect();
            let int = |n: &str| n.parse::<i64>().map_err(|_| format!("bad number in {s:?}"));
            Ok(match w.as_slice() {
                ["get", k] => Step::Get(k.to_string()),
                ["set", k, v] => Step::Set(k.to_string(), v.to_string()),
                ["del", k] => Step::Del(k.to_string()),
                ["incrby", k, n] => Step::IncrBy(k.to_string(), int(n)?),
                ["if", k, "nil"] => Step::IfNil(k.to_string()),
                ["if", k, "=", v] => Step::IfEq(k.to_string(), v.to_string()),
                ["if", k, ">=", n] => Step::IfAtLeast(k.to_string(), int(n)?),
                ["if", "none", p] => match p.strip_suffix('*') {
                    Some(prefix) if !prefix.contains(['*', '?', '[', '\\']) => {
                        Step::IfNone(prefix.to_string())
                    }
                    _ => return Err(format!("bad pattern in {s:?}: write a prefix and `*`")),
                },
                [name, _, ..] if COLLECTION_COMMANDS.contains(name) => {
                    Step::Cmd(w.iter().map(|x| x.to_string()).collect())
                }
                _ => return Err(format!("bad script step {s:?}")),
            })
        })
        .collect()
}

/// Whether a guard step holds given its GET's reply (`None`: not a guard).
fn guard(step: &Step, reply: &Reply) -> Option<bool> {
    let value = match reply {
        Reply::Bulk(b) => Some(b),
        _ => None,
    };
    Some(match step {
        Step::IfNil(_) => value.is_none(),
        Step::IfEq(_, v) => value.is_some_and(|b| b[..] == *v.as_bytes()),
        Step::IfNone(_) => matches!(reply, Reply::Array(keys) if keys.is_empty()),
        Step::IfAtLeast(_, n) => value
            .and_then(|b| std::str::from_utf8(b).ok())
            .and_then(|s| s.parse::<i64>().ok())
            .is_some_and(|v| v >= *n),
        _ => return None,
    })
}

/// The engine over op lists.
#[derive(Clone, Copy, Debug, Default)]
pub struct OpsEngine;

fn call(host: &mut dyn Host, args: &[&str], read_only: bool) -> Result<Reply, Interrupted> {
    let args: Vec<Bytes> = args
        .iter()
        .map(|a| Bytes::copy_from_slice(a.as_bytes()))
        .collect();
    host.call(&args, read_only)
}

impl Engine for OpsEngine {
    fn run(&self, inv: &Invocation<'_>, host: &mut dyn Host) -> Result<Reply, Interrupted> {
        let steps = match parse(&String::from_utf8_lossy(inv.body)) {
            Ok(steps) => steps,
            Err(e) => return Ok(Reply::err(format!("ERR {e}"))),
        };
        let ro = inv.read_only;
        let mut out = Vec::new();
        for step in &steps {
            let reply = match step {
                Step::Get(k) | Step::IfNil(k) | Step::IfEq(k, _) | Step::IfAtLeast(k, _) => {
                    call(host, &["GET", k], ro)?
                }
                Step::IfNone(prefix) => call(host, &["KEYS", &format!("{prefix}*")], ro)?,
                Step::Cmd(words) => {
                    let words: Vec<&str> = words.iter().map(String::as_str).collect();
                    call(host, &words, ro)?
                }
                Step::Set(k, v) => call(host, &["SET", k, v], ro)?,
                Step::Del(k) => call(host, &["DEL", k], ro)?,
                Step::IncrBy(k, n) => call(host, &["INCRBY", k, &n.to_string()], ro)?,
            };
            if reply.is_error() {
                return Ok(reply);
            }
            match guard(step, &reply) {
                Some(false) => break,
                Some(true) => {}
                None => out.push(reply),
            }
        }
        Ok(Reply::Array(out))
    }

    fn compile_check(&self, body: &[u8]) -> Result<(), String> {
        parse(&String::from_utf8_lossy(body))
            .map(|_| ())
            .map_err(|e| format!("ERR {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modes::ChainModes;
    use crate::mvcc::Mvcc;
    use crate::script::context::ScriptCtx;

    fn run(body: &str, store: &Mvcc) -> Reply {
        let snap = store.snapshot(store.last_ts());
        let mut ctx = ScriptCtx::new(&snap, 0, ChainModes::default(), None);
        let inv = Invocation {
            body: body.as_bytes(),
            sha: "",
            keys: &[],
            argv: &[],
            read_only: false,
        };
        OpsEngine.run(&inv, &mut ctx).unwrap_or(Reply::Nil)
    }

    #[test]
    fn steps_parse_and_run() {
        let m = Mvcc::new();
        assert_eq!(
            run(
                "set x 2; if x >= 1; incrby x -1; incrby y 1; get x; get z",
                &m
            ),
            Reply::Array(vec![
                Reply::ok(),
                Reply::Integer(1),
                Reply::Integer(1),
                Reply::bulk("1"),
                Reply::Nil
            ])
        );
        assert_eq!(
            run("if x nil; set y 1", &m),
            Reply::Array(vec![Reply::ok()])
        );
        assert_eq!(
            run("set x a; if x = b; set y 1", &m),
            Reply::Array(vec![Reply::ok()])
        );
        assert!(parse("frobnicate").is_err());
    }
}
