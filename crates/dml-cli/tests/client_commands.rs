//! The client commands of the real `dml` binary against a real `dml node`
//! and a real `dml content serve` on free loopback ports. Where a test needs a
//! solver it plays one with alloy directly (commit, pin, reveal).

mod client_support;

use std::process::{Command, Stdio};
use std::time::Duration;

use alloy_primitives::{Address, B256, U256};
use alloy_signer_local::PrivateKeySigner;
use client_support::*;
use dml_primitives::IEngine;
use serde_json::Value;

// ---------------------------------------------------------------------------

#[test]
fn wallets_round_trip_through_web3_secret_storage() {
    let dir = tempfile::tempdir().unwrap();
    let password_file = write(dir.path(), "pw", b"correct horse\n");
    let run = |args: &[&str]| isolated_command(dir.path()).args(args).output().unwrap();
    let keystore = dir.path().join("keystore");

    // new: prints the address; the file is a v3 keystore geth lists and decrypts.
    let created = expect_ok(run(&["wallet", "new", "alice", "--password-file", &password_file]), &["wallet new"]);
    let alice: Address = created.trim().parse().expect("new prints an address");
    let path = keystore.join("alice");
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(json["version"], 3);
    assert!(json["id"].as_str().is_some_and(|id| id.len() == 36), "uuid id: {json}");
    let declared = json["address"].as_str().unwrap();
    assert_eq!(declared.trim_start_matches("0x").parse::<Address>().unwrap(), alice);
    let crypto = &json["crypto"];
    assert_eq!(crypto["cipher"], "aes-128-ctr");
    assert_eq!(crypto["kdf"], "scrypt");
    for field in ["ciphertext", "mac"] {
        assert!(crypto[field].as_str().is_some_and(|hex| hex.len() == 64), "{field}: {crypto}");
    }
    assert_eq!(crypto["cipherparams"]["iv"].as_str().unwrap().len(), 32);
    for field in ["dklen", "n", "p", "r", "salt"] {
        assert!(!crypto["kdfparams"][field].is_null(), "kdfparams.{field}: {crypto}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600, "owner-only keystore");
    }
    let decrypted = PrivateKeySigner::decrypt_keystore(&path, "correct horse").expect("decrypts with the password");
    assert_eq!(decrypted.address(), alice);
    assert!(PrivateKeySigner::decrypt_keystore(&path, "wrong").is_err(), "a wrong password is refused");

    // import: a raw key (never echoed) and a mnemonic index.
    let key = dev_key(1);
    let key_hex = alloy_primitives::hex::encode(key.to_bytes());
    let imported = run(&["wallet", "import", "bob", "--private-key", &key_hex, "--password-file", &password_file]);
    let stdout = expect_ok(imported.clone(), &["wallet import"]);
    assert_eq!(stdout.trim().parse::<Address>().unwrap(), key.address());
    let everything = format!("{}{}", stdout, String::from_utf8_lossy(&imported.stderr));
    assert!(!everything.contains(&key_hex), "the key is never printed");
    let from_mnemonic = expect_ok(
        isolated_command(dir.path())
            .args(["wallet", "import", "carol", "--mnemonic", DEV_MNEMONIC, "--index", "2"])
            .env("DML_PASSWORD", "pw2")
            .output()
            .unwrap(),
        &["wallet import --mnemonic"],
    );
    assert_eq!(from_mnemonic.trim().parse::<Address>().unwrap(), dev_key(2).address());
    assert_eq!(
        PrivateKeySigner::decrypt_keystore(keystore.join("carol"), "pw2").unwrap().address(),
        dev_key(2).address()
    );

    // list: every keystore with its address.
    let listed: Value = serde_json::from_str(&expect_ok(run(&["wallet", "list", "--json"]), &["wallet list"])).unwrap();
    let wallets = listed["wallets"].as_array().unwrap();
    let pairs: Vec<(String, Address)> = wallets
        .iter()
        .map(|w| (w["name"].as_str().unwrap().to_owned(), w["address"].as_str().unwrap().parse().unwrap()))
        .collect();
    assert_eq!(
        pairs,
        vec![("alice".into(), alice), ("bob".into(), key.address()), ("carol".into(), dev_key(2).address())]
    );

    // Refusals, each with nothing written.
    let again = run(&["wallet", "import", "bob2", "--private-key", &key_hex, "--password-file", &password_file]);
    assert!(expect_failure(again, &["import twice"]).contains("already exists"));
    let taken = run(&["wallet", "new", "alice", "--password-file", &password_file]);
    assert!(expect_failure(taken, &["new over alice"]).contains("already exists"));
    let no_password = run(&["wallet", "new", "dave"]);
    assert!(expect_failure(no_password, &["no password"]).contains("--password-file"));
    let bad_key = run(&["wallet", "import", "eve", "--private-key", "0x1234", "--password-file", &password_file]);
    assert!(expect_failure(bad_key, &["bad key"]).contains("not 32 bytes"));
    let nothing = run(&["wallet", "import", "eve", "--password-file", &password_file]);
    assert!(expect_failure(nothing, &["nothing"]).contains("nothing to import"));
    assert_eq!(std::fs::read_dir(&keystore).unwrap().count(), 3, "refused commands wrote nothing");
}

#[test]
fn config_file_env_and_flags_layer_in_that_order() {
    let dir = tempfile::tempdir().unwrap();
    let config =
        write(dir.path(), "dml.toml", b"rpc_url = \"http://file:1\"\napi_url = \"http://file:2\"\naccount = \"ops\"\n");
    let printed = |command: &mut Command| -> Value {
        serde_json::from_str(&expect_ok(command.output().unwrap(), &["--print-config"])).unwrap()
    };
    let effective = printed(
        isolated_command(dir.path())
            .args(["balance", "--print-config", "--config", &config, "--rpc-url", "http://flag:1"])
            .env("DML_API_URL", "http://env:2")
            .env("DML_GATEWAY_URL", "http://env:3"),
    );
    assert_eq!(effective["rpc_url"], "http://flag:1");
    assert_eq!(effective["api_url"], "http://env:2");
    assert_eq!(effective["gateway_url"], "http://env:3");
    assert_eq!(effective["signer"]["account"], "ops");
    // The default location is $XDG_CONFIG_HOME/dml/config.toml.
    std::fs::create_dir_all(dir.path().join("xdg/dml")).unwrap();
    std::fs::write(dir.path().join("xdg/dml/config.toml"), "gateway_url = \"http://xdg:3\"\n").unwrap();
    let effective =
        printed(isolated_command(dir.path()).args(["task", "get", &B256::ZERO.to_string(), "--print-config"]));
    assert_eq!(effective["gateway_url"], "http://xdg:3");
    assert_eq!(effective["rpc_url"], "http://127.0.0.1:8545");
    // Unknown keys are errors that name the file and the key.
    let bad = write(dir.path(), "bad.toml", b"rpc_uri = \"x\"\n");
    let stderr = expect_failure(
        isolated_command(dir.path()).args(["balance", "--config", &bad]).output().unwrap(),
        &["bad config"],
    );
    assert!(stderr.contains("bad.toml") && stderr.contains("rpc_uri"), "{stderr}");
    // An unreachable chain is a clear error.
    let port = free_port();
    let stderr = expect_failure(
        isolated_command(dir.path())
            .args(["balance", "--dev-account", "0", "--rpc-url", &format!("http://127.0.0.1:{port}")])
            .output()
            .unwrap(),
        &["unreachable"],
    );
    assert!(stderr.contains("cannot reach the JSON-RPC endpoint"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balances_and_transfers_are_exact() {
    let net = Network::start();
    let sender = dev_key(0).address();
    let recipient = Address::repeat_byte(0x42).to_string();

    let balance = net.json(&["balance", "--dev-account", "0"]);
    assert_eq!(balance["address"].as_str().unwrap().parse::<Address>().unwrap(), sender);
    assert_eq!(balance["dml"], "1000");
    assert_eq!(balance["staked"], "0");

    net.ok(&["transfer", &recipient, "1.5", "--dev-account", "0"]);
    net.ok(&["transfer", &recipient, "0.000000000000000001", "--dev-account", "0"]);
    net.ok(&["transfer", &recipient, "0.25", "--eth", "--dev-account", "0"]);
    let theirs = net.json(&["balance", &recipient]);
    assert_eq!(theirs["dml"], "1.500000000000000001");
    assert_eq!(theirs["eth"], "0.25");
    assert_eq!(net.json(&["balance", "--dev-account", "0"])["dml"], "998.499999999999999999");

    // Bad amounts are refused before anything is signed: the nonce stays.
    let nonce = net.nonce(sender).await;
    for (amount, reason) in [
        ("-1", "negative"),
        ("1.0000000000000000001", "more than 18 decimals"),
        ("abc", "not a decimal"),
        ("1e3", "not a decimal"),
    ] {
        let stderr = net.fails(&["transfer", &recipient, amount, "--dev-account", "0"]);
        assert!(stderr.contains(reason), "{amount}: {stderr}");
    }
    // More DML than the account holds: the token's revert reason, nothing sent.
    let stderr = net.fails(&["transfer", &recipient, "5000", "--dev-account", "0"]);
    assert!(stderr.contains("refused"), "{stderr}");
    assert_eq!(net.nonce(sender).await, nonce);
    // No signer at all.
    assert!(net.fails(&["transfer", &recipient, "1"]).contains("no signer"));

    // A keystore account signs too; a wrong password is refused.
    let key_hex = alloy_primitives::hex::encode(dev_key(3).to_bytes());
    net.command(&["wallet", "import", "ops", "--private-key", &key_hex])
        .env("DML_PASSWORD", "s3cret")
        .output()
        .unwrap();
    let by_keystore =
        net.command(&["transfer", &recipient, "2", "--account", "ops"]).env("DML_PASSWORD", "s3cret").output().unwrap();
    expect_ok(by_keystore, &["transfer --account"]);
    // Reading needs no password: the keystore declares its address.
    let by_address = net.run(&["balance", "--account", &dev_key(3).address().to_string(), "--json"]);
    let stdout = expect_ok(by_address, &["balance --account ADDRESS"]);
    assert_eq!(serde_json::from_str::<Value>(&stdout).unwrap()["dml"], "998");
    let wrong =
        net.command(&["transfer", &recipient, "2", "--account", "ops"]).env("DML_PASSWORD", "nope").output().unwrap();
    assert!(expect_failure(wrong, &["wrong password"]).contains("cannot decrypt"));
    assert_eq!(net.json(&["balance", &recipient])["dml"], "3.500000000000000001");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn models_register_list_and_show() {
    let net = Network::start();
    let template = textgenrnn_template();
    let cid = dml_content::cid_v0(&template).to_string();
    let id = register(&net, &template, "0.5");

    let listed = net.json(&["model", "list"]);
    let models = listed.as_array().unwrap();
    assert_eq!(models.len(), 1, "{listed}");
    assert_eq!(models[0]["id"].as_str().unwrap().parse::<B256>().unwrap(), id);
    assert_eq!(models[0]["name"], "textgenrnn");
    assert_eq!(models[0]["fee"], "0.5");
    assert_eq!(models[0]["rate"], "0");
    assert_eq!(models[0]["template_cid"], cid.as_str());
    assert_eq!(models[0]["addr"].as_str().unwrap().parse::<Address>().unwrap(), dev_key(0).address());

    for by in ["textgenrnn".to_owned(), id.to_string()] {
        let shown = net.json(&["model", "show", &by]);
        assert_eq!(shown["id"].as_str().unwrap().parse::<B256>().unwrap(), id);
        assert_eq!(shown["template"]["name"], "textgenrnn");
        assert_eq!(shown["template"]["output"]["type"], "text");
    }
    let human = net.ok(&["model", "show", "textgenrnn"]);
    assert!(human.contains(&cid) && human.contains("0.5 DML"), "{human}");

    // The template is pinned: the gateway serves its exact bytes.
    let served = reqwest::get(format!("{}/ipfs/{cid}", net.gateway_url)).await.unwrap().bytes().await.unwrap();
    assert_eq!(served.as_ref(), template.as_slice());

    // Registering again is idempotent; a bad template is refused locally.
    let again = net.json(&[
        "model",
        "register",
        "--template",
        &write(net.dir.path(), "t.json", &template),
        "--fee",
        "0.5",
        "--dev-account",
        "0",
    ]);
    assert_eq!(again["already_registered"], true);
    let nonce = net.nonce(dev_key(0).address()).await;
    let bad = write(net.dir.path(), "bad.json", br#"{"name": "x"}"#);
    assert!(net
        .fails(&["model", "register", "--template", &bad, "--dev-account", "0"])
        .contains("not a valid model template"));
    assert!(net.fails(&["model", "show", "nosuch"]).contains("unknown model"));
    assert!(net.fails(&["model", "show", &B256::repeat_byte(9).to_string()]).contains("no model"));
    assert_eq!(net.nonce(dev_key(0).address()).await, nonce);

    // The offline listing of built-in templates still works.
    let builtin: Value = serde_json::from_str(&net.ok(&["model", "list", "--builtin", "--json"])).unwrap();
    let names: Vec<&str> = builtin.as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap()).collect();
    assert_eq!(names, dml_models::builtin::BUILTIN_MODEL_NAMES);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn task_submit_refuses_bad_inputs_and_unknown_models_before_sending() {
    let net = Network::start();
    register(&net, &textgenrnn_template(), "0.5");
    let sender = dev_key(0).address();
    let nonce = net.nonce(sender).await;
    let submit = |input: &str, extra: &[&str]| {
        let mut args = vec!["task", "submit", "--model", "textgenrnn", "--input", input, "--dev-account", "0"];
        args.extend_from_slice(extra);
        net.fails(&args)
    };
    assert!(submit(r#"{"temperature": 5}"#, &[]).contains("does not match the model's schema"));
    assert!(submit(r#"{"bogus": 1}"#, &[]).contains("unknown input field `bogus`"));
    assert!(submit("not json", &[]).contains("not JSON"));
    assert!(submit(r#"{"seed": 1}"#, &[]).contains("seed"));
    assert!(submit(r#"{"prompt": "hi"}"#, &["--fee", "0.1"]).contains("below the model's fee"));
    let unknown = net.fails(&["task", "submit", "--model", "nosuch", "--input", "{}", "--dev-account", "0"]);
    assert!(unknown.contains("unknown model `nosuch`"), "{unknown}");
    let missing =
        net.fails(&["task", "submit", "--model", "textgenrnn", "--input", "@/no/such.json", "--dev-account", "0"]);
    assert!(missing.contains("/no/such.json"));
    assert_eq!(net.nonce(sender).await, nonce, "nothing was sent");
    assert_eq!(net.json(&["balance", "--dev-account", "0"])["dml"], "1000");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn task_submit_wait_prints_the_verified_output() {
    let net = Network::start();
    register(&net, &textgenrnn_template(), "0.5");
    net.ok(&["validator", "deposit", "10", "--dev-account", "1"]);

    // Text output: printed to stdout, exactly.
    let start = net.head().await;
    let child = net
        .command(&["task", "submit", "--model", "textgenrnn", "--input", r#"{"prompt":"hi"}"#])
        .args(["--fee", "0.75", "--wait", "--timeout", "60", "--dev-account", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (task, input) = net.next_task(start + 1).await;
    assert_eq!(input, br#"{"prompt":"hi"}"#, "the input travels byte for byte in calldata");
    let stored = net.view(IEngine::tasksCall { taskid: task }).await;
    assert_eq!(stored.cid.to_vec(), dml_content::cid_v0(&input).to_bytes(), "and matches the stored CID");
    assert_eq!(stored.fee, dml_units("3") / U256::from(4));
    let output = "hi there, from the test solver".as_bytes();
    let cid = net.solve(1, task, output).await;
    let result = child.wait_with_output().unwrap();
    let stdout = expect_ok(result, &["submit --wait"]);
    assert_eq!(stdout.as_bytes(), output);

    let got = net.json(&["task", "get", &task.to_string()]);
    assert_eq!(got["status"], "solved");
    assert_eq!(got["solution"]["cid"], cid.as_str());
    assert_eq!(got["fee"], "0.75");
    assert_eq!(got["solution"]["solver"].as_str().unwrap().parse::<Address>().unwrap(), dev_key(1).address());

    // watch follows the live task until it is claimed.
    let watcher = net
        .command(&["task", "watch", &task.to_string(), "--json", "--timeout", "60"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    net.advance_time(WINDOW + 1).await;
    claim(&net, 5, task).await;
    let watched = expect_ok(watcher.wait_with_output().unwrap(), &["task watch"]);
    let names: Vec<String> = watched
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap()["event"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["TaskSubmitted", "SolutionSubmitted", "SolutionClaimed"]);
    assert_eq!(net.json(&["task", "get", &task.to_string()])["status"], "claimed");

    // A gateway that serves bytes not matching the CID is refused.
    let liar = lying_gateway(b"not what was pinned");
    let start = net.head().await;
    let child = net
        .command(&["task", "submit", "--model", "textgenrnn", "--input", "{}", "--wait", "--timeout", "3"])
        .args(["--gateway-url", &liar, "--dev-account", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (task, _) = net.next_task(start + 1).await;
    net.solve(1, task, b"the real output").await;
    let result = child.wait_with_output().unwrap();
    assert!(!result.status.success() && result.stdout.is_empty(), "nothing unverified is printed");
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(stderr.contains("hash to") && stderr.contains("refusing them"), "{stderr}");

    // File output over several blocks (> 256 KiB): saved to --out, path printed, bytes checked.
    register(&net, &file_template(), "0");
    let start = net.head().await;
    let out = net.dir.path().join("picture.png");
    let child = net
        .command(&["task", "submit", "--model", "test-image", "--input", r#"{"prompt":"a cat"}"#, "--wait"])
        .args(["--out", out.to_str().unwrap(), "--json", "--timeout", "60", "--dev-account", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (task, _) = net.next_task(start + 1).await;
    let picture: Vec<u8> = (0..700_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let cid = net.solve(1, task, &picture).await;
    let stdout = expect_ok(child.wait_with_output().unwrap(), &["submit --wait file"]);
    let reply: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(reply["cid"], cid.as_str());
    assert_eq!(reply["path"], out.to_str().unwrap());
    assert_eq!(reply["bytes"], picture.len());
    assert_eq!(std::fs::read(&out).unwrap(), picture);

    // Nobody solves: --wait gives up with a clear message and a non-zero exit.
    let stderr = net.fails(&[
        "task",
        "submit",
        "--model",
        "textgenrnn",
        "--input",
        "{}",
        "--wait",
        "--timeout",
        "2",
        "--dev-account",
        "0",
    ]);
    assert!(stderr.contains("timed out waiting for a solution"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_are_inspected_watched_and_retracted() {
    let net = Network::start();
    register(&net, &textgenrnn_template(), "1");
    let task = net.ok(&["task", "submit", "--model", "textgenrnn", "--input", "{}", "--dev-account", "0"]);
    let task = task.trim().to_owned();
    let got = net.json(&["task", "get", &task]);
    assert_eq!(got["status"], "open");
    assert_eq!(got["fee"], "1");
    assert_eq!(got["input_cid"], dml_content::cid_v0(b"{}").to_string().as_str());
    assert!(got["solution"].is_null());

    // Too early, and not the owner: the engine's reasons, nothing changes.
    assert!(net.fails(&["task", "retract", &task, "--dev-account", "0"]).contains("did not wait long enough"));
    net.advance_time(WINDOW + 1).await;
    assert!(net.fails(&["task", "retract", &task, "--dev-account", "5"]).contains("not owner"));
    let retracted = net.json(&["task", "retract", &task, "--dev-account", "0"]);
    assert_eq!(retracted["refund"], "0.9", "fee minus the 10% retraction fee");
    assert_eq!(net.json(&["task", "get", &task])["status"], "retracted");
    assert!(net.fails(&["task", "get", &B256::repeat_byte(3).to_string()]).contains("no task"));

    // watch replays the history and stops at the retraction.
    let events: Vec<Value> = net
        .ok(&["task", "watch", &task, "--json", "--timeout", "30"])
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let names: Vec<&str> = events.iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(names, ["TaskSubmitted", "TaskRetracted"]);
    assert_eq!(events[0]["fee"], "1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validators_deposit_withdraw_and_show_status() {
    let net = Network::start();
    // The slash is live from genesis while the minimum is 0: stake below the
    // slash is not enough to solve, contest or vote.
    let status = net.json(&["validator", "status", "--dev-account", "4"]);
    assert_eq!((status["minimum"].as_str(), status["is_validator"].as_bool()), (Some("0"), Some(false)));
    net.ok(&["validator", "deposit", "10", "--dev-account", "4"]);
    let status = net.json(&["validator", "status", "--dev-account", "4"]);
    assert_eq!(status["staked"], "10");
    assert_eq!(status["pending_withdrawals"], "0");
    assert_eq!(status["is_validator"], true);
    // Anyone may top up anyone.
    net.ok(&["validator", "deposit", "0.5", "--validator", &dev_key(4).address().to_string(), "--dev-account", "5"]);
    assert_eq!(net.json(&["validator", "status", &dev_key(4).address().to_string()])["staked"], "10.5");

    let first = net.json(&["validator", "withdraw", "4", "--dev-account", "4"]);
    assert_eq!(first["count"], "1");
    let second = net.json(&["validator", "withdraw", "1", "--dev-account", "4"]);
    assert_eq!(second["count"], "2");
    let status = net.json(&["validator", "status", "--dev-account", "4"]);
    assert_eq!(status["pending_withdrawals"], "5");
    assert_eq!(status["is_validator"], true, "5.5 DML free still covers the slash");
    assert_eq!(status["requests"].as_array().unwrap().len(), 2);
    assert_eq!(status["requests"][0]["unlocked"], false);
    assert!(net.fails(&["validator", "withdraw", "100", "--dev-account", "4"]).contains("insufficient stake"));
    assert!(net.fails(&["validator", "withdraw", "--complete", "1", "--dev-account", "4"]).contains("wait longer"));
    net.ok(&["validator", "withdraw", "--cancel", "2", "--dev-account", "4"]);
    net.advance_time(WINDOW + 1).await;
    let done = net.json(&["validator", "withdraw", "--complete", "1", "--dev-account", "4"]);
    assert_eq!(done["amount"], "4");
    let balance = net.json(&["balance", "--dev-account", "4"]);
    assert_eq!(balance["dml"], "994", "1000 - 10 staked + 4 withdrawn (dev 5 paid the top-up)");
    assert_eq!(balance["staked"], "6.5");
    assert_eq!(balance["pending_withdrawals"], "0");
    assert!(net
        .fails(&["validator", "withdraw", "--complete", "2", "--dev-account", "4"])
        .contains("request not exist"));
    assert!(net.fails(&["validator", "deposit", "1.2.3", "--dev-account", "4"]).contains("not a decimal"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contestations_and_votes_decide_the_task() {
    let net = Network::start();
    register(&net, &textgenrnn_template(), "0");
    for key in ["1", "2", "3"] {
        net.ok(&["validator", "deposit", "10", "--dev-account", key]);
    }
    let (solver, contester, voter) = (dev_key(1).address(), dev_key(2).address(), dev_key(3).address());

    // Task 1: contested, the third validator sides with the solver: nays win.
    let task =
        net.ok(&["task", "submit", "--model", "textgenrnn", "--input", "{}", "--fee", "2", "--dev-account", "0"]);
    let task: B256 = task.trim().parse().unwrap();
    net.solve(1, task, b"an honest answer").await;
    let contested = net.json(&["contest", &task.to_string(), "--dev-account", "2"]);
    assert_eq!(contested["slash_amount"], "1.1", "0.01% of the 11,000 DML supply (1,000 of it in the DML/WETH pair)");
    assert!(net.fails(&["contest", &task.to_string(), "--dev-account", "3"]).contains("contestation already exists"));
    net.ok(&["vote", &task.to_string(), "--nay", "--dev-account", "3"]);
    assert!(net.fails(&["vote", &task.to_string(), "--yea", "--dev-account", "3"]).contains("already voted"));
    assert!(net.fails(&["vote", &task.to_string(), "--dev-account", "3"]).contains("--yea"));
    let got = net.json(&["task", "get", &task.to_string()]);
    assert_eq!(got["status"], "contested");
    let addresses = |value: &Value| -> Vec<Address> {
        value.as_array().unwrap().iter().map(|a| a.as_str().unwrap().parse().unwrap()).collect()
    };
    assert_eq!(addresses(&got["contestation"]["yeas"]), vec![contester]);
    assert_eq!(addresses(&got["contestation"]["nays"]), vec![solver, voter]);
    net.advance_time(WINDOW + 1).await;
    net.send(0, IEngine::contestationVoteFinishCall { taskid_: task, amnt_: 10 }).await;
    assert_eq!(net.json(&["task", "get", &task.to_string()])["status"], "claimed");
    let watched = net.ok(&["task", "watch", &task.to_string(), "--timeout", "30"]);
    assert!(watched.contains("ContestationResolved") && watched.contains("contestation lost"), "{watched}");

    // Task 2: a wrong answer, voted down; a waiting requester is told so and exits non-zero.
    let start = net.head().await;
    let waiting = net
        .command(&["task", "submit", "--model", "textgenrnn", "--input", "{}", "--fee", "2"])
        .args(["--wait", "--final", "--timeout", "60", "--dev-account", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (task, _) = net.next_task(start + 1).await;
    net.solve(1, task, b"a wrong answer").await;
    net.ok(&["contest", &task.to_string(), "--dev-account", "2"]);
    net.ok(&["vote", &task.to_string(), "--yea", "--dev-account", "3"]);
    net.advance_time(WINDOW + 1).await;
    net.send(0, IEngine::contestationVoteFinishCall { taskid_: task, amnt_: 10 }).await;
    let result = waiting.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(!result.status.success(), "a voted-down solution is not delivered");
    assert!(result.stdout.is_empty(), "nothing printed on stdout");
    assert!(stderr.contains("contested and voted down"), "{stderr}");
    assert_eq!(net.json(&["task", "get", &task.to_string()])["status"], "refunded");
    // The owner got the whole fee back: 1000 - 2 (task 1, paid to the solver).
    assert_eq!(net.json(&["balance", "--dev-account", "0"])["dml"], "998");
}

#[test]
fn every_client_command_has_help_with_the_common_options() {
    let dir = tempfile::tempdir().unwrap();
    let commands: [&[&str]; 17] = [
        &["wallet", "new"],
        &["wallet", "import"],
        &["wallet", "list"],
        &["balance"],
        &["transfer"],
        &["task", "submit"],
        &["task", "get"],
        &["task", "watch"],
        &["task", "retract"],
        &["model", "register"],
        &["model", "list"],
        &["model", "show"],
        &["validator", "deposit"],
        &["validator", "withdraw"],
        &["validator", "status"],
        &["contest"],
        &["vote"],
    ];
    for command in commands {
        let output = isolated_command(dir.path()).args(command).arg("--help").output().unwrap();
        let help = expect_ok(output, command);
        for option in ["--rpc-url", "--gateway-url", "--account", "--dev-account", "--config", "--json"] {
            assert!(help.contains(option), "`dml {} --help` lacks {option}", command.join(" "));
        }
    }
}
