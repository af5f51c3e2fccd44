//! The per-call view of storage: buffers writes, meters gas the way the EVM
//! prices the same storage work, and collects logs.
//!
//! Nothing reaches the host's [`Storage`] until the call has succeeded, so a
//! revert leaves state untouched on any host (Stylus does not roll back);
//! except before a call into another contract, when the writes and logs so
//! far go to the host ([`Journal::call_out`]) for the callee to see, and the
//! slots read so far are read again afterwards.
//!
//! The reentrancy guard lives in the host's transient storage: a call that
//! wrote a slot or logged ([`Journal::has_written`]) reads it (one `TLOAD`,
//! [`Journal::guard_set`]) before it commits, and is refused if it is set,
//! i.e. if the call entered while the engine had a call into another
//! contract in flight. Views write nothing, so they are answered (and pay
//! nothing for the guard); a state-changing call that fails a `require`
//! before its first write keeps its own reason.

use alloc::{collections::BTreeMap, vec::Vec};
use alloy_primitives::{Address, Bytes, B256, U256};

use crate::{
    gas, layout,
    storage::{Contract, ExternalCall, ExternalCallResult},
    Log, StateChange, Storage,
};

#[derive(Clone, Copy)]
struct SlotState {
    /// At the start of the call (for gas: EIP-2200's original value).
    original: U256,
    current: U256,
}

/// A call's overlay over the host's storage.
pub(crate) struct Journal<'s, S: Storage> {
    storage: &'s mut S,
    /// The contract called: whose guard [`Journal::guard_set`] reads.
    own: Contract,
    slots: BTreeMap<(Contract, U256), SlotState>,
    /// Order in which slots were first written, so changes apply deterministically.
    written: Vec<(Contract, U256)>,
    /// Logs not yet handed to the host.
    pub(crate) logs: Vec<Log>,
    /// Whether an external call has taken logs of this call to the host.
    logs_handed_over: bool,
    pub(crate) gas_used: u64,
    refund: i64,
    token_accessed: bool,
    /// Contracts called so far, for cold and warm access prices.
    called: Vec<Address>,
}

impl<'s, S: Storage> Journal<'s, S> {
    pub(crate) fn new(storage: &'s mut S, own: Contract) -> Self {
        Self {
            storage,
            own,
            slots: BTreeMap::new(),
            written: Vec::new(),
            logs: Vec::new(),
            logs_handed_over: false,
            gas_used: 0,
            refund: 0,
            token_accessed: false,
            called: Vec::new(),
        }
    }

    pub(crate) fn charge(&mut self, amount: u64) {
        self.gas_used = self.gas_used.saturating_add(amount);
    }

    fn touch(&mut self, contract: Contract, slot: U256) -> SlotState {
        if let Some(state) = self.slots.get(&(contract, slot)).copied() {
            self.charge(gas::WARM_STORAGE_READ);
            return state;
        }
        self.charge(gas::COLD_SLOAD);
        let value = self.storage.load(contract, slot);
        let state = SlotState { original: value, current: value };
        self.slots.insert((contract, slot), state);
        state
    }

    /// SLOAD: 2100 gas cold, 100 warm (EIP-2929).
    pub(crate) fn load(&mut self, contract: Contract, slot: U256) -> U256 {
        self.touch(contract, slot).current
    }

    /// SSTORE, priced by EIP-2200 with EIP-2929 access costs and EIP-3529 refunds.
    pub(crate) fn store(&mut self, contract: Contract, slot: U256, new: U256) {
        let key = (contract, slot);
        let SlotState { original, current } = match self.slots.get(&key) {
            Some(state) => *state,
            None => {
                self.charge(gas::COLD_SLOAD);
                let value = self.storage.load(contract, slot);
                SlotState { original: value, current: value }
            }
        };
        if new == current {
            self.charge(gas::WARM_STORAGE_READ);
        } else if current == original {
            if original.is_zero() {
                self.charge(gas::SSTORE_SET);
            } else {
                self.charge(gas::SSTORE_RESET);
                if new.is_zero() {
                    self.refund += gas::SSTORE_CLEARS_REFUND;
                }
            }
        } else {
            self.charge(gas::WARM_STORAGE_READ);
            if !original.is_zero() {
                if current.is_zero() {
                    self.refund -= gas::SSTORE_CLEARS_REFUND;
                } else if new.is_zero() {
                    self.refund += gas::SSTORE_CLEARS_REFUND;
                }
            }
            if new == original {
                self.refund += if original.is_zero() {
                    (gas::SSTORE_SET - gas::WARM_STORAGE_READ) as i64
                } else {
                    (gas::SSTORE_RESET - gas::WARM_STORAGE_READ) as i64
                };
            }
        }
        if !self.written.contains(&key) {
            self.written.push(key);
        }
        self.slots.insert(key, SlotState { original, current: new });
    }

