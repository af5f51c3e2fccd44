//! LP staking as a new dev chain starts with it (whitepaper §5, way 4):
//! Uniswap V2's published WETH9, factory and Router02, the DML/WETH pair and
//! `LiquidityStaking`, deployed by the genesis deployer's transactions and
//! seeded with liquidity, then used by dev accounts' signed transactions on
//! the real chain: swaps move the reserves as Uniswap's formula says, and the
//! engine's liquidity share of real task rewards reaches LP stakers in
//! proportion to their stake, to the wei.

mod support;

use alloy_primitives::{keccak256, Address, Bytes, Log, B256, U256};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_sol_types::{SolCall, SolEvent};
use dml_chain::{
    block::ReceiptRecord, chain::decode_signed, Chain, GenesisConfig, GenesisModel, GovernanceAddresses,
    LiquidityAddresses, GENESIS_DEPLOYER,
};
use dml_governance::{
    decode_revert, uniswap_pair_address, ILiquidityStaking, IUniswapV2Factory, IUniswapV2Pair, IUniswapV2Router02,
    UniswapContract, IWETH9, UNISWAP_V2_PAIR_INIT_CODE_HASH,
};
use dml_primitives::{IDmlToken, IEngine, ONE_DML};
use serde_json::json;
use support::{output_cid, sign_1559, start_node, RawClient};

alloy_sol_types::sol! {
    /// The factory's fee settings (not in dml-governance's bindings).
    interface IUniswapV2FactoryFees {
        function feeTo() external view returns (address);
        function feeToSetter() external view returns (address);
    }
}

/// Genesis time of the tests' chains.
const T0: u64 = 1_800_000_000;
/// Uniswap V2's MINIMUM_LIQUIDITY, locked at address zero by the first mint.
const MINIMUM_LIQUIDITY: u64 = 1_000;
/// Seconds before a solution can be claimed in the reward test.
const CLAIM_WINDOW: u64 = 10;
/// `LiquidityStaking.PRECISION`.
const PRECISION: u128 = 1_000_000_000_000_000_000;

fn ether(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18u64))
}

/// `getAmountOut` of UniswapV2Library: the output of a swap of `amount_in` with the 0.3 % fee.
fn amount_out(amount_in: U256, reserve_in: U256, reserve_out: U256) -> U256 {
    let with_fee = amount_in * U256::from(997u64);
    with_fee * reserve_out / (reserve_in * U256::from(1_000u64) + with_fee)
}

/// A chain driven one transaction per block, at exact timestamps.
struct Dev {
    chain: Chain,
    time: u64,
    lp: LiquidityAddresses,
}

impl Dev {
    fn new(config: &GenesisConfig) -> Dev {
        let chain = Chain::open(config, None).expect("the chain opens");
        Dev { chain, time: config.timestamp.expect("a fixed genesis time"), lp: LiquidityAddresses::at_genesis() }
    }

    fn dev(&self, index: usize) -> Address {
        self.chain.dev_signers()[index].address()
    }

    fn dml(&self) -> Address {
        self.chain.contracts().token
    }

    fn engine(&self) -> Address {
        self.chain.contracts().engine
    }

    /// Sends a transaction from dev account `from` in its own block, a second
    /// after the last, and returns its receipt (succeeded or not).
    fn send_value(&mut self, from: usize, to: Address, value: U256, data: Vec<u8>) -> ReceiptRecord {
        let signer = self.chain.dev_signers()[from].clone();
        let nonce = self.chain.pending_nonce(&signer.address());
        let raw = sign_1559(&signer, nonce, to, value, data.into(), 3_000_000, self.chain.chain_id());
        let tx = decode_signed(&raw, self.chain.chain_id()).expect("a valid transaction");
        self.chain.add_transaction(tx).expect("accepted into the pool");
        self.time += 1;
        let number = self.chain.mine(Some(self.time)).expect("mines");
        let block = self.chain.block(number).expect("the new block");
        assert_eq!(block.receipts.len(), 1, "one transaction per block");
        block.receipts[0].clone()
    }

    /// Sends a call that must succeed; returns its logs.
    fn send<C: SolCall>(&mut self, from: usize, to: Address, call: C) -> Vec<Log> {
        self.send_paying(from, to, U256::ZERO, call)
    }

