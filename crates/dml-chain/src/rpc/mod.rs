//! Ethereum JSON-RPC: every call is parsed into one typed [`Request`] at the
//! edge (unknown methods and bad params become standard JSON-RPC errors
//! here) and dispatched with one `match`.

pub mod convert;
pub mod server;

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_rpc_types_eth::{BlockId, BlockNumberOrTag, Filter, FilterBlockOption, TransactionRequest};
use dml_primitives::{IEngine, SolCall};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use crate::{
    chain::{decode_signed, CallFailure, Chain, TxError, SUGGESTED_PRIORITY_FEE},
    node::Shared,
};

/// JSON-RPC error codes (JSON-RPC 2.0 and EIP-1474).
pub mod codes {
    /// Invalid JSON.
    pub const PARSE_ERROR: i64 = -32700;
    /// Not a valid request object.
    pub const INVALID_REQUEST: i64 = -32600;
    /// Unknown method.
    pub const METHOD_NOT_FOUND: i64 = -32601;
    /// Wrong parameters.
    pub const INVALID_PARAMS: i64 = -32602;
    /// Internal failure.
    pub const INTERNAL_ERROR: i64 = -32603;
    /// A transaction or call was refused (geth's generic server error).
    pub const SERVER_ERROR: i64 = -32000;
    /// The requested resource (block) is unknown.
    pub const RESOURCE_NOT_FOUND: i64 = -32001;
    /// Execution reverted; `data` carries the revert data.
    pub const EXECUTION_REVERTED: i64 = 3;
}

/// A JSON-RPC error object.
#[derive(Clone, Debug, PartialEq)]
pub struct RpcError {
    /// The error code.
    pub code: i64,
    /// What went wrong.
    pub message: String,
    /// Extra data (revert data for `execution reverted`).
    pub data: Option<Value>,
}

impl RpcError {
    /// An error without data.
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), data: None }
    }

    /// `-32602 invalid params`.
    pub fn invalid_params(message: impl std::fmt::Display) -> Self {
        Self::new(codes::INVALID_PARAMS, format!("invalid params: {message}"))
    }

    /// The JSON error object.
    pub fn to_json(&self) -> Value {
        let mut error = json!({ "code": self.code, "message": self.message });
        if let Some(data) = &self.data {
            error["data"] = data.clone();
        }
        error
    }
}

impl From<TxError> for RpcError {
    fn from(error: TxError) -> Self {
        Self::new(codes::SERVER_ERROR, error.to_string())
    }
}

impl From<CallFailure> for RpcError {
    fn from(failure: CallFailure) -> Self {
        match &failure {
            CallFailure::Reverted { data, .. } => Self {
                code: codes::EXECUTION_REVERTED,
                message: failure.to_string(),
                data: Some(Value::String(data.to_string())),
            },
            CallFailure::UnknownBlock => Self::new(codes::RESOURCE_NOT_FOUND, failure.to_string()),
            _ => Self::new(codes::SERVER_ERROR, failure.to_string()),
        }
    }
}

impl From<crate::ChainError> for RpcError {
    fn from(error: crate::ChainError) -> Self {
        Self::new(codes::INTERNAL_ERROR, error.to_string())
    }
}

/// What `eth_subscribe` can follow.
#[derive(Clone, Debug, PartialEq)]
pub enum SubscriptionKind {
    /// Every new block header.
    NewHeads,
    /// Logs matching a filter.
    Logs(Box<Filter>),
}

