//! The `eth_`, `net_` and `web3_` namespaces: chain reads, calls, sending
//! signed and unsigned transactions, signing with the dev accounts, and poll
//! filters.

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_rpc_types_eth::{BlockId, BlockNumberOrTag, Filter, FilterBlockOption, TransactionRequest};
use serde_json::{json, Value};

use super::{codes, convert, matching_logs, quantity, require_block, resolve, resolve_tag, Params, RpcError};
use crate::{
    chain::{decode_signed, Chain, SUGGESTED_PRIORITY_FEE},
    filters::{FilterKind, FilterPoll},
    shared::Shared,
    unlocked,
};

/// The methods of the `eth_`, `net_` and `web3_` namespaces.
#[derive(Clone, Debug, PartialEq)]
pub enum EthRequest {
    /// `eth_chainId`.
    ChainId,
    /// `net_version`.
    NetVersion,
    /// `net_listening`.
    NetListening,
    /// `net_peerCount`.
    NetPeerCount,
    /// `web3_clientVersion`.
    ClientVersion,
    /// `web3_sha3`.
    Sha3(Bytes),
    /// `eth_syncing`.
    Syncing,
    /// `eth_mining`.
    Mining,
    /// `eth_hashrate`.
    Hashrate,
    /// `eth_coinbase`.
    Coinbase,
    /// `eth_accounts`: the dev accounts.
    Accounts,
    /// `eth_blockNumber`.
    BlockNumber,
    /// `eth_getBlockByNumber`.
    BlockByNumber(BlockNumberOrTag, bool),
    /// `eth_getBlockByHash`.
    BlockByHash(B256, bool),
    /// `eth_getBlockReceipts`.
    BlockReceipts(BlockId),
    /// `eth_getBlockTransactionCountByNumber` / `…ByHash`.
    BlockTransactionCount(BlockId),
    /// `eth_getUncleCountByBlockNumber` / `…ByBlockHash`.
    UncleCount(BlockId),
    /// `eth_getUncleByBlockNumberAndIndex` / `…ByBlockHashAndIndex`.
    UncleByIndex(BlockId, u64),
    /// `eth_getTransactionByBlockNumberAndIndex` / `…ByBlockHashAndIndex`.
    TransactionByBlockAndIndex(BlockId, u64),
    /// `eth_getBalance`.
    Balance(Address, BlockId),
    /// `eth_getTransactionCount`.
    TransactionCount(Address, BlockId),
    /// `eth_getCode`.
    Code(Address, BlockId),
    /// `eth_getStorageAt`.
    StorageAt(Address, U256, BlockId),
    /// `eth_getProof`: the EIP-1186 proof of an account and some of its slots.
    Proof(Address, Vec<alloy_serde::JsonStorageKey>, BlockId),
    /// `eth_gasPrice`.
    GasPrice,
    /// `eth_maxPriorityFeePerGas`.
    MaxPriorityFeePerGas,
    /// `eth_blobBaseFee`.
    BlobBaseFee,
    /// `eth_feeHistory`.
    FeeHistory(u64, BlockNumberOrTag, Vec<f64>),
    /// `eth_estimateGas`.
    EstimateGas(Box<TransactionRequest>, BlockId),
    /// `eth_call`.
    Call(Box<TransactionRequest>, BlockId),
    /// `eth_sendRawTransaction`.
    SendRawTransaction(Bytes),
    /// `eth_sendTransaction`: signed by a dev account, or unsigned from an impersonated one.
    SendTransaction(Box<TransactionRequest>),
    /// `eth_signTransaction`: signed by a dev account, not sent.
    SignTransaction(Box<TransactionRequest>),
    /// `eth_fillTransaction`: the request with what is missing filled in.
    FillTransaction(Box<TransactionRequest>),
    /// `eth_sign` and `personal_sign`: an EIP-191 signature by a dev account.
    Sign(Address, Bytes),
    /// `eth_signTypedData_v4` (and `eth_signTypedData`): an EIP-712 signature by a dev account.
    SignTypedData(Address, Box<alloy_dyn_abi::TypedData>),
    /// `eth_getTransactionByHash`.
    TransactionByHash(B256),
    /// `eth_getTransactionReceipt`.
    TransactionReceipt(B256),
    /// `eth_pendingTransactions`.
    PendingTransactions,
    /// `eth_getLogs`.
    Logs(Box<Filter>),
    /// `eth_newFilter`.
    NewFilter(Box<Filter>),
    /// `eth_newBlockFilter`.
    NewBlockFilter,
    /// `eth_newPendingTransactionFilter`.
    NewPendingTransactionFilter,
    /// `eth_getFilterChanges`.
    FilterChanges(String),
    /// `eth_getFilterLogs`.
    FilterLogs(String),
    /// `eth_uninstallFilter`.
    UninstallFilter(String),
}

