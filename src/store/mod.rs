//! The sled store: one tree per concept, big-endian keys, versioned bincode
//! records, and group commit for durability.

mod commit;
pub mod records;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};
use sled::Transactional;

use commit::GroupCommit;
pub use commit::{CommitStats, FlushError};
use records::{decode, encode, Output, Site, Terminal, User};

use crate::rules::declaration::Declaration;
use crate::rules::numbering::{self, DeclNumber, Exhausted, Family};

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
}

pub struct Store {
    db: sled::Db,
    path: PathBuf,
    declarations: sled::Tree,
    by_declarant: sled::Tree,
    outputs: sled::Tree,
    meta: sled::Tree,
    users: sled::Tree,
    terminals: sled::Tree,
    commit: GroupCommit,
    /// Serialises read-modify-write of declarations and counters; the flush
    /// happens outside it, shared by all writers.
    writer: Mutex<()>,
}

const SITE_KEY: &[u8] = b"site";
const OUTPUT_SEQ_KEY: &[u8] = b"seq/output";
const RTP_SECRET_KEY: &[u8] = b"secret/rtp";

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
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Open {
            path: dir.to_path_buf(),
            source: e.into(),
        })?;
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

    pub fn set_site(&self, site: &Site) -> Result<(), StoreError> {
        let _w = self.writer();
        self.meta.insert(SITE_KEY, encode(site))?;
        self.durable()
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

    /// Saves a user and, when given, a newly registered terminal, atomically.
    pub fn put_user(&self, user: &User, terminal: Option<&Terminal>) -> Result<(), StoreError> {
        let _w = self.writer();
        (&self.users, &self.terminals)
            .transaction(|(u, t)| {
                u.insert(user.code.as_bytes(), encode(user))?;
                if let Some(term) = terminal {
                    t.insert(term.id.as_bytes(), encode(term))?;
                }
                Ok(())
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
    pub fn create_declaration(
        &self,
        family: Family,
        build: impl Fn(DeclNumber) -> (Declaration, Vec<(String, Output)>),
    ) -> Result<Declaration, StoreError> {
        let site = self.site()?.ok_or(StoreError::NoSite)?;
        let _w = self.writer();
        let number = numbering::next_number(family, &site.blocks, |b| {
            be_u64(self.meta.get(seq_key(family, b)).ok().flatten()) as u32
        })?;
        let (decl, outputs) = build(number);
        (
            &self.declarations,
            &self.by_declarant,
            &self.outputs,
            &self.meta,
        )
            .transaction(|(d, by, o, m)| {
                m.insert(
                    seq_key(family, number.block),
                    &(number.seq as u64).to_be_bytes(),
                )?;
                put_declaration(d, by, &decl)?;
                put_outputs(o, m, &outputs)?;
                Ok(())
            })
            .map_err(tx_err)?;
        Ok(decl)
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
            &self.outputs,
            &self.meta,
        )
            .transaction(|(d, by, o, m)| {
                put_declaration(d, by, &decl)?;
                put_outputs(o, m, &outputs)?;
                Ok(())
            })
            .map_err(tx_err)?;
        Ok(Ok(decl))
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

    pub fn pending_outputs(&self, terminal: &str) -> usize {
        self.outputs.scan_prefix(terminal_prefix(terminal)).count()
    }

    /// Raw sled handle for the benchmark's storage floor.
    pub fn db(&self) -> &sled::Db {
        &self.db
    }
}

fn put_declaration(
    d: &TransactionalTree,
    by: &TransactionalTree,
    decl: &Declaration,
) -> TxResult<()> {
    d.insert(decl_key(decl.number), encode(decl))?;
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
