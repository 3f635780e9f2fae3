//! Mutual TLS on peer links (`--peer-tls-cert/--peer-tls-key/--peer-tls-ca`)
//! over real sockets, with certificates made at test time (rcgen): a
//! 3-node cluster elects a leader and replicates through TLS, and a node
//! whose certificate comes from another CA is refused by the others — the
//! two that trust each other still form a majority, and the outsider never
//! receives a frame, so it applies nothing.

mod support;

use std::path::Path;

use redis::Commands;
use support::certs::{Ca, Issued};
use support::cluster::{info_count, info_field, set_eventually, Cluster};
use support::ports::temp_dir;
use support::wait::eventually;

fn path(p: &Path) -> String {
    p.to_str().expect("utf-8 path").to_string()
}

fn peer_flags(ca: &Ca, cert: &Issued) -> Vec<String> {
    vec![
        "--peer-tls-cert".into(),
        path(&cert.cert),
        "--peer-tls-key".into(),
        path(&cert.key),
        "--peer-tls-ca".into(),
        path(&ca.cert),
    ]
}

/// Every node's certificate carries 127.0.0.1, the IP it is addressed by in
/// `--peers`.
#[test]
fn a_cluster_over_peer_tls_elects_and_replicates() {
    let dir = temp_dir("peer-tls");
    let ca = Ca::new(&dir, "cluster");
    let certs: Vec<Issued> = (1..=3)
        .map(|i| ca.issue(&format!("node{i}"), &["127.0.0.1"]))
        .collect();
    let cluster = Cluster::start_each(3, &[], |i| peer_flags(&ca, &certs[i - 1]));
    let leader = cluster.leader();
    let follower = cluster.followers()[0];
    set_eventually(&cluster.nodes[follower], "k", "over peer tls");
    let commit = info_count(&cluster.nodes[leader], "commit_index");
    for node in &cluster.nodes {
        eventually("every node applies the write", || {
            (info_count(node, "applied_index") >= commit).then_some(())
        });
        let v: Option<String> = node.client().get("k").expect("GET");
        assert_eq!(v.as_deref(), Some("over peer tls"));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_node_with_another_cas_certificate_is_refused() {
    let dir = temp_dir("peer-tls-outsider");
    let ca = Ca::new(&dir, "cluster");
    let other = Ca::new(&dir, "other");
    let certs = [
        ca.issue("node1", &["127.0.0.1"]),
        ca.issue("node2", &["127.0.0.1"]),
        other.issue("node3", &["127.0.0.1"]),
    ];
    let cluster = Cluster::start_each(3, &[], |i| {
        let issuer = if i == 3 { &other } else { &ca };
        peer_flags(issuer, &certs[i - 1])
    });
    let leader = cluster.leader();
    assert_ne!(leader, 2, "the outsider cannot win an election");
    set_eventually(&cluster.nodes[leader], "k", "v");
    let commit = info_count(&cluster.nodes[leader], "commit_index");
    let insider = 1 - leader;
    eventually("the other insider applies the write", || {
        (info_count(&cluster.nodes[insider], "applied_index") >= commit).then_some(())
    });
    // Not one frame reached the outsider: it knows no leader, applied
    // nothing, and the insiders logged why.
    let outsider = &cluster.nodes[2];
    assert_eq!(info_count(outsider, "applied_index"), 0);
    assert_ne!(
        info_field(outsider, "leader"),
        Some(cluster.id(leader)),
        "the outsider learned the leader"
    );
    eventually("an insider logs the refusal", || {
        cluster.nodes[leader]
            .log()
            .contains("peer connection refused")
            .then_some(())
    });
    let _ = std::fs::remove_dir_all(&dir);
}

/// The connecting side checks the accepting node's certificate for the IP
/// in `--peers`: a certificate for another IP is refused even from the
/// cluster's CA.
#[test]
fn a_peer_certificate_without_the_peers_ip_is_refused() {
    let dir = temp_dir("peer-tls-san");
    let ca = Ca::new(&dir, "cluster");
    let certs = [
        ca.issue("node1", &["127.0.0.1"]),
        ca.issue("node2", &["127.0.0.1"]),
        ca.issue("node3", &["10.9.9.9", "localhost"]),
    ];
    let cluster = Cluster::start_each(3, &[], |i| peer_flags(&ca, &certs[i - 1]));
    let leader = cluster.leader();
    assert_ne!(leader, 2, "node 3 cannot be reached, so cannot lead");
    set_eventually(&cluster.nodes[leader], "k", "v");
    eventually("an insider logs the bad certificate", || {
        let log = cluster.nodes[leader].log() + &cluster.nodes[1 - leader].log();
        (log.contains("TLS handshake with a peer failed")
            && log.contains("certificate not valid for name"))
        .then_some(())
    });
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_peer_tls_files_stop_the_node_at_startup() {
    let dir = temp_dir("peer-tls-bad");
    let ca = Ca::new(&dir, "cluster");
    let cert = ca.issue("node1", &["127.0.0.1"]);
    let port = support::ports::free_port();
    let peers = format!("1=127.0.0.1:{port}");
    let run = |cert: &Path, key: &Path, ca: &Path| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_fencekv"))
            .args(["serve", "--port", &support::ports::free_port().to_string()])
            .args(["--id", "1", "--peers", &peers, "--insecure-peers"])
            .arg("--dir")
            .arg(dir.join("data"))
            .arg("--peer-tls-cert")
            .arg(cert)
            .arg("--peer-tls-key")
            .arg(key)
            .arg("--peer-tls-ca")
            .arg(ca)
            .output()
            .expect("run fencekv");
        assert!(!out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let missing = dir.join("missing.pem");
    let err = run(&cert.cert, &cert.key, &missing);
    assert!(err.contains("cannot read --peer-tls-ca"), "{err}");
    let err = run(&missing, &cert.key, &ca.cert);
    assert!(err.contains("cannot read --peer-tls-cert"), "{err}");
    let err = run(&cert.cert, &cert.cert, &ca.cert);
    assert!(err.contains("--peer-tls-key"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
