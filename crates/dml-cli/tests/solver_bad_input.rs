//! Bad tasks never stall `dml solver`: an input that breaks the model's
//! schema and one with a field the model does not take are skipped, a task
//! for a model whose Cog server is down is retried in the background, a task
//! on a model it does not serve is ignored, and a task sent through a
//! contract whose transaction carries other bytes than the task's input is
//! solved from the content store by the task's CID (or skipped when the
//! store does not have it) — and a good task submitted after all of them is
//! solved and claimed.
//!
//! Needs the built-in model weights (`bash scripts/setup/models.sh`).

mod devnet_support;

use std::time::Duration;

use alloy_network::{EthereumWallet, TransactionBuilder};
use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_provider::{Provider, ProviderBuilder};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolCall, SolEvent};
use devnet_support::*;
use dml_content::{AddOptions, ContentClient};
use dml_primitives::{task_seed, IDmlToken, IEngine, ONE_DML};
use dml_solver::chain::ChainClient;

const COG_TEMPLATE: &str = r#"{
  "name": "echo-cog",
  "version": 1,
  "runner": { "type": "cog", "image": "example/echo@sha256:0000000000000000000000000000000000000000000000000000000000000000" },
  "input": { "type": "object", "additionalProperties": false, "properties": { "text": { "type": "string" } } },
  "output": { "type": "text", "media_type": "text/plain; charset=utf-8" },
  "example": { "text": "hi" }
}"#;

async fn submit(owner: &ChainClient, model: B256, input: &str) -> B256 {
    submit_task(owner, model, ONE_DML / U256::from(10), input.as_bytes()).await.0
}

/// EVM code of a contract that, whatever it is called with, calls `engine`
/// with the fixed `calldata` built into it (reverting if that call reverts).
/// Its initcode is returned: a transaction to it that looks like a
/// `submitTask` with one input creates a task with another.
fn forwarder_initcode(engine: Address, calldata: &[u8]) -> Vec<u8> {
    let len = u16::try_from(calldata.len()).unwrap().to_be_bytes();
    let mut runtime = Vec::new();
    runtime.extend([0x61, len[0], len[1]]); // PUSH2 len
    runtime.extend([0x61, 0x00, 0x34]); // PUSH2 0x34: where the calldata starts in this code
    runtime.extend([0x60, 0x00, 0x39]); // PUSH1 0, CODECOPY: memory[0..len]
    runtime.extend([0x60, 0x00, 0x60, 0x00]); // return data: none
    runtime.extend([0x61, len[0], len[1], 0x60, 0x00]); // arguments: memory[0..len]
    runtime.extend([0x60, 0x00, 0x73]); // value 0, PUSH20 engine
    runtime.extend(engine.as_slice());
    runtime.extend([0x5a, 0xf1]); // GAS, CALL
    runtime.extend([0x60, 0x32, 0x57]); // PUSH1 0x32, JUMPI: on success
    runtime.extend([0x60, 0x00, 0x80, 0xfd]); // REVERT(0, 0)
    runtime.extend([0x5b, 0x00]); // 0x32: JUMPDEST, STOP
    assert_eq!(runtime.len(), 0x34);
    runtime.extend(calldata);
    let runtime_len = u16::try_from(runtime.len()).unwrap().to_be_bytes();
    // PUSH2 len, DUP1, PUSH1 12, PUSH1 0, CODECOPY, PUSH1 0, RETURN; then the runtime.
    let mut initcode = vec![0x61, runtime_len[0], runtime_len[1], 0x80, 0x60, 0x0c, 0x60, 0x00, 0x39, 0x60, 0x00, 0xf3];
    initcode.extend(runtime);
    initcode
}

