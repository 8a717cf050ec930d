//! Cutting one input object into records (docs/contracts.md §5.3), as its bytes
//! stream in. The splitter holds at most one incomplete record plus the
//! chunk being pushed, so memory follows the largest record, never the
//! object — except for `SplitType::None`, whose one record *is* the object
//! (see [`SplitType::is_whole_object`]).
//!
//! RecordIO multi-part records (continuation flags 1, 2, 3): MXNet's
//! writer cuts a record wherever its payload holds the magic number, and
//! its reader glues the parts back with the magic in between. We keep a
//! multi-part record together as **one** record: with framing kept, its
//! frames are passed verbatim (so a mini-batch never splits it); with
//! framing stripped, the payload is reassembled exactly as MXNet reads it.

use bytes::{Buf, Bytes, BytesMut};

/// `TransformInput.SplitType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitType {
    None,
    Line,
    RecordIO,
    TFRecord,
}

impl SplitType {
    /// The API spelling (`None`, `Line`, `RecordIO`, `TFRecord`); `None`
    /// for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "None" => Self::None,
            "Line" => Self::Line,
            "RecordIO" => Self::RecordIO,
            "TFRecord" => Self::TFRecord,
            _ => return None,
        })
    }

    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "None",
            Self::Line => "Line",
            Self::RecordIO => "RecordIO",
            Self::TFRecord => "TFRecord",
        }
    }

    /// True when the single record is the whole object: a runner should
    /// stream it (or check its size first) rather than push it through a
    /// [`Splitter`], which would buffer it.
    pub fn is_whole_object(self) -> bool {
        self == Self::None
    }
}

/// One record of an object, as it is to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// 0-based position of the record in its object (for error messages).
    pub index: u64,
    pub data: Bytes,
}

/// Why an object could not be split; the object fails with this text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    #[error("{kind} data is corrupt at byte offset {offset}: {reason}")]
    Corrupt {
        kind: &'static str,
        offset: u64,
        reason: String,
    },
    #[error("{kind} data is truncated: the record at byte offset {offset} needs {needed} bytes but the object ends after {available}")]
    Truncated {
        kind: &'static str,
        offset: u64,
        needed: u64,
        available: u64,
    },
    #[error(
        "record {} at byte offset {offset} is {size} bytes, more than the {limit}-byte limit", .index + 1
    )]
    TooLarge {
        index: u64,
        offset: u64,
        size: u64,
        limit: u64,
    },
}

/// RecordIO magic number (little-endian on disk).
pub const RECORDIO_MAGIC: u32 = 0xced7_230a;
const RECORDIO_LEN_MASK: u32 = (1 << 29) - 1;

/// Streaming splitter for one object. Feed it chunks with [`push`](Self::push),
/// then call [`finish`](Self::finish) once the object ends.
#[derive(Debug)]
pub struct Splitter {
    split: SplitType,
    strip_framing: bool,
    max_record: Option<u64>,
    buf: BytesMut,
    /// Byte offset of `buf[0]` in the object.
    offset: u64,
    /// Where the search for `\n` resumes, so a long line is scanned once.
    scan_from: usize,
    /// Empty lines held back until a non-empty line proves they are not
    /// trailing (docs/contracts.md §5.3 skips empty trailing lines).
    pending_empty: Vec<Bytes>,
    next_index: u64,
}

impl Splitter {
    /// `strip_framing` = SingleRecord semantics for RecordIO/TFRecord: send
    /// the payload only (docs/contracts.md §5.3's suggestion, **unverified**).
    /// Ignored for `None` and `Line`.
    pub fn new(split: SplitType, strip_framing: bool) -> Self {
        Self {
            split,
            strip_framing,
            max_record: None,
            buf: BytesMut::new(),
            offset: 0,
            scan_from: 0,
            pending_empty: Vec::new(),
            next_index: 0,
        }
    }

    /// Fails a record as soon as it is known to exceed `limit` bytes (as
    /// framed in the object), instead of buffering it first.
    pub fn with_max_record(mut self, limit: u64) -> Self {
        self.max_record = Some(limit);
        self
    }

