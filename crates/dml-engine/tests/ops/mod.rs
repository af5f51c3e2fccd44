//! The random call sequences of the engine's property tests: a proptest
//! strategy over protocol operations, and their translation into ABI calls
//! that any host can run. The engine's in-memory world runs them here
//! (`properties.rs`); `dml-stylus` runs the same sequences through the Stylus
//! wasm and the dev chain side by side.
//!
//! [`op`] draws what every host can run. [`op_with_callbacks`] adds tasks
//! with callbacks, their retries and the behaviour of the callback contracts,
//! for a host that has such contracts ([`Host::callback_contract`]); `op`'s
//! draws are unchanged by them, so a seed gives the same sequence as before.
#![allow(dead_code)]

use dml_engine::Contract;
use dml_primitives::{Address, Bytes, IDmlToken, IEngine, SolCall, B256, ONE_DML, U256};
use proptest::prelude::*;

/// Accounts taking part.
pub const ACTORS: u8 = 6;

/// One protocol operation. Task indices pick among the tasks submitted so far.
#[derive(Clone, Debug)]
pub enum Op {
    Submit {
        user: u8,
        fee_centi: u64,
        model: bool,
    },
    Solve {
        solver: u8,
        task: usize,
        wrong: bool,
    },
    Claim {
        task: usize,
    },
    Retract {
        task: usize,
    },
    Contest {
        who: u8,
        task: usize,
    },
    Vote {
        who: u8,
        task: usize,
        yea: bool,
    },
    Finish {
        task: usize,
        batch: u32,
    },
    Deposit {
        who: u8,
        amount: u64,
    },
    InitiateWithdraw {
        who: u8,
        amount: u64,
    },
    Withdraw {
        who: u8,
        count: u64,
    },
    Transfer {
        from: u8,
        to: u8,
        amount: u64,
    },
    /// `who` delegates its votes to actor `to` (`ACTORS`: to nobody).
    Delegate {
        who: u8,
        to: u8,
    },
    /// `who` deposits `amount` DML to `solver`'s delegation pool.
    DelegateStake {
        who: u8,
        solver: u8,
        amount: u64,
    },
    /// `who` starts unbonding `amount` DML (or all of it) from `solver`'s pool.
    Undelegate {
        who: u8,
        solver: u8,
        amount: u64,
        all: bool,
    },
    WithdrawDelegation {
        who: u8,
        solver: u8,
    },
    ClaimDelegationRewards {
        who: u8,
        solver: u8,
    },
    /// `solver` sets its commission to `pct` percent.
    SetCommission {
        solver: u8,
        pct: u64,
    },
    SetAcceptDelegations {
        solver: u8,
        accept: bool,
    },
    WithdrawFees,
    Wait {
        seconds: u64,
    },
    Garbage {
        engine: bool,
        data: Vec<u8>,
    },
    /// `submitTaskWithCallback` from `user` to callback contract `callback`
    /// (or, with `no_code`, to an account without code), owned by `user` or
    /// by the callback contract (`owner_is_callback`).
    SubmitWithCallback {
        user: u8,
        fee_centi: u64,
        model: bool,
        callback: u8,
        no_code: bool,
        owner_is_callback: bool,
        gas: u64,
        callback_fee_centi: u64,
    },
    /// `retryCallback(task, gas)` from actor `who`, or (`ACTORS`) the task's
    /// callback contract, or (`ACTORS + 1`) the task's owner.
    RetryCallback {
        who: u8,
        task: usize,
        gas: u64,
    },
    /// Callback contract `callback` answers with `behaviour` from now on.
    SetCallbackBehaviour {
        callback: u8,
        behaviour: CallbackBehaviour,
    },
}

/// How a callback contract of a host answers `onTaskSolved`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallbackBehaviour {
    /// Returns (if its gas covers what it does).
    Succeed,
    /// Reverts with some revert data.
    Revert,
    /// Uses all the gas it was given.
    BurnGas,
    /// Calls the engine and the token back, state-changingly and with views,
    /// from inside the callback (and returns).
    Reenter,
}

/// Callback contracts a host may offer ([`Host::callback_contract`]).
pub const CALLBACK_CONTRACTS: u8 = 3;

