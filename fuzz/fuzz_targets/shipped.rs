//! What shippers send to `clickpath receive`: arbitrary bytes as a TCP stream cut at an
//! arbitrary place (framing), each frame as a syslog message, and the whole as an HTTP body
//! (text and JSON). Nothing may panic; every frame is a message or a counted rejection; the
//! framer never holds more than one frame's worth of bytes.
#![no_main]

use clickpath_receive::framing::{Frame, Framer, MAX_FRAME};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let cut = data.first().map_or(0, |&b| b as usize % (data.len().max(1)));
    let mut f = Framer::default();
    for part in [&data[..cut], &data[cut..]] {
        f.push(part);
        while let Some(frame) = f.next(false) {
            if let Frame::Message(m) = frame {
                assert!(m.len() <= MAX_FRAME);
                let _ = clickpath_receive::syslog::parse(&String::from_utf8_lossy(&m));
            }
        }
    }
    while f.next(true).is_some() {}
    let _ = clickpath_receive::syslog::parse(&String::from_utf8_lossy(data));
    for json in [false, true] {
        let d = clickpath_receive::http::decode(data, json);
        assert!(d.bad.len() <= d.bad_count.max(1));
    }
});
