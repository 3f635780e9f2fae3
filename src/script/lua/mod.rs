//! The Lua 5.1 engine (mlua, vendored), sandboxed and behaving like
//! redis-server 7.0's scripting.
//!
//! One VM per engine, created once: the sandbox (`sandbox.lua`), the `redis`
//! table and the libraries are built at construction, and each script is
//! compiled once and cached by SHA-1 inside the VM (Redis's `f_<sha>`), so a
//! run costs two small tables (`KEYS`, `ARGV`) and one protected call.
//!
//! - Errors: `redis.call` raises `{err=…}` tables; a string error gets
//!   `ERR ` in front; both then get Redis 7.0's ` script: <sha>, on
//!   @user_script:<line>.` suffix, taken from the stack when the error is
//!   raised (an `xpcall` message handler written in Rust).
//! - Stopping: a count hook asks the [`Watchdog`] every [`CHECK_EVERY`]
//!   instructions. Once a script must stop (watchdog, or the host answered
//!   [`Interrupted`]), the hook switches to firing on every instruction and
//!   raises each time, so no `pcall` in the script can swallow the stop.

mod convert;
pub mod libs;
mod rand48;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::ffi::c_int;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use mlua::chunk::ChunkMode;
use mlua::debug::Debug as LuaDebug;
use mlua::{
    ffi, Function, HookTriggers, Lua, LuaOptions, MultiValue, StdLib, Table, Value, VmState,
};

pub use convert::{format_g17, number_to_integer};
use rand48::Rand48;

use super::engine::{Engine, FunctionCall, Host, Interrupted, Invocation, Registered, Watchdog};
use crate::cmd::shebang::{eval_flags, header_len};
use crate::resp::Reply;

/// How many VM instructions run between two watchdog checks. Measured: the
/// hook costs well under 1% at this rate (see the `bench_` tests).
pub const CHECK_EVERY: u32 = 10_000;

/// How many hook checks a FUNCTION LOAD may take (so about 10^8 VM
/// instructions, Redis's 500 ms) before it fails with "FUNCTION LOAD
/// timeout". Counted in instructions, not time, so a load gives the same
/// answer on every node and every run.
const LOAD_BUDGET_CHECKS: u64 = 10_000;

/// The chunk name of the sandbox code: frames from it are skipped when an
/// error's position is reported, so errors point at the script.
const INTERNAL_CHUNK: &str = "=redis";

pub use crate::strings::encoding::sha1_hex;

/// Why a script was stopped from outside.
#[derive(Debug)]
enum Stop {
    Interrupted,
    /// A library's loading ran out of its instruction budget.
    LoadTimeout,
    /// The watchdog's error text and where the script was when it stopped
    /// (Redis's SCRIPT KILL error names that line).
    Watchdog(String, Option<(String, i64)>),
}

/// Where and why the last run failed, recorded by the message handler
/// while the failing frame is still on the stack.
#[derive(Debug)]
struct ScriptError {
    msg: String,
    at: Option<(String, i64)>,
}

/// State the Rust callbacks share with `run`. Runs are serialised by the
/// VM mutex, so the locks here are never contended.
#[derive(Debug)]
struct Shared {
    /// While a run is in progress: a pointer to the run's `&mut dyn Host`
    /// (on `run`'s stack). Null otherwise.
    host: AtomicPtr<()>,
    read_only: AtomicBool,
    /// `redis.setresp(3)` was called in this run.
    resp3: AtomicBool,
    rand: AtomicU64,
    stopping: AtomicBool,
    stop: Mutex<Option<Stop>>,
    error: Mutex<Option<ScriptError>>,
    watchdog: Option<Arc<dyn Watchdog>>,
    /// While a library loads: hook checks left in its budget (0 otherwise).
    load_checks: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic cannot leave these values half-updated; keep going.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shared {
    fn stop(&self, why: Stop) {
        let mut stop = lock(&self.stop);
        if stop.is_none() {
            *stop = Some(why);
        }
        self.stopping.store(true, Ordering::Relaxed);
    }

    fn reset(&self, read_only: bool) {
        self.read_only.store(read_only, Ordering::Relaxed);
        self.resp3.store(false, Ordering::Relaxed);
        // Redis 7.0 starts rand48 once per process and never resets it;
        // starting every run from that state keeps a script deterministic
        // (the node may re-run it) and gives every run the numbers of the
        // first script on a fresh redis-server.
        self.rand
            .store(Rand48::initial().state(), Ordering::Relaxed);
        self.stopping.store(false, Ordering::Relaxed);
        *lock(&self.stop) = None;
        *lock(&self.error) = None;
    }
}

/// Clears the host pointer when the run ends, however it ends.
struct HostGuard<'a>(&'a Shared);

