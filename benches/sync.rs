//! Sync throughput: events per second uploaded to the centre over loopback
//! (mutual TLS, real processes), and bundle export and import in MB/s.
//!
//! `cargo bench --bench sync` (env SYNC_BENCH_DECLARATIONS, default
//! 100000). The site's store is filled through the library `Store`, which
//! journals each declaration as intake does: one entry per declaration,
//! with its registered-copy output.

use std::path::Path;
use std::time::Instant;

use outpost::rules::declaration::{Declaration, IMPORT};
use outpost::rules::eligibility::Basis;
use outpost::store::records::Output;
use outpost::store::{Actor, Store};

mod common;
use common::{ida_fields, run, spawn_listening};

fn prefill(site: &Path, n: u64) -> (u64, u64) {
    let store = Store::open(site, 256 << 20).unwrap();
    let f = ida_fields();
    let body = f.render();
    let actor = Actor {
        name: "ABC12001".into(),
        at: 1_800_000_000,
    };
    for i in 0..n {
        store
            .create_declaration(IMPORT.family, Basis::Outage, &actor, "job IDA", |num| {
                let d = Declaration::pre_registered(
                    &IMPORT,
                    num,
                    "ABC12001",
                    "T12345",
                    f.values().to_vec(),
                    i as i64,
                );
                let out = Output {
                    out_code: "VAD4190".into(),
                    job: "IDA".into(),
                    user_code: "ABC12001".into(),
                    subject: num.to_string(),
                    body: body.clone(),
                    created_at: i as i64,
                };
                Ok::<_, ()>((d, vec![("T12345".to_string(), out)]))
            })
            .unwrap()
            .unwrap();
    }
    store.durable().unwrap();
    let (head, _) = store.journal_head().unwrap();
    let bytes: u64 = store
        .journal_raw_from(1)
        .map(|r| r.unwrap().1.len() as u64)
        .sum();
    store.close(outpost::store::DEFAULT_FLUSH_TIMEOUT).unwrap();
    (head, bytes)
}

fn register(centre: &Path, site: &Path) {
    let id = site.join("identity");
    run(site, &["site-identity", "--out", id.to_str().unwrap()]);
    run(
        centre,
        &[
            "central",
            "site",
            "add",
            "--site",
            "17",
            "--cert",
            id.join("site-cert.pem").to_str().unwrap(),
            "--key-pub",
            id.join("site-key.pub").to_str().unwrap(),
        ],
    );
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

fn main() {
    let n: u64 = std::env::var("SYNC_BENCH_DECLARATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let tmp = tempfile::tempdir().unwrap();
    let (site, centre, other) = (
        tmp.path().join("site"),
        tmp.path().join("centre"),
        tmp.path().join("centre2"),
    );
    run(&site, &["init", "--site", "17"]);
    let t = Instant::now();
    let (head, bytes) = prefill(&site, n);
    println!(
        "filled the site: {n} declarations, {head} journal entries, {:.1} MB ({:.0} bytes each) in {:.1} s",
        mb(bytes),
        bytes as f64 / head as f64,
        t.elapsed().as_secs_f64()
    );

    register(&centre, &site);
    let (mut child, addr) =
        spawn_listening(&centre, &["central", "serve", "--listen", "127.0.0.1:0"]);
    std::fs::write(
        site.join("outpost.toml"),
        format!(
            "central_url = \"https://{addr}/\"\ncentral_cert = \"{}\"\n",
            centre.join("tls").join("cert.pem").display()
        ),
    )
    .unwrap();
    let t = Instant::now();
    let report = run(&site, &["sync"]);
    let secs = t.elapsed().as_secs_f64();
    print!("{report}");
    println!(
        "network upload over loopback (mutual TLS, batches of 1000 events / 4 MiB): \
         {head} events in {secs:.1} s = {:.0} events/s, {:.1} MB/s",
        head as f64 / secs,
        mb(bytes) / secs
    );
    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(child.id() as i32, 15) };
    child.wait().unwrap();

    let bundle = tmp.path().join("site.bundle");
    let t = Instant::now();
    run(
        &site,
        &["export", "--out", bundle.to_str().unwrap(), "--since", "0"],
    );
    let secs = t.elapsed().as_secs_f64();
    let size = std::fs::metadata(&bundle).unwrap().len();
    println!(
        "bundle export: {:.1} MB in {secs:.2} s = {:.1} MB/s",
        mb(size),
        mb(size) / secs
    );
    register(&other, &site);
    let t = Instant::now();
    let out = run(&other, &["import", bundle.to_str().unwrap()]);
    let secs = t.elapsed().as_secs_f64();
    assert!(out.contains(&format!("imported {head} new")), "{out}");
    println!(
        "bundle import (verify, then ingest into an empty centre): {:.1} MB in {secs:.2} s = {:.1} MB/s",
        mb(size),
        mb(size) / secs
    );
    let t = Instant::now();
    let out = run(&other, &["import", bundle.to_str().unwrap()]);
    let secs = t.elapsed().as_secs_f64();
    assert!(out.contains("imported 0 new"), "{out}");
    println!(
        "bundle import again (all already held): {:.1} MB in {secs:.2} s = {:.1} MB/s",
        mb(size),
        mb(size) / secs
    );
}
