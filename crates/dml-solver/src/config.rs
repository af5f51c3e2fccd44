//! The solver's configuration: where the chain and the content store are,
//! which key signs, which models it serves and when a task is worth solving.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use alloy_primitives::{Address, B256, U256};
use dml_primitives::WAD;
use serde::{Deserialize, Serialize};

use crate::SolverError;

/// Decimals a percentage may have: the engine's unit is 1e-18 of the whole,
/// which is 1e-16 of a percent.
const PERCENT_DECIMALS: usize = 16;

/// A delegation commission: the share of a solver's claim earnings it keeps
/// before its delegators' pool is paid (whitepaper §5). Written as a
/// percentage, `"5%"` or `"12.5"` (the `%` is optional, at most 16
/// decimals, at most 100); held as the engine's fixed point, 1e18 = 100 %.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Commission(U256);

/// Why a commission was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CommissionError {
    /// Not `DIGITS[.DIGITS][%]`.
    #[error("commission `{0}` is not a percentage like 5% or 12.5%")]
    NotPercent(String),
    /// More decimals than the engine's unit.
    #[error("commission `{0}` has more than 16 decimals")]
    TooPrecise(String),
    /// Above 100 %.
    #[error("commission `{0}` is above 100%")]
    AboveHundred(String),
}

impl Commission {
    /// 0 %: the pool gets its whole share.
    pub const ZERO: Commission = Commission(U256::ZERO);

    /// The engine's value (1e18 = 100 %), or `None` above 100 %.
    pub fn from_wad(wad: U256) -> Option<Commission> {
        (wad <= WAD).then_some(Commission(wad))
    }

    /// The engine's value: 1e18 = 100 %.
    pub fn wad(self) -> U256 {
        self.0
    }

    /// As a fraction of 1 (0.05 for 5 %), for gauges only.
    pub fn as_fraction(self) -> f64 {
        self.0.saturating_to::<u128>() as f64 / 1e18
    }

    /// The percentage as an exact decimal without the sign (`"12.5"`).
    pub fn percent(self) -> String {
        let digits = format!("{:0>width$}", self.0.to_string(), width = PERCENT_DECIMALS + 1);
        let (whole, fraction) = digits.split_at(digits.len() - PERCENT_DECIMALS);
        match fraction.trim_end_matches('0') {
            "" => whole.to_owned(),
            fraction => format!("{whole}.{fraction}"),
        }
    }
}

impl fmt::Display for Commission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}%", self.percent())
    }
}

impl FromStr for Commission {
    type Err = CommissionError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let not_percent = || CommissionError::NotPercent(text.into());
        let number = text.strip_suffix('%').unwrap_or(text);
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !digits(whole) || !digits(fraction) || (number.contains('.') && fraction.is_empty()) {
            return Err(not_percent());
        }
        if fraction.len() > PERCENT_DECIMALS {
            return Err(CommissionError::TooPrecise(text.into()));
        }
        let whole = whole.trim_start_matches('0');
        if whole.len() > 3 {
            return Err(CommissionError::AboveHundred(text.into()));
        }
        let padded = format!("{whole}{fraction:0<PERCENT_DECIMALS$}");
        let wad = U256::from_str_radix(&padded, 10).map_err(|_| not_percent())?;
        Commission::from_wad(wad).ok_or_else(|| CommissionError::AboveHundred(text.into()))
    }
}

impl Serialize for Commission {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Commission {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// How one served model is run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum RunnerConfig {
    /// A built-in model of `dml-models`, loaded from `weights_dir`
    /// (default: `$DML_WEIGHTS_DIR` or `~/.cache/dml/weights`).
    Builtin {
        /// Directory with the weights.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        weights_dir: Option<PathBuf>,
        /// Worker threads for the model (its output does not depend on it).
        #[serde(default = "default_threads")]
        threads: usize,
    },
    /// A Cog HTTP server (`cog.server.http` or a `cog build` container).
    Cog {
        /// Base URL, e.g. `http://127.0.0.1:5000`.
        url: String,
        /// Seconds one prediction may take.
        #[serde(default = "default_cog_timeout_secs")]
        timeout_secs: u64,
    },
}

fn default_threads() -> usize {
    1
}

fn default_cog_timeout_secs() -> u64 {
    120
}

/// One model the solver serves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServedModel {
    /// The on-chain model id.
    pub id: B256,
    /// How to run it. The template (input schema, output type) is read from
    /// the content store by the CID the engine stores for the model.
    pub runner: RunnerConfig,
}

