//! Who is on the other end of a peer connection: the handshake every peer
//! connection starts with, before its first frame.
//!
//! The connecting node says who it is and whom it called, with a fresh
//! nonce; the accepting node answers with its own nonce and, when the
//! cluster has a secret (`--cluster-secret-file`), an HMAC-SHA256 over both
//! ids and both nonces that proves it holds the secret; the connecting node
//! checks it and answers with its own HMAC over the same transcript under
//! another label. Each side proves knowledge of the secret over nonces the
//! other chose, so a recorded handshake cannot be replayed and one side's
//! proof cannot be reflected back as the other's.
//!
//! The connection is then **bound** to the connecting node's id: the reader
//! refuses any frame whose sender is another node, so one node (or whoever
//! holds a connection) cannot speak for another. Without a secret
//! (`--insecure-peers`) the same hello binds the id, but nothing proves it.
//!
//! The wire, all integers little-endian:
//!
//! ```text
//! hello     "FKVP" version:u8 secured:u8 from:u64 to:u64 nonce:[32]   (54 bytes)
//! challenge nonce:[32] mac:[32]                                       (64 bytes)
//! response  mac:[32]                                                  (32 bytes)
//! ```
//!
//! With `secured = 0` the MACs are zeros and unchecked; a node refuses a
//! hello whose `secured` differs from its own, so a node without the secret
//! cannot talk to a cluster that has one, and the mismatch is logged.

use std::path::Path;
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

const MAGIC: &[u8; 4] = b"FKVP";
const VERSION: u8 = 1;
const NONCE: usize = 32;
const MAC: usize = 32;
const HELLO: usize = 4 + 1 + 1 + 8 + 8 + NONCE;
/// A shorter secret is refused: HMAC's strength is the secret's.
pub const MIN_SECRET: usize = 16;
/// A handshake not done by then is abandoned (a peer that connects and
/// sends nothing holds no task for long).
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);

type HmacSha256 = Hmac<Sha256>;

/// How a node's peer connections prove who they are.
#[derive(Clone)]
pub enum PeerAuth {
    /// `--cluster-secret-file`: both sides prove they hold the secret.
    Secret(std::sync::Arc<[u8]>),
    /// `--insecure-peers`: ids are bound to connections but not proven.
    Insecure,
}

/// The secret is not shown.
impl std::fmt::Debug for PeerAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PeerAuth::Secret(_) => f.write_str("Secret(..)"),
            PeerAuth::Insecure => f.write_str("Insecure"),
        }
    }
}

impl PeerAuth {
    /// Read the secret file: its bytes, without trailing whitespace (a
    /// newline an editor added is not part of the secret), at least
    /// [`MIN_SECRET`] of them.
    pub fn from_file(path: &Path) -> Result<PeerAuth, String> {
        let bytes = std::fs::read(path)
            .map_err(|e| format!("cannot read the cluster secret {}: {e}", path.display()))?;
        let end = bytes
            .iter()
            .rposition(|b| !b.is_ascii_whitespace())
            .map_or(0, |i| i + 1);
        if end < MIN_SECRET {
            return Err(format!(
                "the cluster secret in {} is {end} bytes; at least {MIN_SECRET} are needed \
                 (e.g. `head -c 32 /dev/urandom | base64 > {}`)",
                path.display(),
                path.display()
            ));
        }
        Ok(PeerAuth::Secret(bytes[..end].into()))
    }

    fn secured(&self) -> u8 {
        match self {
            PeerAuth::Secret(_) => 1,
            PeerAuth::Insecure => 0,
        }
    }

    /// The MAC of one side (`label`) over the transcript; zeros when insecure.
    fn mac(&self, label: &[u8], from: u64, to: u64, a: &[u8], b: &[u8]) -> [u8; MAC] {
        let PeerAuth::Secret(secret) = self else {
            return [0; MAC];
        };
        let mut out = [0; MAC];
        // HMAC takes keys of any length: new_from_slice cannot fail.
        if let Ok(mut m) = HmacSha256::new_from_slice(secret) {
            m.update(label);
            m.update(&from.to_le_bytes());
            m.update(&to.to_le_bytes());
            m.update(a);
            m.update(b);
            out.copy_from_slice(&m.finalize().into_bytes());
        }
        out
    }