impl<'a> HostGuard<'a> {
    fn install(shared: &'a Shared, host: &mut &mut dyn Host) -> HostGuard<'a> {
        let p: *mut &mut dyn Host = host;
        shared.host.store(p.cast(), Ordering::Release);
        HostGuard(shared)
    }
}

impl Drop for HostGuard<'_> {
    fn drop(&mut self) {
        self.0.host.store(std::ptr::null_mut(), Ordering::Release);
    }
}

const fn watch_triggers() -> HookTriggers {
    HookTriggers::new().every_nth_instruction(CHECK_EVERY)
}

const fn kill_triggers() -> HookTriggers {
    HookTriggers::new().every_line().every_nth_instruction(1)
}

/// The hook: a cheap flag check, then the watchdog. Once the script must
/// stop, the current thread's hook fires on every instruction (and raises),
/// so an enclosing `pcall` gets no chance to continue the script.
fn make_hook(
    shared: Arc<Shared>,
) -> impl Fn(&Lua, &LuaDebug) -> mlua::Result<VmState> + Send + 'static {
    move |lua, _| {
        let loading = shared.load_checks.load(Ordering::Relaxed);
        if loading > 1 {
            shared.load_checks.store(loading - 1, Ordering::Relaxed);
            return Ok(VmState::Continue);
        } else if loading == 1 {
            shared.stop(Stop::LoadTimeout);
        } else if !shared.stopping.load(Ordering::Relaxed) {
            let Some(wd) = &shared.watchdog else {
                return Ok(VmState::Continue);
            };
            let Some(text) = wd.should_stop() else {
                return Ok(VmState::Continue);
            };
            shared.stop(Stop::Watchdog(text, script_position(lua)));
        }
        lua.set_global_hook(kill_triggers(), make_hook(shared.clone()))?;
        Err(mlua::Error::runtime("script stopped"))
    }
}

/// The VM and what `run` needs from it, behind the engine's mutex.
struct Vm {
    lua: Lua,
    /// The real globals (KEYS and ARGV are set here).
    globals: Table,
    /// The protected `_G` scripts run in.
    env: Table,
    xpcall: Function,
    handler: Function,
    /// Compiled scripts by SHA-1.
    scripts: HashMap<String, Function>,
    /// The sandbox's function API (`F` in `sandbox.lua`).
    fns: Table,
    /// Loaded libraries by the SHA-1 of their code.
    libraries: HashMap<String, Library>,
}

/// A library this VM has loaded: its functions by lowercase name.
struct Library {
    functions: HashMap<String, Function>,
    registered: Vec<Registered>,
}

/// The Lua engine. `Send + Sync`: the VM sits behind a mutex, so scripts of
/// one engine run one at a time, like Redis's.
pub struct LuaEngine {
    vm: Mutex<Vm>,
    shared: Arc<Shared>,
}

impl fmt::Debug for LuaEngine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scripts = lock(&self.vm).scripts.len();
        f.debug_struct("LuaEngine")
            .field("scripts", &scripts)
            .field("watchdog", &self.shared.watchdog)
            .finish()
    }
}

