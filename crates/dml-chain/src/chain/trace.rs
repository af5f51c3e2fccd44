//! Re-execution under an inspector: geth's `debug_traceTransaction`,
//! `debug_traceCall` and `debug_traceBlockBy*`, parity's
//! `trace_transaction`, and `eth_createAccessList`.
//!
//! A mined transaction is traced by replaying its block: the state after
//! the parent block, the block's own state edits (`anvil_set*` made before
//! it), then each earlier transaction of the block with the block's
//! environment, all in an [`Overlay`] over the chain's state that applies a
//! transaction's changes by the same rules as
//! [`WorldState`](crate::state::WorldState), so the replay
//! arrives where mining did. The engine and the token are precompiles, and
//! revm reports precompile calls to the inspector like any other call frame
//! (with their input, output, gas and logs), so they show in every tracer.

use std::collections::{HashMap, HashSet};

use alloy_eips::eip2930::{AccessList, AccessListResult};
use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use alloy_rpc_types_eth::{state::StateOverride, BlockOverrides, TransactionInfo, TransactionRequest};
use alloy_rpc_types_trace::{
    geth::{GethDebugTracingCallOptions, GethDebugTracingOptions, GethTrace, TraceResult},
    parity::LocalizedTransactionTrace,
};
use alloy_trie::KECCAK_EMPTY;
use revm::{
    bytecode::Bytecode,
    context::{BlockEnv, CfgEnv, Context, TxEnv},
    context_interface::result::{EVMError, ExecutionResult, InvalidTransaction, ResultAndState},
    database_interface::WrapDatabaseRef,
    handler::MainnetContext,
    inspector::NoOpInspector,
    state::{AccountInfo, EvmState},
    DatabaseRef, InspectEvm, Inspector, MainBuilder, MainContext,
};
use revm_inspectors::{
    access_list::AccessListInspector,
    tracing::{DebugInspector, DebugInspectorError, TracingInspector, TracingInspectorConfig, TransactionContext},
};

use super::{evm_error_text, halt_text, tx_env, Chain, StateEdits, SPEC, TX_GAS_LIMIT_CAP};
use crate::{
    block::BlockRecord,
    precompile::DmlPrecompiles,
    state::{AccountRecord, StateDiff, StateReadError, StateView},
};

/// Why a trace (or an access list) could not be made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TraceError {
    /// No mined transaction has the hash.
    #[error("transaction not found")]
    TransactionNotFound,
    /// The block does not exist.
    #[error("header not found")]
    UnknownBlock,
    /// The tracer, its configuration or the overrides are not usable.
    #[error("{0}")]
    InvalidParams(String),
    /// The transaction or call could not start (nonce, funds, fees, gas).
    #[error("{0}")]
    Invalid(String),
    /// Replaying the block failed where mining it had not.
    #[error("replay failed: {0}")]
    Replay(String),
}

/// Checks tracing options without running anything: an unknown tracer name
/// or a `tracerConfig` the tracer cannot read is refused up front.
pub fn check_options(options: &GethDebugTracingOptions) -> Result<(), TraceError> {
    new_inspector(options).map(|_| ())
}

fn new_inspector(options: &GethDebugTracingOptions) -> Result<DebugInspector, TraceError> {
    let name = options.tracer.as_ref().map(|tracer| tracer.as_str().to_string());
    DebugInspector::new(options.clone()).map_err(|error| match error {
        DebugInspectorError::InvalidTracerConfig => TraceError::InvalidParams(format!(
            "invalid tracerConfig for {}",
            name.as_deref().unwrap_or("the struct logger")
        )),
        DebugInspectorError::UnsupportedTracer | DebugInspectorError::JsTracerNotEnabled => {
            TraceError::InvalidParams(format!(
                "unsupported tracer type {:?}: use callTracer, prestateTracer, 4byteTracer, flatCallTracer, \
                 muxTracer, noopTracer, erc7562Tracer or none (the struct logger); JavaScript tracers are not supported",
                name.unwrap_or_default()
            ))
        }
        other => TraceError::InvalidParams(other.to_string()),
    })
}

