//! `eth_getProof` (EIP-1186): Merkle-Patricia proofs of an account and some
//! of its storage slots against a block's `stateRoot`.
//!
//! The tries are rebuilt from the state as of the block (the current state
//! with the later blocks' diffs laid over it, as every historical read), with
//! alloy-trie's `HashBuilder` retaining the nodes on the paths to the proven
//! keys: accounts keyed by `keccak(address)` holding the RLP of their
//! `TrieAccount`, slots keyed by `keccak(slot)` holding the RLP of their
//! value, as [`WorldState::state_root`](crate::state::WorldState::state_root)
//! computes the root. The root the proof was built with is checked against
//! the block header's, so a proof the node hands out always verifies.

use std::collections::{BTreeMap, BTreeSet};

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use alloy_rpc_types_eth::{EIP1186AccountProofResponse, EIP1186StorageProof};
use alloy_serde::JsonStorageKey;
use alloy_trie::{proof::ProofRetainer, HashBuilder, Nibbles, TrieAccount, EMPTY_ROOT_HASH, KECCAK_EMPTY};

use super::Chain;
use crate::state::{AccountRecord, StateDiff, StateView};

/// Most storage keys one `eth_getProof` may ask for.
pub const MAX_PROOF_KEYS: usize = 1024;

/// Why a proof could not be made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The block does not exist.
    #[error("header not found")]
    UnknownBlock,
    /// More keys than [`MAX_PROOF_KEYS`].
    #[error("too many storage keys: {0}, at most {MAX_PROOF_KEYS}")]
    TooManyKeys(usize),
    /// The rebuilt trie's root is not the block's (never expected).
    #[error("the state of block {number} is not available: rebuilt root {rebuilt}, header {header}")]
    RootMismatch {
        /// The block.
        number: u64,
        /// The root of the rebuilt trie.
        rebuilt: B256,
        /// The header's state root.
        header: B256,
    },
}

/// A trie's leaves in key order and the proof of some of its keys.
fn prove(leaves: impl IntoIterator<Item = (B256, Vec<u8>)>, targets: &[B256]) -> (B256, Vec<Vec<Bytes>>) {
    let paths: Vec<Nibbles> = targets.iter().map(Nibbles::unpack).collect();
    let mut builder = HashBuilder::default().with_proof_retainer(ProofRetainer::new(paths.clone()));
    for (key, value) in leaves {
        builder.add_leaf(Nibbles::unpack(key), &value);
    }
    let root = builder.root();
    let nodes = builder.take_proof_nodes();
    let proofs = paths
        .iter()
        .map(|path| {
            nodes
                .matching_nodes_sorted(path)
                .into_iter()
                .map(|(_, node)| node)
                // An empty trie's proof is empty, as geth gives it (not the lone empty-string node).
                .filter(|node| root != EMPTY_ROOT_HASH || node.as_ref() != [alloy_rlp::EMPTY_STRING_CODE])
                .collect()
        })
        .collect();
    (root, proofs)
}

impl Chain {
    /// The diffs that take the live state back to the state block `number`
    /// ends with: the later blocks' and the edits made since the head (which
    /// the head's `stateRoot` does not include yet).
    fn proof_diffs(&self, number: u64) -> Vec<&StateDiff> {
        let mut diffs: Vec<&StateDiff> = self.blocks[number as usize + 1..].iter().map(|b| &b.diff).collect();
        diffs.push(&self.pending_diff);
        diffs
    }

