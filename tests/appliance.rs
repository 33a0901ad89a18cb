//! The appliance around the intake: the disk floor, readiness, metrics,
//! the systemd watchdog and the configuration check.

mod common;

use std::os::unix::net::UnixDatagram;
use std::time::{Duration, Instant};

use common::*;
use outpost::client::Client;

/// Restarts `app` with `toml` as `<data dir>/outpost.toml`.
fn restart_with_config(app: &mut Appliance, toml: &str) {
    app.signal(SIGTERM);
    assert!(app.wait_exit(Duration::from_secs(20)).success());
    std::fs::write(app.data().join("outpost.toml"), toml).unwrap();
    app.spawn();
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// The value of one sample line of the metrics text.
fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_the_disk_floor_writes_are_refused_and_reads_go_on() {
    let mut app = Appliance::start();
    let mut c = app.client(true);
    let number = submit_ida(&mut c, &ALICE).await.number();
    restart_with_config(&mut app, "min_free_disk_mb = 100000000\n");
    let mut c = app.client(true);

    let (status, body) = get(&mut c, "/readyz").await;
    assert_eq!(status, 503, "{body}");
    let ready = json(&body);
    assert_eq!(ready["ready"], false);
    assert_eq!(ready["mode"], "active");
    assert!(
        ready["problems"][0].as_str().unwrap().starts_with("disk: "),
        "{body}"
    );

    // Every job that writes is refused before anything is written.
    let writes = [
        request("IDA", &ALICE, &ida_body(&ALICE, 1, "84713020")),
        request("IDC", &ALICE, &format!("{number}\r\n")),
        request("EDA", &ALICE, &eda_body(&ALICE, 1, "B11")),
        request("ROT", &ALICE, &format!("VAD419\r\n{number}\r\n")),
    ];
    for req in writes {
        let r = send(&mut c, req).await;
        assert_eq!(r.codes(), ["A0060-0000-0000"], "{}", r.subject());
    }
    let (_, status) = get(&mut c, "/api/status").await;
    assert_eq!(json(&status)["declarations"], 1, "nothing was written");

    // Call-up, inquiry and retrieval still work.
    let r = send(&mut c, request("IDB", &ALICE, &format!("{number}\r\n"))).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    let r = send(&mut c, request("IID", &ALICE, &format!("{number}\r\n"))).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    let outputs = retrieve_all(&mut c, &ALICE).await;
    assert_eq!(outputs.len(), 1, "the registered copy from before");
    assert_eq!(outputs[0].0, "VAD4190");

    let (_, metrics) = get(&mut c, "/metrics").await;
    assert_eq!(
        sample(
            &metrics,
            "outpost_requests_total{job=\"IDA\",result=\"A0060\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(&metrics, "outpost_disk_floor_bytes"),
        Some((100_000_000u64 << 20) as f64)
    );

    // The code explains itself.
    let (status, body) = get(&mut c, "/api/codes/A0060").await;
    assert_eq!(status, 200);
    assert!(json(&body)["en"].as_str().unwrap().contains("disk"));

    // With the floor lowered, intake takes declarations again.
    restart_with_config(&mut app, "min_free_disk_mb = 0\n");
    let mut c = app.client(true);
    assert_eq!(get(&mut c, "/readyz").await.0, 200);
    let r = submit_ida(&mut c, &ALICE).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_and_metrics_follow_the_work() {
    let app = Appliance::start();
    let mut c = app.client(true);
    assert_eq!(get(&mut c, "/healthz").await, (200, "ok\n".to_string()));
    let (status, body) = get(&mut c, "/readyz").await;
    assert_eq!(status, 200, "{body}");
    let ready = json(&body);
    assert_eq!(ready["ready"], true);
    assert_eq!(ready["mode"], "active");
    assert!(ready["disk_free_bytes"].as_u64().unwrap() > 0);
    assert_eq!(ready["min_free_disk_bytes"], 256u64 << 20);

    for _ in 0..3 {
        submit_ida(&mut c, &ALICE).await;
    }
    let bad = request("IDA", &ALICE, &ida_body(&ALICE, 1, "84713020")[..40]);
    send(&mut c, bad).await;
    let (status, _) = c
        .request("POST", "/", "application/json", b"{}".to_vec())
        .await
        .unwrap();
    assert_eq!(status, 415);

    let (status, m) = get(&mut c, "/metrics").await;
    assert_eq!(status, 200);
    let at = |series: &str| sample(&m, series).unwrap_or_else(|| panic!("{series}:\n{m}"));
    assert_eq!(
        at("outpost_requests_total{job=\"IDA\",result=\"00000\"}"),
        3.0
    );
    assert_eq!(
        at("outpost_request_duration_seconds_count{job=\"IDA\"}"),
        4.0
    );
    assert_eq!(at("outpost_http_refused_total{status=\"415\"}"), 1.0);
    assert_eq!(at("outpost_declarations"), 3.0);
    assert_eq!(at("outpost_outputs_pending"), 3.0, "one copy per IDA");
    assert_eq!(at("outpost_commit_waiters"), 0.0);
    // No centre is configured: every journal entry is still to be sent.
    let head = at("outpost_journal_head");
    assert!(head >= 7.0, "site, users, mode and three IDAs: {head}");
    assert_eq!(at("outpost_sync_pending_events"), head);
    assert!(at("outpost_flush_duration_seconds_count") >= 3.0);
    assert!(at("outpost_durable_writes_total") >= 3.0);
    assert!(at("outpost_disk_free_bytes") > 0.0);
    assert_eq!(at("outpost_mode{mode=\"active\"}"), 1.0);

    retrieve_all(&mut c, &ALICE).await;
    let (_, m) = get(&mut c, "/metrics").await;
    assert_eq!(sample(&m, "outpost_outputs_pending"), Some(0.0));
}

#[test]
fn systemd_gets_ready_and_watchdog_pings() {
    let mut app = Appliance::start();
    // The harness's appliance runs without systemd; start it again as
    // systemd would, with a notification socket and a 400 ms watchdog.
    app.signal(SIGTERM);
    app.wait_exit(Duration::from_secs(20));
    let sock_path = app.data().join("notify.sock");
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    app.spawn_with_env(&[
        ("NOTIFY_SOCKET", sock_path.to_str().unwrap()),
        ("WATCHDOG_USEC", "400000"),
    ]);
    let mut messages = Vec::new();
    let started = Instant::now();
    let mut buf = [0u8; 512];
    while messages.iter().filter(|m| *m == "WATCHDOG=1\n").count() < 3 {
        assert!(started.elapsed() < Duration::from_secs(10), "{messages:?}");
        let n = sock.recv(&mut buf).expect("a notification");
        messages.push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
    assert!(
        messages[0].starts_with("READY=1\nSTATUS=listening on https://127.0.0.1:"),
        "READY comes first, once listening: {messages:?}"
    );
    app.signal(SIGTERM);
    loop {
        let n = sock.recv(&mut buf).expect("STOPPING before exit");
        if &buf[..n] == b"STOPPING=1\n" {
            break;
        }
    }
    assert!(app.wait_exit(Duration::from_secs(20)).success());
}

#[test]
fn check_config_reports_every_problem_and_serve_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let ok = outpost(&data, &["check-config"]);
    assert!(ok.status.success());
    let text = String::from_utf8_lossy(&ok.stdout);
    assert!(text.starts_with("# built-in defaults: OK"), "{text}");
    assert!(text.contains("min_free_disk_mb = 256\n"), "{text}");
    assert!(text.contains("utc_offset = \"+07:00\"\n"), "{text}");

    std::fs::create_dir_all(&data).unwrap();
    let file = data.join("outpost.toml");
    std::fs::write(
        &file,
        "utc_offset = \"ICT\"\nmax_connections = 0\nchannel_rules = \"/nonexistent/rules.toml\"\n",
    )
    .unwrap();
    let bad = outpost(&data, &["check-config"]);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    let shown = file.display().to_string();
    for key in ["utc_offset", "max_connections", "channel_rules"] {
        assert!(
            err.lines()
                .any(|l| l.contains(&format!("{shown}: {key}: "))),
            "{key}: {err}"
        );
    }
    let serve = outpost(&data, &["serve", "--listen", "127.0.0.1:0"]);
    assert!(!serve.status.success());
    assert_eq!(
        String::from_utf8_lossy(&serve.stderr),
        err,
        "the same checks"
    );

    std::fs::write(&file, "listen = \"127.0.0.1:0\"\nlisten_port = 1\n").unwrap();
    let unknown = outpost(&data, &["check-config"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("unknown field `listen_port`"));
}

/// Starts `app` again with SIGXFSZ ignored, so that a write past a file
/// size cap fails with EFBIG instead of killing the process.
fn respawn_ignoring_sigxfsz(app: &mut Appliance) {
    use std::os::unix::process::CommandExt;
    app.signal(SIGTERM);
    assert!(app.wait_exit(Duration::from_secs(20)).success());
    app.spawn_with(|c| {
        // SAFETY: signal(2) is async-signal-safe and touches no memory of
        // the parent.
        unsafe {
            c.pre_exec(|| {
                libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                Ok(())
            });
        }
    });
}

/// Caps the size of the files the running appliance may write
/// (RLIMIT_FSIZE) at what its store's file holds now: sled's next write
/// past it fails with EFBIG, as one on a full disk fails with ENOSPC, and
/// no root is needed to do it.
fn cap_file_size(app: &Appliance) {
    let size = std::fs::metadata(app.data().join("db").join("db"))
        .unwrap()
        .len();
    let cap = libc::rlimit {
        rlim_cur: size,
        rlim_max: size,
    };
    // SAFETY: prlimit(2) on our own child, with a valid struct to read.
    let rc = unsafe { libc::prlimit(app.pid(), libc::RLIMIT_FSIZE, &cap, std::ptr::null_mut()) };
    assert_eq!(rc, 0, "prlimit: {}", std::io::Error::last_os_error());
}

/// Declares until the store refuses three times; returns the numbers
/// acknowledged and the codes of the refusals.
async fn declare_until_refused(c: &mut Client) -> (Vec<String>, Vec<String>) {
    let (mut acked, mut refused) = (Vec::new(), Vec::new());
    for _ in 0..2000 {
        let r = send(c, request("IDA", &ALICE, &ida_body(&ALICE, 50, "84713020"))).await;
        match r.codes()[0].as_str() {
            "00000-0000-0000" => acked.push(r.number()),
            code => refused.push(code.to_string()),
        }
        if refused.len() == 3 {
            break;
        }
    }
    (acked, refused)
}

/// An appliance on `config` whose file size got capped after one
/// declaration, declared at until it refused three times; with the numbers
/// it acknowledged and the codes it refused with.
async fn capped(config: &str) -> (Appliance, Client, Vec<String>, Vec<String>) {
    let mut app = Appliance::start_with(17, config);
    respawn_ignoring_sigxfsz(&mut app);
    let mut c = app.client(true);
    let first = submit_ida(&mut c, &ALICE).await;
    assert_eq!(first.codes(), ["00000-0000-0000"]);
    cap_file_size(&app);
    let (mut acked, refused) = declare_until_refused(&mut c).await;
    acked.insert(0, first.number());
    assert_eq!(refused.len(), 3, "the capped store never refused");
    (app, c, acked, refused)
}

/// Waits up to `limit` for `app` to exit with status 1, starts it again,
/// and checks that the store verifies and every acknowledged number can be
/// called up; returns a client of the new process.
async fn back_whole(app: &mut Appliance, limit: Duration, acked: &[String]) -> Client {
    let status = app.wait_exit(limit);
    assert_eq!(status.code(), Some(1), "{status}");
    app.spawn();
    assert_verified(app.data());
    let mut c = app.client(true);
    for n in acked {
        let r = send(&mut c, request("IDB", &ALICE, &format!("{n}\r\n"))).await;
        assert_eq!(r.codes(), ["00000-0000-0000"], "{n}");
    }
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_cannot_write_refuses_exits_and_comes_back_whole() {
    let config = "min_free_disk_mb = 0\nflush_timeout_secs = 1\nflush_stuck_exit_secs = 4\n";
    let (mut app, mut c, acked, refused) = capped(config).await;
    // The first write to fail may fail inside sled (A0007, nothing
    // written); from the first flush that fails on, A0061.
    assert_eq!(refused[2], "A0061-0000-0000", "{refused:?}");

    let (status, body) = get(&mut c, "/readyz").await;
    assert_eq!(status, 503, "{body}");
    let problems = json(&body)["problems"].to_string();
    assert!(problems.contains("store: "), "{body}");
    let (_, metrics) = get(&mut c, "/metrics").await;
    let refusals = sample(
        &metrics,
        "outpost_requests_total{job=\"IDA\",result=\"A0061\"}",
    );
    assert!(refusals >= Some(1.0), "{metrics}");

    // It exits by itself, non-zero, for systemd (or the operator) to
    // start it again.
    let mut c = back_whole(&mut app, Duration::from_secs(60), &acked).await;
    assert_eq!(
        submit_ida(&mut c, &ALICE).await.codes(),
        ["00000-0000-0000"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_a_store_that_cannot_write_with_a_failure_status() {
    let config = "min_free_disk_mb = 0\nflush_timeout_secs = 1\nflush_stuck_exit_secs = 3600\n";
    let (mut app, _, acked, _) = capped(config).await;
    app.signal(SIGTERM);
    back_whole(&mut app, Duration::from_secs(30), &acked).await;
}

/// Stops the appliance, then reads the journal's length and the config
/// changes in it from the store.
fn config_journal(app: &mut Appliance) -> (u64, Vec<String>) {
    app.signal(SIGTERM);
    assert!(app.wait_exit(Duration::from_secs(20)).success());
    let store = outpost::store::Store::open(app.data(), 8 << 20).unwrap();
    let (entries, _) = store.journal_head().unwrap();
    let changes = store.history("config").unwrap();
    assert!(changes.iter().all(|e| e.action == "config changed"));
    (entries, changes.into_iter().map(|e| e.detail).collect())
}

#[test]
fn config_changes_are_journaled_once() {
    let mut app = Appliance::start_with(17, "low_value_threshold_vnd = 5000000\n");
    let (first, changes) = config_journal(&mut app);
    assert_eq!(changes.len(), 1, "the first start journals the config");
    assert!(
        changes[0].contains("low_value_threshold_vnd = 5000000"),
        "{changes:?}"
    );

    std::fs::write(
        app.data().join("outpost.toml"),
        "low_value_threshold_vnd = 2000000\n",
    )
    .unwrap();
    app.spawn();
    let (second, changes) = config_journal(&mut app);
    assert_eq!(second, first + 1);
    assert_eq!(changes[1], "low_value_threshold_vnd: 5000000 -> 2000000");
    assert_verified(app.data());

    app.spawn();
    let (third, changes) = config_journal(&mut app);
    assert_eq!((third, changes.len()), (second, 2), "nothing changed");
    assert_verified(app.data());
}
