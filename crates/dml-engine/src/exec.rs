//! Call dispatch and what every flow shares: the call wrapper, the packed
//! records, slot helpers. Each flow lives in its own module below.

use alloc::{string::ToString, vec::Vec};
use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use alloy_sol_types::{SolCall, SolInterface, SolValue};
use dml_primitives::{IDmlToken, IEngine, MAX_SUPPLY, MAX_TASK_INPUT_BYTES, WAD};

use crate::{
    arith::div,
    cid, emission, gas,
    journal::{address_to_word, word_to_address, Journal},
    layout::{engine as es, field, task_word, token as ts, Param, TaskStatus},
    storage::{address_slot, array_data_slot, bits, mapping_slot, uint_slot, with_bits},
    CallContext, CallError, Contract, Genesis, GenesisError, Log, Outcome, Storage,
};

// Each flow in its own file; the dispatch table below is the one place that
// lists the functions.
mod callbacks;
mod calls;
mod contestation;
mod delegation;
mod donations;
mod genesis;
mod models;
mod parameters;
mod signatures;
mod staking;
mod tasks;
mod token;
mod votes;

pub(crate) use genesis::genesis;

/// A failed `require`: the reason string.
type Revert = &'static str;
type Result<T> = core::result::Result<T, Revert>;

const OUT_OF_GAS: Revert = "\0out of gas";
/// The call reverts with the custom error in `Exec::custom_error`.
const CUSTOM_ERROR: Revert = "\0custom error";
const MAX_TIMESTAMP: u64 = 1 << 40;
/// Emission starts counting against the validator minimum past this supply.
const MIN_SUPPLY_FOR_VALIDATOR_DEPOSITS: u128 = 1_000 * 1_000_000_000_000_000_000;
/// Slashing starts once the token's total supply reaches this.
const MIN_SUPPLY_FOR_SLASHING: u128 = 2_000 * 1_000_000_000_000_000_000;

fn u(value: u64) -> U256 {
    U256::from(value)
}

fn get(word: U256, (offset, width): (usize, usize)) -> U256 {
    bits(word, offset, width)
}

fn set(word: U256, (offset, width): (usize, usize), value: U256) -> U256 {
    with_bits(word, offset, width, value)
}

/// Whether delegated stake unbonds only after any slash that could reach it:
/// the unbonding time exceeds the claim window (the last moment to contest)
/// plus the vote period (the earliest a contestation settles).
fn unbonding_outlasts_slashes(unbonding: u64, claim_window: u64, vote_period: u64) -> bool {
    unbonding as u128 > claim_window as u128 + vote_period as u128
}

/// `amount × (1 − pct)` rounded down and the remainder, the way Arbius
/// splits fees: the remainder (rounded up) goes to the protocol's share.
fn split(amount: U256, pct: U256) -> (U256, U256) {
    let kept = div(amount * (WAD - pct), WAD);
    (kept, amount - kept)
}

/// A mint's (treasury, liquidity, solver) shares, summing to `minted` exactly.
/// Each protocol share is rounded up as in [`split`]; when both round up past
/// what was minted (a few wei), the liquidity share takes what is left after
/// the treasury's, so no share is ever negative and nothing is created.
fn split_mint(minted: U256, treasury_pct: U256, liquidity_pct: U256) -> (U256, U256, U256) {
    let treasury = split(minted, treasury_pct).1;
    let liquidity = split(minted, liquidity_pct).1.min(minted - treasury);
    (treasury, liquidity, minted - treasury - liquidity)
}

