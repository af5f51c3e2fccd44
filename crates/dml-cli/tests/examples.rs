//! The contracts that request inference (whitepaper appendix A) on a real
//! `dml devnet --examples`, answered by its real solvers:
//!
//! - `DmlImageNFT` (A.1) through `dml examples mint --wait`: the token's
//!   content is the model's output for the task's input and seed, byte for
//!   byte, its metadata says how to re-run it, and a prompt with quotes, a
//!   backslash and control characters reaches the model unchanged;
//! - `DmlTaskChain` (A.4) through `dml examples chain`: every step is the
//!   model's output for the previous step's output; a marker ends a chain;
//!   the devnet's relay alone drives a chain started by a plain transaction;
//! - `DmlCompetition` (A.2) by plain transactions: entries, refusals, the
//!   prize paid exactly once;
//! - a forged solution of an NFT's task, front-run so that it lands first,
//!   is contested and slashed and never delivered; the token is resubmitted
//!   and then fulfilled honestly; a forged chain step likewise, which the
//!   devnet's relay resubmits before it ends the chain;
//! - a callback that reverts is recorded as failed with the claim paid, and
//!   is delivered later by a retry of either the callback contract or the
//!   task's owner.
//!
//! Each test starts its own devnet (a second or two), so nothing another
//! test submits moves the engine's `prevhash` under a predicted task id.
//!
//! Needs the built-in model weights (`bash scripts/setup/models.sh`).

mod devnet_support;

use std::time::{Duration, Instant};

use alloy_network::{EthereumWallet, TransactionBuilder};
use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_provider::{DynProvider, Provider, ProviderBuilder};
use alloy_rpc_types_eth::{Filter, TransactionReceipt, TransactionRequest};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolCall, SolError, SolEvent};
use devnet_support::*;
use dml_governance::{IDmlCompetition, IDmlImageNFT, IDmlTaskChain, ITestTaskReceiver};
use dml_primitives::{task_seed, IDmlToken, IEngine, ONE_DML};
use dml_solver::chain::ChainClient;
use serde_json::Value;

/// How long one transaction may take to be mined.
const MINED: Duration = Duration::from_secs(30);
/// How long a task may take to reach its final solution (claim window
/// included) before the test counts as hung.
const HUNG: Duration = Duration::from_secs(120);
/// `callbacks(task).status` values.
const DELIVERED: u8 = 2;
const FAILED: u8 = 3;
const CANCELLED: u8 = 4;
/// Characters each chain step generates (`dml examples chain`'s default).
const MAX_LENGTH: u32 = 40;

/// Prints where the test's time goes (shown with its output when it fails).
fn stepper() -> impl Fn(&str) {
    let started = Instant::now();
    move |what: &str| eprintln!("[{:>5.1} s] {what}", started.elapsed().as_secs_f64())
}

/// A devnet with the example contracts, and what the tests read from it.
struct Examples {
    net: Devnet,
    reader: ChainClient,
    nft: Address,
    competition: Address,
    task_chain: Address,
    textgenrnn: B256,
    /// The model the NFT mints with.
    image_model: B256,
}

impl Examples {
    /// `dml devnet --examples` with 3 s claim windows and vote periods.
    async fn start() -> Examples {
        Examples::start_with(&["--claim-window", "3", "--vote-period", "3"]).await
    }

    /// `dml devnet --examples EXTRA…`.
    async fn start_with(extra: &[&str]) -> Examples {
        let mut args = vec!["--examples"];
        args.extend_from_slice(extra);
        let net = Devnet::start(&args);
        let printed = &net.info["examples"];
        let address = |key: &str| -> Address {
            printed[key].as_str().unwrap_or_else(|| panic!("no examples.{key} in {printed}")).parse().unwrap()
        };
        let (nft, competition, task_chain) = (address("nft"), address("competition"), address("task_chain"));
        let genesis = dml_chain::ExampleAddresses::at_genesis();
        assert_eq!((nft, competition, task_chain), (genesis.nft, genesis.competition, genesis.task_chain));
        let reader = net.client(0).await;
        let contracts: Value = wallet(&net, 0).raw_request("dml_getContracts".into(), ()).await.unwrap();
        let named = &contracts["examples"];
        assert_eq!(named["nft"].as_str().unwrap().parse::<Address>().unwrap(), nft, "{contracts}");
        assert_eq!(named["competition"].as_str().unwrap().parse::<Address>().unwrap(), competition);
        assert_eq!(named["taskChain"].as_str().unwrap().parse::<Address>().unwrap(), task_chain);
        let textgenrnn = net.model_id("textgenrnn");
        let image_model = net.model_id("fashion-diffusion");
        Examples { net, reader, nft, competition, task_chain, textgenrnn, image_model }
    }

    /// Waits until every devnet solver has staked.
    async fn solvers_staked(&self) {
        let solvers = self.net.solvers();
        eventually(MINED, "the solvers' stakes", || async {
            for (solver, _) in &solvers {
                if self.reader.view(IEngine::validatorsCall { addr: *solver }).await.unwrap().staked.is_zero() {
                    return None;
                }
            }
            Some(())
        })
        .await;
    }

    /// Calls a view of `to`.
    async fn view<C: SolCall>(&self, to: Address, call: C) -> C::Return {
        self.reader.view_of(to, call).await.unwrap_or_else(|e| panic!("{} on {to}: {e}", C::SIGNATURE))
    }

    /// Signs `call` to `to` as dev account `account` and waits for its
    /// successful receipt.
    async fn send(&self, account: usize, to: Address, call: impl SolCall, what: &str) -> TransactionReceipt {
        let request = TransactionRequest::default().with_to(to).with_input(Bytes::from(call.abi_encode()));
        send_request(&self.net, account, request, what).await
    }

    /// Why the chain refuses dev account `account` calling `call` on `to`:
    /// the revert of `eth_estimateGas`, as the CLI decodes it, and its data.
    async fn refusal(&self, account: usize, to: Address, call: impl SolCall) -> (String, Bytes) {
        let request = TransactionRequest::default()
            .with_from(self.net.address(account))
            .with_to(to)
            .with_input(Bytes::from(call.abi_encode()));
        let error = wallet(&self.net, 0).estimate_gas(request).await.expect_err("the call should revert");
        let data = error.as_error_resp().and_then(|payload| payload.as_revert_data()).expect("revert data");
        let reason = dml_governance::decode_revert(&data).unwrap_or_else(|| format!("undecoded revert {data}"));
        (reason, data)
    }

    /// The bytes the gateway serves for `cid` (a CIDv0 multihash or its text).
    async fn gateway(&self, cid: &str) -> Vec<u8> {
        let url = format!("{}/ipfs/{cid}", self.net.str("gateway_url"));
        let response = reqwest::get(&url).await.unwrap();
        assert!(response.status().is_success(), "{url}: {}", response.status());
        response.bytes().await.unwrap().to_vec()
    }

