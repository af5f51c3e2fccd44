//! Stake delegated to solvers, on the real dev chain over JSON-RPC: the
//! split of a solver's earnings with its delegators to the wei, the order a
//! slash takes stake in (the solver's own, then its pool pro rata, unbonding
//! stake included), and the refusals a delegator or solver meets.

mod support;

use alloy_network::{EthereumWallet, TransactionBuilder};
use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_provider::{Provider, ProviderBuilder};
use alloy_rpc_types_eth::{TransactionReceipt, TransactionRequest};
use dml_chain::{GenesisModel, NodeHandle};
use dml_primitives::{IDmlToken, IEngine, SolCall, SolEvent, ONE_DML};
use serde_json::json;
use support::*;

const PERCENT: u64 = 10_000_000_000_000_000;

/// A node whose genesis registers one model that mints the full reward and
/// asks no model fee, and a handle on its engine for every dev key.
struct Net {
    node: NodeHandle,
    raw: RawClient,
    engine: Address,
    token: Address,
    model: B256,
}

impl Net {
    async fn start() -> Self {
        let node = start_node_with(|config| {
            config.genesis.models.push(GenesisModel {
                addr: None,
                fee: U256::ZERO,
                rate: ONE_DML,
                template: r#"{"name":"delegation test model"}"#.into(),
            });
        })
        .await;
        let raw = RawClient::new(&node.http_url());
        let contracts = raw.result("dml_getContracts", json!([])).await;
        let engine: Address = contracts["engine"].as_str().unwrap().parse().unwrap();
        let token: Address = contracts["token"].as_str().unwrap().parse().unwrap();
        let mut net = Self { node, raw, engine, token, model: B256::ZERO };
        // The genesis model's id, from its registration (block 0's logs).
        let logs = net
            .raw
            .result(
                "eth_getLogs",
                json!([{ "fromBlock": "0x0", "toBlock": "0x0", "address": engine,
                         "topics": [IEngine::ModelRegistered::SIGNATURE_HASH] }]),
            )
            .await;
        net.model = logs[0]["topics"][1].as_str().unwrap().parse().unwrap();
        net
    }

    fn provider(&self, key: u32) -> impl Provider + Clone {
        let wallet = EthereumWallet::from(dev_key(key));
        ProviderBuilder::new().wallet(wallet).connect_http(self.node.http_url().parse().unwrap())
    }

    /// Sends an engine call from dev key `key`; it must succeed.
    async fn send<C: SolCall>(&self, key: u32, call: C) -> TransactionReceipt {
        self.send_to(key, self.engine, call).await
    }

    async fn send_to<C: SolCall>(&self, key: u32, to: Address, call: C) -> TransactionReceipt {
        let request = TransactionRequest::default().with_to(to).with_input(Bytes::from(call.abi_encode()));
        let receipt =
            self.provider(key).send_transaction(request).await.expect("accepted").get_receipt().await.unwrap();
        assert!(receipt.status(), "transaction reverted: {receipt:?}");
        receipt
    }

    /// What the node answers when dev key `key` sends `call`: the revert
    /// message. The refused transaction is never mined.
    async fn refusal<C: SolCall>(&self, key: u32, call: C) -> String {
        let request = TransactionRequest::default()
            .with_from(dev_key(key).address())
            .with_to(self.engine)
            .with_input(Bytes::from(call.abi_encode()));
        match self.provider(key).send_transaction(request).await {
            Ok(_) => panic!("the node accepted a transaction it should refuse"),
            Err(error) => error.to_string(),
        }
    }

    async fn view<C: SolCall>(&self, call: C) -> C::Return {
        let request = TransactionRequest::default().with_to(self.engine).with_input(Bytes::from(call.abi_encode()));
        let output = self.provider(0).call(request).await.expect("view succeeds");
        C::abi_decode_returns(&output).expect("decodes")
    }

    async fn balance(&self, who: Address) -> U256 {
        let call = IDmlToken::balanceOfCall { account: who };
        let request = TransactionRequest::default().with_to(self.token).with_input(Bytes::from(call.abi_encode()));
        let output = self.provider(0).call(request).await.unwrap();
        IDmlToken::balanceOfCall::abi_decode_returns(&output).unwrap()
    }