impl LuaEngine {
    /// A fresh VM with Redis 7.0's sandbox. `watchdog` limits runs (time,
    /// SCRIPT KILL); without one, scripts stop only when the host interrupts.
    pub fn new(watchdog: Option<Arc<dyn Watchdog>>) -> LuaEngine {
        let shared = Arc::new(Shared {
            host: AtomicPtr::new(std::ptr::null_mut()),
            read_only: AtomicBool::new(false),
            resp3: AtomicBool::new(false),
            rand: AtomicU64::new(Rand48::initial().state()),
            stopping: AtomicBool::new(false),
            stop: Mutex::new(None),
            error: Mutex::new(None),
            watchdog,
            load_checks: AtomicU64::new(0),
        });
        // Building the sandbox runs only our own code: a failure is a bug.
        let vm = build_vm(&shared).expect("building the Lua sandbox");
        LuaEngine {
            vm: Mutex::new(vm),
            shared,
        }
    }

    /// How many compiled scripts the VM holds.
    pub fn cached_scripts(&self) -> usize {
        lock(&self.vm).scripts.len()
    }
}

fn build_vm(shared: &Arc<Shared>) -> mlua::Result<Vm> {
    // Base (always loaded), table, string, math: what Redis 7.0 opens.
    let lua = Lua::new_with(
        StdLib::TABLE | StdLib::STRING | StdLib::MATH,
        LuaOptions::new(),
    )?;
    libs::register_all(&lua)?;
    let globals = lua.globals();
    let xpcall: Function = globals.raw_get("xpcall")?;
    let tostring: Function = globals.raw_get("tostring")?;

    let prim = lua.create_table()?;
    prim.raw_set(
        "wrap",
        lua.create_function(|lua, (f, packed): (Function, Option<Function>)| wrap(lua, f, packed))?,
    )?;
    prim.raw_set(
        "call",
        lua.create_function(make_call(shared.clone(), true))?,
    )?;
    prim.raw_set(
        "pcall",
        lua.create_function(make_call(shared.clone(), false))?,
    )?;
    prim.raw_set(
        "call_packed",
        lua.create_function(make_packed_call(shared.clone(), true))?,
    )?;
    prim.raw_set(
        "pcall_packed",
        lua.create_function(make_packed_call(shared.clone(), false))?,
    )?;
    prim.raw_set(
        "sha1hex",
        lua.create_function(|_, s: mlua::LuaString| Ok(sha1_hex(&s.as_bytes())))?,
    )?;
    prim.raw_set(
        "log",
        lua.create_function(|_, (level, msg): (i64, mlua::LuaString)| {
            let msg = String::from_utf8_lossy(&msg.as_bytes()).into_owned();
            match level {
                0 | 1 => tracing::debug!(target: "fencekv::script", "{msg}"),
                2 => tracing::info!(target: "fencekv::script", "{msg}"),
                _ => tracing::warn!(target: "fencekv::script", "{msg}"),
            }
            Ok(())
        })?,
    )?;
    let s = shared.clone();
    prim.raw_set(
        "stopping",
        lua.create_function(move |_, ()| Ok(s.stopping.load(Ordering::Relaxed)))?,
    )?;
    let s = shared.clone();
    prim.raw_set(
        "set_resp",
        lua.create_function(move |_, v: i64| {
            s.resp3.store(v == 3, Ordering::Relaxed);
            Ok(())
        })?,
    )?;
    let s = shared.clone();
    prim.raw_set(
        "rand_next",
        lua.create_function(move |_, ()| {
            let mut r = Rand48::from_state(s.rand.load(Ordering::Relaxed));
            let x = r.next_f64();
            s.rand.store(r.state(), Ordering::Relaxed);
            Ok(x)
        })?,
    )?;
    let s = shared.clone();
    prim.raw_set(
        "rand_seed",
        lua.create_function(move |_, seed: i64| {
            // The Lua side already made it a C int.
            s.rand
                .store(Rand48::seeded(seed as i32).state(), Ordering::Relaxed);
            Ok(())
        })?,
    )?;

    let (env, fns): (Table, Table) = lua
        .load(include_str!("sandbox.lua"))
        .set_name(INTERNAL_CHUNK)
        .call((globals.clone(), prim))?;

    let s = shared.clone();
    let handler = lua.create_function(move |lua, err: Value| {
        let msg = error_message(&err, &tostring);
        *lock(&s.error) = Some(ScriptError {
            msg,
            at: error_position(lua),
        });
        Ok(())
    })?;

    lua.set_global_hook(watch_triggers(), make_hook(shared.clone()))?;

    Ok(Vm {
        lua,
        globals,
        env,
        xpcall,
        handler,
        scripts: HashMap::new(),
        fns,
        libraries: HashMap::new(),
    })
}

