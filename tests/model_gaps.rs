//! Each gap of the read protocol, shown on a hand-written schedule: the
//! schedule replays step by step in the model (every step enabled), the gap
//! configuration's last state violates `linearizable`, and the safe protocol
//! cannot take the same path to a stale read. This proves the checker's
//! property can fail (a check that cannot fail is a defect); exhaustive search
//! for these counterexamples is still too slow (spec §6, Checking status).

use fencekv::model::check::{is_one_minimal, minimize, render_trace, replay_schedule, violated};
use fencekv::model::props::LINEARIZABLE;
use fencekv::model::ModelCfg;

fn cfg(file: &str) -> ModelCfg {
    ModelCfg::from_file(std::path::Path::new(&format!("model/{file}.toml"))).expect("config")
}

/// n0 leads term 1 and commits its no-op with n1; n2 learns the no-op, times
/// out and wins term 2 with n1's vote; c0 writes x=1 through n2 (committed
/// with n1, applied, acknowledged), then reads x at n0, which still believes
/// it leads term 1.
const DEPOSED_LEADER: &[&str] = &[
    "n0 timeout Election",
    "n1 <- n0 RequestVote",
    "n0 <- n1 Vote",
    "n1 <- n0 AppendEntries",
    "n0 <- n1 AppendResult",
    "n0 timeout Apply",
    "n2 <- n0 RequestVote",
    "n2 <- n0 AppendEntries",
    "n2 timeout Election",
    "n1 <- n2 RequestVote",
    "n2 <- n1 Vote",
    "n2 <- c0 Request",
    "n1 <- n2 AppendEntries",
    "n2 <- n1 AppendResult",
    "n1 <- n2 AppendEntries",
    "n2 <- n1 AppendResult",
    "n2 timeout Apply",
    "c0 <- n2 Reply",
    "n0 <- c0 Request",
];

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!(name, text);
    });
}

#[test]
fn without_the_fence_a_deposed_leader_serves_a_stale_read() {
    let model = cfg("gap-no-fence").into_model();
    let mut schedule = DEPOSED_LEADER.to_vec();
    schedule.push("c0 <- n0 Reply");
    let path = replay_schedule(&model, &schedule).expect("the schedule replays");
    assert_eq!(violated(&model, &path), vec![LINEARIZABLE]);
    let short = minimize(&model, path);
    assert!(
        is_one_minimal(&model, &short),
        "no single step of the trace can go"
    );
    assert_eq!(violated(&model, &short), vec![LINEARIZABLE]);
    snapshot("gap_no_fence_trace", &render_trace(&model, &short));
}

#[test]
fn with_the_fence_the_deposed_leader_steps_down_instead() {
    let mut safe = cfg("gap-no-fence");
    safe.modes = Default::default();
    let model = safe.into_model();
    // The read reaches n0, but n0 cannot answer before its fence round: the
    // schedule's last step (n0 answering) is not enabled…
    let mut schedule = DEPOSED_LEADER.to_vec();
    schedule.push("c0 <- n0 Reply");
    let err = replay_schedule(&model, &schedule).expect_err("no reply before the fence");
    assert!(err.contains("is not enabled"), "{err}");
    // …and the round's acknowledgement tells n0 of term 2: it steps down and
    // redirects the read, having served nothing.
    let mut schedule = DEPOSED_LEADER.to_vec();
    schedule.extend([
        "n1 <- n0 AppendEntries",
        "n0 <- n1 AppendResult",
        "c0 <- n0 Redirect",
    ]);
    let path = replay_schedule(&model, &schedule).expect("the fenced schedule replays");
    assert!(violated(&model, &path).is_empty());
}
