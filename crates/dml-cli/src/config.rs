//! The client configuration of `dml`: where the chain, the content API and the
//! gateway are, which keystore and account to use, and the contract addresses
//! for chains without `dml_getContracts`.
//!
//! Every value comes from one of four layers, highest first: a command-line
//! flag, a `DML_*` environment variable (clap merges these two), the TOML
//! config file (`--config FILE`, `$DML_CONFIG`, or
//! `$XDG_CONFIG_HOME/dml/config.toml`, falling back to
//! `~/.config/dml/config.toml`), and the built-in default. The file uses the
//! flags' names in snake_case; an unknown key is an error, so a typo never
//! silently falls back to a default.
//!
//! ```toml
//! rpc_url = "https://arb1.example/rpc"
//! gateway_url = "https://ipfs.example"
//! account = "operator"
//! engine = "0x…"
//! governor = "0x…"
//! from_block = 123456
//! ```

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use alloy_primitives::Address;
use serde::{Deserialize, Serialize};

/// Default JSON-RPC endpoint (the dev chain's).
pub const DEFAULT_RPC_URL: &str = "http://127.0.0.1:8545";
/// Default kubo-compatible content API.
pub const DEFAULT_API_URL: &str = "http://127.0.0.1:5001";
/// Default content gateway.
pub const DEFAULT_GATEWAY_URL: &str = "http://127.0.0.1:8080";

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file named by `--config` or `$DML_CONFIG` cannot be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML of the expected shape (unknown key, wrong type…).
    #[error("config file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The TOML parser's message, with line and column.
        message: String,
    },
    /// Two ways of choosing the signing key were given at the same level.
    #[error("choose one signer: {0}")]
    ConflictingSigners(String),
}

/// One layer of settings: the config file's contents, or the values given on
/// the command line and in the environment. `None` means "not set here".
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigLayer {
    /// Ethereum JSON-RPC endpoint.
    pub rpc_url: Option<String>,
    /// kubo-compatible content API (`/api/v0`), used to pin.
    pub api_url: Option<String>,
    /// Content gateway (`/ipfs/<cid>`), used to fetch outputs and templates.
    pub gateway_url: Option<String>,
    /// Directory of Web3 Secret Storage keystores.
    pub keystore_dir: Option<PathBuf>,
    /// Keystore to sign with: its file name in `keystore_dir`, or its address.
    pub account: Option<String>,
    /// Index of the dev-chain test mnemonic key to sign with.
    pub dev_account: Option<u32>,
    /// File whose first line is the keystore password.
    pub password_file: Option<PathBuf>,
    /// Engine address, for chains that do not answer `dml_getContracts`.
    pub engine: Option<Address>,
    /// DML token address (default: the chain's answer, else `engine.baseToken()`).
    pub token: Option<Address>,
    /// Governor address, for chains whose `dml_getContracts` does not name one.
    pub governor: Option<Address>,
    /// First block to scan for engine events (the engine's deployment block).
    pub from_block: Option<u64>,
    /// A raw private key (only from the command line or the environment).
    #[serde(skip)]
    pub private_key: Option<String>,
}

impl ConfigLayer {
    /// Parses a config file's text; unknown keys and wrong types are errors.
    pub fn from_toml(text: &str, path: &Path) -> Result<ConfigLayer, ConfigError> {
        toml::from_str(text).map_err(|error| ConfigError::Parse { path: path.to_owned(), message: error.to_string() })
    }

    /// Whether this layer chooses a signing key at all.
    fn names_signer(&self) -> bool {
        self.private_key.is_some() || self.account.is_some() || self.dev_account.is_some()
    }

    fn signer(&self) -> Result<Option<SignerChoice>, ConfigError> {
        let chosen: Vec<&str> = [
            self.private_key.as_ref().map(|_| "--private-key"),
            self.account.as_ref().map(|_| "--account"),
            self.dev_account.as_ref().map(|_| "--dev-account"),
        ]
        .into_iter()
        .flatten()
        .collect();
        if chosen.len() > 1 {
            return Err(ConfigError::ConflictingSigners(chosen.join(", ")));
        }
        Ok(if let Some(key) = &self.private_key {
            Some(SignerChoice::PrivateKey(key.clone()))
        } else if let Some(account) = &self.account {
            Some(SignerChoice::Keystore(account.clone()))
        } else {
            self.dev_account.map(SignerChoice::DevAccount)
        })
    }
}