/// When a task is worth solving: the whitepaper's profitability rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    /// Least `fee − model fee + expected reward` (wei of DML) for which the
    /// solver runs a task.
    pub min_profit: U256,
    /// Most tasks waiting to be run; new tasks beyond it are skipped.
    pub max_queue: usize,
    /// Also rerun other solvers' solutions on served models and contest the
    /// wrong ones (and vote on contestations).
    pub verify: bool,
    /// Most gas a task's callback may ask for: the claimer pays it, so a task
    /// whose callback names more is skipped (its callback fee counts toward
    /// `min_profit`).
    pub max_callback_gas: u64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy { min_profit: U256::ZERO, max_queue: 1_000, verify: true, max_callback_gas: 1_000_000 }
    }
}

/// The whole configuration of one solver.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SolverConfig {
    /// Ethereum JSON-RPC over HTTP.
    pub rpc_url: String,
    /// Ethereum JSON-RPC over WebSocket, for new-block notifications; without
    /// it the solver polls every `poll_interval_ms`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ws_url: Option<String>,
    /// The kubo-compatible content API (`/api/v0`), where outputs are pinned.
    pub api_url: String,
    /// The signing key (hex). Keep the config file private.
    pub private_key: String,
    /// Where the job database lives.
    pub data_dir: PathBuf,
    /// The engine's address; asked from `dml_getContracts` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<Address>,
    /// Served models.
    pub models: Vec<ServedModel>,
    /// Which tasks to take.
    #[serde(default)]
    pub policy: Policy,
    /// Stake to keep deposited (wei of DML); topped up from the wallet when
    /// it falls below, and never below the engine's minimum.
    #[serde(default)]
    pub stake: U256,
    /// Polling interval when there is no WebSocket (milliseconds).
    #[serde(default = "default_poll_interval_ms")]
    pub poll_interval_ms: u64,
    /// Rebroadcast a sent transaction not mined after this long (milliseconds).
    #[serde(default = "default_resend_after_ms")]
    pub resend_after_ms: u64,
    /// Most tasks per bulk reveal or bulk claim.
    #[serde(default = "default_batch")]
    pub max_batch: usize,
    /// Serve Prometheus metrics here (`/metrics`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics_addr: Option<SocketAddr>,
    /// Deliberately return made-up outputs without running the model, and
    /// check nobody's work (for demonstrating contestation and slashing on a
    /// dev network only).
    #[serde(default)]
    pub malicious: bool,
    /// The delegation commission to keep (`"5%"`): set at start-up when the
    /// engine's differs (a cut applies at once, a raise after the engine's
    /// cooldown). Absent: left as it is on chain (`dml stake commission`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commission: Option<Commission>,
    /// Whether the solver's pool takes new delegations; set at start-up
    /// when the engine's differs.
    #[serde(default = "default_accept_delegations")]
    pub accept_delegations: bool,
}

fn default_accept_delegations() -> bool {
    true
}

fn default_poll_interval_ms() -> u64 {
    250
}

fn default_resend_after_ms() -> u64 {
    15_000
}

fn default_batch() -> usize {
    16
}

impl SolverConfig {
    /// A configuration with every optional setting at its default.
    pub fn new(rpc_url: String, api_url: String, private_key: String, data_dir: PathBuf) -> SolverConfig {
        SolverConfig {
            rpc_url,
            ws_url: None,
            api_url,
            private_key,
            data_dir,
            engine: None,
            models: Vec::new(),
            policy: Policy::default(),
            stake: U256::ZERO,
            poll_interval_ms: default_poll_interval_ms(),
            resend_after_ms: default_resend_after_ms(),
            max_batch: default_batch(),
            metrics_addr: None,
            malicious: false,
            commission: None,
            accept_delegations: default_accept_delegations(),
        }
    }

