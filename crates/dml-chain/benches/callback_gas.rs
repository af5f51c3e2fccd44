//! Gas of task callbacks on the dev chain: what `submitTaskWithCallback`
//! costs over `submitTask`, and what a claim that delivers a callback costs
//! over one that does not, split into the callee's own gas (from
//! `CallbackDelivered.gasUsed`, or known for the hand-written callees) and
//! the engine's delivery overhead, set against Ritual Infernet's.
//!
//! `cargo bench -p dml-chain --bench callback_gas` prints one table: the gas
//! each transaction's receipt reports (intrinsic gas included) and, for the
//! claims, the least gas `eth_estimateGas` finds it must be sent with (the
//! callback's limit, kept whole past EIP-150's 1/64). Every task has the same
//! fee and model, is solved by the same solver and claimed by the same
//! claimer, after a first task has written the slots every claim touches,
//! and at the same point of the token's checkpoint cycle (see
//! `Bench::claim`), so the claims differ only by their callback. The callees: a contract whose
//! code is one `STOP` (0 gas), one that reverts at once (`PUSH1 0 PUSH1 0
//! REVERT`, 6 gas), and the `TestTaskReceiver` fixture recording (its first
//! delivery writes its slots from zero, later ones overwrite them),
//! refusing, or burning its whole limit.

use alloy_consensus::{SignableTransaction, TxEip1559};
use alloy_eips::eip2718::Encodable2718;
use alloy_network::TxSignerSync;
use alloy_primitives::{Address, Bytes, Log, TxKind, B256, U256};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolCall, SolEvent};
use dml_chain::{chain::decode_signed, Chain, GenesisConfig, GenesisModel};
use dml_governance::ITestTaskReceiver;
use dml_primitives::{IEngine, ONE_DML};

const T0: u64 = 1_800_000_000;
const CLAIM_WINDOW: u64 = 10;
/// The callback gas limit of every task here.
const CALLBACK_GAS: u64 = 200_000;

/// Ritual Infernet's delivery overhead: the gas its `Coordinator` adds to a
/// consumer's own execution for delivering a response
/// (`DELIVERY_OVERHEAD_WEI = 52_850` in ritual-net/infernet-sdk's
/// `src/Coordinator.sol`, the release with `Inbox` and lazy subscriptions;
/// later releases raised it to 56,600).
const INFERNET_DELIVERY_OVERHEAD: u64 = 52_850;

const SOLVER: usize = 3;
const OWNER: usize = 4;
const CLAIMER: usize = 5;

/// Gas of the reverting callee: two `PUSH1` (3 each) and a `REVERT` of nothing (0).
const REVERT_NOW_GAS: u64 = 6;

/// A chain driven block by block with exact timestamps.
struct Bench {
    chain: Chain,
    signers: Vec<PrivateKeySigner>,
    time: u64,
    engine: Address,
    model: B256,
    tag: u8,
}

/// A mined transaction's gas and logs.
struct Mined {
    gas: u64,
    logs: Vec<Log>,
    created: Option<Address>,
}

