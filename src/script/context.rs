//! The script context: what a script's `redis.call` runs against.
//!
//! - Reads come from an MVCC snapshot at `start_ts` (never a fenced getter:
//!   the script's one fence came before `start_ts` was taken), through the
//!   same read chain as every other read, because commands run over this
//!   context as their raw store.
//! - Writes go to a buffer, so the script reads its own writes; nothing
//!   reaches the store until the script's `Txn` entry applies.
//! - Every internal key read from the snapshot joins the read set, every
//!   buffered key the write set: the commit validates both against
//!   `start_ts` (SC-2). A scan reads "everything".
//! - In per-call mode, each read command needs a fence of its own: the
//!   context allows as many read commands as fences have passed and
//!   interrupts the script at the next one, so the node can fence and run it
//!   again (the engine is deterministic, so the re-run makes the same calls).

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;

use super::engine::{Host, Interrupted};
use crate::cmd::{self, table, Kind, ParseCtx, ParseError};
use crate::modes::ChainModes;
use crate::mvcc::KeyRange;
use crate::resp::Reply;
use crate::strings::encoding::{classify, KeyKind};
use crate::strings::{KeyspaceWrite, RawGet, RawWrite};

/// The script cache's key format lives with the other internal key formats.
pub use crate::strings::encoding::{script_key, sha1_hex, SCRIPT_PREFIX};

pub mod errors {
    pub const UNKNOWN: &str = "ERR Unknown Redis command called from script";
    pub const ARITY: &str = "ERR Wrong number of args calling Redis command from script";
    pub const NOT_ALLOWED: &str = "ERR This Redis command is not allowed from script";
    pub const WRITE_IN_READ_ONLY: &str =
        "ERR Write commands are not allowed from read-only scripts.";
}

/// What a finished script leaves behind for the commit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Effects {
    /// Internal keys read from the snapshot.
    pub read_set: Vec<Bytes>,
    /// Raw key ranges scanned in the snapshot (KEYS, SCAN, a collection's
    /// elements), each from where the scan began to the last key it looked
    /// at: the commit validates them against phantoms.
    pub read_ranges: Vec<KeyRange>,
    /// Buffered writes, `None` a delete, in key order.
    pub write_set: Vec<(Bytes, Option<Bytes>)>,
    /// Read commands the script ran (per-call mode fences each one).
    pub read_calls: u32,
}

/// The context of one script run over a snapshot `G`.
pub struct ScriptCtx<'a, G: RawGet + ?Sized> {
    snapshot: &'a G,
    now_ms: u64,
    modes: ChainModes,
    buffer: BTreeMap<Bytes, Option<Bytes>>,
    read_set: RefCell<BTreeSet<Bytes>>,
    read_ranges: RefCell<Vec<KeyRange>>,
    read_calls: u32,
    /// Commands run so far: with the clock, the seed of the next one (a
    /// random outcome inside a script is logged as the script's writes).
    commands_run: u64,
    bare_reads: std::cell::Cell<u32>,
    /// Per-call mode: how many read commands may run before the next fence.
    reads_allowed: Option<u32>,
}

impl<'a, G: RawGet + ?Sized> ScriptCtx<'a, G> {
    /// A context over `snapshot` (taken at `start_ts`), at the request's clock.
    /// `reads_allowed`: `None` in once mode; in per-call mode, the fences
    /// passed so far.
    pub fn new(
        snapshot: &'a G,
        now_ms: u64,
        modes: ChainModes,
        reads_allowed: Option<u32>,
    ) -> Self {
        ScriptCtx {
            snapshot,
            now_ms,
            modes,
            buffer: BTreeMap::new(),
            read_set: RefCell::new(BTreeSet::new()),
            read_ranges: RefCell::new(Vec::new()),
            read_calls: 0,
            commands_run: 0,
            bare_reads: std::cell::Cell::new(0),
            reads_allowed,
        }
    }

    pub fn into_effects(self) -> Effects {
        Effects {
            read_set: self.read_set.into_inner().into_iter().collect(),
            read_ranges: self.read_ranges.into_inner(),
            write_set: self.buffer.into_iter().collect(),
            read_calls: self.read_calls,
        }
    }

    /// Values read from bare legacy keys (the model's "a read is served
    /// from a bare legacy key").
    pub fn bare_reads(&self) -> u32 {
        self.bare_reads.get()
    }

    /// Whether the script has buffered any write.
    pub fn wrote(&self) -> bool {
        !self.buffer.is_empty()
    }

    /// A script cache entry, from the buffer or the snapshot, kept out of
    /// the read set: an entry's value is fixed by its key, so reading one
    /// can never go stale (SC-5).
    pub fn cached_script(&self, key: &[u8]) -> Option<Bytes> {
        match self.buffer.get(key) {
            Some(v) => v.clone(),
            None => self.snapshot.raw_get(key),
        }
    }

