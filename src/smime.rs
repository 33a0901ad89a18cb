//! S/MIME (`multipart/signed`, RFC 1847 / RFC 8551) handling for signed VNACCS jobs.
//!
//! The official VNACCS terminal sends jobs whose template carries `sign-flg="1"` as
//! `multipart/signed; micalg="sha1"; boundary="----<32 alnum>";
//! protocol="application/x-pkcs7-signature"` (PROTOCOL.md 1.2 / 1.3): a preamble, the signed
//! MIME entity (`Content-Type: text/plain; charset=UTF-8` CRLF CRLF message text), and an
//! `application/x-pkcs7-signature` part carrying a base64 detached CMS `SignedData` with the
//! end-entity certificate.
//!
//! This module is pure: [`split_signed`] takes the request's Content-Type value and body and
//! cuts it into its parts; [`verify`] checks the CMS signature over the signed entity and
//! reports who signed it. Neither does I/O nor looks at a clock (certificate validity periods
//! and the registered CA / serial are the caller's business: result codes A0035 / A0036).
//! Every failure here maps to VNACCS result code A0034 ("error while verifying the
//! electronic signature"), see [`SmimeError::result_code`].

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier, SignerInfo};
use der::asn1::{ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use sha1::Sha1;
use sha2::{Digest as _, Sha256};
use x509_cert::Certificate;

/// VNACCS system result code: error while verifying the electronic signature.
pub const RESULT_SIGNATURE_ERROR: &str = "A0034";

/// Longest boundary RFC 2046 allows.
const MAX_BOUNDARY_LEN: usize = 70;

// Object identifiers (RFC 5652, RFC 3279, RFC 4055, RFC 5480, RFC 5758, RFC 5280).
const OID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
const OID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const OID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const OID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const OID_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
const OID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const OID_RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const OID_SHA1_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.5");
const OID_SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_ECDSA_WITH_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.1");
const OID_ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const OID_SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_SECP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const OID_SHA384_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
const OID_SHA512_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");
const OID_ECDSA_WITH_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const OID_SUBJECT_KEY_IDENTIFIER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.14");

/// Why a signed job could not be split or its signature could not be verified.
///
/// All variants map to VNACCS result code A0034; the variant says which check failed (for
/// logs and the audit trail).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmimeError {
    // ---- Content-Type header -------------------------------------------------------------
    /// The Content-Type value could not be parsed (e.g. an unterminated quoted string).
    #[error("malformed Content-Type: {0}")]
    MalformedContentType(String),
    /// The media type is not `multipart/signed`.
    #[error("not multipart/signed but {0:?}")]
    NotMultipartSigned(String),
    /// The `protocol` parameter is missing or is not a PKCS#7 signature type.
    #[error("protocol parameter is {0:?}, expected application/(x-)pkcs7-signature")]
    BadProtocol(String),
    /// No `boundary` parameter, or an empty one.
    #[error("missing or empty boundary parameter")]
    MissingBoundary,
    /// The boundary is longer than 70 characters or uses characters RFC 2046 forbids.
    #[error("invalid boundary parameter")]
    InvalidBoundary,

    // ---- multipart body ------------------------------------------------------------------
    /// No delimiter line with the declared boundary was found in the body.
    #[error("boundary not found in body")]
    BoundaryNotFound,
    /// The body has no closing delimiter (`--boundary--`), e.g. it was truncated.
    #[error("closing boundary missing (body truncated?)")]
    MissingCloseDelimiter,
    /// The closing delimiter comes before any body part.
    #[error("multipart body has no parts")]
    NoParts,
    /// Only the signed entity is present: no signature part.
    #[error("signature part missing")]
    MissingSignaturePart,
    /// More than the two parts (signed entity, signature) RFC 1847 allows.
    #[error("more than two body parts")]
    TooManyParts,
    /// A part's header block is not terminated by an empty line, or a header line is malformed.
    #[error("{0} part has no header/body separator or malformed headers")]
    MalformedPart(&'static str),
    /// The second part is not `application/(x-)pkcs7-signature`.
    #[error("second part has type {0:?}, expected application/(x-)pkcs7-signature")]
    SignaturePartType(String),
    /// The signature part is not base64 encoded.
    #[error("signature part transfer encoding is {0:?}, expected base64")]
    SignatureEncoding(String),
    /// The signature part is not valid base64.
    #[error("signature part is not valid base64")]
    BadBase64,
    /// The signature part is empty.
    #[error("signature part is empty")]
    EmptySignature,

    // ---- CMS structure -------------------------------------------------------------------
    /// The signature is not valid DER for a CMS ContentInfo / SignedData.
    #[error("CMS decoding failed: {0}")]
    CmsDecode(String),
    /// The ContentInfo does not hold SignedData.
    #[error("CMS content type is {0}, expected signedData")]
    NotSignedData(String),
    /// The encapsulated content type is not id-data.
    #[error("encapsulated content type is {0}, expected id-data")]
    ContentTypeNotData(String),
    /// The SignedData carries its content instead of being detached.
    #[error("SignedData is not detached (carries encapsulated content)")]
    NotDetached,
    /// Exactly one SignerInfo is expected.
    #[error("expected exactly one signer, found {0}")]
    SignerCount(usize),
    /// No certificate in SignedData.certificates matches the SignerInfo's sid.
    #[error("signer certificate not included in the signature")]
    SignerCertificateNotFound,
    /// The SignerInfo's digest algorithm is neither SHA-1 nor SHA-256.
    #[error("unsupported digest algorithm {0}")]
    UnsupportedDigest(String),
    /// The SignerInfo's signature algorithm is not supported (or contradicts its digest).
    #[error("unsupported signature algorithm {0}")]
    UnsupportedSignatureAlgorithm(String),
    /// The certificate's public key is not of a supported type, or does not fit the
    /// signature algorithm.
    #[error("unsupported or mismatched public key: {0}")]
    UnsupportedKey(String),
    /// A required signed attribute is missing or malformed.
    #[error("signed attribute {0} missing or malformed")]
    BadSignedAttribute(&'static str),
    /// The content-type signed attribute is not id-data.
    #[error("content-type signed attribute does not match the content")]
    ContentTypeMismatch,
    /// The message-digest signed attribute does not match the signed entity.
    #[error("message digest does not match the signed content")]
    DigestMismatch,
    /// The signature value does not verify with the certificate's public key.
    #[error("signature does not verify")]
    BadSignature,

    // ---- certificate issuance ([`check_issued_by`]) --------------------------------------
    /// A certificate given to [`check_issued_by`] is not valid DER.
    #[error("certificate decoding failed: {0}")]
    CertificateDecode(String),
    /// The certificate's issuer name is not the CA certificate's subject name.
    #[error("certificate issuer does not match the CA certificate's subject")]
    IssuerMismatch,
    /// The CA's signature on the certificate does not verify.
    #[error("certificate is not signed by the CA certificate")]
    CertificateSignature,
}

impl SmimeError {
    /// VNACCS system result code for this error: always `A0034` (error while verifying the
    /// electronic signature). CA name (A0035) and serial (A0036) checks are the caller's.
    pub fn result_code(&self) -> &'static str {
        RESULT_SIGNATURE_ERROR
    }
}

/// A `multipart/signed` body cut into its pieces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedParts {
    /// The signed MIME entity exactly as RFC 1847 defines it: the bytes after the CRLF that
    /// ends the first delimiter line up to (not including) the CRLF before the next one.
    pub signed_entity: Vec<u8>,
    /// The entity's content after its header block and the empty line: the VNACCS message.
    pub content: Vec<u8>,
    /// The entity's own Content-Type header value, if it has one (`text/plain; charset=UTF-8`,
    /// or `multipart/mixed; ...` for jobs with attached files).
    pub entity_content_type: Option<String>,
    /// The `micalg` parameter of the outer Content-Type, lower-cased, if present
    /// (informational: [`verify`] goes by the SignerInfo's own algorithms).
    pub micalg: Option<String>,
    /// The decoded signature part: DER of a CMS ContentInfo holding SignedData.
    pub signature: Vec<u8>,
}

/// Who signed a job, from the signer's certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signer {
    /// Issuer distinguished name, RFC 4514 string form (most specific RDN first).
    pub issuer: String,
    /// Certificate serial number: the DER INTEGER content octets in upper-case hex, as encoded
    /// (a leading `00` octet that DER needs for a positive number with the top bit set stays).
    pub serial_hex: String,
    /// Subject distinguished name, RFC 4514 string form.
    pub subject: String,
    /// The signer's certificate, DER.
    pub cert_der: Vec<u8>,
}

// ============================================================================================
// Splitting
// ============================================================================================