    /// Whether `mac` is the expected one, in constant time; any MAC passes
    /// when insecure.
    fn verify(&self, label: &[u8], from: u64, to: u64, a: &[u8], b: &[u8], mac: &[u8]) -> bool {
        use subtle::ConstantTimeEq;
        match self {
            PeerAuth::Insecure => true,
            PeerAuth::Secret(_) => bool::from(self.mac(label, from, to, a, b).ct_eq(mac)),
        }
    }
}

const ACCEPTOR: &[u8] = b"fencekv peer accept v1";
const CONNECTOR: &[u8] = b"fencekv peer connect v1";

fn nonce() -> Result<[u8; NONCE], String> {
    let mut n = [0; NONCE];
    getrandom::fill(&mut n).map_err(|e| format!("no randomness for a nonce: {e}"))?;
    Ok(n)
}

/// The connecting side: introduce `me` to `peer` and check that it holds
/// the secret. Err: the reason, to log; the connection is then dropped.
pub async fn connect<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    auth: &PeerAuth,
    me: u64,
    peer: u64,
) -> Result<(), String> {
    let mine = nonce()?;
    let mut hello = Vec::with_capacity(HELLO);
    hello.extend_from_slice(MAGIC);
    hello.extend_from_slice(&[VERSION, auth.secured()]);
    hello.extend_from_slice(&me.to_le_bytes());
    hello.extend_from_slice(&peer.to_le_bytes());
    hello.extend_from_slice(&mine);
    let io = |e: std::io::Error| format!("handshake: {e}");
    stream.write_all(&hello).await.map_err(io)?;
    let mut challenge = [0; NONCE + MAC];
    stream.read_exact(&mut challenge).await.map_err(|e| {
        format!("handshake: no answer ({e}); the peer refused us (is the cluster secret the same on both?)")
    })?;
    let (theirs, mac) = challenge.split_at(NONCE);
    if !auth.verify(ACCEPTOR, me, peer, &mine, theirs, mac) {
        return Err("the peer does not hold the cluster secret".into());
    }
    let response = auth.mac(CONNECTOR, me, peer, &mine, theirs);
    stream.write_all(&response).await.map_err(io)?;
    Ok(())
}

