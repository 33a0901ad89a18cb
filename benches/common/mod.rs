//! What the benchmarks share: running the binary, and the IDA they send.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Stdio};

use outpost::wire::{tables, Fields};

pub const BIN: &str = env!("CARGO_BIN_EXE_outpost");

/// `outpost --data-dir <data> <args>`, which must succeed; its stdout.
pub fn run(data: &Path, args: &[&str]) -> String {
    let out = Command::new(BIN)
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env("RUST_LOG", "warn")
        .stderr(Stdio::inherit())
        .output()
        .expect("running outpost");
    assert!(out.status.success(), "outpost {args:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A three-line import declaration as declarant software fills it.
pub fn ida_fields() -> Fields {
    let mut f = Fields::new(&tables::IDA);
    for (k, v) in [
        ("ICB", "A11"),
        ("MTC", "2"),
        ("SKB", "4"),
        ("CH", "02CI"),
        ("IMC", "0101234567"),
        ("IMN", "CÔNG TY TNHH THƯƠNG MẠI VÍ DỤ"),
        ("NO", "10"),
        ("NOT", "PK"),
        ("ARR", "15012024"),
        ("PSC", "JPTYO"),
        ("IP4", "25000"),
    ] {
        f.set(k, v);
    }
    for r in 1..=3 {
        f.set_rep("CMD", r, "84713020");
        f.set_rep("CMN", r, "Máy tính xách tay, mới 100%");
        f.set_rep("OR", r, "CN");
        f.set_rep("QN1", r, "100");
        f.set_rep("QT1", r, "PCE");
    }
    f
}

/// Starts `outpost --data-dir data <args…>` (a listener started with
/// `--listen 127.0.0.1:0`) and returns it with the address from its
/// "listening on https://…/" line.
pub fn spawn_listening(data: &Path, args: &[&str]) -> (std::process::Child, String) {
    let mut child = Command::new(BIN)
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let addr = line
        .split("https://")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    (child, addr)
}
