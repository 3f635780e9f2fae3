//! Shrinking a counterexample until no single step can be removed, for runs
//! (DFS) whose counterexample BFS cannot reach.

use stateright::{Expectation, Model, Path};

use super::Action;
use crate::model::{Model as FenceModel, State};

/// Replay `actions` from `init`; if some prefix reaches a state violating an
/// `always` property, return that prefix's length. `None` if an action is not
/// enabled where it is replayed, or no state violates.
fn replay_violates(model: &FenceModel, init: &State, actions: &[Action]) -> Option<usize> {
    let always: Vec<_> = model
        .properties()
        .into_iter()
        .filter(|p| p.expectation == Expectation::Always)
        .collect();
    let mut state = init.clone();
    let mut enabled = Vec::new();
    for (i, a) in actions.iter().enumerate() {
        enabled.clear();
        model.actions(&state, &mut enabled);
        if !enabled.contains(a) {
            return None;
        }
        state = model.next_state(&state, a.clone())?;
        if !model.within_boundary(&state) {
            return None;
        }
        if always.iter().any(|p| !(p.condition)(model, &state)) {
            return Some(i + 1);
        }
    }
    None
}

/// Shrink a counterexample until no single step can be removed (and every
/// step still applies): deterministic, so the same input gives the same
/// trace. Used where BFS cannot reach the counterexample's depth.
pub fn minimize(model: &FenceModel, path: Path<State, Action>) -> Path<State, Action> {
    let init = path.clone().into_states().swap_remove(0);
    let mut actions = path.clone().into_actions();
    'shrink: loop {
        for i in 0..actions.len() {
            let mut candidate = actions.clone();
            candidate.remove(i);
            if let Some(len) = replay_violates(model, &init, &candidate) {
                candidate.truncate(len);
                actions = candidate;
                continue 'shrink;
            }
        }
        break;
    }
    Path::from_actions(model, init, actions.iter()).unwrap_or(path)
}

/// Whether removing any single step of `path` loses the violation (the test
/// of [`minimize`]'s promise).
pub fn is_one_minimal(model: &FenceModel, path: &Path<State, Action>) -> bool {
    let init = path.clone().into_states().swap_remove(0);
    let actions = path.clone().into_actions();
    replay_violates(model, &init, &actions) == Some(actions.len())
        && (0..actions.len()).all(|i| {
            let mut c = actions.clone();
            c.remove(i);
            replay_violates(model, &init, &c).is_none()
        })
}
