//! Temporary import → partial re-exports against its balance, across a
//! switch to standby, over TLS.

mod common;

use common::*;
use outpost::wire::{tables, Fields};

/// ITI by number: the temporary declaration's balances (VAL816).
async fn balance_detail(c: &mut outpost::client::Client, tdn: &str) -> Fields {
    let r = send(
        c,
        request("ITI", &ALICE, &format!("\r\n\r\n\r\n\r\n{tdn}\r\n")),
    )
    .await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    form(&r, &tables::VAL816)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn temporary_import_partial_re_exports_and_standby() {
    let app = Appliance::start();
    let mut c = app.client(true);

    let r = send(&mut c, request("IDA", &ALICE, &temporary_import())).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    let tdn = r.number();
    // A re-export before the temporary import is registered is refused.
    let early = re_export(&tdn, &[("01", "84713020", "10", "PCE")]);
    assert_eq!(
        send(&mut c, request("EDA", &ALICE, &early)).await.codes(),
        ["E8307-TDN -0000"]
    );
    let r = send(&mut c, request("IDC", &ALICE, &format!("{tdn}\r\n"))).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);

    // Partial re-export: 60 of 100 laptops and 1 of 3 instruments.
    let first = re_export(
        &tdn,
        &[
            ("01", "84713020", "60", "PCE"),
            ("02", "90158000", "1", "SET"),
        ],
    );
    let r = send(&mut c, request("EDA", &ALICE, &first)).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    let n1 = r.number();
    assert_eq!(
        send(&mut c, request("EDC", &ALICE, &format!("{n1}\r\n")))
            .await
            .codes(),
        ["00000-0000-0000"]
    );

    // A second one that would exceed line 1's balance (41 > 40), refused
    // with its own goods line in the code; line 2 alone is fine.
    let too_much = re_export(
        &tdn,
        &[
            ("02", "90158000", "2", "SET"),
            ("01", "84713020", "41", "PCE"),
        ],
    );
    let r = send(&mut c, request("EDA", &ALICE, &too_much)).await;
    assert_eq!(r.codes(), ["E8306-QN1 -0002"]);
    // Bob cannot draw on Alice's temporary import.
    let r = send(
        &mut c,
        request(
            "EDA",
            &BOB,
            &re_export(&tdn, &[("01", "84713020", "1", "PCE")])
                .replace(ALICE.tax_code, BOB.tax_code),
        ),
    )
    .await;
    assert_eq!(r.codes(), ["E8304-TDN -0000"]);

    // VNACCS is back: the continuation is still taken here, a plain import is not.
    let out = outpost(
        app.data(),
        &["mode", "standby", "--reason", "VNACCS restored"],
    );
    assert!(out.status.success());
    assert_eq!(
        submit_ida(&mut c, &ALICE).await.codes(),
        ["A0015-0000-0000"]
    );
    let rest = re_export(&tdn, &[("01", "84713020", "40", "PCE")]);
    let r = send(&mut c, request("EDA", &ALICE, &rest)).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    let n2 = r.number();
    assert_eq!(
        send(&mut c, request("EDC", &ALICE, &format!("{n2}\r\n")))
            .await
            .codes(),
        ["00000-0000-0000"]
    );
    // Line 1 is now used up.
    let r = send(
        &mut c,
        request(
            "EDA",
            &ALICE,
            &re_export(&tdn, &[("01", "84713020", "1", "PCE")]),
        ),
    )
    .await;
    assert_eq!(r.codes(), ["E8306-QN1 -0001"]);
    // ITI: the balances of the temporary import, line by line.
    let r = send(
        &mut c,
        request("ITI", &ALICE, &format!("\r\n\r\n\r\n\r\n{tdn}\r\n")),
    )
    .await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    assert_eq!(r.get(outpost::wire::HField::OutCode), "VAL8160");
    let body = r.first().body.split_once("\r\n").unwrap().1;
    let detail = Fields::parse(&tables::VAL816, body, None).unwrap().unwrap();
    assert_eq!(detail.get("A01"), tdn);
    assert_eq!(detail.get("A03"), "I");
    assert_eq!(detail.get("A11"), "31122099");
    let line = |r: u16| ["D01", "D02", "D04", "D06"].map(|id| detail.get_rep(id, r).to_string());
    assert_eq!(line(1), ["84713020", "100", "100", "0"]);
    assert_eq!(line(2), ["90158000", "3", "1", "2"]);
    // ITI search: Alice's temporary imports.
    let r = send(&mut c, request("ITI", &ALICE, "I\r\n")).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    let body = r.first().body.split_once("\r\n").unwrap().1;
    let list = Fields::parse(&tables::VAL815, body, None).unwrap().unwrap();
    assert_eq!(list.get_rep("B01", 1), tdn);
    assert_eq!(list.get_rep("B01", 2), "");
    let cases = [
        ("\r\n", "R0002-ICN -0000"),
        (&*format!("I\r\n\r\n\r\n\r\n{tdn}\r\n"), "R0005-ICN -0000"),
        ("E\r\n", "L0001-0000-0000"),
        ("X\r\n", "S0008-IEI -0000"),
        (
            &*format!("I\r\n\r\n\r\n{}\r\n", BOB.tax_code),
            "U0003-UCD -0000",
        ),
        (&*format!("\r\n\r\n\r\n\r\n{n1}\r\n"), "E0025-ICN -0000"),
    ];
    for (body, want) in cases {
        assert_eq!(
            send(&mut c, request("ITI", &ALICE, body)).await.codes(),
            [want],
            "{body:?}"
        );
    }
    let r = send(
        &mut c,
        request("ITI", &BOB, &format!("\r\n\r\n\r\n\r\n{tdn}\r\n")),
    )
    .await;
    assert_eq!(r.codes(), ["U0004-ICN -0000"]);

    // A re-export of a VNACCS temporary import belongs on VNACCS in standby.
    let r = send(
        &mut c,
        request(
            "EDA",
            &ALICE,
            &re_export("101234567890", &[("01", "84713020", "1", "PCE")]),
        ),
    )
    .await;
    assert_eq!(r.codes(), ["A0015-0000-0000"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn management_information_called_up_and_corrected() {
    let app = Appliance::start();
    let mut c = app.client(true);
    let tdn = registered_temporary_import(&mut c).await;
    let first = re_export(&tdn, &[("01", "84713020", "60", "PCE")]);
    let r = send(&mut c, request("EDA", &ALICE, &first)).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    let n1 = r.number();

    // TIB: the management information in the TIA form.
    let r = send(&mut c, request("TIB", &ALICE, &format!("{tdn}\r\n"))).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    let mut tia = form(&r, &tables::TIA);
    assert_eq!(tia.get("TED"), "31122099");
    assert_eq!(tia.get("CFD"), &ALICE.code[..5]);
    assert_eq!(
        ["CMD", "QT", "QTU", "UT"].map(|id| tia.get_rep(id, 1).to_string()),
        ["84713020", "100", "PCE", "60"]
    );
    // TIA: the deadline extended, and 10 more laptops recorded as gone
    // (disposed of under customs supervision).
    tia.set("TED", "30062100");
    tia.set_rep("UT", 1, "70");
    let r = send(&mut c, request("TIA", &ALICE, &tia.render())).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    let detail = balance_detail(&mut c, &tdn).await;
    assert_eq!(detail.get("A11"), "30062100");
    assert_eq!(
        ["D04", "D06"].map(|id| detail.get_rep(id, 1).to_string()),
        ["70", "30"]
    );
    // Re-exports go by the corrected balance.
    let too_much = re_export(&tdn, &[("01", "84713020", "31", "PCE")]);
    let r = send(&mut c, request("EDA", &ALICE, &too_much)).await;
    assert_eq!(r.codes(), ["E8306-QN1 -0001"]);
    let rest = re_export(&tdn, &[("01", "84713020", "30", "PCE")]);
    let r = send(&mut c, request("EDA", &ALICE, &rest)).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);

    // What re-exports lodged here drew (90) cannot be written off.
    tia.set_rep("UT", 1, "80");
    let r = send(&mut c, request("TIA", &ALICE, &tia.render())).await;
    assert_eq!(r.codes(), ["E0011-UT  -0001"]);
    tia.set_rep("UT", 1, "100");
    tia.set("TED", "01012020");
    let r = send(&mut c, request("TIA", &ALICE, &tia.render())).await;
    assert_eq!(r.codes(), ["S0033-TED -0000"]);
    let r = send(&mut c, request("TIA", &BOB, &tia.render())).await;
    assert_eq!(r.codes(), ["U0004-ECN -0000"]);
    let r = send(&mut c, request("TIB", &BOB, &format!("{tdn}\r\n"))).await;
    assert_eq!(r.codes(), ["U0004-ECN -0000"]);
    let r = send(&mut c, request("TIB", &ALICE, &format!("{n1}\r\n"))).await;
    assert_eq!(r.codes(), ["E0002-ECN -0000"], "a re-export is not managed");

    let outputs = retrieve_all(&mut c, &ALICE).await;
    let copy = outputs
        .iter()
        .find(|(code, _)| code == "VAL8110")
        .expect("the TIA copy");
    let copy = Fields::parse(&tables::VAL811, &copy.1, None)
        .unwrap()
        .unwrap();
    assert_eq!(
        [copy.get("A01"), copy.get("A09"), copy.get_rep("D06", 1)],
        [tdn.as_str(), "30062100", "30"]
    );
    let copies: Vec<(String, String)> = outputs
        .into_iter()
        .filter(|(code, _)| code == "VAL8110")
        .collect();
    re_output_each(&mut c, &ALICE, &tdn, &copies).await;
    assert_verified(app.data());
}

/// `body` (an EDA) as the EDA01 amendment of declaration `n`.
fn amendment_of(n: &str, body: &str) -> String {
    let f = Fields::parse(&tables::EDA, body, None).unwrap().unwrap();
    let mut f = Fields::from_values(&tables::EDA01, f.values().to_vec());
    f.set("ECN", n);
    f.render()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amended_re_exports_still_fit_the_balance() {
    let app = Appliance::start();
    let mut c = app.client(true);
    let tdn = registered_temporary_import(&mut c).await;
    let mut lodged = Vec::new();
    for qty in ["60", "30"] {
        let body = re_export(&tdn, &[("01", "84713020", qty, "PCE")]);
        let r = send(&mut c, request("EDA", &ALICE, &body)).await;
        assert_eq!(r.codes(), ["00000-0000-0000"]);
        let n = r.number();
        let r = send(&mut c, request("EDC", &ALICE, &format!("{n}\r\n"))).await;
        assert_eq!(r.codes(), ["00000-0000-0000"]);
        lodged.push(n);
    }
    let first = &lodged[0];

    // The first re-export amended: its own 60 does not count against it,
    // the other 30 does.
    let to = |qty| {
        let body = re_export(&tdn, &[("01", "84713020", qty, "PCE")]);
        request("EDA01", &ALICE, &amendment_of(first, &body))
    };
    let r = send(&mut c, to("71")).await;
    assert_eq!(r.codes(), ["E8306-QN1 -0001"]);
    let r = send(&mut c, to("70")).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);

    // Another re-export takes 1 before the amendment is registered: the
    // amendment no longer fits when EDE registers it.
    let one = re_export(&tdn, &[("01", "84713020", "1", "PCE")]);
    let r = send(&mut c, request("EDA", &ALICE, &one)).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    let r = send(&mut c, request("EDE", &ALICE, &format!("{first}\r\n"))).await;
    assert_eq!(r.codes(), ["E8306-QN1 -0001"]);
    // Amended to what is left, it registers, and the balance follows it.
    let r = send(&mut c, to("69")).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    let r = send(&mut c, request("EDE", &ALICE, &format!("{first}\r\n"))).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    let detail = balance_detail(&mut c, &tdn).await;
    assert_eq!(
        ["D04", "D06"].map(|id| detail.get_rep(id, 1).to_string()),
        ["100", "0"]
    );
    // The link to the temporary import stays: another TDN is refused.
    let body = re_export("190170000990", &[("01", "84713020", "1", "PCE")]);
    let r = send(
        &mut c,
        request("EDA01", &ALICE, &amendment_of(first, &body)),
    )
    .await;
    assert_eq!(r.codes(), ["E8303-TDN -0000"]);
    assert_verified(app.data());
}
