//! The contracts that request inference on a bare revm, with real bytecode,
//! against the TEST FIXTURE `MockDmlEngine` (contracts/test/MockDmlEngine.sol):
//! the real engine is a native contract of the dev chain, which a bare revm
//! does not have. The fixture is its own fee token and debits submitters
//! directly, as the engine does; the test plays the solver (`solve`, then
//! `claim`, which pays the claimer the callback fee and delivers the callback
//! with the task's gas under a reentrancy flag) and a lost contestation
//! (`cancel`, which refunds both fees to the task's owner).
//!
//! Task inputs are checked byte for byte against the escaping the contracts
//! document (and parsed back with serde_json), metadata is parsed as JSON and
//! compared field by field, chain prompts are compared with a reference UTF-8
//! tail, and the DML each contract holds is checked against what it owes.

mod support;

use alloy_primitives::{address, b256, Address, Bytes, Log, TxKind, B256, U256};
use alloy_sol_types::{SolCall, SolError, SolEvent, SolValue};
use dml_governance::{
    competition_deploy_code, image_nft_deploy_code, task_chain_deploy_code, test_task_receiver_deploy_code,
    ChainFinishReason, IDmlCompetition as C, IDmlImageNFT as N, IDmlTaskChain as T, ITestTaskReceiver as R,
    ImageNftConfig,
};
use dml_primitives::task_seed;
use proptest::prelude::*;
use revm::primitives::hardfork::SpecId;
use serde_json::Value;
use support::{mock_engine::MockDmlEngine as M, Evm, Reverted};

const DEPLOYER: Address = address!("00000000000000000000000000000000000de910");
const USER: Address = address!("0000000000000000000000000000000000000a11");
const OTHER: Address = address!("0000000000000000000000000000000000000b22");
const SOLVER: Address = address!("0000000000000000000000000000000000000c33");
const MODEL: B256 = b256!("1111111111111111111111111111111111111111111111111111111111111111");
const OTHER_MODEL: B256 = b256!("2222222222222222222222222222222222222222222222222222222222222222");
const START: u64 = 1_700_000_000;
const GATEWAY: &str = "http://127.0.0.1:8080/ipfs/";
const TASK_FEE: u64 = 3_000;
const CALLBACK_FEE: u64 = 1_000;
/// What the examples' callbacks may use at most (they record a CID and emit two events).
const CALLBACK_GAS_BUDGET: u64 = 120_000;

// ---- plumbing ----

struct World {
    evm: Evm,
    engine: Address,
}

fn world() -> World {
    let mut evm = Evm::new(SpecId::CANCUN, START);
    let engine = evm.deploy(DEPLOYER, support::mock_engine::deploy_code());
    let mut world = World { evm, engine };
    for account in [USER, OTHER] {
        world.ok(DEPLOYER, engine, M::mintCall { to: account, amount: U256::from(1_000_000_000u64) });
    }
    world
}

fn hex(data: &[u8]) -> String {
    data.iter().map(|byte| format!("{byte:02x}")).collect()
}

impl World {
    /// Sends `call`, which must succeed; its return values and logs.
    fn ok<Call: SolCall>(&mut self, from: Address, to: Address, call: Call) -> (Call::Return, Vec<Log>) {
        self.evm
            .transact_value(from, to, U256::ZERO, call)
            .unwrap_or_else(|Reverted(data)| panic!("{} reverted: 0x{}", Call::SIGNATURE, hex(&data)))
    }

    /// Sends `call`, which must revert with the error `Error`; the error.
    fn err<Error: SolError, Call: SolCall>(&mut self, from: Address, to: Address, call: Call) -> Error {
        let data = match self.evm.transact_value(from, to, U256::ZERO, call) {
            Ok(_) => panic!("{} succeeded, expected {}", Call::SIGNATURE, Error::SIGNATURE),
            Err(Reverted(data)) => data,
        };
        Error::abi_decode(&data)
            .unwrap_or_else(|_| panic!("{} reverted with 0x{}, not {}", Call::SIGNATURE, hex(&data), Error::SIGNATURE))
    }

    /// Sends raw calldata; its revert data, if it reverted.
    fn raw(&mut self, from: Address, to: Address, data: Vec<u8>) -> Result<Vec<Log>, Bytes> {
        self.evm.send(from, TxKind::Call(to), data.into()).map(|(_, logs)| logs).map_err(|Reverted(data)| data)
    }

    fn view<Call: SolCall>(&mut self, to: Address, call: Call) -> Call::Return {
        self.evm
            .call(to, call)
            .unwrap_or_else(|Reverted(data)| panic!("{} reverted: 0x{}", Call::SIGNATURE, hex(&data)))
    }

    fn balance(&mut self, account: Address) -> U256 {
        let engine = self.engine;
        self.view(engine, M::balanceOfCall { account })
    }

    fn approve(&mut self, owner: Address, spender: Address, value: u64) {
        let engine = self.engine;
        self.ok(owner, engine, M::approveCall { spender, value: U256::from(value) });
    }

    fn cid_of(&mut self, content: &[u8]) -> Bytes {
        let engine = self.engine;
        self.view(engine, M::generateIPFSCIDCall { content_: Bytes::copy_from_slice(content) })
    }

    fn input_cid(&mut self, taskid: B256) -> Bytes {
        let engine = self.engine;
        self.view(engine, M::tasksCall { taskid }).cid
    }

    fn callback_status(&mut self, taskid: B256) -> u8 {
        let engine = self.engine;
        self.view(engine, M::callbacksCall { taskid }).status
    }

    /// The solver submits `cid` for `taskid` and claims it: the callback runs. The claim's logs.
    fn solve_and_claim(&mut self, taskid: B256, cid: &Bytes) -> Vec<Log> {
        let engine = self.engine;
        self.ok(SOLVER, engine, M::solveCall { taskid, cid: cid.clone() });
        self.ok(SOLVER, engine, M::claimCall { taskid }).1
    }

    /// `solve_and_claim`, which must deliver the callback; the gas the callback used, and the logs.
    fn deliver(&mut self, taskid: B256, cid: &Bytes) -> (u64, Vec<Log>) {
        let logs = self.solve_and_claim(taskid, cid);
        let delivered = events::<M::CallbackDelivered>(&logs, self.engine);
        assert_eq!(
            delivered.len(),
            1,
            "the callback of {taskid} was not delivered: {:?}",
            failures(&logs, self.engine)
        );
        (delivered[0].gasUsed.to::<u64>(), logs)
    }
}

/// The `Event`s among `logs` emitted by `emitter`.
fn events<Event: SolEvent>(logs: &[Log], emitter: Address) -> Vec<Event> {
    logs.iter()
        .filter(|log| log.address == emitter)
        .filter_map(|log| Event::decode_log(log).ok().map(|decoded| decoded.data))
        .collect()
}

