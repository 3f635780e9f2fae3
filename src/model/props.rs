//! The checked properties: each a name, shared by configs, tests and the
//! spec, and the function stateright evaluates on every state. The ids in
//! the doc comments are `spec/SPEC.md`'s rules. [`ModelCfg::into_model`]
//! adds them in a fixed order: the order decides which property a state that
//! violates two is reported under.
//!
//! [`ModelCfg::into_model`]: super::ModelCfg::into_model

use super::{nodes, Model, State};
use crate::node::Role;

pub const ELECTION_SAFETY: &str = "election safety";
/// P-1. Reference: Raft §5.2, Figure 3 "Election Safety": at most one leader
/// per term.
pub fn election_safety(_: &Model, s: &State) -> bool {
    let mut leaders: Vec<_> = nodes(s)
        .filter(|(_, n)| n.role == Role::Leader)
        .map(|(_, n)| n.term())
        .collect();
    let all = leaders.len();
    leaders.sort_unstable();
    leaders.dedup();
    all == leaders.len()
}

pub const LOG_MATCHING: &str = "log matching";
/// P-2. Reference: Raft §5.3, Figure 3 "Log Matching": equal terms at an
/// index imply equal prefixes.
pub fn log_matching(_: &Model, s: &State) -> bool {
    let ns: Vec<_> = nodes(s).map(|(_, n)| n).collect();
    ns.iter().enumerate().all(|(i, a)| {
        ns[i + 1..].iter().all(|b| {
            let upto = a.log().last_index().min(b.log().last_index());
            // Find the highest index with equal terms; everything
            // before it must be equal too.
            // Compacted entries are committed, so equal (P-4
            // checks what was applied); compare what both hold.
            let from = a.log().base_index().max(b.log().base_index()) + 1;
            (from..=upto)
                .rev()
                .find(|&k| a.log().term_at(k) == b.log().term_at(k))
                .is_none_or(|k| (from..=k).all(|j| a.log().get(j) == b.log().get(j)))
        })
    })
}

pub const LEADER_COMPLETENESS: &str = "leader completeness";
/// P-3. Reference: Raft §5.4, Figure 3 "Leader Completeness": an entry
/// committed in a term is in the log of every leader of a later term. The
/// term of each commit is the history's (see `History::with_commits`).
pub fn leader_completeness(_: &Model, s: &State) -> bool {
    nodes(s)
        .filter(|(_, l)| l.role == Role::Leader)
        .all(|(_, l)| {
            s.history
                .committed
                .iter()
                .enumerate()
                .all(|(i, (e, term))| {
                    let i = i as crate::raft::Index + 1;
                    // An entry the leader compacted was applied by it.
                    *term >= l.term() || i <= l.log().base_index() || l.log().get(i) == Some(e)
                })
        })
}

pub const APPLIED_PREFIXES_AGREE: &str = "applied prefixes agree";
/// P-4. Reference: Raft §5.4.3, Figure 3 "State Machine Safety": no two
/// nodes apply different entries at an index.
pub fn applied_prefixes_agree(_: &Model, s: &State) -> bool {
    let ns: Vec<_> = nodes(s).map(|(_, n)| n).collect();
    ns.iter().enumerate().all(|(i, a)| {
        ns[i + 1..].iter().all(|b| {
            // Entries compacted on either side are no longer
            // held; `linearizable` covers what they did.
            let from = a.log().base_index().max(b.log().base_index()) + 1;
            (from..=a.applied.min(b.applied)).all(|k| a.log().get(k) == b.log().get(k))
        })
    })
}

pub const LINEARIZABLE: &str = "linearizable";
/// LIN-1: the recorded history is linearizable against the sequential spec
/// (the verdict is kept in the history, computed when an answer arrives).
pub fn linearizable(_: &Model, s: &State) -> bool {
    s.history.linearizable
}

pub const LEADER_ELECTED: &str = "a leader is elected";
/// Sometimes (the model is not vacuous): some node becomes leader.
pub fn leader_elected(_: &Model, s: &State) -> bool {
    nodes(s).any(|(_, n)| n.role == Role::Leader)
}

pub const LEADERSHIP_CHANGES: &str = "leadership changes";
/// Sometimes: a leader of term 2 or later. A run bounded to one term
/// (max_term = 1) rules leadership changes out on purpose: this then holds
/// trivially.
pub fn leadership_changes(m: &Model, s: &State) -> bool {
    m.cfg.max_term < 2 || nodes(s).any(|(_, n)| n.role == Role::Leader && n.term() >= 2)
}

pub const READ_AFTER_CHANGE: &str = "a GET is served after a leadership change";
/// Sometimes: a read served in term 2 or later; trivially true where
/// max_term = 1, as [`leadership_changes`].
pub fn read_after_change(m: &Model, s: &State) -> bool {
    m.cfg.max_term < 2 || nodes(s).any(|(_, n)| n.stats.last_read_term >= 2)
}

pub const WRITE_COMMITS: &str = "a write commits";
/// Sometimes: some node commits a command or a script's `Txn`.
pub fn write_commits(_: &Model, s: &State) -> bool {
    nodes(s).any(|(_, n)| {
        (1..=n.commit_index).any(|i| {
            matches!(
                n.log().get(i).map(|e| &e.payload),
                Some(
                    crate::raft::Payload::Command { .. }
                        | crate::raft::Payload::Txn { .. }
                        | crate::raft::Payload::Watched { .. }
                )
            )
        })
    })
}

