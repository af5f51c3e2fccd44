//! Prometheus metrics of one or more solvers, labelled by solver address.

use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::SolverError;

/// The `solver` label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SolverLabel {
    /// The solver's address.
    pub solver: String,
}

/// The `solver` and `action` labels.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ActionLabels {
    /// The solver's address.
    pub solver: String,
    /// commit, reveal, claim, contest, vote, finish, stake or delegation_terms.
    pub action: String,
}

/// Every solver metric family; clone it into each solver of a process.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Mutex<Registry>>,
    /// Tasks seen on served models.
    pub tasks_seen: Family<SolverLabel, Counter>,
    /// Tasks not taken (input outside the schema, unprofitable, …).
    pub tasks_skipped: Family<SolverLabel, Counter>,
    /// Model runs that gave output.
    pub model_runs: Family<SolverLabel, Counter>,
    /// Seconds per model run.
    pub model_run_seconds: Family<SolverLabel, Histogram>,
    /// Transactions sent, by action.
    pub transactions_sent: Family<ActionLabels, Counter>,
    /// Transactions mined but reverted, by action.
    pub transactions_reverted: Family<ActionLabels, Counter>,
    /// Transactions rebroadcast after being dropped.
    pub transactions_rebroadcast: Family<SolverLabel, Counter>,
    /// Tasks that ended with this solver paid.
    pub tasks_paid: Family<SolverLabel, Counter>,
    /// Other solvers' solutions found wrong by rerunning them.
    pub mismatches: Family<SolverLabel, Counter>,
    /// Jobs not yet ended.
    pub jobs_active: Family<SolverLabel, Gauge>,
    /// The solver's DML balance (whole DML).
    pub dml_balance: Family<SolverLabel, Gauge<f64, AtomicU64>>,
    /// The solver's stake (whole DML), less the slashes its open solutions escrow.
    pub dml_staked: Family<SolverLabel, Gauge<f64, AtomicU64>>,
    /// Reveals ready but waiting for stake to escrow their slash.
    pub reveals_waiting_for_stake: Family<SolverLabel, Gauge>,
    /// The stake delegated to the solver's pool (whole DML, bonded).
    pub delegated_stake: Family<SolverLabel, Gauge<f64, AtomicU64>>,
    /// The part of the delegated stake that counts toward the solver's
    /// (whole DML): at most the engine's cap ratio times its own stake.
    pub delegated_stake_counted: Family<SolverLabel, Gauge<f64, AtomicU64>>,
    /// The commission in force (a fraction: 0.05 is 5 %).
    pub delegation_commission: Family<SolverLabel, Gauge<f64, AtomicU64>>,
    /// Rewards credited to the pool's delegators by this solver's claims (whole DML).
    pub delegator_rewards: Family<SolverLabel, Counter<f64, AtomicU64>>,
    /// Commission this solver kept from its claims while it had delegators (whole DML).
    pub delegation_commission_earned: Family<SolverLabel, Counter<f64, AtomicU64>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Creates the families in a fresh registry.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("dml_solver");
        let metrics = Metrics {
            registry: Arc::new(Mutex::new(Registry::default())),
            tasks_seen: Family::default(),
            tasks_skipped: Family::default(),
            model_runs: Family::default(),
            model_run_seconds: Family::new_with_constructor(|| Histogram::new(exponential_buckets(0.001, 2.0, 18))),
            transactions_sent: Family::default(),
            transactions_reverted: Family::default(),
            transactions_rebroadcast: Family::default(),
            tasks_paid: Family::default(),
            mismatches: Family::default(),
            jobs_active: Family::default(),
            dml_balance: Family::default(),
            dml_staked: Family::default(),
            reveals_waiting_for_stake: Family::default(),
            delegated_stake: Family::default(),
            delegated_stake_counted: Family::default(),
            delegation_commission: Family::default(),
            delegator_rewards: Family::default(),
            delegation_commission_earned: Family::default(),
        };
        registry.register("tasks_seen", "Tasks seen on served models", metrics.tasks_seen.clone());
        registry.register("tasks_skipped", "Tasks not taken", metrics.tasks_skipped.clone());
        registry.register("model_runs", "Model runs that gave output", metrics.model_runs.clone());
        registry.register("model_run_seconds", "Seconds per model run", metrics.model_run_seconds.clone());
        registry.register("transactions_sent", "Transactions sent", metrics.transactions_sent.clone());
        registry.register("transactions_reverted", "Transactions reverted", metrics.transactions_reverted.clone());
        registry.register(
            "transactions_rebroadcast",
            "Transactions rebroadcast after being dropped",
            metrics.transactions_rebroadcast.clone(),
        );
        registry.register("tasks_paid", "Tasks that ended with this solver paid", metrics.tasks_paid.clone());
        registry.register("mismatches", "Other solvers' solutions found wrong", metrics.mismatches.clone());
        registry.register("jobs_active", "Jobs not yet ended", metrics.jobs_active.clone());
        registry.register("dml_balance", "DML balance (whole DML)", metrics.dml_balance.clone());
        registry.register("dml_staked", "DML staked (whole DML)", metrics.dml_staked.clone());
        registry.register(
            "reveals_waiting_for_stake",
            "Reveals waiting for stake to escrow their slash",
            metrics.reveals_waiting_for_stake.clone(),
        );
        registry.register(
            "delegated_stake",
            "DML delegated to the solver's pool (whole DML)",
            metrics.delegated_stake.clone(),
        );
        registry.register(
            "delegated_stake_counted",
            "Delegated DML counted toward the solver's stake (whole DML)",
            metrics.delegated_stake_counted.clone(),
        );
        registry.register(
            "delegation_commission",
            "Delegation commission in force (fraction of earnings)",
            metrics.delegation_commission.clone(),
        );
        registry.register(
            "delegator_rewards",
            "Rewards credited to the delegators by the solver's claims (whole DML)",
            metrics.delegator_rewards.clone(),
        );
        registry.register(
            "delegation_commission_earned",
            "Commission kept from claims shared with delegators (whole DML)",
            metrics.delegation_commission_earned.clone(),
        );
        *metrics.registry.lock().expect("registry") = registry;
        metrics
    }

    /// The text exposition format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry.lock().expect("registry"))
            .expect("writing to a String cannot fail");
        out
    }

    /// Serves `GET /metrics` on `addr` until the returned task is aborted.
    pub async fn serve(&self, addr: SocketAddr) -> Result<(SocketAddr, tokio::task::JoinHandle<()>), SolverError> {
        let metrics = self.clone();
        let app = axum::Router::new().route(
            "/metrics",
            axum::routing::get(move || {
                let metrics = metrics.clone();
                async move {
                    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], metrics.encode())
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| SolverError::Config(format!("metrics address {addr}: {e}")))?;
        let bound = listener.local_addr().map_err(|e| SolverError::Config(e.to_string()))?;
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok((bound, task))
    }
}

