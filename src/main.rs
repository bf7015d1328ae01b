//! The binary: everything lives in the library so tests and benches reach it.

fn main() {
    std::process::exit(elhub_explorer::commands::main());
}