    /// A task's input: fetched from the gateway by the CID the engine
    /// stores, and checked against the task's `TaskInput` log.
    async fn task_input(&self, task: B256) -> Vec<u8> {
        let record = self.reader.view(IEngine::tasksCall { taskid: task }).await.unwrap();
        let cid = dml_content::Cid::from_bytes(&record.cid).unwrap();
        let served = self.gateway(&cid.to_string()).await;
        let head = self.reader.block_number().await.unwrap();
        let logged = self
            .reader
            .logs_with(0, head, Some(vec![IEngine::TaskInput::SIGNATURE_HASH]))
            .await
            .unwrap()
            .iter()
            .filter_map(|l| IEngine::TaskInput::decode_log_data(l.data()).ok())
            .find(|e| e.task == task)
            .unwrap_or_else(|| panic!("no TaskInput log of {task}"));
        assert_eq!(served, logged.input.to_vec(), "the gateway serves the input the engine logged");
        served
    }

    /// A task's solution CID as text (the engine's record).
    async fn solution_cid(&self, task: B256) -> String {
        let solution = self.reader.view(IEngine::solutionsCall { taskid: task }).await.unwrap();
        dml_content::Cid::from_bytes(&solution.cid).unwrap().to_string()
    }

    /// The id a `model` task submitted by `sender` would get now (the
    /// engine's `hashTask` with its current `prevhash`).
    async fn predict_task(&self, model: B256, sender: Address, fee: U256, input: &[u8]) -> B256 {
        let cid =
            self.reader.view(IEngine::generateIPFSCIDCall { content_: Bytes::copy_from_slice(input) }).await.unwrap();
        let prevhash = self.reader.view(IEngine::prevhashCall {}).await.unwrap();
        let task = dml_primitives::Task { model, fee, owner: sender, blocktime: 0, version: 0, cid };
        self.reader.view(IEngine::hashTaskCall { o_: task, sender_: sender, prevhash_: prevhash }).await.unwrap()
    }

    /// The engine's logs of `event` (all blocks).
    async fn engine_events<E: SolEvent>(&self) -> Vec<(E, B256)> {
        let head = self.reader.block_number().await.unwrap();
        let logs = self.reader.logs_with(0, head, Some(vec![E::SIGNATURE_HASH])).await.unwrap();
        logs.iter()
            .filter_map(|l| Some((E::decode_log_data(l.data()).ok()?, l.transaction_hash.unwrap_or_default())))
            .collect()
    }

    /// `contract`'s logs of `event` (all blocks), with their transactions.
    async fn contract_events<E: SolEvent>(&self, contract: Address) -> Vec<(E, B256)> {
        let filter = Filter::new().address(contract).event_signature(E::SIGNATURE_HASH).from_block(0);
        let logs = wallet(&self.net, 0).get_logs(&filter).await.unwrap();
        logs.iter()
            .filter_map(|l| Some((E::decode_log_data(l.data()).ok()?, l.transaction_hash.unwrap_or_default())))
            .collect()
    }

    /// A mined transaction's receipt.
    async fn receipt(&self, hash: B256) -> TransactionReceipt {
        wallet(&self.net, 0).get_transaction_receipt(hash).await.unwrap().expect("a mined transaction")
    }

    /// `who`'s DML balance.
    async fn dml_balance(&self, who: Address) -> U256 {
        self.reader.token_view(IDmlToken::balanceOfCall { account: who }).await.unwrap()
    }

    /// Checks that `task`'s callback was delivered by its claim, whose
    /// sender (a devnet solver) was paid the callback fee `fee`.
    async fn delivered_by_claim(&self, task: B256, fee: U256) {
        let callback = self.reader.view(IEngine::callbacksCall { taskid: task }).await.unwrap();
        assert_eq!((callback.status, callback.fee), (DELIVERED, U256::ZERO), "delivered, fee paid out");
        let claims = self.engine_events::<IEngine::SolutionClaimed>().await;
        let (_, claim_tx) = claims.iter().find(|(e, _)| e.task == task).expect("the task's claim");
        let receipt = self.receipt(*claim_tx).await;
        let claimer = receipt.from;
        assert!(self.net.solvers().iter().any(|(s, _)| *s == claimer), "a devnet solver claimed {task}");
        let delivered = receipt_events::<IEngine::CallbackDelivered>(&receipt, self.reader.engine());
        assert!(delivered.iter().any(|e| e.task == task), "the claim delivered the callback");
        let paid = receipt_events::<IDmlToken::Transfer>(&receipt, self.reader.token());
        assert!(
            paid.iter().any(|t| t.from == self.reader.engine() && t.to == claimer && t.value == fee),
            "the claimer {claimer} got the callback fee {fee}: {paid:?}"
        );
    }
}

/// A provider signing as dev account `account`.
fn wallet(net: &Devnet, account: usize) -> DynProvider {
    let signer: PrivateKeySigner = net.key(account).parse().unwrap();
    ProviderBuilder::new().wallet(EthereumWallet::from(signer)).connect_http(net.rpc_url().parse().unwrap()).erased()
}

/// Sends `request` signed by dev account `account` and waits for its
/// successful receipt, looking every 10 ms (alloy's own wait looks every
/// 250 ms, which would give the front-run below's honest solvers time).
async fn send_request(net: &Devnet, account: usize, request: TransactionRequest, what: &str) -> TransactionReceipt {
    let provider = wallet(net, account);
    let pending = provider
        .send_transaction(request)
        .await
        .unwrap_or_else(|e| panic!("{what} by dev account {account} was refused: {e}"));
    let hash = *pending.tx_hash();
    let deadline = Instant::now() + MINED;
    let receipt = loop {
        if let Some(receipt) = provider.get_transaction_receipt(hash).await.unwrap() {
            break receipt;
        }
        assert!(Instant::now() < deadline, "{what} not mined within {MINED:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert!(receipt.status(), "{what} by dev account {account} reverted");
    receipt
}

/// The logs of `E` that `emitter` wrote in `receipt`.
fn receipt_events<E: SolEvent>(receipt: &TransactionReceipt, emitter: Address) -> Vec<E> {
    receipt
        .inner
        .logs()
        .iter()
        .filter(|log| log.address() == emitter)
        .filter_map(|log| E::decode_log_data(log.data()).ok())
        .collect()
}

/// Escapes text for the inside of a JSON string as `DmlTasks.jsonEscape`
/// does: `"` and `\` get a backslash, bytes below 0x20 become `\u00xx`.
fn json_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '"' | '\\' => {
                escaped.push('\\');
                escaped.push(ch);
            }
            c if (c as u32) < 0x20 => escaped += &format!("\\u{:04x}", c as u32),
            c => escaped.push(c),
        }
    }
    escaped
}

/// The last at most `max` bytes of `text`, moved forward to a character
/// boundary (`DmlTasks.utf8Tail`).
fn utf8_tail(text: &[u8], max: usize) -> &[u8] {
    let mut start = text.len().saturating_sub(max);
    while start < text.len() && text[start] & 0xc0 == 0x80 {
        start += 1;
    }
    &text[start..]
}

