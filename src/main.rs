// The allocator: mimalloc instead of the system's. A cached page's request is mostly
// allocation and release of small buffers (headers, the response, the middleware's boxes),
// and glibc's allocator took about a sixth of its time (bench/RESULTS.md, "Allocator").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    shelfraiser::cli::main()
}
