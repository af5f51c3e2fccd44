//! What every client command shares: the common options ([`ClientArgs`]),
//! the connection to the chain with a signer ([`Client`]), exact DML/ETH
//! amounts, revert decoding, keystore lookup and verified gateway fetches.
//!
//! The client speaks only Ethereum JSON-RPC and the content API/gateway, so
//! it works against the dev chain and a real L2 deployment alike: the engine,
//! token and governor addresses come from the chain's `dml_getContracts` when
//! it answers, else from the `engine`/`token`/`governor` settings.

use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use alloy_network::{EthereumWallet, TransactionBuilder};
use alloy_primitives::{Address, Bytes, U256};
use alloy_provider::{DynProvider, Provider, ProviderBuilder};
use alloy_rpc_types_eth::{BlockNumberOrTag, Filter, Log, TransactionReceipt, TransactionRequest};
use alloy_signer_local::{coins_bip39::English, MnemonicBuilder, PrivateKeySigner};
use alloy_sol_types::{SolCall, SolError, SolEvent};
use anyhow::{anyhow, bail, Context};
use clap::Args;
use dml_content::Cid;
use dml_primitives::{IDmlToken, IEngine, RevertReason};

use crate::config::{load_file_layer, ConfigLayer, Settings, SignerChoice};

/// Options shared by every client command (flattened into each).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Client options")]
pub struct ClientArgs {
    /// Config file (TOML; keys as these flags in snake_case) [default: $XDG_CONFIG_HOME/dml/config.toml or ~/.config/dml/config.toml]
    #[arg(long, env = "DML_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Ethereum JSON-RPC URL [default: http://127.0.0.1:8545]
    #[arg(long, env = "DML_RPC_URL", value_name = "URL")]
    pub rpc_url: Option<String>,
    /// kubo-compatible content API URL, used to pin [default: http://127.0.0.1:5001]
    #[arg(long, env = "DML_API_URL", value_name = "URL")]
    pub api_url: Option<String>,
    /// Content gateway URL, used to fetch by CID [default: http://127.0.0.1:8080]
    #[arg(long, env = "DML_GATEWAY_URL", value_name = "URL")]
    pub gateway_url: Option<String>,
    /// Keystore directory [default: $XDG_CONFIG_HOME/dml/keystore or ~/.config/dml/keystore]
    #[arg(long, env = "DML_KEYSTORE_DIR", value_name = "DIR")]
    pub keystore_dir: Option<PathBuf>,
    /// Sign with this raw private key (hex).
    #[arg(long, env = "DML_PRIVATE_KEY", hide_env_values = true, value_name = "HEX")]
    pub private_key: Option<String>,
    /// Sign with this keystore: its name in the keystore directory, or its address.
    #[arg(long, env = "DML_ACCOUNT", value_name = "NAME|ADDRESS")]
    pub account: Option<String>,
    /// Sign with key N of the dev chain's test mnemonic (`test test … junk`).
    #[arg(long, env = "DML_DEV_ACCOUNT", value_name = "N")]
    pub dev_account: Option<u32>,
    /// File whose first line is the keystore password (else $DML_PASSWORD, else a prompt on a terminal).
    #[arg(long, env = "DML_PASSWORD_FILE", value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// Engine address, for chains that do not answer `dml_getContracts`.
    #[arg(long, env = "DML_ENGINE", value_name = "ADDRESS")]
    pub engine: Option<Address>,
    /// DML token address [default: from the chain, else engine.baseToken()]
    #[arg(long, env = "DML_TOKEN", value_name = "ADDRESS")]
    pub token: Option<Address>,
    /// Governor address (`dml gov`), for chains whose `dml_getContracts` does not name one.
    #[arg(long, env = "DML_GOVERNOR", value_name = "ADDRESS")]
    pub governor: Option<Address>,
    /// First block to scan for engine events (the engine's deployment block) [default: 0]
    #[arg(long, env = "DML_FROM_BLOCK", value_name = "BLOCK")]
    pub from_block: Option<u64>,
    /// Print machine-readable JSON.
    #[arg(long)]
    pub json: bool,
    /// Print the effective settings (flags > environment > config file > defaults) as JSON and exit.
    #[arg(long)]
    pub print_config: bool,
}

