//! `LiquidityStaking` on a bare revm, with real bytecode: OpenZeppelin's
//! reference votes token stands in for DML as a plain ERC-20, and the
//! TEST FIXTURE `RewardSource` (contracts/test/RewardSource.sol) stands in for
//! the engine's `withdrawLiquidityRewards()`: the real engine is a native
//! contract of the dev chain, which a bare revm does not have.
//!
//! Every step is checked against `Model`, an independent per-account
//! computation of the rule (per pull: `amount · PRECISION + carried` shared as
//! `stake · ⌊that / total⌋`, the remainder carried), and against the
//! accounting identity `balance · PRECISION == totalOwedScaled + carried +
//! undistributed · PRECISION`.

mod support;

use alloy_primitives::{address, Address, Log, U256};
use alloy_sol_types::SolEvent;
use dml_governance::{
    decode_revert, liquidity_staking_deploy_code, ref_votes_token_deploy_code, uniswap_factory_deploy_code,
    uniswap_router02_deploy_code, weth9_deploy_code, ILiquidityStaking, IUniswapV2Pair, IUniswapV2Router02,
};
use dml_primitives::{IDmlToken, ONE_DML};
use proptest::prelude::*;
use revm::primitives::hardfork::SpecId;
use support::{reward_source::RewardSource, Evm, Reverted};

const HOLDER: Address = address!("00000000000000000000000000000000000a11ce");
const STAKERS: [Address; 3] = [
    address!("0000000000000000000000000000000000000a01"),
    address!("0000000000000000000000000000000000000a02"),
    address!("0000000000000000000000000000000000000a03"),
];
const START: u64 = 1_700_000_000;
const PRECISION: u64 = 1_000_000_000_000_000_000;

/// The rule, computed per account (the contract uses an accumulator).
#[derive(Default)]
struct Model {
    stake: [U256; 3],
    owed_scaled: [U256; 3],
    /// Everything ever credited, scaled (owed now plus paid).
    credited_scaled: [U256; 3],
    paid: [U256; 3],
    carried: U256,
    /// The stake the last share divided by.
    last_share_total: U256,
    queued: U256,
    arrived: U256,
}

impl Model {
    fn total(&self) -> U256 {
        self.stake.iter().copied().sum()
    }

    /// Rewards that arrived since the last action are shared among the stake present.
    fn pull(&mut self, arrived: U256) {
        self.arrived += arrived;
        self.queued += arrived;
        self.share();
    }

    fn share(&mut self) {
        let total = self.total();
        if total.is_zero() || (self.queued.is_zero()) {
            return;
        }
        let numerator = self.queued * U256::from(PRECISION) + self.carried;
        let increment = numerator / total;
        self.carried = numerator % total;
        self.last_share_total = total;
        self.queued = U256::ZERO;
        for i in 0..3 {
            self.owed_scaled[i] += self.stake[i] * increment;
            self.credited_scaled[i] += self.stake[i] * increment;
        }
    }

    fn stake(&mut self, who: usize, amount: U256) {
        self.stake[who] += amount;
        self.share(); // what waited for a first staker
    }

    fn claim(&mut self, who: usize) -> U256 {
        let payout = self.owed_scaled[who] / U256::from(PRECISION);
        self.owed_scaled[who] -= payout * U256::from(PRECISION);
        self.paid[who] += payout;
        payout
    }
}

struct Setup {
    dml: Address,
    lp: Address,
    source: Address,
    staking: Address,
}

fn dml_balance(evm: &mut Evm, token: Address, account: Address) -> U256 {
    evm.call(token, IDmlToken::balanceOfCall { account }).unwrap()
}

