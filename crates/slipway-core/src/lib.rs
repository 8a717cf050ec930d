//! Slipway's domain: the types the control plane reasons about, and the
//! ports (traits) through which it reaches storage, images and containers.
//! Nothing here knows HTTP, SQL or Docker; adapters and the wire layer do.

pub mod account;
pub mod arn;
pub mod echo;
pub mod ports;
pub mod resource;
pub mod spec;
pub mod time_util;

pub use account::{random_id, random_session_token, AccessKey, AccountId};
pub use arn::Arn;
pub use echo::{Echo, EchoEdit, EchoPatch};
pub use resource::{ResourceKind, ResourceRecord};
