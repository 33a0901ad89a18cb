//! Bad input gets a specific VNACCS result code (or a 4xx) and changes nothing.

mod common;

use common::*;
use outpost::wire::{HField, Message};

async fn declaration_count(c: &mut outpost::client::Client) -> u64 {
    let (status, body) = c
        .request("GET", "/api/status", "text/plain", vec![])
        .await
        .unwrap();
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    v["declarations"].as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn header_problems_get_system_codes() {
    let app = Appliance::start();
    let mut c = app.client(true);
    let body = ida_body(&ALICE, 1, "84713020");
    let with = |f: &dyn Fn(&mut outpost::wire::Header)| {
        let mut h = header("IDA", &ALICE);
        f(&mut h);
        Message::new(h, body.clone()).render()
    };
    let mut truncated = request("IDA", &ALICE, &body);
    truncated.truncate(1000);
    let mut bad_byte = request("IDA", &ALICE, &body);
    bad_byte[40] = 0x01;
    let mut length_off = request("IDA", &ALICE, &body);
    length_off[392..398].copy_from_slice(b"000500");
    let mut latin1 = request("IDA", &ALICE, &body);
    let n = latin1.len();
    latin1[n - 10] = 0xFF;
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("short user code", with(&|h| h.set(HField::UserId, "ABC12"))),
        ("unknown user", with(&|h| h.set(HField::UserId, "NOBODY01"))),
        (
            "wrong password",
            with(&|h| h.set(HField::Password, "WRONG")),
        ),
        (
            "someone else's terminal",
            with(&|h| h.set(HField::Path, BOB.terminal)),
        ),
        ("unknown job", with(&|h| h.set(HField::JobCode, "ZZZ"))),
        (
            "job not served here yet",
            with(&|h| h.set(HField::JobCode, "AMA")),
        ),
        ("length field off", length_off),
        ("truncated body", truncated),
        ("control byte in header", bad_byte),
        ("body not UTF-8", latin1),
    ]
    .into_iter()
    .zip([
        "A0003", "A0005", "A0004", "A0019", "A0001", "A0002", "A0008", "A0008", "A0009", "A0017",
    ])
    .map(|((name, bytes), code)| (name, bytes, code))
    .collect();
    for (name, bytes, code) in cases {
        let r = send(&mut c, bytes).await;
        assert_eq!(r.codes(), [format!("{code}-0000-0000")], "{name}");
        assert_eq!(r.get(HField::DataType), "R", "{name}");
    }
    assert_eq!(declaration_count(&mut c).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn field_problems_get_the_jobs_codes_with_field_and_line() {
    let app = Appliance::start();
    let mut c = app.client(true);
    // Three problems at once: a missing item, a bad number on goods line 2,
    // and a tax code the user may not declare for.
    let mut f = outpost::wire::Fields::parse(
        &outpost::wire::tables::IDA,
        &ida_body(&ALICE, 2, "84713020"),
        None,
    )
    .unwrap()
    .unwrap();
    f.set("MTC", "");
    f.set("IMC", "0309999999");
    let mut body = f.render();
    let bad = "          1O0";
    body = body.replacen("         100\r\n", "PLACEHOLDER", 1);
    body = body.replacen("         100\r\n", &format!("{bad}\r\n"), 1);
    body = body.replacen("PLACEHOLDER", "         100\r\n", 1);
    let r = send(&mut c, request("IDA", &ALICE, &body)).await;
    let codes = r.codes();
    assert!(codes.iter().any(|c| c.ends_with("-MTC -0000")), "{codes:?}");
    assert!(codes.iter().any(|c| c.ends_with("-QN1 -0002")), "{codes:?}");
    assert!(!codes.iter().any(|c| c.starts_with("00000")));
    // Business checks (the tax code) are reported once the layout is clean.
    assert!(!codes.iter().any(|c| c.contains("IMC")), "{codes:?}");
    f.set("MTC", "2");
    let r = send(&mut c, request("IDA", &ALICE, &f.render())).await;
    assert_eq!(r.codes(), ["U0002-IMC -0000"]);
    // An IDC for a number that does not exist, or is not ours.
    let r = send(&mut c, request("IDC", &ALICE, "101234567890\r\n")).await;
    assert_eq!(r.codes(), ["S0005-ICN -0000"]);
    let r = send(&mut c, request("IDB", &ALICE, "\r\n")).await;
    assert_eq!(r.codes(), ["R0001-ICN -0000"]);
    assert_eq!(declaration_count(&mut c).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_oversized_and_wrong_media_types_are_refused_cleanly() {
    let app = Appliance::start();
    let mut c = app.client(true);
    // Deterministic pseudo-random garbage of many sizes: always a reply, never a crash.
    let mut x: u32 = 12345;
    for len in [0usize, 1, 50, 399, 400, 401, 2000, 70_000] {
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                (x >> 16) as u8
            })
            .collect();
        let (status, body) = c.request("POST", "/", "text/plain", bytes).await.unwrap();
        assert_eq!(status, 200, "len {len}");
        let r = Reply::parse(body);
        assert!(r.codes()[0].starts_with('A'), "len {len}: {:?}", r.codes());
    }
    let (status, _) = c
        .request("POST", "/", "text/plain", vec![b' '; (1 << 20) + 1])
        .await
        .unwrap();
    assert_eq!(status, 413);
    let mut c = app.client(true);
    let body = request("IDA", &ALICE, &ida_body(&ALICE, 1, "84713020"));
    let (status, _) = c
        .request("POST", "/", "application/json", body.clone())
        .await
        .unwrap();
    assert_eq!(status, 415);
    let (status, _) = c
        .request("POST", "/", "text/plain; charset=Shift_JIS", body.clone())
        .await
        .unwrap();
    assert_eq!(status, 415);
    let (status, _) = c.request("GET", "/", "text/plain", vec![]).await.unwrap();
    assert_eq!(status, 405);
    let (status, _) = c
        .request("GET", "/nope", "text/plain", vec![])
        .await
        .unwrap();
    assert_eq!(status, 404);
    assert_eq!(declaration_count(&mut c).await, 0);
    // And it still works.
    let r = send(&mut c, body).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    assert_eq!(declaration_count(&mut c).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retrieval_needs_the_access_key_and_never_crosses_terminals() {
    let mut app = Appliance::start();
    let mut c = app.client(false);
    let n = submit_ida(&mut c, &ALICE).await.number();
    assert_eq!(n.len(), 12);

    let rep1 = |d: &Declarant, terminal: &str, key: &str, mode: &str, guard: bool| {
        let mut h = header("#REP1", d);
        if guard {
            h.set(HField::SendGuard, "*");
        }
        Message::new(h, format!("{terminal}\r\n{key}\r\n{mode}\r\n")).render()
    };
    // Logon check: short "LOGON OK" on success, A0018 on a wrong key.
    let r = send(&mut c, rep1(&ALICE, ALICE.terminal, ALICE.key, "0", true)).await;
    assert_eq!(r.raw, b"LOGON OK");
    let r = send(&mut c, rep1(&ALICE, ALICE.terminal, "WRONGKEY", "1", false)).await;
    assert_eq!(r.codes(), ["A0018-0000-0000"]);
    // Bob asks for Alice's terminal: refused; his own queue is empty.
    let r = send(&mut c, rep1(&BOB, ALICE.terminal, ALICE.key, "1", false)).await;
    assert_eq!(r.codes(), ["A0019-0000-0000"]);
    let r = send(&mut c, rep1(&BOB, BOB.terminal, BOB.key, "1", false)).await;
    assert_eq!(r.get(HField::Control), "SS");

    // Outputs survive a restart.
    app.signal(SIGTERM);
    assert!(app.wait_exit(std::time::Duration::from_secs(10)).success());
    app.spawn();
    let mut c = app.client(false);
    let r = send(&mut c, rep1(&ALICE, ALICE.terminal, ALICE.key, "1", false)).await;
    assert_eq!(r.get(HField::Control), "SSP");
    assert_eq!(r.get(HField::Subject), format!("{n} BACKUP-ACTIVE"));
    let rtp = r.get(HField::RtpInfo).to_string();

    // ?A3 sends the same output again; a forged RtpInfo is refused; Bob
    // cannot acknowledge Alice's output even with her token.
    let ack = |job: &str, d: &Declarant, rtp: &str| {
        let mut h = header(job, d);
        h.set(HField::RtpInfo, rtp);
        Message::new(h, String::new()).render()
    };
    let again = send(&mut c, ack("?A3", &ALICE, &rtp)).await;
    assert_eq!(again.get(HField::RtpInfo), rtp);
    assert_eq!(again.first().body, r.first().body);
    let mut forged = rtp.clone().into_bytes();
    forged[17] = if forged[17] == b'9' { b'8' } else { b'9' };
    let f = send(
        &mut c,
        ack("?A2", &ALICE, std::str::from_utf8(&forged).unwrap()),
    )
    .await;
    assert_eq!(f.codes(), ["A0017-0000-0000"]);
    let b = send(&mut c, ack("?A2", &BOB, &rtp)).await;
    assert_eq!(b.codes(), ["A0019-0000-0000"]);
    // The real acknowledgement ends the loop.
    let end = send(&mut c, ack("?A2", &ALICE, &rtp)).await;
    assert_eq!(end.get(HField::Control), "SS");
}
