//! Validator stake: deposits, withdrawal requests and who may act as a validator.

use super::*;

impl<S: Storage> Exec<'_, '_, S> {
    pub(super) fn validator_slot(addr: Address) -> U256 {
        address_slot(addr, u(es::VALIDATORS))
    }

    pub(super) fn validator(&mut self, addr: Address) -> Validator {
        Validator::from_word(self.j.load(Contract::Engine, Self::validator_slot(addr)))
    }

    pub(super) fn set_validator(&mut self, addr: Address, validator: Validator) {
        self.j.store(Contract::Engine, Self::validator_slot(addr), validator.to_word());
    }

    /// The free stake (staked, less queued withdrawals) a validator needs to
    /// solve, contest or vote: the minimum, and never less than one slash, so
    /// whatever it does puts at least the slash at risk. (In Arbius the
    /// minimum is 8 slashes; here the slash counts the genesis allocation and
    /// the minimum does not, so the minimum alone can be far below it.)
    pub(super) fn eligibility_stake(&mut self) -> U256 {
        let minimum = self.validator_minimum();
        minimum.max(self.slash_amount())
    }

    /// A validator whose free stake, with the delegated stake that counts
    /// toward it, reaches [`eligibility_stake`](Self::eligibility_stake).
    /// (Its pool is read only when its own stake falls short.)
    pub(super) fn only_validator(&mut self, addr: Address) -> Result<Validator> {
        let validator = self.validator(addr);
        let needed = self.eligibility_stake();
        let own = validator.free_stake();
        if own < needed && own + self.counted_delegation(addr, own) < needed {
            return Err("min staked too low");
        }
        Ok(validator)
    }

    pub(super) fn withdraw_slot(&self, addr: Address, count: U256) -> U256 {
        uint_slot(count, address_slot(addr, u(es::WITHDRAW_REQUESTS)))
    }

    pub(super) fn validator_deposit(&mut self, addr: Address, amount: U256) -> Result<()> {
        self.not_paused()?;
        if addr.is_zero() {
            return Err("validator is the zero address");
        }
        self.transfer(self.ctx.sender, self.ctx.contracts.engine, amount)?;
        let minimum = self.validator_minimum();
        let mut validator = self.validator(addr);
        if validator.staked <= minimum && validator.staked + amount >= minimum {
            validator.since = self.now();
        }
        validator.staked += amount;
        validator.registered = true;
        self.set_validator(addr, validator);
        self.emit(IEngine::ValidatorDeposit { addr: self.ctx.sender, validator: addr, amount });
        Ok(())
    }

    pub(super) fn initiate_withdraw(&mut self, amount: U256) -> Result<U256> {
        self.not_paused()?;
        let sender = self.ctx.sender;
        let mut validator = self.validator(sender);
        if amount.is_zero() {
            return Err("amount is zero");
        }
        if validator.free_stake() < amount {
            return Err("insufficient stake");
        }
        let unlock_time = self.now() + self.param(Param::ExitUnlock);
        let count_slot = address_slot(sender, u(es::WITHDRAW_COUNT));
        let count = self.j.load(Contract::Engine, count_slot) + U256::from(1u8);
        self.j.store(Contract::Engine, count_slot, count);
        let request = set(set(U256::ZERO, field::UNLOCK_TIME, unlock_time), field::REQUEST_AMOUNT, amount);
        self.j.store(Contract::Engine, self.withdraw_slot(sender, count), request);
        validator.pending += amount;
        self.set_validator(sender, validator);
        self.emit(IEngine::ValidatorWithdrawInitiated { addr: sender, count, unlockTime: unlock_time, amount });
        Ok(count)
    }

    pub(super) fn cancel_withdraw(&mut self, count: U256) -> Result<()> {
        self.not_paused()?;
        let sender = self.ctx.sender;
        let slot = self.withdraw_slot(sender, count);
        let request = self.j.load(Contract::Engine, slot);
        if get(request, field::UNLOCK_TIME).is_zero() {
            return Err("request not exist");
        }
        let mut validator = self.validator(sender);
        validator.pending -= get(request, field::REQUEST_AMOUNT);
        self.set_validator(sender, validator);
        self.j.store(Contract::Engine, slot, U256::ZERO);
        self.emit(IEngine::ValidatorWithdrawCancelled { addr: sender, count });
        Ok(())
    }

    pub(super) fn validator_withdraw(&mut self, count: U256, to: Address) -> Result<()> {
        self.not_paused()?;
        let sender = self.ctx.sender;
        let slot = self.withdraw_slot(sender, count);
        let request = self.j.load(Contract::Engine, slot);
        let unlock_time = get(request, field::UNLOCK_TIME);
        let amount = get(request, field::REQUEST_AMOUNT);
        if unlock_time.is_zero() {
            return Err("request not exist");
        }
        if self.now() < unlock_time {
            return Err("wait longer");
        }
        let mut validator = self.validator(sender);
        if validator.staked < amount {
            return Err("stake insufficient");
        }
        validator.staked -= amount;
        validator.pending -= amount;
        self.set_validator(sender, validator);
        self.j.store(Contract::Engine, slot, U256::ZERO);
        self.transfer(self.ctx.contracts.engine, to, amount)?;
        self.emit(IEngine::ValidatorWithdraw { addr: sender, to, count, amount });
        Ok(())
    }
}
