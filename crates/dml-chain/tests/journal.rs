//! The block journal under `--data-dir`: blocks held only in the journal,
//! blocks written into the database at a checkpoint, reverts over journaled
//! blocks, a torn last record and a journal left over from an older epoch.
//! Each case reopens the chain from disk and checks it against the chain
//! that wrote it (head hash, state root, a replay from genesis).

use std::path::Path;

use alloy_consensus::{SignableTransaction, Transaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, Bytes, TxKind, U256};
use alloy_signer::SignerSync;
use dml_chain::{journal::MAX_JOURNALED_BLOCKS, Chain, GenesisConfig};

fn genesis() -> GenesisConfig {
    GenesisConfig { timestamp: Some(1_700_000_000), ..GenesisConfig::default() }
}

fn open(dir: &Path) -> Chain {
    Chain::open(&genesis(), Some(dir)).expect("the chain opens")
}

/// A contract whose every call stores `calldata[32..64]` at slot `calldata[0..32]`.
const STORE_INIT_CODE: [u8; 17] = alloy_primitives::hex!("67602035600035550060005260086018f3");

/// Signs `tx` with the chain's first dev account and pools it.
fn send(chain: &mut Chain, to: TxKind, value: U256, input: Vec<u8>) {
    let signer = chain.dev_signers()[0].clone();
    let tx = TxEip1559 {
        chain_id: chain.chain_id(),
        nonce: chain.pending_nonce(&signer.address()),
        gas_limit: 200_000,
        max_fee_per_gas: 100_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
        to,
        value,
        input: Bytes::from(input),
        access_list: Default::default(),
    };
    let signature = signer.sign_hash_sync(&tx.signature_hash()).unwrap();
    let envelope: TxEnvelope = tx.into_signed(signature).into();
    let included = dml_chain::chain::decode_signed(&envelope.encoded_2718(), chain.chain_id()).unwrap();
    chain.add_transaction(included).unwrap();
}

/// An account the transfers go to (above the precompiles' addresses).
fn payee(n: u64) -> Address {
    Address::left_padding_from(&[0x55, (n % 200) as u8])
}

/// Mines `blocks` blocks of real transactions: ETH to many accounts, slots
/// written and cleared in a contract, and (every tenth block) a new contract.
fn mine_changes(chain: &mut Chain, blocks: u64, seed: u64) {
    let sender = chain.dev_signers()[0].address();
    for i in 0..blocks {
        let n = seed * 100_000 + i;
        let mut store = contracts(chain).last().copied();
        if i % 10 == 0 || store.is_none() {
            store = Some(sender.create(chain.pending_nonce(&sender)));
            send(chain, TxKind::Create, U256::ZERO, STORE_INIT_CODE.to_vec());
        }
        send(chain, TxKind::Call(payee(n)), U256::from(n + 1), Vec::new());
        let mut call = U256::from(n % 50).to_be_bytes::<32>().to_vec();
        call.extend_from_slice(&U256::from(n % 3).to_be_bytes::<32>());
        send(chain, TxKind::Call(store.unwrap()), U256::ZERO, call);
        let number = chain.mine(None).unwrap();
        let receipts = &chain.block(number).unwrap().receipts;
        assert!(receipts.iter().all(|receipt| receipt.success), "block {number}: every transaction succeeds");
    }
}

/// Every contract the dev account created, oldest first.
fn contracts(chain: &Chain) -> Vec<Address> {
    let sender = chain.dev_signers()[0].address();
    (0..=chain.head_number())
        .filter_map(|number| chain.block(number))
        .flat_map(|block| block.transactions.iter())
        .filter(|tx| tx.sender == sender && tx.envelope.kind().is_create())
        .map(|tx| sender.create(tx.envelope.nonce()))
        .collect()
}

/// The reopened chain is the one that was written, block for block.
fn assert_same(reopened: &Chain, written: &Chain) {
    assert_eq!(reopened.head_number(), written.head_number());
    assert_eq!(reopened.head().hash, written.head().hash);
    let mut reopened_state = reopened.state().clone();
    assert_eq!(reopened_state.state_root(), written.head().header.state_root, "state root from the reopened state");
    assert_eq!(reopened.replay_state_root(&genesis()).unwrap(), written.head().header.state_root);
    let contracts = contracts(written);
    assert!(!contracts.is_empty());
    for contract in contracts {
        assert_eq!(reopened.state().code_at(&contract), written.state().code_at(&contract));
        for slot in 0..50u64 {
            let slot = U256::from(slot);
            assert_eq!(reopened.state().storage(&contract, &slot), written.state().storage(&contract, &slot));
        }
    }
    for n in 0..200 {
        let address = payee(n);
        assert_eq!(reopened.state().account(&address), written.state().account(&address), "account {address}");
    }
}

fn journal_len(dir: &Path) -> u64 {
    std::fs::metadata(dir.join("chain.journal")).map(|m| m.len()).unwrap_or(0)
}

#[test]
fn blocks_held_only_in_the_journal_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let mut chain = open(dir.path());
    mine_changes(&mut chain, 20, 1);
    assert!(journal_len(dir.path()) > 0, "the blocks went to the journal");
    drop_without_commit(chain, dir.path(), assert_same);
}

