//! The solver's delegation pool (whitepaper §5, way 3): keeping its
//! commission and whether it takes delegations as configured, and the
//! pool's metrics.
//!
//! The engine accepts the terms only from a registered solver, so they are
//! sent once the stake deposit has registered it: each tick looks until
//! then, and once they are sent (or refused) not again. A refusal (a raise
//! within the engine's cooldown, a commission above its maximum) is logged
//! and the solver runs on under the terms it has.

use alloy_primitives::{Address, U256};
use alloy_rpc_types_eth::Log;
use alloy_sol_types::SolEvent;
use dml_primitives::IEngine;
use tracing::{debug, info, warn};

use super::Solver;
use crate::config::Commission;
use crate::job::Action;
use crate::metrics::as_dml;
use crate::SolverError;

/// The engine events about delegation pools the solver follows.
pub(crate) fn pool_events() -> [alloy_primitives::B256; 6] {
    [
        IEngine::StakeDelegated::SIGNATURE_HASH,
        IEngine::StakeUndelegated::SIGNATURE_HASH,
        IEngine::DelegationRewards::SIGNATURE_HASH,
        IEngine::DelegationSlashed::SIGNATURE_HASH,
        IEngine::DelegationCommissionChanged::SIGNATURE_HASH,
        IEngine::DelegationsAccepted::SIGNATURE_HASH,
    ]
}

/// What of a pool's terms the engine holds now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PoolTerms {
    /// The commission in force (1e18 = 100 %).
    pub commission: U256,
    /// A scheduled raise: its commission and when it applies (time 0: none).
    pub next_commission: U256,
    /// When the scheduled raise applies; 0 when none is scheduled.
    pub next_commission_time: U256,
    /// Whether the pool takes new delegations.
    pub accepts: bool,
}

impl From<&IEngine::delegationPoolReturn> for PoolTerms {
    fn from(pool: &IEngine::delegationPoolReturn) -> Self {
        PoolTerms {
            commission: pool.commission,
            next_commission: pool.nextCommission,
            next_commission_time: pool.nextCommissionTime,
            accepts: pool.acceptsDelegations,
        }
    }
}

/// A change of the pool's terms the solver sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TermsChange {
    /// `setAcceptDelegations`.
    Accept(bool),
    /// `setDelegationCommission`.
    Commission(Commission),
}

impl std::fmt::Display for TermsChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TermsChange::Accept(true) => f.write_str("open the pool to new delegations"),
            TermsChange::Accept(false) => f.write_str("close the pool to new delegations"),
            TermsChange::Commission(commission) => write!(f, "set the commission to {commission}"),
        }
    }
}

/// The calls that bring `pool` to the configured terms. A scheduled raise
/// to the configured commission is already on its way; one to another
/// value is replaced (by the configured value, even the one in force).
pub(crate) fn terms_changes(pool: PoolTerms, commission: Option<Commission>, accept: bool) -> Vec<TermsChange> {
    let mut changes = Vec::new();
    if pool.accepts != accept {
        changes.push(TermsChange::Accept(accept));
    }
    if let Some(wanted) = commission {
        let scheduled = !pool.next_commission_time.is_zero();
        let coming = if scheduled { pool.next_commission } else { pool.commission };
        if coming != wanted.wad() {
            changes.push(TermsChange::Commission(wanted));
        }
    }
    changes
}

/// The solver a pool event is about.
fn pool_event_solver(log: &Log) -> Option<Address> {
    let topic = *log.topic0()?;
    let data = log.data();
    if topic == IEngine::StakeDelegated::SIGNATURE_HASH {
        IEngine::StakeDelegated::decode_log_data(data).ok().map(|e| e.solver)
    } else if topic == IEngine::StakeUndelegated::SIGNATURE_HASH {
        IEngine::StakeUndelegated::decode_log_data(data).ok().map(|e| e.solver)
    } else if topic == IEngine::DelegationRewards::SIGNATURE_HASH {
        IEngine::DelegationRewards::decode_log_data(data).ok().map(|e| e.solver)
    } else if topic == IEngine::DelegationSlashed::SIGNATURE_HASH {
        IEngine::DelegationSlashed::decode_log_data(data).ok().map(|e| e.solver)
    } else if topic == IEngine::DelegationCommissionChanged::SIGNATURE_HASH {
        IEngine::DelegationCommissionChanged::decode_log_data(data).ok().map(|e| e.solver)
    } else if topic == IEngine::DelegationsAccepted::SIGNATURE_HASH {
        IEngine::DelegationsAccepted::decode_log_data(data).ok().map(|e| e.solver)
    } else {
        None
    }
}

impl Solver {
    /// The pool's part of a tick: its terms, then its gauges. The pool never
    /// holds up the tasks: this runs last, and a failure (a node error, an
    /// engine without delegation) is logged, once as a warning, and retried
    /// next tick; only a store failure ends the solver.
    pub(super) async fn delegation_step(&mut self) -> Result<(), SolverError> {
        let result = async {
            self.ensure_delegation_terms().await?;
            if self.pool_changed || self.loops % 40 == 1 {
                self.refresh_pool_metrics().await?;
            }
            Ok(())
        }
        .await;
        match result {
            Ok(()) => self.pool_failures = 0,
            Err(e @ SolverError::Store(_)) => return Err(e),
            Err(e) => {
                if self.pool_failures == 0 {
                    warn!(error = %e, "reading or setting the delegation pool failed; retrying");
                } else {
                    debug!(error = %e, failures = self.pool_failures + 1, "delegation pool step failed again");
                }
                self.pool_failures = self.pool_failures.saturating_add(1);
            }
        }
        Ok(())
    }

