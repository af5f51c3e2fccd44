//! The `dml_` namespace: what only this chain has.

use alloy_primitives::Address;
use alloy_rpc_types_eth::TransactionRequest;
use dml_primitives::{IEngine, SolCall};
use serde_json::{json, Value};

use super::{codes, Params, RpcError};
use crate::shared::Shared;

/// The methods of the `dml_` namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DmlRequest {
    /// `dml_getContracts`: the engine, token, governance, liquidity and example addresses.
    Contracts,
}

impl DmlRequest {
    /// Parses a method of this namespace; `None` if it is not one.
    pub fn parse(method: &str, p: &Params) -> Result<Option<Self>, RpcError> {
        let request = match method {
            "dml_getContracts" => Self::Contracts,
            _ => return Ok(None),
        };
        p.at_most(0)?;
        Ok(Some(request))
    }
}

/// Serves one `dml_` method.
pub fn serve(shared: &Shared, request: DmlRequest) -> Result<Value, RpcError> {
    match request {
        DmlRequest::Contracts => {
            let chain = shared.chain();
            let contracts = chain.contracts();
            let treasury_call =
                TransactionRequest::default().to(contracts.engine).input(IEngine::treasuryCall {}.abi_encode().into());
            let output = chain.call(&treasury_call, chain.head_number())?.output;
            let treasury = IEngine::treasuryCall::abi_decode_returns(&output)
                .map_err(|error| RpcError::new(codes::INTERNAL_ERROR, error.to_string()))?;
            let governance = crate::GovernanceAddresses::at_genesis();
            // A chain created before LP staking joined the genesis has none.
            let liquidity = crate::LiquidityAddresses::for_token(contracts.token);
            let deployed = |address: Address| (!chain.state().code_at(&address).is_empty()).then_some(address);
            let examples = crate::ExampleAddresses::at_genesis();
            let examples = deployed(examples.nft).map(|_| {
                json!({
                    "nft": examples.nft,
                    "competition": examples.competition,
                    "taskChain": examples.task_chain,
                })
            });
            Ok(json!({
                "engine": contracts.engine,
                "token": contracts.token,
                "treasury": treasury,
                "governor": governance.governor,
                "timelock": governance.timelock,
                "weth": deployed(liquidity.weth),
                "factory": deployed(liquidity.factory),
                "router": deployed(liquidity.router),
                "pair": deployed(liquidity.pair),
                "liquidityStaking": deployed(liquidity.staking),
                "examples": examples,
            }))
        }
    }
}
