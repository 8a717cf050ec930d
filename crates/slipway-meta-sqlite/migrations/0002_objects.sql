-- Object storage (S3) metadata. Object bytes live in the blob store; rows
-- name the blobs. Keys are TEXT with the BINARY collation, so they order
-- by their UTF-8 bytes, as S3 lists them. No foreign keys: the adapter
-- checks parents inside its (single-writer) transactions.

CREATE TABLE buckets (
    name    TEXT PRIMARY KEY NOT NULL,
    owner   TEXT NOT NULL,
    region  TEXT NOT NULL,
    created INTEGER NOT NULL
);
CREATE INDEX buckets_by_owner ON buckets (owner, name);

-- `meta` is the JSON of ObjectMeta, `segments` the JSON list of
-- {blob, size} making up the object, in order.
CREATE TABLE objects (
    bucket        TEXT NOT NULL,
    key           TEXT NOT NULL,
    size          INTEGER NOT NULL,
    etag          TEXT NOT NULL,
    last_modified INTEGER NOT NULL,
    meta          TEXT NOT NULL,
    segments      TEXT NOT NULL,
    PRIMARY KEY (bucket, key)
) WITHOUT ROWID;

CREATE TABLE uploads (
    upload_id TEXT PRIMARY KEY NOT NULL,
    bucket    TEXT NOT NULL,
    key       TEXT NOT NULL,
    initiated INTEGER NOT NULL,
    meta      TEXT NOT NULL
);
CREATE INDEX uploads_by_bucket ON uploads (bucket, key, upload_id);

CREATE TABLE parts (
    upload_id     TEXT NOT NULL,
    part_number   INTEGER NOT NULL,
    size          INTEGER NOT NULL,
    etag          TEXT NOT NULL,
    blob          TEXT NOT NULL,
    last_modified INTEGER NOT NULL,
    PRIMARY KEY (upload_id, part_number)
) WITHOUT ROWID;
