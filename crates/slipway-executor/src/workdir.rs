//! The `/opt/ml` tree of a training job on the host: directories, the
//! config files the contract names (docs/contracts.md §3.2; their contents
//! come with the plan) and the channel data downloaded in File mode (§3.3).

use crate::transfer::{self, DataError, InputObject, S3Uri};
use crate::untrusted::{UntrustedDir, UntrustedError};
use crate::JobData;
use serde_json::{json, Value};
use slipway_core::AccountId;
use std::path::{Path, PathBuf};

/// Where one job's files live on the host.
#[derive(Debug, Clone)]
pub struct WorkDir {
    /// `<work_root>/<account>/training/<job>`: removed when the job ends.
    pub root: PathBuf,
}

impl WorkDir {
    pub fn new(work_root: &Path, account: &AccountId, key: &str) -> Self {
        Self {
            root: work_root.join(account.as_str()).join("training").join(key),
        }
    }

    /// The tree of host `n` (1-based) of a distributed job. `algo-1`'s is
    /// this one (its model and output are the job's); the others' live
    /// below it, so removing the job's tree removes theirs.
    pub fn for_host(&self, n: usize) -> Self {
        if n <= 1 {
            return self.clone();
        }
        Self {
            root: self.root.join("hosts").join(format!("algo-{n}")),
        }
    }

    /// Mounted at `/opt/ml`.
    pub fn opt_ml(&self) -> PathBuf {
        self.root.join("opt_ml")
    }

    /// Below [`Self::root`], the directories a container writes and the
    /// server reads back, as components for [`UntrustedDir::open`].
    pub const MODEL: &'static [&'static str] = &["opt_ml", "model"];
    pub const OUTPUT: &'static [&'static str] = &["opt_ml", "output"];
    pub const OUTPUT_DATA: &'static [&'static str] = &["opt_ml", "output", "data"];
    pub const CHECKPOINTS: &'static [&'static str] = &["checkpoints"];

    /// Opens one of the container-written directories above, never
    /// following a link (`Ok(None)` if it is missing).
    pub fn untrusted(&self, rel: &[&str]) -> Result<Option<UntrustedDir>, UntrustedError> {
        UntrustedDir::open(&self.root, rel)
    }

    pub fn model(&self) -> PathBuf {
        self.opt_ml().join("model")
    }

    pub fn output(&self) -> PathBuf {
        self.opt_ml().join("output")
    }

    pub fn output_data(&self) -> PathBuf {
        self.output().join("data")
    }

    pub fn config(&self) -> PathBuf {
        self.opt_ml().join("input").join("config")
    }

    pub fn channel(&self, name: &str) -> PathBuf {
        self.opt_ml().join("input").join("data").join(name)
    }

    /// Mounted at `CheckpointConfig.LocalPath` (default `/opt/ml/checkpoints`).
    pub fn checkpoints(&self) -> PathBuf {
        self.root.join("checkpoints")
    }

    /// Packed archives waiting for upload (outside the mounted tree).
    pub fn staging(&self) -> PathBuf {
        self.root.join("staging")
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> DataError + '_ {
    move |source| DataError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Directories the container writes. World-writable, because an image may
/// run as a non-root user and must still be able to write its model.
async fn writable_dir(path: &Path) -> Result<(), DataError> {
    tokio::fs::create_dir_all(path)
        .await
        .map_err(io_err(path))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tokio::fs::set_permissions(path, std::fs::Permissions::from_mode(0o777))
            .await
            .map_err(io_err(path))?;
    }
    Ok(())
}

/// Creates the tree (from scratch: a restarted preparation starts clean)
/// and writes `files` (name, contents) into `input/config`, in order.
pub async fn lay_out(wd: &WorkDir, files: &[(String, Value)]) -> Result<(), DataError> {
    if tokio::fs::try_exists(&wd.root).await.unwrap_or(false) {
        tokio::fs::remove_dir_all(&wd.root)
            .await
            .map_err(io_err(&wd.root))?;
    }
    for d in [wd.model(), wd.output(), wd.output_data(), wd.checkpoints()] {
        writable_dir(&d).await?;
    }
    tokio::fs::create_dir_all(wd.config())
        .await
        .map_err(io_err(&wd.config()))?;
    tokio::fs::create_dir_all(wd.staging())
        .await
        .map_err(io_err(&wd.staging()))?;
    for (name, value) in files {
        write_json(&wd.config().join(name), value).await?;
    }
    Ok(())
}

