//! The DML protocol as a pure, deterministic state machine.
//!
//! The engine is the whole on-chain protocol of the whitepaper (§2–§5) and
//! `DESIGN.md`: the DML token ledger, the model registry, validator staking,
//! tasks with chained ids, commit and reveal, claims with the fee split,
//! retraction, contestations with escrowed slashes and batched settlement,
//! emission along the supply curve, treasury and liquidity accrual, and the
//! owner's parameters. It knows nothing of the chain that hosts it: a host
//! hands it ABI calldata with a [`CallContext`] and a [`Storage`], and gets
//! back return data, logs and gas — or a revert with the reason string a
//! Solidity contract would give. The dev chain (`dml-chain`) and the Arbitrum
//! Stylus adapter are two such hosts.
//!
//! It is `#![no_std]` with `alloc`: no I/O, no clock, no threads, no floating
//! point. Its state lives in 32-byte slots laid out as Solidity lays out
//! storage (see [`layout`]), and every write is buffered until the call
//! succeeds, so a failed call leaves storage untouched on any host.
//!
//! It can call other contracts (EVM code on the dev chain, any contract on
//! Arbitrum) by asking its host ([`Storage::call_contract`]), with a
//! Solidity contract's rules: at most all but a 64th of its gas forwarded,
//! the callee's gas charged, its writes so far visible to the callee, and a
//! reentrancy guard in transient storage that refuses every state-changing
//! call into the engine or the token while the call is in flight
//! (`ReentrancyGuardReentrantCall`). `donateToken` uses it, with
//! [`erc20`]'s `SafeERC20` rules.
//!
//! ```
//! use dml_engine::{call, genesis, CallContext, Contract, Genesis, MemoryStorage};
//! use dml_primitives::{Address, IDmlToken, SolCall, U256};
//!
//! let mut storage = MemoryStorage::new();
//! let alice = Address::repeat_byte(0xaa);
//! let mut config = Genesis::new(alice);
//! config.allocations.push((alice, U256::from(1000u64)));
//! genesis(&mut storage, &config).unwrap();
//!
//! let ctx = CallContext::new(alice, config.contracts, 1, 1_700_000_000);
//! let data = IDmlToken::balanceOfCall { account: alice }.abi_encode();
//! let outcome = call(&mut storage, &ctx, Contract::Token, &data).unwrap();
//! assert_eq!(U256::from_be_slice(&outcome.output), U256::from(1000u64));
//! ```
#![no_std]
#![warn(missing_docs)]

extern crate alloc;

mod arith;
mod cid;
pub mod emission;
pub mod erc20;
mod exec;
pub mod gas;
mod journal;
pub mod layout;
mod storage;

use alloc::{string::String, vec::Vec};

pub use cid::{cid_v0_bytes, cid_v0_digest, parse_cid_v0, unixfs_file_block};
pub use dml_primitives::{self, Address, Bytes, B256, U256};
pub use storage::{
    address_slot, array_data_slot, ecrecover_k256, mapping_slot, uint_slot, CallHook, Contract, ExternalCall,
    ExternalCallResult, MemoryStorage, Storage,
};

/// Addresses at which the host exposes the two contracts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContractAddresses {
    /// The engine contract.
    pub engine: Address,
    /// The DML token contract.
    pub token: Address,
}

impl Default for ContractAddresses {
    /// The dev chain's fixed addresses.
    fn default() -> Self {
        Self {
            engine: dml_primitives::address!("00000000000000000000000000000000000d0e01"),
            token: dml_primitives::address!("00000000000000000000000000000000000d0e02"),
        }
    }
}

/// What a host tells the engine about the call it is executing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallContext {
    /// `msg.sender`.
    pub sender: Address,
    /// `msg.value` in wei; every engine and token function is non-payable.
    pub value: U256,
    /// `block.number` (on Arbitrum: the L2 block number).
    pub block_number: u64,
    /// `block.timestamp` in Unix seconds.
    pub timestamp: u64,
    /// Gas available to the call; the call fails with [`CallError::OutOfGas`] past it.
    pub gas_limit: u64,
    /// A STATICCALL: any state change fails the call.
    pub is_static: bool,
    /// Where the host exposes the engine and the token.
    pub contracts: ContractAddresses,
    /// `block.chainid`, part of the token's EIP-712 domain.
    pub chain_id: u64,
}

impl CallContext {
    /// A plain call on the dev chain's chain id, with no value, a generous gas
    /// limit and state changes allowed.
    pub fn new(sender: Address, contracts: ContractAddresses, block_number: u64, timestamp: u64) -> Self {
        Self {
            sender,
            value: U256::ZERO,
            block_number,
            timestamp,
            gas_limit: 30_000_000,
            is_static: false,
            contracts,
            chain_id: dml_primitives::DEV_CHAIN_ID,
        }
    }
}

