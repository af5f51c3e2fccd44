//! The deployable wasm contracts against the dev chain: the same random call
//! sequences, through the wasm under a Stylus host (Python wasmtime, over
//! in-memory slots) and through `dml_chain::Chain` as signed transactions,
//! give identical return data (or revert data), identical logs and identical
//! storage slots in both contracts. So do the engine's own property-test
//! sequences, scripted refusals and genesis guards, and scripted calls to
//! every vote, permit and signed-delegation function of the token
//! (`wasm_equivalence/token_votes.rs`) and to every function of delegated
//! stake, with the claims and contestations that credit and slash a pool
//! (`wasm_equivalence/delegation.rs`), `donateToken`, the engine's call
//! into an ERC-20, reentrant ones included (`wasm_equivalence/engine_calls.rs`),
//! and tasks with callbacks, the engine calling the Solidity receiver fixture
//! at the claim, a contestation's finish and a retry
//! (`wasm_equivalence/callbacks.rs`).
//!
//! Needs `scripts/stylus-build.sh` to have built the wasm and the harness's
//! Python environment, so the tests are `#[ignore]`d in the workspace run;
//! `scripts/stylus-build.sh test` builds and runs them (`--include-ignored`,
//! under `CI=true`, where missing tools fail rather than skip).
//! `DML_STYLUS_SEQUENCES`, `DML_STYLUS_CALLS` and `DML_STYLUS_SEED` widen or
//! replay a run.

#[path = "wasm_equivalence/callbacks.rs"]
mod callbacks;
#[path = "wasm_equivalence/delegation.rs"]
mod delegation;
#[path = "wasm_equivalence/engine_calls.rs"]
mod engine_calls;
mod equivalence;
#[path = "../../dml-engine/tests/ops/mod.rs"]
mod ops;
#[path = "wasm_equivalence/token_votes.rs"]
mod token_votes;

use std::collections::BTreeMap;

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, SolEvent};
use dml_engine::Contract;
use dml_primitives::{IEngine, ONE_DML};
use equivalence::{generator::Generator, Harness, Pair, Tools};

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[test]
#[ignore = "needs the built wasm: scripts/stylus-build.sh test"]
fn wasm_contracts_match_the_dev_chain_over_random_sequences() {
    let Some(tools) = Tools::require("wasm equivalence") else { return };
    let sequences = setting("DML_STYLUS_SEQUENCES", 32);
    let calls = setting("DML_STYLUS_CALLS", 90);
    let base_seed = setting("DML_STYLUS_SEED", 0x57_7105);
    let mut harness = Harness::start(tools);
    let mut succeeded: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut total = 0u64;
    for sequence in 0..sequences {
        let seed = base_seed + sequence;
        let mut pair = Pair::new(harness);
        let addresses = pair.chain.signers.iter().map(|s| s.address()).collect();
        let mut generator = Generator::new(seed, addresses);
        let setup = generator.setup();
        let mut index = 0usize;
        let mut pending = setup.into_iter();
        while index < calls as usize {
            let call = pending.next().unwrap_or_else(|| generator.next_call());
            let step = pair.step(call.sender, call.contract, &call.data, call.seconds);
            assert_eq!(
                step.wasm,
                step.chain,
                "seed {seed}, call {index} ({} from dev account {} to {:?}, calldata {}): wasm and dev chain differ",
                call.kind,
                call.sender,
                call.contract,
                alloy_primitives::hex::encode(&call.data)
            );
            if step.chain.ok {
                *succeeded.entry(call.kind).or_default() += 1;
                let logs: Vec<_> = step.chain.logs.iter().map(|l| (l.topics.clone(), l.data.clone())).collect();
                generator.observe(&call, &step.chain.output, &logs);
            }
            if index % 15 == 14 {
                pair.assert_same_storage(&format!("seed {seed}, after call {index}"));
            }
            index += 1;
            total += 1;
        }
        pair.assert_same_storage(&format!("seed {seed}, end of sequence"));
        harness = pair.harness;
    }
    eprintln!("{total} calls in {sequences} sequences; successful calls by kind: {succeeded:?}");
    // The sequences must have reached the protocol's deep paths, not just reverted.
    for kind in [
        "submitTask",
        "submitSolution",
        "claimSolution",
        "submitContestation",
        "voteOnContestation",
        "contestationVoteFinish",
        "retractTask",
        "transfer",
        "validatorWithdraw",
        "delegate",
        "delegateStake",
        "undelegateStake",
        "getPastVotes",
        "checkpoints",
    ] {
        assert!(succeeded.get(kind).copied().unwrap_or(0) > 0, "no successful {kind} in {total} calls: {succeeded:?}");
    }
}

