//! Login and session persistence. The first start logs in (password or access token, read from
//! the environment or a file named in the config) and saves the session (user, device, token) in
//! `<data_dir>/matrix/session.json`; every later start restores it, so a restart never creates a
//! new device. matrix-sdk's SQLite store (crypto keys included) lives beside it, encrypted with a
//! random 32-byte key generated once into `<data_dir>/matrix/store-key` (hexadecimal, mode 0600).
//! A data folder created before that (until 2026-12) has a random passphrase in
//! `store-passphrase` instead, which its store was encrypted with: it stays in use there. A key
//! is used as it is; a passphrase goes through PBKDF2 (200,000 rounds) for each of matrix-sdk's
//! four stores at every start, about 0.4 s of CPU (BENCHMARKS.md, "Start-up").
//!
//! Encryption recovery: once logged in, the bot makes sure cross-signing and key backup are on.
//! When no recovery exists on the account yet, it creates one and writes the recovery key to
//! `<data_dir>/matrix/recovery-key` (mode 0600). When a redeployed bot (new device, lost store)
//! finds recovery already set up, it recovers with the key from `KITBOT_RECOVERY_KEY` or that
//! file, so it can read the rooms' history again.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use matrix_sdk::authentication::matrix::MatrixSession;
use matrix_sdk::encryption::recovery::RecoveryState;
use matrix_sdk::encryption::{BackupDownloadStrategy, EncryptionSettings};
use matrix_sdk::{Client, SessionMeta, SessionTokens, SqliteStoreConfig};
use tokio_util::sync::CancellationToken;

use crate::config::{Credentials, MatrixConfig};

/// Files of the Matrix side of the data folder.
#[derive(Debug, Clone)]
pub struct Paths {
    pub dir: PathBuf,
}

impl Paths {
    pub fn new(data_dir: &Path) -> Self {
        Self {
            dir: data_dir.join("matrix"),
        }
    }
    pub fn session(&self) -> PathBuf {
        self.dir.join("session.json")
    }
    /// The store's passphrase, in data folders created before `store-key`.
    pub fn passphrase(&self) -> PathBuf {
        self.dir.join("store-passphrase")
    }
    pub fn key(&self) -> PathBuf {
        self.dir.join("store-key")
    }
    pub fn sqlite(&self) -> PathBuf {
        self.dir.join("sdk-store")
    }
    pub fn recovery_key(&self) -> PathBuf {
        self.dir.join("recovery-key")
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct SavedSession {
    homeserver: String,
    session: MatrixSession,
}

/// Write a file only the bot's user can read.
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt as _;
    let tmp = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(&tmp)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(tmp, path)
}

/// What matrix-sdk's store is encrypted with.
#[derive(Debug, PartialEq)]
enum StoreSecret {
    Key([u8; 32]),
    /// A data folder from before `store-key`.
    Passphrase(String),
}

/// The store's key (or, in an older data folder, its passphrase); a new key when there is
/// neither.
fn store_secret(paths: &Paths) -> anyhow::Result<StoreSecret> {
    let key_path = paths.key();
    if let Ok(text) = std::fs::read_to_string(&key_path) {
        return parse_key(text.trim())
            .map(StoreSecret::Key)
            .with_context(|| {
                format!(
                    "{} illisible (64 chiffres hexadécimaux attendus)",
                    key_path.display()
                )
            });
    }
    if let Ok(existing) = std::fs::read_to_string(paths.passphrase()) {
        return Ok(StoreSecret::Passphrase(existing.trim().to_owned()));
    }
    let key: [u8; 32] = rand::random();
    let hex = key.iter().map(|b| format!("{b:02x}")).collect::<String>();
    write_private(&key_path, &hex)
        .with_context(|| format!("écriture de {}", key_path.display()))?;
    Ok(StoreSecret::Key(key))
}

fn parse_key(hex: &str) -> anyhow::Result<[u8; 32]> {
    anyhow::ensure!(hex.len() == 64 && hex.is_ascii(), "wrong length");
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16)?;
    }
    Ok(key)
}

/// Read a secret from where the config says it is. Never logged.
fn read_secret(credentials: &Credentials) -> anyhow::Result<String> {
    let value = match credentials {
        Credentials::PasswordEnv(var) | Credentials::TokenEnv(var) => std::env::var(var)
            .with_context(|| format!("la variable d'environnement {var} n'est pas définie"))?,
        Credentials::PasswordFile(path) | Credentials::TokenFile(path) => {
            std::fs::read_to_string(path)
                .with_context(|| format!("lecture du secret dans {}", path.display()))?
        }
    };
    let value = value.trim().to_owned();
    anyhow::ensure!(!value.is_empty(), "le secret configuré est vide");
    Ok(value)
}

