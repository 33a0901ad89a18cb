//! `outpost backup` under load, `outpost restore`, `outpost verify`, and
//! the restored appliance answering for everything acknowledged before.

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use outpost::rules::numbering::DeclNumber;
use outpost::store::records::encode;
use outpost::store::Store;

/// An acknowledged IDA: its number, the body sent, when the answer came.
type Acked = (String, String, Instant);

/// IDAs from `clients` connections until `stop`, each acknowledgement
/// pushed to `acked` as it comes.
fn load(
    app: &Appliance,
    clients: usize,
    stop: Arc<AtomicBool>,
    acked: Arc<Mutex<Vec<Acked>>>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..clients)
        .map(|i| {
            let mut c = app.client(true);
            let (stop, acked) = (stop.clone(), acked.clone());
            tokio::spawn(async move {
                let mut k = 0u32;
                while !stop.load(Ordering::Relaxed) {
                    let hs = format!("8471{:04}", (i as u32 * 977 + k) % 10_000);
                    let body = ida_body(&ALICE, 1 + (k % 3) as u16, &hs);
                    let r = send(&mut c, request("IDA", &ALICE, &body)).await;
                    assert_eq!(r.codes(), ["00000-0000-0000"]);
                    acked
                        .lock()
                        .unwrap()
                        .push((r.number(), body, Instant::now()));
                    k += 1;
                }
            })
        })
        .collect()
}

/// The stored declaration records of `numbers`, as bytes.
fn records(data: &std::path::Path, numbers: &[&String]) -> BTreeMap<String, Vec<u8>> {
    let store = Store::open(data, 8 << 20).unwrap();
    numbers
        .iter()
        .map(|n| {
            let d = store
                .declaration(DeclNumber::parse(n).unwrap())
                .unwrap()
                .unwrap_or_else(|| panic!("{n} is missing from {}", data.display()));
            (n.to_string(), encode(&d))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_under_load_restores_everything_acknowledged_before_it() {
    let mut app = Appliance::start();
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(Mutex::new(Vec::new()));
    let tasks = load(&app, 8, stop.clone(), acked.clone());
    // Under way: every connection past its first (Argon2-checked) request.
    while acked.lock().unwrap().len() < 200 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let out = tempfile::tempdir().unwrap();
    let backup_dir = out.path().join("backup");
    let started = Instant::now();
    let data = app.data().to_path_buf();
    let dest = backup_dir.clone();
    let report = tokio::task::spawn_blocking(move || {
        outpost_ok(&data, &["backup", "--out", dest.to_str().unwrap()])
    })
    .await
    .unwrap();
    let ended = Instant::now();
    let settled = acked.lock().unwrap().len();
    while acked.lock().unwrap().len() < settled + 100 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }
    let acked: Vec<Acked> = std::mem::take(&mut *acked.lock().unwrap());
    let before: Vec<&Acked> = acked.iter().filter(|a| a.2 < started).collect();
    let during = acked
        .iter()
        .filter(|a| a.2 >= started && a.2 <= ended)
        .count();
    eprintln!(
        "{report}{} IDAs acknowledged before the backup, {during} while it ran, {} in all",
        before.len(),
        acked.len()
    );
    assert!(!before.is_empty());
    assert!(during > 0, "intake went on while the backup ran");
    assert!(report.contains("consistent as of entry"), "{report}");

    // Restore into a new directory, and only there.
    let restored = tempfile::tempdir().unwrap();
    let from = backup_dir.to_str().unwrap();
    let refused = outpost(app.data(), &["restore", "--from", from]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("is not empty"));
    let text = outpost_ok(restored.path(), &["restore", "--from", from]);
    assert!(text.contains("chain intact"), "{text}");
    let verified = outpost_ok(restored.path(), &["verify"]);
    assert!(verified.contains("chain intact"), "{verified}");

    // The restored appliance answers for every declaration acknowledged
    // before the backup started, with exactly the data sent.
    let restored = Appliance::open(restored);
    let mut c = restored.client(true);
    for (n, body, _) in &before {
        assert_ida_stored(&mut c, n, body, "restored").await;
    }
    // A new declaration on the restored appliance takes a number of its own.
    let fresh = submit_ida(&mut c, &ALICE).await.number();
    assert!(
        before.iter().all(|(n, _, _)| *n != fresh),
        "{fresh} reissued"
    );
    drop(c);
    let mut restored = restored;
    restored.signal(SIGTERM);
    assert!(restored.wait_exit(Duration::from_secs(20)).success());
    app.signal(SIGTERM);
    assert!(app.wait_exit(Duration::from_secs(20)).success());

    // Byte for byte: the original's records equal the restored ones.
    let numbers: Vec<&String> = before.iter().map(|a| &a.0).collect();
    assert_eq!(
        records(app.data(), &numbers),
        records(restored.data(), &numbers)
    );

    // With the appliance stopped, backup opens the store itself, and the
    // backup holds everything acknowledged.
    let offline = out.path().join("offline");
    outpost_ok(app.data(), &["backup", "--out", offline.to_str().unwrap()]);
    let again = tempfile::tempdir().unwrap();
    outpost_ok(
        again.path(),
        &["restore", "--from", offline.to_str().unwrap()],
    );
    let all: Vec<&String> = acked.iter().map(|a| &a.0).collect();
    assert_eq!(records(app.data(), &all), records(again.path(), &all));
}