/// Split a `multipart/signed` request into signed entity, inner content and signature.
///
/// `content_type` is the HTTP Content-Type header value, `body` the request body. Work is
/// linear in the input size; no input panics.
pub fn split_signed(content_type: &str, body: &[u8]) -> Result<SignedParts, SmimeError> {
    let ct = parse_content_type(content_type)?;
    if ct.essence != "multipart/signed" {
        return Err(SmimeError::NotMultipartSigned(ct.essence));
    }
    match ct.param("protocol") {
        Some(p) if is_pkcs7_signature_type(p) => {}
        Some(p) => return Err(SmimeError::BadProtocol(p.to_string())),
        None => return Err(SmimeError::BadProtocol(String::new())),
    }
    let boundary = match ct.param("boundary") {
        Some(b) if !b.is_empty() => b,
        _ => return Err(SmimeError::MissingBoundary),
    };
    if !valid_boundary(boundary) {
        return Err(SmimeError::InvalidBoundary);
    }
    let micalg = ct.param("micalg").map(|m| m.to_ascii_lowercase());

    let mut dash = Vec::with_capacity(boundary.len() + 2);
    dash.extend_from_slice(b"--");
    dash.extend_from_slice(boundary.as_bytes());

    // First delimiter: at the very start of the body or after a CRLF (ending the preamble).
    let first = next_delimiter(body, &dash, 0, true).ok_or(SmimeError::BoundaryNotFound)?;
    let first_end = match first.kind {
        DelimKind::Close => return Err(SmimeError::NoParts),
        DelimKind::Part { line_end } => line_end,
    };
    let second =
        next_delimiter(body, &dash, first_end, false).ok_or(SmimeError::MissingCloseDelimiter)?;
    let second_end = match second.kind {
        DelimKind::Close => return Err(SmimeError::MissingSignaturePart),
        DelimKind::Part { line_end } => line_end,
    };
    let third =
        next_delimiter(body, &dash, second_end, false).ok_or(SmimeError::MissingCloseDelimiter)?;
    if let DelimKind::Part { .. } = third.kind {
        return Err(SmimeError::TooManyParts);
    }

    let entity = body
        .get(first_end..second.start)
        .ok_or(SmimeError::MalformedPart("signed"))?;
    let sig_part = body
        .get(second_end..third.start)
        .ok_or(SmimeError::MalformedPart("signature"))?;

    // The signed entity: headers, empty line, content.
    let (entity_headers, content) =
        split_part(entity).ok_or(SmimeError::MalformedPart("signed"))?;
    let entity_fields = header_fields(entity_headers).ok_or(SmimeError::MalformedPart("signed"))?;
    let entity_content_type = field(&entity_fields, "content-type").map(str::to_string);

    // The signature part.
    let (sig_headers, sig_body) =
        split_part(sig_part).ok_or(SmimeError::MalformedPart("signature"))?;
    let sig_fields = header_fields(sig_headers).ok_or(SmimeError::MalformedPart("signature"))?;
    let sig_type = field(&sig_fields, "content-type").unwrap_or("");
    let sig_essence = sig_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if !is_pkcs7_signature_type(&sig_essence) {
        return Err(SmimeError::SignaturePartType(sig_type.to_string()));
    }
    let cte = field(&sig_fields, "content-transfer-encoding").unwrap_or("");
    if !cte.trim().eq_ignore_ascii_case("base64") {
        return Err(SmimeError::SignatureEncoding(cte.to_string()));
    }
    let signature = decode_base64(sig_body)?;

    Ok(SignedParts {
        signed_entity: entity.to_vec(),
        content: content.to_vec(),
        entity_content_type,
        micalg,
        signature,
    })
}

fn is_pkcs7_signature_type(t: &str) -> bool {
    let t = t.trim();
    t.eq_ignore_ascii_case("application/x-pkcs7-signature")
        || t.eq_ignore_ascii_case("application/pkcs7-signature")
}

/// RFC 2046 boundary: 1..=70 of `bchars`, not ending in a space.
fn valid_boundary(b: &str) -> bool {
    !b.is_empty()
        && b.len() <= MAX_BOUNDARY_LEN
        && !b.ends_with(' ')
        && b.bytes().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(
                    c,
                    b'\''
                        | b'('
                        | b')'
                        | b'+'
                        | b'_'
                        | b','
                        | b'-'
                        | b'.'
                        | b'/'
                        | b':'
                        | b'='
                        | b'?'
                        | b' '
                )
        })
}

struct ContentType {
    /// `type/subtype`, lower-cased.
    essence: String,
    /// Parameters, names lower-cased, values unquoted.
    params: Vec<(String, String)>,
}

