//! Benchmark of the schedule language: for a dozen representative phrases and
//! cron rules, times `parse` followed by `next_n(3)` (what `!relance` does before
//! answering with the next firings) and prints a Markdown table of the median and
//! 99th percentile per call, in microseconds. Fixed `now`, no system clock in the
//! measured code. Run with `cargo bench --bench schedule`.

use std::hint::black_box;
use std::time::Instant;

use chrono::{DateTime, Utc};
use kitbot::schedule::*;

const PHRASES: [&str; 14] = [
    "chaque lundi à 9h",
    "tous les jours ouvrés à 14h",
    "tous les jours à 8h45",
    "chaque mardi et jeudi à 10h",
    "le premier lundi du mois à 9h",
    "le dernier vendredi du mois à 16h",
    "toutes les deux semaines le vendredi à 16h",
    "le 3 décembre à 10h",
    "demain à 9h",
    "dans 3 heures",
    "lundi prochain 9h",
    "0 9 * * 1-5",
    "*/15 9-17 * * 1-5",
    "0 9 1 * 5",
];

const WARMUP: usize = 200;
const ITERATIONS: usize = 3_000;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn main() {
    let tz = chrono_tz::Europe::Paris;
    let now: DateTime<Utc> = match DateTime::parse_from_rfc3339("2026-11-25T10:00:00+01:00") {
        Ok(t) => t.with_timezone(&Utc),
        Err(e) => {
            eprintln!("bad constant date: {e}");
            return;
        }
    };
    println!("| phrase | median (µs) | p99 (µs) |");
    println!("|---|---:|---:|");
    let mut all = Vec::with_capacity(PHRASES.len() * ITERATIONS);
    for phrase in PHRASES {
        let run = || match parse(black_box(phrase), tz, now) {
            Ok(s) => s.next_n(now, tz, 3).len(),
            Err(e) => {
                eprintln!("{phrase}: {e}");
                0
            }
        };
        for _ in 0..WARMUP {
            black_box(run());
        }
        let mut samples = Vec::with_capacity(ITERATIONS);
        for _ in 0..ITERATIONS {
            let start = Instant::now();
            black_box(run());
            samples.push(start.elapsed().as_secs_f64() * 1e6);
        }
        samples.sort_by(f64::total_cmp);
        println!(
            "| `{phrase}` | {:.1} | {:.1} |",
            percentile(&samples, 0.5),
            percentile(&samples, 0.99)
        );
        all.extend(samples);
    }
    all.sort_by(f64::total_cmp);
    println!(
        "| **all** ({} calls) | {:.1} | {:.1} |",
        all.len(),
        percentile(&all, 0.5),
        percentile(&all, 0.99)
    );
}
