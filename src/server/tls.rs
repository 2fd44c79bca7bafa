//! TLS: the rustls server configuration from PEM files, or from a local CA that qkms makes
//! itself (`--tls-self-signed`).
//!
//! The official SDKs default to https and the secrets caching clients insist on it, and a
//! browser on another machine gets WebCrypto only in a secure context; so qkms serves TLS
//! itself instead of asking for a proxy in front.
//!
//! The self-signed set lives in `<data dir>/tls/`: `ca.pem` (give it to clients),
//! `ca-key.pem`, `server.pem` and `server-key.pem`. The CA is made once and kept, so a client
//! that trusts it keeps working across restarts; the server certificate is made anew at
//! every start, for `localhost`, `127.0.0.1`, `::1` and the `--tls-name`s, signed by that CA.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::files;

/// Why TLS could not be set up; the server does not start.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A certificate file that is missing, unreadable or holds no PEM certificate.
    #[error("TLS certificate file {path}: {reason}")]
    Certificate {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A key file that is missing, unreadable or holds no PEM private key.
    #[error("TLS key file {path}: {reason}")]
    Key {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The certificate and key do not make a usable configuration (e.g. they do not match).
    #[error("TLS certificate {cert} with key {key}: {reason}")]
    Pair {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// What rustls said.
        reason: String,
    },
    /// The self-signed set could not be made or written.
    #[error("self-signed TLS in {dir}: {reason}")]
    SelfSigned {
        /// `<data dir>/tls`.
        dir: PathBuf,
        /// What failed.
        reason: String,
    },
}

/// The files of a self-signed set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelfSigned {
    /// The local CA's certificate: what clients are told to trust.
    pub ca: PathBuf,
    /// The server certificate.
    pub cert: PathBuf,
    /// The server certificate's private key.
    pub key: PathBuf,
    /// Whether the CA was made by this call (first start).
    pub created_ca: bool,
}

/// The rustls configuration serving `cert` (a PEM chain, leaf first) with `key` (PEM).
///
/// # Errors
/// Unreadable or malformed files, or a key that does not match the certificate.
pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, TlsError> {
    let bad_cert = |reason: String| TlsError::Certificate {
        path: cert.to_owned(),
        reason,
    };
    let bad_key = |reason: String| TlsError::Key {
        path: key.to_owned(),
        reason,
    };
    let cert_pem = std::fs::read(cert).map_err(|e| bad_cert(e.to_string()))?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad_cert(format!("not a PEM certificate ({e})")))?;
    if chain.is_empty() {
        return Err(bad_cert("holds no PEM certificate".into()));
    }
    let key_pem = zeroize::Zeroizing::new(std::fs::read(key).map_err(|e| bad_key(e.to_string()))?);
    let private = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|e| bad_key(format!("holds no PEM private key ({e})")))?;
    let mut config = ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .and_then(|b| b.with_no_client_auth().with_single_cert(chain, private))
    .map_err(|e| TlsError::Pair {
        cert: cert.to_owned(),
        key: key.to_owned(),
        reason: e.to_string(),
    })?;
    // Only HTTP/1.1 is served (the front guard validates HTTP/1 heads).
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Makes (or reuses) the local CA in `<data_dir>/tls` and a fresh server certificate for
/// the loopback names and `names`.
///
/// # Errors
/// A name that cannot be in a certificate, or I/O.
pub fn self_signed(data_dir: &Path, names: &[String]) -> Result<SelfSigned, TlsError> {
    let dir = data_dir.join("tls");
    let fail = |reason: String| TlsError::SelfSigned {
        dir: dir.clone(),
        reason,
    };
    files::private_dir(&dir).map_err(|e| fail(e.to_string()))?;
    let ca_path = dir.join("ca.pem");
    let ca_key_path = dir.join("ca-key.pem");
    let created_ca = !ca_key_path.exists();
    if created_ca {
        let ca_key = KeyPair::generate().map_err(|e| fail(e.to_string()))?;
        let ca_cert = ca_params()
            .self_signed(&ca_key)
            .map_err(|e| fail(e.to_string()))?;
        files::write_new_atomic(&ca_key_path, ca_key.serialize_pem().as_bytes())
            .map_err(|e| fail(format!("{}: {e}", ca_key_path.display())))?;
        replace(&ca_path, ca_cert.pem().as_bytes())
            .map_err(|e| fail(format!("{}: {e}", ca_path.display())))?;
    }
    let ca_pem = zeroize::Zeroizing::new(
        std::fs::read_to_string(&ca_key_path)
            .map_err(|e| fail(format!("{}: {e}", ca_key_path.display())))?,
    );
    let ca_key =
        KeyPair::from_pem(&ca_pem).map_err(|e| fail(format!("{}: {e}", ca_key_path.display())))?;
    // The CA's parameters are fixed, so the issuer rebuilt from them and the kept key signs
    // certificates that chain to the kept `ca.pem`.
    let issuer = Issuer::new(ca_params(), ca_key);
    let server_key = KeyPair::generate().map_err(|e| fail(e.to_string()))?;
    let server_cert = server_params(names)
        .map_err(&fail)?
        .signed_by(&server_key, &issuer)
        .map_err(|e| fail(e.to_string()))?;
    let cert = dir.join("server.pem");
    let key = dir.join("server-key.pem");
    replace(&cert, server_cert.pem().as_bytes())
        .map_err(|e| fail(format!("{}: {e}", cert.display())))?;
    replace(&key, server_key.serialize_pem().as_bytes())
        .map_err(|e| fail(format!("{}: {e}", key.display())))?;
    Ok(SelfSigned {
        ca: ca_path,
        cert,
        key,
        created_ca,
    })
}