pub(crate) fn execute<const FACETS: u8, S: Storage>(
    storage: &mut S,
    ctx: &CallContext,
    target: Contract,
    calldata: &[u8],
) -> core::result::Result<Outcome, CallError> {
    let mut exec = Exec { j: Journal::new(storage, target), ctx, custom_error: None };
    exec.j.charge(gas::CALL_OVERHEAD + gas::COPY_WORD * gas::words(calldata.len()));
    let result = if ctx.timestamp >= MAX_TIMESTAMP {
        Err("timestamp out of range")
    } else if !ctx.value.is_zero() {
        Err("function is not payable")
    } else {
        match target {
            Contract::Engine => exec.engine_call::<FACETS>(calldata),
            Contract::Token => exec.token_call(calldata),
        }
    };
    let result = result.and_then(|output| {
        // A state change while the engine has a call into another contract in flight.
        if exec.j.has_written() && exec.j.guard_set() {
            Err(exec.reentrant_call())
        } else if exec.j.gas_used > ctx.gas_limit {
            Err(OUT_OF_GAS)
        } else if ctx.is_static && exec.j.is_dirty() {
            Err("state change during static call")
        } else {
            Ok(output)
        }
    });
    match result {
        Ok(output) => {
            let (state_changes, logs, gas_used, gas_refund) = exec.j.commit();
            Ok(Outcome { output: Bytes::from(output), logs, gas_used, gas_refund, state_changes })
        }
        Err(OUT_OF_GAS) => Err(CallError::OutOfGas),
        Err(CUSTOM_ERROR) => {
            let gas_used = exec.j.gas_used.min(ctx.gas_limit);
            Err(CallError::CustomError { data: Bytes::from(exec.custom_error.unwrap_or_default()), gas_used })
        }
        Err(reason) => {
            let gas_used = exec.j.gas_used.min(ctx.gas_limit);
            Err(CallError::Revert { reason: reason.to_string(), gas_used })
        }
    }
}

struct Exec<'c, 's, S: Storage> {
    j: Journal<'s, S>,
    ctx: &'c CallContext,
    /// The encoding of the custom error a [`CUSTOM_ERROR`] revert carries.
    custom_error: Option<Vec<u8>>,
}

/// A validator record, unpacked.
#[derive(Clone, Copy, Default)]
struct Validator {
    staked: U256,
    pending: U256,
    since: U256,
    registered: bool,
}

impl Validator {
    fn from_word(word: U256) -> Self {
        Self {
            staked: get(word, field::STAKED),
            pending: get(word, field::PENDING),
            since: get(word, field::SINCE),
            registered: !get(word, field::REGISTERED).is_zero(),
        }
    }

    fn to_word(self) -> U256 {
        let mut word = set(U256::ZERO, field::STAKED, self.staked);
        word = set(word, field::PENDING, self.pending);
        word = set(word, field::SINCE, self.since);
        set(word, field::REGISTERED, U256::from(self.registered as u8))
    }

    fn free_stake(&self) -> U256 {
        self.staked.saturating_sub(self.pending)
    }
}

/// Task word 3, unpacked.
#[derive(Clone, Copy)]
struct TaskState {
    solver: Address,
    task_time: U256,
    solution_time: U256,
    version: U256,
    status: TaskStatus,
}

impl TaskState {
    fn from_word(word: U256) -> Self {
        Self {
            solver: word_to_address(word),
            task_time: get(word, field::TASK_TIME),
            solution_time: get(word, field::SOLUTION_TIME),
            version: get(word, field::TASK_VERSION),
            status: TaskStatus::from_word(get(word, field::TASK_STATUS)),
        }
    }

    fn to_word(self) -> U256 {
        let mut word = address_to_word(self.solver);
        word = set(word, field::TASK_TIME, self.task_time);
        word = set(word, field::SOLUTION_TIME, self.solution_time);
        word = set(word, field::TASK_VERSION, self.version);
        set(word, field::TASK_STATUS, U256::from(self.status as u8))
    }
}

fn task_slot(id: B256, word: u64) -> U256 {
    mapping_slot(id, u(es::TASKS)) + u(word)
}

fn model_slot(id: B256, word: u64) -> U256 {
    mapping_slot(id, u(es::MODELS)) + u(word)
}

fn contestation_slot(id: B256, word: u64) -> U256 {
    mapping_slot(id, u(es::CONTESTATIONS)) + u(word)
}

fn b256(word: U256) -> B256 {
    B256::from(word)
}

fn word(value: B256) -> U256 {
    U256::from_be_bytes(value.0)
}

// ---------------------------------------------------------------------------
// Dispatch
// ---------------------------------------------------------------------------

