//! The dev controls: `anvil_*`, their `hardhat_*` names where hardhat has
//! one, and `evm_*` (time, mining mode, snapshots).

use std::{io::Read, time::Duration};

use alloy_primitives::{Address, Bytes, B256, U256};
use serde_json::{json, Value};

use super::{codes, params::parse_quantity, quantity, Params, RpcError};
use crate::{chain::StateDump, shared::MiningMode, shared::Shared};

/// Largest state dump `anvil_loadState` reads once decompressed.
pub const MAX_STATE_DUMP_BYTES: u64 = 512 * 1024 * 1024;

/// Whose answer shapes a method follows where anvil and hardhat differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// `anvil_*` / `evm_*`.
    Anvil,
    /// `hardhat_*`.
    Hardhat,
}

/// The methods of the dev-control namespaces.
#[derive(Clone, Debug, PartialEq)]
pub enum AnvilRequest {
    /// `anvil_impersonateAccount` / `hardhat_impersonateAccount`.
    Impersonate(Address),
    /// `anvil_stopImpersonatingAccount` / `hardhat_stopImpersonatingAccount`.
    StopImpersonating(Address),
    /// `anvil_autoImpersonateAccount`.
    AutoImpersonate(bool),
    /// `anvil_setBalance` / `hardhat_setBalance`.
    SetBalance(Address, U256),
    /// `anvil_setCode` / `hardhat_setCode`.
    SetCode(Address, Bytes),
    /// `anvil_setNonce` / `hardhat_setNonce`.
    SetNonce(Address, u64),
    /// `anvil_setStorageAt` / `hardhat_setStorageAt`.
    SetStorageAt(Address, U256, U256),
    /// `anvil_mine` / `hardhat_mine`: blocks, seconds between them.
    MineBlocks(u64, Option<u64>),
    /// `evm_mine`: one block (or `blocks`), optionally at a timestamp.
    Mine(Option<u64>, u64),
    /// `evm_setAutomine`.
    SetAutomine(bool),
    /// `anvil_getAutomine` / `hardhat_getAutomine`.
    GetAutomine,
    /// `evm_setIntervalMining` / `anvil_setIntervalMining`: seconds, 0 to stop.
    SetIntervalMining(u64),
    /// `anvil_getIntervalMining`.
    GetIntervalMining,
    /// `anvil_dropTransaction` / `hardhat_dropTransaction`.
    DropTransaction(B256, Flavor),
    /// `anvil_dropAllTransactions`.
    DropAllTransactions,
    /// `anvil_dumpState`.
    DumpState,
    /// `anvil_loadState`.
    LoadState(Bytes),
    /// `anvil_reset` / `hardhat_reset` (forking is refused).
    Reset,
    /// `anvil_nodeInfo`.
    NodeInfo,
    /// `anvil_metadata` / `hardhat_metadata`.
    Metadata,
    /// `anvil_setLoggingEnabled` (logging goes through `RUST_LOG`; accepted and ignored).
    SetLoggingEnabled(bool),
    /// `evm_increaseTime` / `anvil_increaseTime`.
    IncreaseTime(i64),
    /// `evm_setNextBlockTimestamp` / `anvil_setNextBlockTimestamp`.
    SetNextBlockTimestamp(u64),
    /// `evm_snapshot` / `anvil_snapshot`.
    Snapshot,
    /// `evm_revert` / `anvil_revert`.
    Revert(u64),
}

/// The slot or value of `anvil_setStorageAt`: a quantity or a 32-byte word.
fn word(p: &Params, index: usize, name: &str) -> Result<U256, RpcError> {
    let value = p.raw(index).ok_or_else(|| RpcError::invalid_params(format!("missing {name}")))?;
    if let Value::String(text) = value {
        let hex = text.strip_prefix("0x").unwrap_or(text);
        if hex.len() > 64 {
            return Err(RpcError::invalid_params(format!("{name}: more than 32 bytes")));
        }
        return U256::from_str_radix(if hex.is_empty() { "0" } else { hex }, 16)
            .map_err(|_| RpcError::invalid_params(format!("{name}: not hex: {text}")));
    }
    parse_quantity(value, name).map(U256::from)
}

