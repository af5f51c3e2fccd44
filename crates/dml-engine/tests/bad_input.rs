//! Bad input: each case is a clean revert with a reason (or out-of-gas), and
//! storage is untouched.

mod support;

use dml_engine::{call, CallContext, CallError, Contract};
use dml_primitives::{Address, Bytes, IDmlToken, IEngine, SolCall, SolError, B256, ONE_DML, U256};
use support::*;

fn expect_reason(w: &mut World, target: Contract, data: &[u8], reason: &str) {
    let before = w.storage.clone();
    let err = w.raw(account(1), target, data).expect_err("should revert");
    assert_eq!(err.reason(), Some(reason));
    // The revert data is a Solidity Error(string) any client decodes.
    let decoded = dml_primitives::RevertReason::abi_decode(&err.revert_data()).unwrap();
    assert_eq!(decoded.reason, reason);
    assert_eq!(w.storage, before, "state changed");
}

fn model(w: &mut World) -> B256 {
    w.register_model(account(0), Address::repeat_byte(0x77), ONE_DML, r#"{"name":"m"}"#)
}

#[test]
fn unknown_selectors_and_short_calldata() {
    let mut w = World::new();
    expect_reason(&mut w, Contract::Engine, &[0xde, 0xad, 0xbe, 0xef], "unknown function selector");
    expect_reason(&mut w, Contract::Token, &[0xde, 0xad, 0xbe, 0xef, 0], "unknown function selector");
    expect_reason(&mut w, Contract::Engine, &[], "missing function selector");
    expect_reason(&mut w, Contract::Token, &[0xa9, 0x05, 0x9c], "missing function selector");
}

#[test]
fn truncated_and_malformed_calldata() {
    let mut w = World::new();
    let m = model(&mut w);
    let full = IEngine::submitTaskCall {
        version_: 0,
        owner_: account(1),
        model_: m,
        fee_: ONE_DML,
        input_: Bytes::from_static(b"{\"prompt\":\"x\"}"),
    }
    .abi_encode();
    expect_reason(&mut w, Contract::Engine, &full[..full.len() / 2], "invalid calldata");
    // The input's bytes are cut off after its length word.
    expect_reason(&mut w, Contract::Engine, &full[..full.len() - 32], "invalid calldata");
    // An address argument with dirty high bits is rejected, as Solidity does.
    let mut dirty = IDmlToken::transferCall { to: account(2), amount: U256::from(1u8) }.abi_encode();
    dirty[4] = 0xff;
    expect_reason(&mut w, Contract::Token, &dirty, "invalid calldata");
    // A bytes offset pointing past the end.
    let mut bad_offset = full.clone();
    bad_offset[4 + 4 * 32 + 31] = 0xff;
    expect_reason(&mut w, Contract::Engine, &bad_offset, "invalid calldata");
}

#[test]
fn zero_addresses_are_refused() {
    let mut w = World::new();
    let m = model(&mut w);
    let zero = Address::ZERO;
    let cases: Vec<(Contract, Vec<u8>, &str)> = vec![
        (
            Contract::Engine,
            IEngine::registerModelCall { addr_: zero, fee_: U256::ZERO, template_: Bytes::from_static(b"{}") }
                .abi_encode(),
            "address must be non-zero",
        ),
        (
            Contract::Engine,
            IEngine::submitTaskCall { version_: 0, owner_: zero, model_: m, fee_: ONE_DML, input_: Bytes::new() }
                .abi_encode(),
            "owner is the zero address",
        ),
        (
            Contract::Engine,
            IEngine::validatorDepositCall { validator_: zero, amount_: ONE_DML }.abi_encode(),
            "validator is the zero address",
        ),
        (
            Contract::Token,
            IDmlToken::transferCall { to: zero, amount: ONE_DML }.abi_encode(),
            "ERC20: transfer to the zero address",
        ),
        (
            Contract::Token,
            IDmlToken::approveCall { spender: zero, amount: ONE_DML }.abi_encode(),
            "ERC20: approve to the zero address",
        ),
    ];
    for (target, data, reason) in cases {
        expect_reason(&mut w, target, &data, reason);
    }
}

#[test]
fn amounts_over_balance_or_allowance() {
    let mut w = World::new();
    let m = model(&mut w);
    let too_much = dml(10_001);
    let cases: Vec<(Contract, Vec<u8>, &str)> = vec![
        (
            Contract::Token,
            IDmlToken::transferCall { to: account(2), amount: too_much }.abi_encode(),
            "ERC20: transfer amount exceeds balance",
        ),
        (
            Contract::Engine,
            IEngine::submitTaskCall {
                version_: 0,
                owner_: account(1),
                model_: m,
                fee_: too_much,
                input_: Bytes::new(),
            }
            .abi_encode(),
            "ERC20: transfer amount exceeds balance",
        ),
        (
            Contract::Engine,
            IEngine::validatorDepositCall { validator_: account(1), amount_: too_much }.abi_encode(),
            "ERC20: transfer amount exceeds balance",
        ),
        (
            Contract::Token,
            IDmlToken::transferFromCall { from: account(2), to: account(1), amount: U256::from(1u8) }.abi_encode(),
            "ERC20: insufficient allowance",
        ),
        (
            Contract::Engine,
            IEngine::submitTaskCall {
                version_: 0,
                owner_: account(1),
                model_: m,
                fee_: ONE_DML / U256::from(2u8),
                input_: Bytes::new(),
            }
            .abi_encode(),
            "lower fee than model fee",
        ),
        (
            Contract::Engine,
            IEngine::submitTaskCall {
                version_: 0,
                owner_: account(1),
                model_: B256::ZERO,
                fee_: ONE_DML,
                input_: Bytes::new(),
            }
            .abi_encode(),
            "model does not exist",
        ),
        (
            Contract::Engine,
            IEngine::initiateValidatorWithdrawCall { amount_: ONE_DML }.abi_encode(),
            "insufficient stake",
        ),
    ];
    for (target, data, reason) in cases {
        expect_reason(&mut w, target, &data, reason);
    }
    // An allowance is honoured exactly once for its amount.
    w.token(account(2), IDmlToken::approveCall { spender: account(1), amount: dml(5) }).unwrap();
    w.token(account(1), IDmlToken::transferFromCall { from: account(2), to: account(3), amount: dml(5) }).unwrap();
    let again = IDmlToken::transferFromCall { from: account(2), to: account(3), amount: U256::from(1u8) }.abi_encode();
    expect_reason(&mut w, Contract::Token, &again, "ERC20: insufficient allowance");
}

#[test]
fn oversized_inputs_and_bad_cids() {
    let mut w = World::new();
    let m = model(&mut w);
    let big = Bytes::from(vec![b'a'; 64 * 1024 + 1]);
    let data =
        IEngine::submitTaskCall { version_: 0, owner_: account(1), model_: m, fee_: ONE_DML, input_: big }.abi_encode();
    expect_reason(&mut w, Contract::Engine, &data, "input too large");
    let exact = Bytes::from(vec![b'a'; 64 * 1024]);
    w.engine(
        account(1),
        IEngine::submitTaskCall { version_: 0, owner_: account(1), model_: m, fee_: ONE_DML, input_: exact },
    )
    .unwrap();
    let task = w.engine(account(1), IEngine::prevhashCall {}).unwrap();
    for cid in [Bytes::new(), Bytes::from_static(b"QmNotBinary"), Bytes::from(vec![0x12, 0x20, 1, 2, 3])] {
        let data = IEngine::submitSolutionCall { taskid_: task, cid_: cid }.abi_encode();
        expect_reason(&mut w, Contract::Engine, &data, "cid must be a sha2-256 CIDv0 multihash");
    }
}

#[test]
fn value_static_calls_time_and_gas() {
    let mut w = World::new();
    let transfer = IDmlToken::transferCall { to: account(2), amount: ONE_DML }.abi_encode();
    let before = w.storage.clone();

    let mut ctx = w.ctx(account(1));
    ctx.value = U256::from(1u8);
    let err = call(&mut w.storage, &ctx, Contract::Token, &transfer).unwrap_err();
    assert_eq!(err.reason(), Some("function is not payable"));

    let mut ctx = w.ctx(account(1));
    ctx.is_static = true;
    let err = call(&mut w.storage, &ctx, Contract::Token, &transfer).unwrap_err();
    assert_eq!(err.reason(), Some("state change during static call"));
    let view = IDmlToken::balanceOfCall { account: account(1) }.abi_encode();
    call(&mut w.storage, &ctx, Contract::Token, &view).expect("views work in a static call");

    let mut ctx = w.ctx(account(1));
    ctx.timestamp = 1 << 40;
    let err = call(&mut w.storage, &ctx, Contract::Token, &transfer).unwrap_err();
    assert_eq!(err.reason(), Some("timestamp out of range"));

    let mut ctx = w.ctx(account(1));
    ctx.gas_limit = 5_000;
    assert_eq!(call(&mut w.storage, &ctx, Contract::Token, &transfer).unwrap_err(), CallError::OutOfGas);
    assert_eq!(w.storage, before, "nothing written by any failed call");

    // A bulk call asking for 2^200 tasks stops at the gas limit instead of looping.
    let m = model(&mut w);
    let before = w.storage.clone();
    let bulk = IEngine::bulkSubmitTaskCall {
        version_: 0,
        owner_: account(1),
        model_: m,
        fee_: ONE_DML,
        input_: Bytes::from_static(b"x"),
        n_: U256::from(1u8) << 200,
    }
    .abi_encode();
    let ctx = CallContext { gas_limit: 2_000_000, ..w.ctx(account(1)) };
    assert_eq!(call(&mut w.storage, &ctx, Contract::Engine, &bulk).unwrap_err(), CallError::OutOfGas);
    assert_eq!(w.storage, before);
}

#[test]
fn on_chain_cids_match_ipfs_add() {
    let mut w = World::new();
    let cases: [(&[u8], &str); 2] = [
        (b"hello\n", "QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN"),
        (b"", "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH"),
    ];
    for (content, expected) in cases {
        let cid =
            w.engine(account(1), IEngine::generateIPFSCIDCall { content_: Bytes::from(content.to_vec()) }).unwrap();
        assert_eq!(bs58::encode(&cid).into_string(), expected);
    }
}

#[test]
fn storage_gas_follows_evm_pricing() {
    let mut w = World::new();
    // A transfer to a fresh account: sender balance reset (2100 + 2900), recipient set (2100 + 20000).
    let fresh = Address::repeat_byte(0x5e);
    let data = IDmlToken::transferCall { to: fresh, amount: ONE_DML }.abi_encode();
    let first = w.raw(account(1), Contract::Token, &data).unwrap();
    let second = w.raw(account(1), Contract::Token, &data).unwrap();
    assert_eq!(first.gas_used - second.gas_used, 20_000 - 2_900, "set vs reset of the recipient's slot");
    assert_eq!(first.state_changes.len(), 2);
    // Emptying a balance earns the clearing refund.
    let all = w.balance(fresh);
    let data = IDmlToken::transferCall { to: account(1), amount: all }.abi_encode();
    let cleared = w.raw(fresh, Contract::Token, &data).unwrap();
    assert_eq!(cleared.gas_refund, 4_800);
}

#[test]
fn parameters_round_trip_through_their_array_form() {
    let parameters =
        dml_engine::Parameters { min_claim_solution_time: 7, slash_amount_percentage: 3, ..Default::default() };
    let fields = parameters.to_array();
    assert_eq!(fields[1], 3, "slash is the second field");
    assert_eq!(fields[6], 7, "the durations follow the six percentages");
    assert_eq!(dml_engine::Parameters::from_array(fields), parameters);
}
