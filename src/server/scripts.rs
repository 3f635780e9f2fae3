//! The server's side of scripts: the Lua engine every node of the process
//! shares, and the watchdog: past the time limit (`--lua-time-limit`) the
//! server is busy (BUSY to other clients, as in Redis) until the script ends
//! or SCRIPT KILL / FUNCTION KILL stops it. The engine asks the watchdog rather than
//! reading a clock itself, so only this module looks at time.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use std::time::{Duration, Instant};

use crate::resp::Reply;
use crate::script::{Engine, Watchdog};

/// Stops scripts that run too long or that SCRIPT KILL names.
#[derive(Debug)]
pub struct ScriptWatchdog {
    /// The time limit in ms (`--lua-time-limit`, CONFIG SET lua-time-limit).
    limit_ms: AtomicU64,
    epoch: Instant,
    /// When the running script started, in µs since `epoch`.
    started_us: AtomicU64,
    running: AtomicBool,
    kill: AtomicBool,
    /// The running function's name and command (`None`: a script, or
    /// nothing, runs).
    function: Mutex<Option<(String, Vec<Bytes>)>>,
}

/// Redis's `slowscripterr` and `slowevalerr`: the other KILL is the one.
const BUSY_FUNCTION: &str =
    "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";
const BUSY_SCRIPT: &str =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";

impl ScriptWatchdog {
    pub fn new(limit: Duration) -> Self {
        ScriptWatchdog {
            limit_ms: AtomicU64::new(u64::try_from(limit.as_millis()).unwrap_or(u64::MAX)),
            epoch: Instant::now(),
            started_us: AtomicU64::new(0),
            running: AtomicBool::new(false),
            kill: AtomicBool::new(false),
            function: Mutex::new(None),
        }
    }

    fn now_us(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    /// The time limit, in ms.
    pub fn limit_ms(&self) -> u64 {
        self.limit_ms.load(Ordering::Acquire)
    }

    /// CONFIG SET lua-time-limit: a new limit, for the running script too.
    pub fn set_limit_ms(&self, ms: u64) {
        self.limit_ms.store(ms, Ordering::Release);
    }

    /// SCRIPT KILL: stop the running script. Always safe here, unlike in
    /// Redis: a script's writes are buffered until it finishes, so a killed
    /// script has written nothing.
    pub fn kill(&self) -> Reply {
        self.kill_kind(false)
    }

    /// FUNCTION KILL: stop the running function (not a script: as in
    /// Redis, each KILL stops only its own kind).
    pub fn kill_function(&self) -> Reply {
        self.kill_kind(true)
    }

    fn kill_kind(&self, function: bool) -> Reply {
        if !self.running.load(Ordering::Acquire) {
            return Reply::err("NOTBUSY No scripts in execution right now.");
        }
        let running_function = self.running_function().is_some();
        if running_function != function {
            return Reply::err(if running_function {
                BUSY_FUNCTION
            } else {
                BUSY_SCRIPT
            });
        }
        self.kill.store(true, Ordering::Release);
        Reply::ok()
    }

    /// The running function's name, its command and how long it has run (ms).
    pub fn running_function(&self) -> Option<(String, Vec<Bytes>, u64)> {
        if !self.running.load(Ordering::Acquire) {
            return None;
        }
        let f = self
            .function
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()?;
        let ran_ms = self
            .now_us()
            .saturating_sub(self.started_us.load(Ordering::Acquire))
            / 1000;
        Some((f.0, f.1, ran_ms))
    }
}

impl Watchdog for ScriptWatchdog {
    fn arm_function(&self, name: &str, command: &[Bytes]) {
        *self.function.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((name.to_string(), command.to_vec()));
        self.start();
    }

    fn arm(&self) {
        *self.function.lock().unwrap_or_else(|p| p.into_inner()) = None;
        self.start();
    }

    fn should_stop(&self) -> Option<String> {
        self.check()
    }

