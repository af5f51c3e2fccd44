//! Uniswap V2's published builds work as published: on a bare revm, WETH9,
//! the factory and Router02 are deployed from this crate's payloads, a
//! DML/WETH pair (our reference ERC-20 standing in for DML) is created by
//! `addLiquidityETH`, and a swap moves the reserves exactly as Uniswap's
//! constant-product formula with the 0.3 % fee says, computed here
//! independently. The pair's init-code hash is the one compiled into Router02.

mod support;

use alloy_primitives::{address, keccak256, Address, U256};
use dml_governance::{
    ref_votes_token_deploy_code, uniswap_factory_deploy_code, uniswap_pair_address, uniswap_pair_creation_code,
    uniswap_router02_deploy_code, weth9_deploy_code, IUniswapV2Factory, IUniswapV2Pair, IUniswapV2Router02,
    UniswapContract, IWETH9, UNISWAP_V2_PAIR_INIT_CODE_HASH,
};
use dml_primitives::{IDmlToken, ONE_DML};
use revm::primitives::hardfork::SpecId;
use support::Evm;

const HOLDER: Address = address!("00000000000000000000000000000000000a11ce");
const TRADER: Address = address!("0000000000000000000000000000000000007ade");
const START: u64 = 1_700_000_000;
/// Uniswap V2's MINIMUM_LIQUIDITY, locked at address zero by the first mint.
const MINIMUM_LIQUIDITY: u64 = 1_000;

fn ether(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18u64))
}

/// `getAmountOut` of UniswapV2Library: the output of a swap of `amount_in` with the 0.3 % fee.
fn amount_out(amount_in: U256, reserve_in: U256, reserve_out: U256) -> U256 {
    let with_fee = amount_in * U256::from(997u64);
    with_fee * reserve_out / (reserve_in * U256::from(1_000u64) + with_fee)
}

#[test]
fn router02_has_the_pairs_init_code_hash_compiled_in() {
    let hash = keccak256(uniswap_pair_creation_code());
    assert_eq!(hash, UNISWAP_V2_PAIR_INIT_CODE_HASH);
    let runtime = &UniswapContract::Router02.artifact().deployed_bytecode;
    let found = runtime.windows(32).filter(|window| *window == hash.as_slice()).count();
    assert_eq!(found, 1, "Router02's code holds the pair's init-code hash once");
    for contract in UniswapContract::ALL {
        let origin = contract.artifact().origin.as_ref().expect("a copied build names its origin");
        let expected = if contract == UniswapContract::Factory || contract == UniswapContract::Pair {
            ("@uniswap/v2-core", "1.0.1")
        } else {
            ("@uniswap/v2-periphery", "1.1.0-beta.0")
        };
        assert_eq!((origin.package.as_str(), origin.version.as_str()), expected, "{}", contract.name());
    }
}

