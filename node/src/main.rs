fn main() -> std::process::ExitCode {
    rrs_node::cli::main(std::env::args().collect())
}
