//! The safety mechanisms of a node, each a named mode.
//!
//! Every mechanism of the read protocol can be switched off, so the model
//! checker can show what breaks without it (spec §6, *Gaps*). The server takes the
//! same options behind clearly unsafe flags. The default of every enum is the
//! safe setting.

use serde::{Deserialize, Serialize};

/// Where the chain looks first when a string key has both a prefixed and a
/// bare legacy form.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LegacyOrder {
    /// `!redis|str|<key>` first, the bare key only when no prefixed key exists.
    #[default]
    PrefixedFirst,
    /// Gap: the bare key first. A stale legacy value shadows every newer SET.
    BareFirst,
}

/// What an expired prefixed key means for the bare key behind it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExpiredShadow {
    /// An expired prefixed key still hides the bare key: the key is absent.
    #[default]
    Shadow,
    /// Gap: fall back to the bare key. An expired key comes back to life with
    /// its pre-migration value.
    FallBack,
}

/// The read chain's two knobs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ChainModes {
    pub legacy_order: LegacyOrder,
    pub expired_shadow: ExpiredShadow,
}

/// Whether reads confirm leadership before they are served.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReadFence {
    /// One ReadIndex fence per read (per script: once, when it starts).
    #[default]
    Once,
    /// A fence before every read `redis.call` of a script: safe but slow (a
    /// script of n reads pays n rounds). Plain reads behave as `Once`.
    PerCall,
    /// Gap: no fence. A deposed leader that has not heard of its successor
    /// serves a stale read.
    Off,
}

/// When a read takes its `start_ts`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StartTs {
    /// After the fence and the apply wait: `start_ts = applied`.
    #[default]
    AfterFence,
    /// Gap: when the read arrives, before the fence. A new leader whose apply
    /// lags takes a timestamp below writes that were already acknowledged.
    BeforeFence,
}

/// Whether a fenced read waits until `applied ≥ read_index`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ApplyWait {
    #[default]
    Wait,
    /// Gap: verify leadership only, then read whatever is applied: a stale read.
    Skip,
}

/// Whether a leader serves reads before an entry of its own term commits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TermCommit {
    /// Wait for the leader's no-op (or any current-term entry) to commit, so
    /// `commit_index` covers every entry committed by earlier leaders (§6.4).
    #[default]
    Required,
    /// Gap: take `read_index = commit_index` at once. A new leader's
    /// commit index may lag what its predecessor acknowledged: stale read.
    Skip,
}

/// Whether a session's duplicated request is recognised (Raft thesis §6.3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Dedup {
    /// A session's write applies at most once; a duplicate gets the first
    /// answer. A duplicated read starts no second fence.
    #[default]
    Sessions,
    /// Gap: every delivery is a new request. On a network that duplicates, an
    /// old SET applies again after a newer one: a stale read.
    Off,
}

/// Which keys a script's commit validates against `start_ts` (used by scripts).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReadSetValidation {
    /// Both the read set and the write set: scripts are serializable.
    #[default]
    ReadAndWrite,
    /// Gap: the write set only (what the production system does): write skew.
    WriteOnly,
}

/// Whether a script's commit validates the key ranges it scanned (KEYS,
/// SCAN, a collection's elements) besides the keys it read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RangeReads {
    /// Every scanned range: a key inserted into or removed from one since
    /// `start_ts` is a conflict.
    #[default]
    Validated,
    /// Gap: only the keys read one by one. A key created inside a range the
    /// script scanned and found empty goes unseen: a phantom (G2).
    PointOnly,
}

/// Whether a vote is on disk before it is sent (Raft Figure 2: persistent
/// state is updated on stable storage before responding to RPCs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VotePersistence {
    /// The vote is saved before the `Vote` leaves the node.
    #[default]
    BeforeReply,
    /// Gap: the vote is sent unsaved. A node votes, crashes, comes back
    /// without its vote and votes again in the same term: two leaders in one
    /// term.
    Skip,
}

