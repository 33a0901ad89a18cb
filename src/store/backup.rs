//! `outpost backup` and `outpost restore`: a consistent copy of a store
//! taken while the appliance keeps serving.
//!
//! The copy of the trees holds no lock, so it can catch some writes of the
//! transactions that commit meanwhile and miss others. The journal makes it
//! consistent. The journal head is noted before the copy (H0) and after it
//! (H1), each time once the write in progress, if any, has finished: a pause
//! of one transaction, not of a flush. The entries H0+1..=H1 are saved
//! beside the trees. Nothing the copy saw is newer than H1. Restore loads
//! the trees and then writes every change of those entries again, in order,
//! so each record they touched ends as H1 left it, no counter stays below a
//! number they issued, and the journal ends at H1. Acknowledgements are not
//! journaled: an output acknowledged while the copy ran may come back and be
//! delivered again, as after a crash.
//!
//! A backup directory holds `trees/<tree>.kv` (every sled tree as length-
//! prefixed key/value pairs), `journal.kv` (the entries H0+1..=H1 as the
//! journal stores them), the key files of the data directory (`tls/`: the
//! generated listener certificate, which declarant software pins, and the
//! site's sync identity, which the centre knows), and `manifest.json`,
//! written last, with both heads and the SHA-256 of every file. A
//! directory without a manifest is not a backup.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ring::digest::{Context, SHA256};
use serde::{Deserialize, Serialize};

use super::records::decode;
use super::{put_entry, Store, StoreError, VerifyError};
use crate::audit::Entry;

const FORMAT: u32 = 1;
const MANIFEST: &str = "manifest.json";
const JOURNAL: &str = "journal.kv";
/// Left in a data directory while a restore runs; `Store::open` refuses a
/// directory that has it, so a half-restored store is never served.
pub(super) const RESTORE_MARKER: &str = "RESTORE-IN-PROGRESS";
/// The data directory's key material: the generated listener certificate
/// (declarant software pins it) and the site's sync identity (the centre
/// knows it). Every plain file in it is backed up and restored.
const TLS_DIR: &str = "tls";
/// No key or value the appliance writes comes near this; a larger length
/// in a file means damage, not data.
const MAX_PART: u32 = 16 << 20;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("{0} is not empty; back up into a new or empty directory")]
    OutNotEmpty(PathBuf),
    #[error("{0} is not empty; restore only into a new or empty data directory")]
    DataDirNotEmpty(PathBuf),
    #[error("{path} is not a complete backup: {reason}")]
    NotABackup { path: PathBuf, reason: String },
    #[error("{path} is damaged: {reason}")]
    Damaged { path: PathBuf, reason: String },
    #[error("the backup's journal does not continue the copied one: {0}")]
    Journal(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the restored store does not verify: {0}")]
    Verify(#[from] VerifyError),
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A journal position: the sequence number and the hash of that entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Head {
    seq: u64,
    sha256: String,
}

impl Head {
    fn new((seq, hash): (u64, [u8; 32])) -> Head {
        Head {
            seq,
            sha256: hex(&hash),
        }
    }
}

/// What a file of the backup must be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Sum {
    bytes: u64,
    sha256: String,
    /// Key/value pairs, for `.kv` files.
    records: Option<u64>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    format: u32,
    outpost: String,
    created_at: String,
    journal_before: Head,
    journal_after: Head,
    /// sled tree names, each in `trees/<name>.kv`.
    trees: Vec<String>,
    /// Every file but the manifest, by path relative to the backup.
    files: BTreeMap<String, Sum>,
}

/// What a backup wrote.
#[derive(Debug, Clone)]
pub struct BackupReport {
    pub dir: PathBuf,
    pub trees: usize,
    pub records: u64,
    pub bytes: u64,
    pub journal_before: u64,
    pub journal_after: u64,
    pub took: Duration,
}

impl std::fmt::Display for BackupReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "backup {}: {} records in {} trees, {} bytes, in {:.1?}",
            self.dir.display(),
            self.records,
            self.trees,
            self.bytes,
            self.took
        )?;
        writeln!(
            f,
            "journal: copied at entry {}, consistent as of entry {} ({} entries to replay on restore)",
            self.journal_before,
            self.journal_after,
            self.journal_after - self.journal_before
        )
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes length-prefixed key/value pairs and sums them as it goes.
struct KvWriter {
    path: PathBuf,
    out: BufWriter<File>,
    digest: Context,
    bytes: u64,
    records: u64,
}

