//! `bot.toml`: read once into a [`RawConfig`] (serde, as written) and turned into a [`Config`]
//! whose time zones, room ids, allowlist patterns and credentials sources are already checked.
//! Every problem is reported at once, with the key and the line, before any login.
//!
//! Secrets never live in the TOML: it names an environment variable or a file that holds them.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use chrono::NaiveTime;
use chrono_tz::Tz;
use regex::Regex;
use serde::Deserialize;

use crate::core::{line_of, Problem};
use crate::schedule::{HolidayRegion, QuietRules};
use crate::strings::problems::toml_error;

/// The example config, embedded: it is also the default when no config file is given.
pub const EXAMPLE: &str = include_str!("../bot.toml.example");
pub const EXAMPLE_NAME: &str = "bot.toml.example";

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    #[serde(default)]
    pub bot: RawBot,
    pub matrix: Option<RawMatrix>,
    #[serde(default)]
    pub mission_locale: Vec<RawMissionLocale>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBot {
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    #[serde(default = "default_prefix")]
    pub prefix: String,
    pub commands_dir: Option<PathBuf>,
    pub kit_dir: Option<PathBuf>,
    #[serde(default = "default_grace")]
    pub grace_minutes: u32,
    #[serde(default = "default_command_burst")]
    pub command_burst: u32,
    #[serde(default = "default_command_every")]
    pub command_every_seconds: u32,
    /// Hours between two backups of the store written by the running bot (0: none).
    #[serde(default = "default_backup_hours")]
    pub backup_every_hours: u32,
    /// How many backups are kept.
    #[serde(default = "default_backup_keep")]
    pub backup_keep: u32,
    /// At most this many messages a second from the bot, all rooms together (0: no limit of
    /// its own; the homeserver's rate limits are honoured anyway).
    #[serde(default)]
    pub max_sends_per_second: u32,
    /// Which unknown `!words` get an answer: "near" (near-misses of kitbot's own commands,
    /// and anything addressed to it), "silent" (only what is addressed to it) or "all".
    #[serde(default)]
    pub unknown_commands: UnknownCommands,
    /// A prefix that always addresses kitbot, even when another bot shares the room
    /// (`!kb aide`).
    #[serde(default = "default_own_prefix")]
    pub own_prefix: String,
    /// Other bots' commands kitbot never answers unless addressed (even when they look like a
    /// near-miss of its own).
    #[serde(default = "default_ignored_commands")]
    pub ignored_commands: Vec<String>,
    /// Where `/metrics` and `/health` listen (e.g. "127.0.0.1:9464"); off when absent.
    pub metrics_address: Option<String>,
}

/// Which unknown `!words` get an answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnknownCommands {
    /// Near-misses of kitbot's own names and aliases, and commands addressed to it.
    #[default]
    Near,
    /// Only commands addressed to kitbot (a mention, or the own prefix).
    Silent,
    /// Every unknown command (a room where kitbot is the only bot).
    All,
}

fn default_own_prefix() -> String {
    "!kb".to_owned()
}

fn default_ignored_commands() -> Vec<String> {
    ["remindme", "remind", "reminder", "reminders"]
        .map(str::to_owned)
        .to_vec()
}

impl Default for RawBot {
    fn default() -> Self {
        Self {
            data_dir: default_data_dir(),
            prefix: default_prefix(),
            commands_dir: None,
            kit_dir: None,
            grace_minutes: default_grace(),
            command_burst: default_command_burst(),
            command_every_seconds: default_command_every(),
            backup_every_hours: default_backup_hours(),
            backup_keep: default_backup_keep(),
            max_sends_per_second: 0,
            unknown_commands: UnknownCommands::default(),
            own_prefix: default_own_prefix(),
            ignored_commands: default_ignored_commands(),
            metrics_address: None,
        }
    }
}

