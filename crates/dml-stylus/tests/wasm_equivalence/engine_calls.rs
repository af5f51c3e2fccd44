//! `donateToken`, the engine calling an ERC-20, through the wasm and through
//! the dev chain: return or revert data, logs (the token's from the token,
//! the engine's from the engine, in one order) and engine and DML storage
//! must be identical. On the dev chain the tokens are the Solidity test
//! fixtures (`crates/dml-governance/contracts/test/`: OpenZeppelin's ERC20,
//! one answering `false` or nothing, one calling back into the engine); the
//! Python harness emulates each at the same address (`Erc20` in
//! `harness/stylus_host.py`), and every call to them, views
//! included, is compared too, which checks the emulation against Solidity.
//! The reentrant token's calls back into the engine and the DML token run
//! the real wasm programs under the harness, so the Stylus guard (transient
//! storage in the engine, and in the token through the bridge) is what
//! refuses them.

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::{sol, SolCall, SolError, SolEvent, SolValue};
use dml_primitives::{IDmlToken, IEngine, IERC20};
use dml_stylus::CONTRACTS;

use crate::equivalence::{dml, topics, CallResult, Script, Tools};

sol! {
    interface ITestTokens {
        function mint(address to, uint256 amount) external;
        function setReentry(address target, bytes calldata data, bool propagate) external;
        function lastSuccess() external view returns (bool);
        function lastReturnData() external view returns (bytes memory);
        event Reentered(address indexed target, bool success, bytes returnData);
    }
}

/// The donor: dev account 1.
const DONOR: usize = 1;

fn creation_code(name: &str) -> Vec<u8> {
    let json = match name {
        "TestERC20" => include_str!("../../../dml-governance/artifacts/TestERC20.json"),
        "NonStandardToken" => include_str!("../../../dml-governance/artifacts/NonStandardToken.json"),
        "ReentrantToken" => include_str!("../../../dml-governance/artifacts/ReentrantToken.json"),
        other => panic!("no artifact {other}"),
    };
    let artifact: serde_json::Value = serde_json::from_str(json).expect("artifact parses");
    alloy_primitives::hex::decode(artifact["bytecode"].as_str().expect("bytecode")).expect("hex")
}

impl Script {
    /// Deploys fixture `name` on the dev chain and its emulation (`kind`) in the harness, at the same address.
    fn deploy_token(&mut self, name: &str, args: Vec<u8>, kind: &str) -> Address {
        let mut code = creation_code(name);
        code.extend(args);
        self.pair.time += 1;
        let address = self.pair.chain.deploy(0, code, self.pair.time);
        self.pair.harness.deploy_erc20(address, kind);
        address
    }

    /// `data` from `sender` to `to` in both worlds, compared.
    fn send_to(&mut self, sender: usize, to: Address, data: Vec<u8>, what: &str) -> CallResult {
        let step = self.pair.step_to(sender, to, &data, 1);
        assert_eq!(step.wasm, step.chain, "{what}: wasm and dev chain differ");
        step.chain
    }

    /// A token with 1,000 DML-sized units minted to the donor, who approves the engine for 100.
    fn funded_token(&mut self, name: &str, args: Vec<u8>, kind: &str) -> Address {
        let token = self.deploy_token(name, args, kind);
        let mint = ITestTokens::mintCall { to: self.address(DONOR), amount: dml(1_000) };
        assert!(self.send_to(0, token, mint.abi_encode(), "mint").ok);
        let approve = IERC20::approveCall { spender: CONTRACTS.engine, value: dml(100) };
        assert!(self.send_to(DONOR, token, approve.abi_encode(), "approve").ok);
        token
    }

    fn donate(&mut self, token: Address, amount: U256) -> CallResult {
        self.send_to(DONOR, CONTRACTS.engine, IEngine::donateTokenCall { token, amount }.abi_encode(), "donateToken")
    }

    fn token_balance(&mut self, token: Address, account: Address) -> U256 {
        let result = self.send_to(0, token, IERC20::balanceOfCall { account }.abi_encode(), "balanceOf");
        U256::abi_decode(&result.output).expect("a balance")
    }

    fn set_reentry(&mut self, token: Address, target: Address, data: Vec<u8>, propagate: bool) {
        let call = ITestTokens::setReentryCall { target, data: data.into(), propagate };
        assert!(self.send_to(0, token, call.abi_encode(), "setReentry").ok);
    }
}

fn refused() -> Bytes {
    Bytes::from(IEngine::ReentrancyGuardReentrantCall {}.abi_encode())
}