impl AnvilRequest {
    /// Parses a method of these namespaces; `None` if it is not one.
    pub fn parse(method: &str, p: &Params) -> Result<Option<Self>, RpcError> {
        let request = match method {
            "anvil_impersonateAccount" | "hardhat_impersonateAccount" => {
                p.at_most(1)?;
                Self::Impersonate(p.required(0, "address")?)
            }
            "anvil_stopImpersonatingAccount" | "hardhat_stopImpersonatingAccount" => {
                p.at_most(1)?;
                Self::StopImpersonating(p.required(0, "address")?)
            }
            "anvil_autoImpersonateAccount" => {
                p.at_most(1)?;
                Self::AutoImpersonate(p.required(0, "enabled")?)
            }
            "anvil_setBalance" | "hardhat_setBalance" => {
                p.at_most(2)?;
                Self::SetBalance(p.required(0, "address")?, word(p, 1, "balance")?)
            }
            "anvil_setCode" | "hardhat_setCode" => {
                p.at_most(2)?;
                Self::SetCode(p.required(0, "address")?, p.required(1, "code")?)
            }
            "anvil_setNonce" | "hardhat_setNonce" => {
                p.at_most(2)?;
                Self::SetNonce(p.required(0, "address")?, p.required_quantity(1, "nonce")?)
            }
            "anvil_setStorageAt" | "hardhat_setStorageAt" => {
                p.at_most(3)?;
                Self::SetStorageAt(p.required(0, "address")?, word(p, 1, "slot")?, word(p, 2, "value")?)
            }
            "anvil_mine" | "hardhat_mine" => {
                p.at_most(2)?;
                let blocks = p.optional_quantity(0, "blocks")?.unwrap_or(1);
                if blocks == 0 {
                    return Err(RpcError::invalid_params("blocks must be at least 1"));
                }
                Self::MineBlocks(blocks, p.optional_quantity(1, "interval")?)
            }
            "evm_mine" => {
                p.at_most(1)?;
                match p.raw(0) {
                    // `{ timestamp, blocks }`, as anvil accepts.
                    Some(Value::Object(options)) => {
                        let field = |name: &str| {
                            options.get(name).map(|value| parse_quantity(value, name)).transpose().and_then(|v| {
                                v.map(u64::try_from)
                                    .transpose()
                                    .map_err(|_| RpcError::invalid_params(format!("{name} out of range")))
                            })
                        };
                        Self::Mine(field("timestamp")?, field("blocks")?.unwrap_or(1).max(1))
                    }
                    _ => Self::Mine(p.optional_quantity(0, "timestamp")?, 1),
                }
            }
            "evm_setAutomine" | "anvil_setAutomine" => {
                p.at_most(1)?;
                Self::SetAutomine(p.required(0, "enabled")?)
            }
            "anvil_getAutomine" | "hardhat_getAutomine" => Self::GetAutomine,
            "evm_setIntervalMining" | "anvil_setIntervalMining" => {
                p.at_most(1)?;
                Self::SetIntervalMining(p.required_quantity(0, "interval")?)
            }
            "anvil_getIntervalMining" => Self::GetIntervalMining,
            "anvil_dropTransaction" => {
                p.at_most(1)?;
                Self::DropTransaction(p.required(0, "transaction hash")?, Flavor::Anvil)
            }
            "hardhat_dropTransaction" => {
                p.at_most(1)?;
                Self::DropTransaction(p.required(0, "transaction hash")?, Flavor::Hardhat)
            }
            "anvil_dropAllTransactions" => Self::DropAllTransactions,
            "anvil_dumpState" | "hardhat_dumpState" => Self::DumpState,
            "anvil_loadState" | "hardhat_loadState" => {
                p.at_most(1)?;
                Self::LoadState(p.required(0, "state")?)
            }
            "anvil_reset" | "hardhat_reset" => {
                p.at_most(1)?;
                let forking = p.raw(0).and_then(|options| options.get("forking")).is_some_and(|f| !f.is_null());
                if forking {
                    return Err(RpcError::invalid_params("forking is not supported: the dev chain has no upstream"));
                }
                Self::Reset
            }
            "anvil_nodeInfo" => Self::NodeInfo,
            "anvil_metadata" | "hardhat_metadata" => Self::Metadata,
            "anvil_setLoggingEnabled" | "hardhat_setLoggingEnabled" => {
                p.at_most(1)?;
                Self::SetLoggingEnabled(p.required(0, "enabled")?)
            }
            "evm_increaseTime" | "anvil_increaseTime" => {
                p.at_most(1)?;
                let seconds =
                    p.signed_quantity(0, "seconds")?.ok_or_else(|| RpcError::invalid_params("missing seconds"))?;
                Self::IncreaseTime(
                    i64::try_from(seconds).map_err(|_| RpcError::invalid_params("seconds out of range"))?,
                )
            }
            "evm_setNextBlockTimestamp" | "anvil_setNextBlockTimestamp" => {
                p.at_most(1)?;
                Self::SetNextBlockTimestamp(p.required_quantity(0, "timestamp")?)
            }
            "evm_snapshot" | "anvil_snapshot" => Self::Snapshot,
            "evm_revert" | "anvil_revert" => {
                p.at_most(1)?;
                Self::Revert(p.required_quantity(0, "snapshot id")?)
            }
            _ => return Ok(None),
        };
        Ok(Some(request))
    }
}

