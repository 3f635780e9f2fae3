//! Hand-written schedules shared by the model tests.

/// n0 leads term 1 and commits its no-op with n1; n2 learns the no-op, times
/// out and wins term 2 with n1's vote; c0 writes x=1 through n2 (committed
/// with n1, applied, acknowledged), then reads x at n0, which still believes
/// it leads term 1.
pub const DEPOSED_LEADER: &[&str] = &[
    "n0 timeout Election",
    "n1 <- n0 RequestVote",
    "n0 <- n1 Vote",
    "n1 <- n0 AppendEntries",
    "n0 <- n1 AppendResult",
    "n0 timeout Apply",
    "n2 <- n0 RequestVote",
    "n2 <- n0 AppendEntries",
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
    "n0 <- c0 Request",
];

/// Lease mode with time (`model/gap-lease-drift.toml`, as the breadth-first
/// search found it, 34 steps): the clocks tick to n0's election timeout; n0
/// wins term 1 with n2's vote, and its first append — a round, sent at n0's
/// 1 ms while n1's clock reads 0 — is acknowledged by n1: a lease, counted
/// from n0's send time. n1's clock catches up and runs 1 ms ahead of n0's; n1
/// times out a full election timeout after it heard from n0 (by its clock),
/// wins term 2 with n2's vote (n2 never heard from n0, so nothing keeps it),
/// commits x=1 and acknowledges it; c0 then reads x at n0, whose clock is
/// still inside its lease.
pub const LEASE_DRIFT: &[&str] = &[
    "n0 timeout Clock",
    "n1 timeout Clock",
    "n2 timeout Clock",
    "n0 timeout Clock",
    "n1 timeout Clock",
    "n2 timeout Clock",
    "n0 timeout Clock",
    "n0 timeout Election",
    "n1 <- n0 RequestVote",
    "n2 timeout Clock",
    "n2 <- n0 RequestVote",
    "n0 <- n2 Vote",
    "n1 <- n0 AppendEntries",
    "n0 <- n1 AppendResult",
    "n0 timeout Apply",
    "n1 timeout Clock",
    "n0 timeout Clock",
    "n1 timeout Clock",
    "n2 timeout Clock",
    "n1 timeout Clock",
    "n1 timeout Election",
    "n2 <- n1 RequestVote",
    "n1 <- n2 Vote",
    "n2 <- n1 AppendEntries",
    "n1 <- n2 AppendResult",
    "n2 <- n1 AppendEntries",
    "n1 <- n2 AppendResult",
    "n1 <- c0 Request",
    "n2 <- n1 AppendEntries",
    "n1 <- n2 AppendResult",
    "n1 timeout Apply",
    "c0 <- n1 Reply",
    "n0 <- c0 Request",
    "c0 <- n0 Reply",
];

/// Follower reads without the apply wait (`model/gap-follower-no-apply-wait.toml`,
/// as the breadth-first search found it, 16 steps): n0 wins term 1 with n2's
/// vote and commits its no-op and c0's x=1 with n2, which has not applied
/// them; c0 reads x at n2, which asks n0 for a read index; n0's round tells n2
/// the commit index, n0 answers read index 2, and n2 serves the read.
pub const FOLLOWER_NO_APPLY_WAIT: &[&str] = &[
    "n0 timeout Election",
    "n2 <- n0 RequestVote",
    "n0 <- n2 Vote",
    "n2 <- n0 AppendEntries",
    "n0 <- n2 AppendResult",
    "n0 <- c0 Request",
    "n2 <- n0 AppendEntries",
    "n0 <- n2 AppendResult",
    "n0 timeout Apply",
    "c0 <- n0 Reply",
    "n2 <- c0 Request",
    "n0 <- n2 ReadIndex",
    "n2 <- n0 AppendEntries",
    "n0 <- n2 AppendResult",
    "n2 <- n0 ReadIndexResult",
    "c0 <- n2 Reply",
];

/// Lease mode without vote stickiness (`model/gap-vote-stickiness-off.toml`,
/// hand-written, 41 steps): the clocks tick to 3 ms; n0 wins term 1 with
/// n1's vote and n1 acknowledges its first append (n1 last hears from n0 at
/// 3 ms). At 5 ms n0's heartbeat round reaches n2 alone, which acknowledges
/// it: a lease to 6 ms. n1 times out at 6 ms and n2, which heard from n0 at
/// 5 ms, votes for it; n1 commits x=1 with n2 while n0's clock reads 5 ms,
/// and n0 answers c0's read from its lease.
pub const VOTE_STICKINESS_OFF: &[&str] = &[
    "n0 timeout Clock",
    "n1 timeout Clock",
    "n2 timeout Clock",
    "n0 timeout Clock",
    "n1 timeout Clock",
    "n2 timeout Clock",
    "n0 timeout Clock",
    "n1 timeout Clock",
    "n2 timeout Clock",
    "n0 timeout Election",
    "n1 <- n0 RequestVote",
    "n0 <- n1 Vote",
    "n1 <- n0 AppendEntries",
    "n0 <- n1 AppendResult",
    "n0 timeout Apply",
    "n0 timeout Clock",
    "n1 timeout Clock",
    "n2 timeout Clock",
    "n0 timeout Clock",
    "n1 timeout Clock",
    "n2 timeout Clock",
    "n0 timeout Heartbeat",
    "n2 <- n0 RequestVote",
    "n2 <- n0 AppendEntries",
    "n2 <- n0 AppendEntries",
    "n0 <- n2 Vote",
    "n0 <- n2 AppendResult",
    "n0 <- n2 AppendResult",
    "n1 timeout Clock",
    "n1 timeout Election",
    "n2 <- n1 RequestVote",
    "n1 <- n2 Vote",
    "n2 <- n1 AppendEntries",
    "n1 <- n2 AppendResult",
    "n1 <- c0 Request",
    "n2 <- n1 AppendEntries",
    "n1 <- n2 AppendResult",
    "n1 timeout Apply",
    "c0 <- n1 Reply",
    "n0 <- c0 Request",
    "c0 <- n0 Reply",
];
