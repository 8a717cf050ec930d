use super::*;

/// Pushes `data` in chunks of `chunk` bytes, then finishes.
fn split_all(
    split: SplitType,
    strip: bool,
    data: &[u8],
    chunk: usize,
) -> Result<Vec<Record>, SplitError> {
    let mut s = Splitter::new(split, strip);
    let mut out = Vec::new();
    for c in data.chunks(chunk.max(1)) {
        out.extend(s.push(c)?);
    }
    out.extend(s.finish()?);
    Ok(out)
}

fn datas(records: &[Record]) -> Vec<&[u8]> {
    records.iter().map(|r| &r.data[..]).collect()
}

fn recordio_frame(cflag: u32, payload: &[u8]) -> Vec<u8> {
    let mut v = RECORDIO_MAGIC.to_le_bytes().to_vec();
    v.extend_from_slice(&((cflag << 29) | payload.len() as u32).to_le_bytes());
    v.extend_from_slice(payload);
    v.resize(v.len().div_ceil(4) * 4, 0);
    v
}

fn tfrecord_frame(payload: &[u8]) -> Vec<u8> {
    let len = (payload.len() as u64).to_le_bytes();
    let mut v = len.to_vec();
    v.extend_from_slice(&masked_crc32c(&len).to_le_bytes());
    v.extend_from_slice(payload);
    v.extend_from_slice(&masked_crc32c(payload).to_le_bytes());
    v
}

#[test]
fn parse_api_names() {
    assert_eq!(SplitType::parse("Line"), Some(SplitType::Line));
    assert_eq!(SplitType::parse("RecordIO"), Some(SplitType::RecordIO));
    assert_eq!(SplitType::parse("TFRecord"), Some(SplitType::TFRecord));
    assert_eq!(SplitType::parse("None"), Some(SplitType::None));
    assert_eq!(SplitType::parse("line"), None);
    assert!(SplitType::None.is_whole_object());
    assert!(!SplitType::Line.is_whole_object());
}

#[test]
fn lines_keep_newline_and_last_line_without_one() {
    for chunk in [1, 2, 3, 100] {
        let r = split_all(SplitType::Line, false, b"a,1\nb,2\nc,3", chunk).unwrap();
        assert_eq!(
            datas(&r),
            vec![&b"a,1\n"[..], b"b,2\n", b"c,3"],
            "chunk {chunk}"
        );
        assert_eq!(r.iter().map(|r| r.index).collect::<Vec<_>>(), vec![0, 1, 2]);
    }
}

#[test]
fn empty_trailing_lines_are_skipped_but_inner_ones_kept() {
    let r = split_all(SplitType::Line, false, b"a\n\nb\n\n\r\n\n", 2).unwrap();
    assert_eq!(datas(&r), vec![&b"a\n"[..], b"\n", b"b\n"]);
    assert!(split_all(SplitType::Line, false, b"", 1)
        .unwrap()
        .is_empty());
    assert!(split_all(SplitType::Line, false, b"\n\n", 1)
        .unwrap()
        .is_empty());
}

#[test]
fn line_longer_than_limit_fails_before_buffering_it_whole() {
    let mut s = Splitter::new(SplitType::Line, false).with_max_record(4);
    assert_eq!(s.push(b"ab\ncd").unwrap().len(), 1);
    let err = s.push(b"efgh").unwrap_err();
    assert_eq!(
        err,
        SplitError::TooLarge {
            index: 1,
            offset: 3,
            size: 6,
            limit: 4
        }
    );
}

#[test]
fn none_is_the_whole_object_even_empty() {
    let r = split_all(SplitType::None, false, b"a\nb\n", 1).unwrap();
    assert_eq!(datas(&r), vec![&b"a\nb\n"[..]]);
    let r = split_all(SplitType::None, false, b"", 1).unwrap();
    assert_eq!(datas(&r), vec![&b""[..]]);
    let mut s = Splitter::new(SplitType::None, false).with_max_record(3);
    assert!(matches!(
        s.push(b"abcd"),
        Err(SplitError::TooLarge { size: 4, .. })
    ));
}

#[test]
fn recordio_framing_kept_or_stripped() {
    let mut data = recordio_frame(0, b"hello");
    data.extend(recordio_frame(0, b"abcd"));
    data.extend(recordio_frame(0, b""));
    for chunk in [1, 5, 64] {
        let kept = split_all(SplitType::RecordIO, false, &data, chunk).unwrap();
        assert_eq!(kept.len(), 3);
        assert_eq!(&kept[0].data[..], &recordio_frame(0, b"hello")[..]);
        assert_eq!(kept[0].data.len(), 16, "padding to 4 bytes is kept");
        let stripped = split_all(SplitType::RecordIO, true, &data, chunk).unwrap();
        assert_eq!(datas(&stripped), vec![&b"hello"[..], b"abcd", b""]);
    }
}