async fn write_json(path: &Path, value: &Value) -> Result<(), DataError> {
    let text = serde_json::to_vec_pretty(value)
        .map_err(|e| DataError::Invalid(format!("encoding {}: {e}", path.display())))?;
    tokio::fs::write(path, text).await.map_err(io_err(path))
}

/// The group name the training toolkit gives a homogeneous cluster.
pub const HOMOGENEOUS_GROUP: &str = "homogeneousCluster";

/// One instance group of a cluster, as `resourceconfig.json` describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostGroup<'a> {
    pub name: &'a str,
    pub instance_type: &'a str,
    pub count: usize,
}

/// `resourceconfig.json` of host `current` (1-based) of a cluster of
/// `groups`: hosts are numbered `algo-1` … `algo-N` across the groups in
/// their order; `hosts` is sorted as AWS sorts it (`algo-1`, `algo-2`, …
/// `algo-10`). A homogeneous cluster is one group, [`HOMOGENEOUS_GROUP`].
pub fn resource_config(current: usize, groups: &[HostGroup<'_>]) -> Value {
    let mut next = 1;
    let mut current_group = groups.first();
    let mut described = Vec::with_capacity(groups.len());
    for g in groups {
        let hosts: Vec<String> = (next..next + g.count)
            .map(|n| format!("algo-{n}"))
            .collect();
        if (next..next + g.count).contains(&current) {
            current_group = Some(g);
        }
        next += g.count;
        described.push(json!({
            "instance_group_name": g.name,
            "instance_type": g.instance_type,
            "hosts": hosts,
        }));
    }
    let hosts: Vec<String> = (1..next.max(2)).map(|n| format!("algo-{n}")).collect();
    json!({
        "current_host": format!("algo-{}", current.max(1)),
        "current_instance_type": current_group.map_or("", |g| g.instance_type),
        "current_group_name": current_group.map_or(HOMOGENEOUS_GROUP, |g| g.name),
        "hosts": hosts,
        "instance_groups": described,
        "network_interface_name": "eth0",
    })
}

/// What a channel's download fetched.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fetched {
    pub objects: u64,
    pub bytes: u64,
}

/// One input channel: its name, and where its data comes from (`None`:
/// an empty directory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelSource {
    pub name: String,
    pub source: Option<S3Source>,
    /// `ShardedByS3Key` on several hosts: only this host's share.
    pub shard: Option<Shard>,
}

/// Host `index` (0-based) of `count` takes every `count`-th object of the
/// channel's listing, starting at its own index: each host gets about
/// 1/`count` of the objects (and none when there are fewer objects than
/// hosts), as AWS promises for `ShardedByS3Key`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// This host's share of `objects`, in listing order.
    pub fn of<T: Clone>(&self, objects: &[T]) -> Vec<T> {
        objects
            .iter()
            .skip(self.index)
            .step_by(self.count.max(1))
            .cloned()
            .collect()
    }
}

/// An S3 data source: a prefix, or a manifest naming the objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Source {
    pub uri: String,
    pub manifest: bool,
}

/// Downloads every channel into `input/data/<channel>/`, keeping each
/// key's path relative to the prefix (or manifest prefix). A channel whose
/// prefix matches nothing fails, as on AWS; a host whose shard is empty
/// gets an empty directory.
pub async fn download_channels(
    data: &JobData,
    account: &AccountId,
    wd: &WorkDir,
    channels: &[ChannelSource],
) -> Result<Fetched, DataError> {
    let mut total = Fetched::default();
    for ch in channels {
        let dir = wd.channel(&ch.name);
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(io_err(&dir))?;
        let Some(src) = &ch.source else {
            continue;
        };
        let uri = S3Uri::parse(&src.uri)
            .ok_or_else(|| DataError::Invalid(format!("{} is not an s3:// URI", src.uri)))?;
        let objects = if src.manifest {
            transfer::list_manifest(data, account, &uri).await?
        } else {
            transfer::list_prefix(data, account, &uri).await?
        };
        if objects.is_empty() {
            return Err(DataError::Missing(format!(
                "no objects found under {} for channel '{}'",
                src.uri, ch.name
            )));
        }
        let objects = match ch.shard {
            Some(shard) => shard.of(&objects),
            None => objects,
        };
        let fetched = fetch_all(data, account, &objects, &dir).await?;
        total.objects += fetched.objects;
        total.bytes += fetched.bytes;
    }
    Ok(total)
}