/// The text of a raised error, as Redis 7.0's `__redis__err__handler` and
/// `luaExtractErrorInformation` make it: an error table's `err` field as
/// is, anything else `ERR ` + `tostring(err)`.
fn error_message(err: &Value, tostring: &Function) -> String {
    let tostring = |v: &Value| -> String {
        match v {
            Value::String(s) => String::from_utf8_lossy(&s.as_bytes()).into_owned(),
            Value::Error(e) => e.to_string(),
            other => tostring
                .call::<mlua::LuaString>(other.clone())
                .map(|s| String::from_utf8_lossy(&s.as_bytes()).into_owned())
                .unwrap_or_else(|_| "?".into()),
        }
    };
    match err {
        Value::Table(t) => match t.raw_get::<Value>("err") {
            Ok(v @ (Value::String(_) | Value::Integer(_) | Value::Number(_))) => tostring(&v),
            // Redis 7.0.15 crashes on `error({})`; answer something sane.
            _ => "ERR unknown error".into(),
        },
        other => format!("ERR {}", tostring(other)),
    }
}

/// The script frame an error belongs to: Redis reports the function that
/// raised it, or its caller when that is a C function. Our own Lua glue is
/// skipped too, so `redis.call` errors point at the script's line.
fn error_position(lua: &Lua) -> Option<(String, i64)> {
    for level in 0.. {
        let frame = lua.inspect_stack(level, |d| {
            let src = d.source();
            let source = src.source.map(|s| s.into_owned());
            (src.what, source, d.current_line())
        })?;
        match frame {
            ("C", _, _) => continue,
            (_, Some(source), _) if source == INTERNAL_CHUNK => continue,
            (_, Some(source), line) => {
                return Some((source, line.map_or(-1, |l| l as i64)));
            }
            (_, None, _) => return None,
        }
    }
    None
}

/// The innermost frame of the script itself (`@user_script`), for a script
/// stopped from the hook: the hook may fire in our glue, a C function or a
/// tail call's pseudo-frame, none of which Redis would name.
fn script_position(lua: &Lua) -> Option<(String, i64)> {
    for level in 0.. {
        let (source, line) = lua.inspect_stack(level, |d| {
            (d.source().source.map(|s| s.into_owned()), d.current_line())
        })?;
        if let (Some(source), Some(line)) = (source, line) {
            if source.starts_with("@user_script") || source.starts_with("@user_function") {
                return Some((source, line as i64));
            }
        }
    }
    None
}

/// What a wrapped function (see [`wrap`]) asks its trampoline to do.
const RETURN: i64 = 0;
const RAISE: i64 = 1;

/// `redis.call` (`raise_errors`) and `redis.pcall`: each answers
/// `(value, RETURN | RAISE)` to its trampoline.
fn make_call(
    shared: Arc<Shared>,
    raise_errors: bool,
) -> impl Fn(&Lua, MultiValue) -> mlua::Result<(Value, i64)> + Send + 'static {
    move |lua, args| {
        let argv = if args.is_empty() {
            Err(NO_ARGUMENTS)
        } else {
            args.iter().map(command_arg).collect()
        };
        call_command(&shared, raise_errors, lua, argv)
    }
}

/// The same for a call with more than [`PACK_ARGS_ABOVE`] arguments, which
/// the trampoline hands over as `(table, n)`: each argument is converted as it
/// is read, so no Lua stack (mlua's own included) ever holds them all.
fn make_packed_call(
    shared: Arc<Shared>,
    raise_errors: bool,
) -> impl Fn(&Lua, (Table, i64)) -> mlua::Result<(Value, i64)> + Send + 'static {
    move |lua, (args, n)| {
        let mut argv = Ok(Vec::with_capacity(usize::try_from(n).unwrap_or(0)));
        for i in 1..=n {
            let value: Value = args.raw_get(i)?;
            match (&mut argv, command_arg(&value)) {
                (Ok(list), Ok(arg)) => list.push(arg),
                (_, Err(text)) => {
                    argv = Err(text);
                    break;
                }
                (Err(_), Ok(_)) => break,
            }
        }
        call_command(&shared, raise_errors, lua, argv)
    }
}

