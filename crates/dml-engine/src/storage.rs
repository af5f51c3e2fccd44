//! Where the engine keeps its state: 32-byte slots, addressed the way Solidity
//! addresses storage.

use alloc::collections::BTreeMap;
use alloy_primitives::{keccak256, Address, B256, U256};

/// The two contracts whose state the engine owns. A host gives each its own
/// slot space (on the dev chain: the account storage of two addresses).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Contract {
    /// The engine: models, validators, tasks, contestations, parameters.
    Engine,
    /// The DML ERC-20 token: supply, balances, allowances.
    Token,
}

/// A host's storage: load and store one 32-byte slot of one contract; and
/// the one piece of cryptography the engine leaves to its host.
///
/// Slots never written read as zero. The engine buffers its writes and calls
/// [`Storage::store`] only after a call has succeeded, so a host needs no
/// rollback of its own.
pub trait Storage {
    /// Reads a slot.
    fn load(&mut self, contract: Contract, slot: U256) -> U256;
    /// Writes a slot.
    fn store(&mut self, contract: Contract, slot: U256, value: U256);
    /// The EVM's `ecrecover` precompile (address 1): the address whose key
    /// signed `digest` with (`v`, `r`, `s`), `v` being 27 or 28; `None` where
    /// the precompile returns nothing (an invalid signature). The engine checks
    /// `s` for malleability itself. A host on an EVM chain calls the precompile
    /// (as a Solidity contract would), so that the secp256k1 code lives there
    /// and not in the engine's program.
    fn ecrecover(&mut self, digest: B256, v: u8, r: B256, s: B256) -> Option<Address>;
}

/// `ecrecover` in Rust (k256), for hosts that are not an EVM: [`MemoryStorage`]
/// and the tests. Same results as the precompile: `None` unless `v` is 27 or
/// 28 and the signature recovers.
pub fn ecrecover_k256(digest: B256, v: u8, r: B256, s: B256) -> Option<Address> {
    let parity = match v {
        27 => false,
        28 => true,
        _ => return None,
    };
    let signature = alloy_primitives::Signature::new(U256::from_be_bytes(r.0), U256::from_be_bytes(s.0), parity);
    signature.recover_address_from_prehash(&digest).ok()
}

/// Storage in memory, for tests, benches and off-chain simulation. Zero
/// values are not kept, as in the EVM.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemoryStorage {
    slots: BTreeMap<(Contract, U256), U256>,
}

impl MemoryStorage {
    /// Creates empty storage.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every non-zero slot, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&(Contract, U256), &U256)> {
        self.slots.iter()
    }

    /// Number of non-zero slots.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether every slot is zero.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }
}

impl Storage for MemoryStorage {
    fn load(&mut self, contract: Contract, slot: U256) -> U256 {
        self.slots.get(&(contract, slot)).copied().unwrap_or_default()
    }

    fn store(&mut self, contract: Contract, slot: U256, value: U256) {
        if value.is_zero() {
            self.slots.remove(&(contract, slot));
        } else {
            self.slots.insert((contract, slot), value);
        }
    }

    fn ecrecover(&mut self, digest: B256, v: u8, r: B256, s: B256) -> Option<Address> {
        ecrecover_k256(digest, v, r, s)
    }
}

/// The slot of `mapping[key]` for a mapping declared at `slot`:
/// `keccak256(key . slot)`, as Solidity computes it.
pub fn mapping_slot(key: B256, slot: U256) -> U256 {
    let mut buf = [0u8; 64];
    buf[..32].copy_from_slice(key.as_slice());
    buf[32..].copy_from_slice(&slot.to_be_bytes::<32>());
    U256::from_be_bytes(keccak256(buf).0)
}

/// [`mapping_slot`] for an address key (left-padded to 32 bytes).
pub fn address_slot(key: Address, slot: U256) -> U256 {
    mapping_slot(key.into_word(), slot)
}

/// [`mapping_slot`] for an integer key.
pub fn uint_slot(key: U256, slot: U256) -> U256 {
    mapping_slot(B256::from(key), slot)
}

/// The first element slot of a dynamic array whose length sits at `slot`:
/// `keccak256(slot)`.
pub fn array_data_slot(slot: U256) -> U256 {
    U256::from_be_bytes(keccak256(slot.to_be_bytes::<32>()).0)
}

/// Reads `width` bits of `word` starting at bit `offset` (0 = least significant).
pub fn bits(word: U256, offset: usize, width: usize) -> U256 {
    let mask = if width == 256 { U256::MAX } else { (U256::from(1u8) << width) - U256::from(1u8) };
    (word >> offset) & mask
}

/// Returns `word` with `width` bits at `offset` replaced by `value`.
/// `value` must fit in `width` bits.
pub fn with_bits(word: U256, offset: usize, width: usize, value: U256) -> U256 {
    let mask = if width == 256 { U256::MAX } else { (U256::from(1u8) << width) - U256::from(1u8) };
    debug_assert!(value <= mask, "value does not fit its field");
    (word & !(mask << offset)) | ((value & mask) << offset)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::hex;

    #[test]
    fn mapping_slot_matches_solidity() {
        // balances[0x…01] with balances at slot 0: keccak256(pad(1) . pad(0)).
        let slot = address_slot(Address::with_last_byte(1), U256::ZERO);
        let expected = keccak256(hex!(
            "0000000000000000000000000000000000000000000000000000000000000001
             0000000000000000000000000000000000000000000000000000000000000000"
        ));
        assert_eq!(slot, U256::from_be_bytes(expected.0));
    }

    #[test]
    fn bit_fields_round_trip_without_touching_neighbours() {
        let word = U256::MAX;
        let updated = with_bits(word, 160, 40, U256::from(7u8));
        assert_eq!(bits(updated, 160, 40), U256::from(7u8));
        assert_eq!(bits(updated, 0, 160), bits(word, 0, 160));
        assert_eq!(bits(updated, 200, 56), bits(word, 200, 56));
    }

    #[test]
    fn memory_storage_drops_zero_slots() {
        let mut storage = MemoryStorage::new();
        storage.store(Contract::Engine, U256::from(1u8), U256::from(5u8));
        assert_eq!(storage.len(), 1);
        storage.store(Contract::Engine, U256::from(1u8), U256::ZERO);
        assert!(storage.is_empty());
        assert_eq!(storage.load(Contract::Token, U256::from(1u8)), U256::ZERO);
    }
}
