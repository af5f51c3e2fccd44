//! Bad tasks never stall `dml solver`: an input that breaks the model's
//! schema and one with a field the model does not take are skipped, a task
//! for a model whose Cog server is down is retried in the background, a task
//! on a model it does not serve is ignored — and a good task submitted after
//! all of them is solved and claimed.
//!
//! Needs the built-in model weights (`bash scripts/setup/models.sh`).

mod devnet_support;

use std::time::Duration;

use alloy_primitives::{Bytes, B256, U256};
use devnet_support::*;
use dml_content::{AddOptions, ContentClient};
use dml_primitives::{IEngine, ONE_DML};
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
    let good = submit(&owner, textgen, r#"{"prompt":"Still working","max_length":20}"#).await;

    let solution = eventually(Duration::from_secs(60), "the good task's claim", || async {
        let s = owner.view(IEngine::solutionsCall { taskid: good }).await.unwrap();
        s.claimed.then_some(s)
    })
    .await;
    assert_eq!(solution.validator, net.address(4));
    for (name, task) in
        [("cog down", down), ("wrong type", wrong_type), ("unknown field", unknown_field), ("not JSON", not_json)]
    {
        let s = owner.view(IEngine::solutionsCall { taskid: task }).await.unwrap();
        assert!(s.validator.is_zero(), "{name}: no solution may be sent");
    }
    let s = owner.view(IEngine::solutionsCall { taskid: unserved }).await.unwrap();
    assert!(s.validator.is_zero(), "a model the solver does not serve is left alone");

    // Its metrics say what happened: three skips, one task still retrying.
    let text = reqwest::get(format!("http://{metrics_arg}/metrics")).await.unwrap().text().await.unwrap();
    let solver_label = format!("{:#x}", net.address(4));
    let value = |name: &str| -> f64 {
        let line = text
            .lines()
            .find(|l| l.starts_with(name) && l.contains(&solver_label))
            .unwrap_or_else(|| panic!("no {name} in\n{text}"));
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    assert_eq!(value("dml_solver_tasks_seen_total"), 6.0 - 1.0, "every task on a served model is seen");
    assert_eq!(value("dml_solver_tasks_skipped_total"), 3.0, "{text}");
    assert_eq!(value("dml_solver_tasks_paid_total"), 1.0);
    assert!(value("dml_solver_jobs_active") >= 1.0, "the Cog task is still being retried");
    assert!(solver.terminate().success());
    net.proc.terminate();
}