impl Bench {
    /// Sends one transaction in its own block a second after the last; it must succeed.
    fn send(&mut self, from: usize, to: TxKind, input: Vec<u8>) -> Mined {
        let signer = &self.signers[from];
        let nonce = self.chain.pending_nonce(&signer.address());
        let mut tx = TxEip1559 {
            chain_id: self.chain.chain_id(),
            nonce,
            gas_limit: 3_000_000,
            max_fee_per_gas: 100_000_000_000,
            max_priority_fee_per_gas: 1_000_000_000,
            to,
            value: U256::ZERO,
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
        Mined { gas: receipt.gas_used, logs: receipt.logs.clone(), created: receipt.contract_address }
    }

    fn call<C: SolCall>(&mut self, from: usize, to: Address, call: C) -> Mined {
        self.send(from, TxKind::Call(to), call.abi_encode())
    }

    fn deploy(&mut self, code: Vec<u8>) -> Address {
        self.send(0, TxKind::Create, code).created.expect("a created contract")
    }

    fn view<C: SolCall>(&self, to: Address, call: C) -> C::Return {
        let request = TransactionRequest::default().to(to).input(Bytes::from(call.abi_encode()).into());
        let output = self.chain.call(&request, self.chain.head_number()).expect("view").output;
        C::abi_decode_returns(&output).expect("decodes")
    }

    /// The least gas `from` must send `call` to `to` with, in the next block.
    fn estimate<C: SolCall>(&mut self, from: usize, to: Address, call: C) -> u64 {
        self.chain.set_next_timestamp(self.time + 1).expect("a later timestamp");
        let request = TransactionRequest::default()
            .from(self.signers[from].address())
            .to(to)
            .input(Bytes::from(call.abi_encode()).into());
        self.chain.estimate_gas(&request, self.chain.head_number()).expect("estimates")
    }

    fn next_input(&mut self) -> Bytes {
        self.tag += 1;
        format!("{{\"prompt\":\"task {}\"}}", self.tag).into_bytes().into()
    }

    /// Submits a task (with `callback` and `callback_fee`, if given); returns its id and the submission's gas.
    fn submit(&mut self, callback: Option<(Address, U256)>) -> (B256, u64) {
        let (engine, model) = (self.engine, self.model);
        let owner = self.signers[OWNER].address();
        let input = self.next_input();
        let mined = match callback {
            None => self.call(
                OWNER,
                engine,
                IEngine::submitTaskCall { version_: 0, owner_: owner, model_: model, fee_: ONE_DML, input_: input },
            ),
            Some((callback, fee)) => self.call(
                OWNER,
                engine,
                IEngine::submitTaskWithCallbackCall {
                    version_: 0,
                    owner_: owner,
                    model_: model,
                    fee_: ONE_DML,
                    input_: input,
                    callback_: callback,
                    callbackGasLimit_: CALLBACK_GAS,
                    callbackFee_: fee,
                },
            ),
        };
        let id = mined.logs.iter().find_map(|log| IEngine::TaskSubmitted::decode_log_data(&log.data).ok());
        (id.expect("TaskSubmitted").id, mined.gas)
    }

    /// Commits, reveals and waits out the claim window.
    fn solve(&mut self, task: B256) {
        let engine = self.engine;
        let solver = self.signers[SOLVER].address();
        let mut cid = vec![0x12, 0x20];
        cid.extend_from_slice(&[self.tag; 32]);
        let cid = Bytes::from(cid);
        let commitment =
            self.view(engine, IEngine::generateCommitmentCall { sender_: solver, taskid_: task, cid_: cid.clone() });
        self.call(SOLVER, engine, IEngine::signalCommitmentCall { commitment_: commitment });
        self.call(SOLVER, engine, IEngine::submitSolutionCall { taskid_: task, cid_: cid });
        self.time += CLAIM_WINDOW;
    }

    /// Claims a solved `task` from the claimer: the claim's estimate, gas and logs.
    ///
    /// A plain task is claimed first. Every claim mints, and the DML token
    /// keeps two total-supply checkpoints to a storage word, so every other
    /// claim opens a new word (19,100 gas more); the filler puts every
    /// measured claim at the same point of that cycle.
    fn claim(&mut self, task: B256) -> (u64, Mined) {
        let (filler, _) = self.submit(None);
        self.solve(filler);
        let engine = self.engine;
        self.call(CLAIMER, engine, IEngine::claimSolutionCall { taskid_: filler });
        let estimate = self.estimate(CLAIMER, engine, IEngine::claimSolutionCall { taskid_: task });
        let mined = self.call(CLAIMER, engine, IEngine::claimSolutionCall { taskid_: task });
        (estimate, mined)
    }

    /// A task with `callback`, solved and claimed (see [`Bench::claim`]).
    fn claimed(&mut self, callback: Option<(Address, U256)>) -> (u64, Mined) {
        let (task, _) = self.submit(callback);
        self.solve(task);
        self.claim(task)
    }
}

/// The callee's gas as `CallbackDelivered` reports it.
fn delivered_gas(logs: &[Log]) -> u64 {
    let delivered = logs.iter().find_map(|log| IEngine::CallbackDelivered::decode_log_data(&log.data).ok());
    delivered.expect("CallbackDelivered").gasUsed.to::<u64>()
}

fn failed(logs: &[Log]) -> bool {
    logs.iter().any(|log| log.topics().first() == Some(&IEngine::CallbackFailed::SIGNATURE_HASH))
}

/// Creation code that deploys `runtime` as is.
fn deploy_runtime(runtime: &[u8]) -> Vec<u8> {
    let size = u8::try_from(runtime.len()).expect("a short runtime");
    // PUSH1 size PUSH1 12 PUSH1 0 CODECOPY PUSH1 size PUSH1 0 RETURN: 12 bytes, then the runtime.
    let mut code = vec![0x60, size, 0x60, 12, 0x60, 0x00, 0x39, 0x60, size, 0x60, 0x00, 0xf3];
    code.extend_from_slice(runtime);
    code
}

/// A row of the table: a transaction, its receipt gas, and for claims the
/// estimate, the callee's gas and the engine's overhead over a plain claim.
struct Row {
    name: &'static str,
    gas: u64,
    estimate: Option<u64>,
    callee: Option<u64>,
    overhead: Option<u64>,
}

fn main() {
    let mut config = GenesisConfig { timestamp: Some(T0), ..GenesisConfig::default() };
    config.engine.min_claim_solution_time = CLAIM_WINDOW;
    config.engine.start_time = Some(T0 - 30 * 86_400);
    config.models.push(GenesisModel {
        addr: None,
        fee: U256::ZERO,
        rate: ONE_DML,
        template: r#"{"name":"callback-gas"}"#.into(),
    });
    let chain = Chain::open(&config, None).expect("chain");
    let model = chain.block(0).expect("genesis").genesis_logs.iter().find_map(|log| {
        (log.topics().first() == Some(&IEngine::ModelRegistered::SIGNATURE_HASH)).then(|| log.topics()[1])
    });
    let signers = chain.dev_signers().to_vec();
    let engine = chain.contracts().engine;
    let model = model.expect("the genesis model");
    let mut bench = Bench { chain, signers, time: T0, engine, model, tag: 0 };
    let solver = bench.signers[SOLVER].address();
    bench.call(
        SOLVER,
        engine,
        IEngine::validatorDepositCall { validator_: solver, amount_: ONE_DML * U256::from(10u8) },
    );

    let receiver = bench.deploy(dml_governance::test_task_receiver_deploy_code(engine).to_vec());
    let stop = bench.deploy(deploy_runtime(&[0x00]));
    let revert_now = bench.deploy(deploy_runtime(&[0x60, 0x00, 0x60, 0x00, 0xfd]));
    // The devnet examples' callback fee: a hundredth of a DML.
    let fee = ONE_DML / U256::from(100u8);

    // Warm-up: the first claim writes the ledger's and the accounts' slots from zero.
    bench.claimed(None);
    bench.claimed(Some((stop, fee)));

    let (_, submit_plain) = bench.submit(None);
    let (_, submit_no_fee) = bench.submit(Some((stop, U256::ZERO)));
    let (_, submit_fee) = bench.submit(Some((stop, fee)));

    let (plain_estimate, plain) = bench.claimed(None);
    let base = plain.gas;
    let overhead = |gas: u64, callee: u64| gas - base - callee;
    let mut rows = vec![
        Row { name: "submitTask", gas: submit_plain, estimate: None, callee: None, overhead: None },
        Row {
            name: "submitTaskWithCallback, no callback fee",
            gas: submit_no_fee,
            estimate: None,
            callee: None,
            overhead: Some(submit_no_fee - submit_plain),
        },
        Row {
            name: "submitTaskWithCallback, 0.01 DML callback fee",
            gas: submit_fee,
            estimate: None,
            callee: None,
            overhead: Some(submit_fee - submit_plain),
        },
        Row {
            name: "claimSolution, no callback",
            gas: base,
            estimate: Some(plain_estimate),
            callee: None,
            overhead: None,
        },
    ];

    let mut claim_row = |bench: &mut Bench, name, callback, callee: Option<u64>| {
        let (estimate, mined) = bench.claimed(Some(callback));
        let callee = callee.unwrap_or_else(|| delivered_gas(&mined.logs));
        rows.push(Row {
            name,
            gas: mined.gas,
            estimate: Some(estimate),
            callee: Some(callee),
            overhead: Some(overhead(mined.gas, callee)),
        });
        mined
    };
    let minimal = claim_row(&mut bench, "claimSolution, callback to a STOP callee, no fee", (stop, U256::ZERO), None);
    let minimal_fee =
        claim_row(&mut bench, "claimSolution, callback to a STOP callee, 0.01 DML fee", (stop, fee), None);
    claim_row(&mut bench, "claimSolution, TestTaskReceiver recording (first delivery)", (receiver, fee), None);
    claim_row(&mut bench, "claimSolution, TestTaskReceiver recording (again)", (receiver, fee), None);
    let reverted = claim_row(
        &mut bench,
        "claimSolution, failing callback: a callee that reverts at once",
        (revert_now, fee),
        Some(REVERT_NOW_GAS),
    );
    assert!(failed(&reverted.logs));
    bench.call(0, receiver, ITestTaskReceiver::setModeCall { mode_: 2 });
    let burnt = claim_row(
        &mut bench,
        "claimSolution, failing callback: TestTaskReceiver out of gas",
        (receiver, fee),
        Some(CALLBACK_GAS),
    );
    assert!(failed(&burnt.logs));

    // A refusal (its callee gas is in no event) and its retry by the owner.
    bench.call(0, receiver, ITestTaskReceiver::setModeCall { mode_: 1 });
    let (task, _) = bench.submit(Some((receiver, fee)));
    bench.solve(task);
    let (refusal_estimate, refused) = bench.claim(task);
    assert!(failed(&refused.logs));
    rows.push(Row {
        name: "claimSolution, failing callback: TestTaskReceiver refusing",
        gas: refused.gas,
        estimate: Some(refusal_estimate),
        callee: None,
        overhead: None,
    });
    bench.call(0, receiver, ITestTaskReceiver::setModeCall { mode_: 0 });
    let retried = bench.call(OWNER, engine, IEngine::retryCallbackCall { taskid_: task, gasLimit_: 0 });
    rows.push(Row {
        name: "retryCallback by the owner, TestTaskReceiver recording",
        gas: retried.gas,
        estimate: None,
        callee: Some(delivered_gas(&retried.logs)),
        overhead: None,
    });

    let show = |value: Option<u64>| value.map_or("".to_string(), |value| value.to_string());
    println!(
        "Gas per transaction on the dev chain (receipts, intrinsic gas included); callback gas limit {CALLBACK_GAS}"
    );
    println!();
    println!("| transaction | gas | estimate | callee's own gas | engine overhead |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    for row in &rows {
        println!(
            "| {} | {} | {} | {} | {} |",
            row.name,
            row.gas,
            show(row.estimate),
            show(row.callee),
            show(row.overhead)
        );
    }
    println!();
    println!(
        "engine overhead: a claim's gas less a plain claim's ({base}) less the callee's; a submission's: less submitTask's"
    );
    let delivery = overhead(minimal.gas, delivered_gas(&minimal.logs));
    let delivery_fee = overhead(minimal_fee.gas, delivered_gas(&minimal_fee.logs));
    println!(
        "delivery overhead / Infernet's {INFERNET_DELIVERY_OVERHEAD}: {:.2} without a callback fee ({delivery}), {:.2} with one ({delivery_fee})",
        delivery as f64 / INFERNET_DELIVERY_OVERHEAD as f64,
        delivery_fee as f64 / INFERNET_DELIVERY_OVERHEAD as f64,
    );
}
