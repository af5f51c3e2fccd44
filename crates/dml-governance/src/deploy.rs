//! Deployment payloads: a contract's creation code followed by its
//! ABI-encoded constructor arguments, ready to be the input of a contract
//! creation transaction (constructors must run: they set immutables and
//! grant the timelock's roles).

use alloy_primitives::{aliases::U48, Address, Bytes, U256};
use alloy_sol_types::SolConstructor;

use crate::{
    artifacts::{
        governor_creation_code, liquidity_staking_creation_code, ref_votes_token_creation_code, timelock_creation_code,
        uniswap_factory_creation_code, uniswap_router02_creation_code, weth9_creation_code,
    },
    GovernorParams, GovernorParamsError,
};

alloy_sol_types::sol! {
    /// The constructors of the compiled contracts (the tests compare them with
    /// the artifacts' ABI).
    contract DMLGovernor {
        constructor(address token, address timelock, uint48 initialVotingDelay, uint32 initialVotingPeriod, uint256 initialProposalThreshold, uint256 quorumNumeratorValue);
    }

    contract TimelockController {
        constructor(uint256 minDelay, address[] proposers, address[] executors, address admin);
    }

    contract RefVotesToken {
        constructor(address holder, uint256 supply);
    }

    contract LiquidityStaking {
        constructor(address stakingToken_, address rewardToken_, address engine_);
    }

    contract UniswapV2Factory {
        constructor(address _feeToSetter);
    }

    contract UniswapV2Router02 {
        constructor(address _factory, address _WETH);
    }
}

fn concat(code: &[u8], arguments: Vec<u8>) -> Bytes {
    let mut payload = Vec::with_capacity(code.len() + arguments.len());
    payload.extend_from_slice(code);
    payload.extend_from_slice(&arguments);
    payload.into()
}

/// Deploys OpenZeppelin's `TimelockController`: `min_delay` seconds between
/// scheduling and execution, `proposers` (who also become cancellers),
/// `executors` (`Address::ZERO` among them lets anyone execute a ready
/// operation) and an optional `admin` (`Address::ZERO` for none: the timelock
/// then administers itself, only through proposals).
pub fn timelock_deploy_code(min_delay: U256, proposers: &[Address], executors: &[Address], admin: Address) -> Bytes {
    let arguments = TimelockController::constructorCall {
        minDelay: min_delay,
        proposers: proposers.to_vec(),
        executors: executors.to_vec(),
        admin,
    }
    .abi_encode();
    concat(timelock_creation_code(), arguments)
}

/// Deploys `DMLGovernor` on the votes `token`, executing through `timelock`,
/// with `params`' voting delay, voting period, proposal threshold and quorum
/// (`params.timelock_delay` belongs to [`timelock_deploy_code`]). Fails when
/// [`GovernorParams::validate`] does, as the constructor would (or would
/// truncate).
pub fn governor_deploy_code(
    params: &GovernorParams,
    token: Address,
    timelock: Address,
) -> Result<Bytes, GovernorParamsError> {
    params.validate()?;
    let arguments = DMLGovernor::constructorCall {
        token,
        timelock,
        initialVotingDelay: U48::from(params.voting_delay),
        initialVotingPeriod: params.voting_period as u32,
        initialProposalThreshold: params.proposal_threshold,
        quorumNumeratorValue: U256::from(params.quorum_percent),
    }
    .abi_encode();
    Ok(concat(governor_creation_code(), arguments))
}

/// Deploys `RefVotesToken` (tests and benchmarks only) minting `supply` base
/// units to `holder`.
pub fn ref_votes_token_deploy_code(holder: Address, supply: U256) -> Bytes {
    let arguments = RefVotesToken::constructorCall { holder, supply }.abi_encode();
    concat(ref_votes_token_creation_code(), arguments)
}

/// Deploys `LiquidityStaking`: stakers of `staking_token` (the DML/WETH LP
/// token) share the `reward_token` (DML) that `engine`'s
/// `withdrawLiquidityRewards()` pays it. The constructor refuses a zero token
/// address and equal tokens.
pub fn liquidity_staking_deploy_code(staking_token: Address, reward_token: Address, engine: Address) -> Bytes {
    let arguments =
        LiquidityStaking::constructorCall { stakingToken_: staking_token, rewardToken_: reward_token, engine_: engine }
            .abi_encode();
    concat(liquidity_staking_creation_code(), arguments)
}