#[test]
fn add_liquidity_and_swap_follow_uniswaps_formulas() {
    let mut evm = Evm::new(SpecId::CANCUN, START);
    evm.fund(HOLDER, ether(1_000));
    evm.fund(TRADER, ether(10));
    let dml = evm.deploy(HOLDER, ref_votes_token_deploy_code(HOLDER, U256::from(1_000_000u64) * ONE_DML));
    let weth = evm.deploy(HOLDER, weth9_deploy_code());
    let factory = evm.deploy(HOLDER, uniswap_factory_deploy_code(Address::ZERO));
    let router = evm.deploy(HOLDER, uniswap_router02_deploy_code(factory, weth));
    assert_eq!(evm.call(router, IUniswapV2Router02::factoryCall {}).unwrap(), factory);
    assert_eq!(evm.call(router, IUniswapV2Router02::WETHCall {}).unwrap(), weth);

    // 10,000 DML against 100 ETH, through the router (which creates the pair).
    let dml_in = U256::from(10_000u64) * ONE_DML;
    let eth_in = ether(100);
    evm.transact(HOLDER, dml, IDmlToken::approveCall { spender: router, amount: dml_in }).unwrap();
    let deadline = U256::from(START + 3_600);
    let add = IUniswapV2Router02::addLiquidityETHCall {
        token: dml,
        amountTokenDesired: dml_in,
        amountTokenMin: dml_in,
        amountETHMin: eth_in,
        to: HOLDER,
        deadline,
    };
    let (added, _) = evm.transact_value(HOLDER, router, eth_in, add).unwrap();
    assert_eq!((added.amountToken, added.amountETH), (dml_in, eth_in));

    let pair = evm.call(factory, IUniswapV2Factory::getPairCall { tokenA: dml, tokenB: weth }).unwrap();
    assert_eq!(pair, uniswap_pair_address(factory, dml, weth), "CREATE2 with the init-code hash");
    assert_eq!(pair, uniswap_pair_address(factory, weth, dml));
    assert_eq!(evm.call(factory, IUniswapV2Factory::allPairsLengthCall {}).unwrap(), U256::from(1u64));
    let token0 = evm.call(pair, IUniswapV2Pair::token0Call {}).unwrap();
    let token1 = evm.call(pair, IUniswapV2Pair::token1Call {}).unwrap();
    assert_eq!((token0, token1), if dml < weth { (dml, weth) } else { (weth, dml) });

    let reserves = |evm: &mut Evm| {
        let r = evm.call(pair, IUniswapV2Pair::getReservesCall {}).unwrap();
        let (r0, r1) = (U256::from(r.reserve0), U256::from(r.reserve1));
        if token0 == dml {
            (r0, r1)
        } else {
            (r1, r0)
        }
    };
    assert_eq!(reserves(&mut evm), (dml_in, eth_in));
    assert_eq!(evm.call(weth, IWETH9::balanceOfCall { owner: pair }).unwrap(), eth_in);

    // The first mint: sqrt(x·y) LP tokens, of which MINIMUM_LIQUIDITY are locked at address zero.
    let liquidity = (dml_in * eth_in).root(2);
    assert_eq!(liquidity * liquidity, dml_in * eth_in, "chosen to be a perfect square");
    assert_eq!(added.liquidity, liquidity - U256::from(MINIMUM_LIQUIDITY));
    assert_eq!(evm.call(pair, IUniswapV2Pair::balanceOfCall { owner: HOLDER }).unwrap(), added.liquidity);
    assert_eq!(evm.call(pair, IUniswapV2Pair::totalSupplyCall {}).unwrap(), liquidity);
    assert_eq!(
        evm.call(pair, IUniswapV2Pair::balanceOfCall { owner: Address::ZERO }).unwrap(),
        U256::from(MINIMUM_LIQUIDITY)
    );

    // A swap of 1 ETH for DML: amountOut = amountIn·997·reserveOut / (reserveIn·1000 + amountIn·997).
    let swap_in = ether(1);
    let expected = amount_out(swap_in, eth_in, dml_in);
    let quoted =
        evm.call(router, IUniswapV2Router02::getAmountsOutCall { amountIn: swap_in, path: vec![weth, dml] }).unwrap();
    assert_eq!(quoted, vec![swap_in, expected]);
    let swap = IUniswapV2Router02::swapExactETHForTokensCall {
        amountOutMin: expected,
        path: vec![weth, dml],
        to: TRADER,
        deadline,
    };
    let (amounts, _) = evm.transact_value(TRADER, router, swap_in, swap).unwrap();
    assert_eq!(amounts, vec![swap_in, expected]);
    assert_eq!(evm.call(dml, IDmlToken::balanceOfCall { account: TRADER }).unwrap(), expected);
    assert_eq!(reserves(&mut evm), (dml_in - expected, eth_in + swap_in));

    // And back: the trader sells what it bought, at the new reserves.
    let (dml_reserve, eth_reserve) = reserves(&mut evm);
    let back = amount_out(expected, dml_reserve, eth_reserve);
    evm.transact(TRADER, dml, IDmlToken::approveCall { spender: router, amount: expected }).unwrap();
    let sell = IUniswapV2Router02::swapExactTokensForETHCall {
        amountIn: expected,
        amountOutMin: back,
        path: vec![dml, weth],
        to: TRADER,
        deadline,
    };
    let (amounts, _) = evm.transact_value(TRADER, router, U256::ZERO, sell).unwrap();
    assert_eq!(amounts, vec![expected, back]);
    assert_eq!(reserves(&mut evm), (dml_reserve + expected, eth_reserve - back));
    assert!(back < swap_in, "two fees were paid");

    // quote is the fee-less proportion.
    let (dml_reserve, eth_reserve) = reserves(&mut evm);
    let quote = IUniswapV2Router02::quoteCall { amountA: ether(2), reserveA: eth_reserve, reserveB: dml_reserve };
    assert_eq!(evm.call(router, quote).unwrap(), ether(2) * dml_reserve / eth_reserve);

    // Removing all the holder's liquidity returns its share of both reserves.
    let lp = added.liquidity;
    let supply = evm.call(pair, IUniswapV2Pair::totalSupplyCall {}).unwrap();
    evm.transact(HOLDER, pair, IUniswapV2Pair::approveCall { spender: router, value: lp }).unwrap();
    let remove = IUniswapV2Router02::removeLiquidityETHCall {
        token: dml,
        liquidity: lp,
        amountTokenMin: U256::ZERO,
        amountETHMin: U256::ZERO,
        to: HOLDER,
        deadline,
    };
    let (removed, _) = evm.transact_value(HOLDER, router, U256::ZERO, remove).unwrap();
    assert_eq!(removed.amountToken, lp * dml_reserve / supply);
    assert_eq!(removed.amountETH, lp * eth_reserve / supply);

    // WETH9 wraps and unwraps.
    evm.transact_value(TRADER, weth, ether(1), IWETH9::depositCall {}).unwrap();
    assert_eq!(evm.call(weth, IWETH9::balanceOfCall { owner: TRADER }).unwrap(), ether(1));
    evm.transact(TRADER, weth, IWETH9::withdrawCall { wad: ether(1) }).unwrap();
    assert_eq!(evm.call(weth, IWETH9::balanceOfCall { owner: TRADER }).unwrap(), U256::ZERO);
}