impl ContentType {
    fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Parse `type/subtype *(; name=value)` where value is a token or a quoted-string.
fn parse_content_type(s: &str) -> Result<ContentType, SmimeError> {
    let bad = |why: &str| SmimeError::MalformedContentType(why.to_string());
    let bytes = s.as_bytes();
    let mut i = bytes.iter().position(|&c| c == b';').unwrap_or(bytes.len());
    let essence = s[..i].trim().to_ascii_lowercase();
    if essence.is_empty() {
        return Err(bad("empty media type"));
    }
    let mut params = Vec::new();
    while i < bytes.len() {
        // Skip separators and whitespace.
        while i < bytes.len() && (bytes[i] == b';' || bytes[i].is_ascii_whitespace()) {
            i += 1;
        }
        if i >= bytes.len() {
            break;
        }
        let name_start = i;
        while i < bytes.len() && bytes[i] != b'=' && bytes[i] != b';' {
            i += 1;
        }
        let name = s[name_start..i].trim().to_ascii_lowercase();
        if i >= bytes.len() || bytes[i] == b';' {
            // A parameter without a value: tolerate and ignore.
            continue;
        }
        i += 1; // '='
        while i < bytes.len() && (bytes[i] == b' ' || bytes[i] == b'\t') {
            i += 1;
        }
        let value = if i < bytes.len() && bytes[i] == b'"' {
            i += 1;
            let mut v = Vec::new();
            let mut closed = false;
            while i < bytes.len() {
                match bytes[i] {
                    b'\\' if i + 1 < bytes.len() => {
                        v.push(bytes[i + 1]);
                        i += 2;
                    }
                    b'"' => {
                        i += 1;
                        closed = true;
                        break;
                    }
                    c => {
                        v.push(c);
                        i += 1;
                    }
                }
            }
            if !closed {
                return Err(bad("unterminated quoted string"));
            }
            // Only complete UTF-8 sequences were copied (escapes skip ASCII '\\' only).
            String::from_utf8(v).map_err(|_| bad("invalid UTF-8 in quoted string"))?
        } else {
            let start = i;
            while i < bytes.len() && bytes[i] != b';' {
                i += 1;
            }
            s[start..i].trim().to_string()
        };
        if !name.is_empty() && !params.iter().any(|(n, _)| *n == name) {
            params.push((name, value));
        }
    }
    Ok(ContentType { essence, params })
}

enum DelimKind {
    /// An ordinary delimiter; `line_end` is the index just after its line's CRLF.
    Part { line_end: usize },
    /// The close delimiter `--boundary--`.
    Close,
}

struct Delim {
    /// Index of the CRLF preceding the delimiter (the end of the previous part), or of the
    /// delimiter itself when it opens the body.
    start: usize,
    kind: DelimKind,
}

/// Find the next delimiter line at or after `from`. A delimiter is CRLF `--boundary` followed
/// by `--` (close) or by optional linear whitespace and CRLF; `at_start` also accepts
/// `--boundary` at index `from` without a preceding CRLF (first line of the body).
fn next_delimiter(body: &[u8], dash: &[u8], from: usize, at_start: bool) -> Option<Delim> {
    if at_start && from == 0 {
        if let Some(kind) = delimiter_at(body, dash, 0) {
            return Some(Delim { start: 0, kind });
        }
    }
    let mut i = from;
    while i < body.len() {
        let rel = body.get(i..)?.iter().position(|&c| c == b'\r')?;
        let cr = i + rel;
        if body.get(cr + 1) == Some(&b'\n') {
            if let Some(kind) = delimiter_at(body, dash, cr + 2) {
                return Some(Delim { start: cr, kind });
            }
        }
        i = cr + 1;
    }
    None
}

/// Is there a delimiter line (`dash` = `--boundary`) starting exactly at `pos`?
fn delimiter_at(body: &[u8], dash: &[u8], pos: usize) -> Option<DelimKind> {
    let rest = body.get(pos..)?;
    if !rest.starts_with(dash) {
        return None;
    }
    let after = &rest[dash.len()..];
    if after.starts_with(b"--") {
        return Some(DelimKind::Close);
    }
    let pad = after
        .iter()
        .take_while(|&&c| c == b' ' || c == b'\t')
        .count();
    if after[pad..].starts_with(b"\r\n") {
        Some(DelimKind::Part {
            line_end: pos + dash.len() + pad + 2,
        })
    } else {
        None
    }
}

/// Split a body part into its header block and its content. A part that begins with CRLF
/// has no headers.
fn split_part(part: &[u8]) -> Option<(&[u8], &[u8])> {
    if let Some(rest) = part.strip_prefix(b"\r\n") {
        return Some((&[], rest));
    }
    let pos = part.windows(4).position(|w| w == b"\r\n\r\n")?;
    Some((&part[..pos], &part[pos + 4..]))
}

/// Parse a header block (CRLF separated, folded lines allowed) into (lower-case name, value).
fn header_fields(block: &[u8]) -> Option<Vec<(String, String)>> {
    let mut fields: Vec<(String, String)> = Vec::new();
    if block.is_empty() {
        return Some(fields);
    }
    for line in block.split(|&c| c == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let text = String::from_utf8_lossy(line);
        if line.first().is_some_and(|&c| c == b' ' || c == b'\t') {
            // Continuation of the previous field.
            let last = fields.last_mut()?;
            last.1.push(' ');
            last.1.push_str(text.trim());
            continue;
        }
        let (name, value) = text.split_once(':')?;
        let name = name.trim();
        if name.is_empty() || name.contains(' ') {
            return None;
        }
        fields.push((name.to_ascii_lowercase(), value.trim().to_string()));
    }
    Some(fields)
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn decode_base64(text: &[u8]) -> Result<Vec<u8>, SmimeError> {
    const ENGINE: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let compact: Vec<u8> = text
        .iter()
        .copied()
        .filter(|c| !matches!(c, b'\r' | b'\n' | b' ' | b'\t'))
        .collect();
    if compact.is_empty() {
        return Err(SmimeError::EmptySignature);
    }
    ENGINE.decode(&compact).map_err(|_| SmimeError::BadBase64)
}

// ============================================================================================
// Verification
// ============================================================================================

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Hash {
    Sha1,
    Sha256,
}

impl Hash {
    fn from_oid(oid: &ObjectIdentifier) -> Option<Hash> {
        if *oid == OID_SHA1 {
            Some(Hash::Sha1)
        } else if *oid == OID_SHA256 {
            Some(Hash::Sha256)
        } else {
            None
        }
    }

    fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Hash::Sha1 => Sha1::digest(data).to_vec(),
            Hash::Sha256 => Sha256::digest(data).to_vec(),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum KeyKind {
    Rsa,
    EcdsaP256,
}

/// Verify the detached CMS signature of `parts` over its signed entity.
///
/// Checks: ContentInfo is signedData, detached, id-data content, exactly one SignerInfo, its
/// certificate is included (matched by issuer+serial or subject key identifier), the
/// content-type and message-digest signed attributes match the signed entity, and the
/// signature over the DER (SET OF) signed attributes — or over the entity itself when there
/// are none — verifies with the certificate's key (RSA PKCS#1 v1.5 or ECDSA P-256, with SHA-1
/// or SHA-256). Does not check certificate validity dates, key usage or the chain.
pub fn verify(parts: &SignedParts) -> Result<Signer, SmimeError> {
    let ci = ContentInfo::from_der(&parts.signature)
        .map_err(|e| SmimeError::CmsDecode(e.to_string()))?;
    if ci.content_type != OID_SIGNED_DATA {
        return Err(SmimeError::NotSignedData(ci.content_type.to_string()));
    }
    let sd: SignedData = ci
        .content
        .decode_as()
        .map_err(|e| SmimeError::CmsDecode(e.to_string()))?;
    if sd.encap_content_info.econtent_type != OID_DATA {
        return Err(SmimeError::ContentTypeNotData(
            sd.encap_content_info.econtent_type.to_string(),
        ));
    }
    if sd.encap_content_info.econtent.is_some() {
        return Err(SmimeError::NotDetached);
    }
    let signers = sd.signer_infos.0.as_slice();
    if signers.len() != 1 {
        return Err(SmimeError::SignerCount(signers.len()));
    }
    let si = &signers[0];
    let cert =
        find_signer_certificate(&sd, &si.sid).ok_or(SmimeError::SignerCertificateNotFound)?;

    let hash = Hash::from_oid(&si.digest_alg.oid)
        .ok_or_else(|| SmimeError::UnsupportedDigest(si.digest_alg.oid.to_string()))?;
    let key_kind = signature_key_kind(si, hash)?;

    // What the signature covers.
    let to_be_signed = match &si.signed_attrs {
        Some(attrs) => {
            check_signed_attributes(attrs, hash, &parts.signed_entity)?;
            // RFC 5652 5.4: the DER encoding of the SignedAttributes as an explicit SET OF
            // (not the [0] IMPLICIT tag used inside SignerInfo).
            attrs
                .to_der()
                .map_err(|e| SmimeError::CmsDecode(e.to_string()))?
        }
        None => parts.signed_entity.clone(),
    };

    let spki = &cert.tbs_certificate.subject_public_key_info;
    let key_bytes = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| SmimeError::UnsupportedKey("public key bit string".into()))?;
    let signature = si.signature.as_bytes();
    match key_kind {
        KeyKind::Rsa => {
            if spki.algorithm.oid != OID_RSA_ENCRYPTION {
                return Err(SmimeError::UnsupportedKey(format!(
                    "RSA signature but key algorithm {}",
                    spki.algorithm.oid
                )));
            }
            let alg: &'static dyn ring::signature::VerificationAlgorithm = match hash {
                Hash::Sha1 => &ring::signature::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
                Hash::Sha256 => &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            };
            ring::signature::UnparsedPublicKey::new(alg, key_bytes)
                .verify(&to_be_signed, signature)
                .map_err(|_| SmimeError::BadSignature)?;
        }
        KeyKind::EcdsaP256 => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
            if spki.algorithm.oid != OID_EC_PUBLIC_KEY || curve != Some(OID_SECP256R1) {
                return Err(SmimeError::UnsupportedKey(format!(
                    "ECDSA signature but key algorithm {} curve {:?}",
                    spki.algorithm.oid,
                    curve.map(|c| c.to_string())
                )));
            }
            match hash {
                Hash::Sha256 => ring::signature::UnparsedPublicKey::new(
                    &ring::signature::ECDSA_P256_SHA256_ASN1,
                    key_bytes,
                )
                .verify(&to_be_signed, signature)
                .map_err(|_| SmimeError::BadSignature)?,
                Hash::Sha1 => {
                    // ring has no ECDSA/SHA-1; use the RustCrypto p256 verifier on the digest.
                    use p256::ecdsa::signature::hazmat::PrehashVerifier;
                    let vk = p256::ecdsa::VerifyingKey::from_sec1_bytes(key_bytes)
                        .map_err(|_| SmimeError::UnsupportedKey("invalid P-256 point".into()))?;
                    let sig = p256::ecdsa::Signature::from_der(signature)
                        .map_err(|_| SmimeError::BadSignature)?;
                    vk.verify_prehash(&Sha1::digest(&to_be_signed), &sig)
                        .map_err(|_| SmimeError::BadSignature)?;
                }
            }
        }
    }

    let tbs = &cert.tbs_certificate;
    Ok(Signer {
        issuer: tbs.issuer.to_string(),
        serial_hex: hex_upper(tbs.serial_number.as_bytes()),
        subject: tbs.subject.to_string(),
        cert_der: cert
            .to_der()
            .map_err(|e| SmimeError::CmsDecode(e.to_string()))?,
    })
}

/// Issuer name and serial (upper-case hex, as encoded) of a certificate.
pub fn certificate_identity(cert_der: &[u8]) -> Result<(String, String), SmimeError> {
    let cert = Certificate::from_der(cert_der)
        .map_err(|e| SmimeError::CertificateDecode(e.to_string()))?;
    let tbs = &cert.tbs_certificate;
    Ok((
        tbs.issuer.to_string(),
        hex_upper(tbs.serial_number.as_bytes()),
    ))
}

/// What VNACCS registers for a terminal that signs: the issuing CA and the
/// serial of the signing certificate.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Registration {
    pub ca_der: Vec<u8>,
    pub serial_hex: String,
}

/// Checks a verified signer against the terminal's registration, with the
/// system codes VNACCS uses: A0035 when the certificate is not from the
/// registered CA, A0036 when its serial is not the registered one, A0034
/// when it names the CA but the CA did not sign it (a look-alike).
pub fn check_registered(signer: &Signer, reg: &Registration) -> Result<(), &'static str> {
    match check_issued_by(&signer.cert_der, &reg.ca_der) {
        Err(SmimeError::IssuerMismatch) => Err("A0035"),
        Err(_) => Err(RESULT_SIGNATURE_ERROR),
        Ok(()) if signer.serial_hex != reg.serial_hex => Err("A0036"),
        Ok(()) => Ok(()),
    }
}

