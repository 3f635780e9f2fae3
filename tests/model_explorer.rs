//! The stateright explorer over HTTP: `fencekv explore` serves a config; its
//! status answers, and the no-fence counterexample is reachable by walking the
//! explorer's `/.states/…` path to the stale read.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fencekv::model::check::{explorer_path, replay_schedule};
use fencekv::model::ModelCfg;

mod support;
use support::ports::free_port;
use support::schedules::DEPOSED_LEADER;

struct Explorer(Child);
impl Drop for Explorer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn http(port: u16, method: &str, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    write!(
        s,
        "{method} {path} HTTP/1.0\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut body = String::new();
    s.read_to_string(&mut body).ok()?;
    let code = body.split_whitespace().nth(1)?.parse().ok()?;
    Some((code, body))
}

#[test]
fn the_explorer_reaches_the_no_fence_counterexample() {
    let cfg = ModelCfg::from_file(std::path::Path::new("model/gap-no-fence.toml")).expect("config");
    let model = cfg.into_model();
    let path = replay_schedule(&model, DEPOSED_LEADER).expect("the schedule replays");
    let url = explorer_path(&model, &path);

    let port = free_port();
    let _explorer = Explorer(
        Command::new(env!("CARGO_BIN_EXE_fencekv"))
            .args([
                "explore",
                "model/gap-no-fence.toml",
                "--addr",
                &format!("127.0.0.1:{port}"),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("fencekv explore"),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(r) = http(port, "GET", "/.status") {
            break r;
        }
        assert!(Instant::now() < deadline, "the explorer did not answer");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.0, 200, "{}", status.1);
    assert!(status.1.contains("\"unique_state_count\""), "{}", status.1);
    assert!(status.1.contains("linearizable"), "{}", status.1);

    // The state after the read reached n0: its next states include n0
    // answering nil, after the write was acknowledged.
    let (code, body) = http(port, "GET", &url).expect("states");
    assert_eq!(code, 200, "{body}");
    assert!(
        body.contains("Id(0) → Reply { req: 1, reply: Nil } → Id(3)"),
        "the stale read (n0 answers nil) is one step away: {body}"
    );
}
