//! Stake delegated to solvers (whitepaper §5, way 3).
//!
//! Each solver has one pool. A delegator's bonded stake is a number of the
//! pool's shares; its value is `shares × stake / total shares`, so a slash
//! that takes from the pool's stake takes from every delegator pro rata in
//! one write. Undelegated stake moves to the pool's unbonding side, a second
//! share pool, so stake still unbonding is slashed pro rata too; each request
//! holds unbonding shares until it is withdrawn.
//!
//! Rewards are a reward-per-share accumulator over the bonded shares
//! (scaled by 2^96). A claim adds its pool's part to a field of the one pool
//! word it reads anyway; the next delegator action folds what claims added
//! into the accumulator (the shares are the same as at each claim, since
//! only delegator actions change them). A delegator's rewards are settled
//! (paid) whenever its shares change or it claims. Every
//! division rounds toward the pool: a depositor gets the floor of its shares,
//! an undelegation burns the ceiling, a payout is the floor and the fraction
//! stays owed. The reward reserve counts what the engine holds for the pool,
//! so the dust is accounted for; the last delegator to leave takes it (and
//! the last share out of either side takes that side's stake).
//!
//! Nothing here loops over delegators. A withdrawal loops over the caller's
//! own unlocked requests.

use super::*;

use crate::layout::pool_word;

/// Scale of the reward accumulator: rewards per share × 2^96.
const REWARD_SCALE_BITS: usize = 96;
/// A pool never holds more than 2^32 shares per unit of stake: slashes stop
/// short of it, so a share's value never falls below 2^-32 of a wei and the
/// share counts fit their 112-bit fields.
const MAX_SHARES_PER_STAKE_BITS: usize = 32;
/// The smallest position a delegator may hold (in shares, 0.001 DML at
/// par): it bounds how fast the reward accumulator can grow.
const MIN_DELEGATION_SHARES: u64 = 1_000_000_000_000_000;

/// A bonded or unbonding share pool.
#[derive(Clone, Copy)]
struct SharePool {
    stake: U256,
    shares: U256,
}

impl SharePool {
    fn from_word(word: U256) -> Self {
        Self { stake: get(word, field::POOL_STAKE), shares: get(word, field::POOL_SHARES) }
    }

    fn into_word(self, word: U256) -> U256 {
        set(set(word, field::POOL_STAKE, self.stake), field::POOL_SHARES, self.shares)
    }

    /// Reward per share with `uncredited` folded in.
    fn folded(&self, acc: U256, uncredited: U256) -> U256 {
        if uncredited.is_zero() || self.shares.is_zero() {
            acc
        } else {
            acc + div(uncredited << REWARD_SCALE_BITS, self.shares)
        }
    }

    /// What `shares` are worth, rounded down; all the stake for the last shares.
    fn value(&self, shares: U256) -> U256 {
        if shares == self.shares {
            self.stake
        } else {
            div(shares * self.stake, self.shares)
        }
    }

    /// Shares for a deposit of `amount`, rounded down; at par in an empty pool.
    fn shares_for(&self, amount: U256) -> Result<U256> {
        if self.shares.is_zero() {
            return Ok(amount);
        }
        if self.stake.is_zero() || self.shares > self.stake << MAX_SHARES_PER_STAKE_BITS {
            return Err("pool was slashed too far to take deposits");
        }
        Ok(div(amount * self.shares, self.stake))
    }

    /// The most a slash may take: all but what keeps a share worth 2^-32.
    fn slashable(&self) -> U256 {
        let mask = (U256::from(1u8) << MAX_SHARES_PER_STAKE_BITS) - U256::from(1u8);
        self.stake.saturating_sub((self.shares + mask) >> MAX_SHARES_PER_STAKE_BITS)
    }
}

/// A delegator's record in one pool.
#[derive(Clone, Copy)]
struct Delegation {
    shares: U256,
    first_request: U256,
    end_request: U256,
    settled: U256,
    remainder: U256,
}

impl<S: Storage> Exec<'_, '_, S> {
    fn pool_slot(solver: Address, word: u64) -> U256 {
        address_slot(solver, u(es::DELEGATION_POOLS)) + u(word)
    }

    fn delegation_slot(delegator: Address, solver: Address) -> U256 {
        address_slot(delegator, address_slot(solver, u(es::DELEGATIONS)))
    }