/// A log emitted by one of the two contracts: ABI-encoded topics and data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Log {
    /// The contract that emitted it.
    pub contract: Contract,
    /// Topic 0 is the event signature hash; indexed arguments follow.
    pub topics: Vec<B256>,
    /// ABI-encoded non-indexed arguments.
    pub data: Bytes,
}

/// One slot changed by a successful call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateChange {
    /// Whose storage.
    pub contract: Contract,
    /// Slot number.
    pub slot: U256,
    /// New value.
    pub value: U256,
}

/// The effects of a successful call. Its state changes have already been
/// written to the host's [`Storage`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// ABI-encoded return data.
    pub output: Bytes,
    /// Logs in emission order; those emitted before a call into another
    /// contract went to the host with that call ([`ExternalCall::logs`]) and
    /// are not repeated here.
    pub logs: Vec<Log>,
    /// Execution gas as the EVM would charge a Solidity contract doing the
    /// same work (excluding the transaction's intrinsic gas).
    pub gas_used: u64,
    /// Storage refund earned (EIP-3529), before the transaction-level cap.
    pub gas_refund: u64,
    /// Slots whose value changed, in first-write order.
    pub state_changes: Vec<StateChange>,
}

/// Why a call failed. Storage is untouched in every case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallError {
    /// A `require` failed (or the calldata was unusable).
    Revert {
        /// The reason string, as a Solidity contract would give it.
        reason: String,
        /// Gas spent up to the revert.
        gas_used: u64,
    },
    /// A revert with a Solidity custom error (the token's votes and permit
    /// functions use OpenZeppelin's, e.g. `ERC5805FutureLookup`).
    CustomError {
        /// The error's ABI encoding: selector and arguments.
        data: Bytes,
        /// Gas spent up to the revert.
        gas_used: u64,
    },
    /// The call needed more than [`CallContext::gas_limit`].
    OutOfGas,
}

impl CallError {
    /// Revert data as the EVM returns it: `Error(string)` with the reason, the
    /// custom error's encoding, empty for out-of-gas.
    pub fn revert_data(&self) -> Bytes {
        match self {
            Self::Revert { reason, .. } => {
                use alloy_sol_types::SolError;
                Bytes::from(alloy_sol_types::Revert { reason: reason.clone() }.abi_encode())
            }
            Self::CustomError { data, .. } => data.clone(),
            Self::OutOfGas => Bytes::new(),
        }
    }

    /// The reason string, if this is a revert with one.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Self::Revert { reason, .. } => Some(reason),
            Self::CustomError { .. } | Self::OutOfGas => None,
        }
    }

    /// Gas spent up to the revert; `None` for out-of-gas (all of it).
    pub fn gas_used(&self) -> Option<u64> {
        match self {
            Self::Revert { gas_used, .. } | Self::CustomError { gas_used, .. } => Some(*gas_used),
            Self::OutOfGas => None,
        }
    }
}

impl core::fmt::Display for CallError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Revert { reason, .. } => write!(f, "execution reverted: {reason}"),
            Self::CustomError { data, .. } => write!(f, "execution reverted with custom error {data}"),
            Self::OutOfGas => f.write_str("out of gas"),
        }
    }
}

/// Executes one call to the engine or the token.
///
/// `calldata` is the Solidity ABI call (selector and arguments). On success
/// the state changes are written to `storage` and returned with the logs and
/// gas; on failure nothing is written.
pub fn call<S: Storage>(
    storage: &mut S,
    ctx: &CallContext,
    target: Contract,
    calldata: &[u8],
) -> Result<Outcome, CallError> {
    exec::execute::<{ facet::ALL }, S>(storage, ctx, target, calldata)
}

/// [`call`] restricted to the engine functions of the facets in `FACETS`
/// (a mask of [`facet`] bits); the others revert with "function is in
/// another facet". A host that must keep each program small (Arbitrum
/// Stylus) builds one program per facet with this, and only that facet's
/// code is compiled in. Token calls are unaffected.
pub fn call_facets<const FACETS: u8, S: Storage>(
    storage: &mut S,
    ctx: &CallContext,
    target: Contract,
    calldata: &[u8],
) -> Result<Outcome, CallError> {
    exec::execute::<FACETS, S>(storage, ctx, target, calldata)
}