/// Deploys Uniswap's `UniswapV2Factory`; `fee_to_setter` may later turn on
/// the protocol fee (`Address::ZERO`: never).
pub fn uniswap_factory_deploy_code(fee_to_setter: Address) -> Bytes {
    let arguments = UniswapV2Factory::constructorCall { _feeToSetter: fee_to_setter }.abi_encode();
    concat(uniswap_factory_creation_code(), arguments)
}

/// Deploys `WETH9` (no constructor arguments).
pub fn weth9_deploy_code() -> Bytes {
    Bytes::copy_from_slice(weth9_creation_code())
}

/// Deploys Uniswap's `UniswapV2Router02` over `factory` and `weth`.
pub fn uniswap_router02_deploy_code(factory: Address, weth: Address) -> Bytes {
    let arguments = UniswapV2Router02::constructorCall { _factory: factory, _WETH: weth }.abi_encode();
    concat(uniswap_router02_creation_code(), arguments)
}

/// The constructor signatures, for the ABI tests: `(contract, "(type,…)")`.
#[cfg(test)]
pub(crate) fn constructor_signatures() -> [(&'static str, String); 6] {
    fn types<C: SolConstructor>() -> String {
        <C::Parameters<'_> as alloy_sol_types::SolType>::SOL_NAME.to_string()
    }
    [
        ("DMLGovernor", types::<DMLGovernor::constructorCall>()),
        ("TimelockController", types::<TimelockController::constructorCall>()),
        ("RefVotesToken", types::<RefVotesToken::constructorCall>()),
        ("LiquidityStaking", types::<LiquidityStaking::constructorCall>()),
        ("UniswapV2Factory", types::<UniswapV2Factory::constructorCall>()),
        ("UniswapV2Router02", types::<UniswapV2Router02::constructorCall>()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{GovernanceContract, UniswapContract};

    #[test]
    fn constructors_match_the_artifacts() {
        for (name, declared) in constructor_signatures() {
            let artifact = GovernanceContract::ALL
                .into_iter()
                .find(|c| c.name() == name)
                .map(GovernanceContract::artifact)
                .or_else(|| UniswapContract::ALL.into_iter().find(|c| c.name() == name).map(UniswapContract::artifact))
                .unwrap();
            let abi = artifact.abi.as_array().unwrap();
            let constructor = abi.iter().find(|item| item["type"] == "constructor").unwrap();
            let compiled: Vec<&str> =
                constructor["inputs"].as_array().unwrap().iter().map(|input| input["type"].as_str().unwrap()).collect();
            assert_eq!(declared, format!("({})", compiled.join(",")), "{name}");
        }
    }

    #[test]
    fn deploy_code_is_creation_code_then_arguments() {
        let holder = Address::repeat_byte(0xaa);
        let code = ref_votes_token_deploy_code(holder, U256::from(7u64));
        let creation = ref_votes_token_creation_code();
        assert_eq!(&code[..creation.len()], creation);
        assert_eq!(code.len(), creation.len() + 64);
        assert_eq!(&code[creation.len() + 12..creation.len() + 32], holder.as_slice());

        let timelock = timelock_deploy_code(U256::from(60u64), &[holder], &[Address::ZERO], Address::ZERO);
        // minDelay, two offsets, admin, then two arrays of one address each.
        assert_eq!(timelock.len(), timelock_creation_code().len() + 32 * 8);

        let bad = GovernorParams { quorum_percent: 200, ..GovernorParams::default() };
        assert_eq!(governor_deploy_code(&bad, holder, holder), Err(GovernorParamsError::QuorumOver100(200)));
        let good = governor_deploy_code(&GovernorParams::default(), holder, holder).unwrap();
        assert_eq!(good.len(), governor_creation_code().len() + 32 * 6);

        assert_eq!(&weth9_deploy_code()[..], weth9_creation_code());
        let factory = uniswap_factory_deploy_code(holder);
        assert_eq!(&factory[factory.len() - 20..], holder.as_slice());
        assert_eq!(uniswap_router02_deploy_code(holder, holder).len(), uniswap_router02_creation_code().len() + 64);
        let staking = liquidity_staking_deploy_code(holder, Address::repeat_byte(0xbb), Address::repeat_byte(0xcc));
        assert_eq!(staking.len(), liquidity_staking_creation_code().len() + 96);
    }
}