    fn request_slot(delegator: Address, solver: Address, index: U256) -> U256 {
        uint_slot(index, address_slot(delegator, address_slot(solver, u(es::UNBONDING_REQUESTS))))
    }

    fn pool_word(&mut self, solver: Address, word: u64) -> U256 {
        self.j.load(Contract::Engine, Self::pool_slot(solver, word))
    }

    fn set_pool_word(&mut self, solver: Address, word: u64, value: U256) {
        self.j.store(Contract::Engine, Self::pool_slot(solver, word), value);
    }

    /// The bonded pool and its word (stake, uncredited rewards, commission).
    fn bonded(&mut self, solver: Address) -> (SharePool, U256) {
        let word = self.pool_word(solver, pool_word::BONDED);
        let shares = get(self.pool_word(solver, pool_word::SHARES), field::BONDED_SHARES);
        (SharePool { stake: get(word, field::POOL_STAKE), shares }, word)
    }

    fn set_bonded(&mut self, solver: Address, pool: SharePool, word: U256) {
        self.set_pool_word(solver, pool_word::BONDED, set(word, field::POOL_STAKE, pool.stake));
        self.set_pool_word(solver, pool_word::SHARES, pool.shares);
    }

    /// Folds the rewards claims credited since the last delegator action
    /// into the accumulator and the reserve.
    fn fold_rewards(&mut self, solver: Address) -> Result<()> {
        let (pool, word) = self.bonded(solver);
        let uncredited = get(word, field::UNCREDITED);
        if uncredited.is_zero() {
            return Ok(());
        }
        let rewards = self.pool_word(solver, pool_word::REWARDS);
        let acc = pool.folded(get(rewards, field::REWARD_PER_SHARE), uncredited);
        if acc >= U256::from(1u8) << field::REWARD_PER_SHARE.1 {
            return Err("reward overflow");
        }
        let reserve = get(rewards, field::REWARD_RESERVE) + uncredited;
        self.set_pool_word(
            solver,
            pool_word::REWARDS,
            set(set(rewards, field::REWARD_PER_SHARE, acc), field::REWARD_RESERVE, reserve),
        );
        self.set_pool_word(solver, pool_word::BONDED, set(word, field::UNCREDITED, U256::ZERO));
        Ok(())
    }

    fn delegation(&mut self, delegator: Address, solver: Address) -> Delegation {
        let slot = Self::delegation_slot(delegator, solver);
        let head = self.j.load(Contract::Engine, slot);
        let rewards = self.j.load(Contract::Engine, slot + U256::from(1u8));
        Delegation {
            shares: get(head, field::DELEGATED_SHARES),
            first_request: get(head, field::FIRST_REQUEST),
            end_request: get(head, field::END_REQUEST),
            settled: get(rewards, field::SETTLED_REWARD_PER_SHARE),
            remainder: get(rewards, field::REWARD_REMAINDER),
        }
    }

    fn set_delegation(&mut self, delegator: Address, solver: Address, d: Delegation) {
        let slot = Self::delegation_slot(delegator, solver);
        let mut head = set(U256::ZERO, field::DELEGATED_SHARES, d.shares);
        head = set(head, field::FIRST_REQUEST, d.first_request);
        head = set(head, field::END_REQUEST, d.end_request);
        let rewards =
            set(set(U256::ZERO, field::SETTLED_REWARD_PER_SHARE, d.settled), field::REWARD_REMAINDER, d.remainder);
        self.j.store(Contract::Engine, slot, head);
        self.j.store(Contract::Engine, slot + U256::from(1u8), rewards);
    }

    /// The commission a claim applies now: the one in force, or a scheduled
    /// raise whose time has come.
    fn commission_in_force(&mut self, solver: Address, bonded: U256) -> U256 {
        if get(bonded, field::COMMISSION_SCHEDULED).is_zero() {
            return get(bonded, field::COMMISSION);
        }
        let terms = self.pool_word(solver, pool_word::TERMS);
        if self.now() >= get(terms, field::NEXT_COMMISSION_TIME) {
            get(terms, field::NEXT_COMMISSION)
        } else {
            get(bonded, field::COMMISSION)
        }
    }

