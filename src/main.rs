//! The `lovart` binary: everything happens in [`lovart::app`], except a
//! completion request from a shell (`LOVART_COMPLETE=<shell> lovart -- …`),
//! answered here before any parsing.

fn main() -> std::process::ExitCode {
    lovart::complete_if_asked();
    lovart::main()
}
