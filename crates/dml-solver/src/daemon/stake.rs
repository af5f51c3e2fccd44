//! The solver's stake: how many solutions it may reveal now, and keeping the
//! configured amount deposited.
//!
//! Every solution escrows the engine's slash from the solver's stake until it
//! is claimed (or its contestation settled), and the engine refuses a
//! solution unless the free stake (staked, less queued withdrawals) covers
//! `max(minimum, slash)`, and so does a contestation or a vote. So a solver
//! holds at most about `stake / slash` unclaimed solutions at once; past that
//! its reveals wait for claims. It keeps one `max(minimum, slash)` free so it
//! can always contest or vote, unless stake delegated to it lets it reveal
//! further (the engine counts the pool toward eligibility, up to its cap).

use alloy_primitives::U256;
use dml_primitives::{IEngine, ONE_DML};
use tracing::{info, warn};

use super::Solver;
use crate::job::Action;
use crate::metrics::as_dml;
use crate::SolverError;

/// How many solutions in a row this solver reveals from `free` stake: the
/// engine accepts each while `max(minimum, slash)` is free and escrows
/// `slash`, and the solver keeps that cover free after the last one, for a
/// contestation or a vote. `None` when the slash is zero (no limit).
pub(crate) fn reveal_capacity(free: U256, minimum: U256, slash: U256) -> Option<usize> {
    let need = minimum.max(slash);
    if free < need {
        return Some(0);
    }
    if slash.is_zero() {
        return None;
    }
    Some(((free - need) / slash).saturating_to())
}

/// How many solutions in a row the engine accepts from a solver with `free`
/// stake of its own and `pool` delegated to it, of which up to `cap_ratio`
/// (1e18 = 1×) times its own free stake counts: each needs own + counted
/// ≥ `max(minimum, slash)` and escrows the slash from its own stake first
/// (all of it once it is less than a slash; the pool owes the rest). The
/// delegation lets the solver reveal past the cover it would keep for a
/// contestation of its own, so this is the larger of the two limits.
pub(crate) fn reveal_capacity_with_pool(
    free: U256,
    minimum: U256,
    slash: U256,
    pool: U256,
    cap_ratio: U256,
) -> Option<usize> {
    let own_only = reveal_capacity(free, minimum, slash);
    if pool.is_zero() || slash.is_zero() {
        return own_only;
    }
    let need = minimum.max(slash);
    let counted = |own: U256| pool.min(own.saturating_mul(cap_ratio) / ONE_DML);
    let mut own = free;
    let mut accepted = 0usize;
    // Own stake falls by a slash per solution, so this ends within
    // `free / slash + 1` steps; the bound only guards a pathological slash.
    while !own.is_zero() && own + counted(own) >= need && accepted < 1_000_000 {
        accepted += 1;
        own = own.saturating_sub(slash);
    }
    Some(own_only.unwrap_or(0).max(accepted))
}

impl Solver {
    /// How many reveals the stake covers now (`None`: no limit).
    pub(super) async fn reveal_capacity(&mut self) -> Result<Option<usize>, SolverError> {
        let me = self.me();
        let validator = self.chain.view(IEngine::validatorsCall { addr: me }).await?;
        let queued = self.chain.view(IEngine::validatorWithdrawPendingAmountCall { addr: me }).await?;
        let minimum = self.chain.view(IEngine::getValidatorMinimumCall {}).await?;
        let slash = self.chain.view(IEngine::getSlashAmountCall {}).await?;
        let free = validator.staked.saturating_sub(queued);
        let pool = self.chain.view(IEngine::solverStakeCall { solver: me }).await?.delegated;
        if pool.is_zero() {
            return Ok(reveal_capacity(free, minimum, slash));
        }
        let cap_ratio = self.chain.view(IEngine::delegationCapRatioCall {}).await?;
        Ok(reveal_capacity_with_pool(free, minimum, slash, pool, cap_ratio))
    }

