//! The world state: accounts, their storage and contract code, kept in memory
//! and changed one executed transaction at a time.
//!
//! Every change records the value it overwrote in a [`StateDiff`], so the node
//! can answer queries against earlier blocks and `evm_revert` can roll the
//! state back without keeping whole copies.

use std::collections::{BTreeMap, HashMap};

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use alloy_trie::{EMPTY_ROOT_HASH, KECCAK_EMPTY};
use revm::{
    bytecode::Bytecode,
    database_interface::DatabaseRef,
    state::{AccountInfo, EvmState},
};
use serde::{Deserialize, Serialize};

use crate::trie::Trie;

/// An account's balance, nonce and code hash.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRecord {
    /// Balance in wei.
    pub balance: U256,
    /// Number of transactions sent (or contracts created, for a contract).
    pub nonce: u64,
    /// Hash of the account's code; `KECCAK_EMPTY` for an externally owned account.
    pub code_hash: B256,
}

impl AccountRecord {
    /// Whether the account is empty in the sense of EIP-161.
    pub fn is_empty(&self) -> bool {
        self.balance.is_zero() && self.nonce == 0 && (self.code_hash == KECCAK_EMPTY || self.code_hash == B256::ZERO)
    }
}

/// The values a block overwrote, so that its changes can be undone.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateDiff {
    /// Each changed account's record before the block (`None`: it did not exist).
    pub accounts: BTreeMap<Address, Option<AccountRecord>>,
    /// Each changed slot's value before the block.
    pub storage: BTreeMap<Address, BTreeMap<U256, U256>>,
}

impl StateDiff {
    /// Whether the block changed nothing.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty() && self.storage.is_empty()
    }
}

/// The set of accounts and slots written since the last persisted block.
#[derive(Clone, Debug, Default)]
pub struct DirtySet {
    /// Accounts whose record changed (or that were removed).
    pub accounts: std::collections::BTreeSet<Address>,
    /// Slots that changed, per account.
    pub storage: BTreeMap<Address, std::collections::BTreeSet<U256>>,
    /// Code first seen since the last persist.
    pub codes: Vec<B256>,
}

impl DirtySet {
    /// Adds what `other` holds.
    pub fn merge(&mut self, other: DirtySet) {
        self.accounts.extend(other.accounts);
        for (address, slots) in other.storage {
            self.storage.entry(address).or_default().extend(slots);
        }
        for hash in other.codes {
            if !self.codes.contains(&hash) {
                self.codes.push(hash);
            }
        }
    }
}

/// All accounts, storage and code.
#[derive(Clone, Debug, Default)]
pub struct WorldState {
    accounts: HashMap<Address, AccountRecord>,
    storage: HashMap<Address, HashMap<U256, U256>>,
    codes: HashMap<B256, Bytes>,
    dirty: DirtySet,
    trie: TrieCache,
}

/// What the state root is computed from: the account trie and each
/// account's storage trie, kept between blocks with their node encodings
/// (see [`Trie`]), so that a root costs the re-hashing of the paths that
/// changed since the last one.
#[derive(Clone, Debug, Default)]
struct TrieCache {
    /// `keccak(address)` of every account ever seen.
    hashed_addresses: HashMap<Address, B256>,
    /// Each account's RLP-encoded trie leaf, by hashed address.
    accounts: Trie,
    /// Each account's non-zero slots, by hashed slot.
    storage: HashMap<Address, Trie>,
    /// Accounts whose leaf must be re-encoded (record or storage changed).
    stale: std::collections::HashSet<Address>,
}

impl TrieCache {
    fn hashed_address(&mut self, address: Address) -> B256 {
        *self.hashed_addresses.entry(address).or_insert_with(|| keccak256(address))
    }

    fn set_slot(&mut self, address: Address, slot: U256, value: U256) {
        let key = keccak256(B256::from(slot));
        let slots = self.storage.entry(address).or_default();
        if value.is_zero() {
            slots.remove(&key);
        } else {
            slots.insert(&key, alloy_rlp::encode(value));
        }
        self.stale.insert(address);
    }
}

