//! Test certificates made at test time with rcgen: a CA, and certificates it
//! signs (for a server, a client, or a peer that is both), written as PEM
//! files into a directory.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};

/// A CA whose files live in `dir`.
pub struct Ca {
    pub dir: PathBuf,
    /// The CA certificate (PEM file).
    pub cert: PathBuf,
    ca: Certificate,
    key: KeyPair,
}

/// A certificate and its key, as PEM files.
pub struct Issued {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl Issued {
    pub fn cert_pem(&self) -> Vec<u8> {
        std::fs::read(&self.cert).expect("read cert")
    }
    pub fn key_pem(&self) -> Vec<u8> {
        std::fs::read(&self.key).expect("read key")
    }
}

impl Ca {
    /// A new CA named `name`, written to `dir/<name>-ca.pem`.
    pub fn new(dir: &Path, name: &str) -> Ca {
        let mut p = CertificateParams::new(Vec::<String>::new()).expect("params");
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.distinguished_name
            .push(DnType::CommonName, format!("{name} test CA"));
        p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().expect("CA key");
        let ca = p.self_signed(&key).expect("CA cert");
        let cert = dir.join(format!("{name}-ca.pem"));
        std::fs::write(&cert, ca.pem()).expect("write CA");
        Ca {
            dir: dir.to_path_buf(),
            cert,
            ca,
            key,
        }
    }

    pub fn cert_pem(&self) -> Vec<u8> {
        self.ca.pem().into_bytes()
    }

    /// A certificate for `sans` (IP addresses become IP SANs), usable as a
    /// TLS server's and a TLS client's, written to `dir/<name>.pem` and
    /// `dir/<name>-key.pem`.
    pub fn issue(&self, name: &str, sans: &[&str]) -> Issued {
        let sans: Vec<String> = sans.iter().map(|s| s.to_string()).collect();
        let mut p = CertificateParams::new(sans).expect("params");
        p.distinguished_name.push(DnType::CommonName, name);
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        p.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        let key = KeyPair::generate().expect("key");
        let cert = p.signed_by(&key, &self.ca, &self.key).expect("sign");
        let issued = Issued {
            cert: self.dir.join(format!("{name}.pem")),
            key: self.dir.join(format!("{name}-key.pem")),
        };
        std::fs::write(&issued.cert, cert.pem()).expect("write cert");
        std::fs::write(&issued.key, key.serialize_pem()).expect("write key");
        issued
    }
}