#[test]
fn recordio_multipart_is_one_record_reassembled_with_magic() {
    let mut data = recordio_frame(1, b"ab");
    data.extend(recordio_frame(2, b"cde"));
    data.extend(recordio_frame(3, b"f"));
    data.extend(recordio_frame(0, b"next"));
    let kept = split_all(SplitType::RecordIO, false, &data, 3).unwrap();
    assert_eq!(kept.len(), 2);
    assert_eq!(kept[0].data.len(), 12 + 12 + 12);
    let stripped = split_all(SplitType::RecordIO, true, &data, 3).unwrap();
    let mut want = b"ab".to_vec();
    want.extend(RECORDIO_MAGIC.to_le_bytes());
    want.extend(b"cde");
    want.extend(RECORDIO_MAGIC.to_le_bytes());
    want.extend(b"f");
    assert_eq!(&stripped[0].data[..], &want[..]);
    assert_eq!(&stripped[1].data[..], b"next");
    assert_eq!(stripped[1].index, 1);
}

#[test]
fn recordio_errors_name_the_offset() {
    let mut data = recordio_frame(0, b"ok");
    data.extend(b"\x00\x00\x00\x00\x02\x00\x00\x00xx\x00\x00");
    let err = split_all(SplitType::RecordIO, true, &data, 7).unwrap_err();
    assert_eq!(
        err.to_string(),
        "RecordIO data is corrupt at byte offset 12: expected magic 0xced7230a, found 0x00000000"
    );
    let truncated = &recordio_frame(0, b"hello")[..10];
    let err = split_all(SplitType::RecordIO, true, truncated, 4).unwrap_err();
    assert_eq!(
        err,
        SplitError::Truncated {
            kind: "RecordIO",
            offset: 0,
            needed: 16,
            available: 10
        }
    );
    let err = split_all(SplitType::RecordIO, true, &recordio_frame(3, b"x"), 4).unwrap_err();
    assert!(
        err.to_string().contains("continuation part has no start"),
        "{err}"
    );
    let mut unterminated = recordio_frame(1, b"x");
    unterminated.extend(recordio_frame(0, b"y"));
    let err = split_all(SplitType::RecordIO, true, &unterminated, 4).unwrap_err();
    assert!(
        err.to_string()
            .contains("byte offset 12: a multi-part record is missing its end"),
        "{err}"
    );
}

#[test]
fn crc32c_matches_the_standard_check_value() {
    // CRC-32C("123456789") = 0xE3069283 (the Castagnoli check value);
    // masked: rotated right by 15, plus 0xa282ead8.
    assert_eq!(masked_crc32c(b"123456789"), 0xc78a_b0e5);
}

#[test]
fn tfrecord_framing_kept_or_stripped() {
    let mut data = tfrecord_frame(b"first");
    data.extend(tfrecord_frame(b""));
    data.extend(tfrecord_frame(&[7u8; 300]));
    for chunk in [1, 13, 1000] {
        let stripped = split_all(SplitType::TFRecord, true, &data, chunk).unwrap();
        assert_eq!(datas(&stripped), vec![&b"first"[..], b"", &[7u8; 300][..]]);
        let kept = split_all(SplitType::TFRecord, false, &data, chunk).unwrap();
        assert_eq!(&kept[0].data[..], &tfrecord_frame(b"first")[..]);
    }
}

#[test]
fn tfrecord_corruption_and_truncation_name_the_offset() {
    let first = tfrecord_frame(b"first");
    let mut bad_data = first.clone();
    let mut second = tfrecord_frame(b"second");
    second[14] ^= 0xff;
    bad_data.extend(&second);
    let err = split_all(SplitType::TFRecord, true, &bad_data, 5).unwrap_err();
    assert_eq!(
        err.to_string(),
        "TFRecord data is corrupt at byte offset 21: data CRC mismatch"
    );

    let mut bad_len = first.clone();
    bad_len[0] = 6;
    let err = split_all(SplitType::TFRecord, true, &bad_len, 5).unwrap_err();
    assert_eq!(
        err.to_string(),
        "TFRecord data is corrupt at byte offset 0: length CRC mismatch"
    );

    let err = split_all(SplitType::TFRecord, true, &first[..15], 5).unwrap_err();
    assert_eq!(
        err.to_string(),
        "TFRecord data is truncated: the record at byte offset 0 needs 21 bytes but the object ends after 15"
    );
    let err = split_all(SplitType::TFRecord, true, &first[..5], 5).unwrap_err();
    assert!(matches!(
        err,
        SplitError::Truncated {
            needed: 12,
            available: 5,
            ..
        }
    ));
}

#[test]
fn tfrecord_huge_declared_length_fails_early_with_a_limit() {
    let len = (1u64 << 40).to_le_bytes();
    let mut data = len.to_vec();
    data.extend(masked_crc32c(&len).to_le_bytes());
    let mut s = Splitter::new(SplitType::TFRecord, true).with_max_record(1 << 20);
    assert!(matches!(
        s.push(&data),
        Err(SplitError::TooLarge { index: 0, .. })
    ));
}