/// How the signing key is chosen.
#[derive(Clone, PartialEq, Eq)]
pub enum SignerChoice {
    /// A raw hex private key.
    PrivateKey(String),
    /// A keystore in the keystore directory, by file name or address.
    Keystore(String),
    /// Key `m/44'/60'/0'/0/i` of the standard test mnemonic.
    DevAccount(u32),
}

impl std::fmt::Debug for SignerChoice {
    // Never print key material, not even in debug output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SignerChoice::PrivateKey(_) => f.write_str("PrivateKey(<hidden>)"),
            SignerChoice::Keystore(name) => f.debug_tuple("Keystore").field(name).finish(),
            SignerChoice::DevAccount(index) => f.debug_tuple("DevAccount").field(index).finish(),
        }
    }
}

/// The effective settings after all layers are merged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The config file that was read, if any.
    pub config_file: Option<PathBuf>,
    /// Ethereum JSON-RPC endpoint.
    pub rpc_url: String,
    /// kubo-compatible content API.
    pub api_url: String,
    /// Content gateway.
    pub gateway_url: String,
    /// Keystore directory.
    pub keystore_dir: PathBuf,
    /// The signing key, if one was chosen.
    pub signer: Option<SignerChoice>,
    /// Keystore password file.
    pub password_file: Option<PathBuf>,
    /// Engine address override.
    pub engine: Option<Address>,
    /// Token address override.
    pub token: Option<Address>,
    /// Governor address override.
    pub governor: Option<Address>,
    /// First block to scan for engine events.
    pub from_block: u64,
}

impl Settings {
    /// Merges `cli` (flags and environment) over `file` over the defaults.
    /// `env` looks up environment variables (for the default directories).
    pub fn resolve(
        cli: ConfigLayer,
        file: ConfigLayer,
        config_file: Option<PathBuf>,
        env: impl Fn(&str) -> Option<OsString>,
    ) -> Result<Settings, ConfigError> {
        // The signer is chosen as a whole: a choice on the command line
        // replaces the file's choice rather than conflicting with it.
        let signer = if cli.names_signer() { cli.signer()? } else { file.signer()? };
        let keystore_dir = cli
            .keystore_dir
            .or(file.keystore_dir)
            .or_else(|| config_home(&env).map(|dir| dir.join("dml").join("keystore")))
            .unwrap_or_else(|| PathBuf::from("keystore"));
        Ok(Settings {
            config_file,
            rpc_url: cli.rpc_url.or(file.rpc_url).unwrap_or_else(|| DEFAULT_RPC_URL.into()),
            api_url: cli.api_url.or(file.api_url).unwrap_or_else(|| DEFAULT_API_URL.into()),
            gateway_url: cli.gateway_url.or(file.gateway_url).unwrap_or_else(|| DEFAULT_GATEWAY_URL.into()),
            keystore_dir,
            signer,
            password_file: cli.password_file.or(file.password_file),
            engine: cli.engine.or(file.engine),
            token: cli.token.or(file.token),
            governor: cli.governor.or(file.governor),
            from_block: cli.from_block.or(file.from_block).unwrap_or(0),
        })
    }

    /// The settings as JSON, for `--print-config` (a private key shows as hidden).
    pub fn to_json(&self) -> serde_json::Value {
        let signer = match &self.signer {
            None => serde_json::Value::Null,
            Some(SignerChoice::PrivateKey(_)) => serde_json::json!({ "private_key": "<hidden>" }),
            Some(SignerChoice::Keystore(name)) => serde_json::json!({ "account": name }),
            Some(SignerChoice::DevAccount(index)) => serde_json::json!({ "dev_account": index }),
        };
        serde_json::json!({
            "config_file": self.config_file,
            "rpc_url": self.rpc_url,
            "api_url": self.api_url,
            "gateway_url": self.gateway_url,
            "keystore_dir": self.keystore_dir,
            "signer": signer,
            "password_file": self.password_file,
            "engine": self.engine,
            "token": self.token,
            "governor": self.governor,
            "from_block": self.from_block,
        })
    }
}

