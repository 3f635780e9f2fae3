//! How long a test waits for a server, and retrying until something holds.

use std::time::{Duration, Instant};

/// How long anything in a test may wait for a server.
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// Retry `f` until it succeeds or `TIMEOUT` passes.
pub fn eventually<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}
