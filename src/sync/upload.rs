//! The uploader: sends the journal to the centre in batches over mutual
//! TLS, from the high-water mark the centre acknowledges, and brings back
//! a newer registry. `outpost serve` runs it as a task that backs off while
//! the centre is down; `outpost sync` runs one pass. It only reads the
//! journal, so intake never waits for it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::backoff::Backoff;
use super::batch;
use super::registry::Registry;
use crate::central::server::State;
use crate::central::Ingested;
use crate::client::{Client, ClientError};
use crate::store::{Actor, Store, StoreError};

#[derive(Debug, Clone)]
pub struct Settings {
    /// `host:port` of the centre.
    pub centre: String,
    /// The centre's certificate, pinned.
    pub central_cert: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
    pub limits: batch::Limits,
    /// Wait between passes while all is well.
    pub interval: Duration,
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    /// Longest wait for one answer from the centre.
    pub timeout: Duration,
}

/// `https://host[:port][/]` → `host:port`.
pub fn centre_address(url: &str) -> Result<String, String> {
    let rest = url
        .strip_prefix("https://")
        .ok_or_else(|| format!("central_url {url:?} must start with https://"))?;
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.is_empty() || authority.contains(['/', '?', '#', '@', ' ']) {
        return Err(format!(
            "central_url {url:?} must be https://host:port/ with no path"
        ));
    }
    let has_port = match authority.rsplit_once(':') {
        Some((host, port)) if !port.contains(']') => {
            port.parse::<u16>()
                .map_err(|_| format!("central_url {url:?}: port {port:?} is not a number"))?;
            if host.is_empty() {
                return Err(format!("central_url {url:?} names no host"));
            }
            true
        }
        _ => false,
    };
    Ok(if has_port {
        authority.to_string()
    } else {
        format!("{authority}:443")
    })
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("the centre {0} cannot be found: {1}")]
    Resolve(String, String),
    #[error("{0}")]
    Client(#[from] ClientError),
    #[error("the centre did not answer within {0:?}")]
    Timeout(Duration),
    #[error("the centre answered {status}: {body}")]
    Status { status: u16, body: String },
    #[error("the centre's answer cannot be read: {0}")]
    Reply(String),
    #[error("the centre knows this appliance's certificate as site {centre:03}, but it is site {local:03}")]
    WrongSite { centre: u16, local: u16 },
    #[error(
        "this appliance numbers from the development block 000; run `outpost init --site N` \
         before it can sync"
    )]
    NoSite,
    #[error("the centre holds a different event {seq}: {reason} (not sent again until resolved)")]
    Conflict { seq: u64, reason: String },
    #[error(
        "the centre holds this site's events up to {centre}, but its journal ends at {local}: \
         was the appliance restored from an older copy? New events would clash with held ones"
    )]
    Behind { centre: u64, local: u64 },
    #[error("the centre acknowledged only up to {acked} after being sent up to {sent}")]
    Stalled { acked: u64, sent: u64 },
    #[error(
        "registry version {version} is applied, but its tables cannot be put in force: {reason}"
    )]
    Tables { version: u64, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PassReport {
    /// The high-water mark the centre gave at the start, and at the end.
    pub from: u64,
    pub acked: u64,
    pub batches: u64,
    pub sent: u64,
    pub bytes: u64,
    pub stored: u64,
    pub duplicates: u64,
    /// The registry version applied, when a newer one came.
    pub registry: Option<u64>,
}

impl std::fmt::Display for PassReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "sent {} events in {} batches ({} bytes): {} new at the centre, {} it already held; \
             the centre holds everything up to {} (was {})",
            self.sent,
            self.batches,
            self.bytes,
            self.stored,
            self.duplicates,
            self.acked,
            self.from
        )?;
        if let Some(v) = self.registry {
            writeln!(f, "applied registry version {v} from the centre")?;
        }
        Ok(())
    }
}

/// Progress for a bar: the high-water mark and the journal head.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub acked: u64,
    pub head: u64,
}