    /// The write buffer as it is now, for [`ScriptCtx::restore`].
    pub fn checkpoint(&self) -> BTreeMap<Bytes, Option<Bytes>> {
        self.buffer.clone()
    }

    /// Drop the writes buffered since `checkpoint` (a failed script inside
    /// an EXEC writes nothing, as a failed EVAL does). What was read stays
    /// in the read set: validating more than needed is safe.
    pub fn restore(&mut self, checkpoint: BTreeMap<Bytes, Option<Bytes>>) {
        self.buffer = checkpoint;
    }

    /// Buffer a raw write directly (EVAL of a new body caches it this way).
    pub fn buffer_put(&mut self, key: Bytes, value: Bytes) {
        self.buffer.insert(key, Some(value));
    }
}

impl<G: RawGet + ?Sized> RawGet for ScriptCtx<'_, G> {
    fn raw_get(&self, key: &[u8]) -> Option<Bytes> {
        if let Some(v) = self.buffer.get(key) {
            return v.clone();
        }
        self.read_set
            .borrow_mut()
            .insert(Bytes::copy_from_slice(key));
        let value = self.snapshot.raw_get(key);
        if value.is_some() && matches!(classify(key), KeyKind::Bare(_)) {
            self.bare_reads.set(self.bare_reads.get() + 1);
        }
        value
    }

    /// A scan of the snapshot and the buffer merged, recorded as a range read.
    fn raw_scan(&self, from: &[u8], f: &mut dyn FnMut(&Bytes, &Bytes) -> bool) {
        // The range read runs to the last key the caller looked at, the one
        // that made it stop included; a scan that never stopped read to the
        // end of the keyspace.
        let mut last: Option<Bytes> = None;
        let mut stopped = false;
        let mut f = |k: &Bytes, v: &Bytes| {
            last = Some(k.clone());
            let go_on = f(k, v);
            stopped |= !go_on;
            go_on
        };
        self.merged_scan(from, &mut f);
        self.read_ranges.borrow_mut().push(KeyRange {
            from: Bytes::copy_from_slice(from),
            to: if stopped { last } else { None },
        });
    }
}

impl<G: RawGet + ?Sized> ScriptCtx<'_, G> {
    /// The snapshot and the buffer merged in key order, the buffer winning.
    fn merged_scan(&self, from: &[u8], f: &mut dyn FnMut(&Bytes, &Bytes) -> bool) {
        let mut buffered = self
            .buffer
            .range::<[u8], _>((std::ops::Bound::Included(from), std::ops::Bound::Unbounded))
            .peekable();
        let mut go_on = true;
        self.snapshot.raw_scan(from, &mut |k, v| {
            while let Some((bk, bv)) = buffered.peek() {
                if *bk > k {
                    break;
                }
                let same = *bk == k;
                if let Some(bv) = bv {
                    if !f(bk, bv) {
                        go_on = false;
                        return false;
                    }
                }
                buffered.next();
                if same {
                    return true; // the buffer's version replaced the snapshot's
                }
            }
            go_on = f(k, v);
            go_on
        });
        if go_on {
            for (bk, bv) in buffered {
                if let Some(bv) = bv {
                    if !f(bk, bv) {
                        break;
                    }
                }
            }
        }
    }
}

impl<G: RawGet + ?Sized> RawWrite for ScriptCtx<'_, G> {
    fn raw_put(&mut self, key: Bytes, value: Bytes) {
        self.buffer.insert(key, Some(value));
    }
    fn raw_delete(&mut self, key: Bytes) {
        self.buffer.insert(key, None);
    }
}

impl<G: RawGet + ?Sized> Host for ScriptCtx<'_, G> {
    fn call(&mut self, args: &[Bytes], read_only: bool) -> Result<Reply, Interrupted> {
        self.call_from(args, read_only, false)
    }
}

