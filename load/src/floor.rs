//! The storage floor: the same records written straight into sled, made
//! durable with the appliance's own group commit, with no TLS, HTTP,
//! parsing, checks or transactions. No appliance can take declarations
//! faster than this on the same disk.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use outpost::store::Store;

use crate::traffic::{goods_lines, Terminal};

pub struct Floor {
    /// Declaration cycles per second.
    pub rate: f64,
    pub writes_per_flush: f64,
    pub mean_flush_ms: f64,
}

/// `writers` threads for `secs`. Each cycle does what a declaration costs
/// the store at the least: the IDA (declaration + registered copy, durable),
/// the IDC (declaration again + notice, durable) and the two
/// acknowledgements (removals, not waited on). Bodies come from the same
/// generator as the load, with the same seed.
pub fn storage(dir: &Path, writers: usize, secs: f64, seed: u64) -> Result<Floor, String> {
    let store = Arc::new(Store::open(dir, 64 << 20).map_err(|e| e.to_string())?);
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let handles: Vec<_> = (0..writers)
        .map(|w| {
            let (store, stop) = (store.clone(), stop.clone());
            std::thread::spawn(move || -> Result<u64, String> {
                let err = |e: &dyn std::fmt::Display| e.to_string();
                let decls = store.db().open_tree("floor").map_err(|e| err(&e))?;
                let outs = store.db().open_tree("floor_out").map_err(|e| err(&e))?;
                let t = Terminal::numbered(w);
                let mut rng = fastrand::Rng::with_seed(seed ^ w as u64);
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let roll = rng.usize(0..100);
                    let lines = goods_lines(roll, &mut |k| rng.usize(0..k));
                    let (msg, _) = t.ida(n, lines, &mut |k| rng.usize(0..k));
                    let key = ((w as u64) << 40 | n).to_be_bytes();
                    let (copy, notice) = ([&key[..], b"c"].concat(), [&key[..], b"n"].concat());
                    decls.insert(key, msg.as_slice()).map_err(|e| err(&e))?;
                    outs.insert(&copy, msg.as_slice()).map_err(|e| err(&e))?;
                    store.durable().map_err(|e| err(&e))?;
                    decls.insert(key, msg.as_slice()).map_err(|e| err(&e))?;
                    outs.insert(&notice, msg.as_slice()).map_err(|e| err(&e))?;
                    store.durable().map_err(|e| err(&e))?;
                    outs.remove(&copy).map_err(|e| err(&e))?;
                    outs.remove(&notice).map_err(|e| err(&e))?;
                    n += 1;
                }
                Ok(n)
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs_f64(secs));
    stop.store(true, Ordering::Relaxed);
    let mut total = 0;
    for h in handles {
        total += h
            .join()
            .map_err(|_| "a floor writer panicked".to_string())??;
    }
    let took = started.elapsed().as_secs_f64();
    let st = store.commit_stats();
    Ok(Floor {
        rate: total as f64 / took,
        writes_per_flush: st.writes as f64 / st.flushes.max(1) as f64,
        mean_flush_ms: st.flush_time.as_secs_f64() * 1000.0 / st.flushes.max(1) as f64,
    })
}
