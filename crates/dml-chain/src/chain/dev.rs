//! The dev controls that change state outside a transaction (`anvil_set*`,
//! `anvil_loadState`), drop pooled transactions, dump the state and reset the
//! chain to its genesis.
//!
//! An edit takes effect at once: reads at the latest block see it. Its
//! overwritten values go into the pending diff, which the next mined block
//! takes as the start of its own diff (so reads at earlier blocks, snapshots
//! and reverts stay exact), and the edited values are recorded in that block
//! so a replay from genesis arrives at the same state root.

use std::collections::BTreeMap;

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_trie::KECCAK_EMPTY;
use serde::{Deserialize, Serialize};

use super::Chain;
use crate::{
    block::IncludedTx,
    state::{AccountRecord, StateDiff, WorldState},
    ChainError,
};

/// Values set outside transactions before a block's transactions ran.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateEdits {
    /// Each edited account's record after the edits (`None`: removed).
    pub accounts: BTreeMap<Address, Option<AccountRecord>>,
    /// Each edited slot's value after the edits.
    pub storage: BTreeMap<Address, BTreeMap<U256, U256>>,
    /// Code the edits installed.
    pub codes: Vec<Bytes>,
}

impl StateEdits {
    /// Whether nothing was edited.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty() && self.storage.is_empty()
    }

    /// The current values of every key `diff` records (what the edits set).
    pub(crate) fn capture(state: &WorldState, diff: &StateDiff) -> Self {
        let accounts: BTreeMap<_, _> =
            diff.accounts.keys().map(|address| (*address, state.account(address).copied())).collect();
        let codes = accounts
            .values()
            .flatten()
            .filter(|record| record.code_hash != KECCAK_EMPTY)
            .filter_map(|record| state.code(&record.code_hash).cloned())
            .collect();
        let storage = diff
            .storage
            .iter()
            .map(|(address, slots)| {
                (*address, slots.keys().map(|slot| (*slot, state.storage(address, slot))).collect())
            })
            .collect();
        Self { accounts, storage, codes }
    }

    /// Writes the edits into `state`, noting overwritten values in `diff`.
    pub(crate) fn apply(&self, state: &mut WorldState, diff: &mut StateDiff) {
        for code in &self.codes {
            state.insert_code(code.clone());
        }
        for (address, record) in &self.accounts {
            state.set_account(*address, *record, diff);
        }
        for (address, slots) in &self.storage {
            for (slot, value) in slots {
                state.set_storage(*address, *slot, *value, diff);
            }
        }
    }
}

/// One account in a state dump, in anvil's `anvil_dumpState` shape.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DumpedAccount {
    /// Transactions sent.
    #[serde(default)]
    pub nonce: u64,
    /// Balance in wei.
    #[serde(default)]
    pub balance: U256,
    /// Deployed code.
    #[serde(default)]
    pub code: Bytes,
    /// Non-zero storage slots.
    #[serde(default)]
    pub storage: BTreeMap<U256, U256>,
}

/// A state dump: every account with its code and storage. The JSON is
/// anvil's (`accounts` keyed by address), so either node loads the other's
/// accounts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateDump {
    /// The head when the dump was taken.
    #[serde(default)]
    pub best_block_number: Option<u64>,
    /// Every account.
    pub accounts: BTreeMap<Address, DumpedAccount>,
}

/// Where a pooled transaction stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolState {
    /// Executable now: its nonce is the sender's next, or follows another pooled one.
    Pending,
    /// Waiting for a nonce gap to fill.
    Queued,
}

impl Chain {
    /// Applies an edit of the live state (see the module docs) and persists it.
    fn edit(&mut self, change: impl FnOnce(&mut WorldState, &mut StateDiff)) -> Result<(), ChainError> {
        change(&mut self.state, &mut self.pending_diff);
        self.persist_meta()
    }

    fn account_or_default(&self, address: &Address) -> AccountRecord {
        self.state.account(address).copied().unwrap_or(AccountRecord {
            balance: U256::ZERO,
            nonce: 0,
            code_hash: KECCAK_EMPTY,
        })
    }

