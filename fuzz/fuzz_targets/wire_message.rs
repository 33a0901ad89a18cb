//! The VNACCS framing: header, length field, back-to-back messages.
//! Whatever arrives, parsing answers with a message or an error, and a
//! parsed message renders to bytes that parse back to the same message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use outpost::wire::{Header, Message};

fuzz_target!(|data: &[u8]| {
    let _ = Header::parse(data);
    if let Ok(m) = Message::parse(data) {
        // Rendering fills in the length field (0 or padded on input), so
        // compare one rendering with the next.
        let bytes = m.render();
        let again = Message::parse(&bytes).expect("a rendered message parses");
        assert_eq!(again.body, m.body);
        assert_eq!(again.job_code(), m.job_code());
        assert_eq!(again.render(), bytes);
    }
    if let Ok(all) = Message::parse_many(data) {
        for m in all {
            let _ = m.job_code();
        }
    }
});