/// Every method the node serves, with typed parameters.
#[derive(Clone, Debug, PartialEq)]
pub enum Request {
    /// `eth_chainId`.
    ChainId,
    /// `net_version`.
    NetVersion,
    /// `net_listening`.
    NetListening,
    /// `web3_clientVersion`.
    ClientVersion,
    /// `eth_syncing`.
    Syncing,
    /// `eth_accounts`: the dev accounts.
    Accounts,
    /// `eth_blockNumber`.
    BlockNumber,
    /// `eth_getBlockByNumber`.
    BlockByNumber(BlockNumberOrTag, bool),
    /// `eth_getBlockByHash`.
    BlockByHash(B256, bool),
    /// `eth_getBalance`.
    Balance(Address, BlockId),
    /// `eth_getTransactionCount`.
    TransactionCount(Address, BlockId),
    /// `eth_getCode`.
    Code(Address, BlockId),
    /// `eth_getStorageAt`.
    StorageAt(Address, U256, BlockId),
    /// `eth_gasPrice`.
    GasPrice,
    /// `eth_maxPriorityFeePerGas`.
    MaxPriorityFeePerGas,
    /// `eth_feeHistory`.
    FeeHistory(u64, BlockNumberOrTag, Vec<f64>),
    /// `eth_estimateGas`.
    EstimateGas(Box<TransactionRequest>, BlockId),
    /// `eth_call`.
    Call(Box<TransactionRequest>, BlockId),
    /// `eth_sendRawTransaction`.
    SendRawTransaction(Bytes),
    /// `eth_getTransactionByHash`.
    TransactionByHash(B256),
    /// `eth_getTransactionReceipt`.
    TransactionReceipt(B256),
    /// `eth_getLogs`.
    Logs(Box<Filter>),
    /// `eth_subscribe` (WebSocket only).
    Subscribe(SubscriptionKind),
    /// `eth_unsubscribe` (WebSocket only).
    Unsubscribe(String),
    /// `evm_increaseTime`.
    IncreaseTime(i64),
    /// `evm_setNextBlockTimestamp`.
    SetNextBlockTimestamp(u64),
    /// `evm_mine`.
    Mine(Option<u64>),
    /// `evm_snapshot`.
    Snapshot,
    /// `evm_revert`.
    Revert(u64),
    /// `dml_getContracts`.
    Contracts,
}

/// Positional parameters of one call.
struct Params {
    values: Vec<Value>,
}

impl Params {
    fn new(params: Option<&Value>) -> Result<Self, RpcError> {
        match params {
            None | Some(Value::Null) => Ok(Self { values: Vec::new() }),
            Some(Value::Array(values)) => Ok(Self { values: values.clone() }),
            Some(_) => Err(RpcError::invalid_params("params must be an array")),
        }
    }

    fn required<T: DeserializeOwned>(&self, index: usize, name: &str) -> Result<T, RpcError> {
        let value = self.values.get(index).ok_or_else(|| RpcError::invalid_params(format!("missing {name}")))?;
        serde_json::from_value(value.clone()).map_err(|error| RpcError::invalid_params(format!("{name}: {error}")))
    }

    fn optional<T: DeserializeOwned>(&self, index: usize, name: &str) -> Result<Option<T>, RpcError> {
        match self.values.get(index) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => serde_json::from_value(value.clone())
                .map(Some)
                .map_err(|error| RpcError::invalid_params(format!("{name}: {error}"))),
        }
    }

    fn at_most(&self, count: usize) -> Result<(), RpcError> {
        if self.values.len() > count {
            return Err(RpcError::invalid_params(format!(
                "expected at most {count} params, got {}",
                self.values.len()
            )));
        }
        Ok(())
    }

    /// A number given as a JSON number or a hex/decimal string.
    fn quantity(&self, index: usize, name: &str) -> Result<Option<i128>, RpcError> {
        match self.values.get(index) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(number)) => number
                .as_i64()
                .map(|n| Some(i128::from(n)))
                .ok_or_else(|| RpcError::invalid_params(format!("{name}: not an integer"))),
            Some(Value::String(text)) => {
                let parsed = match text.strip_prefix("0x") {
                    Some(hex) => i128::from_str_radix(hex, 16),
                    None => text.parse(),
                };
                parsed.map(Some).map_err(|_| RpcError::invalid_params(format!("{name}: not a quantity: {text}")))
            }
            Some(Value::Object(object)) if object.contains_key("timestamp") => {
                Params { values: vec![object["timestamp"].clone()] }.quantity(0, name)
            }
            Some(_) => Err(RpcError::invalid_params(format!("{name}: not a quantity"))),
        }
    }
}