    /// The part of a solver's pool that counts toward its stake: at most
    /// the cap ratio times `own`.
    pub(super) fn counted_delegation(&mut self, solver: Address, own: U256) -> U256 {
        let stake = get(self.pool_word(solver, pool_word::BONDED), field::POOL_STAKE);
        self.capped_delegation(stake, own)
    }

    fn capped_delegation(&mut self, stake: U256, own: U256) -> U256 {
        if stake.is_zero() {
            return U256::ZERO;
        }
        let cap = div(own * self.param(Param::DelegationCapRatio), WAD);
        stake.min(cap)
    }

    /// `owed × 2^96` to a delegator with `d.shares` at reward per share `acc`.
    fn owed_scaled(d: &Delegation, acc: U256) -> Result<U256> {
        d.shares.checked_mul(acc - d.settled).and_then(|x| x.checked_add(d.remainder)).ok_or("reward overflow")
    }

    /// Pays a delegator what its shares earned since it was last settled;
    /// `last_out` (its shares are about to become the pool's last zero)
    /// also takes the reserve's dust. Returns what was paid.
    fn settle_rewards(
        &mut self,
        delegator: Address,
        solver: Address,
        d: &mut Delegation,
        last_out: bool,
    ) -> Result<U256> {
        let rewards = self.pool_word(solver, pool_word::REWARDS);
        let acc = get(rewards, field::REWARD_PER_SHARE);
        let reserve = get(rewards, field::REWARD_RESERVE);
        let owed = Self::owed_scaled(d, acc)?;
        let mut pay = owed >> REWARD_SCALE_BITS;
        d.remainder = owed - (pay << REWARD_SCALE_BITS);
        d.settled = acc;
        if last_out {
            pay = reserve;
            d.remainder = U256::ZERO;
        }
        if pay.is_zero() {
            return Ok(pay);
        }
        // The reserve always covers what is owed; `min` only guards the invariant.
        let pay = pay.min(reserve);
        self.set_pool_word(solver, pool_word::REWARDS, set(rewards, field::REWARD_RESERVE, reserve - pay));
        self.transfer(self.ctx.contracts.engine, delegator, pay)?;
        self.emit(IEngine::DelegationRewardsPaid { delegator, solver, amount: pay });
        Ok(pay)
    }

    pub(super) fn delegate_stake(&mut self, solver: Address, amount: U256) -> Result<()> {
        self.not_paused()?;
        let delegator = self.ctx.sender;
        if amount.is_zero() {
            return Err("amount is zero");
        }
        if !self.validator(solver).registered {
            return Err("not a solver");
        }
        if !get(self.pool_word(solver, pool_word::TERMS), field::POOL_CLOSED).is_zero() {
            return Err("solver does not accept delegations");
        }
        self.fold_rewards(solver)?;
        let (mut pool, bonded_word) = self.bonded(solver);
        if amount > MAX_SUPPLY {
            return Err("amount exceeds the supply");
        }
        let shares = pool.shares_for(amount)?;
        if shares.is_zero() {
            return Err("amount too small for a share");
        }
        let mut d = self.delegation(delegator, solver);
        if d.shares + shares < u(MIN_DELEGATION_SHARES) {
            return Err("delegation below the minimum of 0.001 DML");
        }
        self.settle_rewards(delegator, solver, &mut d, false)?;
        self.transfer(delegator, self.ctx.contracts.engine, amount)?;
        pool.stake += amount;
        pool.shares += shares;
        d.shares += shares;
        self.set_bonded(solver, pool, bonded_word);
        self.set_delegation(delegator, solver, d);
        self.emit(IEngine::StakeDelegated { delegator, solver, amount, shares });
        Ok(())
    }

