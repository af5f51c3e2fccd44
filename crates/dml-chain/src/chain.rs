//! The chain: genesis, the transaction pool, block building on revm, state
//! queries at any block, the dev controls (time, snapshots) and persistence.
//!
//! `Chain` is synchronous and single-writer; the node wraps it in a mutex and
//! drives mining from one thread.

use std::{
    collections::HashMap,
    path::Path,
    time::{SystemTime, UNIX_EPOCH},
};

use alloy_consensus::{proofs, Header, Transaction, TxEnvelope, EMPTY_OMMER_ROOT_HASH};
use alloy_eips::{
    eip1559::{calc_next_block_base_fee, BaseFeeParams},
    eip2718::Decodable2718,
    eip7685::EMPTY_REQUESTS_HASH,
};
use alloy_primitives::{keccak256, Address, Bytes, TxKind, B256, U256};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_signer_local::{coins_bip39::English, MnemonicBuilder, PrivateKeySigner};
use alloy_trie::{EMPTY_ROOT_HASH, KECCAK_EMPTY};
use dml_engine::{Contract, ContractAddresses, Storage};
use revm::{
    context::{BlockEnv, CfgEnv, Context, TxEnv},
    context_interface::result::{EVMError, ExecutionResult, InvalidTransaction, Output, ResultAndState},
    primitives::hardfork::SpecId,
    ExecuteEvm, MainBuilder, MainContext,
};

mod dev;
pub mod proof;
pub mod trace;

pub use dev::{DumpedAccount, PoolState, StateDump, StateEdits};

use crate::{
    block::{BlockRecord, IncludedTx, ReceiptRecord},
    config::GenesisConfig,
    deployer::GenesisDeployer,
    governance::{GovernanceAddresses, GENESIS_DEPLOYER},
    liquidity::LiquidityAddresses,
    pool::{Pool, PoolError},
    precompile::{DmlPrecompiles, NATIVE_CONTRACT_STUB},
    state::{AccountRecord, DirtySet, StateDiff, StateReadError, StateView, WorldState},
    store::{ChainMeta, Store},
    ChainError,
};

/// The hard fork the node executes.
pub const SPEC: SpecId = SpecId::OSAKA;
/// Largest gas limit of one transaction (EIP-7825).
pub const TX_GAS_LIMIT_CAP: u64 = 1 << 24;
/// Largest signed transaction accepted, in bytes (as geth's pool).
pub const MAX_TX_BYTES: usize = 128 * 1024;
/// Tip suggested by `eth_maxPriorityFeePerGas`.
pub const SUGGESTED_PRIORITY_FEE: u128 = 1_000_000_000;
/// Number of the genesis block.
pub const GENESIS_NUMBER: u64 = 0;

/// Why a signed transaction was refused. Messages follow geth's, which
/// wallets and client libraries recognise.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TxError {
    /// Larger than [`MAX_TX_BYTES`].
    #[error("oversized data: transaction of {size} bytes, limit {MAX_TX_BYTES}")]
    Oversized {
        /// Its size.
        size: usize,
    },
    /// Not a valid EIP-2718 encoding.
    #[error("invalid transaction encoding: {0}")]
    Decode(String),
    /// A blob (EIP-4844) transaction: the dev chain has no blob sidecars.
    #[error("transaction type not supported: blob transactions are not accepted")]
    UnsupportedType,
    /// A legacy transaction without EIP-155 replay protection.
    #[error("only replay-protected (EIP-155) transactions allowed over RPC")]
    Unprotected,
    /// Signed for another chain.
    #[error("invalid chain id: expected {expected}, got {got}")]
    WrongChainId {
        /// This chain's id.
        expected: u64,
        /// The transaction's.
        got: u64,
    },
    /// The signature does not recover to an address.
    #[error("invalid sender: {0}")]
    BadSignature(String),
    /// The nonce was already used.
    #[error("nonce too low: next nonce {next}, tx nonce {nonce}")]
    NonceTooLow {
        /// Next nonce of the sender.
        next: u64,
        /// The transaction's nonce.
        nonce: u64,
    },
    /// Less gas than the transaction's intrinsic cost.
    #[error("intrinsic gas too low: gas {limit}, minimum needed {needed}")]
    IntrinsicGasTooLow {
        /// The transaction's gas limit.
        limit: u64,
        /// Its intrinsic cost.
        needed: u64,
    },
    /// More gas than a block or the EIP-7825 cap allows.
    #[error("exceeds block gas limit: gas {limit}, cap {cap}")]
    GasLimitTooHigh {
        /// The transaction's gas limit.
        limit: u64,
        /// The cap.
        cap: u64,
    },
    /// The fee cap is below the next block's base fee.
    #[error("max fee per gas less than block base fee: maxFeePerGas: {max_fee}, baseFee: {base_fee}")]
    FeeCapTooLow {
        /// The transaction's fee cap.
        max_fee: u128,
        /// The next block's base fee.
        base_fee: u64,
    },
    /// The tip is above the fee cap.
    #[error("max priority fee per gas higher than max fee per gas")]
    TipAboveFeeCap,
    /// The sender cannot pay `gas × price + value`.
    #[error("insufficient funds for gas * price + value: balance {balance}, tx cost {cost}")]
    InsufficientFunds {
        /// The sender's balance.
        balance: U256,
        /// What the transaction may cost.
        cost: U256,
    },
    /// The pool refused it.
    #[error("{0}")]
    Pool(#[from] PoolError),
}

