//! Times the pure core's validation of a secrets file, without DuckDB: what
//! `secrets_check` spends on the file itself. Prints numbers; nothing is asserted.
//!
//! `cargo run --release --example validate_bench -- FILE [RUNS]` (the variables of
//! `bench/run.sh gen` are set here, so `${BENCH_AWS_KEY_ID}` resolves).

use std::path::Path;
use std::time::Instant;

use yamlsecrets::core::request::{Environment, Request};
use yamlsecrets::core::validate;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(file) = args.next() else {
        eprintln!("usage: validate_bench FILE [RUNS]");
        std::process::exit(2);
    };
    let runs: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(20);
    std::env::set_var("BENCH_AWS_KEY_ID", "AKIAIOSFODNN7EXAMPLE");
    std::env::set_var("BENCH_AWS_SECRET", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    let text = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("{file}: {e}");
            std::process::exit(2);
        }
    };
    let request = Request { file: file.clone(), lint: true, ..Request::default() };
    let environment = Environment::everything();
    let mut times = Vec::with_capacity(runs);
    let (mut secrets, mut diagnostics) = (0, 0);
    for _ in 0..runs {
        let start = Instant::now();
        let outcome = validate::validate(&request, Path::new(&file), &text, &environment);
        (secrets, diagnostics) = (outcome.secrets.len(), outcome.diagnostics.len());
        // Dropping the outcome is part of a call.
        drop(outcome);
        times.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    let first = times[0];
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    // The first run pays for fresh memory, as a `secrets_check` in a new process does.
    println!("{file}: {secrets} secrets ({diagnostics} diagnostics), {runs} runs: first {first:.2} ms, median {median:.2} ms, min {:.2} ms", times[0]);
}
