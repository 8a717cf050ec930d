//! The hosts of a training job and their instance groups: one
//! homogeneous group (`InstanceType` × `InstanceCount`), or the
//! request's `InstanceGroups` (a heterogeneous cluster, docs/jobs.md
//! "Heterogeneous clusters"). Hosts are numbered `algo-1` … `algo-N`
//! across the groups in request order; a channel with
//! `InstanceGroupNames` goes to the hosts of those groups only.

use super::spec::{TrainingChannel, TrainingJobSpec};
use super::state::{Plan, PlannedGroup};
use crate::error::{Error, Result};
use crate::jobs::instance_types;
use crate::jobs::JobSettings;
use crate::marketplace::instance_count;
use slipway_executor::workdir::{HostGroup, Shard, HOMOGENEOUS_GROUP};
use std::collections::HashSet;

/// AWS's limit on `ResourceConfig.InstanceGroups` (the model check
/// enforces it on the wire; this guards other callers).
const MAX_GROUPS: usize = 5;

/// How many hosts (containers) the job runs on.
pub fn host_count(req: &TrainingJobSpec) -> usize {
    let rc = &req.resource_config;
    if rc.instance_groups.is_empty() {
        return count_of(rc.instance_count.unwrap_or(1)).max(1);
    }
    rc.instance_groups
        .iter()
        .map(|g| count_of(g.instance_count))
        .sum::<usize>()
        .max(1)
}

fn count_of(n: i64) -> usize {
    usize::try_from(n).unwrap_or(0)
}

/// The name of host `n`'s (1-based) instance group: `None` in a
/// homogeneous cluster.
pub fn group_of_host(req: &TrainingJobSpec, n: usize) -> Option<&str> {
    let mut last = 0;
    for g in &req.resource_config.instance_groups {
        last += count_of(g.instance_count);
        if n <= last {
            return Some(&g.instance_group_name);
        }
    }
    None
}

/// Whether host `n` (1-based) gets channel `ch`: every host, unless the
/// channel names instance groups.
pub fn receives(req: &TrainingJobSpec, ch: &TrainingChannel, n: usize) -> bool {
    let Some(s3) = ch.data_source.s3_data_source.as_ref() else {
        return true;
    };
    if s3.instance_group_names.is_empty() {
        return true;
    }
    group_of_host(req, n).is_some_and(|g| s3.instance_group_names.iter().any(|x| x == g))
}

/// Host `n`'s share of a `ShardedByS3Key` channel: the channel's objects
/// are split among the hosts that get it (all of them, or those of its
/// instance groups); `None` when one host gets everything.
pub fn shard_of(req: &TrainingJobSpec, ch: &TrainingChannel, n: usize) -> Option<Shard> {
    let s3 = ch.data_source.s3_data_source.as_ref()?;
    if s3.s3_data_distribution_type.as_deref() != Some("ShardedByS3Key") {
        return None;
    }
    let sharing: Vec<usize> = (1..=host_count(req))
        .filter(|&h| receives(req, ch, h))
        .collect();
    let index = sharing.iter().position(|&h| h == n)?;
    (sharing.len() > 1).then_some(Shard {
        index,
        count: sharing.len(),
    })
}

/// The groups `resourceconfig.json` describes, in host order.
pub fn host_groups<'a>(req: &TrainingJobSpec, plan: &'a Plan) -> Vec<HostGroup<'a>> {
    if plan.instance_groups.is_empty() {
        return vec![HostGroup {
            name: HOMOGENEOUS_GROUP,
            instance_type: &plan.instance_type,
            count: host_count(req),
        }];
    }
    plan.instance_groups
        .iter()
        .map(|g| HostGroup {
            name: &g.name,
            instance_type: &g.instance_type,
            count: g.count,
        })
        .collect()
}

/// What host `n` (1-based) runs on: its group's instance type and the
/// limits that type gives its container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostShape<'a> {
    pub instance_type: &'a str,
    pub nano_cpus: i64,
    pub memory_bytes: i64,
}

pub fn shape_of(plan: &Plan, n: usize) -> HostShape<'_> {
    let mut last = 0;
    for g in &plan.instance_groups {
        last += g.count;
        if n <= last {
            return HostShape {
                instance_type: &g.instance_type,
                nano_cpus: g.nano_cpus,
                memory_bytes: g.memory_bytes,
            };
        }
    }
    HostShape {
        instance_type: &plan.instance_type,
        nano_cpus: plan.nano_cpus,
        memory_bytes: plan.memory_bytes,
    }
}

/// What metering reports: each instance group's name (`None` for a
/// homogeneous cluster), instance type and host count.
pub fn metered_groups<'a>(
    req: &TrainingJobSpec,
    plan: &'a Plan,
) -> Vec<(Option<&'a str>, &'a str, u32)> {
    if plan.instance_groups.is_empty() {
        let count = instance_count(req.resource_config.instance_count);
        return vec![(None, plan.instance_type.as_str(), count)];
    }
    plan.instance_groups
        .iter()
        .map(|g| {
            let count = u32::try_from(g.count).unwrap_or(u32::MAX);
            (Some(g.name.as_str()), g.instance_type.as_str(), count)
        })
        .collect()
}