fn process_env(key: &str) -> Option<OsString> {
    std::env::var_os(key).filter(|value| !value.is_empty())
}

impl ClientArgs {
    /// The effective settings: these flags and environment over the config file over defaults.
    pub fn settings(&self) -> anyhow::Result<Settings> {
        let (file, path) = load_file_layer(self.config.as_deref(), &process_env)?;
        let cli = ConfigLayer {
            rpc_url: self.rpc_url.clone(),
            api_url: self.api_url.clone(),
            gateway_url: self.gateway_url.clone(),
            keystore_dir: self.keystore_dir.clone(),
            account: self.account.clone(),
            dev_account: self.dev_account,
            password_file: self.password_file.clone(),
            engine: self.engine,
            token: self.token,
            governor: self.governor,
            from_block: self.from_block,
            private_key: self.private_key.clone(),
        };
        Ok(Settings::resolve(cli, file, path, process_env)?)
    }

    /// Handles `--print-config`: prints the settings and returns true when asked.
    pub fn print_config_if_asked(&self) -> anyhow::Result<bool> {
        if self.print_config {
            println!("{}", serde_json::to_string_pretty(&self.settings()?.to_json())?);
        }
        Ok(self.print_config)
    }
}

/// Starts logging to stderr (`RUST_LOG`, default `warn`) and runs `future` on a runtime.
pub fn block_on<F: std::future::Future<Output = anyhow::Result<()>>>(future: F) -> anyhow::Result<()> {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .try_init();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(future)
}

// ---------------------------------------------------------------------------
// Amounts
// ---------------------------------------------------------------------------

/// Decimals of DML and ETH.
pub const DECIMALS: usize = 18;

/// Why a decimal amount was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// Empty text.
    #[error("amount is empty")]
    Empty,
    /// A leading minus sign.
    #[error("amount `{0}` is negative")]
    Negative(String),
    /// More fractional digits than the token has.
    #[error("amount `{0}` has more than 18 decimals")]
    TooPrecise(String),
    /// Not `DIGITS[.DIGITS]`.
    #[error("amount `{0}` is not a decimal number like 1.5")]
    NotDecimal(String),
    /// Larger than a uint256.
    #[error("amount `{0}` is too large")]
    TooLarge(String),
}

/// Parses a decimal amount (`1`, `1.5`, `0.000000000000000001`) into exact
/// 18-decimal base units. No exponents, signs, separators or spaces.
pub fn parse_amount(text: &str) -> Result<U256, AmountError> {
    if text.is_empty() {
        return Err(AmountError::Empty);
    }
    if text.starts_with('-') {
        return Err(AmountError::Negative(text.into()));
    }
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, fraction),
        None => (text, ""),
    };
    let digits_only = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits_only(whole) || !digits_only(fraction) || (text.contains('.') && fraction.is_empty())
    {
        return Err(AmountError::NotDecimal(text.into()));
    }
    if fraction.len() > DECIMALS {
        return Err(AmountError::TooPrecise(text.into()));
    }
    let padded = format!("{whole}{fraction:0<DECIMALS$}");
    U256::from_str_radix(&padded, 10).map_err(|_| AmountError::TooLarge(text.into()))
}

/// Formats base units as an exact decimal (`1500000000000000000` → `1.5`).
pub fn format_amount(value: U256) -> String {
    let digits = value.to_string();
    let padded = format!("{digits:0>width$}", width = DECIMALS + 1);
    let (whole, fraction) = padded.split_at(padded.len() - DECIMALS);
    let fraction = fraction.trim_end_matches('0');
    if fraction.is_empty() {
        whole.to_owned()
    } else {
        format!("{whole}.{fraction}")
    }
}

/// clap value parser for amounts.
pub fn amount_arg(text: &str) -> Result<U256, String> {
    parse_amount(text).map_err(|error| error.to_string())
}

// ---------------------------------------------------------------------------
// Reverts
// ---------------------------------------------------------------------------