#[test]
fn a_checkpoint_moves_the_journal_into_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let mut chain = open(dir.path());
    let blocks = MAX_JOURNALED_BLOCKS as u64 + 37;
    mine_changes(&mut chain, blocks, 2);
    drop_without_commit(chain, dir.path(), |reopened, written| {
        assert_same(reopened, written);
        assert_eq!(reopened.head_number(), blocks);
    });
}

#[test]
fn a_revert_over_journaled_blocks_is_what_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let mut chain = open(dir.path());
    mine_changes(&mut chain, 5, 3);
    let snapshot = chain.snapshot();
    let at_snapshot = chain.head().hash;
    mine_changes(&mut chain, 8, 4);
    assert!(chain.revert(snapshot).unwrap());
    assert_eq!(chain.head().hash, at_snapshot);
    // The same block numbers again, with other content.
    mine_changes(&mut chain, 8, 5);
    drop_without_commit(chain, dir.path(), assert_same);
}

#[test]
fn a_clock_change_commits_the_journal_and_keeps_the_offset() {
    let dir = tempfile::tempdir().unwrap();
    let mut chain = open(dir.path());
    mine_changes(&mut chain, 4, 6);
    chain.increase_time(3_600).unwrap();
    mine_changes(&mut chain, 3, 7);
    let next_timestamp = chain.peek_next_timestamp();
    drop_without_commit(chain, dir.path(), |reopened, written| {
        assert_same(reopened, written);
        assert!(reopened.peek_next_timestamp() >= next_timestamp);
    });
}

#[test]
fn a_torn_last_record_is_cut_and_the_blocks_before_it_stay() {
    let dir = tempfile::tempdir().unwrap();
    let mut chain = open(dir.path());
    mine_changes(&mut chain, 6, 8);
    let head_before = chain.head().hash;
    mine_changes(&mut chain, 1, 9);
    assert_eq!(chain.head_number(), 7);
    drop(chain);
    // Tear the last record: keep its header and half of its payload.
    let path = dir.path().join("chain.journal");
    let bytes = std::fs::read(&path).unwrap();
    let end = bytes.iter().rposition(|byte| *byte != 0).unwrap() + 1;
    let last_start = record_starts(&bytes[..end]).pop().unwrap();
    let torn = last_start + (end - last_start) / 2;
    std::fs::write(&path, &bytes[..torn]).unwrap();

    let mut reopened = open(dir.path());
    assert_eq!(reopened.head_number(), 6, "the torn block is gone, the ones before it stay");
    assert_eq!(reopened.head().hash, head_before);
    assert_eq!(reopened.replay_state_root(&genesis()).unwrap(), reopened.head().header.state_root);
    // Mining goes on from there, and that reopens too.
    mine_changes(&mut reopened, 3, 10);
    drop_without_commit(reopened, dir.path(), assert_same);
}

#[test]
fn a_journal_from_an_older_epoch_is_not_replayed() {
    let dir = tempfile::tempdir().unwrap();
    let mut chain = open(dir.path());
    mine_changes(&mut chain, 5, 11);
    assert_eq!(chain.head_number(), 5);
    let stale = std::fs::read(dir.path().join("chain.journal")).unwrap();
    // Back to genesis: a database commit that starts a new epoch. The old
    // records' blocks 1..5 would follow its head, so only the epoch tells
    // them apart.
    chain.reset().unwrap();
    let genesis_hash = chain.head().hash;
    drop(chain);
    // Put back the old records (as if emptying the journal never reached the disk).
    std::fs::write(dir.path().join("chain.journal"), &stale).unwrap();
    let mut reopened = open(dir.path());
    assert_eq!(reopened.head_number(), 0);
    assert_eq!(reopened.head().hash, genesis_hash);
    // New blocks of the new epoch go over the stale bytes and reopen alone.
    mine_changes(&mut reopened, 2, 13);
    drop_without_commit(reopened, dir.path(), assert_same);
}

#[test]
fn a_chain_that_never_committed_after_genesis_reopens_from_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let mut chain = open(dir.path());
    let genesis_hash = chain.block(0).unwrap().hash;
    mine_changes(&mut chain, 2, 12);
    drop_without_commit(chain, dir.path(), |reopened, written| {
        assert_eq!(reopened.block(0).unwrap().hash, genesis_hash);
        assert_same(reopened, written);
    });
}

/// Where each record of a journal's bytes starts.
fn record_starts(bytes: &[u8]) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut at = 0;
    while at + 4 <= bytes.len() {
        let length = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        if length == 0 {
            break;
        }
        starts.push(at);
        at += 36 + length;
    }
    starts
}

/// Copies the data directory while `written` still has it open (what a
/// kill would leave on disk: there is no commit at shutdown), reopens the
/// copy and hands both chains to `check`.
fn drop_without_commit(written: Chain, dir: &Path, check: impl FnOnce(&Chain, &Chain)) {
    let copy = tempfile::tempdir().unwrap();
    copy_dir(dir, copy.path());
    let reopened = open(copy.path());
    check(&reopened, &written);
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}
