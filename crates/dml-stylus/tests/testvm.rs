//! The adapter on stylus-sdk's `TestVM`: every call goes in as ABI calldata
//! through `engine_entry` / `token_entry`, exactly as the deployed program
//! receives it, and every call is checked against `dml_engine::call` over
//! in-memory storage: the same return data, the same logs from the same
//! addresses in the same order, and both contracts' storage identical slot for
//! slot. The tests then check the protocol's visible effects themselves.

mod support;

use alloy_primitives::{Address, B256, U256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{eip712_domain, SolCall, SolError, SolEvent, SolStruct};
use dml_engine::{Contract, Genesis, MemoryStorage, Parameters};
use dml_primitives::{IDmlToken, IEngine, ONE_DML};
use dml_stylus::{genesis_calldata, revert_data, ArbResult, IDmlTokenBridge, CONTRACTS, GENESIS_AUTHORITY};
use support::{ChainLog, StylusWorld};

const START: u64 = 1_700_000_000;
const WINDOW: u64 = 60;

fn dml(n: u64) -> U256 {
    U256::from(n) * ONE_DML
}

fn account(i: u8) -> Address {
    Address::repeat_byte(0x10 + i)
}

fn owner() -> Address {
    Address::repeat_byte(0x01)
}

fn treasury() -> Address {
    Address::repeat_byte(0x02)
}

/// The Stylus contracts and the reference engine, driven in lock step.
struct Pair {
    world: StylusWorld,
    reference: MemoryStorage,
    block: u64,
    time: u64,
}

impl Pair {
    /// The genesis of [`Pair::new`]: six holders of 10,000 DML, short windows.
    fn config() -> Genesis {
        let mut config = Genesis::new(owner());
        config.treasury = treasury();
        config.start_time = START;
        config.parameters = Parameters {
            min_claim_solution_time: WINDOW,
            min_retraction_wait_time: WINDOW,
            min_contestation_vote_period_time: WINDOW,
            exit_validator_min_unlock_time: WINDOW,
            ..Parameters::default()
        };
        config.contracts = CONTRACTS;
        for i in 0..6 {
            config.allocations.push((account(i), dml(10_000)));
        }
        config.timestamp = START;
        config
    }

    fn new() -> Self {
        let (pair, logs) = Self::from_genesis(&Self::config());
        assert_eq!(logs.len(), 6, "one Transfer per allocation");
        assert!(logs
            .iter()
            .all(|log| log.address == CONTRACTS.token && log.topics[0] == IDmlToken::Transfer::SIGNATURE_HASH));
        pair
    }

    /// Both worlds after `config`'s genesis (run by the Stylus `dmlGenesis`
    /// at `config.timestamp`), checked equal; the genesis logs.
    fn from_genesis(config: &Genesis) -> (Self, Vec<ChainLog>) {
        let mut pair =
            Self { world: StylusWorld::new(), reference: MemoryStorage::new(), block: 1, time: config.timestamp };
        let expected_logs = dml_engine::genesis(&mut pair.reference, config).expect("reference genesis");
        let (result, logs) =
            pair.world.call(Contract::Engine, GENESIS_AUTHORITY, &genesis_calldata(config), pair.block, pair.time);
        assert_eq!(result, Ok(Vec::new()), "genesis");
        assert_eq!(logs, expected_logs.iter().map(ChainLog::of).collect::<Vec<_>>());
        pair.assert_same_storage();
        (pair, logs)
    }

    fn assert_same_storage(&self) {
        for contract in [Contract::Engine, Contract::Token] {
            let expected: Vec<(U256, U256)> = self
                .reference
                .iter()
                .filter(|((c, _), _)| *c == contract)
                .map(|((_, slot), value)| (*slot, *value))
                .collect();
            let actual: Vec<(U256, U256)> = self.world.slots(contract).into_iter().collect();
            assert_eq!(actual, expected, "{contract:?} storage differs from the engine's");
        }
    }

    /// One transaction through the adapter, checked against the engine.
    fn send(&mut self, sender: Address, contract: Contract, calldata: Vec<u8>) -> (ArbResult, Vec<ChainLog>) {
        self.block += 1;
        self.time += 2;
        let mut context = dml_engine::CallContext::new(sender, CONTRACTS, self.block, self.time);
        context.gas_limit = u64::MAX;
        let expected = dml_engine::call(&mut self.reference, &context, contract, &calldata);
        let (result, logs) = self.world.call(contract, sender, &calldata, self.block, self.time);
        match &expected {
            Ok(outcome) => {
                assert_eq!(result.as_deref(), Ok(&outcome.output[..]), "return data");
                assert_eq!(logs, outcome.logs.iter().map(ChainLog::of).collect::<Vec<_>>(), "logs");
            }
            Err(error) => assert_eq!(result, Err(error.revert_data().to_vec()), "revert data"),
        }
        self.assert_same_storage();
        (result, logs)
    }

    fn ok<C: SolCall>(&mut self, sender: Address, contract: Contract, call: C) -> (C::Return, Vec<ChainLog>) {
        let (result, logs) = self.send(sender, contract, call.abi_encode());
        let output = result.unwrap_or_else(|data| panic!("{} reverted: {:?}", C::SIGNATURE, reason(&data)));
        (C::abi_decode_returns(&output).expect("return data decodes"), logs)
    }

    fn engine<C: SolCall>(&mut self, sender: Address, call: C) -> (C::Return, Vec<ChainLog>) {
        self.ok(sender, Contract::Engine, call)
    }

    fn reverts<C: SolCall>(&mut self, sender: Address, contract: Contract, call: C) -> String {
        let (result, logs) = self.send(sender, contract, call.abi_encode());
        assert!(logs.is_empty());
        reason(&result.expect_err("the call reverts"))
    }

    fn wait(&mut self, seconds: u64) {
        self.time += seconds;
    }

    fn balance(&self, holder: Address) -> U256 {
        // Read the token's storage directly, as eth_getStorageAt would.
        if holder == CONTRACTS.engine {
            self.world.slot(Contract::Token, U256::ZERO) >> 128
        } else {
            // The low 96 bits of the holder's word; the delegatee sits above them.
            let word = self.world.slot(Contract::Token, dml_engine::address_slot(holder, U256::from(1u8)));
            word & (U256::MAX >> 160)
        }
    }

    fn total_supply(&self) -> U256 {
        self.world.slot(Contract::Token, U256::ZERO) & (U256::MAX >> 128)
    }

    fn register_model(&mut self, fee: U256) -> B256 {
        let template = br#"{"name":"echo","input":{}}"#.to_vec();
        let (model, logs) = self.engine(
            account(0),
            IEngine::registerModelCall { addr_: account(5), fee_: fee, template_: template.into() },
        );
        assert_eq!(logs[0].topics, vec![IEngine::ModelRegistered::SIGNATURE_HASH, model]);
        model
    }

    /// Submits a task and returns its id, checking the escrow moved.
    fn submit_task(&mut self, user: Address, model: B256, fee: U256) -> B256 {
        let engine_before = self.balance(CONTRACTS.engine);
        let (task, logs) = self.engine(
            user,
            IEngine::submitTaskCall {
                version_: 0,
                owner_: user,
                model_: model,
                fee_: fee,
                input_: br#"{"prompt":"hello"}"#.to_vec().into(),
            },
        );
        assert_eq!(self.balance(CONTRACTS.engine), engine_before + fee, "the fee is escrowed");
        let submitted = logs.iter().find(|log| log.topics[0] == IEngine::TaskSubmitted::SIGNATURE_HASH).unwrap();
        assert_eq!((submitted.address, submitted.topics[1]), (CONTRACTS.engine, task));
        task
    }

    fn solve(&mut self, solver: Address, task: B256, tag: u8) -> Vec<u8> {
        let mut cid = vec![0x12, 0x20];
        cid.extend_from_slice(&[tag; 32]);
        let (commitment, _) = self.engine(
            solver,
            IEngine::generateCommitmentCall { sender_: solver, taskid_: task, cid_: cid.clone().into() },
        );
        self.engine(solver, IEngine::signalCommitmentCall { commitment_: commitment });
        self.engine(solver, IEngine::submitSolutionCall { taskid_: task, cid_: cid.clone().into() });
        cid
    }
}

fn reason(data: &[u8]) -> String {
    alloy_sol_types::Revert::abi_decode(data).map(|revert| revert.reason).unwrap_or_else(|_| format!("{data:02x?}"))
}

#[test]
fn full_task_lifecycle_through_abi_calldata() {
    let mut p = Pair::new();
    let model = p.register_model(ONE_DML / U256::from(10u8));
    p.engine(owner(), IEngine::setSolutionMineableRateCall { model_: model, rate_: ONE_DML });
    let (solver, user) = (account(1), account(2));
    let (_, logs) = p.engine(solver, IEngine::validatorDepositCall { validator_: solver, amount_: dml(500) });
    assert_eq!(
        logs.iter().map(|log| log.address).collect::<Vec<_>>(),
        vec![CONTRACTS.token, CONTRACTS.engine],
        "the stake's Transfer comes from the token, ValidatorDeposit from the engine"
    );

    let fee = ONE_DML;
    let task = p.submit_task(user, model, fee);
    let too_early = p.reverts(solver, Contract::Engine, IEngine::claimSolutionCall { taskid_: task });
    assert_eq!(too_early, "solution not found");
    p.solve(solver, task, 0xaa);
    let again = p.reverts(
        account(3),
        Contract::Engine,
        IEngine::submitSolutionCall { taskid_: task, cid_: vec![0x12, 0x20, 1].into() },
    );
    assert!(!again.is_empty(), "a second solution is refused");

    let early = p.reverts(solver, Contract::Engine, IEngine::claimSolutionCall { taskid_: task });
    assert!(!early.is_empty(), "the claim window is still open");
    p.wait(WINDOW + 1);
    let (solver_before, supply_before, model_addr_before) =
        (p.balance(solver), p.total_supply(), p.balance(account(5)));
    let (_, logs) = p.engine(account(4), IEngine::claimSolutionCall { taskid_: task });
    assert!(logs.iter().any(|log| log.address == CONTRACTS.engine
        && log.topics == vec![IEngine::SolutionClaimed::SIGNATURE_HASH, solver.into_word(), task]));
    assert!(logs.iter().filter(|log| log.address == CONTRACTS.token).count() >= 2, "fee and reward Transfers");
    assert!(p.balance(solver) > solver_before + fee / U256::from(2u8), "the solver is paid fee and reward");
    assert!(p.total_supply() > supply_before, "the reward is minted");
    assert_eq!(p.balance(account(5)), model_addr_before + ONE_DML / U256::from(10u8), "the model fee");
    let twice = p.reverts(account(4), Contract::Engine, IEngine::claimSolutionCall { taskid_: task });
    assert!(!twice.is_empty(), "a task is claimed once");

    // A retraction path on a second task.
    let unsolved = p.submit_task(user, model, fee);
    p.wait(WINDOW + 1);
    let user_before = p.balance(user);
    let (_, logs) = p.engine(user, IEngine::retractTaskCall { taskid_: unsolved });
    assert_eq!(logs.last().unwrap().topics, vec![IEngine::TaskRetracted::SIGNATURE_HASH, unsolved]);
    assert_eq!(p.balance(user), user_before + fee * U256::from(9u8) / U256::from(10u8), "refund less 10 %");
}

#[test]
fn contestation_with_votes_and_batched_finish() {
    let mut p = Pair::new();
    let model = p.register_model(U256::ZERO);
    let (solver, contester, voter, user) = (account(1), account(2), account(3), account(4));
    for validator in [solver, contester, voter] {
        p.engine(validator, IEngine::validatorDepositCall { validator_: validator, amount_: dml(500) });
    }
    p.wait(500);
    let task = p.submit_task(user, model, dml(2));
    let stake = |p: &mut Pair, who: Address| p.engine(who, IEngine::validatorsCall { addr: who }).0.staked;
    // Read before the solution, which escrows the slash from the solver's stake.
    let solver_stake = stake(&mut p, solver);
    p.solve(solver, task, 0xbb);
    assert!(stake(&mut p, solver) < solver_stake, "the solution escrows the slash");
    let contester_holdings = stake(&mut p, contester) + p.balance(contester);
    let (_, logs) = p.engine(contester, IEngine::submitContestationCall { taskid_: task });
    let topics: Vec<B256> = logs.iter().filter(|l| l.address == CONTRACTS.engine).map(|l| l.topics[0]).collect();
    assert_eq!(
        topics,
        vec![
            IEngine::ContestationSubmitted::SIGNATURE_HASH,
            IEngine::ContestationVote::SIGNATURE_HASH,
            IEngine::ContestationVote::SIGNATURE_HASH
        ],
        "the contester votes yea and the accused nay automatically"
    );
    let (voted, _) = p.engine(voter, IEngine::contestationVotedCall { taskid: task, addr: contester });
    assert!(voted);
    p.engine(voter, IEngine::voteOnContestationCall { taskid_: task, yea_: true });
    let twice = p.reverts(voter, Contract::Engine, IEngine::voteOnContestationCall { taskid_: task, yea_: true });
    assert!(!twice.is_empty(), "one vote per validator");
    let early = p.reverts(user, Contract::Engine, IEngine::contestationVoteFinishCall { taskid_: task, amnt_: 8 });
    assert!(!early.is_empty(), "the vote period is still open");

    p.wait(WINDOW + 1);
    let user_before = p.balance(user);
    let mut resolved = None;
    for _ in 0..4 {
        let (_, logs) = p.engine(user, IEngine::contestationVoteFinishCall { taskid_: task, amnt_: 1 });
        if let Some(log) = logs.iter().find(|l| l.topics[0] == IEngine::ContestationResolved::SIGNATURE_HASH) {
            resolved =
                Some(IEngine::ContestationResolved::decode_raw_log(log.topics.iter().copied(), &log.data).unwrap());
            break;
        }
    }
    let resolved = resolved.expect("the batched finish resolves the contestation");
    assert!(resolved.contestationWon);
    assert_eq!((resolved.yeas, resolved.nays), (U256::from(2u8), U256::from(1u8)));
    assert_eq!(p.balance(user), user_before + dml(2), "the task owner is refunded");
    assert!(stake(&mut p, solver) < solver_stake, "the accused solver is slashed: its escrow is not returned");
    let contester_now = stake(&mut p, contester) + p.balance(contester);
    assert!(contester_now > contester_holdings, "the contester gets its escrow back and a share of the slash");
}

#[test]
fn erc20_calls_on_the_token_contract() {
    let mut p = Pair::new();
    let (alice, bob, carol) = (account(0), account(1), account(2));
    let (ok, logs) = p.ok(alice, Contract::Token, IDmlToken::transferCall { to: bob, amount: dml(5) });
    assert!(ok);
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0].address, CONTRACTS.token);
    assert_eq!(p.balance(bob), dml(10_005));
    p.ok(alice, Contract::Token, IDmlToken::approveCall { spender: carol, amount: dml(3) });
    p.ok(carol, Contract::Token, IDmlToken::transferFromCall { from: alice, to: carol, amount: dml(2) });
    let (left, _) = p.ok(carol, Contract::Token, IDmlToken::allowanceCall { owner: alice, spender: carol });
    assert_eq!(left, dml(1));
    let reason =
        p.reverts(carol, Contract::Token, IDmlToken::transferFromCall { from: alice, to: carol, amount: dml(2) });
    assert_eq!(reason, "ERC20: insufficient allowance");
    let reason = p.reverts(bob, Contract::Token, IDmlToken::transferCall { to: alice, amount: dml(1_000_000) });
    assert_eq!(reason, "ERC20: transfer amount exceeds balance");
    let (engine, _) = p.ok(bob, Contract::Token, IDmlToken::engineCall {});
    assert_eq!(engine, CONTRACTS.engine);
}

