//! Every sentence a user reads that is not in `commands/*.toml`, in French, one file per domain.
//! Same tone everywhere: short, friendly, the next step last. Code elsewhere never spells out
//! user-facing French.

pub mod demo;
pub mod engine;
pub mod feedback;
pub mod kit;
pub mod nudges;
pub mod problems;
pub mod reflections;
pub mod report;
pub mod rooms;
pub mod schedule;
