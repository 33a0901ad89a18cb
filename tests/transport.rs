//! Bonded transport OLA → OLC → BOA → BIA over TLS.

mod common;

use common::*;
use outpost::wire::{tables, Fields, HField};

fn ola() -> String {
    let mut f = Fields::new(&tables::OLA);
    for (k, v) in [
        ("IEI", "I"),
        ("CHC", "03CC"),
        ("TRC", ALICE.tax_code),
        ("TRN", "CÔNG TY VẬN TẢI VÍ DỤ"),
        ("BYA", "31"),
        ("OBJ", "FAC"),
        ("USS", "NR"),
        ("SDT", "01122026"),
        ("SDH", "08"),
        ("EDT", "02122026"),
        ("EDH", "17"),
        ("DPR", "03CCS01"),
        ("ARR", "02CIS01"),
        ("CG1", "EXAMPLEBL0001"),
        ("CM1", "Máy tính xách tay"),
    ] {
        f.set(k, v);
    }
    f.render()
}

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
    assert_eq!(codes, ["VAS5020", "VAS5010", "VAS5160"]);

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