    async fn wait(&self, seconds: u64) {
        self.raw.result("evm_increaseTime", json!([seconds])).await;
        self.raw.result("evm_mine", json!([])).await;
    }

    /// `owner` submits a task with `fee`; returns its id.
    async fn submit_task(&self, owner: u32, fee: U256, input: &str) -> B256 {
        let call = IEngine::submitTaskCall {
            version_: 0,
            owner_: dev_key(owner).address(),
            model_: self.model,
            fee_: fee,
            input_: Bytes::from(input.as_bytes().to_vec()),
        };
        let receipt = self.send(owner, call).await;
        let log = receipt.inner.logs().iter().find(|l| l.topics()[0] == IEngine::TaskSubmitted::SIGNATURE_HASH);
        log.expect("TaskSubmitted").topics()[1]
    }

    /// Commit in one block, reveal in the next.
    async fn solve(&self, solver: u32, task: B256, cid: Bytes) {
        let address = dev_key(solver).address();
        let commitment =
            self.view(IEngine::generateCommitmentCall { sender_: address, taskid_: task, cid_: cid.clone() }).await;
        self.send(solver, IEngine::signalCommitmentCall { commitment_: commitment }).await;
        self.send(solver, IEngine::submitSolutionCall { taskid_: task, cid_: cid }).await;
    }
}

fn dml(n: u64) -> U256 {
    U256::from(n) * ONE_DML
}

fn addr(key: u32) -> Address {
    dev_key(key).address()
}

fn event<E: SolEvent>(receipt: &TransactionReceipt) -> Option<E> {
    receipt
        .inner
        .logs()
        .iter()
        .find(|log| log.topics()[0] == E::SIGNATURE_HASH)
        .map(|log| E::decode_log_data(log.data()).expect("event decodes"))
}