/// Deploys DML, the LP token (`lp`, or a second reference token), the fixture and the staking contract.
fn deploy(evm: &mut Evm, lp: Option<Address>, dml: Option<Address>) -> Setup {
    let supply = U256::from(1_000_000u64) * ONE_DML;
    let dml = dml.unwrap_or_else(|| evm.deploy(HOLDER, ref_votes_token_deploy_code(HOLDER, supply)));
    let lp = lp.unwrap_or_else(|| evm.deploy(HOLDER, ref_votes_token_deploy_code(HOLDER, supply)));
    let source = evm.deploy(HOLDER, support::reward_source::deploy_code(dml));
    let staking = evm.deploy(HOLDER, liquidity_staking_deploy_code(lp, dml, source));
    evm.transact(HOLDER, source, RewardSource::setLiquidityPoolCall { pool: staking }).unwrap();
    evm.transact(HOLDER, dml, IDmlToken::transferCall { to: source, amount: U256::from(100_000u64) * ONE_DML })
        .unwrap();
    Setup { dml, lp, source, staking }
}

/// The contract agrees with the model and its books balance.
fn check(evm: &mut Evm, s: &Setup, model: &Model) {
    let p = U256::from(PRECISION);
    let balance = dml_balance(evm, s.dml, s.staking);
    let owed = evm.call(s.staking, ILiquidityStaking::totalOwedScaledCall {}).unwrap();
    let carried = evm.call(s.staking, ILiquidityStaking::carriedCall {}).unwrap();
    let undistributed = evm.call(s.staking, ILiquidityStaking::undistributedCall {}).unwrap();
    assert_eq!(balance * p, owed + carried + undistributed * p, "reward balance = owed + carried + undistributed");
    assert_eq!(carried, model.carried);
    // Dust is what the carry accounts for: less than one scaled unit per staked unit of the last share.
    assert!(carried.is_zero() || carried < model.last_share_total, "carry {carried} is a remainder");
    let mut sum = U256::ZERO;
    for (i, staker) in STAKERS.into_iter().enumerate() {
        let account_owed = evm.call(s.staking, ILiquidityStaking::owedScaledCall { account: staker }).unwrap();
        assert_eq!(account_owed, model.owed_scaled[i], "owed to staker {i}");
        sum += account_owed;
        assert_eq!(evm.call(s.staking, ILiquidityStaking::balanceOfCall { account: staker }).unwrap(), model.stake[i]);
        assert_eq!(dml_balance(evm, s.dml, staker), model.paid[i], "paid to staker {i}");
    }
    assert_eq!(sum, owed);
    assert_eq!(evm.call(s.staking, ILiquidityStaking::totalStakedCall {}).unwrap(), model.total());
    assert_eq!(dml_balance(evm, s.lp, s.staking), model.total(), "LP tokens held = staked");
    // Conservation: everything that arrived was paid or is still here.
    let paid: U256 = model.paid.iter().copied().sum();
    assert_eq!(evm.call(s.staking, ILiquidityStaking::totalPaidCall {}).unwrap(), paid);
    assert_eq!(paid + balance, model.arrived + undistributed - model.queued);
}

fn sentence(result: Result<Vec<Log>, Reverted>) -> String {
    let Reverted(data) = result.expect_err("the transaction reverts");
    decode_revert(&data).unwrap_or_else(|| panic!("undecoded revert data {data}"))
}

fn has_event<E: SolEvent>(logs: &[Log]) -> bool {
    logs.iter().any(|log| log.topics().first() == Some(&E::SIGNATURE_HASH))
}

fn dml(n: u64) -> U256 {
    U256::from(n) * ONE_DML
}