/// The cluster a request asks for, checked: `InstanceGroups` or
/// `InstanceType`/`InstanceCount` (not both), the channels'
/// `InstanceGroupNames`, and the server's container cap on the hosts in
/// all. Returns the planned groups (empty for a homogeneous cluster) and
/// the instance type of `algo-1`.
pub fn plan_cluster(
    req: &TrainingJobSpec,
    settings: &JobSettings,
) -> Result<(Vec<PlannedGroup>, String)> {
    let rc = &req.resource_config;
    let cap = settings.max_training_containers.max(1);
    if rc.instance_groups.is_empty() {
        check_no_channel_groups(req)?;
        let Some(instance_type) = rc.instance_type.clone() else {
            return Err(Error::invalid(
                "ResourceConfig.InstanceType",
                "ResourceConfig must specify either InstanceType (with InstanceCount) or InstanceGroups.",
            ));
        };
        let count = rc.instance_count.unwrap_or(1);
        if count < 1 {
            return Err(Error::invalid(
                "ResourceConfig.InstanceCount",
                format!("ResourceConfig.InstanceCount must be at least 1; it is {count}."),
            ));
        }
        // Each host is a container; a job that could never get all its
        // container slots at once would wait forever.
        if usize::try_from(count).map_or(true, |c| c > cap) {
            return Err(Error::invalid(
                "ResourceConfig.InstanceCount",
                format!(
                    "InstanceCount {count} is more than this server runs at once: it runs at most {cap} training containers (SLIPWAY_MAX_TRAINING_CONTAINERS)."
                ),
            ));
        }
        return Ok((Vec::new(), instance_type));
    }
    if rc.instance_type.is_some() || rc.instance_count.is_some() {
        // AWS's words.
        return Err(Error::invalid(
            "ResourceConfig",
            "InstanceType or InstanceCount cannot be specified with InstanceGroups",
        ));
    }
    if rc.instance_groups.len() > MAX_GROUPS {
        return Err(Error::invalid(
            "ResourceConfig.InstanceGroups",
            format!(
                "ResourceConfig.InstanceGroups has {} groups; at most {MAX_GROUPS} are allowed.",
                rc.instance_groups.len()
            ),
        ));
    }
    let mut names = HashSet::new();
    let mut planned = Vec::with_capacity(rc.instance_groups.len());
    for (i, g) in rc.instance_groups.iter().enumerate() {
        let field = format!("ResourceConfig.InstanceGroups.{}", i + 1);
        if !names.insert(g.instance_group_name.as_str()) {
            return Err(Error::invalid(
                format!("{field}.InstanceGroupName"),
                format!(
                    "Instance group names must be unique; '{}' appears more than once.",
                    g.instance_group_name
                ),
            ));
        }
        if g.instance_count < 1 {
            return Err(Error::invalid(
                format!("{field}.InstanceCount"),
                format!(
                    "InstanceCount of instance group '{}' must be at least 1; it is {}.",
                    g.instance_group_name, g.instance_count
                ),
            ));
        }
        let limits = instance_types::resolve(&g.instance_type)
            .limits(settings.host_cpus, settings.memory_cap_bytes);
        planned.push(PlannedGroup {
            name: g.instance_group_name.clone(),
            instance_type: g.instance_type.clone(),
            count: count_of(g.instance_count),
            nano_cpus: limits.nano_cpus,
            memory_bytes: limits.memory_bytes,
        });
    }
    let total: usize = planned.iter().map(|g| g.count).sum();
    if total > cap {
        return Err(Error::invalid(
            "ResourceConfig.InstanceGroups",
            format!(
                "InstanceGroups ask for {total} instances in all, more than this server runs at once: it runs at most {cap} training containers (SLIPWAY_MAX_TRAINING_CONTAINERS)."
            ),
        ));
    }
    check_channel_groups(req)?;
    let first = planned[0].instance_type.clone();
    Ok((planned, first))
}

/// `InstanceGroupNames` name groups of a heterogeneous cluster only.
fn check_no_channel_groups(req: &TrainingJobSpec) -> Result<()> {
    for (i, ch) in req.input_data_config.iter().enumerate() {
        if !group_names(ch).is_empty() {
            return Err(Error::invalid(
                format!(
                    "InputDataConfig.{}.DataSource.S3DataSource.InstanceGroupNames",
                    i + 1
                ),
                format!(
                    "Channel '{}' has InstanceGroupNames, but ResourceConfig has no InstanceGroups.",
                    ch.channel_name
                ),
            ));
        }
    }
    Ok(())
}