/// Operations weighted towards the task lifecycle.
pub fn op() -> impl Strategy<Value = Op> {
    let actor = 0..ACTORS;
    let task = 0usize..64;
    prop_oneof![
        4 => (actor.clone(), 0u64..500, any::<bool>()).prop_map(|(user, fee_centi, model)| Op::Submit { user, fee_centi, model }),
        4 => (actor.clone(), task.clone(), prop::bool::weighted(0.2)).prop_map(|(solver, task, wrong)| Op::Solve { solver, task, wrong }),
        3 => task.clone().prop_map(|task| Op::Claim { task }),
        1 => task.clone().prop_map(|task| Op::Retract { task }),
        2 => (actor.clone(), task.clone()).prop_map(|(who, task)| Op::Contest { who, task }),
        2 => (actor.clone(), task.clone(), any::<bool>()).prop_map(|(who, task, yea)| Op::Vote { who, task, yea }),
        2 => (task.clone(), 1u32..4).prop_map(|(task, batch)| Op::Finish { task, batch }),
        2 => (actor.clone(), 0u64..3_000).prop_map(|(who, amount)| Op::Deposit { who, amount }),
        1 => (actor.clone(), 0u64..2_000).prop_map(|(who, amount)| Op::InitiateWithdraw { who, amount }),
        1 => (actor.clone(), 0u64..4).prop_map(|(who, count)| Op::Withdraw { who, count }),
        1 => (actor.clone(), actor.clone(), 0u64..20_000).prop_map(|(from, to, amount)| Op::Transfer { from, to, amount }),
        2 => (actor.clone(), 0..=ACTORS).prop_map(|(who, to)| Op::Delegate { who, to }),
        2 => (actor.clone(), actor.clone(), 0u64..300).prop_map(|(who, solver, amount)| Op::DelegateStake { who, solver, amount }),
        1 => (actor.clone(), actor.clone(), 0u64..300, any::<bool>()).prop_map(|(who, solver, amount, all)| Op::Undelegate { who, solver, amount, all }),
        1 => (actor.clone(), actor.clone()).prop_map(|(who, solver)| Op::WithdrawDelegation { who, solver }),
        1 => (actor.clone(), actor.clone()).prop_map(|(who, solver)| Op::ClaimDelegationRewards { who, solver }),
        1 => (actor.clone(), 0u64..60).prop_map(|(solver, pct)| Op::SetCommission { solver, pct }),
        1 => (actor.clone(), prop::bool::weighted(0.8)).prop_map(|(solver, accept)| Op::SetAcceptDelegations { solver, accept }),
        1 => Just(Op::WithdrawFees),
        3 => prop_oneof![1u64..5, 5u64..200, 200u64..5_000].prop_map(|seconds| Op::Wait { seconds }),
        1 => (any::<bool>(), prop::collection::vec(any::<u8>(), 0..200)).prop_map(|(engine, data)| Op::Garbage { engine, data }),
    ]
}

/// [`op`], and now and then a task with a callback, a retry of one, or a
/// callback contract changing its behaviour.
pub fn op_with_callbacks() -> impl Strategy<Value = Op> {
    let actor = 0..ACTORS;
    let task = 0usize..64;
    let gas = prop_oneof![
        1 => Just(0u64),
        1 => 1u64..5_000,
        6 => 5_000u64..400_000,
        1 => Just(dml_primitives::MAX_CALLBACK_GAS),
        1 => Just(dml_primitives::MAX_CALLBACK_GAS + 1),
    ];
    let behaviour = prop_oneof![
        Just(CallbackBehaviour::Succeed),
        Just(CallbackBehaviour::Revert),
        Just(CallbackBehaviour::BurnGas),
        Just(CallbackBehaviour::Reenter),
    ];
    let submit = (
        (actor.clone(), 0u64..500, any::<bool>()),
        (0..CALLBACK_CONTRACTS, prop::bool::weighted(0.05), prop::bool::weighted(0.3)),
        (gas.clone(), 0u64..300),
    )
        .prop_map(
            |((user, fee_centi, model), (callback, no_code, owner_is_callback), (gas, callback_fee_centi))| {
                Op::SubmitWithCallback {
                    user,
                    fee_centi,
                    model,
                    callback,
                    no_code,
                    owner_is_callback,
                    gas,
                    callback_fee_centi,
                }
            },
        );
    // Mostly those allowed to retry: the callback contract or the task's owner.
    let retrier = prop_oneof![1 => 0..ACTORS, 3 => ACTORS..ACTORS + 2];
    let retry = (retrier, task, prop_oneof![3 => Just(0u64), 1 => gas]);
    let set_behaviour = (0..CALLBACK_CONTRACTS, behaviour);
    prop_oneof![
        37 => op(),
        6 => submit,
        4 => retry.prop_map(|(who, task, gas)| Op::RetryCallback { who, task, gas }),
        2 => set_behaviour.prop_map(|(callback, behaviour)| Op::SetCallbackBehaviour { callback, behaviour }),
    ]
}

