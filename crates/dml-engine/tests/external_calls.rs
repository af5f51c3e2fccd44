//! The engine calling other contracts, over `MemoryStorage` with a mock host
//! (`set_call_hook`) standing in for EVM code: `donateToken`'s SafeERC20
//! rules (true, nothing from code, false, no code, a revert bubbled up byte
//! for byte), the gas a call forwards (all but a 64th) and charges (what the
//! callee used; its out-of-gas is a failed call, not the engine's), and the
//! reentrancy guard: while the engine's call is in flight every
//! state-changing entry into the engine or the token is refused with
//! `ReentrancyGuardReentrantCall`, views are answered, and the guard is clear
//! again afterwards.

mod support;

use std::sync::{Arc, Mutex};

use dml_engine::{
    call, layout, CallContext, CallError, Contract, ExternalCall, ExternalCallResult, MemoryStorage, Storage,
};
use dml_primitives::{Address, Bytes, IDmlToken, IEngine, SolCall, SolError, SolEvent, SolValue, IERC20, U256};
use support::*;

/// The mock ERC-20's address.
const TOKEN: Address = Address::repeat_byte(0x7e);
/// What the mock token reports it used for a `transferFrom`.
const TOKEN_GAS: u64 = 30_000;

/// How the mock token answers `transferFrom`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Answer {
    /// Moves the tokens and returns `true` (OpenZeppelin's ERC20).
    True,
    /// Moves the tokens and returns nothing (USDT-style).
    Nothing,
    /// Returns `false` and moves nothing.
    False,
    /// Uses all the gas it was given.
    OutOfGas,
}

/// A mock ERC-20 at [`TOKEN`], with OpenZeppelin's errors, and what it saw.
struct MockToken {
    answer: Answer,
    balances: Vec<(Address, U256)>,
    allowance: U256,
    /// `(gas_limit, value)` of every call it got.
    calls: Vec<(u64, U256)>,
    /// Calldata it sends back into the engine (`Contract`) from inside
    /// `transferFrom`, as a reentrant token would, and what came of each.
    reentries: Vec<(Contract, Vec<u8>)>,
    reentry_results: Vec<Result<Bytes, CallError>>,
}

impl MockToken {
    fn balance(&self, who: Address) -> U256 {
        self.balances.iter().find(|(a, _)| *a == who).map(|(_, b)| *b).unwrap_or_default()
    }

    fn set_balance(&mut self, who: Address, amount: U256) {
        self.balances.retain(|(a, _)| *a != who);
        self.balances.push((who, amount));
    }

    /// Answers one call from the engine.
    fn answer(&mut self, storage: &mut MemoryStorage, call: &ExternalCall<'_>, time: u64) -> ExternalCallResult {
        self.calls.push((call.gas_limit, call.value));
        assert_eq!(call.target, TOKEN);
        if self.answer == Answer::OutOfGas {
            return ExternalCallResult {
                success: false,
                output: Bytes::new(),
                gas_used: call.gas_limit,
                gas_refund: 0,
            };
        }
        let c = IERC20::transferFromCall::abi_decode(call.calldata).expect("transferFrom calldata");
        let engine = dml_engine::ContractAddresses::default().engine;
        for (target, data) in self.reentries.clone() {
            // msg.sender of the reentrant call is the token contract.
            let ctx = CallContext::new(TOKEN, dml_engine::ContractAddresses::default(), 1, time);
            let result = call_engine(storage, &ctx, target, &data);
            self.reentry_results.push(result);
        }
        if self.allowance < c.value {
            let error =
                IERC20::ERC20InsufficientAllowance { spender: engine, allowance: self.allowance, needed: c.value };
            return ExternalCallResult::reverted(error.abi_encode(), TOKEN_GAS / 3);
        }
        if self.answer == Answer::False {
            return ExternalCallResult::returned(false.abi_encode(), TOKEN_GAS / 2);
        }
        let from_balance = self.balance(c.from);
        self.set_balance(c.from, from_balance - c.value);
        let to_balance = self.balance(c.to);
        self.set_balance(c.to, to_balance + c.value);
        self.allowance -= c.value;
        let output = if self.answer == Answer::True { true.abi_encode() } else { Vec::new() };
        ExternalCallResult { success: true, output: output.into(), gas_used: TOKEN_GAS, gas_refund: 4_800 }
    }
}