    /// Whether the called contract's reentrancy guard is set (a `TLOAD`):
    /// the engine has a call into another contract in flight, so this call
    /// may change no state.
    pub(crate) fn guard_set(&mut self) -> bool {
        self.charge(gas::WARM_STORAGE_READ);
        !self.storage.transient_load(self.own, guard_slot()).is_zero()
    }

    /// The access price of a `CALL` to `target`: cold the first time this
    /// call calls it, warm after (EIP-2929).
    pub(crate) fn touch_account(&mut self, target: Address) {
        if self.called.contains(&target) {
            self.charge(gas::WARM_ACCOUNT_ACCESS);
        } else {
            self.called.push(target);
            self.charge(gas::COLD_ACCOUNT_ACCESS);
        }
    }

    /// Sets or clears the reentrancy guard of both contracts (a `TSTORE` each).
    pub(crate) fn set_guard(&mut self, entered: bool) {
        self.charge(2 * gas::WARM_STORAGE_READ);
        let value = U256::from(entered as u8);
        self.storage.transient_store(Contract::Engine, guard_slot(), value);
        self.storage.transient_store(Contract::Token, guard_slot(), value);
    }

    /// Hands the writes and logs so far to the host, makes the call, and
    /// reads every slot read so far again (the call may have changed what the
    /// host holds; it costs no gas: the EVM's slots stay warm and current).
    /// The caller has set the guard and charges the gas.
    pub(crate) fn call_out(&mut self, target: Address, calldata: &[u8], gas_limit: u64) -> ExternalCallResult {
        for key in &self.written {
            let state = self.slots[key];
            if state.current != state.original {
                self.storage.store(key.0, key.1, state.current);
            }
        }
        let logs = core::mem::take(&mut self.logs);
        self.logs_handed_over |= !logs.is_empty();
        let call = ExternalCall { target, value: U256::ZERO, calldata, gas_limit, logs: &logs };
        let result = self.storage.call_contract(&call);
        for (key, state) in self.slots.iter_mut() {
            state.current = self.storage.load(key.0, key.1);
        }
        result
    }

    /// `EXTCODESIZE` of a warm account.
    pub(crate) fn code_size(&mut self, account: Address) -> usize {
        self.charge(gas::WARM_ACCOUNT_ACCESS);
        self.storage.code_size(account)
    }

    /// Counts an external callee's storage refund toward this call's.
    pub(crate) fn add_refund(&mut self, refund: i64) {
        self.refund = self.refund.saturating_add(refund);
    }

    /// The host's `ecrecover` (not metered here: the caller charges it).
    pub(crate) fn ecrecover(&mut self, digest: B256, v: u8, r: B256, s: B256) -> Option<Address> {
        self.storage.ecrecover(digest, v, r, s)
    }

    /// Accounts for the engine calling into the token contract (CALL to a
    /// cold, then warm, account).
    pub(crate) fn touch_token(&mut self) {
        if self.token_accessed {
            self.charge(gas::WARM_ACCOUNT_ACCESS);
        } else {
            self.token_accessed = true;
            self.charge(gas::COLD_ACCOUNT_ACCESS);
        }
    }

    /// LOG: 375 + 375 per topic + 8 per data byte.
    pub(crate) fn emit(&mut self, contract: Contract, topics: Vec<B256>, data: Bytes) {
        self.charge(gas::LOG + gas::LOG_TOPIC * topics.len() as u64 + gas::LOG_DATA_BYTE * data.len() as u64);
        self.logs.push(Log { contract, topics, data });
    }

    /// Emits an ABI event generated by `sol!`.
    pub(crate) fn emit_event<E: alloy_sol_types::SolEvent>(&mut self, contract: Contract, event: &E) {
        let topics = event.encode_topics().into_iter().map(|t| B256::from(t.0)).collect();
        let data = Bytes::from(event.encode_data());
        self.emit(contract, topics, data);
    }

