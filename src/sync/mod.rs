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
pub mod upload;

/// A site's identity at the centre: the first number block the centre
/// reserved for it. Block 000 is for development and never syncs.
pub fn site_id(site: &crate::store::records::Site) -> Option<u16> {
    site.blocks
        .first()
        .copied()
        .filter(|&b| b != crate::rules::numbering::DEV_BLOCK)
}
