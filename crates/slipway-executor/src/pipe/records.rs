//! What goes down a channel's FIFO: the objects' bytes in an epoch's
//! order (`ShuffleConfig`), gunzipped (`CompressionType=Gzip`) and each
//! wrapped as one RecordIO record (`RecordWrapperType=RecordIO`).
//!
//! RecordIO is MXNet's (dmlc-core `recordio.h`): a record is
//! `magic 0xced7230a`, a little-endian word `cflag << 29 | length`, the
//! data, zero padding to 4 bytes. A writer splits a record wherever the
//! magic word occurs 4-byte aligned in the data (the reader puts the magic
//! back), so readers can resynchronise on it: cflag 0 is a whole record,
//! 1 / 2 / 3 the first / a middle / the last part. The header of each part
//! holds its length, so the cuts are found in a first pass over the
//! object and the bytes streamed in a second one; nothing is held whole.

use super::PipeError;
use rand::seq::SliceRandom;
use rand::SeedableRng;

pub const RECORDIO_MAGIC: u32 = 0xced7_230a;
/// dmlc-core refuses records of 2^29 bytes or more (the length has 29 bits).
pub const RECORDIO_MAX: u64 = (1 << 29) - 1;
/// Aligned magic words one record may hold (each is a cut remembered
/// between the two passes).
pub const MAX_CUTS: usize = 1 << 20;

/// The order of the objects in `epoch`: as listed, or shuffled with the
/// channel's seed, differently in each epoch and the same for the same
/// (seed, epoch).
pub fn epoch_order(count: usize, seed: Option<i64>, epoch: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..count).collect();
    if let Some(seed) = seed {
        // ChaCha's output is specified: the order never changes with a
        // rand upgrade the way StdRng's may.
        let mixed = (seed as u64) ^ epoch.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(mixed);
        order.shuffle(&mut rng);
    }
    order
}

/// Finds the aligned magic words of one record's data, fed in chunks.
#[derive(Debug, Default)]
pub struct CutFinder {
    len: u64,
    word: [u8; 4],
    cuts: Vec<u64>,
}

impl CutFinder {
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), PipeError> {
        let magic = RECORDIO_MAGIC.to_le_bytes();
        for &b in chunk {
            let at = (self.len % 4) as usize;
            self.word[at] = b;
            if at == 3 && self.word == magic {
                if self.cuts.len() >= MAX_CUTS {
                    return Err(PipeError::Record(format!(
                        "the object holds more than {MAX_CUTS} RecordIO magic words"
                    )));
                }
                self.cuts.push(self.len - 3);
            }
            self.len += 1;
        }
        Ok(())
    }

    /// The record's length and cuts, for [`RecordEncoder::new`].
    pub fn finish(self) -> Result<(u64, Vec<u64>), PipeError> {
        if self.len > RECORDIO_MAX {
            return Err(PipeError::Record(format!(
                "the object is {} bytes; a RecordIO record holds at most {RECORDIO_MAX}",
                self.len
            )));
        }
        Ok((self.len, self.cuts))
    }
}

/// Writes one record in RecordIO framing, given its length and cuts.
#[derive(Debug)]
pub struct RecordEncoder {
    len: u64,
    cuts: Vec<u64>,
    /// Offset in the data of the next byte fed.
    off: u64,
    /// Index of the next cut not yet passed.
    next: usize,
}

fn header(out: &mut Vec<u8>, cflag: u32, part_len: u64) {
    out.extend_from_slice(&RECORDIO_MAGIC.to_le_bytes());
    // part_len < 2^29: the record is.
    out.extend_from_slice(&((cflag << 29) | part_len as u32).to_le_bytes());
}

impl RecordEncoder {
    /// Starts the record; `out` gets the first header.
    pub fn new(len: u64, cuts: Vec<u64>, out: &mut Vec<u8>) -> Self {
        let first_end = cuts.first().copied().unwrap_or(len);
        header(out, if cuts.is_empty() { 0 } else { 1 }, first_end);
        Self {
            len,
            cuts,
            off: 0,
            next: 0,
        }
    }

    /// Appends the framing of `chunk` (the next bytes of the data) to `out`.
    pub fn feed(&mut self, mut chunk: &[u8], out: &mut Vec<u8>) -> Result<(), PipeError> {
        while !chunk.is_empty() {
            let Some(&cut) = self.cuts.get(self.next) else {
                if self.off + chunk.len() as u64 > self.len {
                    return Err(changed());
                }
                out.extend_from_slice(chunk);
                self.off += chunk.len() as u64;
                return Ok(());
            };
            let take = if self.off < cut {
                // Data up to the cut.
                let n = (cut - self.off).min(chunk.len() as u64) as usize;
                out.extend_from_slice(&chunk[..n]);
                n
            } else {
                // The magic word at the cut is dropped; the next part's
                // header follows it.
                let n = (cut + 4 - self.off).min(chunk.len() as u64) as usize;
                if self.off + n as u64 == cut + 4 {
                    self.next += 1;
                    let (cflag, end) = match self.cuts.get(self.next) {
                        Some(&c) => (2, c),
                        None => (3, self.len),
                    };
                    header(out, cflag, end - (cut + 4));
                }
                n
            };
            self.off += take as u64;
            chunk = &chunk[take..];
        }
        Ok(())
    }

    /// Ends the record: its padding. Fails if the data was not as long as
    /// the first pass found (the object changed in between).
    pub fn finish(self, out: &mut Vec<u8>) -> Result<(), PipeError> {
        if self.off != self.len {
            return Err(changed());
        }
        let pad = (4 - self.len % 4) % 4;
        out.extend(std::iter::repeat_n(0u8, pad as usize));
        Ok(())
    }
}

fn changed() -> PipeError {
    PipeError::Record("the object changed while it was being streamed".into())
}

/// Decodes RecordIO framing (tests, and the benchmark's reader): the
/// records, parts joined with the magic put back.
pub fn decode_recordio(mut bytes: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let mut records = Vec::new();
    let mut current: Option<Vec<u8>> = None;
    while !bytes.is_empty() {
        let word = |b: &[u8]| -> Result<u32, String> {
            let w: [u8; 4] = b
                .get(..4)
                .and_then(|s| s.try_into().ok())
                .ok_or("truncated header")?;
            Ok(u32::from_le_bytes(w))
        };
        if word(bytes)? != RECORDIO_MAGIC {
            return Err("bad magic".into());
        }
        let lrec = word(&bytes[4..])?;
        let (cflag, len) = (lrec >> 29, (lrec & ((1 << 29) - 1)) as usize);
        let padded = len.div_ceil(4) * 4;
        let data = bytes.get(8..8 + len).ok_or("truncated data")?;
        bytes = bytes.get(8 + padded..).unwrap_or(&[]);
        match cflag {
            0 => records.push(data.to_vec()),
            1 => current = Some(data.to_vec()),
            2 | 3 => {
                let mut rec = current.take().ok_or("a part without a first part")?;
                rec.extend_from_slice(&RECORDIO_MAGIC.to_le_bytes());
                rec.extend_from_slice(data);
                if cflag == 3 {
                    records.push(rec);
                } else {
                    current = Some(rec);
                }
            }
            _ => return Err(format!("bad cflag {cflag}")),
        }
    }
    Ok(records)
}
