//! Each gap of the read protocol, shown on a hand-written schedule: the
//! schedule replays step by step in the model (every step enabled), the gap
//! configuration's last state violates `linearizable`, and the safe protocol
//! cannot take the same path to a stale read. This proves the checker's
//! property can fail (a check that cannot fail is a defect); exhaustive search
//! for these counterexamples is still too slow (spec §6, Checking status).
//!
//! Every read-path gap config has one client, `set x 1 @2` then `get x @0`,
//! and lets only n0 and n2 campaign. The Raft gaps (vote and log persistence,
//! the election restriction, truncation) violate their own properties
//! (`election safety`, `leader completeness`, `applied prefixes agree`) the
//! same way.

use fencekv::model::check::{is_one_minimal, minimize, render_trace, replay_schedule, violated};
use fencekv::model::props::{
    APPLIED_PREFIXES_AGREE, ELECTION_SAFETY, LEADER_COMPLETENESS, LINEARIZABLE,
};
use fencekv::model::{Model, ModelCfg, State};
use fencekv::node::{ClientMsg, Msg, Timer};
use fencekv::resp::Reply;
use stateright::actor::ActorModelAction;
use stateright::Path;

mod support;
use support::schedules::{
    DEPOSED_LEADER, FOLLOWER_NO_APPLY_WAIT, LEASE_DRIFT, VOTE_STICKINESS_OFF,
};

type Action = ActorModelAction<Msg, Timer, ()>;

/// A config as the file has it, without the reduction that drops ignored
/// messages: a schedule is a run of the whole model, refused votes and
/// stale answers delivered included.
fn cfg(file: &str) -> ModelCfg {
    let mut cfg =
        ModelCfg::from_file(std::path::Path::new(&format!("model/{file}.toml"))).expect("config");
    cfg.drop_ignored_messages = false;
    cfg
}

/// The gap's model and the same setup with every safety mechanism back
/// (the safe settings that only shape the run — no-op, PreVote,
/// CheckQuorum — kept as the file has them).
fn gap_and_safe(file: &str) -> (Model, Model) {
    let gap = cfg(file);
    assert!(!gap.modes.gaps().is_empty(), "{file} runs a gap");
    let mut safe = gap.clone();
    safe.modes = fencekv::modes::Modes {
        leader_noop: gap.modes.leader_noop,
        pre_vote: gap.modes.pre_vote,
        check_quorum: gap.modes.check_quorum,
        read_mode: gap.modes.read_mode,
        ..Default::default()
    };
    assert!(safe.modes.gaps().is_empty());
    (gap.into_model(), safe.into_model())
}

fn steps(parts: &[&[&'static str]]) -> Vec<&'static str> {
    parts.concat()
}

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!(name, text);
    });
}

/// The gap side of a pair: the schedule replays, its last state violates
/// `linearizable` (and nothing else), it minimizes to a 1-minimal trace that
/// still violates it, and that trace is snapshotted.
fn demonstrate(model: &Model, schedule: &[&str], snap: &str) {
    let path = replay_schedule(model, schedule).expect("the schedule replays");
    assert_eq!(violated(model, &path), vec![LINEARIZABLE]);
    let short = minimize(model, path);
    assert!(
        is_one_minimal(model, &short),
        "no single step of the trace can go"
    );
    assert_eq!(violated(model, &short), vec![LINEARIZABLE]);
    snapshot(snap, &render_trace(model, &short));
}

/// A Raft gap's schedule: it replays, its last state violates `property`
/// and nothing else, and it minimizes to a 1-minimal trace that still does.
fn violates_only(model: &Model, schedule: &[&str], property: &str) {
    let path = replay_schedule(model, schedule).expect("the schedule replays");
    assert_eq!(violated(model, &path), vec![property]);
    let short = minimize(model, path);
    assert!(is_one_minimal(model, &short));
    assert_eq!(violated(model, &short), vec![property]);
}

/// A Raft gap's safe side: the safe protocol takes every step of the gap's
/// schedule and violates nothing there. Returns the last state.
fn safe_takes(file: &str, schedule: &[&str]) -> State {
    let (_, model) = gap_and_safe(file);
    let path = replay_schedule(&model, schedule).expect("the safe schedule replays");
    assert!(violated(&model, &path).is_empty());
    path.last_state().clone()
}