/// The state a traced transaction runs on: the chain's state as of some
/// block (a [`StateView`]), with changes written over it.
pub(crate) struct Overlay<'a> {
    chain: &'a Chain,
    later: Vec<&'a StateDiff>,
    /// Accounts written (`None`: removed).
    accounts: HashMap<Address, Option<AccountRecord>>,
    /// Slots written, per account.
    storage: HashMap<Address, HashMap<U256, U256>>,
    /// Accounts whose storage was wiped (created or self-destructed): slots
    /// not in `storage` read as zero.
    cleared: HashSet<Address>,
    codes: HashMap<B256, Bytes>,
    block_hashes: HashMap<u64, B256>,
}

impl<'a> Overlay<'a> {
    /// The state after block `number` (which must exist).
    fn at(chain: &'a Chain, number: u64) -> Self {
        Self {
            chain,
            later: chain.later_diffs(number),
            accounts: HashMap::new(),
            storage: HashMap::new(),
            cleared: HashSet::new(),
            codes: HashMap::new(),
            block_hashes: HashMap::new(),
        }
    }

    fn view<R>(&self, f: impl FnOnce(&StateView<'_>) -> R) -> R {
        let hashes = |n: u64| self.chain.block(n).map(|b| b.hash).unwrap_or_default();
        f(&StateView { state: &self.chain.state, later_diffs: &self.later, block_hashes: &hashes })
    }

    fn record(&self, address: &Address) -> Option<AccountRecord> {
        match self.accounts.get(address) {
            Some(record) => *record,
            None => self.view(|view| view.record(address)),
        }
    }

    fn slot(&self, address: &Address, slot: &U256) -> U256 {
        if let Some(value) = self.storage.get(address).and_then(|slots| slots.get(slot)) {
            return *value;
        }
        if self.cleared.contains(address) {
            return U256::ZERO;
        }
        self.view(|view| view.slot(address, slot))
    }

    fn code(&self, hash: &B256) -> Option<&Bytes> {
        self.codes.get(hash).or_else(|| self.chain.state.code(hash))
    }

    fn insert_code(&mut self, code: Bytes) -> B256 {
        if code.is_empty() {
            return KECCAK_EMPTY;
        }
        let hash = keccak256(&code);
        self.codes.insert(hash, code);
        hash
    }

    fn set_storage(&mut self, address: Address, slot: U256, value: U256) {
        self.storage.entry(address).or_default().insert(slot, value);
    }

    fn clear_storage(&mut self, address: Address) {
        self.storage.insert(address, HashMap::new());
        self.cleared.insert(address);
    }

    /// Applies one transaction's changes by
    /// [`WorldState::apply_evm_state`](crate::state::WorldState::apply_evm_state)'s rules.
    fn apply(&mut self, changes: EvmState) {
        for (address, account) in changes {
            if !account.is_touched() {
                continue;
            }
            if account.is_selfdestructed() {
                self.clear_storage(address);
                self.accounts.insert(address, None);
                continue;
            }
            if account.is_created() {
                self.clear_storage(address);
            }
            let code_hash = match &account.info.code {
                Some(code) if !code.is_empty() => self.insert_code(code.original_bytes()),
                _ if account.info.code_hash == B256::ZERO => KECCAK_EMPTY,
                _ => account.info.code_hash,
            };
            let record = AccountRecord { balance: account.info.balance, nonce: account.info.nonce, code_hash };
            self.accounts.insert(address, (!record.is_empty()).then_some(record));
            for (slot, value) in account.storage {
                if value.is_changed() {
                    self.set_storage(address, slot, value.present_value());
                }
            }
        }
    }

    /// Applies a block's state edits (as [`StateEdits::apply`] does).
    fn apply_edits(&mut self, edits: &StateEdits) {
        for code in &edits.codes {
            self.insert_code(code.clone());
        }
        for (address, record) in &edits.accounts {
            self.accounts.insert(*address, *record);
        }
        for (address, slots) in &edits.storage {
            for (slot, value) in slots {
                self.set_storage(*address, *slot, *value);
            }
        }
    }

    /// Applies `eth_call`-style state overrides.
    fn apply_overrides(&mut self, overrides: &StateOverride) -> Result<(), TraceError> {
        for (address, account) in overrides {
            if account.move_precompile_to.is_some() {
                return Err(TraceError::InvalidParams("movePrecompileToAddress is not supported".into()));
            }
            if account.state.is_some() && account.state_diff.is_some() {
                return Err(TraceError::InvalidParams(format!("account {address} has both 'state' and 'stateDiff'")));
            }
            let mut record = self.record(address).unwrap_or(AccountRecord {
                balance: U256::ZERO,
                nonce: 0,
                code_hash: KECCAK_EMPTY,
            });
            if let Some(balance) = account.balance {
                record.balance = balance;
            }
            if let Some(nonce) = account.nonce {
                record.nonce = nonce;
            }
            if let Some(code) = &account.code {
                record.code_hash = self.insert_code(code.clone());
            }
            self.accounts.insert(*address, Some(record));
            if let Some(state) = &account.state {
                self.clear_storage(*address);
                for (slot, value) in state {
                    self.set_storage(*address, (*slot).into(), (*value).into());
                }
            }
            if let Some(diff) = &account.state_diff {
                for (slot, value) in diff {
                    self.set_storage(*address, (*slot).into(), (*value).into());
                }
            }
        }
        Ok(())
    }
}

impl DatabaseRef for Overlay<'_> {
    type Error = StateReadError;

