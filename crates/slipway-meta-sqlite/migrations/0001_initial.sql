-- Accounts and their access keys. Secrets are stored because SigV4
-- verification recomputes the HMAC with them.
CREATE TABLE accounts (
    account_id TEXT PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL,
    created    INTEGER NOT NULL
);

CREATE TABLE access_keys (
    access_key_id TEXT PRIMARY KEY NOT NULL,
    secret        TEXT NOT NULL,
    account_id    TEXT NOT NULL REFERENCES accounts(account_id),
    created       INTEGER NOT NULL
);

-- Every control-plane resource: indexed columns for List* filters and
-- sorting, the rest in `document` (JSON owned by the service).
CREATE TABLE resources (
    account    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    key        TEXT NOT NULL,
    name       TEXT NOT NULL,
    name_lower TEXT NOT NULL,
    arn        TEXT NOT NULL,
    status     TEXT NOT NULL,
    created    INTEGER NOT NULL,
    modified   INTEGER NOT NULL,
    parent     TEXT,
    version    INTEGER,
    approval   TEXT,
    revision   INTEGER NOT NULL,
    document   TEXT NOT NULL,
    -- The idempotency token of the create that made this record, if any.
    client_token TEXT,
    -- What listings show, as a small JSON document (NULL: use `document`).
    summary    TEXT,
    PRIMARY KEY (account, kind, key)
);
CREATE INDEX resources_by_created ON resources (account, kind, created, key);
CREATE INDEX resources_by_name ON resources (account, kind, name, key);
CREATE INDEX resources_by_status ON resources (kind, status);
CREATE INDEX resources_by_parent ON resources (account, kind, parent, version);
CREATE UNIQUE INDEX resources_by_client_token ON resources (account, kind, client_token)
    WHERE client_token IS NOT NULL;

CREATE TABLE tags (
    arn   TEXT NOT NULL,
    key   TEXT NOT NULL,
    value TEXT NOT NULL,
    seq   INTEGER NOT NULL,
    PRIMARY KEY (arn, key)
);

-- The last version handed out per parent, so versions are never reused
-- after the newest one is deleted (AWS keeps counting).
CREATE TABLE version_counters (
    account TEXT NOT NULL,
    kind    TEXT NOT NULL,
    parent  TEXT NOT NULL,
    last    INTEGER NOT NULL,
    PRIMARY KEY (account, kind, parent)
);
