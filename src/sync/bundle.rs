//! The bundle an officer carries when the network is down: one file with
//! the site's events, a manifest (site, sequence range, count, size and
//! SHA-256 of the events) and the site's Ed25519 signature over the
//! manifest. The manifest and signature come last so that export can
//! stream the events; a file without its end marker is truncated.
//!
//! ```text
//! MAGIC | framed events … | manifest (JSON) | signature (64) |
//! manifest length (u32 BE) | signature length (u32 BE) | END
//! ```

use ring::digest::{Context, SHA256};
use ring::signature::{Ed25519KeyPair, UnparsedPublicKey, ED25519};
use serde::{Deserialize, Serialize};

use super::batch::{decode_frames, Event, FrameError};

pub const MAGIC: &[u8; 16] = b"OUTPOST-BUNDLE/1";
pub const END: &[u8; 8] = b"/OUTPOST";
/// What the signature covers besides the manifest, so that a signature made
/// for anything else with the same key can never pass as a bundle's.
const CONTEXT: &[u8] = b"outpost bundle manifest v1\0";
const TRAILER: usize = 4 + 4 + END.len();
/// A manifest is a few hundred bytes of JSON.
const MAX_MANIFEST: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub site: u16,
    pub site_name: String,
    /// Sequence range of the events, both ends included.
    pub first_seq: u64,
    pub last_seq: u64,
    pub count: u64,
    /// Size of the events section, bytes.
    pub events_bytes: u64,
    /// SHA-256 of the events section, hex.
    pub events_sha256: String,
    /// Unix seconds.
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    #[error("this is not an outpost bundle (it does not start with the bundle marker)")]
    NotABundle,
    #[error("the bundle is truncated: {0}")]
    Truncated(String),
    #[error("the bundle's manifest cannot be read: {0}")]
    Manifest(String),
    #[error("the bundle is for site {0:03}, which the centre does not know")]
    UnknownSite(u16),
    #[error(
        "the signature does not match site {0:03}'s registered key: the bundle was altered \
         or signed by someone else"
    )]
    Signature(u16),
    #[error("the events were altered: their SHA-256 is not the one the manifest was signed with")]
    Hash,
    #[error("the events do not match the manifest: {0}")]
    Contents(String),
    #[error("the events cannot be read: {0}")]
    Frames(#[from] FrameError),
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn signed_message(manifest: &[u8]) -> Vec<u8> {
    [CONTEXT, manifest].concat()
}

/// Writes a bundle: the events are streamed through `push`, then `finish`
/// hashes, signs and appends the manifest.
pub struct Writer<W: std::io::Write> {
    out: W,
    hash: Context,
    bytes: u64,
    count: u64,
    first: u64,
    last: u64,
}

impl<W: std::io::Write> Writer<W> {
    pub fn new(mut out: W) -> std::io::Result<Writer<W>> {
        out.write_all(MAGIC)?;
        Ok(Writer {
            out,
            hash: Context::new(&SHA256),
            bytes: 0,
            count: 0,
            first: 0,
            last: 0,
        })
    }

    /// One event: its sequence and the entry exactly as stored.
    pub fn push(&mut self, seq: u64, entry: &[u8]) -> std::io::Result<()> {
        let mut frame = Vec::with_capacity(entry.len() + 4);
        super::batch::push_frame(&mut frame, entry);
        self.out.write_all(&frame)?;
        self.hash.update(&frame);
        self.bytes += frame.len() as u64;
        if self.count == 0 {
            self.first = seq;
        }
        self.last = seq;
        self.count += 1;
        Ok(())
    }

    /// Appends the signed manifest and returns it with the writer.
    pub fn finish(
        mut self,
        site: u16,
        site_name: &str,
        created_at: i64,
        key: &Ed25519KeyPair,
    ) -> std::io::Result<(Manifest, W)> {
        let manifest = Manifest {
            site,
            site_name: site_name.to_string(),
            first_seq: self.first,
            last_seq: self.last,
            count: self.count,
            events_bytes: self.bytes,
            events_sha256: hex(self.hash.finish().as_ref()),
            created_at,
        };
        let json = serde_json::to_vec(&manifest).expect("a manifest is plain data");
        let sig = key.sign(&signed_message(&json));
        self.out.write_all(&json)?;
        self.out.write_all(sig.as_ref())?;
        self.out.write_all(&(json.len() as u32).to_be_bytes())?;
        self.out
            .write_all(&(sig.as_ref().len() as u32).to_be_bytes())?;
        self.out.write_all(END)?;
        self.out.flush()?;
        Ok((manifest, self.out))
    }
}

/// A bundle whose signature, hash and contents all check out.
#[derive(Debug)]
pub struct Verified<'a> {
    pub manifest: Manifest,
    pub events: Vec<Event<'a>>,
}