/// Check that the certificate `cert_der` (e.g. [`Signer::cert_der`]) names the CA certificate
/// `ca_cert_der` as its issuer and carries a valid signature by that CA's key.
///
/// [`verify`] proves only that the signer holds the key of the certificate *included in the
/// message*; nothing in CMS stops a sender from making their own certificate with any issuer
/// name and serial. Comparing [`Signer::issuer`] / [`Signer::serial_hex`] with the terminal's
/// registration (A0035 / A0036) is therefore only meaningful after this check against the
/// real CA certificate, or when the caller compares the whole `cert_der` with a registered
/// copy. Checks the signature only: no validity dates, key usage, constraints or revocation.
/// Supports RSA PKCS#1 v1.5 (SHA-1/256/384/512) and ECDSA P-256 / P-384 (SHA-256/384) CAs.
pub fn check_issued_by(cert_der: &[u8], ca_cert_der: &[u8]) -> Result<(), SmimeError> {
    let decode_err = |e: der::Error| SmimeError::CertificateDecode(e.to_string());
    let cert = Certificate::from_der(cert_der).map_err(decode_err)?;
    let ca = Certificate::from_der(ca_cert_der).map_err(decode_err)?;
    if cert.tbs_certificate.issuer != ca.tbs_certificate.subject {
        return Err(SmimeError::IssuerMismatch);
    }
    // The signed bytes are the TBSCertificate exactly as received.
    let tbs = {
        use der::Reader as _;
        let mut reader = der::SliceReader::new(cert_der).map_err(decode_err)?;
        der::Header::decode(&mut reader).map_err(decode_err)?;
        reader.tlv_bytes().map_err(decode_err)?
    };
    let signature = cert
        .signature
        .as_bytes()
        .ok_or(SmimeError::CertificateSignature)?;
    let spki = &ca.tbs_certificate.subject_public_key_info;
    let key = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| SmimeError::UnsupportedKey("CA public key bit string".into()))?;
    let sig_oid = cert.signature_algorithm.oid;
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
    use ring::signature as rs;
    let alg: &'static dyn rs::VerificationAlgorithm = if spki.algorithm.oid == OID_RSA_ENCRYPTION {
        match sig_oid {
            o if o == OID_SHA1_WITH_RSA => &rs::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
            o if o == OID_SHA256_WITH_RSA => &rs::RSA_PKCS1_2048_8192_SHA256,
            o if o == OID_SHA384_WITH_RSA => &rs::RSA_PKCS1_2048_8192_SHA384,
            o if o == OID_SHA512_WITH_RSA => &rs::RSA_PKCS1_2048_8192_SHA512,
            o => return Err(SmimeError::UnsupportedSignatureAlgorithm(o.to_string())),
        }
    } else if spki.algorithm.oid == OID_EC_PUBLIC_KEY {
        let p256 = curve == Some(OID_SECP256R1);
        let p384 = curve == Some(OID_SECP384R1);
        match sig_oid {
            o if o == OID_ECDSA_WITH_SHA256 && p256 => &rs::ECDSA_P256_SHA256_ASN1,
            o if o == OID_ECDSA_WITH_SHA384 && p256 => &rs::ECDSA_P256_SHA384_ASN1,
            o if o == OID_ECDSA_WITH_SHA256 && p384 => &rs::ECDSA_P384_SHA256_ASN1,
            o if o == OID_ECDSA_WITH_SHA384 && p384 => &rs::ECDSA_P384_SHA384_ASN1,
            o => {
                return Err(SmimeError::UnsupportedSignatureAlgorithm(format!(
                    "{o} with curve {:?}",
                    curve.map(|c| c.to_string())
                )))
            }
        }
    } else {
        return Err(SmimeError::UnsupportedKey(format!(
            "CA key algorithm {}",
            spki.algorithm.oid
        )));
    };
    rs::UnparsedPublicKey::new(alg, key)
        .verify(tbs, signature)
        .map_err(|_| SmimeError::CertificateSignature)
}

/// Which key type the SignerInfo's signature algorithm needs; rejects algorithms whose
/// implied hash contradicts the SignerInfo's digest algorithm.
fn signature_key_kind(si: &SignerInfo, hash: Hash) -> Result<KeyKind, SmimeError> {
    let oid = si.signature_algorithm.oid;
    let (kind, implied) = if oid == OID_RSA_ENCRYPTION {
        (KeyKind::Rsa, None)
    } else if oid == OID_SHA1_WITH_RSA {
        (KeyKind::Rsa, Some(Hash::Sha1))
    } else if oid == OID_SHA256_WITH_RSA {
        (KeyKind::Rsa, Some(Hash::Sha256))
    } else if oid == OID_EC_PUBLIC_KEY {
        (KeyKind::EcdsaP256, None)
    } else if oid == OID_ECDSA_WITH_SHA1 {
        (KeyKind::EcdsaP256, Some(Hash::Sha1))
    } else if oid == OID_ECDSA_WITH_SHA256 {
        (KeyKind::EcdsaP256, Some(Hash::Sha256))
    } else {
        return Err(SmimeError::UnsupportedSignatureAlgorithm(oid.to_string()));
    };
    match implied {
        Some(h) if h != hash => Err(SmimeError::UnsupportedSignatureAlgorithm(format!(
            "{oid} with digest {}",
            si.digest_alg.oid
        ))),
        _ => Ok(kind),
    }
}

fn find_signer_certificate<'a>(
    sd: &'a SignedData,
    sid: &SignerIdentifier,
) -> Option<&'a Certificate> {
    let certs = sd.certificates.as_ref()?;
    certs.0.iter().find_map(|choice| {
        let CertificateChoices::Certificate(cert) = choice else {
            return None;
        };
        let tbs = &cert.tbs_certificate;
        let matches = match sid {
            SignerIdentifier::IssuerAndSerialNumber(ias) => {
                tbs.issuer == ias.issuer && tbs.serial_number == ias.serial_number
            }
            SignerIdentifier::SubjectKeyIdentifier(ski) => {
                subject_key_identifier(cert).as_deref() == Some(ski.0.as_bytes())
            }
        };
        matches.then_some(cert)
    })
}

fn subject_key_identifier(cert: &Certificate) -> Option<Vec<u8>> {
    let exts = cert.tbs_certificate.extensions.as_ref()?;
    let ext = exts
        .iter()
        .find(|e| e.extn_id == OID_SUBJECT_KEY_IDENTIFIER)?;
    let ski = OctetString::from_der(ext.extn_value.as_bytes()).ok()?;
    Some(ski.as_bytes().to_vec())
}

/// RFC 5652 5.3 / 11: with signed attributes present, content-type must be present and equal
/// the encapsulated content type (id-data), and message-digest must equal the content digest.
fn check_signed_attributes(
    attrs: &x509_cert::attr::Attributes,
    hash: Hash,
    entity: &[u8],
) -> Result<(), SmimeError> {
    let single_value = |oid: ObjectIdentifier, name: &'static str| {
        let mut found = attrs.iter().filter(|a| a.oid == oid);
        let attr = found.next().ok_or(SmimeError::BadSignedAttribute(name))?;
        if found.next().is_some() || attr.values.len() != 1 {
            return Err(SmimeError::BadSignedAttribute(name));
        }
        attr.values
            .iter()
            .next()
            .ok_or(SmimeError::BadSignedAttribute(name))
    };

    let ct: ObjectIdentifier = single_value(OID_CONTENT_TYPE, "content-type")?
        .decode_as()
        .map_err(|_| SmimeError::BadSignedAttribute("content-type"))?;
    if ct != OID_DATA {
        return Err(SmimeError::ContentTypeMismatch);
    }
    let md: OctetString = single_value(OID_MESSAGE_DIGEST, "message-digest")?
        .decode_as()
        .map_err(|_| SmimeError::BadSignedAttribute("message-digest"))?;
    if md.as_bytes() != hash.digest(entity).as_slice() {
        return Err(SmimeError::DigestMismatch);
    }
    Ok(())
}

fn hex_upper(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(HEX[usize::from(b >> 4)] as char);
        s.push(HEX[usize::from(b & 0x0f)] as char);
    }
    s
}

#[cfg(test)]
mod signing;

#[cfg(test)]
pub(crate) mod tests {
    use super::signing::*;
    use super::*;
    use cms::cert::IssuerAndSerialNumber;
    use cms::signed_data::SignerInfos;
    use der::asn1::SetOfVec;
    use der::Any;
    use p256::ecdsa::signature::hazmat::PrehashSigner;
    use p256::ecdsa::signature::{Keypair, Signer as SignatureSigner};
    use p256::pkcs8::DecodePrivateKey;
    use rsa::pkcs8::EncodePrivateKey;
    use std::sync::OnceLock;
    use x509_cert::ext::pkix::SubjectKeyIdentifier;
    use x509_cert::spki::{
        AlgorithmIdentifierOwned, DynSignatureAlgorithmIdentifier, SignatureBitStringEncoding,
    };

    const MESSAGE: &str = "IDA                                          ABCDE001MATKHAU1TERM01\r\n\
                           Tờ khai nhập khẩu: hàng hóa mẫu 0123456789\r\n";
    const EE_SERIAL: [u8; 8] = [0x54, 0x03, 0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6];