/// Deploys a forwarder that submits a task with `real_input`, funds it with
/// DML for the fee, and calls it with calldata that claims `claimed_input`.
/// Returns the task id.
async fn submit_through_forwarder(
    net: &Devnet,
    account: usize,
    model: B256,
    claimed_input: &str,
    real_input: &str,
) -> B256 {
    let signer: PrivateKeySigner = net.key(account).parse().unwrap();
    let owner = signer.address();
    let provider =
        ProviderBuilder::new().wallet(EthereumWallet::from(signer)).connect_http(net.rpc_url().parse().unwrap());
    let client = net.client(account).await;
    let fee = ONE_DML / U256::from(10);
    let submit = |input: &str| {
        IEngine::submitTaskCall {
            version_: 0,
            owner_: owner,
            model_: model,
            fee_: fee,
            input_: Bytes::copy_from_slice(input.as_bytes()),
        }
        .abi_encode()
    };
    let deploy =
        TransactionRequest::default().with_deploy_code(forwarder_initcode(client.engine(), &submit(real_input)));
    let receipt = provider.send_transaction(deploy).await.unwrap().get_receipt().await.unwrap();
    assert!(receipt.status(), "the forwarder deploys");
    let forwarder = receipt.contract_address.unwrap();
    let fund = TransactionRequest::default()
        .with_to(client.token())
        .with_input(IDmlToken::transferCall { to: forwarder, amount: fee }.abi_encode());
    assert!(provider.send_transaction(fund).await.unwrap().get_receipt().await.unwrap().status());
    let call = TransactionRequest::default().with_to(forwarder).with_input(submit(claimed_input));
    let receipt = provider.send_transaction(call).await.unwrap().get_receipt().await.unwrap();
    assert!(receipt.status(), "the forwarder's submitTask succeeds");
    receipt
        .inner
        .logs()
        .iter()
        .find_map(|log| IEngine::TaskSubmitted::decode_log_data(log.data()).ok())
        .expect("TaskSubmitted")
        .id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tasks_are_skipped_or_retried_and_never_stall_the_queue() {
    if !weights_present() {
        return;
    }
    let mut net = Devnet::start(&["--solvers", "0", "--claim-window", "3"]);
    let textgen = net.model_id("textgenrnn");
    let minilm = net.model_id("all-MiniLM-L6-v2");
    let owner = net.client(9).await;

    // A Cog model whose server is down (nothing listens on that port).
    let author = net.client(0).await;
    let content = ContentClient::new(net.str("api_url"));
    content.add_bytes("template.json", COG_TEMPLATE.as_bytes().to_vec(), &AddOptions::default()).await.unwrap();
    let cog_model = author
        .view(IEngine::registerModelCall {
            addr_: author.address(),
            fee_: U256::ZERO,
            template_: Bytes::from_static(COG_TEMPLATE.as_bytes()),
        })
        .await
        .unwrap();
    author
        .send_and_wait(
            IEngine::registerModelCall {
                addr_: author.address(),
                fee_: U256::ZERO,
                template_: Bytes::from_static(COG_TEMPLATE.as_bytes()),
            },
            Duration::from_secs(10),
        )
        .await
        .unwrap();
    let dead = format!("http://127.0.0.1:{}", free_port());

    let metrics_port = free_port();
    let model_arg = textgen.to_string();
    let cog_arg = format!("{cog_model}={dead}");
    let metrics_arg = format!("127.0.0.1:{metrics_port}");
    let data_dir = net.dir.path().join("solver-4");
    let mut solver = start_solver(
        &net,
        4,
        &data_dir,
        &["--model", &model_arg, "--cog", &cog_arg, "--metrics-addr", &metrics_arg],
        None,
    );

    let down = submit(&owner, cog_model, r#"{"text":"anyone there?"}"#).await;
    let wrong_type = submit(&owner, textgen, r#"{"prompt":5}"#).await;
    let unknown_field = submit(&owner, textgen, r#"{"prompt":"x","colour":"red"}"#).await;
    let not_json = submit(&owner, textgen, "this is not json").await;
    let unserved = submit(&owner, minilm, r#"{"text":"nobody serves this here"}"#).await;
    // Through a contract: the transaction claims one input, the task has
    // another. The first real input is in the content store, the second not.
    let claimed = r#"{"prompt":"what the transaction says","max_length":8}"#;
    let stored_input = r#"{"prompt":"what the task holds","max_length":8}"#;
    content.add_bytes("input.json", stored_input.as_bytes().to_vec(), &AddOptions::default()).await.unwrap();
    let forwarded = submit_through_forwarder(&net, 8, textgen, claimed, stored_input).await;
    let missing_input = r#"{"prompt":"in no store","max_length":8}"#;
    let lost = submit_through_forwarder(&net, 8, textgen, claimed, missing_input).await;
    let good = submit(&owner, textgen, r#"{"prompt":"Still working","max_length":20}"#).await;

    let solution = eventually(Duration::from_secs(60), "the good task's claim", || async {
        let s = owner.view(IEngine::solutionsCall { taskid: good }).await.unwrap();
        s.claimed.then_some(s)
    })
    .await;
    assert_eq!(solution.validator, net.address(4));

    // The forwarded task was solved, and claimed, on the input its CID names.
    let solution = eventually(Duration::from_secs(30), "the forwarded task's claim", || async {
        let s = owner.view(IEngine::solutionsCall { taskid: forwarded }).await.unwrap();
        s.claimed.then_some(s)
    })
    .await;
    let local = std::process::Command::new(DML)
        .args(["model", "run", "textgenrnn", "--input", stored_input, "--seed", &task_seed(forwarded).to_string()])
        .output()
        .unwrap();
    assert_ok(&local, "dml model run");
    assert_eq!(solution.cid.to_vec(), dml_content::cid_v0(&local.stdout).to_bytes());

    for (name, task) in [
        ("cog down", down),
        ("wrong type", wrong_type),
        ("unknown field", unknown_field),
        ("not JSON", not_json),
        ("input in neither the transaction nor the store", lost),
    ] {
        let s = owner.view(IEngine::solutionsCall { taskid: task }).await.unwrap();
        assert!(s.validator.is_zero(), "{name}: no solution may be sent");
    }
    let s = owner.view(IEngine::solutionsCall { taskid: unserved }).await.unwrap();
    assert!(s.validator.is_zero(), "a model the solver does not serve is left alone");

    // Its metrics say what happened: four skips, one task still retrying.
    let text = reqwest::get(format!("http://{metrics_arg}/metrics")).await.unwrap().text().await.unwrap();
    let solver_label = format!("{:#x}", net.address(4));
    let value = |name: &str| -> f64 {
        let line = text
            .lines()
            .find(|l| l.starts_with(name) && l.contains(&solver_label))
            .unwrap_or_else(|| panic!("no {name} in\n{text}"));
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    assert_eq!(value("dml_solver_tasks_seen_total"), 8.0 - 1.0, "every task on a served model is seen");
    assert_eq!(value("dml_solver_tasks_skipped_total"), 4.0, "{text}");
    assert_eq!(value("dml_solver_tasks_paid_total"), 2.0);
    assert!(value("dml_solver_jobs_active") >= 1.0, "the Cog task is still being retried");
    assert!(solver.terminate().success());
    net.proc.terminate();
}
