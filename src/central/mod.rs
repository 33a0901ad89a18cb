//! The central receiver (`outpost central`): its own sled store under its
//! own data directory, holding every site's events by sequence, the
//! conflicts it refused, the registered sites (client certificate and
//! bundle key) and the registry it sends back. `server` is its HTTPS
//! listener (mutual TLS); bundles come in through `import_bundle`.
//!
//! Ingest is idempotent: an event already held is counted and ignored; a
//! different event under a held sequence, or one whose hash link disagrees
//! with a held neighbour, is recorded as a conflict and never stored.

pub mod admin;
pub mod server;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use serde::{Deserialize, Serialize};
use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};
use sled::Transactional;

use crate::audit::hash;
use crate::audit::Entry;
use crate::store::commit::{sled_flush, GroupCommit, StuckFlush};
use crate::store::records::{decode, encode};
use crate::store::StoreError;
use crate::sync::batch::Event;
use crate::sync::bundle::{self, BundleError, Manifest};
use crate::sync::identity::{fingerprint, hex};
use crate::sync::registry::Registry;

#[derive(Debug, thiserror::Error)]
pub enum CentralError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0} holds no central store; register a site first (`outpost central site add`)")]
    Missing(PathBuf),
    #[error("bundle refused, nothing changed: {0}")]
    Bundle(#[from] BundleError),
    #[error("{0}")]
    Invalid(String),
}

impl From<sled::Error> for CentralError {
    fn from(e: sled::Error) -> Self {
        CentralError::Store(e.into())
    }
}

/// A site the centre accepts events from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteEntry {
    pub site: u16,
    pub name: String,
    /// DER of the site's client certificate (mutual TLS).
    pub cert_der: Vec<u8>,
    /// Ed25519 public key that signs the site's bundles.
    pub bundle_key: Vec<u8>,
    pub added_at: i64,
}

/// What the centre holds of one site.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SiteState {
    /// High-water mark: every event up to here is held.
    pub acked: u64,
    /// Highest sequence held (past a gap when a bundle skipped ahead).
    pub highest: u64,
    /// Events held.
    pub held: u64,
    pub conflicts: u64,
    /// Unix seconds of the last upload, bundle or state request.
    pub last_contact: i64,
    pub last_via: String,
}

/// Where an ingest came from and when. `at` is when the centre received it
/// (conflicts are dated by it); `site_time` is when the site last spoke
/// through it: now for an upload, the export time for a carried bundle, so
/// importing an old or repeated bundle never moves "last contact" forward.
#[derive(Debug, Clone, Copy)]
pub struct Contact<'a> {
    pub via: &'a str,
    pub at: i64,
    pub site_time: i64,
}

impl<'a> Contact<'a> {
    pub fn network(at: i64) -> Self {
        Contact {
            via: "network",
            at,
            site_time: at,
        }
    }

    /// Moves `st`'s last contact forward to this one, never back.
    fn note(&self, st: &mut SiteState) {
        if self.site_time > st.last_contact {
            st.last_contact = self.site_time;
            st.last_via = self.via.to_string();
        }
    }
}

/// An event the centre refused to store. The same event refused again (a
/// site resends it on every retry) is the same conflict, counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    pub seq: u64,
    /// When it was first refused.
    pub at: i64,
    /// `network` or `bundle <file>`, the first time.
    pub via: String,
    pub reason: String,
    /// SHA-256 of the refused event as the site stored it.
    pub sha256: [u8; 32],
    /// How many times it was refused, and the last time.
    pub times: u64,
    pub last_at: i64,
}

/// The outcome of one ingest, which the centre also sends back to the site.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Ingested {
    pub site: u16,
    pub stored: u64,
    pub duplicates: u64,
    pub conflicts: Vec<Conflict>,
    /// Events not stored because they chain to one refused in this ingest
    /// (the rest of a history that diverged).
    pub withheld: u64,
    /// The site's high-water mark after this ingest.
    pub acked: u64,
}

/// A site's line in `outpost central report`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteReport {
    pub site: SiteEntry,
    pub state: SiteState,
    /// Missing sequence ranges below the highest held, both ends included.
    pub gaps: Vec<(u64, u64)>,
    pub recent_conflicts: Vec<Conflict>,
}

/// Events per transaction: bounds memory while a large bundle goes in.
const CHUNK: usize = 1000;
const REGISTRY_KEY: &[u8] = b"registry";

