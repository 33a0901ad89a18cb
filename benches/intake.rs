//! Durable IDA acceptances per second over TLS, against the real binary,
//! next to the storage floor: the same records written straight into sled.
//!
//! `cargo bench --bench intake` (env BENCH_SECS sets seconds per run, default 3).

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use outpost::client::Client;
use outpost::wire::{HField, Header, Message};

mod common;
use common::{ida_fields, run, spawn_listening};

fn ida() -> Vec<u8> {
    let f = ida_fields();
    let mut h = Header::default();
    h.set(HField::Control, "SS");
    h.set(HField::JobCode, "IDA");
    h.set(HField::UserId, "ABC12001");
    h.set(HField::Password, "PASSW0RD");
    h.set(HField::Path, "T12345");
    Message::new(h, f.render()).render()
}

struct Sample {
    ok: u64,
    latencies: Vec<Duration>,
}

async fn intake(
    addr: std::net::SocketAddr,
    cert: &Path,
    clients: usize,
    keep_alive: bool,
    secs: f64,
) -> (f64, Sample) {
    let stop = Arc::new(AtomicBool::new(false));
    let body = ida();
    let mut tasks = Vec::new();
    let start = Instant::now();
    for _ in 0..clients {
        let mut c = Client::new(addr, cert, keep_alive).unwrap();
        let stop = stop.clone();
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            let mut s = Sample {
                ok: 0,
                latencies: Vec::new(),
            };
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                let reply = c.post(body.clone()).await.expect("post");
                assert_eq!(&reply[400..415], b"00000-0000-0000", "IDA refused");
                s.latencies.push(t.elapsed());
                s.ok += 1;
            }
            s
        }));
    }
    tokio::time::sleep(Duration::from_secs_f64(secs)).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Sample {
        ok: 0,
        latencies: Vec::new(),
    };
    for t in tasks {
        let s = t.await.unwrap();
        all.ok += s.ok;
        all.latencies.extend(s.latencies);
    }
    (start.elapsed().as_secs_f64(), all)
}

fn pct(lat: &mut [Duration], p: f64) -> f64 {
    lat.sort_unstable();
    let i = ((lat.len() as f64 * p).ceil() as usize).clamp(1, lat.len()) - 1;
    lat[i].as_secs_f64() * 1000.0
}

/// The storage floor: records of the same size inserted straight into sled
/// by `writers` threads, made durable in batches (flush + fsync per batch).
fn sled_floor(dir: &Path, writers: usize, secs: f64) -> f64 {
    let store = outpost::store::Store::open(dir, 64 << 20).unwrap();
    // One IDA stores its registered copy (about the message size) and the
    // declaration's trimmed values (about 2 KiB here).
    let record = vec![b'x'; ida().len() + 2048];
    let stop = Arc::new(AtomicBool::new(false));
    let store = Arc::new(store);
    let start = Instant::now();
    let handles: Vec<_> = (0..writers)
        .map(|w| {
            let (store, stop, record) = (store.clone(), stop.clone(), record.clone());
            std::thread::spawn(move || {
                let tree = store.db().open_tree("floor").unwrap();
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let key = ((w as u64) << 40 | n).to_be_bytes();
                    tree.insert(key, record.as_slice()).unwrap();
                    store.durable().unwrap();
                    n += 1;
                }
                n
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs_f64(secs));
    stop.store(true, Ordering::Relaxed);
    let total: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    let rate = total as f64 / start.elapsed().as_secs_f64();
    let st = store.commit_stats();
    println!(
        "  sled floor   {writers:>3} writers: {rate:>8.0} durable writes/s ({:.1} writes per flush, mean flush {:.2} ms)",
        st.writes as f64 / st.flushes.max(1) as f64,
        st.flush_time.as_secs_f64() * 1000.0 / st.flushes.max(1) as f64
    );
    rate
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` would too: only run
    // the measurement when benchmarking.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let secs: f64 = std::env::var("BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("appliance");
    run(&data, &["init", "--site", "17"]);
    run(&data, &["mode", "active", "--reason", "benchmark"]);
    run(
        &data,
        &[
            "user",
            "add",
            "--code",
            "ABC12001",
            "--password",
            "PASSW0RD",
            "--terminal",
            "T12345",
            "--access-key",
            "KEY",
            "--tax-code",
            "0101234567",
        ],
    );
    let (mut child, addr) = spawn_listening(&data, &["serve", "--listen", "127.0.0.1:0"]);
    let addr: std::net::SocketAddr = addr.parse().unwrap();
    let cert = data.join("tls").join("cert.pem");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();

    println!(
        "IDA intake over TLS ({} byte messages, {secs} s per run, durable before reply):",
        ida().len()
    );
    let mut results = Vec::new();
    for keep_alive in [true, false] {
        for clients in [1usize, 8, 64] {
            let (took, mut s) = rt.block_on(intake(addr, &cert, clients, keep_alive, secs));
            let rate = s.ok as f64 / took;
            println!(
                "  {:<10} {clients:>3} clients: {rate:>8.0} IDA/s  p50 {:>6.2} ms  p99 {:>6.2} ms",
                if keep_alive { "keep-alive" } else { "close" },
                pct(&mut s.latencies, 0.50),
                pct(&mut s.latencies, 0.99),
            );
            results.push((keep_alive, clients, rate));
        }
    }
    let status = rt.block_on(async {
        let mut c = Client::new(addr, &cert, false).unwrap();
        c.request("GET", "/api/status", "text/plain", vec![])
            .await
            .unwrap()
            .1
    });
    let status: serde_json::Value = serde_json::from_slice(&status).unwrap();
    let (writes, flushes) = (
        status["durable_writes"].as_f64().unwrap(),
        status["flushes"].as_f64().unwrap(),
    );
    println!("  group commit in the appliance: {writes} durable writes in {flushes} flushes ({:.1} per flush)", writes / flushes.max(1.0));
    let _ = child.kill();
    let _ = child.wait();

    println!("Storage floor (same record size straight into sled, group flush + fsync):");
    for (i, writers) in [1usize, 8, 64].into_iter().enumerate() {
        let floor = sled_floor(&dir.path().join(format!("floor{i}")), writers, secs);
        for (keep_alive, clients, rate) in &results {
            if *clients == writers {
                println!(
                    "  {:<10} {clients:>3}: appliance at {:>5.1}% of the storage floor",
                    if *keep_alive { "keep-alive" } else { "close" },
                    100.0 * rate / floor
                );
            }
        }
    }
}
