//! A child process that serves RESP on a local port (fencekv or the
//! redis-server oracle): started on a fresh port until it answers as itself,
//! and killed.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Child;
use std::time::{Duration, Instant};

use super::ports::free_port;
use super::wait::TIMEOUT;

/// Spawn `spawn(port)` on a fresh port until the process answers there (five
/// tries; a try fails when the process dies or does not answer in time). The
/// port and the running process, or `None`.
pub fn start_serving(spawn: impl FnMut(u16) -> Child) -> Option<(u16, Child)> {
    start_serving_with(None, spawn)
}

/// [`start_serving`] of a server started with `--requirepass password`: the
/// readiness probe authenticates first.
pub fn start_serving_with(
    password: Option<&str>,
    mut spawn: impl FnMut(u16) -> Child,
) -> Option<(u16, Child)> {
    for _ in 0..5 {
        let port = free_port();
        let mut child = Some(spawn(port));
        if wait_ready(&mut child, port, password) {
            return child.map(|c| (port, c));
        }
        kill(&mut child);
    }
    None
}

/// Poll until the process answers on `port` (false once it died, clearing
/// `child`, or after `TIMEOUT`).
fn wait_ready(child: &mut Option<Child>, port: u16, password: Option<&str>) -> bool {
    let deadline = Instant::now() + TIMEOUT;
    while Instant::now() < deadline {
        if let Some(c) = child.as_mut() {
            if let Ok(Some(_)) = c.try_wait() {
                *child = None;
                return false;
            }
        }
        let pid = child.as_ref().map(|c| c.id()).unwrap_or(0);
        if answers_as_with(port, pid, password) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

/// SIGKILL and reap, if running: no chance to flush anything.
pub fn kill(child: &mut Option<Child>) {
    if let Some(mut c) = child.take() {
        let _ = c.kill();
        let _ = c.wait();
    }
}

/// Whether the server answering on `port` is the process `pid` (its INFO
/// says so): a bare "it accepts" would wrongly pass if another process held
/// the port.
pub fn answers_as(port: u16, pid: u32) -> bool {
    answers_as_with(port, pid, None)
}

/// [`answers_as`], authenticating with `password` first if there is one.
pub fn answers_as_with(port: u16, pid: u32, password: Option<&str>) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let mut probe = Vec::new();
    if let Some(pw) = password {
        probe.extend(super::resp::encode(&["AUTH", pw]));
    }
    probe.extend_from_slice(b"INFO server\r\n");
    if s.write_all(&probe).is_err() {
        return false;
    }
    let want = format!("process_id:{pid}\r\n");
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = s.read(&mut buf) {
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&got);
        if text.contains(&want) {
            return true;
        }
        if text.contains("process_id:") && text.ends_with("\r\n\r\n") {
            break;
        }
    }
    false
}