pub const SNAPSHOT_INSTALLED: &str = "a follower installs a snapshot";
/// Sometimes: a follower installs a Raft snapshot (Raft §7). Only where
/// compaction is on: elsewhere the initial state counts.
pub fn snapshot_installed(m: &Model, s: &State) -> bool {
    m.cfg.compact_after == 0 || nodes(s).any(|(_, n)| n.stats.snapshots_installed > 0)
}

pub const ONE_FENCE_PER_SCRIPT: &str = "one fence per script";
/// SC-1: in once mode a script passes exactly one fence per run. Per-call
/// mode breaks it by design (model/script-per-call.toml), which shows the
/// check can fail.
pub fn one_fence_per_script(_: &Model, s: &State) -> bool {
    nodes(s).all(|(_, n)| n.stats.script_fences == n.stats.script_attempts)
}

pub const SCRIPT_COMMITS: &str = "a script commits";
/// Witness (SC-2): a script's `Txn` applies on its leader without a conflict.
pub fn script_commits(m: &Model, s: &State) -> bool {
    witnessed(m, s, SCRIPT_COMMITS, |st| st.script_commits > 0)
}

pub const SCRIPT_RETRIED: &str = "a script is retried after a conflict";
/// Witness (SC-4): a conflicted script runs again.
pub fn script_retried(m: &Model, s: &State) -> bool {
    witnessed(m, s, SCRIPT_RETRIED, |st| st.script_retries > 0)
}

pub const BARE_READ: &str = "a read is served from a bare legacy key";
/// Witness (RC-2): a script reads a value from a bare legacy key.
pub fn bare_read(m: &Model, s: &State) -> bool {
    witnessed(m, s, BARE_READ, |st| st.script_bare_reads > 0)
}

pub const SCRIPT_LEADER_LOST: &str = "a leader changes while a script is in flight";
/// Witness (SC-7): a leader loses office with a script in flight.
pub fn script_leader_lost(m: &Model, s: &State) -> bool {
    witnessed(m, s, SCRIPT_LEADER_LOST, |st| st.scripts_abandoned > 0)
}

pub const SCRIPT_GAVE_UP: &str = "a script gives up after conflicts";
/// Witness (SC-4): a script answers TRYAGAIN once its retries are spent.
pub fn script_gave_up(m: &Model, s: &State) -> bool {
    witnessed(m, s, SCRIPT_GAVE_UP, |st| st.scripts_gave_up > 0)
}

pub const WATCH_ABORTS: &str = "a watched exec aborts";
/// Witness (TX-2): an EXEC answers nil because a key its client watched
/// was written after the WATCH.
pub fn watch_aborts(m: &Model, s: &State) -> bool {
    witnessed(m, s, WATCH_ABORTS, |st| st.watch_aborts > 0)
}

pub const PRE_VOTE_REFUSED: &str = "a pre-vote is refused by a node that knows a leader";
/// Witness (PreVote at work): a node that follows a leader refuses a
/// pre-vote whose log would otherwise win its vote, so the candidate never
/// raises the term that would depose that leader.
pub fn pre_vote_refused(m: &Model, s: &State) -> bool {
    witnessed(m, s, PRE_VOTE_REFUSED, |st| st.pre_vote_refused_term > 0)
}

pub const QUORUM_LOST: &str = "a leader steps down without a quorum";
/// Witness (CheckQuorum at work): a leader that no majority answered gives
/// up office in its own term, without hearing of a higher one.
pub fn quorum_lost(m: &Model, s: &State) -> bool {
    witnessed(m, s, QUORUM_LOST, |st| st.quorum_losses > 0)
}

pub const LEASE_READ: &str = "a read is served under a lease";
/// Witness (lease mode): a leader serves a read with no round of its own.
pub fn lease_read(m: &Model, s: &State) -> bool {
    witnessed(m, s, LEASE_READ, |st| st.lease_reads > 0)
}

pub const LEASE_EXPIRED: &str = "a read finds the lease expired";
/// Witness (lease mode): a read arrives outside the lease and waits for a
/// round.
pub fn lease_expired(m: &Model, s: &State) -> bool {
    witnessed(m, s, LEASE_EXPIRED, |st| st.lease_expiries > 0)
}

pub const FOLLOWER_READ: &str = "a follower serves a read";
/// Witness (follower reads): a follower serves a read with the leader's
/// read index, from its own snapshot.
pub fn follower_read(m: &Model, s: &State) -> bool {
    witnessed(m, s, FOLLOWER_READ, |st| st.follower_reads > 0)
}

/// The sometimes-properties a config opts into with `witness = [...]`.
pub const WITNESSES: &[&str] = &[
    FOLLOWER_READ,
    LEASE_READ,
    LEASE_EXPIRED,
    PRE_VOTE_REFUSED,
    QUORUM_LOST,
    SCRIPT_COMMITS,
    SCRIPT_RETRIED,
    BARE_READ,
    SCRIPT_LEADER_LOST,
    SCRIPT_GAVE_UP,
    WATCH_ABORTS,
];

/// An opt-in sometimes-property: trivially true unless the config names it
/// in `witness`, else true once some node's counters show it happened.
fn witnessed(m: &Model, s: &State, name: &str, reached: fn(&crate::node::Stats) -> bool) -> bool {
    !m.cfg.witness.iter().any(|w| w == name) || nodes(s).any(|(_, n)| reached(&n.stats))
}
