//! The records a buyer's predictor would send: the first records of the
//! profile's transform input, split as the transform job splits them.

use bytes::Bytes;
use futures::StreamExt;
use slipway_batch::split::{SplitType, Splitter};
use slipway_core::spec::TransformJobDefinition;
use slipway_core::AccountId;
use slipway_executor::transfer::{self, S3Uri};
use slipway_service::Service;

/// Most records sent one by one.
pub const MAX_RECORDS: usize = 50;
/// Most bytes read from the input in all.
const MAX_READ: usize = 8 << 20;
/// Most objects opened.
const MAX_OBJECTS: usize = 5;

/// The input's records, its content type and split, and what to Accept.
pub struct Records {
    pub records: Vec<Bytes>,
    pub content_type: Option<String>,
    pub accept: Option<String>,
    pub split: SplitType,
}

pub async fn read(
    svc: &Service,
    account: &AccountId,
    def: &TransformJobDefinition,
) -> Result<Records, String> {
    let input = &def.transform_input;
    let split = input
        .split_type
        .as_deref()
        .and_then(SplitType::parse)
        .unwrap_or(SplitType::None);
    let src = &input.data_source.s3_data_source;
    let uri =
        S3Uri::parse(&src.s3_uri).ok_or_else(|| format!("{} is not an s3:// URI", src.s3_uri))?;
    let data = svc.job_data();
    let objects = if src.s3_data_type == "ManifestFile" {
        transfer::list_manifest(&data, account, &uri).await
    } else {
        transfer::list_prefix(&data, account, &uri).await
    }
    .map_err(|e| format!("listing {}: {e}", src.s3_uri))?;
    let mut records = Vec::new();
    let mut read = 0usize;
    for object in objects.iter().take(MAX_OBJECTS) {
        if records.len() >= MAX_RECORDS || read >= MAX_READ {
            break;
        }
        // A whole object is one request: one larger than the read budget
        // would not be sent whole, so it is not sent at all.
        if split == SplitType::None && object.size as usize > MAX_READ - read {
            continue;
        }
        let mut body = transfer::open_input(&data, account, object)
            .await
            .map_err(|e| format!("reading s3://{}/{}: {e}", object.bucket, object.key))?;
        let mut splitter = Splitter::new(split, false);
        let mut complete = true;
        while let Some(chunk) = body.next().await {
            let chunk =
                chunk.map_err(|e| format!("reading s3://{}/{}: {e}", object.bucket, object.key))?;
            read += chunk.len();
            let got = splitter.push(&chunk).map_err(|e| e.to_string())?;
            records.extend(got.into_iter().map(|r| r.data));
            if records.len() >= MAX_RECORDS || read >= MAX_READ {
                complete = false;
                break;
            }
        }
        if complete {
            let rest = splitter.finish().map_err(|e| e.to_string())?;
            records.extend(rest.into_iter().map(|r| r.data));
        }
    }
    records.retain(|r| !r.is_empty());
    records.truncate(MAX_RECORDS);
    Ok(Records {
        records,
        content_type: input.content_type.clone(),
        accept: def.transform_output.accept.clone(),
        split,
    })
}

/// A body of about `size` bytes made of whole records repeated (lines
/// joined by `\n`), so a model server can parse it: `None` when the input
/// is not line-split (a framed or whole-object record cannot be repeated
/// into one valid request).
pub fn body_of_size(r: &Records, size: usize) -> Option<Bytes> {
    if r.split != SplitType::Line || r.records.is_empty() {
        return None;
    }
    let mut out = Vec::with_capacity(size);
    'fill: loop {
        for rec in &r.records {
            let line = rec.strip_suffix(b"\n").unwrap_or(rec);
            if out.len() + line.len() + 1 > size {
                break 'fill;
            }
            out.extend_from_slice(line);
            out.push(b'\n');
        }
    }
    // Whole records only: the body is `size` bytes or a record shorter.
    (!out.is_empty()).then(|| Bytes::from(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(lines: &[&str], split: SplitType) -> Records {
        Records {
            records: lines
                .iter()
                .map(|l| Bytes::from(format!("{l}\n")))
                .collect(),
            content_type: Some("text/csv".into()),
            accept: None,
            split,
        }
    }

    #[test]
    fn a_body_repeats_whole_lines_up_to_the_size() {
        let r = records(&["1,2", "3,4,5"], SplitType::Line);
        let b = body_of_size(&r, 20).unwrap();
        assert!(b.len() <= 20 && b.len() >= 14, "{}", b.len());
        assert!(b.ends_with(b"\n"));
        for line in b.split(|c| *c == b'\n').filter(|l| !l.is_empty()) {
            assert!(line == b"1,2" || line == b"3,4,5");
        }
    }

    #[test]
    fn framed_or_whole_object_input_cannot_be_repeated() {
        assert!(body_of_size(&records(&["x"], SplitType::None), 100).is_none());
        assert!(body_of_size(&records(&[], SplitType::Line), 100).is_none());
        // A record longer than the size gives no body (and no endless loop).
        assert!(body_of_size(&records(&["0123456789"], SplitType::Line), 5).is_none());
    }
}
