//! The officers' console API over TLS against the real binary: logins and
//! lockout, every role boundary, CSRF, and decisions that reach the
//! declarant's terminal and the audit trail.

mod common;

use common::*;
use outpost::client::Client;
use outpost::wire::{tables, Fields};
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery";

/// `outpost officer add` for a login with these roles.
fn officer_add(app: &Appliance, login: &str, roles: &[&str]) {
    let mut args = vec!["officer", "add", "--login", login, "--name", "Cán bộ thử"];
    for r in roles {
        args.extend(["--role", r]);
    }
    let out = std::process::Command::new(BIN)
        .arg("--data-dir")
        .arg(app.data())
        .args(&args)
        .env("OUTPOST_OFFICER_PASSWORD", PASSWORD)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "officer add: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A logged-in officer: the session cookie and the CSRF token.
struct Officer {
    cookie: String,
    csrf: String,
}

struct Answer {
    status: u16,
    json: Value,
    headers: hyper::HeaderMap,
}

async fn call(
    c: &mut Client,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Value,
) -> Answer {
    let body = if body.is_null() {
        Vec::new()
    } else {
        body.to_string().into_bytes()
    };
    let a = c.exchange(method, path, headers, body).await.unwrap();
    Answer {
        status: a.status,
        json: serde_json::from_slice(&a.body).unwrap_or(Value::Null),
        headers: a.headers,
    }
}

async fn login_as(c: &mut Client, login: &str, password: &str) -> Answer {
    call(
        c,
        "POST",
        "/api/login",
        &[("content-type", "application/json")],
        json!({ "login": login, "password": password }),
    )
    .await
}

async fn login(c: &mut Client, login: &str) -> Officer {
    let a = login_as(c, login, PASSWORD).await;
    assert_eq!(a.status, 200, "{login}: {}", a.json);
    let set = a.headers["set-cookie"].to_str().unwrap().to_string();
    for attr in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set.contains(attr), "{set}");
    }
    Officer {
        cookie: set.split(';').next().unwrap().to_string(),
        csrf: a.json["csrf"].as_str().unwrap().to_string(),
    }
}

impl Officer {
    async fn get(&self, c: &mut Client, path: &str) -> Answer {
        call(c, "GET", path, &[("cookie", &self.cookie)], Value::Null).await
    }

    async fn post(&self, c: &mut Client, path: &str, body: Value) -> Answer {
        call(
            c,
            "POST",
            path,
            &[
                ("cookie", &self.cookie),
                ("x-outpost-csrf", &self.csrf),
                ("content-type", "application/json"),
            ],
            body,
        )
        .await
    }

    /// Records the decision `body` on the declaration `number`.
    async fn decide(&self, c: &mut Client, number: &str, body: Value) -> Answer {
        let path = format!("/api/declarations/{number}/decisions");
        self.post(c, &path, body).await
    }
}

/// The code of the last output a detail page lists, and whether it waits.
fn last_output(a: &Answer) -> (String, bool) {
    let out = a.json["outputs"].as_array().unwrap().last().unwrap();
    (
        out["code"].as_str().unwrap().into(),
        out["pending"].as_bool().unwrap(),
    )
}

/// An appliance with these officers (login, roles), and a client of it.
fn desk(officers: &[(&str, &[&str])]) -> (Appliance, Client) {
    let app = Appliance::start();
    for (login, roles) in officers {
        officer_add(&app, login, roles);
    }
    let c = app.client(true);
    (app, c)
}

/// ALICE lodges and registers an import; its number.
async fn registered_import(c: &mut Client) -> String {
    let r = submit_ida(c, &ALICE).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    let number = r.number();
    let r = send(c, request("IDC", &ALICE, &format!("{number}\r\n"))).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    number
}