/// Standard base64 with padding (RFC 4648 §4), as OpenZeppelin's `Base64` writes it.
fn base64_decode(text: &str) -> Vec<u8> {
    assert_eq!(text.len() % 4, 0, "padded base64: {text}");
    let value = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64: {:?} in {text}", c as char),
        }
    };
    let (mut out, mut acc, mut bits) = (Vec::new(), 0u32, 0);
    for &c in text.trim_end_matches('=').as_bytes() {
        acc = (acc << 6) | value(c);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// `dml model run MODEL --input INPUT --seed SEED`: the bytes a solver pins.
fn model_run(model: &str, input: &[u8], seed: u64) -> Vec<u8> {
    let input = std::str::from_utf8(input).unwrap();
    let output = std::process::Command::new(DML)
        .args(["model", "run", model, "--input", input, "--seed", &seed.to_string()])
        .output()
        .unwrap();
    assert_ok(&output, "dml model run");
    output.stdout
}

/// Runs `dml ARGS… --json` as dev account `account` and parses what it printed.
fn dml_json(net: &Devnet, account: usize, args: &[&str]) -> Value {
    let mut full = args.to_vec();
    full.push("--json");
    let output = net.dml(account, &full);
    assert_ok(&output, &format!("dml {}", args.join(" ")));
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("dml {args:?}: not JSON ({e}): {}", stdout(&output)))
}

/// A `0x…` string of the CLI's JSON as a 32-byte id.
fn b256(value: &Value) -> B256 {
    value.as_str().unwrap_or_else(|| panic!("not a string: {value}")).parse().unwrap()
}

// ---------------------------------------------------------------------------

