//! Benchmark of the reflections (being built).
fn main() {}
