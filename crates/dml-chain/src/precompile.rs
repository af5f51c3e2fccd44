//! The engine and the DML token as stateful precompiles.
//!
//! A call to either fixed address runs `dml_engine::call` with a [`Storage`]
//! adapter over revm's journal, so the engine's slots are the account storage
//! of the two addresses: reverts of an enclosing call frame undo them like any
//! other `SSTORE`, and `eth_getStorageAt` shows them. The engine's logs go to
//! the journal under the emitting contract's address, and the call is charged
//! the gas the engine reports, with its storage refund passed on to the
//! transaction (where revm applies the EIP-3529 cap).
//!
//! The engine's calls into other contracts ([`Storage::call_contract`]) run
//! as a nested call frame over the same revm context: a temporary [`Evm`]
//! around `&mut` the context runs the frame loop revm's handler runs
//! (`frame_init`, `frame_run`, `frame_return_result`), from the engine's
//! address, one level deeper than the engine's own frame, so the callee's
//! state changes and logs roll back if it fails, the call depth limit holds,
//! and a revert of the engine's frame undoes the callee's work with its own.
//! Engine calls made while such a call is in flight (views from the callee;
//! state changes are refused by the engine's reentrancy guard before they
//! could call out again) run in that nested frame's precompiles, which cannot
//! nest a further level.

use alloy_primitives::{Address, Bytes, Log as EvmLog, LogData, B256, U256};
use dml_engine::{CallContext, CallError, Contract, ContractAddresses, ExternalCall, ExternalCallResult, Log, Storage};
use revm::{
    context::{Cfg, Evm},
    context_interface::{context::ContextError, Block, ContextTr, FrameStack, JournalTr, LocalContextTr},
    handler::{
        instructions::EthInstructions, precompile_output_to_interpreter_result, EthFrame, EthPrecompiles, EvmTr,
        FrameResult, ItemOrResult, PrecompileProvider,
    },
    interpreter::{
        interpreter::EthInterpreter, interpreter_action::FrameInit, CallInput, CallInputs, CallScheme, CallValue,
        FrameInput, InterpreterResult, SharedMemory,
    },
    precompile::{PrecompileHalt, PrecompileOutput},
    primitives::{hardfork::SpecId, AddressSet},
};

/// Runtime code placed at the two native contracts: `PUSH1 0 PUSH1 0 REVERT`.
/// The precompile runs instead of it; it exists so that `eth_getCode` and
/// Solidity's `extcodesize` checks see a contract.
pub const NATIVE_CONTRACT_STUB: [u8; 5] = [0x60, 0x00, 0x60, 0x00, 0xfd];

/// Ethereum's precompiles plus the engine and the token.
#[derive(Clone, Debug)]
pub struct DmlPrecompiles {
    ethereum: EthPrecompiles,
    addresses: AddressSet,
    contracts: ContractAddresses,
}

impl DmlPrecompiles {
    /// The precompiles of `spec` plus the native contracts at `contracts`.
    pub fn new(spec: SpecId, contracts: ContractAddresses) -> Self {
        let mut this = Self { ethereum: EthPrecompiles::new(spec), addresses: AddressSet::default(), contracts };
        this.refresh_addresses();
        this
    }

    fn refresh_addresses(&mut self) {
        self.addresses.clone_from(self.ethereum.warm_addresses());
        self.addresses.insert(self.contracts.engine);
        self.addresses.insert(self.contracts.token);
    }

    fn native_contract(&self, address: &Address) -> Option<Contract> {
        if *address == self.contracts.engine {
            Some(Contract::Engine)
        } else if *address == self.contracts.token {
            Some(Contract::Token)
        } else {
            None
        }
    }
}

impl<CTX> PrecompileProvider<CTX> for DmlPrecompiles
where
    CTX: ContextTr<Cfg: Cfg<Spec = SpecId>>,
{
    type Output = InterpreterResult;

    fn set_spec(&mut self, spec: SpecId) -> bool {
        let changed = <EthPrecompiles as PrecompileProvider<CTX>>::set_spec(&mut self.ethereum, spec);
        if changed {
            self.refresh_addresses();
        }
        changed
    }

    fn run(&mut self, context: &mut CTX, inputs: &CallInputs) -> Result<Option<InterpreterResult>, String> {
        match self.native_contract(&inputs.bytecode_address) {
            Some(contract) => Ok(Some(run_native::<CTX, NestedFrame>(context, inputs, contract, self))),
            None => self.ethereum.run(context, inputs),
        }
    }

    fn warm_addresses(&self) -> &AddressSet {
        &self.addresses
    }
}

