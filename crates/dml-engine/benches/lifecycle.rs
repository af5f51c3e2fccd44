//! Full task lifecycles through the ABI entry point on one core: throughput,
//! time per call kind, and the gas and slots each call kind writes, beside
//! Arbius EngineV1's figures for the same calls.
//!
//! Run with `cargo bench -p dml-engine --bench lifecycle`.

use std::time::{Duration, Instant};

use dml_engine::{call, gas, genesis, CallContext, Contract, Genesis, MemoryStorage, Outcome};
use dml_primitives::{Address, Bytes, IDmlToken, IEngine, SolCall, B256, ONE_DML, U256};

const CLAIM_WINDOW: u64 = 10;

struct Bench {
    storage: MemoryStorage,
    genesis: Genesis,
    block: u64,
    time: u64,
}

#[derive(Default, Clone, Copy)]
struct Kind {
    calls: u64,
    elapsed: Duration,
}

impl Bench {
    fn run(&mut self, from: Address, target: Contract, data: &[u8]) -> (Outcome, Duration) {
        let ctx = CallContext::new(from, self.genesis.contracts, self.block, self.time);
        let started = Instant::now();
        let outcome = call(&mut self.storage, &ctx, target, data).expect("bench call succeeds");
        (outcome, started.elapsed())
    }

    fn next_block(&mut self, seconds: u64) {
        self.block += 1;
        self.time += seconds;
    }
}

struct Lifecycle {
    calldata: [Vec<u8>; 4],
    outcomes: [Outcome; 4],
    elapsed: [Duration; 4],
}

fn lifecycle(b: &mut Bench, model: B256, user: Address, solver: Address, n: u64) -> Lifecycle {
    let input = format!("{{\"prompt\":\"benchmark task {n}\",\"max_tokens\":64}}");
    let submit = IEngine::submitTaskCall {
        version_: 0,
        owner_: user,
        model_: model,
        fee_: ONE_DML / U256::from(10u8),
        input_: Bytes::from(input.into_bytes()),
    }
    .abi_encode();
    let (submitted, t0) = b.run(user, Contract::Engine, &submit);
    let task = B256::from_slice(&submitted.output[..32]);
    let mut cid = vec![0x12, 0x20];
    cid.extend_from_slice(&task.0);
    let cid = Bytes::from(cid);
    let commitment = {
        let data = IEngine::generateCommitmentCall { sender_: solver, taskid_: task, cid_: cid.clone() }.abi_encode();
        B256::from_slice(&b.run(solver, Contract::Engine, &data).0.output[..32])
    };
    let commit = IEngine::signalCommitmentCall { commitment_: commitment }.abi_encode();
    let (committed, t1) = b.run(solver, Contract::Engine, &commit);
    b.next_block(1);
    let reveal = IEngine::submitSolutionCall { taskid_: task, cid_: cid }.abi_encode();
    let (revealed, t2) = b.run(solver, Contract::Engine, &reveal);
    b.next_block(CLAIM_WINDOW + 1);
    let claim = IEngine::claimSolutionCall { taskid_: task }.abi_encode();
    let (claimed, t3) = b.run(solver, Contract::Engine, &claim);
    Lifecycle {
        calldata: [submit, commit, reveal, claim],
        outcomes: [submitted, committed, revealed, claimed],
        elapsed: [t0, t1, t2, t3],
    }
}

