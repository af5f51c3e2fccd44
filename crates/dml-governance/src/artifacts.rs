//! The committed compiler output (`artifacts/*.json`), embedded in the crate
//! and parsed once on first use.
//!
//! The artifacts are what `build-contracts.sh` writes; CI rebuilds them with
//! the pinned compiler and fails on any difference, so the bytes here are the
//! bytes the sources compile to.

use std::sync::LazyLock;

use alloy_primitives::Bytes;
use serde::Deserialize;

/// EIP-170: the largest deployed code an account may hold, in bytes.
pub const MAX_DEPLOYED_CODE_BYTES: usize = 24_576;

/// One of the contracts this crate ships.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GovernanceContract {
    /// `DMLGovernor` (contracts/DMLGovernor.sol).
    Governor,
    /// OpenZeppelin's `TimelockController`, unmodified.
    Timelock,
    /// `RefVotesToken` (contracts/reference/RefVotesToken.sol): OpenZeppelin's
    /// votes token, for tests and benchmarks only.
    RefVotesToken,
}

impl GovernanceContract {
    /// Every contract, in build order.
    pub const ALL: [GovernanceContract; 3] = [Self::Governor, Self::Timelock, Self::RefVotesToken];

    /// The Solidity contract name (also the artifact's file stem).
    pub fn name(self) -> &'static str {
        match self {
            Self::Governor => "DMLGovernor",
            Self::Timelock => "TimelockController",
            Self::RefVotesToken => "RefVotesToken",
        }
    }

    /// The contract's parsed artifact.
    pub fn artifact(self) -> &'static Artifact {
        match self {
            Self::Governor => &GOVERNOR,
            Self::Timelock => &TIMELOCK,
            Self::RefVotesToken => &REF_VOTES_TOKEN,
        }
    }
}

/// One compiled contract, as `build.mjs` writes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Artifact {
    /// The Solidity contract name.
    pub contract_name: String,
    /// The source unit it was compiled from (`contracts/…` or `@openzeppelin/…`).
    pub source_name: String,
    /// The compiler that built it.
    pub compiler: Compiler,
    /// The solc settings it was built with (evmVersion, optimizer, viaIR, metadata).
    pub settings: serde_json::Value,
    /// The contract's JSON ABI, as solc emits it.
    pub abi: serde_json::Value,
    /// Creation code: what a deployment transaction carries before the
    /// ABI-encoded constructor arguments.
    pub bytecode: Bytes,
    /// Runtime code: what the account holds once deployed (immutables zeroed).
    pub deployed_bytecode: Bytes,
}

/// The compiler an artifact names.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Compiler {
    /// "solc-js".
    pub name: String,
    /// The full solc version, e.g. "0.8.30+commit.73712a01.Emscripten.clang".
    pub version: String,
}

fn parse(name: &str, json: &str) -> Artifact {
    // The JSON is embedded at build time and checked by the crate's tests, so a
    // parse failure is a broken build, not a runtime condition.
    serde_json::from_str(json).unwrap_or_else(|error| panic!("artifacts/{name}.json is not a valid artifact: {error}"))
}

static GOVERNOR: LazyLock<Artifact> =
    LazyLock::new(|| parse("DMLGovernor", include_str!("../artifacts/DMLGovernor.json")));
static TIMELOCK: LazyLock<Artifact> =
    LazyLock::new(|| parse("TimelockController", include_str!("../artifacts/TimelockController.json")));
static REF_VOTES_TOKEN: LazyLock<Artifact> =
    LazyLock::new(|| parse("RefVotesToken", include_str!("../artifacts/RefVotesToken.json")));

/// `DMLGovernor`'s creation code (without constructor arguments).
pub fn governor_creation_code() -> &'static [u8] {
    &GOVERNOR.bytecode
}

/// `TimelockController`'s creation code (without constructor arguments).
pub fn timelock_creation_code() -> &'static [u8] {
    &TIMELOCK.bytecode
}

/// `RefVotesToken`'s creation code (without constructor arguments).
pub fn ref_votes_token_creation_code() -> &'static [u8] {
    &REF_VOTES_TOKEN.bytecode
}
