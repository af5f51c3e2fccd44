//! Gas of delegated stake: delegate, undelegate, withdraw, claim rewards,
//! and a claim whose earnings are split with a pool beside the same claim
//! for a solver nobody delegates to (the issue's aim: within 10 %). The
//! reference in the same run is a plain ERC-20 transfer of the token.
//!
//! Run with `cargo bench -p dml-engine --bench delegation_gas`.

use dml_engine::{call, gas, genesis, CallContext, Contract, Genesis, MemoryStorage, Outcome};
use dml_primitives::{Address, Bytes, IDmlToken, IEngine, SolCall, B256, ONE_DML, U256};

const CLAIM_WINDOW: u64 = 10;

struct Bench {
    storage: MemoryStorage,
    genesis: Genesis,
    block: u64,
    time: u64,
}

impl Bench {
    fn run<C: SolCall>(&mut self, from: Address, target: Contract, c: C) -> (Outcome, u64) {
        let data = c.abi_encode();
        let ctx = CallContext::new(from, self.genesis.contracts, self.block, self.time);
        let outcome = call(&mut self.storage, &ctx, target, &data).expect("bench call succeeds");
        let tx = gas::transaction_total(&data, outcome.gas_used, outcome.gas_refund);
        (outcome, tx)
    }

    fn engine<C: SolCall>(&mut self, from: Address, c: C) -> u64 {
        self.run(from, Contract::Engine, c).1
    }

    fn next_block(&mut self, seconds: u64) {
        self.block += 1;
        self.time += seconds;
    }

    /// A task solved by `solver` and claimed; the claim's transaction gas.
    fn claimed_task(&mut self, model: B256, user: Address, solver: Address, n: u64) -> u64 {
        let submit = IEngine::submitTaskCall {
            version_: 0,
            owner_: user,
            model_: model,
            fee_: ONE_DML / U256::from(10u8),
            input_: Bytes::from(format!("{{\"prompt\":\"task {n}\"}}").into_bytes()),
        };
        let task = B256::from_slice(&self.run(user, Contract::Engine, submit).0.output[..32]);
        let mut cid = vec![0x12, 0x20];
        cid.extend_from_slice(&task.0);
        let cid = Bytes::from(cid);
        let generate = IEngine::generateCommitmentCall { sender_: solver, taskid_: task, cid_: cid.clone() };
        let commitment = B256::from_slice(&self.run(solver, Contract::Engine, generate).0.output[..32]);
        self.engine(solver, IEngine::signalCommitmentCall { commitment_: commitment });
        self.next_block(1);
        self.engine(solver, IEngine::submitSolutionCall { taskid_: task, cid_: cid });
        self.next_block(CLAIM_WINDOW + 1);
        self.engine(user, IEngine::claimSolutionCall { taskid_: task })
    }
}

fn main() {
    let owner = Address::repeat_byte(1);
    let user = Address::repeat_byte(0x21);
    let alone = Address::repeat_byte(0x22);
    let backed = Address::repeat_byte(0x23);
    let delegators = [Address::repeat_byte(0x31), Address::repeat_byte(0x32)];
    let mut config = Genesis::new(owner);
    config.treasury = Address::repeat_byte(2);
    config.start_time = 1_700_000_000;
    config.parameters.min_claim_solution_time = CLAIM_WINDOW;
    config.parameters.delegation_unbonding_time =
        2 * CLAIM_WINDOW + config.parameters.min_contestation_vote_period_time;
    config.allocations = vec![(user, U256::from(100_000u64) * ONE_DML)];
    for who in [alone, backed].into_iter().chain(delegators) {
        config.allocations.push((who, U256::from(10_000u64) * ONE_DML));
    }
    let mut storage = MemoryStorage::new();
    genesis(&mut storage, &config).unwrap();
    let mut b = Bench { storage, genesis: config.clone(), block: 1, time: config.start_time };

    let register = IEngine::registerModelCall {
        addr_: Address::repeat_byte(0x33),
        fee_: U256::ZERO,
        template_: Bytes::from_static(br#"{"name":"bench"}"#),
    };
    let model = B256::from_slice(&b.run(owner, Contract::Engine, register).0.output[..32]);
    b.engine(owner, IEngine::setSolutionMineableRateCall { model_: model, rate_: ONE_DML });
    for solver in [alone, backed] {
        let deposit = IEngine::validatorDepositCall { validator_: solver, amount_: U256::from(1_000u64) * ONE_DML };
        b.engine(solver, deposit);
    }
    let commission = ONE_DML / U256::from(10u8);
    b.engine(backed, IEngine::setDelegationCommissionCall { commission_: commission });

    let amount = U256::from(500u64) * ONE_DML;
    let first_delegate = b.engine(delegators[0], IEngine::delegateStakeCall { solver_: backed, amount_: amount });
    b.engine(delegators[1], IEngine::delegateStakeCall { solver_: backed, amount_: amount });

    // Warm both solvers up (first claims write fresh slots), then measure.
    for n in 0..4 {
        b.claimed_task(model, user, alone, n);
        b.claimed_task(model, user, backed, 100 + n);
    }
    let rounds = 50;
    let (mut without, mut with) = (0u64, 0u64);
    for n in 0..rounds {
        without += b.claimed_task(model, user, alone, 1_000 + n);
        with += b.claimed_task(model, user, backed, 2_000 + n);
    }
    let (without, with) = (without / rounds, with / rounds);

    let top_up = b.engine(delegators[0], IEngine::delegateStakeCall { solver_: backed, amount_: ONE_DML });
    let claim_rewards = b.engine(delegators[1], IEngine::claimDelegationRewardsCall { solver_: backed });
    let undelegate = b.engine(delegators[0], IEngine::undelegateStakeCall { solver_: backed, amount_: amount });
    let unbonding = config.parameters.delegation_unbonding_time;
    b.next_block(unbonding + 1);
    let withdraw = b.engine(delegators[0], IEngine::withdrawDelegationCall { solver_: backed, to_: delegators[0] });
    let transfer =
        b.run(user, Contract::Token, IDmlToken::transferCall { to: Address::repeat_byte(0x44), amount: ONE_DML }).1;

    println!("\nDML engine: transaction gas of delegated stake (21000 + calldata + execution − refund)\n");
    println!("{:<44} {:>9} {:>10}", "call", "tx gas", "×transfer");
    let rows = [
        ("delegateStake (a new position)", first_delegate),
        ("delegateStake (top-up, rewards settled)", top_up),
        ("claimDelegationRewards", claim_rewards),
        ("undelegateStake (all, rewards settled)", undelegate),
        ("withdrawDelegation (one request)", withdraw),
        ("claimSolution, solver without a pool", without),
        ("claimSolution, solver with two delegators", with),
        ("ERC-20 transfer (reference)", transfer),
    ];
    for (name, gas) in rows {
        println!("{name:<44} {gas:>9} {:>10.2}", gas as f64 / transfer as f64);
    }
    println!(
        "\na claim with delegation costs {:.1} % more than one without (aim: within 10 %)",
        (with as f64 / without as f64 - 1.0) * 100.0
    );
}
