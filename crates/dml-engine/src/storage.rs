//! Where the engine keeps its state: 32-byte slots, addressed the way Solidity
//! addresses storage.

use alloc::{collections::BTreeMap, sync::Arc, vec::Vec};
use alloy_primitives::{keccak256, Address, Bytes, B256, U256};

use crate::Log;

/// The two contracts whose state the engine owns. A host gives each its own
/// slot space (on the dev chain: the account storage of two addresses).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Contract {
    /// The engine: models, validators, tasks, contestations, parameters.
    Engine,
    /// The DML ERC-20 token: supply, balances, allowances.
    Token,
}

/// A host's storage: load and store one 32-byte slot of one contract; the
/// one piece of cryptography the engine leaves to its host; transient
/// storage; and calls into other contracts.
///
/// Slots never written read as zero. The engine buffers its writes and calls
/// [`Storage::store`] only after a call has succeeded, so a host needs no
/// rollback of its own, with one exception: before a call into another
/// contract ([`Storage::call_contract`]) the engine hands the host what it has
/// written so far, so that the callee sees it, and if the engine call then
/// reverts, the host must undo those writes as it undoes a reverted
/// contract's (the dev chain's journal and Stylus both do).
///
/// The methods past `ecrecover` have defaults for a host that cannot call
/// other contracts (genesis, simulations): no transient storage, no code
/// anywhere, and every call fails without running anything. A host that
/// implements [`Storage::call_contract`] implements the others too.
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

    /// `TLOAD` (EIP-1153): a slot of the contract's transient storage, which
    /// the host clears at the end of the transaction and rolls back with a
    /// reverted call frame. The engine keeps its reentrancy guard there
    /// ([`layout::transient`](crate::layout::transient)).
    fn transient_load(&mut self, contract: Contract, slot: U256) -> U256 {
        let _ = (contract, slot);
        U256::ZERO
    }

    /// `TSTORE` (EIP-1153). Unlike [`Storage::store`], the engine writes
    /// transient slots at once, not when the call has succeeded: the guard
    /// must be visible to the contracts it calls.
    fn transient_store(&mut self, contract: Contract, slot: U256, value: U256) {
        let _ = (contract, slot, value);
    }

    /// `EXTCODESIZE`: the size of `account`'s code (0 for an account without
    /// code, such as a key's).
    fn code_size(&mut self, account: Address) -> usize {
        let _ = account;
        0
    }

    /// Makes a call from the engine's address into another contract, in the
    /// same transaction, and returns its outcome: `msg.sender` in the callee
    /// is the engine. The host first emits [`ExternalCall::logs`] and makes
    /// the engine's writes handed to it visible to the callee, then runs the
    /// callee with at most [`ExternalCall::gas_limit`] gas, the call depth
    /// limit, and the rollback of a failed callee's state changes and logs
    /// (as the EVM's `CALL`). A callee that reverts, runs out of gas or
    /// cannot be run is a failed call, not the engine's failure: the engine
    /// decides what a failure means (revert with the callee's data, or record
    /// it and go on). A call to an account without code succeeds with no
    /// output, as in the EVM.
    fn call_contract(&mut self, call: &ExternalCall<'_>) -> ExternalCallResult {
        let _ = call;
        ExternalCallResult::default()
    }
}

/// A call the engine makes into another contract (see [`Storage::call_contract`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExternalCall<'a> {
    /// The contract called.
    pub target: Address,
    /// Wei sent with the call. The engine holds no ether: every call it makes
    /// sends zero. (The dev chain and Stylus hosts would pass a non-zero value on.)
    pub value: U256,
    /// ABI calldata.
    pub calldata: &'a [u8],
    /// The most gas the callee may use: what the engine asked for, capped at
    /// all but one 64th of the gas it had left (EIP-150).
    pub gas_limit: u64,
    /// Logs the engine call emitted before this call that no host has seen
    /// yet, in order: the host emits them before the callee runs, so that
    /// they precede the callee's logs, as a Solidity contract's would. They
    /// are not repeated in the call's [`Outcome::logs`](crate::Outcome::logs).
    pub logs: &'a [Log],
}

/// What a call into another contract came to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExternalCallResult {
    /// Whether the callee returned; `false` if it reverted, ran out of gas,
    /// or could not be run.
    pub success: bool,
    /// Its return data, or its revert data (empty after an out-of-gas or another halt).
    pub output: Bytes,
    /// Gas the callee used: at most [`ExternalCall::gas_limit`], all of it after a halt.
    pub gas_used: u64,
    /// The storage refund (EIP-3529) the callee earned; counted only if it succeeded.
    pub gas_refund: i64,
}

