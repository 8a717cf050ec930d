//! The console's assets are embedded from `console/dist` (built by
//! `scripts/build-console.sh`). Rebuild this crate when they change,
//! including when the directory appears after a build without it.
fn main() {
    println!("cargo:rerun-if-changed=../../console/dist");
}