/// Whether a follower's new entries are on disk before it acknowledges them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LogPersistence {
    /// Appended entries are saved before the `AppendResult` leaves the node.
    #[default]
    BeforeAck,
    /// Gap: entries are acknowledged unsaved. The leader counts them toward
    /// a commit; the follower crashes, comes back without them and helps
    /// elect a leader that lacks a committed entry.
    Skip,
}

/// Whether a vote goes only to a candidate whose log is at least as up to
/// date as the voter's (Raft §5.4.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ElectionRestriction {
    #[default]
    UpToDate,
    /// Gap: any candidate of the term gets the vote. A candidate whose log
    /// lacks a committed entry wins and overwrites it.
    Off,
}

/// When a follower removes entries from its log (Raft §5.3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Truncation {
    /// Only from the first entry that conflicts with the leader's (same
    /// index, other term): a delayed or duplicated AppendEntries removes
    /// nothing.
    #[default]
    OnConflict,
    /// Gap: the log is cut after `prev_index` on every AppendEntries. A
    /// delayed one removes entries the follower already acknowledged.
    Always,
}

/// Which entries a leader may commit by counting replicas (Raft §5.4.2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CommitRule {
    /// Only an entry of the leader's own term; earlier entries commit with
    /// it, by log matching.
    #[default]
    CurrentTerm,
    /// Gap (Raft Figure 8): any entry a majority holds. An entry of an
    /// earlier term can be on a majority and still be overwritten by a
    /// candidate whose last entry has a newer term.
    AnyTerm,
}

/// Whether a new leader appends a no-op entry of its term at once (Raft
/// §5.4.2, §8). The read fence waits for an entry of the current term to
/// commit either way; without the no-op that is the term's first write.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LeaderNoop {
    #[default]
    On,
    /// Safe, but reads wait for the term's first write, and the commit rule
    /// alone keeps Figure 8 away. The no-op masks the `any-term` gap: every
    /// acknowledgement of the new term covers it, so a majority that holds
    /// an old entry also holds a newer one of the leader's term.
    Off,
}

/// Whether a node asks for pre-votes before it starts an election (Raft
/// thesis §9.6): a pre-vote is granted only by a node that knows no leader
/// and whose log the candidate's is at least as up to date as.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PreVote {
    #[default]
    On,
    /// Availability, not safety: a node cut off from the cluster raises its
    /// term with every timeout, and when it comes back its RequestVote
    /// deposes a healthy leader.
    Off,
}

/// Whether a leader steps down when it has not heard from a majority since
/// its last check, one election timeout ago (Raft thesis §6.2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckQuorum {
    #[default]
    On,
    /// A leader cut off from the majority believes it leads until it hears
    /// a higher term. Reads stay safe (each is fenced), but nothing bounds
    /// how long a deposed leader thinks it leads, which a lease would need.
    Off,
}

/// Whether EXEC honours its client's WATCH.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Watch {
    /// EXEC answers nil and writes nothing when a watched key was written
    /// after the WATCH (spec TX-2): checked on the EXEC's snapshot and again
    /// when its entry applies.
    #[default]
    Validated,
    /// Gap: the watched keys are never checked. Two clients that each WATCH
    /// a key, read it and write it back both commit: a lost update.
    Ignored,
}

/// How a leader confirms that it still leads before it serves a read or
/// starts a script (spec §6, Read modes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReadMode {
    /// A heartbeat round acknowledged by a majority, per read or batch of
    /// reads (ReadIndex). Safe whatever the clocks do.
    #[default]
    Fence,
    /// No round while a lease holds: a majority acknowledged a round sent
    /// at local time `t`, and the leader's clock is below `t + lease`, where
    /// `lease` is shorter than the minimum election timeout by the clock
    /// drift's worst effect and a margin. Safe only while clocks drift within
    /// that bound; needs vote stickiness. Outside the lease, a read falls
    /// back to a round.
    Lease,
    /// Followers serve reads too: a follower asks the leader for a read
    /// index (the leader confirms it still leads with its usual round), waits
    /// until its own `applied ≥ read_index`, and serves the read, and
    /// scripts called read-only (EVAL_RO, FCALL_RO), from its own snapshot.
    /// Writes still go to the leader. Safe whatever the clocks do.
    Follower,
}

