//! Pipe input mode (`docs/contracts.md` §3.3): a channel arrives as FIFOs
//! `input/data/<channel>_<epoch>`, one per pass, each the channel's
//! objects concatenated (every object one RecordIO record when the
//! channel's RecordWrapperType is RecordIO). The sample reads as many
//! passes as `pipe_passes` asks, checks that each gives the same records,
//! and trains on them.

use crate::data;
use crate::linreg::Dataset;
use crate::paths::MlRoot;
use crate::say;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How a Pipe channel is read.
#[derive(Debug, Clone, Copy, Default)]
pub struct PipeRead {
    pub recordio: bool,
    /// Passes read in full.
    pub passes: u32,
    /// A first pass cut short after this many bytes (0: none).
    pub close_after: u64,
}

const RECORDIO_MAGIC: u32 = 0xced7_230a;

fn fifo(root: &MlRoot, channel: &str, epoch: u32) -> PathBuf {
    root.root()
        .join("input/data")
        .join(format!("{channel}_{epoch}"))
}

/// The platform makes the next FIFO once the previous one is done.
fn wait_for(path: &Path) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !path.exists() {
        if Instant::now() > deadline {
            return Err(format!("{} did not appear within 120 s", path.display()));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

/// Joins RecordIO records (parts put back together) into text, one
/// record after another.
fn unwrap_recordio(mut bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let word = |b: &[u8], at: usize| -> Result<u32, String> {
            b.get(at..at + 4)
                .and_then(|s| <[u8; 4]>::try_from(s).ok())
                .map(u32::from_le_bytes)
                .ok_or_else(|| "truncated RecordIO header".to_string())
        };
        if word(bytes, 0)? != RECORDIO_MAGIC {
            return Err("bad RecordIO magic".into());
        }
        let lrec = word(bytes, 4)?;
        let (cflag, len) = (lrec >> 29, (lrec & ((1 << 29) - 1)) as usize);
        let data = bytes.get(8..8 + len).ok_or("truncated RecordIO record")?;
        if cflag == 2 || cflag == 3 {
            out.extend_from_slice(&RECORDIO_MAGIC.to_le_bytes());
        }
        out.extend_from_slice(data);
        if (cflag == 0 || cflag == 3) && !out.ends_with(b"\n") {
            out.push(b'\n');
        }
        bytes = bytes.get(8 + len.div_ceil(4) * 4..).unwrap_or(&[]);
    }
    Ok(out)
}

fn sorted_rows(d: &Dataset) -> Vec<Vec<u64>> {
    let mut rows: Vec<Vec<u64>> = d
        .labels
        .iter()
        .zip(&d.features)
        .map(|(l, f)| std::iter::once(l).chain(f).map(|v| v.to_bits()).collect())
        .collect();
    rows.sort();
    rows
}

/// Reads the channel's passes; the records of the first full pass.
pub fn load(root: &MlRoot, channel: &str, how: PipeRead) -> Result<Dataset, String> {
    let mut epoch = 0;
    if how.close_after > 0 {
        let path = fifo(root, channel, epoch);
        wait_for(&path)?;
        let f = std::fs::File::open(&path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        let mut head = Vec::new();
        f.take(how.close_after)
            .read_to_end(&mut head)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        say!(
            "pipe: read {} byte(s) of {} and closed it early",
            head.len(),
            path.display()
        );
        epoch += 1;
    }
    let mut first: Option<Dataset> = None;
    for _ in 0..how.passes.max(1) {
        let path = fifo(root, channel, epoch);
        wait_for(&path)?;
        let mut bytes = Vec::new();
        std::fs::File::open(&path)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let shown = format!("{channel}_{epoch}");
        if how.recordio {
            bytes = unwrap_recordio(&bytes).map_err(|e| format!("{shown}: {e}"))?;
        }
        let text = String::from_utf8(bytes).map_err(|e| format!("{shown} is not UTF-8: {e}"))?;
        let mut pass = Dataset::default();
        data::append_records(&mut pass, &text, &shown)?;
        say!(
            "pipe: pass {epoch} read {} record(s) from {shown}",
            pass.len()
        );
        match &first {
            None => first = Some(pass),
            Some(f) if sorted_rows(f) != sorted_rows(&pass) => {
                return Err(format!(
                    "{shown} gave other records than the first pass ({} vs {})",
                    pass.len(),
                    f.len()
                ))
            }
            Some(_) => {}
        }
        epoch += 1;
    }
    match first {
        Some(d) if !d.is_empty() => Ok(d),
        _ => Err(format!("channel {channel:?} streamed no records")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recordio_records_become_lines() {
        let mut framed = Vec::new();
        for rec in [&b"1,2\n"[..], b"3,4"] {
            framed.extend_from_slice(&RECORDIO_MAGIC.to_le_bytes());
            framed.extend_from_slice(&(rec.len() as u32).to_le_bytes());
            framed.extend_from_slice(rec);
            framed.resize(framed.len().div_ceil(4) * 4, 0);
        }
        assert_eq!(unwrap_recordio(&framed).unwrap(), b"1,2\n3,4\n");
        assert!(unwrap_recordio(b"nope").is_err());
    }
}
