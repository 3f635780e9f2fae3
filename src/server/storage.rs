//! The durable log: the node's [`Durable`] state (term, vote, log) in a redb
//! database, `<dir>/fencekv.redb`.
//!
//! The node emits a whole [`Durable`] with every `Save`; writing it whole would
//! cost O(log) per batch. Raft logs change only by appending or by truncating
//! a suffix, and by the log matching property two logs that hold an entry of
//! the same term at the same index agree on everything before it. So
//! [`Storage::persist`] keeps the terms of the entries on disk, walks back
//! from the persisted end to the last index where the terms agree, and writes
//! only what follows — normally just the appended entries — in ONE write
//! transaction per batch (group commit).
//!
//! # What each `--appendfsync` policy guarantees
//!
//! redb has two commit levels: `Durability::Immediate` is on disk when
//! `commit` returns (fsync); `Durability::None` lives only in this process's
//! memory until the next Immediate commit makes it (and everything before it)
//! durable. So with redb, unlike Redis's AOF, a non-durable commit is lost on a
//! process crash as well as on an OS crash.
//!
//! - `always`: every batch is an Immediate commit, made before any reply of
//!   the batch leaves. Nothing acknowledged is lost on a process crash
//!   (SIGKILL) or an OS crash / power loss.
//! - `everysec` (default): batches are None commits; an Immediate commit
//!   follows within about a second whenever something is pending. A crash of
//!   either kind loses at most the last ~1 s of acknowledged writes (and of
//!   term/vote changes — harmless in a cluster of one, unsafe in a cluster).
//! - `no`: batches are None commits; an Immediate commit happens only on a
//!   graceful shutdown (SIGINT/SIGTERM). A crash of either kind loses every
//!   write since the process started.
//!
//! Disk errors are returned, never unwrapped: the runtime stops serving and the
//! process exits with the error rather than acknowledging what is not stored.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use redb::{Database, Durability, ReadableDatabase, TableDefinition};
use stateright::actor::Id;

use crate::node::{Durable, RaftSnapshot};
use crate::raft::{Entry, Index, Log, Term};

/// term, voted_for (absent = None).
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
/// index → bincode (serde, standard config) encoded [`Entry`]; only the
/// entries after the snapshot's.
const LOG: TableDefinition<u64, &[u8]> = TableDefinition::new("log");
/// "snapshot" → bincode encoded [`RaftSnapshot`], the state machine at the log's
/// base.
const SNAPSHOT: TableDefinition<&str, &[u8]> = TableDefinition::new("snapshot");
const SNAPSHOT_KEY: &str = "snapshot";

const TERM_KEY: &str = "term";
const VOTE_KEY: &str = "voted_for";

/// How often `everysec` makes pending commits durable.
const SYNC_INTERVAL: Duration = Duration::from_secs(1);

/// When batches become durable (Redis's `appendfsync` names).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AppendFsync {
    Always,
    #[default]
    Everysec,
    No,
}

impl AppendFsync {
    pub fn name(self) -> &'static str {
        match self {
            AppendFsync::Always => "always",
            AppendFsync::Everysec => "everysec",
            AppendFsync::No => "no",
        }
    }
}

/// A storage failure: which operation, and redb's or the codec's message.
#[derive(Debug)]
pub struct StorageError(pub String);

impl std::fmt::Display for StorageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StorageError {}

fn ctx<E: std::fmt::Display>(what: &'static str) -> impl Fn(E) -> StorageError {
    move |e| StorageError(format!("{what}: {e}"))
}

/// The open database and a mirror of what it holds.
pub struct Storage {
    db: Database,
    path: PathBuf,
    policy: AppendFsync,
    term: Term,
    voted_for: Option<Id>,
    /// The index of the snapshot's last entry (0: no snapshot).
    base: Index,
    /// The term of every entry in the log table; `terms[i - base - 1]` is
    /// index `i`.
    terms: Vec<Term>,
    /// Some commit is not yet durable (a None commit with no Immediate after).
    pending: bool,
    last_sync: Instant,
    /// Counters for INFO.
    pub batches: u64,
    pub syncs: u64,
}

/// Open the database. redb recovers from a crash by itself: a commit that
/// did not finish is rolled back, and bytes of an unfinished write past the
/// end are ignored. A file damaged below what was committed (its length cut,
/// say) is refused with a clear error rather than opened with writes missing:
/// an acknowledged write is never silently dropped.
fn open_db(path: &Path) -> Result<Database, StorageError> {
    Database::create(path).map_err(|e| match e {
        redb::DatabaseError::Storage(redb::StorageError::Corrupted(what)) => StorageError(format!(
            "the durable log {} is damaged ({what}); fencekv will not guess what it held. \
             Keep the file for inspection; in a cluster, treat this node as lost",
            path.display()
        )),
        e => StorageError(format!("open {}: {e}", path.display())),
    })
}