/// Why an `eth_call` or `eth_estimateGas` failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CallFailure {
    /// The call reverted; `data` is the revert data.
    #[error("execution reverted{}", reason.as_ref().map(|r| format!(": {r}")).unwrap_or_default())]
    Reverted {
        /// The decoded `Error(string)` reason, if any.
        reason: Option<String>,
        /// Raw revert data.
        data: Bytes,
    },
    /// The call halted (out of gas, invalid opcode, …).
    #[error("{0}")]
    Halted(String),
    /// The call could not start (nonce, funds, fees, gas limit).
    #[error("{0}")]
    Invalid(String),
    /// The requested block does not exist.
    #[error("header not found")]
    UnknownBlock,
}

/// Result of a successful call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallOutcome {
    /// Return data.
    pub output: Bytes,
    /// Gas used (after refunds).
    pub gas_used: u64,
}

/// A saved point that `evm_revert` returns to.
#[derive(Clone, Debug)]
struct Snapshot {
    id: u64,
    head: u64,
    time_offset: i64,
    next_timestamp: Option<u64>,
    /// The edits made above `head` before the snapshot, to redo on revert.
    edits: StateEdits,
}

/// The chain state machine.
pub struct Chain {
    chain_id: u64,
    gas_limit: u64,
    contracts: ContractAddresses,
    state: WorldState,
    blocks: Vec<BlockRecord>,
    block_numbers: HashMap<B256, u64>,
    tx_locations: HashMap<B256, (u64, usize)>,
    pool: Pool,
    time_offset: i64,
    next_timestamp: Option<u64>,
    snapshots: Vec<Snapshot>,
    next_snapshot_id: u64,
    store: Option<Store>,
    dev_signers: Vec<PrivateKeySigner>,
    /// What the state edits since the head overwrote (see `dev`).
    pending_diff: StateDiff,
}

/// Current Unix time in seconds.
pub fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default()
}

/// The dev accounts of `mnemonic` (`m/44'/60'/0'/0/i`, `i < count`).
pub fn dev_signers(mnemonic: &str, count: u32) -> Result<Vec<PrivateKeySigner>, ChainError> {
    (0..count)
        .map(|index| {
            MnemonicBuilder::<English>::default()
                .phrase(mnemonic)
                .index(index)
                .and_then(|builder| builder.build())
                .map_err(|error| ChainError::Config(format!("dev account {index}: {error}")))
        })
        .collect()
}

/// Storage adapter for writing the engine's genesis straight into the world state.
struct GenesisStorage<'a> {
    state: &'a mut WorldState,
    diff: &'a mut StateDiff,
    contracts: ContractAddresses,
}

impl Storage for GenesisStorage<'_> {
    fn load(&mut self, contract: Contract, slot: U256) -> U256 {
        self.state.storage(&contract_address(self.contracts, contract), &slot)
    }

    fn store(&mut self, contract: Contract, slot: U256, value: U256) {
        self.state.set_storage(contract_address(self.contracts, contract), slot, value, self.diff);
    }

    fn ecrecover(&mut self, digest: B256, v: u8, r: B256, s: B256) -> Option<Address> {
        dml_engine::ecrecover_k256(digest, v, r, s)
    }
}

fn contract_address(contracts: ContractAddresses, contract: Contract) -> Address {
    match contract {
        Contract::Engine => contracts.engine,
        Contract::Token => contracts.token,
    }
}

