//! The instances of a transform job (`TransformResources.InstanceCount`):
//! one inference container each, with its own name, instance id and log
//! stream, and its share of the input objects (docs/jobs.md "Batch
//! transform", "Several instances").

use slipway_core::AccountId;
use slipway_executor::inference;
use slipway_executor::transfer::InputObject;
use slipway_executor::Fatal;

/// One instance of a transform job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Instance {
    /// 1-based.
    pub number: usize,
    /// How many instances the job runs.
    pub count: usize,
    /// `i-` + 17 hex digits, stable for the job and instance.
    pub id: String,
    /// The CloudWatch log stream, `<job name>/<instance id>` as AWS names it.
    pub stream: String,
    /// The engine-side container name.
    pub container: String,
}

impl Instance {
    /// The `count` instances of the job (`count` at least 1). The first
    /// keeps the names a one-instance job always had, so a job resumed
    /// after an upgrade finds its container and stream.
    pub fn all(account: &AccountId, key: &str, name: &str, arn: &str, count: usize) -> Vec<Self> {
        let base = super::runner::container_name(account, key);
        (1..=count.max(1))
            .map(|number| {
                let (id, container) = if number == 1 {
                    (inference::instance_id(arn), base.clone())
                } else {
                    // `_` cannot appear in a job name, so no other job's
                    // first container has this name.
                    (
                        inference::instance_id(&format!("{arn}/{number}")),
                        format!("{base}_{number}"),
                    )
                };
                Self {
                    number,
                    count: count.max(1),
                    stream: format!("{name}/{id}"),
                    id,
                    container,
                }
            })
            .collect()
    }

    /// `i-… (2 of 3)`, for failure reasons.
    pub fn label(&self) -> String {
        format!("{} ({} of {})", self.id, self.number, self.count)
    }

    /// Names the instance in a failure reason when the job runs several
    /// (a one-instance job's reasons stay as they were): the class prefix
    /// (`ClientError: `…) stays first.
    pub fn name_in(&self, fatal: Fatal) -> Fatal {
        if self.count <= 1 {
            return fatal;
        }
        let Fatal(reason) = fatal;
        let named = match reason.split_once(": ") {
            Some((class, rest)) if class.ends_with("Error") && !class.contains(' ') => {
                format!("{class}: instance {}: {rest}", self.label())
            }
            _ => format!("instance {}: {reason}", self.label()),
        };
        Fatal(named)
    }
}

/// The input objects (in key order) dealt to `count` instances in turn:
/// whole objects, the first to instance 1, the second to instance 2, …
/// As on AWS, one object is never split between instances, so a job
/// with fewer objects than instances leaves some instances idle.
pub(super) fn deal(inputs: Vec<InputObject>, count: usize) -> Vec<Vec<InputObject>> {
    let count = count.max(1);
    let mut shares: Vec<Vec<InputObject>> = (0..count).map(|_| Vec::new()).collect();
    for (i, obj) in inputs.into_iter().enumerate() {
        shares[i % count].push(obj);
    }
    shares
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(key: &str) -> InputObject {
        InputObject {
            bucket: "b".into(),
            key: key.into(),
            size: 1,
            relative: key.into(),
            listed_blob: None,
            prefetched: None,
        }
    }

    fn keys(share: &[InputObject]) -> Vec<&str> {
        share.iter().map(|o| o.key.as_str()).collect()
    }

    #[test]
    fn objects_are_dealt_whole_in_turn() {
        let inputs = ["a", "b", "c", "d", "e"].map(object).to_vec();
        let shares = deal(inputs, 2);
        assert_eq!(keys(&shares[0]), ["a", "c", "e"]);
        assert_eq!(keys(&shares[1]), ["b", "d"]);
        let few = deal(vec![object("only")], 3);
        assert_eq!(few.iter().map(Vec::len).collect::<Vec<_>>(), [1, 0, 0]);
    }

    #[test]
    fn the_first_instance_keeps_the_one_instance_names() {
        let account = AccountId::parse("123456789012").expect("an account id");
        let arn = "arn:aws:sagemaker:us-east-1:123456789012:transform-job/j";
        let all = Instance::all(&account, "j", "j", arn, 3);
        assert_eq!(all.len(), 3);
        assert_eq!(all[0].id, inference::instance_id(arn));
        assert_eq!(
            all[0].container,
            super::super::runner::container_name(&account, "j")
        );
        assert_eq!(all[1].container, format!("{}_2", all[0].container));
        assert_eq!(all[2].stream, format!("j/{}", all[2].id));
        let ids: std::collections::BTreeSet<_> = all.iter().map(|i| &i.id).collect();
        assert_eq!(ids.len(), 3, "distinct instance ids");
    }

    #[test]
    fn reasons_name_the_instance_only_when_there_are_several() {
        let account = AccountId::parse("123456789012").expect("an account id");
        let one = &Instance::all(&account, "j", "j", "arn", 1)[0];
        let fatal = Fatal("ClientError: it exited".into());
        assert_eq!(one.name_in(fatal.clone()), fatal);
        let two = &Instance::all(&account, "j", "j", "arn", 2)[1];
        assert_eq!(
            two.name_in(fatal),
            Fatal(format!(
                "ClientError: instance {} (2 of 2): it exited",
                two.id
            ))
        );
    }
}
