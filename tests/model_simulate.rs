//! Random walks on a setup too large to exhaust: 5 nodes, 3 clients, a lossy
//! unordered network and crashes with recovery from storage. A few fixed
//! seeds, so the run is the same every time; any violation fails with its
//! trace.

use fencekv::model::check::{report, simulate};
use fencekv::model::ModelCfg;

#[test]
fn five_nodes_with_loss_and_crashes_stay_safe_on_fixed_seeds() {
    for seed in 1..=4 {
        let cfg =
            ModelCfg::from_file(std::path::Path::new("model/sim-five-nodes.toml")).expect("config");
        let outcome = simulate(cfg, seed, 500, 80);
        assert_eq!(
            outcome.verdict,
            "pass",
            "seed {seed}:\n{}",
            report(&outcome)
        );
        assert!(
            outcome.unique_states > 1000,
            "seed {seed} explored too little"
        );
    }
}

/// `fencekv check` refuses a config meant for random walks instead of
/// running without end, unless a strategy is forced; the others it runs.
#[test]
fn check_refuses_a_config_meant_for_simulate() {
    use fencekv::model::check::{refusal, CheckOptions};
    use fencekv::model::config::Strategy;
    let load = |f: &str| ModelCfg::from_file(std::path::Path::new(f)).expect("config");
    let sim = load("model/sim-five-nodes.toml");
    let why = refusal(&sim, &CheckOptions::default()).unwrap_or_default();
    assert!(why.contains("fencekv simulate"), "{why}");
    let forced = CheckOptions {
        strategy: Some(Strategy::Dfs),
        ..CheckOptions::default()
    };
    assert_eq!(refusal(&sim, &forced), None);
    assert_eq!(
        refusal(&load("model/base.toml"), &CheckOptions::default()),
        None
    );
}

/// The random walks can fail: on the no-fence gap, seed 1 walks into the
/// stale read, and the walk replays as a valid counterexample.
#[test]
fn random_walks_find_the_no_fence_stale_read() {
    let cfg = ModelCfg::from_file(std::path::Path::new("model/gap-no-fence.toml")).expect("config");
    let outcome = simulate(cfg, 1, 20_000, 40);
    assert_eq!(
        outcome.verdict,
        "violation: linearizable",
        "{}",
        report(&outcome)
    );
    assert!(outcome.counterexample.is_some());
}
