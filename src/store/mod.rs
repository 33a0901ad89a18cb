//! The sled store: one tree per concept, big-endian keys, versioned bincode
//! records, and group commit for durability.

mod backup;
pub(crate) mod commit;
mod officers;
pub mod records;
mod scan;
mod settings;
mod sync;
mod verify;

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};
use sled::Transactional;

pub use backup::{prune, restore, timestamped, BackupError, BackupReport, RestoreReport};
pub use commit::{CommitStats, FlushError, StuckFlush, Unhealthy, DEFAULT_FLUSH_TIMEOUT};
use commit::{Flush, GroupCommit};
use records::{decode, encode, Output, Site, Terminal, User};
pub use verify::{Report, VerifyError};

use crate::audit::{self, Change};
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
    Stuck(#[from] StuckFlush),
    #[error(transparent)]
    Exhausted(#[from] Exhausted),
    #[error("the appliance has no site identity yet; run `outpost init`")]
    NoSite,
    #[error("direction {0} has no declarations left")]
    DirectionUsedUp(u32),
    #[error("there is no direction {0}")]
    NoDirection(u32),
    #[error(
        "a restore into {0} did not finish; empty the directory and run `outpost restore` again"
    )]
    RestoreUnfinished(PathBuf),
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
    t: Trees,
    commit: GroupCommit,
    /// Serialises read-modify-write of declarations and counters; the flush
    /// happens outside it, shared by all writers.
    writer: Mutex<()>,
    /// When each transaction running or waiting to run began. sled's
    /// transactions wait for a flush in progress, and its reads wait for
    /// them: while a flush is stuck and one of these waits, every read
    /// hangs. One that never ends is a stall of its own.
    transactions: Mutex<Vec<Instant>>,
}

/// The trees, one per concept. Every write goes through [`Store::write`],
/// which takes all of them in one transaction.
struct Trees {
    declarations: sled::Tree,
    /// `user code/number`: a declarant's declarations.
    by_declarant: sled::Tree,
    outputs: sled::Tree,
    meta: sled::Tree,
    users: sled::Tree,
    terminals: sled::Tree,
    /// Temporary declaration → its continuations (re-exports, re-imports).
    links: sled::Tree,
    /// First declaration of a divided set → the set's declarations (the
    /// first itself included).
    divided: sled::Tree,
    /// Bonded transport declarations by OLT number.
    transports: sled::Tree,
    directions: sled::Tree,
    /// The journal: audit entries by sequence number.
    audit: sled::Tree,
    /// `record key \0 sequence`: the entries that changed a record.
    audit_index: sled::Tree,
    /// Officers' console accounts by login.
    officers: sled::Tree,
}

const SITE_KEY: &[u8] = b"site";
const OUTPUT_SEQ_KEY: &[u8] = b"seq/output";
const RTP_SECRET_KEY: &[u8] = b"secret/rtp";
const MODE_KEY: &[u8] = b"mode";
const AUDIT_HEAD_KEY: &[u8] = b"audit/head";
const DIRECTION_SEQ_KEY: &[u8] = b"seq/direction";
/// Reference tables from the centre (journaled; see `store/sync.rs`).
const REFERENCE_KEY: &[u8] = b"reference";

fn seq_key(family: Family, block: u16) -> Vec<u8> {
    format!("seq/decl/{}/{block:03}", family.digit()).into_bytes()
}

fn transport_seq_key(block: u16) -> Vec<u8> {
    format!("seq/transport/{block:03}").into_bytes()
}

