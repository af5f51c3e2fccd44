//! A bare in-memory EVM (revm, no dev chain) that runs one transaction per
//! block at a timestamp the test chooses, and the test-only `RewardSource`
//! and `MockDmlEngine` fixtures.

// Each test binary uses its own subset of these helpers.
#![allow(dead_code)]

pub mod mock_engine;
pub mod reward_source;

use std::collections::HashMap;

use alloy_primitives::{Address, Bytes, Log, TxKind, U256};
use alloy_sol_types::SolCall;
use revm::{
    context::{result::ExecutionResult, ContextTr, TxEnv},
    database::{CacheDB, EmptyDB},
    handler::MainnetContext,
    primitives::hardfork::SpecId,
    state::AccountInfo,
    Context, ExecuteCommitEvm, ExecuteEvm, MainBuilder, MainContext, MainnetEvm,
};

/// Below EIP-7825's per-transaction cap, above what deploying the Governor takes.
const GAS_LIMIT: u64 = 16_000_000;

/// What a reverted transaction or call returned.
#[derive(Debug)]
pub struct Reverted(pub Bytes);

/// The EVM and each sender's next nonce.
pub struct Evm {
    evm: MainnetEvm<MainnetContext<CacheDB<EmptyDB>>>,
    nonces: HashMap<Address, u64>,
    /// The timestamp of the next block.
    pub now: u64,
    number: u64,
}

impl Evm {
    /// A fresh chain at `spec`, whose first block is at `start` (unix seconds).
    pub fn new(spec: SpecId, start: u64) -> Self {
        let evm = Context::mainnet()
            .with_db(CacheDB::new(EmptyDB::default()))
            .modify_cfg_chained(|cfg| cfg.set_spec_and_mainnet_gas_params(spec))
            .build_mainnet();
        Self { evm, nonces: HashMap::new(), now: start, number: 1 }
    }

    /// The address `sender`'s next contract creation gets.
    pub fn next_create_address(&self, sender: Address, ahead: u64) -> Address {
        sender.create(self.nonce(sender) + ahead)
    }

    fn nonce(&self, sender: Address) -> u64 {
        self.nonces.get(&sender).copied().unwrap_or(0)
    }

    /// Gives `account` (an externally owned account) `balance` wei.
    pub fn fund(&mut self, account: Address, balance: U256) {
        let info = AccountInfo { balance, nonce: self.nonce(account), ..Default::default() };
        self.evm.ctx.db_mut().insert_account_info(account, info);
    }

    /// Sends an ABI-encoded call with `value` wei; its return data and logs, or its revert data.
    pub fn transact_value<C: SolCall>(
        &mut self,
        from: Address,
        to: Address,
        value: U256,
        call: C,
    ) -> Result<(C::Return, Vec<Log>), Reverted> {
        let mut tx = self.tx(from, TxKind::Call(to), call.abi_encode().into());
        tx.value = value;
        let result = self.evm.transact_commit(tx).expect("the transaction is valid");
        *self.nonces.entry(from).or_default() += 1;
        self.number += 1;
        match result {
            ExecutionResult::Success { output, logs, .. } => {
                Ok((C::abi_decode_returns(output.data()).expect("the return data decodes"), logs))
            }
            ExecutionResult::Revert { output, .. } => Err(Reverted(output)),
            ExecutionResult::Halt { reason, .. } => panic!("halted: {reason:?}"),
        }
    }

    fn tx(&mut self, from: Address, kind: TxKind, data: Bytes) -> TxEnv {
        self.evm.ctx.block.timestamp = U256::from(self.now);
        self.evm.ctx.block.number = U256::from(self.number);
        self.evm.ctx.block.gas_limit = GAS_LIMIT;
        TxEnv { caller: from, kind, data, gas_limit: GAS_LIMIT, nonce: self.nonce(from), ..Default::default() }
    }

    /// Sends a transaction in a new block at `self.now`; its logs, or its revert data.
    pub fn send(&mut self, from: Address, kind: TxKind, data: Bytes) -> Result<(Bytes, Vec<Log>), Reverted> {
        let tx = self.tx(from, kind, data);
        let result = self.evm.transact_commit(tx).expect("the transaction is valid");
        *self.nonces.entry(from).or_default() += 1;
        self.number += 1;
        match result {
            ExecutionResult::Success { output, logs, .. } => {
                let data = match output.address() {
                    Some(address) => Bytes::copy_from_slice(address.as_slice()),
                    None => output.into_data(),
                };
                Ok((data, logs))
            }
            ExecutionResult::Revert { output, .. } => Err(Reverted(output)),
            ExecutionResult::Halt { reason, .. } => panic!("halted: {reason:?}"),
        }
    }

    /// Deploys `code` (creation code and constructor arguments) from `from`.
    pub fn deploy(&mut self, from: Address, code: Bytes) -> Address {
        let expected = self.next_create_address(from, 0);
        let (created, _) = self.send(from, TxKind::Create, code).unwrap_or_else(|r| panic!("deploy reverted: {r:?}"));
        let created = Address::from_slice(&created);
        assert_eq!(created, expected);
        created
    }

    /// Sends an ABI-encoded call; its logs, or its revert data.
    pub fn transact<C: SolCall>(&mut self, from: Address, to: Address, call: C) -> Result<Vec<Log>, Reverted> {
        self.send(from, TxKind::Call(to), call.abi_encode().into()).map(|(_, logs)| logs)
    }

    /// Runs a call against the state as of the next block, without changing it.
    pub fn call<C: SolCall>(&mut self, to: Address, call: C) -> Result<C::Return, Reverted> {
        let tx = self.tx(Address::ZERO, TxKind::Call(to), call.abi_encode().into());
        let result = self.evm.transact(tx).expect("the call is valid").result;
        match result {
            ExecutionResult::Success { output, .. } => {
                Ok(C::abi_decode_returns(output.data()).expect("the return data decodes"))
            }
            ExecutionResult::Revert { output, .. } => Err(Reverted(output)),
            ExecutionResult::Halt { reason, .. } => panic!("call halted: {reason:?}"),
        }
    }
}