fn call_command(
    shared: &Arc<Shared>,
    raise_errors: bool,
    lua: &Lua,
    argv: Result<Vec<Bytes>, &'static str>,
) -> mlua::Result<(Value, i64)> {
    if shared.stopping.load(Ordering::Relaxed) {
        return Ok((Value::Nil, RAISE));
    }
    let raise_if = |error: bool| if raise_errors && error { RAISE } else { RETURN };
    let resp3 = shared.resp3.load(Ordering::Relaxed);
    let argv = match argv {
        Ok(argv) => argv,
        Err(text) => {
            let reply = convert::reply_to_lua(lua, &Reply::err(text), resp3)?;
            return Ok((reply, raise_if(true)));
        }
    };
    let p = shared.host.load(Ordering::Acquire);
    if p.is_null() {
        // Only reachable if Lua code outlived its run; refuse.
        let reply = convert::reply_to_lua(lua, &Reply::err("ERR no script is running"), resp3)?;
        return Ok((reply, RAISE));
    }
    // SAFETY: `p` was stored by `HostGuard::install` from a live
    // `&mut &mut dyn Host` on `run`'s stack, and is cleared before `run`
    // returns. `run` holds the VM mutex and is blocked in the Lua call
    // that led here, so nothing else uses the host meanwhile.
    let host: &mut &mut dyn Host = unsafe { &mut *p.cast::<&mut dyn Host>() };
    match host.call(&argv, shared.read_only.load(Ordering::Relaxed)) {
        Ok(reply) => {
            let how = raise_if(reply.is_error());
            Ok((convert::reply_to_lua(lua, &reply, resp3)?, how))
        }
        Err(Interrupted) => {
            shared.stop(Stop::Interrupted);
            lua.set_global_hook(kill_triggers(), make_hook(shared.clone()))?;
            Ok((Value::Nil, RAISE))
        }
    }
}

/// Above this many arguments the trampoline packs them into one table for
/// its second upvalue. Lua 5.1 lets a C frame hold at most `LUAI_MAXCSTACK`
/// (8,000) values, and mlua grows the frame while it converts arguments and
/// results; Redis's `redis.call("lpush", k, unpack(t))` with ~8,000 values
/// must still work.
const PACK_ARGS_ABOVE: c_int = 64;

/// The C trampoline behind every sandbox function that raises errors. Its
/// upvalue answers `(value, how)`: return `value` (0), raise it as it is
/// (1: an `{err=…}` table stays a table, which `pcall` and the message
/// handler need), raise it prefixed with the caller's position (2, as
/// `luaL_error` does), or return the two entries of the table it is (3). Being a C function matters: in `return redis.call(…)`
/// a Lua function would replace the script's frame (a tail call) and the
/// error would lose the script line Redis reports; a C function never does.
unsafe extern "C-unwind" fn trampoline(state: *mut ffi::lua_State) -> c_int {
    // No Rust value with a destructor is alive here: `lua_error` longjmps.
    unsafe {
        let nargs = ffi::lua_gettop(state);
        if nargs > PACK_ARGS_ABOVE
            && ffi::lua_type(state, ffi::lua_upvalueindex(2)) == ffi::LUA_TFUNCTION
        {
            // A C function always has LUA_MINSTACK free slots: enough for
            // the table and one value at a time.
            ffi::lua_createtable(state, nargs, 0);
            for i in 1..=nargs {
                ffi::lua_pushvalue(state, i);
                ffi::lua_rawseti(state, -2, i.into());
            }
            ffi::lua_replace(state, 1);
            ffi::lua_settop(state, 1);
            ffi::lua_pushvalue(state, ffi::lua_upvalueindex(2));
            ffi::lua_insert(state, 1);
            ffi::lua_pushinteger(state, nargs.into());
            ffi::lua_call(state, 2, 2);
        } else {
            ffi::lua_pushvalue(state, ffi::lua_upvalueindex(1));
            ffi::lua_insert(state, 1);
            ffi::lua_call(state, nargs, 2);
        }
        let how = ffi::lua_tointeger(state, 2);
        ffi::lua_settop(state, 1);
        if how == 0 {
            return 1;
        }
        if how == 3 {
            // The value is a table of two results ({f, err} from load).
            ffi::lua_rawgeti(state, 1, 1);
            ffi::lua_rawgeti(state, 1, 2);
            ffi::lua_remove(state, 1);
            return 2;
        }
        if how == 2 {
            ffi::luaL_where(state, 1);
            ffi::lua_insert(state, 1);
            ffi::lua_concat(state, 2);
        }
        ffi::lua_error(state)
    }
}

