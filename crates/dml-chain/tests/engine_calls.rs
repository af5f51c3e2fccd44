//! The engine, a native contract, calling EVM code on the real dev chain:
//! `donateToken` pulls an ERC-20 (OpenZeppelin's, compiled from
//! `crates/dml-governance/contracts/test/`) into the treasury with
//! `transferFrom`, with SafeERC20's rules (a revert bubbles up byte for
//! byte, `false` or no code is `SafeERC20FailedOperation`), the gas rules of
//! a Solidity contract (a callee out of gas fails the call cleanly), and the
//! reentrancy guard: a token that calls back into the engine or the DML
//! token from inside `transferFrom` is refused with
//! `ReentrancyGuardReentrantCall` and nothing changes, while views it makes
//! are answered. Every transaction is signed, mined and read back over
//! JSON-RPC, and the donation's gas is measured against the same donation
//! written in Solidity (`DonationReference.sol`).

mod support;

use alloy_network::{EthereumWallet, TransactionBuilder};
use alloy_primitives::{Address, Bytes, U256};
use alloy_provider::{Provider, ProviderBuilder};
use alloy_rpc_types_eth::{TransactionReceipt, TransactionRequest};
use alloy_sol_types::sol;
use dml_chain::NodeHandle;
use dml_primitives::{IDmlToken, IEngine, SolCall, SolError, SolEvent, SolValue, IERC20, ONE_DML};
use serde_json::json;
use support::*;

sol! {
    /// The test fixtures' own functions (their ERC-20 side is `IERC20`).
    interface ITestTokens {
        function mint(address to, uint256 amount) external;
        function setReentry(address target, bytes calldata data, bool propagate) external;
        function lastSuccess() external view returns (bool);
        function lastReturnData() external view returns (bytes memory);
        event Reentered(address indexed target, bool success, bytes returnData);
        function donateToken(address token, uint256 amount) external;
    }
}

/// Gas for transactions sent without an estimate (so that failing ones are mined).
const GAS: u64 = 1_000_000;
/// The donor: dev account 1.
const DONOR: u32 = 1;

/// The creation code of a test fixture from the committed artifacts.
fn creation_code(name: &str) -> Vec<u8> {
    let json = match name {
        "TestERC20" => include_str!("../../dml-governance/artifacts/TestERC20.json"),
        "NonStandardToken" => include_str!("../../dml-governance/artifacts/NonStandardToken.json"),
        "ReentrantToken" => include_str!("../../dml-governance/artifacts/ReentrantToken.json"),
        "DonationReference" => include_str!("../../dml-governance/artifacts/DonationReference.json"),
        other => panic!("no artifact {other}"),
    };
    let artifact: serde_json::Value = serde_json::from_str(json).expect("artifact parses");
    let hex = artifact["bytecode"].as_str().expect("bytecode");
    alloy_primitives::hex::decode(hex).expect("hex bytecode")
}

struct Net {
    node: NodeHandle,
    engine: Address,
    token: Address,
    treasury: Address,
}

/// How a mined transaction ended.
struct Mined {
    receipt: TransactionReceipt,
}

impl Mined {
    fn logs(&self) -> Vec<(Address, Vec<alloy_primitives::B256>, Bytes)> {
        self.receipt
            .inner
            .logs()
            .iter()
            .map(|log| (log.address(), log.topics().to_vec(), log.data().data.clone()))
            .collect()
    }
}

impl Net {
    async fn start() -> Self {
        let node = start_node().await;
        let raw = RawClient::new(&node.http_url());
        let contracts = raw.result("dml_getContracts", json!([])).await;
        let engine: Address = contracts["engine"].as_str().unwrap().parse().unwrap();
        let token: Address = contracts["token"].as_str().unwrap().parse().unwrap();
        let mut net = Self { node, engine, token, treasury: Address::ZERO };
        net.treasury = net.view(engine, IEngine::treasuryCall {}).await;
        net
    }

    fn provider(&self, key: u32) -> impl Provider + Clone {
        let wallet = EthereumWallet::from(dev_key(key));
        ProviderBuilder::new().wallet(wallet).connect_http(self.node.http_url().parse().unwrap())
    }

    /// Deploys `name` with ABI-encoded constructor `args` from dev account 0.
    async fn deploy(&self, name: &str, args: Vec<u8>) -> Address {
        let mut code = creation_code(name);
        code.extend(args);
        let request = TransactionRequest::default().with_deploy_code(Bytes::from(code));
        let receipt = self.provider(0).send_transaction(request).await.expect("accepted").get_receipt().await.unwrap();
        assert!(receipt.status(), "{name} deploys");
        receipt.contract_address.expect("a created contract")
    }

