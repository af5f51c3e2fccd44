//! The committed compiler output (`artifacts/*.json`), embedded in the crate
//! and parsed once on first use.
//!
//! The artifacts are what `build-contracts.sh` writes; CI rebuilds them with
//! the pinned compiler and fails on any difference, so the bytes here are the
//! bytes the sources compile to. Uniswap V2's artifacts are not compiled: they
//! are the published npm builds, copied unmodified, and `--check` fails when
//! they differ from the pinned packages' bytes.

use std::sync::LazyLock;

use alloy_primitives::{b256, Bytes, B256};
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
    /// `LiquidityStaking` (contracts/LiquidityStaking.sol): stake the DML/WETH
    /// LP token, earn the engine's liquidity rewards.
    LiquidityStaking,
}

impl GovernanceContract {
    /// Every contract we compile and ship, in build order (the test fixture
    /// `RewardSource` is compiled too but not shipped).
    pub const ALL: [GovernanceContract; 4] =
        [Self::Governor, Self::Timelock, Self::RefVotesToken, Self::LiquidityStaking];

    /// The Solidity contract name (also the artifact's file stem).
    pub fn name(self) -> &'static str {
        match self {
            Self::Governor => "DMLGovernor",
            Self::Timelock => "TimelockController",
            Self::RefVotesToken => "RefVotesToken",
            Self::LiquidityStaking => "LiquidityStaking",
        }
    }

    /// The contract's parsed artifact.
    pub fn artifact(self) -> &'static Artifact {
        match self {
            Self::Governor => &GOVERNOR,
            Self::Timelock => &TIMELOCK,
            Self::RefVotesToken => &REF_VOTES_TOKEN,
            Self::LiquidityStaking => &LIQUIDITY_STAKING,
        }
    }
}

/// One of Uniswap V2's published builds, copied from npm unmodified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UniswapContract {
    /// `UniswapV2Factory` (`@uniswap/v2-core` 1.0.1).
    Factory,
    /// `UniswapV2Pair` (`@uniswap/v2-core` 1.0.1): created by the factory with CREATE2.
    Pair,
    /// `UniswapV2Router02` (`@uniswap/v2-periphery` 1.1.0-beta.0).
    Router02,
    /// `WETH9` (`@uniswap/v2-periphery` 1.1.0-beta.0, its test WETH).
    Weth9,
}

impl UniswapContract {
    /// Every Uniswap build, in copy order.
    pub const ALL: [UniswapContract; 4] = [Self::Factory, Self::Pair, Self::Router02, Self::Weth9];

    /// The contract name (also the artifact's file stem).
    pub fn name(self) -> &'static str {
        match self {
            Self::Factory => "UniswapV2Factory",
            Self::Pair => "UniswapV2Pair",
            Self::Router02 => "UniswapV2Router02",
            Self::Weth9 => "WETH9",
        }
    }

    /// The build's parsed artifact.
    pub fn artifact(self) -> &'static Artifact {
        match self {
            Self::Factory => &UNISWAP_FACTORY,
            Self::Pair => &UNISWAP_PAIR,
            Self::Router02 => &UNISWAP_ROUTER02,
            Self::Weth9 => &WETH9,
        }
    }
}

/// keccak256 of `UniswapV2Pair`'s creation code: the init-code hash every
/// Uniswap V2 deployment uses, compiled into Router02's pair-address
/// computation (`UniswapV2Library.pairFor`).
pub const UNISWAP_V2_PAIR_INIT_CODE_HASH: B256 =
    b256!("96e8ac4277198ff8b6f785478aa9a39f403cb768dd02cbee326c3e7da348845f");

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
    /// The solc settings it was built with (evmVersion, optimizer, viaIR,
    /// metadata); for a copied build, those its metadata records (`null` when
    /// it has none).
    pub settings: serde_json::Value,
    /// Where a copied (not compiled) artifact comes from; `None` for ours.
    #[serde(default)]
    pub origin: Option<NpmOrigin>,
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
    /// "solc-js" for ours; "solc" for the copied Uniswap builds.
    pub name: String,
    /// The full solc version, e.g. "0.8.30+commit.73712a01.Emscripten.clang"
    /// (for the Uniswap periphery builds, which carry no metadata, the
    /// version their sources' exact pragma names: "0.6.6").
    pub version: String,
}

/// The npm package a copied artifact was taken from, unmodified.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NpmOrigin {
    /// The package, e.g. "@uniswap/v2-core".
    pub package: String,
    /// Its exact version, pinned in package.json and package-lock.json.
    pub version: String,
    /// The build file inside the package, e.g. "build/UniswapV2Pair.json".
    pub file: String,
}

pub(crate) fn parse(name: &str, json: &str) -> Artifact {
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

static LIQUIDITY_STAKING: LazyLock<Artifact> =
    LazyLock::new(|| parse("LiquidityStaking", include_str!("../artifacts/LiquidityStaking.json")));
static UNISWAP_FACTORY: LazyLock<Artifact> =
    LazyLock::new(|| parse("UniswapV2Factory", include_str!("../artifacts/UniswapV2Factory.json")));
static UNISWAP_PAIR: LazyLock<Artifact> =
    LazyLock::new(|| parse("UniswapV2Pair", include_str!("../artifacts/UniswapV2Pair.json")));
static UNISWAP_ROUTER02: LazyLock<Artifact> =
    LazyLock::new(|| parse("UniswapV2Router02", include_str!("../artifacts/UniswapV2Router02.json")));
static WETH9: LazyLock<Artifact> = LazyLock::new(|| parse("WETH9", include_str!("../artifacts/WETH9.json")));

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

/// `LiquidityStaking`'s creation code (without constructor arguments).
pub fn liquidity_staking_creation_code() -> &'static [u8] {
    &LIQUIDITY_STAKING.bytecode
}

/// `UniswapV2Factory`'s published creation code (without constructor arguments).
pub fn uniswap_factory_creation_code() -> &'static [u8] {
    &UNISWAP_FACTORY.bytecode
}

/// `UniswapV2Pair`'s published creation code (the factory deploys it; its
/// keccak256 is [`UNISWAP_V2_PAIR_INIT_CODE_HASH`]).
pub fn uniswap_pair_creation_code() -> &'static [u8] {
    &UNISWAP_PAIR.bytecode
}

/// `UniswapV2Router02`'s published creation code (without constructor arguments).
pub fn uniswap_router02_creation_code() -> &'static [u8] {
    &UNISWAP_ROUTER02.bytecode
}

/// `WETH9`'s published creation code (it takes no constructor arguments).
pub fn weth9_creation_code() -> &'static [u8] {
    &WETH9.bytecode
}