/// Defines the engine's ABI dispatch, one arm per function, each tagged with
/// the [`facet`](crate::facet) it belongs to:
///
/// - `facet_of_selector`, the facet of each selector (the Stylus router's table);
/// - `Exec::engine_call::<FACETS>`, which decodes and runs the functions of the
///   facets in the `FACETS` mask. Arms outside the mask are dead code the
///   compiler drops, so a program built for one facet carries only its code.
macro_rules! engine_functions {
    ($this:ident, $sender:ident, $calldata:ident; $( [$facet:ident] $call:ident($c:pat) => $body:expr, )*) => {
        pub(crate) fn facet_of_selector(selector: [u8; 4]) -> u8 {
            $( if selector == <IEngine::$call as SolCall>::SELECTOR { return crate::facet::$facet; } )*
            0
        }

        impl<S: Storage> Exec<'_, '_, S> {
            fn engine_call<const FACETS: u8>(&mut self, $calldata: &[u8]) -> Result<Vec<u8>> {
                let Some(selector) = $calldata.first_chunk::<4>().copied() else {
                    return Err("missing function selector");
                };
                let $sender = self.ctx.sender;
                let $this = self;
                $(
                    if selector == <IEngine::$call as SolCall>::SELECTOR {
                        if FACETS & crate::facet::$facet == 0 {
                            return Err("function is in another facet");
                        }
                        let $c = decode::<IEngine::$call>($calldata)?;
                        return Ok($body);
                    }
                )*
                Err("unknown function selector")
            }
        }
    };
}

/// Decodes one call's arguments, as strictly as the dispatcher decodes the
/// whole interface.
fn decode<C: SolCall>(calldata: &[u8]) -> Result<C> {
    C::abi_decode_validate(calldata).map_err(|_| "invalid calldata")
}

