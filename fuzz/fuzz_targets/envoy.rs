#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ztpath_fuzz::envoy(data));