/// The engine's functions in groups, for hosts that split the engine into
/// several programs sharing one storage (see [`call_facets`]).
pub mod facet {
    /// Ownership, roles, parameters and their setters, treasury and
    /// liquidity withdrawals.
    pub const GOVERN: u8 = 1;
    /// Models and tasks: registration, submission, retraction, hashes.
    pub const TASKS: u8 = 2;
    /// Commitments and solutions.
    pub const SOLVE: u8 = 4;
    /// Emission and claims, with the callbacks of claimed tasks.
    pub const SETTLE: u8 = 8;
    /// Validator stakes, withdrawals, contestations and votes.
    pub const STAKE: u8 = 16;
    /// Stake delegated to solvers: deposits, unbonding, rewards, commission.
    pub const DELEGATE: u8 = 32;
    /// The end of contestations: settlement batches, and the pay-out and
    /// callback of a solution that stood.
    pub const FINISH: u8 = 64;
    /// Tasks with callbacks: submission, the record, retried deliveries.
    pub const CALLBACK: u8 = 128;
    /// Every facet.
    pub const ALL: u8 = GOVERN | TASKS | SOLVE | SETTLE | STAKE | DELEGATE | FINISH | CALLBACK;
    /// Every facet, in bit order.
    pub const EACH: [u8; 8] = [GOVERN, TASKS, SOLVE, SETTLE, STAKE, DELEGATE, FINISH, CALLBACK];

    /// The facet bit of an engine function selector; 0 for an unknown selector.
    pub fn of_selector(selector: [u8; 4]) -> u8 {
        crate::exec::facet_of_selector(selector)
    }
}

/// The protocol parameters governance owns, with their Arbius EngineV1 defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parameters {
    /// Minimum validator stake, as a fraction (1e18 = 100 %) of emitted supply.
    pub validator_minimum_percentage: u64,
    /// Slash per losing vote, as a fraction of emitted supply.
    pub slash_amount_percentage: u64,
    /// Share of a task fee (after the model fee) that accrues to the treasury.
    pub solution_fee_percentage: u64,
    /// Share of a retracted task's fee kept for the treasury.
    pub retraction_fee_percentage: u64,
    /// Share of each mint for the treasury.
    pub treasury_reward_percentage: u64,
    /// Share of each mint held for liquidity stakers.
    pub liquidity_reward_percentage: u64,
    /// Seconds after a solution before it can be claimed (and until which it can be contested).
    pub min_claim_solution_time: u64,
    /// Seconds without a solution before the owner may retract a task.
    pub min_retraction_wait_time: u64,
    /// Seconds a contestation's vote stays open.
    pub min_contestation_vote_period_time: u64,
    /// Slack on a voter's `since` relative to the contestation time.
    pub max_contestation_validator_stake_since: u64,
    /// Seconds before a withdraw request unlocks.
    pub exit_validator_min_unlock_time: u64,
    /// Cap on the delegated stake that counts toward a solver's stake, as a
    /// multiple of its own stake (1e18 = 1×).
    pub delegation_cap_ratio: u64,
    /// Highest commission a solver may keep of its earnings (1e18 = 100 %).
    pub max_delegation_commission: u64,
    /// Seconds between a solver's commission changes, and before a raise applies.
    pub delegation_commission_cooldown: u64,
    /// Seconds before undelegated stake can be withdrawn; must exceed the
    /// claim window plus the vote period, so nobody leaves ahead of a slash.
    pub delegation_unbonding_time: u64,
}

impl Default for Parameters {
    fn default() -> Self {
        const PERCENT: u64 = 10_000_000_000_000_000;
        Self {
            validator_minimum_percentage: 8 * PERCENT / 100, // 0.08 %
            slash_amount_percentage: PERCENT / 100,          // 0.01 %
            solution_fee_percentage: 10 * PERCENT,
            retraction_fee_percentage: 10 * PERCENT,
            treasury_reward_percentage: 10 * PERCENT,
            liquidity_reward_percentage: 10 * PERCENT,
            min_claim_solution_time: 2_000,
            min_retraction_wait_time: 10_000,
            min_contestation_vote_period_time: 4_000,
            max_contestation_validator_stake_since: 120,
            exit_validator_min_unlock_time: 86_400,
            delegation_cap_ratio: 10 * 100 * PERCENT, // 10×
            max_delegation_commission: 50 * PERCENT,
            delegation_commission_cooldown: 7 * 86_400,
            delegation_unbonding_time: 86_400,
        }
    }
}

impl Parameters {
    /// The fields in declaration order: the six percentages, the five
    /// durations, then the four delegation parameters.
    pub fn to_array(&self) -> [u64; 15] {
        [
            self.validator_minimum_percentage,
            self.slash_amount_percentage,
            self.solution_fee_percentage,
            self.retraction_fee_percentage,
            self.treasury_reward_percentage,
            self.liquidity_reward_percentage,
            self.min_claim_solution_time,
            self.min_retraction_wait_time,
            self.min_contestation_vote_period_time,
            self.max_contestation_validator_stake_since,
            self.exit_validator_min_unlock_time,
            self.delegation_cap_ratio,
            self.max_delegation_commission,
            self.delegation_commission_cooldown,
            self.delegation_unbonding_time,
        ]
    }

