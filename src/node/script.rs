//! Scripts (spec §8): a run after its fence, at one `start_ts`; the `Txn`
//! entry a writing script proposes; and what its commit's outcome means —
//! the answer, or a new run after a conflict, up to `script_retries` times.

use super::apply::Applied;
use super::msg::ClientMsg;
use super::state::{PendingRead, PendingTxn, ScriptRun};
use super::step::Step;
use bytes::Bytes;

use crate::cmd::def::Exec;
use crate::cmd::functions::{self, FunctionOp, LibraryRecord};
use crate::cmd::multi::watch_broken;
use crate::cmd::scripting::{ScriptRef, NOSCRIPT};
use crate::cmd::shebang::{eval_flags, library_meta, ScriptFlags};
use crate::cmd::{table, Kind, Op, ParseCtx};
use crate::modes::{ReadFence, Watch};
use crate::raft::{ClientSeq, Entry, Payload};
use crate::resp::Reply;
use crate::script::context::{script_key, sha1_hex, ScriptCtx};
use crate::script::{Engine, FunctionCall, Interrupted, Invocation};
use crate::strings::RawGet;

/// What became of a script that passed a fence.
pub(super) enum ScriptStep {
    /// Answered (or gave up).
    Done,
    /// It wrote: its `Txn` is among the proposals.
    Proposed,
    /// Per-call mode: back in the queue for another fence.
    NeedsFence,
}

/// Run one EVAL-family script over `ctx`: find its body (EVALSHA: in the
/// replicated cache, as the snapshot or this transaction's own writes have
/// it), run it, and buffer the body's cache entry if it is new. A script
/// that fails leaves `ctx`'s buffer as it found it.
fn run_eval<G: RawGet + ?Sized>(
    engine: &dyn Engine,
    ctx: &mut ScriptCtx<'_, G>,
    script: &ScriptRef,
    keys: &[Bytes],
    argv: &[Bytes],
    read_only: bool,
) -> Result<Reply, Interrupted> {
    let (body, sha, cached) = match script {
        ScriptRef::Body(body) => {
            let sha = sha1_hex(body);
            let cached = ctx.cached_script(&script_key(&sha)).is_some();
            (body.clone(), sha, cached)
        }
        ScriptRef::Sha(sha) => match ctx.cached_script(&script_key(sha)) {
            Some(body) => (body, sha.clone(), true),
            None => return Ok(Reply::err(NOSCRIPT)),
        },
    };
    // Redis 7.0's shebang (spec FN-5): a script that declares its flags
    // may write unless it says `no-writes`, and then an *_RO call refuses
    // it before it runs; one without a shebang keeps Redis 6's rules.
    let flags = match eval_flags(&body) {
        Ok(flags) => flags,
        Err(text) => return Ok(Reply::err(text)),
    };
    let mut read_only = read_only;
    if !flags.has(ScriptFlags::EVAL_COMPAT) {
        let no_writes = flags.has(ScriptFlags::NO_WRITES);
        if read_only && !no_writes {
            return Ok(Reply::err(functions::WRITE_FLAG_ON_RO));
        }
        read_only |= no_writes;
    }
    let inv = Invocation {
        body: &body,
        sha: &sha,
        keys,
        argv,
        read_only,
    };
    let before = ctx.checkpoint();
    let reply = engine.run(&inv, ctx)?;
    if reply.is_error() {
        ctx.restore(before);
    } else if !cached {
        // EVAL caches its body, through the log like any write, so
        // EVALSHA finds it on every replica and after failover.
        ctx.buffer_put(script_key(&sha), body.clone());
    }
    Ok(reply)
}

