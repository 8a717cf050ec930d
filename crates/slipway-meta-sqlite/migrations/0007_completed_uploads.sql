-- What each completed multipart upload answered, so that a retried
-- CompleteMultipartUpload gets the same answer (docs/s3.md). `parts` is
-- the JSON list of [part number, etag] the completion named. Rows are
-- forgotten a while after `completed`, and with their bucket.
CREATE TABLE completed_uploads (
    upload_id TEXT PRIMARY KEY NOT NULL,
    bucket    TEXT NOT NULL,
    key       TEXT NOT NULL,
    etag      TEXT NOT NULL,
    parts     TEXT NOT NULL,
    completed INTEGER NOT NULL
);
CREATE INDEX completed_uploads_by_time ON completed_uploads (completed);
CREATE INDEX completed_uploads_by_bucket ON completed_uploads (bucket);