    fn basic_ref(&self, address: Address) -> Result<Option<AccountInfo>, Self::Error> {
        Ok(self.record(&address).map(|record| AccountInfo {
            balance: record.balance,
            nonce: record.nonce,
            code_hash: record.code_hash,
            code: self.code(&record.code_hash).map(|code| Bytecode::new_raw(code.clone())),
            ..Default::default()
        }))
    }

    fn code_by_hash_ref(&self, code_hash: B256) -> Result<Bytecode, Self::Error> {
        Ok(self.code(&code_hash).map(|code| Bytecode::new_raw(code.clone())).unwrap_or_default())
    }

    fn storage_ref(&self, address: Address, index: U256) -> Result<U256, Self::Error> {
        Ok(self.slot(&address, &index))
    }

    fn block_hash_ref(&self, number: u64) -> Result<B256, Self::Error> {
        match self.block_hashes.get(&number) {
            Some(hash) => Ok(*hash),
            None => Ok(self.chain.block(number).map(|b| b.hash).unwrap_or_default()),
        }
    }
}

/// The context a traced transaction runs in.
type TraceContext<'x, 'a> = MainnetContext<WrapDatabaseRef<&'x Overlay<'a>>>;

/// Runs `tx` on `overlay` under `inspector`, without changing the overlay.
fn inspect<'x, 'a, I: Inspector<TraceContext<'x, 'a>>>(
    overlay: &'x Overlay<'a>,
    cfg: CfgEnv,
    block: BlockEnv,
    contracts: dml_engine::ContractAddresses,
    tx: TxEnv,
    inspector: I,
) -> Result<(ResultAndState, I), EVMError<StateReadError, InvalidTransaction>> {
    let mut evm = Context::mainnet()
        .with_cfg(cfg)
        .with_block(block)
        .with_ref_db(overlay)
        .build_mainnet_with_inspector(inspector)
        .with_precompiles(DmlPrecompiles::new(SPEC, contracts));
    let result = evm.inspect_tx(tx)?;
    Ok((result, evm.inspector))
}

/// The inspectors the tracing methods run. (A trait, not a bound on
/// `Inspector`: the context borrows the overlay for a lifetime the callers
/// cannot name, and each concrete inspector's `Inspector` impl covers every
/// context.)
trait Inspect: Sized {
    fn run(
        self,
        overlay: &Overlay<'_>,
        cfg: CfgEnv,
        block: BlockEnv,
        contracts: dml_engine::ContractAddresses,
        tx: TxEnv,
    ) -> Result<(ResultAndState, Self), EVMError<StateReadError, InvalidTransaction>>;
}

