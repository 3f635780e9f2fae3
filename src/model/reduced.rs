//! The model the checker runs: stateright's actor model of the nodes and
//! clients, with the reductions that keep it small (spec §6, "The model's
//! network and reductions"), each a config key that can turn it off:
//!
//! - `drop_ignored_messages` (default on): after every step, the network
//!   forgets every message its recipient ignores for good
//!   ([`NodeState::ignores_for_good`], [`ClientState::ignores_for_good`]).
//!   Delivering one would change no actor and no history, so the reduced
//!   model reaches exactly the actor states and histories the full one
//!   does; the properties read nothing else.
//! - `symmetry` (default off): one state per renaming of interchangeable
//!   nodes ([`Symmetry`]).
//! - `total_crashes` (default unbounded): at most this many crashes over a
//!   whole run. stateright's `max_crashes` bounds only how many nodes are
//!   down at once, so crash and recovery could repeat without end.
//!
//! [`NodeState::ignores_for_good`]: crate::node::NodeState::ignores_for_good

use std::ops::Deref;

use stateright::actor::{ActorModelAction, Id, Network};
use stateright::{Path, Property};

use super::symmetry::Symmetry;
use super::{nodes, Actors, ClientState, ModelActor, ModelState, State};
use crate::node::{Msg, Timer};

pub type Action = ActorModelAction<Msg, Timer, ()>;

/// The actor model, its properties and its reductions.
#[derive(Clone)]
pub struct Model {
    actors: Actors,
    properties: Vec<Property<Model>>,
    symmetry: Symmetry,
    /// Check every dropped message by delivering it: the recipient must
    /// not change and must send nothing (tests turn this on).
    pub verify_drops: bool,
}

impl Deref for Model {
    type Target = Actors;
    fn deref(&self) -> &Actors {
        &self.actors
    }
}

impl Model {
    pub(super) fn new(
        actors: Actors,
        properties: Vec<Property<Model>>,
        symmetry: Symmetry,
    ) -> Model {
        Model {
            actors,
            properties,
            symmetry,
            verify_drops: false,
        }
    }

    /// The symmetry reduction's group order (1: no renaming).
    pub fn symmetry_order(&self) -> usize {
        self.symmetry.order()
    }

    /// `path`, a run through canonical states, as the same run without
    /// renaming: each node keeps one name from the first step to the last,
    /// so the trace reads as what happened. (Each canonical step is some
    /// step of the unrenamed state, by symmetry: the one whose result has
    /// the same canonical form.)
    pub fn with_fixed_names(&self, path: &Path<State, Action>) -> Path<State, Action> {
        use stateright::Model as _;
        if self.symmetry.order() == 1 {
            return path.clone();
        }
        let plain = Model {
            symmetry: Symmetry::default(),
            ..self.clone()
        };
        let canonical = path.clone().into_states();
        let Some(init) = plain
            .init_states()
            .into_iter()
            .find(|s| canonical.first() == Some(&self.symmetry.canonical(s.clone())))
        else {
            return path.clone();
        };
        let mut at = init.clone();
        let mut actions = Vec::new();
        for target in canonical.iter().skip(1) {
            let step = plain
                .next_steps(&at)
                .into_iter()
                .find(|(_, next)| self.symmetry.canonical(next.clone()) == *target);
            let Some((action, next)) = step else {
                return path.clone();
            };
            actions.push(action);
            at = next;
        }
        Path::from_actions(&plain, init, &actions).unwrap_or_else(|| path.clone())
    }

    fn reduce(&self, mut state: State) -> State {
        if self.cfg.drop_ignored_messages {
            self.drop_ignored(&mut state);
        }
        if let Some(t) = self.cfg.time {
            shift_time(&mut state, t.max.is_none());
        }
        self.symmetry.canonical(state)
    }

    /// The lowest term node `i` can have again: a crash restores the
    /// stored term, which a gap that skips saves can leave behind.
    fn floor_term(state: &State, i: usize, term: u64) -> u64 {
        match state.actor_storages.get(i) {
            Some(Some(stored)) => stored.term.min(term),
            _ => 0,
        }
    }

    fn ignored(&self, state: &State, src: Id, dst: Id, msg: &Msg) -> bool {
        let i = usize::from(dst);
        let Some(actor) = state.actor_states.get(i) else {
            return false;
        };
        let ignored = match (&**actor, msg) {
            (ModelState::Node(n), Msg::Peer(m)) => {
                n.ignores_for_good(m, Self::floor_term(state, i, n.term()))
            }
            (ModelState::Client(c), m) => ClientState::ignores_for_good(c, m),
            _ => false,
        };
        if ignored && self.verify_drops {
            self.assert_no_op(state, src, dst, msg);
        }
        ignored
    }