/// Serves one dev-control method.
pub fn serve(shared: &Shared, request: AnvilRequest) -> Result<Value, RpcError> {
    let value = match request {
        AnvilRequest::Impersonate(address) => {
            shared.impersonate(address, true);
            Value::Null
        }
        AnvilRequest::StopImpersonating(address) => {
            shared.impersonate(address, false);
            Value::Null
        }
        AnvilRequest::AutoImpersonate(on) => {
            shared.impersonate_everyone(on);
            Value::Null
        }
        AnvilRequest::SetBalance(address, balance) => {
            shared.chain().set_balance(address, balance)?;
            Value::Null
        }
        AnvilRequest::SetCode(address, code) => {
            shared.chain().set_code(address, code)?;
            Value::Null
        }
        AnvilRequest::SetNonce(address, nonce) => {
            shared.chain().set_nonce(address, nonce)?;
            Value::Null
        }
        AnvilRequest::SetStorageAt(address, slot, value) => {
            shared.chain().set_storage_at(address, slot, value)?;
            Value::Bool(true)
        }
        AnvilRequest::MineBlocks(blocks, interval) => {
            shared.mine_blocks(blocks, None, interval)?;
            Value::Null
        }
        AnvilRequest::Mine(timestamp, blocks) => {
            if let Some(timestamp) = timestamp {
                check_timestamp(shared, timestamp)?;
            }
            shared.mine_blocks(blocks, timestamp, None)?;
            Value::String("0x0".into())
        }
        AnvilRequest::SetAutomine(automine) => {
            shared.set_mining(MiningMode { automine, ..shared.mining() });
            Value::Null
        }
        AnvilRequest::GetAutomine => Value::Bool(shared.mining().automine),
        AnvilRequest::SetIntervalMining(seconds) => {
            let interval = (seconds > 0).then(|| Duration::from_secs(seconds));
            // As anvil: interval mining replaces automine, and 0 brings automine back.
            shared.set_mining(MiningMode { automine: interval.is_none(), interval });
            Value::Null
        }
        AnvilRequest::GetIntervalMining => json!(shared.mining().interval.map(|i| i.as_secs())),
        AnvilRequest::DropTransaction(hash, flavor) => {
            let dropped = shared.chain().drop_transaction(&hash);
            match flavor {
                Flavor::Anvil => json!(dropped),
                Flavor::Hardhat => Value::Bool(dropped.is_some()),
            }
        }
        AnvilRequest::DropAllTransactions => {
            shared.chain().drop_all_transactions();
            Value::Null
        }
        AnvilRequest::DumpState => json!(dump_state(&shared.chain().dump_state())?),
        AnvilRequest::LoadState(bytes) => {
            let dump = read_state_dump(&bytes)?;
            shared.chain().load_state(&dump)?;
            Value::Bool(true)
        }
        AnvilRequest::Reset => {
            shared.chain().reset()?;
            shared.clear_sessions();
            Value::Null
        }
        AnvilRequest::NodeInfo => node_info(shared),
        AnvilRequest::Metadata => {
            let chain = shared.chain();
            json!({
                "clientVersion": format!("dml-chain/v{}", env!("CARGO_PKG_VERSION")),
                "chainId": chain.chain_id(),
                "instanceId": chain.block(0).map(|b| b.hash),
                "latestBlockNumber": chain.head_number(),
                "latestBlockHash": chain.head().hash,
                "forkedNetwork": Value::Null,
                "snapshots": Value::Object(Default::default()),
            })
        }
        AnvilRequest::SetLoggingEnabled(_) => Value::Null,
        AnvilRequest::IncreaseTime(seconds) => {
            quantity(u64::try_from(shared.chain().increase_time(seconds)?).unwrap_or_default())
        }
        AnvilRequest::SetNextBlockTimestamp(timestamp) => {
            shared
                .chain()
                .set_next_timestamp(timestamp)
                .map_err(|message| RpcError::new(codes::SERVER_ERROR, message))?;
            Value::Null
        }
        AnvilRequest::Snapshot => quantity(shared.chain().snapshot()),
        AnvilRequest::Revert(id) => {
            let mut chain = shared.chain();
            let reverted = chain.revert(id)?;
            shared.filters().rewound_to(chain.head_number());
            Value::Bool(reverted)
        }
    };
    Ok(value)
}