    /// The EIP-1186 proof of `address` and its slots `keys` at block
    /// `number`: the account proof verifies against the block's
    /// `stateRoot`, each storage proof against the account's `storageHash`;
    /// a missing account or slot gets an exclusion proof. The values are
    /// those of the block's state root, so edits made since the head
    /// (`anvil_setBalance`, …) show only once a block includes them.
    pub fn account_proof(
        &self,
        address: Address,
        keys: &[JsonStorageKey],
        number: u64,
    ) -> Result<EIP1186AccountProofResponse, ProofError> {
        if keys.len() > MAX_PROOF_KEYS {
            return Err(ProofError::TooManyKeys(keys.len()));
        }
        let header_root = self.block(number).ok_or(ProofError::UnknownBlock)?.header.state_root;
        let diffs = self.proof_diffs(number);
        let hashes = |n: u64| self.block(n).map(|b| b.hash).unwrap_or_default();
        let view = StateView { state: &self.state, later_diffs: &diffs, block_hashes: &hashes };

        // Every account and slot that exists now or existed at some later block.
        let mut addresses: BTreeSet<Address> = self.state.accounts().map(|(address, _)| *address).collect();
        let mut slots: BTreeMap<Address, BTreeSet<U256>> = BTreeMap::new();
        for diff in &diffs {
            addresses.extend(diff.accounts.keys().copied());
            for (account, changed) in &diff.storage {
                slots.entry(*account).or_default().extend(changed.keys().copied());
            }
        }
        let storage_of = |account: &Address| -> Vec<(B256, U256)> {
            let mut keys: BTreeSet<U256> = self.state.storage_of(account).map(|(slot, _)| *slot).collect();
            if let Some(changed) = slots.get(account) {
                keys.extend(changed.iter().copied());
            }
            let mut leaves: Vec<(B256, U256)> = keys
                .into_iter()
                .map(|slot| (keccak256(B256::from(slot)), view.slot(account, &slot)))
                .filter(|(_, value)| !value.is_zero())
                .collect();
            leaves.sort_unstable_by_key(|(key, _)| *key);
            leaves
        };

        let mut accounts: Vec<(B256, AccountRecord, B256)> = Vec::with_capacity(addresses.len());
        for account in &addresses {
            let Some(record) = view.record(account) else { continue };
            let leaves = storage_of(account);
            let storage_root = if leaves.is_empty() {
                EMPTY_ROOT_HASH
            } else {
                alloy_trie::root::storage_root(leaves.iter().copied())
            };
            accounts.push((keccak256(account), record, storage_root));
        }
        accounts.sort_unstable_by_key(|(key, ..)| *key);
        let leaf = |record: &AccountRecord, storage_root: B256| {
            // `..Default::default()` fills alloy-trie's optional `account-ext` field when enabled.
            #[allow(clippy::needless_update)]
            let account = TrieAccount {
                nonce: record.nonce,
                balance: record.balance,
                code_hash: record.code_hash,
                storage_root,
                ..Default::default()
            };
            alloy_rlp::encode(account)
        };
        let (root, mut account_proofs) = prove(
            accounts.iter().map(|(key, record, storage_root)| (*key, leaf(record, *storage_root))),
            &[keccak256(address)],
        );
        if root != header_root {
            return Err(ProofError::RootMismatch { number, rebuilt: root, header: header_root });
        }

        let record = view.record(&address);
        let slot_keys: Vec<B256> = keys.iter().map(|key| keccak256(key.as_b256())).collect();
        let (storage_hash, storage_proofs) = match record {
            Some(_) => {
                let leaves = storage_of(&address);
                prove(leaves.into_iter().map(|(key, value)| (key, alloy_rlp::encode(value))), &slot_keys)
            }
            None => (EMPTY_ROOT_HASH, vec![Vec::new(); keys.len()]),
        };
        let storage_proof = keys
            .iter()
            .zip(storage_proofs)
            .map(|(key, proof)| EIP1186StorageProof {
                key: *key,
                value: if record.is_some() {
                    view.slot(&address, &U256::from_be_bytes(key.as_b256().0))
                } else {
                    U256::ZERO
                },
                proof,
            })
            .collect();
        let record = record.unwrap_or(AccountRecord { balance: U256::ZERO, nonce: 0, code_hash: KECCAK_EMPTY });
        Ok(EIP1186AccountProofResponse {
            address,
            balance: record.balance,
            code_hash: record.code_hash,
            nonce: record.nonce,
            storage_hash,
            account_proof: account_proofs.pop().unwrap_or_default(),
            storage_proof,
        })
    }
}

#[cfg(test)]
mod tests {
    use alloy_trie::proof::verify_proof;

    use super::*;

    #[test]
    fn proofs_of_present_and_missing_keys_verify() {
        let mut leaves: Vec<(B256, Vec<u8>)> =
            (1u64..50).map(|i| (keccak256(B256::from(U256::from(i))), alloy_rlp::encode(U256::from(i * 7)))).collect();
        leaves.sort();
        let present = keccak256(B256::from(U256::from(3u64)));
        let missing = keccak256(B256::from(U256::from(1000u64)));
        let (root, proofs) = prove(leaves.clone(), &[present, missing]);
        assert_eq!(
            root,
            alloy_trie::root::storage_root_unhashed((1u64..50).map(|i| (B256::from(U256::from(i)), U256::from(i * 7))))
        );
        verify_proof(root, Nibbles::unpack(present), Some(alloy_rlp::encode(U256::from(21u64))), &proofs[0]).unwrap();
        verify_proof(root, Nibbles::unpack(missing), None, &proofs[1]).unwrap();
    }

    #[test]
    fn an_empty_trie_has_an_empty_proof() {
        let (root, proofs) = prove(Vec::new(), &[B256::ZERO]);
        assert_eq!(root, EMPTY_ROOT_HASH);
        assert!(proofs[0].is_empty());
        verify_proof(root, Nibbles::unpack(B256::ZERO), None, &proofs[0]).unwrap();
    }
}