/// Replaying `schedule` stops at step `step` (1-based): it is not enabled.
fn assert_not_enabled(model: &Model, schedule: &[&str], step: usize) {
    let err = replay_schedule(model, schedule).expect_err("the schedule must not replay");
    let want = format!("step {step}: {:?} is not enabled", schedule[step - 1]);
    assert_eq!(err, want);
}

/// The reply the last step of `path` delivers, if it delivers one.
fn last_reply(path: &Path<State, Action>) -> Option<Reply> {
    match path.clone().into_actions().pop()? {
        ActorModelAction::Deliver {
            msg: Msg::Client(ClientMsg::Reply { reply, .. }),
            ..
        } => Some(reply),
        _ => None,
    }
}

/// The value every correct read of x returns once `set x 1` was acknowledged.
fn one() -> Option<Reply> {
    Some(Reply::Bulk(bytes::Bytes::from_static(b"1")))
}

// ------------------------------------------------------------- read-fence = off

#[test]
fn without_the_fence_a_deposed_leader_serves_a_stale_read() {
    let model = cfg("gap-no-fence").into_model();
    let mut schedule = DEPOSED_LEADER.to_vec();
    schedule.push("c0 <- n0 Reply");
    demonstrate(&model, &schedule, "gap_no_fence_trace");
}

#[test]
fn with_the_fence_the_deposed_leader_steps_down_instead() {
    let (_, model) = gap_and_safe("gap-no-fence");
    // The read reaches n0, but n0 cannot answer before its fence round: the
    // schedule's last step (n0 answering) is not enabled…
    let mut schedule = DEPOSED_LEADER.to_vec();
    schedule.push("c0 <- n0 Reply");
    assert_not_enabled(&model, &schedule, schedule.len());
    // …and the round's acknowledgement tells n0 of term 2: it steps down and
    // redirects the read, having served nothing.
    let mut schedule = DEPOSED_LEADER.to_vec();
    schedule.extend([
        "n1 <- n0 AppendEntries",
        "n0 <- n1 AppendResult",
        "c0 <- n0 Redirect",
    ]);
    let path = replay_schedule(&model, &schedule).expect("the fenced schedule replays");
    assert!(violated(&model, &path).is_empty());
}

// ------------------------------------------------------ a new leader's lagging apply

/// n2 leads term 1; c0 writes x=1 through n2, which commits it with n1,
/// applies it and acknowledges it (log: 1 = t1 no-op, 2 = SET x 1). n0 has
/// the two entries but not the commit index; it wins term 2 with n1's vote
/// (its no-op is index 3). c0's read of x is now on its way to n0.
const WRITE_THEN_NEW_LEADER: &[&str] = &[
    "n2 timeout Election",
    "n1 <- n2 RequestVote",
    "n2 <- n1 Vote",
    "n2 <- c0 Request",
    "n1 <- n2 AppendEntries",
    "n2 <- n1 AppendResult",
    "n1 <- n2 AppendEntries",
    "n2 <- n1 AppendResult",
    "n2 timeout Apply",
    "c0 <- n2 Reply",
    "n0 <- n2 RequestVote",
    "n0 <- n2 AppendEntries",
    "n0 <- n2 AppendEntries",
    "n0 timeout Election",
    "n1 <- n0 RequestVote",
    "n0 <- n1 Vote",
];

// ---------------------------------------------------- start-ts = before-fence

/// The read reaches n0 before n0 applies anything: it takes `start_ts = 0`
/// there and then. n0's no-op commits with n1 (commit index 3 covers the
/// write), the read gets `read_index = 3` and a fence round that n1
/// acknowledges, n0 applies up to 3 — and serves the read at its early
/// `start_ts`, below the acknowledged write.
const EARLY_START_TS: &[&str] = &[
    "n0 <- c0 Request",
    "n1 <- n0 AppendEntries",
    "n0 <- n1 AppendResult",
    "n1 <- n0 AppendEntries",
    "n0 <- n1 AppendResult",
    "n0 timeout Apply",
];