/// The precompiles inside a call the engine makes into another contract:
/// the same contracts, but an engine call there cannot call out again (the
/// engine's guard refuses a state change before it would, and views never
/// call out); a separate type so that the nesting is finite.
#[derive(Clone, Debug)]
struct InCallPrecompiles(DmlPrecompiles);

impl<CTX> PrecompileProvider<CTX> for InCallPrecompiles
where
    CTX: ContextTr<Cfg: Cfg<Spec = SpecId>>,
{
    type Output = InterpreterResult;

    fn set_spec(&mut self, spec: SpecId) -> bool {
        <DmlPrecompiles as PrecompileProvider<CTX>>::set_spec(&mut self.0, spec)
    }

    fn run(&mut self, context: &mut CTX, inputs: &CallInputs) -> Result<Option<InterpreterResult>, String> {
        match self.0.native_contract(&inputs.bytecode_address) {
            Some(contract) => Ok(Some(run_native::<CTX, NoCalls>(context, inputs, contract, &self.0))),
            None => self.0.ethereum.run(context, inputs),
        }
    }

    fn warm_addresses(&self) -> &AddressSet {
        &self.0.addresses
    }
}

/// How a native contract's host runs the engine's calls into other contracts.
trait CallRunner<CTX> {
    /// Runs `call` from `caller` over `context`; `Err` is a failure of the
    /// node (a database error), not of the callee.
    fn run(
        context: &mut CTX,
        precompiles: &DmlPrecompiles,
        caller: Address,
        is_static: bool,
        call: &ExternalCall<'_>,
    ) -> Result<ExternalCallResult, String>;
}

/// A nested call frame over the same context (see the module docs).
struct NestedFrame;

/// No calls: the engine call runs inside another one's external call.
struct NoCalls;

impl<CTX> CallRunner<CTX> for NoCalls {
    fn run(
        _: &mut CTX,
        _: &DmlPrecompiles,
        _: Address,
        _: bool,
        _: &ExternalCall<'_>,
    ) -> Result<ExternalCallResult, String> {
        Err("the engine called out from inside its own external call".into())
    }
}

impl<CTX> CallRunner<CTX> for NestedFrame
where
    CTX: ContextTr<Cfg: Cfg<Spec = SpecId>>,
{
    fn run(
        context: &mut CTX,
        precompiles: &DmlPrecompiles,
        caller: Address,
        is_static: bool,
        call: &ExternalCall<'_>,
    ) -> Result<ExternalCallResult, String> {
        // The callee's code, loaded (and warmed) as `CALL` loads it, through an EIP-7702 delegation.
        let journal = context.journal_mut();
        let info =
            &journal.load_account_with_code(call.target).map_err(|e| format!("account load failed: {e}"))?.data.info;
        let mut known_bytecode = (info.code_hash(), info.code.clone().unwrap_or_default());
        if let Some(delegate) = known_bytecode.1.eip7702_address() {
            let info =
                &journal.load_account_with_code(delegate).map_err(|e| format!("account load failed: {e}"))?.data.info;
            known_bytecode = (info.code_hash(), info.code.clone().unwrap_or_default());
        }
        // Inside the engine's frame the journal is one checkpoint deeper than
        // that frame: the depth of a frame the engine's frame calls.
        let depth = journal.depth();
        let spec = context.cfg().spec();
        // The nested frames' memory lies past the calling frames' in the
        // context's shared buffer, which call inputs in memory refer to.
        let mut calling_memory = SharedMemory::new_with_buffer(context.local().shared_memory_buffer().clone());
        let mut memory = calling_memory.new_child_context();
        memory.set_memory_limit(context.cfg().memory_limit());
        let inputs = CallInputs {
            input: CallInput::Bytes(Bytes::copy_from_slice(call.calldata)),
            return_memory_offset: 0..0,
            gas_limit: call.gas_limit,
            bytecode_address: call.target,
            known_bytecode,
            target_address: call.target,
            caller,
            value: CallValue::Transfer(call.value),
            scheme: CallScheme::Call,
            is_static,
            // No state-gas reservoir (EIP-8037) before Amsterdam.
            reservoir: 0,
            charged_new_account_state_gas: false,
        };
        let first = FrameInit { depth, memory, frame_input: FrameInput::Call(Box::new(inputs)) };
        let instructions = EthInstructions::<EthInterpreter, &mut CTX>::new_mainnet_with_spec(spec);
        // Frames are made as the calls nest (no preallocated ones: most callees call nobody).
        let mut evm = Evm {
            ctx: &mut *context,
            inspector: (),
            instruction: instructions,
            precompiles: InCallPrecompiles(precompiles.clone()),
            frame_stack: FrameStack::<EthFrame<EthInterpreter>>::new(),
        };
        let result = run_frames(&mut evm, first);
        drop(evm);
        calling_memory.free_child_context();
        let result = result.map_err(|error| match error {
            ContextError::Db(error) => format!("nested call failed: {error}"),
            ContextError::Custom(error) => format!("nested call failed: {error}"),
        })?;
        let FrameResult::Call(outcome) = result else { unreachable!("a call frame returns a call outcome") };
        let InterpreterResult { result, gas, output } = outcome.result;
        let returned_gas = result.is_ok_or_revert();
        Ok(ExternalCallResult {
            success: result.is_ok(),
            output: if returned_gas { output } else { Bytes::new() },
            gas_used: if returned_gas { call.gas_limit - gas.remaining().min(call.gas_limit) } else { call.gas_limit },
            gas_refund: if result.is_ok() { gas.refunded() } else { 0 },
        })
    }
}

