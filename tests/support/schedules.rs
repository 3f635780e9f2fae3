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
