//! Signed bodies as the official client lays them out (PROTOCOL.md 1.3),
//! for tests: shared by the `smime` unit tests and the integration tests
//! (`tests/common` includes this file by path), so both sign one way.
//! Depends on crates only, never on the `outpost` crate.

use base64::Engine;
use cms::builder::{create_signing_time_attribute, SignedDataBuilder, SignerInfoBuilder};
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::signed_data::{EncapsulatedContentInfo, SignerIdentifier};
use der::oid::ObjectIdentifier;
use der::Encode;
use p256::ecdsa::signature::{Keypair, Signer};
use sha2::Digest;
use x509_cert::spki::{
    AlgorithmIdentifierOwned, DynSignatureAlgorithmIdentifier, SignatureBitStringEncoding,
};
use x509_cert::Certificate;

/// "----" + 32 alphanumerics, like the official client.
pub const BOUNDARY: &str = "----Zx9QwErTyUiOp1234567890AsDfGhJkL";
const OID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
const OID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");

pub fn content_type(boundary: &str) -> String {
    format!(
        "multipart/signed; micalg=\"sha1\"; boundary=\"{boundary}\"; \
         protocol=\"application/x-pkcs7-signature\""
    )
}

/// The signed MIME entity that carries a VNACCS message.
pub fn entity(message: &str) -> Vec<u8> {
    format!("Content-Type: text/plain; charset=UTF-8\r\n\r\n{message}").into_bytes()
}

/// Lays the body out like the official client.
pub fn assemble(boundary: &str, entity: &[u8], p7s: &[u8]) -> Vec<u8> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(p7s);
    let mut body = Vec::new();
    body.extend_from_slice(b"This is an S/MIME signed message\r\n\r\n");
    body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
    body.extend_from_slice(entity);
    body.extend_from_slice(format!("\r\n--{boundary}\r\n").as_bytes());
    body.extend_from_slice(
        b"Content-Type: application/x-pkcs7-signature; name=\"smime.p7s\"\r\n\
          Content-Transfer-Encoding: base64\r\n\
          Content-Disposition: attachment; filename=\"smime.p7s\"\r\n\r\n",
    );
    for line in b64.as_bytes().chunks(76) {
        body.extend_from_slice(line);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n\r\n").as_bytes());
    body
}

/// The signer as the certificate names it: its issuer and serial number.
pub fn issuer_and_serial(cert: &Certificate) -> SignerIdentifier {
    SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
        issuer: cert.tbs_certificate.issuer.clone(),
        serial_number: cert.tbs_certificate.serial_number.clone(),
    })
}

/// Detached CMS SignedData over an entity whose digest under `digest_alg`
/// is `md`, with content-type, message-digest and signing-time signed
/// attributes, made with the `cms` builder; `cert` goes in when given.
pub fn sign_detached<S, Sig>(
    signer: &S,
    sid: SignerIdentifier,
    digest_alg: ObjectIdentifier,
    md: &[u8],
    cert: Option<&Certificate>,
) -> Vec<u8>
where
    S: Keypair + DynSignatureAlgorithmIdentifier + Signer<Sig>,
    Sig: SignatureBitStringEncoding,
{
    let eci = EncapsulatedContentInfo {
        econtent_type: OID_DATA,
        econtent: None,
    };
    let digest_alg = AlgorithmIdentifierOwned {
        oid: digest_alg,
        parameters: None,
    };
    let mut sib = SignerInfoBuilder::new(signer, sid, digest_alg.clone(), &eci, Some(md)).unwrap();
    sib.add_signed_attribute(create_signing_time_attribute().unwrap())
        .unwrap();
    let mut sdb = SignedDataBuilder::new(&eci);
    sdb.add_digest_algorithm(digest_alg).unwrap();
    if let Some(cert) = cert {
        sdb.add_certificate(CertificateChoices::Certificate(cert.clone()))
            .unwrap();
    }
    sdb.add_signer_info::<S, Sig>(sib).unwrap();
    sdb.build().unwrap().to_der().unwrap()
}

/// `message` signed with ECDSA P-256 and SHA-256 by `key` holding `cert`,
/// as the client sends it: its Content-Type and body.
pub fn signed_body(
    key: &p256::ecdsa::SigningKey,
    cert: &Certificate,
    message: &str,
) -> (String, Vec<u8>) {
    let ent = entity(message);
    let md = sha2::Sha256::digest(&ent);
    let p7s = sign_detached::<_, p256::ecdsa::DerSignature>(
        key,
        issuer_and_serial(cert),
        OID_SHA256,
        &md,
        Some(cert),
    );
    (content_type(BOUNDARY), assemble(BOUNDARY, &ent, &p7s))
}