#[test]
fn with_start_ts_before_the_fence_a_new_leader_serves_below_an_acknowledged_write() {
    let (model, _) = gap_and_safe("gap-start-ts-before-fence");
    let schedule = steps(&[WRITE_THEN_NEW_LEADER, EARLY_START_TS, &["c0 <- n0 Reply"]]);
    let path = replay_schedule(&model, &schedule).expect("the schedule replays");
    assert_eq!(last_reply(&path), Some(Reply::Nil));
    demonstrate(&model, &schedule, "gap_start_ts_before_fence_trace");
}

#[test]
fn with_start_ts_after_the_fence_the_new_leader_reads_what_it_applied() {
    let (_, model) = gap_and_safe("gap-start-ts-before-fence");
    // Before the apply the read waits (its answer is not enabled)…
    let mut early = steps(&[WRITE_THEN_NEW_LEADER, EARLY_START_TS]);
    early.pop(); // "n0 timeout Apply"
    early.push("c0 <- n0 Reply");
    assert_not_enabled(&model, &early, early.len());
    // …and after it, the same path serves the read at start_ts = applied = 3.
    let schedule = steps(&[WRITE_THEN_NEW_LEADER, EARLY_START_TS, &["c0 <- n0 Reply"]]);
    let path = replay_schedule(&model, &schedule).expect("the safe schedule replays");
    assert_eq!(last_reply(&path), one());
    assert!(violated(&model, &path).is_empty());
}

// ------------------------------------------------------------ apply-wait = skip

/// n0's no-op commits with n1, so n0's commit index (3) covers the write, but
/// n0's Apply timer has not fired (applied = 0). The read arrives: read_index
/// = 3, a fence round that n1 acknowledges — and without the apply wait n0
/// serves it from applied = 0.
const COMMITTED_NOT_APPLIED: &[&str] = &[
    "n1 <- n0 AppendEntries",
    "n0 <- n1 AppendResult",
    "n0 <- c0 Request",
    "n1 <- n0 AppendEntries",
    "n0 <- n1 AppendResult",
];

#[test]
fn without_the_apply_wait_a_leader_serves_a_read_its_apply_has_not_reached() {
    let (model, _) = gap_and_safe("gap-no-apply-wait");
    let schedule = steps(&[
        WRITE_THEN_NEW_LEADER,
        COMMITTED_NOT_APPLIED,
        &["c0 <- n0 Reply"],
    ]);
    let path = replay_schedule(&model, &schedule).expect("the schedule replays");
    assert_eq!(last_reply(&path), Some(Reply::Nil));
    demonstrate(&model, &schedule, "gap_no_apply_wait_trace");
}

#[test]
fn with_the_apply_wait_the_read_waits_for_apply() {
    let (_, model) = gap_and_safe("gap-no-apply-wait");
    // The fence round is confirmed, but the answer is not enabled…
    let schedule = steps(&[
        WRITE_THEN_NEW_LEADER,
        COMMITTED_NOT_APPLIED,
        &["c0 <- n0 Reply"],
    ]);
    assert_not_enabled(&model, &schedule, schedule.len());
    // …until n0 applies up to read_index, and then the read sees x = 1.
    let schedule = steps(&[
        WRITE_THEN_NEW_LEADER,
        COMMITTED_NOT_APPLIED,
        &["n0 timeout Apply", "c0 <- n0 Reply"],
    ]);
    let path = replay_schedule(&model, &schedule).expect("the safe schedule replays");
    assert_eq!(last_reply(&path), one());
    assert!(violated(&model, &path).is_empty());
}

// ----------------------------------------------------------- term-commit = skip

/// n2 leads term 1 and commits c0's write x=1 with n0 alone (n1 hears
/// nothing of term 1), applies it and acknowledges it. n0 holds both entries
/// but never learns that they committed (its commit index stays 0). n0 wins
/// term 2 with n1's vote, and c0's read arrives at once.
const NEW_LEADER_BEHIND: &[&str] = &[
    "n2 timeout Election",
    "n0 <- n2 RequestVote",
    "n2 <- n0 Vote",
    "n2 <- c0 Request",
    "n0 <- n2 AppendEntries",
    "n0 <- n2 AppendEntries",
    "n2 <- n0 AppendResult",
    "n2 <- n0 AppendResult",
    "n2 timeout Apply",
    "c0 <- n2 Reply",
    "n0 timeout Election",
    "n1 <- n0 RequestVote",
    "n0 <- n1 Vote",
    "n0 <- c0 Request",
];

