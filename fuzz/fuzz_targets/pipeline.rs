//! parse → resolve → validate → render over arbitrary bytes: no panic, no hang, bounded
//! memory. Run briefly by the test command; longer runs: see SECURITY.md.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    yamlsecrets::core::fuzz_pipeline(data);
});