/// `S` owns the store (the appliance's `Service`, or the store itself for
/// the CLI); `store` reaches it.
pub struct Uploader<S> {
    owner: Arc<S>,
    store: fn(&S) -> &Store,
    /// Puts the reference tables of a newly applied registry in force.
    applied: fn(&S) -> Result<u64, String>,
    settings: Settings,
    /// One pass at a time (the background task and `outpost sync`).
    running: tokio::sync::Mutex<()>,
}

fn random() -> u64 {
    let mut b = [0u8; 8];
    // Without a random source the jitter is merely zero.
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut b);
    u64::from_le_bytes(b)
}

impl<S: Send + Sync + 'static> Uploader<S> {
    pub fn new(owner: Arc<S>, store: fn(&S) -> &Store, settings: Settings) -> Uploader<S> {
        Uploader {
            owner,
            store,
            applied: |_| Ok(0),
            settings,
            running: tokio::sync::Mutex::new(()),
        }
    }

    /// `applied` runs after each newer registry is applied (the service
    /// puts its tables in force: see `Service::reload_tables`).
    pub fn on_applied(mut self, applied: fn(&S) -> Result<u64, String>) -> Uploader<S> {
        self.applied = applied;
        self
    }

    fn store(&self) -> &Store {
        (self.store)(&self.owner)
    }

    /// Runs `f` on the store on the blocking pool.
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, SyncError> {
        let (owner, store) = (self.owner.clone(), self.store);
        tokio::task::spawn_blocking(move || f(store(&owner)))
            .await
            .map_err(|e| SyncError::Reply(format!("reading the journal: {e}")))?
            .map_err(Into::into)
    }

    /// Passes until `shutdown`: every `interval` while the centre answers,
    /// backing off while it does not.
    pub async fn run(self: Arc<Self>, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        let s = &self.settings;
        let mut backoff = Backoff::new(s.backoff_base, s.backoff_cap);
        let mut quiet = |_| {};
        loop {
            let outcome = tokio::select! {
                _ = shutdown.changed() => return,
                r = self.pass(&mut quiet) => r,
            };
            let wait = match outcome {
                Ok(r) => {
                    if r.sent > 0 || r.registry.is_some() {
                        log::info!("sync: {}", r.to_string().trim_end());
                    }
                    backoff.succeed();
                    s.interval
                }
                Err(e) => {
                    let wait = backoff.fail(random());
                    log::warn!(
                        "sync: {e}; failure {}, next try in {:.1} s",
                        backoff.failures(),
                        wait.as_secs_f64()
                    );
                    wait
                }
            };
            tokio::select! {
                _ = shutdown.changed() => return,
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// One pass: everything the centre lacks, then the registry. The
    /// outcome is kept for `GET /api/status` and the console.
    pub async fn pass(
        &self,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<PassReport, SyncError> {
        let _one = self.running.lock().await;
        let mut status = self.store().sync_status()?;
        status.last_attempt = crate::clock::now();
        self.store().set_sync_status(&status)?;
        let mut report = PassReport::default();
        let result = self.upload(&mut report, progress).await;
        let mut status = self.store().sync_status()?;
        status.sent += report.sent;
        match &result {
            Ok(()) => {
                status.last_success = crate::clock::now();
                status.last_error = None;
            }
            Err(e) => status.last_error = Some(e.to_string()),
        }
        self.store().set_sync_status(&status)?;
        result.map(|()| report)
    }

    async fn connect(&self) -> Result<Client, SyncError> {
        let s = &self.settings;
        let addr: SocketAddr = tokio::net::lookup_host(&s.centre)
            .await
            .map_err(|e| SyncError::Resolve(s.centre.clone(), e.to_string()))?
            .next()
            .ok_or_else(|| SyncError::Resolve(s.centre.clone(), "no address".into()))?;
        Ok(Client::with_identity(
            addr,
            &s.central_cert,
            true,
            Some((&s.client_cert, &s.client_key)),
        )?)
    }

    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        c: &mut Client,
        method: &str,
        path: &str,
        body: Vec<u8>,
    ) -> Result<T, SyncError> {
        let t = self.settings.timeout;
        let (status, bytes) =
            tokio::time::timeout(t, c.request(method, path, "application/octet-stream", body))
                .await
                .map_err(|_| SyncError::Timeout(t))??;
        if status != 200 {
            let mut body = String::from_utf8_lossy(&bytes).into_owned();
            body.truncate(500);
            return Err(SyncError::Status { status, body });
        }
        serde_json::from_slice(&bytes).map_err(|e| SyncError::Reply(e.to_string()))
    }

    fn remember_ack(&self, acked: u64) -> Result<(), SyncError> {
        let mut status = self.store().sync_status()?;
        status.acknowledged = acked;
        Ok(self.store().set_sync_status(&status)?)
    }

    async fn upload(
        &self,
        report: &mut PassReport,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<(), SyncError> {
        let local = self
            .store()
            .site()?
            .as_ref()
            .and_then(super::site_id)
            .ok_or(SyncError::NoSite)?;
        let mut c = self.connect().await?;
        let state: State = self.call(&mut c, "GET", "/sync/state", Vec::new()).await?;
        if state.site != local {
            return Err(SyncError::WrongSite {
                centre: state.site,
                local,
            });
        }
        let (head, _) = self.store().journal_head()?;
        if state.acked > head {
            return Err(SyncError::Behind {
                centre: state.acked,
                local: head,
            });
        }
        let mut acked = state.acked;
        report.from = acked;
        report.acked = acked;
        self.remember_ack(acked)?;
        let limits = self.settings.limits;
        loop {
            let (head, _) = self.store().journal_head()?;
            progress(Progress { acked, head });
            let batch = self
                .blocking(move |s| s.journal_batch(acked + 1, limits))
                .await?;
            if batch.count == 0 {
                break;
            }
            let sent = batch.last;
            report.bytes += batch.body.len() as u64;
            report.sent += batch.count as u64;
            report.batches += 1;
            let r: Ingested = self
                .call(&mut c, "POST", "/sync/events", batch.body)
                .await?;
            report.stored += r.stored;
            report.duplicates += r.duplicates;
            if let Some(conflict) = r.conflicts.first() {
                return Err(SyncError::Conflict {
                    seq: conflict.seq,
                    reason: conflict.reason.clone(),
                });
            }
            if r.acked < sent {
                return Err(SyncError::Stalled {
                    acked: r.acked,
                    sent,
                });
            }
            acked = r.acked;
            report.acked = acked;
            self.remember_ack(acked)?;
        }
        if state.registry_version > self.store().registry_version()? {
            let registry: Registry = self
                .call(&mut c, "GET", "/sync/registry", Vec::new())
                .await?;
            let version = registry.version;
            let actor = Actor {
                name: "centre".into(),
                at: crate::clock::now(),
            };
            if self
                .blocking(move |s| s.apply_registry(&registry, &actor))
                .await?
            {
                report.registry = Some(version);
                (self.applied)(&self.owner)
                    .map_err(|reason| SyncError::Tables { version, reason })?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn central_urls() {
        let ok = [
            (
                "https://centre.customs.gov.vn/",
                "centre.customs.gov.vn:443",
            ),
            ("https://127.0.0.1:9443/", "127.0.0.1:9443"),
            ("https://127.0.0.1:9443", "127.0.0.1:9443"),
            ("https://[::1]:9443/", "[::1]:9443"),
            ("https://[::1]/", "[::1]:443"),
        ];
        for (url, want) in ok {
            assert_eq!(centre_address(url).as_deref(), Ok(want), "{url}");
        }
        let bad = [
            ("http://127.0.0.1:9443/", "https://"),
            ("https://", "no path"),
            ("https://host/sync", "no path"),
            ("https://host:port/", "not a number"),
            ("https://:9443/", "no host"),
        ];
        for (url, want) in bad {
            let e = centre_address(url).unwrap_err();
            assert!(e.contains(want), "{url}: {e}");
        }
    }
}
