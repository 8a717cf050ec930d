#![allow(clippy::unwrap_used)] // tests may unwrap (STYLE 6)

use super::*;
use slipway_core::ports::clock::Clock;
use slipway_core::time_util::Micros;
use slipway_meta_sqlite::SqliteStore;

/// 2026-12-01T00:00:00Z, a whole hour.
const T0: i64 = 1_795_996_800_000;

/// A clock standing still an hour after [`T0`].
struct FixedClock(Micros);

impl Clock for FixedClock {
    fn now_micros(&self) -> Micros {
        self.0
    }
    fn wall_micros(&self) -> Micros {
        self.0
    }
}

struct Fixture {
    _dir: tempfile::TempDir,
    store: SqliteStore,
    clock: FixedClock,
    account: AccountId,
}

impl Fixture {
    async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).await.unwrap();
        let clock = FixedClock((T0 + 3_600_000) * 1_000);
        Self {
            _dir: dir,
            store,
            clock,
            account: AccountId::random(),
        }
    }

    fn metrics(&self) -> Metrics<'_> {
        Metrics::new(&self.store, &self.clock)
    }

    /// `train:mse` values one per 20 s from T0: 10, 9, 8, ... (algo-1's).
    async fn epochs(&self, job: &str, n: u64) {
        self.host_epochs(job, PRIMARY_HOST, n, 10.0).await;
    }

    /// `train:mse` values of one host, one per 20 s from T0: `from`,
    /// `from - 1`, ...
    async fn host_epochs(&self, job: &str, host: HostNumber, n: u64, from: f64) {
        let samples: Vec<_> = (0..n)
            .map(|i| MetricSample {
                metric: "train:mse".into(),
                line: i + 1,
                timestamp_ms: T0 + i as i64 * 20_000,
                value: from - i as f64,
            })
            .collect();
        self.metrics()
            .append(&self.account, job, host, &samples)
            .await
            .unwrap();
    }
}

fn by_job(job: &str) -> MetricId {
    MetricId {
        namespace: NAMESPACE.into(),
        metric_name: "train:mse".into(),
        dimensions: vec![(JOB_DIMENSION.into(), job.into())],
    }
}

fn by_host(value: &str) -> MetricId {
    MetricId {
        dimensions: vec![(HOST_DIMENSION.into(), value.into())],
        ..by_job("unused")
    }
}

fn stats_query(metric: MetricId, period_s: i64) -> StatisticsQuery {
    StatisticsQuery {
        metric,
        start_ms: T0 + 5_000,
        end_ms: T0 + 600_000,
        period_s,
        statistics: vec!["Average".into(), "Maximum".into(), "SampleCount".into()],
        extended_statistics: vec![],
        unit: None,
    }
}

#[tokio::test]
async fn statistics_per_minute_from_the_rounded_start() {
    let f = Fixture::new().await;
    f.epochs("job", 6).await; // T0+0,20,40 | 60,80,100 s
    let dps = f
        .metrics()
        .statistics(&f.account, &stats_query(by_job("job"), 60))
        .await
        .unwrap();
    assert_eq!(dps.len(), 2);
    assert_eq!(dps[0].timestamp_ms, T0);
    assert_eq!(
        dps[0].statistics,
        [
            (Statistic::Average, 9.0),
            (Statistic::Maximum, 10.0),
            (Statistic::SampleCount, 3.0)
        ]
    );
    assert_eq!(dps[1].statistics[0], (Statistic::Average, 6.0));
    // The Host dimension names the same series; other names name nothing.
    let host = MetricId {
        dimensions: vec![(HOST_DIMENSION.into(), "job/algo-1".into())],
        ..by_job("job")
    };
    let same = f
        .metrics()
        .statistics(&f.account, &stats_query(host, 60))
        .await
        .unwrap();
    assert_eq!(same, dps);
    for other in [
        MetricId {
            namespace: "AWS/EC2".into(),
            ..by_job("job")
        },
        MetricId {
            dimensions: vec![],
            ..by_job("job")
        },
        by_job("other"),
    ] {
        let none = f
            .metrics()
            .statistics(&f.account, &stats_query(other, 60))
            .await
            .unwrap();
        assert!(none.is_empty());
    }
    // Another account sees nothing.
    let stranger = AccountId::random();
    let none = f
        .metrics()
        .statistics(&stranger, &stats_query(by_job("job"), 60))
        .await
        .unwrap();
    assert!(none.is_empty());
    // Percentiles.
    let mut q = stats_query(by_job("job"), 120);
    q.statistics.clear();
    q.extended_statistics = vec!["p50".into()];
    let dps = f.metrics().statistics(&f.account, &q).await.unwrap();
    assert_eq!(dps[0].extended, [("p50".to_owned(), 7.0)]);
}

