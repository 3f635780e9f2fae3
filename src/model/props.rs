//! The property names, shared by configs, tests and the spec.

pub const ELECTION_SAFETY: &str = "election safety";
pub const LOG_MATCHING: &str = "log matching";
pub const LEADER_COMPLETENESS: &str = "leader completeness";
pub const APPLIED_PREFIXES_AGREE: &str = "applied prefixes agree";
pub const LINEARIZABLE: &str = "linearizable";
pub const LEADER_ELECTED: &str = "a leader is elected";
pub const LEADERSHIP_CHANGES: &str = "leadership changes";
pub const READ_AFTER_CHANGE: &str = "a GET is served after a leadership change";
pub const WRITE_COMMITS: &str = "a write commits";
pub const SNAPSHOT_INSTALLED: &str = "a follower installs a snapshot";
pub const ONE_FENCE_PER_SCRIPT: &str = "one fence per script";
pub const SCRIPT_COMMITS: &str = "a script commits";
pub const SCRIPT_RETRIED: &str = "a script is retried after a conflict";
pub const BARE_READ: &str = "a read is served from a bare legacy key";
pub const SCRIPT_LEADER_LOST: &str = "a leader changes while a script is in flight";
pub const SCRIPT_GAVE_UP: &str = "a script gives up after conflicts";
/// The sometimes-properties a config opts into with `witness = [...]`.
pub const WITNESSES: &[&str] = &[
    SCRIPT_COMMITS,
    SCRIPT_RETRIED,
    BARE_READ,
    SCRIPT_LEADER_LOST,
    SCRIPT_GAVE_UP,
];