fn main() {
    let owner = Address::repeat_byte(1);
    let user = Address::repeat_byte(0x21);
    let solver = Address::repeat_byte(0x22);
    let mut config = Genesis::new(owner);
    config.treasury = Address::repeat_byte(2);
    config.start_time = 1_700_000_000;
    config.parameters.min_claim_solution_time = CLAIM_WINDOW;
    config.allocations = vec![(user, U256::from(100_000u64) * ONE_DML), (solver, U256::from(10_000u64) * ONE_DML)];
    let mut storage = MemoryStorage::new();
    genesis(&mut storage, &config).unwrap();
    let mut b = Bench { storage, genesis: config.clone(), block: 1, time: config.start_time };

    let register = IEngine::registerModelCall {
        addr_: Address::repeat_byte(0x33),
        fee_: U256::ZERO,
        template_: Bytes::from_static(br#"{"name":"bench","runner":{"builtin":"echo"}}"#),
    }
    .abi_encode();
    let model = B256::from_slice(&b.run(owner, Contract::Engine, &register).0.output[..32]);
    let rate = IEngine::setSolutionMineableRateCall { model_: model, rate_: ONE_DML }.abi_encode();
    b.run(owner, Contract::Engine, &rate);
    let deposit =
        IEngine::validatorDepositCall { validator_: solver, amount_: U256::from(1_000u64) * ONE_DML }.abi_encode();
    b.run(solver, Contract::Engine, &deposit);

    // Warm up, then time many lifecycles (each on fresh slots, as on chain).
    for n in 0..200 {
        lifecycle(&mut b, model, user, solver, n);
    }
    let rounds: u64 = 20_000;
    let mut kinds = [Kind::default(); 4];
    let mut sample = None;
    let started = Instant::now();
    for n in 0..rounds {
        let lc = lifecycle(&mut b, model, user, solver, 1_000 + n);
        for (kind, elapsed) in kinds.iter_mut().zip(lc.elapsed) {
            kind.calls += 1;
            kind.elapsed += elapsed;
        }
        if n == rounds / 2 {
            sample = Some(lc);
        }
    }
    let total = started.elapsed();

    // Baseline in the same run: a plain ERC-20 transfer through the same entry point.
    let transfer = IDmlToken::transferCall { to: Address::repeat_byte(0x44), amount: U256::from(1u8) }.abi_encode();
    let transfers = 100_000u32;
    let t = Instant::now();
    for _ in 0..transfers {
        b.run(user, Contract::Token, &transfer);
    }
    let per_transfer = t.elapsed() / transfers;

    let sample = sample.unwrap();
    let names = ["submitTask", "signalCommitment", "submitSolution", "claimSolution"];
    let arbius = [191_000u64, 55_000, 149_000, 108_000];
    println!("\nDML engine, one core, in-memory storage, {rounds} lifecycles (rated model, 0.1 DML fee)\n");
    println!(
        "{:<18} {:>10} {:>10} {:>9} {:>8} {:>10} {:>10} {:>8}",
        "call", "µs/call", "×transfer", "exec gas", "refund", "tx gas", "Arbius V1", "ratio"
    );
    let mut tx_total = 0;
    let mut slots_total = 0;
    for i in 0..4 {
        let per_call = kinds[i].elapsed / kinds[i].calls as u32;
        let o = &sample.outcomes[i];
        let tx = gas::transaction_total(&sample.calldata[i], o.gas_used, o.gas_refund);
        tx_total += tx;
        slots_total += o.state_changes.len();
        println!(
            "{:<18} {:>10.2} {:>10.1} {:>9} {:>8} {:>10} {:>10} {:>8.2}",
            names[i],
            per_call.as_secs_f64() * 1e6,
            per_call.as_secs_f64() / per_transfer.as_secs_f64(),
            o.gas_used,
            o.gas_refund,
            tx,
            arbius[i],
            tx as f64 / arbius[i] as f64
        );
    }
    println!(
        "{:<18} {:>10.2} {:>10.1} {:>9} {:>8} {:>10} {:>10} {:>8.2}",
        "lifecycle",
        total.as_secs_f64() / rounds as f64 * 1e6,
        total.as_secs_f64() / rounds as f64 / per_transfer.as_secs_f64(),
        "",
        "",
        tx_total,
        503_000,
        tx_total as f64 / 503_000.0
    );
    println!(
        "\nslots written per call: {}",
        names
            .iter()
            .zip(&sample.outcomes)
            .map(|(n, o)| format!("{n} {}", o.state_changes.len()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!("slots written per lifecycle: {slots_total}");
    println!("ERC-20 transfer baseline: {:.2} µs/call", per_transfer.as_secs_f64() * 1e6);
    println!("lifecycles per second: {:.0}", rounds as f64 / total.as_secs_f64());
    println!("\ntx gas = 21000 + calldata + execution − refund (capped at 1/5, EIP-3529); Arbius V1 figures are its published per-call totals.");
}
