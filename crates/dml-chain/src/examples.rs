//! The example contracts that request inference (whitepaper appendix A),
//! deployed at genesis when the configuration enables them (`dml devnet
//! --examples`), by real creation transactions of their own keyless
//! deployer, [`EXAMPLES_DEPLOYER`], after governance and liquidity:
//!
//! | nonce | contract |
//! | --- | --- |
//! | 0 | `DmlImageNFT(engine, model, fee, callback fee, callback gas, gateway, "DML Generations", "DMLGEN")`: A.1, every mint requests a picture (or text) and its token points at the solution's CID |
//! | 1 | `DmlCompetition(engine)`: A.2, competitions over task outputs |
//! | 2 | `DmlTaskChain(engine, fee, callback fee, callback gas)`: A.4, each solution becomes the next task's input |
//!
//! Their own deployer keeps their addresses the same whatever the rest of
//! the genesis sends (the liquidity seed adds transactions to the genesis
//! deployer's nonces). None of them has an owner.

use alloy_primitives::{address, Address, B256};
use dml_governance::{competition_deploy_code, image_nft_deploy_code, task_chain_deploy_code, ImageNftConfig};

use crate::{
    config::{ExamplesConfig, GenesisModel},
    deployer::GenesisDeployer,
    ChainError,
};

/// The keyless account that deploys the example contracts at genesis.
pub const EXAMPLES_DEPLOYER: Address = address!("00000000000000000000000000000000000d0eee");

/// Where the example contracts live.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExampleAddresses {
    /// `DmlImageNFT` (A.1).
    pub nft: Address,
    /// `DmlCompetition` (A.2).
    pub competition: Address,
    /// `DmlTaskChain` (A.4).
    pub task_chain: Address,
}

impl ExampleAddresses {
    /// The addresses the genesis deployment creates.
    pub fn at_genesis() -> Self {
        Self {
            nft: EXAMPLES_DEPLOYER.create(0),
            competition: EXAMPLES_DEPLOYER.create(1),
            task_chain: EXAMPLES_DEPLOYER.create(2),
        }
    }
}

/// The model `named` (an id, or a genesis template's name; `None`: the first
/// genesis model) among the genesis `models`, registered as `ids`.
pub(crate) fn resolve_model(named: Option<&str>, models: &[GenesisModel], ids: &[B256]) -> Result<B256, ChainError> {
    let error = |what: String| Err(ChainError::Config(format!("examples: nft_model: {what}")));
    let Some(named) = named else {
        return match ids.first() {
            Some(id) => Ok(*id),
            None => error("none given and no model is registered at genesis".into()),
        };
    };
    if let Ok(id) = named.parse::<B256>() {
        return Ok(id);
    }
    let name_of = |model: &GenesisModel| {
        serde_json::from_str::<serde_json::Value>(&model.template)
            .ok()
            .and_then(|template| template.get("name").and_then(|name| name.as_str()).map(str::to_owned))
    };
    match models.iter().zip(ids).find(|(model, _)| name_of(model).as_deref() == Some(named)) {
        Some((_, id)) => Ok(*id),
        None => error(format!("no genesis model is named `{named}`")),
    }
}

/// Deploys the examples; `nft_model` is the model the NFT mints with.
pub(crate) fn deploy(
    deployer: &mut GenesisDeployer<'_>,
    config: &ExamplesConfig,
    nft_model: B256,
) -> Result<ExampleAddresses, ChainError> {
    let error = |what: String| ChainError::Config(format!("example contracts at genesis: {what}"));
    let engine = deployer.contracts().engine;
    let addresses = ExampleAddresses::at_genesis();
    deployer.set_caller(EXAMPLES_DEPLOYER);
    let nft = ImageNftConfig {
        engine,
        model: nft_model,
        task_fee: config.task_fee,
        callback_fee: config.callback_fee,
        callback_gas_limit: config.callback_gas_limit,
        gateway_base: config.gateway_base.clone(),
        name: "DML Generations".into(),
        symbol: "DMLGEN".into(),
    };
    let created = [
        ("DmlImageNFT", image_nft_deploy_code(&nft), addresses.nft),
        ("DmlCompetition", competition_deploy_code(engine), addresses.competition),
        (
            "DmlTaskChain",
            task_chain_deploy_code(engine, config.task_fee, config.callback_fee, config.callback_gas_limit),
            addresses.task_chain,
        ),
    ];
    for (name, code, expected) in created {
        let at = deployer.create(name, code).map_err(error)?;
        if at != expected {
            return Err(error(format!("the {name} landed at {at}, not {expected}")));
        }
    }
    Ok(addresses)
}