/// The local CA: ten years, may sign server certificates only (path length 0).
fn ca_params() -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "qkms local CA");
    dn.push(DnType::OrganizationName, "qkms");
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let now = SystemTime::now();
    params.not_before = (now - Duration::from_secs(86_400)).into();
    params.not_after = (now + Duration::from_secs(10 * 365 * 86_400)).into();
    params
}

/// The server certificate: the loopback names and `names`, 397 days (within what
/// browsers accept for a server certificate).
fn server_params(names: &[String]) -> Result<CertificateParams, String> {
    let mut all: Vec<String> = vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
    for n in names {
        let name_like = n.parse::<std::net::IpAddr>().is_ok()
            || (!n.is_empty()
                && n.len() <= 253
                && n.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.*".contains(&b)));
        if !name_like {
            return Err(format!(
                "--tls-name {n:?} is neither an IP address nor a DNS name"
            ));
        }
        if !all.contains(n) {
            all.push(n.clone());
        }
    }
    let mut params = CertificateParams::new(all).map_err(|e| format!("--tls-name: {e}"))?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "qkms");
    params.distinguished_name = dn;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    let now = SystemTime::now();
    params.not_before = (now - Duration::from_secs(86_400)).into();
    params.not_after = (now + Duration::from_secs(397 * 86_400)).into();
    Ok(params)
}

/// Writes `path` (0600) atomically, replacing what was there.
fn replace(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = path.with_extension("pem.new");
    let _ = std::fs::remove_file(&tmp);
    files::write_new_atomic(&tmp, bytes)?;
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        files::sync_dir(dir)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("qkms-tls-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn self_signed_keeps_its_ca_and_serves() {
        let dir = scratch("keep");
        let first = self_signed(&dir, &["qkms.test".into()]).unwrap();
        assert!(first.created_ca);
        let ca = std::fs::read(&first.ca).unwrap();
        server_config(&first.cert, &first.key).unwrap();
        let second = self_signed(&dir, &[]).unwrap();
        assert!(!second.created_ca);
        assert_eq!(std::fs::read(&second.ca).unwrap(), ca, "the CA is kept");
        server_config(&second.cert, &second.key).unwrap();
        for f in [&second.key, &dir.join("tls/ca-key.pem")] {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(f).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{}", f.display());
        }
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        let dir = scratch("bad");
        let set = self_signed(&dir, &[]).unwrap();
        let junk = dir.join("junk.pem");
        std::fs::write(&junk, "not pem").unwrap();
        let missing = dir.join("missing.pem");
        assert!(matches!(
            server_config(&missing, &set.key),
            Err(TlsError::Certificate { .. })
        ));
        assert!(matches!(
            server_config(&junk, &set.key),
            Err(TlsError::Certificate { .. })
        ));
        assert!(matches!(
            server_config(&set.cert, &junk),
            Err(TlsError::Key { .. })
        ));
        // A key that is not the certificate's.
        let other = self_signed(&scratch("other"), &[]).unwrap();
        let err = server_config(&set.cert, &other.key).unwrap_err();
        assert!(matches!(err, TlsError::Pair { .. }), "{err}");
        assert!(self_signed(&dir, &["bad name!".into()]).is_err());
    }
}
