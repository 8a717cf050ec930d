-- The latest vulnerability scan of each image (ECR StartImageScan /
-- DescribeImageScanFindings). `status` is IN_PROGRESS, COMPLETE or
-- FAILED; times are microseconds since the epoch; `severity_counts` is a
-- JSON object (severity -> count) and `findings` the JSON list of the
-- findings in the order the scanner reported them.
CREATE TABLE image_scans (
    account         TEXT NOT NULL,
    repo            TEXT NOT NULL,
    digest          TEXT NOT NULL,
    status          TEXT NOT NULL,
    description     TEXT,
    started         INTEGER NOT NULL,
    completed       INTEGER,
    source_updated  INTEGER,
    severity_counts TEXT NOT NULL,
    findings        TEXT NOT NULL,
    PRIMARY KEY (account, repo, digest)
) WITHOUT ROWID;
CREATE INDEX image_scans_by_status ON image_scans (status);

-- A scan belongs to its manifest: deleting the manifest (also when its
-- repository is deleted) deletes the scan, so a later push of the same
-- digest starts without one.
CREATE TRIGGER image_scans_follow_manifests AFTER DELETE ON manifests
BEGIN
    DELETE FROM image_scans
    WHERE account = old.account AND repo = old.repo AND digest = old.digest;
END;
