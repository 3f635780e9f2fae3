//! TLS for clients and peers (rustls, ring provider): the configuration read
//! from the PEM files named on the command line, and the streams it wraps.
//!
//! Clients (`--tls-port`): the server presents `--tls-cert-file`/
//! `--tls-key-file`; with `--tls-ca-cert-file`, client certificates are
//! checked as Redis's `tls-auth-clients` says ([`AuthClients`]).
//!
//! Peers (`--peer-tls-cert/--peer-tls-key/--peer-tls-ca`): mutual TLS. Each
//! node presents the same certificate when it accepts and when it connects;
//! the accepting side requires a client certificate signed by the CA, the
//! connecting side verifies the server's certificate against the CA *for the
//! peer's IP address* as given in `--peers` (an IP SAN), since peers are
//! addressed by IP. A certificate proves "signed by the cluster's CA", not
//! which node id a peer is.
//!
//! Every file is read once at startup; an unreadable or unusable file is a
//! startup error naming the flag.

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::crypto::CryptoProvider;
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::{TlsAcceptor, TlsConnector};

/// A handshake not done after this closes the connection, so a client that
/// connects and sends nothing holds no more than a socket for a while.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Redis's `tls-auth-clients`: whether a client on the TLS port must present
/// a certificate signed by `--tls-ca-cert-file`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum AuthClients {
    /// A client without a valid certificate is refused (Redis's default).
    #[default]
    Yes,
    /// No certificate is asked for.
    No,
    /// A certificate is asked for but may be absent; one presented must be
    /// valid.
    Optional,
}

impl AuthClients {
    /// The name CONFIG GET shows and the flag takes.
    pub fn name(self) -> &'static str {
        match self {
            AuthClients::Yes => "yes",
            AuthClients::No => "no",
            AuthClients::Optional => "optional",
        }
    }

    pub fn parse(s: &str) -> Result<AuthClients, String> {
        match s.to_ascii_lowercase().as_str() {
            "yes" => Ok(AuthClients::Yes),
            "no" => Ok(AuthClients::No),
            "optional" => Ok(AuthClients::Optional),
            _ => Err(format!("{s:?}: expected yes, no or optional")),
        }
    }
}

/// The client TLS listener's files, as given on the command line.
#[derive(Clone, Debug)]
pub struct ClientTlsOptions {
    pub port: u16,
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
    pub ca_cert_file: Option<PathBuf>,
    pub auth_clients: AuthClients,
}

/// The peer links' files (all three or none).
#[derive(Clone, Debug)]
pub struct PeerTlsOptions {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub ca: PathBuf,
}

/// Peer TLS, ready: the acceptor for the peer listener and the connector
/// for the writers.
#[derive(Clone)]
pub struct PeerTls {
    acceptor: TlsAcceptor,
    connector: TlsConnector,
}

/// A peer connection, plain or TLS.
pub trait PeerIo: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> PeerIo for T {}
pub type PeerStream = Box<dyn PeerIo>;

/// ring: it builds with only a C compiler. rustls 0.23.48 deprecates it for
/// lacking post-quantum key exchange, which fencekv does not need (yet).
#[allow(deprecated)]
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn certs(flag: &str, path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let what = |e: &dyn std::fmt::Display| format!("cannot read {flag} {}: {e}", path.display());
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| what(&e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| what(&e))?;
    if certs.is_empty() {
        return Err(format!(
            "{flag} {}: no PEM certificate in the file",
            path.display()
        ));
    }
    Ok(certs)
}

fn key(flag: &str, path: &Path) -> Result<PrivateKeyDer<'static>, String> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| {
        format!(
            "cannot read {flag} {}: {e} (an unencrypted PEM private key is expected)",
            path.display()
        )
    })
}

fn roots(flag: &str, path: &Path) -> Result<Arc<RootCertStore>, String> {
    let mut store = RootCertStore::empty();
    for c in certs(flag, path)? {
        store
            .add(c)
            .map_err(|e| format!("{flag} {}: not a usable CA: {e}", path.display()))?;
    }
    Ok(Arc::new(store))
}