#[test]
fn two_stakers_share_several_pulls_exactly_with_real_lp_tokens() {
    let mut evm = Evm::new(SpecId::CANCUN, START);
    evm.fund(HOLDER, dml(1_000));
    let supply = dml(1_000_000);
    let token = evm.deploy(HOLDER, ref_votes_token_deploy_code(HOLDER, supply));
    let weth = evm.deploy(HOLDER, weth9_deploy_code());
    let factory = evm.deploy(HOLDER, uniswap_factory_deploy_code(Address::ZERO));
    let router = evm.deploy(HOLDER, uniswap_router02_deploy_code(factory, weth));
    evm.transact(HOLDER, token, IDmlToken::approveCall { spender: router, amount: dml(10_000) }).unwrap();
    let add = IUniswapV2Router02::addLiquidityETHCall {
        token,
        amountTokenDesired: dml(10_000),
        amountTokenMin: U256::ZERO,
        amountETHMin: U256::ZERO,
        to: HOLDER,
        deadline: U256::from(START + 3_600),
    };
    let (added, _) = evm.transact_value(HOLDER, router, dml(100), add).unwrap();
    let pair = dml_governance::uniswap_pair_address(factory, token, weth);
    let s = deploy(&mut evm, Some(pair), Some(token));
    // Odd stakes, so that shares do not divide evenly.
    let (alice, bob) = (STAKERS[0], STAKERS[1]);
    let (alice_lp, bob_lp) = (U256::from(3_000_000_000_000_000_007u64), U256::from(1_000_000_000_000_000_001u64));
    assert!(alice_lp + bob_lp < added.liquidity);
    for (staker, amount) in [(alice, alice_lp), (bob, bob_lp)] {
        evm.transact(HOLDER, pair, IUniswapV2Pair::transferCall { to: staker, value: amount }).unwrap();
        evm.transact(staker, pair, IUniswapV2Pair::approveCall { spender: s.staking, value: U256::MAX }).unwrap();
    }
    let mut model = Model::default();
    let payout = |evm: &mut Evm, amount: U256| {
        evm.transact(HOLDER, s.source, RewardSource::setNextPayoutCall { amount }).unwrap();
    };

    // Rewards pulled while nobody stakes wait for the first staker.
    payout(&mut evm, dml(10) + U256::from(1u64));
    let logs = evm.transact(bob, s.staking, ILiquidityStaking::pullCall {}).unwrap();
    assert!(has_event::<ILiquidityStaking::RewardsQueued>(&logs));
    model.pull(dml(10) + U256::from(1u64));
    check(&mut evm, &s, &model);
    assert_eq!(evm.call(s.staking, ILiquidityStaking::undistributedCall {}).unwrap(), dml(10) + U256::from(1u64));

    // Alice stakes first: the queue is hers, shared right after her stake lands.
    payout(&mut evm, dml(2));
    let logs = evm.transact(alice, s.staking, ILiquidityStaking::stakeCall { amount: alice_lp / U256::from(3u64) });
    assert!(has_event::<ILiquidityStaking::RewardsDistributed>(&logs.unwrap()));
    model.pull(dml(2));
    model.stake(0, alice_lp / U256::from(3u64));
    check(&mut evm, &s, &model);
    let alice_earned = evm.call(s.staking, ILiquidityStaking::earnedCall { account: alice }).unwrap();
    assert!(dml(12) + U256::from(1u64) - alice_earned <= U256::from(1u64), "all of it, less under a wei carried");

    // More arrives; Bob stakes, Alice tops up: each action shares what came before it.
    payout(&mut evm, dml(5));
    evm.transact(bob, s.staking, ILiquidityStaking::stakeCall { amount: bob_lp }).unwrap();
    model.pull(dml(5));
    model.stake(1, bob_lp);
    check(&mut evm, &s, &model);
    payout(&mut evm, dml(7) + U256::from(3u64));
    let rest = alice_lp - alice_lp / U256::from(3u64);
    evm.transact(alice, s.staking, ILiquidityStaking::stakeCall { amount: rest }).unwrap();
    model.pull(dml(7) + U256::from(3u64));
    model.stake(0, rest);
    check(&mut evm, &s, &model);

    // Alice claims: paid the floor of what she is owed, to the wei.
    payout(&mut evm, dml(9) + U256::from(5u64));
    let logs = evm.transact(alice, s.staking, ILiquidityStaking::claimCall {}).unwrap();
    assert!(has_event::<ILiquidityStaking::RewardPaid>(&logs));
    model.pull(dml(9) + U256::from(5u64));
    assert!(!model.claim(0).is_zero());
    check(&mut evm, &s, &model);

    // Refusals: zero amounts and more than staked.
    assert_eq!(
        sentence(evm.transact(bob, s.staking, ILiquidityStaking::stakeCall { amount: U256::ZERO })),
        "ZeroAmount: the amount is zero (or none of the staked tokens arrived)"
    );
    assert!(sentence(evm.transact(bob, s.staking, ILiquidityStaking::withdrawCall { amount: U256::ZERO }))
        .starts_with("ZeroAmount: "));
    let too_much = bob_lp + U256::from(1u64);
    assert_eq!(
        sentence(evm.transact(bob, s.staking, ILiquidityStaking::withdrawCall { amount: too_much })),
        format!("InsufficientStake: withdrawing {too_much} LP base units with only {bob_lp} staked")
    );

    // A paused engine, then an unset pool: withdraw, claim and stake still work.
    evm.transact(HOLDER, s.source, RewardSource::setPausedCall { paused_: true }).unwrap();
    payout(&mut evm, dml(50));
    let half = bob_lp / U256::from(2u64);
    let logs = evm.transact(bob, s.staking, ILiquidityStaking::withdrawCall { amount: half }).unwrap();
    assert!(has_event::<ILiquidityStaking::RewardPullFailed>(&logs));
    model.stake[1] -= half;
    check(&mut evm, &s, &model);
    evm.transact(HOLDER, s.source, RewardSource::setPausedCall { paused_: false }).unwrap();
    evm.transact(HOLDER, s.source, RewardSource::setLiquidityPoolCall { pool: Address::ZERO }).unwrap();
    // Rewards sent directly are shared the same way.
    evm.transact(HOLDER, s.dml, IDmlToken::transferCall { to: s.staking, amount: dml(3) }).unwrap();
    let logs = evm.transact(bob, s.staking, ILiquidityStaking::claimCall {}).unwrap();
    assert!(has_event::<ILiquidityStaking::RewardPullFailed>(&logs));
    model.pull(dml(3));
    model.claim(1);
    check(&mut evm, &s, &model);
    evm.transact(bob, s.staking, ILiquidityStaking::stakeCall { amount: U256::from(1u64) }).unwrap();
    model.stake[1] += U256::from(1u64);
    check(&mut evm, &s, &model);

    // Both exit; only rounding stays: each staker's owed fraction (under a wei)
    // and the carry (under one scaled unit per staked unit of the last share).
    evm.transact(HOLDER, s.source, RewardSource::setLiquidityPoolCall { pool: s.staking }).unwrap();
    for (i, staker) in [alice, bob].into_iter().enumerate() {
        evm.transact(staker, s.staking, ILiquidityStaking::exitCall {}).unwrap();
        model.pull(dml(50) * U256::from(1 - i as u64)); // the 50 DML the source kept while paused
        model.stake[i] = U256::ZERO;
        model.claim(i);
        check(&mut evm, &s, &model);
    }
    assert_eq!(dml_balance(&mut evm, pair, alice), alice_lp);
    assert_eq!(dml_balance(&mut evm, pair, bob), bob_lp);
    let left = dml_balance(&mut evm, s.dml, s.staking);
    let p = U256::from(PRECISION);
    assert!(left * p < U256::from(2u64) * p + model.last_share_total, "{left} wei of rounding stay");
}