macro_rules! inspect_with {
    ($($inspector:ty),*) => {$(
        impl Inspect for $inspector {
            fn run(
                self,
                overlay: &Overlay<'_>,
                cfg: CfgEnv,
                block: BlockEnv,
                contracts: dml_engine::ContractAddresses,
                tx: TxEnv,
            ) -> Result<(ResultAndState, Self), EVMError<StateReadError, InvalidTransaction>> {
                inspect(overlay, cfg, block, contracts, tx, self)
            }
        }
    )*};
}

inspect_with!(DebugInspector, TracingInspector, AccessListInspector, NoOpInspector);

/// A block being replayed one transaction at a time.
struct BlockReplay<'a> {
    chain: &'a Chain,
    block: &'a BlockRecord,
    overlay: Overlay<'a>,
    block_env: BlockEnv,
    next: usize,
}

/// What a traced transaction left, for building its trace.
struct Traced<'r, 'a, I> {
    inspector: I,
    result: &'r ResultAndState,
    tx: &'r TxEnv,
    block_env: &'r BlockEnv,
    /// The state before the transaction.
    overlay: &'r Overlay<'a>,
    /// Hash, index and block of a mined transaction (`None` for a call).
    context: Option<TransactionContext>,
}

impl<'a> BlockReplay<'a> {
    /// The state at the start of block `number`, after its state edits.
    fn new(chain: &'a Chain, number: u64) -> Result<Self, TraceError> {
        let block = chain.block(number).ok_or(TraceError::UnknownBlock)?;
        // The genesis block has no transactions, so nothing is replayed over it.
        let mut overlay = Overlay::at(chain, number.saturating_sub(1));
        if number > 0 {
            overlay.apply_edits(&block.edits);
        }
        let header = &block.header;
        let block_env = chain.block_env(header.number, header.timestamp, header.base_fee_per_gas.unwrap_or_default());
        Ok(Self { chain, block, overlay, block_env, next: 0 })
    }

    /// Executes the next transaction under `inspector`, lets `finish` build
    /// from it before its changes are applied, and applies them.
    fn next_with<I: Inspect, R>(
        &mut self,
        inspector: I,
        finish: impl FnOnce(Traced<'_, 'a, I>) -> R,
    ) -> Result<R, TraceError> {
        let index = self.next;
        let tx = &self.block.transactions[index];
        let env = tx_env(&tx.envelope, tx.sender);
        let (result, inspector) = inspector
            .run(&self.overlay, self.chain.cfg_env(false), self.block_env.clone(), self.chain.contracts, env.clone())
            .map_err(|error| {
                TraceError::Replay(format!(
                    "transaction {} of block {}: {}",
                    index,
                    self.block.header.number,
                    evm_error_text(&error)
                ))
            })?;
        let mined_gas = self.block.receipts[index].gas_used;
        if result.result.tx_gas_used() != mined_gas {
            tracing::warn!(
                block = self.block.header.number,
                index,
                replayed = result.result.tx_gas_used(),
                mined = mined_gas,
                "a replayed transaction used other gas than when it was mined"
            );
        }
        let context =
            TransactionContext::default().with_block_hash(self.block.hash).with_tx_index(index).with_tx_hash(tx.hash());
        let built = finish(Traced {
            inspector,
            result: &result,
            tx: &env,
            block_env: &self.block_env,
            overlay: &self.overlay,
            context: Some(context),
        });
        self.overlay.apply(result.state);
        self.next += 1;
        Ok(built)
    }

    /// Executes the next transaction untraced.
    fn skip(&mut self) -> Result<(), TraceError> {
        self.next_with(NoOpInspector, |_| ())
    }
}

/// The geth trace of a run.
fn geth_trace(traced: Traced<'_, '_, DebugInspector>) -> Result<GethTrace, TraceError> {
    let Traced { mut inspector, result, tx, block_env, overlay, context } = traced;
    let mut db = overlay;
    inspector.get_result(context, tx, block_env, result, &mut db).map_err(|error| TraceError::Replay(error.to_string()))
}

/// The error text geth and anvil give a failed call in `eth_createAccessList`.
fn execution_error(result: &ExecutionResult) -> Option<String> {
    match result {
        ExecutionResult::Success { .. } => None,
        ExecutionResult::Revert { .. } => Some("execution reverted".into()),
        ExecutionResult::Halt { reason, .. } => Some(halt_text(reason)),
    }
}