/// `f` behind the [`trampoline`]; `packed`, if given, takes the calls with
/// many arguments as `(table, n)`.
fn wrap(lua: &Lua, f: Function, packed: Option<Function>) -> mlua::Result<Function> {
    // SAFETY: the functions are the only values on the stack; they become
    // the closure's upvalues and the closure is left as the one result.
    unsafe {
        match packed {
            None => lua.exec_raw(f, |state| ffi::lua_pushcclosure(state, trampoline, 1)),
            Some(packed) => lua.exec_raw((f, packed), |state| {
                ffi::lua_pushcclosure(state, trampoline, 2)
            }),
        }
    }
}

const NO_ARGUMENTS: &str = "ERR Please specify at least one argument for this redis lib call";

/// One word of a `redis.call`'s command line: a string as it is, a number as
/// `%.17g`, anything else refused with Redis's text.
fn command_arg(v: &Value) -> Result<Bytes, &'static str> {
    match v {
        Value::String(s) => Ok(Bytes::copy_from_slice(&s.as_bytes())),
        other => convert::number_arg(other)
            .ok_or("ERR Lua redis lib command arguments must be strings or integers"),
    }
}

impl Vm {
    fn compile(&self, body: &[u8]) -> Result<Function, String> {
        // Redis's Lua parses a precompiled chunk as text: its ESC is a
        // syntax error. Text mode below refuses one too; this is the text.
        if body.first() == Some(&0x1b) {
            return Err("ERR Error compiling script (new function): user_script:1: \
                unexpected symbol near 'char(27)'"
                .to_string());
        }
        // A shebang line is skipped, its line feed kept, so that line
        // numbers stay the user's (Redis's luaCreateFunction).
        let body = &body[header_len(body)..];
        self.lua
            .load(body)
            .set_name("@user_script")
            .set_mode(ChunkMode::Text)
            .set_environment(self.env.clone())
            .into_function()
            .map_err(|e| {
                let msg = match e {
                    mlua::Error::SyntaxError { message, .. } => message,
                    other => other.to_string(),
                };
                format!("ERR Error compiling script (new function): {msg}")
            })
    }

    /// The cached function for `sha`, compiling `body` on first use.
    fn function(&mut self, sha: &str, body: &[u8]) -> Result<Function, String> {
        if let Some(f) = self.scripts.get(sha) {
            return Ok(f.clone());
        }
        let f = self.compile(body)?;
        self.scripts.insert(sha.to_string(), f.clone());
        Ok(f)
    }

    fn sequence(&self, items: &[Bytes]) -> mlua::Result<Table> {
        let t = self.lua.create_table_with_capacity(items.len(), 0)?;
        for (i, item) in items.iter().enumerate() {
            t.raw_set(i + 1, self.lua.create_string(&item[..])?)?;
        }
        Ok(t)
    }
}

/// What a run stops the watchdog for: FUNCTION KILL stops a function,
/// SCRIPT KILL a script.
enum Arm<'a> {
    Script,
    Function(&'a str, &'a [Bytes]),
}

impl LuaEngine {
    /// Back to the cheap hook after a run that was stopped; the reason.
    fn settle_stop(&self, vm: &Vm) -> Option<Stop> {
        let shared = &*self.shared;
        if !shared.stopping.load(Ordering::Relaxed) {
            return None;
        }
        if let Err(e) = vm
            .lua
            .set_global_hook(watch_triggers(), make_hook(self.shared.clone()))
        {
            tracing::error!("resetting the Lua hook: {e}");
        }
        shared.stopping.store(false, Ordering::Relaxed);
        Some(lock(&shared.stop).take().unwrap_or(Stop::Interrupted))
    }