    /// Reads a TOML config file.
    pub fn load(path: &Path) -> Result<Self, SolverError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| SolverError::Config(format!("reading {}: {e}", path.display())))?;
        let config: SolverConfig =
            toml::from_str(&text).map_err(|e| SolverError::Config(format!("{}: {e}", path.display())))?;
        config.validate()?;
        Ok(config)
    }

    /// Checks what serde cannot.
    pub fn validate(&self) -> Result<(), SolverError> {
        if self.models.is_empty() {
            return Err(SolverError::Config("no models to serve".into()));
        }
        if self.max_batch == 0 {
            return Err(SolverError::Config("max_batch must be at least 1".into()));
        }
        self.signer()?;
        Ok(())
    }

    /// The signer of the configured key.
    pub fn signer(&self) -> Result<alloy_signer_local::PrivateKeySigner, SolverError> {
        self.private_key.trim().parse().map_err(|_| SolverError::Config("private_key is not a 32-byte hex key".into()))
    }

    /// The polling interval.
    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms.max(10))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

    fn sample() -> String {
        format!(
            r#"
rpc_url = "http://127.0.0.1:8545"
api_url = "http://127.0.0.1:5001"
private_key = "{KEY}"
data_dir = "/tmp/solver"

[[models]]
id = "0x{}"
runner = {{ type = "builtin" }}

[[models]]
id = "0x{}"
runner = {{ type = "cog", url = "http://127.0.0.1:5000" }}
"#,
            "11".repeat(32),
            "22".repeat(32)
        )
    }

    #[test]
    fn parses_a_minimal_file_with_defaults() {
        let config: SolverConfig = toml::from_str(&sample()).unwrap();
        config.validate().unwrap();
        assert_eq!(config.models.len(), 2);
        assert_eq!(config.models[0].runner, RunnerConfig::Builtin { weights_dir: None, threads: 1 });
        assert_eq!(
            config.models[1].runner,
            RunnerConfig::Cog { url: "http://127.0.0.1:5000".into(), timeout_secs: 120 }
        );
        assert_eq!(config.policy, Policy::default());
        assert_eq!(config.poll_interval(), Duration::from_millis(250));
        assert_eq!((config.commission, config.accept_delegations), (None, true), "delegation terms left alone");
        assert_eq!(
            config.signer().unwrap().address(),
            "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266".parse::<Address>().unwrap()
        );
    }

    #[test]
    fn refuses_unknown_keys_bad_keys_and_no_models() {
        let unknown = sample().replace("data_dir", "dta_dir");
        assert!(toml::from_str::<SolverConfig>(&unknown).is_err());
        let mut config: SolverConfig = toml::from_str(&sample()).unwrap();
        config.private_key = "0x1234".into();
        assert!(matches!(config.validate(), Err(SolverError::Config(m)) if m.contains("private_key")));
        config.private_key = KEY.into();
        config.models.clear();
        assert!(matches!(config.validate(), Err(SolverError::Config(m)) if m.contains("no models")));
    }

    #[test]
    fn commissions_are_percentages_held_exactly() {
        let wad = |text: &str| U256::from_str_radix(text, 10).unwrap();
        assert_eq!("5%".parse::<Commission>().unwrap().wad(), wad("50000000000000000"));
        assert_eq!("12.5".parse::<Commission>().unwrap().wad(), wad("125000000000000000"));
        assert_eq!("100%".parse::<Commission>().unwrap().wad(), WAD);
        assert_eq!("0".parse::<Commission>().unwrap(), Commission::ZERO);
        assert_eq!("0.0000000000000001%".parse::<Commission>().unwrap().wad(), U256::from(1));
        assert_eq!("007.50%".parse::<Commission>().unwrap().to_string(), "7.5%");
        for text in ["5%", "12.5%", "0%", "100%", "0.0000000000000001%", "33.3333333333333333%"] {
            assert_eq!(text.parse::<Commission>().unwrap().to_string(), text);
        }
        assert_eq!(Commission::from_wad(WAD + U256::from(1)), None);
        assert_eq!("5%".parse::<Commission>().unwrap().as_fraction(), 0.05);
    }

    #[test]
    fn bad_commissions_are_refused_with_the_reason() {
        for text in ["", "%", "five", "-5%", "5 %", "5%%", "1e2", "5.", ".5", "0x10", "5,5"] {
            assert_eq!(text.parse::<Commission>(), Err(CommissionError::NotPercent(text.into())), "{text:?}");
        }
        assert_eq!(
            "100.0000000000000001".parse::<Commission>(),
            Err(CommissionError::AboveHundred("100.0000000000000001".into()))
        );
        assert_eq!("101%".parse::<Commission>(), Err(CommissionError::AboveHundred("101%".into())));
        assert_eq!(
            "99999999999999999999%".parse::<Commission>(),
            Err(CommissionError::AboveHundred("99999999999999999999%".into()))
        );
        assert_eq!(
            "1.00000000000000001".parse::<Commission>(),
            Err(CommissionError::TooPrecise("1.00000000000000001".into()))
        );
    }

    #[test]
    fn delegation_terms_come_from_the_file() {
        let text = sample().replace("data_dir =", "commission = \"7.5%\"\naccept_delegations = false\ndata_dir =");
        let config: SolverConfig = toml::from_str(&text).unwrap();
        assert_eq!(config.commission, Some("7.5".parse().unwrap()));
        assert!(!config.accept_delegations);
        let shown = serde_json::to_value(&config).unwrap();
        assert_eq!((&shown["commission"], &shown["accept_delegations"]), (&"7.5%".into(), &false.into()));
        let bad = sample().replace("data_dir =", "commission = \"150%\"\ndata_dir =");
        let error = toml::from_str::<SolverConfig>(&bad).unwrap_err().to_string();
        assert!(error.contains("above 100%"), "{error}");
    }
}