impl KvWriter {
    fn create(path: PathBuf) -> Result<KvWriter, BackupError> {
        let file = create_private(&path)?;
        Ok(KvWriter {
            path,
            out: BufWriter::new(file),
            digest: Context::new(&SHA256),
            bytes: 0,
            records: 0,
        })
    }

    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<(), BackupError> {
        for part in [key, value] {
            let len = u32::try_from(part.len())
                .ok()
                .filter(|n| *n <= MAX_PART)
                .ok_or_else(|| BackupError::Damaged {
                    path: self.path.clone(),
                    reason: format!("a record of {} bytes", part.len()),
                })?;
            for chunk in [&len.to_be_bytes()[..], part] {
                self.out.write_all(chunk).map_err(io_err(&self.path))?;
                self.digest.update(chunk);
                self.bytes += chunk.len() as u64;
            }
        }
        self.records += 1;
        Ok(())
    }

    /// Flushes, syncs and returns the file's sum.
    fn finish(self) -> Result<Sum, BackupError> {
        let file = self.out.into_inner().map_err(|e| BackupError::Io {
            path: self.path.clone(),
            source: e.into_error(),
        })?;
        file.sync_all().map_err(io_err(&self.path))?;
        Ok(Sum {
            bytes: self.bytes,
            sha256: hex(self.digest.finish().as_ref()),
            records: Some(self.records),
        })
    }
}

/// Reads what `KvWriter` wrote; a file cut short is an error.
struct KvReader {
    path: PathBuf,
    input: BufReader<File>,
}

impl KvReader {
    fn open(path: PathBuf) -> Result<KvReader, BackupError> {
        let file = File::open(&path).map_err(io_err(&path))?;
        Ok(KvReader {
            path,
            input: BufReader::new(file),
        })
    }

    fn part(&mut self, first: bool) -> Result<Option<Vec<u8>>, BackupError> {
        let mut len = [0u8; 4];
        match self.input.read_exact(&mut len) {
            Err(e) if first && e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
            r => r.map_err(io_err(&self.path))?,
        }
        let len = u32::from_be_bytes(len);
        if len > MAX_PART {
            return Err(BackupError::Damaged {
                path: self.path.clone(),
                reason: format!("a record claims {len} bytes"),
            });
        }
        let mut buf = vec![0u8; len as usize];
        self.input
            .read_exact(&mut buf)
            .map_err(io_err(&self.path))?;
        Ok(Some(buf))
    }
}

impl Iterator for KvReader {
    type Item = Result<(Vec<u8>, Vec<u8>), BackupError>;

    fn next(&mut self) -> Option<Self::Item> {
        let key = match self.part(true) {
            Ok(Some(k)) => k,
            Ok(None) => return None,
            Err(e) => return Some(Err(e)),
        };
        Some(match self.part(false) {
            Ok(Some(v)) => Ok((key, v)),
            Ok(None) => unreachable!("only the first part may meet the end"),
            Err(e) => Err(e),
        })
    }
}

fn create_private(path: &Path) -> Result<File, BackupError> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io_err(path))
}

fn create_private_dir(path: &Path) -> Result<(), BackupError> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .map_err(io_err(path))
}

fn sync_dir(path: &Path) -> Result<(), BackupError> {
    File::open(path)
        .and_then(|d| d.sync_all())
        .map_err(io_err(path))
}

