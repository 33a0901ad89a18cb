//! `outpost export`: writes the site's events after a sequence number into
//! one signed bundle file for an officer to carry to the centre.

use std::io::Write;
use std::path::Path;

use super::bundle::{Manifest, Writer};
use super::identity;
use crate::store::Store;

/// Writes events `since + 1 ..= head` (by default, everything after what
/// the centre has acknowledged) as a bundle to `out`, and flushes it.
pub fn export_to<W: Write>(store: &Store, since: Option<u64>, out: W) -> Result<Manifest, String> {
    let site = store
        .site()
        .map_err(|e| e.to_string())?
        .ok_or("this appliance has no site identity yet; run `outpost init`")?;
    let id = super::site_id(&site).ok_or(
        "this appliance numbers from the development block 000, which the centre never accepts; \
         run `outpost init --site N` first",
    )?;
    let key = identity::signing_key(store.path()).map_err(|e| e.to_string())?;
    let since = match since {
        Some(s) => s,
        None => store.sync_status().map_err(|e| e.to_string())?.acknowledged,
    };
    let (head, _) = store.journal_head().map_err(|e| e.to_string())?;
    let fail = |e: std::io::Error| format!("writing the bundle: {e}");
    let mut w = Writer::new(std::io::BufWriter::with_capacity(1 << 20, out)).map_err(fail)?;
    for item in store.journal_raw_from(since + 1) {
        let (seq, bytes) = item.map_err(|e| e.to_string())?;
        if seq > head {
            break;
        }
        w.push(seq, &bytes).map_err(fail)?;
    }
    let (manifest, buf) = w
        .finish(id, &site.name, crate::clock::now(), &key)
        .map_err(fail)?;
    buf.into_inner().map_err(|e| fail(e.into_error()))?;
    Ok(manifest)
}

/// `export_to` a file, which appears under its name only once complete and
/// on disk.
pub fn export(store: &Store, out: &Path, since: Option<u64>) -> Result<Manifest, String> {
    write_atomically(out, |file| export_to(store, since, file))
}

/// Writes `out` through `write` into `<out>.partial`, then syncs it,
/// renames it to `out` and syncs the directory, so `out` is either absent,
/// as before, or complete and durable. The partial file is removed when
/// `write` fails.
pub fn write_atomically<T>(
    out: &Path,
    write: impl FnOnce(&mut std::fs::File) -> Result<T, String>,
) -> Result<T, String> {
    let partial = out.with_extension("partial");
    let mut file =
        std::fs::File::create(&partial).map_err(|e| format!("{}: {e}", partial.display()))?;
    let done = write(&mut file).and_then(|t| {
        file.sync_all()
            .map_err(|e| format!("{}: {e}", partial.display()))?;
        std::fs::rename(&partial, out).map_err(|e| format!("{}: {e}", out.display()))?;
        let dir = out.parent().filter(|d| !d.as_os_str().is_empty());
        std::fs::File::open(dir.unwrap_or(Path::new(".")))
            .and_then(|d| d.sync_all())
            .map_err(|e| format!("{}: syncing its directory: {e}", out.display()))?;
        Ok(t)
    });
    if done.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    done
}

/// One line for the operator about a bundle.
pub fn describe(m: &Manifest) -> String {
    if m.count == 0 {
        return format!("site {:03}: no events\n", m.site);
    }
    format!(
        "site {:03}: events {}–{} ({} events, {} bytes), SHA-256 {}\n",
        m.site, m.first_seq, m.last_seq, m.count, m.events_bytes, m.events_sha256
    )
}
