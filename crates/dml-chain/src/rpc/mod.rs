//! Ethereum JSON-RPC: every call is parsed into one typed [`Request`] at the
//! edge (unknown methods and bad params become standard JSON-RPC errors
//! here) and dispatched with one `match`. Each namespace has its file:
//! [`eth`] (with `net_` and `web3_`), [`anvil`] (with `evm_` and
//! `hardhat_`), [`txpool`], [`debug`] and [`dml`].

pub mod anvil;
pub mod convert;
pub mod debug;
pub mod dml;
pub mod eth;
pub mod params;
pub mod server;
pub mod txpool;

use alloy_rpc_types_eth::{BlockId, BlockNumberOrTag, Filter, FilterBlockOption};
use serde_json::{json, Value};

pub use params::Params;

use crate::{
    chain::{CallFailure, Chain, TxError},
    filters::FilterError,
    shared::Shared,
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

impl From<FilterError> for RpcError {
    fn from(error: FilterError) -> Self {
        match error {
            FilterError::NotFound => Self::new(codes::SERVER_ERROR, "filter not found"),
            FilterError::TooMany => Self::new(codes::SERVER_ERROR, error.to_string()),
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

/// Every method the node serves, with typed parameters, by namespace.
#[derive(Clone, Debug, PartialEq)]
pub enum Request {
    /// `eth_*`, `net_*`, `web3_*`.
    Eth(eth::EthRequest),
    /// `anvil_*`, `evm_*`, `hardhat_*`.
    Anvil(anvil::AnvilRequest),
    /// `txpool_*`.
    Txpool(txpool::TxpoolRequest),
    /// `debug_*` and the calls that trace execution.
    Debug(debug::DebugRequest),
    /// `dml_*`.
    Dml(dml::DmlRequest),
    /// `eth_subscribe` (WebSocket only).
    Subscribe(SubscriptionKind),
    /// `eth_unsubscribe` (WebSocket only).
    Unsubscribe(String),
}

impl Request {
    /// Parses a method name and its params.
    pub fn parse(method: &str, params: Option<&Value>) -> Result<Self, RpcError> {
        let p = Params::new(params)?;
        match method {
            "eth_subscribe" => {
                p.at_most(2)?;
                let kind: String = p.required(0, "subscription kind")?;
                return match kind.as_str() {
                    "newHeads" => Ok(Self::Subscribe(SubscriptionKind::NewHeads)),
                    "logs" => Ok(Self::Subscribe(SubscriptionKind::Logs(p.optional(1, "filter")?.unwrap_or_default()))),
                    other => Err(RpcError::invalid_params(format!("unsupported subscription kind {other:?}"))),
                };
            }
            "eth_unsubscribe" => {
                p.at_most(1)?;
                return Ok(Self::Unsubscribe(p.required(0, "subscription id")?));
            }
            _ => {}
        }
        let parsed = if let Some(request) = debug::DebugRequest::parse(method, &p)? {
            Self::Debug(request)
        } else if let Some(request) = eth::EthRequest::parse(method, &p)? {
            Self::Eth(request)
        } else if let Some(request) = anvil::AnvilRequest::parse(method, &p)? {
            Self::Anvil(request)
        } else if let Some(request) = txpool::TxpoolRequest::parse(method, &p)? {
            Self::Txpool(request)
        } else if let Some(request) = dml::DmlRequest::parse(method, &p)? {
            Self::Dml(request)
        } else {
            return Err(RpcError::new(
                codes::METHOD_NOT_FOUND,
                format!("the method {method} does not exist/is not available"),
            ));
        };
        Ok(parsed)
    }
}

/// Serves one request (everything but subscriptions, which the WebSocket
/// session handles). Runs on a blocking thread: it takes the chain lock.
pub fn dispatch(shared: &Shared, request: Request) -> Result<Value, RpcError> {
    match request {
        Request::Eth(request) => eth::serve(shared, request),
        Request::Anvil(request) => anvil::serve(shared, request),
        Request::Txpool(request) => txpool::serve(shared, request),
        Request::Debug(request) => debug::serve(shared, request),
        Request::Dml(request) => dml::serve(shared, request),
        Request::Subscribe(_) | Request::Unsubscribe(_) => {
            Err(RpcError::new(codes::METHOD_NOT_FOUND, "subscriptions need a WebSocket connection"))
        }
    }
}

/// A quantity as a `0x` hex string.
pub fn quantity(value: impl Into<u128>) -> Value {
    Value::String(format!("{:#x}", value.into()))
}

/// Resolves a block id to a block number (`None`: no such block).
pub fn resolve(chain: &Chain, block: &BlockId) -> Option<u64> {
    match block {
        BlockId::Hash(hash) => chain.block_by_hash(&hash.block_hash).map(|b| b.header.number),
        BlockId::Number(tag) => resolve_tag(chain, tag),
    }
}

/// Resolves a block number or tag (`None`: past the head).
pub fn resolve_tag(chain: &Chain, tag: &BlockNumberOrTag) -> Option<u64> {
    let head = chain.head_number();
    match tag {
        BlockNumberOrTag::Number(number) => (*number <= head).then_some(*number),
        BlockNumberOrTag::Earliest => Some(0),
        _ => Some(head),
    }
}

/// Resolves a block id or answers "header not found".
pub fn require_block(chain: &Chain, block: &BlockId) -> Result<u64, RpcError> {
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
