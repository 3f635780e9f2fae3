//! Random walks through the model, seeded, stopping at the first violation.

use std::time::Instant;

use stateright::{Expectation, Model, Path};

use super::search::fingerprint;
use super::{describe, expect_text, Action, Outcome};
use crate::model::ModelCfg;

/// Random walks: `runs` walks of at most `max_depth` steps from the initial
/// state, each step an action chosen uniformly (seeded, so the same walks
/// every run), stopping at the first state that violates an `always`
/// property. Our own loop rather than stateright 0.31's simulation checker,
/// which cannot rebuild a walk that tried an action that changed nothing (it
/// records the index into a shrunken list, then replays it against the full
/// one).
///
/// Walks run the whole model: dropping ignored messages merges states a
/// walk does not keep, and it shifts the odds of a walk (a stale answer
/// still in flight is a step that lets the others race ahead): seed 1
/// finds the no-fence stale read in 20,000 walks of 40 steps on the whole
/// model, and needs some 140,000 of 60 steps on the reduced one.
pub fn simulate(mut cfg: ModelCfg, seed: u64, runs: usize, max_depth: usize) -> Outcome {
    cfg.drop_ignored_messages = false;
    let name = cfg.name.clone();
    let expected = expect_text(&cfg.expect);
    let model = cfg.into_model();
    let started = Instant::now();
    let always: Vec<_> = model
        .properties()
        .into_iter()
        .filter(|p| p.expectation == Expectation::Always)
        .collect();
    let mut rng = crate::rng::XorShift::seeded(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let mut seen = std::collections::HashSet::new();
    let (mut states, mut deepest) = (0usize, 0usize);
    let mut violation = None;
    let inits = model.init_states();
    'runs: for _ in 0..runs {
        let Some(init) = inits.first().cloned() else {
            break;
        };
        let mut state = init.clone();
        let mut path: Vec<Action> = Vec::new();
        for depth in 0..=max_depth {
            states += 1;
            seen.insert(fingerprint(&state));
            deepest = deepest.max(depth);
            if let Some(p) = always.iter().find(|p| !(p.condition)(&model, &state)) {
                violation =
                    Path::from_actions(&model, init, path.iter()).map(|path| (p.name, path));
                break 'runs;
            }
            if depth == max_depth {
                break;
            }
            let mut actions = Vec::new();
            model.actions(&state, &mut actions);
            // Try actions in a random order until one changes something.
            let mut next = None;
            while !actions.is_empty() {
                let action = actions.swap_remove(rng.below(actions.len() as u64) as usize);
                if let Some(n) = model.next_state(&state, action.clone()) {
                    if Model::within_boundary(&model, &n) {
                        next = Some((action, n));
                        break;
                    }
                }
            }
            let Some((action, n)) = next else { break };
            path.push(action);
            state = n;
        }
    }
    let (verdict, trace, trace_len, counterexample) = describe(&model, violation);
    Outcome {
        counterexample,
        name,
        verdict,
        expected,
        unique_states: seen.len(),
        states,
        max_depth: deepest,
        elapsed: started.elapsed(),
        trace,
        trace_len,
        stopped: None,
    }
}