fn failures(logs: &[Log], engine: Address) -> Vec<String> {
    events::<M::CallbackFailed>(logs, engine).iter().map(|failed| format!("0x{}", hex(&failed.reason))).collect()
}

/// The task input of `taskid` from the engine's `TaskInput` event.
fn task_input(logs: &[Log], engine: Address, taskid: B256) -> Bytes {
    let inputs: Vec<M::TaskInput> = events(logs, engine);
    inputs.into_iter().find(|input| input.task == taskid).expect("a TaskInput event").input
}

/// The escaping the contracts document: `"` → `\"`, `\` → `\\`, bytes below 0x20 → `\u00xx`.
fn json_escape(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for &byte in text {
        match byte {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0..=0x1f => out.extend_from_slice(format!("\\u{byte:04x}").as_bytes()),
            _ => out.push(byte),
        }
    }
    out
}

/// The last at most `max` bytes of `text`, from a character boundary.
fn utf8_tail(text: &[u8], max: usize) -> Vec<u8> {
    let mut start = text.len().saturating_sub(max);
    while start < text.len() && text[start] & 0xc0 == 0x80 {
        start += 1;
    }
    text[start..].to_vec()
}

/// base58btc (Bitcoin's alphabet), the text form of a CIDv0.
fn base58(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    let mut digits: Vec<u32> = Vec::new(); // little-endian base-58 digits
    for &byte in bytes {
        let mut carry = u32::from(byte);
        for digit in digits.iter_mut() {
            carry += *digit << 8;
            *digit = carry % 58;
            carry /= 58;
        }
        while carry > 0 {
            digits.push(carry % 58);
            carry /= 58;
        }
    }
    let zeros = bytes.iter().take_while(|&&byte| byte == 0).count();
    "1".repeat(zeros) + &digits.iter().rev().map(|&digit| ALPHABET[digit as usize] as char).collect::<String>()
}

/// RFC 4648 base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let word = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        out.push(TABLE[(word >> 18) as usize & 63] as char);
        out.push(TABLE[(word >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 { TABLE[(word >> 6) as usize & 63] as char } else { '=' });
        out.push(if chunk.len() > 2 { TABLE[word as usize & 63] as char } else { '=' });
    }
    out
}

/// A solution CID as a solver would give it (any 34 bytes will do for the contracts).
fn solution_cid(tag: u8) -> Bytes {
    let mut cid = vec![0x12, 0x20];
    cid.extend([tag; 32]);
    cid.into()
}

// ---- DmlImageNFT (A.1) ----

fn deploy_nft(world: &mut World, callback_gas_limit: u64) -> Address {
    let config = ImageNftConfig {
        engine: world.engine,
        model: MODEL,
        task_fee: U256::from(TASK_FEE),
        callback_fee: U256::from(CALLBACK_FEE),
        callback_gas_limit,
        gateway_base: GATEWAY.into(),
        name: "DML \"Images\"".into(),
        symbol: "DMLI".into(),
    };
    world.evm.deploy(DEPLOYER, image_nft_deploy_code(&config))
}

fn metadata(world: &mut World, nft: Address, token_id: u64) -> Value {
    let json = world.view(nft, N::tokenMetadataCall { tokenId: U256::from(token_id) });
    let uri = world.view(nft, N::tokenURICall { tokenId: U256::from(token_id) });
    assert_eq!(uri, format!("data:application/json;base64,{}", base64(json.as_bytes())));
    serde_json::from_str(&json).unwrap_or_else(|error| panic!("metadata is not JSON ({error}): {json}"))
}

/// The metadata names what re-running the model needs, as properties and as attributes.
fn check_facts(world: &mut World, meta: &Value, taskid: B256, prompt: &str, status: &str) {
    let input = format!("ipfs://{}", base58(&world.input_cid(taskid)));
    let facts = [
        ("model", Value::from(MODEL.to_string())),
        ("task", Value::from(taskid.to_string())),
        ("input", Value::from(input)),
        ("seed", Value::from(task_seed(taskid))),
        ("prompt", Value::from(prompt)),
        ("status", Value::from(status)),
    ];
    let attributes = meta["attributes"].as_array().expect("attributes");
    assert_eq!(attributes.len(), facts.len());
    for ((key, value), attribute) in facts.iter().zip(attributes) {
        assert_eq!(&meta["properties"][key], value, "properties.{key}");
        assert_eq!(attribute["trait_type"], *key);
        assert_eq!(&attribute["value"], value, "attribute {key}");
    }
}

