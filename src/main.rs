//! The `lovart` binary: everything happens in [`lovart::app`].

fn main() -> std::process::ExitCode {
    lovart::main()
}
