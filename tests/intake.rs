//! Declarant flows over TLS against the real binary.

mod common;

use common::*;
use outpost::rules::declaration::{EXPORT, IMPORT};
use outpost::wire::{tables, Fields, HField, Message};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_declaration_from_ida_to_channel_output() {
    let app = Appliance::start();
    let mut c = app.client(false);

    // IDA: number from block 017, amendment digit 0, VNACCS-shaped R reply.
    let r = send(
        &mut c,
        request("IDA", &ALICE, &ida_body(&ALICE, 2, "84713020")),
    )
    .await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    assert_eq!(r.get(HField::DataType), "R");
    assert_eq!(r.get(HField::JobCode), "IDA");
    assert_eq!(r.get(HField::DataInfo), "T1234520240115093000000001");
    let number = r.number();
    assert_eq!(number.len(), 12);
    assert!(number.starts_with("19017"), "{number}");
    assert!(number.ends_with('0'));
    assert!(r.subject().starts_with("00000-0000-0000 "));

    // IDB: the stored declaration comes back as an M message in the IDA layout.
    let r = send(&mut c, request("IDB", &ALICE, &format!("{number}\r\n"))).await;
    assert_eq!(r.get(HField::DataType), "M");
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    let body = r.first().body.split_once("\r\n").unwrap().1;
    let f = Fields::parse(&tables::IDA, body, None).unwrap().unwrap();
    assert_eq!(f.get("ICN"), number);
    assert_eq!(f.get("IMN"), "CÔNG TY TNHH THƯƠNG MẠI VÍ DỤ");
    assert_eq!(f.get_rep("CMN", 2), "Máy tính xách tay, mới 100% — dòng 2");

    // IDC registers it.
    let r = send(&mut c, request("IDC", &ALICE, &format!("{number}\r\n"))).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    assert_eq!(r.number(), number);
    // A second IDC is refused: already declared.
    let r = send(&mut c, request("IDC", &ALICE, &format!("{number}\r\n"))).await;
    assert_eq!(r.codes(), ["E0074-ICN -0000"]);

    // Retrieval: the registered copy, then the channel notice, then the end.
    let mut rep1 = header("#REP1", &ALICE);
    rep1.set(HField::DataInfo, "#REP120240115120400000000");
    let body = format!("{}\r\n{}\r\n1\r\n", ALICE.terminal, ALICE.key);
    let r = send(&mut c, Message::new(rep1, body).render()).await;
    assert_eq!(r.get(HField::Control), "SSP");
    assert_eq!(r.get(HField::DataType), "C");
    assert_eq!(r.get(HField::OutCode), "VAD4190");
    let copy = Fields::parse(&tables::IDA, &r.first().body, None)
        .unwrap()
        .unwrap();
    assert_eq!(copy.get("ICN"), number);

    let a2 = |rtp: &str| {
        let mut h = header("?A2", &ALICE);
        h.set(HField::RtpInfo, rtp);
        Message::new(h, String::new()).render()
    };
    let r = send(&mut c, a2(r.get(HField::RtpInfo))).await;
    assert_eq!(r.get(HField::Control), "SSP");
    assert_eq!(r.get(HField::OutCode), "VAD1AC0");
    let notice = Fields::parse(&tables::VAD1AC, &r.first().body, None)
        .unwrap()
        .unwrap();
    assert_eq!(notice.get("ICN"), number);
    assert_eq!(notice.get("A06"), "1", "an ordinary laptop import is green");
    assert_eq!(notice.get("A02"), "A11");
    assert_eq!(notice.get_rep("B27", 2), "84713020");

    let r = send(&mut c, a2(r.get(HField::RtpInfo))).await;
    assert_eq!(r.get(HField::Control), "SS");
    assert_eq!(r.codes(), ["00000-0000-0000"]);

    // Nothing left.
    let mut rep1 = header("#REP1", &ALICE);
    rep1.set(HField::DataInfo, "#REP120240115120400000001");
    let r = send(
        &mut c,
        Message::new(
            rep1,
            format!("{}\r\n{}\r\n0\r\n", ALICE.terminal, ALICE.key),
        )
        .render(),
    )
    .await;
    assert_eq!(r.get(HField::Control), "SS");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channel_follows_the_rule_table() {
    let app = Appliance::start();
    let mut c = app.client(true);
    let r = send(
        &mut c,
        request("IDA", &ALICE, &ida_body(&ALICE, 1, "93059100")),
    )
    .await;
    let number = r.number();
    send(&mut c, request("IDC", &ALICE, &format!("{number}\r\n"))).await;
    let outputs = retrieve_all(&mut c, &ALICE).await;
    let (_, notice) = outputs
        .iter()
        .find(|(code, _)| code == "VAD1AC0")
        .expect("channel notice");
    let notice = Fields::parse(&tables::VAD1AC, notice, None)
        .unwrap()
        .unwrap();
    assert_eq!(notice.get("A06"), "3", "weapons parts go red");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_ida_replaces_the_pre_registration_until_idc() {
    let app = Appliance::start();
    let mut c = app.client(true);
    let number = submit_ida(&mut c, &ALICE).await.number();
    let mut f = Fields::parse(&tables::IDA, &ida_body(&ALICE, 3, "85171200"), None)
        .unwrap()
        .unwrap();
    f.set("ICN", &number);
    let r = send(&mut c, request("IDA", &ALICE, &f.render())).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    assert_eq!(r.number(), number, "same number");
    let r = send(&mut c, request("IDB", &ALICE, &format!("{number}\r\n"))).await;
    let body = r.first().body.split_once("\r\n").unwrap().1;
    let got = Fields::parse(&tables::IDA, body, None).unwrap().unwrap();
    assert_eq!(got.get_rep("CMD", 3), "85171200");
    // Bob cannot touch Alice's declaration, and cannot see it.
    let r = send(&mut c, request("IDB", &BOB, &format!("{number}\r\n"))).await;
    assert_eq!(r.codes(), ["S0006-ICN -0000"]);
    let mut fb = Fields::parse(&tables::IDA, &ida_body(&BOB, 1, "84713020"), None)
        .unwrap()
        .unwrap();
    fb.set("ICN", &number);
    assert_eq!(
        send(&mut c, request("IDA", &BOB, &fb.render()))
            .await
            .codes(),
        ["U0002-ICN -0000"]
    );
    // After IDC the pre-registration is closed.
    send(&mut c, request("IDC", &ALICE, &format!("{number}\r\n"))).await;
    assert_eq!(
        send(&mut c, request("IDA", &ALICE, &f.render()))
            .await
            .codes(),
        ["E0220-ICN -0000"]
    );
    assert_eq!(
        send(&mut c, request("IDB", &ALICE, &format!("{number}\r\n")))
            .await
            .codes(),
        ["E0103-ICN -0000"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_declaration_from_eda_to_channel_output() {
    let app = Appliance::start();
    let mut c = app.client(false);
    let r = send(&mut c, request("EDA", &ALICE, &eda_body(&ALICE, 2, "B11"))).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    let number = r.number();
    assert!(
        number.starts_with("39017"),
        "export numbers start with 3: {number}"
    );

    let r = send(&mut c, request("EDB", &ALICE, &format!("{number}\r\n"))).await;
    assert_eq!(r.get(HField::DataType), "M");
    let body = r.first().body.split_once("\r\n").unwrap().1;
    let f = Fields::parse(&tables::EDA, body, None).unwrap().unwrap();
    assert_eq!(f.get("ECN"), number);
    assert_eq!(f.get_rep("CMN", 2), "Cà phê nhân Robusta loại 2");
    // An export number is not an import number.
    let r = send(&mut c, request("IDC", &ALICE, &format!("{number}\r\n"))).await;
    assert_eq!(r.codes(), ["S0005-ICN -0000"]);

    let r = send(&mut c, request("EDC", &ALICE, &format!("{number}\r\n"))).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    let r = send(&mut c, request("EDC", &ALICE, &format!("{number}\r\n"))).await;
    assert_eq!(r.codes(), ["E0074-ECN -0000"]);

    let outputs = retrieve_all(&mut c, &ALICE).await;
    let codes: Vec<&str> = outputs.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(codes, ["VAE4000", "VAE1LD0"]);
    let notice = Fields::parse(&tables::VAE1LD, &outputs[1].1, None)
        .unwrap()
        .unwrap();
    assert_eq!(notice.get("ECN"), number);
    assert_eq!(notice.get("K07"), "1");
    assert_eq!(notice.get("K03"), "B11");
    assert_eq!(notice.get_rep("R05", 2), "09011110");
    // IEX: reference information, with the channel decided here.
    let r = send(&mut c, request("IEX", &ALICE, &format!("{number}\r\n"))).await;
    assert_eq!(r.get(HField::OutCode), "VAE0LC0");
    let body = r.first().body.split_once("\r\n").unwrap().1;
    let reference = Fields::parse(&tables::VAE0LC, body, None).unwrap().unwrap();
    assert_eq!(reference.get("ECN"), number);
    assert_eq!(reference.get("K07"), "1");
    let r = send(&mut c, request("IEX", &BOB, &format!("{number}\r\n"))).await;
    assert_eq!(r.codes(), ["S0003-ECN -0000"], "not Bob's");
    // Export checks use the export fields.
    let r = send(&mut c, request("EDA", &ALICE, &eda_body(&ALICE, 1, "A11"))).await;
    assert_eq!(r.codes(), ["S0055-ECB -0000"]);
    let r = send(&mut c, request("EDA", &BOB, &eda_body(&ALICE, 1, "B11"))).await;
    assert_eq!(r.codes(), ["U0002-EPC -0000"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amendments_bump_the_amendment_digit_up_to_nine() {
    let app = Appliance::start();
    let mut c = app.client(true);
    // Import and export alike: the notice layout and its quantity item.
    let families = [
        (
            &IMPORT,
            ida_body(&ALICE, 1, "84713020"),
            &tables::VAD1AC,
            "B31",
        ),
        (&EXPORT, eda_body(&ALICE, 1, "B11"), &tables::VAE1LD, "R08"),
    ];
    for (spec, body, notice, quantity) in families {
        let code = |c: &str| format!("{c}-{:<4}-0000", spec.number);
        let r = send(&mut c, request(spec.pre, &ALICE, &body)).await;
        assert_eq!(r.codes(), ["00000-0000-0000"], "{}", spec.pre);
        let first = r.number();
        let number_only = |n: &str| format!("{n}\r\n");
        // Not registered yet: no amendment.
        let r = send(
            &mut c,
            request(spec.amend_call, &ALICE, &number_only(&first)),
        )
        .await;
        assert_eq!(r.codes(), [code("E0206")]);
        send(&mut c, request(spec.reg, &ALICE, &number_only(&first))).await;
        let r = send(
            &mut c,
            request(spec.amend_reg, &ALICE, &number_only(&first)),
        )
        .await;
        assert_eq!(
            r.codes(),
            [code("E0153")],
            "{} without {}",
            spec.amend_reg,
            spec.amend
        );

        let mut number = first.clone();
        for digit in 1..=9u32 {
            // IDD/EDD calls the registered declaration up in the amendment layout.
            let r = send(
                &mut c,
                request(spec.amend_call, &ALICE, &number_only(&number)),
            )
            .await;
            assert_eq!(r.get(HField::DataType), "M", "{} {digit}", spec.amend_call);
            let body = r.first().body.split_once("\r\n").unwrap().1;
            let mut f = Fields::parse(spec.amend_layout, body, None)
                .unwrap()
                .unwrap();
            assert_eq!(f.get(spec.number), number);
            f.set_rep("QN1", 1, &format!("{}", 100 + digit));
            let r = send(&mut c, request(spec.amend, &ALICE, &f.render())).await;
            assert_eq!(r.codes(), ["00000-0000-0000"], "{} {digit}", spec.amend);
            let r = send(
                &mut c,
                request(spec.amend_reg, &ALICE, &number_only(&number)),
            )
            .await;
            assert_eq!(r.codes(), ["00000-0000-0000"], "{} {digit}", spec.amend_reg);
            number = r.number();
            assert_eq!(number[..11], first[..11], "same declaration");
            assert_eq!(number[11..], digit.to_string(), "amendment digit");
        }
        // The ninth amendment was the last.
        let r = send(
            &mut c,
            request(spec.amend_call, &ALICE, &number_only(&number)),
        )
        .await;
        assert_eq!(r.codes(), [code("E0208")], "{}", spec.amend_call);
        let r = send(&mut c, request(spec.call, &ALICE, &number_only(&number))).await;
        assert_eq!(r.codes(), [code("E0103")], "{}", spec.call);
        // The outputs: registered copy, channel notice, then an amendment
        // copy and a new notice (with its correction date) per amendment.
        let outputs = retrieve_all(&mut c, &ALICE).await;
        assert_eq!(outputs.len(), 2 + 2 * 9);
        let codes: Vec<&str> = outputs[..4].iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(
            codes,
            [
                spec.copy_out,
                spec.notice_out,
                spec.amend_copy_out,
                spec.notice_out
            ]
        );
        let copy = Fields::parse(spec.amend_layout, &outputs[2].1, None)
            .unwrap()
            .unwrap();
        assert_eq!(copy.get_rep("QN1", 1), "101", "{}", spec.amend_copy_out);
        let last = Fields::parse(notice, &outputs.last().unwrap().1, None)
            .unwrap()
            .unwrap();
        assert_eq!(last.get(spec.number), number);
        assert!(!last.get("AD2").is_empty());
        assert_eq!(last.get_rep(quantity, 1), "109");
        // ROT sends the last of each again, by any of the numbers.
        re_output_each(&mut c, &ALICE, &first, &outputs).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rot_sends_an_output_again() {
    let app = Appliance::start();
    let mut c = app.client(true);
    let n = submit_ida(&mut c, &ALICE).await.number();
    let rot = |ocd: &str, cm1: &str| request("ROT", &ALICE, &format!("{ocd}\r\n{cm1}\r\n"));
    // No channel notice before registration.
    assert_eq!(
        send(&mut c, rot("VAD1AC", &n)).await.codes(),
        ["E0007-0000-0000"]
    );
    send(&mut c, request("IDC", &ALICE, &format!("{n}\r\n"))).await;
    let first = retrieve_all(&mut c, &ALICE).await;
    assert_eq!(
        send(&mut c, rot("VAD1AC", &n)).await.codes(),
        ["00000-0000-0000"]
    );
    let again = retrieve_all(&mut c, &ALICE).await;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0], first[1], "the same channel notice");
    re_output_each(&mut c, &ALICE, &n, &first).await;
    let cases = [
        // Issued by the appliance, but not cleared yet.
        (rot("VAD1AG", &n), "E0007-0000-0000"),
        (rot("VAD424", &n), "E0007-0000-0000"),
        (rot("VAD487", &n), "E0005-OCD -0000"),
        (rot("XYZ123", &n), "E0002-OCD -0000"),
        (rot("VAD1AC", "190179999990"), "E0007-0000-0000"),
    ];
    for (req, want) in cases {
        assert_eq!(send(&mut c, req).await.codes(), [want]);
    }
    // Bob cannot have Alice's outputs sent to him.
    let r = send(&mut c, request("ROT", &BOB, &format!("VAD419\r\n{n}\r\n"))).await;
    assert_eq!(r.codes(), ["E0007-0000-0000"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn divided_declarations_link_to_their_first_part() {
    let app = Appliance::start();
    let mut c = app.client(true);
    let part = |fic: &str, bno: &str, dno: &str| divided_ida(&ALICE, fic, bno, dno);
    let r = send(&mut c, part("F", "1", "2")).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    let first = r.number();
    assert_eq!(
        send(&mut c, part(&first, "2", "2")).await.codes(),
        ["00000-0000-0000"]
    );
    assert_eq!(
        send(&mut c, part(&first, "2", "3")).await.codes(),
        ["S1000-FIC -0000"],
        "other count"
    );
    assert_eq!(
        send(&mut c, part("F", "2", "2")).await.codes(),
        ["R1029-BNO -0000"]
    );
    let whole = submit_ida(&mut c, &ALICE).await.number();
    assert_eq!(
        send(&mut c, part(&whole, "2", "2")).await.codes(),
        ["S1000-FIC -0000"],
        "not a first part"
    );
}