fn event_key(site: u16, seq: u64) -> [u8; 10] {
    let mut k = [0u8; 10];
    k[..2].copy_from_slice(&site.to_be_bytes());
    k[2..].copy_from_slice(&seq.to_be_bytes());
    k
}

type TxResult<T> = Result<T, ConflictableTransactionError<StoreError>>;

fn tx_decode<T: serde::de::DeserializeOwned>(what: &'static str, v: &[u8]) -> TxResult<T> {
    decode(what, v).map_err(ConflictableTransactionError::Abort)
}

pub struct CentralStore {
    sites: sled::Tree,
    /// Certificate fingerprint → site.
    certs: sled::Tree,
    state: sled::Tree,
    /// Site (u16 BE) + sequence (u64 BE) → the entry as the site stored it.
    events: sled::Tree,
    /// Site + sequence + SHA-256 of the refused event → `Conflict`.
    conflicts: sled::Tree,
    meta: sled::Tree,
    commit: GroupCommit,
    /// One ingest at a time: the chain checks read what earlier ones wrote.
    ingest: Mutex<()>,
}

impl std::fmt::Debug for CentralStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CentralStore")
    }
}

impl CentralStore {
    /// Opens the store in `dir`; `create` makes it when it is not there.
    pub fn open(dir: &Path, cache_bytes: u64, create: bool) -> Result<CentralStore, CentralError> {
        let db_dir = dir.join("central");
        if !create && !db_dir.exists() {
            return Err(CentralError::Missing(dir.to_path_buf()));
        }
        let (db, db_file) = crate::store::open_db(dir, &db_dir, cache_bytes)?;
        Ok(CentralStore {
            sites: db.open_tree("sites")?,
            certs: db.open_tree("certs")?,
            state: db.open_tree("state")?,
            events: db.open_tree("events")?,
            conflicts: db.open_tree("conflicts")?,
            meta: db.open_tree("meta")?,
            commit: GroupCommit::start(sled_flush(db, db_file)),
            ingest: Mutex::new(()),
        })
    }

    fn lock(&self) -> MutexGuard<'_, ()> {
        self.ingest.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn durable(&self) -> Result<(), CentralError> {
        self.commit.wait().map_err(StoreError::from)?;
        Ok(())
    }

    /// Flushes and stops the flush thread, waiting for it at most `within`.
    pub fn close(&self, within: std::time::Duration) -> Result<(), StuckFlush> {
        self.commit.stop(within)
    }

    /// Registers a site, or replaces its certificate and key (a site whose
    /// appliance was replaced). A certificate belongs to one site only.
    pub fn add_site(&self, s: &SiteEntry) -> Result<(), CentralError> {
        if s.site == crate::rules::numbering::DEV_BLOCK
            || s.site > crate::rules::numbering::MAX_BLOCK
        {
            return Err(CentralError::Invalid(format!(
                "site {} is not a number block between 1 and {}",
                s.site,
                crate::rules::numbering::MAX_BLOCK
            )));
        }
        if s.bundle_key.len() != 32 {
            return Err(CentralError::Invalid("a bundle key is 32 bytes".into()));
        }
        let fp = fingerprint(&s.cert_der);
        if let Some(other) = self.site_for_cert(&s.cert_der)? {
            if other != s.site {
                return Err(CentralError::Invalid(format!(
                    "that certificate is already registered for site {other:03}"
                )));
            }
        }
        let _g = self.lock();
        let old = self.site(s.site)?;
        (&self.sites, &self.certs)
            .transaction(|(sites, certs)| {
                if let Some(old) = &old {
                    certs.remove(&fingerprint(&old.cert_der))?;
                }
                certs.insert(&fp, &s.site.to_be_bytes())?;
                sites.insert(&s.site.to_be_bytes(), encode(s))?;
                Ok::<_, ConflictableTransactionError<StoreError>>(())
            })
            .map_err(tx_err)?;
        self.durable()
    }

    pub fn site(&self, site: u16) -> Result<Option<SiteEntry>, CentralError> {
        Ok(self
            .sites
            .get(site.to_be_bytes())?
            .map(|v| decode("site", &v))
            .transpose()?)
    }

    pub fn sites(&self) -> Result<Vec<SiteEntry>, CentralError> {
        self.sites
            .iter()
            .values()
            .map(|v| Ok(decode("site", &v?)?))
            .collect()
    }

    /// The site a client certificate is registered for.
    pub fn site_for_cert(&self, der: &[u8]) -> Result<Option<u16>, CentralError> {
        Ok(self
            .certs
            .get(fingerprint(der))?
            .and_then(|v| <[u8; 2]>::try_from(v.as_ref()).ok())
            .map(u16::from_be_bytes))
    }