/// Run one FCALL over `ctx` (spec FN-2): the function and its library are
/// read from the snapshot like any key (so the commit validates them), a
/// write-flagged function refuses FCALL_RO, a `no-writes` one runs
/// read-only. A function that fails leaves `ctx`'s buffer as it found it.
fn run_fcall<G: RawGet + ?Sized>(
    engine: &dyn Engine,
    ctx: &mut ScriptCtx<'_, G>,
    name: &Bytes,
    keys: &[Bytes],
    argv: &[Bytes],
    read_only: bool,
) -> Result<Reply, Interrupted> {
    let Some((lib, f)) = functions::find_function(&*ctx, name) else {
        return Ok(Reply::err(functions::NOT_FOUND));
    };
    let flags = ScriptFlags(f.flags);
    let no_writes = flags.has(ScriptFlags::NO_WRITES);
    if read_only && !no_writes {
        return Ok(Reply::err(functions::WRITE_FLAG_ON_RO));
    }
    // The command line FUNCTION STATS shows.
    let mut command = vec![
        Bytes::from_static(if read_only { b"fcall_ro" } else { b"fcall" }),
        name.clone(),
        Bytes::from(keys.len().to_string()),
    ];
    command.extend(keys.iter().chain(argv).cloned());
    let call = FunctionCall {
        code: &lib.code,
        function: &f.name,
        command: &command,
        keys,
        argv,
        read_only: read_only || no_writes,
    };
    let before = ctx.checkpoint();
    let reply = engine.call_function(&call, ctx)?;
    if reply.is_error() {
        ctx.restore(before);
    }
    Ok(reply)
}

/// A library as the engine registers it: its metadata checked, its code run.
fn load_record(engine: &dyn Engine, code: &Bytes) -> Result<LibraryRecord, String> {
    let meta = library_meta(code)?;
    let functions = engine.load_library(code)?;
    Ok(LibraryRecord {
        name: meta.name,
        engine: "LUA".into(),
        code: code.clone(),
        functions,
    })
}

/// FUNCTION LOAD and RESTORE over `ctx` (spec FN-1): the engine runs each
/// library's registration (deterministic, so every re-run registers the
/// same functions); the records and the function index are buffered writes.
fn run_function_admin<G: RawGet + ?Sized>(
    engine: &dyn Engine,
    ctx: &mut ScriptCtx<'_, G>,
    op: &FunctionOp,
) -> Reply {
    match op {
        FunctionOp::Load { code, replace } => {
            let name = match functions::check_load(&*ctx, code, *replace) {
                Ok(name) => name,
                Err(text) => return Reply::err(text),
            };
            match engine.load_library(code) {
                Ok(registered) => functions::install(ctx, name, code.clone(), registered),
                Err(text) => Reply::err(text),
            }
        }
        FunctionOp::Restore { payload, policy } => {
            let codes = match functions::undump(payload) {
                Ok(codes) => codes,
                Err(text) => return Reply::err(text),
            };
            let mut libs = Vec::with_capacity(codes.len());
            for code in &codes {
                match load_record(engine, code) {
                    Ok(lib) => libs.push(lib),
                    Err(text) => return Reply::err(text),
                }
            }
            let before = ctx.checkpoint();
            let reply = functions::restore(ctx, libs, *policy);
            if reply.is_error() {
                ctx.restore(before);
            }
            reply
        }
        _ => Reply::err("ERR not a script"),
    }
}

/// Run a parsed command of kind [`Kind::Script`] over `ctx`.
fn run_script_op<G: RawGet + ?Sized>(
    engine: &dyn Engine,
    ctx: &mut ScriptCtx<'_, G>,
    op: &Op,
) -> Result<Reply, Interrupted> {
    match op {
        Op::Eval {
            script,
            keys,
            argv,
            read_only,
        } => run_eval(engine, ctx, script, keys, argv, *read_only),
        Op::FCall {
            name,
            keys,
            argv,
            read_only,
        } => run_fcall(engine, ctx, name, keys, argv, *read_only),
        Op::Function(f) => Ok(run_function_admin(engine, ctx, f)),
        _ => Ok(Reply::err("ERR not a script")),
    }
}

/// Run an EXEC's queued requests over `ctx`, in order (spec TX-1): each
/// answers in the reply's array, an error included, as in Redis; a script
/// among them runs as EVAL does.
fn run_queued<G: RawGet + ?Sized>(
    engine: &dyn Engine,
    ctx: &mut ScriptCtx<'_, G>,
    cmds: &[Vec<Bytes>],
    now_ms: u64,
) -> Result<Reply, Interrupted> {
    let mut replies = Vec::with_capacity(cmds.len());
    for args in cmds {
        let Some(name) = args.first() else {
            continue;
        };
        let eval = table::lookup(name).filter(|d| {
            (matches!(d.exec, Exec::Script) || d.name == "function") && d.name != "exec"
        });
        let reply = match eval {
            Some(def) => {
                let parse_ctx = ParseCtx {
                    now_ms,
                    ..ParseCtx::default()
                };
                match def.parse_args(args, &parse_ctx) {
                    Ok(cmd) if cmd.kind() == Kind::Script => run_script_op(engine, ctx, &cmd.op)?,
                    // FUNCTION LIST, DELETE, …: as any other command.
                    Ok(_) => ctx.call_in_exec(args)?,
                    Err(e) => e.reply(args),
                }
            }
            None if name.eq_ignore_ascii_case(b"unwatch") => Reply::ok(),
            None => ctx.call_in_exec(args)?,
        };
        replies.push(reply);
    }
    Ok(Reply::Array(replies))
}

