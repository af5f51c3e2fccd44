//! Random call sequences over the engine's and token's ABI, in the spirit of
//! `dml-engine`'s property tests: many senders, tasks solved, claimed,
//! retracted and contested, stakes moving, stake delegated to solvers
//! (deposits, unbonding, withdrawals, rewards, commission, closed pools),
//! ERC-20 traffic, vote delegations (so transfers and mints move votes), views (vote look-ups in the past and the
//! future included), time jumps and garbage calldata. The generator steers by what the reference world
//! (the dev chain) reported: task ids come from its `TaskSubmitted` logs.

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_sol_types::{SolCall, SolEvent};
use dml_engine::Contract;
use dml_primitives::{IDmlToken, IEngine, ONE_DML};

use super::{GENESIS_TIME, WINDOW};

/// SplitMix64: small, seedable, reproducible.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

/// Dev accounts that act (account 0 is the owner and genesis authority).
pub const ACTORS: [usize; 6] = [1, 2, 3, 4, 5, 6];
pub const OWNER: usize = 0;

/// One generated call: who, to which contract, what, and how long after the previous one.
#[derive(Clone, Debug)]
pub struct GeneratedCall {
    pub sender: usize,
    pub contract: Contract,
    pub data: Vec<u8>,
    pub seconds: u64,
    /// Name of the function (or `garbage`), for reports.
    pub kind: &'static str,
}

fn call<C: SolCall>(sender: usize, contract: Contract, c: C) -> GeneratedCall {
    GeneratedCall { sender, contract, data: c.abi_encode(), seconds: 1, kind: C::SIGNATURE.split('(').next().unwrap() }
}

fn engine<C: SolCall>(sender: usize, c: C) -> GeneratedCall {
    call(sender, Contract::Engine, c)
}

fn token<C: SolCall>(sender: usize, c: C) -> GeneratedCall {
    call(sender, Contract::Token, c)
}

fn dml_centi(centi: u64) -> U256 {
    U256::from(centi) * ONE_DML / U256::from(100u8)
}

fn cid(tag: u8) -> Bytes {
    let mut bytes = vec![0x12, 0x20];
    bytes.extend_from_slice(&[tag; 32]);
    bytes.into()
}

/// What the generator knows of the world.
pub struct Generator {
    pub rng: Rng,
    addresses: Vec<Address>,
    models: Vec<B256>,
    tasks: Vec<B256>,
    /// Tasks with a solution: the ones worth claiming and contesting.
    solved: Vec<B256>,
    /// Stake delegated so far: (delegator, solver), from `StakeDelegated` logs.
    delegations: Vec<(usize, Address)>,
    /// A commitment signalled and the solution to reveal next: (solver, task, cid).
    pending_reveal: Option<(usize, B256, Bytes)>,
    queued: Vec<GeneratedCall>,
    /// The time of the last call handed out (the worlds add each call's
    /// `seconds`, at least 1), for look-ups into the past.
    clock: u64,
}

impl Generator {
    pub fn new(seed: u64, addresses: Vec<Address>) -> Self {
        Self {
            rng: Rng::new(seed),
            addresses,
            models: Vec::new(),
            tasks: Vec::new(),
            solved: Vec::new(),
            delegations: Vec::new(),
            pending_reveal: None,
            queued: Vec::new(),
            clock: GENESIS_TIME,
        }
    }

    /// The calls that set a sequence up: two models (one rewarded), stakes.
    pub fn setup(&mut self) -> Vec<GeneratedCall> {
        let mut calls = vec![
            engine(
                1,
                IEngine::registerModelCall {
                    addr_: self.addresses[7],
                    fee_: U256::ZERO,
                    template_: br#"{"name":"free"}"#.to_vec().into(),
                },
            ),
            engine(
                2,
                IEngine::registerModelCall {
                    addr_: self.addresses[8],
                    fee_: dml_centi(25),
                    template_: br#"{"name":"paid"}"#.to_vec().into(),
                },
            ),
        ];
        for actor in ACTORS {
            let amount = dml_centi(10_000 + self.rng.below(20_000));
            calls.push(engine(
                actor,
                IEngine::validatorDepositCall { validator_: self.addresses[actor], amount_: amount },
            ));
        }
        // Half the actors vote from the start, for themselves or another.
        for actor in ACTORS.into_iter().step_by(2) {
            let other = self.actor();
            let delegatee = self.addresses[other];
            calls.push(token(actor, IDmlToken::delegateCall { delegatee }));
        }
        self.clock += calls.len() as u64;
        calls
    }