/// What a host offers the translation.
pub trait Host {
    /// The address of actor `index`.
    fn actor(&self, index: u8) -> Address;
    /// Runs one call; its return data if it succeeded.
    fn send(&mut self, from: Address, target: Contract, data: &[u8]) -> Option<Vec<u8>>;
    /// Moves to a new block `seconds` later.
    fn wait(&mut self, seconds: u64);
    /// Task `index` (modulo) of those submitted so far; an unknown id before any.
    fn task(&self, index: usize) -> B256;
    /// How many tasks were submitted so far.
    fn task_count(&self) -> usize;
    /// The two models: free, and paid with a mineable rate.
    fn models(&self) -> [B256; 2];
    /// Callback contract `index` (below [`CALLBACK_CONTRACTS`]), if this host
    /// has callback contracts; without them the callback operations do nothing.
    fn callback_contract(&self, index: u8) -> Option<Address> {
        let _ = index;
        None
    }
    /// Makes callback contract `index` answer with `behaviour`.
    fn set_callback_behaviour(&mut self, index: u8, behaviour: CallbackBehaviour) {
        let _ = (index, behaviour);
    }
}

/// A solution CID (a CIDv0 multihash) tagged by one byte.
pub fn output_cid(tag: u8) -> Bytes {
    let mut bytes = vec![0x12, 0x20];
    bytes.extend_from_slice(&[tag; 32]);
    Bytes::from(bytes)
}

fn dml(n: u64) -> U256 {
    U256::from(n) * ONE_DML
}

fn send<H: Host, C: SolCall>(host: &mut H, from: Address, target: Contract, call: C) -> Option<C::Return> {
    let output = host.send(from, target, &call.abi_encode())?;
    C::abi_decode_returns(&output).ok()
}