engine_functions! { this, sender, calldata;
            // ---- roles and parameters ----
            [GOVERN] ownerCall(_) => this.owner().abi_encode(),
            [GOVERN] transferOwnershipCall(c) => {
                this.only_owner()?;
                if c.to_.is_zero() {
                    return Err("Ownable: new owner is the zero address");
                }
                let previous = this.owner();
                this.j.store(Contract::Engine, u(es::OWNER), address_to_word(c.to_));
                this.emit(IEngine::OwnershipTransferred { previousOwner: previous, newOwner: c.to_ });
                Vec::new()
            },
            [GOVERN] baseTokenCall(_) => this.ctx.contracts.token.abi_encode(),
            [GOVERN] treasuryCall(_) => this.j.load_address(Contract::Engine, u(es::TREASURY)).abi_encode(),
            [GOVERN] pauserCall(_) => this.j.load_address(Contract::Engine, u(es::PAUSER)).abi_encode(),
            [GOVERN] liquidityPoolCall(_) => this.j.load_address(Contract::Engine, u(es::LIQUIDITY_POOL)).abi_encode(),
            [GOVERN] pausedCall(_) => this.paused().abi_encode(),
            [GOVERN] accruedFeesCall(_) => this.ledger(field::ACCRUED_FEES).abi_encode(),
            [GOVERN] accruedLiquidityRewardsCall(_) => this.ledger(field::ACCRUED_LIQUIDITY).abi_encode(),
            [GOVERN] totalEmittedCall(_) => this.ledger(field::TOTAL_EMITTED).abi_encode(),
            [SETTLE] emissionCapCall(_) => this.emission_cap().abi_encode(),
            [GOVERN] prevhashCall(_) => b256(this.j.load(Contract::Engine, u(es::PREVHASH))).abi_encode(),
            [GOVERN] startBlockTimeCall(_) => this.param(Param::StartTime).to::<u64>().abi_encode(),
            [GOVERN] versionCall(_) => this.j.load(Contract::Engine, u(es::VERSION)).abi_encode(),
            [GOVERN] validatorMinimumPercentageCall(_) => this.param(Param::ValidatorMinimum).abi_encode(),
            [GOVERN] slashAmountPercentageCall(_) => this.param(Param::Slash).abi_encode(),
            [GOVERN] solutionFeePercentageCall(_) => this.param(Param::SolutionFee).abi_encode(),
            [GOVERN] retractionFeePercentageCall(_) => this.param(Param::RetractionFee).abi_encode(),
            [GOVERN] treasuryRewardPercentageCall(_) => this.param(Param::TreasuryReward).abi_encode(),
            [GOVERN] liquidityRewardPercentageCall(_) => this.param(Param::LiquidityReward).abi_encode(),
            [GOVERN] minClaimSolutionTimeCall(_) => this.param(Param::MinClaimTime).abi_encode(),
            [GOVERN] minRetractionWaitTimeCall(_) => this.param(Param::MinRetractionWait).abi_encode(),
            [GOVERN] minContestationVotePeriodTimeCall(_) => this.param(Param::VotePeriod).abi_encode(),
            [GOVERN] maxContestationValidatorStakeSinceCall(_) => this.param(Param::StakeSinceSlack).abi_encode(),
            [GOVERN] exitValidatorMinUnlockTimeCall(_) => this.param(Param::ExitUnlock).abi_encode(),

            [GOVERN] transferTreasuryCall(c) => {
                this.only_owner()?;
                if c.to_.is_zero() {
                    return Err("treasury is the zero address");
                }
                this.j.store(Contract::Engine, u(es::TREASURY), address_to_word(c.to_));
                this.emit(IEngine::TreasuryTransferred { to: c.to_ });
                Vec::new()
            },
            [GOVERN] transferPauserCall(c) => {
                this.only_owner()?;
                this.j.store(Contract::Engine, u(es::PAUSER), address_to_word(c.to_));
                this.emit(IEngine::PauserTransferred { to: c.to_ });
                Vec::new()
            },
            [GOVERN] transferLiquidityPoolCall(c) => {
                this.only_owner()?;
                this.j.store(Contract::Engine, u(es::LIQUIDITY_POOL), address_to_word(c.to_));
                this.emit(IEngine::LiquidityPoolTransferred { to: c.to_ });
                Vec::new()
            },
            [GOVERN] setPausedCall(c) => {
                // The guardian may only pause; unpausing is governance's call.
                let owner = this.owner();
                if c.paused_ {
                    if this.j.load_address(Contract::Engine, u(es::PAUSER)) != sender && owner != sender {
                        return Err("not pauser");
                    }
                } else if owner != sender {
                    return Err("only the owner may unpause");
                }
                this.set_ledger(field::PAUSED, U256::from(c.paused_ as u8));
                this.emit(IEngine::PausedChanged { paused: c.paused_ });
                Vec::new()
            },
            [GOVERN] setSolutionMineableRateCall(c) => {
                this.only_owner()?;
                if this.j.load(Contract::Engine, model_slot(c.model_, 0)).is_zero() {
                    return Err("model does not exist");
                }
                this.j.store(Contract::Engine, model_slot(c.model_, 1), c.rate_);
                this.emit(IEngine::SolutionMineableRateChange { id: c.model_, rate: c.rate_ });
                Vec::new()
            },
            [GOVERN] setVersionCall(c) => {
                this.only_owner()?;
                this.j.store(Contract::Engine, u(es::VERSION), c.version_);
                this.emit(IEngine::VersionChanged { version: c.version_ });
                Vec::new()
            },
            [GOVERN] setValidatorMinimumPercentageCall(c) => {
                this.set_percentage(Param::ValidatorMinimum, c.amount_)?;
                this.emit(IEngine::ValidatorMinimumPercentageChanged { amount: c.amount_ });
                Vec::new()
            },
            [GOVERN] setSlashAmountPercentageCall(c) => {
                this.set_percentage(Param::Slash, c.amount_)?;
                this.emit(IEngine::SlashAmountPercentageChanged { amount: c.amount_ });
                Vec::new()
            },
            [GOVERN] setSolutionFeePercentageCall(c) => {
                this.set_percentage(Param::SolutionFee, c.amount_)?;
                this.emit(IEngine::SolutionFeePercentageChanged { amount: c.amount_ });
                Vec::new()
            },
            [GOVERN] setRetractionFeePercentageCall(c) => {
                this.set_percentage(Param::RetractionFee, c.amount_)?;
                this.emit(IEngine::RetractionFeePercentageChanged { amount: c.amount_ });
                Vec::new()
            },
            [GOVERN] setTreasuryRewardPercentageCall(c) => {
                this.set_percentage(Param::TreasuryReward, c.amount_)?;
                this.check_reward_shares()?;
                this.emit(IEngine::TreasuryRewardPercentageChanged { amount: c.amount_ });
                Vec::new()
            },
            [GOVERN] setLiquidityRewardPercentageCall(c) => {
                this.set_percentage(Param::LiquidityReward, c.amount_)?;
                this.check_reward_shares()?;
                this.emit(IEngine::LiquidityRewardPercentageChanged { amount: c.amount_ });
                Vec::new()
            },
            [GOVERN] setMinClaimSolutionTimeCall(c) => {
                this.set_duration(Param::MinClaimTime, c.amount_)?;
                this.check_unbonding_time()?;
                this.emit(IEngine::MinClaimSolutionTimeChanged { amount: c.amount_ });
                Vec::new()
            },
            [GOVERN] setMinRetractionWaitTimeCall(c) => {
                this.set_duration(Param::MinRetractionWait, c.amount_)?;
                this.emit(IEngine::MinRetractionWaitTimeChanged { amount: c.amount_ });
                Vec::new()
            },
            [GOVERN] setMinContestationVotePeriodTimeCall(c) => {
                this.set_duration(Param::VotePeriod, c.amount_)?;
                this.check_unbonding_time()?;
                this.emit(IEngine::MinContestationVotePeriodTimeChanged { amount: c.amount_ });
                Vec::new()
            },
            [GOVERN] setMaxContestationValidatorStakeSinceCall(c) => {
                this.set_duration(Param::StakeSinceSlack, c.amount_)?;
                this.emit(IEngine::MaxContestationValidatorStakeSinceChanged { amount: c.amount_ });
                Vec::new()
            },
            [GOVERN] setExitValidatorMinUnlockTimeCall(c) => {
                this.set_duration(Param::ExitUnlock, c.amount_)?;
                this.emit(IEngine::ExitValidatorMinUnlockTimeChanged { amount: c.amount_ });
                Vec::new()
            },
            [GOVERN] delegationCapRatioCall(_) => this.param(Param::DelegationCapRatio).abi_encode(),
            [GOVERN] maxDelegationCommissionCall(_) => this.param(Param::MaxCommission).abi_encode(),
            [GOVERN] delegationCommissionCooldownCall(_) => this.param(Param::CommissionCooldown).abi_encode(),
            [GOVERN] delegationUnbondingTimeCall(_) => this.param(Param::DelegationUnbonding).abi_encode(),
            [GOVERN] setDelegationCapRatioCall(c) => {
                this.only_owner()?;
                if c.amount_ > u(u64::MAX) {
                    return Err("ratio out of range");
                }
                this.set_param(Param::DelegationCapRatio, c.amount_);
                this.emit(IEngine::DelegationCapRatioChanged { amount: c.amount_ });
                Vec::new()
            },
            [GOVERN] setMaxDelegationCommissionCall(c) => {
                this.set_percentage(Param::MaxCommission, c.amount_)?;
                this.emit(IEngine::MaxDelegationCommissionChanged { amount: c.amount_ });
                Vec::new()
            },
            [GOVERN] setDelegationCommissionCooldownCall(c) => {
                this.set_duration(Param::CommissionCooldown, c.amount_)?;
                this.emit(IEngine::DelegationCommissionCooldownChanged { amount: c.amount_ });
                Vec::new()
            },
            [GOVERN] setDelegationUnbondingTimeCall(c) => {
                this.set_duration(Param::DelegationUnbonding, c.amount_)?;
                this.check_unbonding_time()?;
                this.emit(IEngine::DelegationUnbondingTimeChanged { amount: c.amount_ });
                Vec::new()
            },

            // ---- getters ----
            [TASKS] modelsCall(c) => {
                let head = this.j.load(Contract::Engine, model_slot(c.model, 0));
                let rate = this.j.load(Contract::Engine, model_slot(c.model, 1));
                let cid = this.j.load(Contract::Engine, model_slot(c.model, 2));
                let cid = if head.is_zero() { Bytes::new() } else { Bytes::from(cid::cid_v0_bytes(&b256(cid).0)) };
                (get(head, field::MODEL_FEE), word_to_address(head), rate, cid).abi_encode_params()
            },
            [STAKE] validatorsCall(c) => {
                let v = this.validator(c.addr);
                let addr = if v.registered { c.addr } else { Address::ZERO };
                (v.staked, v.since, addr).abi_encode_params()
            },
            [STAKE] pendingValidatorWithdrawRequestsCountCall(c) => {
                this.j.load(Contract::Engine, address_slot(c.addr, u(es::WITHDRAW_COUNT))).abi_encode()
            },
            [STAKE] pendingValidatorWithdrawRequestsCall(c) => {
                let request = this.j.load(Contract::Engine, this.withdraw_slot(c.addr, c.count));
                (get(request, field::UNLOCK_TIME), get(request, field::REQUEST_AMOUNT)).abi_encode_params()
            },
            [STAKE] validatorWithdrawPendingAmountCall(c) => this.validator(c.addr).pending.abi_encode(),
            [TASKS] tasksCall(c) => {
                let model = this.j.load(Contract::Engine, task_slot(c.taskid, task_word::MODEL));
                let input = this.j.load(Contract::Engine, task_slot(c.taskid, task_word::INPUT_CID));
                let owner_fee = this.j.load(Contract::Engine, task_slot(c.taskid, task_word::OWNER_FEE));
                let state = TaskState::from_word(this.j.load(Contract::Engine, task_slot(c.taskid, task_word::STATE)));
                let cid = if state.status == TaskStatus::None {
                    Bytes::new()
                } else {
                    Bytes::from(cid::cid_v0_bytes(&b256(input).0))
                };
                (
                    b256(model),
                    get(owner_fee, field::TASK_FEE),
                    word_to_address(owner_fee),
                    state.task_time.to::<u64>(),
                    state.version,
                    cid,
                )
                    .abi_encode_params()
            },
            [SOLVE] commitmentsCall(c) => {
                this.j.load(Contract::Engine, mapping_slot(c.commitment, u(es::COMMITMENTS))).abi_encode()
            },
            [SOLVE] solutionsCall(c) => {
                let state = TaskState::from_word(this.j.load(Contract::Engine, task_slot(c.taskid, task_word::STATE)));
                if state.solver.is_zero() {
                    (Address::ZERO, 0u64, false, Bytes::new()).abi_encode_params()
                } else {
                    let cid = this.j.load(Contract::Engine, task_slot(c.taskid, task_word::SOLUTION_CID));
                    (
                        state.solver,
                        state.solution_time.to::<u64>(),
                        state.status == TaskStatus::Claimed,
                        Bytes::from(cid::cid_v0_bytes(&b256(cid).0)),
                    )
                        .abi_encode_params()
                }
            },
            [STAKE] contestationsCall(c) => {
                let head = this.j.load(Contract::Engine, contestation_slot(c.taskid, 0));
                let slash = get(this.j.load(Contract::Engine, contestation_slot(c.taskid, 1)), field::SLASH);
                (
                    word_to_address(head),
                    get(head, field::CONTEST_TIME).to::<u64>(),
                    get(head, field::FINISH_INDEX).to::<u32>(),
                    slash,
                )
                    .abi_encode_params()
            },
            [STAKE] contestationVotedCall(c) => this.voted(c.taskid, c.addr).abi_encode(),
            [STAKE] contestationVotedIndexCall(c) => {
                let head = this.j.load(Contract::Engine, contestation_slot(c.taskid, 0));
                get(head, field::FINISH_INDEX).abi_encode()
            },
            [STAKE] contestationVoteYeasCall(c) => this.voter(c.taskid, es::YEAS, c.idx)?.abi_encode(),
            [STAKE] contestationVoteNaysCall(c) => this.voter(c.taskid, es::NAYS, c.idx)?.abi_encode(),

            // ---- pure and derived views ----
            [STAKE] getSlashAmountCall(_) => this.slash_amount().abi_encode(),
            [STAKE] getValidatorMinimumCall(_) => this.validator_minimum().abi_encode(),
            [GOVERN] getPsuedoTotalSupplyCall(_) => this.ledger(field::TOTAL_EMITTED).abi_encode(),
            [TASKS] generateIPFSCIDCall(c) => {
                let (digest, hashed) = cid::cid_v0_digest(&c.content_);
                this.j.charge(gas::sha256(hashed));
                (Bytes::from(cid::cid_v0_bytes(&digest)),).abi_encode_params()
            },
            [TASKS] hashModelCall(c) => {
                let encoded = (c.sender_, c.o_.addr, c.o_.fee, c.o_.cid).abi_encode_params();
                this.hash(&encoded).abi_encode()
            },
            [TASKS] hashTaskCall(c) => {
                let encoded = (c.sender_, c.prevhash_, c.o_.model, c.o_.fee, c.o_.cid).abi_encode_params();
                this.hash(&encoded).abi_encode()
            },
            [SETTLE] targetTsCall(c) => {
                this.j.charge(gas::EMISSION_MATH);
                emission::target_supply(c.t.min(u(u64::MAX)), this.emission_cap()).abi_encode()
            },
            [SETTLE] diffMulCall(c) => {
                if c.t.is_zero() || c.ts.is_zero() {
                    return Err("min vals");
                }
                this.j.charge(gas::EMISSION_MATH);
                let cap = this.emission_cap();
                emission::diff_mul(c.t.min(u(u64::MAX)), c.ts.min(cap), cap).abi_encode()
            },
            [SETTLE] rewardCall(c) => {
                this.j.charge(gas::EMISSION_MATH);
                let cap = this.emission_cap();
                emission::reward(c.t.min(u(u64::MAX)), c.ts.min(cap), cap).abi_encode()
            },
            [SETTLE] getRewardCall(_) => this.current_reward().abi_encode(),
            [SOLVE] generateCommitmentCall(c) => this.commitment(c.sender_, c.taskid_, &c.cid_).abi_encode(),
            [STAKE] validatorCanVoteCall(c) => u(this.can_vote(c.addr_, c.taskid_)).abi_encode(),

            // ---- protocol ----
            [GOVERN] withdrawAccruedFeesCall(_) => {
                this.not_paused()?;
                let amount = this.ledger(field::ACCRUED_FEES);
                let treasury = this.j.load_address(Contract::Engine, u(es::TREASURY));
                if !amount.is_zero() {
                    this.set_ledger(field::ACCRUED_FEES, U256::ZERO);
                    this.transfer(this.ctx.contracts.engine, treasury, amount)?;
                }
                this.emit(IEngine::AccruedFeesWithdrawn { to: treasury, amount });
                Vec::new()
            },
            [GOVERN] withdrawLiquidityRewardsCall(_) => {
                this.not_paused()?;
                let pool = this.j.load_address(Contract::Engine, u(es::LIQUIDITY_POOL));
                if pool.is_zero() {
                    return Err("liquidity pool not set");
                }
                let amount = this.ledger(field::ACCRUED_LIQUIDITY);
                if !amount.is_zero() {
                    this.set_ledger(field::ACCRUED_LIQUIDITY, U256::ZERO);
                    this.transfer(this.ctx.contracts.engine, pool, amount)?;
                }
                this.emit(IEngine::LiquidityRewardsWithdrawn { to: pool, amount });
                Vec::new()
            },
            [GOVERN] donateTokenCall(c) => {
                this.donate_token(c.token, c.amount)?;
                Vec::new()
            },
            [TASKS] registerModelCall(c) => this.register_model(c.addr_, c.fee_, &c.template_)?.abi_encode(),
            [STAKE] validatorDepositCall(c) => {
                this.validator_deposit(c.validator_, c.amount_)?;
                Vec::new()
            },
            [STAKE] initiateValidatorWithdrawCall(c) => this.initiate_withdraw(c.amount_)?.abi_encode(),
            [STAKE] cancelValidatorWithdrawCall(c) => {
                this.cancel_withdraw(c.count_)?;
                Vec::new()
            },
            [STAKE] validatorWithdrawCall(c) => {
                this.validator_withdraw(c.count_, c.to_)?;
                Vec::new()
            },
            [TASKS] submitTaskCall(c) => {
                this.not_paused()?;
                this.submit_task(c.version_, c.owner_, c.model_, c.fee_, &c.input_, U256::ZERO)?.abi_encode()
            },
            [TASKS] bulkSubmitTaskCall(c) => {
                this.not_paused()?;
                if c.n_.is_zero() {
                    return Err("n must be positive");
                }
                let mut remaining = c.n_;
                while !remaining.is_zero() {
                    this.submit_task(c.version_, c.owner_, c.model_, c.fee_, &c.input_, U256::ZERO)?;
                    this.check_gas()?;
                    remaining -= U256::from(1u8);
                }
                Vec::new()
            },
            [CALLBACK] submitTaskWithCallbackCall(c) => this.submit_task_with_callback(&c)?.abi_encode(),
            [CALLBACK] callbacksCall(c) => this.callback_view(c.taskid),
            [CALLBACK] retryCallbackCall(c) => {
                this.retry_callback(c.taskid_, c.gasLimit_)?;
                Vec::new()
            },
            [TASKS] retractTaskCall(c) => {
                this.retract_task(c.taskid_)?;
                Vec::new()
            },
            [SOLVE] signalCommitmentCall(c) => {
                this.not_paused()?;
                this.signal_commitment(c.commitment_)?;
                Vec::new()
            },
            [SOLVE] bulkSignalCommitmentCall(c) => {
                this.not_paused()?;
                for commitment in c.commitments_ {
                    this.signal_commitment(commitment)?;
                    this.check_gas()?;
                }
                Vec::new()
            },
            [SOLVE] signalSupportCall(c) => {
                this.only_validator(sender)?;
                if this.j.load(Contract::Engine, model_slot(c.model_, 0)).is_zero() {
                    return Err("model does not exist");
                }
                this.emit(IEngine::SignalSupport { addr: sender, model: c.model_, supported: c.support_ });
                Vec::new()
            },
            [SOLVE] submitSolutionCall(c) => {
                this.not_paused()?;
                this.submit_solution(c.taskid_, &c.cid_)?;
                Vec::new()
            },
            [SOLVE] bulkSubmitSolutionCall(c) => {
                this.not_paused()?;
                if c.taskids_.len() != c.cids_.len() {
                    return Err("length mismatch");
                }
                for (taskid, cid) in c.taskids_.iter().zip(c.cids_.iter()) {
                    this.submit_solution(*taskid, cid)?;
                    this.check_gas()?;
                }
                Vec::new()
            },
            [SETTLE] claimSolutionCall(c) => {
                this.not_paused()?;
                this.claim_solution(c.taskid_)?;
                Vec::new()
            },
            [SETTLE] bulkClaimSolutionCall(c) => {
                this.not_paused()?;
                for taskid in c.taskids_ {
                    this.claim_solution(taskid)?;
                    this.check_gas()?;
                }
                Vec::new()
            },
            [STAKE] submitContestationCall(c) => {
                this.submit_contestation(c.taskid_)?;
                Vec::new()
            },
            [STAKE] voteOnContestationCall(c) => {
                this.not_paused()?;
                this.only_validator(sender)?;
                if this.can_vote(sender, c.taskid_) != 0 {
                    return Err("not allowed");
                }
                this.vote(c.taskid_, c.yea_, sender)?;
                Vec::new()
            },
            [FINISH] contestationVoteFinishCall(c) => {
                this.contestation_vote_finish(c.taskid_, c.amnt_)?;
                Vec::new()
            },

            // ---- delegated stake ----
            [DELEGATE] delegateStakeCall(c) => {
                this.delegate_stake(c.solver_, c.amount_)?;
                Vec::new()
            },
            [DELEGATE] undelegateStakeCall(c) => this.undelegate_stake(c.solver_, c.amount_)?.abi_encode(),
            [DELEGATE] withdrawDelegationCall(c) => this.withdraw_delegation(c.solver_, c.to_)?.abi_encode(),
            [DELEGATE] claimDelegationRewardsCall(c) => this.claim_delegation_rewards(c.solver_)?.abi_encode(),
            [DELEGATE] setDelegationCommissionCall(c) => {
                this.set_commission(c.commission_)?;
                Vec::new()
            },
            [DELEGATE] setAcceptDelegationsCall(c) => {
                this.set_accept_delegations(c.accept_)?;
                Vec::new()
            },
            [DELEGATE] delegationPoolCall(c) => this.delegation_pool_view(c.solver),
            [DELEGATE] delegationCall(c) => this.delegation_view(c.delegator, c.solver)?,
            [DELEGATE] delegationUnbondingRequestCall(c) => this.unbonding_request_view(c.delegator, c.solver, c.index),
            [DELEGATE] solverStakeCall(c) => this.solver_stake_view(c.solver),
}

// ---------------------------------------------------------------------------
// Helpers every flow uses
// ---------------------------------------------------------------------------

impl<S: Storage> Exec<'_, '_, S> {
    fn emit<E: alloy_sol_types::SolEvent>(&mut self, event: E) {
        self.j.emit_event(Contract::Engine, &event);
    }

    fn check_gas(&self) -> Result<()> {
        if self.j.gas_used > self.ctx.gas_limit {
            Err(OUT_OF_GAS)
        } else {
            Ok(())
        }
    }

    fn hash(&mut self, data: &[u8]) -> B256 {
        self.j.charge(gas::keccak(data.len()));
        keccak256(data)
    }

    fn now(&self) -> U256 {
        u(self.ctx.timestamp)
    }
}
