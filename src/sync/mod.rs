//! Sync to the centre: the site's journal entries are the events, uploaded
//! exactly once by network (`upload`) or carried in a signed bundle
//! (`bundle`). The pure parts (framing and batches, the bundle format, the
//! backoff schedule, the registry) have no I/O; `identity` holds the site's
//! keys and `upload` is the uploader that `outpost serve` runs.

pub mod backoff;
pub mod batch;
pub mod bundle;
pub mod export;
pub mod identity;
pub mod registry;
pub mod tables;
pub mod upload;

/// A site's identity at the centre: the first number block the centre
/// reserved for it. Block 000 is for development and never syncs.
pub fn site_id(site: &crate::store::records::Site) -> Option<u16> {
    site.blocks
        .first()
        .copied()
        .filter(|&b| b != crate::rules::numbering::DEV_BLOCK)
}

/// How far delivery to the centre has got, for `/api/status` and the
/// console's sync page.
pub fn status(store: &crate::store::Store) -> serde_json::Value {
    let (head, _) = store.journal_head().unwrap_or_default();
    let s = store.sync_status().unwrap_or_default();
    serde_json::json!({
        "journal_head": head,
        "acknowledged": s.acknowledged,
        "pending": head.saturating_sub(s.acknowledged),
        "last_attempt": crate::clock::iso(s.last_attempt),
        "last_success": crate::clock::iso(s.last_success),
        "last_error": s.last_error,
        "registry_version": store.registry_version().unwrap_or_default(),
    })
}