    fn send_paying<C: SolCall>(&mut self, from: usize, to: Address, value: U256, call: C) -> Vec<Log> {
        let receipt = self.send_value(from, to, value, call.abi_encode());
        assert!(receipt.success, "{} reverted: {:?}", C::SIGNATURE, decode_revert(&receipt.revert_data));
        receipt.logs
    }

    /// Sends a call that must revert; returns the revert's sentence.
    fn refused<C: SolCall>(&mut self, from: usize, to: Address, call: C) -> String {
        let receipt = self.send_value(from, to, U256::ZERO, call.abi_encode());
        assert!(!receipt.success, "{} should have reverted", C::SIGNATURE);
        decode_revert(&receipt.revert_data).unwrap_or_else(|| format!("undecoded revert {}", receipt.revert_data))
    }

    fn view<C: SolCall>(&self, to: Address, call: C) -> C::Return {
        let request = TransactionRequest::default().to(to).input(Bytes::from(call.abi_encode()).into());
        let output = self.chain.call(&request, self.chain.head_number()).expect("the view succeeds").output;
        C::abi_decode_returns(&output).expect("return data decodes")
    }

    fn dml_balance(&self, account: Address) -> U256 {
        self.view(self.dml(), IDmlToken::balanceOfCall { account })
    }

    fn eth_balance(&self, account: Address) -> U256 {
        self.chain.state().account(&account).map_or(U256::ZERO, |a| a.balance)
    }

    fn lp_balance(&self, owner: Address) -> U256 {
        self.view(self.lp.pair, IUniswapV2Pair::balanceOfCall { owner })
    }

    /// The pair's reserves as (DML, WETH).
    fn reserves(&self) -> (U256, U256) {
        let r = self.view(self.lp.pair, IUniswapV2Pair::getReservesCall {});
        let (r0, r1) = (U256::from(r.reserve0), U256::from(r.reserve1));
        if self.dml() < self.lp.weth {
            (r0, r1)
        } else {
            (r1, r0)
        }
    }

    fn deadline(&self) -> U256 {
        U256::from(self.time + 600)
    }
}

fn config() -> GenesisConfig {
    GenesisConfig { timestamp: Some(T0), ..GenesisConfig::default() }
}

fn events<E: SolEvent>(logs: &[Log], emitter: Address) -> Vec<E> {
    logs.iter()
        .filter(|log| log.address == emitter && log.topics().first() == Some(&E::SIGNATURE_HASH))
        .map(|log| E::decode_log_data(&log.data).expect("the event decodes"))
        .collect()
}