#[test]
fn bad_calldata_reverts_with_the_engines_reasons() {
    let mut p = Pair::new();
    for contract in [Contract::Engine, Contract::Token] {
        let (result, _) = p.send(account(0), contract, Vec::new());
        assert_eq!(reason(&result.unwrap_err()), "missing function selector");
        let (result, _) = p.send(account(0), contract, vec![0xde, 0xad, 0xbe, 0xef, 0]);
        assert_eq!(reason(&result.unwrap_err()), "unknown function selector");
    }
    let mut truncated = IEngine::claimSolutionCall { taskid_: B256::ZERO }.abi_encode();
    truncated.truncate(20);
    let (result, _) = p.send(account(0), Contract::Engine, truncated);
    assert_eq!(reason(&result.unwrap_err()), "invalid calldata");
}

#[test]
fn only_the_engine_may_use_the_token_bridge() {
    let p = Pair::new();
    let before = p.world.slots(Contract::Token);
    let commit = IDmlTokenBridge::engineCommitCall {
        slots: vec![dml_engine::address_slot(account(0), U256::from(1u8))],
        values: vec![dml(1_000_000)],
        topics: vec![],
        data: vec![],
    };
    let load = IDmlTokenBridge::engineLoadCall { slot: U256::ZERO };
    for calldata in [commit.abi_encode(), load.abi_encode()] {
        let (result, logs) = p.world.call(Contract::Token, account(0), &calldata, 9, START + 9);
        assert_eq!(result, Err(revert_data("dml-stylus: only the engine may use the token bridge")));
        assert!(logs.is_empty());
    }
    assert_eq!(p.world.slots(Contract::Token), before, "nothing was written");

    // The engine itself gets through, with malformed input refused.
    let (result, _) = p.world.call(Contract::Token, CONTRACTS.engine, &load.abi_encode(), 9, START + 9);
    assert_eq!(U256::from_be_slice(&result.unwrap()), p.world.slot(Contract::Token, U256::ZERO));
    let mismatched =
        IDmlTokenBridge::engineCommitCall { slots: vec![U256::ZERO], values: vec![], topics: vec![], data: vec![] };
    let (result, _) = p.world.call(Contract::Token, CONTRACTS.engine, &mismatched.abi_encode(), 9, START + 9);
    assert_eq!(result, Err(revert_data("dml-stylus: invalid bridge calldata")));
}