/// The documented split, computed here from the claim's inputs: the
/// solver's earnings `earned` less the commission (rounded down), the
/// counted delegation's pro-rata part of the rest (rounded up) to the pool.
fn pool_part(earned: U256, commission: U256, own: U256, pool_stake: U256, cap_ratio: U256) -> U256 {
    let counted = pool_stake.min(own * cap_ratio / ONE_DML);
    if counted.is_zero() {
        return U256::ZERO;
    }
    let rest = earned - earned * commission / ONE_DML;
    (rest * counted).div_ceil(own + counted)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delegators_earn_their_share_of_each_claim_to_the_wei_and_a_late_joiner_nothing_before_it() {
    let net = Net::start().await;
    let (solver, alice, bob, user) = (1, 2, 3, 4);
    let own = dml(100);
    net.send(solver, IEngine::validatorDepositCall { validator_: addr(solver), amount_: own }).await;
    // Set while nobody delegates, so it applies at once.
    let commission = U256::from(10 * PERCENT);
    let set = net.send(solver, IEngine::setDelegationCommissionCall { commission_: commission }).await;
    let changed = event::<IEngine::DelegationCommissionChanged>(&set).unwrap();
    assert_eq!(changed.commission, commission);
    assert_eq!(net.view(IEngine::delegationPoolCall { solver: addr(solver) }).await.commission, commission);

    let (alice_stake, bob_stake) = (dml(30), dml(50));
    let delegated = net.send(alice, IEngine::delegateStakeCall { solver_: addr(solver), amount_: alice_stake }).await;
    let alice_shares = event::<IEngine::StakeDelegated>(&delegated).unwrap().shares;
    assert_eq!(alice_shares, alice_stake, "the first shares are at par");
    let cap_ratio = net.view(IEngine::delegationCapRatioCall {}).await;

    // Independent bookkeeping of the accumulator the engine documents:
    // claims add up their pool parts; the next delegator action adds
    // floor(that sum × 2^96 / shares) to the reward per share.
    let mut acc_alice = U256::ZERO; // summed increments while alice holds shares
    let mut acc_bob = U256::ZERO;
    let mut uncredited = U256::ZERO;
    let mut shares = alice_shares;
    let mut bob_shares = U256::ZERO;
    let mut solver_expected = U256::ZERO;
    let solver_before = net.balance(addr(solver)).await;
    let claims = 6;
    for round in 0..claims {
        if round == 3 {
            // Bob joins after three claims: those are none of his.
            acc_alice += (uncredited << 96) / shares;
            uncredited = U256::ZERO;
            let receipt = net.send(bob, IEngine::delegateStakeCall { solver_: addr(solver), amount_: bob_stake }).await;
            bob_shares = event::<IEngine::StakeDelegated>(&receipt).unwrap().shares;
            shares += bob_shares;
            let position = net.view(IEngine::delegationCall { delegator: addr(bob), solver: addr(solver) }).await;
            assert_eq!(position.pendingRewards, U256::ZERO, "a newcomer is owed nothing");
        }
        let fee = dml(1) + U256::from(round) * ONE_DML / U256::from(3);
        let task = net.submit_task(user, fee, &format!("round {round}")).await;
        net.solve(solver, task, output_cid(round as u8)).await;
        net.wait(CLAIM_WINDOW + 1).await;
        let pool = net.view(IEngine::delegationPoolCall { solver: addr(solver) }).await;
        let staked = net.view(IEngine::validatorsCall { addr: addr(solver) }).await.staked;
        let escrowed = net.view(IEngine::contestationsCall { taskid: task }).await.slashAmount;
        let receipt = net.send(user, IEngine::claimSolutionCall { taskid_: task }).await;

        // What the solver earned: 90 % of the fee (the treasury's 10 % is
        // rounded up) and the solver's share of the mint.
        let solver_fee = fee * U256::from(90) / U256::from(100);
        let minted = event::<IEngine::RewardsMinted>(&receipt).map(|m| m.solver).unwrap_or_default();
        let earned = solver_fee + minted;
        // The escrowed slash returns before the split: own stake is whole.
        assert_eq!(staked + escrowed, own);
        let expected = pool_part(earned, commission, own, pool.stake, cap_ratio);
        let split = event::<IEngine::DelegationRewards>(&receipt).expect("the claim pays the pool");
        assert_eq!(split.pool, expected, "round {round}: the pool's part");
        assert_eq!(split.commission, earned * commission / ONE_DML);
        solver_expected += earned - expected;
        assert_eq!(pool.shares, shares);
        uncredited += expected;
    }
    // Alice's claim below folds the last three claims in.
    let increment = (uncredited << 96) / shares;
    acc_alice += increment;
    acc_bob += increment;
    assert_eq!(net.balance(addr(solver)).await - solver_before, solver_expected, "the solver keeps the rest");

    for (who, shares, acc) in [(alice, alice_shares, acc_alice), (bob, bob_shares, acc_bob)] {
        let owed = (shares * acc) >> 96;
        let position = net.view(IEngine::delegationCall { delegator: addr(who), solver: addr(solver) }).await;
        assert_eq!(position.pendingRewards, owed, "pending rewards of {who}");
        let before = net.balance(addr(who)).await;
        let receipt = net.send(who, IEngine::claimDelegationRewardsCall { solver_: addr(solver) }).await;
        assert_eq!(net.balance(addr(who)).await - before, owed, "delegator {who} is paid exactly its share");
        assert_eq!(event::<IEngine::DelegationRewardsPaid>(&receipt).unwrap().amount, owed);
    }
    assert!(acc_bob < acc_alice && !acc_bob.is_zero(), "bob earned from the later claims only");

    // The reserve keeps only rounding dust, which the last one out takes.
    let pool = net.view(IEngine::delegationPoolCall { solver: addr(solver) }).await;
    assert!(pool.rewardReserve < U256::from(claims), "dust: {}", pool.rewardReserve);
    let dust = pool.rewardReserve;
    net.send(alice, IEngine::undelegateStakeCall { solver_: addr(solver), amount_: alice_stake }).await;
    let before = net.balance(addr(bob)).await;
    net.send(bob, IEngine::undelegateStakeCall { solver_: addr(solver), amount_: bob_stake }).await;
    assert_eq!(net.balance(addr(bob)).await - before, dust, "the last delegator out takes the dust");
    let pool = net.view(IEngine::delegationPoolCall { solver: addr(solver) }).await;
    assert_eq!((pool.stake, pool.shares, pool.rewardReserve), (U256::ZERO, U256::ZERO, U256::ZERO));
    assert_eq!(pool.unbondingStake, alice_stake + bob_stake);
    net.node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slash_takes_the_solvers_own_stake_then_its_pool_pro_rata_unbonding_included() {
    let net = Net::start().await;
    let (cheat, alice, bob, carol, contester, voter, user) = (1, 2, 3, 4, 5, 6, 7);
    let slash = net.view(IEngine::getSlashAmountCall {}).await;
    assert!(slash > ONE_DML, "the dev chain's supply makes the slash {slash}");
    // The cheat's own stake is less than one slash; delegation makes it eligible.
    let own = ONE_DML;
    net.send(cheat, IEngine::validatorDepositCall { validator_: addr(cheat), amount_: own }).await;
    for key in [contester, voter] {
        net.send(key, IEngine::validatorDepositCall { validator_: addr(key), amount_: dml(50) }).await;
    }
    let (alice_stake, bob_stake, carol_stake) = (dml(10), dml(6), dml(4));
    for (key, amount) in [(alice, alice_stake), (bob, bob_stake), (carol, carol_stake)] {
        net.send(key, IEngine::delegateStakeCall { solver_: addr(cheat), amount_: amount }).await;
    }
    let stake = net.view(IEngine::solverStakeCall { solver: addr(cheat) }).await;
    assert_eq!((stake.own, stake.delegated), (own, alice_stake + bob_stake + carol_stake));
    assert_eq!(stake.counted, stake.delegated.min(own * U256::from(10)));

    // Carol leaves and is paid out before the fraud.
    net.send(carol, IEngine::undelegateStakeCall { solver_: addr(cheat), amount_: carol_stake }).await;
    let unbonding = net.view(IEngine::delegationUnbondingTimeCall {}).await.to::<u64>();
    net.wait(unbonding + 1).await;
    let carol_before = net.balance(addr(carol)).await;
    net.send(carol, IEngine::withdrawDelegationCall { solver_: addr(cheat), to_: addr(carol) }).await;
    assert_eq!(net.balance(addr(carol)).await - carol_before, carol_stake);

    // The fraud: a made-up output. Own stake escrows what it can.
    let task = net.submit_task(user, dml(1), "please be honest").await;
    net.solve(cheat, task, output_cid(0xbd)).await;
    assert_eq!(net.view(IEngine::validatorsCall { addr: addr(cheat) }).await.staked, U256::ZERO);
    // Bob starts unbonding after it: still slashable.
    net.send(bob, IEngine::undelegateStakeCall { solver_: addr(cheat), amount_: bob_stake }).await;

    net.send(contester, IEngine::submitContestationCall { taskid_: task }).await;
    net.send(voter, IEngine::voteOnContestationCall { taskid_: task, yea_: true }).await;
    let vote_period = net.view(IEngine::minContestationVotePeriodTimeCall {}).await.to::<u64>();
    net.wait(vote_period + 1).await;
    let (contester_before, voter_before) = (net.balance(addr(contester)).await, net.balance(addr(voter)).await);
    let receipt = net.send(user, IEngine::contestationVoteFinishCall { taskid_: task, amnt_: 10 }).await;

    // Own stake first (all of it, 1 DML), then the pool: bonded and
    // unbonding pro rata to their stake.
    let shortfall = slash - own;
    let total = alice_stake + bob_stake;
    let from_bonded = shortfall * alice_stake / total;
    let from_unbonding = shortfall - from_bonded;
    let slashed = event::<IEngine::DelegationSlashed>(&receipt).expect("the pool was slashed");
    assert_eq!((slashed.stake, slashed.unbonding), (from_bonded, from_unbonding));
    assert_eq!(net.view(IEngine::validatorsCall { addr: addr(cheat) }).await.staked, U256::ZERO);
    let alice_now = net.view(IEngine::delegationCall { delegator: addr(alice), solver: addr(cheat) }).await;
    assert_eq!(alice_now.stake, alice_stake - from_bonded);
    let bob_now = net.view(IEngine::delegationCall { delegator: addr(bob), solver: addr(cheat) }).await;
    assert_eq!(bob_now.unbonding, bob_stake - from_unbonding);
    let carol_now = net.view(IEngine::delegationCall { delegator: addr(carol), solver: addr(cheat) }).await;
    assert_eq!((carol_now.stake, carol_now.unbonding), (U256::ZERO, U256::ZERO));
    // The winners share the whole slash: the contester half, the voter the rest.
    let contester_gain = net.balance(addr(contester)).await - contester_before;
    let voter_gain = net.balance(addr(voter)).await - voter_before;
    assert_eq!(contester_gain, slash - slash / U256::from(2));
    assert_eq!(voter_gain, slash / U256::from(2));

    // Bob withdraws what is left of his stake once it unbonds.
    let refused = net.refusal(bob, IEngine::withdrawDelegationCall { solver_: addr(cheat), to_: addr(bob) }).await;
    assert!(refused.contains("unbonding not finished"), "{refused}");
    net.wait(unbonding + 1).await;
    let before = net.balance(addr(bob)).await;
    net.send(bob, IEngine::withdrawDelegationCall { solver_: addr(cheat), to_: addr(bob) }).await;
    assert_eq!(net.balance(addr(bob)).await - before, bob_stake - from_unbonding);
    net.node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_say_why() {
    let net = Net::start().await;
    let (solver, alice, stranger) = (1, 2, 3);
    net.send(solver, IEngine::validatorDepositCall { validator_: addr(solver), amount_: dml(10) }).await;

    let refused = net.refusal(alice, IEngine::delegateStakeCall { solver_: addr(stranger), amount_: dml(1) }).await;
    assert!(refused.contains("not a solver"), "{refused}");
    let refused = net.refusal(alice, IEngine::delegateStakeCall { solver_: addr(solver), amount_: U256::ZERO }).await;
    assert!(refused.contains("amount is zero"), "{refused}");
    let refused =
        net.refusal(alice, IEngine::delegateStakeCall { solver_: addr(solver), amount_: U256::from(1000) }).await;
    assert!(refused.contains("below the minimum"), "{refused}");

    net.send(alice, IEngine::delegateStakeCall { solver_: addr(solver), amount_: dml(5) }).await;
    let refused = net.refusal(alice, IEngine::undelegateStakeCall { solver_: addr(solver), amount_: dml(6) }).await;
    assert!(refused.contains("amount exceeds delegated stake"), "{refused}");
    let refused = net.refusal(alice, IEngine::withdrawDelegationCall { solver_: addr(solver), to_: addr(alice) }).await;
    assert!(refused.contains("no unbonding requests"), "{refused}");
    net.send(alice, IEngine::undelegateStakeCall { solver_: addr(solver), amount_: dml(2) }).await;
    let refused = net.refusal(alice, IEngine::withdrawDelegationCall { solver_: addr(solver), to_: addr(alice) }).await;
    assert!(refused.contains("unbonding not finished"), "{refused}");

    // With a delegator in the pool, a raise waits out the cooldown, and no
    // second change may come within it.
    let receipt =
        net.send(solver, IEngine::setDelegationCommissionCall { commission_: U256::from(20 * PERCENT) }).await;
    let changed = event::<IEngine::DelegationCommissionChanged>(&receipt).unwrap();
    let cooldown = net.view(IEngine::delegationCommissionCooldownCall {}).await;
    let block = receipt.block_number.unwrap();
    let now = net.provider(0).get_block_by_number(block.into()).await.unwrap().unwrap().header.timestamp;
    assert_eq!(changed.effectiveTime, U256::from(now) + cooldown);
    let pool = net.view(IEngine::delegationPoolCall { solver: addr(solver) }).await;
    assert_eq!((pool.commission, pool.nextCommission), (U256::ZERO, U256::from(20 * PERCENT)));
    let refused =
        net.refusal(solver, IEngine::setDelegationCommissionCall { commission_: U256::from(30 * PERCENT) }).await;
    assert!(refused.contains("commission changed within the cooldown"), "{refused}");
    let refused =
        net.refusal(solver, IEngine::setDelegationCommissionCall { commission_: U256::from(60 * PERCENT) }).await;
    assert!(refused.contains("commission above the maximum"), "{refused}");

    net.send(solver, IEngine::setAcceptDelegationsCall { accept_: false }).await;
    let refused = net.refusal(stranger, IEngine::delegateStakeCall { solver_: addr(solver), amount_: dml(1) }).await;
    assert!(refused.contains("solver does not accept delegations"), "{refused}");
    net.node.shutdown().await;
}
