//! The three cases: mode switches, directions and their limits, over TLS.

mod common;

use common::*;
use outpost::rules::declaration::{Spec, EXPORT, IMPORT};
use outpost::rules::numbering::Family;
use outpost::wire::{tables, Fields};

fn ida_with(d: &Declarant, set: &[(&str, &str)]) -> String {
    let mut f = Fields::parse(&tables::IDA, &ida_body(d, 1, "84713020"), None)
        .unwrap()
        .unwrap();
    for (k, v) in set {
        f.set(k, v);
    }
    f.render()
}

fn ok(out: std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn standby_takes_only_directed_cases_and_the_switch_is_immediate() {
    let app = Appliance::start();
    let mut c = app.client(true);
    let plain = submit_ida(&mut c, &ALICE).await;
    assert_eq!(plain.codes(), ["00000-0000-0000"]);
    assert!(
        plain.subject().ends_with("BACKUP-ACTIVE"),
        "{}",
        plain.subject()
    );
    let pre_registered = plain.number();

    ok(outpost(
        app.data(),
        &["mode", "standby", "--reason", "VNACCS is back"],
    ));
    let shown = ok(outpost(app.data(), &["mode"]));
    assert!(shown.starts_with("mode standby since "), "{shown}");
    assert!(shown.contains("VNACCS is back"), "{shown}");

    // A plain import is refused with the code that says: use VNACCS.
    let r = submit_ida(&mut c, &ALICE).await;
    assert_eq!(r.codes(), ["A0015-0000-0000"]);
    assert!(r.subject().ends_with("BACKUP-STANDBY"));
    // What was pre-registered during the outage cannot be registered now.
    let r = send(
        &mut c,
        request("IDC", &ALICE, &format!("{pre_registered}\r\n")),
    )
    .await;
    assert_eq!(r.codes(), ["A0015-0000-0000"]);

    // A relief direction for Alice, two declarations.
    let out = ok(outpost(
        app.data(),
        &[
            "direction",
            "add",
            "--tax-code",
            ALICE.tax_code,
            "--category",
            "relief",
            "--from",
            "01/01/2020",
            "--until",
            "31/12/2099",
            "--max",
            "2",
            "--reason",
            "Official letter on flood relief",
        ],
    ));
    assert!(out.starts_with("direction 1 issued"), "{out}");
    let relief = ida_with(&ALICE, &[("CCC", "C")]);
    for _ in 0..2 {
        let r = send(&mut c, request("IDA", &ALICE, &relief)).await;
        assert_eq!(r.codes(), ["00000-0000-0000"]);
        // Registered with IDC too: the direction covers the declaration.
        let n = r.number();
        let r = send(&mut c, request("IDC", &ALICE, &format!("{n}\r\n"))).await;
        assert_eq!(r.codes(), ["00000-0000-0000"]);
    }
    // Used up; other categories and other declarants were never covered.
    let r = send(&mut c, request("IDA", &ALICE, &relief)).await;
    assert_eq!(r.codes(), ["A0015-0000-0000"]);
    let r = send(
        &mut c,
        request("IDA", &ALICE, &ida_with(&ALICE, &[("CCC", "B")])),
    )
    .await;
    assert_eq!(r.codes(), ["A0015-0000-0000"]);
    let r = send(
        &mut c,
        request("IDA", &BOB, &ida_with(&BOB, &[("CCC", "C")])),
    )
    .await;
    assert_eq!(r.codes(), ["A0015-0000-0000"]);
    let list = ok(outpost(app.data(), &["direction", "list"]));
    assert!(
        list.contains("relief 01/01/2020–31/12/2099 used 2 of 2"),
        "{list}"
    );

    // Outage again: everything goes through at once.
    ok(outpost(
        app.data(),
        &["mode", "active", "--reason", "VNACCS down again"],
    ));
    let r = submit_ida(&mut c, &BOB).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    let (_, body) = c
        .request("GET", "/api/status", "text/plain", vec![])
        .await
        .unwrap();
    let status: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(status["mode"], "active");
    assert_eq!(status["mode_reason"], "VNACCS down again");
}

#[test]
fn mode_and_direction_commands_refuse_mistakes() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["mode", "active"], "give the reason"),
        (
            &["mode", "sideways", "--reason", "x"],
            "invalid value 'sideways'",
        ),
        (
            &[
                "direction",
                "add",
                "--tax-code",
                "0101234567",
                "--category",
                "relief",
                "--from",
                "31/02/2026",
                "--until",
                "01/03/2026",
                "--reason",
                "x",
            ],
            "--from \"31/02/2026\" is not a real date",
        ),
        (
            &[
                "direction",
                "add",
                "--tax-code",
                "0101234567",
                "--category",
                "relief",
                "--from",
                "02/03/2026",
                "--until",
                "01/03/2026",
                "--reason",
                "x",
            ],
            "ends before it starts",
        ),
        (
            &[
                "direction",
                "add",
                "--tax-code",
                "0101234567",
                "--category",
                "weapons",
                "--from",
                "01/03/2026",
                "--until",
                "01/03/2026",
                "--reason",
                "x",
            ],
            "invalid value 'weapons'",
        ),
        (
            &["direction", "revoke", "9", "--reason", "x"],
            "there is no direction 9",
        ),
    ];
    for (args, want) in cases {
        let out = outpost(dir.path(), args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(err.contains(want), "{args:?}: {err}");
    }
}