/// Whether `path` is absent or an empty directory.
fn absent_or_empty(path: &Path) -> Result<bool, BackupError> {
    match fs::read_dir(path) {
        Ok(mut entries) => Ok(entries.next().is_none()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(io_err(path)(e)),
    }
}

/// Copies a file (the TLS pair) and sums it.
fn copy_summed(from: &Path, to: &Path) -> Result<Sum, BackupError> {
    let bytes = fs::read(from).map_err(io_err(from))?;
    let mut f = create_private(to)?;
    f.write_all(&bytes)
        .and_then(|_| f.sync_all())
        .map_err(io_err(to))?;
    Ok(Sum {
        bytes: bytes.len() as u64,
        sha256: hex(ring::digest::digest(&SHA256, &bytes).as_ref()),
        records: None,
    })
}

/// `tls/<name>` for a plain file name: nothing that could climb out.
fn is_key_file(path: &str) -> bool {
    path.strip_prefix("tls/").is_some_and(|name| {
        !name.is_empty()
            && !name.starts_with('.')
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
    })
}

/// The key files in a data directory (`tls/<name>`), sorted.
fn key_files(data_dir: &Path) -> Result<Vec<String>, BackupError> {
    let dir = data_dir.join(TLS_DIR);
    let entries = match fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err(&dir)(e)),
    };
    let mut out = Vec::new();
    for e in entries {
        let e = e.map_err(io_err(&dir))?;
        let path = format!("{TLS_DIR}/{}", e.file_name().to_string_lossy());
        if e.file_type().map_err(io_err(&dir))?.is_file() && is_key_file(&path) {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

/// A tree name as a file name: only the plain names sled and the store use.
fn tree_file(name: &[u8]) -> Option<String> {
    let name = std::str::from_utf8(name).ok()?;
    let plain = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    plain.then(|| format!("trees/{name}.kv"))
}

impl Store {
    /// The journal head once the write in progress, if any, has finished:
    /// every write visible before this call has its entry at or below it.
    fn settled_head(&self) -> Result<(u64, [u8; 32]), StoreError> {
        let _w = self.writer();
        self.journal_head()
    }

    /// Writes a consistent backup of the store into `out`, which must be
    /// new or empty, while the appliance keeps serving.
    pub fn backup(&self, out: &Path) -> Result<BackupReport, BackupError> {
        self.backup_with(out, || {})
    }

    /// `backup`, calling `after_each_tree` between the tree copies: the
    /// tests write there, as concurrent requests would.
    fn backup_with(
        &self,
        out: &Path,
        mut after_each_tree: impl FnMut(),
    ) -> Result<BackupReport, BackupError> {
        let started = Instant::now();
        if !absent_or_empty(out)? {
            return Err(BackupError::OutNotEmpty(out.to_path_buf()));
        }
        create_private_dir(&out.join("trees"))?;
        let before = self.settled_head()?;
        let mut files = BTreeMap::new();
        let mut trees = Vec::new();
        let mut names = self.db.tree_names();
        names.sort();
        for name in names {
            let file = tree_file(&name).ok_or_else(|| BackupError::NotABackup {
                path: out.to_path_buf(),
                reason: format!("the store has a tree named {name:?}"),
            })?;
            let tree = self.db.open_tree(&name).map_err(StoreError::from)?;
            let mut w = KvWriter::create(out.join(&file))?;
            for kv in tree.iter() {
                let (k, v) = kv.map_err(StoreError::from)?;
                w.put(&k, &v)?;
            }
            files.insert(file, w.finish()?);
            trees.push(String::from_utf8_lossy(&name).into_owned());
            after_each_tree();
        }
        let after = self.settled_head()?;
        let mut w = KvWriter::create(out.join(JOURNAL))?;
        for kv in self
            .t
            .audit
            .range((before.0 + 1).to_be_bytes()..=after.0.to_be_bytes())
        {
            let (k, v) = kv.map_err(StoreError::from)?;
            w.put(&k, &v)?;
        }
        let journal = w.finish()?;
        if journal.records != Some(after.0 - before.0) {
            return Err(BackupError::Journal(format!(
                "entries {}..={} are not all in the journal",
                before.0 + 1,
                after.0
            )));
        }
        files.insert(JOURNAL.into(), journal);
        for f in key_files(&self.path)? {
            create_private_dir(&out.join(TLS_DIR))?;
            files.insert(f.clone(), copy_summed(&self.path.join(&f), &out.join(&f))?);
        }
        for dir in ["trees", "tls", "."] {
            if out.join(dir).is_dir() {
                sync_dir(&out.join(dir))?;
            }
        }
        let manifest = Manifest {
            format: FORMAT,
            outpost: env!("CARGO_PKG_VERSION").into(),
            created_at: crate::clock::iso(crate::clock::now()),
            journal_before: Head::new(before),
            journal_after: Head::new(after),
            trees: trees.clone(),
            files,
        };
        let text = serde_json::to_vec_pretty(&manifest).expect("a manifest serialises");
        let tmp = out.join("manifest.json.tmp");
        let mut f = create_private(&tmp)?;
        f.write_all(&text)
            .and_then(|_| f.sync_all())
            .map_err(io_err(&tmp))?;
        fs::rename(&tmp, out.join(MANIFEST)).map_err(io_err(out))?;
        sync_dir(out)?;
        Ok(BackupReport {
            dir: out.to_path_buf(),
            trees: trees.len(),
            records: manifest.files.values().filter_map(|s| s.records).sum(),
            bytes: manifest.files.values().map(|s| s.bytes).sum(),
            journal_before: before.0,
            journal_after: after.0,
            took: started.elapsed(),
        })
    }

    /// Loads one tree file.
    fn load_tree(&self, name: &str, path: PathBuf) -> Result<(), BackupError> {
        let tree = self.db.open_tree(name).map_err(StoreError::from)?;
        let mut batch = sled::Batch::default();
        let mut n = 0;
        for kv in KvReader::open(path)? {
            let (k, v) = kv?;
            batch.insert(k, v);
            n += 1;
            if n % 1000 == 0 {
                tree.apply_batch(std::mem::take(&mut batch))
                    .map_err(StoreError::from)?;
            }
        }
        tree.apply_batch(batch).map_err(StoreError::from)?;
        Ok(())
    }

    /// Writes the window's entries again, in order, each continuing the
    /// journal as it stands.
    fn replay(&self, journal: PathBuf) -> Result<u64, BackupError> {
        let mut replayed = 0;
        for kv in KvReader::open(journal)? {
            let (_, v) = kv?;
            let entry: Entry = decode("audit entry", &v)?;
            let (seq, hash) = self.journal_head()?;
            if entry.seq != seq + 1 || entry.prev != hash {
                return Err(BackupError::Journal(format!(
                    "entry {} does not follow entry {seq}",
                    entry.seq
                )));
            }
            self.transact(|tx, a, ix| {
                for c in &entry.changes {
                    tx.apply(c)?;
                }
                // The bytes as they were stored: the next entry's hash
                // link is to them.
                put_entry(tx.meta, a, ix, &entry, &v)
            })?;
            replayed += 1;
        }
        Ok(replayed)
    }
}

/// Where `--into PARENT` puts a backup made at `now`: names sort by time.
pub fn timestamped(parent: &Path, now: i64) -> PathBuf {
    let stamp: String = crate::clock::iso(now)
        .chars()
        .filter(|c| !matches!(c, '-' | ':'))
        .collect();
    parent.join(format!("{BACKUP_PREFIX}{stamp}"))
}

const BACKUP_PREFIX: &str = "backup-";

/// Of the backups in a directory (name, complete?), the ones to remove so
/// that `keep` complete ones remain: older complete ones, and incomplete
/// ones older than the newest complete one (a newer incomplete one may be
/// a backup still being written).
fn doomed(mut backups: Vec<(String, bool)>, keep: usize) -> Vec<String> {
    backups.sort_by(|a, b| b.0.cmp(&a.0));
    let newest_complete = backups.iter().position(|b| b.1);
    let mut complete = 0;
    let mut out = Vec::new();
    for (i, (name, is_complete)) in backups.into_iter().enumerate() {
        if is_complete {
            complete += 1;
            if complete > keep {
                out.push(name);
            }
        } else if newest_complete.is_some_and(|n| i > n) {
            out.push(name);
        }
    }
    out
}

/// Removes all but the newest `keep` backups made with `--into` in
/// `parent`; returns what it removed. Other files there are left alone.
pub fn prune(parent: &Path, keep: usize) -> Result<Vec<PathBuf>, BackupError> {
    let mut backups = Vec::new();
    for e in fs::read_dir(parent).map_err(io_err(parent))? {
        let e = e.map_err(io_err(parent))?;
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with(BACKUP_PREFIX) && e.path().is_dir() {
            backups.push((name, e.path().join(MANIFEST).is_file()));
        }
    }
    let mut removed = Vec::new();
    for name in doomed(backups, keep) {
        let path = parent.join(name);
        fs::remove_dir_all(&path).map_err(io_err(&path))?;
        removed.push(path);
    }
    Ok(removed)
}

/// What a restore did.
#[derive(Debug, Clone)]
pub struct RestoreReport {
    pub records: u64,
    pub replayed: u64,
    pub journal_head: u64,
    pub verified: super::Report,
}

impl std::fmt::Display for RestoreReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "restored {} records, replayed {} journal entries; the journal ends at entry {}",
            self.records, self.replayed, self.journal_head
        )?;
        write!(f, "{}", self.verified)
    }
}

