//! LP staking at genesis (whitepaper §5, way 4): Uniswap V2 as published
//! (WETH9, the factory and Router02, from `dml-governance`'s copies of the
//! npm builds), the DML/WETH pair, and `LiquidityStaking`, which pays the
//! engine's liquidity share of every mint to the stakers of the pair's LP
//! token. All of it is deployed by real transactions from the genesis
//! deployer, right after governance.
//!
//! The deployer's transactions, by nonce (0 and 1 are governance's):
//!
//! | nonce | transaction |
//! | --- | --- |
//! | 2 | create `WETH9` |
//! | 3 | create `UniswapV2Factory(feeToSetter: the timelock)`: only a proposal may turn the protocol fee on |
//! | 4 | create `UniswapV2Router02(factory, WETH9)` |
//! | 5 | `factory.createPair(DML, WETH9)`: the pair, by CREATE2 with Uniswap's init-code hash |
//! | 6 | create `LiquidityStaking(pair, DML, engine)` |
//! | 7 | `DML.approve(router, seed DML)` (when seeded) |
//! | 8 | `router.addLiquidityETH{value: seed ETH}(DML, seed DML, …)`, LP tokens to the configured recipient (when seeded) |
//!
//! The genesis allocates the seed DML and ETH to the deployer, and all of it
//! goes into the pair: the deployer ends with no ETH, no DML and no LP
//! tokens, and, having no key, could use none. The engine's genesis names
//! the staking contract its liquidity pool unless the configuration names
//! another, so `withdrawLiquidityRewards()` (which the staking contract calls
//! on every stake, withdrawal and claim) pays the stakers.

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolCall;
use dml_engine::ContractAddresses;
use dml_governance::{IUniswapV2Factory, IUniswapV2Router02};
use dml_primitives::IDmlToken;

use crate::{deployer::GenesisDeployer, ChainError, GENESIS_DEPLOYER};

/// The deployer's nonce of the first liquidity transaction (after the
/// timelock's and the Governor's creations).
const FIRST_NONCE: u64 = 2;

/// Where the DML/WETH pool and its LP staking live on a chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LiquidityAddresses {
    /// `WETH9`: wrapped ETH, the pair's other token.
    pub weth: Address,
    /// `UniswapV2Factory`.
    pub factory: Address,
    /// `UniswapV2Router02`: adds and removes liquidity, swaps.
    pub router: Address,
    /// The DML/WETH `UniswapV2Pair`, whose ERC-20 is the LP token.
    pub pair: Address,
    /// `LiquidityStaking`: stake the LP token, earn the engine's liquidity rewards.
    pub staking: Address,
}

impl LiquidityAddresses {
    /// The addresses the genesis deployment creates on the dev chain (whose
    /// DML token is at [`ContractAddresses::default`]).
    pub fn at_genesis() -> Self {
        Self::for_token(ContractAddresses::default().token)
    }

    /// The addresses the genesis deployment creates with the DML token at
    /// `token`: the deployer's CREATE addresses at nonces 2, 3, 4 and 6, and
    /// the factory's CREATE2 address of the DML/WETH pair.
    pub fn for_token(token: Address) -> Self {
        let weth = GENESIS_DEPLOYER.create(FIRST_NONCE);
        let factory = GENESIS_DEPLOYER.create(FIRST_NONCE + 1);
        Self {
            weth,
            factory,
            router: GENESIS_DEPLOYER.create(FIRST_NONCE + 2),
            pair: dml_governance::uniswap_pair_address(factory, token, weth),
            staking: GENESIS_DEPLOYER.create(FIRST_NONCE + 4),
        }
    }
}

/// The liquidity the genesis adds to the pair, in base units.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Seed {
    /// DML base units (allocated to the deployer by the engine's genesis).
    pub(crate) dml: U256,
    /// Wei (the deployer's genesis balance).
    pub(crate) wei: U256,
    /// Receives the LP tokens.
    pub(crate) recipient: Address,
}

/// Deploys WETH9, the factory (its fee setter `timelock`), Router02, the
/// DML/WETH pair and the staking contract, then adds `seed` to the pair.
pub(crate) fn deploy(
    deployer: &mut GenesisDeployer<'_>,
    timelock: Address,
    seed: Option<Seed>,
) -> Result<LiquidityAddresses, ChainError> {
    let error = |what: &str| ChainError::Config(format!("liquidity genesis: {what}"));
    let contracts = deployer.contracts();
    let addresses = LiquidityAddresses::for_token(contracts.token);
    if deployer.nonce() != FIRST_NONCE {
        return Err(error(&format!("the deployer's nonce is {}, not {FIRST_NONCE}", deployer.nonce())));
    }
    let expect = |name: &str, created: Address, expected: Address| {
        if created == expected {
            Ok(())
        } else {
            Err(error(&format!("the {name} landed at {created}, not {expected}")))
        }
    };

    let weth = deployer.create("WETH9", dml_governance::weth9_deploy_code()).map_err(|e| error(&e))?;
    expect("WETH9", weth, addresses.weth)?;
    let factory = deployer
        .create("UniswapV2Factory", dml_governance::uniswap_factory_deploy_code(timelock))
        .map_err(|e| error(&e))?;
    expect("UniswapV2Factory", factory, addresses.factory)?;
    let router = deployer
        .create("UniswapV2Router02", dml_governance::uniswap_router02_deploy_code(factory, weth))
        .map_err(|e| error(&e))?;
    expect("UniswapV2Router02", router, addresses.router)?;
    let create_pair = IUniswapV2Factory::createPairCall { tokenA: contracts.token, tokenB: weth };
    let output =
        deployer.call("createPair(DML, WETH)", factory, U256::ZERO, create_pair.abi_encode()).map_err(|e| error(&e))?;
    let pair = IUniswapV2Factory::createPairCall::abi_decode_returns(&output)
        .map_err(|e| error(&format!("createPair returned {output}: {e}")))?;
    expect("DML/WETH pair", pair, addresses.pair)?;
    let staking = deployer
        .create(
            "LiquidityStaking",
            dml_governance::liquidity_staking_deploy_code(pair, contracts.token, contracts.engine),
        )
        .map_err(|e| error(&e))?;
    expect("LiquidityStaking", staking, addresses.staking)?;

    if let Some(seed) = seed {
        let approve = IDmlToken::approveCall { spender: router, amount: seed.dml };
        deployer
            .call("approving the router", contracts.token, U256::ZERO, approve.abi_encode())
            .map_err(|e| error(&e))?;
        let add = IUniswapV2Router02::addLiquidityETHCall {
            token: contracts.token,
            amountTokenDesired: seed.dml,
            amountTokenMin: seed.dml,
            amountETHMin: seed.wei,
            to: seed.recipient,
            deadline: deployer.timestamp(),
        };
        let output = deployer
            .call("adding the seed liquidity (addLiquidityETH)", router, seed.wei, add.abi_encode())
            .map_err(|e| error(&e))?;
        let added = IUniswapV2Router02::addLiquidityETHCall::abi_decode_returns(&output)
            .map_err(|e| error(&format!("addLiquidityETH returned {output}: {e}")))?;
        if (added.amountToken, added.amountETH) != (seed.dml, seed.wei) {
            return Err(error(&format!(
                "addLiquidityETH took {} DML units and {} wei, not the seed's {} and {}",
                added.amountToken, added.amountETH, seed.dml, seed.wei
            )));
        }
        tracing::debug!(lp_tokens = %added.liquidity, recipient = %seed.recipient, "seeded the DML/WETH pair");
    }
    Ok(addresses)
}