    /// Call `f` (no arguments) under the message handler, the watchdog and
    /// `host`; its result as a reply. `label` is what error texts call the
    /// script (`script: <label>, on …`): the SHA-1, or the function's name.
    fn execute(
        &self,
        vm: &Vm,
        f: &Function,
        label: &str,
        read_only: bool,
        arm: Arm<'_>,
        host: &mut dyn Host,
    ) -> Result<Reply, Interrupted> {
        let shared = &*self.shared;
        shared.reset(read_only);
        let mut host = host;
        let guard = HostGuard::install(shared, &mut host);
        if let Some(wd) = &shared.watchdog {
            match arm {
                Arm::Script => wd.arm(),
                Arm::Function(name, command) => wd.arm_function(name, command),
            }
        }
        let result = vm
            .xpcall
            .call::<MultiValue>((f.clone(), vm.handler.clone()));
        if let Some(wd) = &shared.watchdog {
            wd.disarm();
        }
        drop(guard);

        if let Some(stop) = self.settle_stop(vm) {
            return match stop {
                Stop::Watchdog(text, Some((source, line))) => Ok(Reply::Error(format!(
                    "{text} script: {label}, on {source}:{line}."
                ))),
                Stop::Watchdog(text, None) => Ok(Reply::Error(text)),
                Stop::LoadTimeout | Stop::Interrupted => Err(Interrupted),
            };
        }
        let resp3 = shared.resp3.load(Ordering::Relaxed);
        let reply = match result {
            Ok(values) => {
                let mut values = values.into_iter();
                match values.next() {
                    Some(Value::Boolean(true)) => {
                        convert::lua_to_reply(&values.next().unwrap_or(Value::Nil), resp3)
                    }
                    _ => match lock(&shared.error).take() {
                        Some(ScriptError {
                            msg,
                            at: Some((source, line)),
                        }) => Reply::Error(format!("{msg} script: {label}, on {source}:{line}.")),
                        Some(ScriptError { msg, at: None }) => Reply::Error(msg),
                        None => Reply::err("ERR Error running script: unknown error"),
                    },
                }
            }
            Err(e) => Reply::Error(format!("ERR Error running script {label}, {e}")),
        };
        Ok(reply)
    }

    /// Load the library `code` into the VM unless it is there (keyed by
    /// the SHA-1 of its code), with Redis 7.0's texts for what fails.
    fn load(&self, vm: &mut Vm, code: &[u8]) -> Result<String, String> {
        let key = sha1_hex(code);
        if vm.libraries.contains_key(&key) {
            return Ok(key);
        }
        let body = &code[header_len(code)..];
        let f = vm
            .lua
            .load(body)
            .set_name("@user_function")
            .set_mode(ChunkMode::Text)
            .set_environment(
                vm.fns
                    .raw_get::<Table>("env")
                    .map_err(|e| format!("ERR {e}"))?,
            )
            .into_function()
            .map_err(|e| {
                let msg = match e {
                    mlua::Error::SyntaxError { message, .. } => message,
                    other => other.to_string(),
                };
                format!("ERR Error compiling function: {msg}")
            })?;
        let call = |name: &str| -> Result<Value, String> {
            vm.fns
                .raw_get::<Function>(name)
                .and_then(|f| f.call::<Value>(()))
                .map_err(|e| format!("ERR {e}"))
        };
        let shared = &*self.shared;
        shared.reset(false);
        call("begin_load")?;
        shared
            .load_checks
            .store(LOAD_BUDGET_CHECKS, Ordering::Relaxed);
        let result = vm.xpcall.call::<MultiValue>((f, vm.handler.clone()));
        shared.load_checks.store(0, Ordering::Relaxed);
        let stop = self.settle_stop(vm);
        let registry = call("end_load")?;
        if let Some(stop) = stop {
            return Err(match stop {
                Stop::LoadTimeout => "ERR Error registering functions: ERR FUNCTION LOAD timeout",
                _ => "ERR Error registering functions: ERR the load was stopped",
            }
            .to_string());
        }
        let ok = matches!(
            result.as_ref().ok().and_then(|v| v.iter().next().cloned()),
            Some(Value::Boolean(true))
        );
        if !ok {
            let msg = match (result, lock(&shared.error).take()) {
                (_, Some(e)) => e.msg,
                (Err(e), None) => format!("ERR {e}"),
                (Ok(_), None) => "ERR unknown error".into(),
            };
            return Err(format!("ERR Error registering functions: {msg}"));
        }
        let Value::Table(registry) = registry else {
            return Err("ERR No functions registered".into());
        };
        let mut lib = Library {
            functions: HashMap::new(),
            registered: Vec::new(),
        };
        let read = |entry: Table| -> mlua::Result<(Registered, Function)> {
            Ok((
                Registered {
                    name: entry.raw_get("name")?,
                    description: entry.raw_get("description")?,
                    flags: entry.raw_get("flags")?,
                },
                entry.raw_get("callback")?,
            ))
        };
        for entry in registry.sequence_values::<Table>() {
            let (reg, callback) = entry.and_then(read).map_err(|e| format!("ERR {e}"))?;
            // Names differing only in case: FCALL finds the first (Redis: either,
            // by hash order).
            lib.functions
                .entry(reg.name.to_ascii_lowercase())
                .or_insert(callback);
            lib.registered.push(reg);
        }
        if lib.registered.is_empty() {
            return Err("ERR No functions registered".into());
        }
        vm.libraries.insert(key.clone(), lib);
        Ok(key)
    }
}