#[tokio::test]
async fn statistics_requests_are_checked_like_cloudwatch() {
    let f = Fixture::new().await;
    let m = f.metrics();
    let err = |q: StatisticsQuery| {
        let m = &m;
        let a = f.account.clone();
        async move { m.statistics(&a, &q).await.unwrap_err() }
    };
    let mut q = stats_query(by_job("j"), 60);
    q.statistics.clear();
    assert!(matches!(err(q).await, MetricsError::MissingParameter(_)));
    let mut q = stats_query(by_job("j"), 60);
    q.extended_statistics = vec!["p90".into()];
    assert!(matches!(
        err(q).await,
        MetricsError::InvalidParameterCombination(_)
    ));
    let q = stats_query(by_job("j"), 45);
    assert!(
        matches!(err(q).await, MetricsError::InvalidParameterValue(m) if m.contains("multiple of 60"))
    );
    let mut q = stats_query(by_job("j"), 60);
    q.end_ms = q.start_ms;
    assert!(
        matches!(err(q).await, MetricsError::InvalidParameterValue(m) if m.contains("StartTime"))
    );
    let mut q = stats_query(by_job("j"), 1);
    q.end_ms = T0 + 2_000_000;
    let e = err(q).await;
    assert!(
        matches!(&e, MetricsError::InvalidParameterCombination(m) if m.contains("exceeds the limit of 1,440")),
        "{e}"
    );
    let mut q = stats_query(by_job("j"), 60);
    q.extended_statistics = vec!["p101".into()];
    q.statistics.clear();
    assert!(matches!(
        err(q).await,
        MetricsError::InvalidParameterValue(_)
    ));
}

fn stat_query(id: &str, stat: &str, period_s: i64) -> MetricQuery {
    MetricQuery {
        id: id.into(),
        label: None,
        return_data: true,
        stat: Some(StatQuery {
            metric: by_job("job"),
            period_s,
            stat: stat.into(),
            unit: None,
        }),
        expression: None,
    }
}

#[tokio::test]
async fn metric_data_pages_by_datapoints_newest_first() {
    let f = Fixture::new().await;
    f.epochs("job", 6).await;
    let mut q = DataQuery {
        queries: vec![stat_query("a", "Average", 20), stat_query("b", "Sum", 60)],
        start_ms: T0,
        end_ms: T0 + 600_000,
        ascending: false,
        max_datapoints: Some(4),
        next_token: None,
    };
    let page = f.metrics().data(&f.account, &q).await.unwrap();
    assert_eq!(page.results[0].values, [10.0 - 5.0, 6.0, 7.0, 8.0]);
    assert!(!page.results[0].complete);
    assert!(page.results[1].values.is_empty());
    q.next_token = page.next_token;
    let page = f.metrics().data(&f.account, &q).await.unwrap();
    assert_eq!(page.results[0].values, [9.0, 10.0]);
    assert!(page.results[0].complete);
    assert_eq!(page.results[1].values, [18.0, 27.0]);
    assert_eq!(page.results[1].timestamps_ms, [T0 + 60_000, T0]);
    assert!(page.next_token.is_none());

    q.next_token = Some("garbage".into());
    assert!(matches!(
        f.metrics().data(&f.account, &q).await.unwrap_err(),
        MetricsError::InvalidNextToken(_)
    ));
    q.next_token = None;
    q.queries[1].id = "a".into();
    assert!(f.metrics().data(&f.account, &q).await.is_err());
    q.queries[1] = MetricQuery {
        stat: None,
        expression: Some("SUM(METRICS())".into()),
        ..stat_query("e", "Average", 60)
    };
    assert!(matches!(
        f.metrics().data(&f.account, &q).await.unwrap_err(),
        MetricsError::InvalidParameterValue(_)
    ));
}

