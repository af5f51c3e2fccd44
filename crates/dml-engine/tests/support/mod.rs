//! A small world around the engine for integration tests: in-memory storage,
//! a clock and block counter, funded accounts, and typed calls.
#![allow(dead_code)]

#[path = "../ops/mod.rs"]
pub mod ops;
#[allow(unused_imports)]
pub use ops::output_cid;

use dml_engine::{
    call, genesis, CallContext, CallError, Contract, ContractAddresses, Genesis, Log, MemoryStorage, Outcome,
    Parameters,
};
use dml_primitives::{Address, Bytes, IDmlToken, IEngine, SolCall, B256, ONE_DML, U256};

pub const START_TIME: u64 = 1_700_000_000;

pub fn dml(n: u64) -> U256 {
    U256::from(n) * ONE_DML
}

pub fn account(i: u8) -> Address {
    Address::repeat_byte(0x10 + i)
}

pub struct World {
    pub storage: MemoryStorage,
    pub contracts: ContractAddresses,
    pub block: u64,
    pub time: u64,
    pub owner: Address,
    pub treasury: Address,
    pub last_logs: Vec<Log>,
}

impl World {
    /// Owner and treasury are distinct; accounts 0..10 hold 10,000 DML each.
    pub fn new() -> Self {
        Self::with_parameters(Parameters::default())
    }

    pub fn with_parameters(parameters: Parameters) -> Self {
        let owner = Address::repeat_byte(0x01);
        let treasury = Address::repeat_byte(0x02);
        let mut config = Genesis::new(owner);
        config.treasury = treasury;
        config.start_time = START_TIME;
        config.parameters = parameters;
        for i in 0..10 {
            config.allocations.push((account(i), dml(10_000)));
        }
        Self::from_genesis(config)
    }

    /// A world started from `config` (its start time is replaced by `START_TIME`).
    pub fn from_genesis(mut config: Genesis) -> Self {
        config.start_time = START_TIME;
        let mut storage = MemoryStorage::new();
        genesis(&mut storage, &config).expect("genesis");
        Self {
            storage,
            contracts: config.contracts,
            block: 1,
            time: START_TIME,
            owner: config.owner,
            treasury: config.treasury,
            last_logs: Vec::new(),
        }
    }

    pub fn ctx(&self, from: Address) -> CallContext {
        CallContext::new(from, self.contracts, self.block, self.time)
    }

    pub fn raw(&mut self, from: Address, target: Contract, data: &[u8]) -> Result<Outcome, CallError> {
        let ctx = self.ctx(from);
        let result = call(&mut self.storage, &ctx, target, data);
        if let Ok(outcome) = &result {
            self.last_logs = outcome.logs.clone();
        }
        result
    }

    /// Calls the engine and decodes the return value; a revert becomes its reason.
    pub fn engine<C: SolCall>(&mut self, from: Address, c: C) -> Result<C::Return, String> {
        let outcome = self.raw(from, Contract::Engine, &c.abi_encode()).map_err(|e| e.to_string())?;
        Ok(C::abi_decode_returns(&outcome.output).expect("return data decodes"))
    }

    pub fn token<C: SolCall>(&mut self, from: Address, c: C) -> Result<C::Return, String> {
        let outcome = self.raw(from, Contract::Token, &c.abi_encode()).map_err(|e| e.to_string())?;
        Ok(C::abi_decode_returns(&outcome.output).expect("return data decodes"))
    }

    /// Expects a revert with exactly `reason`, and checks storage is unchanged.
    pub fn expect_revert<C: SolCall>(&mut self, from: Address, c: C, reason: &str) {
        let before = self.storage.clone();
        let err = self.raw(from, Contract::Engine, &c.abi_encode()).expect_err("call should revert");
        assert_eq!(err.reason(), Some(reason), "wrong revert reason");
        assert_eq!(self.storage, before, "a reverted call changed storage");
    }

    pub fn next_block(&mut self, seconds: u64) {
        self.block += 1;
        self.time += seconds;
    }

    pub fn balance(&mut self, who: Address) -> U256 {
        self.token(who, IDmlToken::balanceOfCall { account: who }).unwrap()
    }

    pub fn total_supply(&mut self) -> U256 {
        self.token(Address::ZERO, IDmlToken::totalSupplyCall {}).unwrap()
    }

    pub fn accrued_fees(&mut self) -> U256 {
        self.engine(Address::ZERO, IEngine::accruedFeesCall {}).unwrap()
    }

    pub fn staked(&mut self, who: Address) -> U256 {
        self.engine(Address::ZERO, IEngine::validatorsCall { addr: who }).unwrap().staked
    }

    /// Sets every window (claim, retraction, vote, unlock) to `seconds`.
    pub fn set_windows(&mut self, seconds: u64) {
        let owner = self.owner;
        let s = U256::from(seconds);
        self.engine(owner, IEngine::setMinClaimSolutionTimeCall { amount_: s }).unwrap();
        self.engine(owner, IEngine::setMinRetractionWaitTimeCall { amount_: s }).unwrap();
        self.engine(owner, IEngine::setMinContestationVotePeriodTimeCall { amount_: s }).unwrap();
        self.engine(owner, IEngine::setExitValidatorMinUnlockTimeCall { amount_: s }).unwrap();
    }

    pub fn register_model(&mut self, from: Address, addr: Address, fee: U256, template: &str) -> B256 {
        self.engine(
            from,
            IEngine::registerModelCall { addr_: addr, fee_: fee, template_: Bytes::from(template.as_bytes().to_vec()) },
        )
        .unwrap()
    }

    pub fn enable_rewards(&mut self, model: B256) {
        let owner = self.owner;
        self.engine(owner, IEngine::setSolutionMineableRateCall { model_: model, rate_: ONE_DML }).unwrap();
    }

    pub fn deposit(&mut self, who: Address, amount: U256) {
        self.engine(who, IEngine::validatorDepositCall { validator_: who, amount_: amount }).unwrap();
    }

    pub fn submit_task(&mut self, from: Address, model: B256, fee: U256, input: &str) -> B256 {
        self.engine(
            from,
            IEngine::submitTaskCall {
                version_: 0,
                owner_: from,
                model_: model,
                fee_: fee,
                input_: Bytes::from(input.as_bytes().to_vec()),
            },
        )
        .unwrap()
    }

    pub fn commit(&mut self, solver: Address, task: B256, cid: &Bytes) {
        let commitment = self
            .engine(solver, IEngine::generateCommitmentCall { sender_: solver, taskid_: task, cid_: cid.clone() })
            .unwrap();
        self.engine(solver, IEngine::signalCommitmentCall { commitment_: commitment }).unwrap();
    }

    /// Commit in this block, reveal in the next.
    pub fn solve(&mut self, solver: Address, task: B256, cid: &Bytes) {
        self.commit(solver, task, cid);
        self.next_block(1);
        self.engine(solver, IEngine::submitSolutionCall { taskid_: task, cid_: cid.clone() }).unwrap();
    }

    pub fn claim(&mut self, task: B256) -> Result<(), String> {
        self.engine(account(9), IEngine::claimSolutionCall { taskid_: task }).map(|_| ())
    }

    pub fn emitted(&mut self) -> U256 {
        self.engine(Address::ZERO, IEngine::totalEmittedCall {}).unwrap()
    }
}