#[test]
fn image_nft_mints_at_once_and_gains_its_image_on_the_callback() {
    let mut w = world();
    let nft = deploy_nft(&mut w, 200_000);
    let engine = w.engine;
    assert_eq!(w.view(nft, N::tokenCall {}), engine);
    w.approve(USER, nft, TASK_FEE + CALLBACK_FEE);
    let user_before = w.balance(USER);

    let prompt = "a \"lighthouse\"\tat dusk\n\\ ümlaut \u{1}";
    let (minted, logs) = w.ok(USER, nft, N::mintCall { text: prompt.into() });
    let (token_id, taskid) = (minted.tokenId, minted.taskid);
    assert_eq!(token_id, U256::from(1u8));
    let requested: Vec<N::MintRequested> = events(&logs, nft);
    assert_eq!(requested, vec![N::MintRequested { tokenId: token_id, taskid, minter: USER, prompt: prompt.into() }]);
    let transfers: Vec<N::Transfer> = events(&logs, nft);
    assert_eq!(transfers, vec![N::Transfer { from: Address::ZERO, to: USER, tokenId: token_id }]);

    // The input is the documented JSON, byte for byte, and parses back to the prompt.
    let input = task_input(&logs, engine, taskid);
    let expected = [&b"{\"prompt\":\""[..], &json_escape(prompt.as_bytes()), b"\"}"].concat();
    assert_eq!(input.to_vec(), expected, "{}", String::from_utf8_lossy(&input));
    let parsed: Value = serde_json::from_slice(&input).unwrap();
    assert_eq!(parsed, serde_json::json!({ "prompt": prompt }));
    assert_eq!(w.input_cid(taskid), w.cid_of(&input));

    assert_eq!(w.balance(USER), user_before - U256::from(TASK_FEE + CALLBACK_FEE));
    assert_eq!(w.balance(nft), U256::ZERO, "the fees went on to the engine");
    assert_eq!(w.view(nft, N::ownerOfCall { tokenId: token_id }), USER);
    assert_eq!(w.view(nft, N::tokenTaskCall { tokenId: token_id }), taskid);
    assert_eq!(w.view(nft, N::tokenOfTaskCall { taskid }), token_id);
    assert_eq!(w.view(nft, N::promptCall { tokenId: token_id }), prompt);
    assert!(w.view(nft, N::isOwnTaskCall { taskid }));
    assert!(!w.view(nft, N::isFulfilledCall { tokenId: token_id }));
    assert!(w.view(nft, N::solutionCidCall { tokenId: token_id }).is_empty());
    assert_eq!(w.view(nft, N::totalMintedCall {}), U256::from(1u8));

    let pending = metadata(&mut w, nft, 1);
    assert_eq!(pending["name"], "DML \"Images\" #1");
    assert_eq!(pending["description"], prompt);
    assert!(pending.get("image").is_none() && pending.get("external_url").is_none(), "{pending}");
    check_facts(&mut w, &pending, taskid, prompt, "pending");

    let cid = solution_cid(0xab);
    let solver_before = w.balance(SOLVER);
    let (gas_used, logs) = w.deliver(taskid, &cid);
    assert!(gas_used < CALLBACK_GAS_BUDGET, "the NFT's callback used {gas_used} gas");
    let fulfilled: Vec<N::MintFulfilled> = events(&logs, nft);
    assert_eq!(fulfilled, vec![N::MintFulfilled { tokenId: token_id, taskid, cid: cid.clone() }]);
    let updates: Vec<N::MetadataUpdate> = events(&logs, nft);
    assert_eq!(updates, vec![N::MetadataUpdate { _tokenId: token_id }]);
    assert_eq!(w.balance(SOLVER), solver_before + U256::from(TASK_FEE + CALLBACK_FEE));

    assert!(w.view(nft, N::isFulfilledCall { tokenId: token_id }));
    assert_eq!(w.view(nft, N::solutionCidCall { tokenId: token_id }), cid);
    let done = metadata(&mut w, nft, 1);
    assert_eq!(done["image"], format!("ipfs://{}", base58(&cid)));
    assert!(done["image"].as_str().unwrap().starts_with("ipfs://Qm"));
    assert_eq!(done["external_url"], format!("{GATEWAY}{}", base58(&cid)));
    check_facts(&mut w, &done, taskid, prompt, "fulfilled");

    for (interface, supported) in [
        ([0x49, 0x06, 0x49, 0x06], true),
        ([0x80, 0xac, 0x58, 0xcd], true),
        ([0x5b, 0x5e, 0x13, 0x9f], true),
        ([0xff; 4], false),
    ] {
        assert_eq!(w.view(nft, N::supportsInterfaceCall { interfaceId: interface.into() }), supported);
    }
}

#[test]
fn image_nft_refuses_bad_prompts_strangers_and_foreign_tasks() {
    let mut w = world();
    let nft = deploy_nft(&mut w, 200_000);
    let engine = w.engine;
    w.approve(USER, nft, u64::MAX);

    let empty = w.err::<N::InvalidPromptLength, _>(USER, nft, N::mintCall { text: String::new() });
    assert_eq!((empty.length, empty.maxLength), (U256::ZERO, U256::from(1000u16)));
    let long = w.err::<N::InvalidPromptLength, _>(USER, nft, N::mintCall { text: "x".repeat(1001) });
    assert_eq!(long.length, U256::from(1001u16));
    w.ok(USER, nft, N::mintCall { text: "é".repeat(500) });

    // A `string` argument that is not UTF-8 (Rust strings cannot hold one, so the calldata is built by hand).
    let mut calldata = N::mintCall::SELECTOR.to_vec();
    calldata.extend((Bytes::from_static(&[b'a', 0xc3, 0x28]),).abi_encode_params());
    let refused = w.raw(USER, nft, calldata).unwrap_err();
    assert_eq!(refused[..], N::PromptNotUtf8 {}.abi_encode()[..]);

    // Without an allowance the DML pull fails (the token's own error).
    assert!(w.evm.transact(OTHER, nft, N::mintCall { text: "no allowance".into() }).is_err());

    let stranger =
        w.err::<N::NotEngine, _>(OTHER, nft, N::onTaskSolvedCall { taskid: B256::ZERO, cid: solution_cid(1) });
    assert_eq!(stranger.caller, OTHER);

    // Anyone may name the NFT as a task's callback; the delivery is refused (and the engine records why).
    let (foreign, _) = w.ok(
        OTHER,
        engine,
        M::submitTaskWithCallbackCall {
            version_: 0,
            owner_: OTHER,
            model_: MODEL,
            fee_: U256::from(TASK_FEE),
            input_: Bytes::from_static(b"{\"prompt\":\"free image\"}"),
            callback_: nft,
            callbackGasLimit_: 200_000,
            callbackFee_: U256::ZERO,
        },
    );
    let logs = w.solve_and_claim(foreign, &solution_cid(2));
    let failed: Vec<M::CallbackFailed> = events(&logs, engine);
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].reason[..], N::UnknownTask { taskid: foreign }.abi_encode()[..]);
    assert_eq!(w.view(nft, N::totalMintedCall {}), U256::from(1u8));

    let missing = w.evm.call(nft, N::tokenURICall { tokenId: U256::from(99u8) }).unwrap_err();
    assert_eq!(missing.0[..], N::ERC721NonexistentToken { tokenId: U256::from(99u8) }.abi_encode()[..]);

    for gas_limit in [0, 5_000_001] {
        let config = ImageNftConfig {
            engine,
            model: MODEL,
            task_fee: U256::ZERO,
            callback_fee: U256::ZERO,
            callback_gas_limit: gas_limit,
            gateway_base: GATEWAY.into(),
            name: "n".into(),
            symbol: "s".into(),
        };
        let Reverted(data) = w.evm.send(DEPLOYER, TxKind::Create, image_nft_deploy_code(&config)).unwrap_err();
        assert_eq!(data[..], N::InvalidCallbackGasLimit { gasLimit: gas_limit }.abi_encode()[..]);
    }
}

