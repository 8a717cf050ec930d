//! The pure parts of batch transform jobs (docs/contracts.md §5): splitting input
//! objects into records, packing records into mini-batches, DataProcessing
//! filters and joins, and talking HTTP to the serving container. Each
//! module stands alone; the runner composes them.

pub mod batch;
pub mod filters;
pub mod invoke;
pub mod jsonpath;
pub mod split;
