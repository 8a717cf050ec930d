//! A page of `resources` rows as one value (see `SqliteStore::list`): the
//! rows are packed by SQLite and split here without parsing the document.

use super::resources::RESOURCES;
use crate::error::StoreError;
use slipway_core::{AccountId, ResourceKind, ResourceRecord};

/// One row packed as netstrings (`<byte length>:<bytes>`, `~` for NULL),
/// concatenated in column order: SQLite only copies bytes, and
/// `unpack_page` splits them without parsing the document. With
/// `summaries`, the document field carries the row's summary if it has one.
pub(crate) fn packed_row(summaries: bool) -> String {
    let document = if summaries {
        "ifnull(summary, document)"
    } else {
        "document"
    };
    PACKED_ROW.replace("DOC", document)
}

const PACKED_ROW: &str = "CAST(\
    ifnull(length(CAST(key AS BLOB)) || ':' || key, '~') || \
    ifnull(length(CAST(name AS BLOB)) || ':' || name, '~') || \
    ifnull(length(CAST(arn AS BLOB)) || ':' || arn, '~') || \
    ifnull(length(CAST(status AS BLOB)) || ':' || status, '~') || \
    ifnull(length(CAST(created AS TEXT)) || ':' || created, '~') || \
    ifnull(length(CAST(modified AS TEXT)) || ':' || modified, '~') || \
    ifnull(length(CAST(parent AS BLOB)) || ':' || parent, '~') || \
    ifnull(length(CAST(version AS TEXT)) || ':' || version, '~') || \
    ifnull(length(CAST(approval AS BLOB)) || ':' || approval, '~') || \
    ifnull(length(CAST(revision AS TEXT)) || ':' || revision, '~') || \
    ifnull(length(CAST(DOC AS BLOB)) || ':' || DOC, '~') || \
    ifnull(length(CAST(client_token AS BLOB)) || ':' || client_token, '~') AS BLOB)";

/// Splits one netstring field off the front of `buf`.
fn take_field<'a>(buf: &mut &'a [u8]) -> Result<Option<&'a str>, StoreError> {
    if let Some(rest) = buf.strip_prefix(b"~") {
        *buf = rest;
        return Ok(None);
    }
    let colon = buf
        .iter()
        .position(|b| *b == b':')
        .ok_or_else(|| RESOURCES.corrupt("packed page"))?;
    let len: usize = std::str::from_utf8(&buf[..colon])
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| RESOURCES.corrupt("packed page length"))?;
    let end = colon + 1 + len;
    let bytes = buf
        .get(colon + 1..end)
        .ok_or_else(|| RESOURCES.corrupt("packed page truncated"))?;
    *buf = &buf[end..];
    std::str::from_utf8(bytes)
        .map(Some)
        .map_err(|_| RESOURCES.corrupt("packed page utf-8"))
}

/// Decodes a page packed with `PACKED_ROW` (rows of `account`/`kind`).
pub(crate) fn unpack_page(
    account: &AccountId,
    kind: ResourceKind,
    mut buf: &[u8],
) -> Result<Vec<ResourceRecord>, StoreError> {
    let mut out = Vec::new();
    let text = |v: Option<&str>| {
        v.map(str::to_owned)
            .ok_or_else(|| RESOURCES.corrupt("packed NULL"))
    };
    let int = |v: Option<&str>| -> Result<i64, StoreError> {
        v.and_then(|s| s.parse().ok())
            .ok_or_else(|| RESOURCES.corrupt("packed integer"))
    };
    while !buf.is_empty() {
        let key = text(take_field(&mut buf)?)?;
        let name = text(take_field(&mut buf)?)?;
        let arn = text(take_field(&mut buf)?)?;
        let status = text(take_field(&mut buf)?)?;
        let created = int(take_field(&mut buf)?)?;
        let modified = int(take_field(&mut buf)?)?;
        let parent = take_field(&mut buf)?.map(str::to_owned);
        let version = take_field(&mut buf)?.map(|v| int(Some(v))).transpose()?;
        let approval = take_field(&mut buf)?.map(str::to_owned);
        let revision = int(take_field(&mut buf)?)?;
        let document = text(take_field(&mut buf)?)?;
        let client_token = take_field(&mut buf)?.map(str::to_owned);
        out.push(ResourceRecord {
            account: account.clone(),
            kind,
            key,
            name,
            arn,
            status,
            created,
            modified,
            parent,
            version,
            approval,
            revision,
            document,
            client_token,
            summary: None,
        });
    }
    Ok(out)
}
