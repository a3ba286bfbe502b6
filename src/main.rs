fn main() -> std::process::ExitCode {
    shelfraiser::cli::main()
}
