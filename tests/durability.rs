//! Nothing acknowledged is lost, numbers are never issued twice, and the
//! process stops and reloads cleanly on signals.

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use outpost::wire::HField;

/// Sends IDAs from `clients` concurrent connections until the server dies;
/// returns every acknowledged (number, body) pair. `acked` counts them as
/// they come, so the killer can wait until the load is really running.
async fn load_until_killed(
    app: &Appliance,
    clients: usize,
    count: Arc<AtomicUsize>,
) -> Vec<(String, String)> {
    let acked = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for i in 0..clients {
        let mut c = app.client(i % 2 == 0);
        let acked = acked.clone();
        let count = count.clone();
        tasks.push(tokio::spawn(async move {
            for k in 0..10_000u32 {
                let body = ida_body(
                    &ALICE,
                    1 + (k % 3) as u16,
                    &format!("8471{:04}", (i as u32 * 131 + k) % 10_000),
                );
                let Ok(raw) = c.post(request("IDA", &ALICE, &body)).await else {
                    return;
                };
                let r = Reply::parse(raw);
                if r.codes() == ["00000-0000-0000"] {
                    acked.lock().unwrap().push((r.number(), body));
                    count.fetch_add(1, Ordering::SeqCst);
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    Arc::try_unwrap(acked).unwrap().into_inner().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_under_concurrent_load_loses_no_acknowledged_declaration() {
    let mut app = Appliance::start();
    let mut all: HashMap<String, String> = HashMap::new();
    for round in 0..3 {
        let pid = app.pid();
        // Kill while requests are in flight: once the first acknowledgements
        // are in (a loaded machine can take long over the first logins),
        // then a little later each round.
        let count = Arc::new(AtomicUsize::new(0));
        let seen = count.clone();
        let killer = std::thread::spawn(move || {
            let start = std::time::Instant::now();
            while seen.load(Ordering::SeqCst) < 16 && start.elapsed() < Duration::from_secs(60) {
                std::thread::sleep(Duration::from_millis(10));
            }
            std::thread::sleep(Duration::from_millis(200 + 300 * round));
            // SAFETY: kill(2) on our child's pid.
            unsafe { libc::kill(pid, 9) };
        });
        let acked = load_until_killed(&app, 16, count).await;
        killer.join().unwrap();
        app.wait_exit(Duration::from_secs(10));
        assert!(!acked.is_empty(), "round {round}: load ran before the kill");
        for (n, body) in acked {
            assert!(
                all.insert(n.clone(), body).is_none(),
                "number {n} issued twice"
            );
        }
        app.spawn();
        // Every acknowledged declaration is there with exactly its data.
        let mut c = app.client(true);
        for (n, body) in &all {
            assert_ida_stored(&mut c, n, body, &format!("round {round}")).await;
        }
        // The journal survived with them: its chain, records and counters agree.
        let v = outpost(app.dir.path(), &["verify"]);
        assert!(
            v.status.success(),
            "round {round}: verify: {}",
            String::from_utf8_lossy(&v.stderr)
        );
        let report = String::from_utf8_lossy(&v.stdout);
        let checked: usize = report
            .split_once(" declarations")
            .and_then(|(head, _)| head.rsplit(['(', ' ']).next()?.parse().ok())
            .unwrap_or_else(|| panic!("verify report: {report}"));
        assert!(checked >= all.len(), "verify saw {checked}: {report}");
        // New numbers after the restart do not repeat acknowledged ones.
        let fresh = submit_ida(&mut c, &ALICE).await.number();
        assert!(!all.contains_key(&fresh), "{fresh} reissued after restart");
        all.insert(fresh, ida_body(&ALICE, 1, "84713020"));
    }
    let numbers: HashSet<_> = all.keys().collect();
    assert_eq!(numbers.len(), all.len());
    eprintln!(
        "{} acknowledged declarations survived 3 kill -9 rounds",
        all.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_in_flight_requests_and_exits_zero() {
    let mut app = Appliance::start();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let mut c = app.client(true);
        tasks.push(tokio::spawn(async move {
            let mut ok = Vec::new();
            for _ in 0..200 {
                match c
                    .post(request("IDA", &ALICE, &ida_body(&ALICE, 1, "84713020")))
                    .await
                {
                    Ok(raw) => ok.push(Reply::parse(raw).number()),
                    Err(_) => break,
                }
            }
            ok
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    app.signal(SIGTERM);
    let started = std::time::Instant::now();
    let status = tokio::task::spawn_blocking(move || {
        let st = app.wait_exit(Duration::from_secs(15));
        (st, app)
    })
    .await
    .unwrap();
    let (st, mut app) = status;
    assert!(st.success(), "exit status {st:?}");
    assert!(started.elapsed() < Duration::from_secs(12));
    let mut acked = Vec::new();
    for t in tasks {
        acked.extend(t.await.unwrap());
    }
    assert!(!acked.is_empty());
    app.spawn();
    let mut c = app.client(true);
    for n in acked {
        let r = send(&mut c, request("IDB", &ALICE, &format!("{n}\r\n"))).await;
        assert_eq!(r.codes(), ["00000-0000-0000"], "{n} lost on SIGTERM");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_the_certificate_without_dropping_connections() {
    let app = Appliance::start();
    let mut old = app.client(true);
    assert_eq!(
        send(&mut old, request("IDB", &ALICE, "\r\n")).await.codes(),
        ["R0001-ICN -0000"]
    );
    // Install a new certificate and key, as an operator renewing it would.
    let fresh = tempfile::tempdir().unwrap();
    let (cert, key) = (fresh.path().join("c.pem"), fresh.path().join("k.pem"));
    outpost::tls::ensure_self_signed(&cert, &key, &[]).unwrap();
    std::fs::copy(&cert, app.cert()).unwrap();
    std::fs::copy(&key, app.data().join("tls").join("key.pem")).unwrap();
    app.signal(SIGHUP);
    tokio::time::sleep(Duration::from_millis(300)).await;
    // New connections present the new certificate...
    let mut renewed = outpost::client::Client::new(app.addr, &cert, false).unwrap();
    let r = send(&mut renewed, request("IDB", &ALICE, "\r\n")).await;
    assert_eq!(r.get(HField::DataType), "R");
    // ...and the old keep-alive connection still works.
    assert_eq!(
        send(&mut old, request("IDB", &ALICE, "\r\n")).await.codes(),
        ["R0001-ICN -0000"]
    );
}