/// Reads and checks a backup's manifest and every file it names.
fn check_backup(from: &Path) -> Result<Manifest, BackupError> {
    let not_a_backup = |reason: String| BackupError::NotABackup {
        path: from.to_path_buf(),
        reason,
    };
    let text =
        fs::read(from.join(MANIFEST)).map_err(|e| not_a_backup(format!("{MANIFEST}: {e}")))?;
    let manifest: Manifest =
        serde_json::from_slice(&text).map_err(|e| not_a_backup(format!("{MANIFEST}: {e}")))?;
    if manifest.format != FORMAT {
        return Err(not_a_backup(format!(
            "format {}, this build reads format {FORMAT}",
            manifest.format
        )));
    }
    for tree in &manifest.trees {
        let file = tree_file(tree.as_bytes())
            .ok_or_else(|| not_a_backup(format!("the manifest names a tree {tree:?}")))?;
        if !manifest.files.contains_key(&file) {
            return Err(not_a_backup(format!("the manifest does not list {file}")));
        }
    }
    if !manifest.files.contains_key(JOURNAL) {
        return Err(not_a_backup(format!(
            "the manifest does not list {JOURNAL}"
        )));
    }
    let known = |f: &String| {
        f == JOURNAL
            || is_key_file(f)
            || manifest
                .trees
                .iter()
                .any(|t| tree_file(t.as_bytes()).as_ref() == Some(f))
    };
    if let Some(f) = manifest.files.keys().find(|f| !known(f)) {
        return Err(not_a_backup(format!("the manifest names a file {f:?}")));
    }
    for (file, want) in &manifest.files {
        let path = from.join(file);
        let mut input = File::open(&path).map_err(io_err(&path))?;
        let mut digest = Context::new(&SHA256);
        let mut buf = vec![0u8; 1 << 16];
        let mut bytes = 0u64;
        loop {
            let n = input.read(&mut buf).map_err(io_err(&path))?;
            if n == 0 {
                break;
            }
            digest.update(&buf[..n]);
            bytes += n as u64;
        }
        let sum = hex(digest.finish().as_ref());
        if bytes != want.bytes || sum != want.sha256 {
            return Err(BackupError::Damaged {
                path,
                reason: format!(
                    "{bytes} bytes with SHA-256 {sum}; the manifest says {} bytes with {}",
                    want.bytes, want.sha256
                ),
            });
        }
    }
    Ok(manifest)
}