impl Request {
    /// Parses a method name and its params.
    pub fn parse(method: &str, params: Option<&Value>) -> Result<Self, RpcError> {
        let p = Params::new(params)?;
        let latest = BlockId::Number(BlockNumberOrTag::Latest);
        let request = match method {
            "eth_chainId" => Self::ChainId,
            "net_version" => Self::NetVersion,
            "net_listening" => Self::NetListening,
            "web3_clientVersion" => Self::ClientVersion,
            "eth_syncing" => Self::Syncing,
            "eth_accounts" => Self::Accounts,
            "eth_blockNumber" => Self::BlockNumber,
            "eth_getBlockByNumber" => {
                p.at_most(2)?;
                Self::BlockByNumber(p.required(0, "block number")?, p.optional(1, "full")?.unwrap_or(false))
            }
            "eth_getBlockByHash" => {
                p.at_most(2)?;
                Self::BlockByHash(p.required(0, "block hash")?, p.optional(1, "full")?.unwrap_or(false))
            }
            "eth_getBalance" => {
                p.at_most(2)?;
                Self::Balance(p.required(0, "address")?, p.optional(1, "block")?.unwrap_or(latest))
            }
            "eth_getTransactionCount" => {
                p.at_most(2)?;
                Self::TransactionCount(p.required(0, "address")?, p.optional(1, "block")?.unwrap_or(latest))
            }
            "eth_getCode" => {
                p.at_most(2)?;
                Self::Code(p.required(0, "address")?, p.optional(1, "block")?.unwrap_or(latest))
            }
            "eth_getStorageAt" => {
                p.at_most(3)?;
                Self::StorageAt(
                    p.required(0, "address")?,
                    p.required(1, "slot")?,
                    p.optional(2, "block")?.unwrap_or(latest),
                )
            }
            "eth_gasPrice" => Self::GasPrice,
            "eth_maxPriorityFeePerGas" => Self::MaxPriorityFeePerGas,
            "eth_feeHistory" => {
                p.at_most(3)?;
                let count =
                    p.quantity(0, "block count")?.ok_or_else(|| RpcError::invalid_params("missing block count"))?;
                let count =
                    u64::try_from(count).map_err(|_| RpcError::invalid_params("block count must be positive"))?;
                Self::FeeHistory(
                    count,
                    p.required(1, "newest block")?,
                    p.optional(2, "reward percentiles")?.unwrap_or_default(),
                )
            }
            "eth_estimateGas" => {
                p.at_most(3)?;
                Self::EstimateGas(p.required(0, "transaction")?, p.optional(1, "block")?.unwrap_or(latest))
            }
            "eth_call" => {
                p.at_most(3)?;
                Self::Call(p.required(0, "transaction")?, p.optional(1, "block")?.unwrap_or(latest))
            }
            "eth_sendRawTransaction" => {
                p.at_most(1)?;
                Self::SendRawTransaction(p.required(0, "signed transaction")?)
            }
            "eth_getTransactionByHash" => {
                p.at_most(1)?;
                Self::TransactionByHash(p.required(0, "transaction hash")?)
            }
            "eth_getTransactionReceipt" => {
                p.at_most(1)?;
                Self::TransactionReceipt(p.required(0, "transaction hash")?)
            }
            "eth_getLogs" => {
                p.at_most(1)?;
                Self::Logs(p.required(0, "filter")?)
            }
            "eth_subscribe" => {
                p.at_most(2)?;
                let kind: String = p.required(0, "subscription kind")?;
                match kind.as_str() {
                    "newHeads" => Self::Subscribe(SubscriptionKind::NewHeads),
                    "logs" => Self::Subscribe(SubscriptionKind::Logs(p.optional(1, "filter")?.unwrap_or_default())),
                    other => return Err(RpcError::invalid_params(format!("unsupported subscription kind {other:?}"))),
                }
            }
            "eth_unsubscribe" => {
                p.at_most(1)?;
                Self::Unsubscribe(p.required(0, "subscription id")?)
            }
            "evm_increaseTime" => {
                p.at_most(1)?;
                let seconds = p.quantity(0, "seconds")?.ok_or_else(|| RpcError::invalid_params("missing seconds"))?;
                Self::IncreaseTime(
                    i64::try_from(seconds).map_err(|_| RpcError::invalid_params("seconds out of range"))?,
                )
            }
            "evm_setNextBlockTimestamp" => {
                p.at_most(1)?;
                let timestamp =
                    p.quantity(0, "timestamp")?.ok_or_else(|| RpcError::invalid_params("missing timestamp"))?;
                Self::SetNextBlockTimestamp(
                    u64::try_from(timestamp).map_err(|_| RpcError::invalid_params("timestamp out of range"))?,
                )
            }
            "evm_mine" => {
                p.at_most(1)?;
                let timestamp = p.quantity(0, "timestamp")?;
                Self::Mine(
                    timestamp
                        .map(u64::try_from)
                        .transpose()
                        .map_err(|_| RpcError::invalid_params("timestamp out of range"))?,
                )
            }
            "evm_snapshot" => Self::Snapshot,
            "evm_revert" => {
                p.at_most(1)?;
                let id =
                    p.quantity(0, "snapshot id")?.ok_or_else(|| RpcError::invalid_params("missing snapshot id"))?;
                Self::Revert(u64::try_from(id).map_err(|_| RpcError::invalid_params("snapshot id out of range"))?)
            }
            "dml_getContracts" => Self::Contracts,
            other => {
                return Err(RpcError::new(
                    codes::METHOD_NOT_FOUND,
                    format!("the method {other} does not exist/is not available"),
                ))
            }
        };
        Ok(request)
    }
}