/// Checks everything before anything is written: the markers, the manifest,
/// the signature against the key registered for the manifest's site
/// (`key_of`), the events' size and SHA-256, and that the events are
/// exactly the manifest's contiguous range.
pub fn verify(
    file: &[u8],
    key_of: impl FnOnce(u16) -> Option<Vec<u8>>,
) -> Result<Verified<'_>, BundleError> {
    if file.len() < MAGIC.len() || &file[..MAGIC.len()] != MAGIC {
        return Err(BundleError::NotABundle);
    }
    if file.len() < MAGIC.len() + TRAILER || &file[file.len() - END.len()..] != END {
        return Err(BundleError::Truncated(
            "its end marker is missing (the copy stopped early?)".into(),
        ));
    }
    let trailer = &file[file.len() - TRAILER..];
    let manifest_len = u32::from_be_bytes(trailer[..4].try_into().expect("4 bytes")) as usize;
    let sig_len = u32::from_be_bytes(trailer[4..8].try_into().expect("4 bytes")) as usize;
    let body = &file[MAGIC.len()..file.len() - TRAILER];
    if manifest_len > MAX_MANIFEST || sig_len > 1024 || manifest_len + sig_len > body.len() {
        return Err(BundleError::Truncated(format!(
            "the trailer announces a {manifest_len}-byte manifest and a {sig_len}-byte signature \
             in {} bytes",
            body.len()
        )));
    }
    let (rest, sig) = body.split_at(body.len() - sig_len);
    let (events, json) = rest.split_at(rest.len() - manifest_len);
    let manifest: Manifest =
        serde_json::from_slice(json).map_err(|e| BundleError::Manifest(e.to_string()))?;
    let key = key_of(manifest.site).ok_or(BundleError::UnknownSite(manifest.site))?;
    UnparsedPublicKey::new(&ED25519, key)
        .verify(&signed_message(json), sig)
        .map_err(|_| BundleError::Signature(manifest.site))?;
    // Signed: the manifest is the site's own. Now hold the events to it.
    if events.len() as u64 != manifest.events_bytes {
        return Err(BundleError::Truncated(format!(
            "the manifest lists {} bytes of events, the file holds {}",
            manifest.events_bytes,
            events.len()
        )));
    }
    if hex(ring::digest::digest(&SHA256, events).as_ref()) != manifest.events_sha256 {
        return Err(BundleError::Hash);
    }
    let events = decode_frames(events)?;
    if events.len() as u64 != manifest.count {
        return Err(BundleError::Contents(format!(
            "{} events, the manifest says {}",
            events.len(),
            manifest.count
        )));
    }
    let mut want = manifest.first_seq;
    for e in &events {
        if e.entry.seq != want {
            return Err(BundleError::Contents(format!(
                "event {} stands where event {want} should be",
                e.entry.seq
            )));
        }
        want += 1;
    }
    if manifest.count > 0 && want - 1 != manifest.last_seq {
        return Err(BundleError::Contents(format!(
            "the events end at {}, the manifest says {}",
            want - 1,
            manifest.last_seq
        )));
    }
    Ok(Verified { manifest, events })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::batch::tests::journal;

    fn key() -> Ed25519KeyPair {
        let rng = ring::rand::SystemRandom::new();
        let doc = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
        Ed25519KeyPair::from_pkcs8(doc.as_ref()).unwrap()
    }

    fn bundle(key: &Ed25519KeyPair, from: usize, n: u64) -> Vec<u8> {
        let mut w = Writer::new(Vec::new()).unwrap();
        for (seq, bytes) in journal(n).iter().skip(from) {
            w.push(*seq, bytes).unwrap();
        }
        w.finish(17, "test branch", 1_800_000_000, key).unwrap().1
    }

    fn public(k: &Ed25519KeyPair) -> impl Fn(u16) -> Option<Vec<u8>> + '_ {
        |site| (site == 17).then(|| ring::signature::KeyPair::public_key(k).as_ref().to_vec())
    }

    #[test]
    fn a_bundle_round_trips() {
        let k = key();
        let file = bundle(&k, 2, 7);
        let v = verify(&file, public(&k)).unwrap();
        assert_eq!(
            (
                v.manifest.site,
                v.manifest.first_seq,
                v.manifest.last_seq,
                v.manifest.count
            ),
            (17, 3, 7, 5)
        );
        let seqs: Vec<u64> = v.events.iter().map(|e| e.entry.seq).collect();
        assert_eq!(seqs, [3, 4, 5, 6, 7]);
        let empty = bundle(&k, 0, 0);
        assert_eq!(verify(&empty, public(&k)).unwrap().events.len(), 0);
    }

    #[test]
    fn any_flipped_byte_or_cut_is_refused() {
        let k = key();
        let file = bundle(&k, 0, 4);
        for i in 0..file.len() {
            let mut bad = file.clone();
            bad[i] ^= 0x01;
            assert!(verify(&bad, public(&k)).is_err(), "byte {i} flipped");
        }
        for len in 0..file.len() {
            assert!(verify(&file[..len], public(&k)).is_err(), "cut at {len}");
        }
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let k = key();
        let file = bundle(&k, 0, 3);
        let err = |f: &[u8]| verify(f, public(&k)).unwrap_err();
        assert_eq!(err(b"PK\x03\x04 a zip file"), BundleError::NotABundle);
        assert!(matches!(
            err(&file[..file.len() - 1]),
            BundleError::Truncated(_)
        ));
        let mut events = file.clone();
        events[MAGIC.len() + 10] ^= 0x80;
        assert_eq!(err(&events), BundleError::Hash);
        // A whole event cut out of the middle, end marker kept.
        let first_len = u32::from_be_bytes(file[16..20].try_into().unwrap()) as usize;
        let cut = [&file[..16], &file[16 + 4 + first_len..]].concat();
        assert!(
            matches!(err(&cut), BundleError::Truncated(_)),
            "{:?}",
            err(&cut)
        );
        let other = key();
        assert_eq!(
            verify(&file, public(&other)).unwrap_err(),
            BundleError::Signature(17)
        );
        assert_eq!(
            verify(&file, |_| None).unwrap_err(),
            BundleError::UnknownSite(17)
        );
        for e in [BundleError::Hash, BundleError::Signature(17)] {
            assert!(e.to_string().contains("altered"), "{e}");
        }
    }

    #[test]
    fn a_signed_manifest_that_lies_about_the_range_is_refused() {
        // The site's own key, but a manifest whose range does not match:
        // a bug or a forged export, refused all the same.
        let k = key();
        let j = journal(3);
        let mut w = Writer::new(Vec::new()).unwrap();
        w.push(1, &j[0].1).unwrap();
        w.push(3, &j[2].1).unwrap();
        let (_, file) = w.finish(17, "x", 0, &k).unwrap();
        assert!(matches!(
            verify(&file, public(&k)),
            Err(BundleError::Contents(_))
        ));
    }
}
