//! End to end in a real browser: Debian's chromium, driven by
//! `e2e/console.mjs` (playwright-core), against the real binary. A
//! declarant lodges and registers an import over the VNACCS endpoint, an
//! officer clears it through the console page, and the declarant's `#REP1`
//! then returns the clearance.
//!
//! Ignored by a plain `cargo test`, since it needs chromium and the npm
//! packages: `scripts/test` installs them and runs it with `--ignored`.
//! `SCREENSHOTS=docs/screenshots` also saves pictures of the main pages.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

const PASSWORD: &str = "e2e console password";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium and e2e/node_modules; run by scripts/test"]
async fn an_officer_clears_a_declaration_in_the_browser() {
    let app = Appliance::start();
    let out = Command::new(BIN)
        .arg("--data-dir")
        .arg(app.data())
        .args([
            "officer",
            "add",
            "--login",
            "sup1",
            "--name",
            "Nguyễn Thị Giám Sát",
        ])
        .args([
            "--role",
            "supervision",
            "--role",
            "statistics",
            "--role",
            "it",
        ])
        .env("OUTPOST_OFFICER_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut c = app.client(true);
    // Some traffic for the list and the statistics, then the one to clear.
    for d in [ALICE, BOB] {
        assert_eq!(submit_ida(&mut c, &d).await.codes(), ["00000-0000-0000"]);
    }
    // And for the other pages: a bonded transport and a direction.
    registered_transport(&mut c).await;
    outpost_ok(
        app.data(),
        &[
            "direction",
            "add",
            "--tax-code",
            BOB.tax_code,
            "--category",
            "gifts",
            "--from",
            "01/01/2020",
            "--until",
            "31/12/2099",
            "--max",
            "5",
            "--reason",
            "Official letter on donated school equipment",
        ],
    );
    let r = submit_ida(&mut c, &ALICE).await;
    let number = r.number();
    let r = send(&mut c, request("IDC", &ALICE, &format!("{number}\r\n"))).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    let before: Vec<String> = retrieve_all(&mut c, &ALICE)
        .await
        .into_iter()
        .map(|(code, _)| code)
        .collect();
    assert!(!before.contains(&"VAD1AG0".to_string()), "{before:?}");

    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut node = Command::new("node");
    node.arg(root.join("e2e").join("console.mjs"))
        .current_dir(root.join("e2e"))
        .env("OUTPOST_URL", format!("https://{}", app.addr))
        .env("OFFICER_LOGIN", "sup1")
        .env("OFFICER_PASSWORD", PASSWORD)
        .env("NUMBER", &number);
    if let Ok(dir) = std::env::var("SCREENSHOTS") {
        std::fs::create_dir_all(root.join(&dir)).unwrap();
        node.env("SCREENSHOTS", root.join(dir));
    }
    let out = tokio::task::spawn_blocking(move || node.output())
        .await
        .unwrap()
        .expect("running node");
    println!("{}", String::from_utf8_lossy(&out.stdout));
    assert!(
        out.status.success(),
        "the browser run failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // The declarant's terminal now gets the clearance output.
    let got = retrieve_all(&mut c, &ALICE).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, "VAD1AG0");
    assert!(got[0].1.starts_with(&format!("{number}\r\n")));
}