#[test]
fn image_nft_retries_a_failed_callback_and_resubmits_after_a_lost_contestation() {
    let mut w = world();
    // Too little gas to store a CID: the first delivery runs out of gas.
    let nft = deploy_nft(&mut w, 25_000);
    let engine = w.engine;
    w.approve(USER, nft, u64::MAX);

    let (first, _) = w.ok(USER, nft, N::mintCall { text: "a tide pool".into() });
    let cid = solution_cid(7);
    let logs = w.solve_and_claim(first.taskid, &cid);
    assert_eq!(events::<M::CallbackFailed>(&logs, engine).len(), 1);
    assert_eq!(w.callback_status(first.taskid), 3);
    assert!(!w.view(nft, N::isFulfilledCall { tokenId: first.tokenId }));
    // Anyone may ask for the redelivery, with more gas.
    let (_, logs) = w.ok(OTHER, nft, N::retryCall { tokenId: first.tokenId, gasLimit: 200_000 });
    assert_eq!(events::<M::CallbackDelivered>(&logs, engine).len(), 1);
    assert_eq!(w.balance(nft), U256::ZERO);
    assert_eq!(w.view(nft, N::solutionCidCall { tokenId: first.tokenId }), cid);
    assert!(w.evm.transact(OTHER, nft, N::retryCall { tokenId: first.tokenId, gasLimit: 0 }).is_err());

    // The second token's solution loses its contestation: both fees come back to the NFT contract...
    let (second, _) = w.ok(USER, nft, N::mintCall { text: "a second tide pool".into() });
    let pending = w.err::<N::TaskNotCancelled, _>(OTHER, nft, N::resubmitCall { tokenId: second.tokenId });
    assert_eq!((pending.taskid, pending.status), (second.taskid, 1));
    w.ok(SOLVER, engine, M::solveCall { taskid: second.taskid, cid: solution_cid(8) });
    w.ok(OTHER, engine, M::cancelCall { taskid: second.taskid });
    assert_eq!(w.balance(nft), U256::from(TASK_FEE + CALLBACK_FEE));
    // ...and pay for the same input again.
    let (again, logs) = w.ok(OTHER, nft, N::resubmitCall { tokenId: second.tokenId });
    let resubmitted: Vec<N::MintResubmitted> = events(&logs, nft);
    assert_eq!(
        resubmitted,
        vec![N::MintResubmitted { tokenId: second.tokenId, cancelledTask: second.taskid, taskid: again }]
    );
    assert_eq!(task_input(&logs, engine, again)[..], b"{\"prompt\":\"a second tide pool\"}"[..]);
    assert_eq!(w.balance(nft), U256::ZERO);
    assert_eq!(w.view(nft, N::tokenTaskCall { tokenId: second.tokenId }), again);
    assert_eq!(w.view(nft, N::tokenOfTaskCall { taskid: again }), second.tokenId);
    let twice = w.err::<N::TaskNotCancelled, _>(OTHER, nft, N::resubmitCall { tokenId: second.tokenId });
    assert_eq!(twice.taskid, again);

    w.ok(SOLVER, engine, M::solveCall { taskid: again, cid: solution_cid(9) });
    w.ok(SOLVER, engine, M::claimCall { taskid: again });
    let (_, logs) = w.ok(USER, nft, N::retryCall { tokenId: second.tokenId, gasLimit: 200_000 });
    assert_eq!(events::<M::CallbackDelivered>(&logs, engine).len(), 1);
    let meta = metadata(&mut w, nft, 2);
    assert_eq!(meta["image"], format!("ipfs://{}", base58(&solution_cid(9))));
    check_facts(&mut w, &meta, again, "a second tide pool", "fulfilled");
}

// ---- DmlCompetition (A.2) ----

fn submit_plain(w: &mut World, owner: Address, model: B256, input: &str) -> B256 {
    let engine = w.engine;
    let call = M::submitTaskCall {
        version_: 0,
        owner_: owner,
        model_: model,
        fee_: U256::from(TASK_FEE),
        input_: Bytes::copy_from_slice(input.as_bytes()),
    };
    w.ok(owner, engine, call).0
}

#[test]
fn competition_pays_the_picked_entry_and_refuses_everything_else() {
    let mut w = world();
    let engine = w.engine;
    let competition = w.evm.deploy(DEPLOYER, competition_deploy_code(engine));
    let prize = 10_000u64;
    let deadline = START + 1_000;
    w.approve(USER, competition, prize);

    let past = w.err::<C::DeadlineNotInFuture, _>(
        USER,
        competition,
        C::createCall { model: MODEL, deadline: w.evm.now, prize: U256::ZERO },
    );
    assert_eq!(past.deadline, w.evm.now);
    let (id, logs) = w.ok(USER, competition, C::createCall { model: MODEL, deadline, prize: U256::from(prize) });
    assert_eq!(id, U256::from(1u8));
    let created: Vec<C::CompetitionCreated> = events(&logs, competition);
    assert_eq!(
        created,
        vec![C::CompetitionCreated { id, creator: USER, model: MODEL, deadline, prize: U256::from(prize) }]
    );
    assert_eq!(w.balance(competition), U256::from(prize));

    let entry = submit_plain(&mut w, OTHER, MODEL, "{\"prompt\":\"entry\"}");
    let unentered = submit_plain(&mut w, OTHER, MODEL, "{\"prompt\":\"second\"}");
    let elsewhere = submit_plain(&mut w, OTHER, OTHER_MODEL, "{\"prompt\":\"other model\"}");
    let (_, logs) = w.ok(OTHER, competition, C::enterCall { id, taskid: entry });
    assert_eq!(events::<C::Entered>(&logs, competition), vec![C::Entered { id, taskid: entry, entrant: OTHER }]);
    w.err::<C::AlreadyEntered, _>(OTHER, competition, C::enterCall { id, taskid: entry });
    let wrong = w.err::<C::WrongModel, _>(OTHER, competition, C::enterCall { id, taskid: elsewhere });
    assert_eq!((wrong.taskModel, wrong.model), (OTHER_MODEL, MODEL));
    let not_owner = w.err::<C::NotTaskOwner, _>(USER, competition, C::enterCall { id, taskid: unentered });
    assert_eq!((not_owner.caller, not_owner.owner), (USER, OTHER));
    w.err::<C::UnknownTask, _>(OTHER, competition, C::enterCall { id, taskid: B256::repeat_byte(9) });
    w.err::<C::UnknownCompetition, _>(OTHER, competition, C::enterCall { id: U256::from(2u8), taskid: entry });
    assert_eq!(w.view(competition, C::entriesCall { id }), vec![entry]);
    assert!(w.view(competition, C::isEntryCall { id, taskid: entry }));

    w.err::<C::NotCreator, _>(OTHER, competition, C::pickWinnerCall { id, taskid: entry });
    w.err::<C::SolutionNotFinal, _>(USER, competition, C::pickWinnerCall { id, taskid: entry });
    w.err::<C::NotAnEntry, _>(USER, competition, C::pickWinnerCall { id, taskid: unentered });
    w.ok(SOLVER, engine, M::solveCall { taskid: entry, cid: solution_cid(1) });
    w.err::<C::SolutionNotFinal, _>(USER, competition, C::pickWinnerCall { id, taskid: entry });
    w.ok(SOLVER, engine, M::claimCall { taskid: entry });

    // At the deadline entries are closed, but the creator may still pick.
    w.evm.now = deadline;
    w.err::<C::EntriesClosed, _>(OTHER, competition, C::enterCall { id, taskid: unentered });
    let winner_before = w.balance(OTHER);
    let (_, logs) = w.ok(USER, competition, C::pickWinnerCall { id, taskid: entry });
    assert_eq!(
        events::<C::WinnerPicked>(&logs, competition),
        vec![C::WinnerPicked { id, taskid: entry, winner: OTHER, prize: U256::from(prize) }]
    );
    assert_eq!(w.balance(OTHER), winner_before + U256::from(prize));
    assert_eq!(w.balance(competition), U256::ZERO);
    w.err::<C::AlreadySettled, _>(USER, competition, C::pickWinnerCall { id, taskid: entry });
    w.evm.now = deadline + 1;
    w.err::<C::AlreadySettled, _>(USER, competition, C::reclaimCall { id });

    let view = w.view(competition, C::competitionCall { id });
    assert_eq!((view.creator, view.model, view.deadline), (USER, MODEL, deadline));
    assert_eq!((view.prize, view.winningTask, view.reclaimed), (U256::from(prize), entry, false));
    w.err::<C::UnknownCompetition, _>(USER, competition, C::reclaimCall { id: U256::from(7u8) });
}

