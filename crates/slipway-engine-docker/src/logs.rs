//! Turns the engine's log frames into lines. A frame is whatever the engine
//! chose to send (one line on Podman, a 16 KiB piece of a long line on
//! Docker, a last line without newline), prefixed with its timestamp because
//! Slipway asks for `timestamps=1`. Lines are cut on `\n` per stream, and a
//! partial last line is emitted when the stream ends.

use bollard::container::LogOutput;
use futures::stream::{BoxStream, Stream, StreamExt};
use slipway_core::ports::engine::{EngineError, LogLine, LogSource};
use std::collections::VecDeque;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// A line longer than this is emitted in pieces: CloudWatch events are at
/// most 256 KiB, and a container printing without newlines must not grow
/// memory without bound.
const MAX_LINE: usize = 256 * 1024;

#[derive(Default)]
struct Pending {
    buf: Vec<u8>,
    /// Timestamp of the frame that began the pending line.
    ts_ms: i64,
}

/// Per-stream line assembly.
#[derive(Default)]
pub(crate) struct LineSplitter {
    stdout: Pending,
    stderr: Pending,
}

fn now_ms() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// Splits `<RFC3339 timestamp> <payload>`; frames without a parsable
/// timestamp keep all their bytes and get the receive time.
fn split_timestamp(frame: &[u8]) -> (i64, &[u8]) {
    if let Some(sp) = frame.iter().position(|b| *b == b' ') {
        if let Ok(ts) = std::str::from_utf8(&frame[..sp]) {
            if let Ok(t) = OffsetDateTime::parse(ts, &Rfc3339) {
                return (
                    (t.unix_timestamp_nanos() / 1_000_000) as i64,
                    &frame[sp + 1..],
                );
            }
        }
    }
    (now_ms(), frame)
}

fn line(stream: LogSource, bytes: &[u8], ts_ms: i64) -> LogLine {
    LogLine {
        stream,
        line: String::from_utf8_lossy(bytes).into_owned(),
        timestamp_ms: ts_ms,
    }
}

impl LineSplitter {
    /// Feeds one frame; returns the lines it completed.
    pub(crate) fn push(&mut self, stream: LogSource, frame: &[u8], out: &mut VecDeque<LogLine>) {
        let (ts, mut data) = split_timestamp(frame);
        let p = match stream {
            LogSource::Stdout => &mut self.stdout,
            LogSource::Stderr => &mut self.stderr,
        };
        while !data.is_empty() {
            if p.buf.is_empty() {
                p.ts_ms = ts;
            }
            let room = MAX_LINE - p.buf.len();
            let window = &data[..data.len().min(room)];
            match window.iter().position(|b| *b == b'\n') {
                Some(nl) => {
                    p.buf.extend_from_slice(&window[..nl]);
                    out.push_back(line(stream, &p.buf, p.ts_ms));
                    p.buf.clear();
                    data = &data[nl + 1..];
                }
                None => {
                    p.buf.extend_from_slice(window);
                    data = &data[window.len()..];
                    if p.buf.len() >= MAX_LINE {
                        out.push_back(line(stream, &p.buf, p.ts_ms));
                        p.buf.clear();
                    }
                }
            }
        }
    }

    /// Emits partial last lines (stdout first) at the end of the stream.
    pub(crate) fn finish(&mut self, out: &mut VecDeque<LogLine>) {
        for (stream, p) in [
            (LogSource::Stdout, &mut self.stdout),
            (LogSource::Stderr, &mut self.stderr),
        ] {
            if !p.buf.is_empty() {
                out.push_back(line(stream, &p.buf, p.ts_ms));
                p.buf.clear();
            }
        }
    }
}

struct State<S> {
    frames: S,
    splitter: LineSplitter,
    ready: VecDeque<LogLine>,
    /// Yielded after the lines completed before it.
    error: Option<EngineError>,
    done: bool,
}

/// Wraps a frame stream into a line stream. An error ends the stream after
/// the lines before it and the error itself.
pub(crate) fn lines<S, F>(frames: S, map_err: F) -> BoxStream<'static, Result<LogLine, EngineError>>
where
    S: Stream<Item = Result<LogOutput, bollard::errors::Error>> + Send + Unpin + 'static,
    F: Fn(bollard::errors::Error) -> EngineError + Send + Sync + 'static,
{
    let state = State {
        frames,
        splitter: LineSplitter::default(),
        ready: VecDeque::new(),
        error: None,
        done: false,
    };
    let map_err = std::sync::Arc::new(map_err);
    futures::stream::unfold(state, move |mut st| {
        let map_err = map_err.clone();
        async move {
            loop {
                if let Some(l) = st.ready.pop_front() {
                    return Some((Ok(l), st));
                }
                if let Some(e) = st.error.take() {
                    return Some((Err(e), st));
                }
                if st.done {
                    return None;
                }
                match st.frames.next().await {
                    Some(Ok(LogOutput::StdOut { message }))
                    | Some(Ok(LogOutput::Console { message })) => {
                        st.splitter.push(LogSource::Stdout, &message, &mut st.ready)
                    }
                    Some(Ok(LogOutput::StdErr { message })) => {
                        st.splitter.push(LogSource::Stderr, &message, &mut st.ready)
                    }
                    Some(Ok(LogOutput::StdIn { .. })) => {}
                    Some(Err(e)) => {
                        st.done = true;
                        st.splitter.finish(&mut st.ready);
                        st.error = Some(map_err(e));
                    }
                    None => {
                        st.done = true;
                        st.splitter.finish(&mut st.ready);
                    }
                }
            }
        }
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(frames: &[(LogSource, &str)]) -> Vec<(LogSource, String, i64)> {
        let mut s = LineSplitter::default();
        let mut out = VecDeque::new();
        for (src, f) in frames {
            s.push(*src, f.as_bytes(), &mut out);
        }
        s.finish(&mut out);
        out.into_iter()
            .map(|l| (l.stream, l.line, l.timestamp_ms))
            .collect()
    }

    #[test]
    fn splits_lines_keeps_partial_and_first_timestamp() {
        use LogSource::*;
        let got = feed(&[
            (Stdout, "2026-11-25T10:39:28Z a\nb\n"),
            (Stderr, "2026-11-25T10:39:29Z e"),
            (Stdout, "2026-11-25T10:39:30Z par"),
            (Stdout, "2026-11-25T10:39:31Z t\n"),
            (Stdout, "2026-11-25T10:39:32Z tail"),
        ]);
        let base = 1_795_603_168_000;
        assert_eq!(
            got,
            vec![
                (Stdout, "a".into(), base),
                (Stdout, "b".into(), base),
                (Stdout, "part".into(), base + 2000),
                (Stdout, "tail".into(), base + 4000),
                (Stderr, "e".into(), base + 1000),
            ]
        );
    }

    #[test]
    fn empty_lines_survive_and_untimestamped_frames_are_kept_whole() {
        let got = feed(&[(LogSource::Stdout, "no-timestamp here\n\n")]);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].1, "no-timestamp here");
        assert_eq!(got[1].1, "");
    }

    #[test]
    fn long_lines_are_cut() {
        let long = "x".repeat(MAX_LINE + 10);
        let got = feed(&[(LogSource::Stdout, &long)]);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].1.len(), MAX_LINE);
        assert_eq!(got[1].1.len(), 10);
    }
}