impl<G: RawGet + ?Sized> ScriptCtx<'_, G> {
    /// One command of an EXEC: as from a script, except that `noscript`
    /// keyspace commands run (a blocking pop inside MULTI answers at once,
    /// as in Redis; SCRIPT LOAD and FLUSH may be queued).
    pub fn call_in_exec(&mut self, args: &[Bytes]) -> Result<Reply, Interrupted> {
        self.call_from(args, false, true)
    }

    fn call_from(
        &mut self,
        args: &[Bytes],
        read_only: bool,
        in_exec: bool,
    ) -> Result<Reply, Interrupted> {
        let Some(name) = args.first() else {
            return Ok(Reply::err(errors::ARITY));
        };
        // Connection commands a script may call (the rest are the keyspace's).
        // TIME is the script's clock: the accepting node's, fixed for the
        // run, so a script run again after a conflict sees the same time.
        if name.eq_ignore_ascii_case(b"time") {
            return Ok(match args.len() {
                1 => Reply::Array(vec![
                    Reply::bulk((self.now_ms / 1000).to_string()),
                    Reply::bulk(((self.now_ms % 1000) * 1000).to_string()),
                ]),
                _ => Reply::err(errors::ARITY),
            });
        }
        if name.eq_ignore_ascii_case(b"ping") || name.eq_ignore_ascii_case(b"echo") {
            let ping = name.eq_ignore_ascii_case(b"ping");
            return Ok(match args.len() {
                1 if ping => Reply::Status("PONG".into()),
                2 => Reply::Bulk(args[1].clone()),
                _ => Reply::err(errors::ARITY),
            });
        }
        // Like Redis 7.0: an unknown command, then the arity, then
        // `noscript`; commands the server answers itself are unknown here.
        let Some(def) = table::lookup(name) else {
            let refused = table::NOSCRIPT_NOT_IMPLEMENTED
                .iter()
                .any(|n| name.eq_ignore_ascii_case(n.as_bytes()));
            return Ok(Reply::err(if refused {
                errors::NOT_ALLOWED
            } else {
                errors::UNKNOWN
            }));
        };
        if def.is_connection() {
            let refused = def.refused_in_script();
            return Ok(Reply::err(if refused {
                errors::NOT_ALLOWED
            } else {
                errors::UNKNOWN
            }));
        }
        self.commands_run += 1;
        let parse_ctx = ParseCtx {
            now_ms: self.now_ms,
            debug_commands: false,
            seed: self
                .now_ms
                .wrapping_mul(0x9e37_79b9_7f4a_7c15)
                .wrapping_add(self.commands_run),
        };
        // The arity of a subcommand (SCRIPT LOAD's) or of MSET's pairs
        // counts as the arity too.
        let parsed = def.parse_args(args, &parse_ctx);
        if let Err(ParseError::WrongArity(_)) = parsed {
            return Ok(Reply::err(errors::ARITY));
        }
        if def.refused_in_script() && !in_exec {
            return Ok(Reply::err(errors::NOT_ALLOWED));
        }
        let cmd = match parsed {
            Ok(cmd) => cmd,
            Err(e) => return Ok(e.reply(args)),
        };
        match cmd.kind() {
            Kind::Write if read_only => return Ok(Reply::err(errors::WRITE_IN_READ_ONLY)),
            Kind::Read => {
                self.read_calls += 1;
                if self.reads_allowed.is_some_and(|n| self.read_calls > n) {
                    return Err(Interrupted);
                }
            }
            _ => {}
        }
        let (now_ms, modes) = (self.now_ms, self.modes);
        let mut ks = KeyspaceWrite::new(self, now_ms, modes);
        Ok(cmd::run_write(&cmd, &mut ks))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mvcc::Mvcc;

    fn args(s: &str) -> Vec<Bytes> {
        s.split(' ')
            .map(|a| Bytes::copy_from_slice(a.as_bytes()))
            .collect()
    }

    fn store() -> Mvcc {
        let mut m = Mvcc::new();
        let mut raw = crate::raw::ApplyAt {
            store: &mut m,
            ts: 1,
        };
        let mut ks = KeyspaceWrite::new(&mut raw, 0, ChainModes::default());
        for kv in [("a", "1"), ("b", "2")] {
            ks.set(kv.0.as_bytes(), kv.1.as_bytes(), None);
        }
        m
    }

    #[test]
    fn reads_come_from_the_snapshot_and_writes_are_buffered() {
        let m = store();
        let snap = m.snapshot(1);
        let mut ctx = ScriptCtx::new(&snap, 0, ChainModes::default(), None);
        assert_eq!(ctx.call(&args("GET a"), false), Ok(Reply::bulk("1")));
        assert_eq!(ctx.call(&args("SET a 5"), false), Ok(Reply::ok()));
        assert_eq!(
            ctx.call(&args("GET a"), false),
            Ok(Reply::bulk("5")),
            "read your writes"
        );
        assert!(m.get(b"!redis|str|a").is_some(), "the store is untouched");
        let fx = ctx.into_effects();
        assert!(fx.read_set.contains(&Bytes::from_static(b"!redis|str|a")));
        assert_eq!(fx.write_set[0].0, Bytes::from_static(b"!redis|str|a"));
        assert_eq!(fx.read_calls, 2);
    }

    #[test]
    fn a_scan_sees_buffered_writes_and_reads_everything() {
        let m = store();
        let snap = m.snapshot(1);
        let mut ctx = ScriptCtx::new(&snap, 0, ChainModes::default(), None);
        ctx.call(&args("DEL a"), false).unwrap();
        ctx.call(&args("SET c 3"), false).unwrap();
        assert_eq!(
            ctx.call(&args("KEYS *"), false),
            Ok(Reply::Array(vec![Reply::bulk("b"), Reply::bulk("c")]))
        );
        // KEYS visits the bare keys, the prefixed strings, the collections'
        // metas and the bare keys above the internal range; each scan is a
        // range up to the key that ended it, or to the end.
        let range = |from: &'static str, to: Option<&'static str>| KeyRange {
            from: Bytes::from_static(from.as_bytes()),
            to: to.map(|t| Bytes::from_static(t.as_bytes())),
        };
        assert_eq!(
            ctx.into_effects().read_ranges,
            vec![
                range("", Some("!redis|str|b")),
                range("!redis|str|", None),
                range("!redis|meta|", Some("!redis|str|b")),
                range("!redis}", None),
            ]
        );
    }

    #[test]
    fn per_call_mode_interrupts_at_the_read_past_the_fences() {
        let m = store();
        let snap = m.snapshot(1);
        let mut ctx = ScriptCtx::new(&snap, 0, ChainModes::default(), Some(1));
        assert!(ctx.call(&args("GET a"), false).is_ok());
        assert!(
            ctx.call(&args("SET x 1"), false).is_ok(),
            "writes need no fence"
        );
        assert_eq!(ctx.call(&args("GET b"), false), Err(Interrupted));
    }

    /// Every row marked `noscript` (on itself or its subcommands), and every
    /// `noscript` command fencekv does not implement, is refused by name.
    #[test]
    fn every_noscript_command_is_refused() {
        let m = store();
        let snap = m.snapshot(1);
        let mut ctx = ScriptCtx::new(&snap, 0, ChainModes::default(), None);
        let refused = table::all(false)
            .filter(|d| d.refused_in_script())
            .map(|d| (d.name, usize::try_from(d.arity.unsigned_abs()).unwrap_or(1)));
        let unimplemented = table::NOSCRIPT_NOT_IMPLEMENTED.iter().map(|n| (*n, 1));
        let mut seen = 0;
        for (name, argc) in refused.chain(unimplemented) {
            let mut req = vec![Bytes::from(name.to_ascii_uppercase())];
            req.resize(argc.max(1), Bytes::from_static(b"0"));
            assert_eq!(
                ctx.call(&req, false),
                Ok(Reply::err(errors::NOT_ALLOWED)),
                "{name}"
            );
            seen += 1;
        }
        assert_eq!(seen, 26 + table::NOSCRIPT_NOT_IMPLEMENTED.len());
        assert_eq!(
            ctx.call(&args("MSET a 1 b"), false),
            Ok(Reply::err(errors::ARITY))
        );
    }

    #[test]
    fn redis_errors_for_commands_a_script_cannot_run() {
        let m = store();
        let snap = m.snapshot(1);
        let mut ctx = ScriptCtx::new(&snap, 0, ChainModes::default(), None);
        let err = |e: &str| Ok(Reply::err(e));
        assert_eq!(ctx.call(&args("nosuch"), false), err(errors::UNKNOWN));
        assert_eq!(ctx.call(&args("get"), false), err(errors::ARITY));
        assert_eq!(ctx.call(&args("EVAL x 0"), false), err(errors::NOT_ALLOWED));
        // Redis 7.0 checks arity first, then `noscript`.
        assert_eq!(ctx.call(&args("eval"), false), err(errors::ARITY));
        assert_eq!(
            ctx.call(&args("eval x bad"), false),
            err(errors::NOT_ALLOWED)
        );
        assert_eq!(ctx.call(&args("script load"), false), err(errors::ARITY));
        assert_eq!(ctx.call(&args("Multi"), false), err(errors::NOT_ALLOWED));
        assert_eq!(
            ctx.call(&args("SET a 1"), true),
            err(errors::WRITE_IN_READ_ONLY)
        );
        assert_eq!(
            ctx.call(&args("PING"), false),
            Ok(Reply::Status("PONG".into()))
        );
        assert_eq!(
            ctx.call(&args("SHUTDOWN NOSAVE"), false),
            err(errors::NOT_ALLOWED)
        );
    }

    #[test]
    fn time_is_the_scripts_clock() {
        let m = store();
        let snap = m.snapshot(1);
        let mut ctx = ScriptCtx::new(&snap, 1_700_000_000_042, ChainModes::default(), None);
        assert_eq!(
            ctx.call(&args("TIME"), false),
            Ok(Reply::Array(vec![
                Reply::bulk("1700000000"),
                Reply::bulk("42000")
            ]))
        );
        assert_eq!(
            ctx.call(&args("time x"), false),
            Ok(Reply::err(errors::ARITY))
        );
    }
}
