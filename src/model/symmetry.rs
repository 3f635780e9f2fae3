//! Symmetry reduction (spec §6, "Symmetry"): nodes that no client names,
//! that no bound singles out and that run the same configuration are
//! interchangeable, so a state and the same state with those nodes renamed
//! have the same futures up to the renaming, and satisfy the same
//! properties (every property quantifies over all nodes, and the history is
//! the clients', whose ids are never renamed). The model keeps one state of
//! each such orbit: its canonical form, the renaming that gives the least
//! key below. It is a function of the orbit, not of the state it started
//! from, so two states that differ only by names meet in the visited set.
//!
//! The key is, first, the hashes of the actor states in id order (cheap:
//! most renamings change a few node states, and their hashes are cached)
//! and, only among renamings that tie on it, the hash of the whole state.

use std::sync::Arc;

use stateright::actor::{Id, Network};
use stateright::{Rewrite, RewritePlan};

use super::hashed::{hash_of, seeded_hasher, Hashed};
use super::{ClientState, ModelState, State};
use crate::node::Msg;

/// The renamings of a model: every product of permutations of its classes
/// of interchangeable nodes, but the identity.
#[derive(Clone, Debug, Default)]
pub struct Symmetry {
    /// Each: actor index → the id it takes.
    renamings: Vec<Vec<Id>>,
    /// Each renaming's inverse: id → the actor index that takes it.
    inverses: Vec<Vec<usize>>,
    identity: Vec<usize>,
    /// The actors some renaming moves, in id order.
    moved: Vec<usize>,
}

impl Symmetry {
    /// The renamings of `actors` actors that permute each of `classes`
    /// (sets of actor indices) and fix every other actor.
    pub fn new(classes: &[Vec<usize>], actors: usize) -> Symmetry {
        let mut renamings: Vec<Vec<Id>> = vec![(0..actors).map(Id::from).collect()];
        for class in classes.iter().filter(|c| c.len() > 1) {
            let mut next = Vec::new();
            for base in &renamings {
                for order in permutations(class) {
                    let mut r = base.clone();
                    for (&from, &to) in class.iter().zip(&order) {
                        r[from] = Id::from(to);
                    }
                    next.push(r);
                }
            }
            renamings = next;
        }
        renamings.retain(|r| r.iter().enumerate().any(|(i, id)| usize::from(*id) != i));
        let inverses = renamings
            .iter()
            .map(|r| {
                let mut inv: Vec<usize> = (0..actors).collect();
                for (i, id) in r.iter().enumerate() {
                    inv[usize::from(*id)] = i;
                }
                inv
            })
            .collect();
        let mut moved: Vec<usize> = classes
            .iter()
            .filter(|c| c.len() > 1)
            .flatten()
            .copied()
            .collect();
        moved.sort_unstable();
        Symmetry {
            renamings,
            inverses,
            identity: (0..actors).collect(),
            moved,
        }
    }

    /// How many states each orbit can hold at most (the group's order).
    pub fn order(&self) -> usize {
        self.renamings.len() + 1
    }

    /// The canonical form of `state`'s orbit.
    pub fn canonical(&self, state: State) -> State {
        if self.renamings.is_empty() {
            return state;
        }
        // The first key needs no renamed state: a name-blind hash is the
        // same for a node under any name, so renaming only moves it.
        let blind: Vec<u64> = state.actor_states.iter().map(|a| blind_hash(a)).collect();
        let key = |inverse: &[usize]| -> Vec<u64> {
            self.moved.iter().map(|&j| blind[inverse[j]]).collect()
        };
        let identity = key(&self.identity);
        let keys: Vec<Vec<u64>> = self.inverses.iter().map(|inv| key(inv)).collect();
        let least = keys
            .iter()
            .chain([&identity])
            .min()
            .cloned()
            .unwrap_or_default();
        let mut tied = self
            .renamings
            .iter()
            .zip(&keys)
            .filter(|(_, k)| **k == least)
            .map(|(r, _)| renamed(&state, r))
            .collect::<Vec<State>>();
        if tied.is_empty() {
            return state;
        }
        if identity == least {
            tied.push(state);
        }
        if tied.len() == 1 {
            return tied.remove(0);
        }
        tied.into_iter()
            .min_by_key(hash_of)
            .unwrap_or_else(|| unreachable!("tied is not empty"))
    }
}

/// A hash of an actor's state that is the same under every renaming.
fn blind_hash(a: &ModelState) -> u64 {
    match a {
        ModelState::Node(n) => n.side_hash(|n| {
            let mut h = seeded_hasher();
            n.hash_without_names(&mut h);
            std::hash::Hasher::finish(&h)
        }),
        ModelState::Client(c) => hash_of(&(c.next, c.stuck)),
    }
}

/// Position `renaming[i]` gets actor `i`'s state, renamed.
fn relabel_actors(actors: &[Arc<ModelState>], renaming: &[Id]) -> Vec<Arc<ModelState>> {
    let relabel = |id: Id| renaming.get(usize::from(id)).copied().unwrap_or(id);
    let mut out = actors.to_vec();
    for (i, a) in actors.iter().enumerate() {
        let renamed = match &**a {
            ModelState::Node(n) => n
                .relabeled(&relabel)
                .map(|n| Arc::new(ModelState::Node(Hashed::new(n)))),
            ModelState::Client(c) => {
                let target = relabel(c.target);
                (target != c.target).then(|| {
                    Arc::new(ModelState::Client(ClientState {
                        target,
                        ..c.clone()
                    }))
                })
            }
        };
        out[usize::from(renaming[i])] = renamed.unwrap_or_else(|| a.clone());
    }
    out
}

