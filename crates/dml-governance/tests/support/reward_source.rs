//! `RewardSource` (contracts/test/RewardSource.sol), a TEST FIXTURE: it stands
//! in for the DML engine's `withdrawLiquidityRewards()` on a bare revm. The
//! real engine is a native contract of the dev chain (dml-chain hosts
//! dml-engine), which a bare EVM does not have; the fixture holds reward
//! tokens and pays a preset amount to its pool, with the engine's revert
//! reasons ("paused", "liquidity pool not set"). It is compiled by
//! build-contracts.sh like our contracts, but the crate does not ship it.

use std::sync::LazyLock;

use alloy_primitives::{Address, Bytes};
use alloy_sol_types::SolConstructor;
use dml_governance::Artifact;

alloy_sol_types::sol! {
    /// The fixture's ABI.
    contract RewardSource {
        constructor(address rewardToken_);
        function liquidityPool() external view returns (address);
        function nextPayout() external view returns (uint256);
        function paused() external view returns (bool);
        function setLiquidityPool(address pool) external;
        function setNextPayout(uint256 amount) external;
        function setPaused(bool paused_) external;
        function withdrawLiquidityRewards() external;
    }
}

static ARTIFACT: LazyLock<Artifact> = LazyLock::new(|| {
    serde_json::from_str(include_str!("../../artifacts/RewardSource.json")).expect("RewardSource.json parses")
});

/// The fixture's artifact.
pub fn artifact() -> &'static Artifact {
    &ARTIFACT
}

/// Deploys the fixture paying `reward_token`.
pub fn deploy_code(reward_token: Address) -> Bytes {
    let mut code = ARTIFACT.bytecode.to_vec();
    code.extend(RewardSource::constructorCall { rewardToken_: reward_token }.abi_encode());
    code.into()
}
