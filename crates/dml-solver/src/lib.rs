//! The DML solver daemon.
//!
//! A solver watches the engine for `TaskSubmitted`, reads each task's input
//! from the submitting transaction's calldata (checked against the CID the
//! engine stored), runs the model with the task's seed, pins the output in a
//! content store, commits to its CID, reveals it in a later block and claims
//! fee and reward after the claim window. It also reruns other solvers'
//! solutions on the models it serves, contests the ones that differ, votes on
//! contestations and finishes them when the vote closes.
//!
//! It speaks only Ethereum JSON-RPC and the kubo content API, so the same
//! daemon runs against the dev chain or a real deployment. Its state (jobs,
//! scan cursor, nonce, signed transactions in flight) lives in one redb file,
//! changed in atomic steps: killed at any moment, it resumes without sending
//! anything twice or dropping a claim (see [`store`]).
//!
//! ```no_run
//! # async fn start(config: dml_solver::SolverConfig) -> Result<(), dml_solver::SolverError> {
//! let solver = dml_solver::spawn(config, dml_solver::Metrics::new(), Default::default()).await?;
//! println!("solving as {}", solver.address());
//! solver.wait().await
//! # }
//! ```
#![warn(missing_docs)]

pub mod chain;
pub mod config;
pub mod daemon;
pub mod job;
pub mod metrics;
pub mod runner;
pub mod store;

pub use config::{Commission, CommissionError, Policy, RunnerConfig, ServedModel, SolverConfig};
pub use daemon::{spawn, SolverHandle, FAILPOINT_ENV};
pub use job::{Ending, Job, Phase};
pub use metrics::Metrics;
pub use runner::BuiltinCache;

/// Why the solver could not start or a step failed.
#[derive(Debug, thiserror::Error)]
pub enum SolverError {
    /// A bad configuration, or a model that cannot be served.
    #[error("configuration: {0}")]
    Config(String),
    /// The node failed or answered something unexpected.
    #[error("rpc: {0}")]
    Rpc(String),
    /// A call would revert (its estimate failed); the reason.
    #[error("{0}")]
    Revert(String),
    /// The content store failed.
    #[error("content store: {0}")]
    Content(String),
    /// The job database failed.
    #[error("store: {0}")]
    Store(String),
}
