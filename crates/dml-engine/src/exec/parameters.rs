//! Roles, the pause switch, governance parameters and the figures derived
//! from them: the reward along the emission curve, the minimum stake and
//! the slash.

use super::*;

impl<S: Storage> Exec<'_, '_, S> {
    pub(super) fn owner(&mut self) -> Address {
        self.j.load_address(Contract::Engine, u(es::OWNER))
    }

    pub(super) fn paused(&mut self) -> bool {
        !self.ledger(field::PAUSED).is_zero()
    }

    pub(super) fn only_owner(&mut self) -> Result<()> {
        if self.owner() != self.ctx.sender {
            return Err("Ownable: caller is not the owner");
        }
        Ok(())
    }

    pub(super) fn not_paused(&mut self) -> Result<()> {
        if self.paused() {
            return Err("paused");
        }
        Ok(())
    }

    pub(super) fn update_engine(&mut self, slot: u64, fld: (usize, usize), value: U256) {
        let current = self.j.load(Contract::Engine, u(slot));
        self.j.store(Contract::Engine, u(slot), set(current, fld, value));
    }

    pub(super) fn param(&mut self, param: Param) -> U256 {
        let (slot, fld) = param.location();
        get(self.j.load(Contract::Engine, u(slot)), fld)
    }

    pub(super) fn set_param(&mut self, param: Param, value: U256) {
        let (slot, fld) = param.location();
        self.update_engine(slot, fld, value);
    }

    pub(super) fn set_percentage(&mut self, param: Param, value: U256) -> Result<()> {
        self.only_owner()?;
        if value > WAD {
            return Err("percentage above 100%");
        }
        self.set_param(param, value);
        Ok(())
    }

    pub(super) fn set_duration(&mut self, param: Param, value: U256) -> Result<()> {
        self.only_owner()?;
        if value >= u(MAX_TIMESTAMP) {
            return Err("duration out of range");
        }
        self.set_param(param, value);
        Ok(())
    }

    pub(super) fn check_unbonding_time(&mut self) -> Result<()> {
        let unbonding = self.param(Param::DelegationUnbonding).to::<u64>();
        let window = self.param(Param::MinClaimTime).to::<u64>();
        let period = self.param(Param::VotePeriod).to::<u64>();
        if !unbonding_outlasts_slashes(unbonding, window, period) {
            return Err("delegation unbonding time must exceed the claim window plus the vote period");
        }
        Ok(())
    }

    pub(super) fn check_reward_shares(&mut self) -> Result<()> {
        let treasury = self.param(Param::TreasuryReward);
        let liquidity = self.param(Param::LiquidityReward);
        if treasury + liquidity > WAD {
            return Err("reward shares above 100%");
        }
        Ok(())
    }

    pub(super) fn ledger(&mut self, fld: (usize, usize)) -> U256 {
        let word = self.j.load(Contract::Engine, u(es::LEDGER));
        get(word, fld)
    }

    pub(super) fn set_ledger(&mut self, fld: (usize, usize), value: U256) {
        self.update_engine(es::LEDGER, fld, value);
    }

    pub(super) fn emission_cap(&mut self) -> U256 {
        self.param(Param::EmissionCap)
    }

    pub(super) fn current_reward(&mut self) -> U256 {
        self.j.charge(gas::EMISSION_MATH);
        let start = self.param(Param::StartTime);
        let elapsed = self.now().saturating_sub(start);
        let emitted = self.ledger(field::TOTAL_EMITTED);
        let cap = self.emission_cap();
        emission::reward(elapsed, emitted, cap)
    }

    /// `base × pct`, rounded up as Arbius computes `ts − ts × (1 − pct)`; zero
    /// while `base` is below `threshold`.
    pub(super) fn share_of(&mut self, base: U256, pct: Param, threshold: u128) -> U256 {
        if base < U256::from(threshold) {
            return U256::ZERO;
        }
        let pct = self.param(pct);
        split(base, pct).1
    }

    /// The minimum stake: a share of the DML emitted so far.
    pub(super) fn validator_minimum(&mut self) -> U256 {
        let emitted = self.ledger(field::TOTAL_EMITTED);
        self.share_of(emitted, Param::ValidatorMinimum, MIN_SUPPLY_FOR_VALIDATOR_DEPOSITS)
    }

    /// The slash: a share of the token's whole supply (genesis allocation plus
    /// emission), so stake is at risk as soon as real DML circulates.
    pub(super) fn slash_amount(&mut self) -> U256 {
        let word = self.supply_word();
        let supply = get(word, field::TOTAL_SUPPLY);
        self.share_of(supply, Param::Slash, MIN_SUPPLY_FOR_SLASHING)
    }
}
