//! The job executor: what it takes to run a seller's container for a job
//! on this machine, apart from the job's state machine. The control plane
//! (`slipway-service`) decides and persists; this crate prepares work
//! directories, moves data between object storage and them, reads back
//! what a container left (never following its links), packs archives and
//! knows the instance types (docs/architecture.md "Jobs and validation").
//! It runs inference containers (`inference`) and a transform job's
//! per-object pipeline (`transform`) with the batch data plane of
//! `slipway-batch`. It depends on the ports in `slipway-core`, on
//! `slipway-objects` and on `slipway-batch`, never on the control plane.

pub mod archive;
pub mod checkpoints;
pub mod data;
pub mod extract;
pub mod inference;
pub mod instance_types;
pub mod logship;
pub mod metrics;
pub mod netlog;
pub mod outputs;
pub mod pipe;
pub mod training;
pub mod transfer;
pub mod transform;
pub mod untrusted;
pub mod workdir;

pub use data::JobData;

/// Why a runner is asked to stop its job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopKind {
    /// StopTrainingJob / StopTransformJob.
    User,
    /// The server is shutting down: the runner leaves the job as it is
    /// (a restart reconciles it) and ends soon.
    Shutdown,
}

/// A failure that ends a job, with its FailureReason (already prefixed
/// `ClientError:`, `AlgorithmError:` or `InternalServerError:`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fatal(pub String);

/// The first 1024 characters (FailureReason's limit), on a char boundary.
pub fn clip_reason(s: &str) -> String {
    const MAX: usize = 1024;
    if s.chars().count() <= MAX {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(MAX - 1).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_clipped_to_1024_chars() {
        let long = "é".repeat(2000);
        let c = clip_reason(&long);
        assert_eq!(c.chars().count(), 1024);
        assert_eq!(clip_reason("short"), "short");
    }
}