/// A readable message for revert data: the `Error(string)` reason, a
/// `Panic(uint256)` code, the sentence for a custom error of the governor, the
/// timelock or the token (`dml_governance::decode_revert`), or the raw bytes.
pub fn decode_revert(data: &[u8]) -> String {
    if let Ok(reason) = RevertReason::abi_decode(data) {
        return reason.reason;
    }
    if let Ok(panic) = alloy_sol_types::Panic::abi_decode(data) {
        return format!("panic code {}", panic.code);
    }
    if let Some(sentence) = dml_governance::decode_revert(data) {
        return sentence;
    }
    if data.is_empty() {
        "reverted without a reason".into()
    } else {
        format!("reverted with data {}", alloy_primitives::hex::encode_prefixed(data))
    }
}

/// Describes a failed JSON-RPC call: the decoded revert reason when the node
/// sent revert data, else the node's message, else the transport error.
pub fn describe_rpc_error(error: &alloy_transport::TransportError) -> String {
    if let Some(payload) = error.as_error_resp() {
        if let Some(data) = payload.as_revert_data() {
            return decode_revert(&data);
        }
        return payload.message.to_string();
    }
    error.to_string()
}

// ---------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------

/// The standard test mnemonic of the dev chain (the keys anvil and hardhat fund).
pub const DEV_MNEMONIC: &str = "test test test test test test test test test test test junk";

/// Key `m/44'/60'/0'/0/index` of a BIP-39 mnemonic.
pub fn mnemonic_key(phrase: &str, index: u32) -> anyhow::Result<PrivateKeySigner> {
    MnemonicBuilder::<English>::try_from_phrase_nth(phrase, index)
        .map_err(|error| anyhow!("cannot derive key {index} from the mnemonic: {error}"))
}

/// Parses a hex private key without ever echoing it.
pub fn parse_private_key(text: &str) -> anyhow::Result<PrivateKeySigner> {
    text.trim().parse::<PrivateKeySigner>().map_err(|_| anyhow!("the private key is not 32 bytes of hex"))
}

/// The keystore password: `--password-file`, else `$DML_PASSWORD`, else a
/// prompt when stdin is a terminal (twice when `confirm`).
pub fn read_password(settings: &Settings, confirm: bool) -> anyhow::Result<String> {
    if let Some(path) = &settings.password_file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the password file {}", path.display()))?;
        return Ok(text.lines().next().unwrap_or("").to_owned());
    }
    if let Ok(password) = std::env::var("DML_PASSWORD") {
        return Ok(password);
    }
    if !std::io::stdin().is_terminal() {
        bail!("no keystore password: pass --password-file FILE or set DML_PASSWORD (stdin is not a terminal to prompt on)");
    }
    let password = rpassword::prompt_password("Keystore password: ").context("reading the password")?;
    if confirm {
        let again = rpassword::prompt_password("Repeat password: ").context("reading the password")?;
        if again != password {
            bail!("the passwords do not match");
        }
    }
    Ok(password)
}

/// The address a keystore file declares (its `address` field), if readable.
pub fn keystore_address(path: &Path) -> Option<Address> {
    let text = std::fs::read_to_string(path).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    let address = json.get("address")?.as_str()?;
    let hex = address.strip_prefix("0x").unwrap_or(address);
    hex.parse().ok()
}

/// The keystore files of a directory, sorted by name (missing directory: none).
pub fn keystore_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(error).with_context(|| format!("cannot list {}", dir.display())),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
        if entry.file_type().is_ok_and(|kind| kind.is_file()) && !entry.file_name().to_string_lossy().starts_with('.') {
            files.push(entry.path());
        }
    }
    files.sort();
    Ok(files)
}

/// Finds a keystore by file name or by the address it declares.
pub fn find_keystore(dir: &Path, name_or_address: &str) -> anyhow::Result<PathBuf> {
    let by_name = dir.join(name_or_address);
    if !name_or_address.contains('/') && by_name.is_file() {
        return Ok(by_name);
    }
    if let Ok(address) = name_or_address.parse::<Address>() {
        for file in keystore_files(dir)? {
            if keystore_address(&file) == Some(address) {
                return Ok(file);
            }
        }
    }
    let known: Vec<String> = keystore_files(dir)?
        .iter()
        .filter_map(|file| file.file_name().map(|name| name.to_string_lossy().into_owned()))
        .collect();
    bail!(
        "no keystore `{name_or_address}` in {} (known: {})",
        dir.display(),
        if known.is_empty() { "none; create one with `dml wallet new`".into() } else { known.join(", ") }
    )
}