    fn dn(cn: &str, o: &str) -> rcgen::DistinguishedName {
        let mut dn = rcgen::DistinguishedName::new();
        dn.push(rcgen::DnType::CountryName, "VN");
        dn.push(rcgen::DnType::OrganizationName, o);
        dn.push(rcgen::DnType::CommonName, cn);
        dn
    }

    /// A CA (ECDSA P-256) and an end-entity certificate for `ee_key`.
    fn issue_cert(ee_key: &rcgen::KeyPair, serial: &[u8]) -> (Certificate, Vec<u8>) {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca.distinguished_name = dn("Outpost Test CA", "Outpost Test");
        let ca_cert = ca.self_signed(&ca_key).unwrap();

        let mut ee = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ee.is_ca = rcgen::IsCa::ExplicitNoCa;
        ee.serial_number = Some(rcgen::SerialNumber::from_slice(serial));
        ee.distinguished_name = dn("Declarant 0100112233", "Cong ty Mau");
        ee.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
        let cert = ee.signed_by(ee_key, &ca_cert, &ca_key).unwrap();
        (
            Certificate::from_der(cert.der()).unwrap(),
            ca_cert.der().to_vec(),
        )
    }

    struct EcPki {
        key: p256::ecdsa::SigningKey,
        cert: Certificate,
        ca_der: Vec<u8>,
    }

    fn ec_pki(serial: &[u8]) -> EcPki {
        let kp = rcgen::KeyPair::generate().unwrap();
        let key = p256::ecdsa::SigningKey::from_pkcs8_der(kp.serialized_der()).unwrap();
        let (cert, ca_der) = issue_cert(&kp, serial);
        EcPki { key, cert, ca_der }
    }

    struct RsaPki {
        key: rsa::RsaPrivateKey,
        cert: Certificate,
        ca_der: Vec<u8>,
    }

