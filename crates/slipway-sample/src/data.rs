//! CSV channel data: label in the first column, numeric features after it.
//!
//! Everything under a channel directory is read recursively in sorted order,
//! because the platform keeps S3 key paths (`train/part/0001.csv`) when it
//! downloads a channel. Errors name the file and line so a seller (or a
//! test reading FailureReason) can find the bad record.

use crate::linreg::Dataset;
use std::path::{Path, PathBuf};

/// Parses one CSV line of numbers. `Err` says which column is wrong.
/// Surrounding spaces and double quotes around a field are tolerated.
pub fn parse_numbers(line: &str) -> Result<Vec<f64>, String> {
    line.split(',')
        .enumerate()
        .map(|(i, field)| {
            let f = field.trim().trim_matches('"').trim();
            match f.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(v),
                Ok(_) => Err(format!("column {} ({f:?}) is not a finite number", i + 1)),
                Err(_) => Err(format!("column {} ({f:?}) is not a number", i + 1)),
            }
        })
        .collect()
}

/// All regular files under `dir`, recursively, sorted by path.
pub fn files_under(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        let entries =
            std::fs::read_dir(&d).map_err(|e| format!("cannot list {}: {e}", d.display()))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("cannot list {}: {e}", d.display()))?;
            let path = entry.path();
            // metadata() follows symlinks: a linked file counts as a file.
            let meta = std::fs::metadata(&path)
                .map_err(|e| format!("cannot stat {}: {e}", path.display()))?;
            if meta.is_dir() {
                pending.push(path);
            } else if meta.is_file() {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Reads every file of a channel into one dataset. A first line that is not
/// numeric is taken as a header and skipped; blank lines are skipped.
pub fn load_channel(dir: &Path) -> Result<Dataset, String> {
    let mut data = Dataset::default();
    let files = files_under(dir)?;
    if files.is_empty() {
        return Err(format!(
            "channel directory {} holds no files",
            dir.display()
        ));
    }
    for file in files {
        let text = std::fs::read_to_string(&file)
            .map_err(|e| format!("cannot read {} as UTF-8 text: {e}", file.display()))?;
        let shown = file
            .strip_prefix(dir)
            .unwrap_or(&file)
            .display()
            .to_string();
        append_records(&mut data, &text, &shown)?;
    }
    if data.is_empty() {
        return Err(format!(
            "channel directory {} holds no records",
            dir.display()
        ));
    }
    Ok(data)
}

/// Appends the CSV records of `text` (named `shown` in errors). A first
/// line that is not numeric is a header.
pub fn append_records(data: &mut Dataset, text: &str, shown: &str) -> Result<(), String> {
    for (idx, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let row = match parse_numbers(line) {
            Ok(row) => row,
            Err(_) if idx == 0 => continue, // header
            Err(e) => return Err(format!("{shown} line {}: {e}", idx + 1)),
        };
        if row.len() < 2 {
            return Err(format!(
                "{shown} line {}: need a label and at least one feature, got {} column(s)",
                idx + 1,
                row.len()
            ));
        }
        let width = row.len() - 1;
        if !data.is_empty() && width != data.width() {
            return Err(format!(
                "{shown} line {}: {width} feature(s), but earlier records have {}",
                idx + 1,
                data.width()
            ));
        }
        data.labels.push(row[0]);
        data.features.push(row[1..].to_vec());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_numbers_with_quotes_and_spaces() {
        assert_eq!(
            parse_numbers(" 1, \"2.5\" ,-3e1").unwrap(),
            vec![1.0, 2.5, -30.0]
        );
        let err = parse_numbers("1,x").unwrap_err();
        assert!(err.contains("column 2"), "{err}");
        assert!(parse_numbers("1,inf").unwrap_err().contains("finite"));
    }

    #[test]
    fn loads_nested_files_skipping_headers_and_blank_lines() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("part/b")).unwrap();
        std::fs::write(dir.path().join("a.csv"), "y,x1,x2\n1,2,3\n\n4,5,6\n").unwrap();
        std::fs::write(dir.path().join("part/b/c.csv"), "7,8,9\n").unwrap();
        let data = load_channel(dir.path()).unwrap();
        assert_eq!(data.labels, vec![1.0, 4.0, 7.0]);
        assert_eq!(data.features[2], vec![8.0, 9.0]);
    }

    #[test]
    fn bad_record_names_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("d.csv"), "1,2\n3,oops\n").unwrap();
        let err = load_channel(dir.path()).unwrap_err();
        assert!(err.contains("d.csv line 2"), "{err}");
        std::fs::write(dir.path().join("d.csv"), "1,2\n3,4,5\n").unwrap();
        let err = load_channel(dir.path()).unwrap_err();
        assert!(err.contains("earlier records have 1"), "{err}");
    }
}