/// From when a leader counts its lease (used in lease mode).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LeaseStart {
    /// From when the acknowledged round was sent: every follower that
    /// acknowledged it heard from the leader after that moment.
    #[default]
    Sent,
    /// Gap: from when the acknowledgement that made the majority arrived. A
    /// slow acknowledgement stretches the lease past the followers' own
    /// election timeouts: a deposed leader serves a stale read.
    AckReceipt,
}

/// Whether a follower that heard from its leader within the minimum election
/// timeout refuses to vote (thesis §4.2.3). Used in lease mode, whose
/// safety rests on it; fence reads need no such rule (they do not apply it,
/// so their model's behaviours do not change).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VoteStickiness {
    #[default]
    On,
    /// Gap (lease mode): a follower votes as soon as a candidate asks. A
    /// majority elects a new leader while the old one's lease still holds:
    /// a stale read.
    Off,
}

/// Every mode of a node. The default is the safe protocol. An unknown key is
/// an error naming the accepted ones: a misspelt gap must not silently run
/// the safe protocol.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct Modes {
    pub read_fence: ReadFence,
    pub start_ts: StartTs,
    pub apply_wait: ApplyWait,
    pub term_commit: TermCommit,
    pub dedup: Dedup,
    pub read_set_validation: ReadSetValidation,
    pub range_reads: RangeReads,
    pub watch: Watch,
    pub legacy_order: LegacyOrder,
    pub expired_shadow: ExpiredShadow,
    pub vote_persistence: VotePersistence,
    pub log_persistence: LogPersistence,
    pub election_restriction: ElectionRestriction,
    pub truncation: Truncation,
    pub commit_rule: CommitRule,
    pub leader_noop: LeaderNoop,
    pub pre_vote: PreVote,
    pub check_quorum: CheckQuorum,
    pub read_mode: ReadMode,
    pub lease_start: LeaseStart,
    pub vote_stickiness: VoteStickiness,
}

impl Modes {
    pub fn chain(&self) -> ChainModes {
        ChainModes {
            legacy_order: self.legacy_order,
            expired_shadow: self.expired_shadow,
        }
    }