#[tokio::test]
async fn list_metrics_filters_and_pages() {
    let f = Fixture::new().await;
    for i in 0..300 {
        f.epochs(&format!("job-{i:03}"), 1).await;
    }
    let m = f.metrics();
    let mut q = ListQuery::default();
    let first = m.list(&f.account, &q).await.unwrap();
    assert_eq!(first.metrics.len(), 500);
    q.next_token = first.next_token;
    let second = m.list(&f.account, &q).await.unwrap();
    assert_eq!(second.metrics.len(), 100);
    assert!(second.next_token.is_none());
    let one = m
        .list(
            &f.account,
            &ListQuery {
                dimensions: vec![DimensionFilter {
                    name: JOB_DIMENSION.into(),
                    value: Some("job-007".into()),
                }],
                ..ListQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(one.metrics, [by_job("job-007")]);
    let hosts = m
        .list(
            &f.account,
            &ListQuery {
                namespace: Some(NAMESPACE.into()),
                metric_name: Some("train:mse".into()),
                dimensions: vec![DimensionFilter {
                    name: HOST_DIMENSION.into(),
                    value: None,
                }],
                ..ListQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(hosts.metrics.len(), 300);
    let stranger = m
        .list(&AccountId::random(), &ListQuery::default())
        .await
        .unwrap();
    assert!(stranger.metrics.is_empty());
}

#[tokio::test]
async fn each_host_has_its_own_series_and_the_job_name_is_algo_1s() {
    let f = Fixture::new().await;
    f.host_epochs("job", 1, 3, 10.0).await; // 10, 9, 8
    f.host_epochs("job", 2, 3, 100.0).await; // 100, 99, 98
    let m = f.metrics();
    let average = |dps: Vec<Datapoint>| dps[0].statistics[0].1;
    let of = |metric| async { m.statistics(&f.account, &stats_query(metric, 60)).await };
    assert_eq!(average(of(by_host("job/algo-2")).await.unwrap()), 99.0);
    assert_eq!(average(of(by_host("job/algo-1")).await.unwrap()), 9.0);
    assert_eq!(average(of(by_job("job")).await.unwrap()), 9.0);
    // Hosts the job does not have, and values that are not host names.
    for value in [
        "job/algo-3",
        "job/algo-02",
        "job/algo-",
        "job/algo-x",
        "job",
        "/algo-1",
    ] {
        assert!(of(by_host(value)).await.unwrap().is_empty(), "{value}");
    }
    // GetMetricData by host.
    let mut q2 = stat_query("second", "Maximum", 60);
    q2.stat = Some(StatQuery {
        metric: by_host("job/algo-2"),
        ..q2.stat.unwrap()
    });
    let page = m
        .data(
            &f.account,
            &DataQuery {
                queries: vec![q2],
                start_ms: T0,
                end_ms: T0 + 600_000,
                ascending: true,
                max_datapoints: None,
                next_token: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(page.results[0].values, [100.0]);
    // ListMetrics: a Host name per host, the job's name once.
    let listed = m
        .list(
            &f.account,
            &ListQuery {
                dimensions: vec![DimensionFilter {
                    name: JOB_DIMENSION.into(),
                    value: None,
                }],
                ..ListQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(listed.metrics, [by_job("job")]);
    let hosts: Vec<_> = m
        .list(&f.account, &ListQuery::default())
        .await
        .unwrap()
        .metrics
        .into_iter()
        .map(|m| m.dimensions)
        .collect();
    let dim = |n: &str, v: &str| vec![(n.to_owned(), v.to_owned())];
    assert_eq!(
        hosts,
        [
            dim(HOST_DIMENSION, "job/algo-1"),
            dim(JOB_DIMENSION, "job"),
            dim(HOST_DIMENSION, "job/algo-2"),
        ]
    );
    // A Host filter pins the job (and the host).
    let second = m
        .list(
            &f.account,
            &ListQuery {
                dimensions: vec![DimensionFilter {
                    name: HOST_DIMENSION.into(),
                    value: Some("job/algo-2".into()),
                }],
                ..ListQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(second.metrics, [by_host("job/algo-2")]);
}

#[test]
fn host_names_parse_as_the_platform_writes_them() {
    assert_eq!(parse_host("my-job/algo-12"), Some(("my-job", 12)));
    assert_eq!(host_value("my-job", 3), "my-job/algo-3");
    for bad in [
        "my-job/algo-0",
        "my-job/algo-+1",
        "my-job/algo-1 ",
        "my-job/host-1",
        "algo-1",
    ] {
        assert_eq!(parse_host(bad), None, "{bad}");
    }
}

#[test]
fn counts_are_written_with_thousands_separators() {
    assert_eq!(thousands(1_440), "1,440");
    assert_eq!(thousands(999), "999");
    assert_eq!(thousands(1_234_567), "1,234,567");
}
