-- Temporary credentials (STS GetSessionToken / AssumeRole). Kept across
-- restarts like account keys; rows past `expires` are refused and purged.
CREATE TABLE sessions (
    access_key_id TEXT PRIMARY KEY NOT NULL,
    secret        TEXT NOT NULL,
    session_token TEXT NOT NULL,
    account_id    TEXT NOT NULL REFERENCES accounts(account_id),
    expires       INTEGER NOT NULL,
    principal_arn TEXT NOT NULL,
    user_id       TEXT NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions (expires);

-- IAM roles, per account; names are unique without regard to case.
CREATE TABLE roles (
    account_id  TEXT NOT NULL,
    name_lower  TEXT NOT NULL,
    name        TEXT NOT NULL,
    path        TEXT NOT NULL,
    role_id     TEXT NOT NULL,
    arn         TEXT NOT NULL,
    trust       TEXT NOT NULL,
    description TEXT,
    max_session INTEGER NOT NULL,
    created     INTEGER NOT NULL,
    -- [[key, value], ...] as JSON.
    tags        TEXT NOT NULL,
    PRIMARY KEY (account_id, name_lower)
);

-- Managed policies attached to roles, in attachment order (`seq`).
CREATE TABLE role_policies (
    account_id TEXT NOT NULL,
    name_lower TEXT NOT NULL,
    policy_arn TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    PRIMARY KEY (account_id, name_lower, policy_arn),
    FOREIGN KEY (account_id, name_lower) REFERENCES roles(account_id, name_lower)
);