#[test]
fn genesis_deploys_uniswap_v2_and_lp_staking_seeded_with_liquidity() {
    let dev = Dev::new(&config());
    let lp = dev.lp;
    let (dml, engine) = (dev.dml(), dev.engine());
    let timelock = GovernanceAddresses::at_genesis().timelock;

    // The deployer's nonces 2..=6 (0 and 1 are governance's), and it keeps nothing.
    assert_eq!(lp.weth, GENESIS_DEPLOYER.create(2));
    assert_eq!(lp.factory, GENESIS_DEPLOYER.create(3));
    assert_eq!(lp.router, GENESIS_DEPLOYER.create(4));
    assert_eq!(lp.staking, GENESIS_DEPLOYER.create(6));
    assert_eq!(dev.chain.nonce(&GENESIS_DEPLOYER), 9, "approve and addLiquidityETH were nonces 7 and 8");
    assert_eq!(dev.eth_balance(GENESIS_DEPLOYER), U256::ZERO);
    assert_eq!(dev.dml_balance(GENESIS_DEPLOYER), U256::ZERO);
    assert_eq!(dev.lp_balance(GENESIS_DEPLOYER), U256::ZERO);

    // Unmodified builds: the pair, WETH9 and the factory carry no immutables,
    // so their code is the npm artifact's runtime code byte for byte.
    for (address, contract) in
        [(lp.pair, UniswapContract::Pair), (lp.weth, UniswapContract::Weth9), (lp.factory, UniswapContract::Factory)]
    {
        assert_eq!(dev.chain.state().code_at(&address), contract.artifact().deployed_bytecode, "{}", contract.name());
    }
    assert!(!dev.chain.state().code_at(&lp.router).is_empty());
    assert!(!dev.chain.state().code_at(&lp.staking).is_empty());

    // The pair is where CREATE2 with the init-code hash puts it, and Router02
    // (which computes pairs with its compiled-in hash and never asks the
    // factory) finds it: a quote reads the pair's reserves.
    assert_eq!(keccak256(dml_governance::uniswap_pair_creation_code()), UNISWAP_V2_PAIR_INIT_CODE_HASH);
    assert_eq!(dev.view(lp.factory, IUniswapV2Factory::getPairCall { tokenA: dml, tokenB: lp.weth }), lp.pair);
    assert_eq!(lp.pair, uniswap_pair_address(lp.factory, dml, lp.weth));
    assert_eq!(dev.view(lp.factory, IUniswapV2Factory::allPairsLengthCall {}), U256::from(1u64));
    assert_eq!(dev.view(lp.router, IUniswapV2Router02::factoryCall {}), lp.factory);
    assert_eq!(dev.view(lp.router, IUniswapV2Router02::WETHCall {}), lp.weth);
    let (seed_dml, seed_eth) = config().liquidity.seed_base_units();
    assert_eq!((seed_dml, seed_eth), (ether(1_000), ether(1)), "the default seed: 1,000 DML and 1 ETH");
    assert_eq!(dev.reserves(), (seed_dml, seed_eth), "the reserves are the seed");
    let quoted =
        dev.view(lp.router, IUniswapV2Router02::getAmountsOutCall { amountIn: ether(1), path: vec![lp.weth, dml] });
    assert_eq!(quoted, vec![ether(1), amount_out(ether(1), seed_eth, seed_dml)]);
    assert_eq!(dev.view(lp.weth, IWETH9::balanceOfCall { owner: lp.pair }), seed_eth);
    assert_eq!(dev.dml_balance(lp.pair), seed_dml);
    assert_eq!(dev.eth_balance(lp.weth), seed_eth, "WETH9 holds the wrapped seed");

    // The first mint: √(x·y) LP tokens, MINIMUM_LIQUIDITY of them locked, the rest dev account 0's.
    let liquidity = (seed_dml * seed_eth).root(2);
    assert_eq!(dev.view(lp.pair, IUniswapV2Pair::totalSupplyCall {}), liquidity);
    assert_eq!(dev.lp_balance(Address::ZERO), U256::from(MINIMUM_LIQUIDITY));
    assert_eq!(dev.lp_balance(dev.dev(0)), liquidity - U256::from(MINIMUM_LIQUIDITY));

    // Governance, not a key, may turn on the protocol fee; it is off.
    assert_eq!(dev.view(lp.factory, IUniswapV2FactoryFees::feeToSetterCall {}), timelock);
    assert_eq!(dev.view(lp.factory, IUniswapV2FactoryFees::feeToCall {}), Address::ZERO);

    // The staking contract stakes the pair's LP token for DML from the engine,
    // and it is the engine's liquidity pool.
    assert_eq!(dev.view(engine, IEngine::liquidityPoolCall {}), lp.staking);
    assert_eq!(dev.view(lp.staking, ILiquidityStaking::stakingTokenCall {}), lp.pair);
    assert_eq!(dev.view(lp.staking, ILiquidityStaking::rewardTokenCall {}), dml);
    assert_eq!(dev.view(lp.staking, ILiquidityStaking::engineCall {}), engine);
    assert_eq!(dev.view(lp.staking, ILiquidityStaking::totalStakedCall {}), U256::ZERO);

    // The genesis transactions' events are block 0's logs, after the engine's.
    let genesis = dev.chain.block(0).unwrap();
    let logs = &genesis.genesis_logs;
    let created = events::<IUniswapV2Factory::PairCreated>(logs, lp.factory);
    assert_eq!(created.len(), 1);
    assert_eq!((created[0].pair, created[0].index), (lp.pair, U256::from(1u64)));
    let synced = events::<IUniswapV2Pair::Sync>(logs, lp.pair);
    let (r0, r1) = if dml < lp.weth { (seed_dml, seed_eth) } else { (seed_eth, seed_dml) };
    assert_eq!(synced.last().map(|s| (U256::from(s.reserve0), U256::from(s.reserve1))), Some((r0, r1)));
    let seeded = events::<IDmlToken::Transfer>(logs, dml);
    assert!(seeded.iter().any(|t| (t.from, t.to, t.value) == (GENESIS_DEPLOYER, lp.pair, seed_dml)), "{seeded:?}");
    let lp_minted = events::<IDmlToken::Transfer>(logs, lp.pair);
    assert!(lp_minted.iter().any(|t| t.from == Address::ZERO && t.to == dev.dev(0)), "{lp_minted:?}");
    for address in [lp.pair, lp.factory, lp.weth, dml, timelock] {
        let bloom = genesis.header.logs_bloom;
        assert!(bloom.contains_input(alloy_primitives::BloomInput::Raw(address.as_slice())), "{address} in the bloom");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dml_get_contracts_names_the_liquidity_contracts() {
    let node = start_node().await;
    let raw = RawClient::new(&node.http_url());
    let contracts = raw.result("dml_getContracts", json!([])).await;
    let lp = LiquidityAddresses::at_genesis();
    let named = |key: &str| contracts[key].as_str().unwrap_or_else(|| panic!("no {key} in {contracts}")).parse();
    assert_eq!(named("weth"), Ok(lp.weth));
    assert_eq!(named("factory"), Ok(lp.factory));
    assert_eq!(named("router"), Ok(lp.router));
    assert_eq!(named("pair"), Ok(lp.pair));
    assert_eq!(named("liquidityStaking"), Ok(lp.staking));
    // Block 0's logs over eth_getLogs include the pair's creation.
    let filter = json!([{ "fromBlock": "0x0", "toBlock": "0x0", "address": lp.factory }]);
    let logs = raw.result("eth_getLogs", filter).await;
    let topic = IUniswapV2Factory::PairCreated::SIGNATURE_HASH.to_string();
    assert_eq!(logs.as_array().map(Vec::len), Some(1), "{logs}");
    assert_eq!(logs[0]["topics"][0], topic);
    assert!(logs[0]["transactionHash"].is_null(), "no transaction carries genesis logs");
    node.shutdown().await;
}

#[test]
fn swaps_through_router02_move_the_reserves_as_uniswaps_formula_says() {
    let mut dev = Dev::new(&config());
    let (lp, dml) = (dev.lp, dev.dml());
    let trader = dev.dev(5);

    // 0.1 ETH for DML.
    let (dml_reserve, eth_reserve) = dev.reserves();
    let eth_in = ether(1) / U256::from(10u64);
    let expected = amount_out(eth_in, eth_reserve, dml_reserve);
    assert!(!expected.is_zero());
    let dml_before = dev.dml_balance(trader);
    let buy = IUniswapV2Router02::swapExactETHForTokensCall {
        amountOutMin: expected,
        path: vec![lp.weth, dml],
        to: trader,
        deadline: dev.deadline(),
    };
    dev.send_paying(5, lp.router, eth_in, buy);
    assert_eq!(dev.dml_balance(trader) - dml_before, expected);
    assert_eq!(dev.reserves(), (dml_reserve - expected, eth_reserve + eth_in));

    // And 50 DML back for ETH, at the new reserves (approve the router first).
    let (dml_reserve, eth_reserve) = dev.reserves();
    let dml_in = ether(50);
    let back = amount_out(dml_in, dml_reserve, eth_reserve);
    dev.send(5, dml, IDmlToken::approveCall { spender: lp.router, amount: dml_in });
    let eth_before = dev.eth_balance(trader);
    let dml_before = dev.dml_balance(trader);
    let sell = IUniswapV2Router02::swapExactTokensForETHCall {
        amountIn: dml_in,
        amountOutMin: back,
        path: vec![dml, lp.weth],
        to: trader,
        deadline: dev.deadline(),
    };
    let receipt = dev.send_value(5, lp.router, U256::ZERO, sell.abi_encode());
    assert!(receipt.success);
    assert_eq!(dev.reserves(), (dml_reserve + dml_in, eth_reserve - back));
    assert_eq!(dev.dml_balance(trader), dml_before - dml_in);
    let gas_paid = U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price);
    assert_eq!(dev.eth_balance(trader), eth_before + back - gas_paid, "the ETH out, less the gas");

    // Asking more than the formula gives is refused with Router02's reason.
    let (dml_reserve, eth_reserve) = dev.reserves();
    let greedy = IUniswapV2Router02::swapExactETHForTokensCall {
        amountOutMin: amount_out(eth_in, eth_reserve, dml_reserve) + U256::from(1u64),
        path: vec![lp.weth, dml],
        to: trader,
        deadline: dev.deadline(),
    };
    let receipt = dev.send_value(5, lp.router, eth_in, greedy.abi_encode());
    assert!(!receipt.success);
    assert_eq!(decode_revert(&receipt.revert_data).as_deref(), Some("UniswapV2Router: INSUFFICIENT_OUTPUT_AMOUNT"));
    assert_eq!(dev.reserves(), (dml_reserve, eth_reserve));
}

/// The sharing rule computed per account (the contract keeps one
/// accumulator): each pull shares `amount · PRECISION + carried` among the
/// stake present, `stake · ⌊that / total⌋` each, the remainder carried;
/// rewards that arrive while nobody stakes wait for the first stake. Beside
/// it, each staker's exact proportion of every share, `⌊amount · stake /
/// total⌋`, with no carry.
#[derive(Default)]
struct Model {
    stake: [U256; 2],
    owed_scaled: [U256; 2],
    paid: [U256; 2],
    carried: U256,
    queued: U256,
    proportion: [U256; 2],
    shares: u64,
}

impl Model {
    fn total(&self) -> U256 {
        self.stake[0] + self.stake[1]
    }

    fn share(&mut self, arrived: U256) {
        self.queued += arrived;
        let total = self.total();
        if total.is_zero() || self.queued.is_zero() {
            return;
        }
        let numerator = self.queued * U256::from(PRECISION) + self.carried;
        let increment = numerator / total;
        self.carried = numerator % total;
        for i in 0..2 {
            self.owed_scaled[i] += self.stake[i] * increment;
            self.proportion[i] += self.queued * self.stake[i] / total;
        }
        self.queued = U256::ZERO;
        self.shares += 1;
    }

    fn claim(&mut self, who: usize) -> U256 {
        let payout = self.owed_scaled[who] / U256::from(PRECISION);
        self.owed_scaled[who] -= payout * U256::from(PRECISION);
        self.paid[who] += payout;
        payout
    }
}

/// A chain with a rewarded model, a staked solver and a user.
struct Rewards {
    dev: Dev,
    model: B256,
    task_count: u8,
}

const SOLVER: usize = 3;
const USER: usize = 4;

impl Rewards {
    fn new() -> Rewards {
        let mut config = config();
        config.engine.min_claim_solution_time = CLAIM_WINDOW;
        // A month into the emission curve, so that every claim mints (right
        // after its start, the curve allows almost nothing past the first reward).
        config.engine.start_time = Some(T0 - 30 * 86_400);
        config.models.push(GenesisModel {
            addr: None,
            fee: U256::ZERO,
            rate: ONE_DML,
            template: r#"{"name":"lp-rewards"}"#.into(),
        });
        let mut dev = Dev::new(&config);
        let registered = dev.chain.block(0).unwrap().genesis_logs.iter().find_map(|log| {
            (log.topics().first() == Some(&IEngine::ModelRegistered::SIGNATURE_HASH)).then(|| log.topics()[1])
        });
        let model = registered.expect("the genesis model's ModelRegistered");
        let solver = dev.dev(SOLVER);
        let engine = dev.engine();
        dev.send(SOLVER, engine, IEngine::validatorDepositCall { validator_: solver, amount_: ether(10) });
        Rewards { dev, model, task_count: 0 }
    }

    /// Runs a task through the engine (submit, commit, reveal, claim after
    /// the window) and returns the liquidity share its reward minted.
    fn mint(&mut self) -> U256 {
        self.task_count += 1;
        let dev = &mut self.dev;
        let engine = dev.engine();
        let (solver, user) = (dev.dev(SOLVER), dev.dev(USER));
        let input = format!(r#"{{"n":{}}}"#, self.task_count).into_bytes();
        let submit = IEngine::submitTaskCall {
            version_: 0,
            owner_: user,
            model_: self.model,
            fee_: U256::ZERO,
            input_: input.into(),
        };
        let logs = dev.send(USER, engine, submit);
        let task = events::<IEngine::TaskSubmitted>(&logs, engine)[0].id;
        let cid = output_cid(self.task_count);
        let commitment =
            dev.view(engine, IEngine::generateCommitmentCall { sender_: solver, taskid_: task, cid_: cid.clone() });
        dev.send(SOLVER, engine, IEngine::signalCommitmentCall { commitment_: commitment });
        dev.send(SOLVER, engine, IEngine::submitSolutionCall { taskid_: task, cid_: cid });
        dev.time += CLAIM_WINDOW;
        let accrued_before = dev.view(engine, IEngine::accruedLiquidityRewardsCall {});
        let logs = dev.send(SOLVER, engine, IEngine::claimSolutionCall { taskid_: task });
        let minted = events::<IEngine::RewardsMinted>(&logs, engine);
        assert_eq!(minted.len(), 1, "the claim minted a reward: {logs:?}");
        let share = minted[0].liquidity;
        let total = minted[0].solver + minted[0].treasury + share;
        // The liquidity share is liquidityRewardPercentage (10 %) of the mint, rounded up.
        let percentage = dev.view(engine, IEngine::liquidityRewardPercentageCall {});
        let kept = total * (U256::from(PRECISION) - percentage) / U256::from(PRECISION);
        assert_eq!(share, total - kept);
        assert!(!share.is_zero());
        assert_eq!(dev.view(engine, IEngine::accruedLiquidityRewardsCall {}), accrued_before + share);
        share
    }
}

/// The engine's `LiquidityRewardsWithdrawn` in `logs`: what a pull brought.
fn pulled(logs: &[Log], engine: Address, staking: Address) -> U256 {
    let withdrawn = events::<IEngine::LiquidityRewardsWithdrawn>(logs, engine);
    assert_eq!(withdrawn.len(), 1, "every action pulls the engine's liquidity rewards once");
    assert_eq!(withdrawn[0].to, staking);
    withdrawn[0].amount
}

#[test]
fn lp_stakers_share_the_engines_liquidity_rewards_in_proportion_to_stake_and_time() {
    let mut r = Rewards::new();
    let (lp, engine) = (r.dev.lp, r.dev.engine());
    const ALICE: usize = 1;
    const BOB: usize = 2;
    let stakers = [r.dev.dev(ALICE), r.dev.dev(BOB)];
    // Odd stakes, 3 : 1 and a bit, so that no share divides evenly.
    let stake = [U256::from(3_000_000_000_000_000_007u64), U256::from(1_000_000_000_000_000_001u64)];
    for (i, account) in stakers.into_iter().enumerate() {
        r.dev.send(0, lp.pair, IUniswapV2Pair::transferCall { to: account, value: stake[i] });
    }
    let mut model = Model::default();

    // 1. A reward minted while nobody stakes: the first stake's pull brings it
    //    in, and it is the first staker's once the stake lands.
    let first = r.mint();
    r.dev.send(ALICE, lp.pair, IUniswapV2Pair::approveCall { spender: lp.staking, value: stake[0] });
    let logs = r.dev.send(ALICE, lp.staking, ILiquidityStaking::stakeCall { amount: stake[0] });
    assert_eq!(pulled(&logs, engine, lp.staking), first);
    let queued = events::<ILiquidityStaking::RewardsQueued>(&logs, lp.staking);
    assert_eq!(queued.iter().map(|q| q.amount).collect::<Vec<_>>(), vec![first]);
    model.share(first);
    model.stake[0] += stake[0];
    model.share(U256::ZERO);
    let earned = r.dev.view(lp.staking, ILiquidityStaking::earnedCall { account: stakers[0] });
    assert_eq!(earned, model.owed_scaled[0] / U256::from(PRECISION));
    assert_eq!(earned, first - U256::from(1u64), "the whole reward but a wei of rounding is Alice's");

    // 2. A reward while only Alice stakes; Bob's stake pulls it first, so it is hers alone.
    let second = r.mint();
    r.dev.send(BOB, lp.pair, IUniswapV2Pair::approveCall { spender: lp.staking, value: stake[1] });
    let logs = r.dev.send(BOB, lp.staking, ILiquidityStaking::stakeCall { amount: stake[1] });
    assert_eq!(pulled(&logs, engine, lp.staking), second);
    model.share(second);
    model.stake[1] += stake[1];
    assert_eq!(r.dev.view(lp.staking, ILiquidityStaking::owedScaledCall { account: stakers[1] }), U256::ZERO);

    // 3. A reward with both staked; Alice claims (the claim's pull shares it first).
    let third = r.mint();
    let logs = r.dev.send(ALICE, lp.staking, ILiquidityStaking::claimCall {});
    assert_eq!(pulled(&logs, engine, lp.staking), third);
    model.share(third);
    let paid = events::<ILiquidityStaking::RewardPaid>(&logs, lp.staking);
    assert_eq!(paid.len(), 1);
    assert_eq!((paid[0].account, paid[0].amount), (stakers[0], model.claim(0)));

    // 4. Two rewards before anyone acts: one pull, by Bob's partial withdrawal.
    let fourth = r.mint() + r.mint();
    let out = stake[1] / U256::from(2u64);
    let logs = r.dev.send(BOB, lp.staking, ILiquidityStaking::withdrawCall { amount: out });
    assert_eq!(pulled(&logs, engine, lp.staking), fourth);
    model.share(fourth);
    model.stake[1] -= out;
    assert_eq!(r.dev.lp_balance(stakers[1]), out, "the LP tokens came back");

    // 5. A reward at the new stakes, pulled by anyone; then both claim.
    let fifth = r.mint();
    let logs = r.dev.send(5, lp.staking, ILiquidityStaking::pullCall {});
    assert_eq!(pulled(&logs, engine, lp.staking), fifth);
    model.share(fifth);
    for who in [BOB, ALICE] {
        let index = who - 1;
        let account = stakers[index];
        assert_eq!(
            r.dev.view(lp.staking, ILiquidityStaking::owedScaledCall { account }),
            model.owed_scaled[index],
            "staker {index} is owed what the model says"
        );
        let earned = r.dev.view(lp.staking, ILiquidityStaking::earnedCall { account });
        assert_eq!(earned, model.owed_scaled[index] / U256::from(PRECISION));
        let before = r.dev.dml_balance(account);
        let logs = r.dev.send(who, lp.staking, ILiquidityStaking::claimCall {});
        assert_eq!(pulled(&logs, engine, lp.staking), U256::ZERO, "nothing accrued since the last pull");
        assert_eq!(r.dev.dml_balance(account) - before, model.claim(index), "staker {index}'s payout");
    }

    // Every wei of every share is paid or still owed (as fractions of a wei).
    let arrived = first + second + third + fourth + fifth;
    let paid_total = model.paid[0] + model.paid[1];
    assert_eq!(r.dev.view(lp.staking, ILiquidityStaking::totalPaidCall {}), paid_total);
    let held = r.dev.dml_balance(lp.staking);
    assert_eq!(paid_total + held, arrived, "the staking contract holds exactly what it has not paid");
    let owed = r.dev.view(lp.staking, ILiquidityStaking::totalOwedScaledCall {});
    let carried = r.dev.view(lp.staking, ILiquidityStaking::carriedCall {});
    assert_eq!(carried, model.carried);
    assert_eq!(owed, model.owed_scaled[0] + model.owed_scaled[1]);
    assert_eq!(held * U256::from(PRECISION), owed + carried, "the books balance");
    assert!(held < U256::from(3u64), "at most a wei of dust per staker is left: {held}");
    // Each staker got its stake's proportion of each share, give or take the
    // wei that rounding moves between shares.
    assert_eq!(model.shares, 5);
    for i in 0..2 {
        let gap = model.paid[i].abs_diff(model.proportion[i]);
        assert!(
            gap <= U256::from(model.shares),
            "staker {i}: paid {} for a proportion of {}",
            model.paid[i],
            model.proportion[i]
        );
    }
    assert!(model.paid[0] > model.paid[1] * U256::from(3u64), "Alice staked 3× Bob, and earlier");
}

#[test]
fn bad_stakes_and_withdrawals_are_refused_with_a_reason() {
    let mut dev = Dev::new(&config());
    let lp = dev.lp;
    let alice = dev.dev(1);
    dev.send(0, lp.pair, IUniswapV2Pair::transferCall { to: alice, value: ether(2) });

    // Staking without approving the staking contract: the unmodified pair's
    // LP token refuses the transferFrom with its SafeMath reason.
    let why = dev.refused(1, lp.staking, ILiquidityStaking::stakeCall { amount: ether(1) });
    assert_eq!(why, "ds-math-sub-underflow");
    assert_eq!(dev.lp_balance(alice), ether(2), "nothing moved");
    assert_eq!(dev.view(lp.staking, ILiquidityStaking::balanceOfCall { account: alice }), U256::ZERO);

    // Nothing to stake, and more than staked to withdraw.
    let why = dev.refused(1, lp.staking, ILiquidityStaking::stakeCall { amount: U256::ZERO });
    assert!(why.starts_with("ZeroAmount: "), "{why}");
    dev.send(1, lp.pair, IUniswapV2Pair::approveCall { spender: lp.staking, value: U256::MAX });
    dev.send(1, lp.staking, ILiquidityStaking::stakeCall { amount: ether(1) });
    let why = dev.refused(1, lp.staking, ILiquidityStaking::withdrawCall { amount: ether(1) + U256::from(1u64) });
    assert_eq!(
        why,
        format!(
            "InsufficientStake: withdrawing {} LP base units with only {} staked",
            ether(1) + U256::from(1u64),
            ether(1)
        )
    );
    // Staking more LP tokens than held: the pair's balance check.
    let why = dev.refused(1, lp.staking, ILiquidityStaking::stakeCall { amount: ether(2) });
    assert_eq!(why, "ds-math-sub-underflow");
    assert_eq!(dev.view(lp.staking, ILiquidityStaking::balanceOfCall { account: alice }), ether(1));
    assert_eq!(dev.view(lp.staking, ILiquidityStaking::totalStakedCall {}), ether(1));
    assert_eq!(dev.lp_balance(alice), ether(1));
}

#[test]
fn the_seed_the_recipient_and_the_pool_follow_the_configuration() {
    // No seed: the contracts are there, the pair is empty, the deployer never
    // held anything and stopped at nonce 7.
    let mut unseeded = config();
    unseeded.liquidity.seed_dml = 0;
    unseeded.liquidity.seed_eth = 0;
    let dev = Dev::new(&unseeded);
    assert_eq!(dev.chain.nonce(&GENESIS_DEPLOYER), 7);
    assert_eq!(dev.reserves(), (U256::ZERO, U256::ZERO));
    assert_eq!(dev.view(dev.lp.pair, IUniswapV2Pair::totalSupplyCall {}), U256::ZERO);
    assert_eq!(dev.view(dev.engine(), IEngine::liquidityPoolCall {}), dev.lp.staking);
    let supply = dev.view(dev.dml(), IDmlToken::totalSupplyCall {});
    assert_eq!(supply, ether(10_000), "only the dev accounts' DML");

    // Another seed, recipient and pool; no dev accounts.
    let recipient = Address::repeat_byte(0x7e);
    let pool = Address::repeat_byte(0x9f);
    let mut custom = config();
    custom.dev_accounts = 0;
    custom.liquidity.seed_dml = 5;
    custom.liquidity.seed_eth = 20;
    custom.liquidity.lp_recipient = Some(recipient);
    custom.engine.liquidity_pool = Some(pool);
    let dev = Dev::new(&custom);
    assert_eq!(dev.reserves(), (ether(5), ether(20)));
    let liquidity = (ether(5) * ether(20)).root(2);
    assert_eq!(dev.lp_balance(recipient), liquidity - U256::from(MINIMUM_LIQUIDITY));
    assert_eq!(dev.view(dev.engine(), IEngine::liquidityPoolCall {}), pool);
    assert_eq!(dev.view(dev.dml(), IDmlToken::totalSupplyCall {}), ether(5), "the seed is the whole supply");

    // Without dev accounts and without a recipient, the timelock holds the LP tokens.
    let mut governed = config();
    governed.dev_accounts = 0;
    let dev = Dev::new(&governed);
    let timelock = GovernanceAddresses::at_genesis().timelock;
    assert_eq!(dev.lp_balance(timelock), (ether(1_000) * ether(1)).root(2) - U256::from(MINIMUM_LIQUIDITY));

    // Half a seed, a burning recipient are refused.
    let mut half = config();
    half.liquidity.seed_eth = 0;
    let error = Chain::open(&half, None).err().expect("refused").to_string();
    assert!(error.contains("seed_dml (1000) and seed_eth (0) must both be zero"), "{error}");
    let mut burn = config();
    burn.liquidity.lp_recipient = Some(Address::ZERO);
    let error = Chain::open(&burn, None).err().expect("refused").to_string();
    assert!(error.contains("lp_recipient must not be the zero address"), "{error}");
    let toml =
        "[liquidity]\nseed_dml = 2\nseed_eth = 3\nlp_recipient = \"0x7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e\"\n";
    let parsed: GenesisConfig = toml::from_str(toml).unwrap();
    assert_eq!((parsed.liquidity.seed_dml, parsed.liquidity.seed_eth), (2, 3));
    assert_eq!(parsed.liquidity.lp_recipient, Some(recipient));
    assert!(toml::from_str::<GenesisConfig>("[liquidity]\nseed = 1\n").is_err(), "unknown keys are refused");
}