    fn put_account(&mut self, address: Address, record: AccountRecord) -> Result<(), ChainError> {
        let record = (!record.is_empty()).then_some(record);
        self.edit(|state, diff| state.set_account(address, record, diff))
    }

    /// `anvil_setBalance`.
    pub fn set_balance(&mut self, address: Address, balance: U256) -> Result<(), ChainError> {
        let record = AccountRecord { balance, ..self.account_or_default(&address) };
        self.put_account(address, record)
    }

    /// `anvil_setNonce`.
    pub fn set_nonce(&mut self, address: Address, nonce: u64) -> Result<(), ChainError> {
        let record = AccountRecord { nonce, ..self.account_or_default(&address) };
        self.put_account(address, record)
    }

    /// `anvil_setCode` (empty code makes the account an externally owned one again).
    pub fn set_code(&mut self, address: Address, code: Bytes) -> Result<(), ChainError> {
        let code_hash = self.state.insert_code(code);
        let record = AccountRecord { code_hash, ..self.account_or_default(&address) };
        self.put_account(address, record)
    }

    /// `anvil_setStorageAt`.
    pub fn set_storage_at(&mut self, address: Address, slot: U256, value: U256) -> Result<(), ChainError> {
        self.edit(|state, diff| state.set_storage(address, slot, value, diff))
    }

    /// Every account of the current state, with code and storage.
    pub fn dump_state(&self) -> StateDump {
        let accounts = self
            .state
            .accounts()
            .map(|(address, record)| {
                let account = DumpedAccount {
                    nonce: record.nonce,
                    balance: record.balance,
                    code: self.state.code(&record.code_hash).cloned().unwrap_or_default(),
                    storage: self.state.storage_of(address).map(|(slot, value)| (*slot, *value)).collect(),
                };
                (*address, account)
            })
            .collect();
        StateDump { best_block_number: Some(self.head_number()), accounts }
    }

    /// Merges a dump into the current state: each dumped account replaces
    /// the one at its address (storage included); others stay.
    pub fn load_state(&mut self, dump: &StateDump) -> Result<(), ChainError> {
        self.edit(|state, diff| {
            for (address, account) in &dump.accounts {
                let code_hash = state.insert_code(account.code.clone());
                state.clear_storage(*address, diff);
                let record = AccountRecord { balance: account.balance, nonce: account.nonce, code_hash };
                state.set_account(*address, (!record.is_empty()).then_some(record), diff);
                for (slot, value) in &account.storage {
                    state.set_storage(*address, *slot, *value, diff);
                }
            }
        })
    }

    /// Removes a pooled transaction; its hash if it was there.
    pub fn drop_transaction(&mut self, hash: &B256) -> Option<B256> {
        let tx = self.pool.get(hash)?;
        let (sender, nonce) = (tx.sender, alloy_consensus::Transaction::nonce(&tx.envelope));
        self.pool.remove(&sender, nonce).map(|_| *hash)
    }

    /// Removes every pooled transaction.
    pub fn drop_all_transactions(&mut self) {
        self.pool.clear();
    }

    /// Every pooled transaction by sender and nonce, marked pending or queued.
    pub fn pool_contents(&self) -> Vec<(PoolState, &IncludedTx)> {
        let mut listed = Vec::with_capacity(self.pool.len());
        for (sender, queue) in self.pool.queues() {
            let mut next = self.nonce(sender);
            for (nonce, pooled) in queue {
                let state = if *nonce == next {
                    next += 1;
                    PoolState::Pending
                } else {
                    PoolState::Queued
                };
                listed.push((state, &pooled.tx));
            }
        }
        listed
    }

    /// The pooled transactions that could be mined now (no nonce gap before
    /// them): what the `pending` block holds.
    pub fn executable_transactions(&self) -> Vec<&IncludedTx> {
        self.pool_contents().into_iter().filter(|(state, _)| *state == PoolState::Pending).map(|(_, tx)| tx).collect()
    }

