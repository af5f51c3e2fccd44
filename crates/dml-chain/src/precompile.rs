//! The engine and the DML token as stateful precompiles.
//!
//! A call to either fixed address runs `dml_engine::call` with a [`Storage`]
//! adapter over revm's journal, so the engine's slots are the account storage
//! of the two addresses: reverts of an enclosing call frame undo them like any
//! other `SSTORE`, and `eth_getStorageAt` shows them. The engine's logs go to
//! the journal under the emitting contract's address, and the call is charged
//! the gas the engine reports, with its storage refund passed on to the
//! transaction (where revm applies the EIP-3529 cap).

use alloy_primitives::{Address, Bytes, Log as EvmLog, LogData, B256, U256};
use dml_engine::{CallContext, CallError, Contract, ContractAddresses, Storage};
use revm::{
    context::Cfg,
    context_interface::{Block, ContextTr, JournalTr},
    handler::{precompile_output_to_interpreter_result, EthPrecompiles, PrecompileProvider},
    interpreter::{CallInputs, InterpreterResult},
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
            Some(contract) => Ok(Some(run_native(context, inputs, contract, self.contracts))),
            None => self.ethereum.run(context, inputs),
        }
    }

    fn warm_addresses(&self) -> &AddressSet {
        &self.addresses
    }
}

/// Storage of the two native contracts, read and written through the journal.
struct JournalStorage<'a, J> {
    journal: &'a mut J,
    contracts: ContractAddresses,
    failure: Option<String>,
}

impl<J> JournalStorage<'_, J> {
    fn address(&self, contract: Contract) -> Address {
        match contract {
            Contract::Engine => self.contracts.engine,
            Contract::Token => self.contracts.token,
        }
    }
}

impl<J: JournalTr> Storage for JournalStorage<'_, J> {
    fn load(&mut self, contract: Contract, slot: U256) -> U256 {
        let address = self.address(contract);
        match self.journal.sload(address, slot) {
            Ok(value) => value.data,
            Err(error) => {
                self.failure.get_or_insert_with(|| format!("storage read failed: {error}"));
                U256::ZERO
            }
        }
    }

    fn store(&mut self, contract: Contract, slot: U256, value: U256) {
        let address = self.address(contract);
        if let Err(error) = self.journal.sstore(address, slot, value) {
            self.failure.get_or_insert_with(|| format!("storage write failed: {error}"));
        }
    }

    fn ecrecover(&mut self, digest: B256, v: u8, r: B256, s: B256) -> Option<Address> {
        // The same secp256k1 recovery the node's `ecrecover` precompile runs.
        dml_engine::ecrecover_k256(digest, v, r, s)
    }
}

fn run_native<CTX: ContextTr>(
    context: &mut CTX,
    inputs: &CallInputs,
    contract: Contract,
    contracts: ContractAddresses,
) -> InterpreterResult {
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
        let journal = context.journal_mut();
        // The journal reads slots only of accounts it has loaded; the engine
        // touches both contracts' storage whichever one was called.
        let mut failure = None;
        for address in [contracts.engine, contracts.token] {
            if let Err(error) = journal.load_account(address) {
                failure.get_or_insert_with(|| format!("account load failed: {error}"));
            }
        }
        let mut storage = JournalStorage { journal, contracts, failure };
        let result = dml_engine::call(&mut storage, &call_context, contract, &calldata);
        if let Some(failure) = storage.failure {
            PrecompileOutput::halt(PrecompileHalt::Other(failure.into()), inputs.reservoir)
        } else {
            match result {
                Ok(outcome) => {
                    for log in outcome.logs {
                        let address = match log.contract {
                            Contract::Engine => contracts.engine,
                            Contract::Token => contracts.token,
                        };
                        context
                            .journal_mut()
                            .log(EvmLog { address, data: LogData::new_unchecked(log.topics, log.data) });
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