/// Runs `op` on `host` as one or more calls; reverts are part of the game.
pub fn apply<H: Host>(host: &mut H, op: &Op) {
    let e = Contract::Engine;
    match *op {
        Op::Submit { user, fee_centi, model } => {
            let fee = U256::from(fee_centi) * ONE_DML / U256::from(100u8);
            let input = Bytes::from(format!("{{\"n\":{}}}", host.task_count()).into_bytes());
            let model = host.models()[model as usize];
            let from = host.actor(user);
            let call = IEngine::submitTaskCall { version_: 0, owner_: from, model_: model, fee_: fee, input_: input };
            send(host, from, e, call);
        }
        Op::Solve { solver, task, wrong } => {
            let id = host.task(task);
            let cid = output_cid(if wrong { 0xbd } else { id.0[0] });
            let from = host.actor(solver);
            let Some(commitment) =
                send(host, from, e, IEngine::generateCommitmentCall { sender_: from, taskid_: id, cid_: cid.clone() })
            else {
                return;
            };
            send(host, from, e, IEngine::signalCommitmentCall { commitment_: commitment });
            host.wait(1);
            send(host, from, e, IEngine::submitSolutionCall { taskid_: id, cid_: cid });
        }
        Op::Claim { task } => {
            let id = host.task(task);
            let from = host.actor(0);
            send(host, from, e, IEngine::claimSolutionCall { taskid_: id });
        }
        Op::Retract { task } => {
            let id = host.task(task);
            let viewer = host.actor(0);
            if let Some(task) = send(host, viewer, e, IEngine::tasksCall { taskid: id }) {
                send(host, task.owner, e, IEngine::retractTaskCall { taskid_: id });
            }
        }
        Op::Contest { who, task } => {
            let id = host.task(task);
            let from = host.actor(who);
            send(host, from, e, IEngine::submitContestationCall { taskid_: id });
        }
        Op::Vote { who, task, yea } => {
            let id = host.task(task);
            let from = host.actor(who);
            send(host, from, e, IEngine::voteOnContestationCall { taskid_: id, yea_: yea });
        }
        Op::Finish { task, batch } => {
            let id = host.task(task);
            let from = host.actor(1);
            send(host, from, e, IEngine::contestationVoteFinishCall { taskid_: id, amnt_: batch });
        }
        Op::Deposit { who, amount } => {
            let from = host.actor(who);
            send(host, from, e, IEngine::validatorDepositCall { validator_: from, amount_: dml(amount) });
        }
        Op::InitiateWithdraw { who, amount } => {
            let from = host.actor(who);
            send(host, from, e, IEngine::initiateValidatorWithdrawCall { amount_: dml(amount) });
        }
        Op::Withdraw { who, count } => {
            let from = host.actor(who);
            send(host, from, e, IEngine::validatorWithdrawCall { count_: U256::from(count), to_: from });
        }
        Op::Transfer { from, to, amount } => {
            let (from, to) = (host.actor(from), host.actor(to));
            send(host, from, Contract::Token, IDmlToken::transferCall { to, amount: dml(amount) });
        }
        Op::Delegate { who, to } => {
            let from = host.actor(who);
            let delegatee = if to < ACTORS { host.actor(to) } else { Address::ZERO };
            send(host, from, Contract::Token, IDmlToken::delegateCall { delegatee });
        }
        Op::DelegateStake { who, solver, amount } => {
            let (from, solver) = (host.actor(who), host.actor(solver));
            send(host, from, e, IEngine::delegateStakeCall { solver_: solver, amount_: dml(amount) });
        }
        Op::Undelegate { who, solver, amount, all } => {
            // From the first pool, starting at `solver`, that `who` has stake in.
            let from = host.actor(who);
            for offset in 0..ACTORS {
                let solver = host.actor((solver + offset) % ACTORS);
                let Some(position) = send(host, from, e, IEngine::delegationCall { delegator: from, solver }) else {
                    return;
                };
                if position.stake.is_zero() {
                    continue;
                }
                // All of it: the largest amount, as a wallet would send it.
                let amount = if all { U256::MAX } else { dml(amount) };
                send(host, from, e, IEngine::undelegateStakeCall { solver_: solver, amount_: amount });
                return;
            }
        }
        Op::WithdrawDelegation { who, solver } => {
            // Every pool, starting at `solver`.
            let from = host.actor(who);
            for offset in 0..ACTORS {
                let solver = host.actor((solver + offset) % ACTORS);
                send(host, from, e, IEngine::withdrawDelegationCall { solver_: solver, to_: from });
            }
        }
        Op::ClaimDelegationRewards { who, solver } => {
            let (from, solver) = (host.actor(who), host.actor(solver));
            send(host, from, e, IEngine::claimDelegationRewardsCall { solver_: solver });
        }
        Op::SetCommission { solver, pct } => {
            let from = host.actor(solver);
            let commission = U256::from(pct) * ONE_DML / U256::from(100u8);
            send(host, from, e, IEngine::setDelegationCommissionCall { commission_: commission });
        }
        Op::SetAcceptDelegations { solver, accept } => {
            let from = host.actor(solver);
            send(host, from, e, IEngine::setAcceptDelegationsCall { accept_: accept });
        }
        Op::WithdrawFees => {
            let from = host.actor(2);
            send(host, from, e, IEngine::withdrawAccruedFeesCall {});
        }
        Op::Wait { seconds } => host.wait(seconds),
        Op::Garbage { engine, ref data } => {
            let target = if engine { Contract::Engine } else { Contract::Token };
            let from = host.actor(3);
            host.send(from, target, data);
        }
        Op::SubmitWithCallback {
            user,
            fee_centi,
            model,
            callback,
            no_code,
            owner_is_callback,
            gas,
            callback_fee_centi,
        } => {
            let Some(contract) = host.callback_contract(callback) else {
                return;
            };
            let from = host.actor(user);
            let call = IEngine::submitTaskWithCallbackCall {
                version_: 0,
                owner_: if owner_is_callback { contract } else { from },
                model_: host.models()[model as usize],
                fee_: U256::from(fee_centi) * ONE_DML / U256::from(100u8),
                input_: Bytes::from(format!("{{\"n\":{},\"callback\":true}}", host.task_count()).into_bytes()),
                callback_: if no_code { host.actor((user + 1) % ACTORS) } else { contract },
                callbackGasLimit_: gas,
                callbackFee_: U256::from(callback_fee_centi) * ONE_DML / U256::from(100u8),
            };
            send(host, from, e, call);
        }
        Op::RetryCallback { who, task, gas } => {
            if host.callback_contract(0).is_none() {
                return;
            }
            let id = host.task(task);
            let viewer = host.actor(0);
            let from = match who {
                w if w < ACTORS => host.actor(w),
                ACTORS => match send(host, viewer, e, IEngine::callbacksCall { taskid: id }) {
                    Some(record) => record.callback,
                    None => return,
                },
                _ => match send(host, viewer, e, IEngine::tasksCall { taskid: id }) {
                    Some(task) => task.owner,
                    None => return,
                },
            };
            send(host, from, e, IEngine::retryCallbackCall { taskid_: id, gasLimit_: gas });
        }
        Op::SetCallbackBehaviour { callback, behaviour } => host.set_callback_behaviour(callback, behaviour),
    }
}