fn verify(app: &Appliance) {
    let out = outpost(app.data(), &["verify"]);
    assert!(
        out.status.success(),
        "verify: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_lock_out_and_declarants_never_get_in() {
    let (app, mut c) = desk(&[("sup1", &["supervision"])]);

    // A declarant's VNACCS user code and password are not a console login.
    let a = login_as(&mut c, ALICE.code, ALICE.password).await;
    assert_eq!(
        (a.status, a.json["error"].as_str()),
        (401, Some("credentials"))
    );
    // Without a session nothing under the console's API answers.
    for (m, p) in [
        ("GET", "/api/declarations"),
        ("GET", "/api/me"),
        ("GET", "/api/officers"),
        ("POST", "/api/mode"),
    ] {
        let a = call(
            &mut c,
            m,
            p,
            &[("content-type", "application/json")],
            json!({}),
        )
        .await;
        assert_eq!(a.status, 401, "{m} {p}");
    }

    // Four wrong passwords are refused; the fifth locks the account.
    for _ in 0..4 {
        assert_eq!(login_as(&mut c, "sup1", "wrong password").await.status, 401);
    }
    let a = login_as(&mut c, "sup1", "wrong password").await;
    assert_eq!((a.status, a.json["error"].as_str()), (423, Some("locked")));
    // Locked: even the right password waits.
    assert_eq!(login_as(&mut c, "sup1", PASSWORD).await.status, 423);
    // An IT officer's new password lifts the lock.
    officer_add(&app, "it1", &["it"]);
    let it = login(&mut c, "it1").await;
    let officers = it.get(&mut c, "/api/officers").await;
    let sup = officers
        .json
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["login"] == "sup1")
        .unwrap()
        .clone();
    assert!(sup["locked_until"].as_i64().unwrap() > 0);
    let a = it
        .post(
            &mut c,
            "/api/officers",
            json!({ "login": "sup1", "password": "a new long password" }),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.json);
    assert_eq!(
        login_as(&mut c, "sup1", "a new long password").await.status,
        200
    );

    // A disabled account cannot log in, and its open sessions end.
    let sup = login_as(&mut c, "sup1", "a new long password").await;
    let cookie = sup.headers["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let a = it
        .post(
            &mut c,
            "/api/officers",
            json!({ "login": "sup1", "disabled": true }),
        )
        .await;
    assert_eq!(a.status, 200);
    let a = call(
        &mut c,
        "GET",
        "/api/me",
        &[("cookie", &cookie)],
        Value::Null,
    )
    .await;
    assert_eq!(a.status, 401);
    let a = login_as(&mut c, "sup1", "a new long password").await;
    assert_eq!(
        (a.status, a.json["error"].as_str()),
        (403, Some("disabled"))
    );
    // Nor can an IT officer shut themselves out.
    let a = it
        .post(
            &mut c,
            "/api/officers",
            json!({ "login": "it1", "roles": ["tax"] }),
        )
        .await;
    assert_eq!((a.status, a.json["error"].as_str()), (409, Some("self")));

    // Logging out ends the session.
    assert_eq!(it.post(&mut c, "/api/logout", json!({})).await.status, 200);
    assert_eq!(it.get(&mut c, "/api/me").await.status, 401);

    // Failures, the lockout and the account changes are in the journal.
    let out = outpost(app.data(), &["officer", "list"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("sup1 (Cán bộ thử) roles supervision (disabled)"),
        "{text}"
    );
    verify(&app);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_changes_need_the_csrf_header_and_json() {
    let (_app, mut c) = desk(&[("it1", &["it"])]);
    let it = login(&mut c, "it1").await;
    let body = json!({ "mode": "standby", "reason": "VNACCS back" });
    for headers in [
        vec![
            ("cookie", it.cookie.as_str()),
            ("content-type", "application/json"),
        ],
        vec![
            ("cookie", it.cookie.as_str()),
            ("content-type", "application/json"),
            ("x-outpost-csrf", "0000"),
        ],
    ] {
        let a = call(&mut c, "POST", "/api/mode", &headers, body.clone()).await;
        assert_eq!((a.status, a.json["error"].as_str()), (403, Some("csrf")));
    }
    // A plain form post (what another site could make a browser send).
    let a = call(
        &mut c,
        "POST",
        "/api/mode",
        &[
            ("cookie", &it.cookie),
            ("x-outpost-csrf", &it.csrf),
            ("content-type", "application/x-www-form-urlencoded"),
        ],
        body.clone(),
    )
    .await;
    assert_eq!(a.status, 415);
    let mode = it.get(&mut c, "/api/mode").await;
    assert_eq!(mode.json["mode"]["mode"], "active", "nothing changed");
    let a = it.post(&mut c, "/api/mode", body).await;
    assert_eq!(a.status, 200, "{}", a.json);
    assert_eq!(
        it.get(&mut c, "/api/mode").await.json["mode"]["mode"],
        "standby"
    );
    // Malformed bodies get a specific answer.
    let a = it
        .post(
            &mut c,
            "/api/mode",
            json!({ "mode": "sideways", "reason": "x" }),
        )
        .await;
    assert_eq!(a.status, 400);
    let a = it.post(&mut c, "/api/mode", json!([1, 2])).await;
    assert_eq!(a.status, 400);
}

/// Which roles may call an endpoint: 200 for them, 403 for the others.
struct Row {
    method: &'static str,
    path: String,
    body: Value,
    allowed: &'static [&'static str],
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_checks_the_role() {
    let app = Appliance::start();
    const ROLES: [&str; 5] = ["supervision", "tax", "risk", "it", "statistics"];
    let login_of = |r: &str| format!("{r}1");
    for r in ROLES {
        officer_add(&app, &login_of(r), &[r]);
    }
    let mut c = app.client(true);
    let number = registered_import(&mut c).await;
    let mut sessions = Vec::new();
    for r in ROLES {
        sessions.push((r, login(&mut c, &login_of(r)).await));
    }
    let decide = |body: Value, allowed| Row {
        method: "POST",
        path: format!("/api/declarations/{number}/decisions"),
        body,
        allowed,
    };
    let get = |path: &str, allowed| Row {
        method: "GET",
        path: path.to_string(),
        body: Value::Null,
        allowed,
    };
    let post = |path: &str, body: Value, allowed| Row {
        method: "POST",
        path: path.to_string(),
        body,
        allowed,
    };
    const ALL: &[&str] = &ROLES;
    // In order: each allowed call must succeed where the one before left
    // the declaration.
    let rows = vec![
        get("/api/me", ALL),
        get("/api/declarations", ALL),
        get(&format!("/api/declarations/{number}"), ALL),
        get("/api/directions", ALL),
        get("/api/mode", ALL),
        decide(
            json!({ "kind": "channel", "channel": 3, "reason": "tip-off 7" }),
            &["risk"],
        ),
        decide(
            json!({ "kind": "document_check", "passed": true, "note": "" }),
            &["supervision"],
        ),
        decide(
            json!({ "kind": "inspection", "passed": true, "note": "seal intact" }),
            &["supervision"],
        ),
        decide(json!({ "kind": "release" }), &["supervision"]),
        decide(json!({ "kind": "clearance" }), &["supervision"]),
        decide(
            json!({ "kind": "tax_note", "text": "rate 0% checked" }),
            &["tax"],
        ),
        post(
            "/api/directions",
            json!({ "tax_code": "0101234567", "category": "relief", "from": "2024-01-01",
                    "until": "2024-01-31", "max": 5, "reason": "letter 12/HQ" }),
            &["supervision", "risk"],
        ),
        post(
            "/api/directions/1/revoke",
            json!({ "reason": "done" }),
            &["supervision", "risk"],
        ),
        post(
            "/api/mode",
            json!({ "mode": "active", "reason": "still down" }),
            &["it"],
        ),
        get("/api/officers", &["it"]),
        post(
            "/api/officers",
            json!({ "login": "tax2", "name": "Lê Văn C", "password": "long enough pw", "roles": ["tax"] }),
            &["it"],
        ),
        get("/api/declarants", &["it"]),
        post(
            "/api/declarants",
            json!({ "code": "NEW00001", "password": "PW1", "terminal": "T55555",
                    "access_key": "KEY1", "tax_codes": ["0111111111"] }),
            &["it"],
        ),
        post(
            "/api/declarants",
            json!({ "code": "NEW00001", "password": "PW1", "terminal": "T55556",
                    "access_key": "KEY2", "tax_codes": ["0111111111"] }),
            &["it"],
        ),
        post(
            "/api/declarants/NEW00001/terminals/T55555/remove",
            json!({}),
            &["it"],
        ),
        post("/api/declarants/NEW00001/disable", json!({}), &["it"]),
        post("/api/declarants/NEW00001/enable", json!({}), &["it"]),
        get("/api/sync", &["it"]),
        get("/api/statistics", &["statistics"]),
        get("/api/statistics.csv", &["statistics"]),
    ];
    for row in &rows {
        for (role, s) in &sessions {
            let a = if row.method == "GET" {
                s.get(&mut c, &row.path).await
            } else {
                s.post(&mut c, &row.path, row.body.clone()).await
            };
            let want = if row.allowed.contains(role) { 200 } else { 403 };
            assert_eq!(
                a.status, want,
                "{} {} as {role}: {}",
                row.method, row.path, a.json
            );
        }
    }
    // The second direction revoke, the second clearance: refused by the
    // rules (not the roles), with a specific answer.
    let (_, sup) = &sessions[0];
    let a = sup
        .decide(&mut c, &number, json!({ "kind": "clearance" }))
        .await;
    assert_eq!((a.status, a.json["error"].as_str()), (409, Some("cleared")));
    let a = sup
        .post(
            &mut c,
            "/api/declarations/190179999990/decisions",
            json!({ "kind": "clearance" }),
        )
        .await;
    assert_eq!(a.status, 404);
    verify(&app);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clearance_reaches_the_terminal_and_the_audit_trail() {
    let (app, mut c) = desk(&[("sup1", &["supervision"]), ("stat1", &["statistics"])]);
    let number = registered_import(&mut c).await;
    let got = retrieve_all(&mut c, &ALICE).await;
    let codes: Vec<&str> = got.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(codes, ["VAD4190", "VAD1AC0"]);

    let sup = login(&mut c, "sup1").await;
    // The list finds it by number and by declarant; the detail reads it.
    let list = sup
        .get(
            &mut c,
            &format!("/api/declarations?number={}", &number[..8]),
        )
        .await;
    assert_eq!(list.json["rows"][0]["number"], number.as_str());
    assert_eq!(list.json["rows"][0]["state"], "registered");
    let list = sup
        .get(&mut c, "/api/declarations?declarant=XYZ34002")
        .await;
    assert_eq!(list.json["rows"].as_array().unwrap().len(), 0);
    let list = sup.get(&mut c, "/api/declarations?channel=9").await;
    assert_eq!(list.status, 400);
    let d = sup
        .get(&mut c, &format!("/api/declarations/{number}"))
        .await;
    assert_eq!(d.json["summary"]["kind"], "A11");
    let imn = d.json["header"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "IMN")
        .unwrap()
        .clone();
    assert_eq!(imn["vi"], "Tên người nhập khẩu");
    assert_eq!(d.json["lines"]["rows"][0]["cells"][0], "84713020");
    // The declarant calls it up for amendment before the clearance...
    let r = send(&mut c, request("IDD", &ALICE, &format!("{number}\r\n"))).await;
    let amended = form(&r, &tables::IDA01);

    let a = sup
        .decide(&mut c, &number, json!({ "kind": "clearance" }))
        .await;
    assert_eq!(a.status, 200, "{}", a.json);
    assert_eq!(a.json["summary"]["state"], "cleared");
    assert_eq!(last_output(&a), ("VAD1AG0".into(), true));

    // ...and can amend it no longer after it.
    let r = send(&mut c, request("IDA01", &ALICE, &amended.render())).await;
    assert_eq!(r.codes(), ["E1038-ICN -0000"]);
    let r = send(&mut c, request("IDD", &ALICE, &format!("{number}\r\n"))).await;
    assert_eq!(r.codes(), ["E0209-ICN -0000"]);

    // The declarant's terminal gets the clearance.
    let got = retrieve_all(&mut c, &ALICE).await;
    assert_eq!(got.len(), 1);
    let (code, body) = &got[0];
    assert_eq!(code, "VAD1AG0");
    assert!(body.starts_with(&format!("{number}\r\n")), "{body}");
    // BOB's terminal does not.
    assert!(retrieve_all(&mut c, &BOB).await.is_empty());
    // ROT sends the clearance again, as it was.
    re_output_each(&mut c, &ALICE, &number, &got).await;

    // The detail's trail names the officer; the output is now retrieved.
    let d = sup
        .get(&mut c, &format!("/api/declarations/{number}"))
        .await;
    let history: Vec<(String, String)> = d.json["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["actor"].as_str().unwrap().into(),
                e["action"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        history,
        [
            ("ABC12001".to_string(), "job IDA".to_string()),
            ("ABC12001".into(), "job IDC".into()),
            ("officer:sup1".into(), "decision: clearance".into()),
        ]
    );
    assert_eq!(
        d.json["outputs"].as_array().unwrap().last().unwrap()["pending"],
        false
    );
    assert_eq!(d.json["decisions"]["cleared"]["by"], "officer:sup1");

    // Statistics count it as cleared.
    let stat = login(&mut c, "stat1").await;
    let s = stat.get(&mut c, "/api/statistics").await;
    assert_eq!(
        (
            s.json["total"].as_u64(),
            s.json["by_state"]["cleared"].as_u64()
        ),
        (Some(1), Some(1))
    );
    let a = c
        .exchange(
            "GET",
            "/api/statistics.csv",
            &[("cookie", &stat.cookie)],
            Vec::new(),
        )
        .await
        .unwrap();
    let csv = String::from_utf8(a.body).unwrap();
    assert!(csv.contains("\r\nstate,cleared,1\r\n"), "{csv}");
    assert!(a.headers["content-disposition"]
        .to_str()
        .unwrap()
        .contains("outpost-statistics.csv"));
    verify(&app);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn release_reaches_the_terminal_in_the_assumed_layout() {
    let (app, mut c) = desk(&[("sup1", &["supervision"])]);
    let number = registered_import(&mut c).await;
    retrieve_all(&mut c, &ALICE).await;
    let sup = login(&mut c, "sup1").await;
    let a = sup
        .decide(&mut c, &number, json!({ "kind": "release" }))
        .await;
    assert_eq!(a.status, 200, "{}", a.json);
    assert_eq!(last_output(&a), ("VAD1BJ0".into(), true));
    let got = retrieve_all(&mut c, &ALICE).await;
    let codes: Vec<&str> = got.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(codes, ["VAD1BJ0"]);
    // VAD1BJ's own layout is not known: it comes in the clearance layout,
    // without a permit.
    let notice = Fields::parse(&tables::VAD1AG, &got[0].1, None)
        .unwrap()
        .unwrap();
    assert_eq!(notice.get("ICN"), number.as_str());
    assert_eq!((notice.get("C21"), notice.get("AD4")), ("", ""));
    assert!(retrieve_all(&mut c, &BOB).await.is_empty());
    re_output_each(&mut c, &ALICE, &number, &got).await;
    verify(&app);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declarants_are_disabled_and_lose_terminals_from_the_console() {
    let (app, mut c) = desk(&[("it1", &["it"])]);
    let it = login(&mut c, "it1").await;
    let entries = |a: &Answer| a.json["journal"]["entries"].as_u64().unwrap();
    let before = entries(&it.get(&mut c, "/api/sync").await);

    let a = it
        .post(&mut c, "/api/declarants/ABC12001/disable", json!({}))
        .await;
    assert_eq!(a.status, 200, "{}", a.json);
    assert_eq!(
        (&a.json["done"], &a.json["params"], &a.json["message"]),
        (
            &json!("declarant_disabled"),
            &json!({ "code": "ABC12001" }),
            &json!("user ABC12001 disabled")
        )
    );
    let r = submit_ida(&mut c, &ALICE).await;
    assert_eq!(r.codes(), ["A0014-0000-0000"]);
    let a = it
        .post(&mut c, "/api/declarants/ABC12001/disable", json!({}))
        .await;
    assert_eq!(
        (a.status, a.json["message"].as_str()),
        (400, Some("declarant ABC12001 is already disabled"))
    );
    // The page gets a key and its parameters to say it in its language.
    assert_eq!(
        (&a.json["error"], &a.json["params"]),
        (&json!("already_disabled"), &json!({ "code": "ABC12001" }))
    );
    // Saving it again (a new password) does not let it back in.
    add_user(app.data(), &ALICE);
    let r = submit_ida(&mut c, &ALICE).await;
    assert_eq!(r.codes(), ["A0014-0000-0000"]);
    let list = it.get(&mut c, "/api/declarants").await;
    let alice = list
        .json
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["code"] == ALICE.code)
        .unwrap()
        .clone();
    assert_eq!(alice["disabled"], true);
    let out = outpost_ok(app.data(), &["user", "enable", "--code", ALICE.code]);
    assert_eq!(out, "user ABC12001 enabled\n");
    let r = submit_ida(&mut c, &ALICE).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);

    // A second terminal, then the first removed: logins from it are refused.
    let a = it
        .post(
            &mut c,
            "/api/declarants",
            json!({ "code": ALICE.code, "password": ALICE.password, "terminal": "T12346",
                    "access_key": "K2", "tax_codes": [ALICE.tax_code] }),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.json);
    let a = it
        .post(
            &mut c,
            "/api/declarants/ABC12001/terminals/T12345/remove",
            json!({}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.json);
    let r = submit_ida(&mut c, &ALICE).await;
    assert_eq!(r.codes(), ["A0019-0000-0000"]);
    let a = it
        .post(
            &mut c,
            "/api/declarants/ABC12001/terminals/T12346/remove",
            json!({}),
        )
        .await;
    assert_eq!(a.status, 400);
    assert!(
        a.json["message"]
            .as_str()
            .unwrap()
            .contains("disable the declarant instead"),
        "{}",
        a.json
    );
    let a = it
        .post(&mut c, "/api/declarants/NOONE001/enable", json!({}))
        .await;
    assert_eq!(
        (a.status, a.json["message"].as_str()),
        (400, Some("there is no declarant NOONE001"))
    );
    // Disable, save, enable, IDA (with its copy), save, removal: each
    // journaled; the refusals are not.
    let after = entries(&it.get(&mut c, "/api/sync").await);
    assert_eq!(after, before + 6);
    verify(&app);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transport_approval_reaches_the_terminal_and_the_history() {
    let (app, mut c) = desk(&[("sup1", &["supervision"]), ("tax1", &["tax"])]);
    let olt = registered_transport(&mut c).await;
    retrieve_all(&mut c, &ALICE).await;

    let tax = login(&mut c, "tax1").await;
    // Every officer reads transports; only supervision approves.
    let list = tax.get(&mut c, "/api/transports").await;
    assert_eq!(list.json["rows"][0]["number"], olt.as_str());
    assert_eq!(list.json["rows"][0]["state"], "registered");
    let approval = format!("/api/transports/{olt}/approval");
    let a = tax.post(&mut c, &approval, json!({})).await;
    assert_eq!((a.status, a.json["error"].as_str()), (403, Some("role")));

    let sup = login(&mut c, "sup1").await;
    let d = sup.get(&mut c, &format!("/api/transports/{olt}")).await;
    assert_eq!(d.status, 200, "{}", d.json);
    let chc = d.json["header"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "CHC")
        .unwrap()
        .clone();
    assert_eq!(
        (chc["value"].as_str(), chc["vi"].as_str()),
        (Some("03CC"), Some("Cơ quan Hải quan"))
    );
    assert_eq!(d.json["cargo"]["rows"][0]["cells"][0], "EXAMPLEBL0001");
    let a = sup.post(&mut c, &approval, json!({})).await;
    assert_eq!(a.status, 200, "{}", a.json);
    assert_eq!(a.json["summary"]["state"], "approved");
    assert_eq!(a.json["approved"]["by"], "officer:sup1");
    let again = sup.post(&mut c, &approval, json!({})).await;
    assert_eq!(
        (again.status, again.json["error"].as_str()),
        (409, Some("transport_approved"))
    );
    let none = sup
        .post(&mut c, "/api/transports/T90179999999/approval", json!({}))
        .await;
    assert_eq!(none.status, 404);

    // The declarant's terminal gets the approval notice.
    let got = retrieve_all(&mut c, &ALICE).await;
    let codes: Vec<&str> = got.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(codes, ["VAS5040"]);
    let notice = Fields::parse(&tables::VAS504, &got[0].1, None)
        .unwrap()
        .unwrap();
    assert_eq!(
        (notice.get("AE"), notice.get("AD"), notice.get("AG")),
        (olt.as_str(), "03CC", &ALICE.code[..5])
    );
    assert!(retrieve_all(&mut c, &BOB).await.is_empty());
    re_output_each(&mut c, &ALICE, &olt, &got).await;

    // The history names the officer; the notice is retrieved.
    let d = sup.get(&mut c, &format!("/api/transports/{olt}")).await;
    let history: Vec<(&str, &str)> = d.json["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["actor"].as_str().unwrap(), e["action"].as_str().unwrap()))
        .collect();
    assert_eq!(
        history,
        [
            ("ABC12001", "job OLA"),
            ("ABC12001", "job OLC"),
            ("officer:sup1", "decision: transport approval"),
        ]
    );
    assert_eq!(last_output(&d), ("VAS5040".into(), false));

    // Cancelled after approval: the terminal gets VAS508, not VAS514.
    let r = send(&mut c, request("COT11", &ALICE, &format!("{olt}\r\n"))).await;
    let mut cot = form(&r, &tables::COT);
    cot.set("KND", "1");
    let r = send(&mut c, request("COT", &ALICE, &cot.render())).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    let got = retrieve_all(&mut c, &ALICE).await;
    let codes: Vec<&str> = got.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(codes, ["VAS5150", "VAS5080", "VAS5130"]);
    re_output_each(&mut c, &ALICE, &olt, &got).await;
    let a = sup.post(&mut c, &approval, json!({})).await;
    assert_eq!(
        (a.status, a.json["error"].as_str()),
        (409, Some("transport_cancelled"))
    );
    verify(&app);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_divided_declaration_is_listed_with_its_parts() {
    let app = Appliance::start();
    let mut c = app.client(true);
    let r = send(&mut c, divided_ida(&ALICE, "F", "1", "2")).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    let first = r.number();
    let r = send(&mut c, divided_ida(&ALICE, &first, "2", "2")).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    let part = r.number();
    submit_ida(&mut c, &ALICE).await;
    officer_add(&app, "sup1", &["supervision"]);
    let sup = login(&mut c, "sup1").await;

    // Each detail links the other declaration of the set.
    for (n, other) in [(&first, &part), (&part, &first)] {
        let d = sup.get(&mut c, &format!("/api/declarations/{n}")).await;
        assert_eq!(d.status, 200, "{}", d.json);
        let divided: Vec<&str> = d.json["links"]["divided"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["number"].as_str().unwrap())
            .collect();
        assert_eq!(divided, [other.as_str()], "{n}");
    }
    // The list filtered by the set holds both, and nothing else.
    let numbers = |a: &Answer| -> Vec<String> {
        a.json["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["number"].as_str().unwrap().to_string())
            .collect()
    };
    let l = sup
        .get(&mut c, &format!("/api/declarations?set={first}"))
        .await;
    assert_eq!(numbers(&l), [first.clone(), part.clone()]);
    let l = sup
        .get(&mut c, &format!("/api/declarations?set={first}&limit=1"))
        .await;
    assert_eq!(
        (numbers(&l), l.json["more"].as_bool()),
        (vec![first.clone()], Some(true))
    );
    let l = sup
        .get(&mut c, &format!("/api/declarations?set={part}"))
        .await;
    assert!(numbers(&l).is_empty(), "a part is not a set's first");
    let l = sup.get(&mut c, "/api/declarations?set=12").await;
    assert_eq!(l.status, 400);
    verify(&app);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_is_served_from_the_binary() {
    let app = Appliance::start();
    let mut c = app.client(true);
    let a = c
        .exchange("GET", "/console/", &[], Vec::new())
        .await
        .unwrap();
    assert_eq!(a.status, 200);
    assert!(a.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(a.headers["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("default-src 'self'"));
    assert!(String::from_utf8_lossy(&a.body).contains("app.js"));
    for p in ["/console/app.js", "/console/app.css"] {
        assert_eq!(
            c.exchange("GET", p, &[], Vec::new()).await.unwrap().status,
            200,
            "{p}"
        );
    }
    let a = c
        .exchange("GET", "/console", &[], Vec::new())
        .await
        .unwrap();
    assert_eq!(
        (a.status, a.headers["location"].to_str().unwrap()),
        (301, "/console/")
    );
    assert_eq!(
        c.exchange("GET", "/console/nope.js", &[], Vec::new())
            .await
            .unwrap()
            .status,
        404
    );
    // The VNACCS endpoint is unchanged.
    let r = submit_ida(&mut c, &ALICE).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_detail_links_re_exports_with_balances_and_amendments() {
    let (app, mut c) = desk(&[("sup1", &["supervision"])]);
    let tdn = registered_temporary_import(&mut c).await;
    let body = re_export(&tdn, &[("01", "84713020", "60", "PCE")]);
    let r = send(&mut c, request("EDA", &ALICE, &body)).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    let re = r.number();
    let r = send(&mut c, request("EDC", &ALICE, &format!("{re}\r\n"))).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);

    let sup = login(&mut c, "sup1").await;
    let d = sup.get(&mut c, &format!("/api/declarations/{tdn}")).await;
    let links = &d.json["links"];
    assert_eq!(links["continuations"][0]["number"], re.as_str());
    let balances: Vec<(String, String, String)> = links["balances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            let s = |k: &str| b[k].as_str().unwrap().to_string();
            (s("original"), s("drawn"), s("remaining"))
        })
        .collect();
    assert_eq!(
        balances,
        [
            ("100".into(), "60".into(), "40".into()),
            ("3".into(), "0".into(), "3".into())
        ]
    );
    let d = sup.get(&mut c, &format!("/api/declarations/{re}")).await;
    assert_eq!(d.json["links"]["continues"]["number"], tdn.as_str());

    // An import amended and registered again lists its amendment.
    let number = registered_import(&mut c).await;
    let r = send(&mut c, request("IDD", &ALICE, &format!("{number}\r\n"))).await;
    let mut amended = form(&r, &tables::IDA01);
    amended.set_rep("QN1", 1, "7");
    let r = send(&mut c, request("IDA01", &ALICE, &amended.render())).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    let r = send(
        &mut c,
        request("IDE", &ALICE, &format!("{}\r\n", r.number())),
    )
    .await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    let d = sup
        .get(&mut c, &format!("/api/declarations/{number}"))
        .await;
    let amendments = d.json["links"]["amendments"].as_array().unwrap();
    assert_eq!(amendments.len(), 1, "{}", d.json["links"]);
    assert_ne!(amendments[0], number.as_str(), "the amendment's own number");
    assert!(d.json["amended_at"].is_i64());
    let qn1 = d.json["lines"]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .position(|col| col["id"] == "QN1")
        .unwrap();
    assert_eq!(d.json["lines"]["rows"][0]["cells"][qn1], "7");
    verify(&app);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channel_changes_and_export_clearance_reach_the_terminal() {
    let (app, mut c) = desk(&[("risk1", &["risk"]), ("sup1", &["supervision"])]);
    let number = registered_import(&mut c).await;
    retrieve_all(&mut c, &ALICE).await;
    let risk = login(&mut c, "risk1").await;
    let a = risk
        .decide(
            &mut c,
            &number,
            json!({ "kind": "channel", "channel": 2, "reason": "documents to see" }),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.json);
    let got = retrieve_all(&mut c, &ALICE).await;
    let codes: Vec<&str> = got.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(codes, ["VAD1AC0"]);
    let notice = Fields::parse(&tables::VAD1AC, &got[0].1, None)
        .unwrap()
        .unwrap();
    assert_eq!(
        (notice.get("ICN"), notice.get("A06")),
        (number.as_str(), "2")
    );
    // ROT sends the officer's notice, not the one of the registration.
    re_output_each(&mut c, &ALICE, &number, &got).await;

    let r = send(&mut c, request("EDA", &ALICE, &eda_body(&ALICE, 1, "B11"))).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    let export = r.number();
    let r = send(&mut c, request("EDC", &ALICE, &format!("{export}\r\n"))).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    retrieve_all(&mut c, &ALICE).await;
    let sup = login(&mut c, "sup1").await;
    let a = sup
        .decide(&mut c, &export, json!({ "kind": "clearance" }))
        .await;
    assert_eq!(a.status, 200, "{}", a.json);
    let got = retrieve_all(&mut c, &ALICE).await;
    let codes: Vec<&str> = got.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(codes, ["VAE1LF0"]);
    let clearance = Fields::parse(&tables::VAE1LF, &got[0].1, None)
        .unwrap()
        .unwrap();
    assert_eq!(clearance.get("ECN"), export.as_str());
    assert!(retrieve_all(&mut c, &BOB).await.is_empty());
    re_output_each(&mut c, &ALICE, &export, &got).await;
    verify(&app);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_names_the_first_broken_link_of_an_edited_journal() {
    use outpost::audit::Entry;
    use outpost::store::records::{decode, encode};
    let mut app = Appliance::start();
    let mut c = app.client(true);
    registered_import(&mut c).await;
    app.signal(SIGTERM);
    assert!(app.wait_exit(std::time::Duration::from_secs(20)).success());
    verify(&app);
    {
        let db = sled::open(app.data().join("db")).unwrap();
        let audit = db.open_tree("audit").unwrap();
        let key = 2u64.to_be_bytes();
        let mut e: Entry = decode("audit entry", &audit.get(key).unwrap().unwrap()).unwrap();
        e.actor = "someone else".into();
        audit.insert(key, encode(&e)).unwrap();
        db.flush().unwrap();
    }
    let out = outpost(app.data(), &["verify"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "verify passed an edited journal");
    assert!(
        err.contains("entry 3 does not chain to the entry before it (edited)"),
        "{err}"
    );
}
