//! Hand-written schedules: replaying one step by step from the initial
//! state, and the properties its last state violates.

use stateright::actor::{ActorModelAction, Id};
use stateright::{Expectation, Model, Path};

use super::Action;
use crate::model::{Model as FenceModel, State};
use crate::node::{ClientMsg, Msg, PeerMsg};

/// The message kind's name, as schedules write it (`AppendEntries`, `Vote`…).
fn msg_kind(msg: &Msg) -> &'static str {
    match msg {
        Msg::Client(ClientMsg::Request(_)) => "Request",
        Msg::Client(ClientMsg::Forwarded(_)) => "Forwarded",
        Msg::Peer(PeerMsg::InstallSnapshot(_)) => "InstallSnapshot",
        Msg::Client(ClientMsg::Reply { .. }) => "Reply",
        Msg::Client(ClientMsg::Redirect { .. }) => "Redirect",
        Msg::Client(ClientMsg::Uncertain { .. }) => "Uncertain",
        Msg::Client(ClientMsg::Unblock { .. }) => "Unblock",
        Msg::Tick { .. } => "Tick",
        Msg::Clock { .. } => "Clock",
        Msg::Peer(PeerMsg::RequestVote(_)) => "RequestVote",
        Msg::Peer(PeerMsg::Vote(_)) => "Vote",
        Msg::Peer(PeerMsg::AppendEntries(_)) => "AppendEntries",
        Msg::Peer(PeerMsg::AppendResult(_)) => "AppendResult",
        Msg::Peer(PeerMsg::PreVote(_)) => "PreVote",
        Msg::Peer(PeerMsg::PreVoteResult(_)) => "PreVoteResult",
        Msg::Peer(PeerMsg::ReadIndex(_)) => "ReadIndex",
        Msg::Peer(PeerMsg::ReadIndexResult(_)) => "ReadIndexResult",
    }
}

/// Follow a hand-written schedule from the initial state, one step per line:
/// `n0 timeout Election`, `n0 timeout Apply`, `n1 crash`, `n1 recover`, or
/// `n1 <- n0 RequestVote`
/// (deliver the first enabled message of that kind from n0 to n1, in message
/// order; add `newest` for the last: clients are `c0`, `c1`, …). Each step must be enabled where it is taken: a
/// schedule is a claim that the model can do this, checked step by step.
pub fn replay_schedule(
    model: &FenceModel,
    schedule: &[&str],
) -> Result<Path<State, Action>, String> {
    let parse_id = |s: &str| -> Result<Id, String> {
        let (kind, n) = s.split_at(1);
        let n: usize = n.parse().map_err(|_| format!("bad actor {s:?}"))?;
        match kind {
            "n" => Ok(Id::from(n)),
            "c" => Ok(Id::from(model.cfg.nodes + n)),
            _ => Err(format!("bad actor {s:?}")),
        }
    };
    let init = model
        .init_states()
        .into_iter()
        .next()
        .ok_or("the model has no initial state")?;
    let mut state = init.clone();
    let mut actions = Vec::new();
    for (i, line) in schedule.iter().enumerate() {
        let w: Vec<&str> = line.split_whitespace().collect();
        let mut enabled = Vec::new();
        model.actions(&state, &mut enabled);
        let found = match w.as_slice() {
            [who, "timeout", timer] => {
                let id = parse_id(who)?;
                enabled.into_iter().find(|a| {
                    matches!(a, ActorModelAction::Timeout(t, tm) if *t == id && format!("{tm:?}") == *timer)
                })
            }
            [who, "crash"] => {
                let id = parse_id(who)?;
                enabled
                    .into_iter()
                    .find(|a| matches!(a, ActorModelAction::Crash(c) if *c == id))
            }
            [who, "recover"] => {
                let id = parse_id(who)?;
                enabled
                    .into_iter()
                    .find(|a| matches!(a, ActorModelAction::Recover(r) if *r == id))
            }
            [dst, "<-", src, kind, rest @ ..] => {
                let (src, dst) = (parse_id(src)?, parse_id(dst)?);
                let mut matching = enabled.into_iter().filter(|a| {
                    matches!(a, ActorModelAction::Deliver { src: s, dst: d, msg } if *s == src && *d == dst && msg_kind(msg) == *kind)
                });
                match rest {
                    [] => matching.next(),
                    // On an unordered network several such messages may be in
                    // flight; they order by content, so the greatest is the
                    // newest (higher request number, longer log, later round).
                    ["newest"] => matching.last(),
                    _ => return Err(format!("step {}: cannot parse {line:?}", i + 1)),
                }
            }
            _ => return Err(format!("step {}: cannot parse {line:?}", i + 1)),
        };
        let action = found.ok_or_else(|| format!("step {}: {line:?} is not enabled", i + 1))?;
        state = model
            .next_state(&state, action.clone())
            .ok_or_else(|| format!("step {}: {line:?} changes nothing", i + 1))?;
        actions.push(action);
    }
    Path::from_actions(model, init, actions.iter())
        .ok_or_else(|| "the schedule does not replay".into())
}

/// The `always` properties the last state of `path` violates.
pub fn violated(model: &FenceModel, path: &Path<State, Action>) -> Vec<&'static str> {
    model
        .properties()
        .into_iter()
        .filter(|p| {
            p.expectation == Expectation::Always && !(p.condition)(model, path.last_state())
        })
        .map(|p| p.name)
        .collect()
}
