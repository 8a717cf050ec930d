//! What every generated dispatch-trait method receives besides its request.

use slipway_core::AccountId;
use slipway_service::Service;

/// The request context: the service to call and the authenticated account.
#[derive(Clone, Copy)]
#[allow(dead_code)] // read by the handlers as they move onto the generated traits
pub struct Cx<'a> {
    pub svc: &'a Service,
    pub account: &'a AccountId,
}