/// The address of the signer the settings choose, without decrypting
/// anything: a keystore's declared address (decrypted only if it has none).
pub fn signer_address(settings: &Settings) -> anyhow::Result<Option<Address>> {
    Ok(match &settings.signer {
        None => None,
        Some(SignerChoice::PrivateKey(key)) => Some(parse_private_key(key)?.address()),
        Some(SignerChoice::DevAccount(index)) => Some(mnemonic_key(DEV_MNEMONIC, *index)?.address()),
        Some(SignerChoice::Keystore(name)) => {
            let path = find_keystore(&settings.keystore_dir, name)?;
            match keystore_address(&path) {
                Some(address) => Some(address),
                None => load_signer(settings)?.map(|signer| signer.address()),
            }
        }
    })
}

/// The signer the settings choose (keystores are decrypted here), or `None`.
pub fn load_signer(settings: &Settings) -> anyhow::Result<Option<PrivateKeySigner>> {
    let signer = match &settings.signer {
        None => return Ok(None),
        Some(SignerChoice::PrivateKey(key)) => parse_private_key(key)?,
        Some(SignerChoice::DevAccount(index)) => mnemonic_key(DEV_MNEMONIC, *index)?,
        Some(SignerChoice::Keystore(name)) => {
            let path = find_keystore(&settings.keystore_dir, name)?;
            let password = read_password(settings, false)?;
            PrivateKeySigner::decrypt_keystore(&path, password)
                .map_err(|error| anyhow!("cannot decrypt keystore {}: {error}", path.display()))?
        }
    };
    Ok(Some(signer))
}

// ---------------------------------------------------------------------------
// The connected client
// ---------------------------------------------------------------------------

/// Largest block range asked of `eth_getLogs` at once (public L2 endpoints cap it).
const LOG_CHUNK_BLOCKS: u64 = 50_000;
/// How long to wait for a transaction's receipt.
const RECEIPT_TIMEOUT: Duration = Duration::from_secs(120);

/// A connection to the chain (and the content gateway) with an optional signer.
pub struct Client {
    /// The effective settings.
    pub settings: Settings,
    /// Print JSON instead of text.
    pub json: bool,
    provider: DynProvider,
    rpc_url: reqwest::Url,
    signer: Option<Address>,
    /// The signing provider, built (and any keystore decrypted) on the first send.
    wallet: tokio::sync::OnceCell<DynProvider>,
    /// The engine contract.
    pub engine: Address,
    /// The DML token contract.
    pub token: Address,
    /// The governor, when the chain or the settings name one.
    pub governor: Option<Address>,
    http: reqwest::Client,
}

impl Client {
    /// Connects: loads the settings, learns the signer's address, reaches the
    /// chain, finds the contracts. A keystore is decrypted only when a
    /// transaction is signed, so read-only commands never ask for a password.
    pub async fn connect(args: &ClientArgs) -> anyhow::Result<Client> {
        let settings = args.settings()?;
        let signer_address = signer_address(&settings)?;
        let url: reqwest::Url =
            settings.rpc_url.parse().with_context(|| format!("--rpc-url `{}` is not a URL", settings.rpc_url))?;
        let provider = ProviderBuilder::new().connect_http(url.clone()).erased();
        let chain_id = provider
            .get_chain_id()
            .await
            .map_err(|error| anyhow!("cannot reach the JSON-RPC endpoint {}: {error}", settings.rpc_url))?;
        tracing::debug!(chain_id, rpc = %settings.rpc_url, "connected");
        let Contracts { engine, token, governor } = discover_contracts(&provider, &settings).await?;
        let http =
            reqwest::Client::builder().timeout(Duration::from_secs(60)).build().context("building the HTTP client")?;
        Ok(Client {
            settings,
            json: args.json,
            provider,
            rpc_url: url,
            signer: signer_address,
            wallet: tokio::sync::OnceCell::new(),
            engine,
            token,
            governor,
            http,
        })
    }

