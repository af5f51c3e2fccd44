//! The governance contracts of DML: `DMLGovernor` (OpenZeppelin 5.x `Governor`
//! with settings, simple counting, token votes, a quorum fraction, timelock
//! control and proposal storage) and OpenZeppelin's `TimelockController`, as
//! Solidity sources, their committed bytecode, and Rust bindings to deploy
//! them, call them and explain their reverts.
//!
//! The bytecode is the committed compiler output under `artifacts/`, built by
//! `build-contracts.sh` with a pinned `solc` and OpenZeppelin release and
//! rebuilt byte for byte by CI; this crate embeds it and never compiles
//! anything itself. The ABI is declared once with alloy's `sol!` ([`IGovernor`],
//! [`ITimelockController`], [`IVotesErrors`]) and tested against the
//! artifacts. The crate does no I/O: deploying is building the payload of a
//! creation transaction, which the caller sends (the dev chain at genesis, a
//! deploy script on Arbitrum). It is not the DML token, which is a native
//! contract of the chain crates; `RefVotesToken` here is OpenZeppelin's own
//! votes token, kept for tests and benchmarks.
//!
//! It also ships the building blocks of LP staking: Uniswap V2's published
//! builds (factory, pair, Router02, WETH9; copied from npm, not recompiled)
//! with bindings ([`IUniswapV2Factory`], [`IUniswapV2Pair`],
//! [`IUniswapV2Router02`], [`IWETH9`]), and `LiquidityStaking`
//! ([`ILiquidityStaking`]), which shares the engine's liquidity rewards among
//! the stakers of the DML/WETH LP token.
//!
//! And the contracts that request inference (whitepaper appendix A): an NFT
//! whose image a model generates ([`IDmlImageNFT`]), prize competitions over a
//! model's outputs ([`IDmlCompetition`]) and a text model continuing its own
//! output step by step ([`IDmlTaskChain`]), built on the engine's task
//! callbacks, with the callback test fixture [`ITestTaskReceiver`].
//!
//! ```
//! use dml_governance::{governor_deploy_code, timelock_deploy_code, GovernorParams};
//! use dml_governance::alloy_primitives::{Address, U256};
//!
//! let params = GovernorParams::default();
//! let (token, governor, timelock) = (Address::repeat_byte(1), Address::repeat_byte(2), Address::repeat_byte(3));
//! let timelock_code =
//!     timelock_deploy_code(U256::from(params.timelock_delay), &[governor], &[Address::ZERO], Address::ZERO);
//! let governor_code = governor_deploy_code(&params, token, timelock).unwrap();
//! assert!(governor_code.len() > timelock_code.len());
//! ```
#![warn(missing_docs)]

mod abi;
mod artifacts;
mod deploy;
mod params;
mod requesters;
mod revert;
mod staking;
mod state;
mod uniswap;

pub use alloy_primitives;
pub use alloy_sol_types;

pub use abi::{IGovernor, ITimelockController, IVotesErrors};
pub use artifacts::{
    governor_creation_code, liquidity_staking_creation_code, ref_votes_token_creation_code, timelock_creation_code,
    uniswap_factory_creation_code, uniswap_pair_creation_code, uniswap_router02_creation_code, weth9_creation_code,
    Artifact, Compiler, GovernanceContract, NpmOrigin, UniswapContract, MAX_DEPLOYED_CODE_BYTES,
    UNISWAP_V2_PAIR_INIT_CODE_HASH,
};
pub use deploy::{
    governor_deploy_code, liquidity_staking_deploy_code, ref_votes_token_deploy_code, timelock_deploy_code,
    uniswap_factory_deploy_code, uniswap_router02_deploy_code, weth9_deploy_code,
};
pub use params::{GovernorParams, GovernorParamsError};
pub use requesters::{
    competition_creation_code, competition_deploy_code, image_nft_creation_code, image_nft_deploy_code,
    task_chain_creation_code, task_chain_deploy_code, test_task_receiver_creation_code, test_task_receiver_deploy_code,
    ChainFinishReason, IDmlCompetition, IDmlImageNFT, IDmlTaskChain, ITestTaskReceiver, ImageNftConfig,
    RequesterContract,
};
pub use revert::{decode_revert, format_dml};
pub use staking::ILiquidityStaking;
pub use state::{OperationState, ProposalState};
pub use uniswap::{uniswap_pair_address, IUniswapV2Factory, IUniswapV2Pair, IUniswapV2Router02, IWETH9};

/// Vote types of `castVote` under `GovernorCountingSimple` (Bravo's).
pub mod support {
    /// A vote against.
    pub const AGAINST: u8 = 0;
    /// A vote for.
    pub const FOR: u8 = 1;
    /// An abstention (counts toward quorum).
    pub const ABSTAIN: u8 = 2;
}