#[test]
#[ignore = "needs the built wasm: scripts/stylus-build.sh test"]
fn the_programs_import_only_vm_hooks() {
    let Some(tools) = Tools::require("wasm imports") else { return };
    let programs = tools.programs();
    let mut harness = Harness::start(tools);
    for (_, path) in programs {
        let imports = harness.imports(&path);
        assert!(!imports.is_empty());
        for import in &imports {
            assert!(import.starts_with("vm_hooks."), "{}: imports {import}", path.display());
        }
        assert!(
            imports.contains(&"vm_hooks.pay_for_memory_grow".to_string()),
            "Nitro needs pay_for_memory_grow imported"
        );
    }
}

#[test]
#[ignore = "needs the built wasm: scripts/stylus-build.sh test"]
fn the_router_refuses_genesis_until_every_engine_program_is_deployed() {
    use dml_stylus::{revert_data, CONTRACTS, FACET_PROGRAMS, GENESIS_AUTHORITY, GENESIS_PROGRAM};
    let Some(tools) = Tools::require("router genesis guard") else { return };
    let mut harness = Harness::start(tools);
    let genesis = Pair::genesis_calldata();
    let time = equivalence::GENESIS_TIME;
    // Settle, delegate, finish and callback (the last three came after the first facets), and genesis.
    for missing in [FACET_PROGRAMS[3], FACET_PROGRAMS[5], FACET_PROGRAMS[6], FACET_PROGRAMS[7], GENESIS_PROGRAM] {
        harness.reset();
        harness.remove(missing);
        let (result, _) = harness.call(CONTRACTS.engine, GENESIS_AUTHORITY, &genesis, 0, time);
        assert!(!result.ok, "genesis with {missing} missing must revert");
        let expected = revert_data("dml-stylus: an engine program is missing at its built-in address");
        assert_eq!(result.output.as_ref(), expected);
        assert!(harness.storage(CONTRACTS.engine).is_empty() && harness.storage(CONTRACTS.token).is_empty());
    }
    // With every program in place the same call succeeds, once.
    harness.reset();
    let (result, _) = harness.call(CONTRACTS.engine, GENESIS_AUTHORITY, &genesis, 0, time);
    assert!(result.ok, "{result:?}");
    let (result, _) = harness.call(CONTRACTS.engine, GENESIS_AUTHORITY, &genesis, 1, time + 1);
    assert_eq!(result.output.as_ref(), revert_data("dml-stylus: genesis already ran"));
    // A facet or the genesis program called directly (not through the
    // router) refuses: each runs only as the engine.
    for program in [FACET_PROGRAMS[0], GENESIS_PROGRAM] {
        let (result, _) = harness.call(program, GENESIS_AUTHORITY, &genesis, 1, time + 1);
        assert_eq!(result.output.as_ref(), revert_data("dml-stylus: contract built for another address"));
    }
}

/// The engine's property-test operations run on both worlds at once: every
/// call through the wasm and through the dev chain, compared as it happens.
struct Lockstep {
    pair: Pair,
    models: [B256; 2],
    tasks: Vec<B256>,
    /// Seconds to add before the next call.
    pending_wait: u64,
    calls: usize,
    claims: usize,
}

impl Lockstep {
    fn new(harness: Harness) -> Self {
        let pair = Pair::new(harness);
        let mut run = Self { pair, models: [B256::ZERO; 2], tasks: Vec::new(), pending_wait: 0, calls: 0, claims: 0 };
        let actor = |run: &Self, index: u8| ops::Host::actor(run, index);
        let (owner, free_addr, paid_addr) = (actor(&run, 0), actor(&run, 7), actor(&run, 8));
        for (index, (addr, fee, name)) in
            [(free_addr, U256::ZERO, "free"), (paid_addr, ONE_DML / U256::from(4u8), "paid")].into_iter().enumerate()
        {
            let template = format!(r#"{{"name":"{name}"}}"#).into_bytes().into();
            let call = IEngine::registerModelCall { addr_: addr, fee_: fee, template_: template };
            let output =
                ops::Host::send(&mut run, owner, Contract::Engine, &call.abi_encode()).expect("model registers");
            run.models[index] = IEngine::registerModelCall::abi_decode_returns(&output).unwrap();
        }
        let rate = IEngine::setSolutionMineableRateCall { model_: run.models[1], rate_: ONE_DML * U256::from(10u8) };
        ops::Host::send(&mut run, owner, Contract::Engine, &rate.abi_encode()).expect("the owner sets the rate");
        for index in 0..ops::ACTORS {
            let who = actor(&run, index);
            let deposit = IEngine::validatorDepositCall { validator_: who, amount_: ONE_DML * U256::from(300u16) };
            ops::Host::send(&mut run, who, Contract::Engine, &deposit.abi_encode()).expect("actors stake");
        }
        run
    }
}

impl ops::Host for Lockstep {
    fn actor(&self, index: u8) -> Address {
        self.pair.chain.signers[index as usize].address()
    }