fn check_timestamp(shared: &Shared, timestamp: u64) -> Result<(), RpcError> {
    let parent = shared.chain().head().header.timestamp;
    if timestamp < parent {
        return Err(RpcError::new(
            codes::SERVER_ERROR,
            format!("timestamp {timestamp} is lower than the previous block's timestamp {parent}"),
        ));
    }
    Ok(())
}

fn node_info(shared: &Shared) -> Value {
    let mode = shared.mining();
    let chain = shared.chain();
    let head = &chain.head().header;
    // anvil's shape: quantities as hex, the timestamp and chain id as numbers.
    json!({
        "currentBlockNumber": quantity(head.number),
        "currentBlockTimestamp": head.timestamp,
        "currentBlockHash": chain.head().hash,
        "hardFork": format!("{:?}", crate::chain::SPEC),
        "transactionOrder": "fifo",
        "environment": {
            "baseFee": quantity(chain.next_base_fee()),
            "chainId": chain.chain_id(),
            "gasLimit": quantity(head.gas_limit),
            "gasPrice": quantity(u128::from(chain.next_base_fee()) + crate::chain::SUGGESTED_PRIORITY_FEE),
        },
        "forkConfig": { "forkUrl": Value::Null, "forkBlockNumber": Value::Null, "forkRetryBackoff": Value::Null },
        "network": "dml dev chain",
        "mining": { "automine": mode.automine, "intervalSeconds": mode.interval.map(|i| i.as_secs()) },
    })
}

/// A dump as anvil writes one: gzip-compressed JSON.
fn dump_state(dump: &StateDump) -> Result<Bytes, RpcError> {
    use std::io::Write;
    let json = serde_json::to_vec(dump).map_err(|error| RpcError::new(codes::INTERNAL_ERROR, error.to_string()))?;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder
        .write_all(&json)
        .and_then(|()| encoder.finish())
        .map(Bytes::from)
        .map_err(|error| RpcError::new(codes::INTERNAL_ERROR, format!("compressing the dump: {error}")))
}

/// Reads a dump: gzip-compressed JSON (anvil's and ours) or plain JSON.
pub fn read_state_dump(bytes: &[u8]) -> Result<StateDump, RpcError> {
    // anvil's words first ("Failed to decode state dump"), then why.
    let invalid = |why: String| RpcError::new(codes::INVALID_PARAMS, format!("Failed to decode state dump: {why}"));
    let json = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut json = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .take(MAX_STATE_DUMP_BYTES + 1)
            .read_to_end(&mut json)
            .map_err(|error| invalid(format!("bad gzip data: {error}")))?;
        if json.len() as u64 > MAX_STATE_DUMP_BYTES {
            return Err(invalid(format!("larger than {MAX_STATE_DUMP_BYTES} bytes decompressed")));
        }
        json
    } else {
        bytes.to_vec()
    };
    serde_json::from_slice(&json).map_err(|error| invalid(error.to_string()))
}