/// Builds the genesis state and block.
pub fn build_genesis(config: &GenesisConfig, timestamp: u64) -> Result<(WorldState, BlockRecord), ChainError> {
    config.validate()?;
    let contracts = ContractAddresses::default();
    let signers = dev_signers(&config.mnemonic, config.dev_accounts)?;
    let mut state = WorldState::new();
    let mut diff = StateDiff::default();
    let eth = U256::from(config.dev_account_eth) * U256::from(10u64).pow(U256::from(18));
    let dml = U256::from(config.dev_account_dml) * dml_primitives::ONE_DML;
    let mut dml_allocations = Vec::new();
    for signer in &signers {
        let address = signer.address();
        state.set_account(address, Some(AccountRecord { balance: eth, nonce: 0, code_hash: KECCAK_EMPTY }), &mut diff);
        if !dml.is_zero() {
            dml_allocations.push((address, dml));
        }
    }
    for allocation in &config.allocations {
        if !allocation.wei.is_zero() {
            credit_ether(&mut state, &mut diff, allocation.address, allocation.wei);
        }
        if !allocation.dml.is_zero() {
            dml_allocations.push((allocation.address, allocation.dml));
        }
    }
    // The LP seed is the genesis deployer's, to add to the pair (see `liquidity`).
    let governance = GovernanceAddresses::at_genesis();
    let first_dev = signers.first().map(|s| s.address());
    let seed = config.liquidity.seeds().then(|| {
        let (dml, wei) = config.liquidity.seed_base_units();
        let recipient = config.liquidity.lp_recipient.or(first_dev).unwrap_or(governance.timelock);
        crate::liquidity::Seed { dml, wei, recipient }
    });
    if let Some(seed) = seed {
        credit_ether(&mut state, &mut diff, GENESIS_DEPLOYER, seed.wei);
        dml_allocations.push((GENESIS_DEPLOYER, seed.dml));
    }
    let stub = state.insert_code(Bytes::from_static(&NATIVE_CONTRACT_STUB));
    for address in [contracts.engine, contracts.token] {
        state.set_account(address, Some(AccountRecord { balance: U256::ZERO, nonce: 1, code_hash: stub }), &mut diff);
    }
    // Governance owns the protocol: the timelock is the engine's owner and
    // treasury unless the configuration names others; the first dev account
    // (if any) is the pause guardian.
    let owner = config.engine.owner.unwrap_or(governance.timelock);
    let mut models = Vec::with_capacity(config.models.len());
    for model in &config.models {
        let addr = model
            .addr
            .or(first_dev)
            .ok_or_else(|| ChainError::Config("a genesis model needs an addr when there are no dev accounts".into()))?;
        models.push(dml_engine::GenesisModel {
            addr,
            fee: model.fee,
            rate: model.rate,
            template: Bytes::from(model.template.clone().into_bytes()),
        });
    }
    let engine_genesis = dml_engine::Genesis {
        owner,
        pauser: config.engine.pauser.or(first_dev).unwrap_or_default(),
        treasury: config.engine.treasury.unwrap_or(governance.timelock),
        liquidity_pool: config.engine.liquidity_pool.unwrap_or(LiquidityAddresses::for_token(contracts.token).staking),
        start_time: config.engine.start_time.unwrap_or(timestamp),
        timestamp,
        allocations: dml_allocations,
        models,
        parameters: config.engine.parameters(),
        contracts,
    };
    let engine_logs =
        dml_engine::genesis(&mut GenesisStorage { state: &mut state, diff: &mut diff, contracts }, &engine_genesis)
            .map_err(|error| ChainError::Config(format!("engine genesis: {error}")))?;
    // The genesis models' ids, in the order of `config.models`.
    let registered = <dml_primitives::IEngine::ModelRegistered as alloy_sol_types::SolEvent>::SIGNATURE_HASH;
    let model_ids: Vec<B256> = engine_logs
        .iter()
        .filter(|log| log.topics.first() == Some(&registered))
        .filter_map(|log| log.topics.get(1).copied())
        .collect();
    let mut genesis_logs: Vec<alloy_primitives::Log> = engine_logs
        .into_iter()
        .map(|log| alloy_primitives::Log {
            address: contract_address(contracts, log.contract),
            data: alloy_primitives::LogData::new_unchecked(log.topics, log.data),
        })
        .collect();
    {
        let mut deployer = GenesisDeployer::new(
            &mut state,
            &mut diff,
            &mut genesis_logs,
            config.chain_id,
            timestamp,
            config.gas_limit,
            contracts,
        );
        crate::governance::deploy(&mut deployer, &config.governance)?;
        crate::liquidity::deploy(&mut deployer, governance.timelock, seed)?;
        if config.examples.enabled {
            let model =
                crate::examples::resolve_model(config.examples.nft_model.as_deref(), &config.models, &model_ids)?;
            crate::examples::deploy(&mut deployer, &config.examples, model)?;
        }
    }
    let mut logs_bloom = alloy_primitives::Bloom::default();
    for log in &genesis_logs {
        logs_bloom.accrue_log(log);
    }

    let header = Header {
        parent_hash: B256::ZERO,
        ommers_hash: EMPTY_OMMER_ROOT_HASH,
        beneficiary: Address::ZERO,
        state_root: state.state_root(),
        transactions_root: EMPTY_ROOT_HASH,
        receipts_root: EMPTY_ROOT_HASH,
        logs_bloom,
        difficulty: U256::ZERO,
        number: GENESIS_NUMBER,
        gas_limit: config.gas_limit,
        gas_used: 0,
        timestamp,
        extra_data: Bytes::from_static(b"dml dev chain"),
        mix_hash: B256::ZERO,
        nonce: Default::default(),
        base_fee_per_gas: Some(config.initial_base_fee),
        withdrawals_root: Some(EMPTY_ROOT_HASH),
        blob_gas_used: Some(0),
        excess_blob_gas: Some(0),
        parent_beacon_block_root: Some(B256::ZERO),
        requests_hash: Some(EMPTY_REQUESTS_HASH),
        block_access_list_hash: None,
        slot_number: None,
    };
    let hash = header.hash_slow();
    let block = BlockRecord {
        header,
        hash,
        transactions: Vec::new(),
        receipts: Vec::new(),
        diff: StateDiff::default(),
        genesis_logs,
        edits: StateEdits::default(),
    };
    Ok((state, block))
}

/// Adds `wei` to an account's ether at genesis, creating the account if need be.
fn credit_ether(state: &mut WorldState, diff: &mut StateDiff, address: Address, wei: U256) {
    let mut record = state.account(&address).copied().unwrap_or(AccountRecord {
        balance: U256::ZERO,
        nonce: 0,
        code_hash: KECCAK_EMPTY,
    });
    record.balance += wei;
    state.set_account(address, Some(record), diff);
}

/// Turns a signed transaction into revm's transaction environment.
pub fn tx_env(envelope: &TxEnvelope, sender: Address) -> TxEnv {
    TxEnv {
        tx_type: envelope.tx_type() as u8,
        caller: sender,
        gas_limit: envelope.gas_limit(),
        gas_price: envelope.max_fee_per_gas(),
        kind: envelope.kind(),
        value: envelope.value(),
        data: envelope.input().clone(),
        nonce: envelope.nonce(),
        chain_id: envelope.chain_id(),
        access_list: envelope.access_list().cloned().unwrap_or_default(),
        gas_priority_fee: envelope.max_priority_fee_per_gas(),
        authorization_list: envelope
            .authorization_list()
            .map(|list| list.iter().cloned().map(revm::context::either::Either::Left).collect())
            .unwrap_or_default(),
        ..Default::default()
    }
}