impl ExternalCallResult {
    /// A callee that returned `output` after using `gas_used`.
    pub fn returned(output: impl Into<Bytes>, gas_used: u64) -> Self {
        Self { success: true, output: output.into(), gas_used, gas_refund: 0 }
    }

    /// A callee that reverted with `output` after using `gas_used`.
    pub fn reverted(output: impl Into<Bytes>, gas_used: u64) -> Self {
        Self { success: false, output: output.into(), gas_used, gas_refund: 0 }
    }
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

/// What [`MemoryStorage`] does with a call into another contract: it gets the
/// storage itself (so it may call the engine again, as a reentrant contract
/// would) and the call, and answers for the callee.
pub type CallHook = Arc<dyn Fn(&mut MemoryStorage, &ExternalCall<'_>) -> ExternalCallResult + Send + Sync>;

/// Storage in memory, for tests, benches and off-chain simulation. Zero
/// values are not kept, as in the EVM.
///
/// Calls into other contracts go to a programmable hook
/// ([`MemoryStorage::set_call_hook`]); without one every call fails. It
/// keeps transient storage until [`MemoryStorage::end_transaction`], and the
/// logs the engine hands over before its calls ([`MemoryStorage::take_call_logs`]).
/// It rolls nothing back: writes the engine flushed before a call stay if the
/// engine call then reverts.
#[derive(Clone, Default)]
pub struct MemoryStorage {
    slots: BTreeMap<(Contract, U256), U256>,
    transient: BTreeMap<(Contract, U256), U256>,
    code_sizes: BTreeMap<Address, usize>,
    call_logs: Vec<Log>,
    call_hook: Option<CallHook>,
}

impl core::fmt::Debug for MemoryStorage {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MemoryStorage")
            .field("slots", &self.slots)
            .field("transient", &self.transient)
            .field("code_sizes", &self.code_sizes)
            .field("call_logs", &self.call_logs)
            .field("call_hook", &self.call_hook.is_some())
            .finish()
    }
}

/// Equal when the slots, transient slots and code sizes are (the hook and
/// the logs handed over are not state).
impl PartialEq for MemoryStorage {
    fn eq(&self, other: &Self) -> bool {
        self.slots == other.slots && self.transient == other.transient && self.code_sizes == other.code_sizes
    }
}

impl Eq for MemoryStorage {}

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

    /// Answers every later call into another contract with `hook`.
    pub fn set_call_hook(
        &mut self,
        hook: impl Fn(&mut MemoryStorage, &ExternalCall<'_>) -> ExternalCallResult + Send + Sync + 'static,
    ) {
        self.call_hook = Some(Arc::new(hook));
    }

    /// Makes calls fail again.
    pub fn clear_call_hook(&mut self) {
        self.call_hook = None;
    }

    /// What [`Storage::code_size`] answers for `account` (0 unless set).
    pub fn set_code_size(&mut self, account: Address, size: usize) {
        self.code_sizes.insert(account, size);
    }

    /// Clears transient storage, as the end of a transaction does.
    pub fn end_transaction(&mut self) {
        self.transient.clear();
    }

    /// The logs the engine handed over with its calls into other contracts
    /// (in order), since the last time they were taken.
    pub fn take_call_logs(&mut self) -> Vec<Log> {
        core::mem::take(&mut self.call_logs)
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

    fn transient_load(&mut self, contract: Contract, slot: U256) -> U256 {
        self.transient.get(&(contract, slot)).copied().unwrap_or_default()
    }

    fn transient_store(&mut self, contract: Contract, slot: U256, value: U256) {
        if value.is_zero() {
            self.transient.remove(&(contract, slot));
        } else {
            self.transient.insert((contract, slot), value);
        }
    }

    fn code_size(&mut self, account: Address) -> usize {
        self.code_sizes.get(&account).copied().unwrap_or_default()
    }

    fn call_contract(&mut self, call: &ExternalCall<'_>) -> ExternalCallResult {
        self.call_logs.extend_from_slice(call.logs);
        match self.call_hook.clone() {
            Some(hook) => {
                let mut result = hook(self, call);
                result.gas_used = result.gas_used.min(call.gas_limit);
                result
            }
            None => ExternalCallResult::default(),
        }
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