    /// RSA key generation is slow: one 2048-bit key for all tests.
    fn rsa_pki() -> &'static RsaPki {
        static PKI: OnceLock<RsaPki> = OnceLock::new();
        PKI.get_or_init(|| {
            let key = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 2048).unwrap();
            let pkcs8 = key.to_pkcs8_der().unwrap();
            let kp = rcgen::KeyPair::from_pkcs8_der_and_sign_algo(
                &rustls_pki_types::PrivatePkcs8KeyDer::from(pkcs8.as_bytes().to_vec()),
                &rcgen::PKCS_RSA_SHA256,
            )
            .unwrap();
            let (cert, ca_der) =
                issue_cert(&kp, &[0x00, 0x9A, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70]);
            RsaPki { key, cert, ca_der }
        })
    }

    /// Wraps a signer but announces another signature algorithm OID in the SignerInfo
    /// (e.g. plain rsaEncryption, as Windows CryptoAPI / .NET SignedCms write it).
    struct AlgOverride<K> {
        inner: K,
        alg: ObjectIdentifier,
    }

    impl<K: Keypair> Keypair for AlgOverride<K> {
        type VerifyingKey = K::VerifyingKey;
        fn verifying_key(&self) -> K::VerifyingKey {
            self.inner.verifying_key()
        }
    }

    impl<K> DynSignatureAlgorithmIdentifier for AlgOverride<K> {
        fn signature_algorithm_identifier(
            &self,
        ) -> x509_cert::spki::Result<AlgorithmIdentifierOwned> {
            Ok(AlgorithmIdentifierOwned {
                oid: self.alg,
                parameters: None,
            })
        }
    }

    impl<K: SignatureSigner<S>, S> SignatureSigner<S> for AlgOverride<K> {
        fn try_sign(&self, msg: &[u8]) -> Result<S, p256::ecdsa::signature::Error> {
            self.inner.try_sign(msg)
        }
    }

    /// ECDSA P-256 with SHA-1 (ecdsa-with-SHA1), signed by p256 over a SHA-1 prehash.
    struct EcdsaSha1(p256::ecdsa::SigningKey);

    impl Keypair for EcdsaSha1 {
        type VerifyingKey = p256::ecdsa::VerifyingKey;
        fn verifying_key(&self) -> p256::ecdsa::VerifyingKey {
            *self.0.verifying_key()
        }
    }

    impl DynSignatureAlgorithmIdentifier for EcdsaSha1 {
        fn signature_algorithm_identifier(
            &self,
        ) -> x509_cert::spki::Result<AlgorithmIdentifierOwned> {
            Ok(AlgorithmIdentifierOwned {
                oid: OID_ECDSA_WITH_SHA1,
                parameters: None,
            })
        }
    }

    impl SignatureSigner<p256::ecdsa::DerSignature> for EcdsaSha1 {
        fn try_sign(
            &self,
            msg: &[u8],
        ) -> Result<p256::ecdsa::DerSignature, p256::ecdsa::signature::Error> {
            let sig: p256::ecdsa::Signature = self.0.sign_prehash(&Sha1::digest(msg))?;
            Ok(sig.to_der())
        }
    }

    #[derive(Clone, Copy)]
    struct Opts {
        hash: Hash,
        use_ski: bool,
        include_cert: bool,
    }

    const DEFAULT: Opts = Opts {
        hash: Hash::Sha256,
        use_ski: false,
        include_cert: true,
    };

    /// Detached CMS SignedData over `entity`, with the options' digest,
    /// signer identifier and certificate.
    fn sign<S, Sig>(signer: &S, cert: &Certificate, entity: &[u8], o: Opts) -> Vec<u8>
    where
        S: Keypair + DynSignatureAlgorithmIdentifier + SignatureSigner<Sig>,
        Sig: SignatureBitStringEncoding,
    {
        let digest_alg = match o.hash {
            Hash::Sha1 => OID_SHA1,
            Hash::Sha256 => OID_SHA256,
        };
        let sid = if o.use_ski {
            let ski = subject_key_identifier(cert).expect("test cert has an SKI");
            SignerIdentifier::SubjectKeyIdentifier(SubjectKeyIdentifier(
                OctetString::new(ski).unwrap(),
            ))
        } else {
            issuer_and_serial(cert)
        };
        let md = o.hash.digest(entity);
        sign_detached(signer, sid, digest_alg, &md, o.include_cert.then_some(cert))
    }

    /// A signed body for `message` as the official client sends it, with
    /// its Content-Type, the signing certificate and its CA (for tests of
    /// the service that receives it).
    pub(crate) fn signed_request(message: &str) -> (String, Vec<u8>, Vec<u8>, Vec<u8>) {
        let pki = ec_pki(&EE_SERIAL);
        let (ct, body) = signed_body(&pki.key, &pki.cert, message);
        (ct, body, pki.cert.to_der().unwrap(), pki.ca_der)
    }

    fn sign_ec(
        key: &p256::ecdsa::SigningKey,
        cert: &Certificate,
        entity: &[u8],
        o: Opts,
    ) -> Vec<u8> {
        sign::<_, p256::ecdsa::DerSignature>(key, cert, entity, o)
    }

    /// Rewrite a SignedData's only SignerInfo.
    fn edit_signer(p7s: &[u8], f: impl FnOnce(&mut SignerInfo)) -> Vec<u8> {
        let ci = ContentInfo::from_der(p7s).unwrap();
        let mut sd: SignedData = ci.content.decode_as().unwrap();
        let mut si = sd.signer_infos.0.as_slice()[0].clone();
        f(&mut si);
        sd.signer_infos = SignerInfos(SetOfVec::try_from(vec![si]).unwrap());
        ContentInfo {
            content_type: ci.content_type,
            content: Any::encode_from(&sd).unwrap(),
        }
        .to_der()
        .unwrap()
    }

    fn split_and_verify(ct: &str, body: &[u8]) -> Result<(SignedParts, Signer), SmimeError> {
        let parts = split_signed(ct, body)?;
        let signer = verify(&parts)?;
        Ok((parts, signer))
    }

    fn ec_body(pki: &EcPki) -> (Vec<u8>, Vec<u8>) {
        let ent = entity(MESSAGE);
        let p7s = sign_ec(&pki.key, &pki.cert, &ent, DEFAULT);
        (assemble(BOUNDARY, &ent, &p7s), p7s)
    }

    #[test]
    fn valid_bodies_verify_for_every_algorithm() {
        let ec = ec_pki(&EE_SERIAL);
        let rsa = rsa_pki();
        let ent = entity(MESSAGE);
        let sha1 = Opts {
            hash: Hash::Sha1,
            ..DEFAULT
        };
        let rsa_sha1 = rsa::pkcs1v15::SigningKey::<Sha1>::new(rsa.key.clone());
        let rsa_sha256 = rsa::pkcs1v15::SigningKey::<Sha256>::new(rsa.key.clone());
        let cases: Vec<(&str, Vec<u8>, &Certificate)> = vec![
            (
                "ecdsa-with-SHA256",
                sign_ec(&ec.key, &ec.cert, &ent, DEFAULT),
                &ec.cert,
            ),
            (
                "ecdsa-with-SHA256, subjectKeyIdentifier sid",
                sign_ec(
                    &ec.key,
                    &ec.cert,
                    &ent,
                    Opts {
                        use_ski: true,
                        ..DEFAULT
                    },
                ),
                &ec.cert,
            ),
            (
                "ecdsa-with-SHA1",
                sign::<_, p256::ecdsa::DerSignature>(
                    &EcdsaSha1(ec.key.clone()),
                    &ec.cert,
                    &ent,
                    sha1,
                ),
                &ec.cert,
            ),
            (
                "id-ecPublicKey as signature algorithm, SHA-256",
                sign::<_, p256::ecdsa::DerSignature>(
                    &AlgOverride {
                        inner: ec.key.clone(),
                        alg: OID_EC_PUBLIC_KEY,
                    },
                    &ec.cert,
                    &ent,
                    DEFAULT,
                ),
                &ec.cert,
            ),
            (
                "sha1WithRSAEncryption",
                sign(&rsa_sha1, &rsa.cert, &ent, sha1),
                &rsa.cert,
            ),
            (
                "sha256WithRSAEncryption",
                sign(&rsa_sha256, &rsa.cert, &ent, DEFAULT),
                &rsa.cert,
            ),
            (
                "rsaEncryption + SHA-1 (what .NET SignedCms writes)",
                sign::<_, rsa::pkcs1v15::Signature>(
                    &AlgOverride {
                        inner: rsa_sha1.clone(),
                        alg: OID_RSA_ENCRYPTION,
                    },
                    &rsa.cert,
                    &ent,
                    sha1,
                ),
                &rsa.cert,
            ),
            (
                "rsaEncryption + SHA-256, subjectKeyIdentifier sid",
                sign::<_, rsa::pkcs1v15::Signature>(
                    &AlgOverride {
                        inner: rsa_sha256.clone(),
                        alg: OID_RSA_ENCRYPTION,
                    },
                    &rsa.cert,
                    &ent,
                    Opts {
                        use_ski: true,
                        ..DEFAULT
                    },
                ),
                &rsa.cert,
            ),
            (
                "RSA SHA-256 without signed attributes",
                edit_signer(&sign(&rsa_sha256, &rsa.cert, &ent, DEFAULT), |si| {
                    si.signed_attrs = None;
                    let sig: rsa::pkcs1v15::Signature = rsa_sha256.sign(&ent);
                    si.signature = OctetString::new(Box::<[u8]>::from(sig).to_vec()).unwrap();
                }),
                &rsa.cert,
            ),
            (
                "ECDSA SHA-256 without signed attributes",
                edit_signer(&sign_ec(&ec.key, &ec.cert, &ent, DEFAULT), |si| {
                    si.signed_attrs = None;
                    let sig: p256::ecdsa::DerSignature = ec.key.sign(&ent);
                    si.signature = OctetString::new(sig.as_bytes()).unwrap();
                }),
                &ec.cert,
            ),
        ];
        for (name, p7s, cert) in cases {
            let body = assemble(BOUNDARY, &ent, &p7s);
            let (parts, signer) = split_and_verify(&content_type(BOUNDARY), &body)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(parts.content, MESSAGE.as_bytes(), "{name}");
            assert_eq!(parts.signed_entity, ent, "{name}");
            assert_eq!(
                parts.entity_content_type.as_deref(),
                Some("text/plain; charset=UTF-8"),
                "{name}"
            );
            assert_eq!(parts.micalg.as_deref(), Some("sha1"), "{name}");
            assert_eq!(
                signer.issuer, "CN=Outpost Test CA,O=Outpost Test,C=VN",
                "{name}"
            );
            assert_eq!(
                signer.subject, "CN=Declarant 0100112233,O=Cong ty Mau,C=VN",
                "{name}"
            );
            assert_eq!(signer.cert_der, cert.to_der().unwrap(), "{name}");
            let expected_serial = hex_upper(cert.tbs_certificate.serial_number.as_bytes());
            assert_eq!(signer.serial_hex, expected_serial, "{name}");
        }
    }

    #[test]
    fn serial_and_issuer_are_reported_as_encoded() {
        let ec = ec_pki(&EE_SERIAL);
        let (body, _) = ec_body(&ec);
        let (_, signer) = split_and_verify(&content_type(BOUNDARY), &body).unwrap();
        assert_eq!(signer.serial_hex, "5403A1B2C3D4E5F6");
        // A serial with the top bit set keeps the 00 octet DER needs.
        assert_eq!(
            hex_upper(rsa_pki().cert.tbs_certificate.serial_number.as_bytes()),
            "009A10203040506070"
        );
        assert_eq!(SmimeError::BadSignature.result_code(), "A0034");
    }

    #[test]
    fn content_type_variants_are_accepted() {
        let ec = ec_pki(&EE_SERIAL);
        let (body, _) = ec_body(&ec);
        for ct in [
            format!(
                "multipart/signed;protocol=\"application/x-pkcs7-signature\";micalg=sha1;boundary={BOUNDARY}"
            ),
            format!(
                "Multipart/Signed; BOUNDARY=\"{BOUNDARY}\"; Protocol=\"application/pkcs7-signature\"; MICALG=SHA-256"
            ),
            format!(
                "multipart/signed; boundary = \"{BOUNDARY}\" ; protocol = application/x-pkcs7-signature"
            ),
        ] {
            split_and_verify(&ct, &body).unwrap_or_else(|e| panic!("{ct}: {e}"));
        }
        // Body without preamble: the first delimiter opens the body.
        let start = body.windows(2).position(|w| w == b"--").unwrap();
        split_and_verify(&content_type(BOUNDARY), &body[start..]).unwrap();
    }

    #[test]
    fn tampering_is_rejected() {
        let ec = ec_pki(&EE_SERIAL);
        let ent = entity(MESSAGE);
        let (body, p7s) = ec_body(&ec);
        let ct = content_type(BOUNDARY);

        // One flipped byte in the message text.
        let text_pos = find(&body, b"ABCDE001").unwrap();
        let mut b = body.clone();
        b[text_pos] ^= 0x01;
        assert_eq!(
            split_and_verify(&ct, &b).unwrap_err(),
            SmimeError::DigestMismatch
        );

        // One flipped byte in the entity header (part of what is signed).
        let hdr_pos = find(&body, b"text/plain").unwrap();
        let mut b = body.clone();
        b[hdr_pos] ^= 0x20;
        assert_eq!(
            split_and_verify(&ct, &b).unwrap_err(),
            SmimeError::DigestMismatch
        );

        // One flipped byte in the signature value.
        let sig_value = {
            let ci = ContentInfo::from_der(&p7s).unwrap();
            let sd: SignedData = ci.content.decode_as().unwrap();
            sd.signer_infos.0.as_slice()[0]
                .signature
                .as_bytes()
                .to_vec()
        };
        let pos = find(&p7s, &sig_value).unwrap() + sig_value.len() - 1;
        let mut bad = p7s.clone();
        bad[pos] ^= 0x01;
        assert_eq!(
            split_and_verify(&ct, &assemble(BOUNDARY, &ent, &bad)).unwrap_err(),
            SmimeError::BadSignature
        );

        // Every single flipped byte of the DER signature: never panics, never verifies
        // with a changed identity.
        let genuine_cert = ec.cert.to_der().unwrap();
        // encapContentInfo { id-data }: everything before it is the SignedData header.
        let eci_pos = find(
            &p7s,
            &[
                0x30, 0x0B, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01,
            ],
        )
        .unwrap();
        for i in 0..p7s.len() {
            let mut bad = p7s.clone();
            bad[i] ^= 0x80;
            let parts = SignedParts {
                signed_entity: ent.clone(),
                content: MESSAGE.as_bytes().to_vec(),
                entity_content_type: None,
                micalg: None,
                signature: bad,
            };
            if let Ok(s) = verify(&parts) {
                // Only bytes that are neither signed nor checked may change without failing
                // here: the SignedData digestAlgorithms list, or the included certificate
                // outside issuer and serial (which the sid pins). A changed certificate
                // no longer chains to the CA.
                assert_eq!(s.serial_hex, "5403A1B2C3D4E5F6", "byte {i}");
                assert_eq!(
                    s.issuer, "CN=Outpost Test CA,O=Outpost Test,C=VN",
                    "byte {i}"
                );
                if s.cert_der != genuine_cert {
                    assert!(
                        check_issued_by(&s.cert_der, &ec.ca_der).is_err(),
                        "byte {i}"
                    );
                } else {
                    assert!(i < eci_pos, "byte {i}");
                }
            }
        }

        // Signature made with another key, the genuine certificate included.
        let other = ec_pki(&EE_SERIAL);
        let forged = sign_ec(&other.key, &ec.cert, &ent, DEFAULT);
        assert_eq!(
            split_and_verify(&ct, &assemble(BOUNDARY, &ent, &forged)).unwrap_err(),
            SmimeError::BadSignature
        );

        // RSA: another message's signature on this message.
        let rsa = rsa_pki();
        let k = rsa::pkcs1v15::SigningKey::<Sha256>::new(rsa.key.clone());
        let other_ent = entity("IDA other\r\n");
        let p = sign(&k, &rsa.cert, &other_ent, DEFAULT);
        assert_eq!(
            split_and_verify(&ct, &assemble(BOUNDARY, &ent, &p)).unwrap_err(),
            SmimeError::DigestMismatch
        );
        // RSA: flipped signature byte.
        let p = sign(&k, &rsa.cert, &ent, DEFAULT);
        let p = edit_signer(&p, |si| {
            let mut v = si.signature.as_bytes().to_vec();
            v[10] ^= 0x04;
            si.signature = OctetString::new(v).unwrap();
        });
        assert_eq!(
            split_and_verify(&ct, &assemble(BOUNDARY, &ent, &p)).unwrap_err(),
            SmimeError::BadSignature
        );
        // Signature without signed attributes over another content.
        let p = edit_signer(&sign(&k, &rsa.cert, &ent, DEFAULT), |si| {
            si.signed_attrs = None;
            let sig: rsa::pkcs1v15::Signature = k.sign(&other_ent);
            si.signature = OctetString::new(Box::<[u8]>::from(sig).to_vec()).unwrap();
        });
        assert_eq!(
            split_and_verify(&ct, &assemble(BOUNDARY, &ent, &p)).unwrap_err(),
            SmimeError::BadSignature
        );
    }

    #[test]
    fn cms_structure_errors() {
        let ec = ec_pki(&EE_SERIAL);
        let ent = entity(MESSAGE);
        let ct = content_type(BOUNDARY);
        let check = |p7s: &[u8], want: fn(&SmimeError) -> bool| {
            let err = split_and_verify(&ct, &assemble(BOUNDARY, &ent, p7s)).unwrap_err();
            assert!(want(&err), "unexpected {err:?}");
            assert_eq!(err.result_code(), "A0034");
        };
        // Certificate not included.
        let p = sign_ec(
            &ec.key,
            &ec.cert,
            &ent,
            Opts {
                include_cert: false,
                ..DEFAULT
            },
        );
        check(&p, |e| *e == SmimeError::SignerCertificateNotFound);
        // Certificate of someone else (sid does not match).
        let other = ec_pki(&[0x01, 0x02]);
        let p = sign_ec(&other.key, &other.cert, &ent, DEFAULT);
        let p = edit_signer(&p, |si| {
            si.sid = SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
                issuer: ec.cert.tbs_certificate.issuer.clone(),
                serial_number: ec.cert.tbs_certificate.serial_number.clone(),
            })
        });
        check(&p, |e| *e == SmimeError::SignerCertificateNotFound);
        // Unsupported digest (SHA-512 OID).
        let p = edit_signer(&sign_ec(&ec.key, &ec.cert, &ent, DEFAULT), |si| {
            si.digest_alg.oid = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");
        });
        check(&p, |e| matches!(e, SmimeError::UnsupportedDigest(_)));
        // Digest and signature algorithm disagree.
        let p = edit_signer(&sign_ec(&ec.key, &ec.cert, &ent, DEFAULT), |si| {
            si.digest_alg.oid = OID_SHA1;
        });
        check(&p, |e| {
            matches!(e, SmimeError::UnsupportedSignatureAlgorithm(_))
        });
        // RSA signature algorithm with an EC key.
        let p = edit_signer(&sign_ec(&ec.key, &ec.cert, &ent, DEFAULT), |si| {
            si.signature_algorithm.oid = OID_SHA256_WITH_RSA;
        });
        check(&p, |e| matches!(e, SmimeError::UnsupportedKey(_)));
        // Message digest attribute removed.
        let p = edit_signer(&sign_ec(&ec.key, &ec.cert, &ent, DEFAULT), |si| {
            let attrs: Vec<_> = si
                .signed_attrs
                .take()
                .unwrap()
                .into_vec()
                .into_iter()
                .filter(|a| a.oid != OID_MESSAGE_DIGEST)
                .collect();
            si.signed_attrs = Some(SetOfVec::try_from(attrs).unwrap());
        });
        check(&p, |e| {
            *e == SmimeError::BadSignedAttribute("message-digest")
        });
        // Not SignedData.
        let p = ContentInfo {
            content_type: OID_DATA,
            content: Any::encode_from(&OctetString::new(b"x".to_vec()).unwrap()).unwrap(),
        }
        .to_der()
        .unwrap();
        check(&p, |e| matches!(e, SmimeError::NotSignedData(_)));
        // Valid base64 of garbage.
        check(b"\x30\x03\x02\x01\x01", |e| {
            matches!(e, SmimeError::CmsDecode(_))
        });
        // Trailing bytes after the DER.
        let mut p = sign_ec(&ec.key, &ec.cert, &ent, DEFAULT);
        p.push(0);
        check(&p, |e| matches!(e, SmimeError::CmsDecode(_)));
        // Every truncation of the DER fails cleanly.
        let p = sign_ec(&ec.key, &ec.cert, &ent, DEFAULT);
        for cut in 0..p.len() {
            let parts = SignedParts {
                signed_entity: ent.clone(),
                content: Vec::new(),
                entity_content_type: None,
                micalg: None,
                signature: p[..cut].to_vec(),
            };
            assert!(verify(&parts).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn structural_errors() {
        let ec = ec_pki(&EE_SERIAL);
        let ent = entity(MESSAGE);
        let (body, p7s) = ec_body(&ec);
        let ct = content_type(BOUNDARY);
        let b64 = base64::engine::general_purpose::STANDARD.encode(&p7s);
        let sig_part = format!(
            "Content-Type: application/x-pkcs7-signature; name=\"smime.p7s\"\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n{b64}\r\n"
        );
        let msg = std::str::from_utf8(&ent).unwrap();
        let b = BOUNDARY;
        let other_boundary = "----AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        let cases: Vec<(&str, String, Vec<u8>, SmimeError)> = vec![
            (
                "wrong boundary",
                content_type(other_boundary),
                body.clone(),
                SmimeError::BoundaryNotFound,
            ),
            (
                "missing boundary",
                "multipart/signed; protocol=\"application/x-pkcs7-signature\"".into(),
                body.clone(),
                SmimeError::MissingBoundary,
            ),
            (
                "empty boundary",
                "multipart/signed; boundary=\"\"; protocol=\"application/x-pkcs7-signature\""
                    .into(),
                body.clone(),
                SmimeError::MissingBoundary,
            ),
            (
                "boundary too long",
                content_type(&"x".repeat(71)),
                body.clone(),
                SmimeError::InvalidBoundary,
            ),
            (
                "unterminated quote",
                format!("multipart/signed; boundary=\"{b}; protocol=x"),
                body.clone(),
                SmimeError::MalformedContentType("unterminated quoted string".into()),
            ),
            (
                "not multipart/signed",
                format!("multipart/mixed; boundary=\"{b}\""),
                body.clone(),
                SmimeError::NotMultipartSigned("multipart/mixed".into()),
            ),
            (
                "wrong protocol",
                format!(
                    "multipart/signed; boundary=\"{b}\"; protocol=\"application/pgp-signature\""
                ),
                body.clone(),
                SmimeError::BadProtocol("application/pgp-signature".into()),
            ),
            (
                "missing protocol",
                format!("multipart/signed; boundary=\"{b}\""),
                body.clone(),
                SmimeError::BadProtocol(String::new()),
            ),
            (
                "missing signature part",
                ct.clone(),
                format!("preamble\r\n--{b}\r\n{msg}\r\n--{b}--\r\n").into_bytes(),
                SmimeError::MissingSignaturePart,
            ),
            (
                "no parts",
                ct.clone(),
                format!("preamble\r\n--{b}--\r\n").into_bytes(),
                SmimeError::NoParts,
            ),
            (
                "three parts",
                ct.clone(),
                format!("--{b}\r\n{msg}\r\n--{b}\r\n{sig_part}\r\n--{b}\r\n{sig_part}\r\n--{b}--\r\n")
                    .into_bytes(),
                SmimeError::TooManyParts,
            ),
            (
                "no close delimiter",
                ct.clone(),
                format!("--{b}\r\n{msg}\r\n--{b}\r\n{sig_part}").into_bytes(),
                SmimeError::MissingCloseDelimiter,
            ),
            (
                "entity without header/body separator",
                ct.clone(),
                format!("--{b}\r\nContent-Type: text/plain\r\nIDA\r\n--{b}\r\n{sig_part}\r\n--{b}--\r\n")
                    .into_bytes(),
                SmimeError::MalformedPart("signed"),
            ),
            (
                "signature part of the wrong type",
                ct.clone(),
                format!(
                    "--{b}\r\n{msg}\r\n--{b}\r\nContent-Type: text/plain\r\n\
                     Content-Transfer-Encoding: base64\r\n\r\n{b64}\r\n--{b}--\r\n"
                )
                .into_bytes(),
                SmimeError::SignaturePartType("text/plain".into()),
            ),
            (
                "signature part not base64",
                ct.clone(),
                format!(
                    "--{b}\r\n{msg}\r\n--{b}\r\nContent-Type: application/x-pkcs7-signature\r\n\
                     Content-Transfer-Encoding: binary\r\n\r\n{b64}\r\n--{b}--\r\n"
                )
                .into_bytes(),
                SmimeError::SignatureEncoding("binary".into()),
            ),
            (
                "bad base64",
                ct.clone(),
                format!(
                    "--{b}\r\n{msg}\r\n--{b}\r\nContent-Type: application/x-pkcs7-signature\r\n\
                     Content-Transfer-Encoding: base64\r\n\r\nMIIB*AAA\r\n--{b}--\r\n"
                )
                .into_bytes(),
                SmimeError::BadBase64,
            ),
            (
                "empty signature",
                ct.clone(),
                format!(
                    "--{b}\r\n{msg}\r\n--{b}\r\nContent-Type: application/x-pkcs7-signature\r\n\
                     Content-Transfer-Encoding: base64\r\n\r\n\r\n--{b}--\r\n"
                )
                .into_bytes(),
                SmimeError::EmptySignature,
            ),
            (
                "bare LF line ends",
                ct.clone(),
                String::from_utf8(body.clone())
                    .unwrap()
                    .replace("\r\n", "\n")
                    .into_bytes(),
                SmimeError::BoundaryNotFound,
            ),
        ];
        for (name, ct, body, want) in cases {
            let got = split_signed(&ct, &body);
            assert_eq!(got, Err(want), "{name}");
        }
        // A boundary-like line that is longer than the boundary is content, not a delimiter.
        let tricky = entity(&format!("--{b}X\r\n{MESSAGE}"));
        let p = sign_ec(&ec.key, &ec.cert, &tricky, DEFAULT);
        let (parts, _) = split_and_verify(&ct, &assemble(b, &tricky, &p)).unwrap();
        assert_eq!(parts.signed_entity, tricky);
    }

    #[test]
    fn certificate_must_chain_to_the_registered_ca() {
        let ec = ec_pki(&EE_SERIAL);
        let rsa = rsa_pki();
        let ct = content_type(BOUNDARY);
        check_issued_by(&ec.cert.to_der().unwrap(), &ec.ca_der).unwrap();
        check_issued_by(&rsa.cert.to_der().unwrap(), &rsa.ca_der).unwrap();

        // A self-made certificate copying the genuine issuer name and serial (every ec_pki
        // call makes a new CA key with the same name): the CMS signature verifies and
        // reports the same issuer and serial ...
        let forger = ec_pki(&EE_SERIAL);
        let (_, s) = split_and_verify(&ct, &ec_body(&forger).0).unwrap();
        let (_, genuine) = split_and_verify(&ct, &ec_body(&ec).0).unwrap();
        assert_eq!(
            (&s.issuer, &s.serial_hex),
            (&genuine.issuer, &genuine.serial_hex)
        );
        // ... but it does not chain to the real CA.
        assert_eq!(
            check_issued_by(&s.cert_der, &ec.ca_der),
            Err(SmimeError::CertificateSignature)
        );
        check_issued_by(&s.cert_der, &forger.ca_der).unwrap();

        // Issuer name differs from the CA's subject.
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca.distinguished_name = dn("Another CA", "Elsewhere");
        let another = ca
            .self_signed(&rcgen::KeyPair::generate().unwrap())
            .unwrap();
        assert_eq!(
            check_issued_by(&ec.cert.to_der().unwrap(), another.der()),
            Err(SmimeError::IssuerMismatch)
        );
        // Garbage and truncations.
        assert!(matches!(
            check_issued_by(b"\x30\x00", &ec.ca_der),
            Err(SmimeError::CertificateDecode(_))
        ));
        let der = ec.cert.to_der().unwrap();
        for cut in 0..der.len() {
            assert!(check_issued_by(&der[..cut], &ec.ca_der).is_err());
            assert!(check_issued_by(&der, &ec.ca_der[..cut.min(ec.ca_der.len() - 1)]).is_err());
        }
    }

    #[test]
    fn signers_are_checked_against_the_terminal_registration() {
        let ec = ec_pki(&EE_SERIAL);
        let ct = content_type(BOUNDARY);
        let (_, genuine) = split_and_verify(&ct, &ec_body(&ec).0).unwrap();
        let forger = ec_pki(&EE_SERIAL);
        let (_, forged) = split_and_verify(&ct, &ec_body(&forger).0).unwrap();
        let other_serial = ec_pki(&[0x01, 0x02]);
        let (_, other) = split_and_verify(&ct, &ec_body(&other_serial).0).unwrap();
        let (issuer, serial) = certificate_identity(&genuine.cert_der).unwrap();
        assert_eq!(
            (issuer.as_str(), serial.as_str()),
            (genuine.issuer.as_str(), "5403A1B2C3D4E5F6")
        );
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca.distinguished_name = dn("Another CA", "Elsewhere");
        let another = ca
            .self_signed(&rcgen::KeyPair::generate().unwrap())
            .unwrap();
        let reg = |ca_der: &[u8], serial: &str| Registration {
            ca_der: ca_der.to_vec(),
            serial_hex: serial.into(),
        };
        let rows: Vec<(&str, &Signer, Registration, Result<(), &str>)> = vec![
            (
                "registered CA and serial",
                &genuine,
                reg(&ec.ca_der, "5403A1B2C3D4E5F6"),
                Ok(()),
            ),
            (
                "another serial from the registered CA",
                &genuine,
                reg(&ec.ca_der, "0102"),
                Err("A0036"),
            ),
            (
                "certificate of another CA",
                &genuine,
                reg(another.der(), "5403A1B2C3D4E5F6"),
                Err("A0035"),
            ),
            (
                "look-alike of the registered CA",
                &forged,
                reg(&ec.ca_der, "5403A1B2C3D4E5F6"),
                Err("A0034"),
            ),
            (
                "the other serial's own CA",
                &other,
                reg(&other_serial.ca_der, "0102"),
                Ok(()),
            ),
        ];
        for (name, signer, registration, want) in rows {
            assert_eq!(check_registered(signer, &registration), want, "{name}");
        }
        assert!(certificate_identity(b"not a certificate").is_err());
    }

    #[test]
    fn truncated_bodies_fail_and_never_panic() {
        let ec = ec_pki(&EE_SERIAL);
        let (body, _) = ec_body(&ec);
        let ct = content_type(BOUNDARY);
        // The body is complete once the close delimiter's "--" is there.
        let close = find(&body, format!("--{BOUNDARY}--").as_bytes()).unwrap();
        let complete = close + BOUNDARY.len() + 4;
        for cut in (0..body.len()).step_by(3) {
            let r = split_and_verify(&ct, &body[..cut]);
            if cut < complete {
                assert!(r.is_err(), "cut at {cut} of {}", body.len());
            } else {
                assert!(r.is_ok(), "cut at {cut} (epilogue only)");
            }
        }
    }

    #[test]
    fn garbage_never_panics() {
        let ec = ec_pki(&EE_SERIAL);
        let (body, _) = ec_body(&ec);
        let ct = content_type(BOUNDARY);
        let entity_range = {
            let start = find(&body, b"Content-Type: text/plain").unwrap();
            let end = find(&body[start..], format!("\r\n--{BOUNDARY}").as_bytes()).unwrap();
            start..start + end
        };
        // xorshift64*: deterministic pseudo-random bytes.
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            state.wrapping_mul(0x2545_F491_4F6C_DD1D)
        };
        for round in 0..300 {
            // Random bytes, sometimes starting with a plausible delimiter.
            let len = (next() % 600) as usize;
            let mut g: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            if round % 3 == 0 {
                let mut v = format!("--{BOUNDARY}\r\n").into_bytes();
                v.append(&mut g);
                g = v;
            }
            assert!(split_and_verify(&ct, &g).is_err(), "round {round}");
            // Random Content-Type strings.
            let s: String = (0..(next() % 80))
                .map(|_| char::from(b" ;=\"\\abmprt/-x\xE1"[(next() % 15) as usize]))
                .collect();
            let _ = split_signed(&s, &body);
            // Random single-byte changes of a valid body.
            let mut m = body.clone();
            let pos = (next() as usize) % m.len();
            m[pos] = next() as u8;
            if m[pos] != body[pos] && entity_range.contains(&pos) {
                assert!(split_and_verify(&ct, &m).is_err(), "mutation at {pos}");
            } else {
                let _ = split_and_verify(&ct, &m);
            }
        }
        assert!(split_and_verify("", b"").is_err());
        assert!(split_and_verify(&ct, b"").is_err());
        assert!(split_and_verify(&ct, b"\r\n").is_err());
        assert!(split_and_verify(&ct, format!("--{BOUNDARY}").as_bytes()).is_err());
    }

    fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
        hay.windows(needle.len()).position(|w| w == needle)
    }
}
