//! The `debug_` namespace and the calls that trace execution:
//! `debug_traceTransaction`, `debug_traceCall`, `debug_traceBlockByNumber`,
//! `debug_traceBlockByHash`, parity's `trace_transaction`, and
//! `eth_createAccessList` (an inspected call).
//!
//! Shapes are geth's (alloy's `GethTrace`, which anvil serves too). Errors
//! follow anvil: an unknown transaction is `-32001 transaction not found`
//! (anvil's `TransactionNotFound`; anvil's own `debug_traceTransaction`
//! answers an empty struct log instead, which hides the mistake), an unknown
//! block `-32001 header not found`, an unknown tracer or a bad
//! `tracerConfig` `-32602`, and a call that cannot start `-32000`.

use alloy_primitives::B256;
use alloy_rpc_types_eth::{state::StateOverride, BlockId, BlockNumberOrTag, TransactionRequest};
use alloy_rpc_types_trace::geth::{GethDebugTracingCallOptions, GethDebugTracingOptions};
use serde_json::{json, Value};

use super::{codes, require_block, Params, RpcError};
use crate::{
    chain::trace::{check_options, TraceError},
    shared::Shared,
};

/// The methods of the `debug_` namespace (and the other inspected calls).
#[derive(Clone, Debug, PartialEq)]
pub enum DebugRequest {
    /// `debug_traceTransaction`.
    TraceTransaction(B256, Box<GethDebugTracingOptions>),
    /// `debug_traceCall`.
    TraceCall(Box<TransactionRequest>, BlockId, Box<GethDebugTracingCallOptions>),
    /// `debug_traceBlockByNumber` and `debug_traceBlockByHash`.
    TraceBlock(BlockId, Box<GethDebugTracingOptions>),
    /// `trace_transaction` (parity-style call traces).
    ParityTraceTransaction(B256),
    /// `eth_createAccessList`.
    CreateAccessList(Box<TransactionRequest>, BlockId, Option<Box<StateOverride>>),
}

impl From<TraceError> for RpcError {
    fn from(error: TraceError) -> Self {
        match &error {
            TraceError::TransactionNotFound | TraceError::UnknownBlock => {
                Self::new(codes::RESOURCE_NOT_FOUND, error.to_string())
            }
            TraceError::InvalidParams(message) => Self::invalid_params(message),
            TraceError::Invalid(_) => Self::new(codes::SERVER_ERROR, error.to_string()),
            TraceError::Replay(_) => Self::new(codes::INTERNAL_ERROR, error.to_string()),
        }
    }
}

/// Tracing options at `index` (absent: the struct logger), checked.
fn tracing_options(p: &Params, index: usize) -> Result<Box<GethDebugTracingOptions>, RpcError> {
    let options: GethDebugTracingOptions = p.optional(index, "tracing options")?.unwrap_or_default();
    check_options(&options)?;
    Ok(Box::new(options))
}

impl DebugRequest {
    /// Parses a method of this namespace; `None` if it is not one.
    pub fn parse(method: &str, p: &Params) -> Result<Option<Self>, RpcError> {
        let latest = BlockId::Number(BlockNumberOrTag::Latest);
        let request = match method {
            "debug_traceTransaction" => {
                p.at_most(2)?;
                Self::TraceTransaction(p.required(0, "transaction hash")?, tracing_options(p, 1)?)
            }
            "debug_traceCall" => {
                p.at_most(3)?;
                let options: GethDebugTracingCallOptions = p.optional(2, "tracing options")?.unwrap_or_default();
                check_options(&options.tracing_options)?;
                Self::TraceCall(
                    p.required(0, "transaction")?,
                    p.optional(1, "block")?.unwrap_or(latest),
                    Box::new(options),
                )
            }
            "debug_traceBlockByNumber" => {
                p.at_most(2)?;
                let number: BlockNumberOrTag = p.required(0, "block number")?;
                Self::TraceBlock(BlockId::Number(number), tracing_options(p, 1)?)
            }
            "debug_traceBlockByHash" => {
                p.at_most(2)?;
                Self::TraceBlock(BlockId::from(p.required::<B256>(0, "block hash")?), tracing_options(p, 1)?)
            }
            "trace_transaction" => {
                p.at_most(1)?;
                Self::ParityTraceTransaction(p.required(0, "transaction hash")?)
            }
            "eth_createAccessList" => {
                p.at_most(3)?;
                Self::CreateAccessList(
                    p.required(0, "transaction")?,
                    p.optional(1, "block")?.unwrap_or(latest),
                    p.optional(2, "state overrides")?,
                )
            }
            _ => return Ok(None),
        };
        Ok(Some(request))
    }
}

/// Serves one `debug_` method.
pub fn serve(shared: &Shared, request: DebugRequest) -> Result<Value, RpcError> {
    let chain = shared.chain();
    let value = match request {
        DebugRequest::TraceTransaction(hash, options) => json!(chain.trace_transaction(&hash, &options)?),
        DebugRequest::TraceCall(call, block, options) => {
            let number = require_block(&chain, &block)?;
            json!(chain.trace_call(&call, number, &options)?)
        }
        DebugRequest::TraceBlock(block, options) => {
            let number = require_block(&chain, &block)?;
            json!(chain.trace_block(number, &options)?)
        }
        DebugRequest::ParityTraceTransaction(hash) => {
            // anvil answers an unknown hash with an empty list.
            json!(chain.parity_trace_transaction(&hash)?.unwrap_or_default())
        }
        DebugRequest::CreateAccessList(call, block, overrides) => {
            let number = require_block(&chain, &block)?;
            json!(chain.create_access_list(&call, number, overrides.as_deref())?)
        }
    };
    Ok(value)
}
