-- Training-job metrics (the CloudWatch metrics subset): every value a
-- job's MetricDefinitions matched, keyed by the log line it came from so a
-- re-read line after a restart is not stored twice. Times are epoch
-- milliseconds.
CREATE TABLE metric_points (
    account   TEXT NOT NULL,
    job       TEXT NOT NULL,
    metric    TEXT NOT NULL,
    line      INTEGER NOT NULL,
    timestamp INTEGER NOT NULL,
    value     REAL NOT NULL,
    PRIMARY KEY (account, job, metric, line)
) WITHOUT ROWID;
CREATE INDEX metric_points_by_time ON metric_points (account, job, metric, timestamp, line);
