//! What can be checked before a validation runs anything: every image it
//! will run must be resolvable by the container engine (local, or pulled
//! with the account's credentials), so a typo in a tag fails CreateAlgorithm
//! / CreateModelPackage at once instead of minutes into a job.

use crate::{Error, Result, Service};
use slipway_core::ports::engine::EngineError;
use slipway_core::AccountId;

/// `images` are (member name, image) pairs; the first unresolvable one is
/// a ValidationException naming the member.
pub async fn check_images(
    svc: &Service,
    account: &AccountId,
    images: &[(String, String)],
) -> Result<()> {
    // A server without an engine cannot look images up; the validation
    // that pulls them waits for a start with one.
    let rt = svc.jobs.clone();
    if !rt.runs_jobs() {
        return Ok(());
    }
    for (field, image) in images {
        let (reference, auth) = svc.image_for_job(account, image).await.map_err(|e| {
            Error::invalid(
                field.clone(),
                format!("Image {image} in {field} cannot be resolved: {e}"),
            )
        })?;
        match rt.engine.ensure_image(&reference, auth.as_ref()).await {
            Ok(_) => {}
            Err(EngineError::ImageNotFound { detail, .. }) => {
                return Err(Error::invalid(
                    field.clone(),
                    format!("Image {image} in {field} cannot be found or pulled: {detail}"),
                ))
            }
            Err(e) => {
                return Err(Error::invalid(
                    field.clone(),
                    format!("Image {image} in {field} could not be checked: {e}"),
                ))
            }
        }
    }
    Ok(())
}