    /// Learns from a call the reference world ran successfully.
    pub fn observe(&mut self, call: &GeneratedCall, output: &[u8], logs: &[(Vec<B256>, Bytes)]) {
        for (topics, _) in logs {
            if topics.first() == Some(&IEngine::TaskSubmitted::SIGNATURE_HASH) {
                self.tasks.push(topics[1]);
            }
            if topics.first() == Some(&IEngine::SolutionSubmitted::SIGNATURE_HASH) {
                self.solved.push(topics[2]);
            }
            if topics.first() == Some(&IEngine::StakeDelegated::SIGNATURE_HASH) {
                let (delegator, solver) = (Address::from_word(topics[1]), Address::from_word(topics[2]));
                if let Some(index) = self.addresses.iter().position(|a| *a == delegator) {
                    self.delegations.push((index, solver));
                }
            }
            if topics.first() == Some(&IEngine::ContestationSubmitted::SIGNATURE_HASH) {
                // Other validators vote, some twice (refused), then someone finishes in batches.
                let task = topics[2];
                for _ in 0..3 {
                    let voter = self.actor();
                    let yea = self.rng.chance(50);
                    self.queued.push(engine(voter, IEngine::voteOnContestationCall { taskid_: task, yea_: yea }));
                }
                for _ in 0..3 {
                    let finisher = self.actor();
                    let batch = 1 + self.rng.below(3) as u32;
                    let mut finish =
                        engine(finisher, IEngine::contestationVoteFinishCall { taskid_: task, amnt_: batch });
                    finish.seconds = WINDOW / 2 + self.rng.below(WINDOW);
                    self.queued.push(finish);
                }
            }
            if topics.first() == Some(&IEngine::ModelRegistered::SIGNATURE_HASH) {
                let model = topics[1];
                self.models.push(model);
                if self.models.len() == 2 {
                    // Reward tasks of the paid model.
                    self.queued
                        .push(engine(OWNER, IEngine::setSolutionMineableRateCall { model_: model, rate_: ONE_DML }));
                }
            }
        }
        if call.kind == "generateCommitment" {
            if let (Some((solver, task, cid)), Ok(commitment)) =
                (self.pending_reveal.clone(), IEngine::generateCommitmentCall::abi_decode_returns(output))
            {
                self.queued.push(engine(solver, IEngine::signalCommitmentCall { commitment_: commitment }));
                let mut reveal = engine(solver, IEngine::submitSolutionCall { taskid_: task, cid_: cid });
                reveal.seconds = 1 + self.rng.below(3);
                self.queued.push(reveal);
            }
        }
    }

    fn actor(&mut self) -> usize {
        self.rng.pick(&ACTORS)
    }

    fn task(&mut self) -> B256 {
        if self.tasks.is_empty() || self.rng.chance(3) {
            B256::repeat_byte(0xee)
        } else {
            // Mostly recent tasks, which are the ones still in play.
            let recent = self.tasks.len().min(6) as u64;
            self.tasks[self.tasks.len() - 1 - self.rng.below(recent) as usize]
        }
    }

    /// A solved task, most of the time (claims and contestations need one).
    fn solved_task(&mut self) -> B256 {
        if self.solved.is_empty() || self.rng.chance(30) {
            self.task()
        } else {
            let recent = self.solved.len().min(4) as u64;
            self.solved[self.solved.len() - 1 - self.rng.below(recent) as usize]
        }
    }

    fn model(&mut self) -> B256 {
        if self.models.is_empty() || self.rng.chance(3) {
            B256::repeat_byte(0x4d)
        } else {
            self.models[self.rng.below(self.models.len() as u64) as usize]
        }
    }

    /// The next call.
    pub fn next_call(&mut self) -> GeneratedCall {
        let generated = if self.queued.is_empty() {
            let mut generated = self.fresh_call();
            generated.seconds = match self.rng.below(10) {
                0 => WINDOW + 1 + self.rng.below(WINDOW),
                1 | 2 => 5 + self.rng.below(40),
                _ => 1 + self.rng.below(3),
            };
            generated
        } else {
            self.queued.remove(0)
        };
        self.clock += generated.seconds.max(1);
        generated
    }

