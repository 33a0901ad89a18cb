//! Bonded transport OLA → OLC → BOA → BIA over TLS.

mod common;

use common::*;
use outpost::wire::{tables, Fields, HField};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bonded_transport_from_ola_to_arrival() {
    let app = Appliance::start();
    let mut c = app.client(true);
    let r = send(&mut c, request("OLA", &ALICE, &ola())).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    let olt = r.number();
    assert!(olt.starts_with("T9017"), "{olt}");

    let r = send(&mut c, request("OLB", &ALICE, &format!("{olt}\r\n"))).await;
    assert_eq!(r.get(HField::DataType), "M");
    let body = r.first().body.split_once("\r\n").unwrap().1;
    assert_eq!(
        Fields::parse(&tables::OLA, body, None)
            .unwrap()
            .unwrap()
            .get("CM1"),
        "Máy tính xách tay"
    );
    // Departure before registration is refused.
    let boa = |kind: &str| request("BOA", &ALICE, &format!("{kind}\r\n{olt}\r\n"));
    assert_eq!(send(&mut c, boa("9")).await.codes(), ["E0003-CGO -0000"]);

    assert_eq!(
        send(&mut c, request("OLC", &ALICE, &format!("{olt}\r\n")))
            .await
            .codes(),
        ["00000-0000-0000"]
    );
    assert_eq!(
        send(&mut c, request("OLC", &ALICE, &format!("{olt}\r\n")))
            .await
            .codes(),
        ["E0003-OLT -0000"]
    );
    assert_eq!(
        send(&mut c, request("OLB", &ALICE, &format!("{olt}\r\n")))
            .await
            .codes(),
        ["E0002-OLT -0000"]
    );
    // Arrival before departure is refused.
    let mut arrival = Fields::new(&tables::BIA);
    for (k, v) in [
        ("OLT", olt.as_str()),
        ("TRT", "A"),
        ("DTM", "02122026"),
        ("TIM", "1530"),
    ] {
        arrival.set(k, v);
    }
    let bia = request("BIA", &ALICE, &arrival.render());
    assert_eq!(send(&mut c, bia.clone()).await.codes(), ["E0002-OLT -0000"]);
    assert_eq!(send(&mut c, boa("9")).await.codes(), ["00000-0000-0000"]);
    assert_eq!(send(&mut c, boa("9")).await.codes(), ["E0027-CGO -0000"]);
    assert_eq!(send(&mut c, bia).await.codes(), ["00000-0000-0000"]);
    // Bob sees none of it.
    let r = send(&mut c, request("ITF", &BOB, &format!("{olt}\r\n"))).await;
    assert_eq!(r.codes(), ["E0002-OLT -0000"]);

    let r = send(&mut c, request("ITF", &ALICE, &format!("{olt}\r\n"))).await;
    assert_eq!(r.get(HField::OutCode), "VAS5180");
    let body = r.first().body.split_once("\r\n").unwrap().1;
    let reference = Fields::parse(&tables::VAS518, body, None).unwrap().unwrap();
    assert_eq!(reference.get("OLT"), olt);

    let outputs = retrieve_all(&mut c, &ALICE).await;
    let codes: Vec<&str> = outputs.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(codes, ["VAS5020", "VAS5010", "VAS5030", "VAS5160"]);
    // The copy of the registered transport carries its data and number.
    let copy = Fields::parse(&tables::VAS503, &outputs[2].1, None)
        .unwrap()
        .unwrap();
    assert_eq!(
        (copy.get("OLT"), copy.get("AC"), copy.get("AF").len()),
        (olt.as_str(), "03CC", 8)
    );
    assert_eq!(copy.get("ARR"), "02CIS01");
    // ROT sends each of them again; never to another declarant, and never
    // an output the appliance does not issue (VAS517: its layout is unknown).
    re_output_each(&mut c, &ALICE, &olt, &outputs).await;
    for (d, ocd, want) in [
        (&BOB, "VAS503", "E0007-0000-0000"),
        (&ALICE, "VAS517", "E0005-OCD -0000"),
        (&ALICE, "VAS504", "E0007-0000-0000"),
    ] {
        let r = send(&mut c, request("ROT", d, &format!("{ocd}\r\n{olt}\r\n"))).await;
        assert_eq!(r.codes(), [want], "{ocd}");
    }

    // Checks of the OLA itself, and standby.
    let mut bad = Fields::parse(&tables::OLA, &ola(), None).unwrap().unwrap();
    bad.set("EDT", "30112026");
    let r = send(&mut c, request("OLA", &ALICE, &bad.render())).await;
    assert_eq!(r.codes(), ["R0007-EDT -0000"]);
    assert!(
        outpost(app.data(), &["mode", "standby", "--reason", "VNACCS back"])
            .status
            .success()
    );
    assert_eq!(
        send(&mut c, request("OLA", &ALICE, &ola())).await.codes(),
        ["A0015-0000-0000"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transport_corrected_and_cancelled_before_departure_only() {
    let app = Appliance::start();
    let mut c = app.client(true);
    let olt = registered_transport(&mut c).await;

    // COT11 calls the registered data up in the COT form; the terminal
    // changes the finish date, keeps the cargo and sends it back.
    let r = send(&mut c, request("COT11", &ALICE, &format!("{olt}\r\n"))).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    let mut cot = form(&r, &tables::COT);
    assert_eq!(
        (cot.get("OLT"), cot.get("CG1")),
        (olt.as_str(), "EXAMPLEBL0001")
    );
    cot.set("KND", "5");
    cot.set("EDT", "03122026");
    cot.set("TES1", "5");
    let r = send(&mut c, request("COT", &ALICE, &cot.render())).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    let r = send(&mut c, request("COT11", &ALICE, &format!("{olt}\r\n"))).await;
    assert_eq!(form(&r, &tables::COT).get("EDT"), "03122026");
    let r = send(&mut c, request("ITF", &ALICE, &format!("{olt}\r\n"))).await;
    assert_eq!(form(&r, &tables::VAS518).get("SAD"), "03122026");
    // The customs office is not the declarant's to change; Bob cannot
    // touch Alice's transport at all.
    cot.set("CHC", "01B1");
    let r = send(&mut c, request("COT", &ALICE, &cot.render())).await;
    assert_eq!(r.codes(), ["E0003-CHC -0000"]);
    cot.set("CHC", "03CC");
    let r = send(&mut c, request("COT", &BOB, &cot.render())).await;
    assert_eq!(r.codes(), ["S0005-OLT -0000"]);

    // Cancellation: nothing can follow it.
    cot.set("KND", "1");
    let r = send(&mut c, request("COT", &ALICE, &cot.render())).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    assert_eq!(
        send(&mut c, request("COT", &ALICE, &cot.render()))
            .await
            .codes(),
        ["S0007-OLT -0000"]
    );
    let boa = request("BOA", &ALICE, &format!("9\r\n{olt}\r\n"));
    assert_eq!(send(&mut c, boa).await.codes(), ["E0003-CGO -0000"]);
    let r = send(&mut c, request("ITF", &ALICE, &format!("{olt}\r\n"))).await;
    assert_eq!(
        form(&r, &tables::VAS518).get("CDT").len(),
        8,
        "cancellation date"
    );
    let outputs = retrieve_all(&mut c, &ALICE).await;
    let codes: Vec<&str> = outputs.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(
        codes,
        ["VAS5020", "VAS5010", "VAS5030", "VAS5150", "VAS5130", "VAS5150", "VAS5140", "VAS5130"]
    );
    let notice = Fields::parse(&tables::VAS514, &outputs[6].1, None)
        .unwrap()
        .unwrap();
    assert_eq!(
        (notice.get("AJ"), notice.get("BE1")),
        (olt.as_str(), "EXAMPLEBL0001")
    );
    // Each COT is followed by the copy of the transport as it left it: the
    // corrected finish date, then the same data as cancelled.
    for i in [4, 7] {
        let copy = Fields::parse(&tables::VAS513, &outputs[i].1, None)
            .unwrap()
            .unwrap();
        assert_eq!(
            (copy.get("AE"), copy.get("KH"), copy.get("AD")),
            (olt.as_str(), "03122026", "03CC"),
            "output {i}"
        );
    }
    re_output_each(&mut c, &ALICE, &olt, &outputs).await;

    // Once the goods have left, the declaration stays as it is; BIA11 calls
    // it up for the arrival notice instead.
    let olt = registered_transport(&mut c).await;
    let r = send(&mut c, request("BIA11", &ALICE, &format!("{olt}\r\n"))).await;
    assert_eq!(r.codes(), ["E0003-OLT -0000"], "not on its way yet");
    let boa = request("BOA", &ALICE, &format!("9\r\n{olt}\r\n"));
    assert_eq!(send(&mut c, boa).await.codes(), ["00000-0000-0000"]);
    let r = send(&mut c, request("COT11", &ALICE, &format!("{olt}\r\n"))).await;
    assert_eq!(r.codes(), ["E0003-OLT -0000"]);
    let mut late = cot.clone();
    late.set("OLT", &olt);
    late.set("KND", "5");
    let r = send(&mut c, request("COT", &ALICE, &late.render())).await;
    assert_eq!(r.codes(), ["E0008-DPD -0000"]);
    late.set("KND", "1");
    let r = send(&mut c, request("COT", &ALICE, &late.render())).await;
    assert_eq!(r.codes(), ["E0008-DPD -0000"]);

    let r = send(&mut c, request("BIA11", &ALICE, &format!("{olt}\r\n"))).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    let mut arrival = form(&r, &tables::BIA);
    assert_eq!((arrival.get("TRT"), arrival.get("SOH")), ("A", "02CIS01"));
    assert_eq!(arrival.get("DOT").len(), 8, "departure date");
    arrival.set("DTM", "02122026");
    arrival.set("TIM", "1530");
    let r = send(&mut c, request("BIA", &ALICE, &arrival.render())).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);

    // ITF search by submitting office and finish date: the cancelled
    // transport (now finishing 03/12) and this one (02/12).
    let itf = |d: &Declarant, edt: &str, dec: &str, arv: &str| {
        request("ITF", d, &format!("\r\n{edt}\r\n{dec}\r\n{arv}\r\n"))
    };
    let r = send(&mut c, itf(&ALICE, "31122026", "03CC", "")).await;
    assert_eq!(r.codes(), ["W1001-0000-0000"], "two found");
    assert_eq!(
        form(&r, &tables::VAS518).get("CDT").len(),
        8,
        "the cancelled one first"
    );
    let r = send(&mut c, itf(&ALICE, "02122026", "03CC", "")).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    assert_eq!(form(&r, &tables::VAS518).get("OLT"), olt);
    for (d, edt, dec, arv, want) in [
        (&ALICE, "01122026", "03CC", "", "E0005-0000-0000"),
        (&ALICE, "31122026", "01B1", "", "E0005-0000-0000"),
        (&BOB, "31122026", "03CC", "", "E0005-0000-0000"),
        (&ALICE, "31122026", "", "02CI", "R0004-ARV -0000"),
        (&ALICE, "31122026", "", "", "R0004-DEC -0000"),
    ] {
        assert_eq!(
            send(&mut c, itf(d, edt, dec, arv)).await.codes(),
            [want],
            "{edt} {dec} {arv}"
        );
    }
    let r = send(
        &mut c,
        request("ITF", &ALICE, &format!("{olt}\r\n\r\n03CC\r\n")),
    )
    .await;
    assert_eq!(r.codes(), ["R0002-DEC -0000"]);
    // The second transport found waits in the output queue.
    let outputs = retrieve_all(&mut c, &ALICE).await;
    let found: Vec<&String> = outputs
        .iter()
        .filter(|(code, _)| code == "VAS5180")
        .map(|(_, body)| body)
        .collect();
    assert_eq!(found.len(), 1);
    let second = Fields::parse(&tables::VAS518, found[0], None)
        .unwrap()
        .unwrap();
    assert_eq!(second.get("OLT"), olt);
    re_output_each(&mut c, &ALICE, &olt, &outputs).await;
    assert_verified(app.data());
}