/// Without waiting for its no-op to commit, n0 takes read_index = commit_index
/// = 0 and starts a fence round. The round goes to n1, whose log lacks the
/// entries: n1 refuses both appends (the no-op's and the round's), but a
/// refusal of term 2 still carries the round, so it confirms n0's leadership.
/// applied (0) ≥ read_index (0): n0 serves the read, missing the write.
const STALE_READ_INDEX: &[&str] = &[
    "n1 <- n0 AppendEntries",
    "n1 <- n0 AppendEntries",
    "n0 <- n1 AppendResult",
    "n0 <- n1 AppendResult",
];

#[test]
fn without_a_current_term_commit_a_new_leader_reads_below_its_predecessors_commit() {
    let (model, _) = gap_and_safe("gap-no-term-commit");
    let schedule = steps(&[NEW_LEADER_BEHIND, STALE_READ_INDEX, &["c0 <- n0 Reply"]]);
    let path = replay_schedule(&model, &schedule).expect("the schedule replays");
    assert_eq!(last_reply(&path), Some(Reply::Nil));
    demonstrate(&model, &schedule, "gap_no_term_commit_trace");
}

#[test]
fn with_a_current_term_commit_the_new_leader_first_catches_up() {
    let (_, model) = gap_and_safe("gap-no-term-commit");
    // The read has no read_index until n0's no-op commits, so no fence round
    // starts: the round's append, the gap's second step after the read, does
    // not exist…
    let gap = steps(&[NEW_LEADER_BEHIND, STALE_READ_INDEX, &["c0 <- n0 Reply"]]);
    assert_not_enabled(&model, &gap, NEW_LEADER_BEHIND.len() + 2);
    // …n1's refusal of the no-op's append does not answer the read either…
    let refused = steps(&[
        NEW_LEADER_BEHIND,
        &[
            "n1 <- n0 AppendEntries",
            "n0 <- n1 AppendResult",
            "c0 <- n0 Reply",
        ],
    ]);
    assert_not_enabled(&model, &refused, refused.len());
    // …until n0 brings n1 up to date and its no-op commits (commit index 3
    // covers the write); then a round, the apply, and x = 1.
    let schedule = steps(&[
        NEW_LEADER_BEHIND,
        &[
            "n1 <- n0 AppendEntries",
            "n0 <- n1 AppendResult",
            "n1 <- n0 AppendEntries",
            "n0 <- n1 AppendResult",
            "n1 <- n0 AppendEntries",
            "n0 <- n1 AppendResult",
            "n0 timeout Apply",
            "c0 <- n0 Reply",
        ],
    ]);
    let path = replay_schedule(&model, &schedule).expect("the safe schedule replays");
    assert_eq!(last_reply(&path), one());
    assert!(violated(&model, &path).is_empty());
}

// ------------------------------------------------------------------ dedup = off

/// On a network that may deliver any message again (inline config: its
/// exhaustive check never ends, as every message stays deliverable). n0 leads
/// term 1; c0's `set x 1` commits and is answered; c1 reads x (1), sets it to
/// 2 (answered) and asks for x again.
const SET_THEN_OVERWRITE: &[&str] = &[
    "n0 timeout Election",
    "n1 <- n0 RequestVote",
    "n0 <- n1 Vote",
    "n1 <- n0 AppendEntries",
    "n0 <- n1 AppendResult",
    "n0 <- c0 Request",
    "n1 <- n0 AppendEntries newest",
    "n0 <- n1 AppendResult newest",
    "n0 timeout Apply",
    "c0 <- n0 Reply",
    "n0 <- c1 Request",
    "n1 <- n0 AppendEntries newest",
    "n0 <- n1 AppendResult newest",
    "c1 <- n0 Reply",
    "n0 <- c1 Request newest",
    "n1 <- n0 AppendEntries newest",
    "n0 <- n1 AppendResult newest",
    "n0 timeout Apply",
    "c1 <- n0 Reply newest",
];

/// c1's second read of x, fenced and answered.
const READ_AGAIN: &[&str] = &[
    "n0 <- c1 Request newest",
    "n1 <- n0 AppendEntries newest",
    "n0 <- n1 AppendResult newest",
    "c1 <- n0 Reply newest",
];