fn call_engine(
    storage: &mut MemoryStorage,
    ctx: &CallContext,
    target: Contract,
    data: &[u8],
) -> Result<Bytes, CallError> {
    call(storage, ctx, target, data).map(|outcome| outcome.output)
}

/// A world whose storage calls the mock token (installed with code), and the token.
fn world_with_token(answer: Answer) -> (World, Arc<Mutex<MockToken>>) {
    let mut w = World::new();
    let token = Arc::new(Mutex::new(MockToken {
        answer,
        balances: vec![(account(1), dml(100))],
        allowance: dml(100),
        calls: Vec::new(),
        reentries: Vec::new(),
        reentry_results: Vec::new(),
    }));
    let hooked = Arc::clone(&token);
    let time = w.time;
    w.storage.set_call_hook(move |storage, call| hooked.lock().unwrap().answer(storage, call, time));
    w.storage.set_code_size(TOKEN, 1_000);
    (w, token)
}

fn donate(amount: U256) -> Vec<u8> {
    IEngine::donateTokenCall { token: TOKEN, amount }.abi_encode()
}

fn guard(storage: &mut MemoryStorage, contract: Contract) -> U256 {
    storage.transient_load(contract, layout::transient::REENTRANCY_GUARD)
}

fn custom_error(error: &CallError) -> Bytes {
    match error {
        CallError::CustomError { data, .. } => data.clone(),
        other => panic!("expected a custom error, got {other:?}"),
    }
}

#[test]
fn donate_token_moves_it_to_the_treasury_and_charges_the_callees_gas() {
    for answer in [Answer::True, Answer::Nothing] {
        let (mut w, token) = world_with_token(answer);
        let treasury = w.treasury;
        let outcome = w.raw(account(1), Contract::Engine, &donate(dml(40))).expect("the donation succeeds");
        let t = token.lock().unwrap();
        assert_eq!((t.balance(account(1)), t.balance(treasury)), (dml(60), dml(40)), "{answer:?}");
        assert_eq!(t.calls.len(), 1);
        assert_eq!(t.calls[0].1, U256::ZERO, "no value is sent");
        // The engine's log, after the call: nothing was emitted before it.
        assert_eq!(outcome.logs.len(), 1);
        let event =
            IEngine::TokenDonated::decode_raw_log(outcome.logs[0].topics.iter().copied(), &outcome.logs[0].data)
                .expect("TokenDonated");
        assert_eq!((event.token, event.from, event.amount), (TOKEN, account(1), dml(40)));
        assert!(w.storage.take_call_logs().is_empty());
        // What the callee used is in the call's gas, its refund in the call's refund.
        assert!(outcome.gas_used > TOKEN_GAS + dml_engine::gas::COLD_ACCOUNT_ACCESS, "{}", outcome.gas_used);
        assert!(outcome.gas_used < TOKEN_GAS + 12_000, "{}", outcome.gas_used);
        assert!(outcome.gas_refund >= 4_800);
        // The guard is down again, in both contracts.
        assert_eq!(guard(&mut w.storage, Contract::Engine), U256::ZERO);
        assert_eq!(guard(&mut w.storage, Contract::Token), U256::ZERO);
    }
}

