//! Records the target triple and the build profile for `ceremony --version --verbose`, so an
//! administrator can tell which build a published SHA-256 belongs to.
fn main() {
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".to_string());
    let profile = std::env::var("PROFILE").unwrap_or_else(|_| "unknown".to_string());
    println!("cargo:rustc-env=CEREMONY_BUILD_TARGET={target}");
    println!("cargo:rustc-env=CEREMONY_BUILD_PROFILE={profile}");
    println!("cargo:rerun-if-changed=build.rs");
}