/// An account as the state trie holds it.
fn trie_account(record: &AccountRecord, storage_root: B256) -> alloy_trie::TrieAccount {
    // `..Default::default()` fills alloy-trie's optional `account-ext` field when enabled.
    #[allow(clippy::needless_update)]
    alloy_trie::TrieAccount {
        nonce: record.nonce,
        balance: record.balance,
        code_hash: record.code_hash,
        storage_root,
        ..Default::default()
    }
}

impl WorldState {
    /// An empty state.
    pub fn new() -> Self {
        Self::default()
    }

    /// The account at `address`, if it exists.
    pub fn account(&self, address: &Address) -> Option<&AccountRecord> {
        self.accounts.get(address)
    }

    /// A storage slot (zero when never written).
    pub fn storage(&self, address: &Address, slot: &U256) -> U256 {
        self.storage.get(address).and_then(|s| s.get(slot)).copied().unwrap_or_default()
    }

    /// The code stored under `hash`.
    pub fn code(&self, hash: &B256) -> Option<&Bytes> {
        self.codes.get(hash)
    }

    /// The code deployed at `address` (empty for an account without code).
    pub fn code_at(&self, address: &Address) -> Bytes {
        self.accounts.get(address).and_then(|account| self.codes.get(&account.code_hash)).cloned().unwrap_or_default()
    }

    /// Every account, for persistence and the state root.
    pub fn accounts(&self) -> impl Iterator<Item = (&Address, &AccountRecord)> {
        self.accounts.iter()
    }

    /// Every non-zero slot of `address`.
    pub fn storage_of(&self, address: &Address) -> impl Iterator<Item = (&U256, &U256)> {
        self.storage.get(address).into_iter().flat_map(|slots| slots.iter())
    }

    /// Every stored code blob.
    pub fn codes(&self) -> impl Iterator<Item = (&B256, &Bytes)> {
        self.codes.iter()
    }

    /// Stores code and returns its hash.
    pub fn insert_code(&mut self, code: Bytes) -> B256 {
        if code.is_empty() {
            return KECCAK_EMPTY;
        }
        let hash = keccak256(&code);
        if self.codes.insert(hash, code).is_none() {
            self.dirty.codes.push(hash);
        }
        hash
    }

    /// Sets an account's record, noting the old one in `diff`.
    pub fn set_account(&mut self, address: Address, record: Option<AccountRecord>, diff: &mut StateDiff) {
        let old = match record {
            Some(record) => self.accounts.insert(address, record),
            None => self.accounts.remove(&address),
        };
        if old != record {
            diff.accounts.entry(address).or_insert(old);
            self.dirty.accounts.insert(address);
            self.trie.stale.insert(address);
        }
    }

    /// Sets a storage slot, noting the old value in `diff`.
    pub fn set_storage(&mut self, address: Address, slot: U256, value: U256, diff: &mut StateDiff) {
        let slots = self.storage.entry(address).or_default();
        let old = if value.is_zero() { slots.remove(&slot) } else { slots.insert(slot, value) }.unwrap_or_default();
        if slots.is_empty() {
            self.storage.remove(&address);
        }
        if old != value {
            diff.storage.entry(address).or_default().entry(slot).or_insert(old);
            self.dirty.storage.entry(address).or_default().insert(slot);
            self.trie.set_slot(address, slot, value);
        }
    }

    /// Removes every slot of `address` (a contract created over an address
    /// with leftover storage, or a self-destruct), noting them in `diff`.
    pub fn clear_storage(&mut self, address: Address, diff: &mut StateDiff) {
        let slots: Vec<U256> = self.storage.get(&address).map(|s| s.keys().copied().collect()).unwrap_or_default();
        for slot in slots {
            self.set_storage(address, slot, U256::ZERO, diff);
        }
    }

    /// Applies the state revm returns for one transaction (the same rules as
    /// revm's own in-memory database, plus EIP-161 removal of touched empty
    /// accounts).
    pub fn apply_evm_state(&mut self, changes: EvmState, diff: &mut StateDiff) {
        for (address, account) in changes {
            if !account.is_touched() {
                continue;
            }
            if account.is_selfdestructed() {
                self.clear_storage(address, diff);
                self.set_account(address, None, diff);
                continue;
            }
            if account.is_created() {
                self.clear_storage(address, diff);
            }
            let code_hash = match &account.info.code {
                Some(code) if !code.is_empty() => self.insert_code(code.original_bytes()),
                _ if account.info.code_hash == B256::ZERO => KECCAK_EMPTY,
                _ => account.info.code_hash,
            };
            let record = AccountRecord { balance: account.info.balance, nonce: account.info.nonce, code_hash };
            if record.is_empty() {
                self.set_account(address, None, diff);
            } else {
                self.set_account(address, Some(record), diff);
            }
            for (slot, value) in account.storage {
                if value.is_changed() {
                    self.set_storage(address, slot, value.present_value(), diff);
                }
            }
        }
    }