fn dedup_models() -> (Model, Model) {
    let text = std::fs::read_to_string("tests/schedules/gap-no-dedup.toml").expect("config");
    let mut gap = ModelCfg::from_toml("gap-no-dedup", &text).expect("config");
    gap.drop_ignored_messages = false;
    let mut safe = gap.clone();
    safe.modes.dedup = Default::default();
    assert!(safe.modes.gaps().is_empty());
    (gap.into_model(), safe.into_model())
}

#[test]
fn without_dedup_a_duplicated_set_applies_again_over_a_newer_one() {
    let (model, _) = dedup_models();
    // The old SET is delivered a second time and applied as a new write.
    let schedule = steps(&[
        SET_THEN_OVERWRITE,
        &[
            "n0 <- c0 Request",
            "n1 <- n0 AppendEntries newest",
            "n0 <- n1 AppendResult newest",
            "n0 timeout Apply",
        ],
        READ_AGAIN,
    ]);
    let path = replay_schedule(&model, &schedule).expect("the schedule replays");
    assert_eq!(last_reply(&path), one());
    demonstrate(&model, &schedule, "gap_no_dedup_trace");
}

#[test]
fn with_sessions_the_duplicate_gets_the_first_answer_and_changes_nothing() {
    let (_, model) = dedup_models();
    let before = replay_schedule(&model, SET_THEN_OVERWRITE).expect("the safe schedule replays");
    let leader_log = |p: &Path<State, Action>| {
        p.last_state().actor_states[0]
            .node()
            .map(|n| n.log().last_index())
    };
    let schedule = steps(&[SET_THEN_OVERWRITE, &["n0 <- c0 Request"], READ_AGAIN]);
    let path = replay_schedule(&model, &schedule).expect("the safe schedule replays");
    assert_eq!(leader_log(&path), leader_log(&before), "no new entry");
    assert_eq!(
        last_reply(&path),
        Some(Reply::Bulk(bytes::Bytes::from_static(b"2")))
    );
    assert!(violated(&model, &path).is_empty());
}

// ------------------------------------------------------ vote-persistence = skip

/// n0 and n2 campaign in term 1; n1 votes for n0, crashes and recovers, then
/// is asked by n2.
const VOTE_CRASH_VOTE: &[&str] = &[
    "n0 timeout Election",
    "n1 <- n0 RequestVote",
    "n0 <- n1 Vote",
    "n2 timeout Election",
    "n1 crash",
    "n1 recover",
    "n1 <- n2 RequestVote",
    "n2 <- n1 Vote",
];

/// Reference: Raft Figure 2, "persistent state … updated on stable storage
/// before responding to RPCs".
#[test]
fn without_vote_persistence_a_recovered_node_votes_twice_in_a_term() {
    let model = cfg("gap-vote-persistence").into_model();
    violates_only(&model, VOTE_CRASH_VOTE, ELECTION_SAFETY);
}

#[test]
fn with_vote_persistence_the_recovered_node_refuses_the_second_candidate() {
    // n1 comes back with its vote for n0: its answer to n2 is a refusal, so
    // n2 never leads term 1.
    let last = safe_takes("gap-vote-persistence", VOTE_CRASH_VOTE);
    assert!(last.actor_states[2].node().is_some_and(|n| !n.is_leader()));
}

// ------------------------------------------------------ log-persistence = skip

/// n0 leads term 1 with n2's vote; n2 acknowledges n0's no-op (which then
/// commits), crashes and recovers, campaigns and wins term 2 with n1's vote.
const ACK_CRASH_ELECT: &[&str] = &[
    "n0 timeout Election",
    "n2 <- n0 RequestVote",
    "n0 <- n2 Vote",
    "n2 <- n0 AppendEntries",
    "n0 <- n2 AppendResult",
    "n2 crash",
    "n2 recover",
    "n2 timeout Election",
    "n1 <- n2 RequestVote",
    "n2 <- n1 Vote",
];

/// Reference: Raft §5.4 (a committed entry is in every later leader's log)
/// rests on the entries a follower acknowledged surviving its crash.
#[test]
fn without_log_persistence_a_new_leader_lacks_a_committed_entry() {
    let model = cfg("gap-log-persistence").into_model();
    violates_only(&model, ACK_CRASH_ELECT, LEADER_COMPLETENESS);
}

