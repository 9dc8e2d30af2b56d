//! kitbot: a Matrix bot that helps the teams of France's Missions Locales adopt remote-support
//! practices, one step at a time.
//!
//! # Layout
//!
//! - [`engine`]: the product. Turns an [`engine::Incoming`] (who said what, where, when) into
//!   [`engine::Outgoing`] actions. Knows nothing about Matrix; most tests run here.
//! - [`commands`]: the chat commands, described as data in `commands/*.toml`, parsed into one
//!   [`commands::Command`] enum; one file per command with its `parse` and `apply`.
//! - [`kit`]: the practice cards of `kit-snippets/`, their validation and a French-aware search.
//! - [`schedule`]: the schedule language (French phrases and standard cron), time zones, DST,
//!   quiet hours and public holidays.
//! - [`nudges`]: reminders and adoption paths that coordinators schedule, and the scheduler task.
//! - [`reflections`]: consent, the personal-data guard, and the reflections teams share.
//! - [`store`]: one sled database, one tree per entity, versioned JSON values, migrations at open.
//! - [`config`]: `bot.toml`, read once into a checked [`config::Config`].
//! - [`matrix`]: the Matrix adapter (login, session, E2EE, invites, sync, gap filling, sending).
//! - [`console`]: the console adapter: the same engine from stdin/stdout, no homeserver needed.
//! - [`clock`]: time is injected everywhere, so tests never sleep.
//! - [`strings`]: every sentence a user reads outside `commands/*.toml`, in French.
//! - [`assets`]: the data folders embedded in the binary, and loading them from disk.
//! - [`check`]: `kitbot check`, every problem of the config and data folders at once.

pub mod assets;
pub mod check;
pub mod commands;
pub mod config;
pub mod console;
pub mod core;
pub mod engine;
pub mod kit;
pub mod matrix;
pub mod nudges;
pub mod outbox;
pub mod reflections;
pub mod schedule;
pub mod store;
pub mod strings;
