//! Decides which server-backed tests can run here, so the others show as "ignored" with their
//! reason instead of passing without testing anything:
//! - `mongodb_server` when ELHUB_TEST_MONGODB_URI is set,
//! - `mongodb_auth_server` when ELHUB_TEST_MONGODB_AUTH_URI is set (a server run with --auth),
//! - `cassandra_server` when ELHUB_TEST_CASSANDRA is set,
//! - `postgres_server` when ELHUB_TEST_POSTGRES is set (a connection string),
//! - `cassandra_tls_server` when ELHUB_TEST_CASSANDRA_TLS names a TLS node and its CA file,
//! - `tmux_present` when tmux is on the PATH,
//! - `root_user` when building as root (the disk-full test mounts a small tmpfs),
//! - `shared_fixtures` when the steering repository's `../shared/fixtures` is beside this one,
//! - `python_readers` when ELHUB_TEST_PYTHON names a Python with pyarrow, duckdb and pandas.

use std::path::PathBuf;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(mongodb_server)");
    println!("cargo::rustc-check-cfg=cfg(mongodb_auth_server)");
    println!("cargo::rustc-check-cfg=cfg(cassandra_server)");
    println!("cargo::rustc-check-cfg=cfg(postgres_server)");
    println!("cargo::rustc-check-cfg=cfg(cassandra_tls_server)");
    println!("cargo::rustc-check-cfg=cfg(tmux_present)");
    println!("cargo::rustc-check-cfg=cfg(root_user)");
    println!("cargo::rustc-check-cfg=cfg(shared_fixtures)");
    println!("cargo::rustc-check-cfg=cfg(python_readers)");
    println!("cargo::rerun-if-changed=../shared/fixtures");
    if std::path::Path::new("../shared/fixtures").is_dir() {
        println!("cargo::rustc-cfg=shared_fixtures");
    }
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=ELHUB_TEST_MONGODB_URI");
    println!("cargo::rerun-if-env-changed=ELHUB_TEST_MONGODB_AUTH_URI");
    println!("cargo::rerun-if-env-changed=ELHUB_TEST_CASSANDRA");
    println!("cargo::rerun-if-env-changed=ELHUB_TEST_POSTGRES");
    println!("cargo::rerun-if-env-changed=ELHUB_TEST_CASSANDRA_TLS");
    println!("cargo::rerun-if-env-changed=ELHUB_TEST_PYTHON");
    println!("cargo::rerun-if-env-changed=PATH");
    if std::env::var_os("ELHUB_TEST_MONGODB_URI").is_some() {
        println!("cargo::rustc-cfg=mongodb_server");
    }
    if std::env::var_os("ELHUB_TEST_MONGODB_AUTH_URI").is_some() {
        println!("cargo::rustc-cfg=mongodb_auth_server");
    }
    if std::env::var_os("ELHUB_TEST_CASSANDRA").is_some() {
        println!("cargo::rustc-cfg=cassandra_server");
    }
    if std::env::var_os("ELHUB_TEST_POSTGRES").is_some() {
        println!("cargo::rustc-cfg=postgres_server");
    }
    if std::env::var_os("ELHUB_TEST_CASSANDRA_TLS").is_some() {
        println!("cargo::rustc-cfg=cassandra_tls_server");
    }
    if std::env::var_os("ELHUB_TEST_PYTHON").is_some() {
        println!("cargo::rustc-cfg=python_readers");
    }
    let uid = std::process::Command::new("id").arg("-u").output().ok();
    if uid.is_some_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0") {
        println!("cargo::rustc-cfg=root_user");
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let tmux: Option<PathBuf> = std::env::split_paths(&path).map(|d| d.join("tmux")).find(|p| p.is_file());
    match tmux {
        Some(p) => {
            println!("cargo::rerun-if-changed={}", p.display());
            println!("cargo::rustc-cfg=tmux_present");
        }
        // Checked again on every build until tmux appears.
        None => println!("cargo::rerun-if-changed=/nonexistent/tmux"),
    }
}
