//! Drives the same calls through the built wasm contracts (under the Python
//! wasmtime harness, `harness/stylus_host.py`) and through the dev chain
//! (`dml_chain::Chain`, signed transactions mined one per block), and compares
//! what each returns, logs and stores. Shared by the equivalence test and the
//! `stylus_report` bench.
#![allow(dead_code)]

pub mod generator;

use std::{
    collections::{BTreeMap, HashMap},
    io::{BufRead, BufReader, Write},
    path::{Path, PathBuf},
    process::{Child, ChildStdin, ChildStdout, Command, Stdio},
};

use alloy_consensus::{SignableTransaction, TxEip1559};
use alloy_eips::eip2718::Encodable2718;
use alloy_network::TxSignerSync;
use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolCall, SolError};
use dml_chain::{chain::decode_signed, Chain, GenesisConfig, LiquidityAddresses, LiquidityConfig};
use dml_engine::{Contract, Genesis, GenesisModel};
use dml_primitives::ONE_DML;
use dml_stylus::{genesis_calldata, CONTRACTS, FACET_PROGRAMS, GENESIS_AUTHORITY, GENESIS_PROGRAM};
use serde_json::{json, Value};

/// Gas limit of every generated transaction.
pub const TX_GAS: u64 = 8_000_000;
/// The facet programs' names (`dml-engine-<name>.wasm`), in `facet::EACH` order.
pub const FACET_NAMES: [&str; 8] = ["govern", "tasks", "solve", "settle", "stake", "delegate", "finish", "callback"];

/// Genesis time of both worlds.
pub const GENESIS_TIME: u64 = 1_750_000_000;
/// Claim, retraction, vote and unlock windows.
pub const WINDOW: u64 = 60;

/// Where the tools come from: `DML_STYLUS_WASM_DIR` (default `<repo>/target/stylus`)
/// and `DML_STYLUS_PYTHON` (default the venv `scripts/stylus-build.sh` makes).
pub struct Tools {
    pub python: PathBuf,
    /// The engine's router, deployed at the engine's address.
    pub engine_wasm: PathBuf,
    /// The engine's facets, in `facet::EACH` order (at `FACET_PROGRAMS`).
    pub facet_wasm: Vec<PathBuf>,
    /// The engine's genesis program (at `GENESIS_PROGRAM`).
    pub genesis_wasm: PathBuf,
    pub token_wasm: PathBuf,
    pub harness: PathBuf,
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repository root")
}

impl Tools {
    /// The tools, or what is missing.
    pub fn find() -> Result<Self, String> {
        let root = repo_root();
        let cache = std::env::var_os("DML_CACHE").map(PathBuf::from).unwrap_or_else(|| root.join("../.ci-cache"));
        let wasm_dir =
            std::env::var_os("DML_STYLUS_WASM_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("target/stylus"));
        let python = std::env::var_os("DML_STYLUS_PYTHON")
            .map(PathBuf::from)
            .unwrap_or_else(|| cache.join("stylus-venv/bin/python"));
        let tools = Self {
            python,
            engine_wasm: wasm_dir.join("dml-engine.wasm"),
            facet_wasm: FACET_NAMES.iter().map(|name| wasm_dir.join(format!("dml-engine-{name}.wasm"))).collect(),
            genesis_wasm: wasm_dir.join("dml-engine-genesis.wasm"),
            token_wasm: wasm_dir.join("dml-token.wasm"),
            harness: Path::new(env!("CARGO_MANIFEST_DIR")).join("harness/stylus_host.py"),
        };
        for path in [&tools.python].into_iter().chain(tools.programs().iter().map(|(_, path)| path)) {
            if !path.exists() {
                return Err(format!("{} is missing: run scripts/stylus-build.sh", path.display()));
            }
        }
        Ok(tools)
    }

    /// Every program with its address: the router, the facets, the genesis program, the token.
    pub fn programs(&self) -> Vec<(Address, PathBuf)> {
        let mut programs = vec![(CONTRACTS.engine, self.engine_wasm.clone())];
        programs.extend(FACET_PROGRAMS.iter().copied().zip(self.facet_wasm.iter().cloned()));
        programs.push((GENESIS_PROGRAM, self.genesis_wasm.clone()));
        programs.push((CONTRACTS.token, self.token_wasm.clone()));
        programs
    }

    /// The tools, or a skip notice (a failure under `CI=true`).
    pub fn require(test: &str) -> Option<Self> {
        match Self::find() {
            Ok(tools) => Some(tools),
            Err(missing) if std::env::var("CI").is_ok_and(|v| v == "true") => panic!("{test}: {missing}"),
            Err(missing) => {
                eprintln!("skipping {test}: {missing}");
                None
            }
        }
    }
}

/// A log as both worlds report it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainLog {
    pub address: Address,
    pub topics: Vec<B256>,
    pub data: Bytes,
}