#[test]
fn competition_without_a_winner_goes_back_to_its_creator_after_the_deadline() {
    let mut w = world();
    let engine = w.engine;
    let competition = w.evm.deploy(DEPLOYER, competition_deploy_code(engine));
    w.approve(USER, competition, 500);
    let deadline = START + 100;
    let (id, _) = w.ok(USER, competition, C::createCall { model: MODEL, deadline, prize: U256::from(500u16) });
    let entry = submit_plain(&mut w, OTHER, MODEL, "{\"prompt\":\"late\"}");
    w.ok(OTHER, competition, C::enterCall { id, taskid: entry });
    w.ok(SOLVER, engine, M::solveCall { taskid: entry, cid: solution_cid(1) });
    w.ok(SOLVER, engine, M::claimCall { taskid: entry });

    let early = w.err::<C::DeadlineNotPassed, _>(USER, competition, C::reclaimCall { id });
    assert_eq!(early.deadline, deadline);
    w.evm.now = deadline + 1;
    let late = w.err::<C::JudgingClosed, _>(USER, competition, C::pickWinnerCall { id, taskid: entry });
    assert_eq!(late.deadline, deadline);
    w.err::<C::NotCreator, _>(OTHER, competition, C::reclaimCall { id });
    let before = w.balance(USER);
    let (_, logs) = w.ok(USER, competition, C::reclaimCall { id });
    assert_eq!(
        events::<C::PrizeReclaimed>(&logs, competition),
        vec![C::PrizeReclaimed { id, creator: USER, prize: U256::from(500u16) }]
    );
    assert_eq!(w.balance(USER), before + U256::from(500u16));
    w.err::<C::AlreadySettled, _>(USER, competition, C::reclaimCall { id });
    assert!(w.view(competition, C::competitionCall { id }).reclaimed);

    // A prize of zero needs no allowance and moves nothing.
    let (free, _) =
        w.ok(OTHER, competition, C::createCall { model: MODEL, deadline: deadline + 10, prize: U256::ZERO });
    assert_eq!(free, U256::from(2u8));
    assert_eq!(w.view(competition, C::competitionCountCall {}), U256::from(2u8));
}

// ---- DmlTaskChain (A.4) ----

const STEP_COST: u64 = TASK_FEE + CALLBACK_FEE;

fn deploy_chain(w: &mut World) -> Address {
    let engine = w.engine;
    let code = task_chain_deploy_code(engine, U256::from(TASK_FEE), U256::from(CALLBACK_FEE), 200_000);
    let chain = w.evm.deploy(DEPLOYER, code);
    w.approve(USER, chain, u64::MAX);
    chain
}

fn start_call(prompt: &str, max_steps: u16, marker: &str, max_length: u32) -> T::startCall {
    T::startCall {
        model: MODEL,
        text: prompt.into(),
        maxSteps: max_steps,
        marker: Bytes::copy_from_slice(marker.as_bytes()),
        maxLength: max_length,
    }
}

fn chain_input(prompt: &[u8], max_length: u32) -> Vec<u8> {
    [&b"{\"prompt\":\""[..], &json_escape(prompt), format!("\",\"max_length\":{max_length}}}").as_bytes()].concat()
}

/// The chain contract holds exactly the deposits of its chains (plus `pending_refunds`: fees the engine refunded
/// for cancelled steps not yet resubmitted).
fn check_books(w: &mut World, chain: Address, pending_refunds: u64) {
    let count = w.view(chain, T::chainCountCall {}).to::<u64>();
    let mut deposits = U256::from(pending_refunds);
    for id in 1..=count {
        deposits += w.view(chain, T::depositOfCall { chainId: U256::from(id) });
    }
    assert_eq!(w.balance(chain), deposits);
}

