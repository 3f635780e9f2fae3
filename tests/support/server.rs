//! A fencekv server process for tests: the built `fencekv serve` on a free
//! port with its own data directory and log, waited for until it answers;
//! killed, stopped with SIGTERM, or started again on the same directory.

use std::fs::File;
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::ports::temp_dir;
use super::process::{kill, start_serving_with};
use super::wait::TIMEOUT;

/// A `fencekv serve` process, killed when dropped; its directory is kept
/// when the test failed, for its log.
pub struct Server {
    pub port: u16,
    pub dir: PathBuf,
    pub args: Vec<String>,
    child: Option<Child>,
}

impl Server {
    /// Start `fencekv serve` with extra `args` in a fresh directory.
    pub fn start(args: &[&str]) -> Server {
        let dir = temp_dir("test");
        let mut s = Server {
            port: 0,
            dir,
            args: args.iter().map(|a| a.to_string()).collect(),
            child: None,
        };
        s.launch();
        s
    }

    fn launch(&mut self) {
        assert!(self.child.is_none(), "already running");
        let log = File::options()
            .create(true)
            .append(true)
            .open(self.dir.join("server.log"))
            .expect("log file");
        let log2 = log.try_clone().expect("log file");
        // A fresh port each launch: the one a killed server freed may be
        // taken in the meantime.
        let password = self
            .args
            .iter()
            .position(|a| a == "--requirepass")
            .and_then(|i| self.args.get(i + 1))
            .filter(|p| !p.is_empty())
            .cloned();
        let started = start_serving_with(password.as_deref(), |port| {
            Command::new(env!("CARGO_BIN_EXE_fencekv"))
                .arg("serve")
                .arg("--port")
                .arg(port.to_string())
                .arg("--dir")
                .arg(self.dir.join("data"))
                .args(&self.args)
                .stdin(Stdio::null())
                .stdout(Stdio::from(log.try_clone().expect("log")))
                .stderr(Stdio::from(log2.try_clone().expect("log")))
                .spawn()
                .expect("spawn fencekv")
        });
        let Some((port, child)) = started else {
            panic!("fencekv did not start; log:\n{}", self.log());
        };
        self.port = port;
        self.child = Some(child);
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    pub fn client(&self) -> redis::Connection {
        redis::Client::open(self.url())
            .expect("client")
            .get_connection_with_timeout(TIMEOUT)
            .expect("connect")
    }

    pub fn raw(&self) -> TcpStream {
        let s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        s.set_read_timeout(Some(TIMEOUT)).expect("timeout");
        s
    }

    /// SIGKILL: no chance to flush anything.
    pub fn kill(&mut self) {
        kill(&mut self.child);
    }

    /// The running process's resident memory in KiB (Linux's VmRSS).
    pub fn rss_kib(&self) -> u64 {
        let c = self.child.as_ref().expect("running");
        let status = std::fs::read_to_string(format!("/proc/{}/status", c.id())).expect("status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS")
    }

    /// Send `signal` (`STOP`, `CONT`, …) to the running process.
    pub fn signal(&self, signal: &str) {
        let c = self.child.as_ref().expect("running");
        let ok = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(c.id().to_string())
            .status()
            .expect("run kill");
        assert!(ok.success(), "kill -{signal}");
    }

    /// SIGTERM and wait for the exit status.
    pub fn terminate(&mut self) -> ExitStatus {
        let c = self.child.take().expect("running");
        let ok = Command::new("kill")
            .arg("-TERM")
            .arg(c.id().to_string())
            .status()
            .expect("run kill");
        assert!(ok.success());
        self.wait_for_exit(c, "SIGTERM")
    }

    /// Wait for the process to exit on its own (after SHUTDOWN).
    pub fn wait_exit(&mut self) -> ExitStatus {
        let c = self.child.take().expect("running");
        self.wait_for_exit(c, "SHUTDOWN")
    }

    fn wait_for_exit(&self, mut c: Child, after: &str) -> ExitStatus {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = c.try_wait().expect("wait") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = c.kill();
                panic!("fencekv did not exit after {after}; log:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn running(&self) -> bool {
        self.child.is_some()
    }

    /// Start again on the same directory (after `kill`).
    pub fn start_again(&mut self) {
        self.launch();
    }

    /// Start again on the same directory.
    pub fn restart(&mut self) {
        self.kill();
        self.launch();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