/// The client on its encrypted store (opening the store checks its key). The store's SQLite
/// connections take matrix-sdk's low-memory settings (a pool of one connection per physical
/// core instead of four, a 500 KB page cache each instead of 2 MB): resident memory under load
/// over a 13-minute load run grew to 30.8 MiB of anonymous memory instead of about 48 MiB at
/// minute 12 (BENCHMARKS.md "Memory over a load run").
async fn build_client(paths: &Paths, homeserver: &str) -> anyhow::Result<Client> {
    let config = SqliteStoreConfig::with_low_memory_config(paths.sqlite());
    let store_config = match store_secret(paths)? {
        StoreSecret::Key(key) => config.key(Some(&key)),
        StoreSecret::Passphrase(phrase) => config.passphrase(Some(&phrase)),
    };
    Client::builder()
        .homeserver_url(homeserver)
        .sqlite_store_with_config_and_cache_path(store_config, None::<PathBuf>)
        .with_encryption_settings(EncryptionSettings {
            auto_enable_cross_signing: true,
            auto_enable_backups: true,
            backup_download_strategy: BackupDownloadStrategy::AfterDecryptionFailure,
        })
        .build()
        .await
        .context("création du client Matrix")
}

/// Build the client, then restore the saved session or log in and save it.
pub async fn connect(config: &MatrixConfig, data_dir: &Path) -> anyhow::Result<Client> {
    let paths = Paths::new(data_dir);
    std::fs::create_dir_all(&paths.dir)
        .with_context(|| format!("création de {}", paths.dir.display()))?;
    let saved: Option<SavedSession> = match std::fs::read_to_string(paths.session()) {
        Ok(text) => Some(serde_json::from_str(&text).context("session.json illisible")?),
        Err(_) => None,
    };
    let homeserver = saved
        .as_ref()
        .map(|s| s.homeserver.clone())
        .unwrap_or_else(|| config.homeserver.clone());
    let client = build_client(&paths, &homeserver).await?;
    tracing::trace!(target: "kitbot::timing", "matrix client built");

    if let Some(saved) = saved {
        client
            .matrix_auth()
            .restore_session(
                saved.session,
                matrix_sdk::store::RoomLoadSettings::default(),
            )
            .await
            .context("restauration de la session")?;
        tracing::info!(device_id = ?client.device_id(), "session restored");
        return Ok(client);
    }

    let secret = read_secret(&config.credentials)?;
    match &config.credentials {
        Credentials::PasswordEnv(_) | Credentials::PasswordFile(_) => {
            client
                .matrix_auth()
                .login_username(&config.user, &secret)
                .initial_device_display_name(&config.device_name)
                .send()
                .await
                .context("connexion au serveur Matrix (identifiant ou mot de passe refusé ?)")?;
        }
        Credentials::TokenEnv(_) | Credentials::TokenFile(_) => {
            // The token names its own device: ask the server which one, then restore it.
            let probe = Client::builder()
                .homeserver_url(&homeserver)
                .build()
                .await?;
            let whoami = {
                probe
                    .matrix_auth()
                    .restore_session(
                        MatrixSession {
                            meta: SessionMeta {
                                user_id: config.user.as_str().try_into().context("matrix.user")?,
                                device_id: "KITBOTPROBE".into(),
                            },
                            tokens: SessionTokens {
                                access_token: secret.clone(),
                                refresh_token: None,
                            },
                        },
                        matrix_sdk::store::RoomLoadSettings::default(),
                    )
                    .await?;
                probe
                    .whoami()
                    .await
                    .context("jeton d'accès refusé par le serveur")?
            };
            let device_id = whoami
                .device_id
                .context("le jeton d'accès n'est lié à aucun appareil")?;
            client
                .matrix_auth()
                .restore_session(
                    MatrixSession {
                        meta: SessionMeta {
                            user_id: whoami.user_id,
                            device_id,
                        },
                        tokens: SessionTokens {
                            access_token: secret,
                            refresh_token: None,
                        },
                    },
                    matrix_sdk::store::RoomLoadSettings::default(),
                )
                .await?;
        }
    }
    let session = client
        .matrix_auth()
        .session()
        .context("pas de session après connexion")?;
    let saved = SavedSession {
        homeserver,
        session,
    };
    write_private(&paths.session(), &serde_json::to_string(&saved)?)
        .with_context(|| format!("écriture de {}", paths.session().display()))?;
    tracing::info!(device_id = ?client.device_id(), "logged in, session saved");
    Ok(client)
}

