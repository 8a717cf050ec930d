use super::*;

const SEC: i64 = 1_000_000;

fn record(kind: UsageKindDoc, start: Micros, end: Micros, count: u32, units: u64) -> UsageRecord {
    UsageRecord {
        id: "run".into(),
        user: AccountId::parse("111122223333").unwrap(),
        seller: AccountId::parse("444455556666").unwrap(),
        sellers_own: false,
        product_id: "prod-abc".into(),
        version_id: "ver-1".into(),
        agreement_id: Some("agmt-1".into()),
        copy_arn: "arn".into(),
        kind,
        dimension: "ml.m5.large.m.i.r".into(),
        instance_type: "ml.m5.large".into(),
        instance_count: count,
        start,
        end,
        units,
        resource_arn: "arn:aws:sagemaker:us-east-1:111122223333:endpoint/e".into(),
        currency: "USD".into(),
        price: 1.2,
    }
}

#[test]
fn a_started_minute_counts_whole() {
    assert_eq!(billed_minutes(0, 0), 0);
    assert_eq!(billed_minutes(0, 1), 1);
    assert_eq!(billed_minutes(0, 60 * SEC), 1);
    assert_eq!(billed_minutes(0, 60 * SEC + 1), 2);
    assert_eq!(billed_minutes(10 * SEC, 190 * SEC), 3);
    // A clock that went backwards bills nothing rather than a negative.
    assert_eq!(billed_minutes(100 * SEC, 50 * SEC), 0);
}

#[test]
fn hours_are_prorated_per_minute_and_per_instance() {
    // 3 min 5 s on two instances: 4 started minutes each = 8/60 h.
    let l = UsageLine::of(record(UsageKindDoc::Realtime, 0, 185 * SEC, 2, 0));
    assert_eq!(l.unit, "Hrs");
    assert!((l.quantity - 8.0 / 60.0).abs() < 1e-12, "{}", l.quantity);
    assert!((l.amount - 8.0 / 60.0 * 1.2).abs() < 1e-12);
    assert_eq!(l.duration_seconds, 185);
}

#[test]
fn inference_counts_are_priced_per_unit_and_the_sellers_own_use_is_free() {
    let mut r = record(UsageKindDoc::Inference, 0, 10 * SEC, 1, 7);
    r.price = 0.01;
    let l = UsageLine::of(r.clone());
    assert_eq!((l.quantity, l.unit), (7.0, "Count"));
    assert!((l.amount - 0.07).abs() < 1e-12);
    r.sellers_own = true;
    assert_eq!(UsageLine::of(r).amount, 0.0);
}

#[test]
fn dimensions_follow_the_pricing_keys() {
    let t = "ml.m5.large";
    assert_eq!(
        dimension(SourceKind::ModelPackage, UsageKind::Realtime, t),
        "ml.m5.large.m.i.r"
    );
    assert_eq!(
        dimension(SourceKind::ModelPackage, UsageKind::Transform, t),
        "ml.m5.large.m.i.b"
    );
    assert_eq!(
        dimension(SourceKind::Algorithm, UsageKind::Training, t),
        "ml.m5.large.a.t"
    );
    assert_eq!(
        dimension(SourceKind::Algorithm, UsageKind::Realtime, t),
        "ml.m5.large.a.i.r"
    );
    assert_eq!(
        dimension(SourceKind::Algorithm, UsageKind::Inference, t),
        "a.i.c"
    );
    assert_eq!(
        dimension(SourceKind::ModelPackage, UsageKind::Inference, t),
        "m.i.c"
    );
}

#[test]
fn later_reports_move_the_end_forward_and_add_inferences() {
    let usage = |kind, end, units| Usage {
        id: "run".into(),
        user: AccountId::parse("111122223333").unwrap(),
        copy_arn: "arn".into(),
        kind,
        instance_type: String::new(),
        instance_count: 1,
        start: 0,
        end,
        units,
        resource_arn: String::new(),
    };
    let mut r = record(UsageKindDoc::Realtime, 0, 100 * SEC, 1, 0);
    merge(&mut r, &usage(UsageKind::Realtime, 50 * SEC, 0));
    assert_eq!(r.end, 100 * SEC, "a stale report never shortens a run");
    merge(&mut r, &usage(UsageKind::Realtime, 160 * SEC, 0));
    assert_eq!(r.end, 160 * SEC);
    let mut c = record(UsageKindDoc::Inference, 0, 10 * SEC, 1, 3);
    merge(&mut c, &usage(UsageKind::Inference, 20 * SEC, 4));
    assert_eq!((c.units, c.end), (7, 20 * SEC));
}

#[test]
fn csv_quotes_and_defuses_what_it_must() {
    let mut r = record(UsageKindDoc::Realtime, 0, 60 * SEC, 1, 0);
    r.resource_arn = "=HYPERLINK(\"x\"),y".into();
    let csv = usage_csv(&[UsageLine::of(r)]);
    let mut rows = csv.split("\r\n");
    assert_eq!(rows.next(), Some(CSV_HEADER));
    let row = rows.next().unwrap();
    assert!(row.starts_with("prod-abc,agmt-1,111122223333,444455556666,false,RealTimeInference,ml.m5.large.m.i.r,ml.m5.large,1,1970-01-01T00:00:00Z,1970-01-01T00:01:00Z,60,0.016667,Hrs,1.2,USD,0.020000,"), "{row}");
    assert!(row.ends_with(",\"'=HYPERLINK(\"\"x\"\"),y\""), "{row}");
    assert_eq!(csv_field("-1.5"), "-1.5", "numbers stay numbers");
}