    /// A transaction with a fixed gas limit, mined whether it succeeds or not.
    async fn send_with_gas(&self, key: u32, to: Address, data: Vec<u8>, gas: u64) -> Mined {
        let request = TransactionRequest::default().with_to(to).with_input(Bytes::from(data)).with_gas_limit(gas);
        let receipt =
            self.provider(key).send_transaction(request).await.expect("accepted").get_receipt().await.unwrap();
        Mined { receipt }
    }

    /// A transaction that must succeed.
    async fn send<C: SolCall>(&self, key: u32, to: Address, call: C) -> Mined {
        let mined = self.send_with_gas(key, to, call.abi_encode(), GAS).await;
        assert!(mined.receipt.status(), "{} reverted: {:?}", C::SIGNATURE, mined.receipt);
        mined
    }

    /// A transaction that must revert, mined; its revert data comes from the
    /// same call made just before (an `eth_call` on the same state).
    async fn send_reverting<C: SolCall>(&self, key: u32, to: Address, call: C) -> (Mined, Bytes) {
        let data = self.call(key, to, call.abi_encode(), None).await.expect_err("the call reverts");
        let mined = self.send_with_gas(key, to, call.abi_encode(), GAS).await;
        assert!(!mined.receipt.status(), "{} succeeded", C::SIGNATURE);
        assert!(mined.logs().is_empty(), "a reverted transaction leaves no logs");
        (mined, data)
    }

    /// `eth_call` from dev account `key`: the return data, or the revert data.
    async fn call(&self, key: u32, to: Address, data: Vec<u8>, gas: Option<u64>) -> Result<Bytes, Bytes> {
        let mut request =
            TransactionRequest::default().with_from(dev_key(key).address()).with_to(to).with_input(Bytes::from(data));
        if let Some(gas) = gas {
            request = request.with_gas_limit(gas);
        }
        match self.provider(key).call(request).await {
            Ok(output) => Ok(output),
            Err(error) => Err(error
                .as_error_resp()
                .and_then(|payload| payload.as_revert_data())
                .unwrap_or_else(|| panic!("not a revert: {error}"))),
        }
    }

    async fn view<C: SolCall>(&self, to: Address, call: C) -> C::Return {
        let output = self.call(0, to, call.abi_encode(), None).await.expect("a view succeeds");
        C::abi_decode_returns(&output).expect("decodes")
    }

    async fn balance_of(&self, token: Address, account: Address) -> U256 {
        self.view(token, IERC20::balanceOfCall { account }).await
    }

    /// A token of `name` with 1,000 whole tokens minted to the donor, who
    /// approves the engine for `allowance`.
    async fn funded_token(&self, name: &str, args: Vec<u8>, allowance: U256) -> Address {
        let token = self.deploy(name, args).await;
        self.send(0, token, ITestTokens::mintCall { to: addr(DONOR), amount: whole(1_000) }).await;
        self.send(DONOR, token, IERC20::approveCall { spender: self.engine, value: allowance }).await;
        token
    }

    /// The donor's and the treasury's balances of `token`.
    async fn balances(&self, token: Address) -> (U256, U256) {
        (self.balance_of(token, addr(DONOR)).await, self.balance_of(token, self.treasury).await)
    }
}

fn whole(n: u64) -> U256 {
    U256::from(n) * ONE_DML
}

fn addr(key: u32) -> Address {
    dev_key(key).address()
}

fn test_erc20_args() -> Vec<u8> {
    ("Test".to_string(), "TST".to_string()).abi_encode_params()
}

fn donate(token: Address, amount: U256) -> IEngine::donateTokenCall {
    IEngine::donateTokenCall { token, amount }
}

