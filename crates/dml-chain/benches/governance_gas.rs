//! Gas of voting and governance on the dev chain: the DML token (a native
//! contract) and its Governor, next to OpenZeppelin's reference
//! `ERC20Votes` token with the same Governor and timelock bytecode, deployed
//! on the same chain in the same run.
//!
//! `cargo bench -p dml-chain --bench governance_gas` prints one table: the
//! gas each transaction's receipt reports (intrinsic gas included) for a
//! first `delegate`, a transfer between two delegated accounts, `propose`,
//! `castVote`, `queue` and `execute`, and the ratio DML / OZ. Both proposals
//! make the same call (their timelock's `updateDelay`, to the delay it
//! already has), so the Governor and timelock work is identical and the
//! difference is the token's.

use alloy_consensus::{SignableTransaction, TxEip1559};
use alloy_eips::eip2718::Encodable2718;
use alloy_network::TxSignerSync;
use alloy_primitives::{keccak256, Address, Bytes, TxKind, U256};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use dml_chain::{chain::decode_signed, Chain, GenesisConfig, GovernanceAddresses};
use dml_governance::{GovernorParams, IGovernor, ITimelockController};
use dml_primitives::{IDmlToken, ONE_DML};

const DELAY: u64 = 10;
const PERIOD: u64 = 50;
const TIMELOCK: u64 = 20;

/// A chain driven block by block with exact timestamps.
struct Bench {
    chain: Chain,
    signers: Vec<PrivateKeySigner>,
    time: u64,
}

impl Bench {
    /// Sends one transaction in its own block `seconds` after the last and
    /// returns its receipt's gas and, for a creation, the new address.
    fn send(&mut self, from: usize, to: TxKind, input: Vec<u8>, seconds: u64) -> (u64, Option<Address>) {
        let signer = &self.signers[from];
        let nonce = self.chain.pending_nonce(&signer.address());
        let mut tx = TxEip1559 {
            chain_id: self.chain.chain_id(),
            nonce,
            gas_limit: 15_000_000,
            max_fee_per_gas: 100_000_000_000,
            max_priority_fee_per_gas: 1_000_000_000,
            to,
            value: U256::ZERO,
            access_list: Default::default(),
            input: input.into(),
        };
        let signature = signer.sign_transaction_sync(&mut tx).expect("signs");
        let raw: Bytes = tx.into_signed(signature).encoded_2718().into();
        let included = decode_signed(&raw, self.chain.chain_id()).expect("a valid transaction");
        self.chain.add_transaction(included).expect("accepted");
        self.time += seconds;
        let number = self.chain.mine(Some(self.time)).expect("mines");
        let receipt = &self.chain.block(number).expect("the block").receipts[0];
        assert!(receipt.success, "transaction reverted: {:?}", receipt.revert_data);
        (receipt.gas_used, receipt.contract_address)
    }

    fn call<C: SolCall>(&mut self, from: usize, to: Address, call: C, seconds: u64) -> u64 {
        self.send(from, TxKind::Call(to), call.abi_encode(), seconds).0
    }

    fn view<C: SolCall>(&self, to: Address, call: C) -> C::Return {
        let request = TransactionRequest::default().to(to).input(Bytes::from(call.abi_encode()).into());
        let output = self.chain.call(&request, self.chain.head_number()).expect("view").output;
        C::abi_decode_returns(&output).expect("decodes")
    }
}

/// Gas of each step for one token and its Governor.
struct Figures {
    delegate: u64,
    transfer: u64,
    propose: u64,
    vote: u64,
    queue: u64,
    execute: u64,
}

