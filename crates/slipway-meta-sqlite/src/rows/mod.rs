//! Storage rows: one `#[derive(sqlx::FromRow)]` struct per table (or per
//! query shape), one module per group of migrations, each with the
//! `TryFrom`/`From` that turns its rows into the port's types. Only those
//! conversions read stored values, so bad stored data is reported in one
//! place per table (`crate::error::Table`), and no storage row leaves the
//! adapter.

pub(crate) mod identity;
pub(crate) mod image_scans;
pub(crate) mod logs;
pub(crate) mod objects;
pub(crate) mod packed;
pub(crate) mod registry;
pub(crate) mod resources;
