//! The site's identity towards the centre, made at `outpost init`: a client
//! certificate for mutual TLS (the centre accepts only the certificates it
//! has registered) and an Ed25519 key that signs bundles. Both live in the
//! data directory under `tls/`, the private keys readable by the owner only.

use std::path::{Path, PathBuf};

use ring::digest::{digest, SHA256};
use ring::signature::{Ed25519KeyPair, KeyPair};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

use crate::tls::{write_private, TlsError};

pub fn client_cert_path(data_dir: &Path) -> PathBuf {
    data_dir.join("tls").join("client-cert.pem")
}

pub fn client_key_path(data_dir: &Path) -> PathBuf {
    data_dir.join("tls").join("client-key.pem")
}

pub fn signing_key_path(data_dir: &Path) -> PathBuf {
    data_dir.join("tls").join("bundle-key.pk8")
}

fn err(path: &Path, message: impl ToString) -> TlsError {
    TlsError::File {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}

/// Creates whichever of the client certificate and the signing key is
/// missing; returns what it made. Existing keys are never replaced: the
/// centre has them registered.
pub fn ensure(data_dir: &Path, site: u16) -> Result<Vec<PathBuf>, TlsError> {
    let dir = data_dir.join("tls");
    std::fs::create_dir_all(&dir).map_err(|e| err(&dir, e))?;
    let mut made = Vec::new();
    let (cert, key) = (client_cert_path(data_dir), client_key_path(data_dir));
    if !cert.exists() {
        let gen = |e: rcgen::Error| TlsError::Generate(e.to_string());
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(gen)?;
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, format!("outpost site {site:03}"));
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        let pair = rcgen::KeyPair::generate().map_err(gen)?;
        let c = params.self_signed(&pair).map_err(gen)?;
        let _ = std::fs::remove_file(&key);
        write_private(&key, pair.serialize_pem().as_bytes())?;
        std::fs::write(&cert, c.pem()).map_err(|e| err(&cert, e))?;
        made.push(cert);
    }
    let signing = signing_key_path(data_dir);
    if !signing.exists() {
        let doc = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new())
            .map_err(|_| TlsError::Generate("no random source for the signing key".into()))?;
        write_private(&signing, doc.as_ref())?;
        made.push(signing);
    }
    Ok(made)
}

pub fn signing_key(data_dir: &Path) -> Result<Ed25519KeyPair, TlsError> {
    let path = signing_key_path(data_dir);
    let bytes = std::fs::read(&path).map_err(|e| {
        err(
            &path,
            format!("{e} (the site's bundle-signing key; `outpost init` makes it)"),
        )
    })?;
    Ed25519KeyPair::from_pkcs8(&bytes).map_err(|_| err(&path, "not an Ed25519 PKCS#8 key"))
}

/// The public half of the signing key as the centre registers it: hex.
pub fn public_key_hex(key: &Ed25519KeyPair) -> String {
    hex(key.public_key().as_ref())
}

/// Reads a public key file written by `outpost site-identity`.
pub fn parse_public_key(text: &str) -> Result<Vec<u8>, String> {
    let t = text.trim();
    if t.len() != 64 || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("an Ed25519 public key is 64 hexadecimal digits".into());
    }
    Ok((0..32)
        .map(|i| u8::from_str_radix(&t[2 * i..2 * i + 2], 16).expect("checked hex"))
        .collect())
}

/// A PEM or DER certificate file, as DER.
pub fn read_certificate(path: &Path) -> Result<Vec<u8>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if bytes.starts_with(b"-----BEGIN") {
        CertificateDer::from_pem_slice(&bytes)
            .map(|c| c.to_vec())
            .map_err(|e| format!("{}: {e}", path.display()))
    } else {
        Ok(bytes)
    }
}

/// SHA-256 of a certificate's DER: how the centre recognises a site.
pub fn fingerprint(der: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest(&SHA256, der).as_ref());
    out
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_made_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let made = ensure(dir.path(), 17).unwrap();
        assert_eq!(made.len(), 2);
        assert!(ensure(dir.path(), 17).unwrap().is_empty(), "kept");
        let key = signing_key(dir.path()).unwrap();
        let hexed = public_key_hex(&key);
        assert_eq!(
            parse_public_key(&format!("{hexed}\n")).unwrap(),
            key.public_key().as_ref()
        );
        let der = read_certificate(&client_cert_path(dir.path())).unwrap();
        assert_eq!(fingerprint(&der).len(), 32);
        #[cfg(unix)]
        for p in [client_key_path(dir.path()), signing_key_path(dir.path())] {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{}", p.display());
        }
        for bad in ["", "xyz", &"g".repeat(64), &"a".repeat(62)] {
            assert!(parse_public_key(bad).is_err(), "{bad:?}");
        }
    }
}