/// The accepting side: who connected (`Ok(id)`, checked against `known`
/// and, with a secret, proven), or why the connection is refused.
pub async fn accept<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    auth: &PeerAuth,
    own: u64,
    known: impl Fn(u64) -> bool,
) -> Result<u64, String> {
    let mut hello = [0; HELLO];
    stream
        .read_exact(&mut hello)
        .await
        .map_err(|e| format!("handshake: no hello ({e})"))?;
    if &hello[..4] != MAGIC || hello[4] != VERSION {
        return Err("not a fencekv peer hello (or another version)".into());
    }
    if hello[5] != auth.secured() {
        return Err(if hello[5] == 0 {
            "the peer has no cluster secret; this node requires one".into()
        } else {
            "the peer uses a cluster secret; this node runs with --insecure-peers".into()
        });
    }
    let word = |at: usize| {
        let mut w = [0; 8];
        w.copy_from_slice(&hello[at..at + 8]);
        u64::from_le_bytes(w)
    };
    let (from, to) = (word(6), word(14));
    let theirs = &hello[22..];
    if to != own {
        return Err(format!(
            "the peer called node {to}, but this is node {own} (check --peers)"
        ));
    }
    if from == own || !known(from) {
        return Err(format!(
            "the peer claims to be node {from}, not one of this node's peers"
        ));
    }
    let mine = nonce()?;
    let mut challenge = Vec::with_capacity(NONCE + MAC);
    challenge.extend_from_slice(&mine);
    challenge.extend_from_slice(&auth.mac(ACCEPTOR, from, own, theirs, &mine));
    stream
        .write_all(&challenge)
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    let mut response = [0; MAC];
    stream
        .read_exact(&mut response)
        .await
        .map_err(|e| {
            format!("handshake: no response ({e}); the peer claiming to be node {from} may not hold the cluster secret")
        })?;
    if !auth.verify(CONNECTOR, from, own, theirs, &mine, &response) {
        return Err(format!(
            "the peer claiming to be node {from} does not hold the cluster secret"
        ));
    }
    Ok(from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> PeerAuth {
        PeerAuth::Secret(s.as_bytes().into())
    }

    /// Run both sides over an in-memory pipe.
    async fn pair(
        a: PeerAuth,
        b: PeerAuth,
        me: u64,
        peer: u64,
    ) -> (Result<(), String>, Result<u64, String>) {
        let (mut x, mut y) = tokio::io::duplex(1024);
        let known = |id: u64| (1..=3).contains(&id);
        // Either side's refusal closes its end, as dropping a connection does.
        tokio::join!(
            async move { connect(&mut x, &a, me, peer).await },
            async move { accept(&mut y, &b, peer, known).await }
        )
    }

    fn run<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
            .block_on(f)
    }

    #[test]
    fn the_same_secret_binds_the_callers_id() {
        let s = secret("0123456789abcdef-the-secret");
        let (c, a) = run(pair(s.clone(), s, 2, 1));
        assert_eq!(c, Ok(()));
        assert_eq!(a, Ok(2));
    }

    #[test]
    fn a_different_secret_is_refused_on_both_sides() {
        let (c, a) = run(pair(
            secret("0123456789abcdef-one"),
            secret("0123456789abcdef-two"),
            2,
            1,
        ));
        assert!(c.is_err(), "{c:?}");
        assert!(a.is_err(), "{a:?}");
    }

    #[test]
    fn no_secret_against_a_secret_is_refused() {
        let (_, a) = run(pair(PeerAuth::Insecure, secret("0123456789abcdef-x"), 2, 1));
        assert!(a.unwrap_err().contains("no cluster secret"));
        let (_, a) = run(pair(secret("0123456789abcdef-x"), PeerAuth::Insecure, 2, 1));
        assert!(a.unwrap_err().contains("--insecure-peers"));
    }

    #[test]
    fn insecure_peers_still_bind_ids_and_refuse_strangers() {
        let (c, a) = run(pair(PeerAuth::Insecure, PeerAuth::Insecure, 3, 1));
        assert_eq!((c, a), (Ok(()), Ok(3)));
        // Claiming the acceptor's own id, or an id outside the cluster.
        let (_, a) = run(pair(PeerAuth::Insecure, PeerAuth::Insecure, 1, 1));
        assert!(a.is_err());
        let (_, a) = run(pair(PeerAuth::Insecure, PeerAuth::Insecure, 9, 1));
        assert!(a.unwrap_err().contains("claims to be node 9"));
    }

    #[test]
    fn a_hello_for_another_node_is_refused() {
        let (mut x, mut y) = tokio::io::duplex(1024);
        let s = secret("0123456789abcdef-the-secret");
        let s2 = s.clone();
        let (_, a) = run(async {
            tokio::join!(async move { connect(&mut x, &s, 2, 3).await }, async move {
                accept(&mut y, &s2, 1, |_| true).await
            })
        });
        assert!(a.unwrap_err().contains("called node 3"));
    }

    #[test]
    fn a_replayed_response_does_not_pass() {
        // The acceptor's fresh nonce makes an old response worthless: a
        // response computed for one challenge fails against another.
        let s = secret("0123456789abcdef-the-secret");
        let old = s.mac(CONNECTOR, 2, 1, &[7; NONCE], &[8; NONCE]);
        assert!(s.verify(CONNECTOR, 2, 1, &[7; NONCE], &[8; NONCE], &old));
        assert!(!s.verify(CONNECTOR, 2, 1, &[7; NONCE], &[9; NONCE], &old));
        // Nor is the acceptor's proof valid as the connector's.
        let theirs = s.mac(ACCEPTOR, 2, 1, &[7; NONCE], &[8; NONCE]);
        assert!(!s.verify(CONNECTOR, 2, 1, &[7; NONCE], &[8; NONCE], &theirs));
    }

    #[test]
    fn secret_files_are_trimmed_and_must_be_long_enough() {
        let dir = std::env::temp_dir().join(format!("fencekv-secret-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let short = dir.join("short");
        std::fs::write(&short, "tooshort\n").expect("write");
        assert!(PeerAuth::from_file(&short).unwrap_err().contains("8 bytes"));
        let good = dir.join("good");
        std::fs::write(&good, "0123456789abcdef\n").expect("write");
        match PeerAuth::from_file(&good) {
            Ok(PeerAuth::Secret(s)) => assert_eq!(&*s, b"0123456789abcdef"),
            other => panic!("{other:?}"),
        }
        assert!(PeerAuth::from_file(&dir.join("missing")).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