    fn disarm(&self) {
        self.running.store(false, Ordering::Release);
    }
}

impl ScriptWatchdog {
    fn start(&self) {
        self.kill.store(false, Ordering::Release);
        self.started_us.store(self.now_us(), Ordering::Release);
        self.running.store(true, Ordering::Release);
    }

    fn check(&self) -> Option<String> {
        if self.kill.load(Ordering::Acquire) {
            return Some("ERR Script killed by user with SCRIPT KILL...".into());
        }
        None
    }

    /// Redis's busy state: a script has run longer than the time limit
    /// (`busy-reply-threshold`). It goes on running; every other client's
    /// command but the few that may run meanwhile is answered this error
    /// until the script ends or SCRIPT KILL / FUNCTION KILL stops it.
    pub fn busy_error(&self) -> Option<&'static str> {
        if !self.running.load(Ordering::Acquire) {
            return None;
        }
        let ran = self
            .now_us()
            .saturating_sub(self.started_us.load(Ordering::Acquire));
        if ran <= self.limit_ms().saturating_mul(1000) {
            return None;
        }
        Some(if self.running_function().is_some() {
            BUSY_FUNCTION
        } else {
            BUSY_SCRIPT
        })
    }
}

/// What connections need of scripts: the engine (SCRIPT LOAD compiles with
/// it) and the watchdog (SCRIPT KILL).
#[derive(Clone, Debug)]
pub struct Scripts {
    pub engine: Arc<dyn Engine>,
    pub watchdog: Arc<ScriptWatchdog>,
}

impl Scripts {
    pub fn new(time_limit: Duration) -> Self {
        let watchdog = Arc::new(ScriptWatchdog::new(time_limit));
        let engine: Arc<dyn Engine> = Arc::new(crate::script::lua::LuaEngine::new(Some(
            watchdog.clone() as Arc<dyn Watchdog>,
        )));
        Scripts { engine, watchdog }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kill_stops_only_a_running_script() {
        let w = ScriptWatchdog::new(Duration::from_secs(60));
        assert!(w.kill().is_error(), "NOTBUSY with nothing running");
        w.arm();
        assert_eq!(w.should_stop(), None);
        assert_eq!(w.kill(), Reply::ok());
        assert!(w.should_stop().is_some());
        w.disarm();
        w.arm();
        assert_eq!(w.should_stop(), None, "a new script starts unkilled");
    }

    #[test]
    fn each_kill_stops_only_its_own_kind() {
        let w = ScriptWatchdog::new(Duration::from_secs(60));
        w.arm_function("f", &[Bytes::from_static(b"fcall")]);
        assert_eq!(w.kill(), Reply::err(BUSY_FUNCTION));
        assert!(w.running_function().is_some_and(|f| f.0 == "f"));
        assert_eq!(w.kill_function(), Reply::ok());
        w.disarm();
        w.arm();
        assert_eq!(w.kill_function(), Reply::err(BUSY_SCRIPT));
        assert_eq!(w.running_function(), None);
        assert_eq!(w.kill(), Reply::ok());
    }

    #[test]
    fn the_time_limit_can_change_while_running() {
        let w = ScriptWatchdog::new(Duration::from_secs(60));
        w.arm();
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(w.busy_error(), None);
        w.set_limit_ms(1);
        assert_eq!(w.busy_error(), Some(BUSY_SCRIPT));
        assert_eq!(w.limit_ms(), 1);
    }

    #[test]
    fn past_the_time_limit_the_server_is_busy_and_the_script_goes_on() {
        let w = ScriptWatchdog::new(Duration::ZERO);
        assert_eq!(w.busy_error(), None, "nothing runs");
        w.arm();
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(w.busy_error(), Some(BUSY_SCRIPT));
        assert_eq!(w.should_stop(), None, "only a kill stops it");
        w.disarm();
        assert_eq!(w.busy_error(), None);
    }
}
