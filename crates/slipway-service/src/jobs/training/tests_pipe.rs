//! Pipe-mode channels whose data fails mid-stream (docs/jobs.md "Pipe
//! mode") on the simulated engine. Real time: the container's reader is an
//! OS thread reading the real FIFO.

use super::state::status;
use crate::testkit::{Script, TestService};
use serde_json::json;
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const IMAGE: &str = "sim/pipe:1";

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).expect("gzip");
    e.finish().expect("gzip")
}

/// A Pipe job on `hosts` hosts of a Gzip channel under `s3://bucket/train/`.
fn request(t: &TestService, name: &str, hosts: i64, distribution: &str) -> serde_json::Value {
    json!({
        "TrainingJobName": name,
        "RoleArn": t.role_arn,
        "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "Pipe"},
        "InputDataConfig": [{"ChannelName": "train", "CompressionType": "Gzip",
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                "S3Uri": "s3://bucket/train/", "S3DataDistributionType": distribution}}}],
        "OutputDataConfig": {"S3OutputPath": "s3://bucket/output"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": hosts, "VolumeSizeInGB": 5},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
    })
}

/// What the container's reader of `train_0` got, and whether it saw the end.
#[derive(Default)]
struct Read0 {
    bytes: Vec<u8>,
    ended: bool,
}

#[tokio::test]
async fn a_corrupt_gzip_object_mid_stream_fails_the_job_and_stops_the_container() {
    let read = Arc::new(Mutex::new(Read0::default()));
    let seen = read.clone();
    let script = Script::ok().hangs().on_start(move |s| {
        let Some(path) = s.host_path("/opt/ml/input/data/train_0") else {
            return;
        };
        let seen = seen.clone();
        std::thread::spawn(move || {
            let Ok(mut fifo) = std::fs::File::open(path) else {
                return;
            };
            let mut buf = [0u8; 8192];
            loop {
                let n = fifo.read(&mut buf).unwrap_or(0);
                let mut r = seen.lock().unwrap_or_else(|p| p.into_inner());
                if n == 0 {
                    r.ended = true;
                    return;
                }
                r.bytes.extend_from_slice(&buf[..n]);
            }
        });
    });
    let t = TestService::start().await;
    t.engine.add_image(IMAGE, script);
    t.put("bucket", "train/a.gz", gz(&vec![b'a'; 50_000])).await;
    let mut bad = gz(&vec![b'b'; 50_000]);
    bad.truncate(bad.len() / 2);
    bad.extend_from_slice(&[0xff; 64]);
    t.put("bucket", "train/b.gz", bad).await;
    let req = request(&t, "piped", 1, "FullyReplicated");
    super::tests_distributed::create(&t, req)
        .await
        .expect("created");
    let job = t.training_done("piped").await;
    assert_eq!(job.record.status, status::FAILED);
    let reason = job.doc.state.failure_reason.clone().unwrap_or_default();
    assert!(
        reason.starts_with(
            "ClientError: Data download failed: channel 'train', object s3://bucket/train/b.gz: reading it failed: "
        ),
        "{reason}"
    );
    // Stopped and removed; the reader had the good object and saw the end
    // only once the job's feeders were gone.
    assert!(t.engine.containers().is_empty());
    for _ in 0..100 {
        if read.lock().unwrap_or_else(|p| p.into_inner()).ended {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let r = read.lock().unwrap_or_else(|p| p.into_inner());
    assert!(r.ended, "the reader is still blocked");
    assert!(r.bytes.starts_with(&vec![b'a'; 50_000]));
}

/// On two hosts, the host whose share failed is named.
#[tokio::test]
async fn a_distributed_job_names_the_host_whose_data_failed() {
    let script = Script::ok().hangs().on_start(|s| {
        let Some(path) = s.host_path("/opt/ml/input/data/train_0") else {
            return;
        };
        std::thread::spawn(move || {
            if let Ok(mut fifo) = std::fs::File::open(path) {
                let _ = std::io::copy(&mut fifo, &mut std::io::sink());
            }
        });
    });
    let t = TestService::start().await;
    t.engine.add_image(IMAGE, script);
    t.put("bucket", "train/a.gz", gz(b"fine")).await;
    let mut bad = gz(&vec![b'b'; 50_000]);
    bad.truncate(bad.len() / 2);
    t.put("bucket", "train/b.gz", bad).await;
    // ShardedByS3Key: algo-1 streams a.gz, algo-2 b.gz.
    let req = request(&t, "piped-two", 2, "ShardedByS3Key");
    super::tests_distributed::create(&t, req)
        .await
        .expect("created");
    let job = t.training_done("piped-two").await;
    assert_eq!(job.record.status, status::FAILED);
    let reason = job.doc.state.failure_reason.clone().unwrap_or_default();
    assert!(
        reason.starts_with(
            "ClientError: Data download failed: algo-2: channel 'train', object s3://bucket/train/b.gz: "
        ),
        "{reason}"
    );
    assert!(t.engine.containers().is_empty());
}

/// After a restart, a re-attached container's channel is fed again, and
/// data that fails then still fails the job.
#[tokio::test]
async fn a_data_failure_after_a_restart_fails_the_reattached_job() {
    let next_pass = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (go, read) = (next_pass.clone(), Arc::new(Mutex::new(Read0::default())));
    let seen = read.clone();
    let script = Script::ok().hangs().on_start(move |s| {
        let (Some(first), Some(second)) = (
            s.host_path("/opt/ml/input/data/train_0"),
            s.host_path("/opt/ml/input/data/train_1"),
        ) else {
            return;
        };
        let (go, seen) = (go.clone(), seen.clone());
        std::thread::spawn(move || {
            // The first pass whole, then the second once the test says.
            if let Ok(mut fifo) = std::fs::File::open(first) {
                let mut bytes = Vec::new();
                let _ = fifo.read_to_end(&mut bytes);
                let mut r = seen.lock().unwrap_or_else(|p| p.into_inner());
                (r.bytes, r.ended) = (bytes, true);
            }
            while !go.load(std::sync::atomic::Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(10));
            }
            for _ in 0..500 {
                if let Ok(mut fifo) = std::fs::File::open(&second) {
                    let _ = std::io::copy(&mut fifo, &mut std::io::sink());
                    return;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        });
    });
    let mut t = TestService::start().await;
    t.engine.add_image(IMAGE, script);
    t.put("bucket", "train/a.gz", gz(b"first object\n")).await;
    t.put("bucket", "train/b.gz", gz(b"second object\n")).await;
    super::tests_distributed::create(&t, request(&t, "piped-again", 1, "FullyReplicated"))
        .await
        .expect("created");
    for _ in 0..200 {
        if read.lock().unwrap_or_else(|p| p.into_inner()).ended {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        read.lock().unwrap_or_else(|p| p.into_inner()).bytes,
        b"first object\nsecond object\n"
    );
    assert_eq!(t.restart().await, 1);
    let mut bad = gz(&vec![b'b'; 50_000]);
    bad.truncate(bad.len() / 2);
    t.put("bucket", "train/b.gz", bad).await;
    next_pass.store(true, std::sync::atomic::Ordering::SeqCst);
    let job = t.training_done("piped-again").await;
    assert_eq!(job.record.status, status::FAILED);
    let reason = job.doc.state.failure_reason.clone().unwrap_or_default();
    assert!(
        reason.starts_with(
            "ClientError: Data download failed: channel 'train', object s3://bucket/train/b.gz: "
        ),
        "{reason}"
    );
    assert!(t.engine.containers().is_empty());
}
