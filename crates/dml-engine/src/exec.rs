//! Call dispatch and the protocol rules.

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

mod signatures;
mod votes;

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
    let mut exec = Exec { j: Journal::new(storage), ctx, custom_error: None };
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
        if exec.j.gas_used > ctx.gas_limit {
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
                let slash = this.j.load(Contract::Engine, contestation_slot(c.taskid, 1));
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
                this.submit_task(c.version_, c.owner_, c.model_, c.fee_, &c.input_)?.abi_encode()
            },
            [TASKS] bulkSubmitTaskCall(c) => {
                this.not_paused()?;
                if c.n_.is_zero() {
                    return Err("n must be positive");
                }
                let mut remaining = c.n_;
                while !remaining.is_zero() {
                    this.submit_task(c.version_, c.owner_, c.model_, c.fee_, &c.input_)?;
                    this.check_gas()?;
                    remaining -= U256::from(1u8);
                }
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
            [SETTLE] contestationVoteFinishCall(c) => {
                this.contestation_vote_finish(c.taskid_, c.amnt_)?;
                Vec::new()
            },
}

impl<S: Storage> Exec<'_, '_, S> {
    fn token_call(&mut self, calldata: &[u8]) -> Result<Vec<u8>> {
        use IDmlToken::IDmlTokenCalls as C;
        if calldata.len() < 4 {
            return Err("missing function selector");
        }
        let decoded = match C::abi_decode_validate(calldata) {
            Ok(call) => call,
            Err(alloy_sol_types::Error::UnknownSelector { .. }) => return Err("unknown function selector"),
            Err(_) => return Err("invalid calldata"),
        };
        let sender = self.ctx.sender;
        if let Some(view) = self.votes_view(&decoded) {
            return view;
        }
        Ok(match decoded {
            C::name(_) => ("DML".to_string(),).abi_encode_params(),
            C::symbol(_) => ("DML".to_string(),).abi_encode_params(),
            C::decimals(_) => U256::from(18u8).abi_encode(),
            C::totalSupply(_) => {
                let word = self.supply_word();
                get(word, field::TOTAL_SUPPLY).abi_encode()
            }
            C::cap(_) => MAX_SUPPLY.abi_encode(),
            C::engine(_) => self.ctx.contracts.engine.abi_encode(),
            C::balanceOf(c) => self.balance(c.account).abi_encode(),
            C::allowance(c) => self.j.load(Contract::Token, allowance_slot(c.owner, c.spender)).abi_encode(),
            C::transfer(c) => {
                self.token_transfer(sender, c.to, c.amount)?;
                true.abi_encode()
            }
            C::approve(c) => {
                self.approve(sender, c.spender, c.amount)?;
                true.abi_encode()
            }
            C::transferFrom(c) => {
                let slot = allowance_slot(c.from, sender);
                let allowance = self.j.load(Contract::Token, slot);
                if allowance < c.amount {
                    return Err("ERC20: insufficient allowance");
                }
                if allowance != U256::MAX {
                    self.j.store(Contract::Token, slot, allowance - c.amount);
                }
                self.token_transfer(c.from, c.to, c.amount)?;
                true.abi_encode()
            }
            C::delegate(c) => {
                self.delegate(sender, c.delegatee)?;
                Vec::new()
            }
            C::delegateBySig(c) => {
                let signature = signatures::Signature { v: c.v, r: c.r, s: c.s };
                self.delegate_by_sig(c.delegatee, c.nonce, c.expiry, &signature)?;
                Vec::new()
            }
            C::nonces(c) => self.nonce(c.owner).abi_encode(),
            C::DOMAIN_SEPARATOR(_) => self.domain_separator().abi_encode(),
            C::eip712Domain(_) => self.eip712_domain(),
            C::permit(c) => {
                let signature = signatures::Signature { v: c.v, r: c.r, s: c.s };
                self.permit(c.owner, c.spender, c.value, c.deadline, &signature)?;
                Vec::new()
            }
            // The vote views were answered above.
            _ => return Err("unknown function selector"),
        })
    }

    fn approve(&mut self, owner: Address, spender: Address, amount: U256) -> Result<()> {
        if spender.is_zero() {
            return Err("ERC20: approve to the zero address");
        }
        self.j.store(Contract::Token, allowance_slot(owner, spender), amount);
        self.j.emit_event(Contract::Token, &IDmlToken::Approval { owner, spender, value: amount });
        Ok(())
    }
}

fn allowance_slot(owner: Address, spender: Address) -> U256 {
    address_slot(spender, address_slot(owner, u(ts::ALLOWANCES)))
}