    /// The provider that signs, loading the key on first use.
    async fn wallet(&self) -> anyhow::Result<&DynProvider> {
        self.wallet
            .get_or_try_init(|| async {
                let expected = self.sender()?;
                let signer = load_signer(&self.settings)?.ok_or_else(|| anyhow!("no signer"))?;
                if signer.address() != expected {
                    bail!("the keystore declares address {expected} but holds the key of {}", signer.address());
                }
                let wallet = EthereumWallet::from(signer);
                Ok(ProviderBuilder::new().wallet(wallet).connect_http(self.rpc_url.clone()).erased())
            })
            .await
    }

    /// The provider (for reads the helpers below do not cover).
    pub fn provider(&self) -> &DynProvider {
        &self.provider
    }

    /// The signer's address, or an error saying how to choose one.
    pub fn sender(&self) -> anyhow::Result<Address> {
        self.signer.ok_or_else(|| {
            anyhow!("no signer: pass --account NAME, --private-key HEX (or DML_PRIVATE_KEY) or --dev-account N")
        })
    }

    /// `address` if given, else the signer's address.
    pub fn address_or_sender(&self, address: Option<Address>) -> anyhow::Result<Address> {
        match address {
            Some(address) => Ok(address),
            None => self.sender().context("no ADDRESS given and no signer to default to"),
        }
    }

    /// Calls a view function of `to`.
    pub async fn view<C: SolCall>(&self, to: Address, call: C) -> anyhow::Result<C::Return> {
        let request = TransactionRequest::default().with_to(to).with_input(Bytes::from(call.abi_encode()));
        let output = self.provider.call(request).await.map_err(|error| {
            anyhow!("{} on {to} failed: {}", C::SIGNATURE.split('(').next().unwrap_or(""), describe_rpc_error(&error))
        })?;
        C::abi_decode_returns(&output).map_err(|error| anyhow!("cannot decode the reply of {}: {error}", C::SIGNATURE))
    }

    /// A view of the engine.
    pub async fn engine_view<C: SolCall>(&self, call: C) -> anyhow::Result<C::Return> {
        self.view(self.engine, call).await
    }

    /// The size of the code at `address` (0: an account without code).
    pub async fn code_size(&self, address: Address) -> anyhow::Result<usize> {
        let code = self
            .provider
            .get_code_at(address)
            .await
            .map_err(|error| anyhow!("reading the code at {address} failed: {}", describe_rpc_error(&error)))?;
        Ok(code.len())
    }

    /// DML balance of `address`.
    pub async fn dml_balance(&self, address: Address) -> anyhow::Result<U256> {
        self.view(self.token, IDmlToken::balanceOfCall { account: address }).await
    }

    /// Signs and sends a call to `to`, waits for the receipt, and fails with
    /// the decoded revert reason if the engine refuses. `what` names the action.
    pub async fn send<C: SolCall>(&self, to: Address, call: C, what: &str) -> anyhow::Result<TransactionReceipt> {
        self.send_request(TransactionRequest::default().with_to(to).with_input(Bytes::from(call.abi_encode())), what)
            .await
    }

    /// Signs and sends a contract creation (`code`: creation code with its
    /// constructor arguments); the receipt names the new contract.
    pub async fn deploy(&self, code: Bytes, what: &str) -> anyhow::Result<TransactionReceipt> {
        self.send_request(TransactionRequest::default().with_deploy_code(code), what).await
    }

    /// Signs and sends a call to the engine.
    pub async fn send_engine<C: SolCall>(&self, call: C, what: &str) -> anyhow::Result<TransactionReceipt> {
        self.send(self.engine, call, what).await
    }