/// Checks one `dml examples mint --wait --json` result end to end; returns
/// the task's input bytes and the content.
async fn check_minted(ex: &Examples, minted: &Value, prompt: &str) -> (Vec<u8>, Vec<u8>) {
    assert_eq!(minted["nft"].as_str().unwrap().parse::<Address>().unwrap(), ex.nft);
    let token_id: U256 = minted["token_id"].as_str().unwrap().parse().unwrap();
    let task = b256(&minted["task"]);
    assert_eq!(ex.view(ex.nft, IDmlImageNFT::tokenTaskCall { tokenId: token_id }).await, task);
    assert!(ex.view(ex.nft, IDmlImageNFT::isFulfilledCall { tokenId: token_id }).await);
    assert_eq!(ex.view(ex.nft, IDmlImageNFT::promptCall { tokenId: token_id }).await, prompt);

    // The input is `{"prompt":"<escaped>"}`, and the model's output for it
    // and the task's seed is the token's content, byte for byte.
    let input = ex.task_input(task).await;
    assert_eq!(input, format!(r#"{{"prompt":"{}"}}"#, json_escape(prompt)).into_bytes());
    let parsed: Value = serde_json::from_slice(&input).unwrap();
    assert_eq!(parsed["prompt"], prompt, "the input decodes to the prompt exactly");
    let cid = minted["cid"].as_str().unwrap();
    let content = ex.gateway(cid).await;
    let seed = task_seed(task);
    assert_eq!(
        content,
        model_run("fashion-diffusion", &input, seed),
        "the content is `dml model run` for the task's input and seed"
    );
    assert!(content.starts_with(b"\x89PNG\r\n\x1a\n"), "the token's content is a PNG");
    assert_eq!(dml_content::cid_v0(&content).to_string(), cid);
    assert_eq!(ex.solution_cid(task).await, cid);
    let image = ex.view(ex.nft, IDmlImageNFT::solutionCidCall { tokenId: token_id }).await;
    assert_eq!(dml_content::Cid::from_bytes(&image).unwrap().to_string(), cid, "the callback recorded the CID");
    assert!(minted["output"].is_null(), "a picture is not printed as text");
    assert_eq!(minted["bytes"].as_u64().unwrap(), content.len() as u64);

    // tokenURI is base64 of tokenMetadata, which names how to re-run it.
    let text = ex.view(ex.nft, IDmlImageNFT::tokenMetadataCall { tokenId: token_id }).await;
    let uri = ex.view(ex.nft, IDmlImageNFT::tokenURICall { tokenId: token_id }).await;
    let encoded = uri.strip_prefix("data:application/json;base64,").unwrap_or_else(|| panic!("tokenURI {uri}"));
    assert_eq!(String::from_utf8(base64_decode(encoded)).unwrap(), text, "tokenURI encodes tokenMetadata");
    let metadata: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("metadata not JSON ({e}): {text}"));
    assert_eq!(metadata, minted["metadata"], "the CLI printed the token's metadata");
    let input_cid = dml_content::cid_v0(&input).to_string();
    let properties = &metadata["properties"];
    assert_eq!(properties["model"], ex.image_model.to_string(), "{metadata}");
    assert_eq!(properties["task"], task.to_string());
    assert_eq!(properties["input"], format!("ipfs://{input_cid}"));
    assert_eq!(properties["seed"].as_u64(), Some(seed));
    assert_eq!(properties["prompt"], prompt);
    assert_eq!(properties["status"], "fulfilled");
    assert_eq!(metadata["image"], format!("ipfs://{cid}"));
    assert_eq!(metadata["description"], prompt);
    assert_eq!(metadata["name"], format!("DML Generations #{token_id}"));
    let gateway_port = ex.net.str("gateway_url").rsplit(':').next().unwrap().to_string();
    assert_eq!(metadata["external_url"], format!("http://127.0.0.1:{gateway_port}/ipfs/{cid}"));
    let attribute = |name: &str| {
        metadata["attributes"].as_array().unwrap().iter().find(|a| a["trait_type"] == name).unwrap()["value"].clone()
    };
    for name in ["model", "task", "input", "seed", "prompt", "status"] {
        assert_eq!(attribute(name), properties[name], "attribute {name}");
    }

    // Delivered by the claim, whose sender got the callback fee.
    let fee = ex.view(ex.nft, IDmlImageNFT::callbackFeeCall {}).await;
    assert!(!fee.is_zero(), "the devnet's examples pay a callback fee");
    ex.delivered_by_claim(task, fee).await;
    let fulfilled = ex.contract_events::<IDmlImageNFT::MintFulfilled>(ex.nft).await;
    assert_eq!(fulfilled.iter().filter(|(e, _)| e.taskid == task).count(), 1, "MintFulfilled once");
    (input, content)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_nft_minted_from_the_cli_holds_the_models_output_and_says_how_to_rerun_it() {
    if !weights_present() {
        return;
    }
    let step = stepper();
    let ex = Examples::start().await;
    step("devnet started");
    let plain = "a lighthouse at dusk";
    // Quotes, a backslash, a newline and a tab: escaped into the JSON input,
    // and the model must see exactly this prompt.
    let tricky = "say \"hi\" \\ then\nnext\tline";
    assert_eq!(json_escape(tricky), r#"say \"hi\" \\ then\u000anext\u0009line"#);
    let out_dir = tempfile::tempdir().unwrap();
    let picture = out_dir.path().join("token.png");
    let picture_arg = picture.display().to_string();
    let (first, second) = std::thread::scope(|scope| {
        let first = scope.spawn(|| {
            dml_json(&ex.net, 9, &["examples", "mint", plain, "--wait", "--timeout", "120", "--out", &picture_arg])
        });
        let second = scope.spawn(|| dml_json(&ex.net, 6, &["examples", "mint", tricky, "--wait", "--timeout", "120"]));
        (first.join().unwrap(), second.join().unwrap())
    });
    step("both mints fulfilled");
    assert_ne!(first["token_id"], second["token_id"]);
    for (minted, owner) in [(&first, 9), (&second, 6)] {
        let token_id: U256 = minted["token_id"].as_str().unwrap().parse().unwrap();
        let holder = ex.view(ex.nft, IDmlImageNFT::ownerOfCall { tokenId: token_id }).await;
        assert_eq!(holder, ex.net.address(owner), "the minter holds the token");
    }
    let (_, first_content) = check_minted(&ex, &first, plain).await;
    assert_eq!(std::fs::read(&picture).unwrap(), first_content, "--out wrote the token's picture");
    assert_eq!(first["out"], picture_arg);
    let (input, content) = check_minted(&ex, &second, tricky).await;
    assert_eq!(
        input,
        br#"{"prompt":"say \"hi\" \\ then\u000anext\u0009line"}"#.to_vec(),
        "the contract escaped the prompt"
    );
    // The model saw the prompt unchanged: the same picture as from the
    // prompt escaped another way.
    let other_escaping = serde_json::json!({ "prompt": tricky }).to_string();
    assert_ne!(other_escaping.as_bytes(), input.as_slice());
    let seed = task_seed(b256(&second["task"]));
    assert_eq!(
        content,
        model_run("fashion-diffusion", other_escaping.as_bytes(), seed),
        "the model saw the prompt unchanged"
    );
    step("checked");
    let mut net = ex.net;
    net.proc.terminate();
}

// ---------------------------------------------------------------------------

/// Checks the steps of a chain: step 1's input is `first_prompt`, every
/// later step's is the tail of the output before it, and every output is
/// `dml model run` for the step's input and seed, delivered by its callback.
/// Returns the outputs.
async fn check_chain_steps(ex: &Examples, tasks: &[B256], first_prompt: &str) -> Vec<Vec<u8>> {
    let mut prompt = first_prompt.as_bytes().to_vec();
    let mut outputs = Vec::new();
    for (i, task) in tasks.iter().enumerate() {
        let input = ex.task_input(*task).await;
        let expected = format!(
            r#"{{"prompt":"{}","max_length":{MAX_LENGTH}}}"#,
            json_escape(std::str::from_utf8(&prompt).unwrap())
        );
        assert_eq!(String::from_utf8_lossy(&input), expected, "step {}'s input", i + 1);
        let cid = ex.solution_cid(*task).await;
        let output = ex.gateway(&cid).await;
        assert_eq!(output, model_run("textgenrnn", &input, task_seed(*task)), "step {}'s output is the model's", i + 1);
        let delivered = ex.view(ex.task_chain, IDmlTaskChain::solutionOfCall { taskid: *task }).await;
        assert_eq!(dml_content::Cid::from_bytes(&delivered).unwrap().to_string(), cid, "step {}'s callback", i + 1);
        let callback = ex.reader.view(IEngine::callbacksCall { taskid: *task }).await.unwrap();
        assert_eq!(callback.status, DELIVERED);
        let position = ex.view(ex.task_chain, IDmlTaskChain::stepOfTaskCall { taskid: *task }).await;
        assert!(!position.chainId.is_zero());
        assert_eq!(usize::from(position.step), i + 1);
        prompt = utf8_tail(&output, 1000).to_vec();
        outputs.push(output);
    }
    outputs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn task_chains_feed_each_output_to_the_next_step_and_end_at_the_limit_or_the_marker() {
    if !weights_present() {
        return;
    }
    let step = stepper();
    let ex = Examples::start().await;
    step("devnet started");
    let length = MAX_LENGTH.to_string();

    // A chain started by a plain transaction, which the devnet's relay (dev
    // account 0) alone advances to its end while the CLI drives another. The
    // relay and the CLI race to advance the CLI's chain; a refused race once
    // left the relay's nonce behind a gap, and it never advanced again.
    let starter = 5;
    let cost = ex.view(ex.task_chain, IDmlTaskChain::stepCostCall {}).await;
    let approve = IDmlToken::approveCall { spender: ex.task_chain, amount: cost * U256::from(3) };
    ex.send(starter, ex.reader.token(), approve, "approve").await;
    let relayed_prompt = "The old computer";
    let start = IDmlTaskChain::startCall {
        model: ex.textgenrnn,
        text: relayed_prompt.into(),
        maxSteps: 3,
        marker: Bytes::new(),
        maxLength: MAX_LENGTH,
    };
    let receipt = ex.send(starter, ex.task_chain, start, "start").await;
    let started = receipt_events::<IDmlTaskChain::ChainStarted>(&receipt, ex.task_chain);
    let relayed = started.first().expect("ChainStarted").chainId;

    // Three steps through the CLI.
    let prompt = "Once upon a time";
    let ran = dml_json(&ex.net, 9, &["examples", "chain", prompt, "--steps", "3", "--max-length", &length]);
    step("three-step chain finished");
    assert_eq!(ran["task_chain"].as_str().unwrap().parse::<Address>().unwrap(), ex.task_chain);
    assert_eq!(ran["finish_reason"], "max_steps", "{ran}");
    let chain_id: U256 = ran["chain_id"].as_str().unwrap().parse().unwrap();
    let steps = ran["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 3, "{ran}");
    let tasks: Vec<B256> = steps.iter().map(|s| b256(&s["task"])).collect();
    assert_eq!(ex.view(ex.task_chain, IDmlTaskChain::chainTasksCall { chainId: chain_id }).await, tasks);
    let state = ex.view(ex.task_chain, IDmlTaskChain::chainCall { chainId: chain_id }).await;
    assert!(state.finished);
    assert_eq!((state.steps, state.maxSteps, state.currentTask), (3, 3, tasks[2]));
    assert_eq!(ex.view(ex.task_chain, IDmlTaskChain::finishReasonCall { chainId: chain_id }).await, 1);
    assert_eq!(ex.view(ex.task_chain, IDmlTaskChain::depositOfCall { chainId: chain_id }).await, U256::ZERO);
    let outputs = check_chain_steps(&ex, &tasks, prompt).await;
    step(&format!("outputs {:?}", outputs.iter().map(|o| String::from_utf8_lossy(o)).collect::<Vec<_>>()));
    for (i, (printed, output)) in steps.iter().zip(&outputs).enumerate() {
        assert_eq!(printed["step"], i + 1);
        assert_eq!(printed["output"].as_str().unwrap().as_bytes(), output.as_slice());
        assert_eq!(printed["cid"], dml_content::cid_v0(output).to_string());
    }
    step("three steps checked");

    // The relay's chain ends too, and its steps are no less the model's.
    let finished = eventually(HUNG, "the relay to finish the chain", || async {
        let state = ex.view(ex.task_chain, IDmlTaskChain::chainCall { chainId: relayed }).await;
        state.finished.then_some(state)
    })
    .await;
    step("relayed chain finished");
    assert_eq!((finished.steps, finished.starter), (3, ex.net.address(starter)));
    assert_eq!(ex.view(ex.task_chain, IDmlTaskChain::finishReasonCall { chainId: relayed }).await, 1);
    let tasks = ex.view(ex.task_chain, IDmlTaskChain::chainTasksCall { chainId: relayed }).await;
    assert_eq!(tasks.len(), 3);
    check_chain_steps(&ex, &tasks, relayed_prompt).await;
    let relay = ex.net.address(0);
    let submitted = ex.contract_events::<IDmlTaskChain::StepSubmitted>(ex.task_chain).await;
    let finished_logs = ex.contract_events::<IDmlTaskChain::ChainFinished>(ex.task_chain).await;
    let mut advances: Vec<B256> =
        submitted.iter().filter(|(e, _)| e.chainId == relayed && e.step > 1).map(|(_, tx)| *tx).collect();
    advances.extend(finished_logs.iter().filter(|(e, _)| e.chainId == relayed).map(|(_, tx)| *tx));
    assert_eq!(advances.len(), 3, "steps 2 and 3 submitted, then finished");
    for tx in advances {
        assert_eq!(ex.receipt(tx).await.from, relay, "the relay sent advance {tx}");
    }
    step("relayed chain checked");

    // A marker the first output will contain ends the chain after one step.
    // The first task's id (so its seed and output) is known before it
    // exists: nothing else submits a task meanwhile (both chains above have
    // finished).
    let task_fee = ex.view(ex.task_chain, IDmlTaskChain::taskFeeCall {}).await;
    let mut picked = None;
    for candidate in ["The lighthouse keeper", "A new study of", "Scientists discover", "How to build a"] {
        let input = format!(r#"{{"prompt":"{}","max_length":{MAX_LENGTH}}}"#, json_escape(candidate));
        let task = ex.predict_task(ex.textgenrnn, ex.task_chain, task_fee, input.as_bytes()).await;
        let output = String::from_utf8(model_run("textgenrnn", input.as_bytes(), task_seed(task))).unwrap();
        let generated = output.strip_prefix(candidate).unwrap_or_else(|| panic!("{output:?} starts with the prompt"));
        let marker = generated.split_whitespace().find(|w| w.len() >= 3 && !candidate.contains(*w));
        if let Some(marker) = marker {
            picked = Some((candidate, task, output.clone(), marker.to_string()));
            break;
        }
    }
    let (prompt, task, output, marker) = picked.expect("one of the prompts generates a word");
    step(&format!("marker {marker:?} in the predicted output {output:?}"));
    let marker_flag = format!("--marker={marker}");
    let ran =
        dml_json(&ex.net, 9, &["examples", "chain", prompt, "--steps", "3", &marker_flag, "--max-length", &length]);
    step("marker chain finished");
    assert_eq!(ran["finish_reason"], "marker", "marker {marker:?}: {ran}");
    let steps = ran["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 1, "{ran}");
    assert_eq!(b256(&steps[0]["task"]), task, "the predicted task");
    assert_eq!(steps[0]["output"], output, "the predicted output");
    let chain_id: U256 = ran["chain_id"].as_str().unwrap().parse().unwrap();
    assert_eq!(ex.view(ex.task_chain, IDmlTaskChain::finishReasonCall { chainId: chain_id }).await, 2);
    assert_eq!(ex.view(ex.task_chain, IDmlTaskChain::chainTasksCall { chainId: chain_id }).await, vec![task]);
    check_chain_steps(&ex, &[task], prompt).await;
    step("checked");
    let mut net = ex.net;
    net.proc.terminate();
}

// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_competition_pays_its_prize_to_the_picked_entrys_owner_once() {
    if !weights_present() {
        return;
    }
    let step = stepper();
    let ex = Examples::start().await;
    step("devnet started");
    let (creator, alice, bob, stranger) = (5, 9, 4, 6);
    let prize = U256::from(5) * ONE_DML;
    let approve = IDmlToken::approveCall { spender: ex.competition, amount: prize };
    ex.send(creator, ex.reader.token(), approve, "approve").await;
    let deadline = ex.reader.latest_timestamp().await.unwrap() + 90;
    let create = IDmlCompetition::createCall { model: ex.textgenrnn, deadline, prize };
    let receipt = ex.send(creator, ex.competition, create, "create").await;
    let created = receipt_events::<IDmlCompetition::CompetitionCreated>(&receipt, ex.competition);
    let id = created.first().expect("CompetitionCreated").id;
    assert_eq!(created[0].prize, prize);
    assert_eq!(ex.dml_balance(ex.competition).await, prize, "the prize is escrowed");

    // Two entrants each have a task answered and final, and enter it.
    let submit = |account: usize, prompt: &str| {
        let input = format!(r#"{{"prompt":"{prompt}","max_length":30}}"#);
        let args =
            ["task", "submit", "--model", "textgenrnn", "--input", &input, "--wait", "--final", "--timeout", "120"];
        b256(&dml_json(&ex.net, account, &args)["task"])
    };
    let (alice_task, bob_task) = std::thread::scope(|scope| {
        let a = scope.spawn(|| submit(alice, "A painting of"));
        let b = scope.spawn(|| submit(bob, "A poem about"));
        (a.join().unwrap(), b.join().unwrap())
    });
    step("both entries final");
    for (account, task) in [(alice, alice_task), (bob, bob_task)] {
        let receipt = ex.send(account, ex.competition, IDmlCompetition::enterCall { id, taskid: task }, "enter").await;
        let entered = receipt_events::<IDmlCompetition::Entered>(&receipt, ex.competition);
        assert_eq!((entered[0].taskid, entered[0].entrant), (task, ex.net.address(account)));
    }
    assert_eq!(ex.view(ex.competition, IDmlCompetition::entriesCall { id }).await, vec![alice_task, bob_task]);

    // A stranger may not enter someone else's task.
    let (reason, data) =
        ex.refusal(stranger, ex.competition, IDmlCompetition::enterCall { id, taskid: alice_task }).await;
    assert!(reason.starts_with("NotTaskOwner"), "{reason}");
    let error = IDmlCompetition::NotTaskOwner::abi_decode(&data).unwrap();
    assert_eq!(
        (error.taskid, error.caller, error.owner),
        (alice_task, ex.net.address(stranger), ex.net.address(alice))
    );
    // Nor enter a task twice.
    let (reason, _) = ex.refusal(alice, ex.competition, IDmlCompetition::enterCall { id, taskid: alice_task }).await;
    assert!(reason.starts_with("AlreadyEntered"), "{reason}");
    // An entry without a final solution cannot win: this one's input breaks
    // the model's schema, so no solver ever answers it.
    let unsolvable = br#"{"prompt":5}"#;
    let (pending, _) = submit_task(&ex.net.client(alice).await, ex.textgenrnn, U256::ZERO, unsolvable).await;
    ex.send(alice, ex.competition, IDmlCompetition::enterCall { id, taskid: pending }, "enter").await;
    let (reason, _) =
        ex.refusal(creator, ex.competition, IDmlCompetition::pickWinnerCall { id, taskid: pending }).await;
    assert!(reason.starts_with("SolutionNotFinal"), "{reason}");
    // Only the creator picks; nothing is reclaimed before the deadline.
    let (reason, _) = ex.refusal(bob, ex.competition, IDmlCompetition::pickWinnerCall { id, taskid: bob_task }).await;
    assert!(reason.starts_with("NotCreator"), "{reason}");
    let (reason, _) = ex.refusal(creator, ex.competition, IDmlCompetition::reclaimCall { id }).await;
    assert!(reason.starts_with("DeadlineNotPassed"), "{reason}");
    step("refusals checked");

    // The creator picks Bob's entry: Bob is paid exactly the prize.
    let before = ex.dml_balance(ex.net.address(bob)).await;
    let pick = IDmlCompetition::pickWinnerCall { id, taskid: bob_task };
    let receipt = ex.send(creator, ex.competition, pick, "pickWinner").await;
    assert_eq!(ex.dml_balance(ex.net.address(bob)).await, before + prize, "the winner got exactly the prize");
    let picked = receipt_events::<IDmlCompetition::WinnerPicked>(&receipt, ex.competition);
    assert_eq!((picked[0].taskid, picked[0].winner, picked[0].prize), (bob_task, ex.net.address(bob), prize));
    assert_eq!(ex.dml_balance(ex.competition).await, U256::ZERO);
    let state = ex.view(ex.competition, IDmlCompetition::competitionCall { id }).await;
    assert_eq!((state.winningTask, state.reclaimed, state.creator), (bob_task, false, ex.net.address(creator)));

    // Once settled, neither a second pick nor a reclaim.
    let (reason, _) =
        ex.refusal(creator, ex.competition, IDmlCompetition::pickWinnerCall { id, taskid: alice_task }).await;
    assert!(reason.starts_with("AlreadySettled"), "{reason}");
    let (reason, _) = ex.refusal(creator, ex.competition, IDmlCompetition::reclaimCall { id }).await;
    assert!(reason.starts_with("AlreadySettled"), "{reason}");
    assert!(ex.reader.latest_timestamp().await.unwrap() < deadline, "all of it before the deadline");
    step("checked");
    let mut net = ex.net;
    net.proc.terminate();
}

// ---------------------------------------------------------------------------

/// A wrong output's CID: a well-formed CIDv0 nobody's model produces.
fn forged_cid() -> Bytes {
    let mut bytes = vec![0x12, 0x20];
    bytes.extend_from_slice(&[0xbd; 32]);
    Bytes::from(bytes)
}

/// Commits to [`forged_cid`] for `task`, which does not exist yet.
async fn commit_forged(attacker: &ChainClient, task: B256) {
    let commitment = attacker
        .view(IEngine::generateCommitmentCall { sender_: attacker.address(), taskid_: task, cid_: forged_cid() })
        .await
        .unwrap();
    let committed = attacker.send_and_wait(IEngine::signalCommitmentCall { commitment_: commitment }, MINED).await;
    assert!(committed.unwrap().success);
}

/// Reveals [`forged_cid`] for `task` at once, ahead of any honest solver
/// (who cannot have committed before the task existed); returns the slash
/// the solution escrowed.
async fn reveal_forged(ex: &Examples, attacker: &ChainClient, task: B256) -> U256 {
    let revealed =
        attacker.send_and_wait(IEngine::submitSolutionCall { taskid_: task, cid_: forged_cid() }, MINED).await;
    assert!(revealed.expect("the forged reveal lands first").success);
    let solution = ex.reader.view(IEngine::solutionsCall { taskid: task }).await.unwrap();
    assert_eq!(solution.validator, attacker.address());
    let escrowed = ex.reader.view(IEngine::contestationsCall { taskid: task }).await.unwrap().slashAmount;
    assert!(!escrowed.is_zero(), "the solution escrowed the slash");
    escrowed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_solutions_are_slashed_never_delivered_and_their_nft_and_chain_step_asked_again() {
    if !weights_present() {
        return;
    }
    let step = stepper();
    let ex = Examples::start_with(&["--solvers", "2", "--claim-window", "8", "--vote-period", "6"]).await;
    step("devnet started");
    let (minter, attacker_account) = (9, 6);
    let attacker = ex.net.client(attacker_account).await;
    ex.solvers_staked().await;
    let stake = U256::from(10) * ONE_DML;
    let deposit = IEngine::validatorDepositCall { validator_: attacker.address(), amount_: stake };
    assert!(attacker.send_and_wait(deposit, MINED).await.unwrap().success);
    let holdings_before = holdings(&ex.reader, attacker.address()).await;
    let task_fee = ex.view(ex.nft, IDmlImageNFT::taskFeeCall {}).await;
    let callback_fee = ex.view(ex.nft, IDmlImageNFT::callbackFeeCall {}).await;
    assert_eq!(ex.view(ex.nft, IDmlImageNFT::modelCall {}).await, ex.image_model);
    let approve = IDmlToken::approveCall { spender: ex.nft, amount: task_fee + callback_fee };
    ex.send(minter, ex.reader.token(), approve, "approve").await;

    // The attacker predicts the mint's task (sender and owner: the NFT
    // contract) and commits to a forged CID before the task exists.
    let prompt = "a \"forged\" sunset";
    let input = format!(r#"{{"prompt":"{}"}}"#, json_escape(prompt));
    let task = ex.predict_task(ex.image_model, ex.nft, task_fee, input.as_bytes()).await;
    commit_forged(&attacker, task).await;
    let receipt = ex.send(minter, ex.nft, IDmlImageNFT::mintCall { text: prompt.into() }, "mint").await;
    let minted = receipt_events::<IDmlImageNFT::MintRequested>(&receipt, ex.nft);
    let (token_id, minted_task) = (minted[0].tokenId, minted[0].taskid);
    assert_eq!(minted_task, task, "the predicted task id");
    let escrowed = reveal_forged(&ex, &attacker, task).await;
    step("forged solution revealed");

    // The honest solvers rerun the task, contest and outvote it.
    let resolved = eventually(HUNG, "the contestation's resolution", || async {
        let events = ex.engine_events::<IEngine::ContestationResolved>().await;
        events.into_iter().find(|(e, _)| e.task == task).map(|(e, _)| e)
    })
    .await;
    step("contestation resolved");
    assert!(resolved.contestationWon, "the honest solvers outvote the forgery");
    assert!(resolved.yeas > resolved.nays, "{} yeas, {} nays", resolved.yeas, resolved.nays);
    let callback = ex.reader.view(IEngine::callbacksCall { taskid: task }).await.unwrap();
    assert_eq!((callback.status, callback.fee), (CANCELLED, U256::ZERO), "cancelled, its fee refunded");
    let cancelled = ex.engine_events::<IEngine::CallbackCancelled>().await;
    assert!(cancelled.iter().any(|(e, _)| e.task == task && e.callback == ex.nft), "CallbackCancelled");
    let delivered = ex.engine_events::<IEngine::CallbackDelivered>().await;
    assert!(!delivered.iter().any(|(e, _)| e.task == task), "nothing was delivered");
    let fulfilled = ex.contract_events::<IDmlImageNFT::MintFulfilled>(ex.nft).await;
    assert!(!fulfilled.iter().any(|(e, _)| e.taskid == task), "no MintFulfilled");
    assert!(!ex.view(ex.nft, IDmlImageNFT::isFulfilledCall { tokenId: token_id }).await);
    assert!(ex.view(ex.nft, IDmlImageNFT::solutionCidCall { tokenId: token_id }).await.is_empty());
    let text = ex.view(ex.nft, IDmlImageNFT::tokenMetadataCall { tokenId: token_id }).await;
    let metadata: Value = serde_json::from_str(&text).unwrap();
    assert!(metadata.get("image").is_none() && metadata.get("external_url").is_none(), "{metadata}");
    assert_eq!(metadata["properties"]["status"], "pending");
    assert_eq!(
        holdings(&ex.reader, attacker.address()).await,
        holdings_before - escrowed,
        "the attacker lost exactly its solution's slash"
    );

    // Nothing can deliver a cancelled callback, whoever asks.
    for account in [minter, attacker_account] {
        let (reason, _) =
            ex.refusal(account, ex.reader.engine(), IEngine::retryCallbackCall { taskid_: task, gasLimit_: 0 }).await;
        assert_eq!(reason, "callback cancelled: the task has no final solution");
    }
    step("cancellation checked");

    // Resubmitted (with the refunded fees), the token gets an honest answer.
    let receipt = ex.send(minter, ex.nft, IDmlImageNFT::resubmitCall { tokenId: token_id }, "resubmit").await;
    let resubmitted = receipt_events::<IDmlImageNFT::MintResubmitted>(&receipt, ex.nft);
    assert_eq!((resubmitted[0].tokenId, resubmitted[0].cancelledTask), (token_id, task));
    let retask = resubmitted[0].taskid;
    assert_ne!(retask, task);
    assert_eq!(ex.view(ex.nft, IDmlImageNFT::tokenTaskCall { tokenId: token_id }).await, retask);
    eventually(HUNG, "the resubmitted token's fulfilment", || async {
        ex.view(ex.nft, IDmlImageNFT::isFulfilledCall { tokenId: token_id }).await.then_some(())
    })
    .await;
    step("resubmitted token fulfilled");
    ex.delivered_by_claim(retask, callback_fee).await;
    let solver = ex.reader.view(IEngine::solutionsCall { taskid: retask }).await.unwrap().validator;
    assert_ne!(solver, attacker.address());
    let input_bytes = ex.task_input(retask).await;
    assert_eq!(input_bytes, input.as_bytes(), "the same input again");
    let cid = ex.solution_cid(retask).await;
    let content = ex.gateway(&cid).await;
    assert_eq!(content, model_run("fashion-diffusion", &input_bytes, task_seed(retask)));
    let text = ex.view(ex.nft, IDmlImageNFT::tokenMetadataCall { tokenId: token_id }).await;
    let metadata: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(metadata["image"], format!("ipfs://{cid}"));
    assert_eq!(metadata["properties"]["task"], retask.to_string());
    assert_eq!(metadata["properties"]["seed"].as_u64(), Some(task_seed(retask)));
    let fulfilled = ex.contract_events::<IDmlImageNFT::MintFulfilled>(ex.nft).await;
    let fulfilled: Vec<_> = fulfilled.iter().filter(|(e, _)| e.tokenId == token_id).collect();
    assert_eq!(fulfilled.len(), 1);
    assert_eq!(fulfilled[0].0.taskid, retask);
    step("resubmitted token checked");

    // The same against a chain's step: the devnet's relay finds the step
    // cancelled, resubmits it and, once it is answered, ends the chain.
    let starter = 5;
    let chain_fee = ex.view(ex.task_chain, IDmlTaskChain::taskFeeCall {}).await;
    let cost = ex.view(ex.task_chain, IDmlTaskChain::stepCostCall {}).await;
    let approve = IDmlToken::approveCall { spender: ex.task_chain, amount: cost };
    ex.send(starter, ex.reader.token(), approve, "approve").await;
    let chain_prompt = "The forged chain";
    let chain_input = format!(r#"{{"prompt":"{}","max_length":{MAX_LENGTH}}}"#, json_escape(chain_prompt));
    let forged_step = ex.predict_task(ex.textgenrnn, ex.task_chain, chain_fee, chain_input.as_bytes()).await;
    commit_forged(&attacker, forged_step).await;
    let start = IDmlTaskChain::startCall {
        model: ex.textgenrnn,
        text: chain_prompt.into(),
        maxSteps: 1,
        marker: Bytes::new(),
        maxLength: MAX_LENGTH,
    };
    let receipt = ex.send(starter, ex.task_chain, start, "start").await;
    let chain_id = receipt_events::<IDmlTaskChain::ChainStarted>(&receipt, ex.task_chain)[0].chainId;
    let chain_tasks = ex.view(ex.task_chain, IDmlTaskChain::chainTasksCall { chainId: chain_id }).await;
    assert_eq!(chain_tasks, vec![forged_step], "the predicted task id");
    let escrowed_again = reveal_forged(&ex, &attacker, forged_step).await;
    step("forged chain step revealed");
    eventually(HUNG, "the relay to resubmit the step and end the chain", || async {
        ex.view(ex.task_chain, IDmlTaskChain::chainCall { chainId: chain_id }).await.finished.then_some(())
    })
    .await;
    step("chain with a forged step finished");
    let callback = ex.reader.view(IEngine::callbacksCall { taskid: forged_step }).await.unwrap();
    assert_eq!(callback.status, CANCELLED);
    assert!(ex.view(ex.task_chain, IDmlTaskChain::solutionOfCall { taskid: forged_step }).await.is_empty());
    assert_eq!(ex.view(ex.task_chain, IDmlTaskChain::finishReasonCall { chainId: chain_id }).await, 1);
    let chain_tasks = ex.view(ex.task_chain, IDmlTaskChain::chainTasksCall { chainId: chain_id }).await;
    assert_eq!(chain_tasks.len(), 1);
    assert_ne!(chain_tasks[0], forged_step);
    let resubmitted = ex.contract_events::<IDmlTaskChain::StepResubmitted>(ex.task_chain).await;
    let (event, tx) = resubmitted.iter().find(|(e, _)| e.chainId == chain_id).expect("StepResubmitted");
    assert_eq!((event.step, event.cancelledTask, event.taskid), (1, forged_step, chain_tasks[0]));
    assert_eq!(ex.receipt(*tx).await.from, ex.net.address(0), "the relay resubmitted the step");
    check_chain_steps(&ex, &chain_tasks, chain_prompt).await;
    assert_eq!(
        holdings(&ex.reader, attacker.address()).await,
        holdings_before - escrowed - escrowed_again,
        "the attacker lost exactly both solutions' slashes"
    );
    step("checked");
    let mut net = ex.net;
    net.proc.terminate();
}

// ---------------------------------------------------------------------------

/// `dml task get TASK --json`'s `callback` object.
fn cli_callback(net: &Devnet, task: B256) -> Value {
    dml_json(net, 0, &["task", "get", &task.to_string()])["callback"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reverting_callback_is_recorded_failed_and_delivered_by_a_retry() {
    if !weights_present() {
        return;
    }
    let step = stepper();
    let ex = Examples::start().await;
    step("devnet started");
    // Each task's owner is the EOA that submits it.
    let (owner, second_owner, stranger) = (9, 4, 6);
    let engine = ex.reader.engine();
    let deploy = TransactionRequest::default().with_deploy_code(dml_governance::test_task_receiver_deploy_code(engine));
    let receiver = send_request(&ex.net, owner, deploy, "deploying TestTaskReceiver").await.contract_address.unwrap();
    ex.send(owner, receiver, ITestTaskReceiver::setModeCall { mode_: 1 }, "setMode(1)").await;
    assert_eq!(ex.view(receiver, ITestTaskReceiver::modeCall {}).await, 1);

    // Two tasks calling back the refusing receiver, owned by the EOA that
    // submits them; a devnet solver claims each and is paid.
    let callback_fee = "0.01";
    let receiver_text = receiver.to_string();
    let submit = |account: usize, prompt: &str| {
        let input = format!(r#"{{"prompt":"{prompt}","max_length":20}}"#);
        let mut args = vec!["task", "submit", "--model", "textgenrnn", "--input", &input, "--callback", &receiver_text];
        args.extend(["--callback-gas", "300000", "--callback-fee", callback_fee]);
        args.extend(["--wait", "--final", "--timeout", "120"]);
        b256(&dml_json(&ex.net, account, &args)["task"])
    };
    let (first, second) = std::thread::scope(|scope| {
        let first = scope.spawn(|| submit(owner, "Refused first"));
        let second = scope.spawn(|| submit(second_owner, "Refused second"));
        (first.join().unwrap(), second.join().unwrap())
    });
    step("both tasks final");
    let fee = ONE_DML / U256::from(100);
    for (task, submitter) in [(first, owner), (second, second_owner)] {
        let solution = ex.reader.view(IEngine::solutionsCall { taskid: task }).await.unwrap();
        assert!(solution.claimed);
        assert!(ex.net.solvers().iter().any(|(s, _)| *s == solution.validator));
        let record = ex.reader.view(IEngine::tasksCall { taskid: task }).await.unwrap();
        assert_eq!(record.owner, ex.net.address(submitter));
        let callback = cli_callback(&ex.net, task);
        assert_eq!(callback["status"], "failed", "{callback}");
        assert_eq!(callback["contract"].as_str().unwrap().parse::<Address>().unwrap(), receiver);
        assert_eq!(callback["gas_limit"], 300_000);
        assert_eq!(callback["fee_escrowed"], "0");
        let on_chain = ex.reader.view(IEngine::callbacksCall { taskid: task }).await.unwrap();
        assert_eq!((on_chain.status, on_chain.gasLimit), (FAILED, 300_000));
        // The claim went through, paid its sender the callback fee, and
        // recorded the callee's revert.
        let claims = ex.engine_events::<IEngine::SolutionClaimed>().await;
        let (_, claim_tx) = claims.iter().find(|(e, _)| e.task == task).expect("the task's claim");
        let receipt = ex.receipt(*claim_tx).await;
        assert!(receipt.status());
        let failed = receipt_events::<IEngine::CallbackFailed>(&receipt, engine);
        let refused = ITestTaskReceiver::Refused { taskid: task }.abi_encode();
        assert!(failed.iter().any(|e| e.task == task && e.reason.as_ref() == refused.as_slice()), "{failed:?}");
        let paid = receipt_events::<IDmlToken::Transfer>(&receipt, ex.reader.token());
        assert!(paid.iter().any(|t| t.from == engine && t.to == receipt.from && t.value == fee), "{paid:?}");
    }
    assert_eq!(ex.view(receiver, ITestTaskReceiver::countCall {}).await, U256::ZERO);

    // Nobody but the owner and the callback contract may retry.
    let retry = |task| IEngine::retryCallbackCall { taskid_: task, gasLimit_: 0 };
    let (reason, _) = ex.refusal(stranger, engine, retry(first)).await;
    assert_eq!(reason, "only the task's owner or its callback may retry");
    // Still refusing, a retry fails again and stays retryable.
    ex.send(owner, engine, retry(first), "retryCallback while refusing").await;
    assert_eq!(ex.reader.view(IEngine::callbacksCall { taskid: first }).await.unwrap().status, FAILED);

    // Accepting now: the callback contract's own retry (the fixture lets
    // anyone ask it) delivers the first…
    ex.send(owner, receiver, ITestTaskReceiver::setModeCall { mode_: 0 }, "setMode(0)").await;
    let receipt =
        ex.send(stranger, receiver, ITestTaskReceiver::retryCall { taskid: first, gasLimit: 0 }, "retry").await;
    let received = receipt_events::<ITestTaskReceiver::Received>(&receipt, receiver);
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].taskid, first);
    assert_eq!(
        received[0].cid.as_ref(),
        ex.reader.view(IEngine::solutionsCall { taskid: first }).await.unwrap().cid.as_ref()
    );
    assert_eq!(ex.view(receiver, ITestTaskReceiver::countCall {}).await, U256::from(1));
    assert_eq!(ex.view(receiver, ITestTaskReceiver::lastTaskCall {}).await, first);
    assert_eq!(cli_callback(&ex.net, first)["status"], "delivered");
    // …and the owner's retry on the engine delivers the second.
    let receipt = ex.send(second_owner, engine, retry(second), "retryCallback by the owner").await;
    let delivered = receipt_events::<IEngine::CallbackDelivered>(&receipt, engine);
    assert_eq!((delivered[0].task, delivered[0].callback), (second, receiver));
    assert_eq!(ex.view(receiver, ITestTaskReceiver::countCall {}).await, U256::from(2));
    assert_eq!(ex.view(receiver, ITestTaskReceiver::lastTaskCall {}).await, second);
    assert_eq!(cli_callback(&ex.net, second)["status"], "delivered");
    // Delivered once: no more retries.
    let (reason, _) = ex.refusal(owner, engine, retry(first)).await;
    assert_eq!(reason, "callback already delivered");
    step("checked");
    let mut net = ex.net;
    net.proc.terminate();
}
