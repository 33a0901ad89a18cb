//! The sync bundle reader (`sync::bundle::verify`), an officer's file from
//! another site. Any file: an answer, never a panic. A signed bundle of the
//! input's events with one byte flipped anywhere must be refused.
#![no_main]

use libfuzzer_sys::fuzz_target;
use outpost::sync::bundle::{verify, Writer};
use ring::signature::{Ed25519KeyPair, KeyPair};

fuzz_target!(|data: &[u8]| {
    let key = Ed25519KeyPair::from_seed_unchecked(&[7; 32]).expect("a fixed seed");
    let public = key.public_key().as_ref().to_vec();
    let _ = verify(data, |_| Some(public.clone()));

    let Some((&[at_hi, at_lo, flip], events)) = data.split_first_chunk::<3>() else {
        return;
    };
    let mut w = Writer::new(Vec::new()).expect("writing to memory");
    for (i, e) in events.split(|&b| b == 0xFF).enumerate() {
        w.push(i as u64 + 1, e).expect("writing to memory");
    }
    let (_, mut file) = w.finish(17, "fuzz", 0, &key).expect("writing to memory");
    let _ = verify(&file, |_| Some(public.clone()));
    if flip != 0 {
        let at = usize::from(u16::from_be_bytes([at_hi, at_lo])) % file.len();
        file[at] ^= flip;
        assert!(
            verify(&file, |_| Some(public.clone())).is_err(),
            "a changed byte at {at} went unnoticed"
        );
    }
});