fn quantity(value: impl Into<u128>) -> Value {
    Value::String(format!("{:#x}", value.into()))
}

/// Resolves a block id to a block number (`None`: no such block).
fn resolve(chain: &Chain, block: &BlockId) -> Option<u64> {
    match block {
        BlockId::Hash(hash) => chain.block_by_hash(&hash.block_hash).map(|b| b.header.number),
        BlockId::Number(tag) => resolve_tag(chain, tag),
    }
}

fn resolve_tag(chain: &Chain, tag: &BlockNumberOrTag) -> Option<u64> {
    let head = chain.head_number();
    match tag {
        BlockNumberOrTag::Number(number) => (*number <= head).then_some(*number),
        BlockNumberOrTag::Earliest => Some(0),
        _ => Some(head),
    }
}

fn require_block(chain: &Chain, block: &BlockId) -> Result<u64, RpcError> {
    resolve(chain, block).ok_or_else(|| RpcError::new(codes::RESOURCE_NOT_FOUND, "header not found"))
}

/// Most blocks one `eth_getLogs` may scan.
pub const MAX_LOG_RANGE: u64 = 100_000;

/// Logs of blocks `from..=to` that match `filter`.
pub fn matching_logs(chain: &Chain, filter: &Filter) -> Result<Vec<alloy_rpc_types_eth::Log>, RpcError> {
    let (from, to) = match &filter.block_option {
        FilterBlockOption::AtBlockHash(hash) => {
            let block =
                chain.block_by_hash(hash).ok_or_else(|| RpcError::new(codes::RESOURCE_NOT_FOUND, "unknown block"))?;
            (block.header.number, block.header.number)
        }
        FilterBlockOption::Range { from_block, to_block } => {
            let head = chain.head_number();
            let from = from_block.as_ref().map(|tag| resolve_tag(chain, tag).unwrap_or(head + 1)).unwrap_or(head);
            let to = to_block.as_ref().map(|tag| resolve_tag(chain, tag).unwrap_or(head)).unwrap_or(head);
            (from, to.min(head))
        }
    };
    if from > to {
        return Ok(Vec::new());
    }
    if to - from > MAX_LOG_RANGE {
        return Err(RpcError::new(
            codes::SERVER_ERROR,
            format!("block range too large: at most {MAX_LOG_RANGE} blocks"),
        ));
    }
    let mut found = Vec::new();
    for number in from..=to {
        let Some(block) = chain.block(number) else { break };
        if !filter.matches_bloom(block.header.logs_bloom) {
            continue;
        }
        let genesis = convert::genesis_logs(block);
        let transactions = (0..block.transactions.len()).flat_map(|index| convert::logs(block, index));
        for log in genesis.into_iter().chain(transactions) {
            if filter.matches(&log.inner) {
                found.push(log);
            }
        }
    }
    Ok(found)
}

