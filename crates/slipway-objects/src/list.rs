//! ListObjects (v1) and ListObjectsV2: prefix, delimiter (common
//! prefixes), resume-after marker and max-keys. Both versions share this;
//! the wire layer turns `next_marker` into a NextMarker or an opaque
//! continuation token.

use super::Objects;
use crate::Result;
use slipway_core::ports::objects::ObjectRow;
use slipway_core::AccountId;

/// A listing request.
#[derive(Debug, Clone, Default)]
pub struct ListObjects {
    pub bucket: String,
    pub prefix: String,
    pub delimiter: Option<String>,
    /// Resume strictly after this key or common prefix (v1 `marker`, v2
    /// `start-after` or the decoded continuation token).
    pub after: Option<String>,
    /// 0..=1000 (larger values are clamped, as S3 does).
    pub max_keys: usize,
}

/// One page.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    pub objects: Vec<ObjectRow>,
    pub common_prefixes: Vec<String>,
    pub is_truncated: bool,
    /// The last key or common prefix returned, when truncated.
    pub next_marker: Option<String>,
}

/// How many rows to fetch per index query.
const BATCH: usize = 1000;

/// The common prefix `key` rolls up into, if any.
fn common_prefix<'k>(key: &'k str, prefix: &str, delimiter: Option<&str>) -> Option<&'k str> {
    let d = delimiter.filter(|d| !d.is_empty())?;
    let rest = key.get(prefix.len()..)?;
    rest.find(d).map(|i| &key[..prefix.len() + i + d.len()])
}

impl Objects<'_> {
    pub async fn list_objects(&self, account: &AccountId, q: &ListObjects) -> Result<Listing> {
        self.owned_bucket(account, &q.bucket).await?;
        let index = &self.storage.index;
        let max = q.max_keys.min(1000);
        let delimiter = q.delimiter.as_deref();
        let mut out = Listing::default();
        // max-keys=0 asks for nothing and S3 answers an empty page that is
        // not truncated (there is no last key to continue after).
        if max == 0 {
            return Ok(out);
        }
        // A marker that is itself a common prefix means "everything under
        // it was already returned".
        let mut last_prefix: Option<String> = q
            .after
            .as_deref()
            .filter(|m| common_prefix(m, &q.prefix, delimiter) == Some(*m))
            .map(str::to_owned);
        let mut after = q.after.clone();
        let mut count = 0usize;
        'pages: loop {
            let rows = index
                .list_objects(&q.bucket, &q.prefix, after.as_deref(), BATCH)
                .await?;
            let exhausted = rows.len() < BATCH;
            for row in rows {
                after = Some(row.key.clone());
                if let Some(cp) = common_prefix(&row.key, &q.prefix, delimiter) {
                    if last_prefix.as_deref() == Some(cp) {
                        continue;
                    }
                    if count == max {
                        out.is_truncated = true;
                        break 'pages;
                    }
                    let cp = cp.to_owned();
                    out.common_prefixes.push(cp.clone());
                    out.next_marker = Some(cp.clone());
                    count += 1;
                    // Skip the rest of this prefix in one query: every key
                    // under it sorts before prefix + U+10FFFF.
                    after = Some(format!("{cp}{}", char::MAX));
                    last_prefix = Some(cp);
                    continue 'pages;
                }
                if count == max {
                    out.is_truncated = true;
                    break 'pages;
                }
                out.next_marker = Some(row.key.clone());
                out.objects.push(row);
                count += 1;
            }
            if exhausted {
                break;
            }
        }
        if !out.is_truncated {
            out.next_marker = None;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::common_prefix;

    #[test]
    fn common_prefixes_end_at_the_first_delimiter_after_the_prefix() {
        assert_eq!(common_prefix("a/b/c", "", Some("/")), Some("a/"));
        assert_eq!(common_prefix("a/b/c", "a/", Some("/")), Some("a/b/"));
        assert_eq!(common_prefix("a/b", "a/", Some("/")), None);
        assert_eq!(common_prefix("a/b", "", None), None);
        assert_eq!(common_prefix("xx--y", "", Some("--")), Some("xx--"));
    }
}