/// revm's `Handler::run_exec_loop`: runs `first` and every frame it calls to the end.
fn run_frames<E>(evm: &mut E, first: FrameInit) -> Result<FrameResult, revm::handler::evm::ContextDbError<E::Context>>
where
    E: EvmTr<Frame = EthFrame<EthInterpreter>>,
{
    if let ItemOrResult::Result(result) = evm.frame_init(first)? {
        return Ok(result);
    }
    loop {
        let result = match evm.frame_run()? {
            ItemOrResult::Item(init) => match evm.frame_init(init)? {
                ItemOrResult::Item(_) => continue,
                ItemOrResult::Result(result) => result,
            },
            ItemOrResult::Result(result) => result,
        };
        if let Some(result) = evm.frame_return_result(result)? {
            return Ok(result);
        }
    }
}

/// The storage of the two native contracts, through the context's journal,
/// and the host's other services to the engine: transient storage, code
/// sizes, and calls into other contracts (by `R`).
struct JournalStorage<'a, CTX, R> {
    context: &'a mut CTX,
    precompiles: &'a DmlPrecompiles,
    /// The engine's caller for its own calls: the engine.
    caller: Address,
    is_static: bool,
    failure: Option<String>,
    runner: core::marker::PhantomData<R>,
}

impl<CTX, R> JournalStorage<'_, CTX, R> {
    fn address(&self, contract: Contract) -> Address {
        let contracts = self.precompiles.contracts;
        match contract {
            Contract::Engine => contracts.engine,
            Contract::Token => contracts.token,
        }
    }

    fn fail(&mut self, failure: String) {
        self.failure.get_or_insert(failure);
    }
}

impl<CTX: ContextTr, R: CallRunner<CTX>> Storage for JournalStorage<'_, CTX, R> {
    fn load(&mut self, contract: Contract, slot: U256) -> U256 {
        let address = self.address(contract);
        match self.context.journal_mut().sload(address, slot) {
            Ok(value) => value.data,
            Err(error) => {
                self.fail(format!("storage read failed: {error}"));
                U256::ZERO
            }
        }
    }

    fn store(&mut self, contract: Contract, slot: U256, value: U256) {
        let address = self.address(contract);
        if let Err(error) = self.context.journal_mut().sstore(address, slot, value) {
            self.fail(format!("storage write failed: {error}"));
        }
    }

    fn ecrecover(&mut self, digest: B256, v: u8, r: B256, s: B256) -> Option<Address> {
        // The same secp256k1 recovery the node's `ecrecover` precompile runs.
        dml_engine::ecrecover_k256(digest, v, r, s)
    }

    fn transient_load(&mut self, contract: Contract, slot: U256) -> U256 {
        let address = self.address(contract);
        self.context.journal_mut().tload(address, slot)
    }

    fn transient_store(&mut self, contract: Contract, slot: U256, value: U256) {
        let address = self.address(contract);
        self.context.journal_mut().tstore(address, slot, value);
    }

    fn code_size(&mut self, account: Address) -> usize {
        match self.context.journal_mut().load_account_with_code(account) {
            Ok(account) => account.data.info.code.as_ref().map_or(0, |code| code.len()),
            Err(error) => {
                self.fail(format!("account load failed: {error}"));
                0
            }
        }
    }

    fn call_contract(&mut self, call: &ExternalCall<'_>) -> ExternalCallResult {
        if self.failure.is_some() {
            return ExternalCallResult::default();
        }
        for log in call.logs {
            emit(self.context, self.precompiles.contracts, log.clone());
        }
        match R::run(self.context, self.precompiles, self.caller, self.is_static, call) {
            Ok(result) => result,
            Err(failure) => {
                self.fail(failure);
                ExternalCallResult::default()
            }
        }
    }
}