    /// Signs and sends a plain transaction request.
    pub async fn send_request(&self, request: TransactionRequest, what: &str) -> anyhow::Result<TransactionReceipt> {
        let from = self.sender()?;
        let mut request = request.with_from(from);
        // The nonce is read from the node for every send: the wallet's cached
        // nonce manager takes one before the gas estimate, so a refused call
        // would leave a gap that every later transaction of a long-lived
        // client (the devnet's chain relay) waits behind forever.
        if request.nonce.is_none() {
            let nonce = self
                .provider
                .get_transaction_count(from)
                .pending()
                .await
                .map_err(|error| anyhow!("reading the nonce of {from} failed: {}", describe_rpc_error(&error)))?;
            request = request.with_nonce(nonce);
        }
        // Gas estimation runs the call first: an engine refusal surfaces here,
        // before anything is signed or sent.
        let wallet = self.wallet().await?;
        let pending = wallet
            .send_transaction(request.clone())
            .await
            .map_err(|error| anyhow!("{what} refused: {}", describe_rpc_error(&error)))?;
        let hash = *pending.tx_hash();
        tracing::debug!(%hash, what, "sent");
        let receipt = pending
            .with_timeout(Some(RECEIPT_TIMEOUT))
            .get_receipt()
            .await
            .map_err(|error| anyhow!("{what}: no receipt for transaction {hash}: {error}"))?;
        if !receipt.status() {
            let reason = match receipt.block_number {
                Some(block) => self.replay_revert(request, block).await,
                None => "unknown reason".into(),
            };
            bail!("{what} reverted in transaction {hash}: {reason}");
        }
        Ok(receipt)
    }

    /// Why a transaction mined in `block` reverted, learned by running it
    /// again: first on the parent block's state (the state it ran on, but for
    /// transactions before it in its block), then on its own block's, whose
    /// timestamp reproduces a refusal that depends on the time (a vote mined
    /// just after its deadline).
    async fn replay_revert(&self, request: TransactionRequest, block: u64) -> String {
        for at in [block.saturating_sub(1), block] {
            if let Err(error) = self.provider.call(request.clone()).block(at.into()).await {
                return describe_rpc_error(&error);
            }
        }
        "out of gas or state changed".into()
    }

    /// The engine's logs matching `filter` from the configured first block to
    /// the head, fetched in chunks.
    pub async fn engine_logs(&self, filter: Filter) -> anyhow::Result<Vec<Log>> {
        self.contract_logs(self.engine, filter).await
    }

    /// The engine's logs matching `filter` in blocks `from..=to`.
    pub async fn engine_logs_between(&self, filter: Filter, from: u64, to: u64) -> anyhow::Result<Vec<Log>> {
        self.logs_between(self.engine, filter, from, to).await
    }

    /// The logs of contract `emitter` matching `filter` from the configured
    /// first block to the head, fetched in chunks.
    pub async fn contract_logs(&self, emitter: Address, filter: Filter) -> anyhow::Result<Vec<Log>> {
        let head = self.provider.get_block_number().await.map_err(|e| anyhow!("eth_blockNumber failed: {e}"))?;
        self.logs_between(emitter, filter, self.settings.from_block, head).await
    }

    /// The logs of contract `emitter` matching `filter` in blocks `from..=to`.
    async fn logs_between(&self, emitter: Address, filter: Filter, from: u64, to: u64) -> anyhow::Result<Vec<Log>> {
        let mut logs = Vec::new();
        let mut start = from;
        while start <= to {
            let end = to.min(start.saturating_add(LOG_CHUNK_BLOCKS - 1));
            let chunk = filter.clone().address(emitter).from_block(start).to_block(end);
            let mut found = self
                .provider
                .get_logs(&chunk)
                .await
                .map_err(|error| anyhow!("eth_getLogs {start}..{end} failed: {}", describe_rpc_error(&error)))?;
            logs.append(&mut found);
            start = end + 1;
        }
        Ok(logs)
    }

    /// The latest block's number and timestamp.
    pub async fn head(&self) -> anyhow::Result<(u64, u64)> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .map_err(|error| anyhow!("eth_getBlockByNumber failed: {error}"))?
            .ok_or_else(|| anyhow!("the node has no latest block"))?;
        Ok((block.header.number, block.header.timestamp))
    }

    /// Fetches `cid` from the gateway and checks that the bytes hash to it
    /// (any size: multi-block files are rebuilt as `ipfs add` would).
    pub async fn fetch_verified(&self, cid: &Cid) -> anyhow::Result<Vec<u8>> {
        let url = format!("{}/ipfs/{cid}", self.settings.gateway_url.trim_end_matches('/'));
        let response =
            self.http.get(&url).send().await.with_context(|| format!("cannot reach the gateway at {url}"))?;
        let status = response.status();
        if !status.is_success() {
            bail!("the gateway answered HTTP {status} for {url}");
        }
        let bytes = response.bytes().await.with_context(|| format!("reading {url}"))?.to_vec();
        let actual = match cid.version() {
            dml_content::CidVersion::V0 => dml_content::cid_v0(&bytes),
            dml_content::CidVersion::V1 => dml_content::cid_v1(&bytes),
        };
        if actual != *cid {
            bail!("the gateway returned {} bytes for {cid} that hash to {actual}: refusing them", bytes.len());
        }
        Ok(bytes)
    }
}

