//! The multipart/signed splitter and the CMS signature check behind it.
//! Input: the Content-Type value, a newline, then the body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use outpost::smime;

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let Ok(content_type) = std::str::from_utf8(&data[..split]) else {
        return;
    };
    let body = data.get(split + 1..).unwrap_or_default();
    if let Ok(parts) = smime::split_signed(content_type, body) {
        let _ = smime::verify(&parts);
    }
});
