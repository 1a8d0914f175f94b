//! rustls configurations from [`TlsSettings`]: certificates and keys read
//! from PEM files, the TLS versions SSLProtocol allows, and the ring
//! crypto provider passed explicitly, so nothing depends on a
//! process-wide default provider.
//!
//! [`TlsSettings`]: crate::fix::settings::TlsSettings

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig, SupportedProtocolVersion};

use super::initiator::InitiatorTls;
use crate::fix::settings::{ClientTlsSettings, ServerTlsSettings, TlsVersions};

/// A TLS configuration could not be built. The message names the setting,
/// its file and what to do.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read.
    #[error("{setting} {}: cannot read it ({source}); check the path and its permissions", path.display())]
    Read {
        /// The setting naming the file.
        setting: &'static str,
        /// The file.
        path: PathBuf,
        /// Why reading failed.
        source: std::io::Error,
    },
    /// A file is not PEM, or holds nothing of the kind expected.
    #[error("{setting} {}: {problem}", path.display())]
    Pem {
        /// The setting naming the file.
        setting: &'static str,
        /// The file.
        path: PathBuf,
        /// What is wrong and what to do.
        problem: String,
    },
    /// A certificate or key was read but rustls cannot use it.
    #[error("{setting} {}: {problem}", path.display())]
    Unusable {
        /// The setting naming the file.
        setting: &'static str,
        /// The file.
        path: PathBuf,
        /// What is wrong and what to do.
        problem: String,
    },
    /// The private key does not belong to the certificate.
    #[error(
        "{key_setting} {} is not the private key of the certificate in {certificate_setting} {}; give the key the certificate was issued for",
        key.display(),
        certificate.display()
    )]
    KeyMismatch {
        /// The setting naming the certificate.
        certificate_setting: &'static str,
        /// The certificate file.
        certificate: PathBuf,
        /// The setting naming the key.
        key_setting: &'static str,
        /// The key file.
        key: PathBuf,
    },
    /// The server name is neither a DNS name nor an IP address.
    #[error(
        "{name:?} is not a DNS name or IP address; set SSLServerName to the name on the server's certificate"
    )]
    ServerName {
        /// The name given.
        name: String,
    },
    /// rustls refused the configuration as a whole.
    #[error("TLS configuration refused: {problem}")]
    Config {
        /// What is wrong and what to do.
        problem: String,
    },
}

