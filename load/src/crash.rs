//! The crash loop: load, SIGKILL at a random moment, `outpost verify` on
//! the store as the crash left it, restart, and check that every
//! acknowledged declaration and output is there and unchanged and that no
//! number was issued twice.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use outpost::wire::{tables, Message};

use crate::drive::{self, Load};
use crate::ledger::{Acked, Ledger};
use crate::stats::Tally;
use crate::target::Target;
use crate::traffic::{expected_reference, read_output};
use crate::Local;

#[derive(Args)]
pub struct Crash {
    #[command(flatten)]
    local: Local,
    #[arg(long, default_value_t = 50)]
    rounds: usize,
    #[arg(long, default_value_t = 16)]
    terminals: usize,
    /// Earliest kill, milliseconds after the round's load starts.
    #[arg(long, default_value_t = 200)]
    min_ms: u64,
    /// Latest kill, milliseconds after the round's load starts.
    #[arg(long, default_value_t = 2500)]
    max_ms: u64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// Items of the reference information that the appliance decides itself:
/// the channel and the registration date and time.
const DECIDED: [&str; 3] = ["A07", "A10", "AD1"];

/// Compares an IID answer with what was acknowledged; the problem, if any.
fn check_reference(number: &str, acked: &Acked, reply: &Message) -> Option<String> {
    let (first, data) = reply.body.split_once("\r\n").unwrap_or((&reply.body, ""));
    if !first.starts_with("00000-0000-0000") {
        return Some(format!("{number} lost: IID answered {first}"));
    }
    let got = read_output(&tables::VAD0AP, data);
    let mut want = expected_reference(&acked.sent, number);
    for id in DECIDED {
        want.set(id, got.get(id));
    }
    if got != want {
        return Some(format!(
            "{number} changed: IID answers other data than was declared"
        ));
    }
    if acked.registered && got.get("A07").is_empty() {
        return Some(format!(
            "{number}: IDC was acknowledged but it is not registered"
        ));
    }
    None
}

/// Asks IID for every acknowledged declaration, each terminal on its own
/// connection, then drains every terminal's outputs into the ledger.
/// Returns how many declarations were checked.
pub async fn check(target: &Target, ledger: &Arc<Ledger>, within: Duration) -> usize {
    let mut by_terminal: BTreeMap<String, Vec<(String, Acked)>> = BTreeMap::new();
    let decls = ledger.declarations();
    let checked = decls.len();
    for (n, a) in decls {
        by_terminal
            .entry(a.terminal.clone())
            .or_default()
            .push((n, a));
    }
    let tasks: Vec<_> = target
        .terminals
        .iter()
        .map(|t| {
            let (mut c, t, ledger) = (target.client(true), t.clone(), ledger.clone());
            let mine = by_terminal.remove(&t.id).unwrap_or_default();
            tokio::spawn(async move {
                let mut seq = 0u64;
                for (n, acked) in mine {
                    seq += 1;
                    let reply = match tokio::time::timeout(within, c.post(t.iid(seq, &n))).await {
                        Ok(r) => r.map_err(|e| e.to_string()),
                        Err(_) => Err(format!("no answer within {} s", within.as_secs())),
                    };
                    let reply = reply.and_then(|raw| {
                        Message::parse_many(&raw)
                            .ok()
                            .and_then(|m| m.into_iter().next())
                            .ok_or_else(|| "unreadable reply".to_string())
                    });
                    let problem = match reply {
                        Ok(m) => check_reference(&n, &acked, &m),
                        Err(e) => Some(format!("IID for {n} failed: {e}")),
                    };
                    if let Some(p) = problem {
                        ledger.problem(p);
                    }
                }
                let mut next = || {
                    seq += 1;
                    seq
                };
                if !drive::retrieve(
                    &mut c,
                    &t,
                    &mut next,
                    within,
                    &mut Tally::default(),
                    Some(&ledger),
                )
                .await
                {
                    ledger.problem(format!("terminal {}: retrieval did not end cleanly", t.id));
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("check task");
    }
    checked
}

impl Crash {
    pub fn run(&self, rt: &tokio::runtime::Runtime) -> Result<(), String> {
        if self.min_ms > self.max_ms {
            return Err("--min-ms must not exceed --max-ms".into());
        }
        let mut target = self.local.target(self.terminals, None)?;
        let ledger = Arc::new(Ledger::default());
        let mut rng = fastrand::Rng::with_seed(self.seed);
        let started = Instant::now();
        println!(
            "outpost-load crash: {} rounds, {} terminals, SIGKILL {}–{} ms into each round's load",
            self.rounds, self.terminals, self.min_ms, self.max_ms
        );
        let mut rounds_run = 0;
        for round in 1..=self.rounds {
            let keep_alive = round % 2 == 1;
            let kill_after = Duration::from_millis(rng.u64(self.min_ms..=self.max_ms));
            let before = ledger.counts().0;
            let load = Load {
                terminals: self.terminals,
                keep_alive,
                secs: None,
                declarations: None,
                seed: self.seed.wrapping_add(round as u64),
                answer_within: drive::ANSWER_WITHIN,
            };
            let pid = target
                .server
                .as_ref()
                .and_then(|s| s.pid())
                .expect("started") as i32;
            let stop = Arc::new(AtomicBool::new(false));
            let (_, (_, tally)) = rt.block_on(async {
                let killer = async {
                    tokio::time::sleep(kill_after).await;
                    // SAFETY: kill(2) on our own child, not yet reaped.
                    unsafe { libc::kill(pid, libc::SIGKILL) };
                    stop.store(true, Ordering::Relaxed);
                };
                tokio::join!(
                    killer,
                    drive::run(&target, &load, stop.clone(), Some(ledger.clone()))
                )
            });
            let server = target.server.as_mut().expect("local");
            server.kill9();
            // The store exactly as the crash left it, before a restart touches it.
            let verified = match server.outpost(&["verify"]) {
                Ok(_) => "verify ok",
                Err(e) => {
                    ledger.problem(format!("round {round}: {e}"));
                    "VERIFY FAILED"
                }
            };
            let ready = target.restart().map_err(|e| e.to_string())?;
            let checked = rt.block_on(check(&target, &ledger, drive::ANSWER_WITHIN));
            for m in ledger.missing_outputs() {
                ledger.problem(format!("round {round}: {m} never delivered"));
            }
            let (total, registered, outputs, unacked) = ledger.counts();
            let problems = ledger.problems().len();
            rounds_run = round;
            println!(
                "round {round:>3}: {}, killed at {:>4} ms after {:>4} acknowledged IDAs; {verified}; \
                 ready in {:>4} ms; checked {checked} declarations ({registered} registered) and {outputs} outputs \
                 ({unacked} about numbers never acknowledged); problems so far: {problems}",
                if keep_alive { "keep-alive" } else { "close     " },
                kill_after.as_millis(),
                total - before,
                ready.as_millis(),
            );
            if tally.answered_count() == 0 {
                ledger.problem(format!(
                    "round {round}: no request was answered before the kill"
                ));
            }
        }
        let (total, registered, outputs, _) = ledger.counts();
        println!(
            "\n{rounds_run} rounds in {:.0} s: {total} declarations acknowledged ({registered} registered), \
             {outputs} outputs delivered",
            started.elapsed().as_secs_f64(),
        );
        ledger.verdict()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::traffic::Terminal;
    use outpost::wire::{Fields, Header};

    const N: &str = "190170000010";

    fn acked(registered: bool) -> Acked {
        let mut i = 0;
        let sent = Terminal::numbered(1)
            .ida(1, 3, &mut |n| {
                i += 5;
                i % n
            })
            .1;
        Acked {
            terminal: "L00001".into(),
            sent,
            registered,
        }
    }

    fn reply(first: &str, data: &Fields) -> Message {
        Message::new(Header::default(), format!("{first}\r\n{}", data.render()))
    }

    #[test]
    fn the_inquiry_must_answer_with_what_was_declared() {
        let a = acked(true);
        let mut data = expected_reference(&a.sent, N);
        data.set("A07", "1");
        data.set("A10", "15012026");
        assert_eq!(
            check_reference(N, &a, &reply("00000-0000-0000", &data)),
            None
        );

        let mut changed = data.clone();
        changed.set_rep("B07", 2, "something else");
        changed.set("A20", "CÔNG TY KHÁC");
        let p = check_reference(N, &a, &reply("00000-0000-0000", &changed)).unwrap();
        assert!(p.contains("changed"), "{p}");

        let mut unregistered = data.clone();
        unregistered.set("A07", "");
        let p = check_reference(N, &a, &reply("00000-0000-0000", &unregistered)).unwrap();
        assert!(p.contains("not registered"), "{p}");
        assert_eq!(
            check_reference(N, &acked(false), &reply("00000-0000-0000", &unregistered)),
            None
        );

        let p = check_reference(
            N,
            &a,
            &reply("S0003-ICN -0000", &Fields::new(&tables::VAD0AP)),
        );
        assert!(p.unwrap().contains("lost"));
    }
}