/// Serves one request (everything but subscriptions, which the WebSocket
/// session handles). Runs on a blocking thread: it takes the chain lock.
pub fn dispatch(shared: &Shared, request: Request) -> Result<Value, RpcError> {
    match request {
        Request::SendRawTransaction(raw) => {
            let chain_id = shared.chain_id;
            let tx = decode_signed(&raw, chain_id)?;
            let hash = shared.chain().add_transaction(tx)?;
            shared.wake_miner();
            return Ok(Value::String(hash.to_string()));
        }
        Request::Subscribe(_) | Request::Unsubscribe(_) => {
            return Err(RpcError::new(codes::METHOD_NOT_FOUND, "subscriptions need a WebSocket connection"));
        }
        Request::Mine(timestamp) => {
            let number = shared.mine_now(timestamp)?;
            return Ok(json!(format!("{number:#x}")));
        }
        _ => {}
    }
    let mut chain = shared.chain();
    let value = match request {
        Request::ChainId => quantity(chain.chain_id()),
        Request::NetVersion => Value::String(chain.chain_id().to_string()),
        Request::NetListening => Value::Bool(true),
        Request::ClientVersion => Value::String(format!("dml-chain/v{}", env!("CARGO_PKG_VERSION"))),
        Request::Syncing => Value::Bool(false),
        Request::Accounts => json!(chain.dev_signers().iter().map(|s| s.address()).collect::<Vec<_>>()),
        Request::BlockNumber => quantity(chain.head_number()),
        Request::BlockByNumber(tag, full) => match resolve_tag(&chain, &tag).and_then(|n| chain.block(n)) {
            Some(block) => convert::block(block, full),
            None => Value::Null,
        },
        Request::BlockByHash(hash, full) => match chain.block_by_hash(&hash) {
            Some(block) => convert::block(block, full),
            None => Value::Null,
        },
        Request::Balance(address, block) => {
            let number = require_block(&chain, &block)?;
            let balance = chain.with_view(number, |view| view.record(&address).map(|r| r.balance)).flatten();
            json!(balance.unwrap_or_default())
        }
        Request::TransactionCount(address, block) => {
            if block == BlockId::Number(BlockNumberOrTag::Pending) {
                quantity(chain.pending_nonce(&address))
            } else {
                let number = require_block(&chain, &block)?;
                let nonce = chain.with_view(number, |view| view.record(&address).map(|r| r.nonce)).flatten();
                quantity(nonce.unwrap_or_default())
            }
        }
        Request::Code(address, block) => {
            let number = require_block(&chain, &block)?;
            json!(chain.with_view(number, |view| view.code_at(&address)).unwrap_or_default())
        }
        Request::StorageAt(address, slot, block) => {
            let number = require_block(&chain, &block)?;
            let value = chain.with_view(number, |view| view.slot(&address, &slot)).unwrap_or_default();
            json!(B256::from(value))
        }
        Request::GasPrice => quantity(u128::from(chain.next_base_fee()) + SUGGESTED_PRIORITY_FEE),
        Request::MaxPriorityFeePerGas => quantity(SUGGESTED_PRIORITY_FEE),
        Request::FeeHistory(count, newest, percentiles) => fee_history(&chain, count, &newest, &percentiles)?,
        Request::EstimateGas(request, block) => {
            let number = require_block(&chain, &block)?;
            quantity(chain.estimate_gas(&request, number)?)
        }
        Request::Call(request, block) => {
            let number = require_block(&chain, &block)?;
            json!(chain.call(&request, number)?.output)
        }
        Request::TransactionByHash(hash) => match chain.tx_location(&hash) {
            Some((number, index)) => {
                json!(convert::transaction(chain.block(number).expect("indexed block"), index))
            }
            None => match chain.pooled_tx(&hash) {
                Some(tx) => json!(convert::pending_transaction(tx)),
                None => Value::Null,
            },
        },
        Request::TransactionReceipt(hash) => match chain.tx_location(&hash) {
            Some((number, index)) => convert::receipt(chain.block(number).expect("indexed block"), index),
            None => Value::Null,
        },
        Request::Logs(filter) => json!(matching_logs(&chain, &filter)?),
        Request::IncreaseTime(seconds) => quantity(u64::try_from(chain.increase_time(seconds)?).unwrap_or_default()),
        Request::SetNextBlockTimestamp(timestamp) => {
            chain.set_next_timestamp(timestamp).map_err(|message| RpcError::new(codes::SERVER_ERROR, message))?;
            Value::Null
        }
        Request::Snapshot => quantity(chain.snapshot()),
        Request::Revert(id) => Value::Bool(chain.revert(id)?),
        Request::Contracts => {
            let contracts = chain.contracts();
            let treasury_call =
                TransactionRequest::default().to(contracts.engine).input(IEngine::treasuryCall {}.abi_encode().into());
            let output = chain.call(&treasury_call, chain.head_number())?.output;
            let treasury = IEngine::treasuryCall::abi_decode_returns(&output)
                .map_err(|error| RpcError::new(codes::INTERNAL_ERROR, error.to_string()))?;
            let governance = crate::GovernanceAddresses::at_genesis();
            // A chain created before LP staking joined the genesis has none.
            let liquidity = crate::LiquidityAddresses::for_token(contracts.token);
            let deployed = |address: Address| (!chain.state().code_at(&address).is_empty()).then_some(address);
            json!({
                "engine": contracts.engine,
                "token": contracts.token,
                "treasury": treasury,
                "governor": governance.governor,
                "timelock": governance.timelock,
                "weth": deployed(liquidity.weth),
                "factory": deployed(liquidity.factory),
                "router": deployed(liquidity.router),
                "pair": deployed(liquidity.pair),
                "liquidityStaking": deployed(liquidity.staking),
            })
        }
        Request::SendRawTransaction(_) | Request::Subscribe(_) | Request::Unsubscribe(_) | Request::Mine(_) => {
            unreachable!("handled above")
        }
    };
    Ok(value)
}