/// Downloads `objects` under `dir`, a few at a time.
pub async fn fetch_all(
    data: &JobData,
    account: &AccountId,
    objects: &[InputObject],
    dir: &Path,
) -> Result<Fetched, DataError> {
    use futures::{StreamExt, TryStreamExt};
    let mut jobs = Vec::with_capacity(objects.len());
    for o in objects {
        let rel = transfer::safe_relative(&o.relative).map_err(DataError::Invalid)?;
        jobs.push((o.clone(), dir.join(rel)));
    }
    // Owned values in each download future: borrowed ones inside a
    // buffered stream trip rustc's "Send is not general enough" when the
    // runner is spawned.
    let (data, account) = (data.clone(), account.clone());
    let sizes: Vec<u64> = futures::stream::iter(jobs)
        .map(move |(o, dest)| {
            let (data, account) = (data.clone(), account.clone());
            async move { transfer::download(&data, &account, &o, &dest).await }
        })
        .buffer_unordered(8)
        .try_collect()
        .await?;
    Ok(Fetched {
        objects: sizes.len() as u64,
        bytes: sizes.iter().sum(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_share_the_objects_out_round_robin() {
        let objects: Vec<u32> = (0..7).collect();
        let shares: Vec<Vec<u32>> = (0..3)
            .map(|index| Shard { index, count: 3 }.of(&objects))
            .collect();
        assert_eq!(shares, vec![vec![0, 3, 6], vec![1, 4], vec![2, 5]]);
        // More hosts than objects: the last host gets nothing.
        assert!(Shard { index: 2, count: 3 }.of(&[1, 2]).is_empty());
    }

    fn homogeneous(count: usize) -> [HostGroup<'static>; 1] {
        [HostGroup {
            name: HOMOGENEOUS_GROUP,
            instance_type: "ml.m5.large",
            count,
        }]
    }

    #[test]
    fn resource_config_names_the_host_and_sorts_the_cluster() {
        let rc = resource_config(2, &homogeneous(10));
        assert_eq!(rc["current_host"], "algo-2");
        assert_eq!(rc["current_group_name"], HOMOGENEOUS_GROUP);
        assert_eq!(rc["hosts"][9], "algo-10");
        assert_eq!(rc["hosts"][1], "algo-2");
        assert_eq!(rc["instance_groups"][0]["hosts"], rc["hosts"]);
        assert_eq!(
            resource_config(1, &homogeneous(1))["hosts"],
            json!(["algo-1"])
        );
    }

    #[test]
    fn groups_number_their_hosts_in_order_and_each_host_knows_its_own() {
        let groups = [
            HostGroup {
                name: "gpu",
                instance_type: "ml.p3.2xlarge",
                count: 1,
            },
            HostGroup {
                name: "cpu",
                instance_type: "ml.c5.xlarge",
                count: 2,
            },
        ];
        let rc = resource_config(3, &groups);
        assert_eq!(rc["current_host"], "algo-3");
        assert_eq!(rc["current_group_name"], "cpu");
        assert_eq!(rc["current_instance_type"], "ml.c5.xlarge");
        assert_eq!(rc["hosts"], json!(["algo-1", "algo-2", "algo-3"]));
        assert_eq!(
            rc["instance_groups"],
            json!([
                {"instance_group_name": "gpu", "instance_type": "ml.p3.2xlarge", "hosts": ["algo-1"]},
                {"instance_group_name": "cpu", "instance_type": "ml.c5.xlarge", "hosts": ["algo-2", "algo-3"]},
            ])
        );
        let first = resource_config(1, &groups);
        assert_eq!(first["current_group_name"], "gpu");
        assert_eq!(first["current_instance_type"], "ml.p3.2xlarge");
    }

    #[test]
    fn every_host_but_the_first_has_a_tree_below_the_jobs() {
        let wd = WorkDir {
            root: PathBuf::from("/w/job"),
        };
        assert_eq!(wd.for_host(1).root, wd.root);
        assert_eq!(wd.for_host(3).root, PathBuf::from("/w/job/hosts/algo-3"));
    }
}
