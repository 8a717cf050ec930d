-- Job logs (CloudWatch Logs subset). Times are epoch milliseconds. No
-- foreign keys, as in 0002: the adapter checks parents and deletes
-- children inside its (single-writer) transactions.

CREATE TABLE log_groups (
    id      INTEGER PRIMARY KEY,
    account TEXT NOT NULL,
    name    TEXT NOT NULL,
    created INTEGER NOT NULL,
    UNIQUE (account, name)
);

-- `last_seq` numbers the stream's events (1, 2, ...), so events with equal
-- timestamps keep their append order. `last_event` is NULL until the first
-- event; the listing index orders those first (-1).
CREATE TABLE log_streams (
    id             INTEGER PRIMARY KEY,
    group_id       INTEGER NOT NULL,
    name           TEXT NOT NULL,
    created        INTEGER NOT NULL,
    first_event    INTEGER,
    last_event     INTEGER,
    last_ingestion INTEGER,
    stored_bytes   INTEGER NOT NULL DEFAULT 0,
    last_seq       INTEGER NOT NULL DEFAULT 0,
    UNIQUE (group_id, name)
);
CREATE INDEX log_streams_by_last_event
    ON log_streams (group_id, COALESCE(last_event, -1), name);

-- Keyed for GetLogEvents (one stream in time order); the second index
-- serves FilterLogEvents (a whole group in (time, stream, seq) order).
CREATE TABLE log_events (
    stream_id INTEGER NOT NULL,
    timestamp INTEGER NOT NULL,
    seq       INTEGER NOT NULL,
    group_id  INTEGER NOT NULL,
    ingestion INTEGER NOT NULL,
    message   TEXT NOT NULL,
    PRIMARY KEY (stream_id, timestamp, seq)
) WITHOUT ROWID;
CREATE INDEX log_events_by_group ON log_events (group_id, timestamp, stream_id, seq);
