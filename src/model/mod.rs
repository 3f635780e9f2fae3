//! The model: N nodes (the very [`Node`](crate::node::Node) actor the server
//! runs) and M clients over a configurable network, checked by stateright.
//!
//! - [`config`]: `model/*.toml` — setup, modes, bounds, expected verdict.
//! - [`spec`]: the sequential specification (a plain map).
//! - `client`, `actor`, `history`: the model's client, the one actor type for
//!   nodes and clients, and the recorded history.
//! - `assemble`: [`ModelCfg::into_model`], the initial data and the bounds.
//! - `reduced`: [`Model`], the actor model with its reductions (dropping
//!   messages nobody will act on, a bound on crashes) — what the checker runs.
//! - `symmetry`: renaming interchangeable nodes, for one state per orbit.
//! - `hashed`: a value with its hash computed once, so a step rehashes only
//!   what it changed.
//! - [`props`]: the checked properties.
//! - [`check`]: running a check, shortest stable counterexamples, traces,
//!   simulation and the explorer.
//!
//! Clients run a fixed list of GET/SET/DEL operations one at a time, follow
//! redirects, and record every invocation and answer in a
//! `LinearizabilityTester`. An `Uncertain` answer (leadership lost after the
//! write was proposed) leaves the operation in flight forever: it may or may
//! not have happened, never "failed".

mod actor;
mod assemble;
pub mod check;
mod client;
pub mod config;
mod hashed;
mod history;
pub mod props;
mod reduced;
pub mod spec;
mod symmetry;

use stateright::actor::{ActorModel, ActorModelState};

use crate::node::NodeState;
pub use actor::{ModelActor, ModelState};
pub use client::{Client, ClientState, MODEL_NOW_MS};
pub use config::{ModelCfg, ModelFile, NetworkKind, PlantForm, PlantTtl};
pub use hashed::Hashed;
pub use history::History;

/// stateright's actor model of the nodes and clients, which [`Model`] wraps.
pub type Actors = ActorModel<ModelActor, ModelCfg, History>;
pub use reduced::{Action, Model};
pub use symmetry::Symmetry;
pub type State = ActorModelState<ModelActor, History>;

fn nodes(state: &State) -> impl Iterator<Item = (usize, &NodeState)> {
    state
        .actor_states
        .iter()
        .enumerate()
        .filter_map(|(i, s)| s.node().map(|n| (i, n)))
}