/// The rest of `state` renamed, around actor states already renamed.
fn relabel_rest(state: &State, renaming: &[Id], actor_states: Vec<Arc<ModelState>>) -> State {
    let plan = RewritePlan::new(renaming.to_vec(), |id: &Id, r: &Vec<Id>| {
        r.get(usize::from(*id)).copied().unwrap_or(*id)
    });
    let relabel = |id: Id| plan.rewrite(&id);
    State {
        actor_states,
        network: relabel_network(&state.network, &plan),
        timers_set: reorder(&state.timers_set, renaming),
        random_choices: reorder(&state.random_choices, renaming),
        crashed: reorder(&state.crashed, renaming),
        actor_storages: reorder(&state.actor_storages, renaming)
            .into_iter()
            .map(|d| d.map(|d| d.relabeled(&relabel)))
            .collect(),
        history: state.history.clone(),
    }
}

/// Position `renaming[i]` gets `v[i]`.
fn reorder<T: Clone>(v: &[T], renaming: &[Id]) -> Vec<T> {
    let mut out = v.to_vec();
    for (i, x) in v.iter().enumerate() {
        if let Some(to) = renaming.get(i) {
            out[usize::from(*to)] = x.clone();
        }
    }
    out
}

fn relabel_network(network: &Network<Msg>, plan: &RewritePlan<Id, Vec<Id>>) -> Network<Msg> {
    network.rewrite(plan)
}

impl Rewrite<Id> for Msg {
    fn rewrite<S>(&self, plan: &RewritePlan<Id, S>) -> Msg {
        self.relabeled(&|id| plan.rewrite(&id))
            .unwrap_or_else(|| self.clone())
    }
}

/// Every ordering of `items`.
fn permutations(items: &[usize]) -> Vec<Vec<usize>> {
    if items.len() <= 1 {
        return vec![items.to_vec()];
    }
    let mut out = Vec::new();
    for (i, &first) in items.iter().enumerate() {
        let mut rest = items.to_vec();
        rest.remove(i);
        for mut tail in permutations(&rest) {
            tail.insert(0, first);
            out.push(tail);
        }
    }
    out
}

/// `state` with actor `i` renamed `renaming[i]`.
fn renamed(state: &State, renaming: &[Id]) -> State {
    relabel_rest(
        state,
        renaming,
        relabel_actors(&state.actor_states, renaming),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ModelCfg;
    use stateright::Model as _;

    /// The first `n` states of a symmetric config, breadth first, unrenamed.
    fn states(n: usize) -> (crate::model::Model, Vec<State>) {
        let toml = "description = \"d\"\nexpect = \"pass\"\nnodes = 3\n\
                    clients = [[\"set x 1 @2\", \"get x\"]]\ncandidates = [0, 1]\n\
                    max_crashes = 1\ntotal_crashes = 1\nnetwork = \"unordered\"\n";
        let cfg = ModelCfg::from_toml("t", toml).expect("config");
        assert_eq!(cfg.interchangeable_nodes(), vec![vec![0, 1]]);
        let model = cfg.into_model();
        let mut seen = std::collections::HashSet::new();
        let mut queue: std::collections::VecDeque<State> = model.init_states().into();
        let mut out = Vec::new();
        while let Some(s) = queue.pop_front() {
            if out.len() >= n {
                break;
            }
            if seen.insert(hash_of(&s)) {
                for (_, next) in model.next_steps(&s) {
                    queue.push_back(next);
                }
                out.push(s);
            }
        }
        (model, out)
    }

    #[test]
    fn renaming_there_and_back_is_the_identity_and_keeps_the_canonical_form() {
        let symmetry = Symmetry::new(&[vec![0, 1]], 4);
        let swap = &symmetry.renamings[0];
        let (_, states) = states(3_000);
        let mut named = 0;
        for s in &states {
            let t = renamed(s, swap);
            assert_eq!(
                &renamed(&t, swap),
                s,
                "renaming twice must give the state back"
            );
            assert_eq!(symmetry.canonical(t.clone()), symmetry.canonical(s.clone()));
            for (i, a) in s.actor_states.iter().enumerate() {
                let moved = &t.actor_states[usize::from(swap[i])];
                assert_eq!(
                    blind_hash(a),
                    blind_hash(moved),
                    "name-blind under renaming"
                );
            }
            named += usize::from(t != *s);
        }
        // Most states name a node somewhere, so renaming is not vacuous here.
        assert!(named > states.len() / 2, "{named} of {}", states.len());
    }

    #[test]
    fn a_renamed_state_satisfies_the_same_properties() {
        let symmetry = Symmetry::new(&[vec![0, 1]], 4);
        let (model, states) = states(3_000);
        for s in &states {
            let t = renamed(s, &symmetry.renamings[0]);
            for p in model.properties() {
                assert_eq!(
                    (p.condition)(&model, s),
                    (p.condition)(&model, &t),
                    "{}",
                    p.name
                );
            }
        }
    }

    #[test]
    fn the_renamings_are_the_group_but_the_identity() {
        let s = Symmetry::new(&[vec![0, 1], vec![3, 4]], 6);
        assert_eq!(s.order(), 4);
        let s = Symmetry::new(&[vec![2, 3, 4]], 6);
        assert_eq!(s.order(), 6);
        assert!(s
            .renamings
            .iter()
            .all(|r| r[0] == Id::from(0) && r[5] == Id::from(5)));
        assert_eq!(Symmetry::new(&[vec![1]], 3).order(), 1);
    }
}
