//! What every generated dispatch-trait method receives besides its request.

use slipway_core::AccountId;
use slipway_service::Service;

/// The request context: the service to call and the authenticated account.
#[derive(Clone, Copy)]
pub struct Cx<'a> {
    /// The control plane.
    pub svc: &'a Service,
    /// The account the request was authenticated as.
    pub account: &'a AccountId,
}