/// Whether `reply` is [`script_gave_up`]'s.
pub fn is_script_gave_up(reply: &Reply) -> bool {
    reply
        .error_text()
        .is_some_and(|e| e.starts_with("TRYAGAIN script conflicted"))
}

/// The error a script gets after `attempts` runs that all conflicted.
pub fn script_gave_up(attempts: u32) -> Reply {
    Reply::err(format!(
        "TRYAGAIN script conflicted with concurrent writes on {attempts} attempts; nothing was written"
    ))
}

impl Step<'_, '_> {
    /// Run a script that passed a fence (spec §8): `start_ts` is taken now,
    /// after the fence, unless an earlier fence of this attempt took it
    /// (per-call mode) or the `BeforeFence` gap took it on arrival. Every
    /// read is served from the snapshot at `start_ts`, with no further
    /// leader check. A script that wrote nothing answers at once; one that
    /// wrote adds its `Txn` payload (and who waits for it) to `proposals`,
    /// which [`Step::propose_txns`] appends.
    pub(super) fn run_script(
        &mut self,
        mut r: PendingRead,
        proposals: &mut Vec<(Payload, PendingTxn)>,
    ) -> ScriptStep {
        let cfg = self.cfg();
        let s = self.state.to_mut();
        let mut run = r.script.take().unwrap_or_default();
        let pin = match run.start_ts.take().or(r.early_start_ts.take()) {
            Some(pin) => pin,
            None => s.store.pin(s.applied),
        };
        let start_ts = pin.ts();
        run.fences += 1;
        s.stats.read_fences += 1;
        s.stats.script_fences += 1;
        s.stats.last_read_term = s.term();
        let snap = s.store.snapshot(start_ts);
        let per_call = (cfg.modes.read_fence == ReadFence::PerCall).then_some(run.fences);
        let mut ctx = ScriptCtx::new(&snap, r.now_ms, cfg.modes.chain(), per_call);
        let ran = match &r.cmd.op {
            Op::Multi { cmds, watched } => {
                // A watched key touched before the snapshot: Redis's nil,
                // nothing run (spec TX-2). The commit checks again.
                let checked = cfg.modes.watch == Watch::Validated;
                if checked && watch_broken(&s.store, watched, r.now_ms, cfg.modes.chain(), start_ts)
                {
                    s.store.unpin(pin);
                    s.stats.script_attempts += 1;
                    s.stats.watch_aborts += 1;
                    self.answer_script(&r, Reply::NilArray);
                    return ScriptStep::Done;
                }
                run_queued(&*cfg.engine, &mut ctx, cmds, r.now_ms)
            }
            op => run_script_op(&*cfg.engine, &mut ctx, op),
        };
        let Ok(reply) = ran else {
            // Per-call mode: this read needs a fence of its own first.
            r.read_index = None;
            r.round = None;
            r.ask = None;
            run.start_ts = Some(pin);
            r.script = Some(run);
            s.reads.push(r);
            return ScriptStep::NeedsFence;
        };
        s.stats.script_attempts += 1;
        s.stats.script_bare_reads += u64::from(ctx.bare_reads());
        s.store.unpin(pin);
        if reply.is_error() {
            // A failing script writes nothing (not even the cache entry).
            self.answer_script(&r, reply);
            return ScriptStep::Done;
        }
        if !ctx.wrote() {
            self.answer_script(&r, reply);
            return ScriptStep::Done;
        }
        let fx = ctx.into_effects();
        let mut txn = Payload::Txn {
            start_ts,
            read_set: fx.read_set,
            read_ranges: fx.read_ranges,
            write_set: fx.write_set,
            seq: r.dedup.then_some(ClientSeq {
                client: r.client,
                req: r.req,
            }),
            reply,
        };
        if let Op::Multi { watched, .. } = &r.cmd.op {
            if !watched.is_empty() {
                txn = Payload::Watched {
                    now_ms: r.now_ms,
                    watched: watched.clone(),
                    txn: Box::new(txn),
                };
            }
        }
        let waiting = PendingTxn {
            client: r.client,
            req: r.req,
            now_ms: r.now_ms,
            cmd: r.cmd,
            dedup: r.dedup,
            attempt: run.attempt,
        };
        proposals.push((txn, waiting));
        ScriptStep::Proposed
    }

