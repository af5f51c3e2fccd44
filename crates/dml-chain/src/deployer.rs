//! The genesis deployer at work: real transactions from the keyless
//! [`GENESIS_DEPLOYER`] (creations with their constructors, and calls),
//! executed one after the other on the genesis state before block 0 is
//! sealed, at nonces counted by the state itself.
//!
//! Their logs are kept: they become block 0's logs (see
//! [`crate::block::BlockRecord::genesis_logs`]) beside the engine's.

use alloy_primitives::{Address, Bytes, Log, TxKind, B256, U256};
use dml_engine::ContractAddresses;
use revm::context::{BlockEnv, CfgEnv, TxEnv};
use revm::context_interface::result::{ExecutionResult, Output};

use crate::{
    chain::{execute, SPEC, TX_GAS_LIMIT_CAP},
    governance::GENESIS_DEPLOYER,
    state::{StateDiff, WorldState},
};

/// Sends the genesis transactions: every one must succeed.
pub(crate) struct GenesisDeployer<'a> {
    state: &'a mut WorldState,
    diff: &'a mut StateDiff,
    logs: &'a mut Vec<Log>,
    cfg: CfgEnv,
    block: BlockEnv,
    contracts: ContractAddresses,
    chain_id: u64,
    gas_limit: u64,
    /// Who sends the transactions: [`GENESIS_DEPLOYER`] unless changed.
    caller: Address,
}

impl<'a> GenesisDeployer<'a> {
    /// A deployer on the genesis `state` at `timestamp`, recording changes in
    /// `diff` and the transactions' logs in `logs`.
    pub(crate) fn new(
        state: &'a mut WorldState,
        diff: &'a mut StateDiff,
        logs: &'a mut Vec<Log>,
        chain_id: u64,
        timestamp: u64,
        gas_limit: u64,
        contracts: ContractAddresses,
    ) -> Self {
        let mut cfg = CfgEnv::new_with_spec(SPEC);
        cfg.chain_id = chain_id;
        let block = BlockEnv {
            number: U256::ZERO,
            timestamp: U256::from(timestamp),
            gas_limit,
            basefee: 0,
            ..Default::default()
        };
        Self {
            state,
            diff,
            logs,
            cfg,
            block,
            contracts,
            chain_id,
            gas_limit: TX_GAS_LIMIT_CAP.min(gas_limit),
            caller: GENESIS_DEPLOYER,
        }
    }

    /// Sends the following transactions from `caller` (another keyless account).
    pub(crate) fn set_caller(&mut self, caller: Address) {
        self.caller = caller;
    }

    /// The native contracts' addresses.
    pub(crate) fn contracts(&self) -> ContractAddresses {
        self.contracts
    }

    /// The genesis block's timestamp, as the transactions see it.
    pub(crate) fn timestamp(&self) -> U256 {
        self.block.timestamp
    }

    /// The deployer's next nonce.
    pub(crate) fn nonce(&self) -> u64 {
        self.state.account(&self.caller).map_or(0, |account| account.nonce)
    }

    /// Runs a creation of `code` (creation code and constructor arguments);
    /// returns the new contract's address. `name` is for the error.
    pub(crate) fn create(&mut self, name: &str, code: Bytes) -> Result<Address, String> {
        match self.transact(TxKind::Create, U256::ZERO, code) {
            Ok(Output::Create(_, Some(created))) => Ok(created),
            Ok(other) => Err(format!("deploying the {name} created nothing: {other:?}")),
            Err(why) => Err(format!("deploying the {name} failed: {why}")),
        }
    }

    /// Calls `to` with `value` wei and `data`; returns the return data.
    /// `what` is for the error.
    pub(crate) fn call(&mut self, what: &str, to: Address, value: U256, data: Vec<u8>) -> Result<Bytes, String> {
        match self.transact(TxKind::Call(to), value, data.into()) {
            Ok(output) => Ok(output.into_data()),
            Err(why) => Err(format!("{what} failed: {why}")),
        }
    }

    fn transact(&mut self, kind: TxKind, value: U256, data: Bytes) -> Result<Output, String> {
        let tx = TxEnv {
            caller: self.caller,
            kind,
            value,
            data,
            nonce: self.nonce(),
            gas_limit: self.gas_limit,
            gas_price: 0,
            chain_id: Some(self.chain_id),
            ..Default::default()
        };
        let no_hashes = |_: u64| B256::ZERO;
        let executed = execute(self.state, &no_hashes, self.cfg.clone(), self.block.clone(), self.contracts, tx, &[])
            .map_err(|error| error.to_string())?;
        let output = match executed.result {
            ExecutionResult::Success { output, logs, .. } => {
                self.logs.extend(logs);
                output
            }
            ExecutionResult::Revert { output, .. } => {
                let reason = dml_governance::decode_revert(&output).unwrap_or_else(|| format!("revert data {output}"));
                return Err(format!("reverted: {reason}"));
            }
            ExecutionResult::Halt { reason, .. } => return Err(format!("halted: {reason:?}")),
        };
        self.state.apply_evm_state(executed.state, self.diff);
        Ok(output)
    }
}