#[test]
fn genesis_runs_once_and_only_for_the_authority() {
    let p = Pair::new();
    let mut config = Genesis::new(account(3));
    config.contracts = CONTRACTS;
    let calldata = genesis_calldata(&config);
    let (result, _) = p.world.call(Contract::Engine, account(3), &calldata, 9, START + 9);
    assert_eq!(result, Err(revert_data("dml-stylus: only the genesis authority may run genesis")));
    let (result, _) = p.world.call(Contract::Engine, GENESIS_AUTHORITY, &calldata, 9, START + 9);
    assert_eq!(result, Err(revert_data("dml-stylus: genesis already ran")));

    let fresh = StylusWorld::new();
    let mut zero_owner = Genesis::new(Address::ZERO);
    zero_owner.contracts = CONTRACTS;
    let (result, _) = fresh.call(Contract::Engine, GENESIS_AUTHORITY, &genesis_calldata(&zero_owner), 1, START);
    assert_eq!(result, Err(revert_data("genesis owner is the zero address")));
    let (result, _) = fresh.call(Contract::Engine, GENESIS_AUTHORITY, &calldata[..40], 1, START);
    assert_eq!(result, Err(revert_data("dml-stylus: invalid genesis calldata")));
    assert!(fresh.slots(Contract::Engine).is_empty() && fresh.slots(Contract::Token).is_empty());
}