    /// Undoes a block's changes.
    pub fn undo(&mut self, diff: &StateDiff) {
        let mut scratch = StateDiff::default();
        for (address, record) in &diff.accounts {
            self.set_account(*address, *record, &mut scratch);
        }
        for (address, slots) in &diff.storage {
            for (slot, value) in slots {
                self.set_storage(*address, *slot, *value, &mut scratch);
            }
        }
    }

    /// Takes the set of accounts and slots changed since the last call.
    pub fn take_dirty(&mut self) -> DirtySet {
        std::mem::take(&mut self.dirty)
    }

    /// Loads an account, its storage and code as persisted (no diff, not dirty).
    pub fn load_account(&mut self, address: Address, record: AccountRecord) {
        self.accounts.insert(address, record);
        self.trie.stale.insert(address);
    }

    /// Loads one persisted slot.
    pub fn load_slot(&mut self, address: Address, slot: U256, value: U256) {
        if !value.is_zero() {
            self.storage.entry(address).or_default().insert(slot, value);
            self.trie.set_slot(address, slot, value);
        }
    }

    /// Loads one persisted code blob.
    pub fn load_code(&mut self, hash: B256, code: Bytes) {
        self.codes.insert(hash, code);
    }

    /// The Merkle-Patricia root of the state, as in an Ethereum block header.
    pub fn state_root(&mut self) -> B256 {
        // Re-encode only the accounts changed since the last root.
        let stale: Vec<Address> = self.trie.stale.drain().collect();
        for address in stale {
            let hashed = self.trie.hashed_address(address);
            let Some(record) = self.accounts.get(&address) else {
                self.trie.accounts.remove(&hashed);
                continue;
            };
            let storage_root = self.trie.storage.get_mut(&address).map_or(EMPTY_ROOT_HASH, Trie::root);
            self.trie.accounts.insert(&hashed, alloy_rlp::encode(trie_account(record, storage_root)));
        }
        self.trie.accounts.root()
    }
}

/// The one error a state read can give: none, the state is in memory.
#[derive(Debug, thiserror::Error)]
#[error("state read failed")]
pub struct StateReadError;

impl revm::database_interface::DBErrorMarker for StateReadError {}

/// A read-only view of the state as of some block: the current state with
/// the diffs of later blocks laid over it (newest last), and the hashes of
/// earlier blocks for `BLOCKHASH`.
pub struct StateView<'a> {
    /// The current state.
    pub state: &'a WorldState,
    /// Diffs of the blocks after the viewed one, oldest first.
    pub later_diffs: &'a [&'a StateDiff],
    /// Block hashes by number.
    pub block_hashes: &'a dyn Fn(u64) -> B256,
}

impl StateView<'_> {
    fn account_record(&self, address: &Address) -> Option<AccountRecord> {
        for diff in self.later_diffs {
            if let Some(old) = diff.accounts.get(address) {
                return *old;
            }
        }
        self.state.account(address).copied()
    }

    /// A slot as of the viewed block.
    pub fn slot(&self, address: &Address, slot: &U256) -> U256 {
        for diff in self.later_diffs {
            if let Some(old) = diff.storage.get(address).and_then(|slots| slots.get(slot)) {
                return *old;
            }
        }
        self.state.storage(address, slot)
    }

    /// An account as of the viewed block.
    pub fn record(&self, address: &Address) -> Option<AccountRecord> {
        self.account_record(address)
    }

    /// Code deployed at `address` as of the viewed block.
    pub fn code_at(&self, address: &Address) -> Bytes {
        self.account_record(address).and_then(|record| self.state.code(&record.code_hash).cloned()).unwrap_or_default()
    }
}