fn declarant_key(user_code: &str, n: DeclNumber) -> Vec<u8> {
    format!("{user_code}/{}", n.base()).into_bytes()
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

/// `links` key: the continued declaration, then its continuation. Also the
/// `divided` key: the set's first declaration, then a declaration of the set.
fn link_key(original: DeclNumber, continuation: DeclNumber) -> Vec<u8> {
    let mut k = decl_key(original);
    k.extend(decl_key(continuation));
    k
}

fn decl_key(n: DeclNumber) -> Vec<u8> {
    n.base().to_string().into_bytes()
}

/// Set in `meta` once the `divided` index covers every declaration.
const DIVIDED_INDEX_KEY: &[u8] = b"index/divided";

/// The tree of the divided-set index.
const DIVIDED_TREE: &str = "divided";

/// Builds the `divided` index from the declarations of a store written
/// before it existed (like every index, it is not journaled). Returns
/// whether it had to.
fn index_divided(t: &Trees) -> Result<bool, StoreError> {
    if t.meta.contains_key(DIVIDED_INDEX_KEY)? {
        return Ok(false);
    }
    build_divided(t)?;
    t.meta.insert(DIVIDED_INDEX_KEY, &[])?;
    Ok(true)
}

/// The `divided` index rebuilt from the declarations.
fn build_divided(t: &Trees) -> Result<(), StoreError> {
    t.divided.clear()?;
    for v in t.declarations.iter().values() {
        let d: Declaration = decode("declaration", &v?)?;
        if let Some(first) = d.divided_set() {
            t.divided.insert(link_key(first, d.number), &[])?;
        }
    }
    Ok(())
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

/// Opens (creating if needed) a sled database at `db_dir` inside the data
/// directory `dir`, which only its owner may read. A database that another
/// process holds is `StoreError::Locked`. Also returns sled's main file,
/// which the group commit syncs.
pub(crate) fn open_db(
    dir: &Path,
    db_dir: &Path,
    cache_bytes: u64,
) -> Result<(sled::Db, std::fs::File), StoreError> {
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
    let db = sled::Config::new()
        .path(db_dir)
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
    Ok((db, db_file))
}

fn lock_list(m: &Mutex<Vec<Instant>>) -> MutexGuard<'_, Vec<Instant>> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Counts a transaction as running until it is dropped, however the
/// transaction ends.
struct Running<'a> {
    list: &'a Mutex<Vec<Instant>>,
    began: Instant,
}

impl<'a> Running<'a> {
    fn new(list: &'a Mutex<Vec<Instant>>) -> Running<'a> {
        let began = Instant::now();
        lock_list(list).push(began);
        Running { list, began }
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        let mut list = lock_list(self.list);
        if let Some(i) = list.iter().position(|t| *t == self.began) {
            list.swap_remove(i);
        }
    }
}

impl Store {
    /// Opens (creating if needed) the store in `dir`. `cache_bytes` bounds
    /// sled's page cache (its default is 1 GiB).
    pub fn open(dir: &Path, cache_bytes: u64) -> Result<Store, StoreError> {
        Store::open_with(dir, cache_bytes, |flush| flush)
    }

    /// [`Store::open`] with the group commit's flush passed through `wrap`
    /// (the tests hold it back).
    fn open_with(
        dir: &Path,
        cache_bytes: u64,
        wrap: impl FnOnce(Flush) -> Flush,
    ) -> Result<Store, StoreError> {
        if dir.join(backup::RESTORE_MARKER).exists() {
            return Err(StoreError::RestoreUnfinished(dir.to_path_buf()));
        }
        let db_dir = dir.join("db");
        let (db, db_file) = open_db(dir, &db_dir, cache_bytes)?;
        let tree = |name: &str| db.open_tree(name);
        let t = Trees {
            declarations: tree("declarations")?,
            by_declarant: tree("by_declarant")?,
            outputs: tree("outputs")?,
            meta: tree("meta")?,
            users: tree("users")?,
            terminals: tree("terminals")?,
            links: tree("links")?,
            divided: tree(DIVIDED_TREE)?,
            transports: tree("transports")?,
            directions: tree("directions")?,
            audit: tree("audit")?,
            audit_index: tree("audit_index")?,
            officers: tree("officers")?,
        };
        if index_divided(&t)? {
            db.flush()?;
        }
        Ok(Store {
            t,
            commit: GroupCommit::start(wrap(commit::sled_flush(db.clone(), db_file))),
            db,
            path: dir.to_path_buf(),
            writer: Mutex::new(()),
            transactions: Mutex::new(Vec::new()),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn writer(&self) -> MutexGuard<'_, ()> {
        self.writer.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` in one transaction over every tree and appends the journal
    /// entry for what it wrote, in the same transaction: a change and its
    /// audit entry commit together or not at all. The caller holds the
    /// writer lock; durability is the caller's `durable()`.
    fn write<T>(
        &self,
        actor: &Actor,
        action: &str,
        f: impl Fn(&Tx) -> TxResult<T>,
    ) -> Result<T, StoreError> {
        self.transact(|tx, a, ix| {
            let value = f(tx)?;
            let changes = tx.changes.take();
            let detail = tx.detail.take();
            append_audit(tx.meta, a, ix, actor, action, &detail, changes)?;
            Ok(value)
        })
    }

    /// One transaction over every tree: the records through `Tx`, the
    /// journal and its index beside it.
    fn transact<T>(
        &self,
        f: impl Fn(&Tx, &TransactionalTree, &TransactionalTree) -> TxResult<T>,
    ) -> Result<T, StoreError> {
        let t = &self.t;
        let _running = Running::new(&self.transactions);
        (
            &t.declarations,
            &t.by_declarant,
            &t.outputs,
            &t.meta,
            &t.users,
            &t.terminals,
            &t.links,
            &t.divided,
            &t.transports,
            &t.directions,
            &t.audit,
            &t.audit_index,
            &t.officers,
        )
            .transaction(|(d, by, o, m, u, te, l, dv, tr, dirs, a, ix, of)| {
                let tx = Tx {
                    declarations: d,
                    by_declarant: by,
                    outputs: o,
                    meta: m,
                    users: u,
                    terminals: te,
                    links: l,
                    divided: dv,
                    transports: tr,
                    directions: dirs,
                    officers: of,
                    changes: RefCell::new(Vec::new()),
                    detail: RefCell::new(String::new()),
                };
                f(&tx, a, ix)
            })
            .map_err(|e| {
                if let TransactionError::Storage(sled::Error::Io(io)) = &e {
                    self.commit.fail(format!("transaction: {io}"));
                }
                tx_err(e)
            })
    }

    /// Waits until every write made so far is on disk (group commit), for
    /// at most the flush timeout.
    pub fn durable(&self) -> Result<(), StoreError> {
        Ok(self.commit.wait()?)
    }

    /// How long a writer waits for its flush (`flush_timeout_secs`).
    pub fn set_flush_timeout(&self, timeout: Duration) {
        self.commit.set_timeout(timeout);
    }

    /// How long the oldest transaction still running has run.
    fn oldest_transaction(&self) -> Option<Duration> {
        let now = Instant::now();
        lock_list(&self.transactions)
            .iter()
            .map(|t| now.saturating_duration_since(*t))
            .max()
    }

    /// Why a write would be refused now: the store is unhealthy against
    /// the flush timeout. Asks no sled lock, so it answers even when sled
    /// hangs.
    pub fn write_refusal(&self) -> Option<Unhealthy> {
        self.commit_health(self.commit.timeout()).err()
    }

    /// Whether a read may hang now: a transaction has waited the flush
    /// timeout (sled's transactions wait for a flush in progress, and its
    /// reads queue behind a waiting transaction, so a stuck flush shows
    /// here whatever else went wrong). Asks no sled lock.
    pub fn reads_hang(&self) -> bool {
        self.oldest_transaction()
            .is_some_and(|ran| ran >= self.commit.timeout())
    }

    pub fn commit_stats(&self) -> CommitStats {
        let mut stats = self.commit.stats();
        stats.stalled = stats
            .stalled
            .max(self.oldest_transaction().unwrap_or_default());
        stats
    }

    /// How long each group-commit flush took.
    pub fn flush_latency(&self) -> &crate::metrics::Histogram {
        self.commit.flush_latency()
    }

    /// Whether writes still become durable: the group commit's health
    /// against `limit` (see [`commit::GroupCommit::health`]), and no
    /// transaction running `limit` or longer.
    pub fn commit_health(&self, limit: Duration) -> Result<(), Unhealthy> {
        self.commit.health(limit)?;
        match self.oldest_transaction() {
            Some(ran) if ran >= limit => Err(Unhealthy::Stalled(ran)),
            _ => Ok(()),
        }
    }

    /// Flushes and stops the flush thread, waiting for it at most `within`;
    /// later writes fail.
    pub fn close(&self, within: Duration) -> Result<(), StuckFlush> {
        self.commit.stop(within)
    }

    pub fn site(&self) -> Result<Option<Site>, StoreError> {
        self.t
            .meta
            .get(SITE_KEY)?
            .map(|v| decode("site", &v))
            .transpose()
    }

    pub fn set_site(&self, site: &Site, actor: &Actor) -> Result<(), StoreError> {
        let _w = self.writer();
        self.write(actor, "site identity set", |tx| {
            tx.note(format!("{:?}, blocks {:?}", site.name, site.blocks));
            tx.put_site(site)
        })?;
        self.durable()
    }

    /// The operating mode; a new appliance starts in standby until an IT
    /// officer declares the outage.
    pub fn mode(&self) -> Result<ModeState, StoreError> {
        Ok(match self.t.meta.get(MODE_KEY)? {
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
        let action = format!("mode {} -> {}", old.mode.name(), mode.name());
        self.write(actor, &action, |tx| {
            tx.note(reason.to_string());
            tx.put_mode(&new)
        })?;
        self.durable()?;
        Ok(old)
    }

    pub fn directions(&self) -> Result<Vec<Direction>, StoreError> {
        self.t
            .directions
            .iter()
            .values()
            .map(|v| decode("direction", &v?))
            .collect()
    }

    /// Stores a new direction under the next id (the given id is ignored).
    pub fn add_direction(&self, d: &Direction, actor: &Actor) -> Result<Direction, StoreError> {
        let _w = self.writer();
        let id = be_u64(self.t.meta.get(DIRECTION_SEQ_KEY)?) + 1;
        let d = Direction {
            id: id as u32,
            used: 0,
            ..d.clone()
        };
        self.write(actor, &format!("direction {id} issued"), |tx| {
            tx.meta.insert(DIRECTION_SEQ_KEY, &id.to_be_bytes())?;
            tx.note(format!(
                "{} {} {:?}..{:?} max {:?}: {}",
                d.tax_code,
                d.category.name(),
                d.valid_from,
                d.valid_until,
                d.max_declarations,
                d.reason
            ));
            tx.put_direction(&d)
        })?;
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
        let d = self.write(actor, &format!("direction {id} revoked"), |tx| {
            let mut d = tx.direction(id)?;
            d.revoked = true;
            tx.note(reason.to_string());
            tx.put_direction(&d)?;
            Ok(d)
        })?;
        self.durable()?;
        Ok(d)
    }

    /// The audit trail, oldest first.
    pub fn audit_entries(&self) -> Result<Vec<audit::Entry>, StoreError> {
        self.journal_from(1).collect()
    }

    /// Journal entries from sequence `from` on, oldest first.
    pub fn journal_from(
        &self,
        from: u64,
    ) -> impl Iterator<Item = Result<audit::Entry, StoreError>> + '_ {
        self.t
            .audit
            .range(from.to_be_bytes()..)
            .values()
            .map(|v| decode("audit entry", &v?))
    }

    /// The sequence number and hash of the newest journal entry.
    pub fn journal_head(&self) -> Result<(u64, [u8; 32]), StoreError> {
        Ok(parse_head(self.t.meta.get(AUDIT_HEAD_KEY)?.as_deref()))
    }

    /// The journal entries that changed one record (see [`audit::Change::key`]).
    pub fn history(&self, key: &str) -> Result<Vec<audit::Entry>, StoreError> {
        let mut prefix = key.as_bytes().to_vec();
        prefix.push(0);
        let mut out = Vec::new();
        for k in self.t.audit_index.scan_prefix(&prefix).keys() {
            let k = k?;
            let seq = &k[prefix.len()..];
            if let Some(v) = self.t.audit.get(seq)? {
                out.push(decode("audit entry", &v)?);
            }
        }
        Ok(out)
    }

    /// A random secret kept with the data, created on first use: it keys
    /// the retrieval-loop tokens so they stay valid across restarts. Not
    /// journaled: it must never leave the appliance.
    pub fn rtp_secret(&self) -> Result<Vec<u8>, StoreError> {
        let _w = self.writer();
        if let Some(v) = self.t.meta.get(RTP_SECRET_KEY)? {
            return Ok(v.to_vec());
        }
        let mut secret = vec![0u8; 32];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut secret).map_err(
            |_| StoreError::Corrupt {
                what: "random source",
                reason: "unavailable".into(),
            },
        )?;
        self.t.meta.insert(RTP_SECRET_KEY, secret.as_slice())?;
        self.durable()?;
        Ok(secret)
    }

    pub fn user(&self, code: &str) -> Result<Option<User>, StoreError> {
        self.t
            .users
            .get(code.as_bytes())?
            .map(|v| decode("user", &v))
            .transpose()
    }

    pub fn users(&self) -> Result<Vec<User>, StoreError> {
        self.t
            .users
            .iter()
            .values()
            .map(|v| decode("user", &v?))
            .collect()
    }

    pub fn terminal(&self, id: &str) -> Result<Option<Terminal>, StoreError> {
        self.t
            .terminals
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
        self.write(actor, &format!("user {} saved", user.code), |tx| {
            tx.note(format!(
                "terminals {:?}, tax codes {:?}, terminal {} signing certificate {}",
                user.terminals,
                user.tax_codes,
                terminal.id,
                terminal
                    .signing
                    .as_ref()
                    .map_or("none", |r| r.serial_hex.as_str())
            ));
            tx.put_user(user)?;
            tx.put_terminal(terminal)
        })?;
        self.durable()
    }

    /// Saves a declarant as `change` makes it from the stored one, under
    /// the writer lock, and journals it with `action`; `change` may refuse.
    /// Durable on return.
    pub fn update_user<E>(
        &self,
        code: &str,
        actor: &Actor,
        action: &str,
        change: impl FnOnce(Option<User>) -> Result<User, E>,
    ) -> Result<Result<User, E>, StoreError> {
        self.update_account(
            actor,
            action,
            || self.user(code),
            change,
            |tx, user| {
                tx.note(format!(
                    "terminals {:?}{}",
                    user.terminals,
                    if user.disabled { ", disabled" } else { "" }
                ));
                tx.put_user(user)
            },
        )
    }

    /// One account saved as `change` makes it from what `read` finds, under
    /// the writer lock so nothing changes it in between, in one journaled
    /// write by `put`; `change` may refuse. Durable on return.
    fn update_account<R, E>(
        &self,
        actor: &Actor,
        action: &str,
        read: impl FnOnce() -> Result<Option<R>, StoreError>,
        change: impl FnOnce(Option<R>) -> Result<R, E>,
        put: impl Fn(&Tx, &R) -> TxResult<()>,
    ) -> Result<Result<R, E>, StoreError> {
        let _w = self.writer();
        let record = match change(read()?) {
            Ok(r) => r,
            Err(e) => return Ok(Err(e)),
        };
        self.write(actor, action, |tx| put(tx, &record))?;
        self.durable()?;
        Ok(Ok(record))
    }

    pub fn declaration(&self, n: DeclNumber) -> Result<Option<Declaration>, StoreError> {
        self.t
            .declarations
            .get(decl_key(n))?
            .map(|v| decode("declaration", &v))
            .transpose()
    }

    /// Numbers of a declarant's declarations, oldest first.
    pub fn declarations_of(&self, user_code: &str) -> Result<Vec<DeclNumber>, StoreError> {
        let mut prefix = user_code.as_bytes().to_vec();
        prefix.push(b'/');
        self.t
            .by_declarant
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
        self.t.declarations.len()
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
        actor: &Actor,
        action: &str,
        build: impl FnOnce(DeclNumber) -> Result<(Declaration, Vec<(String, Output)>), E>,
    ) -> Result<Result<Declaration, E>, StoreError> {
        let site = self.site()?.ok_or(StoreError::NoSite)?;
        let _w = self.writer();
        let number = numbering::next_number(family, &site.blocks, |b| {
            be_u64(self.t.meta.get(seq_key(family, b)).ok().flatten()) as u32
        })?;
        let (decl, outputs) = match build(number) {
            Ok(v) => v,
            Err(e) => return Ok(Err(e)),
        };
        self.write(actor, action, |tx| {
            if let Basis::Direction(id) = basis {
                tx.use_direction(id)?;
            }
            tx.meta.insert(
                seq_key(family, number.block),
                &(number.seq as u64).to_be_bytes(),
            )?;
            tx.put_declaration(&decl)?;
            tx.put_outputs(&outputs)
        })?;
        Ok(Ok(decl))
    }

    /// Replaces a declaration and queues outputs, atomically. `check` sees
    /// the stored version under the writer lock, so two requests cannot both
    /// act on the same state.
    pub fn update_declaration<E>(
        &self,
        n: DeclNumber,
        actor: &Actor,
        action: &str,
        change: impl FnOnce(Option<Declaration>) -> Result<(Declaration, Vec<(String, Output)>), E>,
    ) -> Result<Result<Declaration, E>, StoreError> {
        let _w = self.writer();
        let current = self.declaration(n)?;
        let (decl, outputs) = match change(current) {
            Ok(v) => v,
            Err(e) => return Ok(Err(e)),
        };
        self.write(actor, action, |tx| {
            tx.put_declaration(&decl)?;
            tx.put_outputs(&outputs)
        })?;
        Ok(Ok(decl))
    }

    pub fn transport(&self, n: TransportNumber) -> Result<Option<Transport>, StoreError> {
        self.t
            .transports
            .get(n.to_string())?
            .map(|v| decode("transport", &v))
            .transpose()
    }

    /// Every transport, in number order (for searches).
    pub fn transports(&self) -> Result<Vec<Transport>, StoreError> {
        self.t
            .transports
            .iter()
            .values()
            .map(|v| decode("transport", &v?))
            .collect()
    }

    /// Issues the next transport number and stores what `build` makes of
    /// it, with its outputs, in one transaction; as `create_declaration`.
    pub fn create_transport<E>(
        &self,
        actor: &Actor,
        action: &str,
        build: impl FnOnce(TransportNumber) -> Result<(Transport, Vec<(String, Output)>), E>,
    ) -> Result<Result<Transport, E>, StoreError> {
        let site = self.site()?.ok_or(StoreError::NoSite)?;
        let _w = self.writer();
        let (block, seq) = numbering::next_in_blocks(&site.blocks, MAX_TRANSPORT_SEQ, |b| {
            be_u64(self.t.meta.get(transport_seq_key(b)).ok().flatten()) as u32
        })
        .ok_or(Exhausted { family: None })?;
        let (t, outputs) = match build(TransportNumber { block, seq }) {
            Ok(v) => v,
            Err(e) => return Ok(Err(e)),
        };
        self.write(actor, action, |tx| {
            tx.meta
                .insert(transport_seq_key(block), &(seq as u64).to_be_bytes())?;
            tx.put_transport(&t)?;
            tx.put_outputs(&outputs)
        })?;
        Ok(Ok(t))
    }

    /// Replaces a transport and queues outputs, atomically, under the
    /// writer lock (as `update_declaration`).
    pub fn update_transport<E>(
        &self,
        n: TransportNumber,
        actor: &Actor,
        action: &str,
        change: impl FnOnce(Option<Transport>) -> Result<(Transport, Vec<(String, Output)>), E>,
    ) -> Result<Result<Transport, E>, StoreError> {
        let _w = self.writer();
        let (t, outputs) = match change(self.transport(n)?) {
            Ok(v) => v,
            Err(e) => return Ok(Err(e)),
        };
        self.write(actor, action, |tx| {
            tx.put_transport(&t)?;
            tx.put_outputs(&outputs)
        })?;
        Ok(Ok(t))
    }

    /// The continuations lodged against a temporary declaration.
    pub fn continuations_of(&self, original: DeclNumber) -> Result<Vec<Declaration>, StoreError> {
        self.linked(&self.t.links, original, "continuation link")
    }

    /// The declarations `index` (keyed by [`link_key`]) lists under `n`.
    fn linked(
        &self,
        index: &sled::Tree,
        n: DeclNumber,
        what: &'static str,
    ) -> Result<Vec<Declaration>, StoreError> {
        let prefix = decl_key(n);
        let mut out = Vec::new();
        for k in index.scan_prefix(&prefix).keys() {
            let k = k?;
            let s = std::str::from_utf8(&k[prefix.len()..]).unwrap_or("");
            let n = DeclNumber::parse(s).ok_or(StoreError::Corrupt {
                what,
                reason: format!("key {s:?}"),
            })?;
            out.extend(self.declaration(n)?);
        }
        Ok(out)
    }

    /// The declarations of the divided set whose first declaration is
    /// `first` (itself included), by number.
    pub fn divided_set(&self, first: DeclNumber) -> Result<Vec<Declaration>, StoreError> {
        self.linked(&self.t.divided, first.base(), "divided set")
    }

    /// Queues outputs (re-outputs) that come with no change of a declaration.
    pub fn queue_outputs(
        &self,
        actor: &Actor,
        action: &str,
        outputs: &[(String, Output)],
    ) -> Result<(), StoreError> {
        let _w = self.writer();
        self.write(actor, action, |tx| tx.put_outputs(outputs))?;
        self.durable()
    }

    /// The oldest unacknowledged output of a terminal.
    pub fn next_output(&self, terminal: &str) -> Result<Option<(u64, Output)>, StoreError> {
        let prefix = terminal_prefix(terminal);
        match self.t.outputs.scan_prefix(&prefix).next() {
            None => Ok(None),
            Some(kv) => {
                let (k, v) = kv?;
                let seq = be_u64(Some(k.subslice(6, 8)));
                Ok(Some((seq, decode("output", &v)?)))
            }
        }
    }

    pub fn output(&self, terminal: &str, seq: u64) -> Result<Option<Output>, StoreError> {
        self.t
            .outputs
            .get(output_key(terminal, seq))?
            .map(|v| decode("output", &v))
            .transpose()
    }

    /// Removes an acknowledged output. Not waited for: if it is lost in a
    /// crash the output is delivered again, which the terminal tolerates.
    /// Not journaled either: delivery is not a change to customs records
    /// (the journal keeps the output itself).
    pub fn ack_output(&self, terminal: &str, seq: u64) -> Result<bool, StoreError> {
        Ok(self.t.outputs.remove(output_key(terminal, seq))?.is_some())
    }

    /// Outputs not yet acknowledged, over all terminals (a scan).
    pub fn pending_outputs_total(&self) -> usize {
        self.t.outputs.len()
    }

    pub fn pending_outputs(&self, terminal: &str) -> usize {
        self.t
            .outputs
            .scan_prefix(terminal_prefix(terminal))
            .count()
    }

    /// Raw sled handle for the benchmark's storage floor.
    pub fn db(&self) -> &sled::Db {
        &self.db
    }
}

/// One write transaction's view of the trees. Each `put_*` writes a record
/// and notes it as a change, so nothing is written that the journal entry
/// does not carry.
struct Tx<'a> {
    declarations: &'a TransactionalTree,
    by_declarant: &'a TransactionalTree,
    outputs: &'a TransactionalTree,
    meta: &'a TransactionalTree,
    users: &'a TransactionalTree,
    terminals: &'a TransactionalTree,
    links: &'a TransactionalTree,
    divided: &'a TransactionalTree,
    transports: &'a TransactionalTree,
    directions: &'a TransactionalTree,
    officers: &'a TransactionalTree,
    changes: RefCell<Vec<Change>>,
    detail: RefCell<String>,
}

impl Tx<'_> {
    /// The journal entry's detail (reason, parameters …).
    fn note(&self, detail: String) {
        *self.detail.borrow_mut() = detail;
    }

    fn changed(&self, c: Change) {
        self.changes.borrow_mut().push(c);
    }

    fn put_site(&self, site: &Site) -> TxResult<()> {
        self.meta.insert(SITE_KEY, encode(site))?;
        self.changed(Change::Site(site.clone()));
        Ok(())
    }

    fn put_mode(&self, mode: &ModeState) -> TxResult<()> {
        self.meta.insert(MODE_KEY, encode(mode))?;
        self.changed(Change::Mode(mode.clone()));
        Ok(())
    }

    fn direction(&self, id: u32) -> TxResult<Direction> {
        match self.directions.get(id.to_be_bytes())? {
            None => abort(StoreError::NoDirection(id)),
            Some(v) => decode("direction", &v).map_err(ConflictableTransactionError::Abort),
        }
    }

    fn put_direction(&self, d: &Direction) -> TxResult<()> {
        self.directions.insert(&d.id.to_be_bytes(), encode(d))?;
        self.changed(Change::Direction(d.clone()));
        Ok(())
    }

    fn use_direction(&self, id: u32) -> TxResult<()> {
        let mut d = self.direction(id)?;
        if d.revoked || d.max_declarations.is_some_and(|m| d.used >= m) {
            return abort(StoreError::DirectionUsedUp(id));
        }
        d.used += 1;
        self.put_direction(&d)
    }

    fn put_user(&self, user: &User) -> TxResult<()> {
        self.users.insert(user.code.as_bytes(), encode(user))?;
        self.changed(Change::User(user.clone()));
        Ok(())
    }

    fn put_terminal(&self, terminal: &Terminal) -> TxResult<()> {
        self.terminals
            .insert(terminal.id.as_bytes(), encode(terminal))?;
        self.changed(Change::Terminal(terminal.clone()));
        Ok(())
    }

    fn put_declaration(&self, decl: &Declaration) -> TxResult<()> {
        let before = self
            .declarations
            .insert(decl_key(decl.number), encode(decl))?;
        if let Some(orig) = decl.continues {
            self.links.insert(link_key(orig, decl.number), &[])?;
        }
        // A replacing pre-registration or an amendment may name another set.
        let set = decl.divided_set();
        if let Some(before) = before {
            let before: Declaration =
                decode("declaration", &before).map_err(ConflictableTransactionError::Abort)?;
            match before.divided_set() {
                Some(old) if Some(old) != set => {
                    self.divided.remove(link_key(old, decl.number))?;
                }
                _ => {}
            }
        }
        if let Some(first) = set {
            self.divided.insert(link_key(first, decl.number), &[])?;
        }
        self.by_declarant
            .insert(declarant_key(&decl.user_code, decl.number), &[])?;
        self.note(decl.number.to_string());
        self.changed(Change::Declaration(decl.clone()));
        Ok(())
    }

    fn put_transport(&self, t: &Transport) -> TxResult<()> {
        self.transports
            .insert(t.number.to_string().as_bytes(), encode(t))?;
        self.note(t.number.to_string());
        self.changed(Change::Transport(t.clone()));
        Ok(())
    }

    fn put_outputs(&self, outputs: &[(String, Output)]) -> TxResult<()> {
        if outputs.is_empty() {
            return Ok(());
        }
        let mut seq = be_u64(self.meta.get(OUTPUT_SEQ_KEY)?);
        for (terminal, out) in outputs {
            seq += 1;
            self.put_output(terminal, seq, out)?;
        }
        self.meta.insert(OUTPUT_SEQ_KEY, &seq.to_be_bytes())?;
        Ok(())
    }

    fn put_output(&self, terminal: &str, seq: u64, out: &Output) -> TxResult<()> {
        if terminal.len() != 6 {
            return abort(StoreError::Corrupt {
                what: "output",
                reason: format!("terminal id {terminal:?} is not 6 characters"),
            });
        }
        self.outputs
            .insert(output_key(terminal, seq), encode(out))?;
        self.changed(Change::Output {
            terminal: terminal.to_string(),
            seq,
            output: out.clone(),
        });
        Ok(())
    }

    /// Writes a journaled change again, as it was first written: the record,
    /// its indexes, and the counter of the number it issued (raised, never
    /// lowered). Replaying a journal entry this way restores what it did.
    fn apply(&self, c: &Change) -> TxResult<()> {
        match c {
            Change::Site(v) => self.put_site(v)?,
            Change::Mode(v) => self.put_mode(v)?,
            Change::Direction(v) => self.put_direction(v)?,
            Change::User(v) => self.put_user(v)?,
            Change::Terminal(v) => self.put_terminal(v)?,
            Change::Declaration(v) => self.put_declaration(v)?,
            Change::Transport(v) => self.put_transport(v)?,
            Change::Officer(v) => self.put_officer(v)?,
            Change::Reference(v) => self.put_reference(v)?,
            Change::Config(v) => self.put_config(v)?,
            Change::Output {
                terminal,
                seq,
                output,
            } => self.put_output(terminal, *seq, output)?,
        }
        if let Some((counter, n)) = issued(c) {
            if be_u64(self.meta.get(&counter)?) < n {
                self.meta.insert(counter, &n.to_be_bytes())?;
            }
        }
        Ok(())
    }
}

/// The `meta` counter a change drew a number from, and the number: a
/// counter must never stand below a number already issued.
fn issued(c: &Change) -> Option<(Vec<u8>, u64)> {
    match c {
        Change::Declaration(d) => Some((
            seq_key(d.number.family, d.number.block),
            d.number.seq as u64,
        )),
        Change::Transport(t) => Some((transport_seq_key(t.number.block), t.number.seq as u64)),
        Change::Output { seq, .. } => Some((OUTPUT_SEQ_KEY.to_vec(), *seq)),
        Change::Direction(d) => Some((DIRECTION_SEQ_KEY.to_vec(), d.id as u64)),
        _ => None,
    }
}

/// The head record: sequence number, then the hash of that entry.
fn parse_head(v: Option<&[u8]>) -> (u64, [u8; 32]) {
    match v {
        Some(v) if v.len() == 40 => {
            let mut h = [0u8; 32];
            h.copy_from_slice(&v[8..]);
            (be_u64(Some(v[..8].into())), h)
        }
        _ => (0, [0u8; 32]),
    }
}

/// Appends a journal entry chained to the current head, in the caller's
/// transaction, and indexes it under every record it changed.
fn append_audit(
    m: &TransactionalTree,
    a: &TransactionalTree,
    ix: &TransactionalTree,
    actor: &Actor,
    action: &str,
    detail: &str,
    changes: Vec<Change>,
) -> TxResult<()> {
    let (seq, prev) = parse_head(m.get(AUDIT_HEAD_KEY)?.as_deref());
    let entry = audit::Entry {
        seq: seq + 1,
        at: actor.at,
        actor: actor.name.clone(),
        action: action.to_string(),
        detail: detail.to_string(),
        changes,
        prev,
    };
    put_entry(m, a, ix, &entry, &encode(&entry))
}

/// Stores a journal entry as `stored` (its encoding), indexes it under every
/// record it changed, and makes it the head.
fn put_entry(
    m: &TransactionalTree,
    a: &TransactionalTree,
    ix: &TransactionalTree,
    entry: &audit::Entry,
    stored: &[u8],
) -> TxResult<()> {
    for c in &entry.changes {
        if !matches!(c, Change::Output { .. }) {
            let mut k = c.key().into_bytes();
            k.push(0);
            k.extend_from_slice(&entry.seq.to_be_bytes());
            ix.insert(k, &[])?;
        }
    }
    a.insert(&entry.seq.to_be_bytes(), stored)?;
    m.insert(AUDIT_HEAD_KEY, head_record(entry.seq, &audit::hash(stored)))?;
    Ok(())
}

/// The head record: the sequence number, then the hash of that entry.
fn head_record(seq: u64, hash: &[u8; 32]) -> Vec<u8> {
    let mut head = seq.to_be_bytes().to_vec();
    head.extend_from_slice(hash);
    head
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use commit::tests::{held, Held};
    use std::sync::atomic::Ordering;
    use std::sync::mpsc::channel;
    use std::sync::Arc;

    /// A store whose flushes the test can hold back (see [`Held`]); they
    /// run the real flush when let through.
    /// Gives `store` the tests' site: block 017.
    pub(crate) fn site_17(store: &Store) {
        let site = Site {
            name: "t".into(),
            blocks: vec![17],
            created_at: 0,
        };
        store.set_site(&site, &actor()).unwrap();
    }

    pub(crate) fn open_held(dir: &Path) -> (Store, Held) {
        let mut gate = None;
        let store = Store::open_with(dir, 8 << 20, |real| {
            let (flush, h) = held(false, real);
            gate = Some(h);
            flush
        })
        .unwrap();
        (store, gate.expect("the flush was wrapped"))
    }

    fn actor() -> Actor {
        Actor {
            name: "test".into(),
            at: 0,
        }
    }

    /// A transaction held open on another thread until `end`.
    struct Open {
        thread: std::thread::JoinHandle<Result<(), StoreError>>,
        end: std::sync::mpsc::Sender<()>,
    }

    impl Open {
        /// Returns once the transaction runs.
        fn transaction(store: &Arc<Store>) -> Open {
            let (inside_tx, inside) = channel();
            let (end, go) = channel::<()>();
            let s = store.clone();
            let thread = std::thread::spawn(move || {
                s.transact(|_, _, _| {
                    let _ = inside_tx.send(());
                    let _ = go.recv();
                    Ok(())
                })
            });
            inside.recv().unwrap();
            Open { thread, end }
        }

        fn end(self) {
            self.end.send(()).unwrap();
            self.thread.join().unwrap().unwrap();
        }
    }

    #[test]
    fn reads_hang_only_once_a_transaction_has_waited_the_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let (store, h) = open_held(dir.path());
        let store = Arc::new(store);
        store.set_flush_timeout(Duration::from_millis(50));
        h.shut.store(true, Ordering::SeqCst);

        let s = store.clone();
        let write = std::thread::spawn(move || s.set_mode(Mode::Active, "outage", &actor()));
        h.started.recv().unwrap();
        let timed_out = write.join().unwrap();
        assert!(
            matches!(timed_out, Err(StoreError::Flush(FlushError::TimedOut(_)))),
            "{timed_out:?}"
        );
        assert!(matches!(store.write_refusal(), Some(Unhealthy::Stalled(_))));
        assert!(!store.reads_hang(), "no transaction waits, so reads go on");
        assert_eq!(store.mode().unwrap().mode, Mode::Active);

        // A transaction that has not finished, as one waiting for sled's
        // lock behind the stuck flush would be: once it has waited the
        // timeout, reads are taken to hang.
        // A longer timeout here, so a slow machine does not see the fresh
        // transaction as an old one.
        let timeout = Duration::from_millis(500);
        store.set_flush_timeout(timeout);
        let open = Open::transaction(&store);
        assert!(!store.reads_hang(), "a transaction that just began");
        std::thread::sleep(timeout);
        assert!(store.reads_hang());
        open.end();
        assert!(!store.reads_hang());

        // The flush returns: writes go through again.
        h.release.send(Ok(())).unwrap();
        while store.write_refusal().is_some() {
            std::thread::yield_now();
        }
        h.shut.store(false, Ordering::SeqCst);
        // A real flush now: on a loaded machine it can take longer than the
        // short timeouts above.
        store.set_flush_timeout(Duration::from_secs(60));
        store.set_mode(Mode::Standby, "over", &actor()).unwrap();
        assert_eq!(store.mode().unwrap().mode, Mode::Standby);
        assert_eq!(store.write_refusal(), None);
    }

    #[test]
    fn a_transaction_that_does_not_end_is_a_stall() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path(), 8 << 20).unwrap());
        let timeout = Duration::from_millis(50);
        store.set_flush_timeout(timeout);
        let open = Open::transaction(&store);
        std::thread::sleep(timeout);
        let why = store.write_refusal();
        assert!(
            matches!(why, Some(Unhealthy::Stalled(d)) if d >= timeout),
            "{why:?}"
        );
        assert!(store.reads_hang());
        assert!(store.commit_stats().stalled >= timeout);
        open.end();
        assert_eq!(store.write_refusal(), None);
        assert!(!store.reads_hang());
    }
}
