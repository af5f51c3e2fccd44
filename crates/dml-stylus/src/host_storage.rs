//! The engine's [`Storage`] over a Stylus host: the running contract's own
//! slots through the host's storage cache, the other contract's slots through
//! the token bridge (its calldata from [`bridge`]), transient storage through
//! Nitro's transient hooks ([`TransientStorage`]), and the engine's calls
//! into other contracts through the host's `call_contract`.

use alloc::{string::String, vec::Vec};

use alloy_primitives::{Address, B256, U256};
use dml_engine::{Contract, ExternalCall, ExternalCallResult, Log, Storage};

use crate::{bridge, revert_data, Host, TransientStorage, CONTRACTS};

/// Below this, a call's gas limit is gas the engine promised its callee (a
/// callback's, at most `MAX_CALLBACK_GAS`), which the host must be able to
/// give in full, or the engine call reverts as the engine itself reverts on
/// the dev chain ("not enough gas for the callback"), so that no claimer can
/// cut a callback short by sending too little gas. The engine runs unmetered
/// here (its gas limit is `u64::MAX`, see `call_context`), so a call that
/// forwards all the engine may (`donateToken`'s) asks for about
/// 2^64 × 63/64, far above it; the host gives such a call what it has.
const PROMISED_GAS_BELOW: u64 = 1 << 62;

/// What Nitro takes for a program's `CALL` before the callee's share is cut
/// (the account access, 2,600 when cold: EIP-2929), with room for the few
/// instructions between the gas check and the call.
const CALL_PRICE_GAS: u64 = 5_000;

/// Storage of the contract running on `host`: the engine if `ENGINE`, else
/// the token. Which one is a compile-time choice so that the token program
/// carries none of the bridge's client code (only the engine calls the bridge).
pub(crate) struct HostStorage<'h, H: ?Sized, const ENGINE: bool> {
    host: &'h H,
    /// Token slot writes made by an engine call, sent with the first bridge commit.
    token_writes: Vec<(U256, U256)>,
    /// The first thing that went wrong under the engine's feet; the call reverts with it.
    failure: Option<Vec<u8>>,
}

/// The engine contract's storage (token slots through the bridge).
pub(crate) type EngineStorage<'h, H> = HostStorage<'h, H, true>;

impl<'h, H: Host + TransientStorage + ?Sized, const ENGINE: bool> HostStorage<'h, H, ENGINE> {
    /// The contract this storage belongs to.
    const OWN: Contract = if ENGINE { Contract::Engine } else { Contract::Token };

    pub(crate) fn new(host: &'h H) -> Self {
        Self { host, token_writes: Vec::new(), failure: None }
    }

    fn fail(&mut self, data: Vec<u8>) {
        self.failure.get_or_insert(data);
    }

    /// Reverts with the first failure of a bridge call, if one happened.
    pub(crate) fn check(&mut self) -> Result<(), Vec<u8>> {
        match self.failure.take() {
            Some(data) => Err(data),
            None => Ok(()),
        }
    }

    /// Emits a successful call's logs in order, each from its own contract:
    /// the running contract's directly, the token's (from an engine call)
    /// through `engineCommit`, one commit per run of consecutive token logs.
    /// The token slot writes travel with the first commit.
    pub(crate) fn finish(mut self, logs: &[Log]) -> Result<(), Vec<u8>> {
        self.hand_over(logs)
    }

    /// Emits `logs` as [`HostStorage::finish`] does, and sends the token
    /// slot writes so far to the token.
    fn hand_over(&mut self, logs: &[Log]) -> Result<(), Vec<u8>> {
        let mut index = 0;
        while index < logs.len() {
            if logs[index].contract == Self::OWN {
                let log = &logs[index];
                self.host.raw_log(&log.topics, &log.data).map_err(revert_data)?;
                index += 1;
            } else {
                let end =
                    logs[index..].iter().position(|log| log.contract == Self::OWN).map_or(logs.len(), |n| index + n);
                self.commit_to_token(&logs[index..end])?;
                index = end;
            }
        }
        if !self.token_writes.is_empty() {
            self.commit_to_token(&[])?;
        }
        Ok(())
    }

    fn commit_to_token(&mut self, logs: &[Log]) -> Result<(), Vec<u8>> {
        if !ENGINE {
            return Err(revert_data("dml-stylus: the token emitted an engine log"));
        }
        let writes = core::mem::take(&mut self.token_writes);
        self.call_token(&bridge::engine_commit_calldata(&writes, logs), false).map(drop)
    }

    /// Calls the token contract; `Err` carries its revert data.
    fn call_token(&self, calldata: &[u8], is_static: bool) -> Result<Vec<u8>, Vec<u8>> {
        let token: Address = CONTRACTS.token;
        let mut return_len = 0usize;
        // SAFETY: the pointers are valid for the lengths given, and the
        // engine's own storage needs no flush: the token never reads it.
        let status = unsafe {
            if is_static {
                self.host.static_call_contract(
                    token.as_ptr(),
                    calldata.as_ptr(),
                    calldata.len(),
                    u64::MAX,
                    &mut return_len,
                )
            } else {
                let value = B256::ZERO;
                self.host.call_contract(
                    token.as_ptr(),
                    calldata.as_ptr(),
                    calldata.len(),
                    value.as_ptr(),
                    u64::MAX,
                    &mut return_len,
                )
            }
        };
        let data = self.host.read_return_data(0, Some(return_len));
        if status == 0 {
            Ok(data)
        } else if data.is_empty() {
            Err(revert_data("dml-stylus: token bridge call failed"))
        } else {
            Err(data)
        }
    }