/// A block id given as a number or tag.
fn by_number(p: &Params) -> Result<BlockId, RpcError> {
    Ok(BlockId::Number(p.required(0, "block number")?))
}

/// A block id given as a hash.
fn by_hash(p: &Params) -> Result<BlockId, RpcError> {
    Ok(BlockId::from(p.required::<B256>(0, "block hash")?))
}

/// The typed data of `eth_signTypedData_v4`: a JSON object or a string holding one.
fn typed_data(p: &Params, index: usize) -> Result<Box<alloy_dyn_abi::TypedData>, RpcError> {
    let value = p.raw(index).ok_or_else(|| RpcError::invalid_params("missing typed data"))?;
    let parsed = match value {
        Value::String(text) => serde_json::from_str(text),
        other => serde_json::from_value(other.clone()),
    };
    parsed.map(Box::new).map_err(|error| RpcError::invalid_params(format!("typed data: {error}")))
}

impl EthRequest {
    /// Parses a method of these namespaces; `None` if it is not one.
    pub fn parse(method: &str, p: &Params) -> Result<Option<Self>, RpcError> {
        let latest = BlockId::Number(BlockNumberOrTag::Latest);
        let request = match method {
            "eth_chainId" => Self::ChainId,
            "net_version" => Self::NetVersion,
            "net_listening" => Self::NetListening,
            "net_peerCount" => Self::NetPeerCount,
            "web3_clientVersion" => Self::ClientVersion,
            "web3_sha3" => {
                p.at_most(1)?;
                Self::Sha3(p.required(0, "data")?)
            }
            "eth_syncing" => Self::Syncing,
            "eth_mining" => Self::Mining,
            "eth_hashrate" => Self::Hashrate,
            "eth_coinbase" => Self::Coinbase,
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
            "eth_getBlockReceipts" => {
                p.at_most(1)?;
                Self::BlockReceipts(p.required(0, "block")?)
            }
            "eth_getBlockTransactionCountByNumber" => {
                p.at_most(1)?;
                Self::BlockTransactionCount(by_number(p)?)
            }
            "eth_getBlockTransactionCountByHash" => {
                p.at_most(1)?;
                Self::BlockTransactionCount(by_hash(p)?)
            }
            "eth_getUncleCountByBlockNumber" => {
                p.at_most(1)?;
                Self::UncleCount(by_number(p)?)
            }
            "eth_getUncleCountByBlockHash" => {
                p.at_most(1)?;
                Self::UncleCount(by_hash(p)?)
            }
            "eth_getUncleByBlockNumberAndIndex" => {
                p.at_most(2)?;
                Self::UncleByIndex(by_number(p)?, p.required_quantity(1, "index")?)
            }
            "eth_getUncleByBlockHashAndIndex" => {
                p.at_most(2)?;
                Self::UncleByIndex(by_hash(p)?, p.required_quantity(1, "index")?)
            }
            "eth_getTransactionByBlockNumberAndIndex" => {
                p.at_most(2)?;
                Self::TransactionByBlockAndIndex(by_number(p)?, p.required_quantity(1, "index")?)
            }
            "eth_getTransactionByBlockHashAndIndex" => {
                p.at_most(2)?;
                Self::TransactionByBlockAndIndex(by_hash(p)?, p.required_quantity(1, "index")?)
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
            "eth_getProof" => {
                p.at_most(3)?;
                Self::Proof(
                    p.required(0, "address")?,
                    p.optional(1, "storage keys")?.unwrap_or_default(),
                    p.optional(2, "block")?.unwrap_or(latest),
                )
            }
            "eth_gasPrice" => Self::GasPrice,
            "eth_maxPriorityFeePerGas" => Self::MaxPriorityFeePerGas,
            "eth_blobBaseFee" => Self::BlobBaseFee,
            "eth_feeHistory" => {
                p.at_most(3)?;
                Self::FeeHistory(
                    p.required_quantity(0, "block count")?,
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
            "eth_sendTransaction" => {
                p.at_most(1)?;
                Self::SendTransaction(p.required(0, "transaction")?)
            }
            "eth_signTransaction" => {
                p.at_most(1)?;
                Self::SignTransaction(p.required(0, "transaction")?)
            }
            "eth_fillTransaction" => {
                p.at_most(1)?;
                Self::FillTransaction(p.required(0, "transaction")?)
            }
            "eth_sign" => {
                p.at_most(2)?;
                Self::Sign(p.required(0, "address")?, p.required(1, "message")?)
            }
            "personal_sign" => {
                p.at_most(3)?;
                Self::Sign(p.required(1, "address")?, p.required(0, "message")?)
            }
            "eth_signTypedData_v4" | "eth_signTypedData" => {
                p.at_most(2)?;
                Self::SignTypedData(p.required(0, "address")?, typed_data(p, 1)?)
            }
            "eth_getTransactionByHash" => {
                p.at_most(1)?;
                Self::TransactionByHash(p.required(0, "transaction hash")?)
            }
            "eth_getTransactionReceipt" => {
                p.at_most(1)?;
                Self::TransactionReceipt(p.required(0, "transaction hash")?)
            }
            "eth_pendingTransactions" => Self::PendingTransactions,
            "eth_getLogs" => {
                p.at_most(1)?;
                Self::Logs(p.required(0, "filter")?)
            }
            "eth_newFilter" => {
                p.at_most(1)?;
                Self::NewFilter(p.required(0, "filter")?)
            }
            "eth_newBlockFilter" => Self::NewBlockFilter,
            "eth_newPendingTransactionFilter" => Self::NewPendingTransactionFilter,
            "eth_getFilterChanges" => {
                p.at_most(1)?;
                Self::FilterChanges(p.required(0, "filter id")?)
            }
            "eth_getFilterLogs" => {
                p.at_most(1)?;
                Self::FilterLogs(p.required(0, "filter id")?)
            }
            "eth_uninstallFilter" => {
                p.at_most(1)?;
                Self::UninstallFilter(p.required(0, "filter id")?)
            }
            _ => return Ok(None),
        };
        Ok(Some(request))
    }
}

/// Serves one method of these namespaces.
pub fn serve(shared: &Shared, request: EthRequest) -> Result<Value, RpcError> {
    // The methods that add to the pool or use the filters take the locks their own way.
    match request {
        EthRequest::SendRawTransaction(raw) => {
            let tx = decode_signed(&raw, shared.chain_id)?;
            let (sender, nonce) = (tx.sender, alloy_consensus::Transaction::nonce(&tx.envelope));
            let hash = shared.chain().add_transaction(tx)?;
            shared.transaction_added(hash, sender, nonce);
            return Ok(Value::String(hash.to_string()));
        }
        EthRequest::SendTransaction(request) => {
            let (hash, sender, nonce) = {
                let mut chain = shared.chain();
                let tx = unlocked::build(shared, &chain, *request)?;
                let (sender, nonce) = (tx.sender, alloy_consensus::Transaction::nonce(&tx.envelope));
                (chain.add_transaction(tx)?, sender, nonce)
            };
            shared.transaction_added(hash, sender, nonce);
            return Ok(Value::String(hash.to_string()));
        }
        EthRequest::NewFilter(filter) => {
            let head = shared.chain().head_number();
            return Ok(Value::String(shared.filters().install(FilterKind::Logs(filter), head)?));
        }
        EthRequest::NewBlockFilter => {
            let head = shared.chain().head_number();
            return Ok(Value::String(shared.filters().install(FilterKind::Blocks, head)?));
        }
        EthRequest::NewPendingTransactionFilter => {
            let head = shared.chain().head_number();
            return Ok(Value::String(shared.filters().install(FilterKind::PendingTransactions, head)?));
        }
        EthRequest::UninstallFilter(id) => return Ok(Value::Bool(shared.filters().uninstall(&id))),
        EthRequest::FilterChanges(id) => {
            let chain = shared.chain();
            let poll = shared.filters().poll(&id, chain.head_number())?;
            return filter_changes(&chain, poll);
        }
        EthRequest::FilterLogs(id) => {
            let filter = shared.filters().log_filter(&id)?;
            let filter = filter.ok_or_else(|| RpcError::new(codes::SERVER_ERROR, "filter not found"))?;
            return Ok(json!(matching_logs(&shared.chain(), &filter)?));
        }
        EthRequest::Mining => return Ok(Value::Bool(shared.mining().automine || shared.mining().interval.is_some())),
        _ => {}
    }
    let chain = shared.chain();
    let value = match request {
        EthRequest::ChainId => quantity(chain.chain_id()),
        EthRequest::NetVersion => Value::String(chain.chain_id().to_string()),
        EthRequest::NetListening => Value::Bool(true),
        EthRequest::NetPeerCount => quantity(0u64),
        EthRequest::ClientVersion => Value::String(format!("dml-chain/v{}", env!("CARGO_PKG_VERSION"))),
        EthRequest::Sha3(data) => json!(alloy_primitives::keccak256(&data)),
        EthRequest::Syncing => Value::Bool(false),
        EthRequest::Hashrate => quantity(0u64),
        EthRequest::Coinbase => json!(Address::ZERO),
        EthRequest::Accounts => json!(chain.dev_signers().iter().map(|s| s.address()).collect::<Vec<_>>()),
        EthRequest::BlockNumber => quantity(chain.head_number()),
        EthRequest::BlockByNumber(BlockNumberOrTag::Pending, full) => convert::pending_block(&chain, full),
        EthRequest::BlockTransactionCount(BlockId::Number(BlockNumberOrTag::Pending)) => {
            quantity(chain.executable_transactions().len() as u64)
        }
        EthRequest::BlockByNumber(tag, full) => match resolve_tag(&chain, &tag).and_then(|n| chain.block(n)) {
            Some(block) => convert::block(block, full),
            None => Value::Null,
        },
        EthRequest::BlockByHash(hash, full) => match chain.block_by_hash(&hash) {
            Some(block) => convert::block(block, full),
            None => Value::Null,
        },
        EthRequest::BlockReceipts(block) => match resolve(&chain, &block).and_then(|n| chain.block(n)) {
            Some(block) => Value::Array((0..block.transactions.len()).map(|i| convert::receipt(block, i)).collect()),
            None => Value::Null,
        },
        EthRequest::BlockTransactionCount(block) => match resolve(&chain, &block).and_then(|n| chain.block(n)) {
            Some(block) => quantity(block.transactions.len() as u64),
            None => Value::Null,
        },
        EthRequest::UncleCount(block) => match resolve(&chain, &block) {
            Some(_) => quantity(0u64),
            None => Value::Null,
        },
        EthRequest::UncleByIndex(..) => Value::Null,
        EthRequest::TransactionByBlockAndIndex(block, index) => {
            match resolve(&chain, &block).and_then(|n| chain.block(n)) {
                Some(block) if (index as usize) < block.transactions.len() => {
                    json!(convert::transaction(block, index as usize))
                }
                _ => Value::Null,
            }
        }
        EthRequest::Balance(address, block) => {
            let number = require_block(&chain, &block)?;
            let balance = chain.with_view(number, |view| view.record(&address).map(|r| r.balance)).flatten();
            json!(balance.unwrap_or_default())
        }
        EthRequest::TransactionCount(address, block) => {
            if block == BlockId::Number(BlockNumberOrTag::Pending) {
                quantity(chain.pending_nonce(&address))
            } else {
                let number = require_block(&chain, &block)?;
                let nonce = chain.with_view(number, |view| view.record(&address).map(|r| r.nonce)).flatten();
                quantity(nonce.unwrap_or_default())
            }
        }
        EthRequest::Code(address, block) => {
            let number = require_block(&chain, &block)?;
            json!(chain.with_view(number, |view| view.code_at(&address)).unwrap_or_default())
        }
        EthRequest::StorageAt(address, slot, block) => {
            let number = require_block(&chain, &block)?;
            let value = chain.with_view(number, |view| view.slot(&address, &slot)).unwrap_or_default();
            json!(B256::from(value))
        }
        EthRequest::Proof(address, keys, block) => {
            use crate::chain::proof::ProofError;
            let number = require_block(&chain, &block)?;
            let proof = chain.account_proof(address, &keys, number).map_err(|error| match error {
                ProofError::UnknownBlock => RpcError::new(codes::RESOURCE_NOT_FOUND, error.to_string()),
                ProofError::TooManyKeys(_) => RpcError::invalid_params(error),
                ProofError::RootMismatch { .. } => RpcError::new(codes::SERVER_ERROR, error.to_string()),
            })?;
            json!(proof)
        }
        EthRequest::GasPrice => quantity(u128::from(chain.next_base_fee()) + SUGGESTED_PRIORITY_FEE),
        EthRequest::MaxPriorityFeePerGas => quantity(SUGGESTED_PRIORITY_FEE),
        // No blob gas is ever used, so the blob base fee stays at its minimum.
        EthRequest::BlobBaseFee => quantity(1u64),
        EthRequest::FeeHistory(count, newest, percentiles) => fee_history(&chain, count, &newest, &percentiles)?,
        EthRequest::EstimateGas(request, block) => {
            let number = require_block(&chain, &block)?;
            quantity(chain.estimate_gas(&request, number)?)
        }
        EthRequest::Call(request, block) => {
            let number = require_block(&chain, &block)?;
            json!(chain.call(&request, number)?.output)
        }
        EthRequest::SignTransaction(request) => {
            let signer = unlocked::dev_signer(&chain, request.from)?;
            json!(unlocked::sign_transaction(&chain, &signer, *request)?)
        }
        EthRequest::FillTransaction(request) => unlocked::fill_transaction(&chain, *request)?,
        EthRequest::Sign(address, message) => {
            let signer = unlocked::dev_signer(&chain, Some(address))?;
            json!(unlocked::sign_message(&signer, &message)?)
        }
        EthRequest::SignTypedData(address, data) => {
            let signer = unlocked::dev_signer(&chain, Some(address))?;
            json!(unlocked::sign_typed_data(&signer, &data)?)
        }
        EthRequest::TransactionByHash(hash) => match chain.tx_location(&hash) {
            Some((number, index)) => {
                json!(convert::transaction(chain.block(number).expect("indexed block"), index))
            }
            None => match chain.pooled_tx(&hash) {
                Some(tx) => json!(convert::pending_transaction(tx)),
                None => Value::Null,
            },
        },
        EthRequest::TransactionReceipt(hash) => match chain.tx_location(&hash) {
            Some((number, index)) => convert::receipt(chain.block(number).expect("indexed block"), index),
            None => Value::Null,
        },
        EthRequest::PendingTransactions => Value::Array(
            chain.pool_contents().into_iter().map(|(_, tx)| json!(convert::pending_transaction(tx))).collect(),
        ),
        EthRequest::Logs(filter) => json!(matching_logs(&chain, &filter)?),
        EthRequest::SendRawTransaction(_)
        | EthRequest::SendTransaction(_)
        | EthRequest::NewFilter(_)
        | EthRequest::NewBlockFilter
        | EthRequest::NewPendingTransactionFilter
        | EthRequest::UninstallFilter(_)
        | EthRequest::FilterChanges(_)
        | EthRequest::FilterLogs(_)
        | EthRequest::Mining => unreachable!("served above"),
    };
    Ok(value)
}

/// What a filter poll found, as `eth_getFilterChanges` answers it.
fn filter_changes(chain: &Chain, poll: FilterPoll) -> Result<Value, RpcError> {
    Ok(match poll {
        FilterPoll::Blocks { from, to } => {
            Value::Array((from..=to).filter_map(|n| chain.block(n)).map(|block| json!(block.hash)).collect())
        }
        FilterPoll::Transactions(hashes) => json!(hashes),
        FilterPoll::Logs { filter, from, to } => {
            // The new blocks, narrowed to the filter's own range.
            let narrowed = match filter.block_option {
                FilterBlockOption::Range { from_block, to_block } => {
                    let start = from_block.and_then(|tag| tag.as_number()).unwrap_or(0).max(from);
                    let end = to_block.and_then(|tag| tag.as_number()).unwrap_or(u64::MAX).min(to);
                    (start <= end).then(|| (*filter).clone().from_block(start).to_block(end))
                }
                // One block: reported by the first poll that sees it.
                FilterBlockOption::AtBlockHash(hash) => chain
                    .block_by_hash(&hash)
                    .is_some_and(|block| (from..=to).contains(&block.header.number))
                    .then(|| (*filter).clone()),
            };
            match narrowed {
                Some(narrowed) => json!(matching_logs(chain, &narrowed)?),
                None => Value::Array(Vec::new()),
            }
        }
    })
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