#[test]
fn with_log_persistence_the_recovered_node_leads_with_the_committed_entry() {
    let last = safe_takes("gap-log-persistence", ACK_CRASH_ELECT);
    let n2 = last.actor_states[2].node().cloned();
    assert!(n2.is_some_and(|n| n.is_leader() && n.log().last_index() >= 1));
}

// ------------------------------------------------- election-restriction = off

/// n0 leads term 1 with n1's vote and commits its no-op with n1; n2, with an
/// empty log, campaigns in term 2 and asks n1.
const SHORT_LOG_CANDIDATE: &[&str] = &[
    "n0 timeout Election",
    "n1 <- n0 RequestVote",
    "n2 <- n0 RequestVote",
    "n0 <- n1 Vote",
    "n1 <- n0 AppendEntries",
    "n0 <- n1 AppendResult",
    "n2 timeout Election",
    "n1 <- n2 RequestVote",
    "n2 <- n1 Vote",
];

/// Reference: Raft §5.4.1, the election restriction.
#[test]
fn without_the_election_restriction_a_short_log_wins() {
    let model = cfg("gap-election-restriction").into_model();
    violates_only(&model, SHORT_LOG_CANDIDATE, LEADER_COMPLETENESS);
}

#[test]
fn with_the_election_restriction_the_short_log_is_refused() {
    let last = safe_takes("gap-election-restriction", SHORT_LOG_CANDIDATE);
    assert!(last.actor_states[2].node().is_some_and(|n| !n.is_leader()));
}

// ------------------------------------------------------------ truncation = always

/// n0 leads term 1; its first AppendEntries to n2 (the no-op alone) is
/// overtaken on the unordered network by the SET's, which fails, and by the
/// resend of both entries, which n2 acknowledges and applies; then the first
/// one arrives.
const DELAYED_APPEND: &[&str] = &[
    "n0 timeout Election",
    "n1 <- n0 RequestVote",
    "n0 <- n1 Vote",
    "n1 <- n0 AppendEntries",
    "n0 <- c0 Request",
    "n1 <- n0 AppendEntries",
    "n2 <- n0 AppendEntries newest",
    "n0 <- n1 AppendResult newest",
    "n0 <- n2 AppendResult",
    "n2 <- n0 AppendEntries newest",
    "n0 timeout Apply",
    "n2 timeout Apply",
    "n2 <- n0 AppendEntries",
];

/// Reference: Raft §5.3, "if an existing entry conflicts with a new one …
/// delete the existing entry and all that follow it" — only then.
#[test]
fn truncating_always_a_delayed_append_removes_an_applied_entry() {
    let model = cfg("gap-truncation").into_model();
    violates_only(&model, DELAYED_APPEND, APPLIED_PREFIXES_AGREE);
}

#[test]
fn truncating_only_at_a_conflict_the_delayed_append_removes_nothing() {
    let last = safe_takes("gap-truncation", DELAYED_APPEND);
    let n2 = last.actor_states[2].node().cloned();
    assert!(n2.is_some_and(|n| n.log().last_index() == 2));
}

// ---------------------------------------------------------- commit-rule = any-term

/// Raft Figure 8 on three nodes, without the leader no-op: n0 leads term 1
/// and takes x=1 at index 1; n1 leads term 2 with n2's vote and takes x=2 at
/// index 1 (after voting for n0 in term 1); n0 wins term 3 with n2's vote, backs off to index 1, copies its
/// term-1 entry to n2 and sees it on 2 of 3; n1 hears of term 3, campaigns
/// in term 4 and wins n2's vote (its last entry, term 2, is newer than n2's
/// term-1 entry). On the ordered network each stale message ahead of a
/// newer one is delivered (and refused) first.
const FIGURE_8: &[&str] = &[
    "n0 timeout Election",
    "n2 <- n0 RequestVote",
    "n0 <- n2 Vote",
    "n0 <- c0 Request",
    "n1 <- n0 RequestVote",
    "n1 timeout Election",
    "n2 <- n1 RequestVote",
    "n1 <- n2 Vote",
    "n1 <- c1 Request",
    "n0 <- n1 Vote",
    "n0 <- n1 RequestVote",
    "n0 timeout Election",
    "n2 <- n0 AppendEntries",
    "n2 <- n0 AppendEntries",
    "n2 <- n0 RequestVote",
    "n0 <- n2 AppendResult",
    "n0 <- n2 AppendResult",
    "n0 <- n2 Vote",
    "n2 <- n0 AppendEntries",
    "n0 <- n2 AppendResult",
    "n2 <- n0 AppendEntries",
    "n0 <- n2 AppendResult",
    "n1 <- n0 AppendEntries",
    "n1 <- n0 AppendEntries",
    "n1 <- n0 Vote",
    "n1 <- n0 RequestVote",
    "n1 timeout Election",
    "n2 <- n1 AppendEntries",
    "n2 <- n1 AppendEntries",
    "n2 <- n1 RequestVote",
    "n1 <- n2 AppendResult",
    "n1 <- n2 AppendResult",
    "n1 <- n2 Vote",
];