fn default_data_dir() -> PathBuf {
    PathBuf::from("kitbot-data")
}
fn default_prefix() -> String {
    "!".to_owned()
}
fn default_grace() -> u32 {
    60
}
fn default_command_burst() -> u32 {
    20
}
fn default_command_every() -> u32 {
    3
}
fn default_backup_hours() -> u32 {
    24
}
fn default_backup_keep() -> u32 {
    7
}
fn default_device_name() -> String {
    "kitbot".to_owned()
}
fn default_timeline_limit() -> u32 {
    100
}
fn default_tz() -> String {
    "Europe/Paris".to_owned()
}
fn default_level() -> i64 {
    50
}
fn default_retention() -> u32 {
    12
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMatrix {
    pub homeserver: String,
    pub user: String,
    pub password_env: Option<String>,
    pub password_file: Option<PathBuf>,
    pub access_token_env: Option<String>,
    pub access_token_file: Option<PathBuf>,
    #[serde(default = "default_device_name")]
    pub device_name: String,
    #[serde(default)]
    pub allowed_inviters: Vec<String>,
    #[serde(default = "default_timeline_limit")]
    pub timeline_limit: u32,
    /// The name people see for the bot in rooms.
    #[serde(default = "default_display_name")]
    pub display_name: String,
    /// A PNG or JPEG for the bot's avatar (default: the image shipped in `assets/`).
    pub avatar_file: Option<PathBuf>,
}

fn default_display_name() -> String {
    "kitbot".to_owned()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMissionLocale {
    pub id: String,
    pub name: String,
    #[serde(default = "default_tz")]
    pub timezone: String,
    #[serde(default)]
    pub rooms: Vec<String>,
    pub space: Option<String>,
    #[serde(default = "default_level")]
    pub coordination_level: i64,
    #[serde(default = "default_retention")]
    pub retention_months: u32,
    #[serde(default)]
    pub quiet_hours: RawQuiet,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawQuiet {
    #[serde(default = "default_quiet_start")]
    pub start: String,
    #[serde(default = "default_quiet_end")]
    pub end: String,
    #[serde(default = "yes")]
    pub weekends: bool,
    #[serde(default = "yes")]
    pub holidays: bool,
    /// Whose public holidays: guessed from the time zone when absent.
    pub holiday_region: Option<HolidayRegion>,
}

impl Default for RawQuiet {
    fn default() -> Self {
        Self {
            start: default_quiet_start(),
            end: default_quiet_end(),
            weekends: true,
            holidays: true,
            holiday_region: None,
        }
    }
}

fn default_quiet_start() -> String {
    "19:00".to_owned()
}
fn default_quiet_end() -> String {
    "08:00".to_owned()
}
fn yes() -> bool {
    true
}

/// How the bot proves who it is. The secret itself is read at login, not kept in the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    PasswordEnv(String),
    PasswordFile(PathBuf),
    TokenEnv(String),
    TokenFile(PathBuf),
}

/// Who may invite the bot: full MXID patterns (`*` matches anything) or bare server names.
#[derive(Debug, Clone)]
pub struct Allowlist {
    patterns: Vec<Regex>,
}

impl Allowlist {
    pub fn parse(entries: &[String]) -> Result<Self, String> {
        let mut patterns = Vec::new();
        for entry in entries {
            let entry = entry.trim();
            let pattern = if entry.starts_with('@') {
                let escaped: Vec<String> = entry.split('*').map(regex::escape).collect();
                format!("^{}$", escaped.join(".*"))
            } else if !entry.is_empty() && !entry.contains(['@', '*', ' ']) {
                format!("^@[^:]+:{}$", regex::escape(entry))
            } else {
                return Err(format!("motif d'invitation invalide : « {entry} » (attendu : @nom:serveur, @*:serveur ou serveur)"));
            };
            patterns.push(Regex::new(&pattern).map_err(|e| e.to_string())?);
        }
        Ok(Self { patterns })
    }

    pub fn allows(&self, user_id: &str) -> bool {
        self.patterns.iter().any(|p| p.is_match(user_id))
    }
}

#[derive(Debug, Clone)]
pub struct MatrixConfig {
    pub homeserver: String,
    pub user: String,
    pub credentials: Credentials,
    pub device_name: String,
    pub allowlist: Allowlist,
    pub timeline_limit: u32,
    pub display_name: String,
    pub avatar_file: Option<PathBuf>,
}

/// A Mission Locale: one tenant. Nothing of one is ever shown in another's rooms.
#[derive(Debug, Clone)]
pub struct MissionLocale {
    pub id: String,
    pub name: String,
    pub tz: Tz,
    /// Room ids (`!x:server`) and aliases (`#x:server`), as configured.
    pub rooms: Vec<String>,
    pub space: Option<String>,
    pub coordination_level: i64,
    pub retention_months: u32,
    /// Quiet hours, days and public holidays: no nudge then.
    pub quiet: QuietRules,
}

/// Backups of the store by the running bot, into `<data_dir>/backups`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backups {
    /// Hours between two backups; 0 turns scheduled backups off.
    pub every_hours: u32,
    pub keep: u32,
}

/// Commands per person: `burst` at once, then one every `every_seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandLimits {
    pub burst: u32,
    pub every_seconds: u32,
}

