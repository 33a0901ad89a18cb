//! Growth: fill the store through the given sizes and, at each, measure
//! the intake rate, the restart time, memory and disk per declaration.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use clap::Args;

use crate::drive::{self, Load};
use crate::target::{Rss, Target};
use crate::Local;

#[derive(Args)]
pub struct Scale {
    #[command(flatten)]
    local: Local,
    /// Store sizes to measure at, in declarations, ascending.
    #[arg(long, value_delimiter = ',', default_values_t = [10_000u64, 100_000])]
    sizes: Vec<u64>,
    /// Terminals filling the store (keep-alive, full IDA → IDC → retrieval).
    #[arg(long, default_value_t = 32)]
    terminals: usize,
    /// Seconds of the intake measurement at each size.
    #[arg(long, default_value_t = 20.0)]
    probe_secs: f64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// Declarations in the store, from `GET /api/status`.
async fn stored(target: &Target) -> Result<u64, String> {
    let (_, body) = target
        .client(false)
        .request("GET", "/api/status", "text/plain", Vec::new())
        .await
        .map_err(|e| format!("/api/status: {e}"))?;
    let v: serde_json::Value =
        serde_json::from_slice(&body).map_err(|e| format!("/api/status: {e}"))?;
    v["declarations"]
        .as_u64()
        .ok_or_else(|| "/api/status has no declaration count".to_string())
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

impl Scale {
    pub fn run(&self, rt: &tokio::runtime::Runtime) -> Result<(), String> {
        if self.sizes.windows(2).any(|w| w[0] >= w[1]) {
            return Err("--sizes must be ascending".into());
        }
        let mut target = self.local.target(self.terminals, None)?;
        println!(
            "outpost-load scale: {} terminals with keep-alive fill the store (IDA → IDC → retrieval); \
             at each size, {} s of the same load measure the intake rate",
            self.terminals, self.probe_secs
        );
        println!(
            "{:>10} {:>11} {:>12} {:>12} {:>9} {:>12} {:>10} {:>12} {:>10} {:>10}",
            "size",
            "fill s",
            "fill decl/s",
            "probe decl/s",
            "IDA p99",
            "RSS peak",
            "restart",
            "RSS idle",
            "disk MiB",
            "bytes/decl"
        );
        let mut have = rt.block_on(stored(&target))?;
        for (i, &size) in self.sizes.iter().enumerate() {
            let load = |declarations, secs| Load {
                terminals: self.terminals,
                keep_alive: true,
                secs,
                declarations,
                seed: self.seed.wrapping_add(i as u64),
                answer_within: drive::ANSWER_WITHIN,
            };
            let stop = || Arc::new(AtomicBool::new(false));
            let (fill_took, fill) = rt.block_on(drive::run(
                &target,
                &load(Some(size.saturating_sub(have)), None),
                stop(),
                None,
            ));
            let (probe_took, probe) = rt.block_on(drive::run(
                &target,
                &load(None, Some(self.probe_secs)),
                stop(),
                None,
            ));
            have = rt.block_on(stored(&target))?;
            let peak = target.rss().unwrap_or_default();
            let server = target.server.as_mut().expect("local");
            server.stop();
            let disk = server.disk_bytes();
            // What the bytes are, and that the grown store still checks out.
            let space = server
                .outpost(&["verify"])
                .map_err(|e| format!("outpost verify at {have}: {e}"))?
                .lines()
                .find(|l| l.starts_with("space:"))
                .unwrap_or_default()
                .to_string();
            let ready = target.restart().map_err(|e| e.to_string())?;
            // Settled: the first request after the restart has been answered.
            rt.block_on(stored(&target))?;
            let idle = target.rss().unwrap_or_default();
            let ida_p99 = probe
                .summaries()
                .into_iter()
                .find(|(j, _)| j == "IDA")
                .map_or(0.0, |(_, s)| s.p99);
            let Rss { peak_kib, .. } = peak;
            println!(
                "{have:>10} {:>11.1} {:>12.1} {:>12.1} {:>6.1} ms {:>8.1} MiB {:>7} ms {:>8.1} MiB {:>10.1} {:>10.0}",
                fill_took.as_secs_f64(),
                fill.cycles as f64 / fill_took.as_secs_f64(),
                probe.cycles as f64 / probe_took.as_secs_f64(),
                ida_p99,
                mib(peak_kib),
                ready.as_millis(),
                mib(idle.now_kib),
                disk as f64 / (1 << 20) as f64,
                disk as f64 / have.max(1) as f64,
            );
            println!("{:>10} {space}", "");
            if fill.errors() + probe.errors() > 0 {
                print!("{}{}", fill.report(), probe.report());
            }
        }
        Ok(())
    }
}
