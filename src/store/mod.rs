//! The sled store: one tree per concept, big-endian keys, versioned bincode
//! records, and group commit for durability.

mod commit;
pub mod records;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};
use sled::Transactional;

use commit::GroupCommit;
pub use commit::{CommitStats, FlushError, Unhealthy};
use records::{decode, encode, Output, Site, Terminal, User};

use crate::audit;
use crate::rules::declaration::Declaration;
use crate::rules::eligibility::{Basis, Direction, Mode};
use crate::rules::numbering::{self, DeclNumber, Exhausted, Family};
use crate::rules::transport::{Transport, TransportNumber, MAX_TRANSPORT_SEQ};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("data directory {path}: {source}")]
    Open { path: PathBuf, source: sled::Error },
    #[error("data directory {0} is in use by another outpost process")]
    Locked(PathBuf),
    #[error("store: {0}")]
    Sled(#[from] sled::Error),
    #[error("stored {what} cannot be read: {reason}")]
    Corrupt { what: &'static str, reason: String },
    #[error(transparent)]
    Flush(#[from] FlushError),
    #[error(transparent)]
    Exhausted(#[from] Exhausted),
    #[error("the appliance has no site identity yet; run `outpost init`")]
    NoSite,
    #[error("direction {0} has no declarations left")]
    DirectionUsedUp(u32),
    #[error("there is no direction {0}")]
    NoDirection(u32),
}

/// The operating mode with when, why and by whom it was last set.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ModeState {
    pub mode: Mode,
    pub since: i64,
    pub reason: String,
    pub by: String,
}

/// Who did something and when, for the audit trail.
#[derive(Debug, Clone)]
pub struct Actor {
    pub name: String,
    pub at: i64,
}

pub struct Store {
    db: sled::Db,
    path: PathBuf,
    declarations: sled::Tree,
    by_declarant: sled::Tree,
    outputs: sled::Tree,
    meta: sled::Tree,
    /// Temporary declaration → its continuations (re-exports, re-imports).
    links: sled::Tree,
    /// Bonded transport declarations by OLT number.
    transports: sled::Tree,
    users: sled::Tree,
    terminals: sled::Tree,
    directions: sled::Tree,
    audit: sled::Tree,
    commit: GroupCommit,
    /// Serialises read-modify-write of declarations and counters; the flush
    /// happens outside it, shared by all writers.
    writer: Mutex<()>,
}

const SITE_KEY: &[u8] = b"site";
const OUTPUT_SEQ_KEY: &[u8] = b"seq/output";
const RTP_SECRET_KEY: &[u8] = b"secret/rtp";
const MODE_KEY: &[u8] = b"mode";
const AUDIT_HEAD_KEY: &[u8] = b"audit/head";
const DIRECTION_SEQ_KEY: &[u8] = b"seq/direction";

fn seq_key(family: Family, block: u16) -> Vec<u8> {
    format!("seq/decl/{}/{block:03}", family.digit()).into_bytes()
}

fn output_key(terminal: &str, seq: u64) -> Vec<u8> {
    let mut k = terminal_prefix(terminal);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

fn terminal_prefix(terminal: &str) -> Vec<u8> {
    let mut k = [b' '; 6].to_vec();
    for (d, s) in k.iter_mut().zip(terminal.bytes()) {
        *d = s;
    }
    k
}

/// `links` key: the continued declaration, then its continuation.
fn link_key(original: DeclNumber, continuation: DeclNumber) -> Vec<u8> {
    let mut k = decl_key(original);
    k.extend(decl_key(continuation));
    k
}

fn decl_key(n: DeclNumber) -> Vec<u8> {
    n.base().to_string().into_bytes()
}

fn be_u64(v: Option<sled::IVec>) -> u64 {
    v.and_then(|b| <[u8; 8]>::try_from(b.as_ref()).ok())
        .map(u64::from_be_bytes)
        .unwrap_or(0)
}

type TxResult<T> = Result<T, ConflictableTransactionError<StoreError>>;

fn abort<T>(e: StoreError) -> TxResult<T> {
    Err(ConflictableTransactionError::Abort(e))
}

fn tx_err(e: TransactionError<StoreError>) -> StoreError {
    match e {
        TransactionError::Abort(e) => e,
        TransactionError::Storage(e) => StoreError::Sled(e),
    }
}

impl Store {
    /// Opens (creating if needed) the store in `dir`. `cache_bytes` bounds
    /// sled's page cache (its default is 1 GiB).
    pub fn open(dir: &Path, cache_bytes: u64) -> Result<Store, StoreError> {
        if !dir.exists() {
            // Declarations and credential hashes: readable by the owner only.
            let mut b = std::fs::DirBuilder::new();
            b.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
            b.create(dir).map_err(|e| StoreError::Open {
                path: dir.to_path_buf(),
                source: e.into(),
            })?;
        }
        let db_dir = dir.join("db");
        let db = sled::Config::new()
            .path(&db_dir)
            .cache_capacity(cache_bytes)
            .mode(sled::Mode::HighThroughput)
            .open()
            .map_err(|e| match e {
                sled::Error::Io(ref io) if io.kind() == std::io::ErrorKind::WouldBlock => {
                    StoreError::Locked(dir.to_path_buf())
                }
                sled::Error::Io(ref io) if io.to_string().contains("lock") => {
                    StoreError::Locked(dir.to_path_buf())
                }
                e => StoreError::Open {
                    path: dir.to_path_buf(),
                    source: e,
                },
            })?;
        let db_file = std::fs::File::open(db_dir.join("db")).map_err(|e| StoreError::Open {
            path: db_dir.join("db"),
            source: e.into(),
        })?;
        let tree = |name: &str| db.open_tree(name);
        Ok(Store {
            declarations: tree("declarations")?,
            by_declarant: tree("by_declarant")?,
            outputs: tree("outputs")?,
            meta: tree("meta")?,
            users: tree("users")?,
            terminals: tree("terminals")?,
            links: tree("links")?,
            transports: tree("transports")?,
            directions: tree("directions")?,
            audit: tree("audit")?,
            commit: GroupCommit::start(db.clone(), db_file),
            db,
            path: dir.to_path_buf(),
            writer: Mutex::new(()),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn writer(&self) -> MutexGuard<'_, ()> {
        self.writer.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until every write made so far is on disk (group commit).
    pub fn durable(&self) -> Result<(), StoreError> {
        Ok(self.commit.wait()?)
    }

    pub fn commit_stats(&self) -> CommitStats {
        self.commit.stats()
    }

    /// How long each group-commit flush took.
    pub fn flush_latency(&self) -> &crate::metrics::Histogram {
        self.commit.flush_latency()
    }

    /// Whether writes still become durable; see [`commit::GroupCommit::health`].
    pub fn commit_health(&self, limit: std::time::Duration) -> Result<(), Unhealthy> {
        self.commit.health(limit)
    }

    /// Flushes and stops the flush thread; later writes fail.
    pub fn close(&self) {
        self.commit.stop();
    }

    pub fn site(&self) -> Result<Option<Site>, StoreError> {
        self.meta
            .get(SITE_KEY)?
            .map(|v| decode("site", &v))
            .transpose()
    }

    pub fn set_site(&self, site: &Site, actor: &Actor) -> Result<(), StoreError> {
        let _w = self.writer();
        (&self.meta, &self.audit)
            .transaction(|(m, a)| {
                m.insert(SITE_KEY, encode(site))?;
                let detail = format!("{:?}, blocks {:?}", site.name, site.blocks);
                append_audit(m, a, actor, "site identity set", &detail)
            })
            .map_err(tx_err)?;
        self.durable()
    }

    /// The operating mode; a new appliance starts in standby until an IT
    /// officer declares the outage.
    pub fn mode(&self) -> Result<ModeState, StoreError> {
        Ok(match self.meta.get(MODE_KEY)? {
            Some(v) => decode("mode", &v)?,
            None => ModeState {
                mode: Mode::Standby,
                since: 0,
                reason: "initial state".into(),
                by: "system".into(),
            },
        })
    }

    /// Switches the mode (audited) and returns the previous state.
    pub fn set_mode(
        &self,
        mode: Mode,
        reason: &str,
        actor: &Actor,
    ) -> Result<ModeState, StoreError> {
        let _w = self.writer();
        let old = self.mode()?;
        let new = ModeState {
            mode,
            since: actor.at,
            reason: reason.to_string(),
            by: actor.name.clone(),
        };
        (&self.meta, &self.audit)
            .transaction(|(m, a)| {
                m.insert(MODE_KEY, encode(&new))?;
                let action = format!("mode {} -> {}", old.mode.name(), mode.name());
                append_audit(m, a, actor, &action, reason)
            })
            .map_err(tx_err)?;
        self.durable()?;
        Ok(old)
    }

    pub fn directions(&self) -> Result<Vec<Direction>, StoreError> {
        self.directions
            .iter()
            .values()
            .map(|v| decode("direction", &v?))
            .collect()
    }

    /// Stores a new direction under the next id (the given id is ignored).
    pub fn add_direction(&self, d: &Direction, actor: &Actor) -> Result<Direction, StoreError> {
        let _w = self.writer();
        let d = (&self.meta, &self.directions, &self.audit)
            .transaction(|(m, dirs, a)| {
                let id = be_u64(m.get(DIRECTION_SEQ_KEY)?) + 1;
                m.insert(DIRECTION_SEQ_KEY, &id.to_be_bytes())?;
                let d = Direction {
                    id: id as u32,
                    used: 0,
                    ..d.clone()
                };
                dirs.insert(&(id as u32).to_be_bytes(), encode(&d))?;
                let detail = format!(
                    "{} {} {:?}..{:?} max {:?}: {}",
                    d.tax_code,
                    d.category.name(),
                    d.valid_from,
                    d.valid_until,
                    d.max_declarations,
                    d.reason
                );
                append_audit(m, a, actor, &format!("direction {id} issued"), &detail)?;
                Ok(d)
            })
            .map_err(tx_err)?;
        self.durable()?;
        Ok(d)
    }

    pub fn revoke_direction(
        &self,
        id: u32,
        reason: &str,
        actor: &Actor,
    ) -> Result<Direction, StoreError> {
        let _w = self.writer();
        let d = (&self.meta, &self.directions, &self.audit)
            .transaction(|(m, dirs, a)| {
                let Some(v) = dirs.get(id.to_be_bytes())? else {
                    return abort(StoreError::NoDirection(id));
                };
                let mut d: Direction =
                    decode("direction", &v).map_err(ConflictableTransactionError::Abort)?;
                d.revoked = true;
                dirs.insert(&id.to_be_bytes(), encode(&d))?;
                append_audit(m, a, actor, &format!("direction {id} revoked"), reason)?;
                Ok(d)
            })
            .map_err(tx_err)?;
        self.durable()?;
        Ok(d)
    }

    /// The audit trail, oldest first.
    pub fn audit_entries(&self) -> Result<Vec<audit::Entry>, StoreError> {
        self.audit
            .iter()
            .values()
            .map(|v| decode("audit entry", &v?))
            .collect()
    }

    /// A random secret kept with the data, created on first use: it keys
    /// the retrieval-loop tokens so they stay valid across restarts.
    pub fn rtp_secret(&self) -> Result<Vec<u8>, StoreError> {
        let _w = self.writer();
        if let Some(v) = self.meta.get(RTP_SECRET_KEY)? {
            return Ok(v.to_vec());
        }
        let mut secret = vec![0u8; 32];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut secret).map_err(
            |_| StoreError::Corrupt {
                what: "random source",
                reason: "unavailable".into(),
            },
        )?;
        self.meta.insert(RTP_SECRET_KEY, secret.as_slice())?;
        self.durable()?;
        Ok(secret)
    }

    pub fn user(&self, code: &str) -> Result<Option<User>, StoreError> {
        self.users
            .get(code.as_bytes())?
            .map(|v| decode("user", &v))
            .transpose()
    }

    pub fn users(&self) -> Result<Vec<User>, StoreError> {
        self.users
            .iter()
            .values()
            .map(|v| decode("user", &v?))
            .collect()
    }

    pub fn terminal(&self, id: &str) -> Result<Option<Terminal>, StoreError> {
        self.terminals
            .get(id.as_bytes())?
            .map(|v| decode("terminal", &v))
            .transpose()
    }

    /// Saves a user and its terminal record, atomically.
    pub fn put_user(
        &self,
        user: &User,
        terminal: &Terminal,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let _w = self.writer();
        (&self.users, &self.terminals, &self.meta, &self.audit)
            .transaction(|(u, t, m, a)| {
                u.insert(user.code.as_bytes(), encode(user))?;
                t.insert(terminal.id.as_bytes(), encode(terminal))?;
                let detail = format!(
                    "terminals {:?}, tax codes {:?}, terminal {} signing certificate {}",
                    user.terminals,
                    user.tax_codes,
                    terminal.id,
                    terminal
                        .signing
                        .as_ref()
                        .map_or("none", |r| r.serial_hex.as_str())
                );
                append_audit(m, a, actor, &format!("user {} saved", user.code), &detail)
            })
            .map_err(tx_err)?;
        self.durable()
    }

    pub fn declaration(&self, n: DeclNumber) -> Result<Option<Declaration>, StoreError> {
        self.declarations
            .get(decl_key(n))?
            .map(|v| decode("declaration", &v))
            .transpose()
    }

    /// Numbers of a declarant's declarations, oldest first.
    pub fn declarations_of(&self, user_code: &str) -> Result<Vec<DeclNumber>, StoreError> {
        let mut prefix = user_code.as_bytes().to_vec();
        prefix.push(b'/');
        self.by_declarant
            .scan_prefix(&prefix)
            .keys()
            .map(|k| {
                let k = k?;
                let s = std::str::from_utf8(&k[prefix.len()..]).unwrap_or("");
                DeclNumber::parse(s).ok_or(StoreError::Corrupt {
                    what: "declarant index",
                    reason: format!("key {s:?}"),
                })
            })
            .collect()
    }

    pub fn declaration_count(&self) -> usize {
        self.declarations.len()
    }

    /// Issues the next number of `family` and stores the declaration built
    /// for it together with its outputs, in one transaction. Durable only
    /// after [`Store::durable`].
    /// A declaration accepted under a direction uses one of its declarations,
    /// checked again here under the writer lock so that concurrent requests
    /// cannot overdraw it.
    ///
    /// `build` runs under the writer lock and may refuse (checks that read
    /// other declarations, such as balances, belong there); a refused build
    /// issues no number.
    pub fn create_declaration<E>(
        &self,
        family: Family,
        basis: Basis,
        build: impl FnOnce(DeclNumber) -> Result<(Declaration, Vec<(String, Output)>), E>,
    ) -> Result<Result<Declaration, E>, StoreError> {
        let site = self.site()?.ok_or(StoreError::NoSite)?;
        let _w = self.writer();
        let number = numbering::next_number(family, &site.blocks, |b| {
            be_u64(self.meta.get(seq_key(family, b)).ok().flatten()) as u32
        })?;
        let (decl, outputs) = match build(number) {
            Ok(v) => v,
            Err(e) => return Ok(Err(e)),
        };
        (
            &self.declarations,
            &self.by_declarant,
            &self.links,
            &self.outputs,
            &self.meta,
            &self.directions,
        )
            .transaction(|(d, by, l, o, m, dirs)| {
                if let Basis::Direction(id) = basis {
                    use_direction(dirs, id)?;
                }
                m.insert(
                    seq_key(family, number.block),
                    &(number.seq as u64).to_be_bytes(),
                )?;
                put_declaration(d, by, l, &decl)?;
                put_outputs(o, m, &outputs)?;
                Ok(())
            })
            .map_err(tx_err)?;
        Ok(Ok(decl))
    }

    /// Replaces a declaration and queues outputs, atomically. `check` sees
    /// the stored version under the writer lock, so two requests cannot both
    /// act on the same state.
    pub fn update_declaration<E>(
        &self,
        n: DeclNumber,
        change: impl FnOnce(Option<Declaration>) -> Result<(Declaration, Vec<(String, Output)>), E>,
    ) -> Result<Result<Declaration, E>, StoreError> {
        let _w = self.writer();
        let current = self.declaration(n)?;
        let (decl, outputs) = match change(current) {
            Ok(v) => v,
            Err(e) => return Ok(Err(e)),
        };
        (
            &self.declarations,
            &self.by_declarant,
            &self.links,
            &self.outputs,
            &self.meta,
        )
            .transaction(|(d, by, l, o, m)| {
                put_declaration(d, by, l, &decl)?;
                put_outputs(o, m, &outputs)?;
                Ok(())
            })
            .map_err(tx_err)?;
        Ok(Ok(decl))
    }

    pub fn transport(&self, n: TransportNumber) -> Result<Option<Transport>, StoreError> {
        self.transports
            .get(n.to_string())?
            .map(|v| decode("transport", &v))
            .transpose()
    }

    /// Issues the next transport number and stores what `build` makes of
    /// it, with its outputs, in one transaction; as `create_declaration`.
    pub fn create_transport<E>(
        &self,
        build: impl FnOnce(TransportNumber) -> Result<(Transport, Vec<(String, Output)>), E>,
    ) -> Result<Result<Transport, E>, StoreError> {
        let site = self.site()?.ok_or(StoreError::NoSite)?;
        let _w = self.writer();
        let key = |b: u16| format!("seq/transport/{b:03}").into_bytes();
        let (block, seq) = numbering::next_in_blocks(&site.blocks, MAX_TRANSPORT_SEQ, |b| {
            be_u64(self.meta.get(key(b)).ok().flatten()) as u32
        })
        .ok_or(Exhausted { family: None })?;
        let (t, outputs) = match build(TransportNumber { block, seq }) {
            Ok(v) => v,
            Err(e) => return Ok(Err(e)),
        };
        (&self.transports, &self.outputs, &self.meta)
            .transaction(|(tr, o, m)| {
                m.insert(key(block), &(seq as u64).to_be_bytes())?;
                tr.insert(t.number.to_string().as_bytes(), encode(&t))?;
                put_outputs(o, m, &outputs)
            })
            .map_err(tx_err)?;
        Ok(Ok(t))
    }

    /// Replaces a transport and queues outputs, atomically, under the
    /// writer lock (as `update_declaration`).
    pub fn update_transport<E>(
        &self,
        n: TransportNumber,
        change: impl FnOnce(Option<Transport>) -> Result<(Transport, Vec<(String, Output)>), E>,
    ) -> Result<Result<Transport, E>, StoreError> {
        let _w = self.writer();
        let (t, outputs) = match change(self.transport(n)?) {
            Ok(v) => v,
            Err(e) => return Ok(Err(e)),
        };
        (&self.transports, &self.outputs, &self.meta)
            .transaction(|(tr, o, m)| {
                tr.insert(t.number.to_string().as_bytes(), encode(&t))?;
                put_outputs(o, m, &outputs)
            })
            .map_err(tx_err)?;
        Ok(Ok(t))
    }

    /// The continuations lodged against a temporary declaration.
    pub fn continuations_of(&self, original: DeclNumber) -> Result<Vec<Declaration>, StoreError> {
        let prefix = decl_key(original);
        let mut out = Vec::new();
        for k in self.links.scan_prefix(&prefix).keys() {
            let k = k?;
            let s = std::str::from_utf8(&k[prefix.len()..]).unwrap_or("");
            let n = DeclNumber::parse(s).ok_or(StoreError::Corrupt {
                what: "continuation link",
                reason: format!("key {s:?}"),
            })?;
            out.extend(self.declaration(n)?);
        }
        Ok(out)
    }

    /// Queues outputs (re-outputs) that come with no change of a declaration.
    pub fn queue_outputs(&self, outputs: &[(String, Output)]) -> Result<(), StoreError> {
        let _w = self.writer();
        (&self.outputs, &self.meta)
            .transaction(|(o, m)| put_outputs(o, m, outputs))
            .map_err(tx_err)?;
        self.durable()
    }

    /// The oldest unacknowledged output of a terminal.
    pub fn next_output(&self, terminal: &str) -> Result<Option<(u64, Output)>, StoreError> {
        let prefix = terminal_prefix(terminal);
        match self.outputs.scan_prefix(&prefix).next() {
            None => Ok(None),
            Some(kv) => {
                let (k, v) = kv?;
                let seq = be_u64(Some(k.subslice(6, 8)));
                Ok(Some((seq, decode("output", &v)?)))
            }
        }
    }

    pub fn output(&self, terminal: &str, seq: u64) -> Result<Option<Output>, StoreError> {
        self.outputs
            .get(output_key(terminal, seq))?
            .map(|v| decode("output", &v))
            .transpose()
    }

    /// Removes an acknowledged output. Not waited for: if it is lost in a
    /// crash the output is delivered again, which the terminal tolerates.
    pub fn ack_output(&self, terminal: &str, seq: u64) -> Result<bool, StoreError> {
        Ok(self.outputs.remove(output_key(terminal, seq))?.is_some())
    }

    /// Outputs not yet acknowledged, over all terminals (a scan).
    pub fn pending_outputs_total(&self) -> usize {
        self.outputs.len()
    }

    pub fn pending_outputs(&self, terminal: &str) -> usize {
        self.outputs.scan_prefix(terminal_prefix(terminal)).count()
    }

    /// Raw sled handle for the benchmark's storage floor.
    pub fn db(&self) -> &sled::Db {
        &self.db
    }
}

fn use_direction(dirs: &TransactionalTree, id: u32) -> TxResult<()> {
    let Some(v) = dirs.get(id.to_be_bytes())? else {
        return abort(StoreError::NoDirection(id));
    };
    let mut d: Direction = decode("direction", &v).map_err(ConflictableTransactionError::Abort)?;
    if d.revoked || d.max_declarations.is_some_and(|m| d.used >= m) {
        return abort(StoreError::DirectionUsedUp(id));
    }
    d.used += 1;
    dirs.insert(&id.to_be_bytes(), encode(&d))?;
    Ok(())
}

/// Appends an audit entry chained to the current head, in the caller's
/// transaction, so the change and its entry commit together.
fn append_audit(
    m: &TransactionalTree,
    a: &TransactionalTree,
    actor: &Actor,
    action: &str,
    detail: &str,
) -> TxResult<()> {
    let (seq, prev) = match m.get(AUDIT_HEAD_KEY)? {
        Some(v) if v.len() == 40 => {
            let mut h = [0u8; 32];
            h.copy_from_slice(&v[8..]);
            (be_u64(Some(v.subslice(0, 8))), h)
        }
        _ => (0, [0u8; 32]),
    };
    let entry = audit::Entry {
        seq: seq + 1,
        at: actor.at,
        actor: actor.name.clone(),
        action: action.to_string(),
        detail: detail.to_string(),
        prev,
    };
    a.insert(&entry.seq.to_be_bytes(), encode(&entry))?;
    let mut head = entry.seq.to_be_bytes().to_vec();
    head.extend_from_slice(&entry.hash());
    m.insert(AUDIT_HEAD_KEY, head)?;
    Ok(())
}

fn put_declaration(
    d: &TransactionalTree,
    by: &TransactionalTree,
    links: &TransactionalTree,
    decl: &Declaration,
) -> TxResult<()> {
    d.insert(decl_key(decl.number), encode(decl))?;
    if let Some(orig) = decl.continues {
        links.insert(link_key(orig, decl.number), &[])?;
    }
    let mut k = decl.user_code.as_bytes().to_vec();
    k.push(b'/');
    k.extend_from_slice(decl.number.base().to_string().as_bytes());
    by.insert(k, &[])?;
    Ok(())
}

fn put_outputs(
    o: &TransactionalTree,
    m: &TransactionalTree,
    outputs: &[(String, Output)],
) -> TxResult<()> {
    if outputs.is_empty() {
        return Ok(());
    }
    let mut seq = be_u64(m.get(OUTPUT_SEQ_KEY)?);
    for (terminal, out) in outputs {
        seq += 1;
        if terminal.len() != 6 {
            return abort(StoreError::Corrupt {
                what: "output",
                reason: format!("terminal id {terminal:?} is not 6 characters"),
            });
        }
        o.insert(output_key(terminal, seq), encode(out))?;
    }
    m.insert(OUTPUT_SEQ_KEY, &seq.to_be_bytes())?;
    Ok(())
}