/// Decodes and checks a raw signed transaction without touching chain state:
/// encoding, type, chain id and signature.
pub fn decode_signed(raw: &[u8], chain_id: u64) -> Result<IncludedTx, TxError> {
    use alloy_consensus::transaction::SignerRecoverable;
    if raw.len() > MAX_TX_BYTES {
        return Err(TxError::Oversized { size: raw.len() });
    }
    let envelope = TxEnvelope::decode_2718_exact(raw).map_err(|error| TxError::Decode(error.to_string()))?;
    if envelope.is_eip4844() {
        return Err(TxError::UnsupportedType);
    }
    match envelope.chain_id() {
        None => return Err(TxError::Unprotected),
        Some(got) if got != chain_id => return Err(TxError::WrongChainId { expected: chain_id, got }),
        Some(_) => {}
    }
    let sender = envelope.recover_signer().map_err(|error| TxError::BadSignature(error.to_string()))?;
    Ok(IncludedTx { envelope, sender })
}

fn evm_error_text<E: std::fmt::Display>(error: &EVMError<E, InvalidTransaction>) -> String {
    match error {
        EVMError::Transaction(invalid) => invalid.to_string(),
        other => other.to_string(),
    }
}

/// What one executed transaction left behind.
pub(crate) struct Executed {
    pub(crate) result: ExecutionResult,
    pub(crate) state: revm::state::EvmState,
}

/// Executes one transaction on `state` (with `later` diffs applied over it)
/// without changing it; the result and the state changes it would make.
pub(crate) fn execute(
    state: &WorldState,
    hashes: &dyn Fn(u64) -> B256,
    cfg: CfgEnv,
    block: BlockEnv,
    contracts: ContractAddresses,
    tx: TxEnv,
    later: &[&StateDiff],
) -> Result<Executed, EVMError<StateReadError, InvalidTransaction>> {
    let view = StateView { state, later_diffs: later, block_hashes: hashes };
    let mut evm = Context::mainnet()
        .with_cfg(cfg)
        .with_block(block)
        .with_ref_db(view)
        .build_mainnet()
        .with_precompiles(DmlPrecompiles::new(SPEC, contracts));
    let ResultAndState { result, state } = evm.transact(tx)?;
    Ok(Executed { result, state })
}

impl Chain {
    /// Opens the chain: from `data_dir` when it holds one, else a new chain
    /// from `genesis` (persisted at once when `data_dir` is given).
    pub fn open(genesis: &GenesisConfig, data_dir: Option<&Path>) -> Result<Self, ChainError> {
        let mut store = data_dir.map(Store::open).transpose()?;
        let loaded = match &mut store {
            Some(store) => store.load()?,
            None => None,
        };
        let dev_signers = dev_signers(&genesis.mnemonic, genesis.dev_accounts)?;
        let mut chain = match loaded {
            Some(loaded) => {
                tracing::info!(head = loaded.blocks.len() - 1, "reopened chain");
                Self::from_parts(loaded.chain_id, loaded.state, loaded.blocks, loaded.time_offset, store, dev_signers)
            }
            None => {
                let (state, block) = build_genesis(genesis, genesis.timestamp.unwrap_or_else(unix_now))?;
                let mut chain = Self::from_parts(genesis.chain_id, state, vec![block], 0, store, dev_signers);
                chain.persist_new_blocks(1)?;
                chain
            }
        };
        chain.gas_limit = chain.blocks.last().map(|b| b.header.gas_limit).unwrap_or(genesis.gas_limit);
        Ok(chain)
    }

    fn from_parts(
        chain_id: u64,
        state: WorldState,
        blocks: Vec<BlockRecord>,
        time_offset: i64,
        store: Option<Store>,
        dev_signers: Vec<PrivateKeySigner>,
    ) -> Self {
        let mut chain = Self {
            chain_id,
            gas_limit: 0,
            contracts: ContractAddresses::default(),
            state,
            blocks: Vec::new(),
            block_numbers: HashMap::new(),
            tx_locations: HashMap::new(),
            pool: Pool::default(),
            time_offset,
            next_timestamp: None,
            snapshots: Vec::new(),
            next_snapshot_id: 1,
            store,
            dev_signers,
            pending_diff: StateDiff::default(),
        };
        for block in blocks {
            chain.index_block(&block);
            chain.blocks.push(block);
        }
        chain
    }

    fn index_block(&mut self, block: &BlockRecord) {
        self.block_numbers.insert(block.hash, block.header.number);
        for (index, tx) in block.transactions.iter().enumerate() {
            self.tx_locations.insert(tx.hash(), (block.header.number, index));
        }
    }

    /// Makes the last `count` blocks durable: one after the genesis through
    /// the journal (unless it is full), else by a database commit (the
    /// genesis, which the journal follows, among them).
    fn persist_new_blocks(&mut self, count: usize) -> Result<(), ChainError> {
        let dirty = self.state.take_dirty();
        let first_new = self.blocks.len() - count;
        let meta = self.meta();
        let Some(store) = &mut self.store else { return Ok(()) };
        match self.blocks.last() {
            Some(block) if count == 1 && first_new > 0 && !store.journal_is_full() => {
                store.append(&self.state, dirty, block, meta)
            }
            _ => self.commit_from(dirty, None, first_new),
        }
    }

    /// Writes the state changes in `dirty`, the journaled blocks still in the
    /// chain and the removal of blocks `removed` (after a revert) into the
    /// database in one commit.
    pub(crate) fn commit_store(&mut self, dirty: DirtySet, removed: Option<(u64, u64)>) -> Result<(), ChainError> {
        self.commit_from(dirty, removed, self.blocks.len())
    }

    /// [`Chain::commit_store`], with the blocks from `first_new` on among the
    /// blocks written.
    fn commit_from(
        &mut self,
        dirty: DirtySet,
        removed: Option<(u64, u64)>,
        first_new: usize,
    ) -> Result<(), ChainError> {
        let meta = self.meta();
        let Some(store) = &mut self.store else { return Ok(()) };
        let from = store.first_journaled().map_or(first_new, |number| (number as usize).min(first_new));
        let blocks: Vec<&BlockRecord> = self.blocks[from..].iter().collect();
        store.commit(&self.state, dirty, &blocks, removed, meta)
    }

