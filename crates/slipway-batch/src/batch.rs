//! Packing consecutive records of one object into mini-batches (docs/contracts.md
//! §5.3): one record per request for SingleRecord, as many as fit in
//! MaxPayloadInMB for MultiRecord. Records are joined as they appear in
//! the source (a Line record keeps its `\n`), so a batch is a byte range
//! of the object when no filter rewrote the records.

use super::split::Record;
use bytes::{Bytes, BytesMut};

/// One MB as batch transform counts it (docs/contracts.md §5.3, **unverified**).
pub const MB: u64 = 1_048_576;

/// `BatchStrategy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchStrategy {
    SingleRecord,
    MultiRecord,
}

impl BatchStrategy {
    /// The API spelling (`SingleRecord`) or the container-side one
    /// (`SINGLE_RECORD`, as in `SAGEMAKER_BATCH_STRATEGY` and
    /// `/execution-parameters`).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "SingleRecord" | "SINGLE_RECORD" => Some(Self::SingleRecord),
            "MultiRecord" | "MULTI_RECORD" => Some(Self::MultiRecord),
            _ => None,
        }
    }

    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SingleRecord => "SingleRecord",
            Self::MultiRecord => "MultiRecord",
        }
    }

    /// The spelling of `SAGEMAKER_BATCH_STRATEGY`.
    pub fn env_value(self) -> &'static str {
        match self {
            Self::SingleRecord => "SINGLE_RECORD",
            Self::MultiRecord => "MULTI_RECORD",
        }
    }
}

/// The limit in bytes for a `MaxPayloadInMB`; `None` for 0 (no limit).
pub fn payload_limit(max_payload_in_mb: u64) -> Option<u64> {
    (max_payload_in_mb > 0).then(|| max_payload_in_mb.saturating_mul(MB))
}

/// One request's worth of records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MiniBatch {
    /// The request body: the records back to back.
    pub payload: Bytes,
    /// Index of the first record in its object.
    pub first: u64,
    /// Index of the last record in its object (inclusive).
    pub last: u64,
    /// How many records the payload holds.
    pub count: usize,
}

impl MiniBatch {
    /// "record 7" or "records 10–19", for failure messages.
    pub fn describe(&self) -> String {
        describe_range(self.first, self.last)
    }
}

/// "record 7" or "records 10–19".
/// Indexes are 0-based; messages count from 1, as a seller reading the
/// input file does ("record 2" is the second line).
pub fn describe_range(first: u64, last: u64) -> String {
    if first == last {
        format!("record {}", first + 1)
    } else {
        format!("records {}–{}", first + 1, last + 1)
    }
}

/// A record that cannot be sent under the payload limit; the object fails.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("record {} is {size} bytes, larger than MaxPayloadInMB allows ({limit} bytes)", .index + 1)]
pub struct BatchError {
    pub index: u64,
    pub size: u64,
    pub limit: u64,
}

/// Groups the records of one object into mini-batches. Holds at most one
/// batch's worth of records.
#[derive(Debug)]
pub struct Batcher {
    strategy: BatchStrategy,
    limit: Option<u64>,
    buf: BytesMut,
    first: u64,
    last: u64,
    count: usize,
}

impl Batcher {
    /// `max_payload_bytes = None` (MaxPayloadInMB 0) packs without limit:
    /// with MultiRecord that is the whole object in one request, which is
    /// why a runner should stream SplitType None instead.
    pub fn new(strategy: BatchStrategy, max_payload_bytes: Option<u64>) -> Self {
        Self {
            strategy,
            limit: max_payload_bytes,
            buf: BytesMut::new(),
            first: 0,
            last: 0,
            count: 0,
        }
    }

    /// Adds the next record; returns the batch it closed, if any.
    pub fn push(&mut self, record: Record) -> Result<Option<MiniBatch>, BatchError> {
        let size = record.data.len() as u64;
        if let Some(limit) = self.limit {
            if size > limit {
                return Err(BatchError {
                    index: record.index,
                    size,
                    limit,
                });
            }
        }
        if self.strategy == BatchStrategy::SingleRecord {
            return Ok(Some(MiniBatch {
                payload: record.data,
                first: record.index,
                last: record.index,
                count: 1,
            }));
        }
        let fits = self
            .limit
            .is_none_or(|limit| self.buf.len() as u64 + size <= limit);
        let closed = if self.count > 0 && !fits {
            self.take()
        } else {
            None
        };
        if self.count == 0 {
            self.first = record.index;
        }
        self.last = record.index;
        self.count += 1;
        self.buf.extend_from_slice(&record.data);
        Ok(closed)
    }

