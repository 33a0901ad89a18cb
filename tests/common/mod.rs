//! Test harness: starts the real `outpost` binary on loopback with a temp
//! data directory and talks to it over TLS like declarant software.
#![allow(dead_code)]

#[path = "../../src/smime/signing.rs"]
pub mod signing;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use outpost::client::Client;
use outpost::wire::{tables, Fields, HField, Header, Layout, Message, ResultCode};

pub const BIN: &str = env!("CARGO_BIN_EXE_outpost");

/// A declarant provisioned on the appliance.
#[derive(Clone, Debug)]
pub struct Declarant {
    pub code: &'static str,
    pub password: &'static str,
    pub terminal: &'static str,
    pub key: &'static str,
    pub tax_code: &'static str,
}

pub const ALICE: Declarant = Declarant {
    code: "ABC12001",
    password: "PASSW0RD",
    terminal: "T12345",
    key: "0123456789ABCDEF",
    tax_code: "0101234567",
};

pub const BOB: Declarant = Declarant {
    code: "XYZ34002",
    password: "S3CRET!",
    terminal: "T99999",
    key: "BOBKEY",
    tax_code: "0309876543",
};

pub fn outpost(data: &Path, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("running outpost")
}

pub struct Appliance {
    pub dir: tempfile::TempDir,
    child: Option<Child>,
    pub addr: SocketAddr,
}

impl Appliance {
    /// A fresh appliance: site block 17, ALICE and BOB provisioned, serving.
    pub fn start() -> Appliance {
        Appliance::start_with(17, "")
    }

