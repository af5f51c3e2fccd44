//! Donations to the treasury: any ERC-20, pulled from the donor with
//! `transferFrom` by `SafeERC20`'s rules; DML straight from the donor's
//! balance, as every engine function debits it.

use dml_primitives::IEngine;

use super::*;
use crate::erc20;

impl<S: Storage> Exec<'_, '_, S> {
    /// `donateToken(token, amount)`: `amount` of `token` from the sender to
    /// the treasury, then `TokenDonated`.
    pub(super) fn donate_token(&mut self, token: Address, amount: U256) -> Result<()> {
        self.not_paused()?;
        let from = self.ctx.sender;
        let treasury = self.j.load_address(Contract::Engine, u(es::TREASURY));
        if token == self.ctx.contracts.token {
            // The engine is DML's escrow and debits it without an allowance;
            // a call into the token would meet the engine's own guard.
            self.transfer(from, treasury, amount)?;
        } else {
            self.safe_transfer_from(token, from, treasury, amount)?;
        }
        self.emit(IEngine::TokenDonated { token, from, amount });
        Ok(())
    }

    /// `SafeERC20.safeTransferFrom(token, from, to, amount)` with all the gas
    /// there is: the token's revert data bubbles up, an answer other than
    /// `true` or nothing (or no code at `token`) reverts with
    /// `SafeERC20FailedOperation(token)`.
    pub(super) fn safe_transfer_from(
        &mut self,
        token: Address,
        from: Address,
        to: Address,
        amount: U256,
    ) -> Result<()> {
        let calldata = erc20::transfer_from_calldata(from, to, amount);
        let output = self.call_or_bubble(token, &calldata, u64::MAX)?;
        if erc20::accepted(&output, || self.j.code_size(token) != 0) {
            Ok(())
        } else {
            Err(self.custom(IEngine::SafeERC20FailedOperation { token }))
        }
    }
}