#[derive(Debug, Clone)]
enum Op {
    Stake(usize, u64),
    Withdraw(usize, u64),
    Claim(usize),
    Exit(usize),
    /// The engine's next payout.
    Reward(u64),
    /// A direct transfer to the staking contract.
    Direct(u64),
    Pull,
    Pause(bool),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..3usize, 1..5_000_000u64).prop_map(|(w, a)| Op::Stake(w, a)),
        (0..3usize, 0..5_000_000u64).prop_map(|(w, a)| Op::Withdraw(w, a)),
        (0..3usize).prop_map(Op::Claim),
        (0..3usize).prop_map(Op::Exit),
        (0..10_000_000_000u64).prop_map(Op::Reward),
        (1..1_000_000u64).prop_map(Op::Direct),
        Just(Op::Pull),
        any::<bool>().prop_map(Op::Pause),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// Random stakes, withdrawals, claims and arrivals by three accounts: the
    /// contract matches the model at every step, rewards are conserved,
    /// nobody is paid more than earned, and LP tokens are conserved.
    #[test]
    fn random_sequences_conserve_rewards_and_lp_tokens(ops in proptest::collection::vec(op(), 1..24)) {
        let mut evm = Evm::new(SpecId::CANCUN, START);
        let s = deploy(&mut evm, None, None);
        let lp_each = U256::from(10_000_000u64);
        for staker in STAKERS {
            evm.transact(HOLDER, s.lp, IDmlToken::transferCall { to: staker, amount: lp_each }).unwrap();
            evm.transact(staker, s.lp, IDmlToken::approveCall { spender: s.staking, amount: U256::MAX }).unwrap();
        }
        let mut model = Model::default();
        let (mut next_payout, mut paused) = (U256::ZERO, false);
        let mut direct = U256::ZERO;
        for op in ops {
            // What the action's pull will find: the engine's payout (unless paused) and direct transfers.
            let mut arriving = || {
                let mut arrived = std::mem::take(&mut direct);
                if !paused { arrived += std::mem::take(&mut next_payout); }
                arrived
            };
            match op {
                Op::Stake(who, amount) => {
                    let amount = U256::from(amount);
                    let available = lp_each - model.stake[who];
                    let result = evm.transact(STAKERS[who], s.staking, ILiquidityStaking::stakeCall { amount });
                    if amount > available {
                        prop_assert!(result.is_err());
                    } else {
                        result.unwrap();
                        model.pull(arriving());
                        model.stake(who, amount);
                    }
                }
                Op::Withdraw(who, amount) => {
                    let amount = U256::from(amount);
                    let result = evm.transact(STAKERS[who], s.staking, ILiquidityStaking::withdrawCall { amount });
                    if amount.is_zero() || amount > model.stake[who] {
                        let expected = if amount.is_zero() { "ZeroAmount: " } else { "InsufficientStake: " };
                        prop_assert!(sentence(result).starts_with(expected));
                    } else {
                        result.unwrap();
                        model.pull(arriving());
                        model.stake[who] -= amount;
                    }
                }
                Op::Claim(who) => {
                    evm.transact(STAKERS[who], s.staking, ILiquidityStaking::claimCall {}).unwrap();
                    model.pull(arriving());
                    model.claim(who);
                }
                Op::Exit(who) => {
                    evm.transact(STAKERS[who], s.staking, ILiquidityStaking::exitCall {}).unwrap();
                    model.pull(arriving());
                    model.stake[who] = U256::ZERO;
                    model.claim(who);
                }
                Op::Reward(amount) => {
                    next_payout = U256::from(amount);
                    evm.transact(HOLDER, s.source, RewardSource::setNextPayoutCall { amount: next_payout }).unwrap();
                }
                Op::Direct(amount) => {
                    direct += U256::from(amount);
                    evm.transact(HOLDER, s.dml, IDmlToken::transferCall { to: s.staking, amount: U256::from(amount) }).unwrap();
                }
                Op::Pull => {
                    evm.transact(HOLDER, s.staking, ILiquidityStaking::pullCall {}).unwrap();
                    model.pull(arriving());
                }
                Op::Pause(on) => {
                    paused = on;
                    evm.transact(HOLDER, s.source, RewardSource::setPausedCall { paused_: on }).unwrap();
                }
            }
            check(&mut evm, &s, &model);
            for (i, staker) in STAKERS.into_iter().enumerate() {
                // Nobody is paid more than it was credited (each credit is at most its
                // exact share, `amount · stake / total`, rounded down).
                let p = U256::from(PRECISION);
                prop_assert!(model.paid[i] * p <= model.credited_scaled[i]);
                prop_assert_eq!(model.paid[i] * p + model.owed_scaled[i], model.credited_scaled[i]);
                let earned = evm.call(s.staking, ILiquidityStaking::earnedCall { account: staker }).unwrap();
                prop_assert!(earned * p >= model.owed_scaled[i] - model.owed_scaled[i] % p);
                // LP tokens are conserved: each staker's wallet plus stake is what it was given.
                let wallet = dml_balance(&mut evm, s.lp, staker);
                prop_assert_eq!(wallet + model.stake[i], lp_each);
            }
        }
    }
}