#[test]
fn task_chain_feeds_each_output_into_the_next_step_until_the_marker() {
    let mut w = world();
    let engine = w.engine;
    let chain = deploy_chain(&mut w);
    let user_before = w.balance(USER);

    let ((id, logs), max_length) = (w.ok(USER, chain, start_call("Once", 5, "THE END", 50)), 50);
    assert_eq!(id, U256::from(1u8));
    let started: Vec<T::ChainStarted> = events(&logs, chain);
    assert_eq!(started.len(), 1);
    assert_eq!((started[0].starter, started[0].model, started[0].maxSteps), (USER, MODEL, 5));
    assert_eq!((started[0].prompt.as_str(), &started[0].marker[..]), ("Once", &b"THE END"[..]));
    assert_eq!(started[0].deposit, U256::from(5 * STEP_COST));
    let submitted: Vec<T::StepSubmitted> = events(&logs, chain);
    let first = submitted[0].taskid;
    assert_eq!(submitted, vec![T::StepSubmitted { chainId: id, step: 1, taskid: first }]);
    assert_eq!(task_input(&logs, engine, first)[..], b"{\"prompt\":\"Once\",\"max_length\":50}"[..]);
    assert_eq!(w.view(chain, T::currentInputCall { chainId: id })[..], b"{\"prompt\":\"Once\",\"max_length\":50}"[..]);
    assert_eq!(w.balance(USER), user_before - U256::from(5 * STEP_COST));
    check_books(&mut w, chain, 0);

    let unsolved = w.err::<T::StepNotSolved, _>(OTHER, chain, T::advanceCall { chainId: id, output: Bytes::new() });
    assert_eq!((unsolved.step, unsolved.taskid), (1, first));

    // The cut at 1,000 bytes from the end falls inside a three-byte character and moves past it.
    let output = format!("Once upon a time{} \"said\" the\\ model!\n", "€".repeat(400));
    let tail = utf8_tail(output.as_bytes(), 1000);
    assert_ne!(tail.len(), 1000);
    let cid = w.cid_of(output.as_bytes());
    let (gas_used, logs) = w.deliver(first, &cid);
    assert!(gas_used < CALLBACK_GAS_BUDGET, "the chain's callback used {gas_used} gas");
    assert_eq!(
        events::<T::StepSolved>(&logs, chain),
        vec![T::StepSolved { chainId: id, step: 1, taskid: first, cid: cid.clone() }]
    );
    assert_eq!(w.view(chain, T::solutionOfCall { taskid: first }), cid);

    let forged = format!("{output}!");
    let mismatch = w.err::<T::OutputMismatch, _>(
        OTHER,
        chain,
        T::advanceCall { chainId: id, output: Bytes::copy_from_slice(forged.as_bytes()) },
    );
    assert_eq!((mismatch.expected.clone(), mismatch.actual.clone()), (cid.clone(), w.cid_of(forged.as_bytes())));

    let (_, logs) =
        w.ok(OTHER, chain, T::advanceCall { chainId: id, output: Bytes::copy_from_slice(output.as_bytes()) });
    let submitted: Vec<T::StepSubmitted> = events(&logs, chain);
    let second = submitted[0].taskid;
    assert_eq!(submitted, vec![T::StepSubmitted { chainId: id, step: 2, taskid: second }]);
    let input = task_input(&logs, engine, second);
    assert_eq!(input.to_vec(), chain_input(&tail, max_length));
    let parsed: Value = serde_json::from_slice(&input).unwrap();
    assert_eq!(parsed["prompt"], String::from_utf8(tail.clone()).unwrap());
    assert_eq!(parsed["max_length"], 50);
    assert_eq!(w.view(chain, T::currentPromptCall { chainId: id }).to_vec(), tail);
    assert_eq!(w.view(chain, T::chainTasksCall { chainId: id }), vec![first, second]);
    let step = w.view(chain, T::stepOfTaskCall { taskid: second });
    assert_eq!((step.chainId, step.step), (id, 2));
    assert_eq!(w.view(chain, T::depositOfCall { chainId: id }), U256::from(3 * STEP_COST));
    check_books(&mut w, chain, 0);

    // The second output contains the marker: the chain ends and the three unused steps go back.
    let output = [&tail[..], b" and they lived on. THE END"].concat();
    let cid = w.cid_of(&output);
    w.deliver(second, &cid);
    let before = w.balance(USER);
    let (_, logs) = w.ok(OTHER, chain, T::advanceCall { chainId: id, output: output.into() });
    assert_eq!(
        events::<T::ChainFinished>(&logs, chain),
        vec![T::ChainFinished { chainId: id, steps: 2, reason: ChainFinishReason::Marker.code() }]
    );
    assert_eq!(
        events::<T::DepositRefunded>(&logs, chain),
        vec![T::DepositRefunded { chainId: id, starter: USER, amount: U256::from(3 * STEP_COST) }]
    );
    assert_eq!(w.balance(USER), before + U256::from(3 * STEP_COST));
    assert!(events::<T::StepSubmitted>(&logs, chain).is_empty());
    let view = w.view(chain, T::chainCall { chainId: id });
    assert!(view.finished);
    assert_eq!((view.steps, view.maxSteps, view.maxLength, view.currentTask), (2, 5, 50, second));
    assert_eq!(view.marker[..], b"THE END"[..]);
    assert_eq!(w.view(chain, T::finishReasonCall { chainId: id }), ChainFinishReason::Marker.code());
    assert_eq!(w.view(chain, T::depositOfCall { chainId: id }), U256::ZERO);
    check_books(&mut w, chain, 0);
    w.err::<T::ChainAlreadyFinished, _>(OTHER, chain, T::advanceCall { chainId: id, output: Bytes::new() });
    w.err::<T::ChainAlreadyFinished, _>(OTHER, chain, T::resubmitCall { chainId: id });
    w.err::<T::ChainAlreadyFinished, _>(USER, chain, T::stopCall { chainId: id });
}

#[test]
fn task_chain_ends_at_its_step_limit_and_at_an_unusable_output() {
    let mut w = world();
    let chain = deploy_chain(&mut w);

    let (one, logs) = w.ok(USER, chain, start_call("Only once", 1, "", 10));
    let task = events::<T::StepSubmitted>(&logs, chain)[0].taskid;
    let output = b"Only once, and done".to_vec();
    let cid = w.cid_of(&output);
    w.deliver(task, &cid);
    let (_, logs) = w.ok(OTHER, chain, T::advanceCall { chainId: one, output: output.into() });
    assert_eq!(
        events::<T::ChainFinished>(&logs, chain),
        vec![T::ChainFinished { chainId: one, steps: 1, reason: ChainFinishReason::MaxSteps.code() }]
    );
    assert!(events::<T::DepositRefunded>(&logs, chain).is_empty(), "every step was spent");

    for (n, output) in [vec![0xffu8, 0xfe], Vec::new()].into_iter().enumerate() {
        let (id, logs) = w.ok(USER, chain, start_call("Broken", 3, "", 10));
        let task = events::<T::StepSubmitted>(&logs, chain)[0].taskid;
        let cid = w.cid_of(&output);
        w.deliver(task, &cid);
        let before = w.balance(USER);
        let (_, logs) = w.ok(OTHER, chain, T::advanceCall { chainId: id, output: output.into() });
        let finished = events::<T::ChainFinished>(&logs, chain);
        assert_eq!(finished[0].reason, ChainFinishReason::UnusableOutput.code(), "output {n}");
        assert_eq!(w.balance(USER), before + U256::from(2 * STEP_COST));
    }
    check_books(&mut w, chain, 0);
}