/// The contracts a client talks to.
struct Contracts {
    engine: Address,
    token: Address,
    governor: Option<Address>,
}

/// `dml_getContracts`'s answer (other fields are ignored); a chain without
/// governance leaves `governor` out.
#[derive(Debug, PartialEq, Eq, serde::Deserialize)]
struct ChainContracts {
    engine: Address,
    token: Address,
    #[serde(default)]
    governor: Option<Address>,
}

async fn discover_contracts(provider: &DynProvider, settings: &Settings) -> anyhow::Result<Contracts> {
    let from_chain: Option<ChainContracts> =
        match provider.raw_request::<_, ChainContracts>("dml_getContracts".into(), ()).await {
            Ok(contracts) => Some(contracts),
            Err(error) => {
                tracing::debug!(%error, "dml_getContracts unavailable");
                None
            }
        };
    let engine = match (settings.engine, &from_chain) {
        (Some(engine), _) => engine,
        (None, Some(contracts)) => contracts.engine,
        (None, None) => bail!(
            "the chain at {} does not answer dml_getContracts: set `engine` in the config file or pass --engine ADDRESS",
            settings.rpc_url
        ),
    };
    let token = match (settings.token, &from_chain) {
        (Some(token), _) => token,
        (None, Some(contracts)) if settings.engine.is_none() => contracts.token,
        _ => {
            let call = IEngine::baseTokenCall {};
            let request = TransactionRequest::default().with_to(engine).with_input(Bytes::from(call.abi_encode()));
            let output = provider
                .call(request)
                .await
                .map_err(|error| anyhow!("engine {engine}: baseToken() failed: {}", describe_rpc_error(&error)))?;
            IEngine::baseTokenCall::abi_decode_returns(&output)
                .map_err(|error| anyhow!("engine {engine}: cannot decode baseToken(): {error}"))?
        }
    };
    // The chain's governor governs the chain's engine, not one named by --engine.
    let governor = match (settings.governor, &from_chain) {
        (Some(governor), _) => Some(governor),
        (None, Some(contracts)) if settings.engine.is_none() => contracts.governor,
        _ => None,
    };
    Ok(Contracts { engine, token, governor })
}

/// Decodes the first log of event `E` emitted by `emitter` in a receipt.
pub fn receipt_event<E: SolEvent>(receipt: &TransactionReceipt, emitter: Address) -> Option<E> {
    receipt.inner.logs().iter().find_map(|log| {
        if log.address() != emitter || log.topics().first() != Some(&E::SIGNATURE_HASH) {
            return None;
        }
        E::decode_log_data(log.data()).ok()
    })
}

