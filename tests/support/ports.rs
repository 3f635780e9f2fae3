//! Free ports and temporary directories for test processes.
//!
//! Ports come from a range below the kernel's ephemeral range (Linux
//! 32768–60999, BSDs and macOS from 49152), so no outgoing connection and no
//! `bind(0)` elsewhere is handed one. The range is cut into blocks; a test
//! binary claims a block by an exclusive lock on a file in the system temp
//! directory, held until the process exits (the kernel drops it even on
//! SIGKILL), and hands out the block's ports one by one, never twice. Test
//! binaries running in parallel therefore never pick the same port, and a
//! port picked for a peer address stays ours until its node binds it.

use std::fs::File;
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

/// The first port handed out.
const FIRST_PORT: u16 = 20_000;
/// Ports per block claimed at a time.
const BLOCK: u16 = 64;
/// Blocks in the range (ports 20000–31967, below every common ephemeral
/// range).
const BLOCKS: u16 = 187;

/// This process's claimed blocks (their locked files) and the next port to
/// hand out from the newest block.
struct Claimed {
    locks: Vec<File>,
    next: u16,
    end: u16,
}

static CLAIMED: Mutex<Claimed> = Mutex::new(Claimed {
    locks: Vec::new(),
    next: 0,
    end: 0,
});

/// Lock the first free block after `start` (in round-robin order); its ports.
fn claim_block(start: u16) -> (File, u16) {
    let dir = std::env::temp_dir().join("fencekv-test-ports");
    std::fs::create_dir_all(&dir).expect("create the port lock directory");
    for i in 0..BLOCKS {
        let block = (start + i) % BLOCKS;
        let path = dir.join(format!("block-{block}.lock"));
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
        match file.try_lock() {
            Ok(()) => return (file, FIRST_PORT + block * BLOCK),
            Err(std::fs::TryLockError::WouldBlock) => continue,
            Err(std::fs::TryLockError::Error(e)) => panic!("lock {}: {e}", path.display()),
        }
    }
    panic!("every block of test ports is held by another test process");
}

/// A port on 127.0.0.1 that no other test (in this process or another) is
/// given, and that nothing listens on right now.
pub fn free_port() -> u16 {
    let mut claimed = CLAIMED.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        if claimed.next == claimed.end {
            // Start the search at a place of our own so that binaries
            // starting together do not all try the same blocks first.
            let start = (std::process::id() + claimed.locks.len() as u32) % u32::from(BLOCKS);
            let (lock, first) = claim_block(start as u16);
            claimed.locks.push(lock);
            claimed.next = first;
            claimed.end = first + BLOCK;
        }
        let port = claimed.next;
        claimed.next += 1;
        // Some process outside the tests may listen there.
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

static SEQ: AtomicU32 = AtomicU32::new(0);

/// A fresh, empty temporary directory `fencekv-<tag>-<pid>-<n>`; its owner
/// removes it.
pub fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "fencekv-{tag}-{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}
