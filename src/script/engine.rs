//! The engine seam: what a script engine is given and what it may ask for.
//!
//! The node owns the protocol (fence, `start_ts`, snapshot, commit); an
//! engine only runs a script body and calls back into its [`Host`] for every
//! `redis.call`/`redis.pcall`. Two engines implement [`Engine`]: the Lua 5.1
//! engine the server runs ([`super::lua`]) and the small op-list engine the
//! model runs ([`super::ops`]). Both must be deterministic: the same body,
//! keys, arguments and host answers give the same calls and the same reply,
//! which is what lets the node re-run a script (after a conflict, or in
//! per-call mode after each fence) and get the same script.

use std::fmt::Debug;

use bytes::Bytes;

use crate::resp::Reply;

/// One script run.
#[derive(Clone, Copy, Debug)]
pub struct Invocation<'a> {
    /// The script source (for EVALSHA, the cached body).
    pub body: &'a [u8],
    /// The body's SHA-1 in lowercase hex (error texts name it: `script: <sha>`).
    pub sha: &'a str,
    pub keys: &'a [Bytes],
    pub argv: &'a [Bytes],
    /// EVAL_RO / EVALSHA_RO: write commands are refused.
    pub read_only: bool,
}

/// The script asked its host to stop: the node must run it again later (in
/// per-call mode, after another fence). Not an error; nothing is replied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interrupted;

/// What a running script calls back into.
pub trait Host {
    /// Run one command from the script (`args[0]` is its name). The reply is
    /// data: an error is `Reply::Error` with Redis's text (without the
    /// `script: …` suffix, which the engine adds when it raises). `Err`
    /// means the script must stop at once, unwinding through any `pcall`.
    fn call(&mut self, args: &[Bytes], read_only: bool) -> Result<Reply, Interrupted>;
}

/// A script engine. Shared by every node of a process, so `Send + Sync`.
pub trait Engine: Send + Sync + Debug {
    /// Run `inv`, calling `host` for each `redis.call`. A Lua error, a
    /// runtime error, a stopped runaway script: an `Ok(Reply::Error)` with
    /// Redis's text. `Err(Interrupted)` only when the host asked for it.
    fn run(&self, inv: &Invocation<'_>, host: &mut dyn Host) -> Result<Reply, Interrupted>;

    /// Check that `body` compiles, as SCRIPT LOAD does before caching it:
    /// `Err` carries Redis's error text (`ERR Error compiling script …`).
    fn compile_check(&self, body: &[u8]) -> Result<(), String>;

    /// FUNCTION LOAD: run a library's code (`code`, its metadata line
    /// included) with only `redis.register_function` and its kin
    /// available, and answer the functions it registered. `Err`: Redis's
    /// reply text. Deterministic: an instruction budget, not a clock,
    /// bounds the run. An engine without functions refuses.
    fn load_library(&self, code: &[u8]) -> Result<Vec<Registered>, String> {
        let _ = code;
        Err("ERR Engine 'LUA' not found".into())
    }

    /// FCALL: run the function `call.function` of the library `call.code`
    /// (loading the library first if this engine has not yet), as
    /// [`Engine::run`] runs a script.
    fn call_function(
        &self,
        call: &FunctionCall<'_>,
        host: &mut dyn Host,
    ) -> Result<Reply, Interrupted> {
        let _ = (call, host);
        Ok(Reply::err("ERR Engine 'LUA' not found"))
    }
}

pub use crate::cmd::functions::Registered;

/// One FCALL run.
#[derive(Clone, Copy, Debug)]
pub struct FunctionCall<'a> {
    /// The library's code, its metadata line included.
    pub code: &'a [u8],
    /// The function's registered name (error texts name it).
    pub function: &'a str,
    /// The command as the client sent it (FUNCTION STATS shows it).
    pub command: &'a [Bytes],
    pub keys: &'a [Bytes],
    pub argv: &'a [Bytes],
    /// FCALL_RO, or a `no-writes` function: write commands are refused.
    pub read_only: bool,
}

/// Limits a server puts on scripts. Only the server reads a clock, so the
/// engine asks this watchdog rather than looking at time itself.
pub trait Watchdog: Send + Sync + Debug {
    /// A script starts running.
    fn arm(&self);
    /// A function starts running: FUNCTION KILL (not SCRIPT KILL) stops
    /// it, FUNCTION STATS names it and the command that called it.
    fn arm_function(&self, name: &str, command: &[Bytes]) {
        let _ = (name, command);
        self.arm();
    }
    /// Whether the running script must stop, with the error text to reply
    /// (time limit passed, or SCRIPT KILL). Asked every few thousand
    /// instructions, so it must be cheap.
    fn should_stop(&self) -> Option<String>;
    /// The script finished.
    fn disarm(&self);
}