    /// The settings that differ from the safe default, for banners and INFO.
    pub fn gaps(&self) -> Vec<&'static str> {
        let safe = Modes::default();
        let mut g = vec![];
        if self.read_fence == ReadFence::Off {
            g.push("read-fence=off");
        }
        if self.start_ts != safe.start_ts {
            g.push("start-ts=before-fence");
        }
        if self.apply_wait != safe.apply_wait {
            g.push("apply-wait=skip");
        }
        if self.term_commit != safe.term_commit {
            g.push("term-commit=skip");
        }
        if self.dedup != safe.dedup {
            g.push("dedup=off");
        }
        if self.read_set_validation != safe.read_set_validation {
            g.push("read-set-validation=write-only");
        }
        if self.range_reads != safe.range_reads {
            g.push("range-reads=point-only");
        }
        if self.watch != safe.watch {
            g.push("watch=ignored");
        }
        if self.legacy_order != safe.legacy_order {
            g.push("legacy-order=bare-first");
        }
        if self.expired_shadow != safe.expired_shadow {
            g.push("expired-shadow=fall-back");
        }
        if self.vote_persistence != safe.vote_persistence {
            g.push("vote-persistence=skip");
        }
        if self.log_persistence != safe.log_persistence {
            g.push("log-persistence=skip");
        }
        if self.election_restriction != safe.election_restriction {
            g.push("election-restriction=off");
        }
        if self.truncation != safe.truncation {
            g.push("truncation=always");
        }
        if self.commit_rule != safe.commit_rule {
            g.push("commit-rule=any-term");
        }
        if self.read_mode == ReadMode::Lease {
            if self.lease_start != safe.lease_start {
                g.push("lease-start=ack-receipt");
            }
            if self.vote_stickiness != safe.vote_stickiness {
                g.push("vote-stickiness=off");
            }
        }
        g
    }

    /// The settings that differ from the default but are safe (they cost
    /// availability or speed, not correctness), for banners and INFO.
    pub fn departures(&self) -> Vec<&'static str> {
        let dflt = Modes::default();
        let mut d = vec![];
        if self.read_fence == ReadFence::PerCall {
            d.push("read-fence=per-call");
        }
        if self.leader_noop != dflt.leader_noop {
            d.push("leader-noop=off");
        }
        if self.pre_vote != dflt.pre_vote {
            d.push("pre-vote=off");
        }
        if self.check_quorum != dflt.check_quorum {
            d.push("check-quorum=off");
        }
        // Safe only within the clock-drift bound: a departure, stated.
        if self.read_mode == ReadMode::Lease {
            d.push("read-mode=lease");
        }
        if self.read_mode == ReadMode::Follower {
            d.push("read-mode=follower");
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_safe_and_departs_from_nothing() {
        let m = Modes::default();
        assert!(m.gaps().is_empty());
        assert!(m.departures().is_empty());
        assert_eq!(m.pre_vote, PreVote::On);
        assert_eq!(m.check_quorum, CheckQuorum::On);
    }

    #[test]
    fn a_safe_departure_is_not_a_gap() {
        let m = Modes {
            pre_vote: PreVote::Off,
            check_quorum: CheckQuorum::Off,
            leader_noop: LeaderNoop::Off,
            ..Modes::default()
        };
        assert!(m.gaps().is_empty());
        assert_eq!(
            m.departures(),
            ["leader-noop=off", "pre-vote=off", "check-quorum=off"]
        );
        let gap = Modes {
            commit_rule: CommitRule::AnyTerm,
            ..Modes::default()
        };
        assert_eq!(gap.gaps(), ["commit-rule=any-term"]);
    }

    #[test]
    fn lease_mode_is_a_stated_departure_and_its_gaps_count_only_under_it() {
        let lease = Modes {
            read_mode: ReadMode::Lease,
            ..Modes::default()
        };
        assert!(lease.gaps().is_empty());
        assert_eq!(lease.departures(), ["read-mode=lease"]);
        let off = Modes {
            vote_stickiness: VoteStickiness::Off,
            lease_start: LeaseStart::AckReceipt,
            ..lease
        };
        assert_eq!(
            off.gaps(),
            ["lease-start=ack-receipt", "vote-stickiness=off"]
        );
        // Fence reads apply neither, so neither is a gap there.
        let fence = Modes {
            read_mode: ReadMode::Fence,
            ..off
        };
        assert!(fence.gaps().is_empty());
        // Follower reads need no clock: a departure, and no lease gaps.
        let follower = Modes {
            read_mode: ReadMode::Follower,
            ..off
        };
        assert!(follower.gaps().is_empty());
        assert_eq!(follower.departures(), ["read-mode=follower"]);
    }

    #[test]
    fn modes_read_their_kebab_case_names_and_refuse_unknown_keys() {
        let m: Modes =
            toml::from_str("commit-rule = \"any-term\"\npre-vote = \"off\"").expect("known keys");
        assert_eq!(m.commit_rule, CommitRule::AnyTerm);
        assert_eq!(m.pre_vote, PreVote::Off);
        let err = toml::from_str::<Modes>("pre-votes = \"off\"").expect_err("unknown key");
        assert!(err.to_string().contains("pre-vote"), "{err}");
    }
}