impl Engine for LuaEngine {
    fn run(&self, inv: &Invocation<'_>, host: &mut dyn Host) -> Result<Reply, Interrupted> {
        let mut vm = lock(&self.vm);
        let f = match vm.function(inv.sha, inv.body) {
            Ok(f) => f,
            Err(text) => return Ok(Reply::Error(text)),
        };
        let args = vm.sequence(inv.keys).and_then(|keys| {
            vm.globals.raw_set("KEYS", keys)?;
            vm.globals.raw_set("ARGV", vm.sequence(inv.argv)?)
        });
        if let Err(e) = args {
            return Ok(Reply::Error(format!("ERR {e}")));
        }
        self.execute(&vm, &f, inv.sha, inv.read_only, Arm::Script, host)
    }

    fn compile_check(&self, body: &[u8]) -> Result<(), String> {
        eval_flags(body)?;
        let mut vm = lock(&self.vm);
        let sha = sha1_hex(body);
        vm.function(&sha, body).map(|_| ())
    }

    fn load_library(&self, code: &[u8]) -> Result<Vec<Registered>, String> {
        let mut vm = lock(&self.vm);
        let key = self.load(&mut vm, code)?;
        Ok(vm
            .libraries
            .get(&key)
            .map(|l| l.registered.clone())
            .unwrap_or_default())
    }

    fn call_function(
        &self,
        call: &FunctionCall<'_>,
        host: &mut dyn Host,
    ) -> Result<Reply, Interrupted> {
        let mut vm = lock(&self.vm);
        let key = match self.load(&mut vm, call.code) {
            Ok(key) => key,
            Err(text) => return Ok(Reply::Error(text)),
        };
        let Some(f) = vm
            .libraries
            .get(&key)
            .and_then(|l| l.functions.get(&call.function.to_ascii_lowercase()))
            .cloned()
        else {
            return Ok(Reply::err("ERR Function not found"));
        };
        let prepared = (|| -> mlua::Result<Function> {
            let keys = vm.sequence(call.keys)?;
            let argv = vm.sequence(call.argv)?;
            vm.fns
                .raw_get::<Function>("prepare")?
                .call::<()>((f, keys, argv))?;
            vm.fns.raw_get::<Function>("run")
        })();
        let run = match prepared {
            Ok(run) => run,
            Err(e) => return Ok(Reply::Error(format!("ERR {e}"))),
        };
        self.execute(
            &vm,
            &run,
            call.function,
            call.read_only,
            Arm::Function(call.function, call.command),
            host,
        )
    }
}