/// Post/express goods (cargo class F) on the ordinary import form, valued
/// in `currency`.
/// A post/express (cargo class F) declaration of `spec`'s family with this
/// total invoice value.
fn express(spec: &Spec, currency: &str, total: &str) -> String {
    let body = match spec.family {
        Family::Import => ida_body(&ALICE, 1, "84713020"),
        Family::Export => eda_body(&ALICE, 1, "B11"),
    };
    let mut f = Fields::parse(spec.layout, &body, None).unwrap().unwrap();
    for (k, v) in [("CCC", "F"), ("IP3", currency), ("IP4", total)] {
        f.set(k, v);
    }
    f.render()
}

/// [`express`] lodged as a pre-registration by Alice.
fn lodge(spec: &Spec, currency: &str, total: &str) -> Vec<u8> {
    request(spec.pre, &ALICE, &express(spec, currency, total))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn low_value_post_and_express_goods_are_refused_on_ida_and_eda_too() {
    let mut app = Appliance::start();
    let mut c = app.client(true);
    // The default threshold: VND 1 million, no exchange rates.
    let mut registered = Vec::new();
    for spec in [&IMPORT, &EXPORT] {
        let r = send(&mut c, lodge(spec, "VND", "500000")).await;
        assert_eq!(r.codes(), ["A0002-0000-0000"], "{}", spec.pre);
        let r = send(&mut c, lodge(spec, "VND", "2000000")).await;
        assert_eq!(r.codes(), ["00000-0000-0000"], "{}", spec.pre);
        let n = r.number();
        let r = send(&mut c, request(spec.reg, &ALICE, &format!("{n}\r\n"))).await;
        assert_eq!(r.codes(), ["00000-0000-0000"], "{}", spec.reg);
        let r = send(&mut c, lodge(spec, "USD", "30")).await;
        assert_eq!(
            r.codes(),
            ["00000-0000-0000"],
            "{}: no rate, not judged",
            spec.pre
        );
        registered.push((spec, n));
    }

    // The branch raises the threshold and gives a dollar rate.
    std::fs::write(
        app.data().join("outpost.toml"),
        "low_value_threshold_vnd = 5000000\nvnd_rates = { USD = 25000 }\n",
    )
    .unwrap();
    app.signal(SIGTERM);
    assert!(app.wait_exit(std::time::Duration::from_secs(10)).success());
    app.spawn();
    let mut c = app.client(true);
    for (spec, n) in registered {
        let r = send(&mut c, lodge(spec, "USD", "30")).await;
        assert_eq!(
            r.codes(),
            ["A0002-0000-0000"],
            "{}: USD 30 = VND 750,000",
            spec.pre
        );
        let r = send(&mut c, lodge(spec, "USD", "300")).await;
        assert_eq!(r.codes(), ["00000-0000-0000"], "{}", spec.pre);
        // Nor can an amendment bring registered goods under it.
        let mut amended = Fields::parse(spec.layout, &express(spec, "VND", "2000000"), None)
            .unwrap()
            .unwrap();
        amended.set(spec.number, &n);
        let amended = Fields::from_values(spec.amend_layout, amended.values().to_vec());
        let r = send(&mut c, request(spec.amend, &ALICE, &amended.render())).await;
        assert_eq!(r.codes(), ["A0002-0000-0000"], "{}", spec.amend);
    }
    assert_verified(app.data());
}