/// The acceptor of the client TLS port. Without a CA file,
/// `--tls-auth-clients` must be `no`, as in Redis.
pub fn client_acceptor(opts: &ClientTlsOptions) -> Result<TlsAcceptor, String> {
    let builder = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?;
    let builder = match (&opts.ca_cert_file, opts.auth_clients) {
        (_, AuthClients::No) => builder.with_no_client_auth(),
        (None, _) => {
            return Err(
                "Either tls-ca-cert-file or tls-ca-cert-dir must be specified when \
                 tls-cluster, tls-replication or tls-auth-clients are enabled! \
                 (give --tls-ca-cert-file, or --tls-auth-clients no)"
                    .into(),
            )
        }
        (Some(ca), auth) => {
            let mut verifier = WebPkiClientVerifier::builder_with_provider(
                roots("--tls-ca-cert-file", ca)?,
                provider(),
            );
            if auth == AuthClients::Optional {
                verifier = verifier.allow_unauthenticated();
            }
            let verifier = verifier
                .build()
                .map_err(|e| format!("--tls-ca-cert-file {}: {e}", ca.display()))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let config = builder
        .with_single_cert(
            certs("--tls-cert-file", &opts.cert_file)?,
            key("--tls-key-file", &opts.key_file)?,
        )
        .map_err(|e| {
            format!(
                "--tls-cert-file {} with --tls-key-file {}: {e}",
                opts.cert_file.display(),
                opts.key_file.display()
            )
        })?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

impl PeerTls {
    /// Read the peer certificate, key and CA.
    pub fn load(opts: &PeerTlsOptions) -> Result<PeerTls, String> {
        let ca = roots("--peer-tls-ca", &opts.ca)?;
        let chain = certs("--peer-tls-cert", &opts.cert)?;
        let key = key("--peer-tls-key", &opts.key)?;
        let pair_error = |e: rustls::Error| {
            format!(
                "--peer-tls-cert {} with --peer-tls-key {}: {e}",
                opts.cert.display(),
                opts.key.display()
            )
        };
        let verifier = WebPkiClientVerifier::builder_with_provider(ca.clone(), provider())
            .build()
            .map_err(|e| format!("--peer-tls-ca {}: {e}", opts.ca.display()))?;
        let server = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS: {e}"))?
            .with_client_cert_verifier(verifier)
            .with_single_cert(chain.clone(), key.clone_key())
            .map_err(pair_error)?;
        let client = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS: {e}"))?
            .with_root_certificates(ca)
            .with_client_auth_cert(chain, key)
            .map_err(pair_error)?;
        Ok(PeerTls {
            acceptor: TlsAcceptor::from(Arc::new(server)),
            connector: TlsConnector::from(Arc::new(client)),
        })
    }
}

/// Connect to a peer; with TLS, handshake and verify its certificate for
/// `addr`'s IP.
pub async fn connect_peer(addr: SocketAddr, tls: Option<&PeerTls>) -> io::Result<PeerStream> {
    let s = TcpStream::connect(addr).await?;
    let _ = s.set_nodelay(true);
    let Some(tls) = tls else {
        return Ok(Box::new(s));
    };
    let name = ServerName::IpAddress(addr.ip().into());
    let s = tokio::time::timeout(HANDSHAKE_TIMEOUT, tls.connector.connect(name, s))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "TLS handshake timed out"))
        .and_then(|r| r)
        .inspect_err(|e| {
            // Unlike an unreachable peer, a failed handshake is a
            // misconfiguration (wrong CA, no IP SAN): say so loudly.
            tracing::warn!(%addr, error = %e, "TLS handshake with a peer failed");
        })?;
    Ok(Box::new(s))
}

/// An accepted peer connection; with TLS, after the handshake (which
/// requires a client certificate signed by the CA).
pub async fn accept_peer(s: TcpStream, tls: Option<&PeerTls>) -> io::Result<PeerStream> {
    let _ = s.set_nodelay(true);
    let Some(tls) = tls else {
        return Ok(Box::new(s));
    };
    let s = tokio::time::timeout(HANDSHAKE_TIMEOUT, tls.acceptor.accept(s))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "TLS handshake timed out"))??;
    Ok(Box::new(s))
}
