//! Gas of LP staking on the dev chain: `LiquidityStaking`'s stake, withdraw
//! and claim on the genesis DML/WETH pair, next to two references measured
//! in the same run on the same chain: a plain transfer of the LP token
//! (Uniswap V2's ERC-20) and `Router02.addLiquidityETH` into the existing
//! pair.
//!
//! `cargo bench -p dml-chain --bench liquidity_gas` prints one table: the gas
//! each transaction's receipt reports (intrinsic gas included). Every stake,
//! withdraw and claim first pulls the engine's liquidity rewards (a call into
//! the native engine and, when some accrued, a DML transfer); the rows say
//! whether there was a reward to pull, which real task claims produce.

use alloy_consensus::{SignableTransaction, TxEip1559};
use alloy_eips::eip2718::Encodable2718;
use alloy_network::TxSignerSync;
use alloy_primitives::{Address, Bytes, Log, TxKind, B256, U256};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolCall, SolEvent};
use dml_chain::{chain::decode_signed, Chain, GenesisConfig, GenesisModel, LiquidityAddresses};
use dml_governance::{ILiquidityStaking, IUniswapV2Pair, IUniswapV2Router02};
use dml_primitives::{IDmlToken, IEngine, ONE_DML};

const T0: u64 = 1_800_000_000;
const CLAIM_WINDOW: u64 = 10;

/// A chain driven block by block with exact timestamps.
struct Bench {
    chain: Chain,
    signers: Vec<PrivateKeySigner>,
    time: u64,
}

impl Bench {
    /// Sends one transaction in its own block a second after the last and
    /// returns its receipt's gas and logs.
    fn send_value(&mut self, from: usize, to: Address, value: U256, input: Vec<u8>) -> (u64, Vec<Log>) {
        let signer = &self.signers[from];
        let nonce = self.chain.pending_nonce(&signer.address());
        let mut tx = TxEip1559 {
            chain_id: self.chain.chain_id(),
            nonce,
            gas_limit: 3_000_000,
            max_fee_per_gas: 100_000_000_000,
            max_priority_fee_per_gas: 1_000_000_000,
            to: TxKind::Call(to),
            value,
            access_list: Default::default(),
            input: input.into(),
        };
        let signature = signer.sign_transaction_sync(&mut tx).expect("signs");
        let raw: Bytes = tx.into_signed(signature).encoded_2718().into();
        let included = decode_signed(&raw, self.chain.chain_id()).expect("a valid transaction");
        self.chain.add_transaction(included).expect("accepted");
        self.time += 1;
        let number = self.chain.mine(Some(self.time)).expect("mines");
        let receipt = &self.chain.block(number).expect("the block").receipts[0];
        assert!(receipt.success, "transaction reverted: {:?}", dml_governance::decode_revert(&receipt.revert_data));
        (receipt.gas_used, receipt.logs.clone())
    }

    fn call<C: SolCall>(&mut self, from: usize, to: Address, call: C) -> (u64, Vec<Log>) {
        self.send_value(from, to, U256::ZERO, call.abi_encode())
    }

    fn view<C: SolCall>(&self, to: Address, call: C) -> C::Return {
        let request = TransactionRequest::default().to(to).input(Bytes::from(call.abi_encode()).into());
        let output = self.chain.call(&request, self.chain.head_number()).expect("view").output;
        C::abi_decode_returns(&output).expect("decodes")
    }

    /// Runs one task through the engine (submit, commit, reveal, claim),
    /// which accrues a liquidity reward for the stakers to pull.
    fn accrue_reward(&mut self, model: B256, tag: u8) {
        let engine = self.chain.contracts().engine;
        let (solver, user) = (self.signers[3].address(), self.signers[4].address());
        let submit = IEngine::submitTaskCall {
            version_: 0,
            owner_: user,
            model_: model,
            fee_: U256::ZERO,
            input_: format!("{{\"n\":{tag}}}").into_bytes().into(),
        };
        let (_, logs) = self.call(4, engine, submit);
        let task = logs
            .iter()
            .find_map(|log| IEngine::TaskSubmitted::decode_log_data(&log.data).ok())
            .expect("TaskSubmitted")
            .id;
        let mut cid = vec![0x12, 0x20];
        cid.extend_from_slice(&[tag; 32]);
        let cid = Bytes::from(cid);
        let commitment =
            self.view(engine, IEngine::generateCommitmentCall { sender_: solver, taskid_: task, cid_: cid.clone() });
        self.call(3, engine, IEngine::signalCommitmentCall { commitment_: commitment });
        self.call(3, engine, IEngine::submitSolutionCall { taskid_: task, cid_: cid });
        self.time += CLAIM_WINDOW;
        self.call(3, engine, IEngine::claimSolutionCall { taskid_: task });
        let accrued = self.view(engine, IEngine::accruedLiquidityRewardsCall {});
        assert!(!accrued.is_zero(), "the claim accrued a liquidity reward");
    }
}