impl Storage {
    /// Open (or create) `<dir>/fencekv.redb` and read back the durable state.
    /// `None` when the database holds nothing yet (a fresh node).
    pub fn open(
        dir: &Path,
        policy: AppendFsync,
    ) -> Result<(Storage, Option<Durable>), StorageError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StorageError(format!("create {}: {e}", dir.display())))?;
        let path = dir.join("fencekv.redb");
        let db = open_db(&path)?;
        let mut storage = Storage {
            db,
            path,
            policy,
            term: 0,
            voted_for: None,
            base: 0,
            terms: Vec::new(),
            pending: false,
            last_sync: Instant::now(),
            batches: 0,
            syncs: 0,
        };
        let durable = storage.load()?;
        Ok((storage, durable))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn policy(&self) -> AppendFsync {
        self.policy
    }

    /// Entries on disk (durable or pending).
    pub fn log_len(&self) -> u64 {
        self.terms.len() as u64
    }

    fn load(&mut self) -> Result<Option<Durable>, StorageError> {
        let txn = self.db.begin_read().map_err(ctx("begin read"))?;
        let (mut term, mut voted_for, mut found) = (0, None, false);
        match txn.open_table(META) {
            Ok(meta) => {
                found = true;
                term = meta
                    .get(TERM_KEY)
                    .map_err(ctx("read term"))?
                    .map(|g| g.value())
                    .unwrap_or(0);
                voted_for = meta
                    .get(VOTE_KEY)
                    .map_err(ctx("read vote"))?
                    .map(|g| Id::from(g.value() as usize));
            }
            Err(redb::TableError::TableDoesNotExist(_)) => {}
            Err(e) => return Err(ctx("open meta table")(e)),
        }
        let mut log = Log::default();
        let mut snapshot = None;
        match txn.open_table(SNAPSHOT) {
            Ok(table) => {
                if let Some(v) = table.get(SNAPSHOT_KEY).map_err(ctx("read snapshot"))? {
                    let (snap, _): (RaftSnapshot, usize) =
                        bincode::serde::decode_from_slice(v.value(), bincode::config::standard())
                            .map_err(|e| StorageError(format!("corrupt snapshot: {e}")))?;
                    found = true;
                    log.reset_to(snap.index, snap.term);
                    self.base = snap.index;
                    snapshot = Some(snap);
                }
            }
            Err(redb::TableError::TableDoesNotExist(_)) => {}
            Err(e) => return Err(ctx("open snapshot table")(e)),
        }
        match txn.open_table(LOG) {
            Ok(table) => {
                found = true;
                for row in table.range(self.base + 1..).map_err(ctx("scan log"))? {
                    let (k, v) = row.map_err(ctx("scan log"))?;
                    let index: Index = k.value();
                    if index != log.last_index() + 1 {
                        return Err(StorageError(format!(
                            "corrupt log: entry {index} follows entry {}",
                            log.last_index()
                        )));
                    }
                    let (entry, _): (Entry, usize) =
                        bincode::serde::decode_from_slice(v.value(), bincode::config::standard())
                            .map_err(|e| StorageError(format!("corrupt log entry {index}: {e}")))?;
                    self.terms.push(entry.term);
                    log.append(entry);
                }
            }
            Err(redb::TableError::TableDoesNotExist(_)) => {}
            Err(e) => return Err(ctx("open log table")(e)),
        }
        if !found {
            return Ok(None);
        }
        self.term = term;
        self.voted_for = voted_for;
        Ok(Some(Durable {
            term,
            voted_for,
            log,
            snapshot,
        }))
    }

    /// Write what differs between `d` and the disk, in one transaction.
    /// Under `always` it is durable when this returns.
    pub fn persist(&mut self, d: &Durable) -> Result<(), StorageError> {
        let (old_base, new_base) = (self.base, d.log.base_index());
        let old_last = old_base + self.terms.len() as Index;
        let new_last = d.log.last_index();
        let base_changed = new_base != old_base;
        // The last index where disk and `d` agree (log matching: equal terms
        // at an index imply equal prefixes), never below either base.
        let floor = old_base.max(new_base);
        let mut same = old_last.min(new_last).max(floor);
        while same > floor
            && (same > old_last
                || Some(self.terms[(same - old_base - 1) as usize]) != d.log.term_at(same))
        {
            same -= 1;
        }
        let meta_changed = d.term != self.term || d.voted_for != self.voted_for;
        if !meta_changed && !base_changed && same == old_last && same == new_last {
            return Ok(());
        }
        let immediate = match self.policy {
            AppendFsync::Always => true,
            AppendFsync::Everysec => self.last_sync.elapsed() >= SYNC_INTERVAL,
            AppendFsync::No => false,
        };
        let mut txn = self.db.begin_write().map_err(ctx("begin write"))?;
        txn.set_durability(if immediate {
            Durability::Immediate
        } else {
            Durability::None
        })
        .map_err(ctx("set durability"))?;
        {
            if meta_changed {
                let mut meta = txn.open_table(META).map_err(ctx("open meta table"))?;
                meta.insert(TERM_KEY, d.term).map_err(ctx("write term"))?;
                match d.voted_for {
                    Some(v) => {
                        meta.insert(VOTE_KEY, usize::from(v) as u64)
                            .map_err(ctx("write vote"))?;
                    }
                    None => {
                        meta.remove(VOTE_KEY).map_err(ctx("write vote"))?;
                    }
                }
            }
            let mut log = txn.open_table(LOG).map_err(ctx("open log table"))?;
            if base_changed {
                if let Some(snap) = &d.snapshot {
                    let bytes = bincode::serde::encode_to_vec(snap, bincode::config::standard())
                        .map_err(|e| StorageError(format!("encode snapshot: {e}")))?;
                    let mut table = txn
                        .open_table(SNAPSHOT)
                        .map_err(ctx("open snapshot table"))?;
                    table
                        .insert(SNAPSHOT_KEY, bytes.as_slice())
                        .map_err(ctx("write snapshot"))?;
                }
                // The snapshot covers these entries now.
                for index in old_base + 1..=new_base.min(old_last) {
                    log.remove(index).map_err(ctx("compact log"))?;
                }
            }
            let mut buf = Vec::with_capacity(128);
            for index in same + 1..=new_last {
                let Some(entry) = d.log.get(index) else {
                    break;
                };
                buf.clear();
                bincode::serde::encode_into_std_write(entry, &mut buf, bincode::config::standard())
                    .map_err(|e| StorageError(format!("encode entry {index}: {e}")))?;
                log.insert(index, buf.as_slice())
                    .map_err(ctx("write log entry"))?;
            }
            for index in (new_last + 1).max(floor + 1)..=old_last {
                log.remove(index).map_err(ctx("truncate log"))?;
            }
        }
        txn.commit().map_err(ctx("commit"))?;
        self.batches += 1;
        self.term = d.term;
        self.voted_for = d.voted_for;
        if base_changed {
            let dropped = (new_base.min(old_last).max(old_base) - old_base) as usize;
            self.terms.drain(..dropped.min(self.terms.len()));
            self.base = new_base;
        }
        self.terms.truncate((same - self.base) as usize);
        for index in same + 1..=new_last {
            self.terms.push(d.log.term_at(index).unwrap_or(0));
        }
        if immediate {
            self.synced();
        } else {
            self.pending = true;
        }
        Ok(())
    }

    /// Whether some commit is not yet durable.
    pub fn sync_pending(&self) -> bool {
        self.pending
    }

    /// When `everysec` next wants an Immediate commit (`None`: nothing pending).
    pub fn sync_deadline(&self) -> Option<Instant> {
        (self.pending && self.policy == AppendFsync::Everysec)
            .then(|| self.last_sync + SYNC_INTERVAL)
    }

    /// `everysec`: make pending commits durable if a second has passed.
    pub fn maybe_sync(&mut self) -> Result<(), StorageError> {
        match self.sync_deadline() {
            Some(at) if Instant::now() >= at => self.sync(),
            _ => Ok(()),
        }
    }

    /// An empty Immediate commit: redb makes every earlier None commit
    /// durable with it. Used by `everysec` and on graceful shutdown.
    pub fn sync(&mut self) -> Result<(), StorageError> {
        if !self.pending {
            return Ok(());
        }
        let mut txn = self.db.begin_write().map_err(ctx("begin write"))?;
        txn.set_durability(Durability::Immediate)
            .map_err(ctx("set durability"))?;
        txn.commit().map_err(ctx("commit"))?;
        self.synced();
        Ok(())
    }

    fn synced(&mut self) {
        self.pending = false;
        self.last_sync = Instant::now();
        self.syncs += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raft::Payload;

    fn entry(term: Term, key: &str) -> Entry {
        Entry {
            term,
            payload: Payload::Expire {
                now_ms: 1,
                keys: vec![bytes::Bytes::copy_from_slice(key.as_bytes())],
            },
        }
    }

    fn tempdir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "fencekv-storage-{name}-{}-{:?}",
            std::process::id(),
            Instant::now()
        ));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    fn reopen(dir: &Path) -> Durable {
        let (_, d) = Storage::open(dir, AppendFsync::Always).expect("reopen");
        d.expect("something stored")
    }

    fn snapshot(index: Index, term: Term, key: &str) -> RaftSnapshot {
        RaftSnapshot {
            index,
            term,
            data: im::OrdMap::unit(
                bytes::Bytes::copy_from_slice(key.as_bytes()),
                (index, Some(bytes::Bytes::from_static(b"v"))),
            ),
            applied_seqs: im::OrdMap::new(),
        }
    }

    #[test]
    fn compaction_and_installed_snapshots_round_trip() {
        let dir = tempdir("snapshot");
        {
            let (mut s, _) = Storage::open(&dir, AppendFsync::Always).expect("open");
            let mut d = Durable {
                term: 1,
                ..Durable::default()
            };
            for k in ["a", "b", "c", "d", "e"] {
                d.log.append(entry(1, k));
            }
            s.persist(&d).expect("persist");
            // Compaction: a snapshot of entries 1..=3, entries 4 and 5 stay.
            d.log.compact_to(3, 1);
            d.snapshot = Some(snapshot(3, 1, "k3"));
            s.persist(&d).expect("persist");
            assert_eq!(s.log_len(), 2);
        }
        let back = reopen(&dir);
        assert_eq!(back.log.base_index(), 3);
        assert_eq!(back.log.last_index(), 5);
        assert_eq!(back.log.get(4), Some(&entry(1, "d")));
        assert_eq!(back.log.get(3), None);
        assert_eq!(back.snapshot, Some(snapshot(3, 1, "k3")));
        {
            // An installed snapshot past the log (term 2): the log is discarded,
            // then one entry follows.
            let (mut s, _) = Storage::open(&dir, AppendFsync::Always).expect("open");
            let mut d = back;
            d.term = 2;
            d.log.reset_to(9, 2);
            d.log.append(entry(2, "j"));
            d.snapshot = Some(snapshot(9, 2, "k9"));
            s.persist(&d).expect("persist");
            assert_eq!(s.log_len(), 1);
        }
        let back = reopen(&dir);
        assert_eq!((back.log.base_index(), back.log.last_index()), (9, 10));
        assert_eq!(back.log.term_at(9), Some(2));
        assert_eq!(back.log.get(10), Some(&entry(2, "j")));
        assert_eq!(back.snapshot, Some(snapshot(9, 2, "k9")));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn fresh_dir_loads_nothing() {
        let dir = tempdir("fresh");
        let (s, d) = Storage::open(&dir, AppendFsync::Always).expect("open");
        assert!(d.is_none());
        assert_eq!(s.log_len(), 0);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn appends_truncations_and_meta_round_trip() {
        let dir = tempdir("roundtrip");
        {
            let (mut s, _) = Storage::open(&dir, AppendFsync::Always).expect("open");
            let mut d = Durable {
                term: 1,
                voted_for: Some(Id::from(0)),
                ..Durable::default()
            };
            for k in ["a", "b", "c"] {
                d.log.append(entry(1, k));
            }
            s.persist(&d).expect("persist");
            // A new leader overwrote index 3 and appended 4: term 2.
            d.term = 2;
            d.voted_for = None;
            d.log.truncate_from(3);
            d.log.append(entry(2, "x"));
            d.log.append(entry(2, "y"));
            s.persist(&d).expect("persist");
            assert_eq!(s.log_len(), 4);
            // Truncate below the persisted end.
            d.log.truncate_from(2);
            d.log.append(entry(3, "z"));
            d.term = 3;
            s.persist(&d).expect("persist");
        }
        let d = reopen(&dir);
        assert_eq!(d.term, 3);
        assert_eq!(d.voted_for, None);
        assert_eq!(d.log.last_index(), 2);
        assert_eq!(d.log.get(1), Some(&entry(1, "a")));
        assert_eq!(d.log.get(2), Some(&entry(3, "z")));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn unchanged_state_writes_nothing() {
        let dir = tempdir("unchanged");
        let (mut s, _) = Storage::open(&dir, AppendFsync::Always).expect("open");
        let mut d = Durable::default();
        d.log.append(entry(1, "a"));
        s.persist(&d).expect("persist");
        let batches = s.batches;
        s.persist(&d).expect("persist");
        assert_eq!(s.batches, batches);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn none_commits_become_durable_with_sync_or_close() {
        let dir = tempdir("none");
        {
            let (mut s, _) = Storage::open(&dir, AppendFsync::No).expect("open");
            let mut d = Durable::default();
            d.log.append(entry(1, "a"));
            s.persist(&d).expect("persist");
            assert!(s.pending);
            s.sync().expect("sync");
            assert!(!s.pending);
        }
        assert_eq!(reopen(&dir).log.last_index(), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