    /// Append the `Txn` entries of the scripts that wrote, with one `Save`.
    pub(super) fn propose_txns(&mut self, txns: Vec<(Payload, PendingTxn)>) {
        let appended: Vec<_> = self.save(|d| {
            txns.into_iter()
                .map(|(payload, waiting)| {
                    let entry = Entry {
                        term: d.term,
                        payload,
                    };
                    (d.log.append(entry), waiting)
                })
                .collect()
        });
        let s = self.state.to_mut();
        for (index, waiting) in appended {
            s.txns.insert(index, waiting);
        }
    }

    fn answer_script(&mut self, r: &PendingRead, reply: Reply) {
        self.state.to_mut().stats.scripts_run += 1;
        self.send(r.client, ClientMsg::Reply { req: r.req, reply });
    }

    /// A script's `Txn` applied on this leader: answer it, or run it again
    /// after a conflict (a new fence, a new `start_ts`).
    pub(super) fn txn_applied(&mut self, p: PendingTxn, applied: Applied) {
        let retries = self.cfg().script_retries;
        let s = self.state.to_mut();
        let reply = match applied {
            Applied::Reply(Reply::NilArray) if matches!(p.cmd.op, Op::Multi { .. }) => {
                s.stats.scripts_run += 1;
                s.stats.watch_aborts += 1;
                Reply::NilArray
            }
            Applied::Reply(reply) => {
                s.stats.scripts_run += 1;
                s.stats.script_commits += 1;
                reply
            }
            // A `Txn` is never a blocking pop: `Blocked` cannot come here.
            Applied::Conflict | Applied::Blocked if p.attempt >= retries => {
                s.stats.script_conflicts += 1;
                s.stats.scripts_run += 1;
                s.stats.scripts_gave_up += 1;
                script_gave_up(p.attempt + 1)
            }
            Applied::Conflict | Applied::Blocked => {
                s.stats.script_conflicts += 1;
                s.stats.script_retries += 1;
                s.reads.push(PendingRead {
                    client: p.client,
                    req: p.req,
                    now_ms: p.now_ms,
                    cmd: p.cmd,
                    read_index: None,
                    round: None,
                    early_start_ts: None,
                    script: Some(ScriptRun {
                        attempt: p.attempt + 1,
                        ..ScriptRun::default()
                    }),
                    dedup: p.dedup,
                    ask: None,
                });
                return;
            }
        };
        self.send(p.client, ClientMsg::Reply { req: p.req, reply });
    }
}

#[cfg(test)]
mod tests {
    //! Scripts on a single node, driven step by step: what a failing script
    //! leaves behind, and the script cache.

    use super::super::single_node::One;
    use super::*;

    fn one() -> One {
        One::with(|c| c.script_retries = 8)
    }

    #[test]
    fn a_failing_script_writes_nothing() {
        let mut one = one();
        one.request(1, 0, "EVAL set_a_1;_set_s_abc;_incrby_s_1 0");
        one.settle();
        assert!(one.reply(1).is_some_and(Reply::is_error));
        one.request(2, 0, "EVAL get_a;_get_s 0");
        one.settle();
        assert_eq!(
            one.reply(2),
            Some(&Reply::Array(vec![Reply::Nil, Reply::Nil])),
            "neither write of the failed script is visible"
        );
    }

    #[test]
    fn eval_caches_its_body_and_evalsha_finds_it() {
        let mut one = one();
        let sha = sha1_hex(b"get k");
        one.request(1, 0, &format!("EVALSHA {sha} 0"));
        one.settle();
        assert_eq!(one.reply(1), Some(&Reply::err(NOSCRIPT)));
        one.request(2, 0, "EVAL get_k 0");
        one.settle();
        one.request(3, 0, &format!("EVALSHA {sha} 0"));
        one.settle();
        assert_eq!(one.reply(3), Some(&Reply::Array(vec![Reply::Nil])));
        one.request(4, 0, "SCRIPT FLUSH");
        one.settle();
        one.request(5, 0, &format!("EVALSHA {sha} 0"));
        one.settle();
        assert_eq!(one.reply(5), Some(&Reply::err(NOSCRIPT)));
    }
}
