//! The `kitbot` binary: `console` (the embedded default, no homeserver), `run` (the Matrix bot),
//! `check` (validate config and data), and offline tools. Errors print with their causes (`{:#}`)
//! and a non-zero exit code.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use kitbot::config::Config;
use kitbot::core::{Problem, Role, ScaledClock, SharedClock, SystemClock};
use kitbot::engine::{Engine, Parts};
use kitbot::files::FolderLock;
use kitbot::store::Store;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

#[derive(Parser)]
#[command(
    name = "kitbot",
    version,
    about = "Le robot du kit d'accompagnement à distance des Missions Locales"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
    /// Log lines as text (default) or as JSON objects, one per line, for log collectors.
    #[arg(long, global = true, value_enum, default_value = "text")]
    log_format: Format,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Cmd {
    /// Chat with the bot in this terminal, no homeserver needed.
    Console {
        /// Config file (optional: the built-in example is used otherwise).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Data folder (default: the config's data_dir).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Who you are in the conversation.
        #[arg(long = "as", default_value = "@vous:console.local")]
        user: String,
        #[arg(long, value_enum, default_value = "membre")]
        role: Role,
        /// The Mission Locale id (default: the first in the config).
        #[arg(long)]
        mission_locale: Option<String>,
    },
    /// Try kitbot with any Matrix client: a local Synapse (installed the first time), the bot,
    /// a demo user and a room with a few nudges and reflections. Ctrl-C stops everything.
    Demo {
        /// Where everything lives (Synapse, the bot's config and data, logs).
        #[arg(long, default_value = "kitbot-demo")]
        dir: PathBuf,
        /// Synapse's port on 127.0.0.1.
        #[arg(long, default_value_t = 8008)]
        port: u16,
        /// Stop after the set-up instead of running until Ctrl-C.
        #[arg(long)]
        setup_only: bool,
    },
    /// Run the bot on a Matrix homeserver.
    Run {
        #[arg(long)]
        config: PathBuf,
    },
    /// Search the kit offline, as `!kit` does in chat.
    Ask {
        question: String,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// How many cards to list.
        #[arg(long, default_value_t = 3)]
        top: usize,
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Print the next firings of a schedule phrase ("chaque lundi à 9h", "0 9 * * 1-5").
    Schedule {
        phrase: String,
        /// IANA time zone.
        #[arg(long, default_value = "Europe/Paris")]
        tz: String,
        /// Start from this instant (RFC 3339) instead of now.
        #[arg(long)]
        from: Option<String>,
        #[arg(long, default_value_t = 3)]
        next: usize,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Check the config, commands/ and kit-snippets/; print every problem.
    Check {
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Export a Mission Locale's reflections (csv, json, markdown) or its one-page activity
    /// report (html) for the yearly report (bot stopped).
    Export {
        #[arg(long)]
        mission_locale: String,
        /// Only what happened since this date or duration (2026-01-01, 01/01/2026, 12 mois).
        #[arg(long)]
        since: Option<String>,
        /// Only what happened until this date, the day included (2026-12-31, 31/12/2026).
        #[arg(long)]
        until: Option<String>,
        /// csv, json or markdown (the reflections), or html (the activity report).
        #[arg(long)]
        format: kitbot::report::ExportKind,
        /// Write to this file instead of the standard output.
        #[arg(long)]
        output: Option<PathBuf>,
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// The questions passed on to the kit's writers (`!transmettre`), grouped by wording, most
    /// frequent first (bot stopped). Nothing in them names who asked.
    Questions {
        /// Only this Mission Locale's (default: every one).
        #[arg(long)]
        mission_locale: Option<String>,
        /// Only questions since this date or duration (2026-01-01, 01/01/2026, 3 mois).
        #[arg(long)]
        since: Option<String>,
        /// csv, json or markdown.
        #[arg(long)]
        format: kitbot::reflections::ExportFormat,
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Erase everything kept about a person (consent, reflections), as `!oublier` does (bot stopped).
    Forget {
        /// Full Matrix id, e.g. @camille:ml-exemple.fr.
        user: String,
        /// Only in this Mission Locale (default: every one).
        #[arg(long)]
        mission_locale: Option<String>,
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Write a backup of the store now (also while the bot runs: the running bot writes it).
    Backup {
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Read a backup back into the store (bot stopped; the current store is moved aside).
    Restore {
        /// A file written by `kitbot backup` or by the running bot (data_dir/backups).
        file: PathBuf,
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    kitbot::memory::tune_allocator();
    #[cfg(unix)]
    kitbot::files::private_umask();
    let cli = Cli::parse();
    // The bot's own progress is worth reading in a service log, not in a chat in a terminal.
    let default_filter = match cli.command {
        // matrix-sdk logs every HTTP error response at ERROR, including the expected 404s of
        // account data that does not exist yet; kitbot logs the failures that matter itself.
        Cmd::Run { .. } => "warn,kitbot=info,matrix_sdk::http_client=off",
        // The demo's own Matrix client is a detail: only what the newcomer must act on.
        Cmd::Demo { .. } => "warn,matrix_sdk=off,matrix_sdk_base=off,matrix_sdk_crypto=off",
        _ => "warn",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("KITBOT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    // `KITBOT_LOG_SPANS=1` also logs each span's end with its busy and idle time: where a slow
    // send waits, for instance (a diagnostic; the filter chooses which spans).
    let span_events = if std::env::var_os("KITBOT_LOG_SPANS").is_some_and(|v| v == "1") {
        tracing_subscriber::fmt::format::FmtSpan::CLOSE
    } else {
        tracing_subscriber::fmt::format::FmtSpan::NONE
    };
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(span_events)
        .with_writer(std::io::stderr);
    match cli.log_format {
        Format::Json => logs.json().init(),
        // Colours only on a terminal: a log file or the journal gets plain text.
        Format::Text => logs
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
    }
    let result = match cli.command {
        Cmd::Console {
            config,
            data_dir,
            user,
            role,
            mission_locale,
        } => console(config, data_dir, user, role, mission_locale),
        Cmd::Run { config } => run(config),
        Cmd::Demo {
            dir,
            port,
            setup_only,
        } => tokio::runtime::Runtime::new()
            .map_err(anyhow::Error::from)
            .and_then(|rt| {
                rt.block_on(kitbot::demo::run(kitbot::demo::Options {
                    dir,
                    port,
                    setup_only,
                }))
            }),
        Cmd::Check { config } => return check(config),
        Cmd::Export {
            mission_locale,
            since,
            until,
            format,
            output,
            config,
            data_dir,
        } => export(
            config,
            data_dir,
            &mission_locale,
            (since.as_deref(), until.as_deref()),
            format,
            output,
        ),
        Cmd::Questions {
            mission_locale,
            since,
            format,
            config,
            data_dir,
        } => questions(
            config,
            data_dir,
            mission_locale.as_deref(),
            since.as_deref(),
            format,
        ),
        Cmd::Forget {
            user,
            mission_locale,
            config,
            data_dir,
        } => forget(config, data_dir, &user, mission_locale.as_deref()),
        Cmd::Backup { config, data_dir } => backup(config, data_dir),
        Cmd::Restore {
            file,
            config,
            data_dir,
        } => restore(config, data_dir, &file),
        Cmd::Ask {
            question,
            format,
            top,
            config,
        } => ask(config, &question, format, top),
        Cmd::Schedule {
            phrase,
            tz,
            from,
            next,
            format,
        } => {
            match kitbot::schedule::cli(
                &phrase,
                &tz,
                from.as_deref(),
                next,
                format == Format::Json,
                chrono::Utc::now(),
            ) {
                Ok(text) => {
                    println!("{text}");
                    Ok(())
                }
                Err(err) => {
                    eprintln!("{err}");
                    return ExitCode::from(2);
                }
            }
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("kitbot : {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Every problem of a file, as one error naming what was being loaded.
fn problems_error(what: &str, problems: &[Problem]) -> anyhow::Error {
    let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
    anyhow::anyhow!("{what} :\n{}", lines.join("\n"))
}

fn load_config(path: Option<&std::path::Path>) -> anyhow::Result<Config> {
    Config::load(path).map_err(|problems| problems_error("configuration invalide", &problems))
}

fn load_kit(config: &Config) -> anyhow::Result<kitbot::kit::Kit> {
    load_kit_from(config.kit_dir.as_deref())
}

fn load_kit_from(dir: Option<&std::path::Path>) -> anyhow::Result<kitbot::kit::Kit> {
    Engine::load_kit_from(dir)
        .map_err(|problems| problems_error("fiches du kit invalides", &problems))
}

/// The clock: the wall clock, or for end-to-end tests only a faster one
/// (`KITBOT_TIME_SCALE=60`: an hour passes in a minute).
fn clock() -> SharedClock {
    match std::env::var("KITBOT_TIME_SCALE")
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
    {
        Some(factor) if factor > 1 => {
            tracing::warn!(
                factor,
                "KITBOT_TIME_SCALE is set: time runs faster (tests only)"
            );
            Arc::new(ScaledClock::new(factor))
        }
        _ => Arc::new(SystemClock),
    }
}

/// The engine, and the data folder's lock it holds until the process ends.
fn build_engine(config: Config) -> anyhow::Result<(Engine, Option<FolderLock>)> {
    start_engine(config, StoreOpening::Beside)?.finish()
}

/// When the store opens against the rest of the start.
#[derive(Clone, Copy)]
enum StoreOpening {
    /// On its own thread, beside the kit and the Matrix session's restore.
    Beside,
    /// Before `start_engine` returns: before a first login, so that a damaged store stops the
    /// bot before it creates a device on the homeserver; and whenever the data folder's lock
    /// could not be taken.
    First,
}

/// The engine's parts, the kit and (usually) the store still loading on their own threads while
/// `kitbot run` restores its Matrix session (BENCHMARKS.md "Start-up: the kit loads beside the
/// Matrix session" and "A lock on the data folder, the store beside the Matrix session").
struct EngineLoading {
    config: Config,
    commands: kitbot::commands::CommandSet,
    store: StoreSlot,
    kit: std::thread::JoinHandle<anyhow::Result<kitbot::kit::Kit>>,
    lock: Option<FolderLock>,
}

/// The store, open already or opening on its own thread.
enum StoreSlot {
    Open(Store),
    Opening(std::thread::JoinHandle<anyhow::Result<Store>>),
}

/// Start loading the kit, load the commands, take the data folder's lock (a second kitbot on
/// the same data folder stops here, before it opens anything there), then open the store as
/// `opening` says.
fn start_engine(config: Config, opening: StoreOpening) -> anyhow::Result<EngineLoading> {
    let kit_dir = config.kit_dir.clone();
    let kit = std::thread::Builder::new()
        .name("kitbot-kit-load".into())
        .spawn(move || {
            let kit = load_kit_from(kit_dir.as_deref());
            tracing::trace!(target: "kitbot::timing", "kit loaded");
            kit
        })?;
    let commands = Engine::load_commands(&config)
        .map_err(|problems| problems_error("commandes invalides", &problems))?;
    tracing::trace!(target: "kitbot::timing", "commands loaded");
    kitbot::files::private_dir(&config.data_dir)?;
    match kitbot::files::tighten(&config.data_dir) {
        Ok(0) => {}
        Ok(changed) => tracing::info!(
            changed,
            "the data folder is now readable by the bot's user only"
        ),
        Err(err) => {
            tracing::warn!(cause = %err, "could not restrict the data folder's permissions")
        }
    }
    tracing::trace!(target: "kitbot::timing", "data folder checked");
    let lock = lock_data_folder(
        &config,
        &format!(
            "le dossier de données {} est utilisé par un autre kitbot (le robot tourne ?)",
            config.data_dir.display()
        ),
    )?;
    // Without the folder's lock, sled's lock is the only guard: the store opens first, so that a
    // second kitbot stops before it restores a Matrix session another one is using.
    let opening = if lock.is_some() {
        opening
    } else {
        StoreOpening::First
    };
    let store = match opening {
        StoreOpening::First => {
            let store = open_store(&config.store_dir(), &config.backup_dir())?;
            tracing::trace!(target: "kitbot::timing", "store open");
            StoreSlot::Open(store)
        }
        StoreOpening::Beside => {
            let (dir, backups) = (config.store_dir(), config.backup_dir());
            StoreSlot::Opening(
                std::thread::Builder::new()
                    .name("kitbot-store-open".into())
                    .spawn(move || {
                        let store = open_store(&dir, &backups);
                        tracing::trace!(target: "kitbot::timing", "store open");
                        store
                    })?,
            )
        }
    };
    Ok(EngineLoading {
        config,
        commands,
        store,
        kit,
        lock,
    })
}

/// Take the data folder's lock, or fail with `in_use` when another kitbot holds it. A file
/// system that cannot lock files gets a warning: the store's own lock still keeps a second
/// kitbot out, a moment later.
fn lock_data_folder(config: &Config, in_use: &str) -> anyhow::Result<Option<FolderLock>> {
    match kitbot::files::lock_folder(&config.lock_file()) {
        Ok(lock) => Ok(Some(lock)),
        Err(kitbot::files::LockError::Held) => Err(anyhow::anyhow!("{in_use}")),
        Err(kitbot::files::LockError::Io(err)) => {
            tracing::warn!(
                file = %config.lock_file().display(),
                cause = %err,
                "could not lock the data folder"
            );
            Ok(None)
        }
    }
}

impl EngineLoading {
    fn config(&self) -> &Config {
        &self.config
    }

    /// Wait for the store and the kit, and build the engine. The store's error comes first.
    fn finish(self) -> anyhow::Result<(Engine, Option<FolderLock>)> {
        let store = match self.store {
            StoreSlot::Open(store) => store,
            StoreSlot::Opening(thread) => thread
                .join()
                .map_err(|_| anyhow::anyhow!("l'ouverture du store s'est interrompue"))??,
        };
        let kit = self
            .kit
            .join()
            .map_err(|_| anyhow::anyhow!("le chargement des fiches du kit s'est interrompu"))??;
        let engine = Engine::new(Parts {
            config: self.config,
            commands: self.commands,
            kit,
            store,
            clock: clock(),
        });
        Ok((engine, self.lock))
    }
}

/// Open the store, or explain what to do: another kitbot holds it, or it is damaged (then the
/// newest backup is named, with the command that restores it).
fn open_store(dir: &std::path::Path, backups: &std::path::Path) -> anyhow::Result<Store> {
    Store::open(dir).map_err(|err| {
        let locked = err.to_string().contains("lock");
        if locked {
            return anyhow::anyhow!(
                "le store {} est ouvert par un autre kitbot (le robot tourne ?) : {err}",
                dir.display()
            );
        }
        let hint = match kitbot::backup::latest(backups) {
            Some(file) => format!(
                "Dernière sauvegarde : {}. Pour repartir d'elle : kitbot restore {} (le dossier abîmé est mis de côté).",
                file.display(),
                file.display()
            ),
            None => format!("Aucune sauvegarde dans {}.", backups.display()),
        };
        anyhow::anyhow!(
            "le store {} ne s'ouvre pas ({err}). {hint}",
            dir.display()
        )
    })
}

/// `kitbot backup`: with the bot stopped, write it here; while it runs, ask the running bot
/// (SIGUSR1 to the process in `kitbot.pid`) and wait for its file.
fn backup(config: Option<PathBuf>, data_dir: Option<PathBuf>) -> anyhow::Result<()> {
    let mut config = load_config(config.as_deref())?;
    if let Some(dir) = data_dir {
        config.data_dir = dir;
    }
    let dir = config.backup_dir();
    match Store::open(&config.store_dir()) {
        Ok(store) => {
            let file = kitbot::backup::write(&store, &dir, chrono::Utc::now())?;
            println!("{}", file.display());
            Ok(())
        }
        Err(err) if err.to_string().contains("lock") => {
            let pid = std::fs::read_to_string(config.pid_file()).map_err(|_| {
                anyhow::anyhow!(
                    "le store est verrouillé mais {} est introuvable : le robot tourne-t-il ?",
                    config.pid_file().display()
                )
            })?;
            let before = kitbot::backup::latest(&dir);
            let status = std::process::Command::new("kill")
                .args(["-USR1", pid.trim()])
                .status()?;
            anyhow::ensure!(
                status.success(),
                "impossible de joindre le robot (processus {})",
                pid.trim()
            );
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
            loop {
                let newest = kitbot::backup::latest(&dir);
                if newest.is_some() && newest != before {
                    if let Some(file) = newest {
                        println!("{}", file.display());
                    }
                    return Ok(());
                }
                anyhow::ensure!(
                    std::time::Instant::now() < deadline,
                    "le robot n'a pas écrit de sauvegarde dans {} en 2 minutes",
                    dir.display()
                );
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
        }
        Err(err) => Err(anyhow::anyhow!("{err}")),
    }
}

/// `kitbot restore FILE`: the bot must be stopped; the current store (if any) is moved aside.
fn restore(
    config: Option<PathBuf>,
    data_dir: Option<PathBuf>,
    file: &std::path::Path,
) -> anyhow::Result<()> {
    let mut config = load_config(config.as_deref())?;
    if let Some(dir) = data_dir {
        config.data_dir = dir;
    }
    kitbot::files::private_dir(&config.data_dir)?;
    // A bot that is starting holds the folder's lock before its store is open.
    let _lock = lock_data_folder(
        &config,
        &format!(
            "arrêtez le robot avant de restaurer : le dossier de données {} est utilisé",
            config.data_dir.display()
        ),
    )?;
    let store_dir = config.store_dir();
    if store_dir.exists() {
        if let Err(err) = Store::open(&store_dir) {
            anyhow::ensure!(
                !err.to_string().contains("lock"),
                "arrêtez le robot avant de restaurer : le store {} est ouvert",
                store_dir.display()
            );
        }
        let aside = config.data_dir.join(format!(
            "store.avant-restauration-{}",
            chrono::Utc::now().format("%Y%m%d-%H%M%S")
        ));
        std::fs::rename(&store_dir, &aside)?;
        eprintln!("L'ancien store est mis de côté dans {}", aside.display());
    }
    let count = kitbot::backup::restore(file, &store_dir)?;
    println!(
        "Sauvegarde restaurée : {count} entrées dans {}",
        store_dir.display()
    );
    Ok(())
}

/// Run an adapter with the engine's background tasks until it returns, then stop everything in
/// order: the adapter is done, the background tasks are told and awaited, the store is flushed
/// last.
async fn serve<F, Fut>(
    engine: Engine,
    shutdown: CancellationToken,
    mode: kitbot::health::Mode,
    adapter: F,
) -> anyhow::Result<()>
where
    F: FnOnce(Engine, CancellationToken) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let tasks = TaskTracker::new();
    engine.spawn_background(&tasks, &shutdown);
    if let Some(address) = engine.config().metrics_address {
        let (engine, shutdown) = (engine.clone(), shutdown.clone());
        tasks.spawn(async move {
            if let Err(err) = kitbot::health::serve(address, engine, mode, shutdown).await {
                tracing::error!(cause = %err, %address, "the metrics endpoint could not start");
            }
        });
    }
    let result = adapter(engine.clone(), shutdown.clone()).await;
    shutdown.cancel();
    tasks.close();
    tasks.wait().await;
    engine.store().flush().await?;
    result
}

fn console(
    config: Option<PathBuf>,
    data_dir: Option<PathBuf>,
    user: String,
    role: Role,
    mission_locale: Option<String>,
) -> anyhow::Result<()> {
    let mut config = load_config(config.as_deref())?;
    if let Some(dir) = data_dir {
        config.data_dir = dir;
    }
    if !kitbot::config::is_user_id(&user) {
        anyhow::bail!(
            "--as attend un identifiant Matrix complet, par exemple @camille:ml-exemple.fr"
        );
    }
    let tenant = match mission_locale {
        Some(id) => {
            config
                .mission(&id)
                .ok_or_else(|| anyhow::anyhow!("Mission Locale inconnue : {id}"))?;
            id
        }
        None => config.missions[0].id.clone(),
    };
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let (engine, _lock) = build_engine(config)?;
        let who = kitbot::console::ConsoleIdentity { user, role, tenant };
        serve(
            engine,
            CancellationToken::new(),
            kitbot::health::Mode::Console,
            |engine, shutdown| kitbot::console::run(engine, who, shutdown),
        )
        .await
    })
}

fn run(config_path: PathBuf) -> anyhow::Result<()> {
    // `kitbot::timing` traces: each start-up step's end (BENCHMARKS.md, "Start-up").
    tracing::trace!(target: "kitbot::timing", "process started");
    let config = load_config(Some(&config_path))?;
    tracing::trace!(target: "kitbot::timing", "config read");
    warn_if_readable(&config_path, &config);
    anyhow::ensure!(
        config.matrix.is_some(),
        "la section [matrix] manque dans la configuration"
    );
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let pid_file = config.pid_file();
        // A saved session is restored while the store opens and the kit loads; a first login
        // waits for the store.
        let restoring = kitbot::matrix::session::Paths::new(&config.data_dir)
            .session()
            .exists();
        let opening = if restoring {
            StoreOpening::Beside
        } else {
            StoreOpening::First
        };
        let loading = start_engine(config, opening)?;
        let client = kitbot::matrix::connect(loading.config()).await;
        tracing::trace!(target: "kitbot::timing", "matrix session ready");
        let (engine, _lock) = loading.finish()?;
        tracing::trace!(target: "kitbot::timing", "engine built");
        let client = client?;
        std::fs::write(&pid_file, std::process::id().to_string())?;
        let shutdown = CancellationToken::new();
        spawn_signal_watch(shutdown.clone());
        spawn_backup_signal(engine.clone());
        let result = serve(
            engine,
            shutdown,
            kitbot::health::Mode::Matrix,
            |engine, shutdown| kitbot::matrix::run(client, engine, shutdown),
        )
        .await;
        let _ = std::fs::remove_file(&pid_file);
        result
    })
}

/// A config or secret file that other users of the machine can read is reported at start
/// (with the command that fixes it).
fn warn_if_readable(config_path: &std::path::Path, config: &Config) {
    let mut files = vec![config_path.to_path_buf()];
    if let Some(matrix) = &config.matrix {
        match &matrix.credentials {
            kitbot::config::Credentials::PasswordFile(file)
            | kitbot::config::Credentials::TokenFile(file) => files.push(file.clone()),
            _ => {}
        }
    }
    for file in files {
        if kitbot::files::readable_by_others(&file) {
            tracing::warn!(
                file = %file.display(),
                "this file can be read by other users of the machine; restrict it with: chmod 600 {}",
                file.display()
            );
        }
    }
}

/// Write a backup on SIGUSR1 (what `kitbot backup` sends while the bot runs).
fn spawn_backup_signal(engine: Engine) {
    #[cfg(unix)]
    tokio::spawn(async move {
        let Ok(mut usr1) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::user_defined1())
        else {
            tracing::warn!("cannot watch SIGUSR1: `kitbot backup` cannot reach the running bot");
            return;
        };
        while usr1.recv().await.is_some() {
            tracing::info!("backup requested");
            engine.request_backup();
        }
    });
    #[cfg(not(unix))]
    let _ = engine;
}

/// Cancel `shutdown` on ctrl-c or SIGTERM.
fn spawn_signal_watch(shutdown: CancellationToken) {
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term =
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(term) => term,
                    Err(err) => {
                        tracing::error!(cause = %err, "cannot watch SIGTERM");
                        let _ = ctrl_c.await;
                        shutdown.cancel();
                        return;
                    }
                };
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
        tracing::info!("stop requested");
        shutdown.cancel();
    });
}

fn ask(config: Option<PathBuf>, question: &str, format: Format, top: usize) -> anyhow::Result<()> {
    let config = load_config(config.as_deref())?;
    let kit = load_kit(&config)?;
    println!(
        "{}",
        kitbot::kit::cli_ask(&kit, question, format == Format::Json, top.clamp(1, 50))
    );
    Ok(())
}

fn check(config: Option<PathBuf>) -> ExitCode {
    let report = kitbot::check::run(config.as_deref());
    for line in &report.lines {
        println!("{line}");
    }
    for warning in &report.warnings {
        println!("{warning}");
    }
    if report.problems.is_empty() {
        println!("Tout est en ordre.");
        ExitCode::SUCCESS
    } else {
        for problem in &report.problems {
            eprintln!("{problem}");
        }
        eprintln!("{} problème(s) trouvé(s).", report.problems.len());
        ExitCode::FAILURE
    }
}

/// `kitbot export`: the engine on the data folder, the export (the reflections, or the HTML
/// report) on stdout or a file.
fn export(
    config: Option<PathBuf>,
    data_dir: Option<PathBuf>,
    mission: &str,
    (since, until): (Option<&str>, Option<&str>),
    format: kitbot::report::ExportKind,
    output: Option<PathBuf>,
) -> anyhow::Result<()> {
    let mut config = load_config(config.as_deref())?;
    if let Some(dir) = data_dir {
        config.data_dir = dir;
    }
    let (engine, _lock) = build_engine(config)?;
    let now = engine.now();
    let scope = kitbot::reflections::cli::scope(engine.config(), now, mission, since, until)?;
    let summary = match format {
        kitbot::report::ExportKind::Reflections(format) => kitbot::reflections::cli::cli_export(
            engine.store(),
            now,
            &scope,
            format,
            output.as_deref(),
        )?,
        kitbot::report::ExportKind::Html => kitbot::report::cli_report(
            engine.store(),
            engine.nudges(),
            engine.kit(),
            now,
            &scope,
            output.as_deref(),
        )?,
    };
    eprintln!("{summary}");
    Ok(())
}

/// `kitbot questions`: the questions passed on, grouped, on the standard output.
fn questions(
    config: Option<PathBuf>,
    data_dir: Option<PathBuf>,
    mission: Option<&str>,
    since: Option<&str>,
    format: kitbot::reflections::ExportFormat,
) -> anyhow::Result<()> {
    let mut config = load_config(config.as_deref())?;
    if let Some(dir) = data_dir {
        config.data_dir = dir;
    }
    let (engine, _lock) = build_engine(config)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let groups = kitbot::feedback::cli::cli_questions(
        engine.feedback(),
        engine.config(),
        engine.now(),
        mission,
        since,
        format,
        &mut out,
    )?;
    eprintln!("{}", kitbot::strings::feedback::questions_summary(groups));
    Ok(())
}

/// `kitbot forget`: erase a person's data, one line per Mission Locale.
fn forget(
    config: Option<PathBuf>,
    data_dir: Option<PathBuf>,
    user: &str,
    mission: Option<&str>,
) -> anyhow::Result<()> {
    let mut config = load_config(config.as_deref())?;
    if let Some(dir) = data_dir {
        config.data_dir = dir;
    }
    let (engine, _lock) = build_engine(config)?;
    let runtime = tokio::runtime::Runtime::new()?;
    for line in runtime.block_on(kitbot::rights::cli_forget(
        engine.store(),
        engine.nudges(),
        engine.config(),
        user,
        mission,
    ))? {
        println!("{line}");
    }
    Ok(())
}
