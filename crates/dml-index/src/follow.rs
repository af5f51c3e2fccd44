//! Following the chain: fetch headers and logs in batches, detect re-orgs by
//! the parent-hash chain, roll back and retry, and back off while the node
//! is down or answers errors.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use alloy_network::Ethereum;
use alloy_primitives::{Address, B256};
use alloy_provider::{Provider, RootProvider};
use alloy_rpc_types_eth::{BlockNumberOrTag, Filter};
use futures_util::{stream, StreamExt, TryStreamExt};
use serde::Serialize;

use crate::{
    events::{decode, Source},
    store::{BlockRow, EventRow, Store, StoreError},
};

/// What the follower needs.
#[derive(Debug, Clone)]
pub struct FollowConfig {
    /// The chain's JSON-RPC URL.
    pub rpc_url: String,
    /// The engine's address.
    pub engine: Address,
    /// The DML token's address.
    pub token: Address,
    /// The governor's address, if the chain has one.
    pub governor: Option<Address>,
    /// Deepest re-org handled: past it the indexer stops and reports.
    pub reorg_depth: u64,
    /// Most blocks fetched and stored in one transaction.
    pub batch_blocks: u64,
    /// Time between polls once caught up.
    pub poll_interval: Duration,
    /// Longest wait between retries after an RPC error.
    pub max_backoff: Duration,
}

/// Errors while following.
#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    /// The node failed or answered an error; retried with backoff.
    #[error("rpc: {0}")]
    Rpc(String),
    /// The node's answers contradict each other mid-batch (a re-org while
    /// fetching); retried at once.
    #[error("chain moved while fetching: {0}")]
    Moved(String),
    /// A re-org deeper than the configured depth.
    #[error("re-org deeper than {depth} blocks below {at}: re-index from scratch or raise --reorg-depth")]
    TooDeep {
        /// Configured depth.
        depth: u64,
        /// Height it was seen at.
        at: u64,
    },
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The follower's state, as the health endpoint reports it.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// The chain's head at the last successful poll.
    pub chain_head: Option<u64>,
    /// Highest block indexed.
    pub indexed_block: Option<u64>,
    /// Errors in a row since the last success.
    pub consecutive_errors: u64,
    /// Errors since start.
    pub errors_total: u64,
    /// The last error, in words.
    pub last_error: Option<String>,
    /// Re-orgs handled since start.
    pub reorgs: u64,
    /// Blocks rolled back by them.
    pub blocks_rolled_back: u64,
    /// Set when the follower stopped for good (a re-org too deep, a broken database).
    pub stopped: Option<String>,
}

/// Shared handle on the follower's health.
pub type SharedHealth = Arc<Mutex<Health>>;

fn rpc<E: std::fmt::Display>(error: E) -> FollowError {
    FollowError::Rpc(error.to_string())
}

/// Follows the chain into `store` forever (until the task is dropped).
pub struct Follower {
    config: FollowConfig,
    provider: RootProvider<Ethereum>,
    store: Arc<Mutex<Store>>,
    health: SharedHealth,
}

impl Follower {
    /// A follower over `store`.
    pub fn new(config: FollowConfig, store: Arc<Mutex<Store>>, health: SharedHealth) -> Result<Follower, FollowError> {
        let url = config.rpc_url.parse().map_err(|e| FollowError::Rpc(format!("rpc url `{}`: {e}", config.rpc_url)))?;
        let provider = RootProvider::<Ethereum>::new_http(url);
        Ok(Follower { config, provider, store, health })
    }