impl Chain {
    /// `debug_traceTransaction`: re-executes a mined transaction's block up
    /// to it and traces it with the tracer `options` name.
    pub fn trace_transaction(&self, hash: &B256, options: &GethDebugTracingOptions) -> Result<GethTrace, TraceError> {
        let (number, index) = self.tx_location(hash).ok_or(TraceError::TransactionNotFound)?;
        let inspector = new_inspector(options)?;
        let mut replay = BlockReplay::new(self, number)?;
        for _ in 0..index {
            replay.skip()?;
        }
        replay.next_with(inspector, geth_trace)?
    }

    /// `debug_traceBlockByNumber` / `…ByHash`: every transaction of block
    /// `number` traced in order (one replay of the block).
    pub fn trace_block(&self, number: u64, options: &GethDebugTracingOptions) -> Result<Vec<TraceResult>, TraceError> {
        new_inspector(options)?;
        let mut replay = BlockReplay::new(self, number)?;
        let mut traces = Vec::with_capacity(replay.block.transactions.len());
        for tx in &replay.block.transactions {
            let tx_hash = Some(tx.hash());
            let trace = replay.next_with(new_inspector(options)?, geth_trace)?;
            traces.push(match trace {
                Ok(result) => TraceResult::Success { result, tx_hash },
                Err(error) => TraceResult::Error { error: error.to_string(), tx_hash },
            });
        }
        Ok(traces)
    }

    /// `trace_transaction`: the parity-style call traces of a mined
    /// transaction (`None`: no such transaction). Calls into precompiles,
    /// the engine and the token among them, are included.
    pub fn parity_trace_transaction(&self, hash: &B256) -> Result<Option<Vec<LocalizedTransactionTrace>>, TraceError> {
        let Some((number, index)) = self.tx_location(hash) else { return Ok(None) };
        let mut replay = BlockReplay::new(self, number)?;
        for _ in 0..index {
            replay.skip()?;
        }
        let config = TracingInspectorConfig::default_parity().set_exclude_precompile_calls(false);
        let block = replay.block;
        let traces = replay.next_with(TracingInspector::new(config), |traced| {
            let mut inspector = traced.inspector;
            inspector.set_transaction_gas_limit(traced.tx.gas_limit);
            inspector.set_transaction_caller(traced.tx.caller);
            #[allow(clippy::needless_update)]
            let info = TransactionInfo {
                hash: Some(*hash),
                index: Some(index as u64),
                block_hash: Some(block.hash),
                block_number: Some(number),
                base_fee: block.header.base_fee_per_gas,
                ..Default::default()
            };
            inspector.into_parity_builder().into_localized_transaction_traces(info)
        })?;
        Ok(Some(traces))
    }

    /// The state and environment a call at block `number` runs in: the
    /// state after the block, in the next block's context when it is the
    /// head (as `eth_call`); with `tx_index`, the state before that
    /// transaction of the block, in the block's context. Calls pay no base fee.
    fn call_state(&self, number: u64, tx_index: Option<u64>) -> Result<(Overlay<'_>, BlockEnv), TraceError> {
        let block = self.block(number).ok_or(TraceError::UnknownBlock)?;
        match tx_index {
            Some(tx_index) => {
                let count = block.transactions.len();
                let tx_index = usize::try_from(tx_index).unwrap_or(usize::MAX);
                if tx_index >= count {
                    return Err(TraceError::InvalidParams(format!(
                        "tx_index {tx_index} out of bounds for block with {count} transactions"
                    )));
                }
                let mut replay = BlockReplay::new(self, number)?;
                for _ in 0..tx_index {
                    replay.skip()?;
                }
                let mut block_env = replay.block_env;
                block_env.basefee = 0;
                Ok((replay.overlay, block_env))
            }
            None => {
                let block_env = if number == self.head_number() {
                    self.block_env(number + 1, self.peek_next_timestamp(), 0)
                } else {
                    self.block_env(block.header.number, block.header.timestamp, 0)
                };
                Ok((Overlay::at(self, number), block_env))
            }
        }
    }