/// Restores the backup in `from` into `data_dir`, which must be new or
/// empty, and verifies the result. On failure the data directory is
/// emptied again.
pub fn restore(
    from: &Path,
    data_dir: &Path,
    cache_bytes: u64,
) -> Result<RestoreReport, BackupError> {
    let manifest = check_backup(from)?;
    if !absent_or_empty(data_dir)? {
        return Err(BackupError::DataDirNotEmpty(data_dir.to_path_buf()));
    }
    let result = restore_checked(from, &manifest, data_dir, cache_bytes);
    if result.is_err() {
        // It was empty: everything in it now came from this restore.
        if let Ok(entries) = fs::read_dir(data_dir) {
            for e in entries.flatten() {
                let p = e.path();
                let _ = if p.is_dir() {
                    fs::remove_dir_all(&p)
                } else {
                    fs::remove_file(&p)
                };
            }
        }
    }
    result
}

fn restore_checked(
    from: &Path,
    manifest: &Manifest,
    data_dir: &Path,
    cache_bytes: u64,
) -> Result<RestoreReport, BackupError> {
    let store = Store::open(data_dir, cache_bytes)?;
    let marker = data_dir.join(RESTORE_MARKER);
    create_private(&marker)?;
    sync_dir(data_dir)?;
    for name in &manifest.trees {
        let file = tree_file(name.as_bytes()).expect("check_backup named it");
        store.load_tree(name, from.join(file))?;
    }
    store.rewind_journal(&manifest.journal_before)?;
    let replayed = store.replay(from.join(JOURNAL))?;
    if !manifest.trees.iter().any(|t| t == super::DIVIDED_TREE) {
        // A backup made before the divided-set index: built here, as a
        // store of that age gets it when opened.
        super::build_divided(&store.t)?;
    }
    if Head::new(store.journal_head()?) != manifest.journal_after {
        return Err(BackupError::Journal(
            "after the replay the journal head is not the one the backup recorded".into(),
        ));
    }
    store.durable()?;
    let verified = store.verify(|_| {})?;
    for f in manifest.files.keys().filter(|f| is_key_file(f)) {
        create_private_dir(&data_dir.join(TLS_DIR))?;
        copy_summed(&from.join(f), &data_dir.join(f))?;
    }
    store
        .close(super::DEFAULT_FLUSH_TIMEOUT)
        .map_err(StoreError::from)?;
    fs::remove_file(&marker).map_err(io_err(&marker))?;
    sync_dir(data_dir)?;
    Ok(RestoreReport {
        records: manifest.files.values().filter_map(|s| s.records).sum(),
        replayed,
        journal_head: manifest.journal_after.seq,
        verified,
    })
}