    /// The inverse of [`Parameters::to_array`].
    pub fn from_array(fields: [u64; 15]) -> Self {
        let [validator_minimum_percentage, slash_amount_percentage, solution_fee_percentage, retraction_fee_percentage, treasury_reward_percentage, liquidity_reward_percentage, min_claim_solution_time, min_retraction_wait_time, min_contestation_vote_period_time, max_contestation_validator_stake_since, exit_validator_min_unlock_time, delegation_cap_ratio, max_delegation_commission, delegation_commission_cooldown, delegation_unbonding_time] =
            fields;
        Self {
            validator_minimum_percentage,
            slash_amount_percentage,
            solution_fee_percentage,
            retraction_fee_percentage,
            treasury_reward_percentage,
            liquidity_reward_percentage,
            min_claim_solution_time,
            min_retraction_wait_time,
            min_contestation_vote_period_time,
            max_contestation_validator_stake_since,
            exit_validator_min_unlock_time,
            delegation_cap_ratio,
            max_delegation_commission,
            delegation_commission_cooldown,
            delegation_unbonding_time,
        }
    }
}

/// The initial state of a deployment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Genesis {
    /// Owner of every setter (governance; on the dev chain, a dev account).
    pub owner: Address,
    /// May pause and unpause.
    pub pauser: Address,
    /// Receives accrued fees and treasury rewards.
    pub treasury: Address,
    /// Receives liquidity rewards once governance sets it (zero: held).
    pub liquidity_pool: Address,
    /// Start of the emission curve (Unix seconds).
    pub start_time: u64,
    /// The genesis block's time: the allocations' supply checkpoint.
    pub timestamp: u64,
    /// DML allocated at genesis; not emission, and subtracted from the emission cap.
    pub allocations: Vec<(Address, U256)>,
    /// Models registered at genesis, with their reward rates: no owner call
    /// is needed to enable rewards for them.
    pub models: Vec<GenesisModel>,
    /// Initial parameters.
    pub parameters: Parameters,
    /// Where the host exposes the contracts.
    pub contracts: ContractAddresses,
}

impl Genesis {
    /// A genesis owned by `owner` (also pauser and treasury) with default
    /// parameters, no allocation, starting at time zero.
    pub fn new(owner: Address) -> Self {
        Self {
            owner,
            pauser: owner,
            treasury: owner,
            liquidity_pool: Address::ZERO,
            start_time: 0,
            timestamp: 0,
            allocations: Vec::new(),
            models: Vec::new(),
            parameters: Parameters::default(),
            contracts: ContractAddresses::default(),
        }
    }
}

/// A model registered at genesis, as `registerModel(addr, fee, template)`
/// called by `addr` would register it, then given its reward rate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenesisModel {
    /// The model's fee recipient, also its registrant (part of its id).
    pub addr: Address,
    /// The model's fee per task.
    pub fee: U256,
    /// Its reward rate (`setSolutionMineableRate`; 1e18 = the full reward).
    pub rate: U256,
    /// The model's template (JSON), as `registerModel` takes it.
    pub template: Bytes,
}

/// Why a genesis was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GenesisError {
    /// The allocations add up to more than the 1,000,000 DML cap.
    AllocationExceedsCap,
    /// A percentage is above 100 %.
    PercentageOutOfRange,
    /// An allocation to the zero address.
    ZeroAddressAllocation,
    /// An allocation to the engine itself (its balance is its escrow).
    EngineAllocation,
    /// The owner is the zero address.
    ZeroOwner,
    /// The start time does not fit the engine's 40-bit timestamps.
    StartTimeOutOfRange,
    /// A genesis model `registerModel` would refuse; the reason.
    Model(&'static str),
    /// The delegation unbonding time does not exceed the claim window plus
    /// the vote period.
    UnbondingTooShort,
}

impl core::fmt::Display for GenesisError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::AllocationExceedsCap => "genesis allocations exceed the 1,000,000 DML cap",
            Self::PercentageOutOfRange => "a genesis percentage is above 100%",
            Self::ZeroAddressAllocation => "genesis allocation to the zero address",
            Self::EngineAllocation => "genesis allocation to the engine",
            Self::ZeroOwner => "genesis owner is the zero address",
            Self::StartTimeOutOfRange => "genesis start time is out of range",
            Self::UnbondingTooShort => {
                "genesis delegation unbonding time must exceed the claim window plus the vote period"
            }
            Self::Model(reason) => return write!(f, "genesis model: {reason}"),
        })
    }
}

/// Writes the initial state. Returns the `Transfer` logs of the allocations.
/// Storage must be empty.
pub fn genesis<S: Storage>(storage: &mut S, config: &Genesis) -> Result<Vec<Log>, GenesisError> {
    exec::genesis(storage, config)
}