/// Every name is a group of the request, and (as on AWS) either every
/// channel names its groups or none does.
fn check_channel_groups(req: &TrainingJobSpec) -> Result<()> {
    let groups: Vec<&str> = req
        .resource_config
        .instance_groups
        .iter()
        .map(|g| g.instance_group_name.as_str())
        .collect();
    let (mut assigned, mut unassigned) = (Vec::new(), Vec::new());
    for (i, ch) in req.input_data_config.iter().enumerate() {
        let names = group_names(ch);
        if names.is_empty() {
            unassigned.push(ch.channel_name.as_str());
            continue;
        }
        assigned.push(ch.channel_name.as_str());
        if let Some(unknown) = names.iter().find(|n| !groups.contains(&n.as_str())) {
            return Err(Error::invalid(
                format!(
                    "InputDataConfig.{}.DataSource.S3DataSource.InstanceGroupNames",
                    i + 1
                ),
                format!(
                    "Channel '{}' names instance group '{unknown}', which is not one of ResourceConfig.InstanceGroups [{}].",
                    ch.channel_name,
                    groups.join(", ")
                ),
            ));
        }
    }
    if !assigned.is_empty() && !unassigned.is_empty() {
        // AWS's words.
        return Err(Error::invalid(
            "InputDataConfig",
            format!(
                "Some channels have assigned instance groups: [{}] while others not: [{}]",
                assigned.join(", "),
                unassigned.join(", ")
            ),
        ));
    }
    Ok(())
}

fn group_names(ch: &TrainingChannel) -> &[String] {
    ch.data_source
        .s3_data_source
        .as_ref()
        .map_or(&[], |s| s.instance_group_names.as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(groups: serde_json::Value, channels: serde_json::Value) -> TrainingJobSpec {
        serde_json::from_value(json!({
            "training_job_name": "j", "role_arn": "r",
            "output_data_config": {"s3_output_path": "s3://b/o"},
            "resource_config": {"instance_groups": groups},
            "input_data_config": channels,
        }))
        .expect("spec")
    }

    fn channel(name: &str, groups: &[&str], sharded: bool) -> serde_json::Value {
        json!({"channel_name": name, "data_source": {"s3_data_source": {
            "s3_data_type": "S3Prefix", "s3_uri": format!("s3://b/{name}/"),
            "s3_data_distribution_type": if sharded { "ShardedByS3Key" } else { "FullyReplicated" },
            "instance_group_names": groups}}})
    }

    #[test]
    fn hosts_are_numbered_across_the_groups_and_channels_follow_their_groups() {
        let req = request(
            json!([
                {"instance_group_name": "gpu", "instance_type": "ml.m5.large", "instance_count": 1},
                {"instance_group_name": "cpu", "instance_type": "ml.c5.xlarge", "instance_count": 3},
            ]),
            json!([
                channel("train", &["cpu"], true),
                channel("all", &["gpu", "cpu"], false)
            ]),
        );
        assert_eq!(host_count(&req), 4);
        let groups: Vec<_> = (1..=4).map(|n| group_of_host(&req, n)).collect();
        assert_eq!(groups, [Some("gpu"), Some("cpu"), Some("cpu"), Some("cpu")]);
        let (train, all) = (&req.input_data_config[0], &req.input_data_config[1]);
        assert!(!receives(&req, train, 1) && receives(&req, train, 2));
        assert!((1..=4).all(|n| receives(&req, all, n)));
        // The sharded channel is split among the cpu hosts only.
        assert_eq!(shard_of(&req, train, 1), None);
        assert_eq!(shard_of(&req, train, 3), Some(Shard { index: 1, count: 3 }));
        assert_eq!(shard_of(&req, all, 2), None);
    }

    #[test]
    fn each_group_is_metered_with_its_type_and_count() {
        let req = request(
            json!([
                {"instance_group_name": "gpu", "instance_type": "ml.m5.large", "instance_count": 1},
                {"instance_group_name": "cpu", "instance_type": "ml.c5.xlarge", "instance_count": 2},
            ]),
            json!([]),
        );
        let settings = JobSettings::new(std::path::PathBuf::from("/w"));
        let (instance_groups, first) = plan_cluster(&req, &settings).expect("valid");
        assert_eq!(first, "ml.m5.large");
        let plan = Plan {
            image: "i".into(),
            metric_definitions: Vec::new(),
            instance_type: first,
            nano_cpus: 1,
            memory_bytes: 1,
            max_runtime_seconds: 1,
            algorithm_arn: None,
            instance_groups,
        };
        assert_eq!(
            metered_groups(&req, &plan),
            [
                (Some("gpu"), "ml.m5.large", 1),
                (Some("cpu"), "ml.c5.xlarge", 2)
            ]
        );
        assert_eq!(shape_of(&plan, 3).instance_type, "ml.c5.xlarge");
    }
}
