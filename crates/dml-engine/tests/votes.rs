//! Votes, permits and signed delegation in the DML token, as OpenZeppelin's
//! `ERC20Votes` and `ERC20Permit` behave; the pause guardian; models with
//! their reward rates at genesis. Signatures are made by alloy's signer over
//! alloy's own EIP-712 hashing, not the engine's.

mod support;

use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use dml_engine::{CallError, Contract, Genesis, GenesisModel};
use dml_primitives::{
    alloy_sol_types::{eip712_domain, Eip712Domain, SolStruct},
    Address, Bytes, Checkpoint208, Delegation, IDmlToken, IEngine, Permit, SolCall, SolError, SolEvent, B256,
    DEV_CHAIN_ID, ONE_DML, U256,
};
use support::*;

fn domain(w: &World) -> Eip712Domain {
    eip712_domain! {
        name: "DML",
        version: "1",
        chain_id: DEV_CHAIN_ID,
        verifying_contract: w.contracts.token,
    }
}

/// A world whose first three holders have keys, with 1,000 DML each.
fn signers_world() -> (World, Vec<PrivateKeySigner>) {
    let signers: Vec<PrivateKeySigner> =
        (1..=3u8).map(|i| PrivateKeySigner::from_bytes(&B256::repeat_byte(i)).unwrap()).collect();
    let mut config = Genesis::new(Address::repeat_byte(0x01));
    for signer in &signers {
        config.allocations.push((signer.address(), dml(1_000)));
    }
    config.allocations.push((account(0), dml(10_000)));
    config.timestamp = START_TIME;
    (World::from_genesis(config), signers)
}

fn custom_error(result: Result<dml_engine::Outcome, CallError>) -> Bytes {
    match result {
        Err(CallError::CustomError { data, .. }) => data,
        other => panic!("expected a custom error, got {other:?}"),
    }
}

fn votes(w: &mut World, who: Address) -> U256 {
    w.token(who, IDmlToken::getVotesCall { account: who }).unwrap()
}

fn token_call<C: SolCall>(w: &mut World, from: Address, call: C) -> Result<dml_engine::Outcome, CallError> {
    w.raw(from, Contract::Token, &call.abi_encode())
}

#[test]
fn balances_vote_only_once_delegated_and_every_transfer_moves_them() {
    let mut w = World::new();
    let (a, b, c) = (account(0), account(1), account(2));
    assert_eq!(votes(&mut w, a), U256::ZERO, "no votes until delegated");
    assert!(w.token(a, IDmlToken::delegatesCall { account: a }).unwrap().is_zero());

    w.token(a, IDmlToken::delegateCall { delegatee: a }).unwrap();
    let logs = w.last_logs.clone();
    assert_eq!(logs.len(), 2);
    let changed = IDmlToken::DelegateChanged::decode_raw_log(logs[0].topics.iter().copied(), &logs[0].data).unwrap();
    assert_eq!((changed.delegator, changed.fromDelegate, changed.toDelegate), (a, Address::ZERO, a));
    let moved = IDmlToken::DelegateVotesChanged::decode_raw_log(logs[1].topics.iter().copied(), &logs[1].data).unwrap();
    assert_eq!((moved.delegate, moved.previousVotes, moved.newVotes), (a, U256::ZERO, dml(10_000)));
    assert_eq!(votes(&mut w, a), dml(10_000));

    // b delegates to c; a transfer from a to b moves votes from a to c.
    w.token(b, IDmlToken::delegateCall { delegatee: c }).unwrap();
    assert_eq!(votes(&mut w, c), dml(10_000));
    assert_eq!(votes(&mut w, b), U256::ZERO, "delegating gives the votes away");
    w.next_block(5);
    w.token(a, IDmlToken::transferCall { to: b, amount: dml(250) }).unwrap();
    let topics: Vec<B256> = w.last_logs.iter().map(|l| l.topics[0]).collect();
    assert_eq!(
        topics,
        [
            IDmlToken::Transfer::SIGNATURE_HASH,
            IDmlToken::DelegateVotesChanged::SIGNATURE_HASH,
            IDmlToken::DelegateVotesChanged::SIGNATURE_HASH
        ],
        "OZ's order: the transfer, then each side's votes"
    );
    assert_eq!(votes(&mut w, a), dml(9_750));
    assert_eq!(votes(&mut w, c), dml(10_250));

    // Stake held by the engine does not vote.
    w.deposit(a, dml(1_000));
    assert_eq!(votes(&mut w, a), dml(8_750));
    let engine = w.contracts.engine;
    let refused = token_call(&mut w, engine, IDmlToken::delegateCall { delegatee: a }).unwrap_err();
    assert_eq!(refused.reason(), Some("the engine's stake does not vote"));

    // Re-delegating moves the whole balance; delegating to zero removes it.
    w.token(b, IDmlToken::delegateCall { delegatee: a }).unwrap();
    assert_eq!((votes(&mut w, a), votes(&mut w, c)), (dml(8_750) + dml(10_250), U256::ZERO));
    w.token(b, IDmlToken::delegateCall { delegatee: Address::ZERO }).unwrap();
    assert_eq!(votes(&mut w, a), dml(8_750));
}

