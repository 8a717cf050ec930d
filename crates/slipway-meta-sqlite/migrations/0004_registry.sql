-- Image registry metadata. Blob bytes live in the blob store; `blobs`
-- maps a content digest to the segments holding it, once for every
-- repository (deduplication). A repository may serve a blob only through
-- a `repo_blobs` link, so knowing a digest never grants access to it.
-- Repositories are keyed by (account, name): one account's names never
-- reach another's.

CREATE TABLE repositories (
    account       TEXT NOT NULL,
    name          TEXT NOT NULL,
    created       INTEGER NOT NULL,
    tags_mutable  INTEGER NOT NULL,
    scan_on_push  INTEGER NOT NULL,
    PRIMARY KEY (account, name)
) WITHOUT ROWID;

-- `segments` is the JSON list of {blob, size}, in order.
CREATE TABLE registry_blobs (
    digest   TEXT PRIMARY KEY NOT NULL,
    size     INTEGER NOT NULL,
    segments TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE repo_blobs (
    account TEXT NOT NULL,
    repo    TEXT NOT NULL,
    digest  TEXT NOT NULL,
    PRIMARY KEY (account, repo, digest)
) WITHOUT ROWID;
CREATE INDEX repo_blobs_by_digest ON repo_blobs (digest);

-- `body` is the manifest exactly as pushed; `refs` the JSON list of the
-- digests it names.
CREATE TABLE manifests (
    account    TEXT NOT NULL,
    repo       TEXT NOT NULL,
    digest     TEXT NOT NULL,
    media_type TEXT NOT NULL,
    body       BLOB NOT NULL,
    subject    TEXT,
    refs       TEXT NOT NULL,
    pushed     INTEGER NOT NULL,
    PRIMARY KEY (account, repo, digest)
) WITHOUT ROWID;
CREATE INDEX manifests_by_subject ON manifests (account, repo, subject);

CREATE TABLE image_tags (
    account TEXT NOT NULL,
    repo    TEXT NOT NULL,
    tag     TEXT NOT NULL,
    digest  TEXT NOT NULL,
    PRIMARY KEY (account, repo, tag)
) WITHOUT ROWID;
CREATE INDEX image_tags_by_digest ON image_tags (account, repo, digest);

CREATE TABLE blob_uploads (
    id       TEXT PRIMARY KEY NOT NULL,
    account  TEXT NOT NULL,
    repo     TEXT NOT NULL,
    started  INTEGER NOT NULL,
    size     INTEGER NOT NULL,
    segments TEXT NOT NULL
) WITHOUT ROWID;