    fn meta(&self) -> ChainMeta {
        ChainMeta { head: self.head_number(), time_offset: self.time_offset, chain_id: self.chain_id }
    }

    /// The chain id.
    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// Addresses of the engine and the token.
    pub fn contracts(&self) -> ContractAddresses {
        self.contracts
    }

    /// The funded dev accounts' signers.
    pub fn dev_signers(&self) -> &[PrivateKeySigner] {
        &self.dev_signers
    }

    /// Number of the latest block.
    pub fn head_number(&self) -> u64 {
        self.blocks.len() as u64 - 1
    }

    /// The latest block.
    pub fn head(&self) -> &BlockRecord {
        self.blocks.last().expect("the chain always has a genesis block")
    }

    /// A block by number.
    pub fn block(&self, number: u64) -> Option<&BlockRecord> {
        self.blocks.get(usize::try_from(number).ok()?)
    }

    /// A block by hash.
    pub fn block_by_hash(&self, hash: &B256) -> Option<&BlockRecord> {
        self.block_numbers.get(hash).and_then(|number| self.block(*number))
    }

    /// Where a mined transaction is: (block, index).
    pub fn tx_location(&self, hash: &B256) -> Option<(u64, usize)> {
        self.tx_locations.get(hash).copied()
    }

    /// A transaction waiting in the pool.
    pub fn pooled_tx(&self, hash: &B256) -> Option<&IncludedTx> {
        self.pool.get(hash)
    }

    /// Number of waiting transactions.
    pub fn pool_len(&self) -> usize {
        self.pool.len()
    }

    /// The current world state.
    pub fn state(&self) -> &WorldState {
        &self.state
    }

    /// Base fee of the next block.
    pub fn next_base_fee(&self) -> u64 {
        let head = &self.head().header;
        calc_next_block_base_fee(
            head.gas_used,
            head.gas_limit,
            head.base_fee_per_gas.unwrap_or_default(),
            BaseFeeParams::ethereum(),
        )
    }

    /// The diffs that take the live state back to the state after block
    /// `number`: every later block's, and the edits since the head.
    fn later_diffs(&self, number: u64) -> Vec<&StateDiff> {
        if number >= self.head_number() {
            return Vec::new();
        }
        // Oldest first: the first diff holding a key has its value as of `number`.
        let mut later: Vec<&StateDiff> = self.blocks[number as usize + 1..].iter().map(|b| &b.diff).collect();
        later.push(&self.pending_diff);
        later
    }

