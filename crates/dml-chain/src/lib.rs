//! The DML dev chain: a local Ethereum node on [`revm`] that hosts the DML
//! engine and token as native contracts.
//!
//! Real Ethereum tooling (viem, ethers, alloy, wallets, Solidity contracts)
//! talks to it unchanged over JSON-RPC on HTTP and WebSocket. It verifies
//! signed legacy (EIP-155), EIP-2930 and EIP-1559 transactions, mines a block
//! per transaction (or on an interval), keeps out-of-order nonces in a pool
//! until the gap fills, and persists each block through a journal into redb
//! (see [`journal`]).
//! The engine and the token are stateful precompiles at the fixed addresses of
//! [`dml_engine::ContractAddresses::default`], their state is their own
//! account storage, and they charge the gas the engine reports.
//!
//! It answers the JSON-RPC methods Ethereum tools use, with anvil's shapes
//! and error codes: unlocked and impersonated senders, signing, poll filters,
//! tracing, the pool, and the `anvil_*`/`evm_*`/`hardhat_*` dev controls.
//! It is a development node, not a consensus client: one producer, no peers,
//! no blob transactions.
//!
//! ```no_run
//! # async fn run() -> Result<(), dml_chain::ChainError> {
//! let mut config = dml_chain::NodeConfig::default();
//! config.rpc_address = "127.0.0.1:0".parse().unwrap();
//! let node = dml_chain::spawn(config).await?;
//! println!("JSON-RPC at {}", node.http_url());
//! node.shutdown().await;
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

pub mod block;
pub mod chain;
pub mod cli;
pub mod config;
mod deployer;
pub mod examples;
pub mod filters;
pub mod governance;
pub mod journal;
pub mod liquidity;
pub mod node;
pub mod pool;
pub mod precompile;
pub mod rpc;
pub mod shared;
pub mod state;
pub mod store;
pub mod trie;
pub mod unlocked;

pub use chain::{CallFailure, Chain, TxError};
pub use config::{ExamplesConfig, GenesisConfig, GenesisModel, LiquidityConfig, NodeConfig, DEV_MNEMONIC};
pub use examples::{ExampleAddresses, EXAMPLES_DEPLOYER};
pub use governance::{GovernanceAddresses, GENESIS_DEPLOYER};
pub use liquidity::LiquidityAddresses;
pub use node::{spawn, NodeHandle};

/// Why the node could not start or a block could not be committed.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// A bad configuration or genesis file.
    #[error("configuration: {0}")]
    Config(String),
    /// The database failed.
    #[error("storage: {0}")]
    Storage(String),
    /// The RPC server could not start.
    #[error("rpc: {0}")]
    Rpc(String),
    /// Re-executing the stored blocks disagreed with them.
    #[error("replay: {0}")]
    Replay(String),
}
