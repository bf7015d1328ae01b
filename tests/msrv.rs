//! `rust-version` in Cargo.toml is the real minimum: the newest `rust-version` any locked
//! dependency declares. The README says the same. A dependency update that raises the floor
//! fails here until both are raised with it.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

use std::process::Command;

fn version(text: &str) -> (u32, u32) {
    let mut parts = text.split('.').map(|p| p.parse::<u32>().unwrap());
    (parts.next().unwrap(), parts.next().unwrap_or(0))
}

#[test]
fn rust_version_is_what_the_locked_dependencies_need() {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--locked", "--format-version", "1"])
        .current_dir(root)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let packages = meta["packages"].as_array().unwrap();
    let ours = packages.iter().find(|p| p["name"] == env!("CARGO_PKG_NAME")).unwrap();
    let declared = version(ours["rust_version"].as_str().expect("Cargo.toml declares rust-version"));
    let (needed, by) = packages
        .iter()
        .filter(|p| p["name"] != env!("CARGO_PKG_NAME"))
        .filter_map(|p| Some((version(p["rust_version"].as_str()?), p["name"].as_str()?.to_string())))
        .max()
        .unwrap();
    assert_eq!(declared, needed, "Cargo.toml says {declared:?}; {by} needs {needed:?}");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    let said = format!("({}.{} or newer", needed.0, needed.1);
    assert!(readme.contains(&said), "the README should say '{said}'");
}
