//! The centre's HTTPS listener. Mutual TLS: a client must present a
//! certificate registered for a site (`outpost central site add`), and the
//! certificate says which site it is; nothing in the request can claim
//! another site.
//!
//! - `POST /sync/events`: framed journal entries (`sync::batch`); answers
//!   with `Ingested` as JSON: stored, duplicates, conflicts, high-water mark.
//! - `GET /sync/state`: the site's high-water mark and the registry version.
//! - `GET /sync/registry`: the registry (declarants, reference tables).

use std::sync::Arc;

use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use serde::{Deserialize, Serialize};

use super::{CentralStore, Contact};
use crate::http::{json, read_body, text, Body, Limits, Peer};
use crate::sync::batch::{decode_frames, MAX_BATCH_BYTES};
use crate::tls::KnownPeer;

/// `GET /sync/state`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub site: u16,
    pub acked: u64,
    pub registry_version: u64,
}

/// The centre's TLS configuration: its own certificate (reloadable), and
/// client certificates required and checked against the registered sites.
pub fn tls_config(
    resolver: Arc<crate::tls::Reloadable>,
    store: Arc<CentralStore>,
) -> Arc<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    // The sites' certificates are self-signed: the certificate itself is
    // what the centre registered, so there is no chain to build.
    let verifier = Arc::new(KnownPeer::new(
        move |der| {
            store
                .site_for_cert(der)
                .map(|s| s.is_some())
                .map_err(|e| e.to_string())
        },
        "the client certificate is not registered for any site",
        provider.clone(),
    ));
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .with_client_cert_verifier(verifier)
        .with_cert_resolver(resolver);
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(cfg)
}

fn error(status: StatusCode, msg: impl std::fmt::Display) -> Response<Body> {
    let mut r = json(serde_json::json!({ "error": msg.to_string() }));
    *r.status_mut() = status;
    r
}

/// Routes one request from an authenticated site.
pub async fn route(
    req: Request<Incoming>,
    peer: Arc<Peer>,
    limits: Arc<Limits>,
    store: Arc<CentralStore>,
) -> Response<Body> {
    let site = match peer.certs.first().map(|c| store.site_for_cert(c)) {
        Some(Ok(Some(site))) => site,
        Some(Err(e)) => return error(StatusCode::INTERNAL_SERVER_ERROR, e),
        _ => return error(StatusCode::FORBIDDEN, "no registered client certificate"),
    };
    let now = crate::clock::now();
    let blocking = |f: Box<dyn FnOnce() -> Response<Body> + Send>| async move {
        tokio::task::spawn_blocking(f).await.unwrap_or_else(|e| {
            log::error!("central handler failed: {e}");
            error(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        })
    };
    match (req.method(), req.uri().path()) {
        (&Method::POST, "/sync/events") => {
            let body = match read_body(
                req.into_body(),
                &peer,
                &limits,
                MAX_BATCH_BYTES,
                "event batches",
            )
            .await
            {
                Ok(b) => b,
                Err(r) => return r,
            };
            blocking(Box::new(move || {
                let events = match decode_frames(&body) {
                    Ok(e) => e,
                    Err(e) => return error(StatusCode::BAD_REQUEST, e),
                };
                match store.ingest(site, &events, &Contact::network(now)) {
                    Ok(r) => {
                        if !r.conflicts.is_empty() {
                            log::warn!("site {site:03}: conflicts {:?}", r.conflicts);
                        }
                        json(serde_json::to_value(&r).unwrap_or_default())
                    }
                    Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e),
                }
            }))
            .await
        }
        (&Method::GET, "/sync/state") => {
            blocking(Box::new(move || {
                let st = store.touch(site, &Contact::network(now));
                let version = store.registry().map(|r| r.version);
                match (st, version) {
                    (Ok(st), Ok(registry_version)) => json(
                        serde_json::to_value(State {
                            site,
                            acked: st.acked,
                            registry_version,
                        })
                        .unwrap_or_default(),
                    ),
                    (Err(e), _) | (_, Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, e),
                }
            }))
            .await
        }
        (&Method::GET, "/sync/registry") => {
            blocking(Box::new(move || match store.registry() {
                Ok(r) => json(serde_json::to_value(&r).unwrap_or_default()),
                Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e),
            }))
            .await
        }
        (&Method::GET, "/healthz") => text(StatusCode::OK, "ok\n"),
        _ => error(StatusCode::NOT_FOUND, "not found"),
    }
}
