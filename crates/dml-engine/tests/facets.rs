//! The engine split into facets (`call_facets`), as the Arbitrum Stylus
//! programs deploy it: every engine function belongs to exactly one facet,
//! its facet runs it exactly as the whole engine does, and every other facet
//! refuses it without touching storage.

mod support;

use dml_engine::{call, call_facets, facet, CallContext, CallError, Contract, Outcome, Storage};
use dml_primitives::{IDmlToken, IEngine, SolCall, ONE_DML};
use support::*;

/// `call_facets` with a facet mask known only at run time.
fn call_in<S: Storage>(
    mask: u8,
    storage: &mut S,
    ctx: &CallContext,
    target: Contract,
    data: &[u8],
) -> Result<Outcome, CallError> {
    match mask {
        facet::GOVERN => call_facets::<{ facet::GOVERN }, _>(storage, ctx, target, data),
        facet::TASKS => call_facets::<{ facet::TASKS }, _>(storage, ctx, target, data),
        facet::SOLVE => call_facets::<{ facet::SOLVE }, _>(storage, ctx, target, data),
        facet::SETTLE => call_facets::<{ facet::SETTLE }, _>(storage, ctx, target, data),
        facet::STAKE => call_facets::<{ facet::STAKE }, _>(storage, ctx, target, data),
        facet::DELEGATE => call_facets::<{ facet::DELEGATE }, _>(storage, ctx, target, data),
        facet::FINISH => call_facets::<{ facet::FINISH }, _>(storage, ctx, target, data),
        facet::CALLBACK => call_facets::<{ facet::CALLBACK }, _>(storage, ctx, target, data),
        0 => call_facets::<0, _>(storage, ctx, target, data),
        _ => unreachable!("mask {mask}"),
    }
}

#[test]
fn every_engine_function_is_in_exactly_one_facet() {
    let mut used = 0u8;
    for selector in IEngine::IEngineCalls::SELECTORS {
        let bit = facet::of_selector(*selector);
        assert_eq!(bit.count_ones(), 1, "selector {selector:02x?} is in facets {bit:#b}");
        assert_eq!(bit & facet::ALL, bit, "selector {selector:02x?} is in an unknown facet");
        used |= bit;
    }
    assert_eq!(used, facet::ALL, "every facet serves at least one function");
    assert_eq!(facet::EACH.iter().fold(0, |all, bit| all | bit), facet::ALL);
    assert_eq!(facet::of_selector([0xde, 0xad, 0xbe, 0xef]), 0, "unknown selectors are in no facet");
    for selector in IDmlToken::IDmlTokenCalls::SELECTORS {
        assert_eq!(facet::of_selector(*selector), 0, "token functions are not engine facets");
    }
}

#[test]
fn a_facet_runs_its_own_functions_as_the_whole_engine_does_and_refuses_the_rest() {
    let mut w = World::new();
    let model = w.register_model(account(0), account(7), ONE_DML, r#"{"name":"m"}"#);
    w.engine(account(1), IEngine::validatorDepositCall { validator_: account(1), amount_: dml(10) }).unwrap();
    let task = w
        .engine(
            account(2),
            IEngine::submitTaskCall {
                version_: 0,
                owner_: account(2),
                model_: model,
                fee_: ONE_DML,
                input_: br#"{"prompt":"x"}"#.to_vec().into(),
            },
        )
        .unwrap();
    let ctx = w.ctx(account(1));
    // Each function with real arguments where the view takes them, and with
    // the bare selector (which must fail to decode the same way everywhere).
    let mut samples: Vec<Vec<u8>> = vec![
        IEngine::tasksCall { taskid: task }.abi_encode(),
        IEngine::modelsCall { model }.abi_encode(),
        IEngine::validatorsCall { addr: account(1) }.abi_encode(),
        IEngine::getRewardCall {}.abi_encode(),
        IEngine::ownerCall {}.abi_encode(),
        IEngine::solutionsCall { taskid: task }.abi_encode(),
        IEngine::callbacksCall { taskid: task }.abi_encode(),
    ];
    samples.extend(IEngine::IEngineCalls::SELECTORS.iter().map(|selector| selector.to_vec()));
    for data in &samples {
        let selector: [u8; 4] = data[..4].try_into().unwrap();
        let own = facet::of_selector(selector);
        let before = w.storage.clone();
        let whole = call(&mut w.storage.clone(), &ctx, Contract::Engine, data);
        for mask in facet::EACH {
            let mut storage = w.storage.clone();
            let result = call_in(mask, &mut storage, &ctx, Contract::Engine, data);
            if mask == own {
                assert_eq!(result, whole, "facet {mask:#b} runs {selector:02x?} as the whole engine does");
            } else {
                let error = result.expect_err("another facet's function");
                assert_eq!(error.reason(), Some("function is in another facet"), "facet {mask:#b}, {selector:02x?}");
                assert_eq!(storage, before, "a refused call leaves storage alone");
            }
        }
    }
    // Token calls do not depend on the engine facets at all.
    let data = IDmlToken::balanceOfCall { account: account(2) }.abi_encode();
    let whole = call(&mut w.storage.clone(), &ctx, Contract::Token, &data).unwrap();
    assert_eq!(call_in(0, &mut w.storage.clone(), &ctx, Contract::Token, &data).unwrap(), whole);
    // Unknown selectors and short calldata revert as in the whole engine.
    for data in [&[0xde, 0xad, 0xbe, 0xef][..], &[0x01][..]] {
        let whole = call(&mut w.storage.clone(), &ctx, Contract::Engine, data).unwrap_err();
        for mask in facet::EACH {
            assert_eq!(call_in(mask, &mut w.storage.clone(), &ctx, Contract::Engine, data).unwrap_err(), whole);
        }
    }
}