    pub fn state(&self, site: u16) -> Result<SiteState, CentralError> {
        Ok(match self.state.get(site.to_be_bytes())? {
            Some(v) => decode("site state", &v)?,
            None => SiteState::default(),
        })
    }

    /// Notes a contact that brought no events (a state request).
    pub fn touch(&self, site: u16, contact: &Contact<'_>) -> Result<SiteState, CentralError> {
        let _g = self.lock();
        self.touch_locked(site, contact)
    }

    fn touch_locked(&self, site: u16, contact: &Contact<'_>) -> Result<SiteState, CentralError> {
        let mut st = self.state(site)?;
        contact.note(&mut st);
        self.state.insert(site.to_be_bytes(), encode(&st))?;
        Ok(st)
    }

    /// The stored bytes of one event.
    pub fn event(&self, site: u16, seq: u64) -> Result<Option<Vec<u8>>, CentralError> {
        Ok(self.events.get(event_key(site, seq))?.map(|v| v.to_vec()))
    }

    /// Stores what is new of `events` (any order, any overlap with what is
    /// held), records conflicts, and returns the outcome once it is on disk.
    pub fn ingest(
        &self,
        site: u16,
        events: &[Event<'_>],
        contact: &Contact<'_>,
    ) -> Result<Ingested, CentralError> {
        let _g = self.lock();
        let mut sorted: Vec<&Event> = events.iter().collect();
        sorted.sort_by_key(|e| e.entry.seq);
        let mut out = Ingested {
            site,
            ..Ingested::default()
        };
        // Hashes of the events refused so far: what chains to them is refused too.
        let mut refused = HashSet::new();
        for chunk in sorted.chunks(CHUNK) {
            let c = (&self.events, &self.state, &self.conflicts)
                .transaction(|(ev, st, cf)| {
                    ingest_chunk(site, chunk, contact, &refused, (ev, st, cf))
                })
                .map_err(tx_err)?;
            out.stored += c.stored;
            out.duplicates += c.duplicates;
            out.withheld += c.withheld;
            out.conflicts.extend(c.conflicts);
            out.acked = c.acked;
            refused.extend(c.refused);
        }
        if sorted.is_empty() {
            out.acked = self.touch_locked(site, contact)?.acked;
        }
        self.durable()?;
        Ok(out)
    }

    /// Verifies a bundle completely (markers, signature with the site's
    /// registered key, hash, contents), and only then ingests it.
    pub fn import_bundle(
        &self,
        file: &[u8],
        name: &str,
        at: i64,
    ) -> Result<(Manifest, Ingested), CentralError> {
        let verified = bundle::verify(file, |site| {
            self.site(site).ok().flatten().map(|s| s.bundle_key)
        })?;
        let via = format!("bundle {name}");
        let contact = Contact {
            via: &via,
            at,
            site_time: verified.manifest.created_at,
        };
        let ingested = self.ingest(verified.manifest.site, &verified.events, &contact)?;
        Ok((verified.manifest, ingested))
    }

    pub fn registry(&self) -> Result<Registry, CentralError> {
        Ok(match self.meta.get(REGISTRY_KEY)? {
            Some(v) => decode("registry", &v)?,
            None => Registry::default(),
        })
    }

    /// Publishes the next registry version made by `change`.
    pub fn publish(
        &self,
        change: impl FnOnce(&Registry) -> Result<Registry, String>,
    ) -> Result<Registry, CentralError> {
        let _g = self.lock();
        let next = change(&self.registry()?).map_err(CentralError::Invalid)?;
        self.meta.insert(REGISTRY_KEY, encode(&next))?;
        self.durable()?;
        Ok(next)
    }

    /// Every site with its high-water mark, gaps and recent conflicts.
    pub fn report(&self) -> Result<Vec<SiteReport>, CentralError> {
        let mut out = Vec::new();
        for site in self.sites()? {
            let state = self.state(site.site)?;
            let mut gaps = Vec::new();
            let mut next = 1;
            for k in self.events.scan_prefix(site.site.to_be_bytes()).keys() {
                let k = k?;
                let seq = u64::from_be_bytes(k[2..10].try_into().expect("10-byte key"));
                if seq > next {
                    gaps.push((next, seq - 1));
                }
                next = seq + 1;
            }
            let mut recent_conflicts: Vec<Conflict> = self
                .conflicts
                .scan_prefix(site.site.to_be_bytes())
                .values()
                .map(|v| Ok(decode("conflict", &v?)?))
                .collect::<Result<_, CentralError>>()?;
            recent_conflicts.sort_by_key(|c| std::cmp::Reverse(c.last_at));
            recent_conflicts.truncate(10);
            out.push(SiteReport {
                site,
                state,
                gaps,
                recent_conflicts,
            });
        }
        Ok(out)
    }
}

fn tx_err(e: TransactionError<StoreError>) -> CentralError {
    match e {
        TransactionError::Abort(e) => e.into(),
        TransactionError::Storage(e) => StoreError::Sled(e).into(),
    }
}

/// Why `e` cannot be stored next to what is held, if it cannot.
fn refuse(site: u16, e: &Event<'_>, ev: &TransactionalTree) -> TxResult<Option<String>> {
    let seq = e.entry.seq;
    if seq == 0 {
        return Ok(Some("sequence 0 does not exist".into()));
    }
    let offered = hash(e.bytes);
    if let Some(held) = ev.get(event_key(site, seq))? {
        let held = hash(&held);
        return Ok((held != offered).then(|| {
            format!(
                "a different event {seq} is already held (held {}, offered {})",
                &hex(&held)[..16],
                &hex(&offered)[..16]
            )
        }));
    }
    let before = match seq {
        1 => Some([0u8; 32]),
        _ => ev.get(event_key(site, seq - 1))?.map(|p| hash(&p)),
    };
    if before.is_some_and(|h| h != e.entry.prev) {
        return Ok(Some(format!(
            "event {seq} does not chain to the event {} held",
            seq - 1
        )));
    }
    if let Some(next) = ev.get(event_key(site, seq + 1))? {
        let next: Entry = tx_decode("event", &next)?;
        if next.prev != offered {
            return Ok(Some(format!(
                "the event {} held does not chain to event {seq}",
                seq + 1
            )));
        }
    }
    Ok(None)
}

/// What one transaction of an ingest did.
#[derive(Default)]
struct Chunk {
    stored: u64,
    duplicates: u64,
    withheld: u64,
    conflicts: Vec<Conflict>,
    acked: u64,
    refused: Vec<[u8; 32]>,
}

type Trees<'a> = (
    &'a TransactionalTree,
    &'a TransactionalTree,
    &'a TransactionalTree,
);

