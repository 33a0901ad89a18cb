//! Operator commands and HTTP details a declarant's client depends on.

mod common;

use std::sync::Arc;

use common::*;
use der::Decode;
use p256::pkcs8::DecodePrivateKey;
use rustls_pki_types::pem::PemObject;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CAROL: Declarant = Declarant {
    code: "CAR00003",
    password: "PW3",
    terminal: "T33333",
    key: "K3",
    tax_code: "0201111111",
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_can_be_provisioned_while_the_appliance_runs() {
    let app = Appliance::start();
    let mut c = app.client(true);
    let r = submit_ida(&mut c, &CAROL).await;
    assert_eq!(
        r.codes(),
        ["A0005-0000-0000"],
        "unknown before provisioning"
    );
    // The running appliance holds the store; the command goes through its socket.
    add_user(app.data(), &CAROL);
    let r = submit_ida(&mut c, &CAROL).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    let list = outpost(app.data(), &["user", "list"]);
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(
        text.contains("CAR00003  terminals T33333  tax codes 0201111111"),
        "{text}"
    );
    // A new password takes effect at once; the old one stops working.
    add_user(
        app.data(),
        &Declarant {
            password: "NEWPW",
            ..CAROL
        },
    );
    let r = submit_ida(&mut c, &CAROL).await;
    assert_eq!(r.codes(), ["A0004-0000-0000"]);
}

#[test]
fn operator_mistakes_get_clear_messages() {
    let dir = tempfile::tempdir().unwrap();
    let init_cases: &[(&[&str], &str)] = &[
        (&["init", "--site", "0"], "block 0 is not between 1 and 999"),
        (
            &["init", "--site", "1000"],
            "block 1000 is not between 1 and 999",
        ),
        (
            &["init", "--site", "5", "--extra-block", "5"],
            "a block is named twice",
        ),
    ];
    for (args, want) in init_cases {
        let out = outpost(dir.path(), args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(err.contains(want), "{args:?}: {err}");
    }
    let user_cases = [
        (
            Declarant {
                code: "ABC",
                ..ALICE
            },
            "user code must be exactly 8",
        ),
        (
            Declarant {
                terminal: "T1",
                ..ALICE
            },
            "terminal ID must be exactly 6",
        ),
        (
            Declarant {
                password: "TOOLONGPW",
                ..ALICE
            },
            "password must be 1–8",
        ),
        (
            Declarant {
                key: "lower",
                ..ALICE
            },
            "access key must be 1–16",
        ),
        (
            Declarant {
                tax_code: "0101-234",
                ..ALICE
            },
            "tax code \"0101-234\"",
        ),
    ];
    for (d, want) in user_cases {
        let out = user_add(dir.path(), &d);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{d:?} succeeded");
        assert!(err.contains(want), "{d:?}: {err}");
    }
    // A site's blocks never change once set.
    assert!(outpost(dir.path(), &["init", "--site", "17"])
        .status
        .success());
    let out = outpost(dir.path(), &["init", "--site", "18"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("a site's blocks never change"));
    // A full site is given another block after its own; nothing else moves.
    let out = outpost(dir.path(), &["init", "--site", "17", "--extra-block", "19"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("[17, 19]"));
    for moved in [
        &["--site", "19", "--extra-block", "17"][..],
        &["--site", "17"],
    ] {
        let out = outpost(dir.path(), &[&["init"][..], moved].concat());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("never change"),
            "{moved:?}"
        );
    }
    // A terminal keeps its access key.
    add_user(dir.path(), &ALICE);
    let other = Declarant {
        code: "OTHER001",
        key: "DIFFERENT",
        ..ALICE
    };
    let out = user_add(dir.path(), &other);
    assert!(String::from_utf8_lossy(&out.stderr).contains("registered with a different access key"));
}

/// The official terminal sends `Expect: 100-continue` and `Connection: close`
/// with an explicit Content-Length; the appliance must take that as is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_http_with_expect_100_continue_and_connection_close() {
    let app = Appliance::start();
    let cert = rustls_pki_types::CertificateDer::from_pem_file(app.cert()).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert).unwrap();
    let cfg = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(cfg));
    let tcp = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls = connector.connect(name, tcp).await.unwrap();
    let body = request("IDA", &ALICE, &ida_body(&ALICE, 1, "84713020"));
    let head = format!(
        "POST / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: NACCS Terminal Software\r\n\
         Content-Type: text/plain; charset=UTF-8\r\nContent-Length: {}\r\n\
         Expect: 100-continue\r\nConnection: Close\r\nCache-Control: no-cache, no-store\r\n\r\n",
        body.len()
    );
    tls.write_all(head.as_bytes()).await.unwrap();
    let mut interim = vec![0u8; 25];
    tls.read_exact(&mut interim).await.unwrap();
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    tls.write_all(&body).await.unwrap();
    let mut resp = Vec::new();
    tls.read_to_end(&mut resp).await.unwrap();
    let text = String::from_utf8_lossy(&resp);
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(text
        .to_ascii_lowercase()
        .contains("content-type: text/plain; charset=utf-8"));
    let reply = &resp[text.find("\r\n\r\n").unwrap() + 4..];
    assert_eq!(&reply[400..415], b"00000-0000-0000");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channel_check_echoes_and_low_value_is_refused() {
    let app = Appliance::start();
    let mut c = app.client(true);
    let r = send(
        &mut c,
        request("TCC", &ALICE, "PING FROM T12345\r\nSECOND FIELD\r\n1\r\n"),
    )
    .await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    assert_eq!(r.get(outpost::wire::HField::OutCode), "VAQ0010");
    let body = r.first().body.split_once("\r\n").unwrap().1;
    let f = outpost::wire::Fields::parse(&outpost::wire::tables::VAQ001, body, None)
        .unwrap()
        .unwrap();
    assert_eq!(f.get("O01"), "PING FROM T12345");
    assert_eq!(f.get("O02"), "SECOND FIELD");
    // Lower case is not allowed in A fields: the TCC table's code for it.
    let r = send(&mut c, request("TCC", &ALICE, "ping\r\n")).await;
    assert!(r.codes()[0].ends_with("-I01 -0000"), "{:?}", r.codes());
    for job in ["MIC", "MEC", "MIE"] {
        let r = send(&mut c, request(job, &ALICE, "\r\n")).await;
        assert_eq!(r.codes(), ["A0002-0000-0000"], "{job}");
        assert!(r.subject().contains("LOW-VALUE"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_certificates_are_registered_and_signed_bodies_checked() {
    let app = Appliance::start();
    // A CA and a terminal certificate it issued, as a USB token would hold.
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "Test CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    // A terminal certificate with `serial`, issued by `ca`, and its key.
    let issue = |serial: &[u8], ca: &rcgen::Certificate, ca_key: &rcgen::KeyPair| {
        let mut ee = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ee.serial_number = Some(rcgen::SerialNumber::from_slice(serial));
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = ee.signed_by(&key, ca, ca_key).unwrap();
        (cert, key)
    };
    let (ee_cert, ee_key) = issue(&[0x0A, 0x0B], &ca_cert, &ca_key);
    let dir = tempfile::tempdir().unwrap();
    let (cert_pem, ca_pem) = (dir.path().join("t.pem"), dir.path().join("ca.pem"));
    std::fs::write(&cert_pem, ee_cert.pem()).unwrap();
    std::fs::write(&ca_pem, ca_cert.pem()).unwrap();

    let args = |cert: &std::path::Path, ca: &std::path::Path| {
        outpost(
            app.data(),
            &[
                "user",
                "add",
                "--code",
                ALICE.code,
                "--password",
                ALICE.password,
                "--terminal",
                ALICE.terminal,
                "--access-key",
                ALICE.key,
                "--tax-code",
                ALICE.tax_code,
                "--signing-cert",
                cert.to_str().unwrap(),
                "--signing-ca",
                ca.to_str().unwrap(),
            ],
        )
    };
    let out = args(&cert_pem, &ca_pem);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("signs with certificate serial 0A0B"));
    // The CA did not issue its own certificate as a terminal certificate.
    let out = args(&ca_pem, &cert_pem);
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not come from that CA"));

    // Over TLS: a multipart/signed body that is not a valid S/MIME message.
    let mut c = app.client(true);
    let ct = "multipart/signed; micalg=\"sha1\"; boundary=\"----ABC\"; protocol=\"application/x-pkcs7-signature\"";
    let (status, body) = c
        .request("POST", "/", ct, b"not really signed".to_vec())
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert_eq!(Reply::parse(body).codes(), ["A0034-0000-0000"]);
    let (status, _) = c
        .request("POST", "/", "multipart/mixed; boundary=x", b"x".to_vec())
        .await
        .unwrap();
    assert_eq!(status, 415);

    // A declaration signed with the registered certificate is taken; one
    // signed with another serial of the same CA, or by another CA, is not.
    let other_key = rcgen::KeyPair::generate().unwrap();
    let mut other = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    other.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let other_ca = other.self_signed(&other_key).unwrap();
    let cases = [
        (
            issue(&[0x0A, 0x0B], &other_ca, &other_key),
            "A0035-0000-0000",
        ),
        (issue(&[0x0C], &ca_cert, &ca_key), "A0036-0000-0000"),
        ((ee_cert, ee_key), "00000-0000-0000"),
    ];
    for ((cert, key), want) in cases {
        let key = p256::ecdsa::SigningKey::from_pkcs8_der(key.serialized_der()).unwrap();
        let cert = x509_cert::Certificate::from_der(cert.der()).unwrap();
        let message = request("IDA", &ALICE, &ida_body(&ALICE, 1, "84713020"));
        let (ct, body) = signing::signed_body(&key, &cert, &String::from_utf8(message).unwrap());
        let (status, reply) = c.request("POST", "/", &ct, body).await.unwrap();
        assert_eq!(status, 200);
        assert_eq!(Reply::parse(reply).codes(), [want]);
    }
}