    /// Polls and indexes until an unrecoverable error.
    pub async fn run(self) -> FollowError {
        let mut backoff = Duration::from_millis(250);
        loop {
            match self.step().await {
                Ok(caught_up) => {
                    backoff = Duration::from_millis(250);
                    self.health.lock().unwrap().consecutive_errors = 0;
                    if caught_up {
                        tokio::time::sleep(self.config.poll_interval).await;
                    }
                }
                Err(error @ (FollowError::TooDeep { .. } | FollowError::Store(_))) => {
                    tracing::error!(%error, "indexer stopped");
                    self.health.lock().unwrap().stopped = Some(error.to_string());
                    return error;
                }
                Err(error) => {
                    let moved = matches!(error, FollowError::Moved(_));
                    {
                        let mut health = self.health.lock().unwrap();
                        health.consecutive_errors += 1;
                        health.errors_total += 1;
                        health.last_error = Some(error.to_string());
                    }
                    if moved {
                        tracing::info!(%error, "retrying");
                        continue;
                    }
                    tracing::warn!(%error, retry_in_ms = backoff.as_millis() as u64, "rpc failed; retrying");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(self.config.max_backoff);
                }
            }
        }
    }

    /// One poll: handles a re-org if any, then stores up to one batch.
    /// Returns whether the index has reached the chain's head.
    pub async fn step(&self) -> Result<bool, FollowError> {
        let chain_head = self.provider.get_block_number().await.map_err(rpc)?;
        self.health.lock().unwrap().chain_head = Some(chain_head);
        let ours = self.store.lock().unwrap().head()?;
        let next = match &ours {
            Some(block) => {
                if !self.matches_chain(block).await? {
                    self.roll_back(block.number).await?;
                    return Ok(false);
                }
                block.number + 1
            }
            None => 0,
        };
        if next > chain_head {
            return Ok(true);
        }
        let last = chain_head.min(next + self.config.batch_blocks - 1);
        let blocks = self.headers(next, last).await?;
        if let (Some(ours), Some(first)) = (&ours, blocks.first()) {
            if first.parent_hash != ours.hash {
                return Err(FollowError::Moved(format!("block {} does not follow our {}", first.number, ours.number)));
            }
        }
        let events = self.logs(&blocks).await?;
        let count = events.len();
        self.store.lock().unwrap().append(&blocks, &events)?;
        self.health.lock().unwrap().indexed_block = Some(last);
        tracing::debug!(from = next, to = last, events = count, "indexed");
        Ok(last == chain_head)
    }

    async fn matches_chain(&self, block: &BlockRow) -> Result<bool, FollowError> {
        let header = self.header(block.number).await?;
        Ok(header.map(|h| h.hash) == Some(block.hash))
    }

    /// Walks back from `from` to the newest stored block the chain still
    /// has, and forgets everything above it.
    async fn roll_back(&self, from: u64) -> Result<(), FollowError> {
        let floor = from.saturating_sub(self.config.reorg_depth);
        let mut number = from;
        loop {
            if number <= floor {
                return Err(FollowError::TooDeep { depth: self.config.reorg_depth, at: from });
            }
            number -= 1;
            let stored = self.store.lock().unwrap().block(number)?;
            let Some(stored) = stored else { continue };
            if self.matches_chain(&stored).await? {
                let removed = self.store.lock().unwrap().rollback_above(number)?;
                tracing::warn!(fork_point = number, removed, "re-org: rolled back");
                let mut health = self.health.lock().unwrap();
                health.reorgs += 1;
                health.blocks_rolled_back += removed;
                health.indexed_block = Some(number);
                return Ok(());
            }
        }
    }

    async fn header(&self, number: u64) -> Result<Option<BlockRow>, FollowError> {
        let block = self.provider.get_block_by_number(BlockNumberOrTag::Number(number)).await.map_err(rpc)?;
        Ok(block.map(|b| BlockRow {
            number: b.header.number,
            hash: b.header.hash,
            parent_hash: b.header.parent_hash,
            timestamp: b.header.timestamp,
        }))
    }

    /// Headers `from..=to`, checked to form one chain.
    async fn headers(&self, from: u64, to: u64) -> Result<Vec<BlockRow>, FollowError> {
        let blocks: Vec<Option<BlockRow>> =
            stream::iter(from..=to).map(|n| self.header(n)).buffered(16).try_collect().await?;
        let mut out = Vec::with_capacity(blocks.len());
        for (number, block) in (from..=to).zip(blocks) {
            let block = block.ok_or_else(|| FollowError::Moved(format!("block {number} vanished")))?;
            if let Some(previous) = out.last() {
                let previous: &BlockRow = previous;
                if block.parent_hash != previous.hash {
                    return Err(FollowError::Moved(format!("block {number} does not follow {}", previous.number)));
                }
            }
            out.push(block);
        }
        Ok(out)
    }