    /// The last, partly filled batch (none if no record is pending).
    pub fn finish(mut self) -> Option<MiniBatch> {
        self.take()
    }

    fn take(&mut self) -> Option<MiniBatch> {
        if self.count == 0 {
            return None;
        }
        let batch = MiniBatch {
            payload: self.buf.split().freeze(),
            first: self.first,
            last: self.last,
            count: self.count,
        };
        self.count = 0;
        Some(batch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(index: u64, data: &'static [u8]) -> Record {
        Record {
            index,
            data: Bytes::from_static(data),
        }
    }

    fn run(b: &mut Batcher, records: Vec<Record>) -> Vec<MiniBatch> {
        let mut out = Vec::new();
        for r in records {
            out.extend(b.push(r).unwrap());
        }
        out
    }

    #[test]
    fn parse_both_spellings() {
        assert_eq!(
            BatchStrategy::parse("MultiRecord"),
            Some(BatchStrategy::MultiRecord)
        );
        assert_eq!(
            BatchStrategy::parse("MULTI_RECORD"),
            Some(BatchStrategy::MultiRecord)
        );
        assert_eq!(
            BatchStrategy::parse("SingleRecord"),
            Some(BatchStrategy::SingleRecord)
        );
        assert_eq!(
            BatchStrategy::parse("SINGLE_RECORD"),
            Some(BatchStrategy::SingleRecord)
        );
        assert_eq!(BatchStrategy::parse("multi"), None);
        assert_eq!(BatchStrategy::MultiRecord.env_value(), "MULTI_RECORD");
        assert_eq!(payload_limit(6), Some(6 * 1_048_576));
        assert_eq!(payload_limit(0), None);
    }

    #[test]
    fn single_record_sends_each_record_alone() {
        let mut b = Batcher::new(BatchStrategy::SingleRecord, Some(10));
        let out = run(&mut b, vec![rec(0, b"a\n"), rec(1, b"bb\n")]);
        assert_eq!(out.len(), 2);
        assert_eq!((out[1].first, out[1].last, out[1].count), (1, 1, 1));
        assert_eq!(&out[1].payload[..], b"bb\n");
        assert!(b.finish().is_none());
    }

    #[test]
    fn multi_record_packs_up_to_the_limit_exactly() {
        let mut b = Batcher::new(BatchStrategy::MultiRecord, Some(6));
        let out = run(
            &mut b,
            vec![
                rec(0, b"a\n"),
                rec(1, b"b\n"),
                rec(2, b"c\n"),
                rec(3, b"dd\n"),
                rec(4, b"e\n"),
            ],
        );
        assert_eq!(out.len(), 1);
        assert_eq!(&out[0].payload[..], b"a\nb\nc\n");
        assert_eq!((out[0].first, out[0].last, out[0].count), (0, 2, 3));
        assert_eq!(out[0].describe(), "records 1–3");
        let last = b.finish().unwrap();
        assert_eq!(&last.payload[..], b"dd\ne\n");
        assert_eq!((last.first, last.last, last.count), (3, 4, 2));
    }

    #[test]
    fn unlimited_multi_record_is_one_batch() {
        let mut b = Batcher::new(BatchStrategy::MultiRecord, None);
        assert!(run(&mut b, vec![rec(0, b"a"), rec(1, b"b"), rec(2, b"c")]).is_empty());
        let all = b.finish().unwrap();
        assert_eq!((&all.payload[..], all.count), (&b"abc"[..], 3));
    }

    #[test]
    fn oversized_record_names_index_and_sizes() {
        for strategy in [BatchStrategy::SingleRecord, BatchStrategy::MultiRecord] {
            let mut b = Batcher::new(strategy, Some(3));
            b.push(rec(0, b"ab")).unwrap();
            let err = b.push(rec(1, b"abcd")).unwrap_err();
            assert_eq!(
                err.to_string(),
                "record 2 is 4 bytes, larger than MaxPayloadInMB allows (3 bytes)"
            );
        }
    }

    #[test]
    fn empty_object_yields_no_batch_and_ranges_describe() {
        assert!(Batcher::new(BatchStrategy::MultiRecord, Some(1))
            .finish()
            .is_none());
        assert_eq!(describe_range(7, 7), "record 8");
    }
}