impl DatabaseRef for StateView<'_> {
    type Error = StateReadError;

    fn basic_ref(&self, address: Address) -> Result<Option<AccountInfo>, Self::Error> {
        Ok(self.account_record(&address).map(|record| {
            let code = self.state.code(&record.code_hash).map(|code| Bytecode::new_raw(code.clone()));
            AccountInfo {
                balance: record.balance,
                nonce: record.nonce,
                code_hash: record.code_hash,
                code,
                ..Default::default()
            }
        }))
    }

    fn code_by_hash_ref(&self, code_hash: B256) -> Result<Bytecode, Self::Error> {
        Ok(self.state.code(&code_hash).map(|code| Bytecode::new_raw(code.clone())).unwrap_or_default())
    }

    fn storage_ref(&self, address: Address, index: U256) -> Result<U256, Self::Error> {
        Ok(self.slot(&address, &index))
    }

    fn block_hash_ref(&self, number: u64) -> Result<B256, Self::Error> {
        Ok((self.block_hashes)(number))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undo_restores_accounts_and_slots() {
        let mut state = WorldState::new();
        let alice = Address::repeat_byte(1);
        let mut genesis = StateDiff::default();
        state.set_account(
            alice,
            Some(AccountRecord { balance: U256::from(5), nonce: 0, code_hash: KECCAK_EMPTY }),
            &mut genesis,
        );
        state.set_storage(alice, U256::from(1), U256::from(7), &mut genesis);
        let root_before = state.state_root();

        let mut block = StateDiff::default();
        state.set_account(
            alice,
            Some(AccountRecord { balance: U256::from(9), nonce: 1, code_hash: KECCAK_EMPTY }),
            &mut block,
        );
        state.set_storage(alice, U256::from(1), U256::ZERO, &mut block);
        state.set_storage(alice, U256::from(2), U256::from(3), &mut block);
        assert_ne!(state.state_root(), root_before);

        state.undo(&block);
        assert_eq!(state.account(&alice).unwrap().balance, U256::from(5));
        assert_eq!(state.storage(&alice, &U256::from(1)), U256::from(7));
        assert_eq!(state.storage(&alice, &U256::from(2)), U256::ZERO);
        assert_eq!(state.state_root(), root_before);
    }

    #[test]
    fn empty_state_has_the_empty_trie_root() {
        assert_eq!(WorldState::new().state_root(), EMPTY_ROOT_HASH);
    }

    /// The root computed from scratch, as alloy-trie does for a whole state.
    fn reference_root(state: &WorldState) -> B256 {
        alloy_trie::root::state_root_unhashed(state.accounts.iter().map(|(address, record)| {
            let storage_root = match state.storage.get(address) {
                Some(slots) if !slots.is_empty() => alloy_trie::root::storage_root_unhashed(
                    slots.iter().map(|(slot, value)| (B256::from(*slot), *value)),
                ),
                _ => EMPTY_ROOT_HASH,
            };
            (*address, trie_account(record, storage_root))
        }))
    }

    #[test]
    fn the_cached_root_equals_a_root_from_scratch_after_every_change() {
        // A deterministic walk over creations, updates, slot writes and
        // deletions, undone at the end, with the root checked at each step.
        let mut state = WorldState::new();
        let mut diffs = Vec::new();
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for step in 0..400 {
            let mut diff = StateDiff::default();
            let address = Address::with_last_byte((next() % 24) as u8);
            match next() % 5 {
                0 => state.set_account(address, None, &mut diff),
                1 | 2 => {
                    let record = AccountRecord {
                        balance: U256::from(next() % 1000),
                        nonce: next() % 3,
                        code_hash: KECCAK_EMPTY,
                    };
                    state.set_account(address, (!record.is_empty()).then_some(record), &mut diff);
                }
                _ => {
                    let value = if next() % 3 == 0 { U256::ZERO } else { U256::from(next()) };
                    state.set_storage(address, U256::from(next() % 16), value, &mut diff);
                }
            }
            if step % 3 == 0 {
                assert_eq!(state.state_root(), reference_root(&state), "step {step}");
            }
            diffs.push(diff);
        }
        for diff in diffs.iter().rev() {
            state.undo(diff);
        }
        assert_eq!(state.state_root(), EMPTY_ROOT_HASH);
        assert_eq!(reference_root(&state), EMPTY_ROOT_HASH);
    }
}