fn refused() -> Bytes {
    Bytes::from(IEngine::ReentrancyGuardReentrantCall {}.abi_encode())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn donate_token_moves_an_erc20_to_the_treasury_in_one_receipt() {
    let net = Net::start().await;
    let token = net.funded_token("TestERC20", test_erc20_args(), whole(100)).await;
    let mined = net.send(DONOR, net.engine, donate(token, whole(40))).await;
    assert_eq!(net.balances(token).await, (whole(960), whole(40)));
    assert_eq!(net.view(token, IERC20::allowanceCall { owner: addr(DONOR), spender: net.engine }).await, whole(60));
    // The token's Transfer, emitted by the token contract, then the engine's event.
    let logs = mined.logs();
    assert_eq!(logs.len(), 2, "{logs:?}");
    let transfer = IERC20::Transfer::decode_raw_log(logs[0].1.iter().copied(), &logs[0].2).expect("Transfer");
    assert_eq!(logs[0].0, token);
    assert_eq!((transfer.from, transfer.to, transfer.value), (addr(DONOR), net.treasury, whole(40)));
    let donated = IEngine::TokenDonated::decode_raw_log(logs[1].1.iter().copied(), &logs[1].2).expect("TokenDonated");
    assert_eq!(logs[1].0, net.engine);
    assert_eq!((donated.token, donated.from, donated.amount), (token, addr(DONOR), whole(40)));

    // The same donation from Solidity (SafeERC20, a transient reentrancy
    // guard), from the same first touch of the token's slots.
    let reference = net.deploy("DonationReference", net.treasury.abi_encode()).await;
    let token_b = net.funded_token("TestERC20", test_erc20_args(), whole(100)).await;
    net.send(DONOR, token_b, IERC20::approveCall { spender: reference, value: whole(100) }).await;
    let token_c = net.funded_token("TestERC20", test_erc20_args(), whole(100)).await;
    let solidity = net.send(DONOR, reference, ITestTokens::donateTokenCall { token: token_b, amount: whole(40) }).await;
    let native = net.send(DONOR, net.engine, donate(token_c, whole(40))).await;
    let (native_gas, solidity_gas) = (native.receipt.gas_used, solidity.receipt.gas_used);
    eprintln!("donateToken gas: native engine {native_gas}, Solidity (OpenZeppelin SafeERC20 + guard) {solidity_gas}");
    assert_eq!(net.balances(token_b).await, (whole(960), whole(40)));
    // The engine reads two slots the reference holds as immutables (treasury, paused)
    // and estimates its own dispatch; within 10,000 gas of Solidity's.
    assert!(native_gas.abs_diff(solidity_gas) < 10_000, "native {native_gas}, Solidity {solidity_gas}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tokens_revert_bubbles_up_and_changes_nothing() {
    let net = Net::start().await;
    let token = net.funded_token("TestERC20", test_erc20_args(), whole(10)).await;
    let (_, data) = net.send_reverting(DONOR, net.engine, donate(token, whole(40))).await;
    let expected = IERC20::ERC20InsufficientAllowance { spender: net.engine, allowance: whole(10), needed: whole(40) };
    assert_eq!(data, Bytes::from(expected.abi_encode()));
    assert_eq!(net.balances(token).await, (whole(1_000), U256::ZERO));
    // Within the allowance, the same donor's donation goes through.
    net.send(DONOR, net.engine, donate(token, whole(10))).await;
    assert_eq!(net.balances(token).await, (whole(990), whole(10)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn false_or_no_code_fails_as_safe_erc20_and_nothing_is_a_success() {
    let net = Net::start().await;
    // NonStandardToken.Answer: False = 0, Nothing = 1.
    let answers_false = net.funded_token("NonStandardToken", U256::ZERO.abi_encode(), whole(100)).await;
    let (_, data) = net.send_reverting(DONOR, net.engine, donate(answers_false, whole(5))).await;
    assert_eq!(data, Bytes::from(IEngine::SafeERC20FailedOperation { token: answers_false }.abi_encode()));
    assert_eq!(net.balances(answers_false).await, (whole(1_000), U256::ZERO));

    let nowhere = Address::repeat_byte(0x5a);
    let (_, data) = net.send_reverting(DONOR, net.engine, donate(nowhere, whole(5))).await;
    assert_eq!(data, Bytes::from(IEngine::SafeERC20FailedOperation { token: nowhere }.abi_encode()));

    let answers_nothing = net.funded_token("NonStandardToken", U256::from(1u8).abi_encode(), whole(100)).await;
    net.send(DONOR, net.engine, donate(answers_nothing, whole(5))).await;
    assert_eq!(net.balances(answers_nothing).await, (whole(995), whole(5)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reentrant_token_is_refused_and_nothing_changes() {
    let net = Net::start().await;
    let token = net.funded_token("ReentrantToken", Vec::new(), whole(100)).await;
    let dml_before = net.view(net.token, IDmlToken::balanceOfCall { account: net.treasury }).await;

    // Propagated: the donation reverts with the engine's refusal of the nested donation.
    let reentry = donate(token, whole(1)).abi_encode();
    net.send(0, token, ITestTokens::setReentryCall { target: net.engine, data: reentry.into(), propagate: true }).await;
    let (_, data) = net.send_reverting(DONOR, net.engine, donate(token, whole(10))).await;
    assert_eq!(data, refused());
    assert_eq!(data.as_ref(), [0x3e, 0xe5, 0xae, 0xb5]);
    assert_eq!(net.balances(token).await, (whole(1_000), U256::ZERO));

    // Caught by the token: the outer donation goes through, the nested state
    // changes (a donation, a DML transfer and approval by the token) do not.
    let nested: [(Address, Vec<u8>); 3] = [
        (net.engine, donate(token, whole(1)).abi_encode()),
        (net.token, IDmlToken::transferCall { to: addr(2), amount: U256::ZERO }.abi_encode()),
        (net.token, IDmlToken::approveCall { spender: addr(2), amount: whole(1) }.abi_encode()),
    ];
    for (round, (target, data)) in nested.into_iter().enumerate() {
        net.send(0, token, ITestTokens::setReentryCall { target, data: data.into(), propagate: false }).await;
        let mined = net.send(DONOR, net.engine, donate(token, whole(10))).await;
        let logs = mined.logs();
        let reentered =
            ITestTokens::Reentered::decode_raw_log(logs[0].1.iter().copied(), &logs[0].2).expect("Reentered first");
        assert_eq!((reentered.target, reentered.success), (target, false), "round {round}");
        assert_eq!(reentered.returnData, refused(), "round {round}");
        assert!(!net.view(token, ITestTokens::lastSuccessCall {}).await);
        assert_eq!(net.view(token, ITestTokens::lastReturnDataCall {}).await, refused());
        let topics: Vec<_> = logs.iter().map(|log| log.1[0]).collect();
        assert_eq!(
            topics[1..],
            [IERC20::Transfer::SIGNATURE_HASH, IEngine::TokenDonated::SIGNATURE_HASH],
            "round {round}: only the outer donation's logs"
        );
        let donated = U256::from(round as u64 + 1) * whole(10);
        assert_eq!(net.balances(token).await, (whole(1_000) - donated, donated), "round {round}: one donation");
    }
    assert_eq!(net.view(net.token, IDmlToken::allowanceCall { owner: token, spender: addr(2) }).await, U256::ZERO);
    assert_eq!(net.view(net.token, IDmlToken::balanceOfCall { account: net.treasury }).await, dml_before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn views_from_inside_the_callee_are_answered() {
    let net = Net::start().await;
    let token = net.funded_token("ReentrantToken", Vec::new(), whole(100)).await;
    let views: [(Address, Vec<u8>, Vec<u8>); 2] = [
        (net.engine, IEngine::treasuryCall {}.abi_encode(), net.treasury.abi_encode()),
        (
            net.token,
            IDmlToken::balanceOfCall { account: addr(DONOR) }.abi_encode(),
            net.view(net.token, IDmlToken::balanceOfCall { account: addr(DONOR) }).await.abi_encode(),
        ),
    ];
    for (target, data, expected) in views {
        // Propagating: a failed view would revert the donation.
        net.send(0, token, ITestTokens::setReentryCall { target, data: data.into(), propagate: true }).await;
        net.send(DONOR, net.engine, donate(token, whole(1))).await;
        assert!(net.view(token, ITestTokens::lastSuccessCall {}).await);
        assert_eq!(net.view(token, ITestTokens::lastReturnDataCall {}).await.as_ref(), expected);
    }
    assert_eq!(net.balances(token).await, (whole(998), whole(2)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_little_gas_for_the_token_fails_the_donation_cleanly() {
    let net = Net::start().await;
    let token = net.funded_token("TestERC20", test_erc20_args(), whole(100)).await;
    let data = donate(token, whole(40)).abi_encode();
    let needed = net
        .provider(DONOR)
        .estimate_gas(
            TransactionRequest::default()
                .with_from(addr(DONOR))
                .with_to(net.engine)
                .with_input(Bytes::from(data.clone())),
        )
        .await
        .expect("estimates");
    // Enough for the engine to reach the call, too little for the token's
    // transferFrom (it writes the treasury's balance from zero, 20,000 gas
    // alone): the token runs out of gas, which SafeERC20 bubbles up as an
    // empty revert, not an out-of-gas halt of the engine.
    let short = 21_000 + 1_000 + 30_000;
    assert!(short < needed, "{short} < {needed}");
    let reverted = net.call(DONOR, net.engine, data.clone(), Some(short)).await.expect_err("reverts");
    assert_eq!(reverted, Bytes::new());
    let mined = net.send_with_gas(DONOR, net.engine, data.clone(), short).await;
    assert!(!mined.receipt.status());
    assert!(mined.logs().is_empty());
    assert_eq!(net.balances(token).await, (whole(1_000), U256::ZERO));
    // With the estimate it goes through.
    let mined = net.send_with_gas(DONOR, net.engine, data, needed).await;
    assert!(mined.receipt.status(), "the estimate suffices");
    assert_eq!(net.balances(token).await, (whole(960), whole(40)));
}