impl Store {
    /// Points the copied journal's head back at H0, where the replay
    /// starts: the copy may hold some later entries already, and replay
    /// writes each of them again exactly as it is.
    fn rewind_journal(&self, before: &Head) -> Result<(), BackupError> {
        let hash = match before.seq {
            0 => [0u8; 32],
            n => {
                let v = self
                    .t
                    .audit
                    .get(n.to_be_bytes())
                    .map_err(StoreError::from)?;
                let v =
                    v.ok_or_else(|| BackupError::Journal(format!("the copy lacks entry {n}")))?;
                crate::audit::hash(&v)
            }
        };
        if hex(&hash) != before.sha256 {
            return Err(BackupError::Journal(format!(
                "entry {} in the copy is not the one the backup started at",
                before.seq
            )));
        }
        self.t
            .meta
            .insert(super::AUDIT_HEAD_KEY, super::head_record(before.seq, &hash))
            .map_err(StoreError::from)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::verify::tests::{declare, store};
    use super::*;
    use crate::store::records::{Officer, Role};
    use crate::store::Actor;

    /// Every tree of both stores, key by key.
    fn assert_same_trees(a: &Store, b: &Store) {
        let mut names = a.db.tree_names();
        names.sort();
        let mut other = b.db.tree_names();
        other.sort();
        assert_eq!(names, other);
        for name in names {
            let dump = |s: &Store| -> Vec<(sled::IVec, sled::IVec)> {
                s.db.open_tree(&name)
                    .unwrap()
                    .iter()
                    .map(|kv| kv.unwrap())
                    .collect()
            };
            assert!(
                dump(a) == dump(b),
                "tree {} differs",
                String::from_utf8_lossy(&name)
            );
        }
    }

    fn restored(out: &Path) -> (tempfile::TempDir, Store, RestoreReport) {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let report = restore(out, &data, 8 << 20).unwrap();
        let s = Store::open(&data, 8 << 20).unwrap();
        (dir, s, report)
    }

    #[test]
    fn writes_during_the_copy_are_replayed_to_a_consistent_store() {
        let (_d, s) = store();
        let out = tempfile::tempdir().unwrap();
        let first = s.declarations_of("ABC12001").unwrap()[0];
        // Between two tree copies: a new declaration, a change to an old
        // one, a mode switch and an officer account, as concurrent requests
        // would make them.
        let mut i = 10;
        let report = s
            .backup_with(out.path(), || {
                declare(&s, i);
                s.update_declaration(first, &actor(), "job IDC", |d| {
                    let mut d = d.unwrap();
                    d.created_at = i;
                    Ok::<_, ()>((d, Vec::new()))
                })
                .unwrap()
                .unwrap();
                s.set_mode(crate::rules::eligibility::Mode::Standby, "t", &actor())
                    .unwrap();
                s.update_officer("it01", &actor(), "officer saved", |_| {
                    Ok::<_, ()>(Officer {
                        login: "it01".into(),
                        name: "Nguyễn Văn A".into(),
                        password_hash: format!("h{i}"),
                        roles: vec![Role::It],
                        disabled: false,
                        failed_logins: 0,
                        locked_until: 0,
                        created_at: i,
                    })
                })
                .unwrap()
                .unwrap();
                i += 1;
            })
            .unwrap();
        let window = report.journal_after - report.journal_before;
        assert_eq!(
            window,
            4 * report.trees as u64,
            "four entries per tree copied"
        );
        let (_r, back, rr) = restored(out.path());
        assert_eq!(rr.replayed, window);
        assert_eq!(rr.verified.declarations, 3 + report.trees);
        // Nothing was acknowledged during the copy, so the restored store is
        // the original, tree for tree.
        assert_same_trees(&s, &back);
        let fresh = declare(&back, 99).number;
        assert!(
            s.declaration(fresh).unwrap().is_none(),
            "no number issued twice"
        );
    }

    fn actor() -> Actor {
        Actor {
            name: "test".into(),
            at: 1_800_000_000,
        }
    }

    #[test]
    fn an_offline_backup_restores_with_the_certificate_and_the_site_identity() {
        let (d, s) = store();
        let tls = d.path().join(TLS_DIR);
        crate::tls::ensure_self_signed(&tls.join("cert.pem"), &tls.join("key.pem"), &[]).unwrap();
        crate::sync::identity::ensure(d.path(), 17).unwrap();
        fs::create_dir(tls.join("not-a-file")).unwrap();
        let out = tempfile::tempdir().unwrap();
        let report = s.backup(out.path()).unwrap();
        assert_eq!(report.journal_before, report.journal_after);
        let (r, back, _) = restored(out.path());
        assert_same_trees(&s, &back);
        let want = key_files(d.path()).unwrap();
        assert!(want.len() >= 4, "{want:?}");
        assert_eq!(key_files(&r.path().join("data")).unwrap(), want);
        use std::os::unix::fs::PermissionsExt;
        for f in want {
            let restored = r.path().join("data").join(&f);
            assert_eq!(
                fs::read(d.path().join(&f)).unwrap(),
                fs::read(&restored).unwrap()
            );
            let mode = fs::metadata(&restored).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{f} stays private");
        }
    }

    #[test]
    fn a_backup_from_before_the_divided_index_restores_with_it() {
        let (_d, s) = store();
        let first = s.declarations_of("ABC12001").unwrap()[0];
        crate::store::verify::tests::divide(&s, first, "F", "1", "2");
        let out = tempfile::tempdir().unwrap();
        s.backup(out.path()).unwrap();
        // As an older build wrote it: no `divided` tree.
        let path = out.path().join(MANIFEST);
        let mut m: Manifest = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        m.trees.retain(|t| t != "divided");
        let file = tree_file(b"divided").unwrap();
        m.files.remove(&file);
        fs::remove_file(out.path().join(&file)).unwrap();
        fs::write(&path, serde_json::to_vec(&m).unwrap()).unwrap();
        let (_r, back, _) = restored(out.path());
        assert_eq!(back.divided_set(first).unwrap().len(), 1);
        back.verify(|_| {}).unwrap();
    }

    #[test]
    fn key_file_names_cannot_climb_out() {
        for ok in ["tls/cert.pem", "tls/bundle-key.pk8", "tls/client_key.pem"] {
            assert!(is_key_file(ok), "{ok}");
        }
        for bad in [
            "tls/",
            "tls/../db",
            "tls/a/b",
            "tls/.hidden",
            "cert.pem",
            "/tls/x",
        ] {
            assert!(!is_key_file(bad), "{bad}");
        }
    }

    #[test]
    fn refusals() {
        let (_d, s) = store();
        let out = tempfile::tempdir().unwrap();
        s.backup(out.path()).unwrap();
        assert!(matches!(
            s.backup(out.path()),
            Err(BackupError::OutNotEmpty(_))
        ));
        // Into a data directory with anything in it.
        let target = tempfile::tempdir().unwrap();
        fs::write(target.path().join("note"), "x").unwrap();
        assert!(matches!(
            restore(out.path(), target.path(), 8 << 20),
            Err(BackupError::DataDirNotEmpty(_))
        ));
        // A damaged file, before anything is written.
        let empty = tempfile::tempdir().unwrap();
        let tree = out.path().join("trees/declarations.kv");
        let mut bytes = fs::read(&tree).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        fs::write(&tree, bytes).unwrap();
        let err = restore(out.path(), empty.path(), 8 << 20).unwrap_err();
        assert!(matches!(err, BackupError::Damaged { .. }), "{err}");
        assert!(absent_or_empty(empty.path()).unwrap());
        // No manifest: not a backup.
        fs::remove_file(out.path().join(MANIFEST)).unwrap();
        let err = restore(out.path(), empty.path(), 8 << 20).unwrap_err();
        assert!(matches!(err, BackupError::NotABackup { .. }), "{err}");
    }

    #[test]
    fn a_failed_restore_leaves_the_data_directory_empty_and_a_killed_one_unusable() {
        let (_d, s) = store();
        let out = tempfile::tempdir().unwrap();
        s.backup(out.path()).unwrap();
        // A manifest whose journal head does not match the copy: caught
        // after the trees are loaded, so the cleanup has work to do.
        let path = out.path().join(MANIFEST);
        let mut m: Manifest = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        m.journal_before.sha256 = hex(&[7; 32]);
        m.journal_after.sha256 = hex(&[7; 32]);
        fs::write(&path, serde_json::to_vec(&m).unwrap()).unwrap();
        let target = tempfile::tempdir().unwrap();
        let err = restore(out.path(), target.path(), 8 << 20).unwrap_err();
        assert!(matches!(err, BackupError::Journal(_)), "{err}");
        assert!(absent_or_empty(target.path()).unwrap());

        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(RESTORE_MARKER), "").unwrap();
        assert!(matches!(
            Store::open(dir.path(), 8 << 20),
            Err(StoreError::RestoreUnfinished(_))
        ));
    }