fn emit<CTX: ContextTr>(context: &mut CTX, contracts: ContractAddresses, log: Log) {
    let address = match log.contract {
        Contract::Engine => contracts.engine,
        Contract::Token => contracts.token,
    };
    context.journal_mut().log(EvmLog { address, data: LogData::new_unchecked(log.topics, log.data) });
}

fn run_native<CTX: ContextTr, R: CallRunner<CTX>>(
    context: &mut CTX,
    inputs: &CallInputs,
    contract: Contract,
    precompiles: &DmlPrecompiles,
) -> InterpreterResult {
    let contracts = precompiles.contracts;
    let calldata = inputs.input.bytes(context);
    let output = if inputs.target_address != inputs.bytecode_address {
        // DELEGATECALL / CALLCODE would run the engine over the caller's storage.
        revert_output("native contracts cannot be delegatecalled", 0, inputs.reservoir)
    } else {
        let block_number = saturating_u64(context.block().number());
        let timestamp = saturating_u64(context.block().timestamp());
        let chain_id = context.cfg().chain_id();
        let call_context = CallContext {
            chain_id,
            sender: inputs.caller,
            value: inputs.value.get(),
            block_number,
            timestamp,
            gas_limit: inputs.gas_limit,
            is_static: inputs.is_static,
            contracts,
        };
        // The journal reads slots only of accounts it has loaded; the engine
        // touches both contracts' storage whichever one was called.
        let mut failure = None;
        for address in [contracts.engine, contracts.token] {
            if let Err(error) = context.journal_mut().load_account(address) {
                failure.get_or_insert_with(|| format!("account load failed: {error}"));
            }
        }
        let mut storage = JournalStorage::<CTX, R> {
            context,
            precompiles,
            caller: contracts.engine,
            is_static: inputs.is_static,
            failure,
            runner: core::marker::PhantomData,
        };
        let result = dml_engine::call(&mut storage, &call_context, contract, &calldata);
        if let Some(failure) = storage.failure {
            PrecompileOutput::halt(PrecompileHalt::Other(failure.into()), inputs.reservoir)
        } else {
            match result {
                Ok(outcome) => {
                    for log in outcome.logs {
                        emit(storage.context, contracts, log);
                    }
                    let mut output = PrecompileOutput::new(outcome.gas_used, outcome.output, inputs.reservoir);
                    output.gas_refunded = i64::try_from(outcome.gas_refund).unwrap_or(i64::MAX);
                    output
                }
                Err(CallError::OutOfGas) => PrecompileOutput::halt(PrecompileHalt::OutOfGas, inputs.reservoir),
                Err(error @ (CallError::Revert { gas_used, .. } | CallError::CustomError { gas_used, .. })) => {
                    PrecompileOutput::revert(gas_used.min(inputs.gas_limit), error.revert_data(), inputs.reservoir)
                }
            }
        }
    };
    precompile_output_to_interpreter_result(output, inputs.gas_limit)
}

fn revert_output(reason: &str, gas_used: u64, reservoir: u64) -> PrecompileOutput {
    let error = CallError::Revert { reason: reason.into(), gas_used };
    PrecompileOutput::revert(gas_used, error.revert_data(), reservoir)
}

fn saturating_u64(value: U256) -> u64 {
    u64::try_from(value).unwrap_or(u64::MAX)
}

/// Revert data of a failed call decoded as an `Error(string)` reason, if it is one.
pub fn decode_revert_reason(data: &Bytes) -> Option<String> {
    use alloy_sol_types::SolError;
    alloy_sol_types::Revert::abi_decode(data).ok().map(|revert| revert.reason)
}