    /// Adds the next bytes of the object; returns the records they complete.
    pub fn push(&mut self, chunk: &[u8]) -> Result<Vec<Record>, SplitError> {
        self.buf.extend_from_slice(chunk);
        let mut out = Vec::new();
        match self.split {
            SplitType::None => self.check_size(self.buf.len() as u64)?,
            SplitType::Line => self.lines(&mut out)?,
            SplitType::RecordIO => while self.recordio(&mut out, false)? {},
            SplitType::TFRecord => while self.tfrecord(&mut out, false)? {},
        }
        Ok(out)
    }

    /// Ends the object: returns the last records, or an error if it ends
    /// inside a framed record.
    pub fn finish(mut self) -> Result<Vec<Record>, SplitError> {
        let mut out = Vec::new();
        match self.split {
            // One request per object, even an empty one.
            SplitType::None => {
                let data = self.buf.split().freeze();
                self.emit(&mut out, data);
            }
            SplitType::Line => {
                self.lines(&mut out)?;
                if !self.buf.is_empty() {
                    let line = self.buf.split().freeze();
                    self.line(&mut out, line);
                }
                // Whatever empty lines are still pending are trailing.
            }
            SplitType::RecordIO => while self.recordio(&mut out, true)? {},
            SplitType::TFRecord => while self.tfrecord(&mut out, true)? {},
        }
        Ok(out)
    }

    fn emit(&mut self, out: &mut Vec<Record>, data: Bytes) {
        out.push(Record {
            index: self.next_index,
            data,
        });
        self.next_index += 1;
    }

    fn check_size(&self, size: u64) -> Result<(), SplitError> {
        match self.max_record {
            Some(limit) if size > limit => Err(SplitError::TooLarge {
                index: self.next_index + self.pending_empty.len() as u64,
                offset: self.offset,
                size,
                limit,
            }),
            _ => Ok(()),
        }
    }

    fn lines(&mut self, out: &mut Vec<Record>) -> Result<(), SplitError> {
        while let Some(pos) = self.buf[self.scan_from..].iter().position(|&b| b == b'\n') {
            let end = self.scan_from + pos + 1;
            let line = self.buf.split_to(end).freeze();
            self.offset += end as u64;
            self.scan_from = 0;
            self.check_size(line.len() as u64)?;
            self.line(out, line);
        }
        self.scan_from = self.buf.len();
        self.check_size(self.buf.len() as u64)
    }

    fn line(&mut self, out: &mut Vec<Record>, line: Bytes) {
        if line[..] == b"\n"[..] || line[..] == b"\r\n"[..] {
            self.pending_empty.push(line);
            return;
        }
        for empty in std::mem::take(&mut self.pending_empty) {
            self.emit(out, empty);
        }
        self.emit(out, line);
    }

    fn need(&self, kind: &'static str, needed: usize, eof: bool) -> Result<bool, SplitError> {
        if self.buf.len() >= needed {
            return Ok(true);
        }
        if eof {
            return Err(SplitError::Truncated {
                kind,
                offset: self.offset,
                needed: needed as u64,
                available: self.buf.len() as u64,
            });
        }
        Ok(false)
    }

