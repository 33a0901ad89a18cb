//! `GET /api/codes/<code>`: what a result code means, in Vietnamese and English.

mod common;

use common::*;

async fn get(c: &mut outpost::client::Client, path: &str) -> (u16, serde_json::Value) {
    let (status, body) = c.request("GET", path, "text/plain", vec![]).await.unwrap();
    let v = serde_json::from_slice(&body)
        .unwrap_or_else(|e| panic!("{path}: {e}: {}", String::from_utf8_lossy(&body)));
    (status, v)
}

fn has_non_ascii(v: &serde_json::Value) -> bool {
    v.as_str().is_some_and(|s| !s.is_ascii())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn result_codes_are_explained() {
    let app = Appliance::start();
    let mut c = app.client(true);

    // A code the appliance sends from its own rules: a text of its own.
    let (status, d) = get(&mut c, "/api/codes/E8306").await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["code"], "E8306");
    assert!(d["en"].as_str().unwrap().contains("quantity"), "{d}");
    assert!(has_non_ascii(&d["vi"]), "{d}");
    assert_eq!(d["kind"], "Other");
    assert!(
        d["jobs"].as_array().unwrap().iter().any(|j| j == "IDA"),
        "{d}"
    );

    // A system code.
    let (status, d) = get(&mut c, "/api/codes/A0015").await;
    assert_eq!(status, 200);
    assert!(d["en"].as_str().unwrap().contains("VNACCS"), "{d}");
    assert_eq!(d["jobs"], serde_json::json!(["SYS"]));

    // A code only the job tables know: a generic text naming its field.
    let (status, d) = get(&mut c, "/api/codes/S0021").await;
    assert_eq!(status, 200);
    assert_eq!(d["kind"], "Format");
    assert!(d["en"].as_str().unwrap().contains("REG ("), "{d}");
    assert!(has_non_ascii(&d["vi"]), "{d}");
    let (status, d) = get(&mut c, "/api/codes/S0021?job=TIA").await;
    assert_eq!(status, 200);
    assert_eq!(d["kind"], "NotRegistered");
    assert_eq!(d["jobs"], serde_json::json!(["TIA"]));

    // The whole 15-byte code as a reply carries it, space as %20 or +.
    for path in [
        "/api/codes/E8306-QN1%20-0002",
        "/api/codes/E8306-QN1+-0002",
        "/api/codes/A0002-0000-0000",
    ] {
        let (status, d) = get(&mut c, path).await;
        assert_eq!(status, 200, "{path}: {d}");
        assert_eq!(d["code"], &path[11..16], "{path}");
    }

    // Normal completion has a text too.
    let (status, d) = get(&mut c, "/api/codes/00000").await;
    assert_eq!(status, 200);
    assert!(d["kind"].is_null());

    // Unknown or malformed: 404 with a JSON error.
    for path in [
        "/api/codes/ZZZZZ",
        "/api/codes/a0001",
        "/api/codes/A00",
        "/api/codes/",
        "/api/codes/E8306-QN1%2",
        "/api/codes/%FF%FE%FD%FC%FB",
        "/api/codes/S0021?job=TCC",
    ] {
        let (status, d) = get(&mut c, path).await;
        assert_eq!(status, 404, "{path}: {d}");
        assert!(
            d["error"]
                .as_str()
                .unwrap()
                .starts_with("unknown result code"),
            "{path}: {d}"
        );
    }
    let (_, d) = get(&mut c, "/api/codes/ZZZZZ").await;
    assert_eq!(d["error"], "unknown result code ZZZZZ");
}
