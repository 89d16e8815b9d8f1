//! Syslog over TCP (RFC 6587): octet counting (`LEN SP MSG`, rsyslog's and syslog-ng's
//! `octet-counted`) or non-transparent framing (one message per line, the default of both),
//! told apart per frame by its first byte. Framing is apart from the message (`syslog.rs`):
//! a frame that is too long is skipped and the stream goes on.

use crate::syslog::Reject;

/// The longest frame taken (a longer one is skipped, counted `too_long`).
pub const MAX_FRAME: usize = 1 << 20;

/// Cuts a TCP byte stream into frames.
#[derive(Default)]
pub struct Framer {
    buf: Vec<u8>,
    /// Bytes still to drop of an octet-counted frame that was too long.
    skip: usize,
    /// Dropping a line-framed frame that was too long, up to its newline.
    discarding: bool,
}

/// One step of the framer.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    Message(Vec<u8>),
    /// A frame that cannot be read; the stream goes on after it.
    Bad(Reject),
}

impl Framer {
    pub fn push(&mut self, data: &[u8]) {
        let mut data = data;
        if self.skip > 0 {
            let n = self.skip.min(data.len());
            self.skip -= n;
            data = &data[n..];
        }
        self.buf.extend_from_slice(data);
    }

    /// The next complete frame, if the buffer holds one. At the end of the stream (`eof`), a
    /// last line without its newline is a frame too.
    pub fn next(&mut self, eof: bool) -> Option<Frame> {
        if self.skip > 0 {
            let n = self.skip.min(self.buf.len());
            self.buf.drain(..n);
            self.skip -= n;
            if self.skip > 0 {
                return None;
            }
        }
        if self.discarding {
            match memchr::memchr(b'\n', &self.buf) {
                Some(i) => {
                    self.buf.drain(..=i);
                    self.discarding = false;
                }
                None => {
                    self.buf.clear();
                    return None;
                }
            }
        }
        // Blank lines between frames are nothing.
        let lead = self
            .buf
            .iter()
            .take_while(|b| matches!(b, b'\n' | b'\r' | b'\0'))
            .count();
        self.buf.drain(..lead);
        let first = *self.buf.first()?;
        if first.is_ascii_digit() {
            let Some(sp) = self.buf.iter().position(|&b| !b.is_ascii_digit()) else {
                if self.buf.len() > 10 {
                    self.buf.clear();
                    return Some(Frame::Bad(Reject::BadFrame));
                }
                return None;
            };
            if self.buf[sp] != b' ' || sp > 10 {
                // Digits not followed by a space: not octet counting; drop the line.
                self.discarding = true;
                return Some(Frame::Bad(Reject::BadFrame));
            }
            let len: usize = std::str::from_utf8(&self.buf[..sp])
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(usize::MAX);
            if len > MAX_FRAME {
                let have = self.buf.len() - sp - 1;
                self.skip = len.saturating_sub(have);
                self.buf.drain(..(sp + 1 + len.min(have)));
                return Some(Frame::Bad(Reject::TooLong));
            }
            if self.buf.len() < sp + 1 + len {
                return None;
            }
            let frame = self.buf[sp + 1..sp + 1 + len].to_vec();
            self.buf.drain(..sp + 1 + len);
            return Some(Frame::Message(frame));
        }
        match memchr::memchr(b'\n', &self.buf) {
            Some(i) if i > MAX_FRAME => {
                self.buf.drain(..=i);
                Some(Frame::Bad(Reject::TooLong))
            }
            Some(i) => {
                let frame = self.buf[..i].to_vec();
                self.buf.drain(..=i);
                Some(Frame::Message(frame))
            }
            None if self.buf.len() > MAX_FRAME => {
                self.buf.clear();
                self.discarding = true;
                Some(Frame::Bad(Reject::TooLong))
            }
            None if eof => Some(Frame::Message(std::mem::take(&mut self.buf))),
            None => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(chunks: &[&[u8]]) -> Vec<Frame> {
        let mut f = Framer::default();
        let mut out = Vec::new();
        for c in chunks {
            f.push(c);
            while let Some(x) = f.next(false) {
                out.push(x);
            }
        }
        while let Some(x) = f.next(true) {
            out.push(x);
        }
        out
    }

    fn msg(s: &str) -> Frame {
        Frame::Message(s.as_bytes().to_vec())
    }

    #[test]
    fn line_framing_across_reads() {
        assert_eq!(
            frames(&[b"<13>a b", b"c\n<13>d\n\n<13>e"]),
            vec![msg("<13>a bc"), msg("<13>d"), msg("<13>e")]
        );
    }

    #[test]
    fn octet_counting_keeps_newlines_inside() {
        assert_eq!(
            frames(&[b"9 <13>a\nb c", b"7 <13>def"]),
            vec![msg("<13>a\nb c"), msg("<13>def")]
        );
    }

    #[test]
    fn a_frame_too_long_is_skipped_and_the_stream_goes_on() {
        let big = format!("{} <13>", MAX_FRAME + 5);
        let mut stream = big.into_bytes();
        stream.extend(std::iter::repeat_n(b'x', MAX_FRAME + 1));
        let out = frames(&[&stream[..1000], &stream[1000..], b"5 <13>z"]);
        assert_eq!(out, vec![Frame::Bad(Reject::TooLong), msg("<13>z")]);
        let mut line = vec![b'<'; MAX_FRAME + 10];
        line.push(b'\n');
        let out = frames(&[&line[..10], &line[10..], b"<13>ok\n"]);
        assert_eq!(out, vec![Frame::Bad(Reject::TooLong), msg("<13>ok")]);
    }

    #[test]
    fn digits_without_a_space_are_a_bad_frame() {
        assert_eq!(
            frames(&[b"123abc\n<13>ok\n"]),
            vec![Frame::Bad(Reject::BadFrame), msg("<13>ok")]
        );
    }
}