/// `$XDG_CONFIG_HOME` when set to an absolute path, else `$HOME/.config`.
pub fn config_home(env: &impl Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    if let Some(xdg) = env("XDG_CONFIG_HOME").map(PathBuf::from) {
        // The XDG spec says relative values are invalid and must be ignored.
        if xdg.is_absolute() {
            return Some(xdg);
        }
    }
    env("HOME").filter(|home| !home.is_empty()).map(|home| PathBuf::from(home).join(".config"))
}

/// Reads the config file layer. `explicit` is `--config`/`$DML_CONFIG`: it must
/// exist. Otherwise the default location is read if it exists. Returns the
/// layer and the path read.
pub fn load_file_layer(
    explicit: Option<&Path>,
    env: &impl Fn(&str) -> Option<OsString>,
) -> Result<(ConfigLayer, Option<PathBuf>), ConfigError> {
    let (path, must_exist) = match explicit {
        Some(path) => (path.to_owned(), true),
        None => match config_home(env) {
            Some(home) => (home.join("dml").join("config.toml"), false),
            None => return Ok((ConfigLayer::default(), None)),
        },
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok((ConfigLayer::from_toml(&text, &path)?, Some(path))),
        Err(error) if !must_exist && error.kind() == std::io::ErrorKind::NotFound => Ok((ConfigLayer::default(), None)),
        Err(source) => Err(ConfigError::Read { path, source }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let map: HashMap<String, OsString> = pairs.iter().map(|(k, v)| (k.to_string(), OsString::from(v))).collect();
        move |key| map.get(key).cloned()
    }

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let env = env_of(&[("HOME", "/home/ada")]);
        let settings = Settings::resolve(ConfigLayer::default(), ConfigLayer::default(), None, env).unwrap();
        assert_eq!(settings.rpc_url, DEFAULT_RPC_URL);
        assert_eq!(settings.api_url, DEFAULT_API_URL);
        assert_eq!(settings.gateway_url, DEFAULT_GATEWAY_URL);
        assert_eq!(settings.keystore_dir, PathBuf::from("/home/ada/.config/dml/keystore"));
        assert_eq!(settings.signer, None);
        assert_eq!(settings.from_block, 0);
    }

    #[test]
    fn command_line_beats_file_beats_default() {
        let file = ConfigLayer::from_toml(
            "rpc_url = \"http://file:1\"\napi_url = \"http://file:2\"\nfrom_block = 7\n",
            Path::new("c.toml"),
        )
        .unwrap();
        let cli = ConfigLayer { rpc_url: Some("http://flag:1".into()), ..ConfigLayer::default() };
        let settings = Settings::resolve(cli, file, None, env_of(&[])).unwrap();
        assert_eq!(settings.rpc_url, "http://flag:1", "flag wins over file");
        assert_eq!(settings.api_url, "http://file:2", "file wins over default");
        assert_eq!(settings.gateway_url, DEFAULT_GATEWAY_URL, "default when neither sets it");
        assert_eq!(settings.from_block, 7);
    }

    #[test]
    fn unknown_keys_and_wrong_types_are_errors_that_name_the_file() {
        let error = ConfigLayer::from_toml("rpc_uri = \"x\"\n", Path::new("/etc/dml.toml")).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("/etc/dml.toml") && message.contains("rpc_uri"), "{message}");
        assert!(ConfigLayer::from_toml("from_block = \"ten\"\n", Path::new("c.toml")).is_err());
        assert!(ConfigLayer::from_toml("engine = \"0x12\"\n", Path::new("c.toml")).is_err(), "short address");
        // A private key never comes from the file.
        assert!(ConfigLayer::from_toml("private_key = \"0x01\"\n", Path::new("c.toml")).is_err());
    }

    #[test]
    fn every_documented_key_parses() {
        let text = r#"
            rpc_url = "http://a"
            api_url = "http://b"
            gateway_url = "http://c"
            keystore_dir = "/keys"
            account = "ops"
            password_file = "/pw"
            engine = "0x0000000000000000000000000000000000000d31"
            token = "0x0000000000000000000000000000000000000d32"
            governor = "0x0000000000000000000000000000000000000d33"
            from_block = 5
        "#;
        let layer = ConfigLayer::from_toml(text, Path::new("c.toml")).unwrap();
        assert_eq!(layer.keystore_dir, Some(PathBuf::from("/keys")));
        assert_eq!(layer.engine, Some(alloy_primitives::address!("0000000000000000000000000000000000000d31")));
        assert_eq!(layer.governor, Some(alloy_primitives::address!("0000000000000000000000000000000000000d33")));
        let settings = Settings::resolve(ConfigLayer::default(), layer, None, env_of(&[])).unwrap();
        assert_eq!(settings.signer, Some(SignerChoice::Keystore("ops".into())));
    }

    #[test]
    fn a_signer_on_the_command_line_replaces_the_files_signer() {
        let file = ConfigLayer { account: Some("ops".into()), ..ConfigLayer::default() };
        let cli = ConfigLayer { dev_account: Some(3), ..ConfigLayer::default() };
        let settings = Settings::resolve(cli, file, None, env_of(&[])).unwrap();
        assert_eq!(settings.signer, Some(SignerChoice::DevAccount(3)));
    }

    #[test]
    fn two_signers_at_one_level_are_refused() {
        let cli = ConfigLayer { private_key: Some("0x01".into()), dev_account: Some(1), ..ConfigLayer::default() };
        let error = Settings::resolve(cli, ConfigLayer::default(), None, env_of(&[])).unwrap_err();
        assert!(error.to_string().contains("--private-key, --dev-account"), "{error}");
    }

    #[test]
    fn xdg_config_home_is_respected_when_absolute() {
        let env = env_of(&[("HOME", "/home/ada"), ("XDG_CONFIG_HOME", "/xdg")]);
        assert_eq!(config_home(&env), Some(PathBuf::from("/xdg")));
        let relative = env_of(&[("HOME", "/home/ada"), ("XDG_CONFIG_HOME", "rel")]);
        assert_eq!(config_home(&relative), Some(PathBuf::from("/home/ada/.config")));
        assert_eq!(config_home(&env_of(&[])), None);
    }

    #[test]
    fn missing_default_file_is_fine_but_missing_explicit_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().to_str().unwrap().to_owned();
        let env = env_of(&[("XDG_CONFIG_HOME", &home)]);
        let (layer, path) = load_file_layer(None, &env).unwrap();
        assert_eq!((layer, path), (ConfigLayer::default(), None));
        let missing = dir.path().join("nope.toml");
        let error = load_file_layer(Some(&missing), &env).unwrap_err();
        assert!(error.to_string().contains("nope.toml"), "{error}");

        std::fs::create_dir_all(dir.path().join("dml")).unwrap();
        std::fs::write(dir.path().join("dml/config.toml"), "gateway_url = \"http://g\"\n").unwrap();
        let (layer, path) = load_file_layer(None, &env).unwrap();
        assert_eq!(layer.gateway_url.as_deref(), Some("http://g"));
        assert_eq!(path, Some(dir.path().join("dml/config.toml")));
    }

    #[test]
    fn printed_config_hides_the_private_key() {
        let cli = ConfigLayer { private_key: Some("0xdeadbeef".into()), ..ConfigLayer::default() };
        let settings = Settings::resolve(cli, ConfigLayer::default(), None, env_of(&[])).unwrap();
        let printed = settings.to_json().to_string();
        assert!(!printed.contains("deadbeef"), "{printed}");
        assert!(!format!("{settings:?}").contains("deadbeef"));
    }
}