/// Prints a JSON value (pretty) on stdout.
pub fn print_json(value: &serde_json::Value) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// A CID stored by the engine (multihash bytes, CIDv0) as a [`Cid`].
pub fn engine_cid(bytes: &[u8]) -> anyhow::Result<Cid> {
    Cid::from_bytes(bytes).map_err(|error| anyhow!("the engine stores a CID that does not parse: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn units(text: &str) -> U256 {
        U256::from_str_radix(text, 10).unwrap()
    }

    #[test]
    fn amounts_parse_to_exact_base_units() {
        assert_eq!(parse_amount("1"), Ok(units("1000000000000000000")));
        assert_eq!(parse_amount("1.5"), Ok(units("1500000000000000000")));
        assert_eq!(parse_amount("0.000000000000000001"), Ok(U256::from(1)));
        assert_eq!(parse_amount("0"), Ok(U256::ZERO));
        assert_eq!(parse_amount("007.10"), Ok(units("7100000000000000000")));
        assert_eq!(parse_amount("123456789.123456789123456789"), Ok(units("123456789123456789123456789")));
    }

    #[test]
    fn bad_amounts_are_refused_with_the_reason() {
        assert_eq!(parse_amount(""), Err(AmountError::Empty));
        assert_eq!(parse_amount("-1"), Err(AmountError::Negative("-1".into())));
        assert_eq!(parse_amount("0.0000000000000000001"), Err(AmountError::TooPrecise("0.0000000000000000001".into())));
        for garbage in ["abc", "1e18", "1.", ".5", "1,5", " 1", "1 ", "+1", "1.2.3", "0x10", "١"] {
            assert_eq!(parse_amount(garbage), Err(AmountError::NotDecimal(garbage.into())), "{garbage}");
        }
        let huge = "1".repeat(80);
        assert_eq!(parse_amount(&huge), Err(AmountError::TooLarge(huge.clone())));
    }

    #[test]
    fn amounts_format_exactly_and_round_trip() {
        assert_eq!(format_amount(U256::ZERO), "0");
        assert_eq!(format_amount(U256::from(1)), "0.000000000000000001");
        assert_eq!(format_amount(units("1500000000000000000")), "1.5");
        assert_eq!(format_amount(units("1000000000000000000000")), "1000");
        for text in ["0.1", "42", "999999.999999999999999999", "0.000000000000000123"] {
            assert_eq!(format_amount(parse_amount(text).unwrap()), text);
        }
        let max = format_amount(U256::MAX);
        assert_eq!(parse_amount(&max), Ok(U256::MAX));
    }

    #[test]
    fn reverts_decode_to_their_reason() {
        let data = RevertReason::from("not owner").abi_encode();
        assert_eq!(decode_revert(&data), "not owner");
        let panic = alloy_sol_types::Panic { code: U256::from(0x11) }.abi_encode();
        assert_eq!(decode_revert(&panic), "panic code 17");
        assert_eq!(decode_revert(&[]), "reverted without a reason");
        let voted = dml_governance::IGovernor::GovernorAlreadyCastVote { voter: Address::repeat_byte(0x11) };
        assert!(decode_revert(&voted.abi_encode()).starts_with("GovernorAlreadyCastVote: "));
        assert_eq!(decode_revert(&[0xde, 0xad]), "reverted with data 0xdead");
    }

    #[test]
    fn contracts_parse_with_or_without_a_governor() {
        let (engine, token, governor) = (Address::repeat_byte(1), Address::repeat_byte(2), Address::repeat_byte(3));
        let old: ChainContracts =
            serde_json::from_value(serde_json::json!({ "engine": engine, "token": token })).unwrap();
        assert_eq!(old, ChainContracts { engine, token, governor: None });
        let with = serde_json::json!({
            "engine": engine, "token": token, "treasury": governor, "governor": governor, "timelock": governor
        });
        let new: ChainContracts = serde_json::from_value(with).unwrap();
        assert_eq!(new.governor, Some(governor));
    }

    #[test]
    fn dev_keys_are_the_anvil_keys() {
        let first = mnemonic_key(DEV_MNEMONIC, 0).unwrap();
        assert_eq!(first.address(), alloy_primitives::address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266"));
        assert!(parse_private_key("zz").unwrap_err().to_string().contains("not 32 bytes"));
    }

    #[test]
    fn keystores_are_found_by_name_or_declared_address() {
        let dir = tempfile::tempdir().unwrap();
        let address = Address::repeat_byte(0xab);
        std::fs::write(dir.path().join("ops"), format!("{{\"address\":\"{}\"}}", hex_no_prefix(address))).unwrap();
        assert_eq!(find_keystore(dir.path(), "ops").unwrap(), dir.path().join("ops"));
        assert_eq!(find_keystore(dir.path(), &address.to_string()).unwrap(), dir.path().join("ops"));
        let error = find_keystore(dir.path(), "missing").unwrap_err().to_string();
        assert!(error.contains("known: ops"), "{error}");
    }

    fn hex_no_prefix(address: Address) -> String {
        alloy_primitives::hex::encode(address)
    }
}
