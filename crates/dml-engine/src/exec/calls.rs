//! Calls from the engine into other contracts (EVM code, or any contract
//! the host can run), with a Solidity contract's rules: the `CALL`'s access
//! price, at most all but one 64th of the gas left forwarded (EIP-150), the
//! callee's gas charged to this call, the writes so far visible to the callee
//! and the slots read again after it, and the reentrancy guard set while it
//! runs, so that no state-changing call reaches the engine or the token
//! until it returns (OpenZeppelin's `ReentrancyGuardTransient` semantics).
//!
//! Two styles, as Solidity has them: [`Exec::call_contract`] returns the
//! callee's failure for the flow to record (`try`/`catch`: a callback whose
//! failure must not revert the engine), and [`Exec::call_or_bubble`] reverts
//! with the callee's revert data (a high-level call, or SafeERC20's).

use alloy_sol_types::SolError;
use dml_primitives::IEngine;

use super::*;
use crate::ExternalCallResult;

impl<S: Storage> Exec<'_, '_, S> {
    /// Gas this call may still spend.
    pub(super) fn gas_left(&self) -> u64 {
        self.ctx.gas_limit.saturating_sub(self.j.gas_used)
    }

    /// Calls `target` with `calldata` and at most `gas` gas (`u64::MAX`: all
    /// it may have). A failed callee is an `Ok` with `success: false` and
    /// leaves this call going; `Err` is this call's own failure: out of gas
    /// before the callee could run, a static context, or a reentrant entry.
    pub(super) fn call_contract(&mut self, target: Address, calldata: &[u8], gas: u64) -> Result<ExternalCallResult> {
        if self.j.guard_set() {
            return Err(self.reentrant_call());
        }
        if self.ctx.is_static {
            return Err("state change during static call");
        }
        self.j.touch_account(target);
        self.j.charge(gas::COPY_WORD * gas::words(calldata.len()));
        self.j.set_guard(true);
        self.check_gas()?;
        let left = self.gas_left();
        let forwarded = gas.min(left - left / 64);
        let result = self.j.call_out(target, calldata, forwarded);
        self.j.set_guard(false);
        self.j.charge(result.gas_used.min(forwarded));
        if result.success {
            self.j.add_refund(result.gas_refund);
        }
        self.check_gas()?;
        Ok(result)
    }

    /// [`Exec::call_contract`] where the callee's failure reverts this call
    /// with the callee's revert data, unchanged; the return data otherwise.
    pub(super) fn call_or_bubble(&mut self, target: Address, calldata: &[u8], gas: u64) -> Result<Bytes> {
        let result = self.call_contract(target, calldata, gas)?;
        if result.success {
            Ok(result.output)
        } else {
            self.custom_error = Some(result.output.to_vec());
            Err(CUSTOM_ERROR)
        }
    }

    /// The refusal of a state change while an external call is in flight.
    pub(super) fn reentrant_call(&mut self) -> Revert {
        self.custom_error = Some(IEngine::ReentrancyGuardReentrantCall::SELECTOR.to_vec());
        CUSTOM_ERROR
    }
}