    /// Back to the genesis block: every later block, pooled transaction,
    /// snapshot, edit and clock change is dropped (and removed from disk).
    pub fn reset(&mut self) -> Result<(), ChainError> {
        let old_head = self.head_number();
        self.state.undo(&std::mem::take(&mut self.pending_diff));
        while self.head_number() > 0 {
            let block = self.blocks.pop().expect("above genesis");
            self.unindex_block(&block);
            self.state.undo(&block.diff);
        }
        self.pool.clear();
        self.snapshots.clear();
        self.time_offset = 0;
        self.next_timestamp = None;
        let dirty = self.state.take_dirty();
        let removed = (old_head > 0).then_some((1, old_head));
        self.commit_store(dirty, removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::GenesisConfig;

    fn chain() -> Chain {
        let genesis = GenesisConfig { timestamp: Some(1_700_000_000), ..GenesisConfig::default() };
        Chain::open(&genesis, None).unwrap()
    }

    #[test]
    fn edits_show_at_the_head_and_not_before_it() {
        let mut chain = chain();
        let account = Address::repeat_byte(0x42);
        chain.mine(None).unwrap();
        chain.set_balance(account, U256::from(7)).unwrap();
        chain.set_storage_at(account, U256::from(1), U256::from(9)).unwrap();
        let balance_at = |chain: &Chain, n| chain.with_view(n, |view| view.record(&account)).flatten();
        assert_eq!(balance_at(&chain, 1).map(|r| r.balance), Some(U256::from(7)));
        assert_eq!(balance_at(&chain, 0), None);
        chain.mine(None).unwrap();
        assert_eq!(balance_at(&chain, 2).map(|r| r.balance), Some(U256::from(7)));
        assert_eq!(balance_at(&chain, 1), None, "the edit belongs to block 2");
        assert_eq!(chain.block(2).unwrap().edits.accounts.len(), 1);
        assert_eq!(chain.with_view(1, |view| view.slot(&account, &U256::from(1))), Some(U256::ZERO));
    }

    #[test]
    fn a_replay_applies_the_recorded_edits() {
        let genesis = GenesisConfig { timestamp: Some(1_700_000_000), ..GenesisConfig::default() };
        let mut chain = Chain::open(&genesis, None).unwrap();
        chain.set_code(Address::repeat_byte(0x43), Bytes::from_static(&[0x60, 0x00])).unwrap();
        chain.set_nonce(Address::repeat_byte(0x44), 5).unwrap();
        chain.mine(None).unwrap();
        assert_eq!(chain.replay_state_root(&genesis).unwrap(), chain.head().header.state_root);
    }

    #[test]
    fn a_dump_loads_into_a_fresh_chain() {
        let mut source = chain();
        let account = Address::repeat_byte(0x45);
        source.set_code(account, Bytes::from_static(&[0x60, 0x01])).unwrap();
        source.set_storage_at(account, U256::from(3), U256::from(4)).unwrap();
        let dump = source.dump_state();
        let mut target = chain();
        target.load_state(&dump).unwrap();
        assert_eq!(target.state().code_at(&account), Bytes::from_static(&[0x60, 0x01]));
        assert_eq!(target.state().storage(&account, &U256::from(3)), U256::from(4));
        assert_eq!(target.dump_state().accounts, dump.accounts);
    }

    #[test]
    fn reset_returns_to_genesis() {
        let mut chain = chain();
        let genesis_root = chain.head().header.state_root;
        chain.set_balance(Address::repeat_byte(0x46), U256::from(1)).unwrap();
        chain.mine(None).unwrap();
        chain.set_balance(Address::repeat_byte(0x47), U256::from(1)).unwrap();
        chain.reset().unwrap();
        assert_eq!(chain.head_number(), 0);
        assert_eq!(chain.state().account(&Address::repeat_byte(0x46)), None);
        assert_eq!(chain.state().account(&Address::repeat_byte(0x47)), None);
        assert_eq!(chain.state.state_root(), genesis_root);
    }
}
