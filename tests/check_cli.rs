//! `fencekv check` as a person runs it: the limits give an "incomplete"
//! verdict with exit code 3 (never a pass), and a finished run ends with the
//! summary table and exit code 0.

use std::process::{Command, Output};

fn check(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fencekv"))
        .arg("check")
        .args(args)
        .output()
        .expect("run fencekv check")
}

fn text(out: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn max_states_stops_with_an_incomplete_verdict() {
    let out = check(&["model/base.toml", "--max-states", "1000"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        stdout.starts_with("base: incomplete: stopped after "),
        "{}",
        text(&out)
    );
    assert!(stdout.contains("(--max-states 1,000)"), "{}", text(&out));
    assert!(!stdout.contains("base: pass"), "{}", text(&out));
}

#[test]
fn max_states_stops_a_bfs_run_too() {
    let out = check(&["model/base.toml", "--bfs", "--max-states", "1000"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("incomplete"),
        "{}",
        text(&out)
    );
}

#[test]
fn timeout_stops_with_an_incomplete_verdict() {
    let started = std::time::Instant::now();
    let out = check(&["model/base.toml", "--timeout", "1"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("incomplete: stopped after"),
        "{}",
        text(&out)
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn a_bad_limit_is_a_usage_error() {
    let out = check(&["model/base.toml", "--timeout", "-1"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[test]
fn a_finished_pass_exits_0_with_the_summary_table() {
    // A config far smaller than model/small.toml, so the debug build under
    // `cargo test` finishes it in well under a second.
    let dir = std::env::temp_dir().join(format!("fencekv-check-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("tiny.toml");
    std::fs::write(
        &file,
        r#"description = "One candidate, one term, one client writing x."
expect = "pass"
nodes = 3
clients = [["set x 1 @0"]]
candidates = [0]
max_term = 1
election_timer = "without-leader"
"#,
    )
    .expect("write config");
    let path = file.to_string_lossy().into_owned();
    let out = check(&[&path, "--max-states", "1000000", "--timeout", "60"]);
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        stdout.starts_with("tiny: pass (expected pass) — "),
        "{}",
        text(&out)
    );
    for row in [
        "verdict        pass",
        "expected       pass",
        "unique states",
        "states",
        "max depth",
        "elapsed",
        "unique/s",
        "peak memory",
    ] {
        assert!(stdout.contains(row), "no {row:?} row\n{}", text(&out));
    }
}