#[test]
fn a_program_at_another_address_refuses_to_run() {
    let world = StylusWorld::new();
    world.vm(Contract::Token).set_contract_address(Address::repeat_byte(0x99));
    let calldata = IDmlToken::totalSupplyCall {}.abi_encode();
    let (result, _) = world.call(Contract::Token, account(0), &calldata, 1, START);
    assert_eq!(result, Err(revert_data("dml-stylus: contract built for another address")));
}

#[test]
fn export_abi_declares_every_function_and_event() {
    let interface = dml_stylus::solidity_interface();
    assert!(interface.starts_with("// SPDX-License-Identifier: MIT"));
    assert!(!interface.contains("#["), "Rust attributes are stripped");
    let signatures = IEngine::IEngineCalls::SIGNATURES
        .iter()
        .chain(IDmlToken::IDmlTokenCalls::SIGNATURES)
        .chain(IDmlTokenBridge::IDmlTokenBridgeCalls::SIGNATURES);
    for signature in signatures {
        let name = signature.split('(').next().unwrap();
        assert!(interface.contains(&format!("function {name}(")), "{name} is missing");
    }
    for event in IEngine::IEngineEvents::SIGNATURES {
        let name = event.split('(').next().unwrap();
        assert!(interface.contains(&format!("event {name}(")), "event {name} is missing");
    }
}