#[test]
fn task_chain_resubmits_a_cancelled_step_and_its_starter_may_stop_it() {
    let mut w = world();
    let engine = w.engine;
    let chain = deploy_chain(&mut w);
    let user_before = w.balance(USER);
    let (id, logs) = w.ok(USER, chain, start_call("Tell me \"why\"", 3, "", 20));
    let first = events::<T::StepSubmitted>(&logs, chain)[0].taskid;
    let first_input = task_input(&logs, engine, first);

    w.err::<T::NotStarter, _>(OTHER, chain, T::stopCall { chainId: id });
    let pending = w.err::<T::StepPending, _>(USER, chain, T::stopCall { chainId: id });
    assert_eq!((pending.step, pending.taskid), (1, first));
    let not_cancelled = w.err::<T::TaskNotCancelled, _>(OTHER, chain, T::resubmitCall { chainId: id });
    assert_eq!(not_cancelled.status, 1);

    w.ok(SOLVER, engine, M::solveCall { taskid: first, cid: solution_cid(3) });
    w.ok(OTHER, engine, M::cancelCall { taskid: first });
    check_books(&mut w, chain, STEP_COST);
    let (replacement, logs) = w.ok(OTHER, chain, T::resubmitCall { chainId: id });
    assert_eq!(
        events::<T::StepResubmitted>(&logs, chain),
        vec![T::StepResubmitted { chainId: id, step: 1, cancelledTask: first, taskid: replacement }]
    );
    assert_eq!(task_input(&logs, engine, replacement), first_input);
    assert_eq!(w.view(chain, T::chainTasksCall { chainId: id }), vec![replacement]);
    let step = w.view(chain, T::stepOfTaskCall { taskid: replacement });
    assert_eq!((step.chainId, step.step), (id, 1));
    assert_eq!(w.view(chain, T::depositOfCall { chainId: id }), U256::from(2 * STEP_COST));
    check_books(&mut w, chain, 0);

    w.deliver(replacement, &solution_cid(4));
    let (_, logs) = w.ok(USER, chain, T::stopCall { chainId: id });
    assert_eq!(
        events::<T::ChainFinished>(&logs, chain),
        vec![T::ChainFinished { chainId: id, steps: 1, reason: ChainFinishReason::Stopped.code() }]
    );
    assert_eq!(w.balance(USER), user_before - U256::from(STEP_COST), "one step was paid for");

    // A chain whose only step was cancelled stops with its whole deposit back.
    let before = w.balance(USER);
    let (id, logs) = w.ok(USER, chain, start_call("Again", 3, "", 20));
    let task = events::<T::StepSubmitted>(&logs, chain)[0].taskid;
    w.ok(SOLVER, engine, M::solveCall { taskid: task, cid: solution_cid(5) });
    w.ok(OTHER, engine, M::cancelCall { taskid: task });
    w.ok(USER, chain, T::stopCall { chainId: id });
    assert_eq!(w.balance(USER), before);
    check_books(&mut w, chain, 0);
    assert_eq!(w.balance(chain), U256::ZERO);
}

#[test]
fn task_chain_retries_a_failed_callback() {
    let mut w = world();
    let engine = w.engine;
    // Too little gas to store a CID: the delivery runs out of gas.
    let code = task_chain_deploy_code(engine, U256::from(TASK_FEE), U256::from(CALLBACK_FEE), 25_000);
    let chain = w.evm.deploy(DEPLOYER, code);
    w.approve(USER, chain, u64::MAX);
    let (id, logs) = w.ok(USER, chain, start_call("Retry", 2, "", 20));
    let task = events::<T::StepSubmitted>(&logs, chain)[0].taskid;
    let output = b"Retry, retry".to_vec();
    let cid = w.cid_of(&output);
    let logs = w.solve_and_claim(task, &cid);
    assert_eq!(events::<M::CallbackFailed>(&logs, engine).len(), 1);
    let failed = w.err::<T::StepPending, _>(USER, chain, T::stopCall { chainId: id });
    assert_eq!(failed.taskid, task);
    w.err::<T::StepNotSolved, _>(OTHER, chain, T::advanceCall { chainId: id, output: output.clone().into() });
    let (_, logs) = w.ok(OTHER, chain, T::retryCall { chainId: id, gasLimit: 200_000 });
    assert_eq!(events::<T::StepSolved>(&logs, chain).len(), 1);
    check_books(&mut w, chain, 0);
    let (_, logs) = w.ok(OTHER, chain, T::advanceCall { chainId: id, output: output.into() });
    assert_eq!(events::<T::StepSubmitted>(&logs, chain)[0].step, 2);
}

#[test]
fn task_chain_refuses_bad_starts() {
    let mut w = world();
    let chain = deploy_chain(&mut w);
    let long = "x".repeat(1001);
    let cases: Vec<(T::startCall, Vec<u8>)> = vec![
        (
            start_call("", 1, "", 10),
            T::InvalidPromptLength { length: U256::ZERO, maxLength: U256::from(1000u16) }.abi_encode(),
        ),
        (
            start_call(&long, 1, "", 10),
            T::InvalidPromptLength { length: U256::from(1001u16), maxLength: U256::from(1000u16) }.abi_encode(),
        ),
        (start_call("p", 0, "", 10), T::InvalidMaxSteps { maxSteps: 0 }.abi_encode()),
        (start_call("p", 1, "", 0), T::InvalidMaxLength { maxLength: 0 }.abi_encode()),
        (start_call("p", 1, "", 1001), T::InvalidMaxLength { maxLength: 1001 }.abi_encode()),
        (
            start_call("p", 1, &"m".repeat(257), 10),
            T::MarkerTooLong { length: U256::from(257u16), maxLength: U256::from(256u16) }.abi_encode(),
        ),
        (start_call("the END is near", 1, "END", 10), T::MarkerInPrompt {}.abi_encode()),
    ];
    for (call, expected) in cases {
        let Reverted(data) = w.evm.transact(USER, chain, call).unwrap_err();
        assert_eq!(data.to_vec(), expected);
    }
    let stranger =
        w.err::<T::NotEngine, _>(OTHER, chain, T::onTaskSolvedCall { taskid: B256::ZERO, cid: Bytes::new() });
    assert_eq!(stranger.caller, OTHER);
    w.err::<T::UnknownChain, _>(OTHER, chain, T::advanceCall { chainId: U256::from(5u8), output: Bytes::new() });
    w.ok(USER, chain, start_call(&"é".repeat(500), 1, "", 1000));
}

// ---- TestTaskReceiver (the engine's callback fixture) ----