    pub(super) fn undelegate_stake(&mut self, solver: Address, amount: U256) -> Result<U256> {
        self.not_paused()?;
        let delegator = self.ctx.sender;
        if amount.is_zero() {
            return Err("amount is zero");
        }
        self.fold_rewards(solver)?;
        let (mut pool, bonded_word) = self.bonded(solver);
        let mut d = self.delegation(delegator, solver);
        let value = if d.shares.is_zero() { U256::ZERO } else { pool.value(d.shares) };
        // The largest amount means all of it, whatever it is worth by the
        // time the transaction runs.
        let amount = if amount == U256::MAX && !value.is_zero() { value } else { amount };
        if amount > value {
            return Err("amount exceeds delegated stake");
        }
        // All of it burns every share; part of it the ceiling of its shares.
        let burned = if amount == value {
            d.shares
        } else {
            let (q, r) = crate::arith::div_rem(amount * pool.shares, pool.stake);
            let burned = if r.is_zero() { q } else { q + U256::from(1u8) };
            if d.shares - burned < u(MIN_DELEGATION_SHARES) {
                return Err("would leave less than the minimum delegation; undelegate all of it");
            }
            burned
        };
        let last_out = burned == pool.shares;
        self.settle_rewards(delegator, solver, &mut d, last_out)?;
        let amount = if last_out { pool.stake } else { amount };

        let unbonding_word = self.pool_word(solver, pool_word::UNBONDING);
        let mut unbonding = SharePool::from_word(unbonding_word);
        let unbonding_shares = unbonding.shares_for(amount)?;
        if unbonding_shares.is_zero() {
            return Err("amount too small to unbond");
        }
        pool.stake -= amount;
        pool.shares -= burned;
        unbonding.stake += amount;
        unbonding.shares += unbonding_shares;
        d.shares -= burned;
        if d.shares.is_zero() {
            // A position's last fraction of a wei stays with the pool.
            d.remainder = U256::ZERO;
        }

        let index = d.end_request;
        let unlock_time = self.now() + self.param(Param::DelegationUnbonding);
        let request = set(set(U256::ZERO, field::REQUEST_UNLOCK, unlock_time), field::REQUEST_SHARES, unbonding_shares);
        self.j.store(Contract::Engine, Self::request_slot(delegator, solver, index), request);
        d.end_request = index + U256::from(1u8);

        self.set_bonded(solver, pool, bonded_word);
        self.set_pool_word(solver, pool_word::UNBONDING, unbonding.into_word(unbonding_word));
        self.set_delegation(delegator, solver, d);
        self.emit(IEngine::StakeUndelegated { delegator, solver, index, amount, unlockTime: unlock_time });
        Ok(index)
    }

    pub(super) fn withdraw_delegation(&mut self, solver: Address, to: Address) -> Result<U256> {
        self.not_paused()?;
        let delegator = self.ctx.sender;
        if to.is_zero() {
            return Err("recipient is the zero address");
        }
        let mut d = self.delegation(delegator, solver);
        if d.first_request == d.end_request {
            return Err("no unbonding requests");
        }
        let unbonding_word = self.pool_word(solver, pool_word::UNBONDING);
        let mut unbonding = SharePool::from_word(unbonding_word);
        let mut total = U256::ZERO;
        let first = d.first_request;
        // Requests unlock in order unless governance shortened the delay;
        // either way the oldest locked one stops the walk.
        while d.first_request < d.end_request {
            let slot = Self::request_slot(delegator, solver, d.first_request);
            let request = self.j.load(Contract::Engine, slot);
            if self.now() < get(request, field::REQUEST_UNLOCK) {
                break;
            }
            let shares = get(request, field::REQUEST_SHARES);
            let value = unbonding.value(shares);
            unbonding.stake -= value;
            unbonding.shares -= shares;
            total += value;
            self.j.store(Contract::Engine, slot, U256::ZERO);
            d.first_request += U256::from(1u8);
            self.check_gas()?;
        }
        if d.first_request == first {
            return Err("unbonding not finished");
        }
        self.set_pool_word(solver, pool_word::UNBONDING, unbonding.into_word(unbonding_word));
        self.set_delegation(delegator, solver, d);
        if !total.is_zero() {
            self.transfer(self.ctx.contracts.engine, to, total)?;
        }
        self.emit(IEngine::DelegationWithdrawn { delegator, solver, to, amount: total });
        Ok(total)
    }

    pub(super) fn claim_delegation_rewards(&mut self, solver: Address) -> Result<U256> {
        self.not_paused()?;
        let delegator = self.ctx.sender;
        self.fold_rewards(solver)?;
        let mut d = self.delegation(delegator, solver);
        let paid = self.settle_rewards(delegator, solver, &mut d, false)?;
        self.set_delegation(delegator, solver, d);
        Ok(paid)
    }

