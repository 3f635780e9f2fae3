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

#[test]
fn duplicating_network_stays_safe_on_fixed_seeds() {
    for seed in 1..=4 {
        let cfg = ModelCfg::from_file(std::path::Path::new("model/sim-duplicating.toml"))
            .expect("config");
        let outcome = simulate(cfg, seed, 300, 60);
        assert_eq!(
            outcome.verdict,
            "pass",
            "seed {seed}:\n{}",
            report(&outcome)
        );
    }
}