#[test]
fn a_call_forwards_all_but_a_64th_of_the_gas_left() {
    let (mut w, token) = world_with_token(Answer::True);
    let mut ctx = w.ctx(account(1));
    ctx.gas_limit = 200_000;
    call(&mut w.storage, &ctx, Contract::Engine, &donate(dml(1))).expect("the donation succeeds");
    let forwarded = token.lock().unwrap().calls[0].0;
    // At most 63/64 of the 200,000 less what the engine spent before the call (about 8,000).
    assert!(forwarded <= 200_000 - 200_000 / 64, "{forwarded}");
    assert!(forwarded > 185_000, "{forwarded}");
}

#[test]
fn an_out_of_gas_callee_is_a_failed_call_not_the_engines_halt() {
    let (mut w, token) = world_with_token(Answer::OutOfGas);
    let before = w.storage.clone();
    let mut ctx = w.ctx(account(1));
    ctx.gas_limit = 100_000;
    let error = call(&mut w.storage, &ctx, Contract::Engine, &donate(dml(1))).expect_err("the donation reverts");
    // SafeERC20 bubbles the callee's (empty) revert data: a revert, not out of gas.
    assert_eq!(custom_error(&error), Bytes::new());
    let forwarded = token.lock().unwrap().calls[0].0;
    let used = error.gas_used().expect("a revert reports its gas");
    assert!(used > forwarded && used <= ctx.gas_limit, "used {used}, forwarded {forwarded}");
    assert_eq!(w.storage, before);
}

#[test]
fn too_little_gas_for_the_call_is_out_of_gas_before_it() {
    let (mut w, token) = world_with_token(Answer::True);
    let mut ctx = w.ctx(account(1));
    ctx.gas_limit = 3_000;
    let error = call(&mut w.storage, &ctx, Contract::Engine, &donate(dml(1))).expect_err("out of gas");
    assert_eq!(error, CallError::OutOfGas);
    assert!(token.lock().unwrap().calls.is_empty(), "the token was never called");
}

#[test]
fn the_tokens_revert_bubbles_up_unchanged() {
    let (mut w, token) = world_with_token(Answer::True);
    let before = w.storage.clone();
    let error = w.raw(account(1), Contract::Engine, &donate(dml(101))).expect_err("over the allowance");
    let engine = w.contracts.engine;
    let expected = IERC20::ERC20InsufficientAllowance { spender: engine, allowance: dml(100), needed: dml(101) };
    assert_eq!(custom_error(&error), Bytes::from(expected.abi_encode()));
    assert_eq!(error.revert_data(), Bytes::from(expected.abi_encode()));
    assert_eq!(w.storage, before);
    assert_eq!(token.lock().unwrap().balance(account(1)), dml(100));
}

#[test]
fn false_or_no_code_is_safe_erc20_failed_operation() {
    let failed = Bytes::from(IEngine::SafeERC20FailedOperation { token: TOKEN }.abi_encode());
    let (mut w, token) = world_with_token(Answer::False);
    let error = w.raw(account(1), Contract::Engine, &donate(dml(1))).expect_err("false is a failure");
    assert_eq!(custom_error(&error), failed);
    assert_eq!(token.lock().unwrap().balance(w.treasury), U256::ZERO);

    // Nothing returned is fine from code, a failure from an account without code.
    let (mut w, _) = world_with_token(Answer::Nothing);
    w.storage.set_code_size(TOKEN, 0);
    let error = w.raw(account(1), Contract::Engine, &donate(dml(1))).expect_err("no code is a failure");
    assert_eq!(custom_error(&error), failed);

    // A host that cannot call at all (no hook): an empty revert, bubbled.
    let mut w = World::new();
    let error = w.raw(account(1), Contract::Engine, &donate(dml(1))).expect_err("no callee");
    assert_eq!(custom_error(&error), Bytes::new());
}

