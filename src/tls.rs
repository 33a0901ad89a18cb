//! TLS material: a self-signed certificate on first start, loading PEM files,
//! and a resolver that SIGHUP can swap without dropping connections.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("generating a certificate: {0}")]
    Generate(String),
}

fn file_err(path: &Path, message: impl ToString) -> TlsError {
    TlsError::File {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}

/// Creates a self-signed ECDSA P-256 certificate for `names` (plus
/// localhost and loopback) when neither file exists. Returns whether it did.
pub fn ensure_self_signed(cert: &Path, key: &Path, names: &[String]) -> Result<bool, TlsError> {
    match (cert.exists(), key.exists()) {
        (true, true) => return Ok(false),
        (true, false) => return Err(file_err(key, "missing, but the certificate exists")),
        (false, true) => return Err(file_err(cert, "missing, but the key exists")),
        (false, false) => {}
    }
    let mut sans = vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ];
    sans.extend(names.iter().cloned());
    let generated =
        rcgen::generate_simple_self_signed(sans).map_err(|e| TlsError::Generate(e.to_string()))?;
    for p in [cert, key] {
        if let Some(dir) = p.parent() {
            std::fs::create_dir_all(dir).map_err(|e| file_err(dir, e))?;
        }
    }
    write_private(key, generated.key_pair.serialize_pem().as_bytes())?;
    std::fs::write(cert, generated.cert.pem()).map_err(|e| file_err(cert, e))?;
    Ok(true)
}

pub(crate) fn write_private(path: &Path, data: &[u8]) -> Result<(), TlsError> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    opts.mode(0o600);
    let mut f = opts.open(path).map_err(|e| file_err(path, e))?;
    f.write_all(data)
        .and_then(|_| f.sync_all())
        .map_err(|e| file_err(path, e))
}

/// Loads a PEM certificate chain and private key.
pub fn load(cert: &Path, key: &Path) -> Result<Arc<CertifiedKey>, TlsError> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| file_err(cert, e))?
        .collect::<Result<_, _>>()
        .map_err(|e| file_err(cert, e))?;
    if chain.is_empty() {
        return Err(file_err(cert, "no certificate in the file"));
    }
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| file_err(key, e))?;
    let signing =
        rustls::crypto::ring::sign::any_supported_type(&key_der).map_err(|e| file_err(key, e))?;
    let ck = CertifiedKey::new(chain, signing);
    ck.keys_match()
        .map_err(|e| file_err(key, format!("does not match the certificate: {e}")))?;
    Ok(Arc::new(ck))
}

/// The certificate the listener presents; swapped in place on reload.
#[derive(Debug)]
pub struct Reloadable {
    cert: PathBuf,
    key: PathBuf,
    current: RwLock<Arc<CertifiedKey>>,
}

impl Reloadable {
    pub fn new(cert: PathBuf, key: PathBuf) -> Result<Reloadable, TlsError> {
        let current = RwLock::new(load(&cert, &key)?);
        Ok(Reloadable { cert, key, current })
    }

    /// Reads the files again; on error the old certificate stays in use.
    pub fn reload(&self) -> Result<(), TlsError> {
        let fresh = load(&self.cert, &self.key)?;
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = fresh;
        Ok(())
    }
}

impl ResolvesServerCert for Reloadable {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(
            self.current
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
        )
    }
}

pub fn server_config(resolver: Arc<Reloadable>) -> Arc<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .with_no_client_auth()
        .with_cert_resolver(resolver);
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(cfg)
}