// ---------------------------------------------------------------------------
// State access helpers
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

    fn owner(&mut self) -> Address {
        self.j.load_address(Contract::Engine, u(es::OWNER))
    }

    fn paused(&mut self) -> bool {
        !self.ledger(field::PAUSED).is_zero()
    }

    fn only_owner(&mut self) -> Result<()> {
        if self.owner() != self.ctx.sender {
            return Err("Ownable: caller is not the owner");
        }
        Ok(())
    }

    fn not_paused(&mut self) -> Result<()> {
        if self.paused() {
            return Err("paused");
        }
        Ok(())
    }

    fn update_engine(&mut self, slot: u64, fld: (usize, usize), value: U256) {
        let current = self.j.load(Contract::Engine, u(slot));
        self.j.store(Contract::Engine, u(slot), set(current, fld, value));
    }

    fn param(&mut self, param: Param) -> U256 {
        let (slot, fld) = param.location();
        get(self.j.load(Contract::Engine, u(slot)), fld)
    }

    fn set_param(&mut self, param: Param, value: U256) {
        let (slot, fld) = param.location();
        self.update_engine(slot, fld, value);
    }

    fn set_percentage(&mut self, param: Param, value: U256) -> Result<()> {
        self.only_owner()?;
        if value > WAD {
            return Err("percentage above 100%");
        }
        self.set_param(param, value);
        Ok(())
    }

    fn set_duration(&mut self, param: Param, value: U256) -> Result<()> {
        self.only_owner()?;
        if value >= u(MAX_TIMESTAMP) {
            return Err("duration out of range");
        }
        self.set_param(param, value);
        Ok(())
    }

    fn check_reward_shares(&mut self) -> Result<()> {
        let treasury = self.param(Param::TreasuryReward);
        let liquidity = self.param(Param::LiquidityReward);
        if treasury + liquidity > WAD {
            return Err("reward shares above 100%");
        }
        Ok(())
    }

    fn ledger(&mut self, fld: (usize, usize)) -> U256 {
        let word = self.j.load(Contract::Engine, u(es::LEDGER));
        get(word, fld)
    }

    fn set_ledger(&mut self, fld: (usize, usize), value: U256) {
        self.update_engine(es::LEDGER, fld, value);
    }

    fn emission_cap(&mut self) -> U256 {
        self.param(Param::EmissionCap)
    }

    fn now(&self) -> U256 {
        u(self.ctx.timestamp)
    }

    fn current_reward(&mut self) -> U256 {
        self.j.charge(gas::EMISSION_MATH);
        let start = self.param(Param::StartTime);
        let elapsed = self.now().saturating_sub(start);
        let emitted = self.ledger(field::TOTAL_EMITTED);
        let cap = self.emission_cap();
        emission::reward(elapsed, emitted, cap)
    }

    /// `base × pct`, rounded up as Arbius computes `ts − ts × (1 − pct)`; zero
    /// while `base` is below `threshold`.
    fn share_of(&mut self, base: U256, pct: Param, threshold: u128) -> U256 {
        if base < U256::from(threshold) {
            return U256::ZERO;
        }
        let pct = self.param(pct);
        split(base, pct).1
    }

    /// The minimum stake: a share of the DML emitted so far.
    fn validator_minimum(&mut self) -> U256 {
        let emitted = self.ledger(field::TOTAL_EMITTED);
        self.share_of(emitted, Param::ValidatorMinimum, MIN_SUPPLY_FOR_VALIDATOR_DEPOSITS)
    }

    /// The slash: a share of the token's whole supply (genesis allocation plus
    /// emission), so stake is at risk as soon as real DML circulates.
    fn slash_amount(&mut self) -> U256 {
        let word = self.supply_word();
        let supply = get(word, field::TOTAL_SUPPLY);
        self.share_of(supply, Param::Slash, MIN_SUPPLY_FOR_SLASHING)
    }

    fn validator_slot(addr: Address) -> U256 {
        address_slot(addr, u(es::VALIDATORS))
    }

    fn validator(&mut self, addr: Address) -> Validator {
        Validator::from_word(self.j.load(Contract::Engine, Self::validator_slot(addr)))
    }

    fn set_validator(&mut self, addr: Address, validator: Validator) {
        self.j.store(Contract::Engine, Self::validator_slot(addr), validator.to_word());
    }

    /// The free stake (staked, less queued withdrawals) a validator needs to
    /// solve, contest or vote: the minimum, and never less than one slash, so
    /// whatever it does puts at least the slash at risk. (In Arbius the
    /// minimum is 8 slashes; here the slash counts the genesis allocation and
    /// the minimum does not, so the minimum alone can be far below it.)
    fn eligibility_stake(&mut self) -> U256 {
        let minimum = self.validator_minimum();
        minimum.max(self.slash_amount())
    }

    fn only_validator(&mut self, addr: Address) -> Result<Validator> {
        let validator = self.validator(addr);
        if validator.free_stake() < self.eligibility_stake() {
            return Err("min staked too low");
        }
        Ok(validator)
    }

    fn withdraw_slot(&self, addr: Address, count: U256) -> U256 {
        uint_slot(count, address_slot(addr, u(es::WITHDRAW_REQUESTS)))
    }

    fn task_state(&mut self, id: B256) -> TaskState {
        TaskState::from_word(self.j.load(Contract::Engine, task_slot(id, task_word::STATE)))
    }

    fn set_task_state(&mut self, id: B256, state: TaskState) {
        self.j.store(Contract::Engine, task_slot(id, task_word::STATE), state.to_word());
    }

    fn commitment(&mut self, sender: Address, taskid: B256, cid: &Bytes) -> B256 {
        let encoded = (sender, taskid, cid.clone()).abi_encode_params();
        self.hash(&encoded)
    }

    fn voted(&mut self, id: B256, addr: Address) -> bool {
        let slot = address_slot(addr, mapping_slot(id, u(es::VOTED)));
        !self.j.load(Contract::Engine, slot).is_zero()
    }

    fn voter(&mut self, id: B256, list: u64, index: U256) -> Result<Address> {
        let length_slot = mapping_slot(id, u(list));
        let length = self.j.load(Contract::Engine, length_slot);
        if index >= length {
            return Err("index out of bounds");
        }
        Ok(self.j.load_address(Contract::Engine, array_data_slot(length_slot) + index))
    }

    fn voters(&mut self, id: B256, list: u64) -> U256 {
        self.j.load(Contract::Engine, mapping_slot(id, u(list)))
    }

    fn push_voter(&mut self, id: B256, list: u64, addr: Address) {
        let length_slot = mapping_slot(id, u(list));
        let length = self.j.load(Contract::Engine, length_slot);
        self.j.store(Contract::Engine, array_data_slot(length_slot) + length, address_to_word(addr));
        self.j.store(Contract::Engine, length_slot, length + U256::from(1u8));
    }

    // ---- token ledger ----

    fn balance_slot(addr: Address) -> U256 {
        address_slot(addr, u(ts::BALANCES))
    }

    fn supply_word(&mut self) -> U256 {
        self.j.load(Contract::Token, u(ts::SUPPLY_AND_ENGINE_BALANCE))
    }

    fn balance(&mut self, addr: Address) -> U256 {
        if addr == self.ctx.contracts.engine {
            let word = self.supply_word();
            get(word, field::ENGINE_BALANCE)
        } else {
            get(self.j.load(Contract::Token, Self::balance_slot(addr)), field::BALANCE)
        }
    }

    fn set_balance(&mut self, addr: Address, amount: U256) {
        if addr == self.ctx.contracts.engine {
            let word = self.supply_word();
            self.j.store(Contract::Token, u(ts::SUPPLY_AND_ENGINE_BALANCE), set(word, field::ENGINE_BALANCE, amount));
        } else {
            let slot = Self::balance_slot(addr);
            let word = self.j.load(Contract::Token, slot);
            self.j.store(Contract::Token, slot, set(word, field::BALANCE, amount));
        }
    }

    /// ERC-20 transfer on behalf of `from` (called by the token itself).
    fn token_transfer(&mut self, from: Address, to: Address, amount: U256) -> Result<()> {
        if from.is_zero() {
            return Err("ERC20: transfer from the zero address");
        }
        if to.is_zero() {
            return Err("ERC20: transfer to the zero address");
        }
        let from_balance = self.balance(from);
        if from_balance < amount {
            return Err("ERC20: transfer amount exceeds balance");
        }
        self.set_balance(from, from_balance - amount);
        let to_balance = self.balance(to);
        self.set_balance(to, to_balance + amount);
        self.j.emit_event(Contract::Token, &IDmlToken::Transfer { from, to, value: amount });
        let (from_delegate, to_delegate) = (self.delegatee(from), self.delegatee(to));
        self.move_votes(from_delegate, to_delegate, amount);
        Ok(())
    }

    /// The engine moving DML (a call into the token contract).
    fn transfer(&mut self, from: Address, to: Address, amount: U256) -> Result<()> {
        self.j.touch_token();
        self.token_transfer(from, to, amount)
    }

    /// The engine minting new DML; the only way supply grows after genesis.
    fn mint(&mut self, to: Address, amount: U256) -> Result<()> {
        self.j.touch_token();
        let word = self.supply_word();
        let supply = get(word, field::TOTAL_SUPPLY);
        if supply + amount > MAX_SUPPLY {
            return Err("cap exceeded");
        }
        self.j.store(
            Contract::Token,
            u(ts::SUPPLY_AND_ENGINE_BALANCE),
            set(word, field::TOTAL_SUPPLY, supply + amount),
        );
        let balance = self.balance(to);
        self.set_balance(to, balance + amount);
        self.j.emit_event(Contract::Token, &IDmlToken::Transfer { from: Address::ZERO, to, value: amount });
        self.mint_votes(to, amount);
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Protocol rules
// ---------------------------------------------------------------------------

impl<S: Storage> Exec<'_, '_, S> {
    fn register_model(&mut self, addr: Address, fee: U256, template: &Bytes) -> Result<B256> {
        self.not_paused()?;
        if addr.is_zero() {
            return Err("address must be non-zero");
        }
        if fee > MAX_SUPPLY {
            return Err("fee above supply cap");
        }
        if template.len() > MAX_TASK_INPUT_BYTES {
            return Err("template too large");
        }
        let (digest, hashed) = cid::cid_v0_digest(template);
        self.j.charge(gas::sha256(hashed));
        let cid = Bytes::from(cid::cid_v0_bytes(&digest));
        let id = self.hash(&(self.ctx.sender, addr, fee, cid).abi_encode_params());
        if !self.j.load(Contract::Engine, model_slot(id, 0)).is_zero() {
            return Err("model already registered");
        }
        let head = set(address_to_word(addr), field::MODEL_FEE, fee);
        self.j.store(Contract::Engine, model_slot(id, 0), head);
        self.j.store(Contract::Engine, model_slot(id, 2), U256::from_be_bytes(digest));
        self.emit(IEngine::ModelRegistered { id });
        Ok(id)
    }

    fn validator_deposit(&mut self, addr: Address, amount: U256) -> Result<()> {
        self.not_paused()?;
        if addr.is_zero() {
            return Err("validator is the zero address");
        }
        self.transfer(self.ctx.sender, self.ctx.contracts.engine, amount)?;
        let minimum = self.validator_minimum();
        let mut validator = self.validator(addr);
        if validator.staked <= minimum && validator.staked + amount >= minimum {
            validator.since = self.now();
        }
        validator.staked += amount;
        validator.registered = true;
        self.set_validator(addr, validator);
        self.emit(IEngine::ValidatorDeposit { addr: self.ctx.sender, validator: addr, amount });
        Ok(())
    }

    fn initiate_withdraw(&mut self, amount: U256) -> Result<U256> {
        self.not_paused()?;
        let sender = self.ctx.sender;
        let mut validator = self.validator(sender);
        if amount.is_zero() {
            return Err("amount is zero");
        }
        if validator.free_stake() < amount {
            return Err("insufficient stake");
        }
        let unlock_time = self.now() + self.param(Param::ExitUnlock);
        let count_slot = address_slot(sender, u(es::WITHDRAW_COUNT));
        let count = self.j.load(Contract::Engine, count_slot) + U256::from(1u8);
        self.j.store(Contract::Engine, count_slot, count);
        let request = set(set(U256::ZERO, field::UNLOCK_TIME, unlock_time), field::REQUEST_AMOUNT, amount);
        self.j.store(Contract::Engine, self.withdraw_slot(sender, count), request);
        validator.pending += amount;
        self.set_validator(sender, validator);
        self.emit(IEngine::ValidatorWithdrawInitiated { addr: sender, count, unlockTime: unlock_time, amount });
        Ok(count)
    }

    fn cancel_withdraw(&mut self, count: U256) -> Result<()> {
        self.not_paused()?;
        let sender = self.ctx.sender;
        let slot = self.withdraw_slot(sender, count);
        let request = self.j.load(Contract::Engine, slot);
        if get(request, field::UNLOCK_TIME).is_zero() {
            return Err("request not exist");
        }
        let mut validator = self.validator(sender);
        validator.pending -= get(request, field::REQUEST_AMOUNT);
        self.set_validator(sender, validator);
        self.j.store(Contract::Engine, slot, U256::ZERO);
        self.emit(IEngine::ValidatorWithdrawCancelled { addr: sender, count });
        Ok(())
    }

    fn validator_withdraw(&mut self, count: U256, to: Address) -> Result<()> {
        self.not_paused()?;
        let sender = self.ctx.sender;
        let slot = self.withdraw_slot(sender, count);
        let request = self.j.load(Contract::Engine, slot);
        let unlock_time = get(request, field::UNLOCK_TIME);
        let amount = get(request, field::REQUEST_AMOUNT);
        if unlock_time.is_zero() {
            return Err("request not exist");
        }
        if self.now() < unlock_time {
            return Err("wait longer");
        }
        let mut validator = self.validator(sender);
        if validator.staked < amount {
            return Err("stake insufficient");
        }
        validator.staked -= amount;
        validator.pending -= amount;
        self.set_validator(sender, validator);
        self.j.store(Contract::Engine, slot, U256::ZERO);
        self.transfer(self.ctx.contracts.engine, to, amount)?;
        self.emit(IEngine::ValidatorWithdraw { addr: sender, to, count, amount });
        Ok(())
    }

    fn submit_task(&mut self, version: u8, owner: Address, model: B256, fee: U256, input: &Bytes) -> Result<B256> {
        let model_head = self.j.load(Contract::Engine, model_slot(model, 0));
        if model_head.is_zero() {
            return Err("model does not exist");
        }
        if fee < get(model_head, field::MODEL_FEE) {
            return Err("lower fee than model fee");
        }
        if owner.is_zero() {
            return Err("owner is the zero address");
        }
        if input.len() > MAX_TASK_INPUT_BYTES {
            return Err("input too large");
        }
        let (digest, hashed) = cid::cid_v0_digest(input);
        self.j.charge(gas::sha256(hashed));
        let prevhash = b256(self.j.load(Contract::Engine, u(es::PREVHASH)));
        let cid = Bytes::from(cid::cid_v0_bytes(&digest));
        let id = self.hash(&(self.ctx.sender, prevhash, model, fee, cid).abi_encode_params());
        if self.task_state(id).status != TaskStatus::None {
            return Err("task already exists");
        }
        if !fee.is_zero() {
            self.transfer(self.ctx.sender, self.ctx.contracts.engine, fee)?;
        }
        self.j.store(Contract::Engine, task_slot(id, task_word::MODEL), word(model));
        self.j.store(Contract::Engine, task_slot(id, task_word::INPUT_CID), U256::from_be_bytes(digest));
        let owner_fee = set(address_to_word(owner), field::TASK_FEE, fee);
        self.j.store(Contract::Engine, task_slot(id, task_word::OWNER_FEE), owner_fee);
        let state = TaskState {
            solver: Address::ZERO,
            task_time: self.now(),
            solution_time: U256::ZERO,
            version: U256::from(version),
            status: TaskStatus::Open,
        };
        self.set_task_state(id, state);
        self.j.store(Contract::Engine, u(es::PREVHASH), word(id));
        self.emit(IEngine::TaskSubmitted { id, model, fee, sender: self.ctx.sender });
        Ok(id)
    }

    fn retract_task(&mut self, id: B256) -> Result<()> {
        self.not_paused()?;
        let owner_fee = self.j.load(Contract::Engine, task_slot(id, task_word::OWNER_FEE));
        let state = self.task_state(id);
        if state.status == TaskStatus::None || word_to_address(owner_fee) != self.ctx.sender {
            return Err("not owner");
        }
        if state.status != TaskStatus::Open {
            return Err("has solution");
        }
        let wait = self.param(Param::MinRetractionWait);
        if self.now() - state.task_time <= wait {
            return Err("did not wait long enough");
        }
        let fee = get(owner_fee, field::TASK_FEE);
        let pct = self.param(Param::RetractionFee);
        let (refund, kept) = split(fee, pct);
        let accrued = self.ledger(field::ACCRUED_FEES);
        self.set_ledger(field::ACCRUED_FEES, accrued + kept);
        for word in [task_word::MODEL, task_word::INPUT_CID, task_word::OWNER_FEE, task_word::STATE] {
            self.j.store(Contract::Engine, task_slot(id, word), U256::ZERO);
        }
        if !refund.is_zero() {
            self.transfer(self.ctx.contracts.engine, self.ctx.sender, refund)?;
        }
        self.emit(IEngine::TaskRetracted { id });
        Ok(())
    }

    fn signal_commitment(&mut self, commitment: B256) -> Result<()> {
        let slot = mapping_slot(commitment, u(es::COMMITMENTS));
        if !self.j.load(Contract::Engine, slot).is_zero() {
            return Err("commitment exists");
        }
        if self.ctx.block_number == 0 {
            return Err("block number is zero");
        }
        self.j.store(Contract::Engine, slot, u(self.ctx.block_number));
        self.emit(IEngine::SignalCommitment { addr: self.ctx.sender, commitment });
        Ok(())
    }

    fn submit_solution(&mut self, id: B256, cid_bytes: &Bytes) -> Result<()> {
        let sender = self.ctx.sender;
        let mut state = self.task_state(id);
        match state.status {
            TaskStatus::None => return Err("task does not exist"),
            TaskStatus::Open => {}
            _ => return Err("solution already submitted"),
        }
        let Some(digest) = cid::parse_cid_v0(cid_bytes) else {
            return Err("cid must be a sha2-256 CIDv0 multihash");
        };
        let commitment = self.commitment(sender, id, cid_bytes);
        let commitment_slot = mapping_slot(commitment, u(es::COMMITMENTS));
        let committed_at = self.j.load(Contract::Engine, commitment_slot);
        if committed_at.is_zero() {
            return Err("non existent commitment");
        }
        if committed_at >= u(self.ctx.block_number) {
            return Err("commitment must be in past");
        }
        // The slash this solution risks is escrowed from the solver's stake
        // now, as a vote's is: a later withdrawal cannot take it, and a
        // contestation of this solution uses this amount for every voter.
        let mut validator = self.only_validator(sender)?;
        let slash = self.slash_amount();
        if !slash.is_zero() {
            validator.staked -= slash;
            self.set_validator(sender, validator);
            self.j.store(Contract::Engine, contestation_slot(id, 1), slash);
        }
        state.solver = sender;
        state.solution_time = self.now();
        state.status = TaskStatus::Solved;
        self.set_task_state(id, state);
        self.j.store(Contract::Engine, task_slot(id, task_word::SOLUTION_CID), U256::from_be_bytes(digest));
        // The commitment has served its purpose; clearing it earns a refund.
        self.j.store(Contract::Engine, commitment_slot, U256::ZERO);
        self.emit(IEngine::SolutionSubmitted { addr: sender, task: id });
        Ok(())
    }

    fn claim_solution(&mut self, id: B256) -> Result<()> {
        let mut state = self.task_state(id);
        match state.status {
            TaskStatus::Solved => {}
            TaskStatus::Contested => return Err("has contestation"),
            TaskStatus::Claimed | TaskStatus::Refunded => return Err("already claimed"),
            TaskStatus::None | TaskStatus::Open => return Err("solution not found"),
        }
        let window = self.param(Param::MinClaimTime);
        if state.solution_time + window >= self.now() {
            return Err("not enough delay");
        }
        state.status = TaskStatus::Claimed;
        self.set_task_state(id, state);
        self.release_solution_slash(id, state.solver);
        self.emit(IEngine::SolutionClaimed { addr: state.solver, task: id });
        self.pay_solution(id, state.solver)
    }

    /// Returns the slash escrowed by an uncontested solution to its solver.
    fn release_solution_slash(&mut self, id: B256, solver: Address) {
        let slot = contestation_slot(id, 1);
        let slash = self.j.load(Contract::Engine, slot);
        if slash.is_zero() {
            return;
        }
        let mut validator = self.validator(solver);
        validator.staked += slash;
        self.set_validator(solver, validator);
        self.j.store(Contract::Engine, slot, U256::ZERO);
    }

    /// Fee split and reward of a solved task (a claim, or a failed contestation).
    fn pay_solution(&mut self, id: B256, solver: Address) -> Result<()> {
        let engine = self.ctx.contracts.engine;
        let model = b256(self.j.load(Contract::Engine, task_slot(id, task_word::MODEL)));
        let fee = get(self.j.load(Contract::Engine, task_slot(id, task_word::OWNER_FEE)), field::TASK_FEE);
        let model_head = self.j.load(Contract::Engine, model_slot(model, 0));
        let mut model_fee = get(model_head, field::MODEL_FEE);
        if model_fee > fee {
            model_fee = U256::ZERO;
        }
        let solution_fee_pct = self.param(Param::SolutionFee);
        let treasury_pct = self.param(Param::TreasuryReward);
        let liquidity_pct = self.param(Param::LiquidityReward);

        let (solver_fee, treasury_fee) = split(fee - model_fee, solution_fee_pct);

        let rate = self.j.load(Contract::Engine, model_slot(model, 1));
        let mut minted = U256::ZERO;
        if !rate.is_zero() {
            let cap = self.emission_cap();
            let emitted = self.ledger(field::TOTAL_EMITTED);
            let reward = self.current_reward();
            // A rate above 1e18 could outrun the cap; never mint past it.
            minted = div(reward.saturating_mul(rate), WAD).min(cap - emitted);
        }
        let (treasury_reward, liquidity_reward, solver_reward) = split_mint(minted, treasury_pct, liquidity_pct);

        let ledger = self.j.load(Contract::Engine, u(es::LEDGER));
        let mut updated = set(ledger, field::TOTAL_EMITTED, get(ledger, field::TOTAL_EMITTED) + minted);
        updated = set(updated, field::ACCRUED_FEES, get(ledger, field::ACCRUED_FEES) + treasury_fee + treasury_reward);
        updated = set(updated, field::ACCRUED_LIQUIDITY, get(ledger, field::ACCRUED_LIQUIDITY) + liquidity_reward);
        self.j.store(Contract::Engine, u(es::LEDGER), updated);

        if !model_fee.is_zero() {
            self.transfer(engine, word_to_address(model_head), model_fee)?;
        }
        // New DML is minted to the engine and paid out with the fee in one
        // transfer: one log and one balance update fewer than minting to the
        // solver separately.
        if !minted.is_zero() {
            self.mint(engine, minted)?;
            self.emit(IEngine::RewardsMinted {
                task: id,
                solver: solver_reward,
                treasury: treasury_reward,
                liquidity: liquidity_reward,
            });
        }
        if !(solver_fee + solver_reward).is_zero() {
            self.transfer(engine, solver, solver_fee + solver_reward)?;
        }
        Ok(())
    }

    fn submit_contestation(&mut self, id: B256) -> Result<()> {
        self.not_paused()?;
        let sender = self.ctx.sender;
        self.only_validator(sender)?;
        let mut state = self.task_state(id);
        match state.status {
            TaskStatus::Solved => {}
            TaskStatus::Contested => return Err("contestation already exists"),
            TaskStatus::Claimed | TaskStatus::Refunded => return Err("already claimed"),
            TaskStatus::None | TaskStatus::Open => return Err("solution does not exist"),
        }
        let window = self.param(Param::MinClaimTime);
        if self.now() >= state.solution_time + window {
            return Err("too late");
        }
        if state.solver == sender {
            return Err("cannot contest own solution");
        }
        // The slash was fixed (and the accused's escrowed) when the solution
        // was submitted; word 1 holds it. The contester's escrow is checked
        // here, before the first write (governance may have lowered the slash
        // since, so eligibility alone does not cover it).
        let slash = self.j.load(Contract::Engine, contestation_slot(id, 1));
        if self.validator(sender).free_stake() < slash {
            return Err("stake below slash amount");
        }
        let head = set(set(address_to_word(sender), field::CONTEST_TIME, self.now()), field::FINISH_INDEX, U256::ZERO);
        self.j.store(Contract::Engine, contestation_slot(id, 0), head);
        state.status = TaskStatus::Contested;
        self.set_task_state(id, state);
        self.emit(IEngine::ContestationSubmitted { addr: sender, task: id });
        self.vote(id, true, sender)?;
        // The accused votes against with the escrow its solution put up.
        self.record_vote(id, false, state.solver);
        Ok(())
    }

    /// Eligibility to vote: 0 if allowed, else the Arbius error code.
    fn can_vote(&mut self, addr: Address, id: B256) -> u64 {
        let head = self.j.load(Contract::Engine, contestation_slot(id, 0));
        if word_to_address(head).is_zero() {
            return 0x01;
        }
        let contested_at = get(head, field::CONTEST_TIME);
        let period = self.param(Param::VotePeriod);
        // Voting closes when finishing opens, so no vote can land mid-settlement.
        if self.now() >= contested_at + period {
            return 0x02;
        }
        if self.voted(id, addr) {
            return 0x03;
        }
        let validator = self.validator(addr);
        if validator.since.is_zero() {
            return 0x04;
        }
        let slack = self.param(Param::StakeSinceSlack);
        if validator.since > contested_at + slack {
            return 0x06;
        }
        0
    }

    /// A vote that escrows the contestation's slash from the voter's free
    /// stake, so a loser cannot withdraw before settlement.
    fn vote(&mut self, id: B256, yea: bool, addr: Address) -> Result<()> {
        let slash = self.j.load(Contract::Engine, contestation_slot(id, 1));
        let mut validator = self.validator(addr);
        if validator.free_stake() < slash {
            return Err("stake below slash amount");
        }
        validator.staked -= slash;
        self.set_validator(addr, validator);
        self.record_vote(id, yea, addr);
        Ok(())
    }

    /// Marks `addr` as having voted and adds it to the yeas or nays.
    fn record_vote(&mut self, id: B256, yea: bool, addr: Address) {
        let voted_slot = address_slot(addr, mapping_slot(id, u(es::VOTED)));
        self.j.store(Contract::Engine, voted_slot, U256::from(1u8));
        self.push_voter(id, if yea { es::YEAS } else { es::NAYS }, addr);
        self.emit(IEngine::ContestationVote { addr, task: id, yea });
    }

    fn contestation_vote_finish(&mut self, id: B256, amount: u32) -> Result<()> {
        self.not_paused()?;
        let head = self.j.load(Contract::Engine, contestation_slot(id, 0));
        if word_to_address(head).is_zero() {
            return Err("contestation doesn't exist");
        }
        let period = self.param(Param::VotePeriod);
        if self.now() < get(head, field::CONTEST_TIME) + period {
            return Err("voting period not ended");
        }
        if amount == 0 {
            return Err("amnt too small");
        }
        let yeas = self.voters(id, es::YEAS);
        let nays = self.voters(id, es::NAYS);
        let contestation_won = yeas > nays;
        let (winners, losers, list) = if contestation_won { (yeas, nays, es::YEAS) } else { (nays, yeas, es::NAYS) };
        let start = get(head, field::FINISH_INDEX);
        if start >= winners {
            return Err("contestation already finished");
        }
        let end = (start + u(amount as u64)).min(winners);
        let slash = self.j.load(Contract::Engine, contestation_slot(id, 1));

        // The losers' escrow: half (rounded up) to the first winner (the
        // contester or the accused), the rest shared by the other winners;
        // the indivisible remainder accrues to the treasury.
        let pot = losers * slash;
        let to_first = if winners == U256::from(1u8) { pot } else { pot - (pot >> 1) };
        let others = winners - U256::from(1u8);
        let to_other = if others.is_zero() { U256::ZERO } else { div(pot - to_first, others) };

        let engine = self.ctx.contracts.engine;
        let mut index = start;
        while index < end {
            let addr = self.voter(id, list, index)?;
            let mut validator = self.validator(addr);
            validator.staked += slash;
            self.set_validator(addr, validator);
            let share = if index.is_zero() { to_first } else { to_other };
            if !share.is_zero() {
                self.transfer(engine, addr, share)?;
            }
            self.check_gas()?;
            index += U256::from(1u8);
        }

        if start.is_zero() {
            let dust = pot - to_first - to_other * others;
            let mut state = self.task_state(id);
            if contestation_won {
                let owner_fee = self.j.load(Contract::Engine, task_slot(id, task_word::OWNER_FEE));
                let fee = get(owner_fee, field::TASK_FEE);
                state.status = TaskStatus::Refunded;
                self.set_task_state(id, state);
                if !dust.is_zero() {
                    let accrued = self.ledger(field::ACCRUED_FEES);
                    self.set_ledger(field::ACCRUED_FEES, accrued + dust);
                }
                if !fee.is_zero() {
                    self.transfer(engine, word_to_address(owner_fee), fee)?;
                }
            } else {
                state.status = TaskStatus::Claimed;
                self.set_task_state(id, state);
                if !dust.is_zero() {
                    let accrued = self.ledger(field::ACCRUED_FEES);
                    self.set_ledger(field::ACCRUED_FEES, accrued + dust);
                }
                self.pay_solution(id, state.solver)?;
            }
            self.emit(IEngine::ContestationResolved { task: id, contestationWon: contestation_won, yeas, nays });
        }

        let updated = set(head, field::FINISH_INDEX, end);
        self.j.store(Contract::Engine, contestation_slot(id, 0), updated);
        self.emit(IEngine::ContestationVoteFinish { id, start_idx: start.to::<u32>(), end_idx: end.to::<u32>() });
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Genesis
// ---------------------------------------------------------------------------

pub(crate) fn genesis<S: Storage>(storage: &mut S, config: &Genesis) -> core::result::Result<Vec<Log>, GenesisError> {
    if config.owner.is_zero() {
        return Err(GenesisError::ZeroOwner);
    }
    if config.start_time >= MAX_TIMESTAMP {
        return Err(GenesisError::StartTimeOutOfRange);
    }
    let p = &config.parameters;
    let wad = WAD.to::<u64>();
    if p.to_array()[..6].iter().any(|&pct| pct > wad)
        || p.treasury_reward_percentage as u128 + p.liquidity_reward_percentage as u128 > wad as u128
    {
        return Err(GenesisError::PercentageOutOfRange);
    }
    let mut allocated = U256::ZERO;
    for (holder, amount) in &config.allocations {
        if holder.is_zero() {
            return Err(GenesisError::ZeroAddressAllocation);
        }
        allocated = allocated.saturating_add(*amount);
    }
    if allocated > MAX_SUPPLY {
        return Err(GenesisError::AllocationExceedsCap);
    }

    let mut j = Journal::new(storage);
    j.store(Contract::Engine, u(es::OWNER), address_to_word(config.owner));
    j.store(Contract::Engine, u(es::PAUSER), address_to_word(config.pauser));
    j.store(Contract::Engine, u(es::TREASURY), address_to_word(config.treasury));
    j.store(Contract::Engine, u(es::LIQUIDITY_POOL), address_to_word(config.liquidity_pool));
    let values = [
        (Param::EmissionCap, MAX_SUPPLY - allocated),
        (Param::StartTime, u(config.start_time)),
        (Param::SolutionFee, u(p.solution_fee_percentage)),
        (Param::TreasuryReward, u(p.treasury_reward_percentage)),
        (Param::LiquidityReward, u(p.liquidity_reward_percentage)),
        (Param::MinClaimTime, u(p.min_claim_solution_time)),
        (Param::ValidatorMinimum, u(p.validator_minimum_percentage)),
        (Param::Slash, u(p.slash_amount_percentage)),
        (Param::RetractionFee, u(p.retraction_fee_percentage)),
        (Param::MinRetractionWait, u(p.min_retraction_wait_time)),
        (Param::VotePeriod, u(p.min_contestation_vote_period_time)),
        (Param::StakeSinceSlack, u(p.max_contestation_validator_stake_since)),
        (Param::ExitUnlock, u(p.exit_validator_min_unlock_time)),
    ];
    for (param, value) in values {
        let (slot, fld) = param.location();
        let word = j.load(Contract::Engine, u(slot));
        j.store(Contract::Engine, u(slot), set(word, fld, value));
    }
    for (holder, amount) in &config.allocations {
        if *holder == config.contracts.engine {
            return Err(GenesisError::EngineAllocation);
        }
        let slot = address_slot(*holder, u(ts::BALANCES));
        let balance = j.load(Contract::Token, slot);
        j.store(Contract::Token, slot, balance + amount);
        j.emit_event(Contract::Token, &IDmlToken::Transfer { from: Address::ZERO, to: *holder, value: *amount });
    }
    j.store(Contract::Token, u(ts::SUPPLY_AND_ENGINE_BALANCE), set(U256::ZERO, field::TOTAL_SUPPLY, allocated));

    // The rest runs as the protocol's own code would: the allocation's supply
    // checkpoint (no holder delegates yet, so no votes move), then each model
    // registered by its address and given its rate.
    let mut ctx = CallContext::new(config.owner, config.contracts, 0, config.timestamp);
    let mut exec = Exec { j, ctx: &ctx, custom_error: None };
    if !allocated.is_zero() {
        exec.grow_supply(allocated);
    }
    let mut j = exec.j;
    for model in &config.models {
        ctx.sender = model.addr;
        let mut exec = Exec { j, ctx: &ctx, custom_error: None };
        let id = exec.register_model(model.addr, model.fee, &model.template).map_err(GenesisError::Model)?;
        exec.j.store(Contract::Engine, model_slot(id, 1), model.rate);
        exec.emit(IEngine::SolutionMineableRateChange { id, rate: model.rate });
        j = exec.j;
    }
    let (_, logs, _, _) = j.commit();
    Ok(logs)
}