/// What one call did in one world.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallResult {
    pub ok: bool,
    /// Return data, or revert data.
    pub output: Bytes,
    pub logs: Vec<ChainLog>,
}

/// Host-call counts of one call under the harness.
#[derive(Clone, Copy, Debug, Default)]
pub struct HostCounts {
    pub storage_loads: u64,
    pub storage_stores: u64,
    pub logs: u64,
    pub calls: u64,
    pub static_calls: u64,
    pub delegate_calls: u64,
}

/// The Python wasmtime host running both contracts.
pub struct Harness {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    tools: Tools,
}

impl Harness {
    pub fn start(tools: Tools) -> Self {
        let mut child = Command::new(&tools.python)
            .arg(&tools.harness)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("starting {}: {error}", tools.python.display()));
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut harness = Self { child, stdin, stdout, tools };
        harness.reset();
        harness
    }

    fn request(&mut self, request: Value) -> Value {
        writeln!(self.stdin, "{request}").expect("harness stdin");
        self.stdin.flush().expect("harness stdin");
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("harness stdout");
        let answer: Value = serde_json::from_str(&line).unwrap_or_else(|_| panic!("harness answered {line:?}"));
        if let Some(error) = answer.get("error") {
            panic!("harness error for {request}: {error}");
        }
        answer
    }

    /// Fresh storage, every program deployed at its compiled-in address.
    pub fn reset(&mut self) {
        self.request(json!({"op": "reset"}));
        for (address, wasm) in self.tools.programs() {
            self.request(json!({"op": "deploy", "address": address.to_string(), "wasm": wasm.display().to_string()}));
        }
    }

    /// Takes the program at `address` away (the account has no code).
    pub fn remove(&mut self, address: Address) {
        self.request(json!({"op": "remove", "address": address.to_string()}));
    }

    /// The `vm_hooks` functions a program imports.
    pub fn imports(&mut self, wasm: &Path) -> Vec<String> {
        let answer = self.request(json!({"op": "imports", "wasm": wasm.display().to_string()}));
        answer["imports"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
    }

    pub fn call(
        &mut self,
        to: Address,
        from: Address,
        data: &[u8],
        block: u64,
        timestamp: u64,
    ) -> (CallResult, HostCounts) {
        self.call_with_value(to, from, data, block, timestamp, 0)
    }

    /// [`Harness::call`] with `msg.value` (wei).
    pub fn call_with_value(
        &mut self,
        to: Address,
        from: Address,
        data: &[u8],
        block: u64,
        timestamp: u64,
        value: u64,
    ) -> (CallResult, HostCounts) {
        self.transact(to, from, data, block, timestamp, value, TX_GAS)
    }

    /// [`Harness::call`] as a transaction with gas limit `gas` (the dev
    /// chain's [`TX_GAS`] elsewhere): the harness gives the top frame `gas`
    /// less the intrinsic gas, as a chain does.
    pub fn call_with_gas(
        &mut self,
        to: Address,
        from: Address,
        data: &[u8],
        block: u64,
        timestamp: u64,
        gas: u64,
    ) -> (CallResult, HostCounts) {
        self.transact(to, from, data, block, timestamp, 0, gas)
    }

    #[allow(clippy::too_many_arguments)]
    fn transact(
        &mut self,
        to: Address,
        from: Address,
        data: &[u8],
        block: u64,
        timestamp: u64,
        value: u64,
        gas: u64,
    ) -> (CallResult, HostCounts) {
        let answer = self.request(json!({
            "op": "call", "to": to.to_string(), "from": from.to_string(), "data": Bytes::copy_from_slice(data).to_string(),
            "block_number": block, "timestamp": timestamp, "value": value, "gas": gas,
        }));
        let logs = answer["logs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|log| ChainLog {
                address: log["address"].as_str().unwrap().parse().unwrap(),
                topics: log["topics"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t.as_str().unwrap().parse().unwrap())
                    .collect(),
                data: log["data"].as_str().unwrap().parse().unwrap(),
            })
            .collect();
        let counts = &answer["counts"];
        let count = |name: &str| counts[name].as_u64().unwrap();
        (
            CallResult {
                ok: answer["ok"].as_bool().unwrap(),
                output: answer["output"].as_str().unwrap().parse().unwrap(),
                logs,
            },
            HostCounts {
                storage_loads: count("storage_loads"),
                storage_stores: count("storage_stores"),
                logs: count("logs"),
                delegate_calls: count("delegate_calls"),
                calls: count("calls"),
                static_calls: count("static_calls"),
            },
        )
    }

    /// An ERC-20 emulated by the harness in Python at `address`,
    /// answering as the Solidity test fixture `kind` names: `standard`
    /// (TestERC20), `false` or `nothing` (NonStandardToken), `reentrant`
    /// (ReentrantToken).
    pub fn deploy_erc20(&mut self, address: Address, kind: &str) {
        self.request(json!({"op": "deploy_erc20", "address": address.to_string(), "kind": kind}));
    }

    /// EVM runtime `code` at `address`, run by the harness's interpreter
    /// (`harness/evm.py`): a Solidity fixture as the dev chain deployed it.
    pub fn deploy_evm(&mut self, address: Address, code: &[u8]) {
        let code = Bytes::copy_from_slice(code).to_string();
        self.request(json!({"op": "deploy_evm", "address": address.to_string(), "code": code}));
    }

    pub fn storage(&mut self, address: Address) -> BTreeMap<U256, U256> {
        let answer = self.request(json!({"op": "storage", "address": address.to_string()}));
        answer["slots"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(slot, value)| (slot.parse().unwrap(), value.as_str().unwrap().parse().unwrap()))
            .collect()
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The dev chain, one transaction per block.
pub struct DevChain {
    pub chain: Chain,
    pub signers: Vec<PrivateKeySigner>,
    nonces: HashMap<Address, u64>,
}

/// The dev chain's genesis used by both worlds: short windows, ten funded dev
/// accounts, two models registered at genesis (one with a reward rate).
///
/// The engine's owner, pause guardian and treasury are dev account 0 (the
/// wasm's genesis authority), named explicitly: left out, the dev chain hands
/// owner and treasury to its governance timelock, which the wasm world has
/// not got. The dev chain's governance and liquidity contracts (Uniswap V2,
/// `LiquidityStaking`) live at their own addresses and never touch engine or
/// token storage, so the worlds stay comparable; but the dev chain's default
/// liquidity seed mints DML to its genesis deployer and moves it into the
/// pair through Solidity the wasm world has not got, so there is no seed.
/// The liquidity pool stays the dev chain's default, the genesis
/// `LiquidityStaking` contract (see [`engine_genesis`]).
pub fn genesis_config() -> GenesisConfig {
    let mut config = GenesisConfig {
        timestamp: Some(GENESIS_TIME),
        liquidity: LiquidityConfig { seed_dml: 0, seed_eth: 0, lp_recipient: None },
        ..GenesisConfig::default()
    };
    config.engine.owner = Some(GENESIS_AUTHORITY);
    config.engine.pauser = Some(GENESIS_AUTHORITY);
    config.engine.treasury = Some(GENESIS_AUTHORITY);
    config.models = vec![
        dml_chain::GenesisModel {
            addr: None,
            fee: ONE_DML / U256::from(10u8),
            rate: ONE_DML,
            template: r#"{"name":"genesis-rewarded"}"#.into(),
        },
        dml_chain::GenesisModel {
            addr: Some(GENESIS_MODEL_ADDR),
            fee: U256::ZERO,
            rate: U256::ZERO,
            template: r#"{"name":"genesis-free","input":{}}"#.into(),
        },
    ];
    config.engine.min_claim_solution_time = WINDOW;
    config.engine.min_retraction_wait_time = WINDOW;
    config.engine.min_contestation_vote_period_time = WINDOW;
    config.engine.exit_validator_min_unlock_time = WINDOW;
    config
}

/// The registrant of the second genesis model: an address without a key.
pub const GENESIS_MODEL_ADDR: Address = Address::repeat_byte(0x3d);

/// The engine genesis the dev chain derives from `config` (see
/// `dml_chain::chain::build_genesis`), for a `config` that names the
/// engine's roles (as [`genesis_config`] does).
pub fn engine_genesis(config: &GenesisConfig, signers: &[PrivateKeySigner]) -> Genesis {
    let role = |role: Option<Address>| role.expect("the equivalence genesis names every engine role");
    let dml = U256::from(config.dev_account_dml) * ONE_DML;
    let mut allocations: Vec<(Address, U256)> = signers.iter().map(|s| (s.address(), dml)).collect();
    allocations.extend(config.allocations.iter().filter(|a| !a.dml.is_zero()).map(|a| (a.address, a.dml)));
    let models = config
        .models
        .iter()
        .map(|model| GenesisModel {
            addr: model.addr.unwrap_or(signers[0].address()),
            fee: model.fee,
            rate: model.rate,
            template: model.template.clone().into_bytes().into(),
        })
        .collect();
    Genesis {
        owner: role(config.engine.owner),
        pauser: role(config.engine.pauser),
        treasury: role(config.engine.treasury),
        // As the dev chain resolves it: absent, its genesis `LiquidityStaking`.
        liquidity_pool: config.engine.liquidity_pool.unwrap_or(LiquidityAddresses::for_token(CONTRACTS.token).staking),
        start_time: config.engine.start_time.unwrap_or(GENESIS_TIME),
        timestamp: GENESIS_TIME,
        allocations,
        models,
        parameters: config.engine.parameters(),
        contracts: CONTRACTS,
    }
}

impl DevChain {
    pub fn new(config: &GenesisConfig) -> Self {
        let chain = Chain::open(config, None).expect("dev chain opens");
        let signers = chain.dev_signers().to_vec();
        Self { chain, signers, nonces: HashMap::new() }
    }

    /// Sends `data` from dev account `sender` to `to` in a new block at
    /// `timestamp`; the return data comes from the same call run just before
    /// (same state, same block context), the rest from the receipt.
    pub fn send(&mut self, sender: usize, to: Address, data: &[u8], timestamp: u64) -> (CallResult, u64) {
        self.send_with_gas(sender, to, data, timestamp, TX_GAS)
    }

    /// [`DevChain::send`] with gas limit `gas`.
    pub fn send_with_gas(
        &mut self,
        sender: usize,
        to: Address,
        data: &[u8],
        timestamp: u64,
        gas: u64,
    ) -> (CallResult, u64) {
        let signer = self.signers[sender].clone();
        let from = signer.address();
        self.chain.set_next_timestamp(timestamp).expect("timestamps increase");
        let request =
            TransactionRequest::default().from(from).to(to).input(Bytes::copy_from_slice(data).into()).gas_limit(gas);
        let head = self.chain.head_number();
        let preview = self.chain.call(&request, head);
        let nonce = self.nonces.entry(from).or_insert(0);
        let mut tx = TxEip1559 {
            chain_id: self.chain.chain_id(),
            nonce: *nonce,
            gas_limit: gas,
            max_fee_per_gas: 100_000_000_000,
            max_priority_fee_per_gas: 0,
            to: to.into(),
            value: U256::ZERO,
            access_list: Default::default(),
            input: Bytes::copy_from_slice(data),
        };
        *nonce += 1;
        let signature = signer.sign_transaction_sync(&mut tx).expect("signs");
        let raw = tx.into_signed(signature).encoded_2718();
        let included = decode_signed(&raw, self.chain.chain_id()).expect("decodes");
        self.chain.add_transaction(included).expect("the pool takes it");
        let number = self.chain.mine(Some(timestamp)).expect("mines");
        let block = self.chain.block(number).expect("the new block");
        assert_eq!(block.receipts.len(), 1, "one transaction per block");
        let receipt = &block.receipts[0];
        let logs = receipt
            .logs
            .iter()
            .map(|log| ChainLog {
                address: log.address,
                topics: log.data.topics().to_vec(),
                data: log.data.data.clone(),
            })
            .collect();
        let output = match (&preview, receipt.success) {
            (Ok(outcome), true) => outcome.output.clone(),
            (_, true) => panic!("the call reverted in preview but the transaction succeeded: {preview:?}"),
            (_, false) => receipt.revert_data.clone(),
        };
        (CallResult { ok: receipt.success, output, logs }, receipt.gas_used)
    }

    /// Deploys `code` (creation code and constructor arguments) from dev
    /// account `sender` in a new block at `timestamp`; the new contract's address.
    pub fn deploy(&mut self, sender: usize, code: Vec<u8>, timestamp: u64) -> Address {
        let signer = self.signers[sender].clone();
        let from = signer.address();
        self.chain.set_next_timestamp(timestamp).expect("timestamps increase");
        let nonce = self.nonces.entry(from).or_insert(0);
        let mut tx = TxEip1559 {
            chain_id: self.chain.chain_id(),
            nonce: *nonce,
            gas_limit: TX_GAS,
            max_fee_per_gas: 100_000_000_000,
            max_priority_fee_per_gas: 0,
            to: alloy_primitives::TxKind::Create,
            value: U256::ZERO,
            access_list: Default::default(),
            input: Bytes::from(code),
        };
        let address = from.create(*nonce);
        *nonce += 1;
        let signature = signer.sign_transaction_sync(&mut tx).expect("signs");
        let raw = tx.into_signed(signature).encoded_2718();
        let included = decode_signed(&raw, self.chain.chain_id()).expect("decodes");
        self.chain.add_transaction(included).expect("the pool takes it");
        let number = self.chain.mine(Some(timestamp)).expect("mines");
        let block = self.chain.block(number).expect("the new block");
        assert!(block.receipts[0].success, "the deployment succeeds");
        address
    }

    /// The runtime code at `address`.
    pub fn code(&self, address: Address) -> Bytes {
        self.chain.state().code_at(&address)
    }

    pub fn storage(&self, address: Address) -> BTreeMap<U256, U256> {
        self.chain.state().storage_of(&address).filter(|(_, v)| !v.is_zero()).map(|(k, v)| (*k, *v)).collect()
    }

    pub fn head_number(&self) -> u64 {
        self.chain.head_number()
    }
}

/// Both worlds from the same genesis, checked equal after it.
pub struct Pair {
    pub chain: DevChain,
    pub harness: Harness,
    pub time: u64,
}

impl Pair {
    pub fn new(harness: Harness) -> Self {
        let (config, chain) = Self::worlds();
        let genesis = engine_genesis(&config, &chain.signers);
        assert_eq!(chain.signers[0].address(), GENESIS_AUTHORITY, "the wasm's genesis authority is dev account 0");
        let mut pair = Self { chain, harness, time: GENESIS_TIME };
        pair.harness.reset();
        let (result, _) =
            pair.harness.call(CONTRACTS.engine, GENESIS_AUTHORITY, &genesis_calldata(&genesis), 0, GENESIS_TIME);
        assert!(result.ok, "wasm genesis: {result:?}");
        pair.assert_same_storage("genesis");
        pair
    }

    /// The genesis configuration and the dev chain built from it.
    pub fn worlds() -> (GenesisConfig, DevChain) {
        let config = genesis_config();
        let chain = DevChain::new(&config);
        (config, chain)
    }

    /// The engine genesis call of [`Pair::new`].
    pub fn genesis_calldata() -> Vec<u8> {
        let (config, chain) = Self::worlds();
        genesis_calldata(&engine_genesis(&config, &chain.signers))
    }

    /// Runs one call in both worlds and returns both results (not yet compared).
    pub fn step(&mut self, sender: usize, contract: Contract, data: &[u8], seconds: u64) -> Step {
        let to = match contract {
            Contract::Engine => CONTRACTS.engine,
            Contract::Token => CONTRACTS.token,
        };
        self.step_to(sender, to, data, seconds)
    }

    /// [`Pair::step`] to any address (a contract of the test's beside the engine and token).
    pub fn step_to(&mut self, sender: usize, to: Address, data: &[u8], seconds: u64) -> Step {
        self.step_with_gas(sender, to, data, seconds, TX_GAS)
    }

    /// [`Pair::step_to`] as a transaction with gas limit `gas` in both worlds.
    pub fn step_with_gas(&mut self, sender: usize, to: Address, data: &[u8], seconds: u64, gas: u64) -> Step {
        self.time += seconds.max(1);
        let block = self.chain.head_number() + 1;
        let from = self.chain.signers[sender].address();
        let started = std::time::Instant::now();
        let (wasm, counts) = self.harness.call_with_gas(to, from, data, block, self.time, gas);
        let wasm_time = started.elapsed();
        let (chain, gas) = self.chain.send_with_gas(sender, to, data, self.time, gas);
        Step { wasm, chain, counts, gas, wasm_time }
    }

    /// Deploys `creation_code` (constructor arguments appended) on the dev
    /// chain from dev account 0, and the runtime code it left there in the
    /// harness at the same address, where `harness/evm.py` runs it.
    pub fn deploy_evm(&mut self, creation_code: Vec<u8>) -> Address {
        self.time += 1;
        let address = self.chain.deploy(0, creation_code, self.time);
        let code = self.chain.code(address);
        assert!(!code.is_empty(), "the deployment left code");
        self.harness.deploy_evm(address, &code);
        address
    }

    pub fn assert_same_storage(&mut self, context: &str) {
        self.assert_same_storage_at(&[CONTRACTS.engine, CONTRACTS.token], context);
    }

    /// [`Pair::assert_same_storage`] for the accounts `addresses`.
    pub fn assert_same_storage_at(&mut self, addresses: &[Address], context: &str) {
        for &address in addresses {
            let wasm = self.harness.storage(address);
            let chain = self.chain.storage(address);
            if wasm != chain {
                let only_wasm: Vec<_> = wasm.iter().filter(|(k, v)| chain.get(k) != Some(v)).collect();
                let only_chain: Vec<_> = chain.iter().filter(|(k, v)| wasm.get(k) != Some(v)).collect();
                panic!(
                    "{context}: storage of {address} differs\n  wasm only: {only_wasm:?}\n  chain only: {only_chain:?}"
                );
            }
        }
    }
}

/// `n` whole DML in base units.
pub fn dml(n: u64) -> U256 {
    U256::from(n) * ONE_DML
}

/// The first topic (the event signature) of each log of a call.
pub fn topics(result: &CallResult) -> Vec<B256> {
    result.logs.iter().map(|log| log.topics[0]).collect()
}

/// Both worlds, one scripted call at a time, each compared as it happens:
/// the scripted equivalence tests (`wasm_equivalence/*.rs`) drive it.
pub struct Script {
    pub pair: Pair,
}

impl Script {
    /// Both worlds from the equivalence genesis.
    pub fn start(tools: Tools) -> Self {
        Self { pair: Pair::new(Harness::start(tools)) }
    }

    /// Dev account `account`'s address.
    pub fn address(&self, account: usize) -> Address {
        self.pair.chain.signers[account].address()
    }

    /// The time the next call runs at (each call is one second after the last).
    pub fn next_time(&self) -> u64 {
        self.pair.time + 1
    }

    /// Runs `data` from `sender` on both worlds `seconds` after the last call.
    pub fn send(&mut self, sender: usize, contract: Contract, data: &[u8], seconds: u64, what: &str) -> CallResult {
        let step = self.pair.step(sender, contract, data, seconds);
        assert_eq!(step.wasm, step.chain, "{what}: wasm and dev chain differ");
        step.chain
    }

    /// Runs `call` one second after the last call.
    pub fn call<C: SolCall>(&mut self, sender: usize, contract: Contract, call: &C) -> CallResult {
        self.send(sender, contract, &call.abi_encode(), 1, C::SIGNATURE)
    }

    /// A call that must succeed; its decoded return.
    pub fn ok<C: SolCall>(&mut self, sender: usize, contract: Contract, call: C) -> (C::Return, CallResult) {
        let result = self.call(sender, contract, &call);
        assert!(result.ok, "{} reverted: {}", C::SIGNATURE, result.output);
        (C::abi_decode_returns(&result.output).expect("return data decodes"), result)
    }

    /// A call that must revert with `error` (a custom error or `Error(string)`), exactly.
    pub fn reverts<C: SolCall, E: SolError>(&mut self, sender: usize, contract: Contract, call: C, error: E) {
        let result = self.call(sender, contract, &call);
        assert!(!result.ok, "{} succeeded, expected {}", C::SIGNATURE, E::SIGNATURE);
        assert_eq!(result.output.as_ref(), error.abi_encode(), "{}: revert data", C::SIGNATURE);
        assert!(result.logs.is_empty());
    }
}

/// One call's results in both worlds.
pub struct Step {
    pub wasm: CallResult,
    pub chain: CallResult,
    pub counts: HostCounts,
    pub gas: u64,
    pub wasm_time: std::time::Duration,
}

impl Harness {
    /// Raw and brotli-compressed (quality 11, window 22, as cargo-stylus) size of a program.
    pub fn size(&mut self, wasm: &Path) -> (u64, u64) {
        let answer = self.request(json!({"op": "size", "wasm": wasm.display().to_string()}));
        (answer["raw"].as_u64().unwrap(), answer["brotli"].as_u64().unwrap())
    }

    /// The programs this harness runs, by file name.
    pub fn programs(&self) -> Vec<(String, PathBuf)> {
        let name = |path: &Path| path.file_name().unwrap().to_string_lossy().into_owned();
        self.tools.programs().into_iter().map(|(_, path)| (name(&path), path)).collect()
    }
}