fn fee_history(chain: &Chain, count: u64, newest: &BlockNumberOrTag, percentiles: &[f64]) -> Result<Value, RpcError> {
    if percentiles.len() > 100
        || percentiles.windows(2).any(|w| w[0] > w[1])
        || percentiles.iter().any(|p| !(0.0..=100.0).contains(p))
    {
        return Err(RpcError::invalid_params("reward percentiles must be ascending values in 0..=100"));
    }
    let newest =
        resolve_tag(chain, newest).ok_or_else(|| RpcError::new(codes::RESOURCE_NOT_FOUND, "header not found"))?;
    let count = count.clamp(1, 1024).min(newest + 1);
    let oldest = newest + 1 - count;
    let mut base_fees = Vec::new();
    let mut ratios = Vec::new();
    let mut rewards = Vec::new();
    for number in oldest..=newest {
        let block = chain.block(number).expect("within the chain");
        let base_fee = block.header.base_fee_per_gas.unwrap_or_default();
        base_fees.push(quantity(base_fee));
        ratios.push(json!(block.header.gas_used as f64 / block.header.gas_limit.max(1) as f64));
        if !percentiles.is_empty() {
            let mut tips: Vec<(u128, u64)> = block
                .transactions
                .iter()
                .zip(&block.receipts)
                .map(|(tx, receipt)| {
                    use alloy_consensus::Transaction as _;
                    (tx.envelope.effective_tip_per_gas(base_fee).unwrap_or_default(), receipt.gas_used)
                })
                .collect();
            tips.sort_unstable();
            let total: u64 = tips.iter().map(|(_, gas)| gas).sum();
            let row: Vec<Value> = percentiles
                .iter()
                .map(|percentile| {
                    let threshold = (total as f64 * percentile / 100.0) as u64;
                    let mut cumulative = 0;
                    let tip = tips
                        .iter()
                        .find(|(_, gas)| {
                            cumulative += gas;
                            cumulative >= threshold
                        })
                        .or(tips.last())
                        .map(|(tip, _)| *tip)
                        .unwrap_or_default();
                    quantity(tip)
                })
                .collect();
            rewards.push(Value::Array(row));
        }
    }
    base_fees.push(quantity(if newest == chain.head_number() {
        chain.next_base_fee()
    } else {
        chain.block(newest + 1).and_then(|b| b.header.base_fee_per_gas).unwrap_or_default()
    }));
    let mut history = json!({
        "oldestBlock": quantity(oldest),
        "baseFeePerGas": base_fees,
        "gasUsedRatio": ratios,
        "baseFeePerBlobGas": vec![quantity(0u64); count as usize + 1],
        "blobGasUsedRatio": vec![json!(0.0); count as usize],
    });
    if !percentiles.is_empty() {
        history["reward"] = Value::Array(rewards);
    }
    Ok(history)
}
