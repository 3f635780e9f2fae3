//! Breadth-first search for a shortest violation, and the state fingerprint.
//!
//! stateright 0.31.0 overwrites a property's discovery when later states also
//! violate it, so its BFS counterexamples are neither shortest nor stable.
//! [`shortest_violation`] works around that from the outside, through the
//! public `Model` API only: a single-threaded breadth-first search that visits
//! states in order of depth and actions in the model's order, and stops at the
//! first state that violates an `always` property — a shortest counterexample,
//! the same on every run. (A `CheckerVisitor` would do too, but stateright
//! rebuilds the whole path for every visited state before calling it.)

use std::time::{Duration, Instant};

use stateright::{Expectation, Model, Path};

use super::progress::{Layers, Limits, Line, Rate, Stop};
use super::Action;
use crate::model::{Model as FenceModel, State};

/// A violated property and the path to the violating state.
pub type Violation = (&'static str, Path<State, Action>);

/// What a search saw.
#[derive(Clone, Debug, Default)]
pub struct SearchStats {
    pub unique_states: usize,
    pub states: usize,
    pub max_depth: usize,
    /// Set when a limit stopped the search before it finished (and before
    /// it found a violation).
    pub stopped: Option<Stop>,
}

pub(super) fn fingerprint(state: &State) -> u64 {
    use std::hash::{Hash, Hasher};
    // SipHash with fixed keys: the same on every run and machine.
    #[allow(deprecated)]
    let mut h = std::hash::SipHasher::new();
    state.hash(&mut h);
    h.finish()
}

/// Breadth-first search for the shortest path to a state that violates an
/// `always` property (see the module comment). Stops at the first one.
pub fn shortest_violation(
    model: &FenceModel,
    progress: Option<Duration>,
) -> (Option<Violation>, SearchStats) {
    search(model, progress, Limits::default())
}

/// [`shortest_violation`], stopping early at `limits`.
pub(super) fn search(
    model: &FenceModel,
    progress: Option<Duration>,
    limits: Limits,
) -> (Option<Violation>, SearchStats) {
    use std::collections::{HashMap, VecDeque};
    let started = Instant::now();
    let mut rate = Rate::new();
    let mut layers = Layers::default();
    let mut stats = SearchStats::default();
    // fingerprint → (parent fingerprint, action from the parent); roots have none.
    let mut parents: HashMap<u64, Option<(u64, Action)>> = HashMap::new();
    let mut queue: VecDeque<(State, u64, usize)> = VecDeque::new();
    for s in model.init_states() {
        let fp = fingerprint(&s);
        if parents.insert(fp, None).is_none() {
            layers.reached(0);
            queue.push_back((s, fp, 0));
        }
    }
    let always: Vec<_> = model
        .properties()
        .into_iter()
        .filter(|p| p.expectation == Expectation::Always)
        .collect();
    // Rebuild the path to `fp` by walking the parents back to a root.
    let path_to = |parents: &HashMap<u64, Option<(u64, Action)>>, fp: u64| {
        let mut steps = Vec::new();
        let mut cur = fp;
        while let Some(Some((parent, action))) = parents.get(&cur) {
            steps.push(action.clone());
            cur = *parent;
        }
        steps.reverse();
        let root = model
            .init_states()
            .into_iter()
            .find(|s| fingerprint(s) == cur);
        root.and_then(|r| Path::from_actions(model, r, steps.iter()))
    };
    let violated = |s: &State| {
        always
            .iter()
            .find(|p| !(p.condition)(model, s))
            .map(|p| p.name)
    };
    for (s, fp, _) in &queue {
        if let Some(name) = violated(s) {
            stats.unique_states = queue.len();
            return (path_to(&parents, *fp).map(|p| (name, p)), stats);
        }
    }
    let mut actions = Vec::new();
    while let Some((state, fp, depth)) = queue.pop_front() {
        stats.unique_states += 1;
        stats.max_depth = stats.max_depth.max(depth);
        layers.expanding(depth);
        if let Some(stop) = limits.reached(parents.len()) {
            stats.unique_states = parents.len();
            stats.stopped = Some(stop);
            return (None, stats);
        }
        if let Some(every) = progress {
            if rate.due(every) {
                // "Unique" counts every state reached (expanded or queued),
                // the number a finished search reports.
                Line {
                    elapsed: started.elapsed(),
                    states: stats.states,
                    unique: parents.len(),
                    rate: rate.tick(parents.len()),
                    depth,
                    queue: Some(queue.len()),
                    tail: layers.describe(),
                }
                .print();
            }
        }
        actions.clear();
        model.actions(&state, &mut actions);
        for action in actions.drain(..) {
            let Some(next) = model.next_state(&state, action.clone()) else {
                continue;
            };
            stats.states += 1;
            if !model.within_boundary(&next) {
                continue;
            }
            let nfp = fingerprint(&next);
            if let std::collections::hash_map::Entry::Vacant(e) = parents.entry(nfp) {
                e.insert(Some((fp, action)));
                // Checked when first reached, not when expanded: every state
                // of a smaller depth was checked before, so the first
                // violation reached is a shortest one, and the last layer
                // need not be expanded.
                if let Some(name) = violated(&next) {
                    stats.unique_states += queue.len() + 1;
                    stats.max_depth = depth + 1;
                    return (path_to(&parents, nfp).map(|p| (name, p)), stats);
                }
                layers.reached(depth + 1);
                queue.push_back((next, nfp, depth + 1));
            }
        }
    }
    (None, stats)
}