    fn bridge_failure(reason: &str) -> Vec<u8> {
        let mut message = String::from("dml-stylus: token bridge: ");
        message.push_str(reason);
        revert_data(&message)
    }
}

impl<H: Host + TransientStorage + ?Sized, const ENGINE: bool> Storage for HostStorage<'_, H, ENGINE> {
    fn load(&mut self, contract: Contract, slot: U256) -> U256 {
        if contract == Self::OWN {
            return U256::from_be_bytes(self.host.storage_load_bytes32(slot).0);
        }
        if !ENGINE {
            // Token calls never touch engine storage; refuse rather than guess.
            self.fail(revert_data("dml-stylus: a token call read engine storage"));
            return U256::ZERO;
        }
        match self.call_token(&bridge::engine_load_calldata(slot), true) {
            Ok(data) => match bridge::engine_load_return(&data) {
                Some(value) => value,
                None => {
                    self.fail(Self::bridge_failure("malformed engineLoad return data"));
                    U256::ZERO
                }
            },
            Err(data) => {
                self.fail(data);
                U256::ZERO
            }
        }
    }

    fn ecrecover(&mut self, digest: B256, v: u8, r: B256, s: B256) -> Option<Address> {
        // The chain's precompile at address 1, called as Solidity calls it.
        let mut input = [0u8; 128];
        input[..32].copy_from_slice(digest.as_slice());
        input[63] = v;
        input[64..96].copy_from_slice(r.as_slice());
        input[96..].copy_from_slice(s.as_slice());
        let precompile = Address::with_last_byte(1);
        let mut return_len = 0usize;
        // SAFETY: the pointers are valid for the lengths given.
        let status = unsafe {
            self.host.static_call_contract(precompile.as_ptr(), input.as_ptr(), input.len(), u64::MAX, &mut return_len)
        };
        let output = self.host.read_return_data(0, Some(return_len));
        if status != 0 || output.len() != 32 {
            return None;
        }
        Some(Address::from_slice(&output[12..]))
    }

    /// The running contract's transient storage: the engine reads no other
    /// (each contract checks its own reentrancy guard).
    fn transient_load(&mut self, _contract: Contract, slot: U256) -> U256 {
        U256::from_be_bytes(self.host.transient_load_bytes32(slot).0)
    }

    fn transient_store(&mut self, contract: Contract, slot: U256, value: U256) {
        if contract == Self::OWN {
            self.host.transient_store_bytes32(slot, B256::from(value));
        } else if !ENGINE {
            self.fail(revert_data("dml-stylus: a token call wrote engine transient storage"));
        } else if let Err(data) = self.call_token(&bridge::engine_transient_store_calldata(slot, value), false) {
            self.fail(data);
        }
    }

    fn code_size(&mut self, account: Address) -> usize {
        self.host.code_size(account)
    }

    fn call_contract(&mut self, call: &ExternalCall<'_>) -> ExternalCallResult {
        if !ENGINE {
            self.fail(revert_data("dml-stylus: the token called another contract"));
        }
        // What the engine wrote and logged so far, where the callee sees it.
        if let Err(data) = self.hand_over(call.logs) {
            self.fail(data);
        }
        if self.failure.is_some() {
            return ExternalCallResult::default();
        }
        self.host.flush_cache(true);
        let gas_before = self.host.evm_gas_left();
        if call.gas_limit < PROMISED_GAS_BELOW {
            // Nitro gives a call at most all but a 64th of what is left after
            // the call's own price; the engine's own check cannot see that
            // here (it runs unmetered), so the adapter makes it.
            let left = gas_before.saturating_sub(CALL_PRICE_GAS);
            if left - left / 64 < call.gas_limit.saturating_add(dml_engine::gas::AFTER_CALLBACK) {
                self.fail(revert_data("not enough gas for the callback"));
                return ExternalCallResult::default();
            }
        }
        let value = B256::from(call.value);
        let mut return_len = 0usize;
        // SAFETY: the pointers are valid for the lengths given, and the
        // storage cache was flushed (and cleared: the engine reads again
        // what it needs after the call).
        let status = unsafe {
            self.host.call_contract(
                call.target.as_ptr(),
                call.calldata.as_ptr(),
                call.calldata.len(),
                value.as_ptr(),
                call.gas_limit,
                &mut return_len,
            )
        };
        let gas_used = gas_before.saturating_sub(self.host.evm_gas_left()).min(call.gas_limit);
        let output = self.host.read_return_data(0, Some(return_len));
        ExternalCallResult { success: status == 0, output: output.into(), gas_used, gas_refund: 0 }
    }

    fn store(&mut self, contract: Contract, slot: U256, value: U256) {
        if self.failure.is_some() {
            return;
        }
        if contract == Self::OWN {
            // SAFETY: the adapter holds no storage handles that could alias this slot.
            unsafe { self.host.storage_cache_bytes32(slot, B256::from(value)) };
        } else if ENGINE {
            self.token_writes.push((slot, value));
        } else {
            self.fail(revert_data("dml-stylus: a token call wrote engine storage"));
        }
    }
}