    /// Sends the configured delegation terms where the engine's differ, once
    /// the solver is registered (see the module doc).
    async fn ensure_delegation_terms(&mut self) -> Result<(), SolverError> {
        if self.terms_sent {
            return Ok(());
        }
        let outbox = self.store.outbox()?;
        if outbox.iter().any(|o| matches!(o.action, Action::Stake | Action::DelegationTerms)) {
            return Ok(());
        }
        let me = self.me();
        if self.chain.view(IEngine::validatorsCall { addr: me }).await?.addr.is_zero() {
            // Not registered yet: the stake deposit registers it.
            return Ok(());
        }
        let pool = self.chain.view(IEngine::delegationPoolCall { solver: me }).await?;
        for change in terms_changes(PoolTerms::from(&pool), self.config.commission, self.config.accept_delegations) {
            let sent = match change {
                TermsChange::Accept(accept) => {
                    let call = IEngine::setAcceptDelegationsCall { accept_: accept };
                    self.send(Action::DelegationTerms, &mut [], call).await
                }
                TermsChange::Commission(commission) => {
                    let call = IEngine::setDelegationCommissionCall { commission_: commission.wad() };
                    self.send(Action::DelegationTerms, &mut [], call).await
                }
            };
            match sent {
                Ok(hash) => info!(%change, %hash, "delegation terms sent"),
                Err(SolverError::Revert(reason)) => {
                    warn!(%change, %reason, "the engine refused a change of the delegation terms; keeping the current ones")
                }
                Err(e) => return Err(e),
            }
        }
        self.terms_sent = true;
        self.pool_changed = true;
        Ok(())
    }

    /// Notes a pool event: rewards this solver's claims credited count into
    /// the metrics, and any event about its pool refreshes the gauges.
    pub(super) fn note_pool_log(&mut self, log: &Log) {
        if pool_event_solver(log) != Some(self.me()) {
            return;
        }
        self.pool_changed = true;
        if let Ok(event) = IEngine::DelegationRewards::decode_log_data(log.data()) {
            self.metrics.delegator_rewards.get_or_create(&self.label).inc_by(as_dml(event.pool));
            self.metrics.delegation_commission_earned.get_or_create(&self.label).inc_by(as_dml(event.commission));
        }
    }

    /// Reads the pool and sets its gauges.
    async fn refresh_pool_metrics(&mut self) -> Result<(), SolverError> {
        let me = self.me();
        let pool = self.chain.view(IEngine::delegationPoolCall { solver: me }).await?;
        let stake = self.chain.view(IEngine::solverStakeCall { solver: me }).await?;
        let commission = Commission::from_wad(pool.commission).unwrap_or_default();
        self.metrics.delegated_stake.get_or_create(&self.label).set(as_dml(stake.delegated));
        self.metrics.delegated_stake_counted.get_or_create(&self.label).set(as_dml(stake.counted));
        self.metrics.delegation_commission.get_or_create(&self.label).set(commission.as_fraction());
        self.pool_changed = false;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pct(text: &str) -> Commission {
        text.parse().unwrap()
    }

    fn pool(commission: &str, next: Option<&str>, accepts: bool) -> PoolTerms {
        PoolTerms {
            commission: pct(commission).wad(),
            next_commission: next.map_or(pct(commission).wad(), |n| pct(n).wad()),
            next_commission_time: U256::from(next.map_or(0, |_| 1_000)),
            accepts,
        }
    }

    #[test]
    fn only_the_terms_that_differ_are_sent() {
        assert_eq!(terms_changes(pool("0", None, true), None, true), []);
        assert_eq!(terms_changes(pool("5", None, true), Some(pct("5%")), true), []);
        assert_eq!(terms_changes(pool("0", None, true), Some(pct("5%")), true), [TermsChange::Commission(pct("5"))]);
        assert_eq!(terms_changes(pool("5", None, true), None, false), [TermsChange::Accept(false)]);
        assert_eq!(
            terms_changes(pool("5", None, false), Some(pct("2")), true),
            [TermsChange::Accept(true), TermsChange::Commission(pct("2"))]
        );
    }

    #[test]
    fn a_scheduled_raise_counts_as_the_coming_commission() {
        // A raise to the configured value is on its way: nothing to send.
        assert_eq!(terms_changes(pool("5", Some("8"), true), Some(pct("8")), true), []);
        // A raise to another value: the configured one replaces it, even
        // when that is the commission in force now.
        assert_eq!(
            terms_changes(pool("5", Some("8"), true), Some(pct("5")), true),
            [TermsChange::Commission(pct("5"))]
        );
        assert_eq!(
            terms_changes(pool("5", Some("8"), true), Some(pct("9")), true),
            [TermsChange::Commission(pct("9"))]
        );
    }
}