/// One transaction of an ingest. `refused_before`: hashes of events the
/// earlier chunks refused (the closure may run again, so it only reads).
fn ingest_chunk(
    site: u16,
    chunk: &[&Event<'_>],
    contact: &Contact<'_>,
    refused_before: &HashSet<[u8; 32]>,
    (ev, st, cf): Trees<'_>,
) -> TxResult<Chunk> {
    let mut state: SiteState = match st.get(site.to_be_bytes())? {
        Some(v) => tx_decode("site state", &v)?,
        None => SiteState::default(),
    };
    let mut out = Chunk::default();
    for e in chunk {
        let seq = e.entry.seq;
        let prev_refused =
            refused_before.contains(&e.entry.prev) || out.refused.contains(&e.entry.prev);
        if prev_refused {
            out.withheld += 1;
            out.refused.push(hash(e.bytes));
            continue;
        }
        match refuse(site, e, ev)? {
            Some(reason) => {
                let sha256 = hash(e.bytes);
                let mut k = event_key(site, seq).to_vec();
                k.extend_from_slice(&sha256);
                let c = match cf.get(&k)? {
                    Some(v) => {
                        let mut c: Conflict = tx_decode("conflict", &v)?;
                        c.times += 1;
                        c.last_at = c.last_at.max(contact.at);
                        c
                    }
                    None => {
                        state.conflicts += 1;
                        Conflict {
                            seq,
                            at: contact.at,
                            via: contact.via.to_string(),
                            reason,
                            sha256,
                            times: 1,
                            last_at: contact.at,
                        }
                    }
                };
                cf.insert(k, encode(&c))?;
                out.conflicts.push(c);
                out.refused.push(sha256);
            }
            None if ev.get(event_key(site, seq))?.is_some() => out.duplicates += 1,
            None => {
                ev.insert(&event_key(site, seq), e.bytes)?;
                state.held += 1;
                state.highest = state.highest.max(seq);
                out.stored += 1;
            }
        }
    }
    while ev.get(event_key(site, state.acked + 1))?.is_some() {
        state.acked += 1;
    }
    contact.note(&mut state);
    st.insert(&site.to_be_bytes(), encode(&state))?;
    out.acked = state.acked;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::batch::tests::journal;
    use crate::sync::batch::{decode_frames, push_frame};

    fn centre() -> (tempfile::TempDir, CentralStore) {
        let dir = tempfile::tempdir().unwrap();
        let c = CentralStore::open(dir.path(), 8 << 20, true).unwrap();
        (dir, c)
    }

    fn frames(j: &[(u64, Vec<u8>)]) -> Vec<u8> {
        let mut body = Vec::new();
        for (_, b) in j {
            push_frame(&mut body, b);
        }
        body
    }

    fn ingest(c: &CentralStore, j: &[(u64, Vec<u8>)]) -> Ingested {
        let body = frames(j);
        c.ingest(17, &decode_frames(&body).unwrap(), &Contact::network(100))
            .unwrap()
    }

    #[test]
    fn last_contact_only_moves_forward_and_a_bundle_counts_from_its_export() {
        let (_d, c) = centre();
        let j = journal(4);
        let body = frames(&j);
        let events = decode_frames(&body).unwrap();
        let carried = |exported| Contact {
            via: "bundle b",
            at: 500,
            site_time: exported,
        };
        c.ingest(17, &events[..2], &carried(200)).unwrap();
        let st = c.state(17).unwrap();
        assert_eq!((st.last_contact, st.last_via.as_str()), (200, "bundle b"));
        c.ingest(17, &events[..2], &carried(200)).unwrap();
        assert_eq!(
            c.state(17).unwrap(),
            st,
            "a repeated bundle changes nothing"
        );
        c.ingest(17, &events[2..], &Contact::network(300)).unwrap();
        c.ingest(17, &events, &carried(250)).unwrap();
        let st = c.state(17).unwrap();
        assert_eq!((st.last_contact, st.last_via.as_str()), (300, "network"));
        // A contact without events (a state request) follows the same rule.
        c.touch(17, &Contact::network(290)).unwrap();
        assert_eq!(c.state(17).unwrap().last_contact, 300);
        c.ingest(17, &[], &Contact::network(310)).unwrap();
        assert_eq!(c.state(17).unwrap().last_contact, 310);
    }

    #[test]
    fn the_same_events_twice_are_stored_once() {
        let (_d, c) = centre();
        let j = journal(10);
        let first = ingest(&c, &j[..6]);
        assert_eq!((first.stored, first.duplicates, first.acked), (6, 0, 6));
        let again = ingest(&c, &j[3..]);
        assert_eq!((again.stored, again.duplicates, again.acked), (4, 3, 10));
        assert!(again.conflicts.is_empty());
        let st = c.state(17).unwrap();
        assert_eq!(
            (st.acked, st.highest, st.held, st.conflicts),
            (10, 10, 10, 0)
        );
        assert_eq!(c.event(17, 4).unwrap().unwrap(), j[3].1);
    }

    #[test]
    fn gaps_hold_back_the_high_water_mark_until_filled() {
        let (_d, c) = centre();
        let j = journal(9);
        // Order of arrival: 7..9 (a bundle that skipped ahead), 1..3, then 4..6.
        assert_eq!(ingest(&c, &j[6..]).acked, 0);
        assert_eq!(ingest(&c, &j[..3]).acked, 3);
        c.add_site(&site(17)).unwrap();
        let r = c.report().unwrap();
        assert_eq!(r[0].gaps, [(4, 6)]);
        assert_eq!(ingest(&c, &j[3..6]).acked, 9);
        assert!(c.report().unwrap()[0].gaps.is_empty());
    }

    #[test]
    fn a_different_event_under_a_held_sequence_is_a_conflict() {
        let (_d, c) = centre();
        let j = journal(5);
        ingest(&c, &j[..3]);
        // Another history from seq 3 on (a restored site that diverged).
        let mut other = journal(5);
        let mut e: Entry = decode("e", &other[2].1).unwrap();
        e.detail = "something else".into();
        other[2].1 = encode(&e);
        let r = ingest(&c, &other[2..3]);
        assert_eq!((r.stored, r.conflicts.len()), (0, 1));
        assert!(
            r.conflicts[0].reason.contains("different event 3"),
            "{:?}",
            r.conflicts
        );
        assert_eq!(
            c.event(17, 3).unwrap().unwrap(),
            j[2].1,
            "never overwritten"
        );
        // Its successor (original 4 chains to the original 3) goes in; an
        // event chained to the forged 3 does not.
        let mut forged4: Entry = decode("e", &j[3].1).unwrap();
        forged4.prev = hash(&encode(&e));
        let r = ingest(&c, &[(4, encode(&forged4))]);
        assert!(
            r.conflicts[0].reason.contains("does not chain"),
            "{:?}",
            r.conflicts
        );
        let r = ingest(&c, &j[3..]);
        assert_eq!((r.stored, r.acked), (2, 5));
        // A diverged history sent in one go: its first event is a conflict,
        // and what chains to it is withheld, not stored past a gap.
        let (_d3, c3) = centre();
        ingest(&c3, &j[..2]);
        let mut diverged = journal(5);
        let mut e3: Entry = decode("e", &diverged[2].1).unwrap();
        e3.detail = "another history".into();
        diverged[2].1 = encode(&e3);
        let mut prev = hash(&encode(&e3));
        for d in diverged.iter_mut().skip(3) {
            let mut e: Entry = decode("e", &d.1).unwrap();
            e.prev = prev;
            d.1 = encode(&e);
            prev = hash(&d.1);
        }
        ingest(&c3, &j[2..3]);
        let r = ingest(&c3, &diverged[2..]);
        assert_eq!((r.stored, r.conflicts.len(), r.withheld), (0, 1, 2));
        assert_eq!(c3.state(17).unwrap().held, 3);
        // A stray event whose successor is held but does not chain to it.
        let (_d2, c2) = centre();
        ingest(&c2, &j[1..2]);
        let mut wrong1: Entry = decode("e", &j[0].1).unwrap();
        wrong1.actor = "x".into();
        let r = ingest(&c2, &[(1, encode(&wrong1))]);
        assert!(
            r.conflicts[0].reason.contains("held does not chain"),
            "{:?}",
            r.conflicts
        );
        assert_eq!(c2.state(17).unwrap().conflicts, 1);
        c2.add_site(&site(17)).unwrap();
        assert_eq!(c2.report().unwrap()[0].recent_conflicts.len(), 1);
    }

    #[test]
    fn the_same_conflicting_event_resent_is_one_conflict_counted() {
        let (_d, c) = centre();
        c.add_site(&site(17)).unwrap();
        let j = journal(4);
        ingest(&c, &j[..3]);
        let mut e: Entry = decode("e", &j[2].1).unwrap();
        e.detail = "something else".into();
        let forged = (3, encode(&e));
        let body = frames(std::slice::from_ref(&forged));
        for at in [100, 160, 130] {
            let r = c
                .ingest(17, &decode_frames(&body).unwrap(), &Contact::network(at))
                .unwrap();
            assert_eq!(r.conflicts.len(), 1, "still refused each time");
        }
        let r = c.report().unwrap();
        assert_eq!(r[0].state.conflicts, 1);
        let held = &r[0].recent_conflicts;
        assert_eq!(held.len(), 1, "{held:?}");
        assert_eq!((held[0].times, held[0].at, held[0].last_at), (3, 100, 160));
        assert_eq!(held[0].sha256, hash(&forged.1));
        // Another event under the same sequence is another conflict.
        e.detail = "a third history".into();
        ingest(&c, &[(3, encode(&e))]);
        let r = c.report().unwrap();
        assert_eq!((r[0].state.conflicts, r[0].recent_conflicts.len()), (2, 2));
    }

    fn site(n: u16) -> SiteEntry {
        SiteEntry {
            site: n,
            name: format!("site {n}"),
            cert_der: vec![n as u8; 10],
            bundle_key: vec![1; 32],
            added_at: 0,
        }
    }

    #[test]
    fn sites_and_certificates() {
        let (_d, c) = centre();
        c.add_site(&site(17)).unwrap();
        assert_eq!(c.site_for_cert(&[17; 10]).unwrap(), Some(17));
        let mut stolen = site(18);
        stolen.cert_der = vec![17; 10];
        assert!(c
            .add_site(&stolen)
            .unwrap_err()
            .to_string()
            .contains("site 017"));
        let mut renewed = site(17);
        renewed.cert_der = vec![99; 10];
        c.add_site(&renewed).unwrap();
        assert_eq!(
            c.site_for_cert(&[17; 10]).unwrap(),
            None,
            "old certificate dropped"
        );
        assert_eq!(c.site_for_cert(&[99; 10]).unwrap(), Some(17));
        assert!(c.add_site(&site(0)).is_err());
        let mut short = site(19);
        short.bundle_key = vec![1; 5];
        assert!(c.add_site(&short).is_err());
        assert_eq!(c.sites().unwrap().len(), 1);
    }
}
