//! kitbot: a Matrix bot that helps the teams of France's Missions Locales adopt remote-support
//! practices, one step at a time.
//!
//! # Layout
//!
//! - [`core`]: the shared vocabulary, imported by every layer and importing nothing of kitbot:
//!   [`core::Incoming`] and [`core::Outgoing`], [`core::Role`], [`core::Problem`], the injected
//!   clock, one text folding and one escaping, the reaction keys.
//! - [`engine`]: the product and the only composer. Turns an `Incoming` into `Outgoing`
//!   actions: builds a [`engine::Ctx`] per event and hands it to the command; classifies
//!   reactions, edits and redactions before a domain sees them.
//! - [`commands`]: the chat commands, described as data in `commands/*.toml`, parsed into one
//!   [`commands::Command`] enum; one file per command with its `parse` and `apply`.
//! - [`kit`]: the practice cards of `kit-snippets/`, their validation and a French-aware search.
//! - [`schedule`]: the schedule language (French phrases and standard cron), time zones, DST,
//!   quiet hours and public holidays.
//! - [`nudges`]: reminders and adoption paths; [`nudges::Nudges`] keeps their rules (lock,
//!   write, flush, wake the scheduler) and the scheduler task fires them.
//! - [`reflections`]: consent, the personal-data guard, and the reflections teams share.
//! - [`feedback`]: what readers make of the kit (reads, 👍/👎 per card and question shape,
//!   questions passed on to the kit's writers, never who asked) and coordinators' opt-in to
//!   the weekly digest.
//! - [`rights`]: a person's access and erasure over everything kept about them, composed from
//!   each domain's part, and the list of every store tree with what it holds about people.
//! - [`report`]: `kitbot export --format html`, a Mission Locale's period on one printable
//!   page (adoption per step, reflections per card and month, nudges sent), counts only;
//!   composed from the domains, beside [`rights`].
//! - [`outbox`]: every message that leaves the bot, written before it is sent, retried, kept
//!   across restarts; the transaction id of each names what caused it.
//! - [`store`]: one sled database, one tree per entity, versioned JSON values, migrations at open;
//!   reopened by itself after a full disk.
//! - [`backup`]: backups of the store (scheduled, on request, `kitbot backup|restore`).
//! - [`charts`]: pictures of figures, pure rendering: the PNG chart of `!parcours etat`
//!   (plotters, an embedded font) and the SVG bar charts of the HTML report.
//! - [`files`]: the data folder and exports readable by the bot's user only, and the warning
//!   for a config or secret file others can read.
//! - [`metrics`] and [`health`]: what the bot counts (Prometheus, no person in any label)
//!   and the optional `/metrics` and `/health` endpoint.
//! - [`config`]: `bot.toml`, read once into a checked [`config::Config`].
//! - [`matrix`]: the Matrix adapter (login, session, E2EE, invites, sync, gap filling, sending).
//! - [`demo`]: `kitbot demo`, a local Synapse with the bot, a demo user and a seeded room, to
//!   try kitbot with any Matrix client.
//! - [`console`]: the console adapter: the same engine from stdin/stdout, no homeserver needed.
//! - [`strings`]: every sentence a user reads outside `commands/*.toml`, in French.
//! - [`assets`]: the data folders embedded in the binary, and loading them from disk.
//! - [`check`]: `kitbot check`, every problem of the config and data folders at once.
//!
//! # Architecture
//!
//! ```text
//!   main.rs, check ──► matrix/, console ──► engine/ + commands/ ──► kit/ schedule/ nudges/
//!   (entry)            (adapters)            (composer)              reflections/ outbox
//!                                                                    (domains)
//!                                                  all of them ──► core/, store, strings, config
//! ```
//!
//! **The dependency rule, in one line:** entry → adapters → engine (+ commands) → domains →
//! core; arrows never point back. A domain never imports the engine, the commands, an adapter,
//! `check` or the binary (a test in `engine/tests/invariants.rs` scans `src/` and fails
//! otherwise); the core imports nothing of kitbot. Domains are passed what they use (`&Kit`,
//! `&MissionLocale`, `now`, a service handle), never the engine.
//!
//! **Naming:** chat commands and their files have French names (`!relance`,
//! `commands/nudges/relance.rs`), as users type them; the domain code is in English (`Nudges`,
//! `Reflections`, `Outbox`). A card's Rust fields may keep their French front-matter names until
//! they are renamed with `serde(rename)`-style mapping in `kit/card.rs`.
//!
//! **Where things go:**
//! - *a new command*: a `commands/<nom>.toml` file (name, aliases, role, help, examples), a
//!   variant in [`commands::Command`] with its `parse` and `apply(ctx, incoming)` in its own file
//!   under `src/commands/`, its sentences in `strings/`; the registry test checks that every
//!   name and alias parses to it.
//! - *a new card field*: the front-matter key in `kit/card.rs` (`CARD_KEYS`, the parse and its
//!   problem on the right line), the field on [`kit::Card`], and the README's "Writing content".
//! - *a new adapter*: turn its events into [`core::Incoming`] and call
//!   [`engine::Engine::process`]; implement [`outbox::Transport`] and run [`outbox::deliver`]
//!   with [`engine::Engine::delivered_hook`]. The engine, the scheduler and the outbox need
//!   nothing else (see `console.rs`, the smallest adapter).

pub mod assets;
pub mod backup;
pub mod charts;
pub mod check;
pub mod commands;
pub mod config;
pub mod console;
pub mod core;
pub mod demo;
pub mod engine;
pub mod feedback;
pub mod files;
pub mod health;
pub mod kit;
pub mod ledger;
pub mod matrix;
pub mod memory;
pub mod metrics;
pub mod nudges;
pub mod outbox;
pub mod reflections;
pub mod report;
pub mod rights;
pub mod schedule;
pub mod store;
pub mod strings;