fn main() {
    let mut config = GenesisConfig { timestamp: Some(T0), ..GenesisConfig::default() };
    config.engine.min_claim_solution_time = CLAIM_WINDOW;
    config.engine.start_time = Some(T0 - 30 * 86_400);
    config.models.push(GenesisModel {
        addr: None,
        fee: U256::ZERO,
        rate: ONE_DML,
        template: r#"{"name":"lp-gas"}"#.into(),
    });
    let chain = Chain::open(&config, None).expect("chain");
    let model = chain.block(0).expect("genesis").genesis_logs.iter().find_map(|log| {
        (log.topics().first() == Some(&IEngine::ModelRegistered::SIGNATURE_HASH)).then(|| log.topics()[1])
    });
    let model = model.expect("the genesis model");
    let signers = chain.dev_signers().to_vec();
    let mut bench = Bench { chain, signers, time: T0 };
    let lp = LiquidityAddresses::at_genesis();
    let (engine, dml) = (bench.chain.contracts().engine, bench.chain.contracts().token);
    let (a, b) = (bench.signers[1].address(), bench.signers[2].address());
    let solver = bench.signers[3].address();
    bench.call(3, engine, IEngine::validatorDepositCall { validator_: solver, amount_: ONE_DML * U256::from(10u64) });

    // References: an LP token transfer (dev 0 holds the genesis LP tokens) and
    // an addLiquidityETH into the existing pair.
    let lp_units = U256::from(10u64).pow(U256::from(18u64));
    let (lp_transfer, _) = bench.call(0, lp.pair, IUniswapV2Pair::transferCall { to: a, value: lp_units });
    bench.call(0, lp.pair, IUniswapV2Pair::transferCall { to: b, value: lp_units });
    let dml_in = ONE_DML * U256::from(100u64);
    bench.call(5, dml, IDmlToken::approveCall { spender: lp.router, amount: dml_in });
    let eth_in = U256::from(10u64).pow(U256::from(17u64)); // 0.1 ETH for 100 DML: the pool's price
    let add = IUniswapV2Router02::addLiquidityETHCall {
        token: dml,
        amountTokenDesired: dml_in,
        amountTokenMin: U256::ZERO,
        amountETHMin: U256::ZERO,
        to: bench.signers[5].address(),
        deadline: U256::from(T0 + 86_400),
    };
    let (add_liquidity, _) = bench.send_value(5, lp.router, eth_in, add.abi_encode());
    for who in [1, 2] {
        bench.call(who, lp.pair, IUniswapV2Pair::approveCall { spender: lp.staking, value: U256::MAX });
    }

    // The first stake (nothing accrued), then a reward and a second stake that pulls it.
    let half = lp_units / U256::from(2u64);
    let (first_stake, _) = bench.call(1, lp.staking, ILiquidityStaking::stakeCall { amount: half });
    bench.accrue_reward(model, 1);
    let (stake_pulling, _) = bench.call(2, lp.staking, ILiquidityStaking::stakeCall { amount: half });
    // A top-up of an existing stake, nothing to pull.
    let (stake_again, _) = bench.call(1, lp.staking, ILiquidityStaking::stakeCall { amount: half / U256::from(2u64) });
    // Claims: pulling a reward and paying; then with nothing new to pull.
    bench.accrue_reward(model, 2);
    let (claim_pulling, logs) = bench.call(1, lp.staking, ILiquidityStaking::claimCall {});
    assert!(logs.iter().any(|l| l.topics()[0] == ILiquidityStaking::RewardPaid::SIGNATURE_HASH));
    let (claim_plain, _) = bench.call(2, lp.staking, ILiquidityStaking::claimCall {});
    // Withdrawals: part of a stake with nothing to pull, then pulling a reward.
    let (withdraw_plain, _) =
        bench.call(1, lp.staking, ILiquidityStaking::withdrawCall { amount: half / U256::from(4u64) });
    bench.accrue_reward(model, 3);
    let (withdraw_pulling, _) =
        bench.call(2, lp.staking, ILiquidityStaking::withdrawCall { amount: half / U256::from(2u64) });
    let (exit, _) = bench.call(2, lp.staking, ILiquidityStaking::exitCall {});
    let (pull, _) = bench.call(6, lp.staking, ILiquidityStaking::pullCall {});

    println!("Gas per transaction on the dev chain (receipts, intrinsic gas included)");
    println!();
    println!("| transaction | gas |");
    println!("| --- | ---: |");
    let rows = [
        ("reference: LP token transfer (Uniswap V2 ERC-20, to a new holder)", lp_transfer),
        ("reference: Router02.addLiquidityETH (existing pair, 100 DML + 0.1 ETH)", add_liquidity),
        ("stake: first staker, nothing to pull", first_stake),
        ("stake: second staker, pulls and shares a reward", stake_pulling),
        ("stake: top-up, nothing to pull (settles an earlier share)", stake_again),
        ("claim: pulls and shares a reward, pays", claim_pulling),
        ("claim: nothing new to pull, pays", claim_plain),
        ("withdraw: part, nothing to pull", withdraw_plain),
        ("withdraw: part, pulls and shares a reward", withdraw_pulling),
        ("exit: the rest of the stake and the owed reward", exit),
        ("pull: nothing accrued", pull),
    ];
    for (name, gas) in rows {
        println!("| {name} | {gas} |");
    }
}