/// The checked configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub prefix: String,
    pub commands_dir: Option<PathBuf>,
    pub kit_dir: Option<PathBuf>,
    pub grace_minutes: u32,
    /// How many commands one person may send: a burst, then one every few seconds.
    pub limits: CommandLimits,
    pub backups: Backups,
    /// At most this many messages a second from the bot (0: no limit of its own).
    pub max_sends_per_second: u32,
    pub unknown_commands: UnknownCommands,
    pub own_prefix: String,
    /// Folded.
    pub ignored_commands: Vec<String>,
    /// Where `/metrics` and `/health` listen; `None`: off.
    pub metrics_address: Option<std::net::SocketAddr>,
    pub matrix: Option<MatrixConfig>,
    pub missions: Vec<MissionLocale>,
}

impl Config {
    /// Parse and check a config file's text. `file` names it in problems.
    pub fn parse(text: &str, file: &str) -> Result<Config, Vec<Problem>> {
        let raw: RawConfig = toml::from_str(text)
            .map_err(|e| vec![Problem::toml(file, text, &e, toml_error(text, &e))])?;
        let mut problems = Vec::new();
        // Line of the first occurrence of a key's value, for problems found after parsing.
        let line = |needle: &str| text.find(needle).map(|at| line_of(text, at));
        let mut p = |needle: &str, message: String| {
            problems.push(Problem::at(file, line(needle), message));
        };

        if raw.bot.prefix.trim().is_empty() || raw.bot.prefix.contains(char::is_whitespace) {
            p(
                "prefix",
                "bot.prefix doit être un signe sans espace, par exemple « ! »".to_owned(),
            );
        }

        if raw.bot.own_prefix.trim().is_empty() || raw.bot.own_prefix.contains(char::is_whitespace)
        {
            p(
                "own_prefix",
                "bot.own_prefix doit être un mot sans espace, par exemple « !kb »".to_owned(),
            );
        }

        let metrics_address = match &raw.bot.metrics_address {
            None => None,
            Some(text) => match text.parse::<std::net::SocketAddr>() {
                Ok(address) => Some(address),
                Err(_) => {
                    p(
                        "metrics_address",
                        format!("bot.metrics_address doit être une adresse et un port, par exemple « 127.0.0.1:9464 » (lu : « {text} »)"),
                    );
                    None
                }
            },
        };

        let matrix = match raw.matrix {
            None => None,
            Some(m) => {
                if !(m.homeserver.starts_with("https://") || m.homeserver.starts_with("http://")) {
                    p(
                        "homeserver",
                        format!(
                            "matrix.homeserver doit être une URL http(s) : « {} »",
                            m.homeserver
                        ),
                    );
                }
                if !is_user_id(&m.user) {
                    p("user", format!("matrix.user doit être un identifiant Matrix complet (@nom:serveur) : « {} »", m.user));
                }
                let sources = [
                    m.password_env.clone().map(Credentials::PasswordEnv),
                    m.password_file.clone().map(Credentials::PasswordFile),
                    m.access_token_env.clone().map(Credentials::TokenEnv),
                    m.access_token_file.clone().map(Credentials::TokenFile),
                ];
                let mut given: Vec<Credentials> = sources.into_iter().flatten().collect();
                if given.len() != 1 {
                    p("[matrix]", "matrix : indiquez exactement une source de secret parmi password_env, password_file, access_token_env, access_token_file".to_owned());
                }
                let allowlist = match Allowlist::parse(&m.allowed_inviters) {
                    Ok(a) => a,
                    Err(e) => {
                        p("allowed_inviters", e);
                        Allowlist {
                            patterns: Vec::new(),
                        }
                    }
                };
                if !(1..=1000).contains(&m.timeline_limit) {
                    p(
                        "timeline_limit",
                        "matrix.timeline_limit doit être entre 1 et 1000".to_owned(),
                    );
                }
                given.pop().map(|credentials| MatrixConfig {
                    homeserver: m.homeserver,
                    user: m.user,
                    credentials,
                    device_name: m.device_name,
                    allowlist,
                    timeline_limit: m.timeline_limit,
                    display_name: m.display_name,
                    avatar_file: m.avatar_file,
                })
            }
        };

        let mut ids = HashSet::new();
        let mut rooms_seen = HashSet::new();
        let mut missions = Vec::new();
        for ml in raw.mission_locale {
            let at = format!("\"{}\"", ml.id);
            if !is_kebab(&ml.id) {
                p(
                    &at,
                    format!(
                        "mission_locale.id « {} » : minuscules, chiffres et tirets seulement",
                        ml.id
                    ),
                );
            }
            if !ids.insert(ml.id.clone()) {
                p(
                    &at,
                    format!("mission_locale.id « {} » est en double", ml.id),
                );
            }
            let tz = match ml.timezone.parse::<Tz>() {
                Ok(tz) => tz,
                Err(_) => {
                    p(&ml.timezone, format!("fuseau horaire inconnu « {} » (exemple : Europe/Paris, America/Cayenne, Indian/Reunion)", ml.timezone));
                    chrono_tz::Europe::Paris
                }
            };
            for room in &ml.rooms {
                if !(is_room_id(room) || is_alias(room)) {
                    p(
                        room,
                        format!(
                            "salon « {room} » : attendu !identifiant:serveur ou #alias:serveur"
                        ),
                    );
                } else if !rooms_seen.insert(room.clone()) {
                    p(
                        room,
                        format!("le salon « {room} » appartient à deux Missions Locales"),
                    );
                }
            }
            if let Some(space) = &ml.space {
                if !(is_room_id(space) || is_alias(space)) {
                    p(
                        space,
                        format!(
                            "espace « {space} » : attendu !identifiant:serveur ou #alias:serveur"
                        ),
                    );
                }
            }
            if !(0..=100).contains(&ml.coordination_level) {
                p(
                    "coordination_level",
                    "coordination_level doit être entre 0 et 100".to_owned(),
                );
            }
            if ml.retention_months == 0 || ml.retention_months > 120 {
                p(
                    "retention_months",
                    "retention_months doit être entre 1 et 120".to_owned(),
                );
            }
            let start = NaiveTime::parse_from_str(&ml.quiet_hours.start, "%H:%M");
            let end = NaiveTime::parse_from_str(&ml.quiet_hours.end, "%H:%M");
            if start.is_err() || end.is_err() {
                p(
                    "quiet_hours",
                    "quiet_hours.start et end s'écrivent HH:MM, par exemple \"19:00\"".to_owned(),
                );
            }
            missions.push(MissionLocale {
                id: ml.id,
                name: ml.name,
                tz,
                rooms: ml.rooms,
                space: ml.space,
                coordination_level: ml.coordination_level,
                retention_months: ml.retention_months,
                quiet: QuietRules {
                    start: start.unwrap_or(NaiveTime::MIN),
                    end: end.unwrap_or(NaiveTime::MIN),
                    weekends: ml.quiet_hours.weekends,
                    holidays: ml.quiet_hours.holidays,
                    region: ml
                        .quiet_hours
                        .holiday_region
                        .unwrap_or_else(|| HolidayRegion::from_tz(tz)),
                },
            });
        }
        if missions.is_empty() {
            problems.push(Problem::at(
                file,
                None,
                "au moins une [[mission_locale]] est nécessaire",
            ));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let ignored_commands = raw
            .bot
            .ignored_commands
            .iter()
            .map(|w| crate::core::text::fold(w.trim_start_matches(raw.bot.prefix.as_str())))
            .collect();
        Ok(Config {
            data_dir: raw.bot.data_dir,
            prefix: raw.bot.prefix,
            commands_dir: raw.bot.commands_dir,
            kit_dir: raw.bot.kit_dir,
            grace_minutes: raw.bot.grace_minutes,
            max_sends_per_second: raw.bot.max_sends_per_second,
            unknown_commands: raw.bot.unknown_commands,
            own_prefix: raw.bot.own_prefix,
            ignored_commands,
            metrics_address,
            backups: Backups {
                every_hours: raw.bot.backup_every_hours,
                keep: raw.bot.backup_keep.max(1),
            },
            limits: CommandLimits {
                burst: raw.bot.command_burst.max(1),
                every_seconds: raw.bot.command_every_seconds.max(1),
            },
            matrix,
            missions,
        })
    }

    /// Where the store lives.
    pub fn store_dir(&self) -> PathBuf {
        self.data_dir.join("store")
    }

    /// Where backups of the store go.
    pub fn backup_dir(&self) -> PathBuf {
        self.data_dir.join("backups")
    }

    /// The lock file that keeps a second kitbot out of the data folder.
    pub fn lock_file(&self) -> PathBuf {
        self.data_dir.join("kitbot.lock")
    }

    /// The file holding the running bot's process id (for `kitbot backup` while it runs).
    pub fn pid_file(&self) -> PathBuf {
        self.data_dir.join("kitbot.pid")
    }

    /// Read a config file, or the embedded example when `path` is `None`.
    pub fn load(path: Option<&Path>) -> Result<Config, Vec<Problem>> {
        match path {
            None => Config::parse(EXAMPLE, EXAMPLE_NAME),
            Some(path) => {
                let name = path.display().to_string();
                let text = std::fs::read_to_string(path).map_err(|e| {
                    vec![Problem::at(
                        &name,
                        None,
                        format!("lecture impossible : {e}"),
                    )]
                })?;
                Config::parse(&text, &name)
            }
        }
    }

    pub fn mission(&self, id: &str) -> Option<&MissionLocale> {
        self.missions.iter().find(|m| m.id == id)
    }
}

fn is_kebab(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn has_server(s: &str) -> bool {
    matches!(s.split_once(':'), Some((local, server)) if local.len() > 1 && !server.is_empty() && !s.contains(char::is_whitespace))
}

pub fn is_user_id(s: &str) -> bool {
    s.starts_with('@') && has_server(s)
}
/// Room ids are `!opaque:server` up to room version 11, and `!opaque` from version 12 on.
pub fn is_room_id(s: &str) -> bool {
    s.starts_with('!') && s.len() > 2 && !s.contains(char::is_whitespace)
}
pub fn is_alias(s: &str) -> bool {
    s.starts_with('#') && has_server(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_loads() {
        let config = Config::parse(EXAMPLE, EXAMPLE_NAME).expect("example is valid");
        assert!(!config.missions.is_empty());
        assert!(config.matrix.is_some());
    }

    #[test]
    fn every_problem_is_reported_at_once_with_its_line() {
        let text = r#"
[matrix]
homeserver = "ftp://x"
user = "kitbot"
password_env = "A"
access_token_env = "B"

[[mission_locale]]
id = "Bad Id"
name = "X"
timezone = "Europe/Pariss"
rooms = ["general"]
"#;
        let problems = Config::parse(text, "bot.toml").expect_err("invalid");
        let all: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(problems.len() >= 5, "{all:#?}");
        assert!(
            all.iter()
                .any(|p| p.starts_with("bot.toml:3: ") && p.contains("homeserver")),
            "{all:#?}"
        );
        assert!(
            all.iter()
                .any(|p| p.contains("Europe/Pariss") && p.starts_with("bot.toml:11")),
            "{all:#?}"
        );
    }

    #[test]
    fn corrupt_toml_is_a_problem_not_a_panic() {
        for text in ["[[[", "bot = 3", "\u{0}\u{1}", "[bot]\nprefix = "] {
            assert!(Config::parse(text, "bot.toml").is_err(), "{text:?}");
        }
    }

    /// Found by the `config` fuzz target (fuzz/README.md): toml says nothing of a control
    /// character in a comment or of a lone carriage return, and `kitbot check` printed
    /// `bot.toml:1: ` alone. Each problem now names the character and its column.
    #[test]
    fn a_character_toml_forbids_is_named() {
        let cases = [
            (
                "\r",
                1,
                "retour chariot (\\r) sans saut de ligne en colonne 1",
            ),
            ("# \0\n", 1, "U+0000 en colonne 3"),
            ("# \"\0\0\0\0\0\0\0\u{16}\n", 1, "U+0000 en colonne 4"),
            ("# kitbot\n#\u{7f}\n[bot]\n", 2, "U+007F en colonne 2"),
            (
                "# ktuith its\u{2}\0\0\0\0\0\0refix == \"\n",
                1,
                "U+0002 en colonne 13",
            ),
        ];
        for (text, line, said) in cases {
            let problems = Config::parse(text, "bot.toml").expect_err("not a config");
            let [problem] = problems.as_slice() else {
                panic!("{text:?}: {problems:?}");
            };
            assert_eq!(problem.line, Some(line), "{text:?}");
            assert!(problem.message.contains(said), "{text:?}: {problem}");
        }
    }

    #[test]
    fn allowlist_patterns() {
        let list = Allowlist::parse(&[
            "@*:ml-sarthe.fr".into(),
            "@alice:example.org".into(),
            "tchap.gouv.fr".into(),
        ])
        .expect("valid");
        assert!(list.allows("@bob:ml-sarthe.fr"));
        assert!(list.allows("@alice:example.org"));
        assert!(!list.allows("@alicex:example.org"));
        assert!(list.allows("@x:tchap.gouv.fr"));
        assert!(!list.allows("@x:evil.fr"));
        assert!(!list.allows("@x:ml-sarthe.fr.evil.fr"));
        assert!(Allowlist::parse(&["bad pattern".into()]).is_err());
    }
}