    #[test]
    fn pruning_keeps_the_newest_complete_backups() {
        let b = |names: &[(&str, bool)]| -> Vec<(String, bool)> {
            names.iter().map(|(n, c)| (n.to_string(), *c)).collect()
        };
        let all = b(&[
            ("backup-20261101T000000Z", true),
            ("backup-20261103T000000Z", true),
            ("backup-20261102T000000Z", false),
            ("backup-20261104T000000Z", true),
            ("backup-20261105T000000Z", false),
        ]);
        assert_eq!(
            doomed(all.clone(), 2),
            ["backup-20261102T000000Z", "backup-20261101T000000Z"]
        );
        assert_eq!(doomed(all.clone(), 1).len(), 3);
        assert!(doomed(all, 5).contains(&"backup-20261102T000000Z".to_string()));
        assert!(
            doomed(b(&[("backup-1", false)]), 1).is_empty(),
            "maybe still running"
        );

        let parent = tempfile::tempdir().unwrap();
        let (_d, s) = store();
        let first = timestamped(parent.path(), 1_800_000_000);
        assert!(first.ends_with("backup-20270115T080000Z"), "{first:?}");
        s.backup(&first).unwrap();
        s.backup(&timestamped(parent.path(), 1_800_000_060))
            .unwrap();
        fs::write(parent.path().join("notes.txt"), "kept").unwrap();
        assert_eq!(prune(parent.path(), 1).unwrap(), [first]);
        let left: Vec<_> = fs::read_dir(parent.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(left.len(), 2, "{left:?}");
    }

    #[test]
    fn kv_files_round_trip_and_a_cut_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.kv");
        let mut w = KvWriter::create(path.clone()).unwrap();
        let pairs: Vec<(Vec<u8>, Vec<u8>)> = vec![
            (b"a".to_vec(), vec![]),
            (vec![], b"xyz".to_vec()),
            (vec![0; 300], vec![1; 70_000]),
        ];
        for (k, v) in &pairs {
            w.put(k, v).unwrap();
        }
        let sum = w.finish().unwrap();
        assert_eq!(sum.records, Some(3));
        assert_eq!(sum.bytes, fs::metadata(&path).unwrap().len());
        let back: Vec<_> = KvReader::open(path.clone())
            .unwrap()
            .map(|kv| kv.unwrap())
            .collect();
        assert_eq!(back, pairs);
        let bytes = fs::read(&path).unwrap();
        fs::write(&path, &bytes[..bytes.len() - 5]).unwrap();
        let last = KvReader::open(path).unwrap().last().unwrap();
        assert!(last.is_err(), "a record cut short");
    }
}