#[test]
fn test_task_receiver_records_refuses_burns_and_reenters() {
    let mut w = world();
    let engine = w.engine;
    let receiver = w.evm.deploy(DEPLOYER, test_task_receiver_deploy_code(engine));
    w.ok(DEPLOYER, engine, M::mintCall { to: receiver, amount: U256::from(1_000_000u64) });
    let gas_limit = 300_000u64;
    let submit = |w: &mut World, tag: u8| -> B256 {
        let call = R::submitWithCallbackCall {
            model: MODEL,
            fee: U256::from(100u8),
            input: Bytes::from(vec![b'{', tag, b'}']),
            gasLimit: gas_limit,
            callbackFee: U256::from(10u8),
        };
        let (taskid, logs) = w.ok(OTHER, receiver, call);
        assert_eq!(events::<R::Submitted>(&logs, receiver), vec![R::Submitted { taskid }]);
        taskid
    };

    let recorded = submit(&mut w, b'0');
    let (_, logs) = w.deliver(recorded, &solution_cid(1));
    assert_eq!(events::<R::Received>(&logs, receiver), vec![R::Received { taskid: recorded, cid: solution_cid(1) }]);
    assert_eq!(w.view(receiver, R::countCall {}), U256::from(1u8));
    assert_eq!(w.view(receiver, R::lastTaskCall {}), recorded);
    assert_eq!(w.view(receiver, R::lastCidCall {}), solution_cid(1));
    let gas_left = w.view(receiver, R::lastGasLeftCall {}).to::<u64>();
    assert!(gas_left < gas_limit && gas_left > gas_limit - 1_000, "gasleft() on entry was {gas_left}");

    let reentrancy = M::ReentrancyGuardReentrantCall {}.abi_encode();
    for (mode, tag) in [(1u8, b'1'), (2, b'2'), (3, b'3'), (4, b'4')] {
        w.ok(OTHER, receiver, R::setModeCall { mode_: mode });
        let taskid = submit(&mut w, tag);
        let logs = w.solve_and_claim(taskid, &solution_cid(tag));
        let failed: Vec<M::CallbackFailed> = events(&logs, engine);
        assert_eq!(failed.len(), 1, "mode {mode}");
        let expected = match mode {
            1 => R::Refused { taskid }.abi_encode(),
            2 => Vec::new(),
            _ => reentrancy.clone(),
        };
        assert_eq!(failed[0].reason.to_vec(), expected, "mode {mode}");
        if mode == 1 {
            // The requester itself asks for the redelivery once it accepts.
            w.ok(OTHER, receiver, R::setModeCall { mode_: 0 });
            let (_, logs) = w.ok(OTHER, receiver, R::retryCall { taskid, gasLimit: 0 });
            assert_eq!(events::<R::Received>(&logs, receiver).len(), 1);
        }
    }
    assert_eq!(w.view(receiver, R::countCall {}), U256::from(2u8));
    assert_eq!(w.err::<R::UnknownMode, _>(OTHER, receiver, R::setModeCall { mode_: 5 }).mode, 5);
    assert_eq!(
        w.err::<R::NotEngine, _>(OTHER, receiver, R::onTaskSolvedCall { taskid: B256::ZERO, cid: Bytes::new() }).caller,
        OTHER
    );
}

// ---- properties ----

/// Text with what JSON must escape (quotes, backslashes, control characters) and multi-byte characters.
fn tricky_text(max_chars: usize) -> impl Strategy<Value = String> {
    let char = prop_oneof![
        4 => proptest::char::range('a', 'z'),
        1 => proptest::char::range('\u{0}', '\u{1f}'),
        1 => Just('"'),
        1 => Just('\\'),
        1 => Just('/'),
        1 => Just('\u{7f}'),
        1 => Just('é'),
        1 => Just('€'),
        1 => Just('𝄞'),
        1 => any::<char>(),
    ];
    proptest::collection::vec(char, 1..=max_chars).prop_map(|chars| chars.into_iter().collect())
}

/// Bytes near UTF-8's edges: ASCII, continuation bytes, every lead-byte class and the invalid ones.
fn utf8_edge_bytes() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        4 => 0x20u8..0x7f,
        4 => 0x80u8..=0xbf,
        1 => prop::sample::select(vec![0xc0u8, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xff]),
        1 => prop::sample::select(vec![0x8fu8, 0x90, 0x9f, 0xa0]),
    ];
    proptest::collection::vec(byte, 1..24)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Any prompt becomes the documented JSON input, which parses back to it, and the metadata stays JSON.
    #[test]
    fn prompts_round_trip_through_the_task_input_and_the_metadata(prompt in tricky_text(120)) {
        prop_assume!(prompt.len() <= 1000);
        let mut w = world();
        let nft = deploy_nft(&mut w, 200_000);
        let engine = w.engine;
        w.approve(USER, nft, u64::MAX);
        let (minted, logs) = w.ok(USER, nft, N::mintCall { text: prompt.clone() });
        let input = task_input(&logs, engine, minted.taskid);
        let expected = [&b"{\"prompt\":\""[..], &json_escape(prompt.as_bytes()), b"\"}"].concat();
        prop_assert_eq!(input.to_vec(), expected);
        let parsed: Value = serde_json::from_slice(&input).unwrap();
        prop_assert_eq!(&parsed["prompt"], &Value::from(prompt.as_str()));
        let meta = metadata(&mut w, nft, 1);
        prop_assert_eq!(&meta["description"], &Value::from(prompt.as_str()));
        prop_assert_eq!(&meta["properties"]["prompt"], &Value::from(prompt.as_str()));
    }

    /// The contracts accept exactly the prompts Rust's UTF-8 validation accepts.
    #[test]
    fn prompts_are_accepted_exactly_when_they_are_utf8(bytes in utf8_edge_bytes()) {
        let mut w = world();
        let nft = deploy_nft(&mut w, 200_000);
        w.approve(USER, nft, u64::MAX);
        let mut calldata = N::mintCall::SELECTOR.to_vec();
        calldata.extend((Bytes::from(bytes.clone()),).abi_encode_params());
        let outcome = w.raw(USER, nft, calldata);
        match std::str::from_utf8(&bytes) {
            Ok(_) => prop_assert!(outcome.is_ok(), "valid UTF-8 {:02x?} refused", bytes),
            Err(_) => prop_assert_eq!(outcome.unwrap_err().to_vec(), N::PromptNotUtf8 {}.abi_encode()),
        }
    }

    /// The next step's prompt is the output's last 1,000 bytes from a character boundary, escaped into the input.
    #[test]
    fn the_next_prompt_is_the_outputs_utf8_tail(output in tricky_text(700)) {
        let mut w = world();
        let engine = w.engine;
        let chain = deploy_chain(&mut w);
        let (id, logs) = w.ok(USER, chain, start_call("seed", 2, "", 100));
        let first = events::<T::StepSubmitted>(&logs, chain)[0].taskid;
        let cid = w.cid_of(output.as_bytes());
        w.deliver(first, &cid);
        let (_, logs) = w.ok(OTHER, chain, T::advanceCall { chainId: id, output: Bytes::copy_from_slice(output.as_bytes()) });
        let tail = utf8_tail(output.as_bytes(), 1000);
        prop_assert!(tail.len() <= 1000 && !tail.is_empty());
        let second = events::<T::StepSubmitted>(&logs, chain)[0].taskid;
        prop_assert_eq!(task_input(&logs, engine, second).to_vec(), chain_input(&tail, 100));
        prop_assert_eq!(w.view(chain, T::currentPromptCall { chainId: id }).to_vec(), tail);
    }
}
