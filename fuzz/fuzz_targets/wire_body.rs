//! The positional body codec, against the layouts declarants send most.
//! The first byte picks the layout; the rest is the body. A body that
//! passes the checks renders back to one that parses to the same fields.
#![no_main]

use libfuzzer_sys::fuzz_target;
use outpost::wire::{job_layout, Fields, JobCodes};

const JOBS: [&str; 8] = ["IDA", "IDC", "EDA", "IID", "IDA01", "OLA", "ITI", "ROT"];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(body) = std::str::from_utf8(rest) else {
        return;
    };
    let job = JOBS[pick as usize % JOBS.len()];
    let layout = job_layout(job).expect("built-in layout");
    if let Ok(Ok(f)) = Fields::parse(layout, body, JobCodes::get(job)) {
        let again = Fields::parse(layout, &f.render(), JobCodes::get(job))
            .expect("a rendered body fits its layout")
            .expect("a rendered body passes the checks it passed");
        assert_eq!(again, f);
    }
});