#[test]
fn mints_move_votes_and_the_supply_checkpoints() {
    let mut w = World::new();
    let solver = account(3);
    w.token(solver, IDmlToken::delegateCall { delegatee: solver }).unwrap();
    let model = w.register_model(account(0), account(0), U256::ZERO, r#"{"name":"m"}"#);
    w.enable_rewards(model);
    w.deposit(solver, dml(100));
    let before = votes(&mut w, solver);
    let supply_before = w.total_supply();
    let task = w.submit_task(account(1), model, U256::ZERO, r#"{"p":1}"#);
    w.next_block(1);
    w.solve(solver, task, &output_cid(7));
    w.next_block(3_000);
    w.claim(task).unwrap();
    let minted = w.total_supply() - supply_before;
    assert!(minted > U256::ZERO);
    let gained = votes(&mut w, solver) - before;
    // The solver's share of the mint, less nothing: its escrowed slash came back as stake, not balance.
    let balance_gain = w.balance(solver) - (dml(10_000) - dml(100));
    assert_eq!(gained, balance_gain, "the solver's delegate gained what its balance gained");
    w.next_block(1);
    let claimed_at = U256::from(w.time - 1);
    let past = w.token(solver, IDmlToken::getPastTotalSupplyCall { timepoint: claimed_at }).unwrap();
    assert_eq!(past, w.total_supply());
    let genesis = w.token(solver, IDmlToken::getPastTotalSupplyCall { timepoint: U256::from(START_TIME) }).unwrap();
    assert_eq!(genesis, supply_before, "the allocation is checkpointed at genesis");
}

#[test]
fn past_look_ups_must_be_in_the_past_and_checkpoints_are_per_second() {
    let mut w = World::new();
    let (a, b) = (account(0), account(1));
    assert_eq!(w.token(a, IDmlToken::clockCall {}).unwrap().to::<u64>(), w.time);
    assert_eq!(w.token(a, IDmlToken::CLOCK_MODECall {}).unwrap(), "mode=timestamp");

    w.token(a, IDmlToken::delegateCall { delegatee: a }).unwrap();
    // Three changes in the same second: one checkpoint holding the last value.
    w.token(a, IDmlToken::transferCall { to: b, amount: dml(1) }).unwrap();
    w.token(a, IDmlToken::transferCall { to: b, amount: dml(1) }).unwrap();
    assert_eq!(w.token(a, IDmlToken::numCheckpointsCall { account: a }).unwrap(), 1);
    let first = w.token(a, IDmlToken::checkpointsCall { account: a, pos: 0 }).unwrap();
    assert_eq!(first, Checkpoint208 { _key: w.time.try_into().unwrap(), _value: dml(9_998).to() });
    let delegated_at = w.time;

    let now = U256::from(w.time);
    let data = custom_error(token_call(&mut w, a, IDmlToken::getPastVotesCall { account: a, timepoint: now }));
    let error = IDmlToken::ERC5805FutureLookup::abi_decode(&data).unwrap();
    assert_eq!((error.timepoint, error.clock.to::<u64>()), (now, w.time));
    let later = U256::from(w.time + 100);
    let data = custom_error(token_call(&mut w, a, IDmlToken::getPastTotalSupplyCall { timepoint: later }));
    assert!(IDmlToken::ERC5805FutureLookup::abi_decode(&data).is_ok());

    // Second and third checkpoints land in one word, the fourth in the next.
    for step in 1..=3u64 {
        w.next_block(10);
        w.token(a, IDmlToken::transferCall { to: b, amount: dml(step) }).unwrap();
    }
    assert_eq!(w.token(a, IDmlToken::numCheckpointsCall { account: a }).unwrap(), 4);
    w.next_block(1);
    let at = |t: u64| U256::from(t);
    let past =
        |w: &mut World, t: u64| w.token(a, IDmlToken::getPastVotesCall { account: a, timepoint: at(t) }).unwrap();
    assert_eq!(past(&mut w, delegated_at - 1), U256::ZERO, "before delegating");
    assert_eq!(past(&mut w, delegated_at), dml(9_998));
    assert_eq!(past(&mut w, delegated_at + 9), dml(9_998));
    assert_eq!(past(&mut w, delegated_at + 10), dml(9_997));
    assert_eq!(past(&mut w, delegated_at + 25), dml(9_995));
    assert_eq!(past(&mut w, delegated_at + 30), dml(9_992));

    let data = custom_error(token_call(&mut w, a, IDmlToken::checkpointsCall { account: a, pos: 4 }));
    let panic = dml_primitives::alloy_sol_types::Panic::abi_decode(&data).unwrap();
    assert_eq!(panic.code, U256::from(0x32), "an index past the end is Solidity's array panic");
}

#[test]
fn the_eip712_domain_is_the_standard_one() {
    let (mut w, _) = signers_world();
    let separator = w.token(account(0), IDmlToken::DOMAIN_SEPARATORCall {}).unwrap();
    assert_eq!(separator, domain(&w).separator());
    let fields = w.token(account(0), IDmlToken::eip712DomainCall {}).unwrap();
    assert_eq!(fields.fields.0, [0x0f]);
    assert_eq!((fields.name.as_str(), fields.version.as_str()), ("DML", "1"));
    assert_eq!(fields.chainId, U256::from(DEV_CHAIN_ID));
    assert_eq!(fields.verifyingContract, w.contracts.token);
    assert!(fields.salt.is_zero() && fields.extensions.is_empty());
}

fn sign(signer: &PrivateKeySigner, digest: B256) -> (u8, B256, B256) {
    let signature = signer.sign_hash_sync(&digest).unwrap();
    (27 + signature.v() as u8, B256::from(signature.r()), B256::from(signature.s()))
}

fn permit_call(
    w: &World,
    signer: &PrivateKeySigner,
    spender: Address,
    value: U256,
    nonce: u64,
    deadline: u64,
) -> IDmlToken::permitCall {
    let message =
        Permit { owner: signer.address(), spender, value, nonce: U256::from(nonce), deadline: U256::from(deadline) };
    let (v, r, s) = sign(signer, message.eip712_signing_hash(&domain(w)));
    IDmlToken::permitCall { owner: signer.address(), spender, value, deadline: U256::from(deadline), v, r, s }
}

#[test]
fn permit_approves_once_by_signature() {
    let (mut w, signers) = signers_world();
    let owner = &signers[0];
    let spender = account(5);
    let deadline = w.time + 600;
    let call = permit_call(&w, owner, spender, dml(40), 0, deadline);
    // Anyone may submit it (here the spender, who pays the gas).
    w.token(spender, call.clone()).unwrap();
    assert_eq!(w.last_logs[0].topics[0], IDmlToken::Approval::SIGNATURE_HASH);
    let allowance = w.token(spender, IDmlToken::allowanceCall { owner: owner.address(), spender }).unwrap();
    assert_eq!(allowance, dml(40));
    assert_eq!(w.token(spender, IDmlToken::noncesCall { owner: owner.address() }).unwrap(), U256::from(1));
    w.token(spender, IDmlToken::transferFromCall { from: owner.address(), to: spender, amount: dml(40) }).unwrap();

    // Replayed: the nonce moved on, so it recovers to someone else.
    let before = w.storage.clone();
    let data = custom_error(token_call(&mut w, spender, call));
    let error = IDmlToken::ERC2612InvalidSigner::abi_decode(&data).unwrap();
    assert_eq!(error.owner, owner.address());
    assert_ne!(error.signer, owner.address());
    assert_eq!(w.storage, before, "a refused permit changes nothing");

    // Signed by another key for this owner.
    let message =
        Permit { owner: owner.address(), spender, value: dml(1), nonce: U256::from(1), deadline: U256::from(deadline) };
    let (v, r, s) = sign(&signers[1], message.eip712_signing_hash(&domain(&w)));
    let forged = IDmlToken::permitCall {
        owner: owner.address(),
        spender,
        value: dml(1),
        deadline: U256::from(deadline),
        v,
        r,
        s,
    };
    let data = custom_error(token_call(&mut w, spender, forged));
    let error = IDmlToken::ERC2612InvalidSigner::abi_decode(&data).unwrap();
    assert_eq!(error.signer, signers[1].address());

    // Past its deadline.
    let late = permit_call(&w, owner, spender, dml(1), 1, w.time - 1);
    let data = custom_error(token_call(&mut w, spender, late));
    assert_eq!(IDmlToken::ERC2612ExpiredSignature::abi_decode(&data).unwrap().deadline, U256::from(w.time - 1));

    // The malleable twin (s' = n - s, v flipped) of a valid signature.
    let mut twin = permit_call(&w, owner, spender, dml(1), 1, deadline);
    let order = U256::from_str_radix("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141", 16).unwrap();
    twin.s = B256::from(order - U256::from_be_bytes(twin.s.0));
    twin.v = if twin.v == 27 { 28 } else { 27 };
    let data = custom_error(token_call(&mut w, spender, twin));
    assert!(IDmlToken::ECDSAInvalidSignatureS::abi_decode(&data).is_ok());

    // A v that is neither 27 nor 28 recovers nothing.
    let mut bad_v = permit_call(&w, owner, spender, dml(1), 1, deadline);
    bad_v.v = 29;
    let data = custom_error(token_call(&mut w, spender, bad_v));
    assert!(IDmlToken::ECDSAInvalidSignature::abi_decode(&data).is_ok());

    // The next nonce still works.
    w.token(spender, permit_call(&w, owner, spender, dml(2), 1, deadline)).unwrap();
}

fn delegation_call(
    w: &World,
    signer: &PrivateKeySigner,
    delegatee: Address,
    nonce: u64,
    expiry: u64,
) -> IDmlToken::delegateBySigCall {
    let message = Delegation { delegatee, nonce: U256::from(nonce), expiry: U256::from(expiry) };
    let (v, r, s) = sign(signer, message.eip712_signing_hash(&domain(w)));
    IDmlToken::delegateBySigCall { delegatee, nonce: U256::from(nonce), expiry: U256::from(expiry), v, r, s }
}

#[test]
fn delegate_by_sig_delegates_the_signer_once() {
    let (mut w, signers) = signers_world();
    let holder = &signers[0];
    let delegatee = signers[1].address();
    let relayer = account(0);
    let call = delegation_call(&w, holder, delegatee, 0, w.time + 60);
    w.token(relayer, call.clone()).unwrap();
    assert_eq!(w.token(relayer, IDmlToken::delegatesCall { account: holder.address() }).unwrap(), delegatee);
    assert_eq!(votes(&mut w, delegatee), dml(1_000));
    assert!(votes(&mut w, relayer).is_zero(), "the relayer's own delegation is untouched");

    // Replayed: the nonce was used.
    let data = custom_error(token_call(&mut w, relayer, call));
    let error = IDmlToken::InvalidAccountNonce::abi_decode(&data).unwrap();
    assert_eq!((error.account, error.currentNonce), (holder.address(), U256::from(1)));

    // Expired.
    let expired = delegation_call(&w, holder, relayer, 1, w.time - 1);
    let data = custom_error(token_call(&mut w, relayer, expired));
    assert!(IDmlToken::VotesExpiredSignature::abi_decode(&data).is_ok());

    // Permit and delegation share the nonce: a permit uses nonce 1, so a
    // delegation signed with nonce 1 is now out of turn.
    let deadline = w.time + 60;
    w.token(relayer, permit_call(&w, holder, relayer, dml(1), 1, deadline)).unwrap();
    let stale = delegation_call(&w, holder, relayer, 1, w.time + 60);
    let data = custom_error(token_call(&mut w, relayer, stale));
    assert_eq!(IDmlToken::InvalidAccountNonce::abi_decode(&data).unwrap().currentNonce, U256::from(2));
    assert_eq!(w.token(relayer, IDmlToken::delegatesCall { account: holder.address() }).unwrap(), delegatee);
}

#[test]
fn the_guardian_may_pause_but_only_the_owner_unpauses() {
    let mut w = World::new();
    let owner = w.owner;
    let guardian = account(7);
    w.engine(owner, IEngine::transferPauserCall { to_: guardian }).unwrap();
    w.expect_revert(account(8), IEngine::setPausedCall { paused_: true }, "not pauser");
    w.engine(guardian, IEngine::setPausedCall { paused_: true }).unwrap();
    assert!(w.engine(owner, IEngine::pausedCall {}).unwrap());
    w.expect_revert(guardian, IEngine::setPausedCall { paused_: false }, "only the owner may unpause");
    w.expect_revert(guardian, IEngine::transferPauserCall { to_: guardian }, "Ownable: caller is not the owner");
    w.engine(owner, IEngine::setPausedCall { paused_: false }).unwrap();
    assert!(!w.engine(owner, IEngine::pausedCall {}).unwrap());
    // The owner may also pause.
    w.engine(owner, IEngine::setPausedCall { paused_: true }).unwrap();
}

#[test]
fn genesis_models_are_registered_with_their_rates() {
    let author = account(4);
    let template = Bytes::from_static(br#"{"name":"genesis model"}"#);
    let mut config = Genesis::new(Address::repeat_byte(0x01));
    config.models.push(GenesisModel {
        addr: author,
        fee: dml(1),
        rate: ONE_DML * U256::from(2),
        template: template.clone(),
    });
    let mut w = World::from_genesis(config.clone());
    let cid = w.engine(author, IEngine::generateIPFSCIDCall { content_: template.clone() }).unwrap();
    let model = dml_primitives::Model { fee: dml(1), addr: author, rate: U256::ZERO, cid };
    let id = w.engine(author, IEngine::hashModelCall { o_: model, sender_: author }).unwrap();
    let record = w.engine(author, IEngine::modelsCall { model: id }).unwrap();
    assert_eq!((record.addr, record.fee, record.rate), (author, dml(1), ONE_DML * U256::from(2)));
    // Registering it again is refused as a duplicate, as it would be on chain.
    let again = w.engine(author, IEngine::registerModelCall { addr_: author, fee_: dml(1), template_: template });
    assert_eq!(again.unwrap_err(), "execution reverted: model already registered");

    config.models[0].addr = Address::ZERO;
    let error = dml_engine::genesis(&mut dml_engine::MemoryStorage::new(), &config).unwrap_err();
    assert_eq!(error.to_string(), "genesis model: address must be non-zero");
}
