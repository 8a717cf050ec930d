//! The instance-type table: what each SageMaker instance type means for a
//! container on this machine. One table, in one place (docs/jobs.md "Instance types").
//!
//! vCPUs and memory are AWS's published figures for each type. A local
//! container gets `min(vCPUs, host CPUs)` and `min(memory, the configured
//! memory cap)`: a laptop cannot give an `ml.m5.24xlarge` 384 GiB, and an
//! out-of-memory failure should still be reported against the limit the
//! container really had. GPU types run on CPU (Slipway uses no GPUs); their
//! figures are the instance's CPU side.

/// One instance type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstanceType {
    pub name: &'static str,
    pub vcpus: u32,
    pub memory_gib: u32,
}

macro_rules! table {
    ($($name:literal => $cpu:literal, $mem:literal;)*) => {
        /// Every type Slipway knows, as AWS documents it.
        pub const INSTANCE_TYPES: &[InstanceType] = &[
            $(InstanceType { name: $name, vcpus: $cpu, memory_gib: $mem },)*
        ];
    };
}

table! {
    "ml.t2.medium" => 2, 4;
    "ml.t2.large" => 2, 8;
    "ml.t2.xlarge" => 4, 16;
    "ml.t2.2xlarge" => 8, 32;
    "ml.t3.medium" => 2, 4;
    "ml.t3.large" => 2, 8;
    "ml.t3.xlarge" => 4, 16;
    "ml.t3.2xlarge" => 8, 32;
    "ml.m4.xlarge" => 4, 16;
    "ml.m4.2xlarge" => 8, 32;
    "ml.m4.4xlarge" => 16, 64;
    "ml.m4.10xlarge" => 40, 160;
    "ml.m4.16xlarge" => 64, 256;
    "ml.m5.large" => 2, 8;
    "ml.m5.xlarge" => 4, 16;
    "ml.m5.2xlarge" => 8, 32;
    "ml.m5.4xlarge" => 16, 64;
    "ml.m5.12xlarge" => 48, 192;
    "ml.m5.24xlarge" => 96, 384;
    "ml.m6i.large" => 2, 8;
    "ml.m6i.xlarge" => 4, 16;
    "ml.m6i.2xlarge" => 8, 32;
    "ml.m6i.4xlarge" => 16, 64;
    "ml.c4.xlarge" => 4, 7;
    "ml.c4.2xlarge" => 8, 15;
    "ml.c4.4xlarge" => 16, 30;
    "ml.c4.8xlarge" => 36, 60;
    "ml.c5.large" => 2, 4;
    "ml.c5.xlarge" => 4, 8;
    "ml.c5.2xlarge" => 8, 16;
    "ml.c5.4xlarge" => 16, 32;
    "ml.c5.9xlarge" => 36, 72;
    "ml.c5.18xlarge" => 72, 144;
    "ml.c6i.large" => 2, 4;
    "ml.c6i.xlarge" => 4, 8;
    "ml.c6i.2xlarge" => 8, 16;
    "ml.r5.large" => 2, 16;
    "ml.r5.xlarge" => 4, 32;
    "ml.r5.2xlarge" => 8, 64;
    "ml.r5.4xlarge" => 16, 128;
    "ml.p2.xlarge" => 4, 61;
    "ml.p3.2xlarge" => 8, 61;
    "ml.p3.8xlarge" => 32, 244;
    "ml.g4dn.xlarge" => 4, 16;
    "ml.g4dn.2xlarge" => 8, 32;
    "ml.g5.xlarge" => 4, 16;
    "ml.g5.2xlarge" => 8, 32;
}

/// The row for `name`, if Slipway knows the type.
pub fn lookup(name: &str) -> Option<InstanceType> {
    INSTANCE_TYPES.iter().copied().find(|t| t.name == name)
}

/// The row for `name`, or for a type the table lacks (the API accepts
/// dozens more), the general-purpose shape its size implies: `large` =
/// 2 vCPUs / 8 GiB, `xlarge` = 4 / 16, `Nxlarge` = 4N / 16N.
pub fn resolve(name: &str) -> InstanceType {
    if let Some(t) = lookup(name) {
        return t;
    }
    let size = name.rsplit('.').next().unwrap_or_default();
    let factor = match size {
        "medium" | "large" => 1,
        "xlarge" => 2,
        s => s
            .strip_suffix("xlarge")
            .and_then(|n| n.parse::<u32>().ok())
            .map_or(1, |n| n.clamp(1, 96) * 2),
    };
    InstanceType {
        name: "ml.generic",
        vcpus: 2 * factor,
        memory_gib: 8 * factor,
    }
}

const GIB: i64 = 1024 * 1024 * 1024;

/// What a container of this type really gets here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EffectiveLimits {
    pub nano_cpus: i64,
    pub memory_bytes: i64,
}

impl InstanceType {
    /// Limits on a host with `host_cpus` CPUs and an optional memory cap.
    pub fn limits(&self, host_cpus: usize, memory_cap: Option<i64>) -> EffectiveLimits {
        let cpus = (self.vcpus as i64).min(host_cpus.max(1) as i64);
        let memory = self.memory_gib as i64 * GIB;
        EffectiveLimits {
            nano_cpus: cpus * 1_000_000_000,
            memory_bytes: memory_cap.map_or(memory, |cap| memory.min(cap)),
        }
    }
}

/// `8 GiB`, `512 MiB`: how failure reasons name a memory limit.
pub fn human_bytes(bytes: i64) -> String {
    if bytes % GIB == 0 {
        format!("{} GiB", bytes / GIB)
    } else {
        format!("{} MiB", bytes / (1024 * 1024))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_capped_by_the_host_and_the_memory_cap() {
        let m5 = lookup("ml.m5.xlarge").unwrap();
        let l = m5.limits(2, None);
        assert_eq!(l.nano_cpus, 2_000_000_000);
        assert_eq!(l.memory_bytes, 16 * GIB);
        let capped = m5.limits(8, Some(512 * 1024 * 1024));
        assert_eq!(capped.nano_cpus, 4_000_000_000);
        assert_eq!(human_bytes(capped.memory_bytes), "512 MiB");
        assert_eq!(human_bytes(l.memory_bytes), "16 GiB");
    }

    #[test]
    fn names_are_unique_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for t in INSTANCE_TYPES {
            assert!(t.name.starts_with("ml."), "{}", t.name);
            assert!(seen.insert(t.name), "duplicate {}", t.name);
            assert!(t.vcpus > 0 && t.memory_gib > 0);
        }
        assert!(lookup("ml.nope").is_none());
    }

    #[test]
    fn unknown_types_get_the_shape_their_size_implies() {
        assert_eq!(resolve("ml.m5.large").memory_gib, 8);
        let t = resolve("ml.x9.4xlarge");
        assert_eq!((t.vcpus, t.memory_gib), (16, 64));
        assert_eq!(resolve("ml.x9.xlarge").vcpus, 4);
        assert_eq!(resolve("weird").vcpus, 2);
    }
}
