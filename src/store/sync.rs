//! What sync needs from the store: the journal as stored bytes (the events
//! it uploads), the delivery state (not journaled: what the centre has
//! acknowledged is not a customs fact), and applying a registry from the
//! centre through the journaled write path.

use serde::{Deserialize, Serialize};

use super::records::{decode, encode};
use super::{be_u64, Actor, Store, StoreError, Tx, TxResult, REFERENCE_KEY};
use crate::audit::Change;
use crate::sync::batch::{self, Batch};
use crate::sync::registry::{Reference, Registry};

const SYNC_STATUS_KEY: &[u8] = b"sync/status";

/// Where delivery to the centre stands.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SyncStatus {
    /// Highest sequence the centre holds with everything before it.
    pub acknowledged: u64,
    /// Unix seconds; 0 = never.
    pub last_attempt: i64,
    pub last_success: i64,
    /// Why the last pass failed, while it has not succeeded since.
    pub last_error: Option<String>,
    /// Events sent by this process's passes, duplicates included.
    pub sent: u64,
}

impl Store {
    /// Journal entries from `from` on, as stored.
    pub fn journal_raw_from(
        &self,
        from: u64,
    ) -> impl Iterator<Item = Result<(u64, sled::IVec), StoreError>> + '_ {
        self.t
            .audit
            .range(from.to_be_bytes()..)
            .map(|kv| kv.map(|(k, v)| (be_u64(Some(k)), v)).map_err(Into::into))
    }

    /// The next upload: entries from `from` on, within the limits. Reads
    /// only; intake is never held up by it.
    pub fn journal_batch(&self, from: u64, limits: batch::Limits) -> Result<Batch, StoreError> {
        batch::take(self.journal_raw_from(from), limits)
    }

    pub fn sync_status(&self) -> Result<SyncStatus, StoreError> {
        match self.t.meta.get(SYNC_STATUS_KEY)? {
            Some(v) => decode("sync status", &v),
            None => Ok(SyncStatus::default()),
        }
    }

    /// Saved without waiting for the disk: if it is lost, the next pass
    /// asks the centre again, and the centre ignores what it already holds.
    pub fn set_sync_status(&self, s: &SyncStatus) -> Result<(), StoreError> {
        self.t.meta.insert(SYNC_STATUS_KEY, encode(s))?;
        Ok(())
    }

    /// The reference tables last received from the centre.
    pub fn reference(&self) -> Result<Option<Reference>, StoreError> {
        self.t
            .meta
            .get(REFERENCE_KEY)?
            .map(|v| decode("reference", &v))
            .transpose()
    }

    pub fn registry_version(&self) -> Result<u64, StoreError> {
        Ok(self.reference()?.map_or(0, |r| r.version))
    }

    /// Applies a registry newer than the one held: every declarant and
    /// terminal, and the reference tables with the version, in one
    /// journaled transaction. Returns false (and writes nothing) when the
    /// site already has this version or a newer one.
    pub fn apply_registry(&self, r: &Registry, actor: &Actor) -> Result<bool, StoreError> {
        let _w = self.writer();
        let held = self.registry_version()?;
        if r.version <= held {
            return Ok(false);
        }
        let action = format!("registry version {held} -> {}", r.version);
        self.write(actor, &action, |tx| -> TxResult<()> {
            tx.note(format!(
                "{} declarants, tables {:?}",
                r.declarants.len(),
                r.tables.iter().map(|t| &t.name).collect::<Vec<_>>()
            ));
            for d in &r.declarants {
                tx.put_user(&d.user)?;
            }
            for t in r.terminals() {
                tx.put_terminal(t)?;
            }
            tx.put_reference(&Reference {
                version: r.version,
                published_at: r.published_at,
                tables: r.tables.clone(),
            })
        })?;
        self.durable()?;
        Ok(true)
    }
}

impl Tx<'_> {
    pub(super) fn put_reference(&self, r: &Reference) -> TxResult<()> {
        self.meta.insert(REFERENCE_KEY, encode(r))?;
        self.changed(Change::Reference(r.clone()));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::records::{Terminal, User};
    use crate::sync::registry::{Declarant, Table};

    fn actor() -> Actor {
        Actor {
            name: "centre".into(),
            at: 1_800_000_000,
        }
    }

    fn registry(version: u64, code: &str) -> Registry {
        Registry {
            version,
            published_at: 5,
            declarants: vec![Declarant {
                user: User {
                    code: code.into(),
                    password_hash: "p".into(),
                    terminals: vec!["T12345".into()],
                    tax_codes: vec!["0101234567".into()],
                    disabled: false,
                    created_at: 1,
                },
                terminals: vec![Terminal {
                    id: "T12345".into(),
                    access_key_hash: "k".into(),
                    signing: None,
                }],
            }],
            tables: vec![Table {
                name: "channel-rules".into(),
                text: "default_channel = 1\n".into(),
            }],
        }
    }

    #[test]
    fn a_newer_registry_is_applied_once_and_journaled() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path(), 8 << 20).unwrap();
        crate::store::tests::site_17(&s);
        assert_eq!(s.registry_version().unwrap(), 0);
        assert!(s
            .apply_registry(&registry(2, "ABC12001"), &actor())
            .unwrap());
        assert!(!s
            .apply_registry(&registry(2, "XYZ34002"), &actor())
            .unwrap());
        assert!(!s
            .apply_registry(&registry(1, "XYZ34002"), &actor())
            .unwrap());
        assert!(
            s.user("XYZ34002").unwrap().is_none(),
            "older versions change nothing"
        );
        assert_eq!(s.user("ABC12001").unwrap().unwrap().password_hash, "p");
        assert_eq!(s.terminal("T12345").unwrap().unwrap().access_key_hash, "k");
        assert_eq!(s.registry_version().unwrap(), 2);
        let (head, _) = s.journal_head().unwrap();
        assert_eq!(head, 2, "one entry for the site, one for the registry");
        let e = s.journal_from(2).next().unwrap().unwrap();
        assert_eq!(e.changes.len(), 3, "user, terminal, reference");
        // The delivery state is outside the journal, so verify ignores it.
        s.set_sync_status(&SyncStatus {
            acknowledged: 2,
            ..Default::default()
        })
        .unwrap();
        assert_eq!(s.sync_status().unwrap().acknowledged, 2);
        s.verify(|_| {}).unwrap();
        let b = s
            .journal_batch(
                2,
                batch::Limits {
                    max_events: 10,
                    max_bytes: 1 << 20,
                },
            )
            .unwrap();
        assert_eq!((b.first, b.last, b.count), (2, 2, 1));
    }
}