    /// A view of the state after block `number`.
    pub fn with_view<R>(&self, number: u64, f: impl FnOnce(&StateView<'_>) -> R) -> Option<R> {
        let head = self.head_number();
        if number > head {
            return None;
        }
        let later = self.later_diffs(number);
        let hashes = |n: u64| self.block(n).map(|b| b.hash).unwrap_or_default();
        let view = StateView { state: &self.state, later_diffs: &later, block_hashes: &hashes };
        Some(f(&view))
    }

    /// Next nonce of `sender` on chain.
    pub fn nonce(&self, sender: &Address) -> u64 {
        self.state.account(sender).map(|a| a.nonce).unwrap_or_default()
    }

    /// Next nonce counting the sender's consecutive pooled transactions.
    pub fn pending_nonce(&self, sender: &Address) -> u64 {
        self.pool.pending_nonce(sender, self.nonce(sender))
    }

    /// Checks a decoded transaction against the state and adds it to the pool.
    pub fn add_transaction(&mut self, tx: IncludedTx) -> Result<B256, TxError> {
        let envelope = &tx.envelope;
        let hash = tx.hash();
        if self.tx_locations.contains_key(&hash) {
            return Err(PoolError::AlreadyKnown.into());
        }
        let next = self.nonce(&tx.sender);
        if envelope.nonce() < next {
            return Err(TxError::NonceTooLow { next, nonce: envelope.nonce() });
        }
        let cap = self.gas_limit.min(TX_GAS_LIMIT_CAP);
        if envelope.gas_limit() > cap {
            return Err(TxError::GasLimitTooHigh { limit: envelope.gas_limit(), cap });
        }
        let env = tx_env(envelope, tx.sender);
        let intrinsic = revm::context_interface::cfg::gas::calculate_initial_tx_gas_for_tx(&env, SPEC, None);
        let needed = intrinsic.initial_regular_gas.max(intrinsic.floor_gas);
        if envelope.gas_limit() < needed {
            return Err(TxError::IntrinsicGasTooLow { limit: envelope.gas_limit(), needed });
        }
        if let Some(tip) = envelope.max_priority_fee_per_gas() {
            if tip > envelope.max_fee_per_gas() {
                return Err(TxError::TipAboveFeeCap);
            }
        }
        let base_fee = self.next_base_fee();
        if envelope.max_fee_per_gas() < u128::from(base_fee) {
            return Err(TxError::FeeCapTooLow { max_fee: envelope.max_fee_per_gas(), base_fee });
        }
        let balance = self.state.account(&tx.sender).map(|a| a.balance).unwrap_or_default();
        let cost = U256::from(envelope.gas_limit()) * U256::from(envelope.max_fee_per_gas()) + envelope.value();
        if balance < cost {
            return Err(TxError::InsufficientFunds { balance, cost });
        }
        self.pool.insert(tx, next)?;
        Ok(hash)
    }

    /// Whether a transaction could be mined now.
    pub fn has_ready_transactions(&self) -> bool {
        let state = &self.state;
        let mut queue = self.pool.ready_queue(|sender| state.account(sender).map(|a| a.nonce).unwrap_or_default());
        queue.pop().is_some()
    }

    /// The timestamp the next block would get if mined now.
    pub fn peek_next_timestamp(&self) -> u64 {
        let parent = self.head().header.timestamp;
        match self.next_timestamp {
            Some(timestamp) => timestamp.max(parent),
            None => ((unix_now() as i64 + self.time_offset).max(0) as u64).max(parent),
        }
    }

    fn next_block_timestamp(&mut self) -> u64 {
        let parent = self.head().header.timestamp;
        match self.next_timestamp.take() {
            Some(timestamp) => timestamp.max(parent),
            None => {
                let now = unix_now() as i64 + self.time_offset;
                (now.max(0) as u64).max(parent)
            }
        }
    }

    fn block_env(&self, number: u64, timestamp: u64, base_fee: u64) -> BlockEnv {
        let mut env = BlockEnv {
            number: U256::from(number),
            beneficiary: Address::ZERO,
            timestamp: U256::from(timestamp),
            gas_limit: self.gas_limit,
            basefee: base_fee,
            difficulty: U256::ZERO,
            prevrandao: Some(keccak256(number.to_be_bytes())),
            ..Default::default()
        };
        env.set_blob_excess_gas_and_price(0, revm::primitives::eip4844::BLOB_BASE_FEE_UPDATE_FRACTION_PRAGUE);
        env
    }

    fn cfg_env(&self, for_call: bool) -> CfgEnv {
        let mut cfg = CfgEnv::new_with_spec(SPEC);
        cfg.chain_id = self.chain_id;
        if for_call {
            cfg.disable_nonce_check = true;
        }
        cfg
    }

    /// Mines one block with the executable pooled transactions (or none),
    /// persists it, and returns its number.
    pub fn mine(&mut self, timestamp: Option<u64>) -> Result<u64, ChainError> {
        if let Some(timestamp) = timestamp {
            self.next_timestamp = Some(timestamp);
        }
        let number = self.head_number() + 1;
        let timestamp = self.next_block_timestamp();
        let base_fee = self.next_base_fee();
        let block_env = self.block_env(number, timestamp, base_fee);
        let parent_hash = self.head().hash;
        // The edits since the head belong to this block: their overwritten
        // values start its diff, and their values are recorded in it.
        let edits = StateEdits::capture(&self.state, &self.pending_diff);
        let mut diff = std::mem::take(&mut self.pending_diff);
        let mut transactions = Vec::new();
        let mut receipts: Vec<ReceiptRecord> = Vec::new();
        let mut cumulative_gas = 0u64;
        let mut dropped = Vec::new();

        let mut queue = {
            let state = &self.state;
            self.pool.ready_queue(|sender| state.account(sender).map(|a| a.nonce).unwrap_or_default())
        };
        while let Some((sender, nonce)) = queue.pop() {
            let Some(pooled) = self.pool.at(&sender, nonce) else { continue };
            let envelope = &pooled.tx.envelope;
            if envelope.max_fee_per_gas() < u128::from(base_fee) {
                // Waits for the base fee to fall.
                continue;
            }
            if cumulative_gas + envelope.gas_limit() > self.gas_limit {
                continue;
            }
            let env = tx_env(envelope, sender);
            let blocks = &self.blocks;
            let hashes = |n: u64| blocks.get(n as usize).map(|b| b.hash).unwrap_or_default();
            let executed =
                execute(&self.state, &hashes, self.cfg_env(false), block_env.clone(), self.contracts, env, &[]);
            let executed = match executed {
                Ok(executed) => executed,
                Err(error) => {
                    tracing::warn!(%sender, nonce, error = %evm_error_text(&error), "dropping invalid transaction");
                    dropped.push((sender, nonce));
                    continue;
                }
            };
            let gas_used = executed.result.tx_gas_used();
            cumulative_gas += gas_used;
            let effective_gas_price = envelope.effective_gas_price(Some(base_fee));
            let (success, logs, contract_address, revert_data) = match executed.result {
                ExecutionResult::Success { logs, output, .. } => {
                    let created = match output {
                        Output::Create(_, address) => address,
                        Output::Call(_) => None,
                    };
                    (true, logs, created, Bytes::new())
                }
                ExecutionResult::Revert { output, .. } => (false, Vec::new(), None, output),
                ExecutionResult::Halt { .. } => (false, Vec::new(), None, Bytes::new()),
            };
            let contract_address = contract_address
                .or_else(|| (envelope.kind() == TxKind::Create && !success).then(|| sender.create(nonce)));
            self.state.apply_evm_state(executed.state, &mut diff);
            let pooled = self.pool.remove(&sender, nonce).expect("the pooled transaction is still there");
            transactions.push(pooled.tx);
            receipts.push(ReceiptRecord {
                success,
                gas_used,
                cumulative_gas_used: cumulative_gas,
                effective_gas_price,
                logs,
                contract_address,
                revert_data,
            });
            queue.push_next(&self.pool, sender, nonce + 1);
        }
        for (sender, nonce) in dropped {
            self.pool.remove(&sender, nonce);
        }
        {
            let state = &self.state;
            self.pool.prune(|sender| state.account(sender).map(|a| a.nonce).unwrap_or_default());
        }

        let receipt_envelopes: Vec<_> =
            receipts.iter().zip(&transactions).map(|(r, tx)| r.envelope(tx.envelope.tx_type())).collect();
        let mut logs_bloom = alloy_primitives::Bloom::default();
        for receipt in &receipts {
            logs_bloom.accrue_bloom(&receipt.bloom());
        }
        let envelopes: Vec<&TxEnvelope> = transactions.iter().map(|tx| &tx.envelope).collect();
        let header = Header {
            parent_hash,
            ommers_hash: EMPTY_OMMER_ROOT_HASH,
            beneficiary: Address::ZERO,
            state_root: self.state.state_root(),
            transactions_root: proofs::calculate_transaction_root(&envelopes),
            receipts_root: proofs::calculate_receipt_root(&receipt_envelopes),
            logs_bloom,
            difficulty: U256::ZERO,
            number,
            gas_limit: self.gas_limit,
            gas_used: cumulative_gas,
            timestamp,
            extra_data: Bytes::new(),
            mix_hash: keccak256(number.to_be_bytes()),
            nonce: Default::default(),
            base_fee_per_gas: Some(base_fee),
            withdrawals_root: Some(EMPTY_ROOT_HASH),
            blob_gas_used: Some(0),
            excess_blob_gas: Some(0),
            parent_beacon_block_root: Some(B256::ZERO),
            requests_hash: Some(EMPTY_REQUESTS_HASH),
            block_access_list_hash: None,
            slot_number: None,
        };
        let hash = header.hash_slow();
        let block = BlockRecord { header, hash, transactions, receipts, diff, genesis_logs: Vec::new(), edits };
        self.index_block(&block);
        self.blocks.push(block);
        if let Err(error) = self.persist_new_blocks(1) {
            // Not durable: undo it, so nothing unacknowledged is ever served.
            let block = self.blocks.pop().expect("just pushed");
            self.unindex_block(&block);
            self.state.undo(&block.diff);
            // The edits stay pending for the next block.
            block.edits.apply(&mut self.state, &mut self.pending_diff);
            let _ = self.state.take_dirty();
            for tx in block.transactions {
                let next = self.nonce(&tx.sender);
                let _ = self.pool.insert(tx, next);
            }
            return Err(error);
        }
        tracing::debug!(number, txs = self.head().transactions.len(), gas = cumulative_gas, "mined block");
        Ok(number)
    }

    fn unindex_block(&mut self, block: &BlockRecord) {
        self.block_numbers.remove(&block.hash);
        for tx in &block.transactions {
            self.tx_locations.remove(&tx.hash());
        }
    }

    /// Runs a call against the state after block `number` without changing it.
    pub fn call(&self, request: &TransactionRequest, number: u64) -> Result<CallOutcome, CallFailure> {
        let gas = request.gas.unwrap_or(self.gas_limit.min(TX_GAS_LIMIT_CAP));
        self.call_with_gas(request, number, gas)
    }

    fn call_env(&self, request: &TransactionRequest, gas: u64) -> TxEnv {
        let sender = request.from.unwrap_or_default();
        let price = request.max_fee_per_gas.or(request.gas_price).unwrap_or(0);
        let is_1559 = request.max_fee_per_gas.is_some() || request.max_priority_fee_per_gas.is_some();
        TxEnv {
            tx_type: if is_1559 {
                2
            } else if request.access_list.is_some() {
                1
            } else {
                0
            },
            caller: sender,
            gas_limit: gas,
            gas_price: price,
            gas_priority_fee: if is_1559 {
                Some(request.max_priority_fee_per_gas.unwrap_or(0).min(price))
            } else {
                None
            },
            kind: request.to.unwrap_or(TxKind::Create),
            value: request.value.unwrap_or_default(),
            data: request.input.input().cloned().unwrap_or_default(),
            nonce: request.nonce.unwrap_or_else(|| self.nonce(&sender)),
            chain_id: Some(self.chain_id),
            access_list: request.access_list.clone().unwrap_or_default(),
            ..Default::default()
        }
    }

    fn call_with_gas(&self, request: &TransactionRequest, number: u64, gas: u64) -> Result<CallOutcome, CallFailure> {
        let block = self.block(number).ok_or(CallFailure::UnknownBlock)?;
        // Calls run with a zero base fee, so that `from` needs no ETH unless a
        // price is given. Against the head they run in the context of the next
        // block (as hardhat and anvil do), so `block.number` and
        // `block.timestamp` are those a transaction sent now would see.
        let block_env = if number == self.head_number() {
            self.block_env(number + 1, self.peek_next_timestamp(), 0)
        } else {
            self.block_env(block.header.number, block.header.timestamp, 0)
        };
        let env = self.call_env(request, gas);
        let later = self.later_diffs(number);
        let blocks = &self.blocks;
        let hashes = |n: u64| blocks.get(n as usize).map(|b| b.hash).unwrap_or_default();
        let executed = execute(&self.state, &hashes, self.cfg_env(true), block_env, self.contracts, env, &later)
            .map_err(|error| CallFailure::Invalid(evm_error_text(&error)))?;
        let gas_used = executed.result.tx_gas_used();
        match executed.result {
            ExecutionResult::Success { output, .. } => Ok(CallOutcome { gas_used, output: output.into_data() }),
            ExecutionResult::Revert { output, .. } => {
                Err(CallFailure::Reverted { reason: crate::precompile::decode_revert_reason(&output), data: output })
            }
            ExecutionResult::Halt { reason, .. } => Err(CallFailure::Halted(halt_text(&reason))),
        }
    }

    /// The least gas with which the call succeeds (binary search, as geth).
    pub fn estimate_gas(&self, request: &TransactionRequest, number: u64) -> Result<u64, CallFailure> {
        let mut high = request.gas.unwrap_or(self.gas_limit.min(TX_GAS_LIMIT_CAP));
        let price = request.max_fee_per_gas.or(request.gas_price).unwrap_or(0);
        if price > 0 {
            let balance = self
                .with_view(number, |view| view.record(&request.from.unwrap_or_default()).map(|r| r.balance))
                .ok_or(CallFailure::UnknownBlock)?
                .unwrap_or_default();
            let available = balance.saturating_sub(request.value.unwrap_or_default()) / U256::from(price);
            high = high.min(u64::try_from(available).unwrap_or(u64::MAX));
        }
        let first = self.call_with_gas(request, number, high)?;
        let mut low = first.gas_used.saturating_sub(1);
        // An optimistic guess first: most calls need what they used plus the 1/64 reserve.
        let guess = (first.gas_used + 2_300) * 64 / 63;
        if guess < high {
            if self.call_with_gas(request, number, guess).is_ok() {
                high = guess;
            } else {
                low = guess;
            }
        }
        while low + 1 < high {
            let middle = low + (high - low) / 2;
            if self.call_with_gas(request, number, middle).is_ok() {
                high = middle;
            } else {
                low = middle;
            }
        }
        Ok(high)
    }

    /// Adds seconds to the clock of future blocks; returns the total offset.
    pub fn increase_time(&mut self, seconds: i64) -> Result<i64, ChainError> {
        self.time_offset += seconds;
        self.persist_meta()?;
        Ok(self.time_offset)
    }

    /// Stores the head and clock offset without a new block.
    fn persist_meta(&mut self) -> Result<(), ChainError> {
        let dirty = self.state.take_dirty();
        self.commit_store(dirty, None)
    }

    /// Fixes the next block's timestamp (it must not precede the head's).
    pub fn set_next_timestamp(&mut self, timestamp: u64) -> Result<(), String> {
        let parent = self.head().header.timestamp;
        if timestamp < parent {
            return Err(format!("timestamp {timestamp} is lower than the previous block's timestamp {parent}"));
        }
        self.time_offset = timestamp as i64 - unix_now() as i64;
        self.next_timestamp = Some(timestamp);
        self.persist_meta().map_err(|error| error.to_string())
    }

    /// Saves the current head; returns the snapshot id.
    pub fn snapshot(&mut self) -> u64 {
        let id = self.next_snapshot_id;
        self.next_snapshot_id += 1;
        self.snapshots.push(Snapshot {
            id,
            head: self.head_number(),
            time_offset: self.time_offset,
            next_timestamp: self.next_timestamp,
            edits: StateEdits::capture(&self.state, &self.pending_diff),
        });
        id
    }

    /// Returns to snapshot `id` (dropping it and every later one); false if unknown.
    pub fn revert(&mut self, id: u64) -> Result<bool, ChainError> {
        let Some(position) = self.snapshots.iter().position(|s| s.id == id) else {
            return Ok(false);
        };
        let snapshot = self.snapshots[position].clone();
        self.snapshots.truncate(position);
        let old_head = self.head_number();
        self.state.undo(&std::mem::take(&mut self.pending_diff));
        while self.head_number() > snapshot.head {
            let block = self.blocks.pop().expect("above the snapshot");
            self.unindex_block(&block);
            self.state.undo(&block.diff);
        }
        snapshot.edits.apply(&mut self.state, &mut self.pending_diff);
        self.pool.clear();
        self.time_offset = snapshot.time_offset;
        self.next_timestamp = snapshot.next_timestamp;
        let dirty = self.state.take_dirty();
        let removed = (old_head > snapshot.head).then_some((snapshot.head + 1, old_head));
        self.commit_store(dirty, removed)?;
        Ok(true)
    }

    /// Re-executes every block from a fresh genesis and returns the state
    /// root it arrives at (which must equal the head's).
    pub fn replay_state_root(&self, genesis: &GenesisConfig) -> Result<B256, ChainError> {
        let mut config = genesis.clone();
        config.chain_id = self.chain_id;
        let (mut state, genesis_block) = build_genesis(&config, self.blocks[0].header.timestamp)?;
        if genesis_block.hash != self.blocks[0].hash {
            return Err(ChainError::Config("genesis configuration does not match the stored chain".into()));
        }
        let blocks = &self.blocks;
        let hashes = |n: u64| blocks.get(n as usize).map(|b| b.hash).unwrap_or_default();
        for block in &self.blocks[1..] {
            let header = &block.header;
            let block_env =
                self.block_env(header.number, header.timestamp, header.base_fee_per_gas.unwrap_or_default());
            let mut diff = StateDiff::default();
            block.edits.apply(&mut state, &mut diff);
            for tx in &block.transactions {
                let executed = execute(
                    &state,
                    &hashes,
                    self.cfg_env(false),
                    block_env.clone(),
                    self.contracts,
                    tx_env(&tx.envelope, tx.sender),
                    &[],
                )
                .map_err(|error| ChainError::Replay(format!("block {}: {}", header.number, evm_error_text(&error))))?;
                state.apply_evm_state(executed.state, &mut diff);
            }
            let root = state.state_root();
            if root != header.state_root {
                return Err(ChainError::Replay(format!(
                    "block {}: replayed state root {root} differs from the stored {}",
                    header.number, header.state_root
                )));
            }
        }
        Ok(state.state_root())
    }
}

fn halt_text(reason: &revm::context_interface::result::HaltReason) -> String {
    use revm::context_interface::result::{HaltReason, OutOfGasError};
    match reason {
        HaltReason::OutOfGas(OutOfGasError::Basic | OutOfGasError::Precompile) => "out of gas".into(),
        HaltReason::OutOfGas(kind) => format!("out of gas ({kind:?})"),
        other => format!("execution halted: {other:?}"),
    }
}