    /// A fresh appliance for site `block` with `config` as its outpost.toml,
    /// ALICE and BOB provisioned, serving.
    pub fn start_with(block: u16, config: &str) -> Appliance {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("outpost.toml"), config).expect("writing outpost.toml");
        let out = outpost(
            dir.path(),
            &[
                "init",
                "--site",
                &block.to_string(),
                "--name",
                "test branch",
            ],
        );
        assert!(
            out.status.success(),
            "init: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        for d in [ALICE, BOB] {
            add_user(dir.path(), &d);
        }
        let out = outpost(
            dir.path(),
            &["mode", "active", "--reason", "VNACCS outage (test)"],
        );
        assert!(
            out.status.success(),
            "mode: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut a = Appliance {
            dir,
            child: None,
            addr: "127.0.0.1:0".parse().unwrap(),
        };
        a.spawn();
        a
    }

    /// Serves a data directory that already holds a store (a restored one).
    pub fn open(dir: tempfile::TempDir) -> Appliance {
        let mut a = Appliance {
            dir,
            child: None,
            addr: "127.0.0.1:0".parse().unwrap(),
        };
        a.spawn();
        a
    }

    pub fn data(&self) -> &Path {
        self.dir.path()
    }

    pub fn cert(&self) -> PathBuf {
        self.data().join("tls").join("cert.pem")
    }

    /// Starts the server and waits for its "listening" line.
    pub fn spawn(&mut self) {
        self.spawn_with_env(&[]);
    }

    /// As `spawn`, with extra environment variables.
    pub fn spawn_with_env(&mut self, env: &[(&str, &str)]) {
        self.spawn_with(|c| {
            c.envs(env.iter().copied());
        });
    }

    /// As `spawn`, with the command prepared by `prepare` first.
    pub fn spawn_with(&mut self, prepare: impl FnOnce(&mut Command)) {
        let (child, addr) =
            spawn_listening_with(self.data(), &["serve", "--listen", "127.0.0.1:0"], prepare);
        self.addr = addr;
        self.child = Some(child);
    }

    pub fn client(&self, keep_alive: bool) -> Client {
        Client::new(self.addr, &self.cert(), keep_alive).expect("client")
    }

    pub fn pid(&self) -> i32 {
        self.child.as_ref().expect("running").id() as i32
    }

    pub fn signal(&self, sig: i32) {
        // SAFETY: kill(2) on our own child's pid has no memory effects.
        let rc = unsafe { libc::kill(self.pid(), sig) };
        assert_eq!(rc, 0, "kill({sig})");
    }

    /// SIGKILL, no chance to flush anything.
    pub fn kill9(&mut self) {
        self.signal(9);
        self.child.take().unwrap().wait().unwrap();
    }

    /// Waits for the process to exit, at most `limit`.
    pub fn wait_exit(&mut self, limit: Duration) -> ExitStatus {
        let mut child = self.child.take().expect("running");
        let start = Instant::now();
        loop {
            if let Some(st) = child.try_wait().unwrap() {
                return st;
            }
            if start.elapsed() > limit {
                let _ = child.kill();
                panic!("outpost did not exit within {limit:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Appliance {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

pub const SIGHUP: i32 = 1;
pub const SIGINT: i32 = 2;
pub const SIGTERM: i32 = 15;

/// `outpost verify`: the journal and every stored record, index and
/// counter agree (through the admin socket while the appliance serves).
pub fn assert_verified(data: &Path) {
    let v = outpost(data, &["verify"]);
    assert!(
        v.status.success(),
        "verify: {}{}",
        String::from_utf8_lossy(&v.stdout),
        String::from_utf8_lossy(&v.stderr)
    );
}

/// `outpost user add …` for a declarant.
pub fn user_add(data: &Path, d: &Declarant) -> std::process::Output {
    outpost(
        data,
        &[
            "user",
            "add",
            "--code",
            d.code,
            "--password",
            d.password,
            "--terminal",
            d.terminal,
            "--access-key",
            d.key,
            "--tax-code",
            d.tax_code,
        ],
    )
}

pub fn add_user(data: &Path, d: &Declarant) {
    let out = user_add(data, d);
    assert!(
        out.status.success(),
        "user add: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Sends a valid one-line IDA for `d`; returns the reply.
pub async fn submit_ida(c: &mut Client, d: &Declarant) -> Reply {
    send(c, request("IDA", d, &ida_body(d, 1, "84713020"))).await
}

/// A request header as the official terminal fills it.
pub fn header(job: &str, d: &Declarant) -> Header {
    let mut h = Header::default();
    h.set(HField::Control, "SS");
    h.set(HField::JobCode, job);
    h.set(HField::UserId, d.code);
    h.set(HField::Password, d.password);
    h.set(HField::Path, d.terminal);
    h.set(
        HField::DataInfo,
        &format!("{}20240115093000000001", d.terminal),
    );
    h
}

pub fn request(job: &str, d: &Declarant, body: &str) -> Vec<u8> {
    Message::new(header(job, d), body.to_string()).render()
}

/// An IDA body for `d` with `lines` goods lines and Vietnamese text.
pub fn ida_body(d: &Declarant, lines: u16, hs: &str) -> String {
    let mut f = Fields::new(&tables::IDA);
    f.set("ICB", "A11");
    f.set("MTC", "2");
    f.set("SKB", "4");
    f.set("CH", "02CI");
    f.set("CHB", "02");
    f.set("IMC", d.tax_code);
    f.set("IMN", "CÔNG TY TNHH THƯƠNG MẠI VÍ DỤ");
    f.set("IMA", "SỐ 1 ĐƯỜNG VÍ DỤ, QUẬN MẪU, HÀ NỘI");
    f.set("BL1", "EXAMPLEBL0001");
    f.set("NO", "10");
    f.set("NOT", "PK");
    f.set("GW", "1250.5");
    f.set("GWT", "KGM");
    f.set("PSC", "JPTYO");
    f.set("ARR", "15012024");
    f.set("IP4", "25000");
    for r in 1..=lines {
        f.set_rep("CMD", r, hs);
        f.set_rep("CMN", r, &format!("Máy tính xách tay, mới 100% — dòng {r}"));
        f.set_rep("OR", r, "CN");
        f.set_rep("QN1", r, "100");
        f.set_rep("QT1", r, "PCE");
        f.set_rep("BPR", r, "25000");
    }
    f.render()
}

/// An EDA body for `d` with `lines` goods lines.
pub fn eda_body(d: &Declarant, lines: u16, kind: &str) -> String {
    let mut f = Fields::new(&tables::EDA);
    for (id, v) in [
        ("ECB", kind),
        ("MTC", "2"),
        ("CH", "03CE"),
        ("EPC", d.tax_code),
        ("EPN", "CÔNG TY CỔ PHẦN XUẤT KHẨU CÀ PHÊ VÍ DỤ"),
        ("NO", "20"),
        ("NOT", "BG"),
        ("DSC", "DEHAM"),
        ("SYM", "20012024"),
        ("IP1", "A"),
        ("IP2", "FOB"),
        ("IP3", "USD"),
        ("IP4", "48000"),
    ] {
        f.set(id, v);
    }
    for r in 1..=lines {
        f.set_rep("CMD", r, "09011110");
        f.set_rep("CMN", r, &format!("Cà phê nhân Robusta loại {r}"));
        f.set_rep("QN1", r, "19200");
        f.set_rep("QT1", r, "KGM");
    }
    f.render()
}

/// Asserts that the appliance holds IDA `number` with exactly the data of
/// `body` (plus its number); `context` names the check in failures.
pub async fn assert_ida_stored(c: &mut Client, number: &str, body: &str, context: &str) {
    let r = send(c, request("IDB", &ALICE, &format!("{number}\r\n"))).await;
    assert_eq!(r.codes(), ["00000-0000-0000"], "{context}: {number} lost");
    let stored = r.first().body.split_once("\r\n").unwrap().1;
    let mut want = Fields::parse(&tables::IDA, body, None).unwrap().unwrap();
    want.set("ICN", number);
    let got = Fields::parse(&tables::IDA, stored, None).unwrap().unwrap();
    assert_eq!(got, want, "{context}: {number} changed");
}

/// Acknowledges outputs until the loop ends; returns (output code, body) of each.
pub async fn retrieve_all(c: &mut Client, d: &Declarant) -> Vec<(String, String)> {
    let mut got = Vec::new();
    let body = format!("{}\r\n{}\r\n1\r\n", d.terminal, d.key);
    let mut r = send(c, request("#REP1", d, &body)).await;
    while r.get(HField::Control) == "SSP" {
        got.push((r.get(HField::OutCode).to_string(), r.first().body.clone()));
        let mut h = header("?A2", d);
        h.set(HField::RtpInfo, r.get(HField::RtpInfo));
        r = send(c, Message::new(h, String::new()).render()).await;
    }
    assert_eq!(r.codes(), ["00000-0000-0000"], "retrieval ends cleanly");
    got
}

/// Parsed reply: all messages in it, or the short text.
pub struct Reply {
    pub raw: Vec<u8>,
    pub messages: Vec<Message>,
}

impl Reply {
    pub fn parse(raw: Vec<u8>) -> Reply {
        let messages = if raw.len() >= 400 {
            Message::parse_many(&raw).expect("reply is a VNACCS message")
        } else {
            Vec::new()
        };
        Reply { raw, messages }
    }

    pub fn first(&self) -> &Message {
        self.messages
            .first()
            .unwrap_or_else(|| panic!("short reply {:?}", String::from_utf8_lossy(&self.raw)))
    }

    /// Result codes on body line 1 of the first message.
    pub fn codes(&self) -> Vec<String> {
        let line = self
            .first()
            .body
            .split("\r\n")
            .next()
            .unwrap_or("")
            .to_string();
        ResultCode::parse_line(&line)
            .iter()
            .map(|c| c.to_string())
            .collect()
    }

    pub fn subject(&self) -> &str {
        self.first().header.get(HField::Subject)
    }

    /// The 12-digit number after the result code in the subject.
    pub fn number(&self) -> String {
        self.subject()
            .split_whitespace()
            .nth(1)
            .unwrap_or("")
            .to_string()
    }

    pub fn get(&self, f: HField) -> &str {
        self.first().header.get(f)
    }
}

/// `GET path`: status and body as text.
pub async fn get(c: &mut Client, path: &str) -> (u16, String) {
    let (status, body) = c
        .request("GET", path, "text/plain", vec![])
        .await
        .expect("GET");
    (status, String::from_utf8(body).expect("UTF-8 body"))
}

/// The data part of an M reply in `layout`, as a terminal fills its form:
/// a call-up leaves the items the declarant must choose empty, so the data
/// is not held to the layout's required items.
pub fn form(r: &Reply, layout: &'static Layout) -> Fields {
    let body = r.first().body.split_once("\r\n").unwrap().1;
    let values = outpost::wire::body::split_lines(body)
        .iter()
        .map(|v| v.trim().to_string())
        .collect();
    Fields::from_values(layout, values)
}

pub async fn send(c: &mut Client, bytes: Vec<u8>) -> Reply {
    Reply::parse(c.post(bytes).await.expect("post"))
}

/// Starts `outpost <args>` (a server) and returns it with the address from
/// its "listening on https://…/" line; stdout keeps being drained.
pub fn spawn_listening(data: &Path, args: &[&str]) -> (Child, SocketAddr) {
    spawn_listening_env(data, args, &[])
}

/// As `spawn_listening`, with extra environment variables.
pub fn spawn_listening_env(
    data: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> (Child, SocketAddr) {
    spawn_listening_with(data, args, |c| {
        c.envs(env.iter().copied());
    })
}

/// As `spawn_listening`, with the command prepared by `prepare` first.
pub fn spawn_listening_with(
    data: &Path,
    args: &[&str],
    prepare: impl FnOnce(&mut Command),
) -> (Child, SocketAddr) {
    let mut cmd = Command::new(BIN);
    cmd.arg("--data-dir")
        .arg(data)
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    prepare(&mut cmd);
    let mut child = cmd.spawn().expect("starting outpost");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let line = lines
        .next()
        .expect("outpost printed nothing")
        .expect("reading stdout");
    let addr = line
        .split("https://")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .unwrap_or_else(|| panic!("unexpected first line: {line}"));
    std::thread::spawn(move || for _ in lines {});
    (child, addr.parse().unwrap())
}

/// `outpost …` that must succeed; returns its stdout.
pub fn outpost_ok(data: &Path, args: &[&str]) -> String {
    succeeded(outpost(data, args), &format!("outpost {args:?}"))
}

/// The stdout of a command `what` that must have succeeded.
pub fn succeeded(out: std::process::Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A central receiver on a fixed loopback port, so that sites can be
/// configured for it before it first runs.
pub struct Centre {
    pub dir: tempfile::TempDir,
    child: Option<Child>,
    pub addr: SocketAddr,
}

impl Centre {
    /// Its certificate is made now; it does not run until `spawn`.
    pub fn new() -> Centre {
        let dir = tempfile::tempdir().expect("temp dir");
        let tls = dir.path().join("tls");
        outpost::tls::ensure_self_signed(&tls.join("cert.pem"), &tls.join("key.pem"), &[])
            .expect("centre certificate");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        Centre {
            dir,
            child: None,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
        }
    }

    pub fn data(&self) -> &Path {
        self.dir.path()
    }

    /// The outpost.toml lines that make a site sync here, quickly.
    pub fn site_config(&self) -> String {
        format!(
            "central_url = \"https://{}/\"\ncentral_cert = \"{}\"\nsync_interval_secs = 1\n\
             sync_backoff_max_secs = 1\nsync_timeout_secs = 10\n",
            self.addr,
            self.data().join("tls").join("cert.pem").display()
        )
    }

    /// Registers a site from its `outpost site-identity`.
    pub fn register(&self, block: u16, site: &Appliance) {
        let id = site.data().join("identity");
        outpost_ok(
            site.data(),
            &["site-identity", "--out", id.to_str().unwrap()],
        );
        outpost_ok(
            self.data(),
            &[
                "central",
                "site",
                "add",
                "--site",
                &block.to_string(),
                "--cert",
                id.join("site-cert.pem").to_str().unwrap(),
                "--key-pub",
                id.join("site-key.pub").to_str().unwrap(),
            ],
        );
    }

    pub fn spawn(&mut self) {
        let listen = self.addr.to_string();
        let (child, addr) =
            spawn_listening(self.data(), &["central", "serve", "--listen", &listen]);
        assert_eq!(addr, self.addr);
        self.child = Some(child);
    }

    pub fn kill9(&mut self) {
        let mut c = self.child.take().expect("running");
        c.kill().unwrap();
        c.wait().unwrap();
    }

    /// SIGTERM and wait.
    pub fn stop(&mut self) {
        let mut c = self.child.take().expect("running");
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(c.id() as i32, SIGTERM) };
        c.wait().unwrap();
    }

    pub fn report(&self) -> String {
        outpost_ok(self.data(), &["central", "report"])
    }
}

impl Drop for Centre {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A transport declaration (OLA) with one cargo block.
pub fn ola() -> String {
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

/// OLA + OLC for Alice; returns the OLT number.
pub async fn registered_transport(c: &mut Client) -> String {
    let r = send(c, request("OLA", &ALICE, &ola())).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    let olt = r.number();
    let r = send(c, request("OLC", &ALICE, &format!("{olt}\r\n"))).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    olt
}

/// Asks ROT for each output code in `outputs` (as `d`'s terminal received
/// them, all about `number`) and checks that the last output of each code
/// comes back exactly as it was.
pub async fn re_output_each(
    c: &mut Client,
    d: &Declarant,
    number: &str,
    outputs: &[(String, String)],
) {
    let mut codes: Vec<&str> = outputs.iter().map(|(code, _)| code.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    for code in codes {
        let rot = format!("{}\r\n{number}\r\n", &code[..6]);
        let r = send(c, request("ROT", d, &rot)).await;
        assert_eq!(r.codes(), ["00000-0000-0000"], "ROT {code}");
        let last = outputs.iter().rev().find(|(c, _)| c == code).unwrap();
        assert_eq!(
            retrieve_all(c, d).await,
            std::slice::from_ref(last),
            "ROT {code}"
        );
    }
}

/// An IDA of 50 goods lines by `d` as part `bno` of `dno` of a divided
/// declaration whose first part is `fic` (`F` for the first itself).
pub fn divided_ida(d: &Declarant, fic: &str, bno: &str, dno: &str) -> Vec<u8> {
    let mut f = Fields::parse(&tables::IDA, &ida_body(d, 50, "84713020"), None)
        .unwrap()
        .unwrap();
    f.set("FIC", fic);
    f.set("BNO", bno);
    f.set("DNO", dno);
    request("IDA", d, &f.render())
}

/// A temporary import (G12) of ALICE with two lines: 100 PCE laptops and 3 SET instruments.
pub fn temporary_import() -> String {
    let mut f = Fields::parse(&tables::IDA, &ida_body(&ALICE, 2, "84713020"), None)
        .unwrap()
        .unwrap();
    f.set("ICB", "G12");
    f.set("RED", "31122099");
    f.set_rep("CMD", 2, "90158000");
    f.set_rep("QN1", 2, "3");
    f.set_rep("QT1", 2, "SET");
    f.render()
}

/// Alice's temporary import, lodged and registered; its number.
pub async fn registered_temporary_import(c: &mut outpost::client::Client) -> String {
    let r = send(c, request("IDA", &ALICE, &temporary_import())).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    let tdn = r.number();
    let r = send(c, request("IDC", &ALICE, &format!("{tdn}\r\n"))).await;
    assert_eq!(r.codes(), ["00000-0000-0000"]);
    tdn
}

/// A G21 re-export drawing `qty` of each (original line, HS, unit).
pub fn re_export(tdn: &str, lines: &[(&str, &str, &str, &str)]) -> String {
    let mut f = Fields::parse(&tables::EDA, &eda_body(&ALICE, 1, "G21"), None)
        .unwrap()
        .unwrap();
    f.set("TDN", tdn);
    for (i, (tdl, hs, qty, unit)) in lines.iter().enumerate() {
        let r = i as u16 + 1;
        f.set_rep("TDL", r, tdl);
        f.set_rep("CMD", r, hs);
        f.set_rep("CMN", r, "Thiết bị tạm nhập tái xuất");
        f.set_rep("QN1", r, qty);
        f.set_rep("QT1", r, unit);
    }
    f.render()
}
