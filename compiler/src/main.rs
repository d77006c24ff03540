//! The `nubesc` binary; everything it does lives in [`nubesc::cli`].

fn main() {
    std::process::exit(nubesc::cli::main());
}