/// Whole DML (for gauges only; amounts themselves stay exact integers).
pub fn as_dml(wei: alloy_primitives::U256) -> f64 {
    let whole: u128 = (wei / alloy_primitives::U256::from(10u64.pow(18))).saturating_to();
    let frac: u128 = (wei % alloy_primitives::U256::from(10u64.pow(18))).saturating_to();
    whole as f64 + frac as f64 / 1e18
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_labelled_counters() {
        let metrics = Metrics::new();
        let label = SolverLabel { solver: "0xabc".into() };
        metrics.tasks_seen.get_or_create(&label).inc();
        metrics
            .transactions_sent
            .get_or_create(&ActionLabels { solver: "0xabc".into(), action: "commit".into() })
            .inc_by(2);
        let text = metrics.encode();
        assert!(text.contains("dml_solver_tasks_seen_total{solver=\"0xabc\"} 1"), "{text}");
        assert!(text.contains("dml_solver_transactions_sent_total{solver=\"0xabc\",action=\"commit\"} 2"), "{text}");
        assert_eq!(as_dml(alloy_primitives::U256::from(1_500_000_000_000_000_000u128)), 1.5);
        metrics.delegator_rewards.get_or_create(&label).inc_by(0.25);
        metrics.delegation_commission.get_or_create(&label).set(0.05);
        let text = metrics.encode();
        assert!(text.contains("dml_solver_delegator_rewards_total{solver=\"0xabc\"} 0.25"), "{text}");
        assert!(text.contains("dml_solver_delegation_commission{solver=\"0xabc\"} 0.05"), "{text}");
    }
}