/// Reference: Raft §5.4.2 and Figure 8: "Raft never commits log entries
/// from previous terms by counting replicas."
#[test]
fn counting_replicas_of_an_old_term_commits_an_entry_a_later_leader_lacks() {
    let model = cfg("gap-commit-rule").into_model();
    violates_only(&model, FIGURE_8, LEADER_COMPLETENESS);
}

#[test]
fn with_the_current_term_rule_the_old_entry_is_not_committed() {
    let last = safe_takes("gap-commit-rule", FIGURE_8);
    // n0 holds its term-1 entry on a majority but has committed nothing; n1
    // leads term 4 and will overwrite it, which is allowed.
    assert!(last.actor_states[0]
        .node()
        .is_some_and(|n| n.commit_index == 0));
    assert!(last.actor_states[1].node().is_some_and(|n| n.is_leader()));
}

/// The commit-rule config's reduction: a state in which a node campaigns for
/// a term `term_candidates` leaves to another is out of bounds.
#[test]
fn each_listed_term_is_campaigned_for_by_its_node_only() {
    let model = cfg("gap-commit-rule").into_model();
    let within = |schedule: &[&str]| {
        let path = replay_schedule(&model, schedule).expect("the schedule replays");
        stateright::Model::within_boundary(&model, path.last_state())
    };
    assert!(within(&["n0 timeout Election"]));
    assert!(!within(&["n1 timeout Election"]), "term 1 is n0's");
    let n1_hears_of_term_1 = ["n0 timeout Election", "n1 <- n0 RequestVote"];
    assert!(within(
        &[&n1_hears_of_term_1[..], &["n1 timeout Election"]].concat()
    ));
}

/// The safe protocol in three terms: n0 leads term 1 and appends its no-op;
/// n1 leads term 2 with n2's vote (its no-op at index 1 too); n0 hears of
/// term 2, wins term 3 with n2's vote and commits its two entries with n2,
/// while n1, told nothing, still leads term 2.
const DEPOSED_TERM_2_LEADER: &[&str] = &[
    "n0 timeout Election",
    "n1 <- n0 RequestVote",
    "n0 <- n1 Vote",
    "n1 timeout Election",
    "n2 <- n1 RequestVote",
    "n1 <- n2 Vote",
    "n0 <- n1 RequestVote",
    "n0 timeout Election",
    "n2 <- n0 RequestVote",
    "n2 <- n0 AppendEntries",
    "n2 <- n0 RequestVote",
    "n0 <- n2 Vote",
    "n0 <- n2 AppendResult",
    "n0 <- n2 Vote",
    "n2 <- n0 AppendEntries",
    "n0 <- n2 AppendResult",
    "n2 <- n0 AppendEntries",
    "n0 <- n2 AppendResult",
];

/// Reference: Raft Figure 3, Leader Completeness is about "leaders for all
/// higher-numbered terms" than the one an entry is committed in. n0 commits
/// its term-1 no-op in term 3; n1, the deposed leader of term 2, lacks it
/// and is no violation (a property that counted the entry's own term would
/// report the safe protocol here).
#[test]
fn a_deposed_leader_of_an_earlier_term_need_not_hold_a_later_commit() {
    let model = cfg("base-three-terms").into_model();
    assert!(model.cfg.modes.gaps().is_empty());
    let path = replay_schedule(&model, DEPOSED_TERM_2_LEADER).expect("the schedule replays");
    assert!(violated(&model, &path).is_empty());
    let last = path.last_state();
    let (n0, n1) = (last.actor_states[0].node(), last.actor_states[1].node());
    assert!(n0.is_some_and(|n| n.is_leader() && n.term() == 3 && n.commit_index == 2));
    assert!(n1.is_some_and(|n| n.is_leader() && n.term() == 2 && n.log().last_term() == 2));
}