    fn fresh_call(&mut self) -> GeneratedCall {
        let a = self.addresses.clone();
        let (actor, other) = (self.actor(), self.actor());
        let (actor_address, other_address) = (a[actor], a[other]);
        match self.rng.below(108) {
            0..=13 => {
                let model = self.model();
                let fee = dml_centi(self.rng.below(300));
                let input_len = self.rng.pick(&[0usize, 12, 40, 300, 2_000]);
                let input: Vec<u8> =
                    (0..input_len).map(|i| b'a' + ((i as u64 + self.rng.below(26)) % 26) as u8).collect();
                engine(
                    actor,
                    IEngine::submitTaskCall {
                        version_: 0,
                        owner_: actor_address,
                        model_: model,
                        fee_: fee,
                        input_: input.into(),
                    },
                )
            }
            14..=25 => {
                let task = self.task();
                let tag = if self.rng.chance(80) { 0xa0 } else { self.rng.below(256) as u8 };
                let solution = cid(tag);
                self.pending_reveal = Some((actor, task, solution.clone()));
                engine(actor, IEngine::generateCommitmentCall { sender_: actor_address, taskid_: task, cid_: solution })
            }
            26..=35 => {
                let task = self.solved_task();
                engine(actor, IEngine::claimSolutionCall { taskid_: task })
            }
            36..=39 => {
                let task = self.task();
                engine(actor, IEngine::retractTaskCall { taskid_: task })
            }
            40..=45 => {
                let task = self.solved_task();
                engine(actor, IEngine::submitContestationCall { taskid_: task })
            }
            46..=51 => {
                let task = self.task();
                let yea = self.rng.chance(50);
                engine(actor, IEngine::voteOnContestationCall { taskid_: task, yea_: yea })
            }
            52..=56 => {
                let task = self.task();
                let batch = 1 + self.rng.below(4) as u32;
                engine(actor, IEngine::contestationVoteFinishCall { taskid_: task, amnt_: batch })
            }
            57..=60 => {
                let amount = dml_centi(self.rng.below(20_000));
                engine(actor, IEngine::validatorDepositCall { validator_: other_address, amount_: amount })
            }
            61..=63 => {
                let amount = dml_centi(self.rng.below(15_000));
                engine(actor, IEngine::initiateValidatorWithdrawCall { amount_: amount })
            }
            64..=65 => {
                let count = U256::from(self.rng.below(4));
                engine(actor, IEngine::validatorWithdrawCall { count_: count, to_: other_address })
            }
            66 => {
                let count = U256::from(self.rng.below(4));
                engine(actor, IEngine::cancelValidatorWithdrawCall { count_: count })
            }
            67..=71 => {
                let amount = dml_centi(self.rng.below(50_000));
                token(actor, IDmlToken::transferCall { to: other_address, amount })
            }
            72..=73 => {
                let amount = dml_centi(self.rng.below(5_000));
                token(actor, IDmlToken::approveCall { spender: other_address, amount })
            }
            74..=75 => {
                let from_index = self.actor();
                let from = a[from_index];
                let amount = dml_centi(self.rng.below(3_000));
                token(actor, IDmlToken::transferFromCall { from, to: other_address, amount })
            }
            76 => engine(if self.rng.chance(70) { OWNER } else { actor }, IEngine::withdrawAccruedFeesCall {}),
            77 => {
                let model = self.model();
                let support = self.rng.chance(50);
                engine(actor, IEngine::signalSupportCall { model_: model, support_: support })
            }
            78..=88 => self.view(actor),
            89..=91 => {
                // To another actor, to oneself, or away (to nobody).
                let delegatee = match self.rng.below(4) {
                    0 => Address::ZERO,
                    1 => actor_address,
                    _ => other_address,
                };
                token(actor, IDmlToken::delegateCall { delegatee })
            }
            92..=93 => {
                let paused = self.rng.chance(50);
                engine(if self.rng.chance(80) { OWNER } else { actor }, IEngine::setPausedCall { paused_: paused })
            }
            94 => {
                let amount = U256::from(self.rng.pick(&[0u64, 30, 61, 1_000]));
                engine(OWNER, IEngine::setMinClaimSolutionTimeCall { amount_: amount })
            }
            100..=107 => self.delegated_stake(actor),
            _ => self.garbage(actor),
        }
    }

