//! The node as alloy's provider sees it: signed transactions of every type,
//! receipts and logs, views, reverts, and a full task lifecycle of the engine
//! driven over JSON-RPC only.

mod support;

use alloy_network::{EthereumWallet, TransactionBuilder};
use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_provider::{Provider, ProviderBuilder};
use alloy_rpc_types_eth::{Filter, TransactionRequest};
use dml_primitives::{IDmlToken, IEngine, SolCall, SolEvent, ONE_DML};
use serde_json::json;
use support::*;

fn http_provider(node: &dml_chain::NodeHandle, key: u32) -> impl Provider + Clone {
    let wallet = EthereumWallet::from(dev_key(key));
    ProviderBuilder::new().wallet(wallet).connect_http(node.http_url().parse().unwrap())
}

async fn send<P: Provider>(provider: &P, to: Address, data: Vec<u8>) -> alloy_rpc_types_eth::TransactionReceipt {
    let request = TransactionRequest::default().with_to(to).with_input(Bytes::from(data));
    provider.send_transaction(request).await.expect("accepted").get_receipt().await.expect("mined")
}

async fn view<P: Provider, C: SolCall>(provider: &P, to: Address, call: C) -> C::Return {
    let request = TransactionRequest::default().with_to(to).with_input(Bytes::from(call.abi_encode()));
    let output = provider.call(request).await.expect("view succeeds");
    C::abi_decode_returns(&output).expect("decodes")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alloy_sends_every_transaction_type_and_reads_receipts() {
    let node = start_node().await;
    let provider = http_provider(&node, 0);
    assert_eq!(provider.get_chain_id().await.unwrap(), 31337);
    let alice = dev_key(0).address();
    let bob = Address::repeat_byte(0xb0);
    assert_eq!(
        provider.get_balance(alice).await.unwrap(),
        U256::from(10_000u64) * U256::from(10u64).pow(U256::from(18))
    );

    // EIP-1559 (alloy's default), EIP-2930 and legacy (EIP-155).
    let base = TransactionRequest::default().with_to(bob).with_value(U256::from(1000));
    let r1559 = provider.send_transaction(base.clone()).await.unwrap().get_receipt().await.unwrap();
    let gas_price = provider.get_gas_price().await.unwrap();
    let r2930 = provider
        .send_transaction(base.clone().with_gas_price(gas_price).with_access_list(Default::default()))
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    let legacy =
        provider.send_transaction(base.clone().with_gas_price(gas_price)).await.unwrap().get_receipt().await.unwrap();
    for (receipt, ty) in [(&r1559, 2u8), (&r2930, 1), (&legacy, 0)] {
        assert!(receipt.status(), "transfer of type {ty} succeeded");
        assert_eq!(receipt.gas_used, 21_000);
        assert_eq!(receipt.inner.tx_type() as u8, ty);
    }
    assert_eq!(provider.get_balance(bob).await.unwrap(), U256::from(3000));
    assert_eq!(provider.get_transaction_count(alice).await.unwrap(), 3);

    // Blocks are chained and carry the transactions.
    let block = provider.get_block_by_number(r2930.block_number.unwrap().into()).await.unwrap().unwrap();
    let parent = provider.get_block_by_number((block.header.number - 1).into()).await.unwrap().unwrap();
    assert_eq!(block.header.parent_hash, parent.header.hash);
    assert_eq!(block.transactions.hashes().collect::<Vec<_>>(), vec![r2930.transaction_hash]);
    let tx = provider.get_transaction_by_hash(legacy.transaction_hash).await.unwrap().unwrap();
    assert_eq!(tx.inner.signer(), alice);

    // The token is an ERC-20 at a fixed address with code and storage.
    let contracts = node.shared().chain().contracts();
    let code = provider.get_code_at(contracts.token).await.unwrap();
    assert!(!code.is_empty(), "native contracts have code");
    let balance = view(&provider, contracts.token, IDmlToken::balanceOfCall { account: alice }).await;
    assert_eq!(balance, U256::from(1000u64) * ONE_DML);
    let transfer = IDmlToken::transferCall { to: bob, amount: ONE_DML };
    let receipt = send(&provider, contracts.token, transfer.abi_encode()).await;
    assert!(receipt.status());
    assert!(receipt.gas_used > 21_000 + 20_000, "a fresh balance slot costs an SSTORE: {}", receipt.gas_used);
    let log = &receipt.inner.logs()[0];
    assert_eq!(log.address(), contracts.token);
    let decoded = IDmlToken::Transfer::decode_log_data(log.data()).unwrap();
    assert_eq!((decoded.from, decoded.to, decoded.value), (alice, bob, ONE_DML));
    assert_eq!(log.log_index, Some(0));
    let logs = provider
        .get_logs(
            &Filter::new().address(contracts.token).event_signature(IDmlToken::Transfer::SIGNATURE_HASH).from_block(0),
        )
        .await
        .unwrap();
    assert_eq!(logs.last().unwrap().transaction_hash, Some(receipt.transaction_hash));
    // Every genesis slot of the token is visible through eth_getStorageAt:
    // totalSupply lives somewhere non-zero; bob's balance slot changed.
    let raw = RawClient::new(&node.http_url());
    let engine_slot0 = raw.result("eth_getStorageAt", json!([contracts.engine, "0x0", "latest"])).await;
    assert_eq!(engine_slot0.as_str().unwrap().len(), 66);

    // A reverting call: eth_call gives code 3 with the revert data; a mined
    // reverting transaction gives status 0 and the reason in the receipt.
    let claim = IEngine::claimSolutionCall { taskid_: B256::repeat_byte(7) };
    let response = raw
        .call(
            "eth_call",
            json!([{ "from": alice, "to": contracts.engine, "data": Bytes::from(claim.abi_encode()) }, "latest"]),
        )
        .await;
    assert_eq!(response["error"]["code"], 3, "{response}");
    assert!(response["error"]["message"].as_str().unwrap().starts_with("execution reverted"));
    assert!(response["error"]["data"].as_str().unwrap().starts_with("0x08c379a0"));
    let request = TransactionRequest::default()
        .with_to(contracts.engine)
        .with_input(Bytes::from(claim.abi_encode()))
        .with_gas_limit(200_000);
    let failed = provider.send_transaction(request).await.unwrap().get_receipt().await.unwrap();
    assert!(!failed.status());
    let raw_receipt = raw.result("eth_getTransactionReceipt", json!([failed.transaction_hash])).await;
    assert!(raw_receipt["revertReason"].as_str().is_some(), "{raw_receipt}");
    node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_task_lifecycle_over_json_rpc() {
    let node = start_node().await;
    let raw = RawClient::new(&node.http_url());
    let contracts = raw.result("dml_getContracts", json!([])).await;
    let engine: Address = contracts["engine"].as_str().unwrap().parse().unwrap();
    let token: Address = contracts["token"].as_str().unwrap().parse().unwrap();
    let treasury: Address = contracts["treasury"].as_str().unwrap().parse().unwrap();
    let owner = http_provider(&node, 0);
    let solver = http_provider(&node, 1);
    let user = http_provider(&node, 2);
    let solver_address = dev_key(1).address();
    let user_address = dev_key(2).address();
    let model_address = Address::repeat_byte(0x3d);

    // registerModel: the id comes from the ModelRegistered log.
    let template = br#"{"name":"echo","input":{"prompt":{"type":"string"}},"output":"text"}"#.to_vec();
    let fee = ONE_DML / U256::from(10);
    let register = IEngine::registerModelCall { addr_: model_address, fee_: fee, template_: template.into() };
    let receipt = send(&owner, engine, register.abi_encode()).await;
    assert!(receipt.status());
    let model = IEngine::ModelRegistered::decode_log_data(receipt.inner.logs()[0].data()).unwrap().id;

    // validatorDeposit by the solver.
    let stake = U256::from(10u64) * ONE_DML;
    let deposit = IEngine::validatorDepositCall { validator_: solver_address, amount_: stake };
    assert!(send(&solver, engine, deposit.abi_encode()).await.status());
    let staked = view(&solver, engine, IEngine::validatorsCall { addr: solver_address }).await;
    assert_eq!(staked.staked, stake);

    // submitTask by the user: escrows fee + model fee, emits TaskSubmitted.
    let task_fee = ONE_DML;
    let submit = IEngine::submitTaskCall {
        version_: 0,
        owner_: user_address,
        model_: model,
        fee_: task_fee,
        input_: br#"{"prompt":"hello"}"#.to_vec().into(),
    };
    let receipt = send(&user, engine, submit.abi_encode()).await;
    assert!(receipt.status());
    let submitted = receipt
        .inner
        .logs()
        .iter()
        .find_map(|log| IEngine::TaskSubmitted::decode_log_data(log.data()).ok())
        .expect("TaskSubmitted");
    assert_eq!((submitted.model, submitted.fee, submitted.sender), (model, task_fee, user_address));
    let task = submitted.id;
    let stored = view(&user, engine, IEngine::tasksCall { taskid: task }).await;
    assert_eq!(stored.owner, user_address);

    // signalCommitment, then submitSolution in a later block.
    let cid = output_cid(0x42);
    let commitment = view(
        &solver,
        engine,
        IEngine::generateCommitmentCall { sender_: solver_address, taskid_: task, cid_: cid.clone() },
    )
    .await;
    let commit_receipt =
        send(&solver, engine, IEngine::signalCommitmentCall { commitment_: commitment }.abi_encode()).await;
    assert!(commit_receipt.status());
    let solution_receipt =
        send(&solver, engine, IEngine::submitSolutionCall { taskid_: task, cid_: cid.clone() }.abi_encode()).await;
    assert!(solution_receipt.status(), "{solution_receipt:?}");
    assert!(solution_receipt.block_number > commit_receipt.block_number);

    // Claiming before the window reverts with the engine's reason.
    let claim = IEngine::claimSolutionCall { taskid_: task };
    let early = raw
        .call("eth_call", json!([{ "from": solver_address, "to": engine, "data": Bytes::from(claim.abi_encode()) }]))
        .await;
    assert_eq!(early["error"]["code"], 3, "{early}");

    // evm_increaseTime past the claim window, then claim.
    raw.result("evm_increaseTime", json!([CLAIM_WINDOW + 1])).await;
    let solver_before = view(&solver, token, IDmlToken::balanceOfCall { account: solver_address }).await;
    let model_before = view(&solver, token, IDmlToken::balanceOfCall { account: model_address }).await;
    let receipt = send(&solver, engine, claim.abi_encode()).await;
    assert!(receipt.status(), "{receipt:?}");
    assert!(receipt.inner.logs().iter().any(|log| log.topics()[0] == IEngine::SolutionClaimed::SIGNATURE_HASH));
    let solver_after = view(&solver, token, IDmlToken::balanceOfCall { account: solver_address }).await;
    let model_after = view(&solver, token, IDmlToken::balanceOfCall { account: model_address }).await;
    assert_eq!(model_after - model_before, fee, "the model fee goes to the model's address");
    // Of the task fee after the model fee, 10 % accrues to the treasury.
    let remainder = task_fee - fee;
    assert_eq!(solver_after - solver_before, remainder - remainder / U256::from(10));
    let accrued = view(&solver, engine, IEngine::accruedFeesCall {}).await;
    assert_eq!(accrued, remainder / U256::from(10));
    let timelock: Address = contracts["timelock"].as_str().unwrap().parse().unwrap();
    assert_eq!(treasury, timelock, "governance's timelock holds the treasury");
    let solution = view(&solver, engine, IEngine::solutionsCall { taskid: task }).await;
    assert!(solution.claimed);
    node.shutdown().await;
}
