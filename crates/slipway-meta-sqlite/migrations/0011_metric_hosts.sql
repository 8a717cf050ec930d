-- Training metrics per host: a distributed training job's hosts (algo-1 …
-- algo-N) each have their own series (CloudWatch's `Host=<job>/algo-N`),
-- and each host's log numbers its own lines, so the host is part of the
-- key. SQLite cannot change a primary key in place: the table is copied
-- into one with the new key. Every point stored before this migration came
-- from algo-1 (the only host whose log was parsed), hence host 1.
CREATE TABLE metric_points_by_host (
    account   TEXT NOT NULL,
    job       TEXT NOT NULL,
    host      INTEGER NOT NULL,
    metric    TEXT NOT NULL,
    line      INTEGER NOT NULL,
    timestamp INTEGER NOT NULL,
    value     REAL NOT NULL,
    PRIMARY KEY (account, job, host, metric, line)
) WITHOUT ROWID;
INSERT INTO metric_points_by_host (account, job, host, metric, line, timestamp, value)
    SELECT account, job, 1, metric, line, timestamp, value FROM metric_points;
DROP TABLE metric_points;
ALTER TABLE metric_points_by_host RENAME TO metric_points;
CREATE INDEX metric_points_by_time ON metric_points (account, job, host, metric, timestamp, line);