#[test]
fn reentrant_state_changes_are_refused_and_views_answered() {
    let (mut w, token) = world_with_token(Answer::True);
    let treasury = w.treasury;
    let model = w.register_model(account(0), account(7), U256::ZERO, r#"{"name":"m"}"#);
    let submit = IEngine::submitTaskCall {
        version_: 0,
        owner_: account(1),
        model_: model,
        fee_: U256::ZERO,
        input_: Bytes::from_static(b"{}"),
    };
    let reentries: Vec<(Contract, Vec<u8>)> = vec![
        (Contract::Engine, donate(dml(1))),
        (Contract::Engine, submit.abi_encode()),
        (Contract::Token, IDmlToken::transferCall { to: account(2), amount: U256::ZERO }.abi_encode()),
        (Contract::Token, IDmlToken::approveCall { spender: account(2), amount: dml(1) }.abi_encode()),
        (Contract::Engine, IEngine::treasuryCall {}.abi_encode()),
        (Contract::Token, IDmlToken::balanceOfCall { account: account(1) }.abi_encode()),
    ];
    token.lock().unwrap().reentries = reentries;
    let before_tasks = w.engine(account(1), IEngine::prevhashCall {}).unwrap();
    w.raw(account(1), Contract::Engine, &donate(dml(10))).expect("the donation itself succeeds");
    let t = token.lock().unwrap();
    let refused = Bytes::from(IEngine::ReentrancyGuardReentrantCall {}.abi_encode());
    assert_eq!(refused.as_ref(), [0x3e, 0xe5, 0xae, 0xb5]);
    for (index, result) in t.reentry_results[..4].iter().enumerate() {
        let error = result.as_ref().expect_err("a state change is refused");
        assert_eq!(custom_error(error), refused, "reentry {index}");
    }
    assert_eq!(t.reentry_results[4].as_ref().unwrap().as_ref(), treasury.abi_encode(), "a view is answered");
    assert_eq!(t.reentry_results[5].as_ref().unwrap().as_ref(), dml(10_000).abi_encode(), "a token view is answered");
    assert_eq!(t.balance(treasury), dml(10), "one donation, not two");
    drop(t);
    // Nothing the refused calls tried happened; the guard is down, so the same calls work now.
    assert_eq!(w.engine(account(1), IEngine::prevhashCall {}).unwrap(), before_tasks);
    assert_eq!(
        w.token(account(1), IDmlToken::allowanceCall { owner: TOKEN, spender: account(2) }).unwrap(),
        U256::ZERO
    );
    w.engine(account(1), submit).expect("a task after the donation");
    w.token(TOKEN, IDmlToken::approveCall { spender: account(2), amount: dml(1) }).unwrap();
}

#[test]
fn no_call_from_a_static_context_or_a_paused_engine() {
    let (mut w, token) = world_with_token(Answer::True);
    let mut ctx = w.ctx(account(1));
    ctx.is_static = true;
    let error = call(&mut w.storage, &ctx, Contract::Engine, &donate(dml(1))).expect_err("static");
    assert_eq!(error.reason(), Some("state change during static call"));
    let owner = w.owner;
    w.engine(owner, IEngine::setPausedCall { paused_: true }).unwrap();
    w.expect_revert(account(1), IEngine::donateTokenCall { token: TOKEN, amount: dml(1) }, "paused");
    assert!(token.lock().unwrap().calls.is_empty());
}

#[test]
fn donating_dml_debits_it_directly() {
    let (mut w, token) = world_with_token(Answer::True);
    let (treasury, dml_token) = (w.treasury, w.contracts.token);
    let before = w.balance(treasury);
    let data = IEngine::donateTokenCall { token: dml_token, amount: dml(3) }.abi_encode();
    let outcome = w.raw(account(1), Contract::Engine, &data).expect("no allowance needed");
    assert_eq!(w.balance(treasury), before + dml(3));
    assert_eq!(w.balance(account(1)), dml(10_000 - 3));
    assert!(token.lock().unwrap().calls.is_empty(), "no external call");
    let topics: Vec<_> = outcome.logs.iter().map(|log| log.topics[0]).collect();
    assert_eq!(topics, [IDmlToken::Transfer::SIGNATURE_HASH, IEngine::TokenDonated::SIGNATURE_HASH]);
}