#[test]
#[ignore = "needs the built wasm: scripts/stylus-build.sh test"]
fn donations_call_the_token_as_on_the_dev_chain() {
    let Some(tools) = Tools::require("engine calls into an ERC-20") else { return };
    let mut s = Script::start(tools);
    let (donor, treasury) = (s.address(DONOR), s.address(0));
    let names = ("Test".to_string(), "TST".to_string()).abi_encode_params();

    let standard = s.funded_token("TestERC20", names, "standard");
    let donated = s.donate(standard, dml(40));
    assert!(donated.ok, "{donated:?}");
    assert_eq!(topics(&donated), [IERC20::Transfer::SIGNATURE_HASH, IEngine::TokenDonated::SIGNATURE_HASH]);
    assert_eq!(donated.logs[0].address, standard);
    assert_eq!(donated.logs[1].address, CONTRACTS.engine);
    assert_eq!(s.token_balance(standard, treasury), dml(40));
    assert_eq!(s.token_balance(standard, donor), dml(960));
    // Over the allowance: OpenZeppelin's error, bubbled up by the engine.
    let over = s.donate(standard, dml(61));
    let expected =
        IERC20::ERC20InsufficientAllowance { spender: CONTRACTS.engine, allowance: dml(60), needed: dml(61) };
    assert_eq!((over.ok, over.output), (false, Bytes::from(expected.abi_encode())));

    // SafeERC20: `false` and no code fail, nothing from code succeeds.
    let answers_false = s.funded_token("NonStandardToken", U256::ZERO.abi_encode(), "false");
    let failed = s.donate(answers_false, dml(1));
    let expected = IEngine::SafeERC20FailedOperation { token: answers_false };
    assert_eq!((failed.ok, failed.output), (false, Bytes::from(expected.abi_encode())));
    let nowhere = Address::repeat_byte(0x5a);
    let failed = s.donate(nowhere, dml(1));
    let expected = IEngine::SafeERC20FailedOperation { token: nowhere };
    assert_eq!((failed.ok, failed.output), (false, Bytes::from(expected.abi_encode())));
    let answers_nothing = s.funded_token("NonStandardToken", U256::from(1u8).abi_encode(), "nothing");
    assert!(s.donate(answers_nothing, dml(5)).ok);
    assert_eq!(s.token_balance(answers_nothing, treasury), dml(5));

    // DML itself, debited without a call.
    let dml_donation = s.donate(CONTRACTS.token, dml(3));
    assert!(dml_donation.ok);
    assert_eq!(topics(&dml_donation), [IDmlToken::Transfer::SIGNATURE_HASH, IEngine::TokenDonated::SIGNATURE_HASH]);

    // A token calling back: state changes refused (propagated, or caught), views answered.
    let reentrant = s.funded_token("ReentrantToken", Vec::new(), "reentrant");
    let nested_donation = IEngine::donateTokenCall { token: reentrant, amount: dml(1) }.abi_encode();
    s.set_reentry(reentrant, CONTRACTS.engine, nested_donation.clone(), true);
    let propagated = s.donate(reentrant, dml(10));
    assert_eq!((propagated.ok, propagated.output), (false, refused()));
    let caught: [(Address, Vec<u8>); 3] = [
        (CONTRACTS.engine, nested_donation),
        (CONTRACTS.token, IDmlToken::transferCall { to: s.address(2), amount: U256::ZERO }.abi_encode()),
        (CONTRACTS.token, IDmlToken::approveCall { spender: s.address(2), amount: dml(1) }.abi_encode()),
    ];
    for (target, data) in caught {
        s.set_reentry(reentrant, target, data, false);
        let donation = s.donate(reentrant, dml(10));
        assert!(donation.ok, "{donation:?}");
        let log = &donation.logs[0];
        let reentered = ITestTokens::Reentered::decode_raw_log(log.topics.iter().copied(), &log.data).unwrap();
        assert_eq!((reentered.success, reentered.returnData), (false, refused()));
    }
    for (target, data, expected) in [
        (CONTRACTS.engine, IEngine::treasuryCall {}.abi_encode(), treasury.abi_encode()),
        (CONTRACTS.token, IDmlToken::decimalsCall {}.abi_encode(), U256::from(18u8).abi_encode()),
    ] {
        s.set_reentry(reentrant, target, data, true);
        assert!(s.donate(reentrant, dml(1)).ok);
        let returned = s.send_to(0, reentrant, ITestTokens::lastReturnDataCall {}.abi_encode(), "lastReturnData");
        let returned = ITestTokens::lastReturnDataCall::abi_decode_returns(&returned.output).unwrap();
        assert_eq!(returned.as_ref(), expected);
    }
    assert_eq!(s.token_balance(reentrant, treasury), dml(32));
    s.pair.assert_same_storage("after the donations");
}
