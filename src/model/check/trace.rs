//! A counterexample as text: numbered steps, each message in brief, and
//! every node's role, term, commit and applied index after each step.

use std::fmt::Write as _;

use stateright::actor::{ActorModelAction, Id};
use stateright::Path;

use super::Action;
use crate::model::{Model as FenceModel, ModelState, State};
use crate::node::{
    AppendEntries, AppendResult, ClientMsg, InstallSnapshot, Msg, PeerMsg, RequestVote, Role, Vote,
};
use crate::resp::Reply;

fn who(model: &FenceModel, id: Id) -> String {
    let i = usize::from(id);
    if i < model.cfg.nodes {
        format!("n{i}")
    } else {
        format!("c{}", i - model.cfg.nodes)
    }
}

fn show_reply(r: &Reply) -> String {
    match r {
        Reply::Bulk(b) => format!("{:?}", String::from_utf8_lossy(b)),
        Reply::Nil => "nil".into(),
        Reply::Status(s) => s.clone(),
        Reply::Integer(n) => format!("(integer) {n}"),
        Reply::Error(e) => format!("error {e:?}"),
        other => format!("{other:?}"),
    }
}

/// One message, briefly.
pub fn show_msg(model: &FenceModel, msg: &Msg) -> String {
    match msg {
        Msg::Client(ClientMsg::Request(r)) => format!("Request#{} {}", r.req, show_cmd(&r.cmd)),
        Msg::Client(ClientMsg::Forwarded(f)) => format!(
            "Forwarded {}#{} {}",
            who(model, f.client),
            f.request.req,
            show_cmd(&f.request.cmd)
        ),
        Msg::Peer(PeerMsg::InstallSnapshot(InstallSnapshot {
            term,
            snapshot,
            leader_commit,
            round,
        })) => format!(
            "InstallSnapshot term={term} last={}@t{} keys={} commit={leader_commit} round={round}",
            snapshot.index,
            snapshot.term,
            snapshot.data.len()
        ),
        Msg::Client(ClientMsg::Reply { req, reply }) => format!("Reply#{req} {}", show_reply(reply)),
        Msg::Client(ClientMsg::Unblock { req, .. }) => format!("Unblock#{req}"),
        Msg::Client(ClientMsg::Redirect { req, leader }) => format!(
            "Redirect#{req} leader={}",
            leader.map(|l| who(model, l)).unwrap_or_else(|| "?".into())
        ),
        Msg::Client(ClientMsg::Uncertain { req }) => format!("Uncertain#{req}"),
        Msg::Tick { now_ms } => format!("Tick {now_ms}"),
        Msg::Clock { now } => format!("Clock {now}"),
        Msg::Peer(PeerMsg::RequestVote(RequestVote { term, last_log_index, last_log_term })) => {
            format!("RequestVote term={term} last={last_log_index}@t{last_log_term}")
        }
        Msg::Peer(PeerMsg::Vote(Vote { term, granted })) => format!("Vote term={term} granted={granted}"),
        Msg::Peer(PeerMsg::AppendEntries(AppendEntries { term, prev_index, prev_term, entries, leader_commit, round })) => format!(
            "AppendEntries term={term} prev={prev_index}@t{prev_term} entries=[{}] commit={leader_commit} round={round}",
            entries
                .iter()
                .map(|e| format!("t{}:{}", e.term, show_payload(&e.payload)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Msg::Peer(PeerMsg::AppendResult(AppendResult { term, success, match_index, round })) => {
            format!("AppendResult term={term} ok={success} match={match_index} round={round}")
        }
        Msg::Peer(PeerMsg::PreVote(RequestVote { term, last_log_index, last_log_term })) => {
            format!("PreVote term={term} last={last_log_index}@t{last_log_term}")
        }
        Msg::Peer(PeerMsg::PreVoteResult(Vote { term, granted })) => {
            format!("PreVoteResult term={term} granted={granted}")
        }
        Msg::Peer(PeerMsg::ReadIndex(m)) => format!("ReadIndex ask={}", m.ask),
        Msg::Peer(PeerMsg::ReadIndexResult(m)) => match m.read_index {
            Some(index) => format!("ReadIndexResult ask={} read_index={index}", m.ask),
            None => format!("ReadIndexResult ask={} refused", m.ask),
        },
    }
}

fn show_cmd(cmd: &crate::cmd::Command) -> String {
    if let crate::cmd::Op::Eval {
        script: crate::cmd::scripting::ScriptRef::Body(body),
        ..
    } = &cmd.op
    {
        return format!("EVAL {:?}", String::from_utf8_lossy(body));
    }
    let mut s = format!("{cmd:?}");
    s.retain(|c| c != '\n');
    s
}

fn show_payload(p: &crate::raft::Payload) -> String {
    match p {
        crate::raft::Payload::Noop => "noop".into(),
        crate::raft::Payload::Command { cmd, .. } => show_cmd(cmd),
        crate::raft::Payload::Expire { keys, .. } => format!("expire {keys:?}"),
        crate::raft::Payload::Watched { watched, txn, .. } => {
            let keys: Vec<String> = watched
                .iter()
                .map(|w| format!("{}@{}", String::from_utf8_lossy(&w.key), w.ts))
                .collect();
            format!("watching [{}] {}", keys.join(" "), show_payload(txn))
        }
        crate::raft::Payload::Txn {
            start_ts,
            read_set,
            read_ranges,
            write_set,
            ..
        } => {
            let keys = |ks: &mut dyn Iterator<Item = &bytes::Bytes>| {
                ks.map(|k| String::from_utf8_lossy(k).into_owned())
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            let ranges: Vec<String> = read_ranges
                .iter()
                .map(|r| {
                    let end =
                        r.to.as_ref()
                            .map(|k| String::from_utf8_lossy(k).into_owned());
                    format!(
                        "{}..={}",
                        String::from_utf8_lossy(&r.from),
                        end.unwrap_or_default()
                    )
                })
                .collect();
            let scans = if ranges.is_empty() {
                String::new()
            } else {
                format!(" scans=[{}]", ranges.join(" "))
            };
            format!(
                "txn start_ts={start_ts} reads=[{}]{scans} writes=[{}]",
                keys(&mut read_set.iter()),
                keys(&mut write_set.iter().map(|(k, _)| k))
            )
        }
    }
}

fn roles(model: &FenceModel, s: &State) -> String {
    s.actor_states
        .iter()
        .enumerate()
        .filter_map(|(i, st)| match &**st {
            ModelState::Node(n) => Some(format!(
                "{}{}:{}(t{},c{},a{}{})",
                who(model, Id::from(i)),
                if s.crashed.get(i).copied().unwrap_or(false) {
                    "✝"
                } else {
                    ""
                },
                match n.role {
                    Role::Leader => "L",
                    Role::PreCandidate => "P",
                    Role::Candidate => "C",
                    Role::Follower => "F",
                },
                n.term(),
                n.commit_index,
                n.applied,
                if model.cfg.time.is_some() {
                    clock(n)
                } else {
                    String::new()
                }
            )),
            ModelState::Client(_) => None,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A timed model's node clock (`@3`), the end of its lease (`lease<5`) and
/// of its vote stickiness (`sticky<6`) while they are ahead of it. Times
/// are relative: the model shifts every time so the earliest one it keeps
/// is 0.
fn clock(n: &crate::node::NodeState) -> String {
    let mut s = format!(",@{}", n.clock);
    if n.lease_until > n.clock {
        s.push_str(&format!(",lease<{}", n.lease_until));
    }
    if n.sticky_until > n.clock {
        s.push_str(&format!(",sticky<{}", n.sticky_until));
    }
    s
}

/// The counterexample as numbered steps: who did what, who believed it led
/// (L/C/F with term, commit and applied index after the step), what was read.
pub fn render_trace(model: &FenceModel, path: &Path<State, Action>) -> String {
    let mut out = String::new();
    let steps = path.clone().into_vec();
    let _ = writeln!(
        out,
        "   0. init                                   {}",
        roles(model, &steps[0].0)
    );
    for (i, w) in steps.windows(2).enumerate() {
        let Some(action) = &w[0].1 else { continue };
        let what = match action {
            ActorModelAction::Deliver { src, dst, msg } => {
                format!(
                    "{} → {}: {}",
                    who(model, *src),
                    who(model, *dst),
                    show_msg(model, msg)
                )
            }
            ActorModelAction::Timeout(id, t) => format!("{} timeout {t:?}", who(model, *id)),
            ActorModelAction::Drop(env) => format!(
                "network drops {} → {}: {}",
                who(model, env.src),
                who(model, env.dst),
                show_msg(model, &env.msg)
            ),
            ActorModelAction::Crash(id) => format!("{} crashes", who(model, *id)),
            ActorModelAction::Recover(id) => {
                format!("{} recovers from its storage", who(model, *id))
            }
            ActorModelAction::SelectRandom { .. } => "random choice".into(),
        };
        let _ = writeln!(
            out,
            "{:>4}. {what}\n        {}",
            i + 1,
            roles(model, &w[1].0)
        );
    }
    let last = path.last_state();
    if let Some(h) = last.history.tester.serialized_history() {
        let _ = writeln!(out, "history (linearizable): {h:?}");
    } else {
        let _ = writeln!(out, "history (NOT linearizable): {:?}", last.history.tester);
    }
    out
}