/// The configuration of a TLS acceptor: our certificate, and client
/// certificates required and verified when `settings` name authorities.
pub fn server_config(settings: &ServerTlsSettings) -> Result<Arc<ServerConfig>, TlsError> {
    let provider = provider();
    let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_protocol_versions(&protocol_versions(settings.versions)?)
        .map_err(config_error)?;
    let builder = match &settings.client_authorities {
        Some(path) => {
            let roots = roots("CertificateAuthoritiesFile", path)?;
            let verifier = WebPkiClientVerifier::builder_with_provider(roots, provider)
                .build()
                .map_err(|error| TlsError::Unusable {
                    setting: "CertificateAuthoritiesFile",
                    path: path.clone(),
                    problem: format!("cannot verify client certificates with it: {error}"),
                })?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let certificate = ("ServerCertificateFile", settings.certificate.as_path());
    let key = ("ServerCertificateKeyFile", settings.key.as_path());
    let config = builder
        .with_single_cert(certificates(certificate)?, private_key(key)?)
        .map_err(|error| certified_key_error(certificate, key, error))?;
    Ok(Arc::new(config))
}

/// The configuration of a TLS initiator: the server verified against
/// CertificateAuthoritiesFile, and our certificate offered when `settings`
/// name one (mutual TLS).
pub fn client_config(settings: &ClientTlsSettings) -> Result<Arc<ClientConfig>, TlsError> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&protocol_versions(settings.versions)?)
        .map_err(config_error)?
        .with_root_certificates(roots("CertificateAuthoritiesFile", &settings.authorities)?);
    let config = match &settings.certificate {
        Some(files) => {
            let certificate = ("ClientCertificateFile", files.certificate.as_path());
            let key = ("ClientCertificateKeyFile", files.key.as_path());
            builder
                .with_client_auth_cert(certificates(certificate)?, private_key(key)?)
                .map_err(|error| certified_key_error(certificate, key, error))?
        }
        None => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// What [`InitiatorOptions::tls`] needs: the client configuration and the
/// server name from `settings`.
///
/// [`InitiatorOptions::tls`]: super::initiator::InitiatorOptions::tls
pub fn initiator(settings: &ClientTlsSettings) -> Result<InitiatorTls, TlsError> {
    Ok(InitiatorTls {
        config: client_config(settings)?,
        server_name: server_name(&settings.server_name)?,
    })
}

/// `name` as the name a server's certificate is verified against.
pub fn server_name(name: &str) -> Result<ServerName<'static>, TlsError> {
    ServerName::try_from(name.to_owned()).map_err(|_| TlsError::ServerName {
        name: name.to_owned(),
    })
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn protocol_versions(
    versions: TlsVersions,
) -> Result<Vec<&'static SupportedProtocolVersion>, TlsError> {
    let mut allowed = Vec::new();
    if versions.tls13 {
        allowed.push(&rustls::version::TLS13);
    }
    if versions.tls12 {
        allowed.push(&rustls::version::TLS12);
    }
    if allowed.is_empty() {
        return Err(TlsError::Config {
            problem: "no TLS version allowed; allow TLSv1.2 and/or TLSv1.3 in SSLProtocol"
                .to_owned(),
        });
    }
    Ok(allowed)
}

fn config_error(error: rustls::Error) -> TlsError {
    TlsError::Config {
        problem: error.to_string(),
    }
}

fn pem_error(setting: &'static str, path: &Path, error: pem::Error, expected: &str) -> TlsError {
    let path = path.to_owned();
    match error {
        pem::Error::Io(source) => TlsError::Read {
            setting,
            path,
            source,
        },
        pem::Error::NoItemsFound => TlsError::Pem {
            setting,
            path,
            problem: format!("holds no {expected}; give a PEM file with one"),
        },
        other => TlsError::Pem {
            setting,
            path,
            problem: format!("is not valid PEM ({other}); give the {expected} in PEM format"),
        },
    }
}

/// Every certificate in a PEM file; at least one.
fn certificates(
    (setting, path): (&'static str, &Path),
) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    const EXPECTED: &str = "certificate (-----BEGIN CERTIFICATE-----)";
    let certificates: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .and_then(Iterator::collect)
        .map_err(|error| pem_error(setting, path, error, EXPECTED))?;
    if certificates.is_empty() {
        return Err(pem_error(setting, path, pem::Error::NoItemsFound, EXPECTED));
    }
    Ok(certificates)
}

/// The first private key in a PEM file (PKCS#8, PKCS#1 or SEC1).
fn private_key((setting, path): (&'static str, &Path)) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_file(path).map_err(|error| {
        pem_error(
            setting,
            path,
            error,
            "private key (-----BEGIN PRIVATE KEY-----, RSA PRIVATE KEY or EC PRIVATE KEY)",
        )
    })
}

/// Trust anchors from a PEM file of CA certificates.
fn roots(setting: &'static str, path: &Path) -> Result<Arc<RootCertStore>, TlsError> {
    let mut roots = RootCertStore::empty();
    for certificate in certificates((setting, path))? {
        roots.add(certificate).map_err(|error| TlsError::Unusable {
            setting,
            path: path.to_owned(),
            problem: format!(
                "a certificate cannot be a trust anchor ({error}); give CA certificates in PEM"
            ),
        })?;
    }
    Ok(Arc::new(roots))
}

/// Names the file at fault when rustls refuses a certificate and key.
fn certified_key_error(
    (certificate_setting, certificate): (&'static str, &Path),
    (key_setting, key): (&'static str, &Path),
    error: rustls::Error,
) -> TlsError {
    match error {
        rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch) => {
            TlsError::KeyMismatch {
                certificate_setting,
                certificate: certificate.to_owned(),
                key_setting,
                key: key.to_owned(),
            }
        }
        rustls::Error::InvalidCertificate(problem) => TlsError::Unusable {
            setting: certificate_setting,
            path: certificate.to_owned(),
            problem: format!(
                "the first certificate cannot be used ({problem:?}); put our own certificate first, then its issuers"
            ),
        },
        other => TlsError::Unusable {
            setting: key_setting,
            path: key.to_owned(),
            problem: format!(
                "the private key cannot be used ({other}); give an RSA, ECDSA or Ed25519 key in PEM"
            ),
        },
    }
}
