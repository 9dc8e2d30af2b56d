//! Benchmark of the nudges (being built).
fn main() {}
