//! `dml lp` through the real `dml` binary on a real `dml node`, whose genesis
//! deploys Uniswap V2 (WETH9, the factory, Router02), the DML/WETH pair
//! seeded with 1,000 DML and 1 ETH, and `LiquidityStaking`: add liquidity,
//! stake, earn the engine's liquidity share of a real task's reward, claim,
//! unstake, and the refusals, each checked against the chain and against
//! Uniswap's and the staking contract's arithmetic computed here.

mod client_support;

use alloy_network::TransactionBuilder;
use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_provider::Provider;
use alloy_rpc_types_eth::{Filter, TransactionRequest};
use alloy_sol_types::{SolCall, SolEvent};
use client_support::*;
use dml_governance::{ILiquidityStaking, IUniswapV2Pair};
use dml_primitives::{IDmlToken, IEngine, ONE_DML};
use serde_json::Value;

/// A genesis model with the full reward rate, so that a claim mints DML and
/// the engine accrues its liquidity share.
const REWARDED_MODEL: &str = "[[models]]\nrate = \"0xde0b6b3a7640000\"\ntemplate = '{\"name\":\"lp-rewards\"}'\n";
/// `LiquidityStaking.PRECISION`.
const PRECISION: u128 = 1_000_000_000_000_000_000;

fn units(text: &str) -> U256 {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = format!("{whole}{fraction:0<18}");
    digits.parse().unwrap()
}

/// Formats base units as the CLI does (exact decimal, no trailing zeros).
fn decimal(value: U256) -> String {
    let digits = format!("{value:0>19}");
    let (whole, fraction) = digits.split_at(digits.len() - 18);
    let fraction = fraction.trim_end_matches('0');
    if fraction.is_empty() {
        whole.to_string()
    } else {
        format!("{whole}.{fraction}")
    }
}

/// The chain's LP contracts, from `dml_getContracts`.
struct Contracts {
    pair: Address,
    staking: Address,
    token: Address,
}

async fn contracts(net: &Network) -> Contracts {
    let named: Value = net.provider(0).raw_request("dml_getContracts".into(), ()).await.unwrap();
    let address = |key: &str| named[key].as_str().unwrap_or_else(|| panic!("no {key} in {named}")).parse().unwrap();
    Contracts { pair: address("pair"), staking: address("liquidityStaking"), token: address("token") }
}

async fn view<C: SolCall>(net: &Network, to: Address, call: C) -> C::Return {
    let request = TransactionRequest::default().with_to(to).with_input(Bytes::from(call.abi_encode()));
    C::abi_decode_returns(&net.provider(0).call(request).await.unwrap()).unwrap()
}