    pub(super) fn set_commission(&mut self, commission: U256) -> Result<()> {
        let solver = self.ctx.sender;
        if !self.validator(solver).registered {
            return Err("not a solver");
        }
        if commission > self.param(Param::MaxCommission) {
            return Err("commission above the maximum");
        }
        let now = self.now();
        let terms = self.pool_word(solver, pool_word::TERMS);
        let changed = get(terms, field::COMMISSION_CHANGED);
        let cooldown = self.param(Param::CommissionCooldown);
        if !changed.is_zero() && now < changed + cooldown {
            return Err("commission changed within the cooldown");
        }
        let bonded = self.pool_word(solver, pool_word::BONDED);
        let current = self.commission_in_force(solver, bonded);
        // A cut applies at once, as does any change while nobody delegates;
        // a raise waits out the cooldown, so delegators can leave first.
        let immediate = commission <= current || get(bonded, field::POOL_STAKE).is_zero();
        let effective = if immediate { now } else { now + cooldown };
        let mut terms = set(terms, field::COMMISSION_CHANGED, now);
        let mut bonded = bonded;
        if immediate {
            bonded = set(set(bonded, field::COMMISSION, commission), field::COMMISSION_SCHEDULED, U256::ZERO);
        } else {
            bonded = set(set(bonded, field::COMMISSION, current), field::COMMISSION_SCHEDULED, U256::from(1u8));
            terms = set(set(terms, field::NEXT_COMMISSION, commission), field::NEXT_COMMISSION_TIME, effective);
        }
        self.set_pool_word(solver, pool_word::TERMS, terms);
        self.set_pool_word(solver, pool_word::BONDED, bonded);
        self.emit(IEngine::DelegationCommissionChanged { solver, commission, effectiveTime: effective });
        Ok(())
    }

    pub(super) fn set_accept_delegations(&mut self, accept: bool) -> Result<()> {
        let solver = self.ctx.sender;
        if !self.validator(solver).registered {
            return Err("not a solver");
        }
        let terms = self.pool_word(solver, pool_word::TERMS);
        self.set_pool_word(solver, pool_word::TERMS, set(terms, field::POOL_CLOSED, U256::from(!accept as u8)));
        self.emit(IEngine::DelegationsAccepted { solver, accepted: accept });
        Ok(())
    }

    /// Splits a solver's earnings from a claim: the commission and its own
    /// stake's share stay with the solver; the counted delegation's share
    /// (rounded up) is credited to the pool. Returns the pool's part.
    pub(super) fn credit_pool(&mut self, id: B256, solver: Address, earned: U256) -> Result<U256> {
        if earned.is_zero() {
            return Ok(U256::ZERO);
        }
        // A pool has stake exactly when it has shares (the last share out
        // takes the last stake), so the claim need not read the shares.
        let bonded = self.pool_word(solver, pool_word::BONDED);
        let stake = get(bonded, field::POOL_STAKE);
        if stake.is_zero() {
            return Ok(U256::ZERO);
        }
        let own = self.validator(solver).staked;
        let counted = self.capped_delegation(stake, own);
        if counted.is_zero() {
            return Ok(U256::ZERO);
        }
        let commission = div(earned * self.commission_in_force(solver, bonded), WAD);
        let (q, r) = crate::arith::div_rem((earned - commission) * counted, own + counted);
        let to_pool = if r.is_zero() { q } else { q + U256::from(1u8) };
        if to_pool.is_zero() {
            return Ok(U256::ZERO);
        }
        let uncredited = get(bonded, field::UNCREDITED) + to_pool;
        if uncredited >= U256::from(1u8) << field::UNCREDITED.1 {
            return Err("reward overflow");
        }
        self.set_pool_word(solver, pool_word::BONDED, set(bonded, field::UNCREDITED, uncredited));
        self.emit(IEngine::DelegationRewards { task: id, solver, commission, pool: to_pool });
        Ok(to_pool)
    }

