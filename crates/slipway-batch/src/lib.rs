//! The batch data plane of transform jobs (docs/contracts.md §5): splitting
//! input objects into records, packing records into mini-batches,
//! DataProcessing filters and joins, and talking HTTP to the serving
//! container. Each module stands alone; the transform pipeline of the
//! executor (`slipway-executor`, `transform/`) composes them, reading and
//! writing objects itself: this crate knows no job state and no storage.

pub mod batch;
pub mod filters;
pub mod invoke;
pub mod jsonpath;
pub mod split;
