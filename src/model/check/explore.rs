//! The stateright explorer: serving it, and a path's address in it.

use std::fmt::Write as _;

use stateright::{Model, Path};

use super::Action;
use crate::model::{Model as FenceModel, ModelCfg, State};

/// Serve the stateright explorer for a config (blocks).
pub fn explore(cfg: ModelCfg, addr: &str) {
    let model = cfg.into_model();
    model.checker().serve(addr);
}

/// The explorer's address for a path: the initial state's index, then the
/// index of each action among the actions enabled where it is taken
/// (`/.states/0/4/1/…`).
pub fn explorer_path(model: &FenceModel, path: &Path<State, Action>) -> String {
    let mut url = String::from("/.states/0");
    let steps = path.clone().into_vec();
    for (state, action) in steps {
        let Some(action) = action else { break };
        let mut enabled = Vec::new();
        model.actions(&state, &mut enabled);
        if let Some(i) = enabled.iter().position(|a| *a == action) {
            let _ = write!(url, "/{i}");
        }
    }
    url
}
