//! `outpost-load`: load, crash and fault runs against the Outpost appliance,
//! over the VNACCS wire and TLS like declarant software. See BENCHMARKS.md
//! for what each mode measures and the figures it gave.

mod crash;
mod drive;
mod faults;
mod floor;
mod ledger;
mod scale;
mod stats;
mod target;
mod traffic;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand, ValueEnum};

use drive::Load;
use target::{Server, Target};
use traffic::Terminal;

#[derive(Parser)]
#[command(
    name = "outpost-load",
    about = "Load, crash and fault runs against the Outpost appliance"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

/// An appliance this program starts from the `outpost` binary.
#[derive(Args, Clone)]
pub struct Local {
    /// The `outpost` binary to start (default: the one next to this program).
    #[arg(long)]
    bin: Option<PathBuf>,
    /// Data directory to start it on; kept afterwards (default: a temp dir).
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

/// The appliance to load: one this program starts, or one already running.
#[derive(Args, Clone)]
struct Appliance {
    #[command(flatten)]
    local: Local,
    /// Load an appliance that is already running, e.g. https://127.0.0.1:8443/
    #[arg(long, requires_all = ["cert", "users"])]
    url: Option<String>,
    /// Its certificate (PEM), with --url.
    #[arg(long)]
    cert: Option<PathBuf>,
    /// A terminal provisioned on it, CODE:PASSWORD:TERMINAL:KEY:TAXCODE; repeat.
    #[arg(long = "user", value_parser = parse_terminal)]
    users: Vec<Terminal>,
    /// Its process id, to report its memory, with --url.
    #[arg(long)]
    pid: Option<u32>,
}

fn parse_terminal(s: &str) -> Result<Terminal, String> {
    Terminal::parse(s).ok_or_else(|| {
        "expected CODE:PASSWORD:TERMINAL:KEY:TAXCODE (8-character code, 6-character terminal)"
            .to_string()
    })
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Connection {
    KeepAlive,
    Close,
    Both,
}

#[derive(Subcommand)]
enum Cmd {
    /// N terminals looping IDA → IDC → #REP1/?A2 for a while; then the
    /// network floor (GET /healthz) and the storage floor (sled) to compare.
    Run {
        #[command(flatten)]
        appliance: Appliance,
        #[arg(long, default_value_t = 16)]
        terminals: usize,
        /// Seconds per connection mode.
        #[arg(long, default_value_t = 20.0)]
        secs: f64,
        #[arg(long, value_enum, default_value_t = Connection::Both)]
        connection: Connection,
        /// Seconds for each floor measurement.
        #[arg(long, default_value_t = 10.0)]
        floor_secs: f64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Intake rate, restart time, memory and disk per declaration as the
    /// store grows through the given sizes.
    Scale(scale::Scale),
    /// Kill the appliance with SIGKILL at random moments under load, restart
    /// it, and check that everything acknowledged is there and unchanged.
    Crash(crash::Crash),
    /// Slow clients: handshakes, headers and bodies that trickle in.
    Slowloris(faults::Slowloris),
    /// Bodies far over the size limit, many at once.
    Oversized(faults::Oversized),
    /// Thousands of connections opened at once.
    Flood(faults::Flood),
    /// Load on a nearly full filesystem; then free the space again.
    DiskFull(faults::DiskFull),
}

impl Local {
    fn bin(&self) -> PathBuf {
        self.bin.clone().unwrap_or_else(|| {
            std::env::current_exe()
                .map(|p| p.with_file_name("outpost"))
                .unwrap_or_else(|_| "outpost".into())
        })
    }

    /// Provisions the data directory (see `Server::provision`); not started.
    pub fn server(&self, terminals: usize, config: Option<&str>) -> Result<Server, String> {
        Server::provision(&self.bin(), self.data_dir.clone(), terminals, config)
            .map_err(|e| e.to_string())
    }

    /// Provisions and starts an appliance.
    pub fn target(&self, terminals: usize, config: Option<&str>) -> Result<Target, String> {
        let mut s = self.server(terminals, config)?;
        s.start().map_err(|e| e.to_string())?;
        Ok(Target::local(s, terminals))
    }
}

impl Appliance {
    /// Provisions and starts an appliance, or points at the running one.
    fn target(&self, terminals: usize) -> Result<Target, String> {
        match &self.url {
            Some(url) => {
                let cert = self.cert.clone().expect("clap requires --cert");
                Target::remote(url, cert, self.users.clone(), self.pid).map_err(|e| e.to_string())
            }
            None => self.local.target(terminals, None),
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// The mean goods lines and message size the generator produces.
fn message_mix(seed: u64) -> (f64, f64) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let t = Terminal::numbered(0);
    let (mut lines, mut bytes) = (0usize, 0usize);
    const N: usize = 1000;
    for i in 0..N {
        let roll = rng.usize(0..100);
        let l = traffic::goods_lines(roll, &mut |n| rng.usize(0..n));
        lines += l as usize;
        bytes += t.ida(i as u64, l, &mut |n| rng.usize(0..n)).0.len();
    }
    (lines as f64 / N as f64, bytes as f64 / N as f64)
}

fn run(
    appliance: &Appliance,
    terminals: usize,
    secs: f64,
    connection: Connection,
    floor_secs: f64,
    seed: u64,
) -> Result<(), String> {
    let target = appliance.target(terminals)?;
    let terminals = terminals.min(target.terminals.len());
    let rt = runtime();
    let (lines, bytes) = message_mix(seed);
    println!(
        "outpost-load run: {terminals} terminals, IDA → IDC → #REP1/?A2, {lines:.1} goods lines \
         and {:.1} KB per IDA on average, {} cores",
        bytes / 1000.0,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let modes: &[bool] = match connection {
        Connection::KeepAlive => &[true],
        Connection::Close => &[false],
        Connection::Both => &[true, false],
    };
    let mut rates = Vec::new();
    for &keep_alive in modes {
        let name = if keep_alive {
            "keep-alive"
        } else {
            "Connection: close"
        };
        let load = Load {
            terminals,
            keep_alive,
            secs: Some(secs),
            declarations: None,
            seed,
            answer_within: drive::ANSWER_WITHIN,
        };
        let (took, tally) = rt.block_on(drive::run(
            &target,
            &load,
            Arc::new(AtomicBool::new(false)),
            None,
        ));
        let took = took.as_secs_f64();
        let (decl_rate, req_rate) = (
            tally.cycles as f64 / took,
            tally.answered_count() as f64 / took,
        );
        println!("\n== {name}: {took:.1} s ==");
        println!(
            "  declarations through IDA → IDC → retrieval: {} ({decl_rate:.1}/s); requests answered: {} ({req_rate:.1}/s); errors: {}",
            tally.cycles,
            tally.answered_count(),
            tally.errors()
        );
        print!("{}", tally.report());
        if let Some(rss) = target.rss() {
            println!("  server memory after the run: {rss}");
        }
        let (htook, h) = rt.block_on(drive::healthz(&target, &load, floor_secs));
        let hrate = h.answered_count() as f64 / htook.as_secs_f64();
        let hs = h.summaries().into_iter().next().map(|(_, s)| s);
        println!(
            "  network floor, GET /healthz from {terminals} clients ({name}): {hrate:.0} requests/s (p50 {:.2} ms, p99 {:.2} ms); \
             appliance requests at {:.1}% of it",
            hs.as_ref().map_or(0.0, |s| s.p50),
            hs.as_ref().map_or(0.0, |s| s.p99),
            100.0 * req_rate / hrate.max(f64::MIN_POSITIVE)
        );
        rates.push((name, decl_rate));
    }
    let dir = match &target.server {
        Some(s) => s.dir.with_extension("floor"),
        None => std::env::temp_dir().join(format!("outpost-load-floor-{}", std::process::id())),
    };
    let floor = floor::storage(&dir, terminals, floor_secs, seed);
    let _ = std::fs::remove_dir_all(&dir);
    let floor = floor?;
    println!(
        "\n== storage floor: {terminals} writers, same bodies straight into sled, group flush + fsync ==\n  \
         {:.1} declarations/s (2 durable writes each; {:.1} writes per flush, mean flush {:.2} ms)",
        floor.rate, floor.writes_per_flush, floor.mean_flush_ms
    );
    for (name, rate) in rates {
        println!(
            "  {name}: appliance at {:.1}% of the storage floor",
            100.0 * rate / floor.rate.max(f64::MIN_POSITIVE)
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    let fd_limit = target::raise_fd_limit();
    let cli = Cli::parse();
    let result = match cli.command {
        Cmd::Run {
            appliance,
            terminals,
            secs,
            connection,
            floor_secs,
            seed,
        } => run(&appliance, terminals, secs, connection, floor_secs, seed),
        Cmd::Scale(s) => s.run(&runtime()),
        Cmd::Crash(c) => c.run(&runtime()),
        Cmd::Slowloris(f) => f.run(&runtime()),
        Cmd::Oversized(f) => f.run(&runtime()),
        Cmd::Flood(f) => f.run(&runtime(), fd_limit),
        Cmd::DiskFull(f) => f.run(&runtime()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("outpost-load: {e}");
            ExitCode::FAILURE
        }
    }
}