    /// Writes every changed slot to the host's storage and lists the
    /// changes; returns the logs no external call has handed over.
    pub(crate) fn commit(self) -> (Vec<StateChange>, Vec<Log>, u64, u64) {
        let mut changes = Vec::with_capacity(self.written.len());
        for key in &self.written {
            let state = self.slots[key];
            if state.current != state.original {
                // (Again, if an external call took it already: the host holds it by then.)
                self.storage.store(key.0, key.1, state.current);
                changes.push(StateChange { contract: key.0, slot: key.1, value: state.current });
            }
        }
        let refund = self.refund.max(0) as u64;
        (changes, self.logs, self.gas_used, refund)
    }

    /// Whether this call has written a slot (even with the value it held) or
    /// emitted a log: tried to change state. Cheaper than [`Journal::is_dirty`].
    pub(crate) fn has_written(&self) -> bool {
        !self.written.is_empty() || !self.logs.is_empty() || self.logs_handed_over
    }

    /// Whether this call has written anything or emitted a log so far.
    pub(crate) fn is_dirty(&self) -> bool {
        !self.logs.is_empty()
            || self.logs_handed_over
            || self.written.iter().any(|key| {
                let state = self.slots[key];
                state.current != state.original
            })
    }
}

/// Typed helpers over the raw journal, used by the protocol code.
impl<S: Storage> Journal<'_, S> {
    pub(crate) fn load_address(&mut self, contract: Contract, slot: U256) -> Address {
        word_to_address(self.load(contract, slot))
    }
}

fn guard_slot() -> U256 {
    layout::transient::REENTRANCY_GUARD
}

/// The low 160 bits of a word as an address.
pub(crate) fn word_to_address(word: U256) -> Address {
    Address::from_word(B256::from(word & address_mask()))
}

pub(crate) fn address_to_word(address: Address) -> U256 {
    U256::from_be_bytes(address.into_word().0)
}

fn address_mask() -> U256 {
    (U256::from(1u8) << 160) - U256::from(1u8)
}

#[cfg(test)]
mod tests {
    use alloc::vec;

    use super::*;
    use crate::MemoryStorage;

    fn slot(n: u8) -> U256 {
        U256::from(n)
    }

    #[test]
    fn a_call_out_hands_over_writes_and_logs_and_reads_again_after() {
        let mut storage = MemoryStorage::new();
        storage.store(Contract::Engine, slot(1), slot(10));
        storage.set_call_hook(|storage, call| {
            // The callee sees what the engine wrote and logged before the call.
            assert_eq!(storage.load(Contract::Engine, slot(2)), slot(20));
            assert_eq!(storage.load(Contract::Token, slot(2)), slot(21));
            assert_eq!(call.logs.len(), 1);
            storage.store(Contract::Engine, slot(1), slot(11));
            ExternalCallResult::returned(Bytes::new(), 0)
        });
        let mut j = Journal::new(&mut storage, Contract::Engine);
        assert_eq!(j.load(Contract::Engine, slot(1)), slot(10));
        j.store(Contract::Engine, slot(2), slot(20));
        j.store(Contract::Token, slot(2), slot(21));
        j.emit(Contract::Engine, vec![B256::ZERO], Bytes::new());
        let before = j.gas_used;
        assert!(j.call_out(Address::ZERO, &[], 0).success);
        assert_eq!(j.gas_used, before, "the caller charges the call");
        assert_eq!(j.load(Contract::Engine, slot(1)), slot(11), "read again after the call, at the warm price");
        assert_eq!(j.gas_used, before + gas::WARM_STORAGE_READ);
        j.store(Contract::Engine, slot(3), slot(30));
        j.emit(Contract::Engine, vec![B256::ZERO], Bytes::new());
        let (changes, logs, _, _) = j.commit();
        assert_eq!(logs.len(), 1, "the log handed over is not repeated");
        let changed: Vec<U256> = changes.iter().map(|change| change.value).collect();
        assert_eq!(changed, [slot(20), slot(21), slot(30)]);
        assert_eq!(storage.load(Contract::Engine, slot(1)), slot(11));
        assert_eq!(storage.load(Contract::Engine, slot(3)), slot(30));
        assert_eq!(storage.take_call_logs().len(), 1);
    }

    #[test]
    fn the_guard_is_the_called_contracts_own() {
        let mut storage = MemoryStorage::new();
        storage.transient_store(Contract::Token, guard_slot(), U256::from(1u8));
        assert!(!Journal::new(&mut storage, Contract::Engine).guard_set());
        let mut j = Journal::new(&mut storage, Contract::Token);
        assert!(j.guard_set());
        assert_eq!(j.gas_used, gas::WARM_STORAGE_READ, "a TLOAD");
        j.set_guard(false);
        assert!(!j.guard_set());
        assert!(!Journal::new(&mut storage, Contract::Token).guard_set());
    }
}
