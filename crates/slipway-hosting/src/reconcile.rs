//! After a restart (docs/endpoints.md "Restart"): every endpoint that was
//! being created, updated, served or deleted gets a runner again. Its old
//! containers are removed and its deployment starts anew, so nothing is
//! left `Creating` forever and an InService endpoint serves again once its
//! containers pass GET /ping (calls meanwhile get ModelNotReadyException).

use crate::runner::{self, Command};
use crate::state::status;
use crate::Hosting;

pub(crate) async fn run(h: &Hosting) -> slipway_service::Result<usize> {
    let svc = h.service();
    if !svc.job_runtime().runs_jobs() {
        // Without a container engine endpoints stay as they are, for a
        // start with one.
        return Ok(0);
    }
    let records = svc
        .metadata()
        .find_by_status(
            crate::endpoints::KIND,
            &[
                status::CREATING,
                status::UPDATING,
                status::IN_SERVICE,
                status::DELETING,
            ],
        )
        .await?;
    for r in &records {
        tracing::info!(endpoint = %r.arn, status = %r.status, "resuming endpoint");
        runner::tell(h, &r.account, &r.key, Command::Start);
    }
    Ok(records.len())
}
