//! Governance at genesis: the timelock and the Governor (OpenZeppelin 5.x,
//! from `dml-governance`) deployed by real contract-creation transactions,
//! constructors and all, before the first block.
//!
//! A keyless deployer, [`GENESIS_DEPLOYER`], sends two creations: first the
//! `TimelockController` (delay from the genesis configuration; proposer and
//! canceller: the Governor, whose address is the deployer's next CREATE
//! address; executor: anyone; no admin, so the timelock administers itself
//! alone), then the `DMLGovernor` on the DML token and that timelock. The
//! deployer is left with no role anywhere, and since it has no key it could
//! not use one. The engine's genesis names the timelock its owner and
//! treasury, so from block 1 on only a passed proposal changes the protocol.

use alloy_primitives::{address, Address, U256};
use dml_governance::GovernorParams;

use crate::{deployer::GenesisDeployer, ChainError};

/// The account that deploys the governance contracts at genesis (and then
/// the liquidity contracts, see [`crate::liquidity`]). It has no private key:
/// nobody can send from it.
pub const GENESIS_DEPLOYER: Address = address!("00000000000000000000000000000000000d0e00");

/// Where governance lives on a chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GovernanceAddresses {
    /// The `DMLGovernor`.
    pub governor: Address,
    /// The `TimelockController`: owner of the engine and holder of the treasury.
    pub timelock: Address,
}

impl GovernanceAddresses {
    /// The addresses the genesis deployment creates (the deployer's nonces 0 and 1).
    pub fn at_genesis() -> Self {
        Self { timelock: GENESIS_DEPLOYER.create(0), governor: GENESIS_DEPLOYER.create(1) }
    }
}

/// Runs the two deployment transactions on the genesis state.
pub(crate) fn deploy(
    deployer: &mut GenesisDeployer<'_>,
    params: &GovernorParams,
) -> Result<GovernanceAddresses, ChainError> {
    let error = |what: &str| ChainError::Config(format!("governance genesis: {what}"));
    params.validate().map_err(|e| error(&e.to_string()))?;
    let addresses = GovernanceAddresses::at_genesis();
    let timelock_code = dml_governance::timelock_deploy_code(
        U256::from(params.timelock_delay),
        &[addresses.governor],
        &[Address::ZERO],
        Address::ZERO,
    );
    let governor_code = dml_governance::governor_deploy_code(params, deployer.contracts().token, addresses.timelock)
        .map_err(|e| error(&e.to_string()))?;
    for (name, code, expected) in
        [("timelock", timelock_code, addresses.timelock), ("governor", governor_code, addresses.governor)]
    {
        let created = deployer.create(name, code).map_err(|e| error(&e))?;
        if created != expected {
            return Err(error(&format!("the {name} landed at {created}, not {expected}")));
        }
    }
    Ok(addresses)
}