    /// `debug_traceCall`: traces a call on the state after block `number`
    /// (with the options' state and block overrides and `txIndex`).
    pub fn trace_call(
        &self,
        request: &TransactionRequest,
        number: u64,
        options: &GethDebugTracingCallOptions,
    ) -> Result<GethTrace, TraceError> {
        let inspector = new_inspector(&options.tracing_options)?;
        let (mut overlay, mut block_env) = self.call_state(number, options.tx_index)?;
        if let Some(overrides) = &options.state_overrides {
            overlay.apply_overrides(overrides)?;
        }
        if let Some(overrides) = &options.block_overrides {
            apply_block_overrides(overrides, &mut block_env, &mut overlay);
        }
        let gas = request.gas.unwrap_or(self.gas_limit.min(TX_GAS_LIMIT_CAP));
        let env = self.call_env(request, gas);
        let (result, inspector) =
            inspect(&overlay, self.cfg_env(true), block_env.clone(), self.contracts, env.clone(), inspector)
                .map_err(|error| TraceError::Invalid(evm_error_text(&error)))?;
        geth_trace(Traced {
            inspector,
            result: &result,
            tx: &env,
            block_env: &block_env,
            overlay: &overlay,
            context: None,
        })
    }

    /// `eth_createAccessList`: the accounts and slots a call at block
    /// `number` touches, without the sender, the recipient and the
    /// precompiles (the engine and the token among them), as geth builds
    /// it: rerun with the list found until it no longer grows; `gasUsed` is
    /// that of the call with the final list, and `error` tells a call that
    /// failed.
    pub fn create_access_list(
        &self,
        request: &TransactionRequest,
        number: u64,
        overrides: Option<&StateOverride>,
    ) -> Result<AccessListResult, TraceError> {
        let (mut overlay, block_env) = self.call_state(number, None)?;
        if let Some(overrides) = overrides {
            overlay.apply_overrides(overrides)?;
        }
        let gas = request.gas.unwrap_or(self.gas_limit.min(TX_GAS_LIMIT_CAP));
        let base = self.call_env(request, gas);
        let mut list = request.access_list.clone().unwrap_or_default();
        // Each round can only add entries; a handful settles any real call.
        for _ in 0..16 {
            let mut env = base.clone();
            env.access_list = list.clone();
            if !list.0.is_empty() && env.tx_type == 0 {
                env.tx_type = 1;
            }
            let (result, inspector) = inspect(
                &overlay,
                self.cfg_env(true),
                block_env.clone(),
                self.contracts,
                env,
                AccessListInspector::new(list.clone()),
            )
            .map_err(|error| TraceError::Invalid(evm_error_text(&error)))?;
            let found: AccessList = inspector.into_access_list();
            if found == list {
                return Ok(AccessListResult {
                    access_list: found,
                    gas_used: U256::from(result.result.tx_gas_used()),
                    error: execution_error(&result.result),
                });
            }
            list = found;
        }
        Err(TraceError::Invalid("the access list did not settle".into()))
    }
}

/// Applies `eth_call`-style block overrides to a call's environment.
fn apply_block_overrides(overrides: &BlockOverrides, env: &mut BlockEnv, overlay: &mut Overlay<'_>) {
    if let Some(number) = overrides.number {
        env.number = number;
    }
    if let Some(difficulty) = overrides.difficulty {
        env.difficulty = difficulty;
    }
    if let Some(time) = overrides.time {
        env.timestamp = U256::from(time);
    }
    if let Some(gas_limit) = overrides.gas_limit {
        env.gas_limit = gas_limit;
    }
    if let Some(coinbase) = overrides.coinbase {
        env.beneficiary = coinbase;
    }
    if let Some(random) = overrides.random {
        env.prevrandao = Some(random);
    }
    if let Some(base_fee) = overrides.base_fee {
        env.basefee = u64::try_from(base_fee).unwrap_or(u64::MAX);
    }
    if let Some(hashes) = &overrides.block_hash {
        overlay.block_hashes.extend(hashes.iter().map(|(number, hash)| (*number, *hash)));
    }
}