    /// Takes up to `amount` from a solver's pool, bonded and unbonding pro
    /// rata, for a contestation it lost. Returns what was taken; the DML
    /// stays in the engine, for the contestation's winners.
    pub(super) fn slash_pool(&mut self, id: B256, solver: Address, amount: U256) -> U256 {
        let (mut bonded, bonded_word) = self.bonded(solver);
        let unbonding_word = self.pool_word(solver, pool_word::UNBONDING);
        let mut unbonding = SharePool::from_word(unbonding_word);
        let total = bonded.stake + unbonding.stake;
        if total.is_zero() || amount.is_zero() {
            return U256::ZERO;
        }
        let take = amount.min(total);
        let from_bonded = div(take * bonded.stake, total).min(bonded.slashable());
        let from_unbonding = (take - div(take * bonded.stake, total)).min(unbonding.slashable());
        bonded.stake -= from_bonded;
        unbonding.stake -= from_unbonding;
        self.set_pool_word(solver, pool_word::BONDED, set(bonded_word, field::POOL_STAKE, bonded.stake));
        self.set_pool_word(solver, pool_word::UNBONDING, unbonding.into_word(unbonding_word));
        self.emit(IEngine::DelegationSlashed { task: id, solver, stake: from_bonded, unbonding: from_unbonding });
        from_bonded + from_unbonding
    }

    // ---- views ----

    pub(super) fn delegation_pool_view(&mut self, solver: Address) -> Vec<u8> {
        let terms = self.pool_word(solver, pool_word::TERMS);
        let (pool, bonded) = self.bonded(solver);
        let unbonding = SharePool::from_word(self.pool_word(solver, pool_word::UNBONDING));
        let rewards = self.pool_word(solver, pool_word::REWARDS);
        let scheduled = !get(bonded, field::COMMISSION_SCHEDULED).is_zero();
        let commission = self.commission_in_force(solver, bonded);
        let (next, next_time) = if scheduled && self.now() < get(terms, field::NEXT_COMMISSION_TIME) {
            (get(terms, field::NEXT_COMMISSION), get(terms, field::NEXT_COMMISSION_TIME))
        } else {
            (commission, U256::ZERO)
        };
        (
            pool.stake,
            pool.shares,
            unbonding.stake,
            unbonding.shares,
            get(rewards, field::REWARD_RESERVE) + get(bonded, field::UNCREDITED),
            commission,
            next,
            next_time,
            get(terms, field::POOL_CLOSED).is_zero(),
        )
            .abi_encode_params()
    }

    pub(super) fn delegation_view(&mut self, delegator: Address, solver: Address) -> Result<Vec<u8>> {
        let d = self.delegation(delegator, solver);
        let (pool, bonded) = self.bonded(solver);
        let stake = if d.shares.is_zero() { U256::ZERO } else { pool.value(d.shares) };
        let acc = get(self.pool_word(solver, pool_word::REWARDS), field::REWARD_PER_SHARE);
        let acc = pool.folded(acc, get(bonded, field::UNCREDITED));
        let pending = Self::owed_scaled(&d, acc)? >> REWARD_SCALE_BITS;
        let unbonding_pool = SharePool::from_word(self.pool_word(solver, pool_word::UNBONDING));
        let (mut unbonding, mut withdrawable) = (U256::ZERO, U256::ZERO);
        let mut index = d.first_request;
        let mut locked = false;
        while index < d.end_request {
            let request = self.j.load(Contract::Engine, Self::request_slot(delegator, solver, index));
            let value = unbonding_pool.value(get(request, field::REQUEST_SHARES));
            unbonding += value;
            locked |= self.now() < get(request, field::REQUEST_UNLOCK);
            if !locked {
                withdrawable += value;
            }
            index += U256::from(1u8);
            self.check_gas()?;
        }
        Ok((stake, d.shares, pending, unbonding, withdrawable, d.first_request, d.end_request).abi_encode_params())
    }

    pub(super) fn unbonding_request_view(&mut self, delegator: Address, solver: Address, index: U256) -> Vec<u8> {
        let request = self.j.load(Contract::Engine, Self::request_slot(delegator, solver, index));
        let shares = get(request, field::REQUEST_SHARES);
        let pool = SharePool::from_word(self.pool_word(solver, pool_word::UNBONDING));
        let amount = if shares.is_zero() { U256::ZERO } else { pool.value(shares) };
        (get(request, field::REQUEST_UNLOCK), amount, shares).abi_encode_params()
    }

    pub(super) fn solver_stake_view(&mut self, solver: Address) -> Vec<u8> {
        let own = self.validator(solver).free_stake();
        let delegated = get(self.pool_word(solver, pool_word::BONDED), field::POOL_STAKE);
        let counted = self.counted_delegation(solver, own);
        (own, delegated, counted).abi_encode_params()
    }
}