/// `dml lp ARGS… --dev-account N --json`.
fn lp(net: &Network, account: u32, args: &[&str]) -> Value {
    let account = account.to_string();
    let mut all = vec!["lp"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--dev-account", &account]);
    net.json(&all)
}

/// `dml lp ARGS… --dev-account N`, which must fail; its stderr.
fn lp_fails(net: &Network, account: u32, args: &[&str]) -> String {
    let account = account.to_string();
    let mut all = vec!["lp"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--dev-account", &account]);
    net.fails(&all)
}

/// The id of the genesis model, from its ModelRegistered in block 0's logs.
async fn genesis_model(net: &Network) -> B256 {
    let filter = Filter::new()
        .address(net.engine)
        .event_signature(IEngine::ModelRegistered::SIGNATURE_HASH)
        .from_block(0)
        .to_block(0);
    let logs = net.provider(0).get_logs(&filter).await.unwrap();
    logs.first().expect("the genesis model's ModelRegistered").topics()[1]
}

/// Runs one task of `model` through the engine (dev 4 submits, dev 3
/// solves and claims) and returns the liquidity share its reward minted.
async fn rewarded_task(net: &Network, model: B256, tag: &str) -> U256 {
    let head = net.head().await;
    let input = format!("{{\"tag\":\"{tag}\"}}").into_bytes();
    let user = dev_key(4).address();
    let submit =
        IEngine::submitTaskCall { version_: 0, owner_: user, model_: model, fee_: U256::ZERO, input_: input.into() };
    net.send(4, submit).await;
    let (task, _) = net.next_task(head + 1).await;
    net.solve(3, task, tag.as_bytes()).await;
    net.advance_time(WINDOW + 1).await;
    let before = net.view(IEngine::accruedLiquidityRewardsCall {}).await;
    claim(net, 3, task).await;
    let share = net.view(IEngine::accruedLiquidityRewardsCall {}).await - before;
    assert!(!share.is_zero(), "the claim accrued a liquidity share");
    share
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_stake_earn_claim_and_unstake_through_the_cli() {
    let net = Network::start_with_genesis(REWARDED_MODEL);
    let c = contracts(&net).await;
    let alice = dev_key(1).address();

    // The seeded pool, before anyone adds.
    let status = lp(&net, 1, &["status"]);
    assert_eq!((&status["reserves"]["dml"], &status["reserves"]["eth"]), (&"1000".into(), &"1".into()));
    assert_eq!((&status["price"]["eth_per_dml"], &status["price"]["dml_per_eth"]), (&"0.001".into(), &"1000".into()));
    let supply = (units("1000") * units("1")).root(2);
    assert_eq!(status["lp_supply"], decimal(supply));
    assert_eq!(status["pair"].as_str().unwrap().parse::<Address>().unwrap(), c.pair);
    assert_eq!(status["account"]["lp_balance"], "0");
    assert_eq!(status["total_staked"], "0");
    let text = net.ok(&["lp", "status"]);
    assert!(text.contains("reserves       1000 DML, 1 ETH") && text.contains("0.001 ETH per DML"), "{text}");
    assert!(!text.contains("account"), "no signer, no account: {text}");

    // 100 DML with 1 ETH: the pool's price takes 0.1 ETH and refunds the rest;
    // the LP tokens are min(100/1000, 0.1/1) of the supply.
    let eth_before = net.provider(0).get_balance(alice).await.unwrap();
    let added = lp(&net, 1, &["add", "100", "1"]);
    assert_eq!((&added["dml"], &added["eth"], &added["eth_refunded"]), (&"100".into(), &"0.1".into(), &"0.9".into()));
    let minted = (units("100") * supply / units("1000")).min(units("0.1") * supply / units("1"));
    assert_eq!(added["lp_tokens"], decimal(minted));
    assert_eq!(view(&net, c.pair, IUniswapV2Pair::balanceOfCall { owner: alice }).await, minted);
    let spent = eth_before - net.provider(0).get_balance(alice).await.unwrap();
    assert!(spent > units("0.1") && spent < units("0.11"), "0.1 ETH and the gas of two transactions: {spent}");
    let reserves = lp(&net, 1, &["status"])["reserves"].clone();
    assert_eq!((&reserves["dml"], &reserves["eth"]), (&"1100".into(), &"1.1".into()));

    // Stake all of it (the command approves the staking contract first).
    let staked = lp(&net, 1, &["stake", "all"]);
    assert_eq!((&staked["staked"], &staked["total_staked"]), (&decimal(minted).into(), &decimal(minted).into()));
    assert_eq!(view(&net, c.staking, ILiquidityStaking::balanceOfCall { account: alice }).await, minted);
    assert_eq!(view(&net, c.pair, IUniswapV2Pair::balanceOfCall { owner: alice }).await, U256::ZERO);

    // A month into the emission curve, a task's reward accrues the engine's
    // liquidity share; Alice, the only staker, gets it at her claim's pull
    // (less the rounding of ⌊share · PRECISION / stake⌋ · stake / PRECISION).
    net.advance_time(30 * 86_400).await;
    let model = genesis_model(&net).await;
    net.ok(&["validator", "deposit", "10", "--dev-account", "3"]);
    let share = rewarded_task(&net, model, "first").await;
    let status = lp(&net, 1, &["status"]);
    assert_eq!(status["engine_accrued"], decimal(share), "the engine holds it until a pull");
    let p = U256::from(PRECISION);
    let expected = minted * (share * p / minted) / p;
    let dml_before = view(&net, c.token, IDmlToken::balanceOfCall { account: alice }).await;
    let claimed = lp(&net, 1, &["claim"]);
    assert_eq!(claimed["paid"], decimal(expected));
    assert_eq!(claimed["earned"], "0");
    assert_eq!(view(&net, c.token, IDmlToken::balanceOfCall { account: alice }).await - dml_before, expected);
    let status = lp(&net, 1, &["status"]);
    assert_eq!((&status["engine_accrued"], &status["total_paid"]), (&"0".into(), &decimal(expected).into()));

    // Unstake part, then the rest; the LP tokens come back.
    let part = lp(&net, 1, &["unstake", "1"]);
    assert_eq!((&part["unstaked"], &part["total_staked"]), (&"1".into(), &decimal(minted - ONE_DML).into()));
    let rest = lp(&net, 1, &["unstake", "all"]);
    assert_eq!((&rest["unstaked"], &rest["total_staked"]), (&decimal(minted - ONE_DML).into(), &"0".into()));
    assert_eq!(view(&net, c.pair, IUniswapV2Pair::balanceOfCall { owner: alice }).await, minted);
    let account = lp(&net, 1, &["status"])["account"].clone();
    assert_eq!((&account["lp_balance"], &account["staked"]), (&decimal(minted).into(), &"0".into()));
    // Its LP tokens are worth its share of both reserves.
    let supply_now: U256 = view(&net, c.pair, IUniswapV2Pair::totalSupplyCall {}).await;
    assert_eq!(account["pool_share"]["dml"], decimal(minted * units("1100") / supply_now));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_lp_commands_are_refused_with_a_reason() {
    let net = Network::start();
    let c = contracts(&net).await;
    let bob = dev_key(2).address();

    // No LP tokens to stake: said in LP tokens, not the pair's bare "ds-math-sub-underflow".
    let why = lp_fails(&net, 2, &["stake", "1"]);
    assert!(why.contains(&format!("{bob} holds 0 LP tokens of the DML/WETH pair {}", c.pair)), "{why}");
    assert!(why.contains("dml lp add"), "{why}");
    let why = lp_fails(&net, 2, &["stake", "all"]);
    assert!(why.contains("holds 0 LP tokens"), "{why}");

    // More than staked: the staking contract's own error, decoded.
    let dev0 = dev_key(0).address();
    lp(&net, 0, &["stake", "1"]);
    let why = lp_fails(&net, 0, &["unstake", "2"]);
    assert!(
        why.contains(
            "InsufficientStake: withdrawing 2000000000000000000 LP base units with only 1000000000000000000 staked"
        ),
        "{why}"
    );
    assert_eq!(view(&net, c.staking, ILiquidityStaking::balanceOfCall { account: dev0 }).await, ONE_DML);
    let why = lp_fails(&net, 2, &["unstake", "all"]);
    assert!(why.contains(&format!("{bob} has no LP tokens staked")), "{why}");

    // Adding more DML than held, nothing on one side, and malformed amounts.
    let why = lp_fails(&net, 2, &["add", "5000", "5"]);
    assert!(why.contains(&format!("{bob} has 1000 DML; adding 5000 DML needs more")), "{why}");
    let why = lp_fails(&net, 2, &["add", "0", "1"]);
    assert!(why.contains("both amounts must be positive"), "{why}");
    let why = lp_fails(&net, 2, &["add", "0.000000000000000001", "1"]);
    assert!(why.contains("puts nothing on one side"), "{why}");
    assert!(lp_fails(&net, 2, &["stake", "1.2.3"]).contains("not a decimal number"));
    assert!(lp_fails(&net, 2, &["add", "1", "1", "--slippage", "150"]).contains("over 100 %"));
    assert_eq!(view(&net, c.pair, IUniswapV2Pair::balanceOfCall { owner: bob }).await, U256::ZERO, "nothing was added");

    // A contract that is not a staking contract.
    let why = lp_fails(&net, 2, &["status", "--staking", &net.engine.to_string()]);
    assert!(why.contains(&format!("{} does not answer as a LiquidityStaking contract", net.engine)), "{why}");

    // A claim with nothing earned succeeds and says so.
    let claimed = lp(&net, 2, &["claim"]);
    assert_eq!(claimed["paid"], "0");
}
