//! `outpost export`: writes the site's events after a sequence number into
//! one signed bundle file for an officer to carry to the centre.

use std::io::Write;
use std::path::Path;

use super::bundle::{Manifest, Writer};
use super::identity;
use crate::store::Store;

/// Writes events `since + 1 ..= head` (by default, everything after what
/// the centre has acknowledged) to `out`. The file appears under its name
/// only once complete and on disk.
pub fn export(store: &Store, out: &Path, since: Option<u64>) -> Result<Manifest, String> {
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
    let partial = out.with_extension("partial");
    let fail = |e: std::io::Error| format!("{}: {e}", partial.display());
    let file = std::fs::File::create(&partial).map_err(fail)?;
    let mut w = Writer::new(std::io::BufWriter::with_capacity(1 << 20, file)).map_err(fail)?;
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
    let mut file = buf.into_inner().map_err(|e| fail(e.into_error()))?;
    file.flush().and_then(|_| file.sync_all()).map_err(fail)?;
    std::fs::rename(&partial, out).map_err(|e| format!("{}: {e}", out.display()))?;
    Ok(manifest)
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