    /// The logs of the indexed contracts in `blocks`, checked to belong to
    /// those exact blocks.
    async fn logs(&self, blocks: &[BlockRow]) -> Result<Vec<EventRow>, FollowError> {
        let (Some(first), Some(last)) = (blocks.first(), blocks.last()) else { return Ok(Vec::new()) };
        let mut addresses = vec![self.config.engine, self.config.token];
        addresses.extend(self.config.governor);
        let filter = Filter::new().address(addresses).from_block(first.number).to_block(last.number);
        let logs = self.provider.get_logs(&filter).await.map_err(rpc)?;
        let mut rows = Vec::with_capacity(logs.len());
        for log in logs {
            let number = log.block_number.ok_or_else(|| FollowError::Rpc("log without block number".into()))?;
            let expected = &blocks[(number - first.number) as usize];
            if log.block_hash != Some(expected.hash) {
                return Err(FollowError::Moved(format!("log of block {number} from another fork")));
            }
            let source = if log.address() == self.config.engine {
                Source::Engine
            } else if log.address() == self.config.token {
                Source::Token
            } else {
                Source::Governor
            };
            let topics: &[B256] = log.topics();
            let event = decode(source, topics, &log.data().data);
            rows.push(EventRow {
                block_number: number,
                log_index: log.log_index.unwrap_or_default(),
                tx_hash: log.transaction_hash.unwrap_or_default(),
                source,
                event,
            });
        }
        self.add_cids(&mut rows).await?;
        Ok(rows)
    }

    /// Adds `fields.cid` to the events whose CID the engine stores but does
    /// not log: a task's input (`tasks(id).cid`), a solution's output
    /// (`solutions(id).cid`) and a model's template (`models(id).cid`), so
    /// that search finds them by CID. They are read at the chain's head, not
    /// at the event's block: the engine never changes them once written, a
    /// full (non-archive) node keeps no state of old blocks, and the dev
    /// chain answers for an old block by undoing every later one. A task
    /// retracted before it is indexed has no CID left to read, and gets none.
    async fn add_cids(&self, rows: &mut [EventRow]) -> Result<(), FollowError> {
        use alloy_sol_types::SolCall;
        use dml_primitives::IEngine;
        let wanted: Vec<(usize, Vec<u8>)> = rows
            .iter()
            .enumerate()
            .filter(|(_, row)| row.source == Source::Engine)
            .filter_map(|(i, row)| {
                let e = &row.event;
                let call = match (e.name.as_str(), e.task, e.model) {
                    ("TaskSubmitted", Some(task), _) => IEngine::tasksCall { taskid: task }.abi_encode(),
                    ("SolutionSubmitted", Some(task), _) => IEngine::solutionsCall { taskid: task }.abi_encode(),
                    ("ModelRegistered", _, Some(model)) => IEngine::modelsCall { model }.abi_encode(),
                    _ => return None,
                };
                Some((i, call))
            })
            .collect();
        let engine = self.config.engine;
        let outputs: Vec<(usize, alloy_primitives::Bytes)> = stream::iter(wanted)
            .map(|(i, call)| async move {
                let request = alloy_rpc_types_eth::TransactionRequest::default().to(engine).input(call.into());
                let output = self.provider.call(request).await.map_err(rpc)?;
                Ok::<_, FollowError>((i, output))
            })
            .buffered(16)
            .try_collect()
            .await?;
        for (i, output) in outputs {
            let event = &mut rows[i].event;
            let cid = match event.name.as_str() {
                "TaskSubmitted" => IEngine::tasksCall::abi_decode_returns(&output).map(|t| t.cid),
                "SolutionSubmitted" => IEngine::solutionsCall::abi_decode_returns(&output).map(|s| s.cid),
                _ => IEngine::modelsCall::abi_decode_returns(&output).map(|m| m.cid),
            }
            .map_err(|e| FollowError::Rpc(format!("decoding the CID of {}: {e}", event.name)))?;
            if let (false, Some(fields)) = (cid.is_empty(), event.fields.as_object_mut()) {
                fields.insert("cid".into(), serde_json::Value::String(crate::events::cid_string(&cid)));
            }
        }
        Ok(())
    }
}