    fn send(&mut self, from: Address, target: Contract, data: &[u8]) -> Option<Vec<u8>> {
        // Only dev accounts sign; a call "from" anyone else (a zero owner) is not made.
        let sender = self.pair.chain.signers.iter().position(|s| s.address() == from)?;
        let seconds = std::mem::take(&mut self.pending_wait);
        let step = self.pair.step(sender, target, data, seconds);
        self.calls += 1;
        assert_eq!(
            step.wasm, step.chain,
            "call {} ({data:02x?} from {from} to {target:?}): wasm and dev chain differ",
            self.calls
        );
        if !step.chain.ok {
            return None;
        }
        for log in &step.chain.logs {
            if log.topics.first() == Some(&IEngine::TaskSubmitted::SIGNATURE_HASH) {
                self.tasks.push(log.topics[1]);
            }
            if log.topics.first() == Some(&IEngine::SolutionClaimed::SIGNATURE_HASH) {
                self.claims += 1;
            }
        }
        Some(step.chain.output.to_vec())
    }

    fn wait(&mut self, seconds: u64) {
        self.pending_wait += seconds;
    }

    fn task(&self, index: usize) -> B256 {
        if self.tasks.is_empty() {
            B256::repeat_byte(0xee)
        } else {
            self.tasks[index % self.tasks.len()]
        }
    }

    fn task_count(&self) -> usize {
        self.tasks.len()
    }

    fn models(&self) -> [B256; 2] {
        self.models
    }
}

#[test]
#[ignore = "needs the built wasm: scripts/stylus-build.sh test"]
fn the_engine_property_sequences_run_the_same_on_wasm_and_the_dev_chain() {
    use proptest::{
        strategy::{Strategy, ValueTree},
        test_runner::TestRunner,
    };
    let Some(tools) = Tools::require("engine property sequences") else { return };
    let sequences = setting("DML_STYLUS_SEQUENCES", 32) / 4;
    let mut runner = TestRunner::deterministic();
    let mut harness = Harness::start(tools);
    let (mut calls, mut tasks, mut claims) = (0, 0, 0);
    for sequence in 0..sequences {
        let ops = proptest::collection::vec(ops::op(), 60..120).new_tree(&mut runner).unwrap().current();
        let mut run = Lockstep::new(harness);
        for op in &ops {
            ops::apply(&mut run, op);
        }
        run.pair.assert_same_storage(&format!("property sequence {sequence}"));
        (calls, tasks, claims) = (calls + run.calls, tasks + run.tasks.len(), claims + run.claims);
        harness = run.pair.harness;
    }
    eprintln!("{sequences} property sequences: {calls} calls, {tasks} tasks, {claims} claims, identical");
    assert!(tasks > 0 && claims > 0, "the sequences reached the task lifecycle: {tasks} tasks, {claims} claims");
}

#[test]
#[ignore = "needs the built wasm: scripts/stylus-build.sh test"]
fn calls_the_engine_refuses_revert_with_the_engines_own_reasons() {
    use dml_engine::{CallContext, MemoryStorage};
    use dml_stylus::{CONTRACTS, GENESIS_AUTHORITY};
    let Some(tools) = Tools::require("engine refusals through the router") else { return };
    let pair = Pair::new(Harness::start(tools));
    let mut harness = pair.harness;
    let time = equivalence::GENESIS_TIME + 1;
    let owner_call = IEngine::ownerCall {}.abi_encode();
    let balance_call = dml_primitives::IDmlToken::balanceOfCall { account: GENESIS_AUTHORITY }.abi_encode();
    let validators_call = IEngine::validatorsCall { addr: GENESIS_AUTHORITY }.abi_encode();
    let cases: [(Contract, &[u8], u64); 7] = [
        (Contract::Engine, &[0xde, 0xad, 0xbe, 0xef], 0),
        (Contract::Engine, &[0x01, 0x02], 0),
        (Contract::Engine, &[], 0),
        // Value is refused before the selector is looked at, known or not.
        (Contract::Engine, &[0xde, 0xad, 0xbe, 0xef], 1),
        (Contract::Engine, &owner_call, 1),
        (Contract::Token, &balance_call, 1),
        // Truncated arguments.
        (Contract::Engine, &validators_call[..10], 0),
    ];
    for (contract, data, value) in cases {
        let mut context = CallContext::new(GENESIS_AUTHORITY, CONTRACTS, 1, time);
        context.value = U256::from(value);
        let expected = dml_engine::call(&mut MemoryStorage::new(), &context, contract, data)
            .expect_err("the engine refuses it")
            .revert_data();
        let to = if contract == Contract::Engine { CONTRACTS.engine } else { CONTRACTS.token };
        let (result, _) = harness.call_with_value(to, GENESIS_AUTHORITY, data, 1, time, value);
        assert!(!result.ok, "{data:02x?} with value {value} must revert");
        assert_eq!(result.output, expected, "{data:02x?} with value {value}: the engine's reason");
    }
}
