//! What a training job's `/opt/ml` tree holds, read from its request: the
//! config files the contract names (docs/contracts.md §3.2) and the
//! channels to download (§3.3). The executor lays the tree out
//! (`slipway_executor::workdir`).

use super::cluster::{self, receives, shard_of};
use super::spec::{TrainingChannel, TrainingJobSpec};
use super::state::Plan;
use serde_json::{json, Map, Value};
use slipway_executor::pipe::{Compression, RecordWrapper};
use slipway_executor::workdir::{resource_config, ChannelSource, S3Source, Shard};

pub use cluster::host_count;

pub use slipway_executor::workdir::WorkDir;

/// The effective input mode of a channel.
pub fn channel_mode<'a>(req: &'a TrainingJobSpec, ch: &'a TrainingChannel) -> &'a str {
    ch.input_mode
        .as_deref()
        .unwrap_or(&req.algorithm_specification.training_input_mode)
}

/// The files of host `host`'s (1-based) `/opt/ml/input/config`, in the
/// order they are written.
pub fn config_files(req: &TrainingJobSpec, plan: &Plan, host: usize) -> Vec<(String, Value)> {
    let mut files = vec![
        (
            "hyperparameters.json".to_owned(),
            json!(req.hyper_parameters),
        ),
        (
            "inputdataconfig.json".to_owned(),
            input_data_config(req, host),
        ),
        (
            "resourceconfig.json".to_owned(),
            resource_config(host, &cluster::host_groups(req, plan)),
        ),
    ];
    if let Some(cp) = &req.checkpoint_config {
        let local = cp.local_path.as_deref().unwrap_or("/opt/ml/checkpoints");
        let value = json!({"LocalPath": local, "S3Uri": cp.s3_uri});
        files.push(("checkpointconfig.json".to_owned(), value));
    }
    files
}

/// The channels host `host` (1-based) gets, in request order: all of
/// them, or in a heterogeneous cluster those meant for its group.
fn channels_of(req: &TrainingJobSpec, host: usize) -> impl Iterator<Item = &TrainingChannel> {
    req.input_data_config
        .iter()
        .filter(move |ch| receives(req, ch, host))
}

/// The channels host `host` (1-based) downloads (File and FastFile), in
/// request order: `ShardedByS3Key` channels of a job on several hosts give
/// it its share.
pub fn channel_sources(req: &TrainingJobSpec, host: usize) -> Vec<ChannelSource> {
    channels_of(req, host)
        .filter(|ch| channel_mode(req, ch) != "Pipe")
        .map(|ch| {
            let s3 = ch.data_source.s3_data_source.as_ref();
            ChannelSource {
                name: ch.channel_name.clone(),
                source: s3.map(|s| S3Source {
                    uri: s.s3_uri.clone(),
                    manifest: s.s3_data_type == "ManifestFile",
                }),
                shard: shard_of(req, ch, host),
            }
        })
        .collect()
}

/// A Pipe-mode channel: where its objects are and how they are streamed
/// (`slipway_executor::pipe` lists and feeds them).
#[derive(Debug, Clone)]
pub struct PipeSource {
    pub name: String,
    pub uri: String,
    pub manifest: bool,
    /// An augmented manifest's `AttributeNames` (empty for other sources).
    pub augmented: Vec<String>,
    pub wrapper: RecordWrapper,
    pub compression: Compression,
    pub shuffle_seed: Option<i64>,
    /// `ShardedByS3Key` on several hosts: only this host's share.
    pub shard: Option<Shard>,
}

/// The channels host `host` (1-based) reads in Pipe mode, in request order.
pub fn pipe_sources(req: &TrainingJobSpec, host: usize) -> Vec<PipeSource> {
    channels_of(req, host)
        .filter(|ch| channel_mode(req, ch) == "Pipe")
        .filter_map(|ch| {
            let s3 = ch.data_source.s3_data_source.as_ref()?;
            Some(PipeSource {
                name: ch.channel_name.clone(),
                uri: s3.s3_uri.clone(),
                manifest: s3.s3_data_type == "ManifestFile",
                augmented: if s3.s3_data_type == "AugmentedManifestFile" {
                    s3.attribute_names.clone()
                } else {
                    Vec::new()
                },
                wrapper: match ch.record_wrapper_type.as_deref() {
                    Some("RecordIO") => RecordWrapper::RecordIo,
                    _ => RecordWrapper::None,
                },
                compression: match ch.compression_type.as_deref() {
                    Some("Gzip") => Compression::Gzip,
                    _ => Compression::None,
                },
                shuffle_seed: ch.shuffle_config.as_ref().map(|s| s.seed),
                shard: shard_of(req, ch, host),
            })
        })
        .collect()
}

/// Host `host`'s `inputdataconfig.json`: one key per channel it gets.
pub fn input_data_config(req: &TrainingJobSpec, host: usize) -> Value {
    let mut out = Map::new();
    for ch in channels_of(req, host) {
        let mut c = Map::new();
        if let Some(ct) = &ch.content_type {
            c.insert("ContentType".into(), json!(ct));
        }
        c.insert("TrainingInputMode".into(), json!(channel_mode(req, ch)));
        let dist = ch
            .data_source
            .s3_data_source
            .as_ref()
            .and_then(|s| s.s3_data_distribution_type.clone())
            .unwrap_or_else(|| "FullyReplicated".into());
        c.insert("S3DistributionType".into(), json!(dist));
        c.insert(
            "RecordWrapperType".into(),
            json!(ch.record_wrapper_type.as_deref().unwrap_or("None")),
        );
        if let Some(ct) = &ch.compression_type {
            c.insert("CompressionType".into(), json!(ct));
        }
        out.insert(ch.channel_name.clone(), Value::Object(c));
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipe_channels_are_streamed_not_downloaded() {
        let req: TrainingJobSpec = serde_json::from_value(json!({
            "training_job_name": "j", "role_arn": "r",
            "algorithm_specification": {"training_input_mode": "Pipe"},
            "output_data_config": {"s3_output_path": "s3://b/o"},
            "input_data_config": [
                {"channel_name": "train", "compression_type": "Gzip", "record_wrapper_type": "RecordIO",
                 "shuffle_config": {"seed": 7},
                 "data_source": {"s3_data_source": {"s3_data_type": "ManifestFile", "s3_uri": "s3://b/m"}}},
                {"channel_name": "code", "input_mode": "File",
                 "data_source": {"s3_data_source": {"s3_data_type": "S3Prefix", "s3_uri": "s3://b/c/"}}}
            ]
        }))
        .unwrap();
        let files: Vec<String> = channel_sources(&req, 1)
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(files, ["code"]);
        let pipes = pipe_sources(&req, 1);
        assert_eq!(pipes.len(), 1);
        let p = &pipes[0];
        assert_eq!(
            (p.name.as_str(), p.uri.as_str(), p.manifest),
            ("train", "s3://b/m", true)
        );
        assert_eq!(
            (p.wrapper, p.compression, p.shuffle_seed),
            (RecordWrapper::RecordIo, Compression::Gzip, Some(7))
        );
        let config = input_data_config(&req, 1);
        assert_eq!(config["train"]["TrainingInputMode"], "Pipe");
        assert_eq!(config["code"]["TrainingInputMode"], "File");
    }
}
