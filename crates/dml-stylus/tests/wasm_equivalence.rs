//! The deployable wasm contracts against the dev chain: the same random call
//! sequences, through the wasm under a Stylus host (Python wasmtime, over
//! in-memory slots) and through `dml_chain::Chain` as signed transactions,
//! give identical return data (or revert data), identical logs and identical
//! storage slots in both contracts.
//!
//! Needs `scripts/stylus-build.sh` to have built the wasm and the harness's
//! Python environment, so the tests are `#[ignore]`d in the workspace run;
//! `scripts/stylus-build.sh test` builds and runs them (`--include-ignored`,
//! under `CI=true`, where missing tools fail rather than skip).
//! `DML_STYLUS_SEQUENCES`, `DML_STYLUS_CALLS` and `DML_STYLUS_SEED` widen or
//! replay a run.

mod equivalence;

use std::collections::BTreeMap;

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
fn the_router_refuses_genesis_until_every_facet_is_deployed() {
    use dml_stylus::{revert_data, CONTRACTS, FACET_PROGRAMS, GENESIS_AUTHORITY};
    let Some(tools) = Tools::require("router genesis guard") else { return };
    let mut harness = Harness::start(tools);
    let genesis = Pair::genesis_calldata();
    harness.remove(FACET_PROGRAMS[3]);
    let (result, _) = harness.call(CONTRACTS.engine, GENESIS_AUTHORITY, &genesis, 0, equivalence::GENESIS_TIME);
    assert!(!result.ok, "genesis with a facet missing must revert");
    assert_eq!(result.output.as_ref(), revert_data("dml-stylus: a facet program is missing at its built-in address"));
    assert!(harness.storage(CONTRACTS.engine).is_empty() && harness.storage(CONTRACTS.token).is_empty());
    // With every program in place the same call succeeds.
    harness.reset();
    let (result, _) = harness.call(CONTRACTS.engine, GENESIS_AUTHORITY, &genesis, 0, equivalence::GENESIS_TIME);
    assert!(result.ok, "{result:?}");
    // A facet called directly (not through the router) refuses: it runs only as the engine.
    let (result, _) = harness.call(FACET_PROGRAMS[0], GENESIS_AUTHORITY, &genesis, 0, equivalence::GENESIS_TIME);
    assert_eq!(result.output.as_ref(), revert_data("dml-stylus: contract built for another address"));
}
