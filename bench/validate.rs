//! Times the pure core's validation of a secrets file, without DuckDB: what
//! `secrets_check` spends on the file itself. Prints numbers; nothing is asserted.
//!
//! `cargo run --release --example validate_bench -- FILE [RUNS]` (the variables of
//! `bench/run.sh gen` are set here, so `${BENCH_AWS_KEY_ID}` resolves).

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use yamlsecrets::core::request::{Environment, Request};
use yamlsecrets::core::validate;

/// Counts allocations (and reallocations) of this benchmark binary only: the extension keeps
/// the system allocator. Every allocation is also a free later, so the count is most of what
/// the allocator costs a call.
struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
/// Bytes allocated and not yet freed, and the most there were.
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(bytes: usize) {
    let live = LIVE.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

// SAFETY: every call goes straight to the system allocator with the caller's arguments.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        grew(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        grew(size);
        unsafe { System.realloc(ptr, layout, size) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

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
    let (mut secrets, mut diagnostics, mut allocations, mut peak) = (0, 0, 0, 0);
    for _ in 0..runs {
        let before = ALLOCATIONS.load(Ordering::Relaxed);
        let base = LIVE.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        let start = Instant::now();
        let outcome = validate::validate(&request, Path::new(&file), &text, &environment);
        (secrets, diagnostics) = (outcome.secrets.len(), outcome.diagnostics.len());
        // Dropping the outcome is part of a call.
        drop(outcome);
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
        peak = PEAK.load(Ordering::Relaxed) - base;
    }
    let first = times[0];
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    // The first run pays for fresh memory, as a `secrets_check` in a new process does.
    println!("{file}: {secrets} secrets ({diagnostics} diagnostics), {runs} runs: first {first:.2} ms, median {median:.2} ms, min {:.2} ms", times[0]);
    let mut fast = Vec::new();
    let mut general = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        drop(yamlsecrets::core::yaml::parse(&text));
        fast.push(start.elapsed().as_secs_f64() * 1000.0);
        let start = Instant::now();
        drop(yamlsecrets::core::yaml::parse_general(&text));
        general.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    fast.sort_by(f64::total_cmp);
    general.sort_by(f64::total_cmp);
    println!(
        "tree: block reader {:.2} ms, yaml-rust2 {:.2} ms (medians, interleaved)",
        fast[runs / 2],
        general[runs / 2]
    );
    // What the YAML event parser allocates by itself, of the call's total.
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let mut parser = yaml_rust2::parser::Parser::new_from_str(&text);
    while let Ok((event, _)) = parser.next_token() {
        if event == yaml_rust2::parser::Event::StreamEnd {
            break;
        }
    }
    let events = ALLOCATIONS.load(Ordering::Relaxed) - before;
    let per_secret = |n: usize| n as f64 / secrets.max(1) as f64;
    println!(
        "allocations per call: {allocations} ({:.1} per secret), of which yaml-rust2's events {events} ({:.1} per secret); \
         peak memory above the text: {:.1} MB",
        per_secret(allocations),
        per_secret(events),
        peak as f64 / 1e6
    );
}