    /// A call to delegated stake: mostly deposits and unbonding with a
    /// solver among the actors (all of which stake in the setup), some with
    /// amounts the engine refuses (zero, more than delegated), all of it
    /// (`type(uint256).max`), terms, rewards, withdrawals and the views.
    fn delegated_stake(&mut self, actor: usize) -> GeneratedCall {
        let solver_index = self.actor();
        let mut solver = self.addresses[solver_index];
        let mut actor = actor;
        // Mostly a position that exists, for the calls that need one.
        if !self.delegations.is_empty() && self.rng.chance(75) {
            (actor, solver) = self.delegations[self.rng.below(self.delegations.len() as u64) as usize];
        }
        let actor_address = self.addresses[actor];
        match self.rng.below(12) {
            0..=2 => {
                let amount = dml_centi(self.rng.pick(&[0, 1, 50, 500, 3_000, 20_000]));
                engine(actor, IEngine::delegateStakeCall { solver_: solver, amount_: amount })
            }
            3..=4 => {
                let amount = if self.rng.chance(40) { U256::MAX } else { dml_centi(self.rng.below(3_000)) };
                engine(actor, IEngine::undelegateStakeCall { solver_: solver, amount_: amount })
            }
            5 => engine(actor, IEngine::withdrawDelegationCall { solver_: solver, to_: actor_address }),
            6 => engine(actor, IEngine::claimDelegationRewardsCall { solver_: solver }),
            7 => {
                let commission = ONE_DML * U256::from(self.rng.pick(&[0u64, 5, 20, 50, 60])) / U256::from(100u8);
                engine(actor, IEngine::setDelegationCommissionCall { commission_: commission })
            }
            8 => engine(actor, IEngine::setAcceptDelegationsCall { accept_: self.rng.chance(70) }),
            9 => engine(actor, IEngine::delegationPoolCall { solver }),
            10 => engine(actor, IEngine::delegationCall { delegator: actor_address, solver }),
            _ if self.rng.chance(50) => engine(actor, IEngine::solverStakeCall { solver }),
            _ => {
                let index = U256::from(self.rng.below(3));
                engine(actor, IEngine::delegationUnbondingRequestCall { delegator: actor_address, solver, index })
            }
        }
    }

    fn view(&mut self, actor: usize) -> GeneratedCall {
        let who = self.actor();
        let address = self.addresses[who];
        let task = self.task();
        match self.rng.below(18) {
            12 => token(actor, IDmlToken::getVotesCall { account: address }),
            13 => {
                let timepoint = self.timepoint();
                token(actor, IDmlToken::getPastVotesCall { account: address, timepoint })
            }
            14 => {
                let timepoint = self.timepoint();
                token(actor, IDmlToken::getPastTotalSupplyCall { timepoint })
            }
            15 => token(actor, IDmlToken::numCheckpointsCall { account: address }),
            16 => {
                // Mostly in range, sometimes one past the end (Solidity's array panic).
                let pos = self.rng.below(4) as u32;
                token(actor, IDmlToken::checkpointsCall { account: address, pos })
            }
            17 => token(actor, IDmlToken::delegatesCall { account: address }),
            0 => token(actor, IDmlToken::balanceOfCall { account: address }),
            1 => token(actor, IDmlToken::totalSupplyCall {}),
            2 => engine(actor, IEngine::tasksCall { taskid: task }),
            3 => engine(actor, IEngine::solutionsCall { taskid: task }),
            4 => engine(actor, IEngine::contestationsCall { taskid: task }),
            5 => engine(actor, IEngine::validatorsCall { addr: address }),
            6 => engine(actor, IEngine::getRewardCall {}),
            7 => engine(actor, IEngine::getSlashAmountCall {}),
            8 => engine(actor, IEngine::validatorCanVoteCall { addr_: address, taskid_: task }),
            9 => engine(
                actor,
                IEngine::pendingValidatorWithdrawRequestsCall { addr: address, count: U256::from(self.rng.below(3)) },
            ),
            10 => {
                let t = U256::from(self.rng.below(10 * 365 * 86_400));
                engine(actor, IEngine::targetTsCall { t })
            }
            _ => {
                let model = self.model();
                engine(actor, IEngine::modelsCall { model })
            }
        }
    }

    /// A time to look votes up at: mostly in the past (genesis included),
    /// sometimes the clock of the call itself or later, which is refused.
    fn timepoint(&mut self) -> U256 {
        // The call runs at least a second after the last one.
        let clock = self.clock + 1;
        U256::from(match self.rng.below(10) {
            0 => clock + self.rng.below(3),
            1 => GENESIS_TIME,
            _ => GENESIS_TIME + self.rng.below(clock - GENESIS_TIME),
        })
    }

    fn garbage(&mut self, actor: usize) -> GeneratedCall {
        let contract = if self.rng.chance(50) { Contract::Engine } else { Contract::Token };
        let len = self.rng.pick(&[0usize, 3, 4, 36, 100]);
        let mut data: Vec<u8> = (0..len).map(|_| self.rng.below(256) as u8).collect();
        if len >= 4 && self.rng.chance(50) {
            // A real selector with arguments that do not decode.
            let selector = if contract == Contract::Engine {
                IEngine::submitSolutionCall::SELECTOR
            } else {
                IDmlToken::transferCall::SELECTOR
            };
            data[..4].copy_from_slice(&selector);
        }
        GeneratedCall { sender: actor, contract, data, seconds: 1, kind: "garbage" }
    }
}