// ------------------------------------------------ lease mode: the drift bound

#[test]
fn a_lease_longer_than_the_drift_bound_lets_a_deposed_leader_serve_a_stale_read() {
    let model = cfg("gap-lease-drift").into_model();
    let path = replay_schedule(&model, LEASE_DRIFT).expect("the schedule replays");
    assert_eq!(
        last_reply(&path),
        Some(Reply::Nil),
        "n0 answers from its lease"
    );
    demonstrate(&model, LEASE_DRIFT, "gap_lease_drift_trace");
}

#[test]
fn with_the_margin_the_drift_bound_needs_the_lease_is_over_before_the_new_leader_writes() {
    // The same run with a margin of 2 ms for clocks 1 ms apart: n0's lease
    // ends before n1 can be elected, so the read waits for a round n0 can
    // no longer win, and n0 never answers it.
    let mut safe = cfg("gap-lease-drift");
    if let Some(t) = safe.time.as_mut() {
        t.lease_margin = 2 * t.drift;
    }
    let model = safe.into_model();
    assert_not_enabled(&model, LEASE_DRIFT, LEASE_DRIFT.len());
    let mut upto = LEASE_DRIFT.to_vec();
    upto.pop();
    let path = replay_schedule(&model, &upto).expect("every step before the answer replays");
    assert!(violated(&model, &path).is_empty());
}

// ------------------------------------------------ lease mode: vote stickiness

#[test]
fn without_vote_stickiness_a_follower_elects_a_new_leader_inside_the_old_ones_lease() {
    let model = cfg("gap-vote-stickiness-off").into_model();
    let path = replay_schedule(&model, VOTE_STICKINESS_OFF).expect("the schedule replays");
    assert_eq!(
        last_reply(&path),
        Some(Reply::Nil),
        "n0 answers from its lease"
    );
    demonstrate(&model, VOTE_STICKINESS_OFF, "gap_vote_stickiness_off_trace");
}

#[test]
fn with_vote_stickiness_the_follower_that_heard_the_leader_refuses_the_vote() {
    let mut safe = cfg("gap-vote-stickiness-off");
    safe.modes.vote_stickiness = fencekv::modes::VoteStickiness::On;
    let model = safe.into_model();
    // n2 heard from n0 at 5 ms: it ignores n1's RequestVote until 8 ms, so
    // n1 has no vote to count.
    let vote = VOTE_STICKINESS_OFF
        .iter()
        .position(|s| *s == "n1 <- n2 Vote")
        .expect("the vote step")
        + 1;
    assert_not_enabled(&model, &VOTE_STICKINESS_OFF[..vote], vote);
    let path = replay_schedule(&model, &VOTE_STICKINESS_OFF[..vote - 1])
        .expect("every step before the vote replays");
    assert!(violated(&model, &path).is_empty());
}

// ------------------------------------------------ follower reads: the apply wait

#[test]
fn without_the_apply_wait_a_follower_serves_a_read_its_apply_has_not_reached() {
    let (gap, _) = gap_and_safe("gap-follower-no-apply-wait");
    let path = replay_schedule(&gap, FOLLOWER_NO_APPLY_WAIT).expect("the schedule replays");
    assert_eq!(last_reply(&path), Some(Reply::Nil), "n2 serves nil");
    demonstrate(
        &gap,
        FOLLOWER_NO_APPLY_WAIT,
        "gap_follower_no_apply_wait_trace",
    );
}

#[test]
fn with_the_apply_wait_the_follower_serves_the_read_once_it_has_applied() {
    let (_, safe) = gap_and_safe("gap-follower-no-apply-wait");
    let last = FOLLOWER_NO_APPLY_WAIT.len();
    assert_not_enabled(&safe, FOLLOWER_NO_APPLY_WAIT, last);
    let mut applied = FOLLOWER_NO_APPLY_WAIT.to_vec();
    applied.insert(last - 1, "n2 timeout Apply");
    let path = replay_schedule(&safe, &applied).expect("the schedule replays");
    assert_eq!(last_reply(&path), one(), "n2 serves the write");
    assert!(violated(&safe, &path).is_empty());
}
