//! Login and session persistence. The first start logs in (password or access token, read from
//! the environment or a file named in the config) and saves the session (user, device, token) in
//! `<data_dir>/matrix/session.json`; every later start restores it, so a restart never creates a
//! new device. matrix-sdk's SQLite store (crypto keys included) lives beside it, encrypted with a
//! random passphrase generated once into `<data_dir>/matrix/store-passphrase`.
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
use matrix_sdk::{Client, SessionMeta, SessionTokens};

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
    pub fn passphrase(&self) -> PathBuf {
        self.dir.join("store-passphrase")
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

fn passphrase(paths: &Paths) -> anyhow::Result<String> {
    let path = paths.passphrase();
    if let Ok(existing) = std::fs::read_to_string(&path) {
        return Ok(existing.trim().to_owned());
    }
    let bytes: [u8; 32] = rand::random();
    let phrase = bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    write_private(&path, &phrase).with_context(|| format!("écriture de {}", path.display()))?;
    Ok(phrase)
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

/// Build the client, then restore the saved session or log in and save it.
pub async fn connect(config: &MatrixConfig, data_dir: &Path) -> anyhow::Result<Client> {
    let paths = Paths::new(data_dir);
    std::fs::create_dir_all(&paths.dir)
        .with_context(|| format!("création de {}", paths.dir.display()))?;
    let saved: Option<SavedSession> = match std::fs::read_to_string(paths.session()) {
        Ok(text) => Some(serde_json::from_str(&text).context("session.json illisible")?),
        Err(_) => None,
    };
    let passphrase = passphrase(&paths)?;
    let homeserver = saved
        .as_ref()
        .map(|s| s.homeserver.clone())
        .unwrap_or_else(|| config.homeserver.clone());
    let client = Client::builder()
        .homeserver_url(&homeserver)
        .sqlite_store(paths.sqlite(), Some(&passphrase))
        .with_encryption_settings(EncryptionSettings {
            auto_enable_cross_signing: true,
            auto_enable_backups: true,
            backup_download_strategy: BackupDownloadStrategy::AfterDecryptionFailure,
        })
        .build()
        .await
        .context("création du client Matrix")?;

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
pub async fn ensure_recovery(client: &Client, data_dir: &Path) {
    let paths = Paths::new(data_dir);
    let recovery = client.encryption().recovery();
    // The state is known only after the first sync has brought the account data.
    let state = recovery.state();
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