/// The chain and contracts an index is of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contracts {
    /// `eth_chainId`.
    pub chain_id: u64,
    /// Block 0's hash: two dev chains with one chain id differ here.
    pub genesis: B256,
    /// The engine.
    pub engine: Address,
    /// The DML token.
    pub token: Address,
    /// The governor, if any.
    pub governor: Option<Address>,
}

impl Contracts {
    /// What the database records, so that it is never mixed with another chain's.
    pub fn identity(&self) -> String {
        format!(
            "chain {} (genesis {:#x}), engine {:#x}, token {:#x}",
            self.chain_id, self.genesis, self.engine, self.token
        )
    }
}

/// Finds the engine, token and governor: from the flags where given, else
/// from the node's `dml_getContracts`, else the token from `baseToken()`.
pub async fn discover_contracts(
    rpc_url: &str,
    engine: Option<Address>,
    token: Option<Address>,
    governor: Option<Address>,
) -> Result<Contracts, FollowError> {
    let url = rpc_url.parse().map_err(|e| FollowError::Rpc(format!("rpc url `{rpc_url}`: {e}")))?;
    let provider = RootProvider::<Ethereum>::new_http(url);
    let chain_id = provider.get_chain_id().await.map_err(rpc)?;
    let contracts: Option<serde_json::Value> = provider.raw_request("dml_getContracts".into(), ()).await.ok();
    let field = |name: &str| -> Option<Address> {
        contracts.as_ref().and_then(|c| c[name].as_str()).and_then(|s| s.parse().ok())
    };
    let engine = engine.or_else(|| field("engine")).ok_or_else(|| {
        FollowError::Rpc("the node does not tell its contracts (dml_getContracts); pass --engine".into())
    })?;
    let token = match token.or_else(|| field("token")) {
        Some(token) => token,
        None => {
            use alloy_sol_types::SolCall;
            let call = dml_primitives::IEngine::baseTokenCall {};
            let request = alloy_rpc_types_eth::TransactionRequest::default().to(engine).input(call.abi_encode().into());
            let output = provider.call(request).await.map_err(rpc)?;
            dml_primitives::IEngine::baseTokenCall::abi_decode_returns(&output).map_err(rpc)?
        }
    };
    let genesis = provider
        .get_block_by_number(BlockNumberOrTag::Number(0))
        .await
        .map_err(rpc)?
        .ok_or_else(|| FollowError::Rpc("the node has no block 0".into()))?
        .header
        .hash;
    Ok(Contracts { chain_id, genesis, engine, token, governor: governor.or_else(|| field("governor")) })
}

/// Reads of the chain's current state that the API adds to indexed figures.
#[derive(Clone)]
pub struct ChainReader {
    provider: RootProvider<Ethereum>,
    engine: Address,
}

impl ChainReader {
    /// A reader of `engine` over `rpc_url`.
    pub fn new(rpc_url: &str, engine: Address) -> Result<ChainReader, FollowError> {
        let url = rpc_url.parse().map_err(|e| FollowError::Rpc(format!("rpc url `{rpc_url}`: {e}")))?;
        Ok(ChainReader { provider: RootProvider::<Ethereum>::new_http(url), engine })
    }

    /// `validators(address).staked` at the latest block.
    pub async fn staked(&self, address: Address) -> Result<alloy_primitives::U256, FollowError> {
        use alloy_sol_types::SolCall;
        let call = dml_primitives::IEngine::validatorsCall { addr: address };
        let request =
            alloy_rpc_types_eth::TransactionRequest::default().to(self.engine).input(call.abi_encode().into());
        let output = self.provider.call(request).await.map_err(rpc)?;
        Ok(dml_primitives::IEngine::validatorsCall::abi_decode_returns(&output).map_err(rpc)?.staked)
    }
}