/// Runs the steps: accounts 1 and 2 delegate to themselves, 1 transfers to
/// 2, 1 proposes, 1 and 2 vote, then queue and execute.
fn run(bench: &mut Bench, token: Address, governor: Address, timelock: Address) -> Figures {
    let (a, b) = (bench.signers[1].address(), bench.signers[2].address());
    let delegate = bench.call(1, token, IDmlToken::delegateCall { delegatee: a }, 1);
    bench.call(2, token, IDmlToken::delegateCall { delegatee: b }, 1);
    let transfer = bench.call(1, token, IDmlToken::transferCall { to: b, amount: ONE_DML }, 1);

    let delay = bench.view(timelock, ITimelockController::getMinDelayCall {});
    let targets = vec![timelock];
    let values = vec![U256::ZERO];
    let calldatas = vec![Bytes::from(ITimelockController::updateDelayCall { newDelay: delay }.abi_encode())];
    let description = format!("Keep the delay at {delay} s");
    let propose = IGovernor::proposeCall {
        targets: targets.clone(),
        values: values.clone(),
        calldatas: calldatas.clone(),
        description: description.clone(),
    };
    let propose = bench.call(1, governor, propose, 1);
    let id = bench.view(governor, IGovernor::proposalCountCall {}) - U256::from(1);
    let id = bench.view(governor, IGovernor::proposalDetailsAtCall { index: id }).proposalId;
    let vote = bench.call(1, governor, IGovernor::castVoteCall { proposalId: id, support: 1 }, DELAY + 1);
    bench.call(2, governor, IGovernor::castVoteCall { proposalId: id, support: 1 }, 1);
    let description_hash = keccak256(description.as_bytes());
    let queue = IGovernor::queue_0Call {
        targets: targets.clone(),
        values: values.clone(),
        calldatas: calldatas.clone(),
        descriptionHash: description_hash,
    };
    let queue = bench.call(3, governor, queue, PERIOD);
    let execute = IGovernor::execute_0Call { targets, values, calldatas, descriptionHash: description_hash };
    let execute = bench.call(3, governor, execute, TIMELOCK + 1);
    Figures { delegate, transfer, propose, vote, queue, execute }
}

fn main() {
    let config = GenesisConfig {
        governance: GovernorParams {
            voting_delay: DELAY,
            voting_period: PERIOD,
            timelock_delay: TIMELOCK,
            proposal_threshold: ONE_DML,
            quorum_percent: 4,
        },
        timestamp: Some(1_800_000_000),
        ..GenesisConfig::default()
    };
    let chain = Chain::open(&config, None).expect("chain");
    let signers = chain.dev_signers().to_vec();
    let mut bench = Bench { chain, signers, time: 1_800_000_000 };

    // OZ's reference token, holding what the DML dev accounts hold, and the
    // same Governor and timelock over it (timelock first: the governor's
    // address is the deployer's next one).
    let holder = bench.signers[0].address();
    let supply = ONE_DML * U256::from(10_000u64);
    let code = dml_governance::ref_votes_token_deploy_code(holder, supply);
    let (_, oz_token) = bench.send(0, TxKind::Create, code.to_vec(), 1);
    let oz_token = oz_token.expect("token deployed");
    for i in 1..=2 {
        let to = bench.signers[i].address();
        bench.call(0, oz_token, IDmlToken::transferCall { to, amount: ONE_DML * U256::from(1_000u64) }, 1);
    }
    let deployer_nonce = bench.chain.pending_nonce(&holder);
    let oz_governor = holder.create(deployer_nonce + 1);
    let code =
        dml_governance::timelock_deploy_code(U256::from(TIMELOCK), &[oz_governor], &[Address::ZERO], Address::ZERO);
    let (_, oz_timelock) = bench.send(0, TxKind::Create, code.to_vec(), 1);
    let oz_timelock = oz_timelock.expect("timelock deployed");
    let code = dml_governance::governor_deploy_code(&config.governance, oz_token, oz_timelock).expect("params");
    let (_, deployed) = bench.send(0, TxKind::Create, code.to_vec(), 1);
    assert_eq!(deployed, Some(oz_governor));

    let dml_token = bench.chain.contracts().token;
    let gov = GovernanceAddresses::at_genesis();
    let dml = run(&mut bench, dml_token, gov.governor, gov.timelock);
    let oz = run(&mut bench, oz_token, oz_governor, oz_timelock);

    println!("Gas per transaction on the dev chain (receipts, intrinsic gas included)");
    println!();
    println!("| transaction | DML token + DMLGovernor | OZ ERC20Votes + DMLGovernor | DML / OZ |");
    println!("| --- | ---: | ---: | ---: |");
    let rows = [
        ("delegate (first, to self)", dml.delegate, oz.delegate),
        ("transfer between delegated accounts", dml.transfer, oz.transfer),
        ("propose", dml.propose, oz.propose),
        ("castVote", dml.vote, oz.vote),
        ("queue", dml.queue, oz.queue),
        ("execute", dml.execute, oz.execute),
    ];
    for (name, ours, theirs) in rows {
        println!("| {name} | {ours} | {theirs} | {:.2} |", ours as f64 / theirs as f64);
    }
}