/// Make sure key backup and recovery are set up, or recover from them on a new device.
/// Failures are logged, not fatal: the bot still works in the rooms it can read.
pub async fn ensure_recovery(client: &Client, data_dir: &Path, stop: &CancellationToken) {
    let paths = Paths::new(data_dir);
    let recovery = client.encryption().recovery();
    // Called after the first sync response: the SDK knows the state by then (from the account
    // data, or from the requests it makes when a session is restored). If it still does not,
    // it is given a little time, so that a restart does not import the secrets again.
    let state = tokio::select! {
        biased;
        _ = stop.cancelled() => return,
        state = known_state(&recovery, RECOVERY_STATE_WAIT) => state,
    };
    match state {
        RecoveryState::Enabled => tracing::info!("encryption recovery is enabled"),
        RecoveryState::Disabled => match recovery.enable().await {
            Ok(key) => match write_private(&paths.recovery_key(), &key) {
                Ok(()) => tracing::warn!(
                    file = %paths.recovery_key().display(),
                    "created an encryption recovery key: copy this file somewhere safe, then delete it"
                ),
                Err(err) => tracing::error!(cause = %err, "could not save the recovery key"),
            },
            Err(err) => tracing::warn!(cause = %err, "could not enable encryption recovery"),
        },
        RecoveryState::Incomplete | RecoveryState::Unknown => {
            let key = std::env::var("KITBOT_RECOVERY_KEY")
                .ok()
                .or_else(|| std::fs::read_to_string(paths.recovery_key()).ok())
                .map(|k| k.trim().to_owned())
                .filter(|k| !k.is_empty());
            match key {
                Some(key) => match recovery.recover(&key).await {
                    Ok(()) => tracing::info!("recovered encryption secrets with the recovery key"),
                    Err(err) => tracing::error!(cause = %err, "the recovery key was refused"),
                },
                None => tracing::warn!(
                    "encryption recovery is set up on this account but no recovery key was given \
                     (KITBOT_RECOVERY_KEY or the recovery-key file): older encrypted messages stay unreadable"
                ),
            }
        }
    }
}

/// How long [`ensure_recovery`] waits for the SDK to learn the recovery state.
const RECOVERY_STATE_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// The recovery state once the SDK knows it, or `Unknown` after `wait`.
async fn known_state(
    recovery: &matrix_sdk::encryption::recovery::Recovery,
    wait: std::time::Duration,
) -> RecoveryState {
    use futures_util::StreamExt as _;
    let mut states = recovery.state_stream();
    let known = async {
        while let Some(state) = states.next().await {
            if state != RecoveryState::Unknown {
                return state;
            }
        }
        RecoveryState::Unknown
    };
    tokio::time::timeout(wait, known)
        .await
        .unwrap_or(RecoveryState::Unknown)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOWHERE: &str = "http://127.0.0.1:9";

    fn folder() -> (tempfile::TempDir, Paths) {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = Paths::new(dir.path());
        std::fs::create_dir_all(&paths.dir).expect("matrix folder");
        (dir, paths)
    }

    #[tokio::test]
    async fn a_new_data_folder_gets_a_private_key_that_opens_its_store_again() {
        let (_dir, paths) = folder();
        drop(build_client(&paths, NOWHERE).await.expect("first start"));
        let text = std::fs::read_to_string(paths.key()).expect("store-key written");
        assert_eq!(text.len(), 64);
        assert!(text.bytes().all(|b| b.is_ascii_hexdigit()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(paths.key())
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(
            !paths.passphrase().exists(),
            "no passphrase in a new folder"
        );
        drop(
            build_client(&paths, NOWHERE)
                .await
                .expect("second start, same key"),
        );
        assert_eq!(
            std::fs::read_to_string(paths.key()).expect("key"),
            text,
            "kept"
        );

        // The key is what opens the store: another one is refused.
        std::fs::write(paths.key(), "ab".repeat(32)).expect("other key");
        assert!(build_client(&paths, NOWHERE).await.is_err());
    }

    #[tokio::test]
    async fn an_older_data_folder_keeps_its_passphrase() {
        let (_dir, paths) = folder();
        // A store made the way kitbot made it until 2026-12.
        let old = Client::builder()
            .homeserver_url(NOWHERE)
            .sqlite_store(paths.sqlite(), Some("an older passphrase"))
            .build()
            .await
            .expect("old store");
        drop(old);
        std::fs::write(paths.passphrase(), "an older passphrase\n").expect("passphrase");
        assert_eq!(
            store_secret(&paths).expect("secret"),
            StoreSecret::Passphrase("an older passphrase".to_owned())
        );
        drop(
            build_client(&paths, NOWHERE)
                .await
                .expect("opens with its passphrase"),
        );
        assert!(!paths.key().exists(), "no key written beside a passphrase");
    }

    #[test]
    fn a_damaged_key_file_is_named() {
        let (_dir, paths) = folder();
        std::fs::write(paths.key(), "not a key").expect("write");
        let err = format!("{:#}", store_secret(&paths).expect_err("refused"));
        assert!(err.contains("store-key"), "{err}");
    }
}