#[test]
fn the_router_sends_each_selector_to_the_facet_that_runs_it() {
    use dml_stylus::{facet, program_for, route, IDmlStylusGenesis, FACET_PROGRAMS, GENESIS_PROGRAM};
    for selector in IEngine::IEngineCalls::SELECTORS {
        let facet = facet::of_selector(*selector);
        assert_eq!(route(selector), Some(facet), "{selector:02x?}");
        assert!(facet::EACH.contains(&facet));
    }
    // Genesis runs in its own program, no facet; calldata with arguments routes by its selector.
    assert_eq!(route(&IDmlStylusGenesis::dmlGenesisCall::SELECTOR), None);
    assert_eq!(program_for(&IDmlStylusGenesis::dmlGenesisCall::SELECTOR), GENESIS_PROGRAM);
    let submit = IEngine::submitTaskCall {
        version_: 0,
        owner_: account(1),
        model_: B256::ZERO,
        fee_: U256::ZERO,
        input_: Default::default(),
    };
    assert_eq!(route(&submit.abi_encode()), Some(facet::TASKS));
    assert_eq!(program_for(&submit.abi_encode()), FACET_PROGRAMS[1]);
    // Delegated stake has the sixth program.
    let delegate = IEngine::delegateStakeCall { solver_: account(1), amount_: ONE_DML };
    assert_eq!(route(&delegate.abi_encode()), Some(facet::DELEGATE));
    assert_eq!(program_for(&delegate.abi_encode()), FACET_PROGRAMS[5]);
    // A claim stays with settle; a contestation's end has the seventh program,
    // tasks with callbacks the eighth.
    let claim = IEngine::claimSolutionCall { taskid_: B256::ZERO };
    assert_eq!(route(&claim.abi_encode()), Some(facet::SETTLE));
    assert_eq!(program_for(&claim.abi_encode()), FACET_PROGRAMS[3]);
    let finish = IEngine::contestationVoteFinishCall { taskid_: B256::ZERO, amnt_: 1 };
    assert_eq!(route(&finish.abi_encode()), Some(facet::FINISH));
    assert_eq!(program_for(&finish.abi_encode()), FACET_PROGRAMS[6]);
    for selector in [
        IEngine::submitTaskWithCallbackCall::SELECTOR,
        IEngine::retryCallbackCall::SELECTOR,
        IEngine::callbacksCall::SELECTOR,
    ] {
        assert_eq!(route(&selector), Some(facet::CALLBACK), "{selector:02x?}");
        assert_eq!(program_for(&selector), FACET_PROGRAMS[7]);
    }
    // Every facet serves some function, and each has its own program.
    for (index, facet) in facet::EACH.iter().enumerate() {
        assert!(IEngine::IEngineCalls::SELECTORS.iter().any(|s| facet::of_selector(*s) == *facet), "facet {facet}");
        assert_eq!(FACET_PROGRAMS[facet.trailing_zeros() as usize], FACET_PROGRAMS[index]);
    }
    assert_eq!(FACET_PROGRAMS.len(), 8);
    // What the engine does not know goes to the govern facet, which refuses it.
    assert_eq!(route(&[0xde, 0xad, 0xbe, 0xef]), None);
    assert_eq!(program_for(&[0xde, 0xad, 0xbe, 0xef]), FACET_PROGRAMS[0]);
    assert_eq!(route(&[0x01, 0x02]), None);
    assert_eq!(route(&IDmlTokenBridge::engineLoadCall::SELECTOR), None);
    assert_eq!(route(&IDmlToken::transferCall::SELECTOR), None);
    // One program per facet and one for genesis, none at the engine's or the token's address.
    let programs: Vec<Address> = FACET_PROGRAMS.iter().copied().chain([GENESIS_PROGRAM]).collect();
    for (index, program) in programs.iter().enumerate() {
        assert!(!programs[..index].contains(program), "engine programs share an address");
        assert!(*program != CONTRACTS.engine && *program != CONTRACTS.token);
    }
}