    /// Keeps the stake at the configured amount (at least enough for one
    /// solution and a contestation: `max(minimum, slash) + slash`), topping
    /// up from the wallet. The slashes escrowed by this solver's unclaimed
    /// solutions count as deposited: they come back with the claims.
    pub(super) async fn ensure_stake(&mut self) -> Result<(), SolverError> {
        let me = self.me();
        let validator = self.chain.view(IEngine::validatorsCall { addr: me }).await?;
        let balance = self.chain.dml_balance().await?;
        self.metrics.dml_balance.get_or_create(&self.label).set(as_dml(balance));
        self.metrics.dml_staked.get_or_create(&self.label).set(as_dml(validator.staked));
        if self.store.outbox()?.iter().any(|o| o.action == Action::Stake) {
            return Ok(());
        }
        let minimum = self.chain.view(IEngine::getValidatorMinimumCall {}).await?;
        let slash = self.chain.view(IEngine::getSlashAmountCall {}).await?;
        let target = self.config.stake.max(minimum.max(slash) + slash + U256::from(1));
        let mut escrowed = U256::ZERO;
        let unclaimed: Vec<_> = self.jobs.values().filter(|j| j.revealed && j.is_open()).map(|j| j.task).collect();
        for task in &unclaimed {
            escrowed += self.chain.view(IEngine::contestationsCall { taskid: *task }).await?.slashAmount;
        }
        let deposited = validator.staked + escrowed;
        if deposited >= target {
            return Ok(());
        }
        let amount = (target - deposited).min(balance);
        if amount.is_zero() {
            warn!(staked = %validator.staked, %target, "stake below target and no DML to top it up");
            return Ok(());
        }
        info!(staked = %validator.staked, %escrowed, %amount, "depositing stake");
        match self.send(Action::Stake, &mut [], IEngine::validatorDepositCall { validator_: me, amount_: amount }).await
        {
            Ok(_) | Err(SolverError::Revert(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dml(n: u64) -> U256 {
        U256::from(n) * U256::from(10u64).pow(U256::from(18))
    }

    #[test]
    fn capacity_counts_the_slashes_the_free_stake_covers() {
        // 10 DML free, slash 1: nine solutions leave 1 DML free to contest.
        assert_eq!(reveal_capacity(dml(10), U256::ZERO, dml(1)), Some(9));
        // The minimum must stay free for each one: 10 free, minimum 4, slash 1.
        assert_eq!(reveal_capacity(dml(10), dml(4), dml(1)), Some(6));
        assert_eq!(reveal_capacity(dml(1), U256::ZERO, dml(1)), Some(0));
        assert_eq!(reveal_capacity(dml(1) - U256::from(1), U256::ZERO, dml(1)), Some(0));
        assert_eq!(reveal_capacity(dml(3), dml(4), dml(1)), Some(0));
        assert_eq!(reveal_capacity(dml(3), dml(1), U256::ZERO), None);
        assert_eq!(reveal_capacity(U256::ZERO, dml(1), U256::ZERO), Some(0));
    }

    #[test]
    fn a_pool_lets_the_solver_reveal_as_far_as_the_engine_accepts() {
        let ten = dml(10);
        // No pool: the own-stake rule.
        assert_eq!(reveal_capacity_with_pool(dml(10), U256::ZERO, dml(1), U256::ZERO, ten), Some(9));
        // 10 free, slash 1, 100 delegated at 10×: every solution while own stake lasts.
        assert_eq!(reveal_capacity_with_pool(dml(10), U256::ZERO, dml(1), dml(100), ten), Some(10));
        // Half a DML of its own against a 1 DML slash: 0.5 + 5 counted ≥ 1 once; then nothing is left.
        assert_eq!(reveal_capacity_with_pool(dml(1) / U256::from(2), U256::ZERO, dml(1), dml(100), ten), Some(1));
        // The cap: 0.05 DML of its own counts 0.5 DML of the pool, short of the 1 DML slash.
        let own = dml(1) / U256::from(20);
        assert_eq!(reveal_capacity_with_pool(own, U256::ZERO, dml(1), dml(100), ten), Some(0));
        // A small pool counts only itself: 0.5 own + 0.4 pool < 1.
        let half = dml(1) / U256::from(2);
        assert_eq!(reveal_capacity_with_pool(half, U256::ZERO, dml(1), dml(4) / U256::from(10), ten), Some(0));
        // The minimum counts as the engine counts it: own 3, 2 and 1 (+ 30, 20, 10 counted) each reach 4.
        assert_eq!(reveal_capacity_with_pool(dml(3), dml(4), dml(1), dml(100), ten), Some(3));
        assert_eq!(reveal_capacity_with_pool(dml(3), dml(1), U256::ZERO, dml(100), ten), None);
    }
}
