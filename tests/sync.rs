//! Sync to the centre with real processes on loopback: two sites and one
//! centre. Every event a site journals reaches the centre exactly once, by
//! network or by carried bundle, whatever fails in between.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use outpost::central::CentralStore;
use outpost::rules::channel::Channel;
use outpost::rules::numbering::DeclNumber;
use outpost::store::Store;
use outpost::wire::{tables, Fields};

/// A site for `block` that syncs with `centre`, registered there.
fn registered_site(centre: &Centre, block: u16) -> Appliance {
    let a = Appliance::start_with(block, &centre.site_config());
    centre.register(block, &a);
    a
}

async fn take_declarations(app: &Appliance, n: usize) {
    let mut c = app.client(true);
    for _ in 0..n {
        let r = submit_ida(&mut c, &ALICE).await;
        assert_eq!(r.codes(), ["00000-0000-0000"]);
    }
}

async fn sync_state(app: &Appliance) -> serde_json::Value {
    let (status, body) = app
        .client(false)
        .request("GET", "/api/status", "text/plain", Vec::new())
        .await
        .expect("GET /api/status");
    assert_eq!(status, 200);
    let mut s: serde_json::Value = serde_json::from_slice(&body).unwrap();
    s["sync"].take()
}

/// Waits until the centre has acknowledged the site's whole journal.
async fn wait_synced(app: &Appliance) -> serde_json::Value {
    let start = Instant::now();
    loop {
        let s = sync_state(app).await;
        if s["pending"] == 0 && s["journal_head"].as_u64() > Some(0) {
            return s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "not synced after 60 s: {s}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn stop(app: &mut Appliance) {
    app.signal(SIGTERM);
    assert!(app.wait_exit(Duration::from_secs(15)).success());
}

/// With every process stopped: the centre holds each site's journal, entry
/// for entry and byte for byte, once, and nothing beyond it.
fn assert_exactly_once(centre: &Centre, sites: &[(u16, &Path)]) {
    let c = CentralStore::open(centre.data(), 8 << 20, false).unwrap();
    for &(site, dir) in sites {
        let s = Store::open(dir, 8 << 20).unwrap();
        let (head, _) = s.journal_head().unwrap();
        assert!(head > 0);
        for item in s.journal_raw_from(1) {
            let (seq, bytes) = item.unwrap();
            let held = c.event(site, seq).unwrap();
            assert_eq!(held.as_deref(), Some(&bytes[..]), "site {site} event {seq}");
        }
        assert_eq!(c.event(site, head + 1).unwrap(), None);
        let st = c.state(site).unwrap();
        assert_eq!(
            (st.acked, st.highest, st.held, st.conflicts),
            (head, head, head, 0),
            "site {site}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sites_work_through_an_outage_at_the_centre_and_everything_arrives_once() {
    let mut centre = Centre::new();
    let mut a = Appliance::start_with(17, &centre.site_config());
    let mut b = Appliance::start_with(18, &centre.site_config());
    centre.register(17, &a);
    centre.register(18, &b);
    // The centre is down: both sites keep taking declarations.
    take_declarations(&a, 15).await;
    take_declarations(&b, 10).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let s = sync_state(&a).await;
    assert!(s["pending"].as_u64() > Some(15), "{s}");
    assert!(s["last_error"].is_string(), "the failure is shown: {s}");
    assert_eq!(s["last_success"], "never");

    centre.spawn();
    let s = wait_synced(&a).await;
    assert!(s["last_error"].is_null(), "{s}");
    wait_synced(&b).await;
    let report = centre.report();
    assert!(
        report.contains("site 017") && report.contains("site 018"),
        "{report}"
    );
    assert!(
        !report.contains("gap") && !report.contains("conflict at"),
        "{report}"
    );
    // A quiet site sends nothing more; the next passes only ask.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    stop(&mut a);
    stop(&mut b);
    centre.stop();
    assert_exactly_once(&centre, &[(17, a.data()), (18, b.data())]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_centre_in_the_middle_of_an_upload_loses_and_duplicates_nothing() {
    let mut centre = Centre::new();
    let config = format!("{}sync_batch_events = 3\n", centre.site_config());
    let mut a = Appliance::start_with(17, &config);
    centre.register(17, &a);
    take_declarations(&a, 400).await;
    let head = sync_state(&a).await["journal_head"].as_u64().unwrap();
    for round in 0..2 {
        centre.spawn();
        // Kill it while batches are going in.
        let start = Instant::now();
        loop {
            let acked = sync_state(&a).await["acknowledged"].as_u64().unwrap();
            if acked > head * (round + 1) / 4 {
                assert!(
                    acked < head,
                    "round {round}: the upload finished before the kill"
                );
                break;
            }
            assert!(start.elapsed() < Duration::from_secs(60));
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        centre.kill9();
    }
    centre.spawn();
    wait_synced(&a).await;
    stop(&mut a);
    centre.stop();
    assert_exactly_once(&centre, &[(17, a.data())]);
}

/// `outpost export --out NAME` run with umask 077 in `cwd`.
fn export_as_operator(data: &Path, cwd: &Path, name: &str, args: &[&str]) -> String {
    let out = std::process::Command::new("sh")
        .args(["-c", "umask 077 && exec \"$@\"", "sh", BIN, "--data-dir"])
        .arg(data)
        .args(["export", "--out", name])
        .args(args)
        .current_dir(cwd)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    succeeded(out, "outpost export")
}

/// A process's umask, from /proc.
fn umask_of(pid: i32) -> u32 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("Umask:")).unwrap();
    u32::from_str_radix(line["Umask:".len()..].trim(), 8).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bundles_are_verified_idempotent_and_mix_with_network_uploads() {
    let mut centre = Centre::new();
    let mut a = registered_site(&centre, 17);
    take_declarations(&a, 12).await;
    // An officer carries events 4.. (1–3 stay behind) on a stick. The
    // running appliance sends the bytes; the command writes them, in its
    // own working directory and with its own umask, which the appliance
    // does not share.
    let stick = tempfile::tempdir().unwrap();
    let out = export_as_operator(a.data(), stick.path(), "carried.bundle", &["--since", "3"]);
    assert!(out.contains("site 017: events 4–"), "{out}");
    let bundle = stick.path().join("carried.bundle");
    let appliance_would_make = 0o666 & !umask_of(a.pid());
    assert_ne!(appliance_would_make, 0o600, "the proof needs another umask");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&bundle).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "the command line made the file");
    assert!(!stick.path().join("carried.partial").exists());

    let first = outpost_ok(centre.data(), &["import", bundle.to_str().unwrap()]);
    assert!(first.contains("0 already held, 0 conflicts"), "{first}");
    let report = centre.report();
    assert!(
        report.contains("complete up to 0") && report.contains("gap: events 1–3"),
        "{report}"
    );
    let again = outpost_ok(centre.data(), &["import", bundle.to_str().unwrap()]);
    assert!(again.contains("imported 0 new"), "{again}");
    assert_eq!(centre.report(), report, "the second import changed nothing");

    // Damaged copies are refused with a reason and change nothing.
    let bytes = std::fs::read(&bundle).unwrap();
    let damaged = [
        ("flipped", {
            let mut b = bytes.clone();
            b[bytes.len() / 2] ^= 0x01;
            b
        }),
        ("truncated", bytes[..bytes.len() - 100].to_vec()),
    ];
    for (what, b) in damaged {
        let path = a.data().join(format!("{what}.bundle"));
        std::fs::write(&path, b).unwrap();
        let out = outpost(centre.data(), &["import", path.to_str().unwrap()]);
        assert!(!out.status.success(), "{what} bundle accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("bundle refused, nothing changed"),
            "{what}: {err}"
        );
        assert_eq!(centre.report(), report, "{what}: changed something");
    }

    // The network then sends everything from 1: the overlap is held once.
    take_declarations(&a, 3).await;
    centre.spawn();
    wait_synced(&a).await;
    let after = outpost_ok(centre.data(), &["import", bundle.to_str().unwrap()]);
    assert!(after.contains("imported 0 new"), "{after}");
    stop(&mut a);
    centre.stop();
    assert_exactly_once(&centre, &[(17, a.data())]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_centre_sends_its_registry_back_and_the_site_applies_it() {
    let mut centre = Centre::new();
    let mut a = registered_site(&centre, 17);
    // USD 30 of post/express goods: not judged without a dollar rate.
    let mut c = a.client(true);
    let r = send(&mut c, request("IDA", &ALICE, &express_usd("30"))).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    const CAROL: Declarant = Declarant {
        code: "CAR56003",
        password: "CAR0L",
        terminal: "T55555",
        key: "CAROLKEY",
        tax_code: "0101234567",
    };
    let out = outpost_ok(
        centre.data(),
        &[
            "central",
            "user",
            "add",
            "--code",
            CAROL.code,
            "--password",
            CAROL.password,
            "--terminal",
            CAROL.terminal,
            "--access-key",
            CAROL.key,
            "--tax-code",
            CAROL.tax_code,
        ],
    );
    assert!(out.contains("registry version 1"), "{out}");
    let table = a.data().join("table.toml");
    let publish = |name: &str, text: &str| {
        std::fs::write(&table, text).unwrap();
        let args = ["central", "table", "set", name, "--file"];
        outpost(
            centre.data(),
            &[&args[..], &[table.to_str().unwrap()]].concat(),
        )
    };
    let out = publish("channel-rules", "default_channel = 3\n");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("registry version 2"),
        "{out:?}"
    );
    let bad = publish("channel-rules", "default_channel = 9\n");
    assert!(!bad.status.success(), "invalid rules are not published");
    assert!(!publish("vnd-rates", "USD = -3\n").status.success());
    let out = publish("vnd-rates", "USD = 25000\n");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("registry version 3"),
        "{out:?}"
    );
    centre.spawn();
    // `outpost sync` on the running appliance: one pass, registry included.
    let out = outpost_ok(a.data(), &["sync"]);
    assert!(out.contains("applied registry version 3"), "{out}");
    assert_eq!(sync_state(&a).await["registry_version"], 3);
    // The tables are in force at once, without a restart: USD 30 is VND
    // 750,000, under the default threshold, and everything goes red.
    let r = send(&mut c, request("IDA", &ALICE, &express_usd("30"))).await;
    assert_eq!(r.codes(), ["A0002-0000-0000"]);
    let r = submit_ida(&mut c, &ALICE).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    let red = r.number();
    let r = send(&mut c, request("IDC", &ALICE, &format!("{red}\r\n"))).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    // What `outpost sync` draws its bar from: the appliance's progress.
    let data = a.data().to_path_buf();
    let (out, frames) = tokio::task::spawn_blocking(move || {
        let mut frames = Vec::new();
        let req = outpost::admin::Request {
            actor: "test".into(),
            command: outpost::admin::Command::Sync,
        };
        let out =
            outpost::admin::remote_streamed(&data, &req, &mut |d, t| frames.push((d, t)), None);
        (out, frames)
    })
    .await
    .unwrap();
    assert!(out.unwrap().contains("the centre holds everything up to"));
    let head = sync_state(&a).await["journal_head"].as_u64().unwrap();
    assert_eq!(frames.last(), Some(&(head, head)), "{frames:?}");
    let users = outpost_ok(a.data(), &["user", "list"]);
    assert!(users.contains(CAROL.code), "{users}");
    let mut c = a.client(true);
    let r = submit_ida(&mut c, &CAROL).await;
    assert_eq!(
        r.codes(),
        ["00000-0000-0000"],
        "the new declarant can declare"
    );
    let v = outpost(a.data(), &["verify"]);
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stderr));
    stop(&mut a);
    let store = Store::open(a.data(), 8 << 20).unwrap();
    let d = store
        .declaration(DeclNumber::parse(&red).unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(d.channel, Some(Channel::Red));
}

/// An IDA for post/express goods invoiced at `total` US dollars.
fn express_usd(total: &str) -> String {
    let mut f = Fields::parse(&tables::IDA, &ida_body(&ALICE, 1, "84713020"), None)
        .unwrap()
        .unwrap();
    for (k, v) in [("CCC", "F"), ("IP3", "USD"), ("IP4", total)] {
        f.set(k, v);
    }
    f.render()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else if e.file_type().unwrap().is_file() {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// Waits until the site's last pass failed with an error containing `want`.
async fn wait_error(app: &Appliance, want: &str) -> serde_json::Value {
    let start = Instant::now();
    loop {
        let s = sync_state(app).await;
        if s["last_error"].as_str().is_some_and(|e| e.contains(want)) {
            return s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no {want:?}: {s}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_restored_from_an_older_copy_is_refused_never_merged() {
    let mut centre = Centre::new();
    let mut a = registered_site(&centre, 17);
    centre.spawn();
    take_declarations(&a, 2).await;
    wait_synced(&a).await;
    stop(&mut a);
    let old = tempfile::tempdir().unwrap();
    copy_dir(&a.data().join("db"), old.path());
    a.spawn();
    take_declarations(&a, 3).await;
    let head = wait_synced(&a).await["journal_head"].as_u64().unwrap();
    stop(&mut a);

    // The appliance comes back from the older copy: the centre is ahead.
    std::fs::remove_dir_all(a.data().join("db")).unwrap();
    copy_dir(old.path(), &a.data().join("db"));
    a.spawn();
    let s = wait_error(&a, "restored from an older copy").await;
    let e = s["last_error"].as_str().unwrap();
    assert!(e.contains(&format!("events up to {head}, but")), "{e}");
    // It takes more declarations than the centre holds: another history
    // from the point of the copy on, which the centre refuses.
    take_declarations(&a, 5).await;
    wait_error(&a, "does not chain").await;
    let report = centre.report();
    assert!(report.contains("conflict at event"), "{report}");
    assert!(
        report.contains(&format!(
            "complete up to {head}, highest {head}, {head} events held"
        )),
        "nothing of the other history was stored: {report}"
    );
}

/// A request to the centre over mutual TLS with `identity` as the client
/// certificate and key, or none.
async fn ask_centre(
    centre: &Centre,
    identity: Option<(&Path, &Path)>,
) -> Result<(u16, Vec<u8>), outpost::client::ClientError> {
    let cert = centre.data().join("tls").join("cert.pem");
    let mut c = outpost::client::Client::with_identity(centre.addr, &cert, false, identity)?;
    c.request("GET", "/sync/state", "text/plain", Vec::new())
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_centre_admits_only_registered_site_certificates_for_their_own_site() {
    let mut centre = Centre::new();
    let a = Appliance::start_with(17, &centre.site_config());
    // B's certificate is registered, but as site 019: B is site 018.
    let b = Appliance::start_with(18, &centre.site_config());
    centre.register(17, &a);
    centre.register(19, &b);
    centre.spawn();
    wait_synced(&a).await;

    let tls = a.data().join("tls");
    let (cert, key) = (tls.join("client-cert.pem"), tls.join("client-key.pem"));
    assert!(cert.exists() && key.exists(), "the site's client identity");
    let (status, body) = ask_centre(&centre, Some((&cert, &key))).await.unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));

    let none = ask_centre(&centre, None).await;
    assert!(none.is_err(), "no client certificate: {none:?}");
    let stranger = tempfile::tempdir().unwrap();
    let (sc, sk) = (stranger.path().join("c.pem"), stranger.path().join("k.pem"));
    outpost::tls::ensure_self_signed(&sc, &sk, &[]).unwrap();
    let unknown = ask_centre(&centre, Some((&sc, &sk))).await;
    assert!(unknown.is_err(), "an unregistered certificate: {unknown:?}");

    let s = wait_error(
        &b,
        "the centre knows this appliance's certificate as site 019",
    )
    .await;
    assert!(
        s["last_error"]
            .as_str()
            .unwrap()
            .contains("but it is site 018"),
        "{s}"
    );
    let out = outpost(b.data(), &["sync"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("as site 019, but it is site 018"),
        "{out:?}"
    );
    centre.stop();
    let c = CentralStore::open(centre.data(), 8 << 20, false).unwrap();
    assert_eq!(
        c.state(19).unwrap().held,
        0,
        "nothing of site 018 stored as 019"
    );
    assert_eq!(c.state(18).unwrap().held, 0);
    assert!(c.state(17).unwrap().held > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_the_disk_floor_intake_is_refused_and_sync_goes_on() {
    let mut centre = Centre::new();
    let mut a = registered_site(&centre, 17);
    take_declarations(&a, 4).await;
    a.signal(SIGTERM);
    assert!(a.wait_exit(Duration::from_secs(20)).success());
    let floor = format!("{}min_free_disk_mb = 100000000\n", centre.site_config());
    std::fs::write(a.data().join("outpost.toml"), floor).unwrap();
    a.spawn();
    let mut c = a.client(true);
    let r = submit_ida(&mut c, &ALICE).await;
    assert_eq!(r.codes(), ["A0060-0000-0000"], "under the floor");
    assert!(sync_state(&a).await["pending"].as_u64() > Some(0));
    centre.spawn();
    let s = wait_synced(&a).await;
    assert_eq!(s["last_error"], serde_json::Value::Null, "{s}");
    let out = outpost_ok(a.data(), &["sync"]);
    assert!(out.contains("the centre holds everything up to"), "{out}");
    stop(&mut a);
    centre.stop();
    assert_exactly_once(&centre, &[(17, a.data())]);
}