    /// Takes one whole (possibly multi-part) RecordIO record off the buffer;
    /// false when more bytes are needed (or, at EOF, when none are left).
    fn recordio(&mut self, out: &mut Vec<Record>, eof: bool) -> Result<bool, SplitError> {
        const KIND: &str = "RecordIO";
        if self.buf.is_empty() {
            return Ok(false);
        }
        // Walk the frames of one logical record without consuming them, so
        // an incomplete multi-part record waits for more bytes.
        let mut pos = 0usize;
        let mut parts: Vec<(usize, usize)> = Vec::new();
        loop {
            if !self.need(KIND, pos + 8, eof)? {
                return Ok(false);
            }
            let at = self.offset + pos as u64;
            let mut header = &self.buf[pos..pos + 8];
            let magic = header.get_u32_le();
            let lrec = header.get_u32_le();
            if magic != RECORDIO_MAGIC {
                return Err(corrupt(
                    KIND,
                    at,
                    format!("expected magic 0xced7230a, found {magic:#010x}"),
                ));
            }
            let cflag = lrec >> 29;
            let len = (lrec & RECORDIO_LEN_MASK) as usize;
            let padded = len.div_ceil(4) * 4;
            let expected_first = parts.is_empty();
            match (cflag, expected_first) {
                (0 | 1, true) | (2 | 3, false) => {}
                (0 | 1, false) => {
                    return Err(corrupt(
                        KIND,
                        at,
                        "a multi-part record is missing its end part".into(),
                    ))
                }
                (2 | 3, true) => {
                    return Err(corrupt(
                        KIND,
                        at,
                        "a continuation part has no start part".into(),
                    ))
                }
                _ => {
                    return Err(corrupt(
                        KIND,
                        at,
                        format!("invalid continuation flag {cflag}"),
                    ))
                }
            }
            self.check_size((pos + 8 + padded) as u64)?;
            if !self.need(KIND, pos + 8 + padded, eof)? {
                return Ok(false);
            }
            parts.push((pos + 8, len));
            pos += 8 + padded;
            if cflag == 0 || cflag == 3 {
                break;
            }
        }
        let framed = self.buf.split_to(pos).freeze();
        self.offset += pos as u64;
        let data = if !self.strip_framing {
            framed
        } else if let [(start, len)] = parts[..] {
            framed.slice(start..start + len)
        } else {
            let mut joined = BytesMut::new();
            for (i, (start, len)) in parts.iter().enumerate() {
                if i > 0 {
                    joined.extend_from_slice(&RECORDIO_MAGIC.to_le_bytes());
                }
                joined.extend_from_slice(&framed[*start..start + len]);
            }
            joined.freeze()
        };
        self.emit(out, data);
        Ok(true)
    }

    /// Takes one TFRecord off the buffer after checking both CRCs.
    fn tfrecord(&mut self, out: &mut Vec<Record>, eof: bool) -> Result<bool, SplitError> {
        const KIND: &str = "TFRecord";
        if self.buf.is_empty() || !self.need(KIND, 12, eof)? {
            return Ok(false);
        }
        let len_bytes = &self.buf[..8];
        let len = u64::from_le_bytes(len_bytes.try_into().unwrap_or([0; 8]));
        let len_crc = u32::from_le_bytes(self.buf[8..12].try_into().unwrap_or([0; 4]));
        if masked_crc32c(len_bytes) != len_crc {
            return Err(corrupt(KIND, self.offset, "length CRC mismatch".into()));
        }
        let total = len.saturating_add(16);
        self.check_size(total)?;
        let total = usize::try_from(total).map_err(|_| {
            corrupt(
                KIND,
                self.offset,
                format!("record length {len} is too large"),
            )
        })?;
        if !self.need(KIND, total, eof)? {
            return Ok(false);
        }
        let framed = self.buf.split_to(total).freeze();
        let data = framed.slice(12..total - 4);
        let data_crc = u32::from_le_bytes(framed[total - 4..].try_into().unwrap_or([0; 4]));
        if masked_crc32c(&data) != data_crc {
            return Err(corrupt(KIND, self.offset, "data CRC mismatch".into()));
        }
        self.offset += total as u64;
        self.emit(out, if self.strip_framing { data } else { framed });
        Ok(true)
    }
}

fn corrupt(kind: &'static str, offset: u64, reason: String) -> SplitError {
    SplitError::Corrupt {
        kind,
        offset,
        reason,
    }
}

/// TFRecord's masked CRC32C: rotated and offset so that a CRC of data that
/// itself holds CRCs stays well distributed.
pub fn masked_crc32c(data: &[u8]) -> u32 {
    let crc = crc_fast::checksum(crc_fast::CrcAlgorithm::Crc32Iscsi, data) as u32;
    crc.rotate_right(15).wrapping_add(0xa282_ead8)
}

#[cfg(test)]
#[path = "split_tests.rs"]
mod tests;