    fn assert_no_op(&self, state: &State, src: Id, dst: Id, msg: &Msg) {
        use stateright::actor::{Actor, Out};
        use std::borrow::Cow;
        let i = usize::from(dst);
        let mut s = Cow::Borrowed(&*state.actor_states[i]);
        let mut out = Out::<ModelActor>::new();
        self.actors.actors[i].on_msg(dst, &mut s, src, msg.clone(), &mut out);
        assert!(
            matches!(s, Cow::Borrowed(_)) && out.is_empty(),
            "dropped a message that is not ignored: {msg:?} to {dst:?}"
        );
    }

    fn drop_ignored(&self, state: &mut State) {
        // Look before cloning: most steps leave nothing to drop. (Not
        // through `Network::iter_all`: on an ordered network 0.31's iterator
        // never moves past a flow's first message.)
        let any = match &state.network {
            Network::Ordered(flows) => flows
                .iter()
                .any(|((src, dst), flow)| flow.iter().any(|m| self.ignored(state, *src, *dst, m))),
            Network::UnorderedNonDuplicating(multiset) => multiset
                .keys()
                .any(|env| self.ignored(state, env.src, env.dst, &env.msg)),
            Network::UnorderedDuplicating(set, _) => set
                .iter()
                .any(|env| self.ignored(state, env.src, env.dst, &env.msg)),
        };
        if !any {
            return;
        }
        let snapshot = state.clone();
        let keep = |src: Id, dst: Id, msg: &Msg| !self.ignored(&snapshot, src, dst, msg);
        match &mut state.network {
            Network::Ordered(flows) => {
                for ((src, dst), flow) in flows.iter_mut() {
                    flow.retain(|m| keep(*src, *dst, m));
                }
                // stateright keeps no empty flow: equal networks must be equal values.
                flows.retain(|_, flow| !flow.is_empty());
            }
            Network::UnorderedNonDuplicating(multiset) => {
                multiset.retain(|env, _| keep(env.src, env.dst, &env.msg));
            }
            Network::UnorderedDuplicating(set, _) => {
                set.retain(|env| keep(env.src, env.dst, &env.msg));
            }
        }
    }

    fn crashes_left(&self, state: &State) -> bool {
        self.cfg
            .total_crashes
            .is_none_or(|max| state.history.crashes < max)
    }
}

/// The time reductions (spec §6, Time in the model): every node decides by
/// comparing its clock with the times it stored, so states that differ by
/// one shift of every time are one state, and so are states that differ
/// only in a time already behind its node's clock. The earliest time any
/// node remembers becomes 0; time itself is unbounded. Under a horizon
/// (`time.max`) clocks keep their absolute values (`shift` false): only
/// the times already passed are written as 0.
fn shift_time(state: &mut State, shift: bool) {
    let by = if shift {
        nodes(state)
            .map(|(_, n)| n.earliest_time())
            .min()
            .unwrap_or(0)
    } else {
        0
    };
    for actor in state.actor_states.iter_mut() {
        if let ModelState::Node(n) = &**actor {
            let mut shifted = (**n).clone();
            shifted.shift_time(by);
            if shifted != **n {
                *actor = std::sync::Arc::new(ModelState::Node(super::Hashed::new(shifted)));
            }
        }
    }
}

impl stateright::Model for Model {
    type State = State;
    type Action = Action;

    fn init_states(&self) -> Vec<State> {
        let states = self.actors.init_states();
        states.into_iter().map(|s| self.reduce(s)).collect()
    }

    fn actions(&self, state: &State, actions: &mut Vec<Action>) {
        self.actors.actions(state, actions);
        if !self.crashes_left(state) {
            actions.retain(|a| !matches!(a, ActorModelAction::Crash(_)));
        }
    }

    fn next_state(&self, state: &State, action: Action) -> Option<State> {
        // Counted only under a bound: an unbounded count would make every
        // crash and recovery a new state, and the state space infinite.
        let crash =
            matches!(action, ActorModelAction::Crash(_)) && self.cfg.total_crashes.is_some();
        let mut next = self.actors.next_state(state, action)?;
        if crash {
            next.history = next.history.with_crash();
        }
        let known = next.history.committed.len() as u64;
        if nodes(&next).any(|(_, n)| n.commit_index > known) {
            let ns: Vec<_> = nodes(&next).map(|(_, n)| n).collect();
            if let Some(h) = next.history.with_commits(&ns) {
                next.history = h;
            }
        }
        Some(self.reduce(next))
    }

    fn format_action(&self, action: &Action) -> String {
        self.actors.format_action(action)
    }

    fn format_step(&self, state: &State, action: Action) -> Option<String> {
        self.actors.format_step(state, action)
    }

    fn as_svg(&self, path: Path<State, Action>) -> Option<String> {
        self.actors.as_svg(path)
    }

    fn properties(&self) -> Vec<Property<Model>> {
        self.properties.clone()
    }

    fn within_boundary(&self, state: &State) -> bool {
        // Qualified: `ActorModel` has a builder method of the same name.
        stateright::Model::within_boundary(&self.actors, state)
    }
}