#[test]
fn genesis_registers_models_with_their_rates() {
    use dml_engine::GenesisModel;
    let mut config = Pair::config();
    let template = br#"{"name":"genesis","input":{}}"#.to_vec();
    config.models = vec![
        GenesisModel { addr: account(5), fee: ONE_DML / U256::from(10u8), rate: ONE_DML, template: template.into() },
        GenesisModel { addr: account(4), fee: U256::ZERO, rate: U256::ZERO, template: br#"{"n":2}"#.to_vec().into() },
    ];
    let (mut p, logs) = Pair::from_genesis(&config);
    let engine_topics: Vec<B256> =
        logs.iter().filter(|log| log.address == CONTRACTS.engine).map(|log| log.topics[0]).collect();
    let registered = IEngine::ModelRegistered::SIGNATURE_HASH;
    let rated = IEngine::SolutionMineableRateChange::SIGNATURE_HASH;
    assert_eq!(engine_topics, [registered, rated, registered, rated], "each model registered, then its rate");
    let model = logs.iter().find(|log| log.topics[0] == registered).unwrap().topics[1];
    let (record, _) = p.engine(account(0), IEngine::modelsCall { model });
    assert_eq!((record.addr, record.fee, record.rate), (account(5), ONE_DML / U256::from(10u8), ONE_DML));
    // The id is the one `registerModel` gives the same model from the same sender.
    let again = IEngine::registerModelCall {
        addr_: account(5),
        fee_: config.models[0].fee,
        template_: config.models[0].template.clone(),
    };
    assert_eq!(p.reverts(account(5), Contract::Engine, again), "model already registered");
}

#[test]
fn the_genesis_program_runs_only_genesis() {
    let world = StylusWorld::new();
    world.vm(Contract::Engine).set_sender(GENESIS_AUTHORITY);
    let host = world.host(Contract::Engine);
    let result = dml_stylus::genesis_entry(&host, &IEngine::ownerCall {}.abi_encode());
    assert_eq!(result, Err(revert_data("dml-stylus: the genesis program runs only dmlGenesis")));
    // And no facet program takes genesis: it is not an engine function.
    let result = dml_stylus::facet_entry::<{ dml_stylus::facet::ALL }, _>(&host, &genesis_calldata(&Pair::config()));
    assert_eq!(result, Err(revert_data("unknown function selector")));
    assert!(world.slots(Contract::Engine).is_empty());
}

/// Signs an EIP-712 message for the token's domain on the dev chain's id.
fn sign_for_token(signer: &PrivateKeySigner, message: &impl SolStruct) -> (u8, B256, B256) {
    let domain = eip712_domain! {
        name: "DML",
        version: "1",
        chain_id: dml_primitives::DEV_CHAIN_ID,
        verifying_contract: CONTRACTS.token,
    };
    let digest = message.eip712_signing_hash(&domain);
    let (signature, recovery) = signer.credential().sign_prehash_recoverable(digest.as_slice()).expect("signs");
    let bytes = signature.to_bytes();
    (27 + recovery.to_byte(), B256::from_slice(&bytes[..32]), B256::from_slice(&bytes[32..]))
}

#[test]
fn votes_permits_and_signed_delegations_through_the_adapter() {
    use dml_primitives::{Delegation, Permit};
    let mut p = Pair::new();
    let signer = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x42)).expect("a key");
    let holder = signer.address();
    let token = Contract::Token;
    p.ok(account(0), token, IDmlToken::transferCall { to: holder, amount: dml(100) });

    // The holder delegates by signature to account 1; account 2 relays it.
    let delegation = Delegation { delegatee: account(1), nonce: U256::ZERO, expiry: U256::from(p.time + 1_000) };
    let (v, r, s) = sign_for_token(&signer, &delegation);
    let by_sig = |v: u8| IDmlToken::delegateBySigCall {
        delegatee: delegation.delegatee,
        nonce: delegation.nonce,
        expiry: delegation.expiry,
        v,
        r,
        s,
    };
    // A `v` the precompile refuses: it answers nothing, and the token reverts with OZ's error.
    let (result, _) = p.send(account(2), token, by_sig(29).abi_encode());
    assert_eq!(result, Err(IDmlToken::ECDSAInvalidSignature {}.abi_encode()));
    let (_, logs) = p.ok(account(2), token, by_sig(v));
    assert_eq!(
        logs.iter().map(|log| log.topics[0]).collect::<Vec<_>>(),
        [IDmlToken::DelegateChanged::SIGNATURE_HASH, IDmlToken::DelegateVotesChanged::SIGNATURE_HASH]
    );
    assert_eq!(logs[0].topics[1], holder.into_word(), "the signer delegates");
    let (result, _) = p.send(account(2), token, by_sig(v).abi_encode());
    let replay = IDmlToken::InvalidAccountNonce { account: holder, currentNonce: U256::from(1u8) };
    assert_eq!(result, Err(replay.abi_encode()), "a signature works once");
    let (votes, _) = p.ok(account(0), token, IDmlToken::getVotesCall { account: account(1) });
    assert_eq!(votes, dml(100));

    // A permit from the holder to account 3, relayed by account 3 itself.
    let permit = Permit {
        owner: holder,
        spender: account(3),
        value: dml(7),
        nonce: U256::from(1u8),
        deadline: U256::from(p.time + 1_000),
    };
    let (v, r, s) = sign_for_token(&signer, &permit);
    let call = IDmlToken::permitCall {
        owner: permit.owner,
        spender: permit.spender,
        value: permit.value,
        deadline: permit.deadline,
        v,
        r,
        s,
    };
    p.ok(account(3), token, call);
    p.ok(account(3), token, IDmlToken::transferFromCall { from: holder, to: account(3), amount: dml(7) });
    assert_eq!(p.balance(holder), dml(93), "the balance, below the delegatee in the same slot");

    // The transfer moved account 1's votes; the past stays as it was.
    let before = p.time;
    p.wait(10);
    let (votes, _) = p.ok(account(0), token, IDmlToken::getVotesCall { account: account(1) });
    assert_eq!(votes, dml(93));
    let (count, _) = p.ok(account(0), token, IDmlToken::numCheckpointsCall { account: account(1) });
    assert_eq!(count, 2);
    let past = IDmlToken::getPastVotesCall { account: account(1), timepoint: U256::from(before - 4) };
    assert_eq!(p.ok(account(0), token, past).0, dml(100));
    let (delegatee, _) = p.ok(account(0), token, IDmlToken::delegatesCall { account: holder });
    assert_eq!(delegatee, account(1));
    let (nonce, _) = p.ok(account(0), token, IDmlToken::noncesCall { owner: holder });
    assert_eq!(nonce, U256::from(2u8));
}
